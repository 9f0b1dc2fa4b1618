//! Import throughput: N synthetic articles of the seed article's shape, imported into a fresh
//! SQLite file and, when `BENCH_DATABASE_URL` names a Postgres server, into a fresh database
//! there; then imported again (all unchanged). Prints a table.
//!
//!     cargo bench --bench import                      # 10,000 articles, SQLite
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench import
//!     cargo bench --bench import -- 50000             # another size

use std::time::{Duration, Instant};

use content_api::{
    content::bundle::{self, Bundle},
    db,
};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const SEED: &str = include_str!("../fixtures/demo.json");

/// `n` articles shaped like the seed article: its ~4 KB body, 5 key points, 2 to 4 quotes from
/// a pool of 300 speakers, 2 to 3 links, 3 tags from a pool of 200; every tenth a draft.
fn synthetic(n: usize) -> Bundle {
    let seed: Value = serde_json::from_str(SEED).expect("seed JSON");
    let article = &seed["articles"][0];
    let speakers: Vec<Value> = (0..300)
        .map(|i| json!({ "slug": format!("speaker-{i}"), "name": format!("Speaker {i}"), "role": "Maintainer", "organization": "Example" }))
        .collect();
    let articles: Vec<Value> = (0..n)
        .map(|i| {
            let quotes: Vec<Value> = (0..2 + i % 3)
                .map(|q| json!({ "text": format!("Quote {q} of article {i}."), "speaker": format!("speaker-{}", (i * 7 + q * 13) % 300), "context": null }))
                .collect();
            let links: Vec<Value> = (0..2 + i % 2)
                .map(|l| json!({ "url": format!("https://example.com/{i}/{l}"), "title": format!("Link {l}"), "rel": "SOURCE" }))
                .collect();
            json!({
                "slug": format!("article-{i}"),
                "title": format!("Article {i}: {}", article["title"].as_str().unwrap_or_default()),
                "summary": article["summary"],
                "body": article["body"],
                "status": if i % 10 == 0 { "DRAFT" } else { "PUBLISHED" },
                "publishedAt": format!("2024-{:02}-{:02}T{:02}:{:02}:00Z", 1 + i % 12, 1 + i % 28, i % 24, i % 60),
                "publication": "digital-event-horizon",
                "author": "llama3-2-3b-q4-k-m",
                "section": article["section"],
                "canonicalUrl": format!("https://example.com/articles/{i}"),
                "tags": [format!("tag-{}", i % 200), format!("tag-{}", (i + 1) % 200), format!("tag-{}", (i + 2) % 200)],
                "keyPoints": article["keyPoints"],
                "quotes": quotes,
                "relatedLinks": links,
                "copyright": article["copyright"],
            })
        })
        .collect();
    let bundle = json!({
        "version": 1,
        "publications": seed["publications"],
        "authors": seed["authors"],
        "speakers": speakers,
        "articles": articles,
    });
    bundle::parse(&bundle.to_string()).expect("a valid bundle")
}

struct Row {
    backend: &'static str,
    first: Duration,
    again: Duration,
}

async fn measure(backend: &'static str, url: &str, bundle: &Bundle) -> Row {
    let conn = db::connect_and_migrate(url).await.expect("connect");
    let start = Instant::now();
    let report = bundle::import(&conn, bundle).await.expect("import");
    let first = start.elapsed();
    assert_eq!(report.articles.created, bundle.articles.len());
    let start = Instant::now();
    let report = bundle::import(&conn, bundle).await.expect("import again");
    let again = start.elapsed();
    assert_eq!(report.articles.unchanged, bundle.articles.len());
    conn.close().await.ok();
    Row {
        backend,
        first,
        again,
    }
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let start = Instant::now();
    let bundle = synthetic(n);
    let json = serde_json::to_string(&bundle).expect("serialize");
    println!(
        "{n} articles, {:.1} MB of JSON (generated and parsed in {:.2?})",
        json.len() as f64 / 1e6,
        start.elapsed()
    );

    let mut rows = Vec::new();
    let dir = tempfile::tempdir().expect("temporary directory");
    let sqlite = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    rows.push(measure("SQLite", &sqlite, &bundle).await);

    if let Ok(admin_url) = std::env::var("BENCH_DATABASE_URL") {
        let name = format!("content_api_bench_{}", uuid::Uuid::now_v7().simple());
        let admin = db::connect(&admin_url)
            .await
            .expect("BENCH_DATABASE_URL reachable");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create");
        let mut url = url::Url::parse(&admin_url).expect("a URL");
        url.set_path(&name);
        rows.push(measure("Postgres", url.as_str(), &bundle).await);
        admin
            .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
            .await
            .expect("drop");
    }

    println!("\n| backend  | first import | articles/s | again (unchanged) |");
    println!("|----------|--------------|------------|-------------------|");
    for r in rows {
        println!(
            "| {:<8} | {:>10.2?} | {:>10.0} | {:>17.2?} |",
            r.backend,
            r.first,
            n as f64 / r.first.as_secs_f64(),
            r.again
        );
    }
}
