//! Article filters: each narrows the list (and its `totalCount`) to exactly the articles it
//! names, alone and combined, in the default order.

mod common;

use common::{SEED_SLUG, slugs, spawn_app, synthetic_bundle};
use pretty_assertions::assert_eq;
use serde_json::json;

/// Slugs of the synthetic articles `i` (of 45) for which `keep` holds, newest first, after
/// the seed article (published in 2025, so newest of all) if `seed` is set.
fn expected(seed: bool, keep: impl Fn(usize) -> bool) -> Vec<String> {
    let mut list: Vec<String> = if seed {
        vec![SEED_SLUG.to_owned()]
    } else {
        vec![]
    };
    list.extend(
        (0..45)
            .rev()
            .filter(|i| keep(*i))
            .map(|i| format!("story-{i:03}")),
    );
    list
}

#[tokio::test]
async fn every_filter_narrows_the_list_exactly() {
    let app = spawn_app().await;
    app.import(&synthetic_bundle(45)).await;

    // Synthetic article i: tags "even" (i even) and "rust" (i % 3 == 0); quotes speakers
    // i % 3 and (i + 1) % 3 of [torvalds, hellwig, kroah-hartman]; author set when i is even;
    // publication "other-times" when i % 5 == 0; published at 2024-01-01T00:00Z + i hours.
    let cases: Vec<(serde_json::Value, Vec<String>)> = vec![
        (json!({}), expected(true, |_| true)),
        (json!({ "status": "PUBLISHED" }), expected(true, |_| true)),
        (json!({ "status": "DRAFT" }), vec![]),
        (json!({ "status": "ARCHIVED" }), vec![]),
        (json!({ "tag": "rust" }), expected(true, |i| i % 3 == 0)),
        (json!({ "tag": "even" }), expected(false, |i| i % 2 == 0)),
        (json!({ "tag": "no-such-tag" }), vec![]),
        (
            json!({ "speaker": "linus-torvalds" }),
            expected(true, |i| i % 3 != 1),
        ),
        (
            json!({ "speaker": "christoph-hellwig" }),
            expected(true, |i| i % 3 != 2),
        ),
        (
            json!({ "author": "llama3-2-3b-q4-k-m" }),
            expected(true, |i| i % 2 == 0),
        ),
        (
            json!({ "publication": "other-times" }),
            expected(false, |i| i % 5 == 0),
        ),
        (
            json!({ "publication": "digital-event-horizon" }),
            expected(true, |i| i % 5 != 0),
        ),
        (
            json!({ "publishedAfter": "2024-01-02T00:00:00Z" }),
            expected(true, |i| i >= 24),
        ),
        (
            json!({ "publishedBefore": "2024-01-01T05:00:00Z" }),
            expected(false, |i| i < 5),
        ),
        // Any RFC 3339 offset: 02:00+02:00 is 00:00Z.
        (
            json!({ "publishedAfter": "2024-01-02T02:00:00+02:00" }),
            expected(true, |i| i >= 24),
        ),
        (
            json!({ "publishedAfter": "2024-01-01T10:00:00Z", "publishedBefore": "2024-01-01T20:00:00Z" }),
            expected(false, |i| (10..20).contains(&i)),
        ),
        (
            json!({ "tag": "rust", "publication": "other-times", "publishedBefore": "2024-01-02T00:00:00Z" }),
            expected(false, |i| i % 15 == 0 && i < 24),
        ),
        (
            json!({ "speaker": "greg-kroah-hartman", "author": "llama3-2-3b-q4-k-m", "tag": "even" }),
            expected(false, |i| i % 3 != 0 && i % 2 == 0),
        ),
    ];
    for (filter, want) in cases {
        let data = app
            .data(
                "query($filter: ArticleFilter) { articles(first: 100, filter: $filter) { totalCount nodes { slug } } }",
                json!({ "filter": filter }),
            )
            .await;
        assert_eq!(slugs(&data["articles"]), want, "{filter}");
        assert_eq!(data["articles"]["totalCount"], want.len(), "{filter}");
    }
}

#[tokio::test]
async fn filters_keep_their_order_across_pages() {
    let app = spawn_app().await;
    app.import(&synthetic_bundle(45)).await;
    let want = expected(true, |i| i % 3 == 0);
    let (mut seen, mut after) = (Vec::new(), serde_json::Value::Null);
    loop {
        let data = app
            .data(
                r#"query($after: String) { articles(first: 4, after: $after, filter: { tag: "rust" }) {
                     nodes { slug } pageInfo { hasNextPage endCursor } } }"#,
                json!({ "after": after }),
            )
            .await;
        seen.extend(slugs(&data["articles"]));
        if data["articles"]["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = data["articles"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, want);
}

#[tokio::test]
async fn an_ill_typed_filter_fails_validation() {
    let app = spawn_app().await;
    for (filter, code) in [
        (
            json!({ "publishedAfter": "yesterday" }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            json!({ "publishedBefore": 20240101 }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (json!({ "status": "DELETED" }), "GRAPHQL_VALIDATION_FAILED"),
    ] {
        let codes = app
            .error_codes(
                "query($filter: ArticleFilter) { articles(filter: $filter) { totalCount } }",
                json!({ "filter": filter }),
            )
            .await;
        assert_eq!(codes, vec![code], "{filter}");
    }
}
