//! GraphiQL from the binary: the page a browser gets at /graphql loads only this server's
//! files (each at a versioned, immutable path), names its licences, and its default query
//! runs; with introspection off there is none of it.

mod common;

use common::{Options, TestApp, seed, spawn_app, spawn_with};
use content_api::config::{ServeSettings, Switch};
use pretty_assertions::assert_eq;
use reqwest::{
    StatusCode,
    header::{self, HeaderMap},
};
use serde_json::{Value, json};

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const VENDOR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/graphiql/vendor");

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map_or("", |v| v.to_str().expect("an ASCII header value"))
}

async fn get(app: &TestApp, path: &str, accept: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header(header::ACCEPT, accept)
        .send()
        .await
        .expect("request sent")
}

/// The page GraphiQL is served in, with its headers.
async fn page(app: &TestApp) -> (HeaderMap, String) {
    let response = get(app, "/graphql", BROWSER).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    (headers, response.text().await.expect("a body"))
}

/// The value of each `attribute="..."` in the page's `<tag ...>` elements.
fn attributes(html: &str, tag: &str, attribute: &str) -> Vec<String> {
    html.split(&format!("<{tag} "))
        .skip(1)
        .filter_map(|rest| {
            let element = &rest[..rest.find('>').expect("a closed tag")];
            let start = element.find(&format!("{attribute}=\""))? + attribute.len() + 2;
            let end = start + element[start..].find('"').expect("a closed attribute");
            Some(element[start..end].to_owned())
        })
        .collect()
}

/// The `data-NAME='...'` attribute of the page's GraphiQL element, unescaped.
fn data_attribute(html: &str, name: &str) -> String {
    let marker = format!("data-{name}='");
    let start = html.find(&marker).expect("the attribute") + marker.len();
    let end = start + html[start..].find('\'').expect("a closed attribute");
    html[start..end]
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The vendored files as `VERSIONS` lists them: (package, version, file).
fn versions() -> Vec<(String, String, String)> {
    std::fs::read_to_string(format!("{VENDOR}/VERSIONS"))
        .expect("VERSIONS")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (
                fields[0].to_owned(),
                fields[1].to_owned(),
                fields[2].to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_browser_gets_the_page_with_a_strict_content_security_policy() {
    let app = spawn_app().await;
    let (headers, html) = page(&app).await;
    assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
    assert_eq!(
        header(&headers, "content-security-policy"),
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         font-src 'self' data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'"
    );
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert!(html.contains("<title>content-api</title>"), "{html}");
    assert_eq!(data_attribute(&html, "endpoint"), "/graphql");
    // Everything runs from files: no inline script, no handler attribute.
    assert_eq!(
        html.matches("<script").count(),
        attributes(&html, "script", "src").len(),
        "{html}"
    );
    let handler = html.match_indices(" on").any(|(i, _)| {
        let name: String = html[i + 3..]
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        !name.is_empty() && html[i + 3 + name.len()..].starts_with('=')
    });
    assert!(!handler, "{html}");
}

#[tokio::test]
async fn the_page_loads_only_this_servers_files_each_immutable() {
    let app = spawn_app().await;
    let (_, html) = page(&app).await;
    assert!(!html.contains("://"), "no URL of another host: {html}");
    let scripts = attributes(&html, "script", "src");
    let links = attributes(&html, "link", "href");
    let versions = versions();

    // React, ReactDOM, GraphiQL and the script that starts it, in that order.
    let expected_scripts: Vec<String> = ["react", "react-dom", "graphiql"]
        .iter()
        .map(|package| {
            let (_, version, file) = versions
                .iter()
                .find(|(p, _, f)| p == package && f.ends_with(".js"))
                .expect("the package's script in VERSIONS");
            format!("/graphiql/{package}-{version}/{file}")
        })
        .collect();
    assert_eq!(scripts[..3], expected_scripts[..], "{html}");
    assert_eq!(scripts.len(), 4, "{scripts:?}");
    assert!(
        scripts[3].starts_with("/graphiql/init-") && scripts[3].ends_with("/graphiql-init.js"),
        "{scripts:?}"
    );
    let (_, version, _) = &versions[0];
    assert_eq!(
        links,
        [
            "data:,".to_owned(),
            "/graphiql/LICENSES.txt".to_owned(),
            format!("/graphiql/graphiql-{version}/graphiql.min.css"),
        ]
    );

    for path in scripts.iter().chain(&links[2..]) {
        assert!(path.starts_with('/') && !path.starts_with("//"), "{path}");
        let response = get(&app, path, "*/*").await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let content_type = if path.ends_with(".css") {
            "text/css; charset=utf-8"
        } else {
            "text/javascript; charset=utf-8"
        };
        assert_eq!(
            (
                header(response.headers(), "content-type"),
                header(response.headers(), "cache-control"),
                header(response.headers(), "x-content-type-options"),
            ),
            (
                content_type,
                "public, max-age=31536000, immutable",
                "nosniff"
            ),
            "{path}"
        );
        let body = response.bytes().await.expect("a body");
        let file = path.rsplit('/').next().expect("a file name");
        let on_disk = if file == "graphiql-init.js" {
            std::fs::read(format!("{VENDOR}/../{file}"))
        } else {
            std::fs::read(format!("{VENDOR}/{file}"))
        }
        .expect("the file");
        assert!(body == on_disk, "{path} is served as vendored");
    }

    let missing = get(&app, "/graphiql/graphiql-0.0.0/graphiql.min.js", "*/*").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_licences_are_served() {
    let app = spawn_app().await;
    let response = get(&app, "/graphiql/LICENSES.txt", "*/*").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(response.headers(), "content-type"),
        "text/plain; charset=utf-8"
    );
    let text = response.text().await.expect("a body");
    assert_eq!(
        text,
        std::fs::read_to_string(format!("{VENDOR}/LICENSES.txt")).expect("LICENSES.txt")
    );
    for (package, version, _) in versions() {
        assert!(
            text.contains(&format!("\n{package}@{version} (")),
            "{package}@{version}'s licence: {text}"
        );
    }
    // graphiql.min.js and graphiql.min.css bundle GraphiQL's dependencies and two fonts, whose
    // licences follow the vendored packages' own.
    for bundled in [
        "\nBundled in graphiql.min.js and graphiql.min.css\n",
        "\ngraphql@16.9.0 (MIT; in graphiql.min.js)\n",
        "\ncodemirror@5.65.3 (MIT; in graphiql.min.js)\n",
        "\nmarkdown-it@",
        "\nRoboto (font, Apache-2.0; in graphiql.min.css)\n",
        "\nFira Code (font, OFL-1.1; in graphiql.min.css)\n",
        "\nCopyright (c) 2014, The Fira Code Project Authors (https://github.com/tonsky/FiraCode)\n",
    ] {
        assert!(text.contains(bundled), "{bundled:?} in LICENSES.txt");
    }
}

#[tokio::test]
async fn the_default_query_runs_and_finds_the_demo_article() {
    let app = spawn_app().await;
    let (_, html) = page(&app).await;
    let query = data_attribute(&html, "default-query");
    assert!(
        query.contains(r#"{"Authorization": "Bearer TOKEN"}"#),
        "the query says how to send a token: {query}"
    );
    assert_eq!(data_attribute(&html, "default-headers"), "");

    let body = app
        .graphql_body(&json!({ "query": query, "operationName": "DemoArticle" }))
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let article = &body["data"]["article"];
    let seed = &seed()["articles"][0];
    assert_eq!(article["title"], seed["title"]);
    assert_eq!(article["summary"], seed["summary"]);
    let key_points: Vec<Value> = article["keyPoints"]
        .as_array()
        .expect("key points")
        .iter()
        .map(|k| k["text"].clone())
        .collect();
    assert_eq!(Value::from(key_points), seed["keyPoints"]);
    assert_eq!(article["copyright"]["notice"], seed["copyright"]["notice"]);
    assert_eq!(
        article["quotes"].as_array().map(Vec::len),
        seed["quotes"].as_array().map(Vec::len)
    );
}

#[tokio::test]
async fn with_introspection_off_there_is_no_graphiql() {
    let app = spawn_with(Options {
        settings: ServeSettings {
            introspection: Switch::Off,
            ..ServeSettings::default()
        },
        ..Options::default()
    })
    .await;
    // No query, and HTML is not an answer this endpoint gives: refused as JSON, as before.
    let response = get(&app, "/graphql", BROWSER).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        header(response.headers(), "content-type"),
        "application/json; charset=utf-8"
    );
    let response = get(&app, "/graphql", "text/html").await;
    assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE);

    let on = spawn_app().await;
    let (_, html) = page(&on).await;
    for path in attributes(&html, "script", "src")
        .iter()
        .chain(&attributes(&html, "link", "href")[1..])
    {
        let response = get(&app, path, "*/*").await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = response.json().await.expect("a JSON body");
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    }
}
