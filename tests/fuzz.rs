//! Fuzzing the HTTP surface: generated and mutated GraphQL documents, JSON bodies and raw
//! bytes never earn a 5xx, a panic or an error without a code, and the server is still healthy
//! afterwards.
//!
//! proptest generates the inputs and shrinks a failure to a small one. Its configuration is
//! fixed (cases, algorithm, seed), so every run sends the same requests and a failure
//! reproduces; nothing is persisted into the repository. Each property gets its own server
//! and database, runs alone (so a panic is known to be its server's), and drives the server
//! over real HTTP from proptest's synchronous closure with a runtime of its own. The contract
//! checked does not depend on the configured limits' values: only that refusals are 4xx with
//! coded errors.
//!
//! Each property prints what it sent: cases, requests, statuses, error codes and its slowest
//! case (`cargo test --test fuzz -- --nocapture` shows it when the test passes).

mod common;

use std::{
    cell::{Cell, RefCell},
    collections::BTreeMap,
    fmt,
    sync::{Mutex, Once, PoisonError},
    time::{Duration, Instant},
};

use common::{SEED_SLUG, TestApp, seed, spawn_app};
use content_api::content::tokens::{self, Scope};
use proptest::{
    prelude::*,
    sample::{Index, select},
    test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestError, TestRunner},
};
use reqwest::{
    RequestBuilder,
    header::{ACCEPT, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE},
};
use serde_json::{Value, json};
use url::form_urlencoded::byte_serialize;

/// The same inputs on every run: a failure seen once is seen again.
const RNG_SEED: u64 = 0x00C0_FFEE_5EED_0005;

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(RNG_SEED),
        // In process, so the server's panics reach our hook and the closure can use the runtime.
        fork: false,
        timeout: 0,
        // Shrinking sends requests too: bound it so a hanging server cannot stall the suite.
        max_shrink_iters: 2_000,
        max_shrink_time: 60_000,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Panics in the server
// ---------------------------------------------------------------------------------------------

/// Panics on threads other than the one running the property: the server's workers, where
/// requests are handled.
static SERVER_PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

thread_local! {
    /// Set on the threads running the properties, whose own failures are reported otherwise.
    static HARNESS: Cell<bool> = const { Cell::new(false) };
}

/// Records every panic outside the harness, then lets the previous hook print it (with its
/// thread and backtrace) the first time: shrinking replays a panic hundreds of times.
fn watch_for_panics() {
    HARNESS.with(|h| h.set(true));
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !HARNESS.try_with(Cell::get).unwrap_or(false) {
                let panic = info.to_string();
                let mut panics = SERVER_PANICS.lock().unwrap_or_else(PoisonError::into_inner);
                let first = !panics.contains(&panic);
                panics.push(panic);
                drop(panics);
                if !first {
                    return;
                }
            }
            previous(info);
        }));
    });
}

/// The panics seen since the `first`, each once with how often.
fn server_panics(first: usize) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let panics = SERVER_PANICS.lock().unwrap_or_else(PoisonError::into_inner);
    for panic in panics.iter().skip(first) {
        *seen.entry(panic.clone()).or_default() += 1;
    }
    seen.into_iter()
        .map(|(panic, n)| format!("{n}× {panic}"))
        .collect()
}

fn panic_count() -> usize {
    SERVER_PANICS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .len()
}

/// One property at a time: a panic then belongs to the property running, and a server left
/// spinning by one property does not slow the other.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

// ---------------------------------------------------------------------------------------------
// Sending, and the contract every answer keeps
// ---------------------------------------------------------------------------------------------

/// A server under fuzzing, and what was sent to it.
struct Target {
    app: TestApp,
    client: reqwest::Client,
    write_token: String,
    requests: Cell<u64>,
    statuses: RefCell<BTreeMap<u16, u64>>,
    codes: RefCell<BTreeMap<String, u64>>,
    /// The last request answered: a slow one can cost the connection the next one uses.
    previous: RefCell<Option<(String, u16, Duration)>>,
}

struct Reply {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Target {
    async fn new() -> Self {
        let app = spawn_app().await;
        let (_, write_token) = tokens::create(&app.db, "fuzz", Scope::Write)
            .await
            .expect("a write token");
        let client = reqwest::Client::builder()
            // A hang is a finding too, not a stuck suite; the server stops execution itself
            // well before this (`--execution-timeout-ms`).
            .timeout(Duration::from_secs(20))
            .build()
            .expect("an HTTP client");
        Self {
            app,
            client,
            write_token,
            requests: Cell::new(0),
            statuses: RefCell::default(),
            codes: RefCell::default(),
            previous: RefCell::default(),
        }
    }

    fn url(&self, path_and_query: &str) -> String {
        self.app.url(path_and_query)
    }

    fn authorize(&self, request: RequestBuilder, who: &Who) -> RequestBuilder {
        match who {
            Who::Anonymous => request,
            Who::Writer => request.bearer_auth(&self.write_token),
            Who::Header(value) => request.header(AUTHORIZATION, value.as_str()),
        }
    }

    /// Sends `request`; a request with no answer (reset, timeout) fails the case.
    async fn send(&self, what: &str, request: RequestBuilder) -> Result<Reply, TestCaseError> {
        self.requests.set(self.requests.get() + 1);
        let started = Instant::now();
        let response = request.send().await.map_err(|e| {
            let before = match &*self.previous.borrow() {
                Some((what, status, took)) => {
                    format!("{what} answered {status} in {:.1}s", took.as_secs_f64())
                }
                None => "none".to_owned(),
            };
            TestCaseError::fail(format!(
                "{what}: no answer after {:.1}s: {}\n  the request before: {before}",
                started.elapsed().as_secs_f64(),
                clip(&format!("{e:?}"), 1_000)
            ))
        })?;
        let status = response.status().as_u16();
        *self.statuses.borrow_mut().entry(status).or_default() += 1;
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let body = response
            .bytes()
            .await
            .map_err(|e| TestCaseError::fail(format!("{what}: HTTP {status}, body cut: {e:?}")))?
            .to_vec();
        *self.previous.borrow_mut() = Some((what.to_owned(), status, started.elapsed()));
        Ok(Reply {
            status,
            content_type,
            body,
        })
    }

    /// Sends `request` and checks the contract. `graphql` requires a GraphQL response
    /// (`data` and/or `errors`) whenever the status is 200 or 400.
    async fn check(
        &self,
        what: &str,
        request: RequestBuilder,
        graphql: bool,
    ) -> Result<(), TestCaseError> {
        let reply = self.send(what, request).await?;
        let codes = contract(&reply, graphql).map_err(|problem| {
            TestCaseError::fail(format!(
                "{what}: {problem}\n  status: {}\n  content-type: {}\n  body: {}",
                reply.status,
                reply.content_type,
                clip(&String::from_utf8_lossy(&reply.body), 2_000)
            ))
        })?;
        let mut seen = self.codes.borrow_mut();
        for code in codes {
            *seen.entry(code).or_default() += 1;
        }
        Ok(())
    }

    fn summary(&self, property: &str, cases: u32, took: Duration, slowest: &str) -> String {
        format!(
            "fuzz {property}: {cases} cases run (shrinking included), {} requests in {:.1}s\n  statuses: {:?}\n  error codes: {:?}\n  slowest case: {slowest}",
            self.requests.get(),
            took.as_secs_f64(),
            self.statuses.borrow(),
            self.codes.borrow(),
        )
    }
}

/// The contract: no 5xx; a JSON body (GraphiQL's page aside); every error with a code, and no
/// `INTERNAL` one (the server's fault, a 500 in disguise); a refusal carries errors. Returns
/// the codes seen.
fn contract(reply: &Reply, graphql: bool) -> Result<Vec<String>, String> {
    let status = reply.status;
    if status >= 500 {
        return Err("a 5xx".into());
    }
    if status == 200 && reply.content_type.starts_with("text/html") {
        return Ok(Vec::new()); // GraphiQL, for a browser's GET without a query
    }
    let body: Value =
        serde_json::from_slice(&reply.body).map_err(|e| format!("the body is not JSON: {e}"))?;
    // A batch is answered with an array of responses.
    let responses = match &body {
        Value::Array(items) => items.iter().collect(),
        _ => vec![&body],
    };
    let mut codes = Vec::new();
    for response in responses {
        let Some(object) = response.as_object() else {
            return Err("a response that is not a JSON object".into());
        };
        let errors = match object.get("errors") {
            None => &Vec::new(),
            Some(Value::Array(errors)) if !errors.is_empty() => errors,
            Some(other) => return Err(format!("`errors` is not a non-empty array: {other}")),
        };
        if graphql
            && matches!(status, 200 | 400)
            && !object.contains_key("data")
            && errors.is_empty()
        {
            return Err("neither `data` nor `errors`".into());
        }
        for error in errors {
            match error["extensions"]["code"].as_str() {
                None => {
                    return Err(format!(
                        "an error without extensions.code: {}",
                        clip(&error.to_string(), 1_000)
                    ));
                }
                Some("INTERNAL") => {
                    return Err(format!(
                        "an INTERNAL error: {}",
                        clip(&error.to_string(), 1_000)
                    ));
                }
                Some(code) => codes.push(code.to_owned()),
            }
        }
    }
    if status >= 400 && codes.is_empty() {
        return Err(format!("a {status} without errors"));
    }
    Ok(codes)
}

/// After the storm: the probes answer, the seed article is served, nothing panicked since
/// the `first` panic counted.
async fn survived(target: &Target, first: usize) -> Vec<String> {
    // A client of its own: the fuzzing client's connection may have been closed under it.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("an HTTP client");
    let mut problems = Vec::new();
    for path in ["/healthz", "/readyz"] {
        match client.get(target.url(path)).send().await {
            Ok(r) if r.status() == 200 => {}
            Ok(r) => problems.push(format!("{path} answered {}", r.status())),
            Err(e) => problems.push(format!("{path} did not answer: {e}")),
        }
    }
    let request = json!({ "query": "query($slug: String) { article(slug: $slug) { title } }",
                          "variables": { "slug": SEED_SLUG } });
    let expected = json!({ "data": { "article": { "title": seed()["articles"][0]["title"] } } });
    match client
        .post(target.url("/graphql"))
        .json(&request)
        .send()
        .await
    {
        Ok(r) => match r.json::<Value>().await {
            Ok(body) if body == expected => {}
            Ok(body) => problems.push(format!("the seed query answered {body}")),
            Err(e) => problems.push(format!("the seed query's body: {e}")),
        },
        Err(e) => problems.push(format!("the seed query did not answer: {e}")),
    }
    problems.extend(
        server_panics(first)
            .into_iter()
            .map(|p| format!("the server panicked: {p}")),
    );
    problems
}

/// Runs `property` over `cases` inputs against a fresh server, then checks the server
/// survived; fails with the failing input, the stats and whatever is wrong.
fn fuzz<S>(
    property: &str,
    cases: u32,
    strategy: impl AsyncFnOnce(&Target) -> S,
    send: impl AsyncFn(&Target, S::Value) -> Result<(), TestCaseError>,
) where
    S: Strategy,
    S::Value: Clone + fmt::Debug,
{
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    watch_for_panics();
    let panics_before = panic_count();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let target = runtime.block_on(Target::new());
    let strategy = runtime.block_on(strategy(&target));
    // Shrinking replays inputs against a server an earlier case may have left busy or broken,
    // so it can blame a smaller input than the one at fault: keep the first failure as well.
    let first_failure = RefCell::new(None);
    // Time is what a cheap request can cost the server: show the dearest case.
    let slowest = RefCell::new((Duration::ZERO, String::new()));
    let started = Instant::now();
    let run = Cell::new(0);
    let result = TestRunner::new(config(cases)).run(&strategy, |input| {
        run.set(run.get() + 1);
        let case_started = Instant::now();
        let outcome = runtime.block_on(send(&target, input.clone()));
        let took = case_started.elapsed();
        if took > slowest.borrow().0 {
            *slowest.borrow_mut() = (took, clip(&format!("{input:?}"), 600));
        }
        if let Err(why) = &outcome {
            first_failure
                .borrow_mut()
                .get_or_insert_with(|| format!("{why}\ninput: {input:#?}"));
        }
        outcome
    });
    let (took, input) = slowest.into_inner();
    let slowest = format!("{:.1}s: {input}", took.as_secs_f64());
    let summary = target.summary(property, run.get(), started.elapsed(), &slowest);
    eprintln!("{summary}");
    let problems = runtime.block_on(survived(&target, panics_before));
    // The database pool closes inside the runtime that drives it.
    runtime.block_on(async move { drop(target) });

    let mut report = Vec::new();
    match result {
        Ok(()) => {}
        Err(TestError::Abort(why)) => report.push(format!("aborted: {why}")),
        Err(TestError::Fail(why, input)) => {
            report.push(format!(
                "a case broke the contract: {why}\nminimal failing input: {input:#?}"
            ));
            if let Some(first) = first_failure.into_inner() {
                report.push(format!("first failure, before shrinking: {first}"));
            }
        }
    }
    if !problems.is_empty() {
        report.push(format!("afterwards: {}", problems.join("\n  ")));
    }
    // The summary is printed above, with the test's captured output.
    assert!(report.is_empty(), "{}", report.join("\n\n"));
}

/// `s`, cut to about `max` bytes with its length said, so a failure message stays readable.
fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut head = max / 2;
    while !s.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = s.len() - max / 4;
    while !s.is_char_boundary(tail) {
        tail += 1;
    }
    format!("{}…[{} bytes in all]…{}", &s[..head], s.len(), &s[tail..])
}

/// Bytes shown as a byte string literal, clipped.
#[derive(Clone)]
struct Bytes(Vec<u8>);

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "b\"{}\"",
            clip(&self.0.escape_ascii().to_string(), 4_000)
        )
    }
}

/// Who sends a request.
#[derive(Clone, Debug)]
enum Who {
    Anonymous,
    /// A `write` token, so mutations run and their input is validated and stored.
    Writer,
    /// An `Authorization` header as given.
    Header(String),
}

/// Anonymous readers and writers, and `odd` in ten-odd an `Authorization` header that is
/// malformed or names no token.
fn who(odd: u32) -> impl Strategy<Value = Who> {
    prop_oneof![
        6 => Just(Who::Anonymous),
        3 => Just(Who::Writer),
        odd => prop_oneof![
            "Bearer [ -~]{0,60}",
            "[ -~]{0,40}",
            Just("Bearer cat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned()),
        ]
        .prop_map(Who::Header),
    ]
}

const ACCEPTABLE: &[&str] = &[
    "application/json",
    "application/graphql-response+json",
    "application/graphql-response+json, application/json;q=0.9",
    "*/*",
    "application/*",
    "text/html,application/xhtml+xml,*/*;q=0.8",
];

const UNACCEPTABLE: &[&str] = &["text/html", "text/plain", "application/xml", ";;;,,,", ""];

/// No `Accept`, one we can answer, and `odd` in ten-odd one we cannot or garbage.
fn accept(odd: u32) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(None),
        6 => select(ACCEPTABLE).prop_map(|a| Some(a.to_owned())),
        odd => prop_oneof![select(UNACCEPTABLE).prop_map(str::to_owned), "[ -~]{0,40}"]
            .prop_map(Some),
    ]
}

// ---------------------------------------------------------------------------------------------
// Strings and JSON values
// ---------------------------------------------------------------------------------------------

/// Strings our code treats specially somewhere: slugs, search syntax, times, cursors, URLs.
#[rustfmt::skip]
const INTERESTING: &[&str] = &[
    SEED_SLUG, "linus-torvalds", "digital-event-horizon",
    "", " ", "the", "***", "\"unterminated phrase", "AND OR NOT -x +y", "'; DROP TABLE article; --",
    "%_\\", "\u{0}", "\u{FEFF}\u{202E}\u{200B}", "<script>alert(1)</script>",
    "2025-02-21T16:04:56Z", "9999-12-31T23:59:59Z", "+275760-09-13T00:00:00Z",
    "0000-00-00T00:00:00Z", "2025-02-30T25:61:61+99:99",
    "YXJ0aWNsZTo", "QXJ0aWNsZTowMTkzZmZmZi0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDA", "====",
    "cat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "https://example.com/", "javascript:alert(1)",
    "PUBLISHED", "RELEVANCE", "1e400", "-9223372036854775809", "NaN",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        // Any scalar value, control characters and NUL included.
        2 => prop::collection::vec(any::<char>(), 0..40).prop_map(String::from_iter),
        3 => select(INTERESTING).prop_map(str::to_owned),
        // A string we know with a control character or a noncharacter inside.
        1 => (select(INTERESTING), select(&["\u{0}", "\u{1b}", "\u{FFFF}"][..]))
            .prop_map(|(s, c)| format!("{s}{c}{s}")),
        1 => (select(&["a", "é", "🦀", "\u{0}", "-", "\"", "\\"][..]), 1..20_000usize)
            .prop_map(|(s, n)| s.repeat(n)),
    ]
}

/// Names of variables and input fields in our schema, so random objects often fit a slot.
const KEYS: &str = "slug first last after before filter order orderBy field direction q search
    id input patch title body summary publication author tags keyPoints quotes speaker text context
    relatedLinks url rel copyright holder notice year license status publishedAfter full short at
    name kind query variables";

/// Integers at the edges of our ranges: page sizes, Int's 32 bits.
const EDGES: &[i64] = &[0, 1, -1, 20, 100, 101, i32::MAX as i64, i32::MAX as i64 + 1];

/// A JSON scalar: edges of our integer ranges, floats, and strings of every sort.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => select(EDGES).prop_map(Value::from),
        1 => any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        3 => text().prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let keys: Vec<&str> = KEYS.split_whitespace().collect();
    leaf().prop_recursive(4, 48, 6, move |inner| {
        let key = prop_oneof![3 => select(keys.clone()).prop_map(str::to_owned), 1 => text()];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

// ---------------------------------------------------------------------------------------------
// Property 1: mutated valid documents
// ---------------------------------------------------------------------------------------------

/// Real requests against our schema: every root field, nesting, connections, search, node,
/// mutations, fragments, variables, aliases and directives.
fn corpus(speaker_id: &str) -> Vec<(String, Option<&'static str>, Value)> {
    let mut input = seed()["articles"][0].clone();
    input["slug"] = json!("fuzz-article");
    if let Some(map) = input.as_object_mut() {
        map.remove("status");
        map.remove("publishedAt");
    }
    let docs: Vec<(&str, Option<&'static str>, Value)> = vec![
        (
            "query Article($slug: String) {
              article(slug: $slug) {
                id slug title summary body(format: HTML) status publishedAt wordCount
                readingTimeMinutes section canonicalUrl searchSnippet
                author { id name kind } publication { name url sponsorMessage links { label url } }
                tags { slug articleCount } keyPoints { id position text }
                quotes { position text context speaker { slug name role organization } article { slug } }
                relatedLinks { url title rel } copyright { holder notice year license }
              }
            }",
            Some("Article"),
            json!({ "slug": SEED_SLUG }),
        ),
        (
            "query Page($first: Int, $after: String, $filter: ArticleFilter, $order: ArticleOrder) {
              articles(first: $first, after: $after, filter: $filter, orderBy: $order) {
                totalCount edges { cursor node { slug title body(format: PLAIN_TEXT) } }
                pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
              }
            }",
            Some("Page"),
            json!({ "first": 2, "after": null, "order": { "field": "TITLE", "direction": "ASC" },
                    "filter": { "status": "PUBLISHED", "tag": "rust", "speaker": "linus-torvalds",
                                "publishedAfter": "2020-01-01T00:00:00Z" } }),
        ),
        (
            r#"{ articles(last: 3, before: "YXJ0aWNsZQ", orderBy: { field: UPDATED_AT, direction: ASC }) {
                 nodes { slug } pageInfo { hasPreviousPage startCursor } } }"#,
            None,
            Value::Null,
        ),
        (
            r#"query Speakers {
              speakers(first: 5) { totalCount pageInfo { endCursor } nodes { slug name
                quotes(first: 2) { totalCount nodes { text article { title } } }
                articles(first: 1, after: null) { totalCount nodes { slug } } } }
              speaker(slug: "linus-torvalds") { name organization quotes { edges { cursor } } }
            }"#,
            Some("Speakers"),
            Value::Null,
        ),
        (
            "query Search($q: String) {
              articles(filter: { search: $q }, orderBy: { field: RELEVANCE }) { nodes { slug searchSnippet } }
              quotes(first: 3, filter: { search: $q }) { totalCount nodes { text speaker { name } } }
            }",
            Some("Search"),
            json!({ "q": "Hellwig \"DMA API\" maintainers" }),
        ),
        (
            "query Lookups($s: String) {
              article(slug: $s) { title } speaker(slug: $s) { name }
              articles(filter: { tag: $s, author: $s, publication: $s }) { totalCount }
              quotes(filter: { speaker: $s, article: $s }) { totalCount }
            }",
            Some("Lookups"),
            json!({ "s": "linus-torvalds" }),
        ),
        (
            "query Node($id: ID!) {
              node(id: $id) { id __typename ... on Article { title } ... on Speaker { name }
                              ... on Author { kind } ... on Publication { url } }
            }",
            Some("Node"),
            json!({ "id": speaker_id }),
        ),
        (
            "fragment Card on Article { slug title @include(if: $full) summary @skip(if: $short) }
            query Cards($full: Boolean!, $short: Boolean = false) {
              newest: articles(first: 1) { nodes { ...Card } }
              oldest: articles(last: 1) { nodes { ...Card author { ... on Author { name } } } }
              tags { slug articleCount } authors { slug kind } publications { slug links { url } }
            }",
            Some("Cards"),
            json!({ "full": true }),
        ),
        (
            r#"{ quotes(first: 5, filter: { speaker: "linus-torvalds", article: "x" }) {
                 totalCount edges { cursor node { position text context } } } }"#,
            None,
            Value::Null,
        ),
        (
            r#"query A { tags { slug } } query B { authors { name } }
            mutation C { deleteArticle(id: "x") }"#,
            Some("B"),
            Value::Null,
        ),
        (
            "mutation Create($input: ArticleInput!) { createArticle(input: $input) { id slug status } }",
            Some("Create"),
            json!({ "input": input }),
        ),
        (
            r#"mutation Update($id: ID!, $patch: ArticlePatch!) {
              updateArticle(id: $id, input: $patch) { id title }
              publishArticle(id: $id, at: "2030-01-01T00:00:00Z") { status }
              archiveArticle(id: $id) { status }
            }"#,
            Some("Update"),
            // A real id, of the wrong type.
            json!({ "id": speaker_id, "patch": { "title": "x", "tags": ["a"], "summary": null } }),
        ),
        (
            r#"mutation Upserts {
              upsertSpeaker(input: { slug: "fuzz-speaker", name: "Fuzz", role: null }) { id slug }
              upsertAuthor(input: { slug: "fuzz-author", name: "F", kind: AI_MODEL }) { id }
              upsertPublication(input: { slug: "fuzz-pub", name: "P", links: [{ label: "a", url: "https://example.com/" }] }) { id }
            }"#,
            Some("Upserts"),
            Value::Null,
        ),
        (
            r#"{ __schema { queryType { name } types { name kind fields { name args { name } } } }
                 __type(name: "Article") { name fields { name type { name } } } }"#,
            None,
            Value::Null,
        ),
    ];
    docs.into_iter()
        .map(|(doc, op, vars)| (doc.to_owned(), op, vars))
        .collect()
}

/// A document to start from: one of the corpus, or one built to stress a limit.
#[derive(Clone, Debug)]
enum Base {
    Corpus(Index),
    /// `quotes { article { quotes { … } } }`, this deep.
    Deep(usize),
    /// Page inside page inside page: what a complexity limit is for.
    Wide(usize),
    Aliases(usize),
    Directives(usize),
    /// Fragments spreading the one below `width` times: width^levels fields once expanded,
    /// from a document of a few hundred bytes.
    Laughs {
        levels: usize,
        width: usize,
    },
    Operations(usize),
    /// A comment making the document this many bytes.
    Padded(usize),
    /// `[[[…]]]` as an argument value.
    DeepList(usize),
    /// `{ a: { a: … } }` as an argument value.
    DeepObject(usize),
    /// This many variables of one type, each with a default: types of the schema, wrapped,
    /// and types it does not have.
    VariableDefinitions(usize, Index),
}

/// Variable types and a default for each.
const VARIABLE_TYPES: &[(&str, &str)] = &[
    ("[Int!]!", "[1]"),
    ("Int", "1"),
    ("[[ID]]", "[[\"x\"]]"),
    ("ArticleOrder", "{ field: TITLE }"),
    ("ArticleStatus", "DRAFT"),
    ("DateTime", "\"2025-01-01T00:00:00Z\""),
    ("Nope", "1"),
    ("[Nope]", "[1]"),
    ("[Nope!]!", "[{ a: 1 }]"),
];

fn base() -> impl Strategy<Value = Base> {
    prop_oneof![
        12 => any::<Index>().prop_map(Base::Corpus),
        1 => (1..80usize).prop_map(Base::Deep),
        1 => (1..12usize).prop_map(Base::Wide),
        1 => (1..200usize).prop_map(Base::Aliases),
        1 => (1..300usize).prop_map(Base::Directives),
        2 => (1..34usize, 2..6usize).prop_map(|(levels, width)| Base::Laughs { levels, width }),
        1 => (1..200usize).prop_map(Base::Operations),
        1 => select(&[1_000, 60_000, 70_000, 300_000, 1_500_000][..]).prop_map(Base::Padded),
        1 => (1..5_000usize).prop_map(Base::DeepList),
        1 => (1..5_000usize).prop_map(Base::DeepObject),
        1 => (1..500usize, any::<Index>()).prop_map(|(n, ty)| Base::VariableDefinitions(n, ty)),
    ]
}

fn render(base: &Base) -> String {
    match *base {
        Base::Corpus(_) => unreachable!("the corpus is looked up by the caller"),
        Base::Deep(n) => format!(
            "query($slug: String) {{ article(slug: $slug) {{ {} title {} }} }}",
            "quotes { article { ".repeat(n),
            "} } ".repeat(n)
        ),
        Base::Wide(n) => format!(
            "{{ speakers(first: 100) {{ nodes {{ {} slug {} }} }} }}",
            "quotes(first: 100) { nodes { speaker { ".repeat(n),
            "} } } ".repeat(n)
        ),
        Base::Aliases(n) => format!(
            "query($slug: String) {{ {} }}",
            (0..n)
                .map(|i| format!("a{i}: article(slug: $slug) {{ t{i}: title }}"))
                .collect::<String>()
        ),
        Base::Directives(n) => format!(
            "{{ tags {{ slug {} }} }}",
            "@include(if: true) @skip(if: false) ".repeat(n)
        ),
        Base::Laughs { levels, width } => {
            let mut doc = String::from("query { ...F0 }\n");
            for i in 0..levels {
                let spreads = format!("...F{} ", i + 1).repeat(width);
                doc.push_str(&format!("fragment F{i} on Query {{ {spreads}}}\n"));
            }
            doc.push_str(&format!(
                "fragment F{levels} on Query {{ __typename tags {{ slug }} }}\n"
            ));
            doc
        }
        Base::Operations(n) => (0..n)
            .map(|i| format!("query Q{i} {{ __typename a{i}: tags {{ slug }} }}\n"))
            .collect(),
        Base::Padded(size) => {
            let mut doc = String::from("{ tags { slug } }\n#");
            doc.push_str(&"x".repeat(size.saturating_sub(doc.len())));
            doc
        }
        Base::DeepList(n) => format!(
            "{{ article(slug: {}\"x\"{}) {{ title }} }}",
            "[".repeat(n),
            "]".repeat(n)
        ),
        Base::DeepObject(n) => format!(
            "{{ articles(filter: {}{}) {{ totalCount }} }}",
            "{ a: ".repeat(n),
            "}".repeat(n)
        ),
        Base::VariableDefinitions(n, ty) => {
            let (ty, default) = VARIABLE_TYPES[ty.index(VARIABLE_TYPES.len())];
            format!(
                "query({}) {{ tags {{ slug }} }}",
                (0..n)
                    .map(|i| format!("$v{i}: {ty} = {default} "))
                    .collect::<String>()
            )
        }
    }
}

/// GraphQL's punctuation and keywords, literals at and past the edges, odd escapes, fields
/// that reach far: what an edit splices into a document.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "{", "}", "(", ")", "[", "]", ":", "$", "@", "!", "...", "=", "|", "&", ",", "\"", "\"\"\"",
    "#", "\n", "\t", "\u{FEFF}",
    "query", "mutation", "subscription", "fragment", "on", "null", "true", "false", "schema",
    "extend", "directive", "$slug", "$undefined", "$x: Int = 1",
    "__typename", "__schema { types { name fields { name } } }", "__type(name: \"Article\") { name }",
    "@include(if: true)", "@skip(if: $full)", "@deprecated", "@nope(x: 1)",
    "...Card", "... on Article { slug }", "... on Query { tags { slug } }", "node(id: \"x\") { id }",
    "quotes { speaker { quotes(first: 100) { nodes { text } } } }", "title", "slug: ",
    "first: ", "first: 100", "last: -1", "first: 2147483648", "99999999999999999999999999999",
    "-2147483649", "1e309", "-0.0", "1.7976931348623157e309", "0x1F", "00012", "1.", ".5",
    "\"\\u0000\"", "\"\\uD800\"", "\"\\uDFFF\\uD800\"", "\"\\u{10FFFF}\"", "\"\\x\"",
    "\"\"\"block \\\"\"\" string\"\"\"", "\"unterminated",
    "PUBLISHED", "RELEVANCE", "HTML", "orderBy: { field: RELEVANCE }", "filter: { search: \"\" }",
];

/// One change to a document's characters; positions are fractions of its current length.
#[derive(Clone, Debug)]
enum Edit {
    Delete(Index, usize),
    Insert(Index, String),
    Duplicate {
        from: Index,
        len: usize,
        to: Index,
        times: usize,
    },
    Truncate(Index),
    Replace(Index, char),
    /// `open` this many times, then `close` as many times if balanced.
    Nest {
        at: Index,
        open: &'static str,
        close: &'static str,
        depth: usize,
        balanced: bool,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    let token = prop_oneof![
        6 => select(TOKENS).prop_map(str::to_owned),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|f| f.to_string()),
        2 => any::<String>(),
        1 => (select(&["a", "_", "A9"][..]), 1..20_000usize).prop_map(|(s, n)| s.repeat(n)),
    ];
    let brackets = select(
        &[
            ("{", "}"),
            ("[", "]"),
            ("(", ")"),
            ("f { ", "}"),
            ("... on Query { ", "}"),
            ("{ a: ", "}"),
            ("x(a: ", ")"),
        ][..],
    );
    prop_oneof![
        3 => (any::<Index>(), 1..30usize).prop_map(|(at, n)| Edit::Delete(at, n)),
        4 => (any::<Index>(), token).prop_map(|(at, t)| Edit::Insert(at, t)),
        2 => (any::<Index>(), 1..300usize, any::<Index>(), 1..5usize)
            .prop_map(|(from, len, to, times)| Edit::Duplicate { from, len, to, times }),
        1 => any::<Index>().prop_map(Edit::Truncate),
        2 => (any::<Index>(), any::<char>()).prop_map(|(at, c)| Edit::Replace(at, c)),
        1 => (any::<Index>(), brackets, 1..3_000usize, any::<bool>()).prop_map(
            |(at, (open, close), depth, balanced)| Edit::Nest { at, open, close, depth, balanced }
        ),
    ]
}

fn apply(doc: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = doc.chars().collect();
    // A position in, or just after, the document.
    let pos = |at: &Index, chars: &[char]| at.index(chars.len() + 1);
    for edit in edits {
        match edit {
            Edit::Delete(at, n) => {
                let start = pos(at, &chars).min(chars.len());
                let end = (start + n).min(chars.len());
                chars.drain(start..end);
            }
            Edit::Insert(at, text) => {
                let at = pos(at, &chars);
                chars.splice(at..at, text.chars());
            }
            Edit::Duplicate {
                from,
                len,
                to,
                times,
            } => {
                let start = pos(from, &chars).min(chars.len());
                let span: Vec<char> = chars[start..(start + len).min(chars.len())].to_vec();
                let at = pos(to, &chars);
                let copies: Vec<char> = span
                    .iter()
                    .copied()
                    .cycle()
                    .take(span.len() * times)
                    .collect();
                chars.splice(at..at, copies);
            }
            Edit::Truncate(at) => {
                let at = pos(at, &chars);
                chars.truncate(at);
            }
            Edit::Replace(at, c) => {
                if !chars.is_empty() {
                    let at = at.index(chars.len());
                    chars[at] = *c;
                }
            }
            Edit::Nest {
                at,
                open,
                close,
                depth,
                balanced,
            } => {
                let at = pos(at, &chars);
                let mut nest = open.repeat(*depth);
                if *balanced {
                    nest.push_str(&close.repeat(*depth));
                }
                chars.splice(at..at, nest.chars());
            }
        }
    }
    chars.into_iter().collect()
}

/// Byte sequences that are not UTF-8: a lone continuation byte, an overlong NUL, a
/// surrogate, a five-byte form, a truncated sequence.
const NOT_UTF8: &[&[u8]] = &[
    b"\xFF",
    b"\x80",
    b"\xC0\x80",
    b"\xED\xA0\x80",
    b"\xF8\x88\x80\x80\x80",
    b"\xE2\x82",
    b"\xFE\xFF",
];

/// Variables: the document's own, some of their values replaced, its names with random
/// values, anything, or none.
#[derive(Clone, Debug)]
enum Variables {
    Own,
    /// The document's own with the leaves at these positions replaced: input that passes
    /// type checks and reaches validation, the database and the search.
    Tweaked(Vec<(Index, Value)>),
    Keyed(Vec<Value>),
    Random(Value),
    Absent,
}

/// An operation name: the document's own, another, or none.
#[derive(Clone, Debug)]
enum OperationName {
    Own,
    Other(String),
    Absent,
}

/// What property 1 sends, as sent.
#[derive(Clone)]
struct DocumentCase {
    query: String,
    variables: Value,
    operation_name: Option<String>,
    accept: Option<String>,
    who: Who,
    /// Bytes that are not UTF-8, spliced into the query at this byte offset where the
    /// transport can carry them: a raw POST body and a GET query string.
    not_utf8: Option<(usize, Bytes)>,
}

impl fmt::Debug for DocumentCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocumentCase")
            .field("query", &clip(&self.query, 4_000))
            .field("variables", &clip(&self.variables.to_string(), 2_000))
            .field("operation_name", &self.operation_name)
            .field("accept", &self.accept)
            .field("who", &self.who)
            .field("not_utf8", &self.not_utf8)
            .finish()
    }
}

fn document_case(speaker_id: &str) -> impl Strategy<Value = DocumentCase> + use<> {
    let corpus = corpus(speaker_id);
    let variables = prop_oneof![
        2 => Just(Variables::Own),
        3 => prop::collection::vec((any::<Index>(), leaf()), 1..4).prop_map(Variables::Tweaked),
        2 => prop::collection::vec(json_value(), 1..4).prop_map(Variables::Keyed),
        2 => json_value().prop_map(Variables::Random),
        1 => Just(Variables::Absent),
    ];
    let operation_name = prop_oneof![
        4 => Just(OperationName::Own),
        1 => text().prop_map(OperationName::Other),
        1 => Just(OperationName::Absent),
    ];
    let not_utf8 = prop::option::weighted(0.2, (any::<Index>(), select(NOT_UTF8)));
    (
        base(),
        // Few edits mostly, so many documents still parse and reach validation and execution.
        prop_oneof![
            1 => Just(Vec::new()),
            2 => prop::collection::vec(edit(), 1..2),
            1 => prop::collection::vec(edit(), 2..6),
        ],
        variables,
        operation_name,
        // Mostly requests the server reads, so the documents reach GraphQL.
        accept(1),
        who(1),
        not_utf8,
    )
        .prop_map(
            move |(base, edits, variables, operation_name, accept, who, not_utf8)| {
                let (doc, own_op, own_vars) = match &base {
                    Base::Corpus(i) => {
                        let (doc, op, vars) = &corpus[i.index(corpus.len())];
                        (doc.clone(), op.map(str::to_owned), vars.clone())
                    }
                    other => (render(other), None, json!({ "slug": SEED_SLUG })),
                };
                let query = apply(&doc, &edits);
                let variables = match variables {
                    Variables::Own => own_vars,
                    Variables::Tweaked(changes) => {
                        let mut vars = own_vars;
                        for (at, value) in changes {
                            let leaves = count_leaves(&vars);
                            replace_leaf(&mut vars, at.index(leaves.max(1)), value);
                        }
                        vars
                    }
                    // The document's own variable names, so the values reach the resolvers.
                    Variables::Keyed(values) => {
                        let names: Vec<String> = own_vars
                            .as_object()
                            .map(|o| o.keys().cloned().collect())
                            .filter(|k: &Vec<String>| !k.is_empty())
                            .unwrap_or_else(|| vec!["slug".to_owned()]);
                        let pairs = names.into_iter().zip(values.into_iter().cycle());
                        Value::Object(pairs.collect())
                    }
                    Variables::Random(v) => v,
                    Variables::Absent => Value::Null,
                };
                let operation_name = match operation_name {
                    OperationName::Own => own_op,
                    OperationName::Other(name) => Some(name),
                    OperationName::Absent => None,
                };
                let not_utf8 = not_utf8.map(|(at, bytes)| {
                    let mut at = at.index(query.len() + 1);
                    while !query.is_char_boundary(at) {
                        at -= 1;
                    }
                    (at, Bytes(bytes.to_vec()))
                });
                DocumentCase {
                    query,
                    variables,
                    operation_name,
                    accept,
                    who,
                    not_utf8,
                }
            },
        )
}

fn count_leaves(value: &Value) -> usize {
    match value {
        Value::Array(items) => items.iter().map(count_leaves).sum(),
        Value::Object(map) => map.values().map(count_leaves).sum(),
        _ => 1,
    }
}

/// Replaces the `at`-th scalar of `value` (depth first) with `with`.
fn replace_leaf(value: &mut Value, at: usize, with: Value) {
    fn walk(value: &mut Value, at: &mut usize, with: &mut Option<Value>) {
        match value {
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, at, with)),
            Value::Object(map) => map.values_mut().for_each(|v| walk(v, at, with)),
            leaf => {
                if *at == 0
                    && let Some(with) = with.take()
                {
                    *leaf = with;
                }
                *at = at.wrapping_sub(1);
            }
        }
    }
    walk(value, &mut { at }, &mut Some(with));
}

/// A JSON string literal holding `prefix`, `raw` unescaped, then `suffix`.
fn json_string_with(prefix: &str, raw: &[u8], suffix: &str) -> Vec<u8> {
    let quoted = |s: &str| serde_json::to_string(s).expect("a string serializes");
    let (head, tail) = (quoted(prefix), quoted(suffix));
    let mut out = head.as_bytes()[..head.len() - 1].to_vec();
    out.extend_from_slice(raw);
    out.extend_from_slice(&tail.as_bytes()[1..]);
    out
}

fn encode(bytes: &[u8]) -> String {
    byte_serialize(bytes).collect()
}

/// The longest URL the client can send (`http::Uri` holds less than 64 KiB); a longer
/// document goes by POST only.
const MAX_URL: usize = 65_000;

async fn get(
    target: &Target,
    what: &str,
    case: &DocumentCase,
    query: String,
) -> Result<(), TestCaseError> {
    let url = target.url(&format!("/graphql?{query}"));
    if url.len() > MAX_URL {
        return Ok(());
    }
    let mut request = target.client.get(url);
    if let Some(accept) = &case.accept {
        request = request.header(ACCEPT, accept.as_str());
    }
    target
        .check(what, target.authorize(request, &case.who), true)
        .await
}

async fn send_document(target: &Target, case: DocumentCase) -> Result<(), TestCaseError> {
    let url = target.url("/graphql");
    let with_accept = |request: RequestBuilder| match &case.accept {
        Some(accept) => request.header(ACCEPT, accept.as_str()),
        None => request,
    };

    let body = json!({
        "query": case.query, "variables": case.variables, "operationName": case.operation_name,
    });
    let post = with_accept(target.client.post(&url))
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_string());
    target
        .check("POST", target.authorize(post, &case.who), true)
        .await?;

    let mut params = url::form_urlencoded::Serializer::new(String::new());
    params.append_pair("query", &case.query);
    if !case.variables.is_null() {
        params.append_pair("variables", &case.variables.to_string());
    }
    if let Some(name) = &case.operation_name {
        params.append_pair("operationName", name);
    }
    get(target, "GET", &case, params.finish()).await?;

    if let Some((at, Bytes(raw))) = &case.not_utf8 {
        let (prefix, suffix) = case.query.split_at(*at);
        let mut body = b"{\"query\":".to_vec();
        body.extend(json_string_with(prefix, raw, suffix));
        body.extend(format!(",\"variables\":{}}}", case.variables).into_bytes());
        let post = with_accept(target.client.post(&url))
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        target
            .check("POST, not UTF-8", target.authorize(post, &case.who), true)
            .await?;

        let query = format!(
            "query={}{}{}",
            encode(prefix.as_bytes()),
            encode(raw),
            encode(suffix.as_bytes())
        );
        get(target, "GET, not UTF-8", &case, query).await?;
    }
    Ok(())
}

#[test]
fn mutated_documents_never_break_the_server() {
    fuzz(
        "mutated documents",
        400,
        async |target| {
            // A real id, of a speaker: no mutation can reach the seed article through it.
            let data = target
                .app
                .data(r#"{ speaker(slug: "linus-torvalds") { id } }"#, Value::Null)
                .await;
            document_case(data["speaker"]["id"].as_str().expect("an id"))
        },
        send_document,
    );
}

// ---------------------------------------------------------------------------------------------
// Property 2: arbitrary JSON and raw bodies
// ---------------------------------------------------------------------------------------------

/// Small valid documents for request-shaped bodies.
const QUERIES: &[&str] = &[
    "{ __typename }",
    "query($slug: String) { article(slug: $slug) { title } }",
    "{ articles(first: 1) { nodes { slug quotes { speaker { name } } } } }",
    "mutation { deleteArticle(id: \"x\") }",
    "query A { tags { slug } } query B { authors { slug } }",
    "{ article(",
];

/// A body for POST /graphql.
#[derive(Clone)]
enum Payload {
    Json(Value),
    Raw(Bytes),
    /// `[[[…]]]` or `{"a":{"a":…}}` this deep, at the top or as the variables.
    Nested {
        depth: usize,
        object: bool,
        in_variables: bool,
    },
    /// A valid request padded to this many bytes: past any body limit, or not.
    Large(usize),
}

/// JSON as its text, the rest as built.
impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Payload::Json(value) => write!(f, "Json({})", clip(&value.to_string(), 4_000)),
            Payload::Raw(bytes) => write!(f, "Raw({bytes:?})"),
            Payload::Nested {
                depth,
                object,
                in_variables,
            } => f
                .debug_struct("Nested")
                .field("depth", depth)
                .field("object", object)
                .field("in_variables", in_variables)
                .finish(),
            Payload::Large(size) => write!(f, "Large({size})"),
        }
    }
}

impl Payload {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Payload::Json(value) => value.to_string().into_bytes(),
            Payload::Raw(Bytes(bytes)) => bytes.clone(),
            Payload::Nested {
                depth,
                object,
                in_variables,
            } => {
                let (open, close) = if *object {
                    ("{\"a\":", "}")
                } else {
                    ("[", "]")
                };
                let nested = format!("{}1{}", open.repeat(*depth), close.repeat(*depth));
                if *in_variables {
                    format!(r#"{{"query":"{{ __typename }}","variables":{{"x":{nested}}}}}"#)
                        .into_bytes()
                } else {
                    nested.into_bytes()
                }
            }
            Payload::Large(size) => {
                let mut body = br#"{"query":"{ __typename }","variables":{"pad":""#.to_vec();
                body.resize((*size).max(body.len()), b'x');
                body.extend_from_slice(b"\"}}");
                body
            }
        }
    }
}

/// Something shaped like a GraphQL request, its fields of any type.
fn request_like() -> impl Strategy<Value = Value> {
    let query = prop_oneof![
        3 => select(QUERIES).prop_map(Value::from),
        1 => json_value(),
    ];
    let field = prop_oneof![
        select(
            &[
                "query",
                "variables",
                "operationName",
                "extensions",
                "id",
                "type"
            ][..]
        )
        .prop_map(str::to_owned),
        text(),
    ];
    (
        query,
        prop::collection::vec((field, json_value()), 0..4),
        any::<bool>(),
    )
        .prop_map(|(query, fields, with_query)| {
            let mut object = serde_json::Map::new();
            if with_query {
                object.insert("query".to_owned(), query);
            }
            object.extend(fields);
            Value::Object(object)
        })
}

/// JSON punctuation and literals that break or stretch a JSON text.
#[rustfmt::skip]
const JSON_TOKENS: &[&[u8]] = &[
    b"{", b"}", b"[", b"]", b":", b",", b"\"", b"\\", b"\\u", b"\\uD800", b"null", b"true", b"-",
    b"1e999", b"123456789012345678901234567890", b"0.", b"NaN", b"//", b"/*", b"\r\n",
    b"\x00", b"\xEF\xBB\xBF", b"\xFF", b"\xC0\x80", b"\xED\xA0\x80", b"\"query\":",
];

/// A valid request's text with bytes deleted, inserted and cut.
fn mutated_json() -> impl Strategy<Value = Bytes> {
    let start = prop_oneof![
        request_like().prop_map(|v| v.to_string()),
        prop::collection::vec(request_like(), 0..4).prop_map(|v| Value::Array(v).to_string()),
    ];
    let edit = prop_oneof![
        (any::<Index>(), select(JSON_TOKENS)).prop_map(|(at, t)| (at, 0, t.to_vec())),
        (any::<Index>(), 1..10usize).prop_map(|(at, n)| (at, n, Vec::new())),
        (any::<Index>(), any::<u8>()).prop_map(|(at, b)| (at, 1, vec![b])),
    ];
    (
        start,
        prop::collection::vec(edit, 1..6),
        any::<Option<Index>>(),
    )
        .prop_map(|(start, edits, cut)| {
            let mut bytes = start.into_bytes();
            for (at, delete, insert) in edits {
                let at = at.index(bytes.len() + 1);
                let end = (at + delete).min(bytes.len());
                bytes.splice(at..end, insert);
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            Bytes(bytes)
        })
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        3 => json_value().prop_map(Payload::Json),
        4 => request_like().prop_map(Payload::Json),
        // Batches: of requests (legal up to a limit), of junk, of both, empty.
        3 => prop::collection::vec(prop_oneof![request_like(), json_value()], 0..16)
            .prop_map(|items| Payload::Json(Value::Array(items))),
        4 => mutated_json().prop_map(Payload::Raw),
        2 => prop::collection::vec(any::<u8>(), 0..2_048).prop_map(|b| Payload::Raw(Bytes(b))),
        1 => Just(Payload::Raw(Bytes(Vec::new()))),
        1 => (1..5_000usize, any::<bool>(), any::<bool>()).prop_map(
            |(depth, object, in_variables)| Payload::Nested { depth, object, in_variables }
        ),
        1 => select(&[10_000, 200_000, 1_100_000, 3_000_000][..]).prop_map(Payload::Large),
    ]
}

#[rustfmt::skip]
const QUERY_STRING_PIECES: &[&str] = &[
    "&", "=", "%", "%FF", "%G0", "%C0%80", "+", "query=", "variables=", "operationName=",
    "extensions=", "query[]=", "query=%7B%20__typename%20%7D",
];

/// Pieces of a GET query string: literal separators and broken escapes, encoded bytes, and
/// parameters that mean something.
fn query_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        select(QUERY_STRING_PIECES).prop_map(str::to_owned),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| encode(&b)),
        (
            select(&["query", "variables", "operationName", "extensions"][..]),
            json_value()
        )
            .prop_map(|(k, v)| format!("{k}={}", encode(v.to_string().as_bytes()))),
        (select(&["query", "variables"][..]), text())
            .prop_map(|(k, v)| format!("{k}={}", encode(v.as_bytes()))),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat())
}

/// A POST with a body, or a GET with a query string.
#[derive(Clone, Debug)]
enum Call {
    Post(Payload),
    Get(String),
}

/// What property 2 sends.
#[derive(Clone, Debug)]
struct BodyCase {
    call: Call,
    content_type: Option<String>,
    content_encoding: Option<&'static str>,
    accept: Option<String>,
    who: Who,
}

fn body_case() -> impl Strategy<Value = BodyCase> {
    // JSON mostly, so the bodies reach the JSON reader; any other type, none, or garbage.
    let content_type = prop_oneof![
        1 => Just(None),
        6 => select(&["application/json", "application/json; charset=utf-8"][..])
            .prop_map(|c| Some(c.to_owned())),
        3 => select(&[
            "application/json; charset=latin1",
            "application/graphql-response+json",
            "application/graphql",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=xyz",
            "application/octet-stream",
        ][..])
        .prop_map(|c| Some(c.to_owned())),
        1 => "[ -~]{0,40}".prop_map(Some),
    ];
    let content_encoding = prop_oneof![
        12 => Just(None),
        1 => select(&["gzip", "br", "deflate", "zstd", "identity", "x-garbage"][..]).prop_map(Some),
    ];
    let call = prop_oneof![
        5 => payload().prop_map(Call::Post),
        1 => query_string().prop_map(Call::Get),
    ];
    (call, content_type, content_encoding, accept(2), who(1)).prop_map(
        |(call, content_type, content_encoding, accept, who)| BodyCase {
            call,
            content_type,
            content_encoding,
            accept,
            who,
        },
    )
}

async fn send_body(target: &Target, case: BodyCase) -> Result<(), TestCaseError> {
    let (what, mut request) = match &case.call {
        Call::Post(payload) => (
            "POST",
            target
                .client
                .post(target.url("/graphql"))
                .body(payload.bytes()),
        ),
        Call::Get(query) => {
            let url = target.url(&format!("/graphql?{query}"));
            if url.len() > MAX_URL {
                return Ok(());
            }
            ("GET", target.client.get(url))
        }
    };
    if let Some(content_type) = &case.content_type {
        request = request.header(CONTENT_TYPE, content_type.as_str());
    }
    if let Some(encoding) = case.content_encoding {
        request = request.header(CONTENT_ENCODING, encoding);
    }
    if let Some(accept) = &case.accept {
        request = request.header(ACCEPT, accept.as_str());
    }
    target
        .check(what, target.authorize(request, &case.who), false)
        .await
}

#[test]
fn arbitrary_bodies_never_break_the_server() {
    fuzz("arbitrary bodies", 500, async |_| body_case(), send_body);
}
