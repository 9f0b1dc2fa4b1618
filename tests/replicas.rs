//! Replicas sharing one Postgres: each event delivered once whichever replica wrote it,
//! every replica's subscribers told, and a replica killed mid-delivery losing nothing. The
//! real binary, three processes. Postgres only: on SQLite one process serves.

mod common;

use std::{process::Output, time::Duration};

use common::{
    SEED_SLUG, TestDb,
    process::{Server, content_api},
    receiver::{self, Receiver},
    ws::WsClient,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const SECRET: &str = "the-replicas-shared-secret";

fn run(database_url: &str, args: &[&str]) -> String {
    let Output {
        status,
        stdout,
        stderr,
    } = content_api(database_url)
        .args(args)
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&stderr);
    assert!(status.success(), "{args:?}: {status}\n{stderr}");
    String::from_utf8(stdout).expect("UTF-8")
}

/// A Postgres database with the seed article, a webhook to `receiver` and a write token.
fn prepare(database_url: &str, receiver: &str, events: &str) -> String {
    run(database_url, &["import", "fixtures/demo.json"]);
    let added = run(
        database_url,
        &[
            "webhook", "add", "--url", receiver, "--events", events, "--secret", SECRET,
        ],
    );
    assert!(
        added.contains("secret: the-replicas-shared-secret"),
        "{added}"
    );
    let created = run(
        database_url,
        &["token", "create", "--name", "ci", "--scope", "write"],
    );
    created.lines().last().expect("the token").to_owned()
}

async fn mutate(server: &Server, token: &str, query: &str) -> Value {
    mutate_with(server, token, query, json!({})).await
}

/// `query` on the seed article, its `id` added to `variables`.
async fn mutate_with(server: &Server, token: &str, query: &str, mut variables: Value) -> Value {
    let id_query = json!({ "query": "query($s: String!) { article(slug: $s) { id } }", "variables": { "s": SEED_SLUG } });
    let client = reqwest::Client::new();
    let url = format!("{}/graphql", server.address);
    let found: Value = client
        .post(&url)
        .bearer_auth(token)
        .json(&id_query)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    variables["id"] = found["data"]["article"]["id"].clone();
    let body: Value = client
        .post(&url)
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body.get("errors").is_none(), "{body:#}");
    body
}

const SERVE: [&str; 5] = [
    "--no-demo",
    "--webhook-retry-ms",
    "200",
    "--webhook-timeout-ms",
    "2000",
];

#[tokio::test(flavor = "multi_thread")]
async fn three_replicas_deliver_each_event_once_and_tell_every_subscriber() {
    let test_db = TestDb::new().await;
    if !test_db.is_postgres() {
        eprintln!("skipped: needs a server database (set TEST_DATABASE_URL to a Postgres URL)");
        return;
    }
    let receiver = Receiver::start().await;
    let token = prepare(
        &test_db.url,
        &receiver.url,
        "article.published,article.unpublished",
    );
    let a = Server::start(&test_db.url, &SERVE, &[]).await;
    let b = Server::start(&test_db.url, &SERVE, &[]).await;
    let c = Server::start(&test_db.url, &SERVE, &[]).await;

    let query = "subscription { articlePublished { slug } }";
    let mut on_b = WsClient::ready(&b.address, json!({})).await;
    on_b.subscribe("b", query, json!({})).await;
    let mut on_c = WsClient::ready(&c.address, json!({})).await;
    on_c.subscribe("c", query, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    mutate(
        &a,
        &token,
        "mutation($id: ID!) { unpublishArticle(id: $id) { status } }",
    )
    .await;
    mutate(
        &a,
        &token,
        "mutation($id: ID!) { publishArticle(id: $id) { status } }",
    )
    .await;
    let expected = json!({ "data": { "articlePublished": { "slug": SEED_SLUG } } });
    assert_eq!(
        on_b.next_of("b", Duration::from_secs(5)).await,
        Some(expected.clone())
    );
    assert_eq!(
        on_c.next_of("c", Duration::from_secs(5)).await,
        Some(expected)
    );

    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    // Every replica delivers, and polls twice a second: give them time to do it twice.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got_all = receiver.deliveries();
    assert_eq!(
        got_all.len(),
        2,
        "each event once: {:#?}",
        got_all.iter().map(|d| &d.json).collect::<Vec<_>>()
    );
    let mut types: Vec<&str> = got.iter().map(|d| d.event_type.as_str()).collect();
    types.sort_unstable();
    assert_eq!(types, ["article.published", "article.unpublished"]);
    for d in &got {
        assert!(receiver::verify(SECRET, &d.signature, &d.body));
    }

    // Scheduled through A: when its time comes, three replicas race to announce it; one
    // event is written, delivered once, and heard on B and C.
    mutate(
        &a,
        &token,
        "mutation($id: ID!) { unpublishArticle(id: $id) { status } }",
    )
    .await;
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(1_500);
    mutate_with(
        &a,
        &token,
        "mutation($id: ID!, $at: DateTime) { publishArticle(id: $id, at: $at) { status } }",
        json!({ "at": at.to_rfc3339() }),
    )
    .await;
    let expected = json!({ "data": { "articlePublished": { "slug": SEED_SLUG } } });
    assert_eq!(
        on_b.next_of("b", Duration::from_secs(5)).await,
        Some(expected.clone())
    );
    assert_eq!(
        on_c.next_of("c", Duration::from_secs(5)).await,
        Some(expected)
    );
    let got = receiver.wait_for(4, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        receiver.deliveries().len(),
        4,
        "the scheduled publication once"
    );
    let announced = &got[3];
    assert_eq!(announced.event_type, "article.published");
    let occurred: chrono::DateTime<chrono::Utc> = announced.json["occurredAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        occurred >= at && occurred - at < chrono::Duration::seconds(1),
        "{occurred} for {at}"
    );
    assert_eq!(
        on_b.next(Duration::from_millis(500)).await,
        None,
        "heard once on B"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replica_killed_mid_delivery_loses_nothing() {
    let test_db = TestDb::new().await;
    if !test_db.is_postgres() {
        eprintln!("skipped: needs a server database (set TEST_DATABASE_URL to a Postgres URL)");
        return;
    }
    // The receiver holds the first request without answering, as a slow receiver would.
    let receiver = Receiver::start_on(receiver::free_address(), 0, true).await;
    let token = prepare(&test_db.url, &receiver.url, "article.unpublished");
    let mut a = Server::start(&test_db.url, &SERVE, &[]).await;
    mutate(
        &a,
        &token,
        "mutation($id: ID!) { unpublishArticle(id: $id) { status } }",
    )
    .await;
    let first = receiver.wait_for(1, Duration::from_secs(10)).await;

    // Killed while the receiver has the delivery: no answer recorded, the claim still held.
    a.child.kill().expect("kill -9 the replica");
    a.wait_for_exit(Duration::from_secs(5))
        .await
        .expect("the replica exits");
    let b = Server::start(&test_db.url, &SERVE, &[]).await;
    let got = receiver.wait_for(2, Duration::from_secs(15)).await;
    assert_eq!(
        got[1].event_id, first[0].event_id,
        "the same event, sent again"
    );
    assert_eq!(got[1].body, first[0].body);
    assert!(receiver::verify(SECRET, &got[1].signature, &got[1].body));

    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(receiver.deliveries().len(), 2);
    let listed = run(&test_db.url, &["webhook", "deliveries"]);
    let row = listed.lines().nth(1).expect("a delivery row");
    assert!(row.contains("delivered"), "{listed}");
    assert!(
        row.contains(&format!("article.unpublished {SEED_SLUG}")),
        "{listed}"
    );
    drop(b);
}
