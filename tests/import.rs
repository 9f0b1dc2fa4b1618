//! Importing bundles: upsert by slug, idempotent, one transaction (a bad file changes
//! nothing), errors that name the article and field at fault.

mod common;

use common::{
    FULL_ARTICLE, SEED_SLUG, TestApp, as_import_format, bundle_of, seed, spawn_empty,
    synthetic_bundle,
};
use content_api::content::ids::Ids;
use content_api::content::{
    self,
    bundle::{Counts, ImportReport},
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

async fn full_article(app: &TestApp, slug: &str) -> Value {
    app.data(FULL_ARTICLE, json!({ "slug": slug })).await["article"].clone()
}

async fn try_import(app: &TestApp, bundle: &Value) -> content::Result<ImportReport> {
    let bundle = content::bundle::parse(&bundle.to_string())?;
    content::bundle::import(&app.db, &bundle, Ids::TimeOrdered).await
}

/// Everything an anonymous reader can list, to show that a failed import changed nothing.
async fn everything(app: &TestApp) -> Value {
    app.data(
        "{ articles(first: 100) { totalCount nodes { slug updatedAt } } speakers(first: 100) { nodes { slug name } }
           authors { slug name } publications { slug name links { url } } tags { slug articleCount } }",
        json!({}),
    )
    .await
}

fn counts(created: usize, updated: usize, unchanged: usize) -> Counts {
    Counts {
        created,
        updated,
        unchanged,
    }
}

#[tokio::test]
async fn importing_the_same_bundle_twice_changes_nothing() {
    let app = spawn_empty().await;
    let first = app.import(&seed()).await;
    assert_eq!(
        first,
        ImportReport {
            publications: counts(1, 0, 0),
            authors: counts(1, 0, 0),
            speakers: counts(3, 0, 0),
            articles: counts(1, 0, 0),
            tags_created: 4,
        }
    );
    let before = full_article(&app, SEED_SLUG).await;

    let second = app.import(&seed()).await;
    assert_eq!(
        second,
        ImportReport {
            publications: counts(0, 0, 1),
            authors: counts(0, 0, 1),
            speakers: counts(0, 0, 3),
            articles: counts(0, 0, 1),
            tags_created: 0,
        }
    );
    // Same ids, same timestamps, same everything.
    assert_eq!(full_article(&app, SEED_SLUG).await, before);
}

#[tokio::test]
async fn a_changed_article_is_updated_in_place() {
    let app = spawn_empty().await;
    app.import(&seed()).await;
    let before = full_article(&app, SEED_SLUG).await;

    let mut bundle = seed();
    let article = &mut bundle["articles"][0];
    article["title"] = json!("A new title");
    article["keyPoints"] = json!(["Only one point now."]);
    article["tags"] = json!(["rust", "kernel-politics"]);
    article["quotes"].as_array_mut().unwrap().truncate(1);
    article["copyright"] = Value::Null;
    bundle["speakers"][0]["role"] = json!("Creator of Linux");
    let report = app.import(&bundle).await;
    assert_eq!(report.articles, counts(0, 1, 0));
    assert_eq!(report.speakers, counts(0, 1, 2));
    assert_eq!(report.tags_created, 1);

    let after = full_article(&app, SEED_SLUG).await;
    assert_eq!(as_import_format(&after), bundle["articles"][0]);
    assert_eq!(after["quotes"][0]["speaker"]["role"], "Creator of Linux");
    assert_eq!(
        after["id"], before["id"],
        "an upsert keeps the article's id"
    );
    assert_eq!(after["createdAt"], before["createdAt"]);
    assert!(
        after["updatedAt"].as_str() > before["updatedAt"].as_str(),
        "updatedAt moves"
    );
}

#[tokio::test]
async fn articles_may_refer_to_what_the_database_already_has() {
    let app = spawn_empty().await;
    app.import(&seed()).await;
    // Only an article: its publication, author and speakers are already there.
    let mut article = common::synthetic_article(1, "2024-05-01T00:00:00Z");
    article["publication"] = json!("digital-event-horizon");
    let bundle = json!({ "version": 1, "articles": [article] });
    let report = app.import(&bundle).await;
    assert_eq!(report.articles, counts(1, 0, 0));
    assert_eq!(
        as_import_format(&full_article(&app, "story-001").await),
        bundle["articles"][0]
    );
}

#[tokio::test]
async fn a_failing_import_changes_nothing_and_names_the_article_and_field() {
    let app = spawn_empty().await;
    app.import(&seed()).await;
    let before = everything(&app).await;

    // Fails inside the transaction, after the new publication and the first article's
    // references were written: all of it must roll back.
    let mut bundle = synthetic_bundle(3);
    bundle["speakers"][0]["name"] = json!("Renamed Torvalds");
    bundle["articles"][2]["quotes"][0]["speaker"] = json!("nobody-known");
    let err = try_import(&app, &bundle).await.unwrap_err();
    let content::Error::Invalid { field, message } = err else {
        panic!("{err:?}")
    };
    assert_eq!(field, r#"articles[2] ("story-002").quotes[0].speaker"#);
    assert!(message.contains("nobody-known"), "{message}");
    assert_eq!(everything(&app).await, before);

    // Caught before any writing.
    let cases = [
        (
            "/articles/1/slug",
            json!("Not A Slug"),
            r#"articles[1] ("Not A Slug").slug"#,
        ),
        (
            "/articles/0/title",
            json!("  "),
            r#"articles[0] ("story-000").title"#,
        ),
        (
            "/articles/2/canonicalUrl",
            json!("javascript:alert(1)"),
            r#"articles[2] ("story-002").canonicalUrl"#,
        ),
        (
            "/articles/0/copyright/year",
            json!(99),
            r#"articles[0] ("story-000").copyright.year"#,
        ),
        (
            "/articles/1/tags/0",
            json!("Bad Tag"),
            r#"articles[1] ("story-001").tags[0]"#,
        ),
        (
            "/publications/1/url",
            json!("not a url"),
            r#"publications[1] ("other-times").url"#,
        ),
    ];
    for (pointer, value, expected_field) in cases {
        let mut bundle = synthetic_bundle(3);
        *bundle.pointer_mut(pointer).unwrap() = value;
        let err = try_import(&app, &bundle).await.unwrap_err();
        let content::Error::Invalid { field, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(field, expected_field, "{pointer}");
    }
    // Two articles with one slug.
    let mut bundle = synthetic_bundle(3);
    bundle["articles"][2]["slug"] = json!("story-000");
    let err = try_import(&app, &bundle).await.unwrap_err();
    assert!(
        matches!(&err, content::Error::Invalid { field, .. } if field == "articles[2].slug"),
        "{err:?}"
    );
    // A fixture's timestamps must be in order.
    let mut bundle = bundle_of(vec![common::synthetic_article(7, "2024-01-01T00:00:00Z")]);
    bundle["articles"][0]["createdAt"] = json!("2024-01-02T00:00:00Z");
    bundle["articles"][0]["updatedAt"] = json!("2024-01-01T00:00:00Z");
    let err = try_import(&app, &bundle).await.unwrap_err();
    assert!(
        matches!(&err, content::Error::Invalid { field, .. } if field == r#"articles[0] ("story-007").updatedAt"#),
        "{err:?}"
    );
    // A published article needs a publish time.
    let mut bundle = bundle_of(vec![common::synthetic_article(7, "2024-01-01T00:00:00Z")]);
    bundle["articles"][0]["publishedAt"] = Value::Null;
    let err = try_import(&app, &bundle).await.unwrap_err();
    assert!(
        matches!(&err, content::Error::Invalid { field, .. } if field == r#"articles[0] ("story-007").publishedAt"#),
        "{err:?}"
    );
    assert_eq!(everything(&app).await, before);
}

/// Fixtures pin `createdAt` and `updatedAt`; `updatedAt` defaults to `createdAt`, and what
/// is left out is the time of the import.
#[tokio::test]
async fn a_fixture_may_set_when_an_article_was_created_and_updated() {
    let app = spawn_empty().await;
    let mut bundle = bundle_of(vec![
        common::synthetic_article(1, "2024-01-01T00:00:00Z"),
        common::synthetic_article(2, "2024-01-01T00:00:00Z"),
        common::synthetic_article(3, "2024-01-01T00:00:00Z"),
    ]);
    bundle["articles"][0]["createdAt"] = json!("2023-12-30T10:00:00.123456Z");
    bundle["articles"][0]["updatedAt"] = json!("2023-12-31T10:00:00Z");
    bundle["articles"][1]["createdAt"] = json!("2023-12-30T10:00:00Z");
    let started = chrono::Utc::now();
    try_import(&app, &bundle).await.expect("import");
    let times = |slug: &'static str| {
        let app = &app;
        async move {
            let a = app
                .data(
                    "query($slug: String!) { article(slug: $slug) { createdAt updatedAt } }",
                    json!({ "slug": slug }),
                )
                .await;
            (
                a["article"]["createdAt"].as_str().unwrap().to_owned(),
                a["article"]["updatedAt"].as_str().unwrap().to_owned(),
            )
        }
    };
    assert_eq!(
        times("story-001").await,
        (
            "2023-12-30T10:00:00.123456Z".to_owned(),
            "2023-12-31T10:00:00Z".to_owned()
        )
    );
    assert_eq!(
        times("story-002").await,
        (
            "2023-12-30T10:00:00Z".to_owned(),
            "2023-12-30T10:00:00Z".to_owned()
        )
    );
    let (created, updated) = times("story-003").await;
    assert_eq!(created, updated);
    let created: chrono::DateTime<chrono::Utc> = created.parse().unwrap();
    assert!(
        created >= started - chrono::Duration::seconds(1),
        "{created}"
    );
    // Importing the same fixture again changes nothing.
    let report = try_import(&app, &bundle).await.expect("import again");
    assert_eq!(report.articles, counts(0, 0, 3));
}

#[tokio::test]
async fn a_malformed_bundle_names_the_path() {
    for (json, field) in [
        (
            r#"{"version": 1, "articles": [{"slug": "a"}]}"#,
            "articles[0]",
        ),
        (r#"{"version": 1, "articles": [], "extra": true}"#, "extra"),
        (r#"{"version": 2}"#, "version"),
        (r#"not json"#, "bundle"),
    ] {
        let err = content::bundle::parse(json)
            .and_then(|b| b.validate())
            .unwrap_err();
        let content::Error::Invalid { field: got, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(got, field, "{json}");
    }
}
