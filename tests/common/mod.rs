//! The test harness: the real server on port 0 over a fresh database, talked to over HTTP.
//!
//! Every test gets its own database: a temporary SQLite file by default, or, when
//! `TEST_DATABASE_URL` names a Postgres server, a database of its own created there (and
//! dropped when the test ends). Nothing is mocked.
#![allow(dead_code)] // each test binary uses its own part of the harness

pub mod ordered;
pub mod process;
pub mod proxy;
pub mod receiver;
pub mod snapshot;
pub mod writer;
pub mod ws;

use std::{
    net::TcpListener,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use content_api::content::ids::Ids;
use content_api::{config::ServeSettings, content, db, http};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};

/// The seed article in the import format: what every test can serve exactly.
pub const SEED: &str = include_str!("../../fixtures/demo.json");
pub const SEED_SLUG: &str = "the-great-linux-debate-rusts-place-in-the-kernel";

pub fn seed() -> Value {
    serde_json::from_str(SEED).expect("the seed bundle is JSON")
}

/// A database of the test's own, removed when dropped.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<PostgresDb>,
}

struct PostgresDb {
    admin_url: String,
    name: String,
}

impl TestDb {
    pub async fn new() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => Self::postgres(admin_url).await,
            _ => Self::sqlite(),
        }
    }

    fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("content.db").display()
        );
        Self {
            url,
            _dir: Some(dir),
            postgres: None,
        }
    }

    async fn postgres(admin_url: String) -> Self {
        let name = format!("content_api_test_{}", uuid::Uuid::now_v7().simple());
        let admin = db::connect(&admin_url)
            .await
            .expect("TEST_DATABASE_URL reachable");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create the test database");
        admin.close().await.ok();
        let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        Self {
            url: url.to_string(),
            _dir: None,
            postgres: Some(PostgresDb { admin_url, name }),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(pg) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime; do the async clean-up on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let admin = db::connect(&pg.admin_url).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", pg.name);
                admin.execute_unprepared(&sql).await.ok()?;
                admin.close().await.ok()
            })
        })
        .join();
    }
}

/// A running server and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// A connection to the same database the server uses.
    pub db: DatabaseConnection,
    /// The server's `content_api_db_statements_total` when last read.
    statements: Arc<AtomicU64>,
    pub test_db: TestDb,
}

/// Options for [`spawn_with`].
pub struct Options {
    /// Import the seed bundle before serving.
    pub seed: bool,
    pub settings: ServeSettings,
    /// The server's own pool: (connections, acquire timeout in ms); default: the defaults.
    pub pool: Option<(u32, u64)>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seed: true,
            settings: ServeSettings::default(),
            pool: None,
        }
    }
}

/// The server over a fresh database holding the seed article.
pub async fn spawn_app() -> TestApp {
    spawn_with(Options::default()).await
}

/// The server over a fresh, empty database.
pub async fn spawn_empty() -> TestApp {
    spawn_with(Options {
        seed: false,
        ..Options::default()
    })
    .await
}

/// The server over a fresh database holding the seed article, without the response cache:
/// every answer is made afresh, so statements can be counted and answers compared.
pub async fn spawn_uncached() -> TestApp {
    spawn_with(Options {
        settings: ServeSettings {
            response_cache: content_api::config::Switch::Off,
            ..ServeSettings::default()
        },
        ..Options::default()
    })
    .await
}

pub async fn spawn_with(options: Options) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        content_api::telemetry::init(content_api::config::LogFormat::Text);
    }
    let test_db = TestDb::new().await;
    let db = db::connect_and_migrate(&test_db.url)
        .await
        .expect("connect and migrate");
    if options.seed {
        content::bundle::import(
            &db,
            &content::bundle::parse(SEED).expect("parse seed"),
            Ids::TimeOrdered,
        )
        .await
        .expect("import seed");
    }
    let statements = Arc::new(AtomicU64::new(0));
    let server_db = match options.pool {
        None => db.clone(),
        Some((connections, acquire_timeout_ms)) => {
            db::open(&content_api::config::DatabaseSettings {
                database_url: test_db.url.clone(),
                db_max_connections: Some(connections),
                db_acquire_timeout_ms: acquire_timeout_ms,
                // As `serve` opens its pool.
                statement_timeout_ms: Some(options.settings.execution_timeout_ms),
            })
            .await
            .expect("open the server's pool")
        }
    };

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let address = format!("http://{}", listener.local_addr().expect("local address"));
    // Every answer the projection gives is checked against the schema's resolvers: a
    // difference fails the request, so every query of the suite is a differential test.
    let settings = ServeSettings {
        verify_projection: true,
        ..options.settings
    };
    let server = http::server(listener, server_db, &settings).expect("build the server");
    tokio::spawn(server);

    TestApp {
        address,
        client: reqwest::Client::new(),
        db,
        statements,
        test_db,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Imports a bundle (the import format) through the content layer, as the CLI does.
    pub async fn import(&self, bundle: &Value) -> content::bundle::ImportReport {
        let bundle = content::bundle::parse(&bundle.to_string()).expect("a valid bundle");
        content::bundle::import(&self.db, &bundle, Ids::TimeOrdered)
            .await
            .expect("import")
    }

    /// POSTs a GraphQL request and returns the whole response body; panics unless HTTP 200.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let response = self
            .client
            .post(self.url("/graphql"))
            .header(ACCEPT, "application/json")
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent");
        let status = response.status();
        let body: Value = response.json().await.expect("a JSON body");
        assert_eq!(status, 200, "{body:#}");
        body
    }

    /// POSTs a request body as given (with `extensions`, or without a query) as
    /// `application/json`; the whole response body. Panics unless HTTP 200.
    pub async fn graphql_body(&self, request: &Value) -> Value {
        let response = self
            .post_raw(
                &request.to_string(),
                "application/json",
                Some("application/json"),
            )
            .await;
        let status = response.status();
        let body: Value = response.json().await.expect("a JSON body");
        assert_eq!(status, 200, "{body:#}");
        body
    }

    /// The `data` of a request that must succeed without errors.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// The codes of the errors of a request that must fail.
    pub async fn error_codes(&self, query: &str, variables: Value) -> Vec<String> {
        let body = self.graphql(query, variables).await;
        let errors = body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("expected errors: {body:#}"));
        errors
            .iter()
            .map(|e| {
                e["extensions"]["code"]
                    .as_str()
                    .unwrap_or("<no code>")
                    .to_owned()
            })
            .collect()
    }

    pub async fn post_raw(
        &self,
        body: &str,
        content_type: &str,
        accept: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .header(CONTENT_TYPE, content_type)
            .body(body.to_owned());
        if let Some(accept) = accept {
            request = request.header(ACCEPT, accept);
        }
        request.send().await.expect("request sent")
    }

    /// A sample from `GET /metrics`: the value of the series named `series` (with its labels,
    /// as printed), or 0 when the server has not counted it yet.
    pub async fn metric(&self, series: &str) -> f64 {
        let text = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("a metrics body");
        text.lines()
            .find_map(|line| {
                let (name, value) = line.rsplit_once(' ')?;
                (name == series).then(|| value.parse::<f64>().expect("a number"))
            })
            .unwrap_or(0.0)
    }

    /// The GraphQL id of the article `slug`, as anonymous readers see it.
    pub async fn article_id(&self, slug: &str) -> String {
        self.data(
            "query($s: String!) { article(slug: $s) { id } }",
            json!({ "s": slug }),
        )
        .await["article"]["id"]
            .as_str()
            .expect("an id")
            .to_owned()
    }

    /// A new token with `scope`.
    pub async fn token(&self, scope: content::tokens::Scope) -> String {
        let name = format!("{scope:?}-{}", uuid::Uuid::now_v7());
        content::tokens::create(&self.db, &name, scope)
            .await
            .expect("a token")
            .1
    }

    /// The `data` of a request with `token` that must succeed without errors.
    pub async fn data_with(&self, token: &str, query: &str, variables: Value) -> Value {
        let body: Value = self
            .client
            .post(self.url("/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("a JSON body");
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// SQL statements the server has run since the last call, from its
    /// `content_api_db_statements_total` on `/metrics`.
    pub async fn take_statement_count(&self) -> u64 {
        let total = self.metric("content_api_db_statements_total").await as u64;
        total - self.statements.swap(total, Ordering::Relaxed)
    }
}

/// The `extensions.code` of every error in a response body; panics without errors.
pub fn codes(body: &Value) -> Vec<&str> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("expected errors: {body:#}"))
        .iter()
        .map(|e| e["extensions"]["code"].as_str().unwrap_or("<no code>"))
        .collect()
}

/// Where the binary under test lives, for CLI tests.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_content-api"))
}

/// One article of the seed article's shape, varied by `i`.
pub fn synthetic_article(i: usize, published_at: &str) -> Value {
    let speakers = ["linus-torvalds", "christoph-hellwig", "greg-kroah-hartman"];
    let mut tags = vec!["synthetic"];
    if i.is_multiple_of(2) {
        tags.push("even");
    }
    if i.is_multiple_of(3) {
        tags.push("rust");
    }
    json!({
        "slug": format!("story-{i:03}"),
        // Titles sort in another order than slugs or times.
        "title": format!("Title {:03}", (i * 37) % 1000),
        "summary": format!("Summary of story {i}."),
        "body": format!("Paragraph one of story {i}.\n\nParagraph *two*."),
        "status": "PUBLISHED",
        "publishedAt": published_at,
        "publication": if i.is_multiple_of(5) { "other-times" } else { "digital-event-horizon" },
        "author": if i.is_multiple_of(2) { Some("llama3-2-3b-q4-k-m") } else { None },
        "section": "Synthetic",
        "canonicalUrl": format!("https://example.com/story-{i}"),
        "tags": tags,
        "keyPoints": [format!("Point one of {i}."), format!("Point two of {i}.")],
        "quotes": [
            { "text": format!("Quote {i}a"), "speaker": speakers[i % 3], "context": null },
            { "text": format!("Quote {i}b"), "speaker": speakers[(i + 1) % 3], "context": "said later" },
        ],
        "relatedLinks": [{ "url": format!("https://example.com/source-{i}"), "title": null, "rel": "SOURCE" }],
        "copyright": { "holder": "Example", "notice": "© Example", "year": 2025, "license": null },
    })
}

/// A bundle of `articles`, with the publications, authors and speakers they refer to.
pub fn bundle_of(articles: Vec<Value>) -> Value {
    let seed = seed();
    json!({
        "version": 1,
        "publications": [
            seed["publications"][0],
            { "slug": "other-times", "name": "Other Times", "url": "https://other.example.com/", "sponsorMessage": null, "links": [] },
        ],
        "authors": seed["authors"],
        "speakers": seed["speakers"],
        "articles": articles,
    })
}

/// `n` published articles, one an hour from 2024-01-01T00:00:00Z.
pub fn synthetic_bundle(n: usize) -> Value {
    let start = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").expect("a time");
    bundle_of(
        (0..n)
            .map(|i| {
                let t = start + chrono::Duration::hours(i as i64);
                synthetic_article(
                    i,
                    &t.to_utc()
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                )
            })
            .collect(),
    )
}

/// `variables` with `more` added (both JSON objects).
fn with(variables: &Value, more: Value) -> Value {
    let mut merged = variables.clone();
    if let (Some(merged), Value::Object(more)) = (merged.as_object_mut(), more) {
        merged.extend(more);
    }
    merged
}

/// Walks the connection `field` of `query` forward in pages of `size` (`query` takes `$first`
/// and `$after` besides `variables`); returns the slugs of its nodes.
pub async fn walk_forward(
    app: &TestApp,
    query: &str,
    field: &str,
    variables: &Value,
    size: i32,
) -> Vec<String> {
    let (mut all, mut after) = (Vec::new(), Value::Null);
    loop {
        let vars = with(variables, json!({ "first": size, "after": after }));
        let p = app.data(query, vars).await[field].clone();
        all.extend(slugs(&p));
        assert!(p["nodes"].as_array().unwrap().len() <= size as usize);
        if !p["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return all;
        }
        after = p["pageInfo"]["endCursor"].clone();
        assert!(all.len() < 1000, "pagination does not end");
    }
}

/// Walks the connection backward from its end in pages of `size` (`query` takes `$last` and
/// `$before`); returns the slugs in list order.
pub async fn walk_backward(
    app: &TestApp,
    query: &str,
    field: &str,
    variables: &Value,
    size: i32,
) -> Vec<String> {
    let (mut pages, mut before, mut count) = (Vec::new(), Value::Null, 0);
    loop {
        let vars = with(variables, json!({ "last": size, "before": before }));
        let p = app.data(query, vars).await[field].clone();
        let s = slugs(&p);
        count += s.len();
        pages.push(s);
        if !p["pageInfo"]["hasPreviousPage"].as_bool().unwrap() {
            break;
        }
        before = p["pageInfo"]["startCursor"].clone();
        assert!(count < 1000, "pagination does not end");
    }
    pages.into_iter().rev().flatten().collect()
}

/// Slugs of the `nodes` of a connection.
pub fn slugs(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("a connection: {connection:#}"))
        .iter()
        .map(|n| n["slug"].as_str().expect("a slug").to_owned())
        .collect()
}

/// Every field of an article, for comparing what is served with what was imported.
pub const FULL_ARTICLE: &str = r#"
query Full($slug: String) {
  article(slug: $slug) {
    id slug title summary body status publishedAt createdAt updatedAt
    section canonicalUrl wordCount readingTimeMinutes
    author { id slug name kind }
    publication { id slug name url sponsorMessage links { label url } }
    tags { slug articleCount }
    keyPoints { id position text }
    quotes { id position text context speaker { id slug name role organization } article { slug } }
    relatedLinks { id position url title rel }
    copyright { holder notice year license }
  }
}"#;

/// Turns a served article back into the import format, so it can be compared with the
/// fixture as a whole value.
pub fn as_import_format(a: &Value) -> Value {
    json!({
        "slug": a["slug"],
        "title": a["title"],
        "summary": a["summary"],
        "body": a["body"],
        "status": a["status"],
        "publishedAt": a["publishedAt"],
        "publication": a["publication"]["slug"],
        "author": a["author"]["slug"],
        "section": a["section"],
        "canonicalUrl": a["canonicalUrl"],
        "tags": a["tags"].as_array().unwrap().iter().map(|t| t["slug"].clone()).collect::<Vec<_>>(),
        "keyPoints": a["keyPoints"].as_array().unwrap().iter().map(|k| k["text"].clone()).collect::<Vec<_>>(),
        "quotes": a["quotes"].as_array().unwrap().iter().map(|q| json!({
            "text": q["text"], "speaker": q["speaker"]["slug"], "context": q["context"],
        })).collect::<Vec<_>>(),
        "relatedLinks": a["relatedLinks"].as_array().unwrap().iter().map(|l| json!({
            "url": l["url"], "title": l["title"], "rel": l["rel"],
        })).collect::<Vec<_>>(),
        "copyright": a["copyright"],
    })
}

impl TestDb {
    /// A temporary SQLite file whatever `TEST_DATABASE_URL` says: for tests that move content
    /// between backends.
    pub fn sqlite_always() -> Self {
        Self::sqlite()
    }
}
