//! Search throughput: N synthetic articles (benches/support) imported into a fresh SQLite file
//! and, when `BENCH_DATABASE_URL` names a Postgres server, into a fresh database there; then
//! the release server (`content-api serve`) answers search queries from 32 concurrent
//! clients for a few seconds each. Prints a table: requests/s, p50 and p99 latency, errors.
//!
//! The response cache is off: every request runs the search. The server keeps a search's
//! ranking until the next write, so the first request of each row (printed on its own) ranks
//! and the rest reuse its ranking, checking visibility and reading documents each time.
//!
//!     cargo bench --bench search                            # 10,000 articles, SQLite
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench search
//!     cargo bench --bench search -- 10000 100000            # several sizes
//!
//! Environment: `BENCH_SECONDS` (default 5) per query, `BENCH_CONCURRENCY` (default 32),
//! `BENCH_KEEP=1` keeps the databases (and prints their URLs) to look at query plans;
//! `BENCH_REUSE_SQLITE=URL` and `BENCH_REUSE_POSTGRES=URL` search kept databases again without
//! importing (give the size they hold).

mod support;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use content_api::content::ids::Ids;
use content_api::{content::bundle, db};
use serde_json::{Value, json};
use support::{BenchDb, peak_rss_mb, percentile, serve_with, synthetic, topic_word, topic_words};

/// Articles imported per transaction.
const IMPORT_CHUNK: usize = 10_000;

/// A results page as a search frontend asks for it: 20 hits with their snippets.
const ARTICLES: &str = "query($q: String!) { articles(first: 20, filter: { search: $q }) { nodes { slug title summary publishedAt searchSnippet } pageInfo { hasNextPage endCursor } } }";
/// The same page for a search box that asks as the reader types.
const TYPED: &str = "query($q: String!) { articles(first: 20, filter: { search: $q, prefix: true }) { nodes { slug title summary publishedAt searchSnippet } pageInfo { hasNextPage endCursor } } }";
const QUOTES: &str = "query($q: String!) { quotes(first: 20, filter: { search: $q }) { nodes { text searchSnippet speaker { name } article { slug title } } } }";
const COUNT_ARTICLES: &str =
    "query($q: String!) { articles(first: 0, filter: { search: $q }) { totalCount } }";
const COUNT_TYPED: &str = "query($q: String!) { articles(first: 0, filter: { search: $q, prefix: true }) { totalCount } }";
const COUNT_QUOTES: &str =
    "query($q: String!) { quotes(first: 0, filter: { search: $q }) { totalCount } }";

struct Search {
    name: &'static str,
    query: &'static str,
    count: &'static str,
    text: String,
}

fn searches() -> Vec<Search> {
    let article = |name, text: String| Search {
        name,
        query: ARTICLES,
        count: COUNT_ARTICLES,
        text,
    };
    vec![
        article("one topic word", topic_word(77)),
        // Two words of one article: a narrow search.
        article("two topic words", topic_words(4242)[..2].join(" ")),
        article("phrase from a quote", "\"quote 1 of article 4242\"".into()),
        article("word in every article", "kernel".into()),
        // Search as you type: two letters that start a word in most articles, and a name
        // being typed.
        Search {
            name: "typed: two letters",
            query: TYPED,
            count: COUNT_TYPED,
            text: "ka".into(),
        },
        Search {
            name: "typed: \"speaker 12\"",
            query: TYPED,
            count: COUNT_TYPED,
            text: "speaker 12".into(),
        },
        Search {
            name: "quotes by speaker name",
            query: QUOTES,
            count: COUNT_QUOTES,
            text: "speaker 17".into(),
        },
    ]
}

struct Row {
    backend: &'static str,
    articles: usize,
    search: &'static str,
    matches: u64,
    /// The first request of the search, alone: the one that ranks.
    first: Duration,
    requests_per_second: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
}

async fn post(client: &reqwest::Client, endpoint: &str, query: &str, text: &str) -> Option<Value> {
    let response = client
        .post(endpoint)
        .json(&json!({ "query": query, "variables": { "q": text } }))
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    let body: Value = response.json().await.ok()?;
    body.get("errors").is_none().then_some(body)
}

/// Requests from `concurrency` clients for `duration`: each one's latency, and the errors.
async fn drive(
    endpoint: &str,
    search: &Search,
    concurrency: usize,
    duration: Duration,
) -> (Vec<Duration>, usize, Duration) {
    let client = reqwest::Client::new();
    let endpoint: Arc<str> = endpoint.into();
    let text: Arc<str> = search.text.as_str().into();
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, endpoint, text, query) =
                (client.clone(), endpoint.clone(), text.clone(), search.query);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    if post(&client, &endpoint, query, &text).await.is_none() {
                        errors += 1;
                    }
                    latencies.push(sent.elapsed());
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await.expect("a client task");
        latencies.extend(l);
        errors += e;
    }
    (latencies, errors, start.elapsed())
}

async fn measure(
    backend: &'static str,
    database: &BenchDb,
    n: usize,
    concurrency: usize,
    duration: Duration,
) -> (Vec<Row>, Option<f64>, Duration) {
    let conn = db::connect_and_migrate(&database.url)
        .await
        .expect("connect");
    let start = Instant::now();
    let imported = if database.imported { 0 } else { n };
    for from in (0..imported).step_by(IMPORT_CHUNK) {
        let chunk = synthetic(from..(from + IMPORT_CHUNK).min(n));
        bundle::import(&conn, &chunk, Ids::TimeOrdered)
            .await
            .expect("import");
    }
    let import_time = start.elapsed();
    conn.close().await.ok();

    let (mut server, address) = serve_with(&database.url, &["--response-cache", "off"]);
    let endpoint = format!("http://{address}/graphql");
    let client = reqwest::Client::new();
    let mut rows = Vec::new();
    for search in searches() {
        let counted = post(&client, &endpoint, search.count, &search.text)
            .await
            .expect("the count query succeeds");
        let matches = counted["data"]
            .as_object()
            .and_then(|d| d.values().next())
            .and_then(|c| c["totalCount"].as_u64())
            .unwrap_or_default();
        // The first request ranks the search; the server keeps its ranking until a write.
        let sent = Instant::now();
        post(&client, &endpoint, search.query, &search.text)
            .await
            .expect("the first search succeeds");
        let first = sent.elapsed();
        // Warm up: the first requests fill caches and the pool.
        drive(&endpoint, &search, concurrency, Duration::from_millis(500)).await;
        let (mut latencies, errors, elapsed) =
            drive(&endpoint, &search, concurrency, duration).await;
        latencies.sort_unstable();
        rows.push(Row {
            backend,
            articles: n,
            search: search.name,
            matches,
            first,
            requests_per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
            p50: percentile(&latencies, 0.50),
            p99: percentile(&latencies, 0.99),
            errors,
        });
    }
    let rss = peak_rss_mb(server.id());
    server.kill().ok();
    server.wait().ok();
    (rows, rss, import_time)
}

#[tokio::main]
async fn main() {
    let mut sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        sizes.push(10_000);
    }
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let concurrency: usize = std::env::var("BENCH_CONCURRENCY")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    let duration = Duration::from_secs(seconds);
    let postgres = std::env::var("BENCH_DATABASE_URL").ok();

    let mut rows = Vec::new();
    for &n in &sizes {
        let reuse = |name| std::env::var(name).ok().map(BenchDb::existing);
        let mut backends: Vec<(&'static str, BenchDb)> = vec![(
            "SQLite",
            reuse("BENCH_REUSE_SQLITE").unwrap_or_else(BenchDb::sqlite),
        )];
        if let Some(database) = reuse("BENCH_REUSE_POSTGRES") {
            backends.push(("Postgres", database));
        } else if let Some(admin_url) = &postgres {
            backends.push(("Postgres", BenchDb::postgres(admin_url).await));
        }
        for (backend, database) in backends {
            let (measured, rss, import_time) =
                measure(backend, &database, n, concurrency, duration).await;
            let imported = if database.imported {
                "reused as it was".to_owned()
            } else {
                format!("imported and indexed in {import_time:.1?}")
            };
            println!(
                "{backend}, {n} articles: {imported}; server peak RSS {}",
                rss.map_or("unknown".into(), |mb| format!("{mb:.0} MB"))
            );
            rows.extend(measured);
            if std::env::var_os("BENCH_KEEP").is_some() {
                println!("kept: {}", database.keep());
            } else {
                database.drop_database().await;
            }
        }
    }

    println!(
        "\n{concurrency} concurrent clients, {seconds} s per row; a request asks for 20 hits (articles with snippets)\n"
    );
    println!(
        "| backend  | articles | search                 | matches | first request | requests/s |      p50 |      p99 | errors |"
    );
    println!(
        "|----------|----------|------------------------|---------|---------------|------------|----------|----------|--------|"
    );
    for r in rows {
        println!(
            "| {:<8} | {:>8} | {:<22} | {:>7} | {:>13.1?} | {:>10.0} | {:>8.1?} | {:>8.1?} | {:>6} |",
            r.backend,
            r.articles,
            r.search,
            r.matches,
            r.first,
            r.requests_per_second,
            r.p50,
            r.p99,
            r.errors
        );
    }
}
