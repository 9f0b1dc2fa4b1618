//! The `content-api` binary as an operator runs it: schema, import (from a file and from
//! standard input, idempotent, all-or-nothing), migrate, and serve with its demo content.

mod common;

use std::{
    io::Write,
    path::Path,
    process::{Output, Stdio},
};

use common::{
    SEED, SEED_SLUG, TestDb,
    process::{Server, content_api},
    seed,
    snapshot::snapshot,
};
use migration::{Migrator, MigratorTrait};
use pretty_assertions::assert_eq;
use serde_json::json;

/// Runs the binary with `args` to completion.
fn run(database_url: &str, args: &[&str]) -> Output {
    content_api(database_url)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 output")
}

fn utf8(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// Asserts a zero exit status, showing the output otherwise.
fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "{:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
}

/// What `import` prints for the seed bundle into a database that lacks it.
fn first_import_report(file: &str) -> String {
    format!(
        "imported {file}\n\
         publications: 1 created, 0 updated, 0 unchanged\n\
         authors:      1 created, 0 updated, 0 unchanged\n\
         speakers:     3 created, 0 updated, 0 unchanged\n\
         articles:     1 created, 0 updated, 0 unchanged\n\
         tags:         4 created\n"
    )
}

#[tokio::test]
async fn schema_prints_the_sdl() {
    let test_db = TestDb::new().await;
    let output = run(&test_db.url, &["schema"]);
    assert_success(&output);
    assert_eq!(stdout(&output), content_api::graphql::sdl());
}

#[tokio::test]
async fn import_reports_counts_and_a_second_import_changes_nothing() {
    let test_db = TestDb::new().await;

    let output = run(&test_db.url, &["import", "fixtures/demo.json"]);
    assert_success(&output);
    assert_eq!(stdout(&output), first_import_report("fixtures/demo.json"));
    let after_first = snapshot(&test_db.url).await;
    assert_eq!(
        after_first["articles"].len(),
        1,
        "one article: {:#?}",
        after_first["articles"]
    );

    let output = run(&test_db.url, &["import", "fixtures/demo.json"]);
    assert_success(&output);
    assert_eq!(
        stdout(&output),
        "imported fixtures/demo.json\n\
         publications: 0 created, 0 updated, 1 unchanged\n\
         authors:      0 created, 0 updated, 1 unchanged\n\
         speakers:     0 created, 0 updated, 3 unchanged\n\
         articles:     0 created, 0 updated, 1 unchanged\n\
         tags:         0 created\n"
    );
    // Not a row rewritten: `updated_at` and every id stay as they were.
    assert_eq!(snapshot(&test_db.url).await, after_first);
}

#[tokio::test]
async fn a_bad_file_names_the_article_and_field_and_changes_nothing() {
    let test_db = TestDb::new().await;
    assert_success(&run(&test_db.url, &["import", "fixtures/demo.json"]));
    let before = snapshot(&test_db.url).await;

    // A valid change (the title) next to an invalid one: neither may land.
    let mut bundle = seed();
    bundle["articles"][0]["title"] = json!("A title that must not be written");
    bundle["articles"][0]["relatedLinks"][1]["url"] = json!("not a url");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("bad.json");
    std::fs::write(&file, bundle.to_string()).expect("write the bad bundle");

    let output = run(&test_db.url, &["import", utf8(&file)]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "stderr:\n{}",
        stderr(&output)
    );
    assert_eq!(stdout(&output), "");
    let error_line = stderr(&output)
        .lines()
        .find(|line| line.starts_with("error: "))
        .unwrap_or_else(|| panic!("an error line: {}", stderr(&output)))
        .to_owned();
    assert_eq!(
        error_line,
        format!(
            "error: could not import {}; nothing was changed: \
             articles[0] (\"{SEED_SLUG}\").relatedLinks[1].url: \
             \"not a url\" is not an absolute URL: relative URL without a base",
            file.display()
        )
    );
    assert_eq!(snapshot(&test_db.url).await, before);
}

#[tokio::test]
async fn import_reads_standard_input_given_a_dash() {
    let test_db = TestDb::new().await;
    let mut child = content_api(&test_db.url)
        .args(["import", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child
        .stdin
        .take()
        .expect("a stdin pipe")
        .write_all(SEED.as_bytes())
        .expect("write the bundle");
    let output = child.wait_with_output().expect("the import finishes");
    assert_success(&output);
    assert_eq!(stdout(&output), first_import_report("-"));
    assert_eq!(
        snapshot(&test_db.url).await["articles"].len(),
        1,
        "one article imported"
    );
}

/// Asserts what `migrate status` prints: every migration the code has, in order, with the
/// status given for it, `Applied` or `Pending`.
fn assert_migration_status(database_url: &str, expected: &[&str]) {
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    assert_eq!(
        names.len(),
        expected.len(),
        "one status per migration: {names:?}"
    );
    let want: String = names
        .iter()
        .zip(expected)
        .map(|(name, status)| format!("{status}\t{name}\n"))
        .collect();
    let output = run(database_url, &["migrate", "status"]);
    assert_success(&output);
    assert_eq!(stdout(&output), want);
}

/// The same status for every migration.
fn all(status: &'static str) -> Vec<&'static str> {
    vec![status; Migrator::migrations().len()]
}

#[tokio::test]
async fn migrate_status_follows_up_and_down() {
    let test_db = TestDb::new().await;
    let url = test_db.url.as_str();

    assert_migration_status(url, &all("Pending"));
    assert_success(&run(url, &["migrate", "up"]));
    assert_migration_status(url, &all("Applied"));
    // `down` rolls back the last migration only.
    assert_success(&run(url, &["migrate", "down"]));
    let mut last_pending = all("Applied");
    *last_pending.last_mut().unwrap() = "Pending";
    assert_migration_status(url, &last_pending);
    // `migrate` with no action migrates up.
    assert_success(&run(url, &["migrate"]));
    assert_migration_status(url, &all("Applied"));
}

#[tokio::test]
async fn migrate_fresh_drops_all_content() {
    let test_db = TestDb::new().await;
    let url = test_db.url.as_str();
    // Over an empty schema, then over content.
    assert_success(&run(url, &["migrate", "up"]));
    assert_success(&run(url, &["migrate", "fresh"]));
    assert_migration_status(url, &all("Applied"));
    assert_success(&run(url, &["import", "fixtures/demo.json"]));

    assert_success(&run(url, &["migrate", "fresh"]));
    assert_migration_status(url, &all("Applied"));
    assert!(
        snapshot(url).await.values().all(Vec::is_empty),
        "every table is empty after `migrate fresh`"
    );
    // And the database is usable again.
    let output = run(url, &["import", "fixtures/demo.json"]);
    assert_success(&output);
    assert_eq!(stdout(&output), first_import_report("fixtures/demo.json"));
}

const DEMO_LOADED: &str = "loaded the demo content into the empty database";

#[tokio::test]
async fn serve_loads_the_demo_into_an_empty_database() {
    let test_db = TestDb::new().await;
    let server = Server::start(&test_db.url, &[], &[]).await;
    assert_eq!(server.article_slugs().await, [SEED_SLUG]);
    assert!(server.log().contains(DEMO_LOADED), "{}", server.log());
}

#[tokio::test]
async fn serve_leaves_an_empty_database_empty_with_no_demo() {
    for (args, env) in [
        (&["--no-demo"][..], &[][..]),
        (&[], &[("CONTENT_API_NO_DEMO", "true")]),
    ] {
        let test_db = TestDb::new().await;
        let server = Server::start(&test_db.url, args, env).await;
        assert_eq!(
            server.article_slugs().await,
            Vec::<String>::new(),
            "{args:?} {env:?}"
        );
        assert!(!server.log().contains(DEMO_LOADED), "{}", server.log());
    }
}

#[tokio::test]
async fn serve_leaves_existing_content_alone() {
    let test_db = TestDb::new().await;
    let mut bundle = common::synthetic_bundle(1);
    bundle["articles"][0]["slug"] = json!("my-own-story");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("own.json");
    std::fs::write(&file, bundle.to_string()).expect("write the bundle");
    assert_success(&run(&test_db.url, &["import", utf8(&file)]));

    let server = Server::start(&test_db.url, &[], &[]).await;
    assert_eq!(server.article_slugs().await, ["my-own-story"]);
    assert!(!server.log().contains(DEMO_LOADED), "{}", server.log());
}

#[tokio::test]
async fn webhooks_are_added_listed_and_removed_with_clear_refusals() {
    let test_db = TestDb::new().await;
    let url = &test_db.url;
    let refused = run(
        url,
        &[
            "webhook",
            "add",
            "--url",
            "ftp://example.com/x",
            "--events",
            "article.published",
        ],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("url: must be http or https"),
        "{}",
        stderr(&refused)
    );
    let refused = run(
        url,
        &[
            "webhook",
            "add",
            "--url",
            "https://example.com/x",
            "--events",
            "article.made",
        ],
    );
    assert!(
        stderr(&refused).contains("unknown event \"article.made\""),
        "{}",
        stderr(&refused)
    );

    let added = run(
        url,
        &[
            "webhook",
            "add",
            "--url",
            "https://example.com/hooks",
            "--events",
            "article.published,article.deleted",
        ],
    );
    assert_success(&added);
    let printed = stdout(&added);
    let id = printed
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .expect("the id is printed");
    let secret = printed
        .lines()
        .find_map(|l| l.strip_prefix("secret: "))
        .expect("the secret is printed");
    assert!(secret.starts_with("whsec_"), "{printed}");

    let listed = stdout(&run(url, &["webhook", "list"]));
    assert!(listed.starts_with("ID"), "{listed}");
    let row = listed.lines().nth(1).expect("a row");
    assert!(
        row.contains(id) && row.contains("https://example.com/hooks"),
        "{listed}"
    );
    assert!(
        row.contains("article.published,article.deleted"),
        "{listed}"
    );
    assert!(!listed.contains(secret), "the secret is never listed");
    assert_eq!(
        stdout(&run(url, &["webhook", "deliveries", id])),
        "no deliveries yet\n"
    );

    assert_success(&run(url, &["webhook", "remove", id]));
    let again = run(url, &["webhook", "remove", id]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains(&format!("no webhook with id {id}")),
        "{}",
        stderr(&again)
    );
    assert!(stdout(&run(url, &["webhook", "list"])).starts_with("no webhooks"));
}
