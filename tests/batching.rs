//! No N+1: the number of SQL statements a request runs does not grow with the number of
//! articles it returns. Relations are loaded in one batch per relation per request.

mod common;

use common::{SEED_SLUG, TestApp, bundle_of, spawn_app, synthetic_article, synthetic_bundle};
use pretty_assertions::assert_eq;
use serde_json::json;

const NESTED: &str = r#"
fragment Everything on Article {
  id slug title summary body(format: HTML) status publishedAt updatedAt section canonicalUrl
  wordCount readingTimeMinutes
  author { slug name kind }
  publication { slug name url sponsorMessage links { label url } }
  tags { slug articleCount }
  keyPoints { position text }
  quotes { position text context speaker { slug name role organization } article { slug } }
  relatedLinks { position url title rel }
  copyright { holder notice year license }
}
query List($first: Int) { articles(first: $first) { nodes { ...Everything } pageInfo { hasNextPage } } }
query ListCounted($first: Int) { articles(first: $first) { totalCount nodes { ...Everything } } }
query Detail($slug: String) { article(slug: $slug) { ...Everything } }
"#;

async fn statements(app: &TestApp, operation: &str, variables: serde_json::Value) -> u64 {
    app.take_statement_count().await;
    let body = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": NESTED, "operationName": operation, "variables": variables }))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert!(body.get("errors").is_none(), "{body:#}");
    app.take_statement_count().await
}

#[tokio::test]
async fn statements_per_request_do_not_depend_on_page_size() {
    let app = spawn_app().await;
    app.import(&synthetic_bundle(120)).await;

    let one = statements(&app, "List", json!({ "first": 1 })).await;
    let twenty = statements(&app, "List", json!({ "first": 20 })).await;
    let hundred = statements(&app, "List", json!({ "first": 100 })).await;
    assert_eq!(
        (one, twenty),
        (hundred, hundred),
        "statements for pages of 1, 20 and 100"
    );
    // One for the page, one per relation: author, publication, publication links, tags, tag
    // counts, key points, quotes, speakers, related links, copyright. Quotes' articles are the
    // page's own, so they cost nothing.
    assert_eq!(hundred, 11, "statements for a nested page");

    // totalCount costs one statement, and only when asked for.
    let counted = statements(&app, "ListCounted", json!({ "first": 100 })).await;
    assert_eq!(counted, hundred + 1);

    let detail = statements(&app, "Detail", json!({ "slug": SEED_SLUG })).await;
    assert_eq!(detail, 11, "statements for one nested article");
}

/// 40 articles quoting speakers from a pool of 30 (`pool-0` … `pool-29`), every fifth a
/// draft: speakers with several quotes, several articles, and some hidden ones.
fn pooled_bundle() -> serde_json::Value {
    let mut articles = Vec::new();
    for i in 0..40 {
        let mut article = synthetic_article(i, &format!("2024-01-{:02}T00:00:00Z", 1 + i % 28));
        article["quotes"] = json!([
            { "text": format!("First of {i}"), "speaker": format!("pool-{}", i % 30) },
            { "text": format!("Second of {i}"), "speaker": format!("pool-{}", (i * 7) % 30) },
        ]);
        if i % 5 == 0 {
            article["status"] = json!("DRAFT");
        }
        articles.push(article);
    }
    let mut bundle = bundle_of(articles);
    bundle["speakers"] = json!(
        (0..30)
            .map(|i| json!({ "slug": format!("pool-{i}"), "name": format!("Pool {i}") }))
            .collect::<Vec<_>>()
    );
    bundle
}

const SPEAKERS: &str = r#"
query Speakers($first: Int) {
  speakers(first: $first) {
    nodes {
      slug
      quotes(first: 3) { totalCount edges { cursor node { text speaker { slug } article { slug } } } pageInfo { hasNextPage } }
      articles(first: 2) { totalCount edges { cursor node { slug keyPoints { text } } } pageInfo { hasNextPage } }
    }
  }
}"#;

#[tokio::test]
async fn a_page_of_speakers_loads_their_quotes_and_articles_in_batches() {
    let app = spawn_app().await;
    app.import(&pooled_bundle()).await;

    let mut counts = Vec::new();
    for first in [1, 10, 33] {
        app.take_statement_count().await;
        let body = app.graphql(SPEAKERS, json!({ "first": first })).await;
        assert!(body.get("errors").is_none(), "{body:#}");
        counts.push(app.take_statement_count().await);
    }
    // The page of speakers, then one per relation: the quotes' first pages, their counts,
    // their speakers, their articles; the articles' first pages, their counts, their key
    // points.
    assert_eq!(
        counts,
        [8, 8, 8],
        "statements for pages of 1, 10 and 33 speakers"
    );

    // Each speaker's lists are what the root lists filtered by that speaker give.
    let speakers = app.data(SPEAKERS, json!({ "first": 33 })).await;
    let nodes = speakers["speakers"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 33);
    for speaker in nodes {
        let slug = speaker["slug"].as_str().unwrap();
        let alone = app
            .data(
                r#"query($slug: String) {
                  quotes(first: 3, filter: { speaker: $slug }) { totalCount edges { cursor node { text speaker { slug } article { slug } } } pageInfo { hasNextPage } }
                  articles(first: 2, filter: { speaker: $slug }) { totalCount edges { cursor node { slug keyPoints { text } } } pageInfo { hasNextPage } }
                }"#,
                json!({ "slug": slug }),
            )
            .await;
        assert_eq!(speaker["quotes"], alone["quotes"], "{slug}'s quotes");
        assert_eq!(speaker["articles"], alone["articles"], "{slug}'s articles");
    }
}
