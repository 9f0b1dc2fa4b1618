//! What hostile requests cost: the release server over 1,000 synthetic articles (SQLite, and
//! Postgres when `BENCH_DATABASE_URL` is set) answers readers of the nested article query
//! from 8 concurrent clients, first alone, then while each hostile request of issue 5 is sent
//! 20 times. Prints, per hostile request, its answer (status and code) and its latency, and the
//! readers' p50/p99 and errors beside them.
//!
//!     cargo bench --bench hostile
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench hostile

mod support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use content_api::content::ids::Ids;
use content_api::{content::bundle, db};
use serde_json::{Value, json};
use support::{BenchDb, percentile, serve, synthetic};

const ARTICLES: usize = 1_000;
const READERS: usize = 8;
const TRIES: usize = 20;

const DETAIL: &str = "query($slug: String) { article(slug: $slug) { slug title body(format: HTML) keyPoints { text } quotes { text speaker { name role organization } } relatedLinks { url title rel } copyright { holder notice year license } author { name } tags { slug } } }";

/// A hostile request: what it is, and its body.
fn hostile() -> Vec<(&'static str, Vec<u8>)> {
    let query = |q: String| json!({ "query": q }).to_string().into_bytes();
    let aliases = |n: usize| {
        let fields: Vec<String> = (0..n).map(|i| format!("a{i}: __typename")).collect();
        format!("{{ {} }}", fields.join(" "))
    };
    let doubling: Vec<String> = (0..40)
        .map(|i| format!("fragment F{i} on Query {{ ...F{} ...F{} }}", i + 1, i + 1))
        .collect();
    vec![
        ("nested 200 deep", query(format!("{}{}", "{a".repeat(200), "}".repeat(200)))),
        ("nested 20,000 deep", query(format!("{}{}", "{a".repeat(20_000), "}".repeat(20_000)))),
        ("1,000 aliases", query(aliases(1_000))),
        ("5,000 aliases", query(aliases(5_000))),
        (
            "fragment doubling 40 levels",
            query(format!(
                "query {{ ...F0 }} {} fragment F40 on Query {{ __typename }}",
                doubling.join(" ")
            )),
        ),
        ("200 directives", query(format!("{{ __typename {} }}", "@include(if: true) ".repeat(200)))),
        (
            "pages of pages (100 x 100)",
            query("{ speakers(first: 100) { nodes { quotes(first: 100) { nodes { text article { slug title summary } } } } } }".to_owned()),
        ),
        ("a 100 KB document", query(format!("{{ {} }}", "__typename ".repeat(10_000)))),
        (
            "a 10 MB body",
            format!(r#"{{"query":"{{ __typename }}","variables":{{"x":"{}"}}}}"#, "x".repeat(10 << 20)).into_bytes(),
        ),
        (
            "a batch of 1,000",
            Value::Array(vec![json!({ "query": "{ __typename }" }); 1_000]).to_string().into_bytes(),
        ),
    ]
}

/// Readers until `stop`: each request's latency, and the requests that failed.
async fn readers(
    endpoint: Arc<str>,
    slugs: Arc<Vec<String>>,
    stop: Arc<AtomicBool>,
) -> (Vec<Duration>, usize) {
    let client = reqwest::Client::new();
    let tasks: Vec<_> = (0..READERS)
        .map(|r| {
            let (client, endpoint, slugs, stop) = (
                client.clone(),
                endpoint.clone(),
                slugs.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0);
                let mut i = r;
                while !stop.load(Ordering::Relaxed) {
                    let sent = Instant::now();
                    let body =
                        json!({ "query": DETAIL, "variables": { "slug": slugs[i % slugs.len()] } });
                    let ok = match client.post(&*endpoint).json(&body).send().await {
                        Ok(r) if r.status().is_success() => {
                            r.json::<Value>().await.is_ok_and(|b| {
                                b.get("errors").is_none() && b["data"]["article"].is_object()
                            })
                        }
                        _ => false,
                    };
                    latencies.push(sent.elapsed());
                    errors += usize::from(!ok);
                    i += READERS;
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (l, e) = task.await.expect("a reader");
        latencies.extend(l);
        errors += e;
    }
    latencies.sort();
    (latencies, errors)
}

async fn run(backend: &str, database: &BenchDb) {
    let conn = db::connect_and_migrate(&database.url)
        .await
        .expect("connect");
    let bundle = synthetic(0..ARTICLES);
    let slugs: Vec<String> = bundle
        .articles
        .iter()
        .filter(|a| matches!(a.status, content_api::content::ArticleStatus::Published))
        .map(|a| a.slug.clone())
        .collect();
    bundle::import(&conn, &bundle, Ids::TimeOrdered)
        .await
        .expect("import");
    conn.close().await.ok();
    let (mut child, address) = serve(&database.url);
    let endpoint: Arc<str> = format!("http://{address}/graphql").into();
    let slugs = Arc::new(slugs);

    // Readers alone, for comparison.
    let stop = Arc::new(AtomicBool::new(false));
    let alone = tokio::spawn(readers(endpoint.clone(), slugs.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let (alone, alone_errors) = alone.await.expect("readers");

    let stop = Arc::new(AtomicBool::new(false));
    let busy = tokio::spawn(readers(endpoint.clone(), slugs.clone(), stop.clone()));
    let client = reqwest::Client::new();
    println!(
        "\n{backend}: {READERS} readers of the nested article query; each hostile request sent {TRIES} times among them\n"
    );
    println!("| hostile request | answer | p50 | slowest |");
    println!("|---|---|---|---|");
    for (what, body) in hostile() {
        let mut latencies = Vec::new();
        let mut answer = String::new();
        for _ in 0..TRIES {
            let sent = Instant::now();
            let response = client
                .post(&*endpoint)
                .header("content-type", "application/json")
                .header("accept", "application/graphql-response+json")
                .body(body.clone())
                .send()
                .await;
            answer = match response {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let body: Value = r.json().await.unwrap_or(Value::Null);
                    let error = &body["errors"][0]["extensions"];
                    let limit = error["limit"]
                        .as_str()
                        .map(|l| format!(" ({l})"))
                        .unwrap_or_default();
                    format!("{status} {}{limit}", error["code"].as_str().unwrap_or("-"))
                }
                Err(err) => format!("no answer: {err}"),
            };
            latencies.push(sent.elapsed());
        }
        latencies.sort();
        println!(
            "| {what} | {answer} | {:.1?} | {:.1?} |",
            percentile(&latencies, 0.5),
            latencies[latencies.len() - 1]
        );
    }
    stop.store(true, Ordering::Relaxed);
    let (busy, busy_errors) = busy.await.expect("readers");
    println!("\n| readers | requests | p50 | p99 | errors |");
    println!("|---|---|---|---|---|");
    for (when, l, e) in [
        ("alone", &alone, alone_errors),
        ("beside the hostile requests", &busy, busy_errors),
    ] {
        println!(
            "| {when} | {} | {:.1?} | {:.1?} | {e} |",
            l.len(),
            percentile(l, 0.5),
            percentile(l, 0.99)
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::main]
async fn main() {
    let sqlite = BenchDb::sqlite();
    run("SQLite", &sqlite).await;
    sqlite.drop_database().await;
    if let Ok(admin_url) = std::env::var("BENCH_DATABASE_URL") {
        let postgres = BenchDb::postgres(&admin_url).await;
        run("Postgres", &postgres).await;
        postgres.drop_database().await;
    }
}
