//! GraphQL over HTTP as a frontend sees it: content negotiation and status codes, GET and
//! POST, GraphiQL, the SDL, health probes, CORS, compression and malformed requests.

mod common;

use common::{Options, SEED_SLUG, TestApp, codes, seed, spawn_app, spawn_with};
use content_api::config::ServeSettings;
use pretty_assertions::assert_eq;
use reqwest::{
    Method, StatusCode,
    header::{self, HeaderMap},
};
use serde_json::{Value, json};

const TITLE_QUERY: &str =
    r#"{ article(slug: "the-great-linux-debate-rusts-place-in-the-kernel") { title } }"#;
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

fn seed_title() -> Value {
    seed()["articles"][0]["title"].clone()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .map(|v| v.to_str().expect("an ASCII header value"))
}

/// POSTs `body` as JSON with `accept`; returns status, content type and the JSON body.
async fn post(app: &TestApp, body: &Value, accept: &str) -> (StatusCode, String, Value) {
    let response = app
        .post_raw(&body.to_string(), "application/json", Some(accept))
        .await;
    let status = response.status();
    let content_type = header(response.headers(), "content-type")
        .unwrap_or_default()
        .to_owned();
    let body = response.json().await.expect("a JSON body");
    (status, content_type, body)
}

#[tokio::test]
async fn post_json_answers_json() {
    let app = spawn_app().await;
    let (status, content_type, body) =
        post(&app, &json!({ "query": TITLE_QUERY }), "application/json").await;
    assert_eq!(
        (status, content_type.as_str(), body),
        (
            StatusCode::OK,
            JSON,
            json!({ "data": { "article": { "title": seed_title() } } })
        )
    );
}

#[tokio::test]
async fn post_graphql_response_json_answers_in_kind() {
    let app = spawn_app().await;
    let accept = "application/graphql-response+json";
    let (status, content_type, body) = post(&app, &json!({ "query": TITLE_QUERY }), accept).await;
    assert_eq!(
        (status, content_type.as_str(), body),
        (
            StatusCode::OK,
            GRAPHQL_RESPONSE,
            json!({ "data": { "article": { "title": seed_title() } } })
        )
    );
}

#[tokio::test]
async fn request_errors_are_400_for_graphql_response_json_and_200_for_json() {
    let app = spawn_app().await;
    let cases = [
        ("{ article(", "GRAPHQL_PARSE_FAILED"),
        (
            "{ article(slug: \"x\") { noSuchField } }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ];
    for (query, code) in cases {
        let request = json!({ "query": query });

        let (status, content_type, body) =
            post(&app, &request, "application/graphql-response+json").await;
        assert_eq!(
            (status, content_type.as_str()),
            (StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE),
            "{query}: {body:#}"
        );
        assert_eq!(codes(&body), [code], "{query}: {body:#}");
        // The spec wants no `data` entry at all here; async-graphql sends `"data": null`.
        assert_eq!(
            body["data"],
            Value::Null,
            "no data before execution: {body:#}"
        );

        // The legacy media type keeps 200 for every well-formed request.
        let (status, content_type, legacy) = post(&app, &request, "application/json").await;
        assert_eq!(
            (status, content_type.as_str()),
            (StatusCode::OK, JSON),
            "{query}: {legacy:#}"
        );
        assert_eq!(legacy, body, "the same errors under either media type");
    }
}

#[tokio::test]
async fn a_variable_of_the_wrong_type_is_a_client_error() {
    let app = spawn_app().await;
    let cases = [
        (
            "query Title($slug: String) { article(slug: $slug) { title } }",
            json!({ "slug": { "not": "a string" } }),
        ),
        (
            "query Page($first: Int) { articles(first: $first) { nodes { slug } } }",
            json!({ "first": "ten" }),
        ),
    ];
    for (query, variables) in cases {
        let request = json!({ "query": query, "variables": variables });

        // Variables are checked with the document, before execution: a request error.
        let (status, content_type, body) =
            post(&app, &request, "application/graphql-response+json").await;
        assert_eq!(
            (status, content_type.as_str()),
            (StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE),
            "{body:#}"
        );
        // The complexity count reads `first` too, and may report the same bad value again.
        let codes = codes(&body);
        assert!(
            !codes.is_empty() && codes.iter().all(|c| *c == "GRAPHQL_VALIDATION_FAILED"),
            "{body:#}"
        );
        assert!(
            body.get("data").is_none(),
            "a request error has no data: {body:#}"
        );

        let (status, _, legacy) = post(&app, &request, "application/json").await;
        assert_eq!((status, legacy), (StatusCode::OK, body));
    }
}

#[tokio::test]
async fn an_unacceptable_media_type_is_406() {
    let app = spawn_app().await;
    let response = app
        .post_raw(
            &json!({ "query": TITLE_QUERY }).to_string(),
            "application/json",
            Some("text/plain"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE);
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(codes(&body), ["NOT_ACCEPTABLE"]);
}

#[tokio::test]
async fn get_runs_a_query_with_variables() {
    let app = spawn_app().await;
    let query = "query Title($slug: String) { article(slug: $slug) { title } }";
    let variables = json!({ "slug": SEED_SLUG }).to_string();
    let response = app
        .client
        .get(app.url("/graphql"))
        .header(header::ACCEPT, "application/graphql-response+json")
        .query(&[("query", query), ("variables", variables.as_str())])
        .send()
        .await
        .expect("request sent");
    let status = response.status();
    let content_type = header(response.headers(), "content-type")
        .unwrap_or_default()
        .to_owned();
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(
        (status, content_type.as_str(), body),
        (
            StatusCode::OK,
            GRAPHQL_RESPONSE,
            json!({ "data": { "article": { "title": seed_title() } } })
        )
    );
}

#[tokio::test]
async fn get_refuses_a_mutation_with_405() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .header(header::ACCEPT, "application/json")
        .query(&[("query", "mutation { x }")])
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(response.headers(), "allow"), Some("POST"));
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(codes(&body), ["METHOD_NOT_ALLOWED"]);
}

#[tokio::test]
async fn a_browser_gets_graphiql() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .header(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(response.headers(), "content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = response.text().await.expect("a body");
    assert!(html.to_lowercase().contains("graphiql"), "{html}");
    assert!(
        html.contains("'/graphql'"),
        "GraphiQL points at /graphql: {html}"
    );
}

#[tokio::test]
async fn serves_the_sdl_of_the_code() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/schema.graphql"))
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), StatusCode::OK);
    let served = response.text().await.expect("a body");
    assert_eq!(served, content_api::graphql::sdl());
    // The checked-in copy, once there is one, must match too.
    let checked_in = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    if let Ok(file) = std::fs::read_to_string(checked_in) {
        assert_eq!(served, file, "schema.graphql is stale");
    }
}

#[tokio::test]
async fn health_probes() {
    let app = spawn_app().await;
    for (path, expected) in [
        ("/healthz", json!({ "status": "ok" })),
        ("/readyz", json!({ "status": "ready" })),
    ] {
        let response = app
            .client
            .get(app.url(path))
            .send()
            .await
            .expect("request sent");
        let status = response.status();
        let body: Value = response.json().await.expect("a JSON body");
        assert_eq!((status, body), (StatusCode::OK, expected), "{path}");
    }
}

/// Sends a CORS preflight for a POST with a JSON body from `origin`.
async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    preflight_with(app, origin, "content-type").await
}

/// Sends a CORS preflight for a POST from `origin` that will send `headers`.
async fn preflight_with(app: &TestApp, origin: &str, headers: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url("/graphql"))
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, headers)
        .send()
        .await
        .expect("request sent")
}

/// POSTs the title query from `origin`.
async fn cross_origin_post(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .post(app.url("/graphql"))
        .header(header::ORIGIN, origin)
        .json(&json!({ "query": TITLE_QUERY }))
        .send()
        .await
        .expect("request sent")
}

#[tokio::test]
async fn cors_allows_any_origin_without_credentials_by_default() {
    let app = spawn_app().await;

    let response = preflight(&app, "https://frontend.example").await;
    assert!(response.status().is_success(), "{}", response.status());
    let headers = response.headers();
    assert_eq!(header(headers, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(headers, "access-control-allow-credentials"), None);

    let response = cross_origin_post(&app, "https://frontend.example").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        Some("*")
    );
    assert_eq!(
        header(response.headers(), "access-control-allow-credentials"),
        None
    );
}

#[tokio::test]
async fn cors_allows_what_client_and_tracing_libraries_send_and_exposes_the_etag() {
    let app = spawn_app().await;
    // What Apollo Client, Sentry, OpenTelemetry and a revalidating fetch add.
    let asked = "content-type,apollographql-client-name,apollographql-client-version,\
                 sentry-trace,baggage,traceparent,tracestate,if-none-match,x-request-id";
    let response = preflight_with(&app, "https://frontend.example", asked).await;
    assert!(response.status().is_success(), "{}", response.status());
    let allowed = header(response.headers(), "access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in asked.split(',') {
        assert!(allowed.contains(name), "{name} not in {allowed:?}");
    }
    assert_eq!(
        header(response.headers(), "access-control-max-age"),
        Some("86400")
    );

    let response = cross_origin_post(&app, "https://frontend.example").await;
    let exposed = header(response.headers(), "access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in ["etag", "retry-after", "x-request-id"] {
        assert!(exposed.contains(name), "{name} not in {exposed:?}");
    }
}

#[tokio::test]
async fn cors_with_a_list_of_headers_allows_those_and_what_the_api_reads() {
    let app = spawn_with(Options {
        settings: ServeSettings {
            cors_headers: vec!["traceparent".into()],
            ..Default::default()
        },
        ..Options::default()
    })
    .await;
    let response = preflight_with(
        &app,
        "https://frontend.example",
        "content-type,authorization,traceparent",
    )
    .await;
    assert!(response.status().is_success(), "{}", response.status());
    let response = preflight_with(
        &app,
        "https://frontend.example",
        "content-type,sentry-trace",
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn cors_with_a_list_of_origins_allows_only_those() {
    let app = spawn_with(Options {
        settings: ServeSettings {
            cors_origins: vec!["https://allowed.example".into()],
            ..Default::default()
        },
        ..Options::default()
    })
    .await;

    let response = preflight(&app, "https://allowed.example").await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        Some("https://allowed.example")
    );
    assert_eq!(
        header(response.headers(), "access-control-allow-credentials"),
        None
    );
    let response = cross_origin_post(&app, "https://allowed.example").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        Some("https://allowed.example")
    );

    // Another origin's preflight fails, so a browser never sends the POST; a POST sent anyway
    // is answered (CORS is not access control) without the header, so a browser hides it.
    let response = preflight(&app, "https://other.example").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        None
    );
    let response = cross_origin_post(&app, "https://other.example").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        None
    );
}

#[tokio::test]
async fn compresses_with_gzip_or_brotli() {
    let app = spawn_app().await;
    // Without automatic decompression the encoding header stays visible.
    let client = reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .expect("a client");
    let query = "query Body($slug: String) { article(slug: $slug) { body } }";
    for encoding in ["gzip", "br"] {
        let response = client
            .post(app.url("/graphql"))
            .header(header::ACCEPT_ENCODING, encoding)
            .json(&json!({ "query": query, "variables": { "slug": SEED_SLUG } }))
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header(response.headers(), "content-encoding"),
            Some(encoding)
        );
    }

    // The client that decompresses reads the body unchanged.
    let data = app.data(query, json!({ "slug": SEED_SLUG })).await;
    assert_eq!(data["article"]["body"], seed()["articles"][0]["body"]);
}

#[tokio::test]
async fn bodies_that_are_not_graphql_requests_are_400() {
    let app = spawn_app().await;
    let cases = [
        (
            "not JSON",
            "{ \"query\": ",
            "the body is not JSON: EOF while parsing a value at line 1 column 11",
        ),
        (
            "JSON, not a request",
            "[1,2]",
            "a GraphQL request must be a JSON object (batch item 0)",
        ),
        (
            "empty",
            "",
            "the body is not JSON: EOF while parsing a value at line 1 column 0",
        ),
    ];
    for accept in ["application/json", "application/graphql-response+json"] {
        for (what, body, message) in cases {
            let response = app.post_raw(body, "application/json", Some(accept)).await;
            let status = response.status();
            let content_type = header(response.headers(), "content-type")
                .unwrap_or_default()
                .to_owned();
            let body: serde_json::Value = response.json().await.expect("a JSON body");
            assert_eq!(
                (status, content_type.as_str(), body),
                (
                    StatusCode::BAD_REQUEST,
                    "application/json; charset=utf-8",
                    json!({ "errors": [{ "message": message, "extensions": { "code": "BAD_REQUEST" } }] })
                ),
                "{what}, accepting {accept}"
            );
        }
    }
}

#[tokio::test]
async fn a_json_object_without_a_query_is_400() {
    let app = spawn_app().await;
    // GraphQL over HTTP: a request missing `query` is not well-formed, so 4xx under either
    // media type; the server reads it as an empty document instead.
    for accept in ["application/json", "application/graphql-response+json"] {
        let response = app
            .post_raw("{\"foo\":1}", "application/json", Some(accept))
            .await;
        let status = response.status();
        let text = response.text().await.expect("a body");
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "accepting {accept}: {text}"
        );
    }
}
