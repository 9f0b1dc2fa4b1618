//! API tokens over HTTP: `Authorization: Bearer TOKEN` lets a preview or write token see
//! drafts and scheduled articles; a bad header, an unknown or a revoked token is a 401 before
//! anything runs. And the token service itself: names, revocation, `last_used_at`.

mod common;

use chrono::{TimeDelta, Utc};
use common::{SEED_SLUG, TestApp, bundle_of, spawn_app, spawn_empty, synthetic_article};
use content_api::content::{
    Error,
    tokens::{self, Revoked, Scope, TokenInfo},
};
use entity::api_token;
use pretty_assertions::assert_eq;
use reqwest::{
    StatusCode,
    header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, WWW_AUTHENTICATE},
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const DRAFT: &str = "story-001";
const SCHEDULED: &str = "story-002";

/// An article by slug, and the slugs and count of the drafts.
const DRAFTS: &str = "query($slug: String) {
  article(slug: $slug) { slug status }
  articles(filter: { status: DRAFT }) { totalCount nodes { slug } }
}";

/// The seed article, a draft and an article published for 2999.
async fn app_with_unpublished_articles() -> TestApp {
    let app = spawn_app().await;
    let mut draft = synthetic_article(1, "2024-01-01T00:00:00Z");
    draft["status"] = json!("DRAFT");
    let scheduled = synthetic_article(2, "2999-01-01T00:00:00Z");
    app.import(&bundle_of(vec![draft, scheduled])).await;
    app
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

/// POSTs a query with `Authorization: {authorization}` when given.
async fn post(app: &TestApp, authorization: Option<&str>, query: &str, variables: Value) -> Answer {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header(ACCEPT, "application/json")
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(authorization) = authorization {
        request = request.header(AUTHORIZATION, authorization);
    }
    answer(request).await
}

/// The same over GET.
async fn get(app: &TestApp, authorization: Option<&str>, query: &str, variables: Value) -> Answer {
    let mut request = app
        .client
        .get(app.url("/graphql"))
        .header(ACCEPT, "application/json")
        .query(&[("query", query), ("variables", &variables.to_string())]);
    if let Some(authorization) = authorization {
        request = request.header(AUTHORIZATION, authorization);
    }
    answer(request).await
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("request sent");
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.json().await.expect("a JSON body"),
    }
}

/// The `data` of a successful request, over POST and over GET (which must agree).
async fn data(app: &TestApp, authorization: Option<&str>, query: &str, variables: Value) -> Value {
    let by_post = post(app, authorization, query, variables.clone()).await;
    assert_eq!(by_post.status, 200, "{:#}", by_post.body);
    assert_eq!(by_post.body.get("errors"), None, "{:#}", by_post.body);
    let by_get = get(app, authorization, query, variables).await;
    assert_eq!(by_get.status, 200, "{:#}", by_get.body);
    assert_eq!(by_get.body, by_post.body, "GET and POST agree");
    by_post.body["data"].clone()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Asserts a 401 with the bearer challenge and a GraphQL-shaped body.
fn assert_refused(answer: &Answer, error: &str, message: &str) {
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{:#}", answer.body);
    assert_eq!(
        answer.headers[WWW_AUTHENTICATE],
        format!("Bearer realm=\"content-api\", error=\"{error}\"")
    );
    assert_eq!(
        answer.headers[CONTENT_TYPE],
        "application/json; charset=utf-8"
    );
    assert_eq!(
        answer.body,
        json!({ "errors": [{ "message": message, "extensions": { "code": "UNAUTHENTICATED" } }] })
    );
}

const UNKNOWN_OR_REVOKED: &str = "the API token is unknown or revoked";
const MALFORMED: &str = "the Authorization header must be `Bearer TOKEN`";

/// Asserts that `authorization` is refused as an unknown or revoked token, over POST and GET.
async fn assert_token_refused(app: &TestApp, authorization: &str) {
    let query = "{ articles { totalCount } }";
    let by_post = post(app, Some(authorization), query, json!({})).await;
    assert_refused(&by_post, "invalid_token", UNKNOWN_OR_REVOKED);
    let by_get = get(app, Some(authorization), query, json!({})).await;
    assert_refused(&by_get, "invalid_token", UNKNOWN_OR_REVOKED);
}

#[tokio::test]
async fn a_draft_is_hidden_from_anonymous_readers_and_shown_to_preview_and_write_tokens() {
    let app = app_with_unpublished_articles().await;
    let (_, preview) = tokens::create(&app.db, "preview", Scope::Preview)
        .await
        .unwrap();
    let (_, write) = tokens::create(&app.db, "write", Scope::Write)
        .await
        .unwrap();

    assert_eq!(
        data(&app, None, DRAFTS, json!({ "slug": DRAFT })).await,
        json!({ "article": null, "articles": { "totalCount": 0, "nodes": [] } })
    );
    for token in [&preview, &write] {
        assert_eq!(
            data(&app, Some(&bearer(token)), DRAFTS, json!({ "slug": DRAFT })).await,
            json!({
                "article": { "slug": DRAFT, "status": "DRAFT" },
                "articles": { "totalCount": 1, "nodes": [{ "slug": DRAFT }] },
            }),
            "{token}"
        );
    }
}

#[tokio::test]
async fn a_scheduled_article_is_shown_to_a_preview_token() {
    let app = app_with_unpublished_articles().await;
    let (_, preview) = tokens::create(&app.db, "preview", Scope::Preview)
        .await
        .unwrap();
    let query = "query($slug: String) {
      article(slug: $slug) { slug status publishedAt }
      articles(orderBy: { field: PUBLISHED_AT, direction: DESC }) { totalCount nodes { slug } }
    }";

    assert_eq!(
        data(&app, None, query, json!({ "slug": SCHEDULED })).await,
        json!({ "article": null, "articles": { "totalCount": 1, "nodes": [{ "slug": SEED_SLUG }] } })
    );
    let seen = data(
        &app,
        Some(&bearer(&preview)),
        query,
        json!({ "slug": SCHEDULED }),
    )
    .await;
    assert_eq!(
        seen["article"],
        json!({ "slug": SCHEDULED, "status": "PUBLISHED", "publishedAt": "2999-01-01T00:00:00Z" })
    );
    assert_eq!(seen["articles"]["totalCount"], 3);
    assert_eq!(
        common::slugs(&seen["articles"]),
        [SCHEDULED, SEED_SLUG, DRAFT],
        "newest first; the draft's time is 2024"
    );
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = app_with_unpublished_articles().await;
    let (_, preview) = tokens::create(&app.db, "preview", Scope::Preview)
        .await
        .unwrap();
    for authorization in [
        format!("bearer {preview}"),
        format!("BEARER {preview}"),
        format!("Bearer   {preview}"),
    ] {
        assert_eq!(
            data(&app, Some(&authorization), DRAFTS, json!({ "slug": DRAFT })).await["article"],
            json!({ "slug": DRAFT, "status": "DRAFT" }),
            "{authorization}"
        );
    }
}

#[tokio::test]
async fn an_unknown_token_is_a_401_on_post_and_get() {
    let app = spawn_app().await;
    let (_, real) = tokens::create(&app.db, "real", Scope::Write).await.unwrap();
    // One of our shape that was never issued, a near miss of a real one, and foreign ones.
    let never_issued = format!("cat_{}", "A".repeat(43));
    let near_miss = format!(
        "{}{}",
        &real[..real.len() - 1],
        if real.ends_with('A') { 'B' } else { 'A' }
    );
    for token in [never_issued.as_str(), &near_miss, "not-a-token", "cat_"] {
        assert_token_refused(&app, &bearer(token)).await;
    }
}

#[tokio::test]
async fn a_revoked_token_is_a_401_on_post_and_get() {
    let app = app_with_unpublished_articles().await;
    let (_, token) = tokens::create(&app.db, "soon-gone", Scope::Preview)
        .await
        .unwrap();
    assert_eq!(
        data(
            &app,
            Some(&bearer(&token)),
            DRAFTS,
            json!({ "slug": DRAFT })
        )
        .await["article"],
        json!({ "slug": DRAFT, "status": "DRAFT" })
    );

    assert!(matches!(
        tokens::revoke(&app.db, "soon-gone").await.unwrap(),
        Revoked::Now(_)
    ));
    assert_token_refused(&app, &bearer(&token)).await;
}

#[tokio::test]
async fn a_malformed_authorization_header_is_a_401() {
    let app = spawn_app().await;
    let (_, token) = tokens::create(&app.db, "real", Scope::Write).await.unwrap();
    for authorization in [
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        "".to_owned(),
        token.clone(),
        format!("Basic {token}"),
        format!("Token {token}"),
        format!("Bearer {token} extra"),
    ] {
        let query = "{ articles { totalCount } }";
        let by_post = post(&app, Some(&authorization), query, json!({})).await;
        assert_refused(&by_post, "invalid_request", MALFORMED);
        let by_get = get(&app, Some(&authorization), query, json!({})).await;
        assert_refused(&by_get, "invalid_request", MALFORMED);
    }

    // Bytes that are not text, and two headers at once.
    let not_text = app
        .client
        .post(app.url("/graphql"))
        .header(
            AUTHORIZATION,
            reqwest::header::HeaderValue::from_bytes(b"Bearer caf\xe9").unwrap(),
        )
        .json(&json!({ "query": "{ tags { slug } }" }));
    assert_refused(&answer(not_text).await, "invalid_request", MALFORMED);
    let two = app
        .client
        .post(app.url("/graphql"))
        .header(AUTHORIZATION, bearer(&token))
        .header(AUTHORIZATION, bearer(&token))
        .json(&json!({ "query": "{ tags { slug } }" }));
    assert_refused(
        &answer(two).await,
        "invalid_request",
        "send one Authorization header",
    );
}

#[tokio::test]
async fn graphiql_the_sdl_and_the_probes_need_no_token() {
    let app = spawn_app().await;
    let bad = Some("Bearer cat_nonsense");
    for (path, accept) in [
        ("/graphql", "text/html"),
        ("/schema.graphql", "*/*"),
        ("/healthz", "*/*"),
        ("/readyz", "*/*"),
    ] {
        for authorization in [None, bad] {
            let mut request = app.client.get(app.url(path)).header(ACCEPT, accept);
            if let Some(authorization) = authorization {
                request = request.header(AUTHORIZATION, authorization);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200, "{path} {authorization:?}");
        }
    }
}

#[tokio::test]
async fn last_used_at_is_noted_at_most_once_a_minute() {
    let app = spawn_app().await;
    let (created, token) = tokens::create(&app.db, "reader", Scope::Preview)
        .await
        .unwrap();
    assert_eq!(created.last_used_at, None);
    let (id, db) = (created.id, &app.db);
    let last_used = || async move {
        api_token::Entity::find_by_id(id)
            .one(db)
            .await
            .unwrap()
            .unwrap()
            .last_used_at
    };
    let query = "{ articles { totalCount } }";

    let before = content_api::content::now();
    assert_eq!(
        post(&app, Some(&bearer(&token)), query, json!({}))
            .await
            .status,
        200
    );
    let first = last_used().await.expect("noted on first use");
    assert!(
        before <= first && first <= Utc::now(),
        "{before} <= {first} <= now"
    );

    // Within the minute: not written again.
    assert_eq!(
        post(&app, Some(&bearer(&token)), query, json!({}))
            .await
            .status,
        200
    );
    assert_eq!(last_used().await, Some(first));

    // Once the note is over a minute old, the next use renews it.
    let long_ago = first - TimeDelta::minutes(2);
    api_token::ActiveModel {
        id: Set(created.id),
        last_used_at: Set(Some(long_ago)),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    assert_eq!(
        get(&app, Some(&bearer(&token)), query, json!({}))
            .await
            .status,
        200
    );
    let renewed = last_used().await.expect("still noted");
    assert!(renewed >= first, "{renewed} >= {first}");

    // A refused request notes nothing.
    tokens::revoke(&app.db, "reader").await.unwrap();
    api_token::ActiveModel {
        id: Set(created.id),
        last_used_at: Set(Some(long_ago)),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    assert_token_refused(&app, &bearer(&token)).await;
    assert_eq!(last_used().await, Some(long_ago));
}

#[tokio::test]
async fn a_database_error_while_authenticating_is_a_503_with_code_internal() {
    let app = spawn_app().await;
    let (_, token) = tokens::create(&app.db, "reader", Scope::Preview)
        .await
        .unwrap();
    // The server shares this pool: closed, every query fails.
    app.db.clone().close().await.unwrap();

    let answer = post(&app, Some(&bearer(&token)), "{ tags { slug } }", json!({})).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        answer.body,
        json!({ "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL" } }] })
    );
}

#[tokio::test]
async fn token_names_are_checked_and_unique() {
    let app = spawn_empty().await;
    for name in ["", "   ", " padded", "tab\there", &"n".repeat(101)] {
        let err = tokens::create(&app.db, name, Scope::Preview)
            .await
            .expect_err(name);
        assert!(
            matches!(&err, Error::Invalid { field, .. } if field == "name"),
            "{name:?}: {err:?}"
        );
    }
    tokens::create(&app.db, &"n".repeat(100), Scope::Preview)
        .await
        .expect("100 characters is fine");
    tokens::create(&app.db, "ci", Scope::Write).await.unwrap();
    let err = tokens::create(&app.db, "ci", Scope::Preview)
        .await
        .expect_err("a duplicate");
    assert_eq!(
        err.to_string(),
        "conflict: a token named \"ci\" already exists"
    );

    // A revoked token's name stays taken.
    tokens::revoke(&app.db, "ci").await.unwrap();
    assert!(matches!(
        tokens::create(&app.db, "ci", Scope::Write).await,
        Err(Error::Conflict(_))
    ));
}

#[tokio::test]
async fn revoking_is_idempotent_and_list_shows_no_secret() {
    let app = spawn_empty().await;
    let (first, _) = tokens::create(&app.db, "first", Scope::Preview)
        .await
        .unwrap();
    let (second, _) = tokens::create(&app.db, "second", Scope::Write)
        .await
        .unwrap();

    let Revoked::Now(at) = tokens::revoke(&app.db, "second").await.unwrap() else {
        panic!("revoked now");
    };
    assert_eq!(
        tokens::revoke(&app.db, "second").await.unwrap(),
        Revoked::Earlier(at)
    );
    assert!(matches!(
        tokens::revoke(&app.db, "third").await,
        Err(Error::NotFound(_))
    ));

    assert_eq!(
        tokens::list(&app.db).await.unwrap(),
        [
            TokenInfo {
                name: "first".into(),
                scope: Scope::Preview,
                created_at: first.created_at,
                last_used_at: None,
                revoked_at: None,
            },
            TokenInfo {
                name: "second".into(),
                scope: Scope::Write,
                created_at: second.created_at,
                last_used_at: None,
                revoked_at: Some(at),
            },
        ]
    );
    // What is stored is the hash alone.
    let stored = api_token::Entity::find()
        .filter(api_token::Column::Name.eq("first"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.token_hash.len(), 64);
    assert!(
        stored
            .token_hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
}
