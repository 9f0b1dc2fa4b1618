//! Events (issue 15): how long a write's event takes to reach subscribers on another replica,
//! with 1,000 subscriptions open there, and what the events cost that replica's readers.
//!
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench events
//!
//! Environment: `BENCH_ARTICLES` (2,000 synthetic articles), `BENCH_CONNECTIONS` (100
//! WebSocket connections) × `BENCH_SUBSCRIPTIONS_PER_CONNECTION` (10), `BENCH_PUBLISHES`
//! (100), `BENCH_SECONDS` (8 per read row).
//!
//! Two release servers share one Postgres: A takes the writes, B holds the subscriptions.
//! Every subscription is `articlePublished { slug title }`, so each publication is pushed to
//! all 1,000: the widest fan-out there is.
//!
//! - **Latency**: each publication is an `unpublishArticle` then a `publishArticle` of one
//!   article through A, one every 100 ms. For every message every subscriber gets, the time
//!   from A's answer to the publish (its transaction has committed by then) to the message's
//!   arrival, on loopback; and, as an upper bound, from the moment the mutation was sent.
//! - **Reads**: B answers an article page (`article(slug:)`, every field, response cache off)
//!   from 32 keep-alive connections, alternately with no writes and with 5 publications a
//!   second flowing through A to B's 1,000 subscriptions (5,000 messages a second), twice
//!   each; requests/s of each kind of row, averaged.

mod support;

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use content_api::{
    content::{bundle, ids::Ids, tokens},
    db,
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::{
    BenchDb,
    load::{self, Load, Request},
    percentile, serve_with, synthetic,
};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Arrivals at the subscribers: (slug, when).
type Arrivals = Arc<Mutex<Vec<(String, Instant)>>>;

/// Opens `subscriptions` subscriptions on one connection to `address` and records every
/// message's arrival until the returned task is aborted.
async fn subscriber(
    address: &str,
    subscriptions: usize,
    arrivals: Arrivals,
) -> tokio::task::JoinHandle<()> {
    let mut request = format!("ws://{address}/graphql")
        .into_client_request()
        .expect("a request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the WebSocket opens");
    ws.send(Message::text(r#"{"type":"connection_init"}"#))
        .await
        .unwrap();
    let ack = ws.next().await.expect("an ack").expect("a message");
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack:?}");
    for id in 0..subscriptions {
        let subscribe = json!({ "id": id.to_string(), "type": "subscribe",
            "payload": { "query": "subscription { articlePublished { slug title } }" } });
        ws.send(Message::text(subscribe.to_string())).await.unwrap();
    }
    tokio::spawn(async move {
        while let Some(Ok(message)) = ws.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let at = Instant::now();
            let value: Value = serde_json::from_str(&text).expect("JSON");
            match value["type"].as_str() {
                Some("next") => {
                    let slug = value["payload"]["data"]["articlePublished"]["slug"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    arrivals.lock().unwrap().push((slug, at));
                }
                Some("ping") => {
                    let _ = ws.send(Message::text(r#"{"type":"pong"}"#)).await;
                }
                _ => {}
            }
        }
    })
}

struct Writer {
    client: reqwest::Client,
    url: String,
    token: String,
    ids: HashMap<String, String>,
}

impl Writer {
    async fn post(&self, query: &str, variables: Value) -> Value {
        let body: Value = self
            .client
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("JSON");
        assert!(body.get("errors").is_none(), "{body}");
        body
    }

    /// Unpublishes and publishes `slug`: when the publish was sent and when it was answered.
    async fn republish(&self, slug: &str) -> (Instant, Instant) {
        let id = &self.ids[slug];
        self.post(
            "mutation($id: ID!) { unpublishArticle(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
        let sent = Instant::now();
        self.post(
            "mutation($id: ID!) { publishArticle(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
        (sent, Instant::now())
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1_000.0)
}

#[tokio::main]
async fn main() {
    let Ok(admin_url) = std::env::var("BENCH_DATABASE_URL") else {
        println!("set BENCH_DATABASE_URL to a Postgres server: the bench needs two replicas");
        return;
    };
    let articles = setting("BENCH_ARTICLES", 2_000) as usize;
    let connections = setting("BENCH_CONNECTIONS", 100) as usize;
    let per_connection = setting("BENCH_SUBSCRIPTIONS_PER_CONNECTION", 10) as usize;
    let publishes = setting("BENCH_PUBLISHES", 100) as usize;
    let seconds = setting("BENCH_SECONDS", 8);
    let subscriptions = connections * per_connection;

    let database = BenchDb::postgres(&admin_url).await;
    let conn = db::connect_and_migrate(&database.url)
        .await
        .expect("connect");
    bundle::import(&conn, &synthetic(0..articles), Ids::TimeOrdered)
        .await
        .expect("import");
    let (_, token) = tokens::create(&conn, "bench", tokens::Scope::Write)
        .await
        .expect("a token");
    let flags = [
        "--response-cache",
        "off",
        "--ws-max-connections-per-client",
        "10000",
        "--ws-max-subscriptions",
        "1000",
    ];
    let (mut a, a_address) = serve_with(&database.url, &flags);
    let (mut b, b_address) = serve_with(&database.url, &flags);

    // Published articles: every tenth synthetic article is a draft.
    let slugs: Vec<String> = (0..articles)
        .filter(|i| i % 10 != 0)
        .map(|i| format!("article-{i}"))
        .collect();
    let mut writer = Writer {
        client: reqwest::Client::new(),
        url: format!("http://{a_address}/graphql"),
        token,
        ids: HashMap::new(),
    };
    for slug in slugs.iter().take(publishes.max(200)) {
        let found = writer
            .post(
                "query($s: String!) { article(slug: $s) { id } }",
                json!({ "s": slug }),
            )
            .await;
        let id = found["data"]["article"]["id"].as_str().unwrap().to_owned();
        writer.ids.insert(slug.clone(), id);
    }

    let arrivals: Arrivals = Arc::default();
    let mut subscribers = Vec::new();
    for _ in 0..connections {
        subscribers.push(subscriber(&b_address, per_connection, arrivals.clone()).await);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!(
        "{} cores; {articles} articles; {subscriptions} subscriptions on replica B ({connections} connections × {per_connection}); writes through replica A; Postgres",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );

    // Latency.
    let mut written = Vec::new();
    for slug in slugs.iter().take(publishes) {
        let (sent, answered) = writer.republish(slug).await;
        written.push((slug.clone(), sent, answered));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = std::mem::take(&mut *arrivals.lock().unwrap());
    let by_slug: HashMap<&str, (Instant, Instant)> = written
        .iter()
        .map(|(s, sent, answered)| (s.as_str(), (*sent, *answered)))
        .collect();
    let (mut from_commit, mut from_send) = (Vec::new(), Vec::new());
    for (slug, at) in &got {
        if let Some((sent, answered)) = by_slug.get(slug.as_str()) {
            from_commit.push(at.saturating_duration_since(*answered));
            from_send.push(at.saturating_duration_since(*sent));
        }
    }
    from_commit.sort_unstable();
    from_send.sort_unstable();
    let expected = publishes * subscriptions;
    println!(
        "\nlatency, write through A to a subscriber on B: {} messages of {expected} expected",
        from_commit.len()
    );
    println!("| from | p50 | p90 | p99 | max |\n|---|---:|---:|---:|---:|");
    for (name, sorted) in [
        ("A's answer (after commit)", &from_commit),
        ("the mutation sent (upper bound)", &from_send),
    ] {
        println!(
            "| {name} | {} | {} | {} | {} |",
            ms(percentile(sorted, 0.50)),
            ms(percentile(sorted, 0.90)),
            ms(percentile(sorted, 0.99)),
            ms(sorted.last().copied().unwrap_or_default()),
        );
    }

    // Reads on B, with and without events flowing.
    // Read articles the writers never touch.
    let hot: Vec<&String> = slugs.iter().rev().take(500).collect();
    let query = "query($slug: String!) { article(slug: $slug) { id slug title summary body status publishedAt section tags { slug } keyPoints { text } quotes { text speaker { name } } } }";
    let requests: Arc<[Request]> = hot
        .iter()
        .map(|slug| {
            let body = json!({ "query": query, "variables": { "slug": slug } }).to_string();
            Request::graphql(&body, format!("\"slug\":\"{slug}\""))
        })
        .collect();
    let b_socket: SocketAddr = b_address.parse().expect("an address");
    let load = Load {
        concurrency: 32,
        warm_up: Duration::from_secs(1),
        measure: Duration::from_secs(seconds),
    };
    let mut rates: HashMap<&str, Vec<f64>> = HashMap::new();
    let mut publish_at = publishes;
    const QUIET: &str = "no writes";
    const EVENTS: &str = "writes, events to 1,000 subscriptions";
    const WRITES: &str = "writes, no subscriptions";
    for (round, name) in [QUIET, EVENTS, QUIET, EVENTS, WRITES, QUIET, WRITES]
        .into_iter()
        .enumerate()
    {
        if name == WRITES && !subscribers.is_empty() {
            for task in subscribers.drain(..) {
                task.abort();
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let flowing = name != QUIET;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let events = flowing.then(|| {
            let (stop, writer_slugs) = (stop.clone(), slugs[publish_at..publish_at + 200].to_vec());
            publish_at += 200;
            let writer = Writer {
                client: writer.client.clone(),
                url: writer.url.clone(),
                token: writer.token.clone(),
                ids: HashMap::new(),
            };
            tokio::spawn(async move {
                let mut writer = writer;
                let mut published = 0;
                for slug in writer_slugs.iter().cycle() {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    if !writer.ids.contains_key(slug) {
                        let found = writer
                            .post(
                                "query($s: String!) { article(slug: $s) { id } }",
                                json!({ "s": slug }),
                            )
                            .await;
                        let id = found["data"]["article"]["id"].as_str().unwrap().to_owned();
                        writer.ids.insert(slug.clone(), id);
                    }
                    let started = Instant::now();
                    writer.republish(slug).await;
                    published += 1;
                    tokio::time::sleep(
                        Duration::from_millis(200).saturating_sub(started.elapsed()),
                    )
                    .await;
                }
                published
            })
        });
        let requests = requests.clone();
        let outcome = tokio::task::spawn_blocking(move || load::run(b_socket, requests, load))
            .await
            .expect("the load generator");
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let published = match events {
            Some(task) => task.await.unwrap_or(0),
            None => 0,
        };
        assert_eq!(outcome.errors, 0, "{:?}", outcome.first_error);
        println!(
            "round {}: {name}: {:.0} requests/s, p99 {}{}",
            round + 1,
            outcome.requests_per_second,
            ms(percentile(&outcome.latencies, 0.99)),
            if flowing {
                format!(
                    ", {published} publications, {} messages",
                    arrivals.lock().unwrap().len()
                )
            } else {
                String::new()
            }
        );
        arrivals.lock().unwrap().clear();
        rates
            .entry(name)
            .or_default()
            .push(outcome.requests_per_second);
    }
    let mean = |name: &str| {
        let r = &rates[name];
        r.iter().sum::<f64>() / r.len() as f64
    };
    let quiet = mean(QUIET);
    println!("\nreads on B, requests/s (mean of the rounds):");
    println!("| while | requests/s | against no writes |\n|---|---:|---:|");
    for name in [QUIET, WRITES, EVENTS] {
        println!(
            "| {name} | {:.0} | {:+.1}% |",
            mean(name),
            (mean(name) / quiet - 1.0) * 100.0
        );
    }
    println!(
        "events' own cost to readers (with 1,000 subscriptions against without): {:+.1}%",
        (mean(EVENTS) / mean(WRITES) - 1.0) * 100.0
    );

    let _ = a.kill();
    let _ = b.kill();
    let _ = (a.wait(), b.wait());
    conn.close().await.ok();
    database.drop_database().await;
}
