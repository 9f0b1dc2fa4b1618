//! GraphQL over HTTP conformance: the `graphql-http` package's server audit suite (every MUST,
//! SHOULD and MAY it checks) against the real server. Needs Node.js and npm; installs the
//! pinned audit package (tests/graphql-http/package-lock.json) on first use.

mod common;

use std::{path::Path, process::Command};

fn npm_ci(dir: &Path) {
    if dir.join("node_modules/graphql-http").is_dir() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .status()
        .expect("npm (Node.js) is needed to run the graphql-http audit");
    assert!(status.success(), "npm ci in {} failed", dir.display());
}

#[tokio::test]
async fn the_graphql_http_audit_passes_with_no_error_and_no_warning() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/graphql-http");
    npm_ci(&dir);
    let app = common::spawn_app().await;
    let url = app.url("/graphql");
    // The audit is a Node process talking to our server: run it off the runtime's threads.
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("audit.mjs")
            .arg(url)
            .current_dir(dir)
            .output()
            .expect("node runs")
    })
    .await
    .expect("the audit finished");
    let report = String::from_utf8_lossy(&output.stdout);
    eprintln!("{report}{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "the audit found problems:\n{report}"
    );
    assert!(
        report.contains("0 warnings, 0 errors"),
        "unexpected audit summary:\n{report}"
    );
}
