//! Read throughput (issue 4): how many article pages and front pages the release server
//! (`content-api serve`) answers per second, with its response cache off and on, beside the
//! ceiling of a bare actix-web server on the same machine.
//!
//!     cargo bench --bench throughput                     # SQLite
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench throughput
//!
//! Environment: `BENCH_ARTICLES` (default 10,000), `BENCH_CONCURRENCY` (32 connections),
//! `BENCH_SECONDS` (10, measured after a 2 s warm-up) per row.
//!
//! N synthetic articles of the seed article's shape (benches/support: a ~4 KB body, 5 key
//! points, 2 to 4 quotes from 300 speakers, 2 to 3 links, 3 tags, every tenth a draft) are
//! imported into a fresh SQLite file and, with `BENCH_DATABASE_URL`, a fresh Postgres database.
//! For each backend the server is started twice, with `--response-cache off` ("uncached") and
//! `on` ("cached"), each over the same database, and driven with two anonymous
//! `POST /graphql` queries that ask for every field an article page shows:
//!
//! - **detail**: `article(slug:)`, cycling over the slugs of the 1,000 newest published
//!   articles. A news site's readers are mostly on its recent stories, so a cache sized for
//!   them is the case that matters, not a uniform walk through the archive.
//! - **detail (HTML body)**: the same, with the body as sanitized HTML, which is rendered when
//!   an article is written: it should cost what the Markdown does.
//! - **list**: `articles(first: 20)` with the same fields: pages 1 to 5 of the newest
//!   articles (`after` the cursors of articles 20, 40, 60, 80) and the first page of 5 tags,
//!   cycled: the front page, its next pages and some section pages.
//!
//! Requests/s, p50 and p99 latency, and errors (anything but a 200 with the expected data
//! and no `errors`) come from a load generator written for this (benches/support/load.rs):
//! raw HTTP/1.1 keep-alive connections from 2 threads, like `wrk -t2 -c32`.
//! Statements/request is the growth of `content_api_db_statements_total` on `/metrics` over a
//! row (its warm-up included) divided by the requests sent; peak RSS is the server's `VmHWM`
//! after the row, since that server started. The **ceiling** rows replay the bytes the real
//! server answered (one detail, one list) from a bare actix-web server with 2 workers in this
//! process, driven the same way: what HTTP and the generator alone cost here. The server, the
//! database and the generator share the machine's cores.

mod support;

use std::{
    net::SocketAddr,
    process::Child,
    sync::Arc,
    time::{Duration, Instant},
};

use content_api::content::ids::Ids;
use content_api::{content::bundle, db};
use serde_json::{Value, json};
use support::{
    BenchDb,
    load::{self, Load, Outcome, Request},
    peak_rss_mb, percentile,
    replay::Replay,
    serve_takes, serve_with, synthetic,
};

/// Every field of an article, nested objects included, as an article page asks for it. A tag
/// has nothing but its slug to show (`articleCount` is a count over the archive, which a page
/// does not show beside each article).
const ARTICLE: &str = "id slug title summary body status publishedAt createdAt updatedAt section \
    canonicalUrl wordCount readingTimeMinutes author { slug name kind } \
    publication { slug name url sponsorMessage links { label url } } tags { slug } \
    keyPoints { position text } \
    quotes { position text context speaker { slug name role organization } } \
    relatedLinks { position url title rel } copyright { holder notice year license }";

/// How many of the newest published articles the detail query cycles over.
const HOT_ARTICLES: usize = 1_000;
/// Pages of the newest articles, and tags, the list query cycles over.
const LIST_PAGES: usize = 5;
const LIST_TAGS: usize = 5;

/// The detail query, with the body as Markdown, or as HTML (rendered when the article was
/// written, so it should cost what Markdown costs).
fn detail_query(html: bool) -> String {
    let article = if html {
        ARTICLE.replacen("body ", "body(format: HTML) ", 1)
    } else {
        ARTICLE.to_owned()
    };
    format!("query Detail($slug: String!) {{ article(slug: $slug) {{ {article} }} }}")
}

fn list_query() -> String {
    format!(
        "query List($after: String, $tag: String) {{ articles(first: 20, after: $after, \
         filter: {{ tag: $tag }}) {{ nodes {{ {ARTICLE} }} pageInfo {{ hasNextPage endCursor }} }} }}"
    )
}

/// A request body and what its answer must contain.
#[derive(Clone)]
struct Call {
    body: String,
    expect: String,
}

impl Call {
    fn request(&self) -> Request {
        Request::graphql(&self.body, &self.expect)
    }
}

fn requests(calls: &[Call]) -> Arc<[Request]> {
    calls.iter().map(Call::request).collect()
}

/// The queries' requests for one database.
struct Workload {
    detail: Vec<Call>,
    detail_html: Vec<Call>,
    list: Vec<Call>,
}

impl Workload {
    /// Asks the server for the newest published articles (anonymous readers see only those):
    /// their slugs for the detail query, and page cursors for the list query.
    async fn discover(address: SocketAddr) -> Self {
        const NEWEST: &str = "query Newest($after: String) { articles(first: 100, after: $after) { edges { cursor node { slug } } } }";
        let (mut slugs, mut cursors) = (Vec::new(), Vec::new());
        let mut after = Value::Null;
        while slugs.len() < HOT_ARTICLES {
            let body = json!({ "query": NEWEST, "variables": { "after": after } }).to_string();
            let page = fetch_json(
                address,
                &Call {
                    body,
                    expect: "\"edges\"".into(),
                },
            )
            .await;
            let edges = page["data"]["articles"]["edges"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let Some(last) = edges.last() else { break };
            after = last["cursor"].clone();
            for edge in &edges {
                slugs.push(edge["node"]["slug"].as_str().expect("a slug").to_owned());
                cursors.push(edge["cursor"].clone());
            }
        }
        slugs.truncate(HOT_ARTICLES);
        let detail = |html: bool| {
            slugs
                .iter()
                .map(|slug| Call {
                    body: json!({ "query": detail_query(html), "variables": { "slug": slug } })
                        .to_string(),
                    expect: format!("\"slug\":\"{slug}\""),
                })
                .collect()
        };
        let list_call = |variables: Value| Call {
            body: json!({ "query": list_query(), "variables": variables }).to_string(),
            // A page with at least one article, wherever in the answer `nodes` comes.
            expect: "\"nodes\":[{".into(),
        };
        let pages = (0..LIST_PAGES).filter_map(|page| match page {
            0 => Some(json!({})),
            _ => cursors
                .get(page * 20 - 1)
                .map(|cursor| json!({ "after": cursor })),
        });
        let tags = (0..LIST_TAGS).map(|t| json!({ "tag": format!("tag-{t}") }));
        Self {
            detail: detail(false),
            detail_html: detail(true),
            list: pages.chain(tags).map(list_call).collect(),
        }
    }
}

/// One request, once; panics unless it is answered well.
async fn fetch(address: SocketAddr, call: &Call) -> Vec<u8> {
    let request = call.request();
    let (status, body) = load::fetch(address, &request)
        .await
        .expect("the server answers");
    assert!(
        request.answered_by(status, &body),
        "unexpected answer ({status}) to {}: {}",
        call.body,
        String::from_utf8_lossy(&body[..body.len().min(500)])
    );
    body
}

async fn fetch_json(address: SocketAddr, call: &Call) -> Value {
    serde_json::from_slice(&fetch(address, call).await).expect("a JSON answer")
}

/// The release server, killed when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
}

impl Server {
    fn start(url: &str, flags: &[&str]) -> Self {
        let (child, address) = serve_with(url, flags);
        Self {
            child,
            address: address.parse().expect("a socket address"),
        }
    }

    /// `content_api_db_statements_total` from `/metrics`.
    async fn statements(&self) -> Option<f64> {
        let (_, body) = load::fetch(self.address, &Request::get("/metrics"))
            .await
            .ok()?;
        String::from_utf8_lossy(&body).lines().find_map(|line| {
            line.strip_prefix("content_api_db_statements_total ")?
                .trim()
                .parse()
                .ok()
        })
    }

    fn peak_rss_mb(&self) -> Option<f64> {
        peak_rss_mb(self.child.id())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Row {
    backend: &'static str,
    cache: &'static str,
    query: &'static str,
    outcome: Outcome,
    statements_per_request: Option<f64>,
    peak_rss_mb: Option<f64>,
}

/// The answers the ceiling replays: one detail and one list, with the calls that asked.
struct Captured {
    detail: (Call, Vec<u8>),
    list: (Call, Vec<u8>),
}

async fn capture(address: SocketAddr, call: &Call) -> (Call, Vec<u8>) {
    (call.clone(), fetch(address, call).await)
}

/// Imports `bundle` into `database`, then measures both queries under each cache mode.
async fn measure_backend(
    backend: &'static str,
    database: &BenchDb,
    bundle: &bundle::Bundle,
    modes: &[(&'static str, &[&str])],
    load: Load,
) -> (Vec<Row>, Captured) {
    let started = Instant::now();
    let conn = db::connect_and_migrate(&database.url)
        .await
        .expect("connect");
    bundle::import(&conn, bundle, Ids::TimeOrdered)
        .await
        .expect("import");
    conn.close().await.ok();
    println!(
        "{backend}: imported {} articles in {:.1?}",
        bundle.articles.len(),
        started.elapsed()
    );
    let (mut rows, mut prepared) = (Vec::new(), None);
    for &(cache, flags) in modes {
        let server = Server::start(&database.url, flags);
        if prepared.is_none() {
            let workload = Workload::discover(server.address).await;
            let captured = Captured {
                detail: capture(server.address, &workload.detail[0]).await,
                list: capture(server.address, &workload.list[0]).await,
            };
            prepared = Some((workload, captured));
        }
        let (workload, _) = prepared.as_ref().expect("prepared above");
        for (query, calls) in [
            ("detail", &workload.detail),
            ("detail (HTML body)", &workload.detail_html),
            ("list", &workload.list),
        ] {
            let before = server.statements().await;
            let outcome = drive(server.address, requests(calls), load).await;
            let after = server.statements().await;
            let statements_per_request = before
                .zip(after)
                .map(|(before, after)| (after - before) / outcome.sent.max(1) as f64);
            rows.push(Row {
                backend,
                cache,
                query,
                outcome,
                statements_per_request,
                peak_rss_mb: server.peak_rss_mb(),
            });
        }
    }
    let (_, captured) = prepared.expect("at least one cache mode");
    (rows, captured)
}

/// The load generator, on threads of its own.
async fn drive(address: SocketAddr, requests: Arc<[Request]>, load: Load) -> Outcome {
    tokio::task::spawn_blocking(move || load::run(address, requests, load))
        .await
        .expect("the load generator")
}

/// The bare actix-web server replaying `captured`, driven as the real one was.
async fn measure_ceiling(captured: &Captured, load: Load) -> Vec<Row> {
    let mut rows = Vec::new();
    for (query, (call, answer)) in [("detail", &captured.detail), ("list", &captured.list)] {
        let replay = Replay::start(answer.clone());
        let outcome = drive(replay.address, requests(std::slice::from_ref(call)), load).await;
        replay.stop().await;
        rows.push(Row {
            backend: "ceiling",
            cache: "-",
            query,
            outcome,
            statements_per_request: None,
            peak_rss_mb: None,
        });
    }
    rows
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn print_table(rows: &[Row]) {
    let or_dash = |v: Option<f64>, digits: usize| {
        v.map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
    };
    println!(
        "\n| backend | cache | query | requests/s | p50 | p99 | errors | statements/request | peak RSS MB |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let latencies = &row.outcome.latencies;
        println!(
            "| {} | {} | {} | {:.0} | {} | {} | {} | {} | {} |",
            row.backend,
            row.cache,
            row.query,
            row.outcome.requests_per_second,
            millis(percentile(latencies, 0.5)),
            millis(percentile(latencies, 0.99)),
            row.outcome.errors,
            or_dash(row.statements_per_request, 2),
            or_dash(row.peak_rss_mb, 0),
        );
    }
    for row in rows {
        if let Some(error) = &row.outcome.first_error {
            println!(
                "\n{} {} {}: first error: {error}",
                row.backend, row.cache, row.query
            );
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let articles = setting("BENCH_ARTICLES", 10_000) as usize;
    let load = Load {
        concurrency: setting("BENCH_CONCURRENCY", 32) as usize,
        warm_up: Duration::from_secs(2),
        measure: Duration::from_secs(setting("BENCH_SECONDS", 10)),
    };
    println!(
        "{} cores ({}); {articles} articles; {} connections; {:?} per row after a {:?} warm-up",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        load.concurrency,
        load.measure,
        load.warm_up,
    );
    let modes: &[(&str, &[&str])] = if serve_takes("--response-cache") {
        &[
            ("uncached", &["--response-cache", "off"]),
            ("cached", &["--response-cache", "on"]),
        ]
    } else {
        println!("`content-api serve` has no --response-cache yet: the cached rows are skipped");
        &[("uncached", &[])]
    };
    let bundle = synthetic(0..articles);

    let sqlite = BenchDb::sqlite();
    let (mut rows, captured) = measure_backend("SQLite", &sqlite, &bundle, modes, load).await;
    sqlite.drop_database().await;
    if let Ok(admin_url) = std::env::var("BENCH_DATABASE_URL") {
        let postgres = BenchDb::postgres(&admin_url).await;
        rows.extend(
            measure_backend("Postgres", &postgres, &bundle, modes, load)
                .await
                .0,
        );
        postgres.drop_database().await;
    }
    println!(
        "answers: detail {:.1} KB, list {:.1} KB",
        captured.detail.1.len() as f64 / 1024.0,
        captured.list.1.len() as f64 / 1024.0
    );
    rows.extend(measure_ceiling(&captured, load).await);
    print_table(&rows);
}
