//! Hostile requests cost almost nothing and get a clear, coded answer, while other clients are
//! served as usual: query limits, body limits, batches, slow clients, execution and pool
//! timeouts, introspection off, rate limits.

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use common::{Options, SEED_SLUG, TestApp, spawn_app, spawn_with};
use content_api::{
    config::{QueryLimits, ServeSettings, Switch},
    content::tokens::{self, Scope},
};
use pretty_assertions::assert_eq;
use reqwest::{StatusCode, header};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TITLE: &str =
    r#"{ article(slug: "the-great-linux-debate-rusts-place-in-the-kernel") { title } }"#;

/// POSTs `body` (JSON) accepting graphql-response+json; status, headers and JSON body.
async fn post(app: &TestApp, body: &Value) -> (StatusCode, header::HeaderMap, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header(header::ACCEPT, "application/graphql-response+json")
        .json(body)
        .timeout(Duration::from_secs(10)) // a hang guard, not a measurement
        .send()
        .await
        .expect("answered");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.expect("a JSON body");
    (status, headers, body)
}

/// `(code, limit)` of each error.
type Codes = Vec<(String, Option<String>)>;

fn codes(body: &Value) -> Codes {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("expected errors: {body:#}"))
        .iter()
        .map(|e| {
            let ext = &e["extensions"];
            (
                ext["code"].as_str().unwrap_or("<no code>").to_owned(),
                ext["limit"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn limit(name: &str) -> Codes {
    vec![("LIMIT_EXCEEDED".to_owned(), Some(name.to_owned()))]
}

/// A reader asking for the seed article in a loop until stopped; how many answers were right
/// and how many were not.
struct Reader {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<(u64, u64)>,
}

impl Reader {
    fn start(app: &TestApp) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (client, url, flag) = (app.client.clone(), app.url("/graphql"), stop.clone());
        let task = tokio::spawn(async move {
            let (mut good, mut bad) = (0, 0);
            while !flag.load(Ordering::Relaxed) {
                let answer = client
                    .post(&url)
                    .json(&json!({ "query": TITLE }))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                let title = match answer {
                    Ok(r) if r.status() == 200 => r.json::<Value>().await.ok(),
                    _ => None,
                };
                match title {
                    Some(body) if body["data"]["article"]["title"].is_string() => good += 1,
                    _ => bad += 1,
                }
            }
            (good, bad)
        });
        Self { stop, task }
    }

    async fn stop(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("the reader ran")
    }
}

fn nested_fields(depth: usize) -> String {
    // article { quotes { speaker { quotes { nodes { article { quotes { ... } } } } } } }
    let mut query = String::from("slug");
    for level in (0..depth).rev() {
        query = match level % 3 {
            0 => format!("quotes {{ text {query} }}"),
            1 => format!("speaker {{ name {query} }}"),
            _ => format!("article {{ slug {query} }}"),
        };
    }
    format!(r#"{{ article(slug: "{SEED_SLUG}") {{ {query} }} }}"#)
}

fn aliases(n: usize) -> String {
    let fields: Vec<String> = (0..n).map(|i| format!("a{i}: __typename")).collect();
    format!("{{ {} }}", fields.join(" "))
}

#[tokio::test]
async fn hostile_documents_get_a_coded_error_while_a_reader_is_served() {
    let app = spawn_app().await;
    let reader = Reader::start(&app);
    let doubling = (0..40)
        .map(|i| format!("fragment F{i} on Query {{ ...F{} ...F{} }}", i + 1, i + 1))
        .collect::<Vec<_>>()
        .join(" ");
    let cases: Vec<(&str, String, Codes)> = vec![
        (
            "brackets nested 200 deep",
            format!("{}{}", "{a".repeat(200), "}".repeat(200)),
            limit("depth"),
        ),
        (
            "brackets nested 20,000 deep",
            format!("{}{}", "{a".repeat(20_000), "}".repeat(20_000)),
            limit("depth"),
        ),
        ("fields nested 17 deep", nested_fields(15), limit("depth")),
        ("1,000 aliases", aliases(1_000), limit("aliases")),
        // Over the document size before anything else is looked at.
        ("5,000 aliases", aliases(5_000), limit("query_size")),
        (
            "a fragment that doubles at every level",
            format!("query {{ ...F0 }} {doubling} fragment F40 on Query {{ __typename }}"),
            limit("complexity"),
        ),
        (
            "200 directives",
            format!("{{ __typename {} }}", "@include(if: true) ".repeat(200)),
            limit("directives"),
        ),
        (
            "pages of pages",
            "{ speakers(first: 100) { nodes { quotes(first: 100) { nodes { text article { slug title summary } } } } } }".to_owned(),
            limit("complexity"),
        ),
        (
            "a 100 KB document",
            format!("{{ {} }}", "__typename ".repeat(10_000)),
            limit("query_size"),
        ),
        (
            "a fragment spread 8,192 times at the root",
            format!(
                "query {{ ...F0 }} {} fragment F13 on Query {{ __typename tags {{ slug }} }}",
                (0..13)
                    .map(|i| format!("fragment F{i} on Query {{ ...F{} ...F{} }}", i + 1, i + 1))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            limit("root_fields"),
        ),
        (
            "a list variable of an unknown type with a default",
            "query($v: [Nope] = [1]) { __typename }".to_owned(),
            vec![("GRAPHQL_VALIDATION_FAILED".to_owned(), None)],
        ),
        (
            "a fragment that spreads itself",
            "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }".to_owned(),
            vec![("GRAPHQL_VALIDATION_FAILED".to_owned(), None)],
        ),
    ];
    for (what, query, expected) in cases {
        eprintln!("sending {what}");
        let (status, _, body) = post(&app, &json!({ "query": query })).await;
        assert_eq!(
            (status, codes(&body)),
            (StatusCode::BAD_REQUEST, expected),
            "{what}: {body:#}"
        );
        assert!(body.get("data").is_none(), "{what}: {body:#}");
    }
    let (good, bad) = reader.stop().await;
    assert!(
        good > 0 && bad == 0,
        "the reader got {good} answers right and {bad} wrong"
    );
}

#[tokio::test]
async fn the_limits_are_settings() {
    let app = spawn_with(Options {
        settings: ServeSettings {
            limits: QueryLimits {
                max_depth: 2,
                max_aliases: 0,
                ..QueryLimits::default()
            },
            ..ServeSettings::default()
        },
        ..Options::default()
    })
    .await;
    let (status, _, body) = post(&app, &json!({ "query": TITLE })).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::OK,
            json!({ "data": { "article": { "title": common::seed()["articles"][0]["title"] } } })
        )
    );
    let (_, _, body) = post(&app, &json!({ "query": "{ a: __typename }" })).await;
    assert_eq!(codes(&body), limit("aliases"));
    let deeper = format!(r#"{{ article(slug: "{SEED_SLUG}") {{ author {{ name }} }} }}"#);
    let (_, _, body) = post(&app, &json!({ "query": deeper })).await;
    assert_eq!(codes(&body), limit("depth"));
    assert_eq!(body["errors"][0]["extensions"]["max"], 2);
    assert_eq!(body["errors"][0]["extensions"]["actual"], 3);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_before_they_are_read() {
    let app = spawn_app().await;
    let reader = Reader::start(&app);
    let big = format!(
        r#"{{"query":"{{ __typename }}","variables":{{"x":"{}"}}}}"#,
        "x".repeat(10 * 1024 * 1024)
    );

    // With a Content-Length.
    let response = app.post_raw(&big, "application/json", None).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(codes(&body), vec![("PAYLOAD_TOO_LARGE".to_owned(), None)]);

    // Chunked, without a length: cut off at the limit.
    let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .expect("connect");
    let head = "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    stream
        .write_all(head.as_bytes())
        .await
        .expect("send the head");
    for chunk in big.as_bytes().chunks(64 * 1024) {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        if stream.write_all(&framed).await.is_err() {
            break; // the server answered and closed: what we are after
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // A write token may send more (article bodies), up to its own limit.
    let (_, token) = tokens::create(&app.db, "writer", Scope::Write)
        .await
        .expect("a token");
    let two_mb = format!(
        r#"{{"query":"{{ __typename }}","variables":{{"x":"{}"}}}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(two_mb.clone())
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::OK);
    let anonymous = app.post_raw(&two_mb, "application/json", None).await;
    assert_eq!(anonymous.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let (good, bad) = reader.stop().await;
    assert!(
        good > 0 && bad == 0,
        "the reader got {good} answers right and {bad} wrong"
    );
    assert_eq!(
        app.metric(r#"content_api_graphql_rejected_total{reason="body_size"}"#)
            .await,
        3.0
    );
}

#[tokio::test]
async fn batches_run_up_to_the_limit() {
    let app = spawn_app().await;
    let title = common::seed()["articles"][0]["title"].clone();
    let two = json!([{ "query": TITLE }, { "query": "{ __typename }" }]);
    let (status, _, body) = post(&app, &two).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::OK,
            json!([
                { "data": { "article": { "title": title } } },
                { "data": { "__typename": "Query" } }
            ])
        )
    );

    let eleven = Value::Array(vec![json!({ "query": "{ __typename }" }); 11]);
    let (status, _, body) = post(&app, &eleven).await;
    assert_eq!(
        (status, codes(&body)),
        (
            StatusCode::BAD_REQUEST,
            vec![("LIMIT_EXCEEDED".to_owned(), None)]
        )
    );

    let (status, _, body) = post(&app, &json!([])).await;
    assert_eq!(
        (status, codes(&body)),
        (
            StatusCode::BAD_REQUEST,
            vec![("LIMIT_EXCEEDED".to_owned(), None)]
        )
    );

    // Each operation of a batch gets its own limits.
    let (status, _, body) = post(
        &app,
        &json!([{ "query": "{ a: __typename }" }, { "query": aliases(31) }]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body[0], json!({ "data": { "a": "Query" } }));
    assert_eq!(codes(&body[1]), limit("aliases"));

    let off = spawn_with(Options {
        settings: ServeSettings {
            limits: QueryLimits {
                max_batch: 0,
                ..QueryLimits::default()
            },
            ..ServeSettings::default()
        },
        ..Options::default()
    })
    .await;
    let (status, _, body) = post(&off, &json!([{ "query": "{ __typename }" }])).await;
    assert_eq!(
        (status, codes(&body)),
        (
            StatusCode::BAD_REQUEST,
            vec![("LIMIT_EXCEEDED".to_owned(), None)]
        )
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("turned off"),
        "{body:#}"
    );
}

/// Sends a request's head and `sent` of its `Content-Length` bytes, then nothing more;
/// returns the server's answer as text.
async fn half_sent(address: String, body: String, sent: usize) -> String {
    let mut stream = tokio::net::TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .expect("connect");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .expect("send the head");
    stream
        .write_all(&body.as_bytes()[..sent])
        .await
        .expect("send part of the body");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers a stalled body within its client timeout")
        .expect("read the answer");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn slow_and_half_sent_requests_time_out_without_blocking_others() {
    let app = spawn_with(Options {
        settings: ServeSettings {
            client_timeout_ms: 500,
            ..ServeSettings::default()
        },
        ..Options::default()
    })
    .await;
    let reader = Reader::start(&app);
    let body = json!({ "query": TITLE }).to_string();
    // Ten stalled bodies at once: each is cut off; the reader never waits on them.
    let stalled: Vec<_> = (0..10)
        .map(|_| tokio::spawn(half_sent(app.address.clone(), body.clone(), 10)))
        .collect();
    for answer in stalled {
        let answer = answer.await.expect("the task ran");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("REQUEST_TIMEOUT"), "{answer}");
    }

    // A head that never ends: actix answers 408 and closes.
    let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .expect("connect");
    stream
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: te")
        .await
        .expect("send half a head");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server gives up on a stalled head")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );

    let (good, bad) = reader.stop().await;
    assert!(
        good > 0 && bad == 0,
        "the reader got {good} answers right and {bad} wrong"
    );
}

/// Holds the write lock on the speaker table from a transaction of the test's own until
/// dropped (rolled back): the server's writes to it wait.
async fn lock_speakers(app: &TestApp) -> sea_orm::DatabaseTransaction {
    let txn = app.db.begin().await.expect("begin");
    let sql = if app.test_db.is_postgres() {
        "LOCK TABLE speakers IN EXCLUSIVE MODE"
    } else {
        // SQLite: any write takes the database's one write lock.
        "UPDATE speakers SET name = name"
    };
    txn.execute_unprepared(sql).await.expect("take the lock");
    txn
}

const UPSERT: &str =
    r#"mutation { upsertSpeaker(input: { slug: "new-voice", name: "New Voice" }) { slug } }"#;

async fn write(app: &TestApp, token: &str, query: &str) -> reqwest::Response {
    app.client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("answered")
}

/// A write token, used once: checking it later writes nothing (its last use is noted once a
/// minute), so it can be checked while the test holds the write lock.
async fn used_write_token(app: &TestApp) -> String {
    let (_, token) = tokens::create(&app.db, "writer", Scope::Write)
        .await
        .expect("a token");
    let response = write(app, &token, "{ __typename }").await;
    assert_eq!(response.status(), StatusCode::OK);
    token
}

#[tokio::test]
async fn a_request_past_the_execution_timeout_is_503_and_the_server_recovers() {
    let app = spawn_with(Options {
        settings: ServeSettings {
            execution_timeout_ms: 300,
            ..ServeSettings::default()
        },
        ..Options::default()
    })
    .await;
    let token = used_write_token(&app).await;

    let lock = lock_speakers(&app).await;
    let response = write(&app, &token, UPSERT).await;
    let status = response.status();
    let retry = response.headers().get(header::RETRY_AFTER).cloned();
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        (status, codes(&body)),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            vec![("TIMEOUT".to_owned(), None)]
        )
    );
    assert_eq!(retry.as_ref().and_then(|v| v.to_str().ok()), Some("1"));
    // Readers are not held up by the stuck writer.
    let (status, _, _) = post(&app, &json!({ "query": TITLE })).await;
    assert_eq!(status, StatusCode::OK);
    lock.rollback().await.expect("release the lock");

    let response = write(&app, &token, UPSERT).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body,
        json!({ "data": { "upsertSpeaker": { "slug": "new-voice" } } })
    );
    assert_eq!(
        app.metric(
            r#"content_api_graphql_operations_total{operation="anonymous",outcome="timeout"}"#
        )
        .await,
        1.0
    );
}

#[tokio::test]
async fn an_exhausted_pool_is_a_quick_503_and_the_server_recovers() {
    let app = spawn_with(Options {
        pool: Some((1, 300)),
        ..Options::default()
    })
    .await;
    let token = used_write_token(&app).await;

    let lock = lock_speakers(&app).await;
    // The writer holds the server's only connection while it waits for the lock.
    let stuck = {
        let (client, url, token) = (app.client.clone(), app.url("/graphql"), token.clone());
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({ "query": UPSERT }))
                .send()
                .await
                .expect("answered")
                .status()
        })
    };
    // Wait until the writer has the connection: then a reader cannot get one. Each try is
    // another query text, so none is answered from the response cache, which needs no
    // connection of the pool on SQLite.
    let mut refused = None;
    for attempt in 0..50 {
        let query = format!("{TITLE} # attempt {attempt}");
        let (status, headers, body) = post(&app, &json!({ "query": query })).await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            refused = Some((headers, body));
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (headers, body) = refused.expect("a reader was refused while the pool was exhausted");
    assert_eq!(
        codes(&body),
        vec![("SERVICE_UNAVAILABLE".to_owned(), None)],
        "{body:#}"
    );
    assert_eq!(
        headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );

    lock.rollback().await.expect("release the lock");
    assert_eq!(stuck.await.expect("the writer finished"), StatusCode::OK);
    let (status, _, body) = post(&app, &json!({ "query": TITLE })).await;
    assert_eq!(
        (status, body["data"]["article"]["title"].is_string()),
        (StatusCode::OK, true)
    );
}

#[tokio::test]
async fn introspection_and_suggestions_can_be_turned_off() {
    let off = spawn_with(Options {
        settings: ServeSettings {
            introspection: Switch::Off,
            ..ServeSettings::default()
        },
        ..Options::default()
    })
    .await;
    let on = spawn_app().await;
    let introspect = json!({ "query": "{ __schema { types { name } } }" });
    let misspelt = json!({ "query": "{ articel(slug: \"x\") { title } }" });

    let (_, _, body) = post(&on, &introspect).await;
    assert!(body["data"]["__schema"]["types"].is_array(), "{body:#}");
    let (_, _, body) = post(&on, &misspelt).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Did you mean"),
        "{body:#}"
    );

    // Off, asking for the schema is an error with a code (the fields are non-null: a `null`
    // with no error would break the response's contract), at the root or through a fragment;
    // `__typename` is still fine.
    for query in [
        "{ __schema { queryType { name } } }",
        "{ __type(name: \"Article\") { name } }",
        "query { ...f } fragment f on Query { ... on Query { __schema { types { name } } } }",
    ] {
        let (status, _, body) = post(&off, &json!({ "query": query })).await;
        // Refused before execution: a 400 with no `data` (GraphQL over HTTP).
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:#}");
        assert!(body.get("data").is_none(), "{query}: {body:#}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{query}: {body:#}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("introspection is turned off"),
            "{body:#}"
        );
    }
    let (_, _, body) = post(&off, &json!({ "query": "{ __typename }" })).await;
    assert_eq!(body["data"]["__typename"], "Query", "{body:#}");
    let (_, _, body) = post(&off, &misspelt).await;
    let message = body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        !message.contains("Did you mean") && message.contains("articel"),
        "{body:#}"
    );
    let sdl = off
        .client
        .get(off.url("/schema.graphql"))
        .send()
        .await
        .expect("answered");
    assert_eq!(sdl.status(), StatusCode::NOT_FOUND);
    let page = off
        .client
        .get(off.url("/graphql"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .expect("answered");
    assert_ne!(
        page.status(),
        StatusCode::OK,
        "no GraphiQL without introspection"
    );
    // Queries are unaffected.
    let (status, _, body) = post(&off, &json!({ "query": TITLE })).await;
    assert_eq!(
        (status, body["data"]["article"]["title"].is_string()),
        (StatusCode::OK, true)
    );
}

#[tokio::test]
async fn clients_over_their_rate_get_429_and_others_do_not() {
    let app = spawn_with(Options {
        settings: ServeSettings {
            rate_limit: 1,
            rate_limit_burst: Some(3),
            client_ip_header: Some("X-Forwarded-For".to_owned()),
            ..ServeSettings::default()
        },
        ..Options::default()
    })
    .await;
    let (_, token) = tokens::create(&app.db, "reader", Scope::Preview)
        .await
        .expect("a token");
    let from = |ip: &str| {
        app.client
            .post(app.url("/graphql"))
            .header("X-Forwarded-For", format!("203.0.113.9, {ip}"))
            .json(&json!({ "query": "{ __typename }" }))
    };
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            from("198.51.100.1")
                .send()
                .await
                .expect("answered")
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [200, 200, 200, 429], "a burst of 3, then limited");
    let limited = from("198.51.100.1").send().await.expect("answered");
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers()[header::RETRY_AFTER]
        .to_str()
        .expect("ASCII")
        .parse()
        .expect("seconds");
    assert!((1..=2).contains(&retry), "Retry-After: {retry}");
    let body: Value = limited.json().await.expect("JSON");
    assert_eq!(codes(&body), vec![("RATE_LIMITED".to_owned(), None)]);

    // Another address, and a token (whatever its address), have buckets of their own.
    assert_eq!(
        from("198.51.100.2")
            .send()
            .await
            .expect("answered")
            .status(),
        StatusCode::OK
    );
    for _ in 0..3 {
        let status = from("198.51.100.1")
            .bearer_auth(&token)
            .send()
            .await
            .expect("answered")
            .status();
        assert_eq!(status, StatusCode::OK);
    }
    // Health probes are never limited.
    let health = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("answered");
    assert_eq!(health.status(), StatusCode::OK);
    assert!(
        app.metric(r#"content_api_graphql_rejected_total{reason="rate_limit"}"#)
            .await
            >= 2.0
    );
}

#[tokio::test]
async fn rejections_are_counted_by_reason() {
    let app = spawn_app().await;
    post(&app, &json!({ "query": "{ a: __typename b: __typename }" })).await;
    post(&app, &json!({ "query": aliases(40) })).await;
    post(&app, &json!({ "query": "{ speakers(first: 100) { nodes { quotes(first: 100) { nodes { text article { slug title summary } } } } } }" })).await;
    assert_eq!(
        app.metric(r#"content_api_graphql_rejected_total{reason="aliases"}"#)
            .await,
        1.0
    );
    assert_eq!(
        app.metric(r#"content_api_graphql_rejected_total{reason="complexity"}"#)
            .await,
        1.0
    );
}

#[tokio::test]
async fn requests_async_graphql_would_mishandle_get_coded_errors() {
    let app = spawn_app().await;
    let two = "query A { tags { slug } } query B { authors { slug } }";
    let cases = [
        (
            "two operations, no name",
            json!({ "query": two }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "an operation name the document lacks",
            json!({ "query": "{ __typename }", "operationName": "N".repeat(20_000) }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "NUL in a variable",
            json!({ "query": "query($s: String) { article(slug: $s) { title } }", "variables": { "s": "a\u{0}b" } }),
            "BAD_USER_INPUT",
        ),
        (
            "NUL in the document",
            json!({ "query": "{ article(slug: \"a\\u0000b\") { title } }" }),
            "BAD_USER_INPUT",
        ),
    ];
    // Known documents are kept parsed: the checks that depend on the request still run.
    for known in [
        json!({ "query": two, "operationName": "A" }),
        json!({ "query": "{ __typename }" }),
    ] {
        let (status, _, body) = post(&app, &known).await;
        assert_eq!(status, StatusCode::OK, "{body:#}");
    }
    for (what, request, code) in cases {
        let (status, _, body) = post(&app, &request).await;
        assert_eq!(
            (status, codes(&body)),
            (StatusCode::BAD_REQUEST, vec![(code.to_owned(), None)]),
            "{what}: {body:#}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.len() < 200,
            "{what}: the message is short: {message}"
        );
    }

    // A NUL character's error names where it was, as every BAD_USER_INPUT does.
    for (request, field) in [
        (
            json!({ "query": "query($s: String) { article(slug: $s) { title } }", "variables": { "s": "a\u{0}b" } }),
            "variables.s",
        ),
        (
            json!({ "query": "{ article(slug: \"a\\u0000b\") { title } }" }),
            "query",
        ),
    ] {
        let (_, _, body) = post(&app, &request).await;
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body:#}");
    }

    // GET reads `operationName`, as POST does.
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            ("query", "query A { __typename } query B { b: __typename }"),
            ("operationName", "B"),
        ])
        .send()
        .await
        .expect("answered");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body, json!({ "data": { "b": "Query" } }));
}
