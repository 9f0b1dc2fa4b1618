//! Subscriptions over `graphql-transport-ws` at /graphql: what each subscriber hears, as a
//! query with its token would show it, and every limit's coded close. On both backends.

mod common;

use std::time::Duration;

use common::{
    Options, SEED_SLUG, TestApp, spawn_with,
    ws::{Closed, WsClient},
};
use content_api::{
    config::{EventSettings, ServeSettings},
    content::tokens::Scope,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(5);
/// Long enough to be sure nothing is coming.
const QUIET: Duration = Duration::from_millis(800);

const PUBLISHED: &str = "subscription($f: PublishedFilter) { articlePublished(filter: $f) { slug title tags { slug } } }";
const CHANGED: &str =
    "subscription($s: String!) { articleChanged(slug: $s) { slug title status } }";

async fn app_with(events: EventSettings) -> TestApp {
    spawn_with(Options {
        settings: ServeSettings {
            events,
            ..ServeSettings::default()
        },
        ..Options::default()
    })
    .await
}

async fn app() -> TestApp {
    app_with(EventSettings::default()).await
}

async fn write(app: &TestApp, token: &str, mutation: &str, id: &str) {
    app.data_with(token, mutation, json!({ "id": id })).await;
}

const UNPUBLISH: &str = "mutation($id: ID!) { unpublishArticle(id: $id) { status } }";
const PUBLISH: &str = "mutation($id: ID!) { publishArticle(id: $id) { status } }";
const RETITLE: &str =
    "mutation($id: ID!) { updateArticle(id: $id, input: { title: \"Retitled\" }) { title } }";

#[tokio::test(flavor = "multi_thread")]
async fn published_articles_reach_subscribers_whose_filter_they_match() {
    let app = app().await;
    let token = app.token(Scope::Write).await;
    let id = app.article_id(SEED_SLUG).await;
    write(&app, &token, UNPUBLISH, &id).await;

    let mut all = WsClient::ready(&app.address, json!({})).await;
    all.subscribe("all", PUBLISHED, json!({})).await;
    let mut rust = WsClient::ready(&app.address, json!({})).await;
    rust.subscribe(
        "rust",
        PUBLISHED,
        json!({ "f": { "tag": "rust", "speaker": "linus-torvalds" } }),
    )
    .await;
    let mut other = WsClient::ready(&app.address, json!({})).await;
    other
        .subscribe(
            "other",
            PUBLISHED,
            json!({ "f": { "publication": "another-publication" } }),
        )
        .await;
    // The same subscription as `all`'s: the two share one execution.
    let mut twin = WsClient::ready(&app.address, json!({})).await;
    twin.subscribe("twin", PUBLISHED, json!({})).await;
    // Subscribed before the write: give the server a moment to start the streams.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.metric("content_api_subscriptions_open").await, 4.0);

    write(&app, &token, PUBLISH, &id).await;
    let expected = json!({ "data": { "articlePublished": {
        "slug": SEED_SLUG,
        "title": "The Great Linux Debate: Rust's Place in the Kernel",
        "tags": [{ "slug": "linux" }, { "slug": "rust" }, { "slug": "linux-kernel" }, { "slug": "open-source" }]
    } } });
    assert_eq!(all.next_of("all", WAIT).await, Some(expected.clone()));
    assert_eq!(twin.next_of("twin", WAIT).await, Some(expected.clone()));
    assert_eq!(rust.next_of("rust", WAIT).await, Some(expected.clone()));
    assert!(
        app.metric("content_api_event_notification_lag_seconds_count")
            .await
            >= 2.0,
        "the events heard are measured"
    );
    assert_eq!(other.next(QUIET).await, None, "the filter does not match");

    // An update of a published article is no publication.
    write(&app, &token, RETITLE, &id).await;
    assert_eq!(all.next(QUIET).await, None);

    // `complete` ends a subscription, and not its twin's.
    all.send(json!({ "id": "all", "type": "complete" })).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    write(&app, &token, UNPUBLISH, &id).await;
    write(&app, &token, PUBLISH, &id).await;
    assert_eq!(
        twin.next_of("twin", WAIT)
            .await
            .map(|p| p["data"]["articlePublished"]["slug"].clone()),
        Some(json!(SEED_SLUG))
    );
    assert_eq!(all.next(QUIET).await, None, "completed");
    // Closing ends the rest.
    drop((rust, other, twin));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.metric("content_api_subscriptions_open").await, 0.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_article_is_seen_as_each_token_would_see_it() {
    let app = app().await;
    let token = app.token(Scope::Write).await;
    let preview_token = app.token(Scope::Preview).await;
    let id = app.article_id(SEED_SLUG).await;

    let mut public = WsClient::ready(&app.address, json!({})).await;
    public
        .subscribe("a", CHANGED, json!({ "s": SEED_SLUG }))
        .await;
    let mut preview = WsClient::ready(
        &app.address,
        json!({ "authorization": format!("Bearer {preview_token}") }),
    )
    .await;
    preview
        .subscribe("p", CHANGED, json!({ "s": SEED_SLUG }))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let article = |title: &str, status: &str| json!({ "data": { "articleChanged": { "slug": SEED_SLUG, "title": title, "status": status } } });
    let original = "The Great Linux Debate: Rust's Place in the Kernel";
    // Unpublished: gone for the public, a draft for the preview.
    write(&app, &token, UNPUBLISH, &id).await;
    assert_eq!(
        public.next_of("a", WAIT).await,
        Some(json!({ "data": { "articleChanged": null } }))
    );
    assert_eq!(
        preview.next_of("p", WAIT).await,
        Some(article(original, "DRAFT"))
    );
    // A draft's edit: only the preview hears of it.
    write(&app, &token, RETITLE, &id).await;
    assert_eq!(
        preview.next_of("p", WAIT).await,
        Some(article("Retitled", "DRAFT"))
    );
    assert_eq!(public.next(QUIET).await, None);
    // Published again: both.
    write(&app, &token, PUBLISH, &id).await;
    assert_eq!(
        public.next_of("a", WAIT).await,
        Some(article("Retitled", "PUBLISHED"))
    );
    assert_eq!(
        preview.next_of("p", WAIT).await,
        Some(article("Retitled", "PUBLISHED"))
    );
}

async fn closed_with(client: &mut WsClient) -> (u16, String) {
    let Closed { code, reason } = client.closed(WAIT).await.expect("closed by the server");
    let name = reason.split(':').next().unwrap_or_default().to_owned();
    (code, name)
}

#[tokio::test(flavor = "multi_thread")]
async fn each_limit_closes_the_connection_with_its_code() {
    let app = app_with(EventSettings {
        ws_max_connections_per_client: 3,
        ws_max_subscriptions: 2,
        ws_max_message_bytes: 2_048,
        ws_init_timeout_ms: 300,
        ws_ping_interval_ms: 300,
        ws_pong_timeout_ms: 300,
        ..EventSettings::default()
    })
    .await;

    // No connection_init in time.
    let mut client = WsClient::connect(&app.address).await;
    assert_eq!(
        closed_with(&mut client).await,
        (4408, "CONNECTION_INIT_TIMEOUT".into())
    );

    // A subscribe before connection_ack.
    let mut client = WsClient::connect(&app.address).await;
    client.subscribe("1", CHANGED, json!({ "s": "x" })).await;
    assert_eq!(
        closed_with(&mut client).await,
        (4401, "UNAUTHORIZED".into())
    );

    // An unknown token.
    let mut client = WsClient::connect(&app.address).await;
    client
        .send(json!({ "type": "connection_init", "payload": { "authorization": "Bearer nope" } }))
        .await;
    assert_eq!(closed_with(&mut client).await, (4403, "FORBIDDEN".into()));

    // Two connection_inits.
    let mut client = WsClient::ready(&app.address, json!({})).await;
    client.send(json!({ "type": "connection_init" })).await;
    assert_eq!(
        closed_with(&mut client).await,
        (4429, "TOO_MANY_INITIALISATION_REQUESTS".into())
    );

    // Not a protocol message.
    let mut client = WsClient::ready(&app.address, json!({})).await;
    client.send(json!({ "type": "hello" })).await;
    assert_eq!(
        closed_with(&mut client).await,
        (4400, "INVALID_MESSAGE".into())
    );

    // Two subscriptions with one id.
    let mut client = WsClient::ready(&app.address, json!({})).await;
    client.subscribe("1", CHANGED, json!({ "s": "x" })).await;
    client.subscribe("1", CHANGED, json!({ "s": "y" })).await;
    assert_eq!(
        closed_with(&mut client).await,
        (4409, "SUBSCRIBER_ALREADY_EXISTS".into())
    );

    // A third subscription where two are allowed.
    let mut client = WsClient::ready(&app.address, json!({})).await;
    for id in ["1", "2", "3"] {
        client.subscribe(id, CHANGED, json!({ "s": id })).await;
    }
    assert_eq!(
        closed_with(&mut client).await,
        (4420, "TOO_MANY_SUBSCRIPTIONS".into())
    );

    // A message over the size limit.
    let mut client = WsClient::ready(&app.address, json!({})).await;
    client
        .subscribe("1", CHANGED, json!({ "s": "x".repeat(4_096) }))
        .await;
    assert_eq!(
        closed_with(&mut client).await,
        (4413, "MESSAGE_TOO_LARGE".into())
    );

    // No pong: `closed` reads without answering the server's pings.
    let mut client = WsClient::ready(&app.address, json!({})).await;
    assert_eq!(
        closed_with(&mut client).await,
        (4410, "PONG_TIMEOUT".into())
    );

    // A client answering pings stays; a fourth connection of one client is refused.
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(WsClient::ready(&app.address, json!({})).await);
    }
    let mut fourth = WsClient::connect(&app.address).await;
    assert_eq!(
        closed_with(&mut fourth).await,
        (4421, "TOO_MANY_CONNECTIONS".into())
    );
    // Read all at once: a client answers pings only while it reads.
    let reads = open.iter_mut().map(|c| c.next(Duration::from_millis(700)));
    for message in futures_util::future::join_all(reads).await {
        assert_eq!(message, None, "still open, and nothing to say");
    }
    assert_eq!(
        app.metric("content_api_subscription_connections_open")
            .await,
        3.0
    );
    assert_eq!(
        app.metric(
            "content_api_subscription_connections_closed_total{reason=\"TOO_MANY_CONNECTIONS\"}"
        )
        .await,
        1.0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_subscriptions_run_over_websockets_and_never_over_http() {
    let app = app().await;
    let mut client = WsClient::ready(&app.address, json!({})).await;
    client
        .subscribe("q", "{ articles { totalCount } }", json!({}))
        .await;
    let error = client.next(WAIT).await.expect("an answer");
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(error["id"], "q");
    assert_eq!(
        error["payload"][0]["extensions"]["code"],
        "OPERATION_NOT_SUPPORTED"
    );
    // A subscription that does not validate: an `error` message, and the connection stays.
    client
        .subscribe(
            "bad",
            "subscription { articleChanged(slug: 1) { nope } }",
            json!({}),
        )
        .await;
    let error = client.next(WAIT).await.expect("an answer");
    assert_eq!(
        (&error["type"], &error["id"]),
        (&json!("error"), &json!("bad")),
        "{error}"
    );
    assert_eq!(
        error["payload"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    client.send(json!({ "type": "ping" })).await;
    assert_eq!(client.next(WAIT).await, Some(json!({ "type": "pong" })));

    let body = app
        .graphql(
            "subscription { articleChanged(slug: \"x\") { slug } }",
            Value::Null,
        )
        .await;
    assert_eq!(common::codes(&body), ["OPERATION_NOT_SUPPORTED"], "{body}");
}
