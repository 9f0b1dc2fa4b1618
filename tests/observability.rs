//! What an operator sees: Prometheus metrics at /metrics, a request id on every response and
//! every log line, JSON logs, and slow operations and statements logged with their names.

mod common;

use common::{TestApp, TestDb, process::Server, spawn_app};
use pretty_assertions::assert_eq;
use reqwest::header;
use serde_json::{Value, json};

const TITLE: &str = r#"query Title { article(slug: "the-great-linux-debate-rusts-place-in-the-kernel") { title } }"#;

async fn post(app: &TestApp, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/graphql"))
        .json(&body)
        .send()
        .await
        .expect("answered")
}

#[tokio::test]
async fn metrics_count_operations_rejections_statements_and_the_pool() {
    let app = spawn_app().await;
    post(&app, json!({ "query": TITLE })).await;
    post(&app, json!({ "query": TITLE, "operationName": "Title" })).await;
    post(
        &app,
        json!({ "query": "query TooMany { articles(first: 101) { nodes { slug } } }" }),
    )
    .await;
    post(&app, json!({ "query": "{ article(slug: " })).await;
    post(&app, json!({ "query": "{ a: __typename b: __typename }" })).await;

    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("answered");
    assert_eq!(
        metrics.headers()[header::CONTENT_TYPE],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    // Every response so far, this one not yet (reading the metrics counts too, once answered).
    let text = metrics.text().await.expect("a body");
    assert!(
        text.lines()
            .any(|l| l == r#"content_api_http_responses_total{status="200"} 5"#),
        "{text}"
    );
    let expected = [
        // The document's one named operation is named, though the request did not say.
        (
            r#"content_api_graphql_operations_total{operation="Title",outcome="ok"}"#,
            2.0,
        ),
        (
            r#"content_api_graphql_operations_total{operation="TooMany",outcome="error"}"#,
            1.0,
        ),
        (
            r#"content_api_graphql_operations_total{operation="anonymous",outcome="rejected"}"#,
            1.0,
        ),
        (
            r#"content_api_graphql_operations_total{operation="anonymous",outcome="ok"}"#,
            1.0,
        ),
        (
            r#"content_api_graphql_operation_duration_seconds_count{operation="Title"}"#,
            2.0,
        ),
    ];
    for (series, value) in expected {
        assert_eq!(app.metric(series).await, value, "{series}");
    }
    let statements = app.metric("content_api_db_statements_total").await;
    assert!(statements >= 2.0, "statements: {statements}");
    let max = app.metric("content_api_db_pool_max_connections").await;
    assert_eq!(max, if app.test_db.is_postgres() { 16.0 } else { 8.0 });
    let open = app.metric("content_api_db_pool_connections").await;
    assert!((1.0..=max).contains(&open), "open connections: {open}");
}

#[tokio::test]
async fn operation_names_from_clients_cannot_flood_the_metrics() {
    let app = spawn_app().await;
    for i in 0..210 {
        let query = format!("query Op{i} {{ __typename }}");
        post(&app, json!({ "query": query })).await;
    }
    assert_eq!(
        app.metric(r#"content_api_graphql_operations_total{operation="Op0",outcome="ok"}"#)
            .await,
        1.0
    );
    assert_eq!(
        app.metric(r#"content_api_graphql_operations_total{operation="Op209",outcome="ok"}"#)
            .await,
        0.0
    );
    assert_eq!(
        app.metric(r#"content_api_graphql_operations_total{operation="other",outcome="ok"}"#)
            .await,
        10.0
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let id = |r: &reqwest::Response| {
        r.headers()["x-request-id"]
            .to_str()
            .expect("ASCII")
            .to_owned()
    };

    let a = post(&app, json!({ "query": "{ __typename }" })).await;
    let b = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("answered");
    let (a, b) = (id(&a), id(&b));
    assert_eq!((a.len(), b.len()), (32, 32), "{a} {b}");
    assert_ne!(a, b);

    let given = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "edge-7f3a.1_b")
        .send()
        .await
        .expect("answered");
    assert_eq!(
        id(&given),
        "edge-7f3a.1_b",
        "a sane id from the client is kept"
    );
    let odd = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "no spaces or \"quotes\" please")
        .send()
        .await
        .expect("answered");
    assert_eq!(id(&odd).len(), 32, "an odd one is replaced");
}

#[tokio::test]
async fn json_logs_carry_the_request_id_and_name_slow_operations() {
    let test_db = TestDb::new().await;
    let server = Server::start(
        &test_db.url,
        &["--log-format", "json", "--slow-ms", "0"],
        &[],
    )
    .await;
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", server.address))
        .header("x-request-id", "trace-me-1")
        .json(&json!({ "query": TITLE }))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);

    let log = server.log();
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let of_request: Vec<&Value> = lines
        .iter()
        .filter(|line| line["span"]["id"] == "trace-me-1")
        .collect();
    let messages: Vec<&str> = of_request
        .iter()
        .map(|line| line["message"].as_str().unwrap_or_default())
        .collect();
    for expected in ["slow SQL statement", "slow GraphQL operation", "answered"] {
        assert!(
            messages.contains(&expected),
            "{expected:?} not among {messages:?}:\n{log}"
        );
    }
    let slow = of_request
        .iter()
        .find(|line| line["message"] == "slow GraphQL operation")
        .expect("the slow operation line");
    assert_eq!(slow["operation"], "Title", "{slow}");
    assert!(slow["duration_ms"].is_number(), "{slow}");
    let answered = of_request
        .iter()
        .find(|line| line["message"] == "answered")
        .expect("the answered line");
    assert_eq!(
        (
            answered["status"].as_u64(),
            answered["span"]["path"].as_str()
        ),
        (Some(200), Some("/graphql"))
    );
}
