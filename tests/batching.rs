//! No N+1: the number of SQL statements a request runs does not grow with the number of
//! articles it returns. An article is read as its document, which holds everything on it, so a
//! page of articles with every part nested is one statement, and so is one article. What a
//! document cannot hold (counts, a speaker's other quotes) loads in one batch per relation per
//! request; what any of it loads is what separate loads give.

mod common;

use std::collections::{BTreeMap, HashMap};

use common::{
    SEED_SLUG, TestApp, bundle_of, spawn_app, spawn_uncached, synthetic_article, synthetic_bundle,
};
use content_api::content::tokens::{self, Scope};
use entity::{publication, publication_link};
use pretty_assertions::assert_eq;
use reqwest::header::AUTHORIZATION;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use serde_json::{Value, json};

const NESTED: &str = r#"
fragment Everything on Article {
  id slug title summary body(format: HTML) status publishedAt updatedAt section canonicalUrl
  wordCount readingTimeMinutes
  author { slug name kind }
  publication { slug name url sponsorMessage links { label url } }
  tags { slug }
  keyPoints { position text }
  quotes { position text context speaker { slug name role organization } article { slug } }
  relatedLinks { position url title rel }
  copyright { holder notice year license }
}
fragment Counted on Article { ...Everything tags { articleCount } }
query List($first: Int) { articles(first: $first) { nodes { ...Everything } pageInfo { hasNextPage } } }
query ListWithCounts($first: Int) { articles(first: $first) { nodes { ...Counted } } }
query ListCounted($first: Int) { articles(first: $first) { totalCount nodes { ...Everything } } }
query Detail($slug: String) { article(slug: $slug) { ...Everything } }
query DetailWithCounts($slug: String) { article(slug: $slug) { ...Counted } }
"#;

/// The `data` of the `operation` of `document`, read with `token` if given; no errors.
async fn data(
    app: &TestApp,
    token: Option<&str>,
    document: &str,
    operation: Option<&str>,
    variables: Value,
) -> Value {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": document, "operationName": operation, "variables": variables }));
    if let Some(token) = token {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let body: Value = request.send().await.unwrap().json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"].clone()
}

/// The statements an anonymous `query` runs.
async fn statements_of(
    app: &TestApp,
    document: &str,
    operation: Option<&str>,
    variables: Value,
) -> u64 {
    app.take_statement_count().await;
    data(app, None, document, operation, variables).await;
    app.take_statement_count().await
}

async fn statements(app: &TestApp, operation: &str, variables: Value) -> u64 {
    statements_of(app, NESTED, Some(operation), variables).await
}

#[tokio::test]
async fn statements_per_request_do_not_depend_on_page_size() {
    let app = spawn_uncached().await;
    app.import(&synthetic_bundle(120)).await;

    let one = statements(&app, "List", json!({ "first": 1 })).await;
    let twenty = statements(&app, "List", json!({ "first": 20 })).await;
    let hundred = statements(&app, "List", json!({ "first": 100 })).await;
    assert_eq!(
        (one, twenty),
        (hundred, hundred),
        "statements for pages of 1, 20 and 100"
    );
    // The page is one statement, its articles' documents with their bodies.
    assert_eq!(hundred, 1, "statements for a nested page");

    // totalCount costs one statement, and only when asked for.
    let counted = statements(&app, "ListCounted", json!({ "first": 100 })).await;
    assert_eq!(counted, hundred + 1);

    // One article is one statement too.
    let detail = statements(&app, "Detail", json!({ "slug": SEED_SLUG })).await;
    assert_eq!(detail, 1, "statements for one nested article");

    // How many visible articles carry each tag depends on who reads when: one statement more,
    // for all the tags of the page.
    let with_counts = statements(&app, "ListWithCounts", json!({ "first": 100 })).await;
    assert_eq!(with_counts, 2, "statements for a page with tag counts");
    let with_counts = statements(&app, "DetailWithCounts", json!({ "slug": SEED_SLUG })).await;
    assert_eq!(with_counts, 2, "statements for one article with tag counts");
}

#[tokio::test]
async fn with_the_response_cache_a_miss_costs_one_statement_more_and_a_hit_one() {
    let app = spawn_app().await;
    app.import(&synthetic_bundle(120)).await;
    let mut counts = Vec::new();
    for (operation, variables) in [
        ("List", json!({ "first": 20 })),
        ("Detail", json!({ "slug": SEED_SLUG })),
    ] {
        let miss = statements(&app, operation, variables.clone()).await;
        let hit = statements(&app, operation, variables).await;
        counts.push((operation, miss, hit));
    }
    // The content stamp is read before the query runs, and again for the hit.
    assert_eq!(counts, [("List", 2, 1), ("Detail", 2, 1)]);
}

/// Tags asked for twice under aliases, without counts first, then with them.
const TAGS_PLAIN_FIRST: &str = r#"{ articles(first: 100) { nodes { slug
  plain: tags { slug } counted: tags { slug articleCount } } } }"#;
/// The same, counts first.
const TAGS_COUNTED_FIRST: &str = r#"{ articles(first: 100) { nodes { slug
  counted: tags { slug articleCount } plain: tags { slug } } } }"#;

#[tokio::test]
async fn tag_counts_load_once_for_the_page_only_when_asked_for() {
    let app = spawn_uncached().await;
    app.import(&synthetic_bundle(30)).await;

    // The page, then the counts of all its tags, whichever alias asks first.
    let counted_first = statements_of(&app, TAGS_COUNTED_FIRST, None, json!({})).await;
    assert_eq!(counted_first, 2, "the page, then its tags' counts");
    let plain_first = statements_of(&app, TAGS_PLAIN_FIRST, None, json!({})).await;
    assert_eq!(plain_first, 2, "the page, then its tags' counts");
    let plain = statements_of(
        &app,
        "{ articles(first: 100) { nodes { tags { slug } } } }",
        None,
        json!({}),
    )
    .await;
    assert_eq!(plain, 1, "tags without counts are the page's own");

    // Both ways give the same tags and counts.
    let a = data(&app, None, TAGS_COUNTED_FIRST, None, json!({})).await;
    let b = data(&app, None, TAGS_PLAIN_FIRST, None, json!({})).await;
    assert_eq!(a["articles"]["nodes"].as_array().unwrap().len(), 31);
    assert_eq!(a, b);
    for node in a["articles"]["nodes"].as_array().unwrap() {
        let slugs = |tags: &Value| -> Vec<Value> {
            tags.as_array()
                .unwrap()
                .iter()
                .map(|t| t["slug"].clone())
                .collect()
        };
        assert_eq!(
            slugs(&node["plain"]),
            slugs(&node["counted"]),
            "{}",
            node["slug"]
        );
    }
}

/// The seed article, and twelve synthetic ones: every fourth a draft and every sixth
/// scheduled for 2999 (so readers with and without a preview token count tags differently),
/// every fifth in a publication without footer links.
fn mixed_bundle() -> Value {
    let articles = (0..12)
        .map(|i| {
            let mut article = synthetic_article(i, &format!("2024-02-{:02}T00:00:00Z", 1 + i));
            if i % 4 == 3 {
                article["status"] = json!("DRAFT");
                article["tags"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("drafts-only"));
            } else if i % 6 == 4 {
                article["publishedAt"] = json!("2999-01-01T00:00:00Z");
            }
            article
        })
        .collect();
    bundle_of(articles)
}

/// Reverses the order of a publication's footer links, so their display order is neither the
/// order they were written in nor their ids' order; returns the labels in the new order.
async fn reverse_links(app: &TestApp, slug: &str) -> Vec<String> {
    let publication = publication::Entity::find()
        .filter(publication::Column::Slug.eq(slug))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut links = publication_link::Entity::find()
        .filter(publication_link::Column::PublicationId.eq(publication.id))
        .all(&app.db)
        .await
        .unwrap();
    links.sort_by_key(|l| std::cmp::Reverse(l.position));
    for link in &links {
        let position = 100 - link.position;
        let mut active = link.clone().into_active_model();
        active.position = Set(position);
        active.update(&app.db).await.unwrap();
    }
    // Edited behind the application's back: the articles' documents are rebuilt from the
    // tables, as a migration rebuilds missing ones.
    app.db
        .execute_unprepared("DELETE FROM article_documents")
        .await
        .unwrap();
    content_api::db::migrate(&app.db).await.unwrap();
    links.into_iter().map(|l| l.label).collect()
}

fn by_slug(nodes: &Value) -> BTreeMap<String, Value> {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["slug"].as_str().unwrap().to_owned(), n.clone()))
        .collect()
}

/// Quotes as (article slug, position) → the quote, from a list of quotes with their articles.
fn quotes_by_place<'a>(quotes: impl Iterator<Item = &'a Value>) -> BTreeMap<(String, i64), Value> {
    quotes
        .map(|q| {
            let place = (
                q["article"]["slug"].as_str().unwrap().to_owned(),
                q["position"].as_i64().unwrap(),
            );
            (place, q.clone())
        })
        .collect()
}

const SEPARATELY: &str = r#"{
  tags { slug articleCount }
  publications { slug name url sponsorMessage links { label url } }
  speakers(first: 100) { nodes { slug name role organization } }
  quotes(first: 100) { nodes { position text context speaker { slug name role organization } article { slug } } }
}"#;

#[tokio::test]
async fn merged_loads_give_what_separate_loads_give() {
    let app = spawn_uncached().await;
    app.import(&mixed_bundle()).await;
    let labels = reverse_links(&app, "digital-event-horizon").await;
    assert_eq!(labels, ["Contact Us", "Terms of Use", "Privacy"]);
    let (_, preview) = tokens::create(&app.db, "preview", Scope::Preview)
        .await
        .unwrap();

    for (reader, token, visible) in [
        ("anonymous", None, 8),
        ("preview", Some(preview.as_str()), 13),
    ] {
        let list = data(
            &app,
            token,
            NESTED,
            Some("ListWithCounts"),
            json!({ "first": 100 }),
        )
        .await;
        let nodes = &list["articles"]["nodes"];
        assert_eq!(
            nodes.as_array().unwrap().len(),
            visible,
            "{reader}: articles"
        );
        let separately = data(&app, token, SEPARATELY, None, json!({})).await;

        // Tags: each count is the root list's, and is how many of the articles this reader
        // sees carry the tag.
        let counts: HashMap<&str, &Value> = separately["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["slug"].as_str().unwrap(), &t["articleCount"]))
            .collect();
        let mut carried: BTreeMap<&str, i64> = BTreeMap::new();
        for node in nodes.as_array().unwrap() {
            for tag in node["tags"].as_array().unwrap() {
                let slug = tag["slug"].as_str().unwrap();
                *carried.entry(slug).or_default() += 1;
                assert_eq!(&tag["articleCount"], counts[slug], "{reader}: {slug}");
            }
        }
        for (slug, n) in &carried {
            assert_eq!(
                counts[slug],
                &json!(n),
                "{reader}: articles carrying {slug}"
            );
        }
        assert_eq!(carried.len(), counts.len(), "{reader}: tags");
        assert_eq!(
            carried.contains_key("drafts-only"),
            token.is_some(),
            "{reader}"
        );

        // Publications: what the root list gives, links in display order; none is none.
        let publications = by_slug(&separately["publications"]);
        let links = |p: &Value| -> Vec<Value> {
            p["links"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["label"].clone())
                .collect()
        };
        assert_eq!(links(&publications["digital-event-horizon"]), labels);
        assert_eq!(links(&publications["other-times"]), Vec::<Value>::new());
        for node in nodes.as_array().unwrap() {
            let slug = node["publication"]["slug"].as_str().unwrap();
            assert_eq!(
                node["publication"], publications[slug],
                "{reader}: {}",
                node["slug"]
            );
        }

        // Quotes: each with its speaker as the root list of speakers and the root list of
        // quotes give it, every visible quote once.
        let speakers = by_slug(&separately["speakers"]["nodes"]);
        let nested = quotes_by_place(
            nodes
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|n| n["quotes"].as_array().unwrap()),
        );
        let root = quotes_by_place(separately["quotes"]["nodes"].as_array().unwrap().iter());
        assert_eq!(nested, root, "{reader}: quotes");
        assert_eq!(nested.len(), 4 + 2 * (visible - 1), "{reader}: quotes");
        for quote in nested.values() {
            let slug = quote["speaker"]["slug"].as_str().unwrap();
            assert_eq!(quote["speaker"], speakers[slug], "{reader}");
        }

        // One article alone is what it is in the page.
        for (slug, node) in by_slug(nodes) {
            let detail = data(
                &app,
                token,
                NESTED,
                Some("DetailWithCounts"),
                json!({ "slug": slug }),
            )
            .await;
            assert_eq!(detail["article"], node, "{reader}: {slug} alone");
        }
    }
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
      quotes(first: 3) { totalCount edges { cursor node { text speaker { slug name role } article { slug } } } pageInfo { hasNextPage } }
      articles(first: 2) { totalCount edges { cursor node { slug keyPoints { text } } } pageInfo { hasNextPage } }
    }
  }
}"#;

#[tokio::test]
async fn a_page_of_speakers_loads_their_quotes_and_articles_in_batches() {
    let app = spawn_uncached().await;
    app.import(&pooled_bundle()).await;

    let mut counts = Vec::new();
    for first in [1, 10, 33] {
        app.take_statement_count().await;
        let body = app.graphql(SPEAKERS, json!({ "first": first })).await;
        assert!(body.get("errors").is_none(), "{body:#}");
        counts.push(app.take_statement_count().await);
    }
    // The page of speakers, then one per relation: the quotes' first pages (with their
    // speakers), their counts, their articles; the articles' first pages (their documents,
    // key points and all), their counts.
    assert_eq!(
        counts,
        [6, 6, 6],
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
                  quotes(first: 3, filter: { speaker: $slug }) { totalCount edges { cursor node { text speaker { slug name role } article { slug } } } pageInfo { hasNextPage } }
                  articles(first: 2, filter: { speaker: $slug }) { totalCount edges { cursor node { slug keyPoints { text } } } pageInfo { hasNextPage } }
                }"#,
                json!({ "slug": slug }),
            )
            .await;
        assert_eq!(speaker["quotes"], alone["quotes"], "{slug}'s quotes");
        assert_eq!(speaker["articles"], alone["articles"], "{slug}'s articles");
    }

    // A page after a cursor is read for its speaker alone, who is its quotes' speaker too:
    // the speaker, then the page.
    const PAGE: &str = r#"query($after: String) { speaker(slug: "pool-1") {
      quotes(first: 5, after: $after) { edges { cursor node { text speaker { slug name role } } } } } }"#;
    let all = app.data(PAGE, json!({ "after": null })).await["speaker"]["quotes"]["edges"].clone();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 3, "pool-1's quotes");
    app.take_statement_count().await;
    let rest = app.data(PAGE, json!({ "after": all[0]["cursor"] })).await;
    assert_eq!(
        app.take_statement_count().await,
        2,
        "statements for a page after a cursor"
    );
    assert_eq!(rest["speaker"]["quotes"]["edges"], json!(all[1..]));
    assert_eq!(
        all[0]["node"]["speaker"],
        json!({ "slug": "pool-1", "name": "Pool 1", "role": null })
    );
}
