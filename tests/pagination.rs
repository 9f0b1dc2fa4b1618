//! Relay connections: forward and backward keyset pages with no gaps or duplicates, in every
//! order, and the bounds on `first`/`last` and cursors.

mod common;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use common::{SEED_SLUG, TestApp, slugs, spawn_app, synthetic_bundle};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const PAGE: &str = r#"
query Page($first: Int, $after: String, $last: Int, $before: String, $orderBy: ArticleOrder) {
  articles(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
    edges { cursor node { slug } }
    nodes { slug title publishedAt updatedAt }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"#;

/// The seed article plus 45 synthetic ones, five of which share a publish time.
async fn app_with_articles() -> TestApp {
    let app = spawn_app().await;
    let mut bundle = synthetic_bundle(45);
    for i in 30..35 {
        bundle["articles"][i]["publishedAt"] = json!("2024-01-02T12:00:00Z");
    }
    app.import(&bundle).await;
    app
}

async fn page(app: &TestApp, vars: Value) -> Value {
    app.data(PAGE, vars).await["articles"].clone()
}

/// Walks the whole list forward in pages of `size`.
async fn walk_forward(app: &TestApp, size: i32, order: &Value) -> Vec<String> {
    common::walk_forward(app, PAGE, "articles", &json!({ "orderBy": order }), size).await
}

/// Walks the whole list backward from its end in pages of `size`; returns it in list order.
async fn walk_backward(app: &TestApp, size: i32, order: &Value) -> Vec<String> {
    common::walk_backward(app, PAGE, "articles", &json!({ "orderBy": order }), size).await
}

fn is_unique(list: &[String]) -> bool {
    let mut seen = std::collections::HashSet::new();
    list.iter().all(|s| seen.insert(s))
}

#[tokio::test]
async fn pages_forward_and_backward_without_gaps_or_duplicates_in_every_order() {
    let app = app_with_articles().await;
    for field in ["PUBLISHED_AT", "UPDATED_AT", "TITLE"] {
        for direction in ["ASC", "DESC"] {
            let order = json!({ "field": field, "direction": direction });
            let whole = page(&app, json!({ "first": 100, "orderBy": order })).await;
            let expected = slugs(&whole);
            assert_eq!(expected.len(), 46, "{order}");
            assert!(is_unique(&expected), "{order}");

            // The whole list is in the order asked for.
            let key = match field {
                "PUBLISHED_AT" => "publishedAt",
                "UPDATED_AT" => "updatedAt",
                _ => "title",
            };
            let keys: Vec<String> = whole["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n[key].as_str().unwrap().to_owned())
                .collect();
            let mut sorted = keys.clone();
            sorted.sort();
            if direction == "DESC" {
                sorted.reverse();
            }
            assert_eq!(keys, sorted, "{order}");

            for size in [1, 7, 46] {
                assert_eq!(
                    walk_forward(&app, size, &order).await,
                    expected,
                    "forward by {size}, {order}"
                );
                assert_eq!(
                    walk_backward(&app, size, &order).await,
                    expected,
                    "backward by {size}, {order}"
                );
            }
        }
    }
}

#[tokio::test]
async fn default_order_is_newest_first_and_ties_break_by_id() {
    let app = app_with_articles().await;
    let whole = slugs(&page(&app, json!({ "first": 100 })).await);
    // Newest first: story-044 (2024-01-02T20:00) down to story-000, with the seed article
    // (2025) at the top and the five that share 2024-01-02T12:00 together.
    assert_eq!(whole[0], SEED_SLUG);
    let mut rest: Vec<String> = whole[1..].to_vec();
    let tied: Vec<String> = (30..35).map(|i| format!("story-{i:03}")).collect();
    let tie_start = rest.iter().position(|s| tied.contains(s)).unwrap();
    let mut tie_group: Vec<String> = rest.drain(tie_start..tie_start + 5).collect();
    // Within the tie, by id, descending like the main key.
    let ids = app
        .data("{ articles(first: 100) { nodes { slug id } } }", json!({}))
        .await;
    let uuid_of = |slug: &String| {
        let node = ids["articles"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["slug"] == slug.as_str())
            .unwrap();
        let raw = URL_SAFE_NO_PAD
            .decode(node["id"].as_str().unwrap())
            .unwrap();
        String::from_utf8(raw)
            .unwrap()
            .trim_start_matches("Article:")
            .to_owned()
    };
    let tie_ids: Vec<String> = tie_group.iter().map(uuid_of).collect();
    let mut descending = tie_ids.clone();
    descending.sort();
    descending.reverse();
    assert_eq!(tie_ids, descending);
    tie_group.sort();
    assert_eq!(tie_group, tied);
    let expected: Vec<String> = (0..45)
        .rev()
        .filter(|i| !(30..35).contains(i))
        .map(|i| format!("story-{i:03}"))
        .collect();
    assert_eq!(rest, expected);

    // Pages that split the tied group still cover it exactly once.
    let forward = walk_forward(&app, 3, &json!({})).await;
    assert_eq!(forward, whole);
}

#[tokio::test]
async fn page_info_and_cursors() {
    let app = app_with_articles().await;
    let first = page(&app, json!({ "first": 2 })).await;
    let edges = first["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2);
    assert_eq!(first["pageInfo"]["startCursor"], edges[0]["cursor"]);
    assert_eq!(first["pageInfo"]["endCursor"], edges[1]["cursor"]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);

    // Starting after an edge's cursor continues right after that edge.
    let second = page(&app, json!({ "first": 1, "after": edges[0]["cursor"] })).await;
    assert_eq!(
        slugs(&second),
        vec![edges[1]["node"]["slug"].as_str().unwrap()]
    );
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);

    // The last page says there is nothing after it.
    let last = page(&app, json!({ "last": 3 })).await;
    assert_eq!(slugs(&last), vec!["story-002", "story-001", "story-000"]);
    assert_eq!(last["pageInfo"]["hasNextPage"], false);
    assert_eq!(last["pageInfo"]["hasPreviousPage"], true);

    // Between two cursors.
    let whole = page(&app, json!({ "first": 10 })).await;
    let e = whole["edges"].as_array().unwrap();
    let between = app
        .data(
            "query($a: String, $b: String) { articles(after: $a, before: $b) { nodes { slug } } }",
            json!({ "a": e[2]["cursor"], "b": e[6]["cursor"] }),
        )
        .await;
    let expected: Vec<&str> = e[3..6]
        .iter()
        .map(|e| e["node"]["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs(&between["articles"]), expected);

    // Zero items is a valid, empty page.
    let empty = page(&app, json!({ "first": 0 })).await;
    assert_eq!(empty["nodes"], json!([]));
    assert_eq!(
        page(&app, json!({})).await["nodes"]
            .as_array()
            .unwrap()
            .len(),
        20,
        "default page size"
    );
}

#[tokio::test]
async fn bad_page_arguments_are_bad_user_input() {
    let app = app_with_articles().await;
    let cursor = page(&app, json!({ "first": 1 })).await["pageInfo"]["endCursor"].clone();
    let cases = [
        json!({ "first": 101 }),
        json!({ "first": -1 }),
        json!({ "last": 101 }),
        json!({ "last": -5 }),
        json!({ "first": 1, "last": 1 }),
        json!({ "after": "not-a-cursor" }),
        json!({ "before": "bm90IGEgY3Vyc29y" }),
        // A cursor from one order means nothing in another.
        json!({ "after": cursor, "orderBy": { "field": "TITLE" } }),
    ];
    for vars in cases {
        assert_eq!(
            app.error_codes(PAGE, vars.clone()).await,
            vec!["BAD_USER_INPUT"],
            "{vars}"
        );
    }
    for query in [
        "{ speakers(first: 101) { totalCount } }",
        "{ quotes(first: 1000) { totalCount } }",
        r#"{ speaker(slug: "linus-torvalds") { quotes(first: -1) { totalCount } } }"#,
    ] {
        assert_eq!(
            app.error_codes(query, json!({})).await,
            vec!["BAD_USER_INPUT"],
            "{query}"
        );
    }
}

#[tokio::test]
async fn speakers_and_quotes_paginate_too() {
    let app = app_with_articles().await;
    let all_quotes = app
        .data(
            "{ quotes(first: 100) { totalCount nodes { text } } }",
            json!({}),
        )
        .await;
    assert_eq!(all_quotes["quotes"]["totalCount"], 4 + 45 * 2);
    let expected: Vec<Value> = all_quotes["quotes"]["nodes"].as_array().unwrap().clone();
    // Newest article first, then in article order: the seed article's four quotes lead.
    assert_eq!(expected[0]["text"], "a good idea");
    assert_eq!(expected[4]["text"], "Quote 44a");
    assert_eq!(expected[5]["text"], "Quote 44b");

    let (mut seen, mut after) = (Vec::new(), Value::Null);
    loop {
        let p = app
            .data(
                "query($after: String) { quotes(first: 9, after: $after) { nodes { text } pageInfo { hasNextPage endCursor } } }",
                json!({ "after": after }),
            )
            .await;
        seen.extend(p["quotes"]["nodes"].as_array().unwrap().iter().cloned());
        if !p["quotes"]["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = p["quotes"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, expected);

    let first = app
        .data(
            "{ speakers(first: 2) { nodes { slug } pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        slugs(&first["speakers"]),
        vec!["christoph-hellwig", "greg-kroah-hartman"]
    );
    let rest = app
        .data(
            "query($after: String) { speakers(first: 2, after: $after) { nodes { slug } pageInfo { hasNextPage } } }",
            json!({ "after": first["speakers"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(slugs(&rest["speakers"]), vec!["linus-torvalds"]);
    assert_eq!(rest["speakers"]["pageInfo"]["hasNextPage"], false);
}
