//! The test mode other teams' suites start: `serve --import FIXTURE --bind 127.0.0.1:0` loads
//! the fixture, says it is ready on the first line of standard output, creates the tokens it
//! is asked for, writes nothing before it has its port, and gives the same ids, cursors,
//! timestamps and ETags on every run and on both backends.

mod common;

use std::path::Path;

use common::{TestDb, process::TestModeServer};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const FIXTURE: &str = "fixtures/newsroom.json";
const DEMO: &str = "fixtures/demo.json";
/// The answers of one run of [`run_the_suite`], the same on SQLite and Postgres.
const GOLDEN: &str = "tests/golden/test-mode.json";

/// A database of its own: SQLite in memory (the README's recipe), or a new Postgres database.
async fn fresh() -> (String, Option<TestDb>) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let db = TestDb::new().await;
            (db.url.clone(), Some(db))
        }
        _ => ("sqlite::memory:".to_owned(), None),
    }
}

/// One answer of the suite: its bytes as sent.
struct Answer {
    name: &'static str,
    bytes: String,
    etag: Option<String>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.bytes).expect("a JSON answer")
    }
}

async fn post(
    server: &TestModeServer,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    serde_json::from_str(&post_raw(server, token, query, variables).await).expect("JSON")
}

/// The answer's bytes, once it is known to hold no error.
async fn post_raw(
    server: &TestModeServer,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> String {
    let mut request = reqwest::Client::new()
        .post(format!("{}/graphql", server.url()))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let bytes = request
        .send()
        .await
        .expect("request sent")
        .text()
        .await
        .expect("an answer");
    let body: Value = serde_json::from_str(&bytes).expect("a JSON answer");
    assert_eq!(body.get("errors"), None, "{query}: {body:#}");
    bytes
}

const PAGE: &str = "query Page($after: String) {
  articles(first: 2, after: $after) {
    edges {
      cursor
      node {
        id slug title createdAt updatedAt publishedAt
        author { id slug } publication { id slug links { label } }
        tags { slug } keyPoints { id text }
        quotes { id text speaker { id slug name } }
        relatedLinks { url } copyright { notice }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}";

/// What a client suite would snapshot: pages with their cursors, a GET with its ETag, a
/// draft through a preview token, and an article the suite writes itself.
async fn run_the_suite(server: &TestModeServer) -> Vec<Answer> {
    let answer = |name, bytes| Answer {
        name,
        bytes,
        etag: None,
    };
    let mut answers = Vec::new();
    let first = post_raw(server, None, PAGE, json!({})).await;
    let after = serde_json::from_str::<Value>(&first).expect("JSON")["data"]["articles"]
        ["pageInfo"]["endCursor"]
        .clone();
    answers.push(answer("first page", first));
    answers.push(answer(
        "second page",
        post_raw(server, None, PAGE, json!({ "after": after })).await,
    ));

    let get = reqwest::Client::new()
        .get(format!("{}/graphql", server.url()))
        .query(&[(
            "query",
            "{ article(slug: \"council-approves-harbor-budget\") { id title updatedAt } }",
        )])
        .send()
        .await
        .expect("GET sent");
    let etag = get.headers()["etag"]
        .to_str()
        .expect("an ASCII ETag")
        .to_owned();
    answers.push(Answer {
        name: "GET",
        bytes: get.text().await.expect("an answer"),
        etag: Some(etag),
    });

    answers.push(answer(
        "draft",
        post_raw(
            server,
            Some(server.token("preview")),
            r#"{ article(slug: "election-preview") { id status createdAt updatedAt } }"#,
            json!({}),
        )
        .await,
    ));

    let created = post_raw(
        server,
        Some(server.token("ci")),
        "mutation New($input: ArticleInput!) {
           createArticle(input: $input) { id slug status quotes { id } tags { slug } }
         }",
        json!({ "input": {
            "slug": "written-by-the-suite",
            "title": "Written by the suite",
            "body": "A body.",
            "publication": "harbor-city-herald",
            "tags": ["harbor", "new-tag"],
            "quotes": [{ "text": "Same id every run.", "speaker": "mayor-okafor" }],
        }}),
    )
    .await;
    answers.push(answer("created", created));
    answers
}

async fn start(url: &str) -> TestModeServer {
    TestModeServer::start(
        url,
        &[
            "--import",
            FIXTURE,
            "--token",
            "ci:write",
            "--token",
            "preview:preview",
        ],
    )
    .await
}

#[tokio::test]
async fn one_fixture_gives_byte_identical_answers_on_every_run_and_backend() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let (url, _db) = fresh().await;
        let server = start(&url).await;
        runs.push(run_the_suite(&server).await);
    }
    for (first, second) in runs[0].iter().zip(&runs[1]) {
        assert_eq!(first.bytes, second.bytes, "{}: two runs differ", first.name);
        assert_eq!(first.etag, second.etag, "{}: two runs differ", first.name);
    }

    // Both backends compare against one file, so they agree with each other too.
    let answers: serde_json::Map<String, Value> = runs[0]
        .iter()
        .map(|a| {
            (
                a.name.to_owned(),
                json!({ "etag": a.etag, "body": a.json() }),
            )
        })
        .collect();
    let answers = serde_json::to_string_pretty(&answers).expect("JSON") + "\n";
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join(GOLDEN);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &answers).expect("write the golden answers");
    }
    let expected = std::fs::read_to_string(&golden)
        .expect("tests/golden/test-mode.json (UPDATE_GOLDEN=1 writes it)");
    assert_eq!(answers, expected, "the answers differ from {GOLDEN}");

    // The fixture's own timestamps, not the time of the import.
    let node = &runs[0][0].json()["data"]["articles"]["edges"][0]["node"];
    assert_eq!(node["createdAt"], "2026-03-02T15:00:00Z");
    assert_eq!(node["updatedAt"], "2026-03-02T18:45:00Z");
}

#[tokio::test]
async fn the_ready_line_comes_first_with_urls_and_tokens() {
    let (url, _db) = fresh().await;
    let server = start(&url).await;
    let ready = &server.ready;
    assert_eq!(ready["event"], "ready", "{ready}");
    let base = server.url().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{ready}");
    assert_ne!(
        base, "http://127.0.0.1:0",
        "the real port, not the one asked for"
    );
    assert_eq!(ready["graphql"], format!("{base}/graphql"));
    for name in ["ci", "preview"] {
        assert!(server.token(name).starts_with("cat_"), "{ready}");
    }
    // It answers at once, and the logs went to standard error.
    let health = reqwest::get(format!("{base}/healthz"))
        .await
        .expect("answers");
    assert!(health.status().is_success());
    assert!(server.log().contains("imported"), "{}", server.log());
    // A token on the ready line works for what its scope allows.
    let body = post(
        &server,
        Some(server.token("preview")),
        r#"{ article(slug: "election-preview") { status } }"#,
        json!({}),
    )
    .await;
    assert_eq!(body["data"]["article"]["status"], "DRAFT");
}

#[tokio::test]
async fn import_repeats_and_leaves_the_demo_out() {
    let (url, _db) = fresh().await;
    let only_fixture = TestModeServer::start(&url, &["--import", FIXTURE]).await;
    let body = post(
        &only_fixture,
        None,
        "{ articles { nodes { slug } } }",
        json!({}),
    )
    .await;
    let slugs = common::slugs(&body["data"]["articles"]);
    assert_eq!(
        slugs,
        [
            "council-approves-harbor-budget",
            "volunteers-clear-river-banks",
            "ferry-timetable-changes",
            "night-market-returns"
        ],
        "the fixture's published articles, and no demo"
    );
    drop(only_fixture);

    let (url, _db) = fresh().await;
    let both = TestModeServer::start(&url, &["--import", DEMO, "--import", FIXTURE]).await;
    let body = post(&both, None, "{ articles { totalCount } }", json!({})).await;
    assert_eq!(body["data"]["articles"]["totalCount"], 5);
}

#[tokio::test]
async fn a_taken_port_fails_before_anything_is_written() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("its address").to_string();
    let db = TestDb::new().await;
    let output = common::process::content_api(&db.url)
        .args(["serve", "--bind", &port, "--import", FIXTURE])
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("could not listen on {port}")),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "no ready line");
    // Not migrated: not one table was created (on SQLite, not even the file).
    if let Some(path) = db.url.strip_prefix("sqlite://") {
        let path = path.split('?').next().expect("a path");
        assert!(!Path::new(path).exists(), "{path} was created");
    } else {
        use sea_orm::{ConnectionTrait, Statement};
        let conn = content_api::db::connect(&db.url).await.expect("connect");
        let row = conn
            .query_one_raw(Statement::from_string(
                conn.get_database_backend(),
                "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'",
            ))
            .await
            .expect("count the tables")
            .expect("a row");
        let tables: i64 = row.try_get("", "n").expect("a count");
        assert_eq!(tables, 0, "tables were created");
    }
}

#[tokio::test]
async fn a_bad_fixture_stops_the_server_with_its_error() {
    let dir = tempfile::tempdir().expect("a directory");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"version":1,"articles":[{"slug":"x","title":"X","body":"b","status":"DRAFT","publication":"nowhere","id":"1"}]}"#,
    )
    .expect("write the fixture");
    let output = common::process::content_api("sqlite::memory:")
        .args(["serve", "--bind", "127.0.0.1:0", "--import"])
        .arg(&bad)
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("articles[0].id"), "{stderr}");
    assert!(output.stdout.is_empty(), "no ready line");
}
