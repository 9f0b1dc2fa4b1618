//! No N+1: the number of SQL statements a request runs does not grow with the number of
//! articles it returns. Relations are loaded in one batch per relation per request.

mod common;

use common::{SEED_SLUG, TestApp, spawn_app, synthetic_bundle};
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
    app.take_statement_count();
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
    app.take_statement_count()
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
