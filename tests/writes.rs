//! Editorial writes: every mutation, its validation and auth rules, scheduled publishing, and
//! transactions that leave nothing behind when they fail.

mod common;

use common::{FULL_ARTICLE, SEED_SLUG, TestApp, as_import_format, seed, spawn_app, spawn_empty};
use content_api::content::ids::Ids;
use content_api::content::tokens::{self, Scope};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const CREATE: &str = "mutation($input: ArticleInput!) { createArticle(input: $input) { id slug status publishedAt updatedAt } }";
const UPDATE: &str = "mutation($id: ID!, $input: ArticlePatch!) { updateArticle(id: $id, input: $input) { id slug updatedAt createdAt } }";
const PUBLISH: &str =
    "mutation($id: ID!, $at: DateTime) { publishArticle(id: $id, at: $at) { status publishedAt } }";

async fn token(app: &TestApp, scope: Scope) -> String {
    let name = format!("{scope:?}-{}", uuid::Uuid::now_v7());
    tokens::create(&app.db, &name, scope)
        .await
        .expect("a token")
        .1
}

/// A GraphQL request with `token`; the whole response body (HTTP 200 expected).
async fn as_token(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("request sent");
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(status, 200, "{body:#}");
    body
}

async fn data_as(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let body = as_token(app, token, query, variables).await;
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    body["data"].clone()
}

/// The codes and `field`s of the errors of a request that must fail.
async fn errors_as(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
) -> Vec<(String, Value)> {
    let body = as_token(app, token, query, variables).await;
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("expected errors: {body:#}"));
    errors
        .iter()
        .map(|e| {
            (
                e["extensions"]["code"].as_str().unwrap_or("").to_owned(),
                e["extensions"]["field"].clone(),
            )
        })
        .collect()
}

/// The seed article as an `ArticleInput` (the import form, less status and publish time).
fn seed_input() -> Value {
    let mut input = seed()["articles"][0].clone();
    let map = input.as_object_mut().unwrap();
    map.remove("status");
    map.remove("publishedAt");
    input
}

/// Everything a writer can see, to show that a failed write changed nothing.
async fn everything(app: &TestApp, token: &str) -> Value {
    let query = format!(
        "{{ articles(first: 100) {{ nodes {{ ...Full }} }} speakers(first: 100) {{ nodes {{ slug name role organization }} }}
           authors {{ slug name kind }} publications {{ slug name url sponsorMessage links {{ label url }} }} tags {{ slug articleCount }} }}
         fragment Full on Article {}",
        FULL_ARTICLE.split_once("article(slug: $slug)").unwrap().1.trim_end().trim_end_matches('}')
    );
    data_as(app, token, &query, json!({})).await
}

async fn article_id(app: &TestApp, token: &str, slug: &str) -> String {
    let data = data_as(
        app,
        token,
        "query($s: String) { article(slug: $s) { id } }",
        json!({ "s": slug }),
    )
    .await;
    data["article"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no article {slug}"))
        .to_owned()
}

#[tokio::test]
async fn one_create_call_stores_the_seed_article_whole_and_publishing_shows_it() {
    let app = spawn_empty().await;
    let write = token(&app, Scope::Write).await;
    let fixture = seed();
    // The catalogue first, by mutation too.
    let p = &fixture["publications"][0];
    let data = data_as(
        &app,
        &write,
        "mutation($p: PublicationInput!, $a: AuthorInput!) {
           upsertPublication(input: $p) { slug name url sponsorMessage links { label url } }
           upsertAuthor(input: $a) { slug name kind } }",
        json!({ "p": p, "a": fixture["authors"][0] }),
    )
    .await;
    assert_eq!(data["upsertPublication"], *p);
    assert_eq!(data["upsertAuthor"], fixture["authors"][0]);
    for s in fixture["speakers"].as_array().unwrap() {
        let data = data_as(
            &app,
            &write,
            "mutation($s: SpeakerInput!) { upsertSpeaker(input: $s) { slug name role organization } }",
            json!({ "s": s }),
        )
        .await;
        assert_eq!(data["upsertSpeaker"], *s);
    }

    let created =
        data_as(&app, &write, CREATE, json!({ "input": seed_input() })).await["createArticle"]
            .clone();
    assert_eq!(created["status"], "DRAFT");
    assert_eq!(created["publishedAt"], Value::Null);

    // A draft: invisible to anonymous readers, whole to the writer.
    assert_eq!(
        app.data(FULL_ARTICLE, json!({ "slug": SEED_SLUG })).await["article"],
        Value::Null
    );
    let mut expected = fixture["articles"][0].clone();
    expected["status"] = json!("DRAFT");
    expected["publishedAt"] = Value::Null;
    let draft = data_as(&app, &write, FULL_ARTICLE, json!({ "slug": SEED_SLUG })).await;
    assert_eq!(as_import_format(&draft["article"]), expected);

    let published = data_as(
        &app,
        &write,
        PUBLISH,
        json!({ "id": created["id"], "at": "2025-02-21T16:04:56Z" }),
    )
    .await;
    assert_eq!(
        published["publishArticle"],
        json!({ "status": "PUBLISHED", "publishedAt": "2025-02-21T16:04:56Z" })
    );
    let public = app.data(FULL_ARTICLE, json!({ "slug": SEED_SLUG })).await;
    assert_eq!(as_import_format(&public["article"]), fixture["articles"][0]);
}

#[tokio::test]
async fn a_scheduled_article_appears_when_its_time_comes() {
    let app = spawn_app().await;
    let write = token(&app, Scope::Write).await;
    let mut input = seed_input();
    input["slug"] = json!("scheduled");
    let id = data_as(&app, &write, CREATE, json!({ "input": input })).await["createArticle"]["id"]
        .clone();
    let at = chrono::Utc::now() + chrono::Duration::seconds(1);
    let at_text = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    data_as(&app, &write, PUBLISH, json!({ "id": id, "at": at_text })).await;

    let query = r#"{ article(slug: "scheduled") { slug } }"#;
    if chrono::Utc::now() < at {
        assert_eq!(app.data(query, json!({})).await["article"], Value::Null);
    }
    // A preview sees it before its time.
    let preview = token(&app, Scope::Preview).await;
    assert_eq!(
        data_as(&app, &preview, query, json!({})).await["article"]["slug"],
        "scheduled"
    );
    tokio::time::sleep(
        (at - chrono::Utc::now()).to_std().unwrap_or_default()
            + std::time::Duration::from_millis(50),
    )
    .await;
    assert_eq!(
        app.data(query, json!({})).await["article"]["slug"],
        "scheduled"
    );
}

#[tokio::test]
async fn update_changes_what_is_given_and_nothing_else() {
    let app = spawn_app().await;
    let write = token(&app, Scope::Write).await;
    let id = article_id(&app, &write, SEED_SLUG).await;
    let before =
        data_as(&app, &write, FULL_ARTICLE, json!({ "slug": SEED_SLUG })).await["article"].clone();

    let patch = json!({
        "title": "A new title",
        "summary": null,
        "copyright": null,
        "keyPoints": ["Only one point."],
        "quotes": [{ "text": "New words.", "speaker": "linus-torvalds" }],
        "relatedLinks": [{ "url": "https://example.com/x" }],
        "tags": ["rust", "brand-new"],
    });
    let updated =
        data_as(&app, &write, UPDATE, json!({ "id": id, "input": patch })).await["updateArticle"]
            .clone();
    assert_eq!(updated["id"], id.as_str());
    assert_eq!(updated["createdAt"], before["createdAt"]);
    assert!(
        updated["updatedAt"].as_str() > before["updatedAt"].as_str(),
        "updatedAt moves"
    );

    let after =
        data_as(&app, &write, FULL_ARTICLE, json!({ "slug": SEED_SLUG })).await["article"].clone();
    let mut expected = as_import_format(&before);
    expected["title"] = json!("A new title");
    expected["summary"] = Value::Null;
    expected["copyright"] = Value::Null;
    expected["keyPoints"] = json!(["Only one point."]);
    expected["quotes"] =
        json!([{ "text": "New words.", "speaker": "linus-torvalds", "context": null }]);
    expected["relatedLinks"] =
        json!([{ "url": "https://example.com/x", "title": null, "rel": "RELATED" }]);
    expected["tags"] = json!(["rust", "brand-new"]);
    assert_eq!(as_import_format(&after), expected);

    // Renaming: the old slug is gone, the new one is the same article.
    let renamed = data_as(
        &app,
        &write,
        UPDATE,
        json!({ "id": id, "input": { "slug": "renamed" } }),
    )
    .await;
    assert_eq!(renamed["updateArticle"]["slug"], "renamed");
    assert_eq!(article_id(&app, &write, "renamed").await, id);
    let old = data_as(&app, &write, FULL_ARTICLE, json!({ "slug": SEED_SLUG })).await;
    assert_eq!(old["article"], Value::Null);
}

#[tokio::test]
async fn unpublish_archive_and_delete() {
    let app = spawn_app().await;
    let write = token(&app, Scope::Write).await;
    let id = article_id(&app, &write, SEED_SLUG).await;
    let public = r#"{ articles { totalCount } quotes { totalCount } }"#;
    assert_eq!(
        app.data(public, json!({})).await,
        json!({ "articles": { "totalCount": 1 }, "quotes": { "totalCount": 4 } })
    );

    let status =
        |name: &str| format!("mutation($id: ID!) {{ {name}(id: $id) {{ status publishedAt }} }}");
    let draft = data_as(
        &app,
        &write,
        &status("unpublishArticle"),
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        draft["unpublishArticle"],
        json!({ "status": "DRAFT", "publishedAt": "2025-02-21T16:04:56Z" })
    );
    assert_eq!(
        app.data(public, json!({})).await,
        json!({ "articles": { "totalCount": 0 }, "quotes": { "totalCount": 0 } })
    );

    let archived = data_as(&app, &write, &status("archiveArticle"), json!({ "id": id })).await;
    assert_eq!(archived["archiveArticle"]["status"], "ARCHIVED");
    assert_eq!(
        app.data(public, json!({})).await["articles"]["totalCount"],
        0
    );

    let deleted = data_as(
        &app,
        &write,
        "mutation($id: ID!) { deleteArticle(id: $id) }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(deleted["deleteArticle"], id.as_str());
    let all = data_as(
        &app,
        &write,
        "{ articles { totalCount } quotes { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(
        all,
        json!({ "articles": { "totalCount": 0 }, "quotes": { "totalCount": 0 } })
    );
    // Gone: every mutation on it is NOT_FOUND.
    for name in [
        "deleteArticle",
        "publishArticle",
        "unpublishArticle",
        "archiveArticle",
    ] {
        let query = if name == "deleteArticle" {
            "mutation($id: ID!) { deleteArticle(id: $id) }".to_owned()
        } else {
            status(name)
        };
        assert_eq!(
            errors_as(&app, &write, &query, json!({ "id": id })).await[0].0,
            "NOT_FOUND",
            "{name}"
        );
    }
    let codes = errors_as(
        &app,
        &write,
        UPDATE,
        json!({ "id": id, "input": { "title": "x" } }),
    )
    .await;
    assert_eq!(codes[0].0, "NOT_FOUND");
}

#[tokio::test]
async fn upserts_create_then_update_by_slug() {
    let app = spawn_app().await;
    let write = token(&app, Scope::Write).await;
    let speaker = |role: &str| json!({ "slug": "new-voice", "name": "New Voice", "role": role, "organization": null });
    let q = "mutation($s: SpeakerInput!) { upsertSpeaker(input: $s) { id slug name role organization } }";
    let first =
        data_as(&app, &write, q, json!({ "s": speaker("Reporter") })).await["upsertSpeaker"]
            .clone();
    let second =
        data_as(&app, &write, q, json!({ "s": speaker("Editor") })).await["upsertSpeaker"].clone();
    assert_eq!(first["id"], second["id"]);
    assert_eq!(second["role"], "Editor");

    let q = "mutation($p: PublicationInput!) { upsertPublication(input: $p) { slug name links { label url } } }";
    let data = data_as(
        &app,
        &write,
        q,
        json!({ "p": { "slug": "digital-event-horizon", "name": "DEH", "links": [{ "label": "Home", "url": "https://deh.example/" }] } }),
    )
    .await;
    assert_eq!(
        data["upsertPublication"],
        json!({ "slug": "digital-event-horizon", "name": "DEH", "links": [{ "label": "Home", "url": "https://deh.example/" }] })
    );
    let q = "mutation($a: AuthorInput!) { upsertAuthor(input: $a) { slug name kind } }";
    let data = data_as(
        &app,
        &write,
        q,
        json!({ "a": { "slug": "jane-doe", "name": "Jane Doe", "kind": "PERSON" } }),
    )
    .await;
    assert_eq!(
        data["upsertAuthor"],
        json!({ "slug": "jane-doe", "name": "Jane Doe", "kind": "PERSON" })
    );
}

#[tokio::test]
async fn only_a_write_token_may_write_and_refusals_change_nothing() {
    let app = spawn_app().await;
    let write = token(&app, Scope::Write).await;
    let preview = token(&app, Scope::Preview).await;
    let id = article_id(&app, &write, SEED_SLUG).await;
    let before = everything(&app, &write).await;
    let mut input = seed_input();
    input["slug"] = json!("another");
    let mutations = [
        (CREATE, json!({ "input": input })),
        (UPDATE, json!({ "id": id, "input": { "title": "x" } })),
        (PUBLISH, json!({ "id": id })),
        (
            "mutation($id: ID!) { unpublishArticle(id: $id) { id } }",
            json!({ "id": id }),
        ),
        (
            "mutation($id: ID!) { archiveArticle(id: $id) { id } }",
            json!({ "id": id }),
        ),
        (
            "mutation($id: ID!) { deleteArticle(id: $id) }",
            json!({ "id": id }),
        ),
        (
            "mutation($s: SpeakerInput!) { upsertSpeaker(input: $s) { id } }",
            json!({ "s": { "slug": "x", "name": "X" } }),
        ),
        (
            "mutation($a: AuthorInput!) { upsertAuthor(input: $a) { id } }",
            json!({ "a": { "slug": "x", "name": "X", "kind": "PERSON" } }),
        ),
        (
            "mutation($p: PublicationInput!) { upsertPublication(input: $p) { id } }",
            json!({ "p": { "slug": "x", "name": "X" } }),
        ),
    ];
    for (query, vars) in &mutations {
        assert_eq!(
            app.error_codes(query, vars.clone()).await,
            vec!["UNAUTHENTICATED"],
            "{query}"
        );
        let codes: Vec<String> = errors_as(&app, &preview, query, vars.clone())
            .await
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(codes, vec!["FORBIDDEN"], "{query}");
    }
    assert_eq!(everything(&app, &write).await, before);
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let write = token(&app, Scope::Write).await;
    let id = article_id(&app, &write, SEED_SLUG).await;
    let before = everything(&app, &write).await;

    let with = |pointer: &str, value: Value| {
        let mut input = seed_input();
        input["slug"] = json!("fresh-slug");
        *input.pointer_mut(pointer).unwrap() = value;
        input
    };
    let long = "x".repeat(501);
    let cases = [
        (with("/slug", json!("Bad Slug")), "input.slug"),
        (with("/slug", json!("a--b")), "input.slug"),
        (with("/slug", json!("a".repeat(201))), "input.slug"),
        (with("/title", json!("  ")), "input.title"),
        (with("/title", json!(long)), "input.title"),
        (
            with("/canonicalUrl", json!("javascript:alert(1)")),
            "input.canonicalUrl",
        ),
        (
            with("/canonicalUrl", json!("/relative")),
            "input.canonicalUrl",
        ),
        (
            with("/relatedLinks/1/url", json!("ftp://example.com")),
            "input.relatedLinks[1].url",
        ),
        (with("/copyright/year", json!(1066)), "input.copyright.year"),
        (with("/copyright/year", json!(3000)), "input.copyright.year"),
        (with("/tags/2", json!("Not A Tag")), "input.tags[2]"),
        (
            with("/publication", json!("no-such-publication")),
            "input.publication",
        ),
        (with("/author", json!("no-such-author")), "input.author"),
        (
            with("/quotes/3/speaker", json!("no-such-speaker")),
            "input.quotes[3].speaker",
        ),
        (with("/keyPoints/0", json!("")), "input.keyPoints[0]"),
    ];
    for (input, field) in cases {
        let errors = errors_as(&app, &write, CREATE, json!({ "input": input })).await;
        assert_eq!(
            errors,
            vec![("BAD_USER_INPUT".to_owned(), json!(field))],
            "{field}"
        );
    }
    // A slug that is taken is a conflict, on create and on rename.
    let errors = errors_as(&app, &write, CREATE, json!({ "input": seed_input() })).await;
    assert_eq!(errors[0].0, "CONFLICT");
    let other = data_as(
        &app,
        &write,
        CREATE,
        json!({ "input": with("/slug", json!("fresh-slug")) }),
    )
    .await;
    let other_id = other["createArticle"]["id"].clone();
    let errors = errors_as(
        &app,
        &write,
        UPDATE,
        json!({ "id": other_id, "input": { "slug": SEED_SLUG } }),
    )
    .await;
    assert_eq!(errors[0].0, "CONFLICT");
    data_as(
        &app,
        &write,
        "mutation($id: ID!) { deleteArticle(id: $id) }",
        json!({ "id": other_id }),
    )
    .await;

    // Ids: garbage, another type's, and one for nothing.
    let speaker_id = data_as(
        &app,
        &write,
        r#"{ speaker(slug: "linus-torvalds") { id } }"#,
        json!({}),
    )
    .await["speaker"]["id"]
        .clone();
    for bad in [json!("garbage"), speaker_id] {
        let errors = errors_as(&app, &write, PUBLISH, json!({ "id": bad })).await;
        assert_eq!(errors, vec![("BAD_USER_INPUT".to_owned(), json!("id"))]);
    }
    let errors = errors_as(
        &app,
        &write,
        UPDATE,
        json!({ "id": id, "input": { "publication": "nope" } }),
    )
    .await;
    assert_eq!(
        errors,
        vec![("BAD_USER_INPUT".to_owned(), json!("input.publication"))]
    );
    for field in ["slug", "title", "body", "publication"] {
        let errors = errors_as(
            &app,
            &write,
            UPDATE,
            json!({ "id": id, "input": { field: null } }),
        )
        .await;
        assert_eq!(
            errors,
            vec![("BAD_USER_INPUT".to_owned(), json!(format!("input.{field}")))],
            "{field}"
        );
    }
    let errors = errors_as(
        &app,
        &write,
        "mutation($s: SpeakerInput!) { upsertSpeaker(input: $s) { id } }",
        json!({ "s": { "slug": "Bad", "name": "X" } }),
    )
    .await;
    assert_eq!(
        errors,
        vec![("BAD_USER_INPUT".to_owned(), json!("input.slug"))]
    );
    assert_eq!(everything(&app, &write).await, before);
}

#[tokio::test]
async fn a_write_failing_part_way_rolls_back_whole() {
    let app = spawn_app().await;
    let write = token(&app, Scope::Write).await;
    let id = article_id(&app, &write, SEED_SLUG).await;
    let before = everything(&app, &write).await;
    // The rename is written before the unknown speaker is found: it must not survive.
    let patch = json!({
        "slug": "renamed-then-failed",
        "tags": ["a-tag-that-must-not-exist"],
        "quotes": [{ "text": "x", "speaker": "linus-torvalds" }, { "text": "y", "speaker": "nobody" }],
    });
    let errors = errors_as(&app, &write, UPDATE, json!({ "id": id, "input": patch })).await;
    assert_eq!(
        errors,
        vec![(
            "BAD_USER_INPUT".to_owned(),
            json!("input.quotes[1].speaker")
        )]
    );
    assert_eq!(everything(&app, &write).await, before);
}

#[tokio::test]
async fn after_any_write_an_export_reimports_unchanged() {
    let app = spawn_app().await;
    let write = token(&app, Scope::Write).await;
    let id = article_id(&app, &write, SEED_SLUG).await;
    let mut input = seed_input();
    input["slug"] = json!("second");
    let second =
        data_as(&app, &write, CREATE, json!({ "input": input })).await["createArticle"]["id"]
            .clone();
    data_as(
        &app,
        &write,
        UPDATE,
        json!({ "id": id, "input": { "title": "Changed", "tags": ["new-tag"] } }),
    )
    .await;
    data_as(
        &app,
        &write,
        PUBLISH,
        json!({ "id": second, "at": "2030-01-01T00:00:00Z" }),
    )
    .await;
    data_as(
        &app,
        &write,
        "mutation($id: ID!) { archiveArticle(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;

    // The stored content hashes match what the articles now are.
    let exported = content_api::content::bundle::export(&app.db)
        .await
        .expect("export");
    let report = content_api::content::bundle::import(&app.db, &exported, Ids::TimeOrdered)
        .await
        .expect("re-import");
    assert_eq!(
        report.articles,
        content_api::content::bundle::Counts {
            created: 0,
            updated: 0,
            unchanged: 2
        }
    );
}
