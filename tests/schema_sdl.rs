//! The contract frontends code against: the checked-in `schema.graphql` is exactly the schema
//! the code builds, and the server serves that same text.

mod common;

/// How to bring the checked-in file up to date after an intended change.
const REGENERATE: &str = "cargo run -q -- schema > schema.graphql";

#[test]
fn checked_in_schema_matches_the_code() {
    let built = content_api::graphql::sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    if checked_in != built {
        let diff = pretty_assertions::StrComparison::new(&checked_in, &built);
        panic!(
            "schema.graphql differs from the schema the code builds \
             (< checked in, > built):\n{diff}\n\
             If the change is intended, regenerate it with `{REGENERATE}` and commit it."
        );
    }
}

#[tokio::test]
async fn the_server_serves_the_checked_in_schema() {
    let app = common::spawn_app().await;
    let served = app
        .client
        .get(app.url("/schema.graphql"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let checked_in = include_str!("../schema.graphql");
    assert!(
        served == checked_in,
        "GET /schema.graphql differs from schema.graphql"
    );
}
