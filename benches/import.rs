//! Import throughput: N synthetic articles of the seed article's shape (benches/support), imported into a fresh
//! SQLite file and, when `BENCH_DATABASE_URL` names a Postgres server, into a fresh database
//! there; then imported again (all unchanged). Prints a table.
//!
//!     cargo bench --bench import                      # 10,000 articles, SQLite
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench import
//!     cargo bench --bench import -- 50000             # another size

use std::time::{Duration, Instant};

mod support;

use content_api::content::ids::Ids;
use content_api::{
    content::bundle::{self, Bundle},
    db,
};
use support::{BenchDb, synthetic};

struct Row {
    backend: &'static str,
    first: Duration,
    again: Duration,
}

async fn measure(backend: &'static str, url: &str, bundle: &Bundle) -> Row {
    let conn = db::connect_and_migrate(url).await.expect("connect");
    let start = Instant::now();
    let report = bundle::import(&conn, bundle, Ids::TimeOrdered)
        .await
        .expect("import");
    let first = start.elapsed();
    assert_eq!(report.articles.created, bundle.articles.len());
    let start = Instant::now();
    let report = bundle::import(&conn, bundle, Ids::TimeOrdered)
        .await
        .expect("import again");
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
    let bundle = synthetic(0..n);
    let json = serde_json::to_string(&bundle).expect("serialize");
    println!(
        "{n} articles, {:.1} MB of JSON (generated and parsed in {:.2?})",
        json.len() as f64 / 1e6,
        start.elapsed()
    );

    let mut rows = Vec::new();
    let sqlite = BenchDb::sqlite();
    rows.push(measure("SQLite", &sqlite.url, &bundle).await);
    if let Ok(admin_url) = std::env::var("BENCH_DATABASE_URL") {
        let postgres = BenchDb::postgres(&admin_url).await;
        rows.push(measure("Postgres", &postgres.url, &bundle).await);
        postgres.drop_database().await;
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
