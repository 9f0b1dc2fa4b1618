//! Faults an operator meets (issue 5, "Hardening"): a database that cannot be reached at
//! start-up, or goes away while serving and comes back; SIGTERM with requests in flight; an
//! import killed halfway. Against the real binary or server, real SQLite and real Postgres.

mod common;

use std::{
    io::ErrorKind,
    net::{SocketAddr, TcpListener as StdTcpListener},
    os::unix::process::ExitStatusExt,
    process::{ExitStatus, Stdio},
    time::{Duration, Instant},
};

use common::{
    SEED_SLUG, TestDb, bundle_of,
    process::{Server, content_api, wait_with_timeout},
    proxy::Proxy,
    seed,
    snapshot::snapshot,
    synthetic_bundle,
    writer::WriterProbe,
};
use content_api::content::ids::Ids;
use content_api::{
    config::{DatabaseSettings, ServeSettings},
    content, db, http,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// How long anything here may take before the test calls it a hang. Not a benchmark: the
/// limits under test are seconds, this is several times them.
const HANG_GUARD: Duration = Duration::from_secs(15);

/// `future`'s output; a panic naming `what` if it takes longer than [`HANG_GUARD`].
async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(HANG_GUARD, future)
        .await
        .unwrap_or_else(|_| panic!("{what} took over {HANG_GUARD:?}"))
}

fn seed_title() -> Value {
    seed()["articles"][0]["title"].clone()
}

/// The seed article's slug and title, by slug: the request every test here sends.
fn article_request() -> Value {
    json!({
        "query": "query($slug: String) { article(slug: $slug) { slug title } }",
        "variables": { "slug": SEED_SLUG },
    })
}

fn article_answer() -> Value {
    json!({ "data": { "article": { "slug": SEED_SLUG, "title": seed_title() } } })
}

// --- 1. An unreachable database at start-up ------------------------------------------------

/// Runs `serve` against a database it cannot open: its exit status and `error:` line.
async fn serve_against(database_url: &str) -> (ExitStatus, String) {
    let mut child = content_api(database_url)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let Some(status) = wait_with_timeout(&mut child, HANG_GUARD).await else {
        let _ = child.kill();
        panic!("`serve` against {database_url} still runs after {HANG_GUARD:?}: it hangs");
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("read stderr");
    let error = stderr
        .lines()
        .find(|line| line.starts_with("error: "))
        .unwrap_or_else(|| panic!("an error line:\n{stderr}"))
        .to_owned();
    (status, error)
}

/// Asserts `serve` exits with status 1 and an error line that names the database and ends
/// with `cause`.
async fn assert_fails_to_start(database_url: &str, cause: &str) {
    let (status, error) = serve_against(database_url).await;
    assert_eq!(status.code(), Some(1), "{error}");
    let prefix = format!("error: could not connect to the database at {database_url}: ");
    assert!(
        error.starts_with(&prefix) && error.ends_with(cause),
        "expected {prefix:?}…{cause:?}, got {error:?}"
    );
}

#[tokio::test]
async fn an_unreachable_database_fails_start_up_fast_and_says_so() {
    // Nothing listens on port 1: refused (the pool retries that until it gives up).
    assert_fails_to_start(
        "postgres://postgres@127.0.0.1:1/nothing",
        "Connection refused (os error 111)",
    )
    .await;

    // Something accepts the connection and never answers: the connect timeout ends it.
    let silent = StdTcpListener::bind("127.0.0.1:0").expect("a listener");
    let port = silent.local_addr().expect("its address").port();
    assert_fails_to_start(
        &format!("postgres://postgres@127.0.0.1:{port}/x"),
        "no answer within 5 s",
    )
    .await;
    drop(silent);

    // A non-routable address: whatever the network makes of it, no hang.
    assert_fails_to_start("postgres://postgres@10.255.255.1:5432/x", "").await;

    let dir = tempfile::tempdir().expect("a temporary directory");
    let missing = dir.path().join("no-such-dir").join("content.db");
    assert_fails_to_start(
        &format!("sqlite://{}?mode=rwc", missing.display()),
        "unable to open database file",
    )
    .await;
}

// --- 2. The database goes away while serving, and comes back ---------------------------------

/// POSTs the article request with `accept`: status, `Retry-After` and body.
async fn ask_for_the_article(address: &str, accept: &str) -> (u16, Option<String>, Value) {
    let response = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .header("accept", accept)
        .json(&article_request())
        .timeout(HANG_GUARD)
        .send()
        .await
        .expect("an answer");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("ASCII").to_owned());
    (
        status,
        retry_after,
        response.json().await.expect("a JSON body"),
    )
}

async fn readyz(address: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{address}/readyz"))
        .timeout(HANG_GUARD)
        .send()
        .await
        .expect("an answer")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_database_going_away_and_coming_back_needs_no_restart() {
    let test_db = TestDb::new().await;
    if !test_db.is_postgres() {
        eprintln!("skipped: needs a server database (set TEST_DATABASE_URL to a Postgres URL)");
        return;
    }
    let direct = db::connect_and_migrate(&test_db.url)
        .await
        .expect("migrate");
    let bundle = content::bundle::parse(common::SEED).expect("the seed bundle");
    content::bundle::import(&direct, &bundle, Ids::TimeOrdered)
        .await
        .expect("import the seed");
    direct.close().await.ok();

    let mut url = url::Url::parse(&test_db.url).expect("a URL");
    let upstream = format!(
        "{}:{}",
        url.host_str().expect("a host"),
        url.port().unwrap_or(5432)
    );
    let proxy = Proxy::start(upstream).await;
    url.set_ip_host(proxy.address.ip()).expect("an IP host");
    url.set_port(Some(proxy.address.port())).expect("a port");
    let pool = db::open(&DatabaseSettings {
        database_url: url.to_string(),
        db_max_connections: Some(4),
        db_acquire_timeout_ms: 1_000,
        statement_timeout_ms: None,
    })
    .await
    .expect("connect through the proxy");
    let listener = StdTcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = format!("http://{}", listener.local_addr().expect("its address"));
    let server = http::server(listener, pool, &ServeSettings::default()).expect("the server");
    let handle = server.handle();
    tokio::spawn(server);

    assert_eq!(readyz(&address).await, 200);
    let (status, _, body) = ask_for_the_article(&address, "application/json").await;
    assert_eq!((status, body), (200, article_answer()));

    proxy.cut();
    assert_eq!(
        readyz(&address).await,
        503,
        "/readyz with the database away"
    );
    for accept in ["application/json", "application/graphql-response+json"] {
        let (status, retry_after, body) = ask_for_the_article(&address, accept).await;
        assert_eq!(common::codes(&body), ["SERVICE_UNAVAILABLE"], "{body:#}");
        assert_eq!(status, 503, "HTTP status with {accept}: {body:#}");
        let seconds: u64 = retry_after
            .unwrap_or_else(|| panic!("a Retry-After header with {accept}"))
            .parse()
            .expect("Retry-After in seconds");
        assert!(seconds >= 1, "Retry-After: {seconds}");
    }

    proxy.restore();
    let deadline = Instant::now() + HANG_GUARD;
    while readyz(&address).await != 200 {
        assert!(Instant::now() < deadline, "/readyz is not 200 again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, _, body) = ask_for_the_article(&address, "application/json").await;
    assert_eq!((status, body), (200, article_answer()));
    handle.stop(false).await;
}

// --- 3. SIGTERM ------------------------------------------------------------------------------

/// Opens a connection and sends a POST of the article request's head and the first half of
/// its body. Returns once the server has answered `100 Continue`: the request is in flight.
async fn start_a_request(server: &SocketAddr) -> (TcpStream, Vec<u8>) {
    let body = article_request().to_string().into_bytes();
    let mut stream = TcpStream::connect(server).await.expect("connect");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {server}\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .expect("send the head");
    let mut answer = Vec::new();
    while !answer.ends_with(b"\r\n\r\n") {
        let byte = within("an interim answer", stream.read_u8()).await;
        answer.push(byte.expect("an interim answer"));
    }
    assert_eq!(
        String::from_utf8_lossy(&answer),
        "HTTP/1.1 100 Continue\r\n\r\n"
    );
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(first).await.expect("send half the body");
    (stream, rest.to_vec())
}

/// Polls until a connection to `server` is refused.
async fn wait_until_refused(server: &SocketAddr) {
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        match TcpStream::connect(server).await {
            Err(err) if err.kind() == ErrorKind::ConnectionRefused => return,
            // Caught in the backlog of a listener as it closed: the next try will tell.
            Err(err) if err.kind() == ErrorKind::ConnectionReset => {}
            Err(err) => panic!("connecting failed otherwise than refused: {err}"),
            Ok(_) => {}
        }
        assert!(
            Instant::now() < deadline,
            "new connections are still accepted after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn sigterm_refuses_new_connections_and_finishes_requests_in_flight() {
    let test_db = TestDb::new().await;
    let args = [
        "--shutdown-grace-secs",
        "60",
        "--client-timeout-ms",
        "60000",
    ];
    let mut server = Server::start(&test_db.url, &args, &[]).await;
    let (mut stream, rest) = start_a_request(&server.socket).await;

    server.terminate();
    wait_until_refused(&server.socket).await;
    stream.write_all(&rest).await.expect("send the rest");
    let mut response = Vec::new();
    within("the answer", stream.read_to_end(&mut response))
        .await
        .expect("the answer");
    let response = String::from_utf8(response).expect("UTF-8");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    assert_eq!(head.lines().next(), Some("HTTP/1.1 200 OK"), "{response}");
    let body: Value = serde_json::from_str(body).expect("a JSON body");
    assert_eq!(body, article_answer());

    // Nothing is left in flight, so it exits now, not at the end of the 60 s grace period.
    let status = server.wait_for_exit(HANG_GUARD).await;
    assert_eq!(status.map(|s| s.code()), Some(Some(0)), "{}", server.log());
}

#[tokio::test]
async fn a_request_that_never_finishes_keeps_the_server_only_for_the_grace_period() {
    let test_db = TestDb::new().await;
    // The body-read timeout is far away: only the grace period can end this request.
    let args = ["--shutdown-grace-secs", "2", "--client-timeout-ms", "60000"];
    let mut server = Server::start(&test_db.url, &args, &[]).await;
    let (mut stream, _never_sent) = start_a_request(&server.socket).await;

    server.terminate();
    let status = server
        .wait_for_exit(Duration::from_secs(2) + HANG_GUARD)
        .await;
    assert_eq!(status.map(|s| s.code()), Some(Some(0)), "{}", server.log());
    // The connection was closed without an answer.
    let mut answer = Vec::new();
    let _ = within("the connection's end", stream.read_to_end(&mut answer)).await;
    assert_eq!(String::from_utf8_lossy(&answer), "");
}

// --- 4. An import killed halfway -------------------------------------------------------------

/// Articles in the big bundle: enough that its import takes seconds in a debug build.
const BIG: usize = 3_000;

fn write_bundle(dir: &tempfile::TempDir, name: &str, bundle: &Value) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, bundle.to_string()).expect("write a bundle");
    path.to_str().expect("a UTF-8 path").to_owned()
}

fn import(database_url: &str, file: &str) -> String {
    let output = content_api(database_url)
        .args(["import", file])
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{}:\n{stderr}", output.status);
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_killed_halfway_leaves_the_database_as_it_was() {
    let test_db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    // Before: the seed article, and two articles the big import would change.
    let mut before = synthetic_bundle(2)["articles"].clone();
    for article in before.as_array_mut().expect("articles") {
        let title = article["title"].as_str().expect("a title");
        article["title"] = json!(format!("Before: {title}"));
    }
    let mut articles = vec![seed()["articles"][0].clone()];
    articles.extend(before.as_array().expect("articles").iter().cloned());
    import(
        &test_db.url,
        &write_bundle(&dir, "small.json", &bundle_of(articles)),
    );
    let as_it_was = snapshot(&test_db.url).await;
    assert_eq!(as_it_was["articles"].len(), 3);
    let events = db::connect(&test_db.url).await.expect("connect");
    let events_before = content::events::last_seq(&events)
        .await
        .expect("the outbox");
    assert_eq!(events_before, 3, "one event per article imported");

    let big = write_bundle(&dir, "big.json", &synthetic_bundle(BIG));
    let mut probe = WriterProbe::new(&test_db).await;
    let mut child = content_api(&test_db.url)
        .args(["import", &big])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !probe.someone_is_writing().await {
        if let Some(status) = child.try_wait().expect("the import's status") {
            panic!("the import ended ({status}) before it was seen writing: raise BIG");
        }
        assert!(
            Instant::now() < deadline,
            "the import was never seen writing"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().expect("kill -9 the import");
    let status = child.wait().expect("the import's status");
    assert_eq!(status.signal(), Some(9), "killed, not finished: {status}");
    drop(probe);

    assert_eq!(snapshot(&test_db.url).await, as_it_was);
    assert_eq!(
        content::events::since(&events, events_before, 10)
            .await
            .expect("the outbox")
            .len(),
        0,
        "the killed import's events went with it"
    );

    // And the database takes the whole import afterwards.
    assert_eq!(
        import(&test_db.url, &big),
        format!(
            "imported {big}\n\
             publications: 0 created, 0 updated, 2 unchanged\n\
             authors:      0 created, 0 updated, 1 unchanged\n\
             speakers:     0 created, 0 updated, 3 unchanged\n\
             articles:     {} created, 2 updated, 0 unchanged\n\
             tags:         0 created\n",
            BIG - 2
        )
    );
    let mut slugs: Vec<String> = (0..BIG).map(|i| format!("story-{i:03}")).collect();
    slugs.push(SEED_SLUG.to_owned());
    slugs.sort();
    assert_eq!(article_slugs(&test_db.url).await, slugs);
}

/// Every article's slug in the database, sorted.
async fn article_slugs(database_url: &str) -> Vec<String> {
    use sea_orm::EntityTrait;
    let db = db::connect(database_url).await.expect("connect");
    let mut slugs: Vec<String> = entity::article::Entity::find()
        .all(&db)
        .await
        .expect("read the articles")
        .into_iter()
        .map(|a| a.slug)
        .collect();
    db.close().await.ok();
    slugs.sort();
    slugs
}

/// A panic while a request runs (injected: `panic_on_operation`) answers that request with a
/// 500, code `INTERNAL` and its request id, never drops the connection, and the server goes on
/// answering: the next request on the same connection and a batch beside it.
#[tokio::test]
async fn a_panic_answers_500_with_the_request_id_and_the_server_goes_on() {
    let app = common::spawn_with(common::Options {
        settings: ServeSettings {
            panic_on_operation: Some("Boom".into()),
            ..ServeSettings::default()
        },
        ..common::Options::default()
    })
    .await;
    for round in 0..3 {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("x-request-id", format!("boom-{round}"))
            .json(&json!({ "query": "query Boom { __typename }", "operationName": "Boom" }))
            .send()
            .await
            .expect("an answer, not a dropped connection");
        assert_eq!(response.status(), 500);
        assert_eq!(
            response.headers()["x-request-id"],
            format!("boom-{round}").as_str()
        );
        let body: Value = response.json().await.expect("a JSON body");
        assert_eq!(
            body,
            json!({ "errors": [{
                "message": "internal error",
                "extensions": { "code": "INTERNAL", "requestId": format!("boom-{round}") },
            }] })
        );

        // The server still answers, on the same connection (reqwest keeps it alive).
        let data = app.data("{ __typename }", json!({})).await;
        assert_eq!(data, json!({ "__typename": "Query" }));
    }

    // In a batch, the panicking operation alone fails; the answer is a 500.
    let batch = json!([
        { "query": "{ __typename }" },
        { "query": "query Boom { __typename }", "operationName": "Boom" },
    ]);
    let response = app
        .post_raw(&batch.to_string(), "application/json", None)
        .await;
    assert_eq!(response.status(), 500);
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(body[0], json!({ "data": { "__typename": "Query" } }));
    assert_eq!(body[1]["errors"][0]["extensions"]["code"], "INTERNAL");
    assert_eq!(
        app.metric(r#"content_api_graphql_operations_total{operation="Boom",outcome="internal"}"#)
            .await,
        4.0
    );
}

/// On Postgres the server's pool carries the execution timeout as `statement_timeout`: a
/// request stopped at its timeout stops its statement too, and a statement the server cancels
/// is the database being overloaded (503), never an internal error.
#[tokio::test]
async fn statements_stop_at_the_execution_timeout_on_postgres() {
    let test_db = TestDb::new().await;
    if !test_db.is_postgres() {
        eprintln!("skipped: needs a server database (set TEST_DATABASE_URL to a Postgres URL)");
        return;
    }
    db::connect_and_migrate(&test_db.url)
        .await
        .expect("migrate");
    let pool = db::open(&DatabaseSettings {
        database_url: test_db.url.clone(),
        statement_timeout_ms: Some(200),
        ..DatabaseSettings::default()
    })
    .await
    .expect("open");
    use sea_orm::ConnectionTrait;
    let shown = pool
        .query_one_raw(sea_orm::Statement::from_string(
            pool.get_database_backend(),
            "SHOW statement_timeout",
        ))
        .await
        .expect("show")
        .expect("a row");
    assert_eq!(
        shown.try_get::<String>("", "statement_timeout").unwrap(),
        "200ms"
    );
    // And, on loopback without `sslmode`, unencrypted: both settings hold together.
    if test_db.url.contains("127.0.0.1") && !test_db.url.contains("sslmode") {
        let ssl = pool
            .query_one_raw(sea_orm::Statement::from_string(
                pool.get_database_backend(),
                "SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false) AS ssl",
            ))
            .await
            .expect("pg_stat_ssl")
            .expect("a row");
        assert!(!ssl.try_get::<bool>("", "ssl").unwrap(), "TLS on loopback");
    }
    let started = Instant::now();
    let err = pool
        .execute_unprepared("SELECT pg_sleep(5)")
        .await
        .expect_err("cancelled");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(content::Error::from(err), content::Error::Unavailable(_)),
        "a cancelled statement is Unavailable"
    );
}
