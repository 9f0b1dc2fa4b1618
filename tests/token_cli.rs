//! `content-api token` as an operator runs it: create prints the token once (last line) and it
//! opens the API; list shows names, scopes and times but never a token or its hash; revoke
//! shuts the token out; a duplicate or bad name fails with a clear message.

mod common;

use std::{
    net::TcpListener,
    process::{Command, Output},
};

use common::{TestDb, bundle_of, synthetic_article};
use content_api::content::ids::Ids;
use content_api::{config::ServeSettings, content, db, http};
use pretty_assertions::assert_eq;
use reqwest::{StatusCode, header::AUTHORIZATION};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Runs the binary with `args` over `database_url`, shielded from the caller's settings.
fn run(database_url: &str, args: &[&str]) -> Output {
    Command::new(common::binary())
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "info")
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

fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "{:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
}

/// The `error: …` line of a failed run, which must have exited with `code`.
fn error_line(output: &Output, code: i32) -> String {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stderr:\n{}",
        stderr(output)
    );
    assert_eq!(stdout(output), "", "nothing on standard output");
    stderr(output)
        .lines()
        .find(|line| line.starts_with("error: "))
        .unwrap_or_else(|| panic!("an error line: {}", stderr(output)))
        .to_owned()
}

/// Creates a token with the CLI and returns it: the last line of standard output.
fn create(database_url: &str, name: &str, scope: &str) -> String {
    let output = run(
        database_url,
        &["token", "create", "--name", name, "--scope", scope],
    );
    assert_success(&output);
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..lines.len() - 1],
        [
            format!("created the {scope} token \"{name}\""),
            "Send it as `Authorization: Bearer TOKEN`. It is shown only this once:".to_owned(),
        ]
    );
    let token = lines[lines.len() - 1].to_owned();
    assert!(
        token.starts_with("cat_") && token.len() == 47,
        "a token: {token:?}"
    );
    token
}

/// The server, in this process, over the database the CLI used; with a draft in it.
async fn serve(database_url: &str) -> String {
    let db = db::connect_and_migrate(database_url)
        .await
        .expect("connect");
    let mut draft = synthetic_article(1, "2024-01-01T00:00:00Z");
    draft["status"] = json!("DRAFT");
    let bundle = bundle_of(vec![draft]);
    content::bundle::import(
        &db,
        &content::bundle::parse(&bundle.to_string()).expect("a bundle"),
        Ids::TimeOrdered,
    )
    .await
    .expect("import a draft");
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(http::server(listener, db, &ServeSettings::default()).expect("a server"));
    address
}

/// The draft as `token` (if any) sees it: its slug, or null. Panics unless 200.
async fn draft_as(address: &str, token: Option<&str>) -> Value {
    let (status, body) = ask(address, token).await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    body["data"]["article"].clone()
}

async fn ask(address: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .json(&json!({ "query": "{ article(slug: \"story-001\") { slug } }" }));
    if let Some(token) = token {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = request.send().await.expect("request sent");
    let status = response.status();
    (status, response.json().await.expect("a JSON body"))
}

#[tokio::test]
async fn create_prints_the_token_last_and_it_opens_the_api() {
    let test_db = TestDb::new().await;
    let preview = create(&test_db.url, "preview-bot", "preview");
    let write = create(&test_db.url, "write-bot", "write");
    assert_ne!(preview, write);

    let address = serve(&test_db.url).await;
    assert_eq!(draft_as(&address, None).await, Value::Null);
    for token in [&preview, &write] {
        assert_eq!(
            draft_as(&address, Some(token)).await,
            json!({ "slug": "story-001" })
        );
    }
}

#[tokio::test]
async fn list_shows_names_scopes_and_times_but_never_a_token() {
    let test_db = TestDb::new().await;
    let output = run(&test_db.url, &["token", "list"]);
    assert_success(&output);
    assert_eq!(
        stdout(&output),
        "no tokens; create one with `content-api token create`\n"
    );

    let ci = create(&test_db.url, "ci", "write");
    let editor = create(&test_db.url, "editor preview", "preview");
    assert_success(&run(&test_db.url, &["token", "revoke", "ci"]));

    let output = run(&test_db.url, &["token", "list"]);
    assert_success(&output);
    let out = stdout(&output);
    let db = db::connect(&test_db.url).await.expect("connect");
    let stored = content::tokens::list(&db).await.expect("list");
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    // Columns line up: each starts where its header does.
    let starts: Vec<usize> = ["SCOPE", "CREATED", "LAST USED", "REVOKED"]
        .iter()
        .map(|h| lines[0].find(h).expect("a header"))
        .collect();
    let cells = |line: &str| -> Vec<String> {
        let mut bounds = vec![0];
        bounds.extend(&starts);
        bounds.push(line.len());
        bounds
            .windows(2)
            .map(|w| line[w[0]..w[1].min(line.len())].trim_end().to_owned())
            .collect()
    };
    assert_eq!(
        lines.iter().map(|l| cells(l)).collect::<Vec<_>>(),
        [
            vec!["NAME", "SCOPE", "CREATED", "LAST USED", "REVOKED"]
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>(),
            vec![
                "ci".to_owned(),
                "write".to_owned(),
                time(stored[0].created_at),
                "never".to_owned(),
                time(stored[0].revoked_at.expect("revoked")),
            ],
            vec![
                "editor preview".to_owned(),
                "preview".to_owned(),
                time(stored[1].created_at),
                "never".to_owned(),
                "-".to_owned(),
            ],
        ]
    );
    for token in [&ci, &editor] {
        let hash = format!("{:x}", Sha256::digest(token.as_bytes()));
        assert!(!out.contains(token.as_str()), "the token is not shown");
        assert!(!out.contains(&hash), "its hash is not shown");
        assert!(!out.contains(&token[4..12]), "nor a piece of it");
    }
}

#[tokio::test]
async fn revoke_shuts_the_token_out() {
    let test_db = TestDb::new().await;
    let token = create(&test_db.url, "ci", "preview");
    let address = serve(&test_db.url).await;
    assert_eq!(
        draft_as(&address, Some(&token)).await,
        json!({ "slug": "story-001" })
    );

    let output = run(&test_db.url, &["token", "revoke", "ci"]);
    assert_success(&output);
    assert_eq!(stdout(&output), "revoked the token \"ci\"\n");
    let (status, body) = ask(&address, Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

    // Again: nothing to do, and it says so.
    let output = run(&test_db.url, &["token", "revoke", "ci"]);
    assert_success(&output);
    assert!(
        stdout(&output).starts_with("the token \"ci\" was already revoked at "),
        "{}",
        stdout(&output)
    );

    let output = run(&test_db.url, &["token", "revoke", "nope"]);
    assert_eq!(
        error_line(&output, 1),
        "error: not found: no token named \"nope\""
    );
}

#[tokio::test]
async fn a_duplicate_or_bad_name_fails_with_a_clear_message() {
    let test_db = TestDb::new().await;
    create(&test_db.url, "ci", "write");

    let output = run(
        &test_db.url,
        &["token", "create", "--name", "ci", "--scope", "preview"],
    );
    assert_eq!(
        error_line(&output, 1),
        "error: could not create the token: conflict: a token named \"ci\" already exists"
    );
    let output = run(
        &test_db.url,
        &["token", "create", "--name", "", "--scope", "preview"],
    );
    assert_eq!(
        error_line(&output, 1),
        "error: could not create the token: name: must not be empty"
    );
    let output = run(
        &test_db.url,
        &["token", "create", "--name", "x", "--scope", "admin"],
    );
    assert_eq!(
        error_line(&output, 2),
        "error: invalid value 'admin' for '--scope <SCOPE>'"
    );

    let db = db::connect(&test_db.url).await.expect("connect");
    let names: Vec<String> = content::tokens::list(&db)
        .await
        .expect("list")
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["ci"]);
}
