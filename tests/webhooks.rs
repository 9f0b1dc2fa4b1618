//! Webhooks: every kind of change reaches a receiver once, signed; a receiver that is down
//! gets it once it is back; a write that rolls back sends nothing; receivers' URLs are
//! checked. On both backends.

mod common;

use std::time::Duration;

use common::{
    Options, SEED_SLUG, TestApp,
    receiver::{self, Receiver},
    spawn_with,
};
use content_api::{
    config::{EventSettings, ServeSettings},
    content::{self, tokens::Scope, webhooks},
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const SECRET: &str = "a-secret-of-the-receiver";
const ALL: &str =
    "article.published,article.updated,article.unpublished,article.archived,article.deleted";

/// A server that retries failed deliveries after 100 ms rather than 10 s.
async fn app() -> TestApp {
    spawn_with(Options {
        settings: ServeSettings {
            events: EventSettings {
                webhook_retry_ms: 100,
                webhook_timeout_ms: 2_000,
                ..EventSettings::default()
            },
            ..ServeSettings::default()
        },
        ..Options::default()
    })
    .await
}

fn kinds(deliveries: &[receiver::Delivery]) -> Vec<String> {
    deliveries
        .iter()
        .map(|d| d.json["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_change_arrives_once_signed_in_the_order_made() {
    let app = app().await;
    let receiver = Receiver::start().await;
    let (hook, _) = webhooks::add(&app.db, &receiver.url, ALL, Some(SECRET.into()))
        .await
        .expect("add the webhook");
    let write = app.token(Scope::Write).await;
    let id = app.article_id(SEED_SLUG).await;
    let publish =
        "mutation($id: ID!, $at: DateTime) { publishArticle(id: $id, at: $at) { status } }";

    // The seed is published: unpublish, update, publish, archive, then delete.
    let steps: [(&str, Value, &str); 4] = [
        (
            "mutation($id: ID!) { unpublishArticle(id: $id) { status } }",
            json!({ "id": id }),
            "article.unpublished",
        ),
        (
            "mutation($id: ID!) { updateArticle(id: $id, input: { title: \"Retitled\" }) { title } }",
            json!({ "id": id }),
            "article.updated",
        ),
        (publish, json!({ "id": id }), "article.published"),
        (
            "mutation($id: ID!) { archiveArticle(id: $id) { status } }",
            json!({ "id": id }),
            "article.archived",
        ),
    ];
    let mut expected = Vec::new();
    for (n, (mutation, variables, kind)) in steps.into_iter().enumerate() {
        app.data_with(&write, mutation, variables).await;
        expected.push(kind.to_owned());
        // One at a time, so their order is the order they were made.
        receiver.wait_for(n + 1, Duration::from_secs(10)).await;
    }
    app.data_with(
        &write,
        "mutation($id: ID!) { deleteArticle(id: $id) }",
        json!({ "id": id }),
    )
    .await;
    expected.push("article.deleted".into());
    let got = receiver.wait_for(5, Duration::from_secs(10)).await;
    assert_eq!(kinds(&got), expected);

    for (n, d) in got.iter().enumerate() {
        assert!(receiver::verify(SECRET, &d.signature, &d.body), "{d:?}");
        assert!(!receiver::verify(
            "another-secret-entirely",
            &d.signature,
            &d.body
        ));
        assert_eq!(d.event_id, d.json["id"].as_str().unwrap());
        assert_eq!(d.event_type, d.json["type"].as_str().unwrap());
        assert_eq!(d.json["slug"], SEED_SLUG);
        // The seed was imported at revision 1; each write raised it.
        assert_eq!(d.json["revision"], json!(n as i64 + 2), "{}", d.json);
    }
    let mut ids: Vec<&str> = got.iter().map(|d| d.event_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 5, "each event its own id");

    // Nothing more arrives, and each delivery is recorded as delivered at the first attempt.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(receiver.deliveries().len(), 5);
    let recorded = webhooks::deliveries(&app.db, Some(hook.id), 100)
        .await
        .unwrap();
    assert_eq!(recorded.len(), 5);
    for d in &recorded {
        assert_eq!(
            (d.status, d.attempts, d.last_status),
            (webhooks::DeliveryStatus::Delivered, 1, Some(204))
        );
    }
    assert_eq!(
        app.metric("content_api_webhook_deliveries_total{outcome=\"delivered\"}")
            .await,
        5.0
    );
    assert_eq!(
        app.metric("content_api_outbox_pending_deliveries").await,
        0.0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scheduled_article_is_announced_once_when_its_time_comes() {
    let app = app().await;
    let receiver = Receiver::start().await;
    webhooks::add(
        &app.db,
        &receiver.url,
        "article.published,article.updated",
        Some(SECRET.into()),
    )
    .await
    .unwrap();
    let write = app.token(Scope::Write).await;
    let id = app.article_id(SEED_SLUG).await;
    app.data_with(
        &write,
        "mutation($id: ID!) { unpublishArticle(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(1_500);
    app.data_with(
        &write,
        "mutation($id: ID!, $at: DateTime) { publishArticle(id: $id, at: $at) { status } }",
        json!({ "id": id, "at": at.to_rfc3339() }),
    )
    .await;
    // Scheduling is an update; the publication comes when its time does.
    let got = receiver.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(kinds(&got), ["article.updated"]);
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(kinds(&got), ["article.updated", "article.published"]);
    let occurred: chrono::DateTime<chrono::Utc> =
        got[1].json["occurredAt"].as_str().unwrap().parse().unwrap();
    let late = occurred - at;
    assert!(
        late >= chrono::Duration::zero() && late < chrono::Duration::seconds(1),
        "announced {late} after its time"
    );
    assert!(receiver::verify(SECRET, &got[1].signature, &got[1].body));
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(receiver.deliveries().len(), 2, "announced once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receiver_that_is_down_gets_the_delivery_once_it_is_back() {
    let app = app().await;
    let address = receiver::free_address();
    let url = format!("http://{address}/hooks/content");
    let (hook, _) = webhooks::add(&app.db, &url, "article.unpublished", Some(SECRET.into()))
        .await
        .unwrap();
    let write = app.token(Scope::Write).await;
    let id = app.article_id(SEED_SLUG).await;
    app.data_with(
        &write,
        "mutation($id: ID!) { unpublishArticle(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;

    // Down: attempts fail, each recorded with its error and retried.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let failed = loop {
        let recorded = webhooks::deliveries(&app.db, Some(hook.id), 10)
            .await
            .unwrap();
        if recorded.first().is_some_and(|d| d.attempts >= 2) {
            break recorded[0].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no retries: {recorded:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(failed.status, webhooks::DeliveryStatus::Pending);
    assert!(failed.last_error.is_some(), "{failed:?}");
    assert!(
        app.metric("content_api_webhook_deliveries_total{outcome=\"retrying\"}")
            .await
            >= 1.0
    );

    // Back, but answering 500 once more: retried again, then delivered.
    let receiver = Receiver::start_on(address, 1, false).await;
    let got = receiver.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(got[0].event_id, got[1].event_id, "the same event, retried");
    assert!(receiver::verify(SECRET, &got[1].signature, &got[1].body));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let recorded = webhooks::deliveries(&app.db, Some(hook.id), 10)
            .await
            .unwrap();
        if recorded[0].status == webhooks::DeliveryStatus::Delivered {
            assert!(recorded[0].attempts >= 3, "{recorded:?}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never delivered: {recorded:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.deliveries().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_that_rolls_back_sends_nothing() {
    let app = app().await;
    let receiver = Receiver::start().await;
    webhooks::add(&app.db, &receiver.url, ALL, Some(SECRET.into()))
        .await
        .unwrap();
    let write = app.token(Scope::Write).await;
    let before = content::events::last_seq(&app.db).await.unwrap();

    // Fails inside its write transaction: a quote by a speaker that does not exist. (A write
    // killed halfway is in tests/faults.rs.)
    let body: Value = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&write)
        .json(&json!({
            "query": "mutation($id: ID!) { updateArticle(id: $id, input: { title: \"Never\", quotes: [{ speaker: \"nobody-at-all\", text: \"x\" }] }) { title } }",
            "variables": { "id": app.article_id(SEED_SLUG).await }
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body["errors"].is_array(), "{body}");

    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(receiver.deliveries().len(), 0);
    assert_eq!(
        content::events::last_seq(&app.db).await.unwrap(),
        before,
        "no event written"
    );
}

#[tokio::test]
async fn receiver_urls_and_events_are_checked_when_added() {
    let app = app().await;
    for (url, events, says) in [
        (
            "ftp://example.com/hook",
            "article.published",
            "http or https",
        ),
        (
            "https://user:pw@example.com/hook",
            "article.published",
            "credentials",
        ),
        ("not a url", "article.published", "not a URL"),
        (
            "https://example.com/hook",
            "article.created",
            "unknown event",
        ),
        ("https://example.com/hook", "", "at least one event"),
    ] {
        let err = webhooks::add(&app.db, url, events, None)
            .await
            .expect_err(url);
        assert!(
            matches!(err, content::Error::Invalid { .. }),
            "{url}: {err}"
        );
        assert!(err.to_string().contains(says), "{url}: {err}");
    }
    let err = webhooks::add(
        &app.db,
        "https://example.com/",
        "article.published",
        Some("short".into()),
    )
    .await
    .expect_err("a short secret");
    assert!(err.to_string().contains("at least 16"), "{err}");
    let (hook, secret) = webhooks::add(&app.db, "https://example.com/", "article.published", None)
        .await
        .unwrap();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    assert_eq!(
        webhooks::list(&app.db).await.unwrap(),
        std::slice::from_ref(&hook)
    );
    webhooks::remove(&app.db, hook.id).await.unwrap();
    assert!(matches!(
        webhooks::remove(&app.db, hook.id).await,
        Err(content::Error::NotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn old_events_are_pruned_unless_a_delivery_waits_on_them() {
    let app = app().await;
    // A receiver that is never there: its delivery stays pending.
    let url = format!("http://{}/hook", receiver::free_address());
    webhooks::add(&app.db, &url, "article.unpublished", Some(SECRET.into()))
        .await
        .unwrap();
    let write = app.token(Scope::Write).await;
    let id = app.article_id(SEED_SLUG).await;
    for mutation in [
        "mutation($id: ID!) { unpublishArticle(id: $id) { status } }",
        "mutation($id: ID!) { publishArticle(id: $id) { status } }",
    ] {
        app.data_with(&write, mutation, json!({ "id": id })).await;
    }
    let all = content::events::since(&app.db, 0, 10).await.unwrap();
    assert_eq!(
        all.len(),
        3,
        "the seed's import, the unpublish, the publish"
    );

    // Nothing is old enough yet.
    let an_hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    assert_eq!(
        content::events::prune(&app.db, an_hour_ago).await.unwrap(),
        0
    );
    // Everything is: all but the event a delivery waits on go.
    let later = chrono::Utc::now() + chrono::Duration::seconds(1);
    assert_eq!(content::events::prune(&app.db, later).await.unwrap(), 2);
    let left = content::events::since(&app.db, 0, 10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].1.kind, content::events::EventKind::Unpublished);
}
