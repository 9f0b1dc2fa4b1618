//! Anonymous readers see only PUBLISHED articles whose publish time has come, and only quotes,
//! speaker article lists, tags and counts drawn from those, by every road in.

mod common;

use common::{SEED_SLUG, TestApp, bundle_of, seed, slugs, spawn_app};
use content_api::graphql::types::{GlobalId, Kind};
use entity::article;
use pretty_assertions::assert_eq;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const HIDDEN: [&str; 3] = ["a-draft", "an-archived-story", "a-scheduled-story"];

/// The seed article, plus a draft, an archived story and one scheduled for 2999. The hidden
/// ones carry a tag and quote a speaker that appear nowhere else.
async fn app_with_hidden_articles() -> TestApp {
    let app = spawn_app().await;
    let mut articles = Vec::new();
    for (slug, status, published_at) in [
        ("a-draft", "DRAFT", Value::Null),
        (
            "an-archived-story",
            "ARCHIVED",
            json!("2024-06-01T00:00:00Z"),
        ),
        (
            "a-scheduled-story",
            "PUBLISHED",
            json!("2999-01-01T00:00:00Z"),
        ),
    ] {
        let mut a = seed()["articles"][0].clone();
        a["slug"] = json!(slug);
        a["status"] = json!(status);
        a["publishedAt"] = published_at;
        a["tags"] = json!(["rust", "secret"]);
        a["quotes"] = json!([
            { "text": "Not yet.", "speaker": "someone-hidden", "context": null },
            { "text": "Hidden words.", "speaker": "linus-torvalds", "context": null },
        ]);
        articles.push(a);
    }
    let mut bundle = bundle_of(articles);
    bundle["speakers"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "slug": "someone-hidden", "name": "Someone Hidden", "role": null, "organization": null }));
    app.import(&bundle).await;
    app
}

async fn article_id(app: &TestApp, slug: &str) -> String {
    let model = article::Entity::find()
        .filter(article::Column::Slug.eq(slug))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    GlobalId::new(Kind::Article, model.id).encode().0
}

#[tokio::test]
async fn hidden_articles_cannot_be_fetched_directly() {
    let app = app_with_hidden_articles().await;
    for slug in HIDDEN {
        let id = article_id(&app, slug).await;
        let data = app
            .data(
                "query($slug: String, $id: ID, $nid: ID!) {
                   bySlug: article(slug: $slug) { slug } byId: article(id: $id) { slug } node(id: $nid) { id } }",
                json!({ "slug": slug, "id": id, "nid": id }),
            )
            .await;
        assert_eq!(
            data,
            json!({ "bySlug": null, "byId": null, "node": null }),
            "{slug}"
        );
    }
    // The published one is there by every road.
    let id = article_id(&app, SEED_SLUG).await;
    let data = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Article { slug } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data["node"]["slug"], SEED_SLUG);
}

#[tokio::test]
async fn lists_and_counts_leave_hidden_articles_out() {
    let app = app_with_hidden_articles().await;
    let data = app
        .data(
            r#"{
              all: articles(first: 100) { totalCount nodes { slug } }
              drafts: articles(filter: { status: DRAFT }) { totalCount nodes { slug } }
              archived: articles(filter: { status: ARCHIVED }) { totalCount nodes { slug } }
              secret: articles(filter: { tag: "secret" }) { totalCount nodes { slug } }
              hiddenSpeaker: articles(filter: { speaker: "someone-hidden" }) { totalCount nodes { slug } }
              quotes(first: 100) { totalCount nodes { text } }
              hiddenQuotes: quotes(filter: { speaker: "someone-hidden" }) { totalCount nodes { text } }
              draftQuotes: quotes(filter: { article: "a-draft" }) { totalCount nodes { text } }
              linus: speaker(slug: "linus-torvalds") {
                quotes { totalCount nodes { text } } articles { totalCount nodes { slug } } }
              tags { slug articleCount }
            }"#,
            json!({}),
        )
        .await;
    let empty = json!({ "totalCount": 0, "nodes": [] });
    assert_eq!(slugs(&data["all"]), vec![SEED_SLUG]);
    assert_eq!(data["all"]["totalCount"], 1);
    for list in [
        "drafts",
        "archived",
        "secret",
        "hiddenSpeaker",
        "hiddenQuotes",
        "draftQuotes",
    ] {
        assert_eq!(data[list], empty, "{list}");
    }
    let seed_quotes: Vec<Value> = seed()["articles"][0]["quotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| json!({ "text": q["text"] }))
        .collect();
    assert_eq!(
        data["quotes"],
        json!({ "totalCount": 4, "nodes": seed_quotes })
    );
    assert_eq!(
        data["linus"],
        json!({
            "quotes": { "totalCount": 1, "nodes": [{ "text": "a good idea" }] },
            "articles": { "totalCount": 1, "nodes": [{ "slug": SEED_SLUG }] },
        })
    );
    // "secret" is on hidden articles only; "rust" counts the seed article alone.
    assert_eq!(
        data["tags"],
        json!([
            { "slug": "linux", "articleCount": 1 },
            { "slug": "linux-kernel", "articleCount": 1 },
            { "slug": "open-source", "articleCount": 1 },
            { "slug": "rust", "articleCount": 1 },
        ])
    );
    // An article's own tags count only visible articles too.
    let data = app
        .data(
            &format!(r#"{{ article(slug: "{SEED_SLUG}") {{ tags {{ slug articleCount }} }} }}"#),
            json!({}),
        )
        .await;
    assert_eq!(
        data["article"]["tags"][1],
        json!({ "slug": "rust", "articleCount": 1 })
    );
}

#[tokio::test]
async fn a_scheduled_article_appears_when_its_time_comes_without_a_restart() {
    let app = spawn_app().await;
    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let mut a = seed()["articles"][0].clone();
    a["slug"] = json!("scheduled-soon");
    a["publishedAt"] = json!(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    app.import(&bundle_of(vec![a])).await;

    let query = r#"{ article(slug: "scheduled-soon") { slug } articles(first: 5) { totalCount } }"#;
    let before = app.data(query, json!({})).await;
    if chrono::Utc::now() < at {
        assert_eq!(
            before,
            json!({ "article": null, "articles": { "totalCount": 1 } })
        );
    }
    let wait = (at - chrono::Utc::now()).to_std().unwrap_or_default()
        + std::time::Duration::from_millis(50);
    tokio::time::sleep(wait).await;
    let after = app.data(query, json!({})).await;
    assert_eq!(
        after,
        json!({ "article": { "slug": "scheduled-soon" }, "articles": { "totalCount": 2 } })
    );
}
