//! What the benchmarks share: synthetic content of the seed article's shape, a fresh database
//! to put it in, and the release server to measure.

#![allow(dead_code)] // each benchmark uses its own part

pub mod load;
pub mod replay;

use std::{
    io::{BufRead, BufReader},
    ops::Range,
    process::{Child, Command, Stdio},
    time::Duration,
};

use content_api::{
    content::bundle::{self, Bundle},
    db,
};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const SEED: &str = include_str!("../../fixtures/demo.json");

/// Syllables of the made-up topic words: 8 × 8 × 8 = 512 words, so one topic word is in about
/// 2% of articles (12 per article), as a story's distinctive words would be.
const SYLLABLES: [&str; 8] = ["ka", "lo", "mi", "ra", "to", "ve", "nu", "si"];

/// Topic word `k` (mod 512).
pub fn topic_word(k: usize) -> String {
    let k = k % 512;
    format!(
        "{}{}{}",
        SYLLABLES[k / 64],
        SYLLABLES[(k / 8) % 8],
        SYLLABLES[k % 8]
    )
}

/// The 12 topic words of article `i`.
pub fn topic_words(i: usize) -> Vec<String> {
    (0..12)
        .map(|t| topic_word(i.wrapping_mul(2_654_435_761).wrapping_add(t * 97) >> 3))
        .collect()
}

/// Article `i` of the synthetic archive: the seed article's ~4 KB body plus a paragraph of
/// topic words, 5 key points, 2 to 4 quotes from a pool of 300 speakers, 2 to 3 links, 3 tags
/// from a pool of 200; every tenth a draft. Deterministic.
fn article(seed: &Value, i: usize) -> Value {
    let article = &seed["articles"][0];
    let quotes: Vec<Value> = (0..2 + i % 3)
        .map(|q| json!({ "text": format!("Quote {q} of article {i}."), "speaker": format!("speaker-{}", (i * 7 + q * 13) % 300), "context": null }))
        .collect();
    let links: Vec<Value> = (0..2 + i % 2)
        .map(|l| json!({ "url": format!("https://example.com/{i}/{l}"), "title": format!("Link {l}"), "rel": "SOURCE" }))
        .collect();
    let topics = topic_words(i);
    json!({
        "slug": format!("article-{i}"),
        "title": format!("Article {i}: {}", article["title"].as_str().unwrap_or_default()),
        "summary": article["summary"],
        "body": format!("{}\n\nTopics: {}.", article["body"].as_str().unwrap_or_default(), topics.join(" ")),
        "status": if i.is_multiple_of(10) { "DRAFT" } else { "PUBLISHED" },
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
}

/// The articles `range` of the synthetic archive, with everything they refer to.
pub fn synthetic(range: Range<usize>) -> Bundle {
    let seed: Value = serde_json::from_str(SEED).expect("seed JSON");
    let speakers: Vec<Value> = (0..300)
        .map(|i| json!({ "slug": format!("speaker-{i}"), "name": format!("Speaker {i}"), "role": "Maintainer", "organization": "Example" }))
        .collect();
    let articles: Vec<Value> = range.map(|i| article(&seed, i)).collect();
    let bundle = json!({
        "version": 1,
        "publications": seed["publications"],
        "authors": seed["authors"],
        "speakers": speakers,
        "articles": articles,
    });
    bundle::parse(&bundle.to_string()).expect("a valid bundle")
}

/// A database of its own: a file in a temporary directory, or a Postgres database created on
/// the server `BENCH_DATABASE_URL` names and dropped when this is.
pub struct BenchDb {
    pub url: String,
    /// Whether the articles are in it already (a reused database).
    pub imported: bool,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl BenchDb {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        );
        Self {
            url,
            imported: false,
            postgres: None,
            _dir: Some(dir),
        }
    }

    pub async fn postgres(admin_url: &str) -> Self {
        let name = format!("content_api_bench_{}", uuid::Uuid::now_v7().simple());
        let admin = db::connect(admin_url)
            .await
            .expect("BENCH_DATABASE_URL reachable");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create the benchmark database");
        admin.close().await.ok();
        let mut url = url::Url::parse(admin_url).expect("a URL");
        url.set_path(&name);
        Self {
            url: url.to_string(),
            imported: false,
            postgres: Some((admin_url.to_owned(), name)),
            _dir: None,
        }
    }

    /// A database already there (one a run kept): used as it is, and left in place.
    pub fn existing(url: String) -> Self {
        Self {
            url,
            imported: true,
            postgres: None,
            _dir: None,
        }
    }

    /// Leaves the database in place; returns its URL.
    pub fn keep(mut self) -> String {
        if let Some(dir) = self._dir.take() {
            let _ = dir.keep();
        }
        self.url.clone()
    }

    /// Drops a Postgres database (a temporary SQLite file goes by itself).
    pub async fn drop_database(self) {
        if let Some((admin_url, name)) = &self.postgres {
            let admin = db::connect(admin_url).await.expect("reconnect");
            admin
                .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                .await
                .expect("drop the benchmark database");
            admin.close().await.ok();
        }
    }
}

/// The release server over `url`, and its address.
pub fn serve(url: &str) -> (Child, String) {
    serve_with(url, &[])
}

/// The release server over `url` with more `serve` flags, and its address.
pub fn serve_with(url: &str, flags: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_content-api"))
        .args([
            "serve",
            "--no-demo",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            url,
        ])
        .args(flags)
        .env("RUST_LOG", "warn,content_api::cli=info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the server said where it listens")
            .expect("a line");
        if let Some(rest) = line.split("serving on http://").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .expect("an address")
                .to_owned();
        }
    };
    // Keep draining the server's log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, address)
}

/// Whether `content-api serve` takes `flag` (e.g. `--response-cache`).
pub fn serve_takes(flag: &str) -> bool {
    Command::new(env!("CARGO_BIN_EXE_content-api"))
        .args(["serve", "--help"])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains(&format!("{flag} ")))
}

/// The peak resident memory of process `pid` so far (`VmHWM`), in MB.
pub fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// The `p` quantile of sorted latencies.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}
