//! The read API serves the seed article exactly as imported: every field, every list, every
//! reference, by slug, by id and through `node`.

mod common;

use common::{FULL_ARTICLE, SEED_SLUG, as_import_format, seed, spawn_app};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

fn positions(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["position"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn serves_the_seed_article_exactly() {
    let app = spawn_app().await;
    let data = app.data(FULL_ARTICLE, json!({ "slug": SEED_SLUG })).await;
    let article = &data["article"];
    let fixture = seed();

    assert_eq!(as_import_format(article), fixture["articles"][0]);

    // The references, whole.
    let publication = &article["publication"];
    let expected_pub = &fixture["publications"][0];
    for field in ["slug", "name", "url", "sponsorMessage", "links"] {
        assert_eq!(
            publication[field], expected_pub[field],
            "publication.{field}"
        );
    }
    let author = &article["author"];
    assert_eq!(
        json!({ "slug": author["slug"], "name": author["name"], "kind": author["kind"] }),
        fixture["authors"][0]
    );
    let speakers: Vec<Value> = article["quotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            let s = &q["speaker"];
            json!({ "slug": s["slug"], "name": s["name"], "role": s["role"], "organization": s["organization"] })
        })
        .collect();
    let f = &fixture["speakers"];
    assert_eq!(
        speakers,
        vec![f[0].clone(), f[1].clone(), f[2].clone(), f[2].clone()]
    );

    // Lists are ordered and numbered from 1; every quote points back at its article.
    assert_eq!(positions(&article["keyPoints"]), vec![1, 2, 3, 4, 5]);
    assert_eq!(positions(&article["quotes"]), vec![1, 2, 3, 4]);
    assert_eq!(positions(&article["relatedLinks"]), vec![1, 2, 3]);
    for quote in article["quotes"].as_array().unwrap() {
        assert_eq!(quote["article"]["slug"], SEED_SLUG);
    }
    assert_eq!(
        article["tags"],
        json!([
            { "slug": "linux", "articleCount": 1 },
            { "slug": "rust", "articleCount": 1 },
            { "slug": "linux-kernel", "articleCount": 1 },
            { "slug": "open-source", "articleCount": 1 },
        ])
    );

    // Derived fields.
    assert_eq!(article["wordCount"], 443); // `wc -w` of the body
    assert_eq!(article["readingTimeMinutes"], 3);
    assert_eq!(article["publishedAt"], "2025-02-21T16:04:56Z");
    let created = article["createdAt"].as_str().unwrap();
    chrono::DateTime::parse_from_rfc3339(created).expect("createdAt is RFC 3339");
    assert!(created.ends_with('Z'), "{created}");
}

#[tokio::test]
async fn finds_the_article_by_id_and_through_node() {
    let app = spawn_app().await;
    let by_slug = app.data(FULL_ARTICLE, json!({ "slug": SEED_SLUG })).await;
    let id = by_slug["article"]["id"].as_str().unwrap().to_owned();

    let query = FULL_ARTICLE
        .replace("Full($slug: String)", "Full($id: ID)")
        .replace("article(slug: $slug)", "article(id: $id)");
    let by_id = app.data(&query, json!({ "id": id })).await;
    assert_eq!(by_id, by_slug);

    let node = app
        .data(
            "query($id: ID!) { node(id: $id) { __typename id ... on Article { slug title } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        node["node"],
        json!({ "__typename": "Article", "id": id, "slug": SEED_SLUG, "title": seed()["articles"][0]["title"] })
    );

    // Every other kind of node resolves too.
    let ids = app
        .data(
            &format!(r#"{{ article(slug: "{SEED_SLUG}") {{ author {{ id }} publication {{ id }} quotes {{ speaker {{ id slug }} }} }} }}"#),
            json!({}),
        )
        .await;
    let a = &ids["article"];
    for (id, typename) in [
        (&a["author"]["id"], "Author"),
        (&a["publication"]["id"], "Publication"),
        (&a["quotes"][0]["speaker"]["id"], "Speaker"),
    ] {
        let node = app
            .data(
                "query($id: ID!) { node(id: $id) { __typename id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(node["node"], json!({ "__typename": typename, "id": id }));
    }
}

#[tokio::test]
async fn absent_things_are_null_and_bad_ids_are_bad_input() {
    let app = spawn_app().await;
    let data = app
        .data(
            r#"{ article(slug: "no-such-article") { id } speaker(slug: "nobody") { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data, json!({ "article": null, "speaker": null }));

    for query in [
        r#"{ node(id: "garbage") { id } }"#,
        r#"{ article(id: "garbage") { id } }"#,
        r#"{ article { id } }"#,
        r#"{ article(slug: "a", id: "b") { id } }"#,
    ] {
        assert_eq!(
            app.error_codes(query, json!({})).await,
            vec!["BAD_USER_INPUT"],
            "{query}"
        );
    }

    // A well-formed id of another type is not an article.
    let speaker = app
        .data(r#"{ speaker(slug: "linus-torvalds") { id } }"#, json!({}))
        .await;
    let codes = app
        .error_codes(
            "query($id: ID) { article(id: $id) { id } }",
            json!({ "id": speaker["speaker"]["id"] }),
        )
        .await;
    assert_eq!(codes, vec!["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn body_formats_render_markdown_safely() {
    let app = spawn_app().await;
    let data = app
        .data(
            r#"query($slug: String) { article(slug: $slug) {
                markdown: body html: body(format: HTML) plain: body(format: PLAIN_TEXT) } }"#,
            json!({ "slug": SEED_SLUG }),
        )
        .await;
    let body = seed()["articles"][0]["body"].as_str().unwrap().to_owned();
    let first_paragraph = body.split("\n\n").next().unwrap();
    assert_eq!(data["article"]["markdown"], body.as_str());
    assert!(
        data["article"]["html"]
            .as_str()
            .unwrap()
            .starts_with(&format!("<p>{first_paragraph}</p>")),
        "{}",
        data["article"]["html"]
    );
    assert_eq!(data["article"]["plain"], body.as_str());

    // Hostile Markdown: nothing executable survives into HTML.
    let mut bundle = seed();
    let article = &mut bundle["articles"][0];
    article["slug"] = json!("hostile");
    article["body"] = json!(
        "# Title\n\nHello <script>alert(1)</script> [click](javascript:alert(2)) \
         <img src=x onerror=alert(3)> <a href=\"javascript:alert(4)\">a</a> [ok](https://example.com/)"
    );
    app.import(&bundle).await;
    let data = app
        .data(r#"{ article(slug: "hostile") { html: body(format: HTML) plain: body(format: PLAIN_TEXT) } }"#, json!({}))
        .await;
    let html = data["article"]["html"].as_str().unwrap();
    for bad in ["<script", "javascript:", "onerror", "alert(1)"] {
        assert!(!html.contains(bad), "{bad} survived in {html}");
    }
    assert!(html.contains("<h1>Title</h1>"), "{html}");
    assert!(
        html.contains(r#"<a href="https://example.com/" rel="noopener noreferrer">ok</a>"#),
        "{html}"
    );
    assert!(
        !data["article"]["plain"].as_str().unwrap().contains('<'),
        "{}",
        data["article"]["plain"]
    );
}

#[tokio::test]
async fn catalogues_list_authors_publications_speakers_and_tags() {
    let app = spawn_app().await;
    let data = app
        .data(
            "{ authors { slug name kind } publications { slug name url sponsorMessage links { label url } }
               speakers { totalCount nodes { slug name role organization } }
               tags { slug articleCount } }",
            json!({}),
        )
        .await;
    let fixture = seed();
    assert_eq!(data["authors"], fixture["authors"]);
    assert_eq!(data["publications"], fixture["publications"]);
    // Speakers by slug.
    let f = &fixture["speakers"];
    assert_eq!(data["speakers"]["nodes"], json!([f[1], f[2], f[0]]));
    assert_eq!(data["speakers"]["totalCount"], 3);
    // Tags by slug.
    assert_eq!(
        data["tags"],
        json!([
            { "slug": "linux", "articleCount": 1 },
            { "slug": "linux-kernel", "articleCount": 1 },
            { "slug": "open-source", "articleCount": 1 },
            { "slug": "rust", "articleCount": 1 },
        ])
    );
}

#[tokio::test]
async fn everything_a_speaker_said() {
    let app = spawn_app().await;
    let data = app
        .data(
            r#"{ speaker(slug: "greg-kroah-hartman") {
                  name role organization
                  quotes { totalCount nodes { position text context article { slug } } }
                  articles { totalCount nodes { slug } } } }"#,
            json!({}),
        )
        .await;
    let quotes = &seed()["articles"][0]["quotes"];
    assert_eq!(
        data["speaker"],
        json!({
            "name": "Greg Kroah-Hartman",
            "role": "Long-time Linux kernel leader",
            "organization": "Linux kernel",
            "quotes": { "totalCount": 2, "nodes": [
                { "position": 3, "text": quotes[2]["text"], "context": quotes[2]["context"], "article": { "slug": SEED_SLUG } },
                { "position": 4, "text": quotes[3]["text"], "context": null, "article": { "slug": SEED_SLUG } },
            ] },
            "articles": { "totalCount": 1, "nodes": [{ "slug": SEED_SLUG }] },
        })
    );

    let data = app
        .data(
            r#"{ quotes(filter: { speaker: "christoph-hellwig" }) { nodes { text speaker { name } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        data["quotes"]["nodes"],
        json!([{ "text": quotes[1]["text"], "speaker": { "name": "Christoph Hellwig" } }])
    );
    let data = app
        .data(
            &format!(r#"{{ quotes(filter: {{ article: "{SEED_SLUG}" }}) {{ totalCount nodes {{ position }} }} }}"#),
            json!({}),
        )
        .await;
    assert_eq!(
        data["quotes"],
        json!({ "totalCount": 4, "nodes": [{ "position": 1 }, { "position": 2 }, { "position": 3 }, { "position": 4 }] })
    );
}
