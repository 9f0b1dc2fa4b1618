//! Caching for public reads: HTTP validators on anonymous GETs, automatic persisted queries,
//! and the in-process response cache, which never serves content older than a write that
//! returned (through this server or any other writer of the database) or than a scheduled
//! article's publish time.

mod common;

use common::{Options, SEED_SLUG, TestApp, seed, spawn_app, spawn_uncached, spawn_with};
use content_api::{
    config::{ServeSettings, Switch},
    content::tokens::{self, Scope},
};
use pretty_assertions::assert_eq;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const TITLE: &str = "query($slug: String) { article(slug: $slug) { slug title } }";

async fn token(app: &TestApp, scope: Scope) -> String {
    let name = format!("{scope:?}-{}", uuid::Uuid::now_v7());
    tokens::create(&app.db, &name, scope)
        .await
        .expect("a token")
        .1
}

fn get(app: &TestApp, query: &str, variables: &Value) -> reqwest::RequestBuilder {
    app.client
        .get(app.url("/graphql"))
        .header(header::ACCEPT, "application/json")
        .query(&[("query", query), ("variables", &variables.to_string())])
}

fn header_of(response: &reqwest::Response, name: header::HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("a text header").to_owned())
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Re-imports the seed article with another title, through the content layer (as the CLI or
/// another replica would: nothing in this server hears of it).
async fn retitle(app: &TestApp, title: &str) {
    let mut bundle = seed();
    bundle["articles"][0]["title"] = json!(title);
    app.import(&bundle).await;
}

#[tokio::test]
async fn anonymous_gets_carry_an_etag_and_an_unchanged_answer_is_a_304() {
    let app = spawn_app().await;
    let variables = json!({ "slug": SEED_SLUG });

    let first = get(&app, TITLE, &variables).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let etag = header_of(&first, header::ETAG).expect("an ETag");
    assert_eq!(
        header_of(&first, header::CACHE_CONTROL).as_deref(),
        Some("public, max-age=0")
    );
    let vary = header_of(&first, header::VARY).unwrap_or_default();
    assert!(
        vary.contains("Accept") && vary.contains("Authorization"),
        "{vary}"
    );
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["data"]["article"]["slug"], SEED_SLUG);

    // Served again, with the same validator; named in If-None-Match, a 304 with no body.
    let again = get(&app, TITLE, &variables).send().await.unwrap();
    assert_eq!(header_of(&again, header::ETAG).as_deref(), Some(&*etag));
    let revalidated = get(&app, TITLE, &variables)
        .header(header::IF_NONE_MATCH, format!("\"other\", {etag}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        header_of(&revalidated, header::ETAG).as_deref(),
        Some(&*etag)
    );
    assert!(revalidated.bytes().await.unwrap().is_empty());

    // Once the content changes, the old validator no longer matches.
    retitle(&app, "A new title").await;
    let changed = get(&app, TITLE, &variables)
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(header_of(&changed, header::ETAG).as_deref(), Some(&*etag));
    let body: Value = changed.json().await.unwrap();
    assert_eq!(body["data"]["article"]["title"], "A new title");

    // An answer with errors is not for keeping.
    let failed = get(&app, "{ article(slug: 1) { slug } }", &json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header_of(&failed, header::CACHE_CONTROL).as_deref(),
        Some("no-store")
    );
    assert_eq!(header_of(&failed, header::ETAG), None);

    // Whatever a token reads is private, by GET or POST.
    let preview = token(&app, Scope::Preview).await;
    let private = get(&app, TITLE, &variables)
        .bearer_auth(&preview)
        .send()
        .await
        .unwrap();
    assert_eq!(private.status(), StatusCode::OK);
    assert_eq!(
        header_of(&private, header::CACHE_CONTROL).as_deref(),
        Some("private, no-store")
    );
    assert_eq!(header_of(&private, header::ETAG), None);
    let posted = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&preview)
        .json(&json!({ "query": TITLE, "variables": variables }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header_of(&posted, header::CACHE_CONTROL).as_deref(),
        Some("private, no-store")
    );
}

#[tokio::test]
async fn the_same_content_always_has_the_same_etag() {
    // Without the response cache, every answer is made afresh: its fields must come out in
    // the same order each time.
    let app = spawn_uncached().await;
    let nested = "{ articles(first: 5) { nodes { slug keyPoints { text } quotes { text speaker { name } } relatedLinks { url } copyright { holder } tags { slug } } pageInfo { hasNextPage } } }";
    let mut etags = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let response = get(&app, nested, &json!({})).send().await.unwrap();
        etags.insert(header_of(&response, header::ETAG).expect("an ETag"));
    }
    assert_eq!(etags.len(), 1, "{etags:?}");
}

#[tokio::test]
async fn max_age_is_a_setting() {
    let app = spawn_with(Options {
        settings: ServeSettings {
            http_max_age: 60,
            ..ServeSettings::default()
        },
        ..Options::default()
    })
    .await;
    let response = get(&app, TITLE, &json!({ "slug": SEED_SLUG }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header_of(&response, header::CACHE_CONTROL).as_deref(),
        Some("public, max-age=60")
    );
}

#[tokio::test]
async fn persisted_queries_follow_apollos_protocol() {
    let app = spawn_app().await;
    let hash = sha256_hex(TITLE);
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let variables = json!({ "slug": SEED_SLUG });
    let hash_only = json!({ "extensions": extensions, "variables": variables });

    // Unknown here: the client is told to send the query (200 for application/json, 400
    // for application/graphql-response+json, like any request error).
    let body = app.graphql_body(&hash_only).await;
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    assert!(body.get("data").is_none(), "{body:#}");
    let strict = app
        .post_raw(
            &hash_only.to_string(),
            "application/json",
            Some("application/graphql-response+json"),
        )
        .await;
    assert_eq!(strict.status(), StatusCode::BAD_REQUEST);

    // The query with its hash runs and registers it; then the hash alone runs it, by POST
    // and by GET.
    let registered = app
        .graphql_body(&json!({ "query": TITLE, "extensions": extensions, "variables": variables }))
        .await;
    assert_eq!(registered["data"]["article"]["slug"], SEED_SLUG);
    assert_eq!(app.graphql_body(&hash_only).await, registered);
    let by_get = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            ("extensions", extensions.to_string()),
            ("variables", variables.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(by_get.status(), StatusCode::OK);
    assert!(header_of(&by_get, header::ETAG).is_some());
    assert_eq!(by_get.json::<Value>().await.unwrap(), registered);
    assert_eq!(
        app.metric(r#"content_api_cache_lookups_total{cache="persisted_query",result="hit"}"#)
            .await,
        2.0
    );

    // A hash that is not the query's, a version other than 1, a malformed hash.
    let refusals = [
        (
            json!({ "query": "{ __typename }", "extensions": extensions }),
            "BAD_REQUEST",
        ),
        (
            json!({ "extensions": { "persistedQuery": { "version": 2, "sha256Hash": hash } } }),
            "PERSISTED_QUERY_NOT_SUPPORTED",
        ),
        (
            json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "abc" } } }),
            "BAD_REQUEST",
        ),
    ];
    for (request, code) in refusals {
        let body = app.graphql_body(&request).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], code, "{request}");
    }

    // Turned off, the server says so, as Apollo's clients expect.
    let off = spawn_with(Options {
        settings: ServeSettings {
            persisted_queries: Switch::Off,
            ..ServeSettings::default()
        },
        ..Options::default()
    })
    .await;
    let body = off.graphql_body(&hash_only).await;
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotSupported");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_SUPPORTED"
    );
}

#[tokio::test]
async fn a_repeated_anonymous_query_is_served_from_the_cache() {
    let app = spawn_app().await;
    let variables = json!({ "slug": SEED_SLUG });
    let first = app.graphql(TITLE, variables.clone()).await;
    let ran = app.take_statement_count().await;
    let second = app.graphql(TITLE, variables.clone()).await;
    let hit = app.take_statement_count().await;
    assert_eq!(first, second);
    // A hit only checks the content version.
    assert_eq!(hit, 1, "statements for a cached answer");
    assert!(
        ran > hit,
        "the first answer ran the query ({ran} statements)"
    );
    let hits = r#"content_api_cache_lookups_total{cache="response",result="hit"}"#;
    assert_eq!(app.metric(hits).await, 1.0);

    // Other variables, another operation: other answers.
    let other = app.graphql(TITLE, json!({ "slug": "nope" })).await;
    assert_eq!(other["data"]["article"], Value::Null);
    assert_eq!(app.metric(hits).await, 1.0);

    // A token reads past the cache, and sees what only it may see.
    let mut bundle = seed();
    bundle["articles"][0]["slug"] = json!("a-draft");
    bundle["articles"][0]["status"] = json!("DRAFT");
    app.import(&bundle).await;
    let draft = json!({ "slug": "a-draft" });
    assert_eq!(app.data(TITLE, draft.clone()).await["article"], Value::Null);
    let preview = token(&app, Scope::Preview).await;
    let seen = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&preview)
        .json(&json!({ "query": TITLE, "variables": draft }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(seen["data"]["article"]["slug"], "a-draft");
    assert_eq!(app.data(TITLE, draft).await["article"], Value::Null);
}

#[tokio::test]
async fn no_reader_sees_content_older_than_a_write_that_returned() {
    let app = spawn_app().await;
    let variables = json!({ "slug": SEED_SLUG });
    let list = "{ articles(first: 5) { nodes { slug title } } }";
    // Readers keep the cache busy the whole time.
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (client, url) = (app.client.clone(), app.url("/graphql"));
            let variables = variables.clone();
            tokio::spawn(async move {
                for _ in 0..60 {
                    client
                        .post(&url)
                        .json(&json!({ "query": TITLE, "variables": variables }))
                        .send()
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for round in 0..15 {
        let title = format!("Title {round}");
        retitle(&app, &title).await;
        // Every read after the write returned, by any query, sees it.
        assert_eq!(
            app.data(TITLE, variables.clone()).await["article"]["title"],
            title
        );
        assert_eq!(
            app.data(list, json!({})).await["articles"]["nodes"][0]["title"],
            title
        );
    }
    for reader in readers {
        reader.await.unwrap();
    }
}

#[tokio::test]
async fn a_scheduled_article_arrives_in_cached_lists_at_its_time() {
    let app = spawn_app().await;
    let list = "{ articles(first: 5) { nodes { slug } } }";
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(1_500);
    let mut bundle = seed();
    bundle["articles"][0]["slug"] = json!("scheduled");
    bundle["articles"][0]["publishedAt"] = json!(at.to_rfc3339());
    app.import(&bundle).await;
    let slugs = |data: Value| -> Vec<String> {
        data["articles"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["slug"].as_str().unwrap().to_owned())
            .collect()
    };
    if chrono::Utc::now() < at {
        // Read twice before its time: the second from the cache.
        assert_eq!(slugs(app.data(list, json!({})).await), [SEED_SLUG]);
        assert_eq!(slugs(app.data(list, json!({})).await), [SEED_SLUG]);
    }
    tokio::time::sleep(
        (at - chrono::Utc::now()).to_std().unwrap_or_default()
            + std::time::Duration::from_millis(50),
    )
    .await;
    assert_eq!(
        slugs(app.data(list, json!({})).await),
        ["scheduled", SEED_SLUG]
    );
}

#[tokio::test]
async fn the_response_cache_can_be_turned_off() {
    let app = spawn_uncached().await;
    let variables = json!({ "slug": SEED_SLUG });
    app.graphql(TITLE, variables.clone()).await;
    let first = app.take_statement_count().await;
    app.graphql(TITLE, variables).await;
    assert_eq!(
        app.take_statement_count().await,
        first,
        "the query ran again"
    );
    for result in ["hit", "miss"] {
        let series =
            format!(r#"content_api_cache_lookups_total{{cache="response",result="{result}"}}"#);
        assert_eq!(app.metric(&series).await, 0.0);
    }
}
