//! Answers list fields in the order the query selected them (GraphQL, "Serialized Map
//! Ordering"), whichever resolves first, on every path: the projection (a query over articles
//! sent again), the schema's resolvers (its first time, and everything else), introspection,
//! fragments, aliases and a root field selected twice.

mod common;

use common::{SEED_SLUG, TestApp, ordered::Ordered, spawn_uncached};
use serde_json::{Value, json};

/// The answer to `query`, its first time (through the schema) and again (through the
/// projection when it answers it): both, with their keys in order.
async fn answers(app: &TestApp, query: &str, variables: Value) -> [Ordered; 2] {
    let mut answers = Vec::new();
    for _ in 0..2 {
        let text = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent")
            .text()
            .await
            .expect("a body");
        let answer = Ordered::parse(&text);
        assert!(
            !matches!(&answer, Ordered::Object(fields) if fields.iter().any(|(k, _)| k == "errors")),
            "{text}"
        );
        answers.push(answer);
    }
    [answers.remove(0), answers.remove(0)]
}

/// Where in the answer, and the keys expected there, in order.
type Expected = (Vec<&'static str>, Vec<&'static str>);

#[tokio::test]
async fn fields_come_in_the_order_selected() {
    let app = spawn_uncached().await;
    let article_id = app
        .data(
            "query($s: String) { article(slug: $s) { id } }",
            json!({ "s": SEED_SLUG }),
        )
        .await["article"]["id"]
        .clone();

    let cases: Vec<(&str, Value, Vec<Expected>)> = vec![
        (
            "{ tags { slug articleCount } }",
            json!({}),
            vec![(vec!["data", "tags", "0"], vec!["slug", "articleCount"])],
        ),
        (
            "{ tags { articleCount slug } }",
            json!({}),
            vec![(vec!["data", "tags", "0"], vec!["articleCount", "slug"])],
        ),
        (
            "{ articles(first: 2) { totalCount nodes { title slug } pageInfo { hasNextPage } } }",
            json!({}),
            vec![
                (
                    vec!["data", "articles"],
                    vec!["totalCount", "nodes", "pageInfo"],
                ),
                (
                    vec!["data", "articles", "nodes", "0"],
                    vec!["title", "slug"],
                ),
            ],
        ),
        (
            "{ tags { slug } b: articles(first: 1) { nodes { slug } } a: authors { slug } }",
            json!({}),
            vec![(vec!["data"], vec!["tags", "b", "a"])],
        ),
        (
            "query($s: String) { article(slug: $s) { ...F title z: slug } }
             fragment F on Article { quotes { text speaker { name slug } } id }",
            json!({ "s": SEED_SLUG }),
            vec![
                (vec!["data", "article"], vec!["quotes", "id", "title", "z"]),
                (
                    vec!["data", "article", "quotes", "0", "speaker"],
                    vec!["name", "slug"],
                ),
            ],
        ),
        (
            // The same root field twice: its selections merge, in the order selected.
            "query($s: String) { article(slug: $s) { title keyPoints { text } } article(slug: $s) { slug keyPoints { id text } } }",
            json!({ "s": SEED_SLUG }),
            vec![
                (vec!["data", "article"], vec!["title", "keyPoints", "slug"]),
                (
                    vec!["data", "article", "keyPoints", "0"],
                    vec!["text", "id"],
                ),
            ],
        ),
        (
            "query($id: ID!) { node(id: $id) { ... on Speaker { name } ... on Article { title id } id } }",
            json!({ "id": article_id }),
            vec![(vec!["data", "node"], vec!["title", "id"])],
        ),
        (
            "{ speaker(slug: \"linus-torvalds\") { articles { totalCount nodes { slug } } name quotes(first: 1) { nodes { text } totalCount } } }",
            json!({}),
            vec![
                (vec!["data", "speaker"], vec!["articles", "name", "quotes"]),
                (
                    vec!["data", "speaker", "articles"],
                    vec!["totalCount", "nodes"],
                ),
                (
                    vec!["data", "speaker", "quotes"],
                    vec!["nodes", "totalCount"],
                ),
            ],
        ),
        (
            "{ __schema { queryType { name } mutationType { name } } __typename }",
            json!({}),
            vec![
                (vec!["data"], vec!["__schema", "__typename"]),
                (vec!["data", "__schema"], vec!["queryType", "mutationType"]),
            ],
        ),
    ];
    for (query, variables, expected) in cases {
        for (run, answer) in answers(&app, query, variables).await.iter().enumerate() {
            for (path, keys) in &expected {
                assert_eq!(
                    &answer.keys(path),
                    keys,
                    "{query} at {path:?}, answer {run}"
                );
            }
        }
    }
}
