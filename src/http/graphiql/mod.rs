//! GraphiQL from the binary: the page a browser's GET of /graphql gets, its scripts and styles,
//! and their licences. The page loads nothing from another host.
//!
//! `vendor/` holds npm's production UMD builds of GraphiQL 3 and React 18, unchanged, with
//! `VERSIONS` (package, version, file, sha256) and `LICENSES.txt`; `scripts/vendor-graphiql.sh`
//! refreshes them. Each asset's path holds its package's version (for `graphiql-init.js`, ours,
//! the start of its sha256), so a browser may keep it for a year. With introspection off there
//! is no page (a browser's GET of /graphql is refused as a request without a query) and the
//! files are a 404, as the SDL is.

use std::{fmt::Write, sync::LazyLock};

use actix_web::{
    HttpResponse,
    http::{StatusCode, header},
    web,
};
use sha2::{Digest, Sha256};

use super::{AppState, graphql::refusal};
use crate::config::Switch;

/// The query of the page's first tab: the demo article.
const DEMO_QUERY: &str = include_str!("demo.graphql");
const VERSIONS: &str = include_str!("vendor/VERSIONS");
const LICENSES: &str = include_str!("vendor/LICENSES.txt");
const LICENSES_PATH: &str = "/graphiql/LICENSES.txt";

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Scripts are this server's files only. GraphiQL's dialogs add `<style>` elements (Radix's
/// scroll lock) and its stylesheet carries its fonts and icons as `data:` URLs.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; \
    connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The page's files, in the order the page loads them: (file name, bytes, media type).
const FILES: [(&str, &[u8], &str); 5] = [
    (
        "graphiql.min.css",
        include_bytes!("vendor/graphiql.min.css"),
        CSS,
    ),
    (
        "react.production.min.js",
        include_bytes!("vendor/react.production.min.js"),
        JS,
    ),
    (
        "react-dom.production.min.js",
        include_bytes!("vendor/react-dom.production.min.js"),
        JS,
    ),
    (
        "graphiql.min.js",
        include_bytes!("vendor/graphiql.min.js"),
        JS,
    ),
    ("graphiql-init.js", include_bytes!("graphiql-init.js"), JS),
];

struct Asset {
    path: String,
    body: &'static [u8],
    content_type: &'static str,
}

/// Where each file is served: `/graphiql/PACKAGE-VERSION/FILE` for a file `VERSIONS` lists,
/// else `/graphiql/init-SHA/FILE` with the start of the file's sha256.
static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|&(file, body, content_type)| {
            let dir = match vendored(file) {
                Some((package, version, _)) => format!("{package}-{version}"),
                None => format!("init-{}", &sha256_hex(body)[..16]),
            };
            Asset {
                path: format!("/graphiql/{dir}/{file}"),
                body,
                content_type,
            }
        })
        .collect()
});

/// The line of `VERSIONS` for `file`: its package, version and sha256.
fn vendored(file: &str) -> Option<(&'static str, &'static str, &'static str)> {
    VERSIONS
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(
            |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                [package, version, name, sha256] if name == file => {
                    Some((package, version, sha256))
                }
                _ => None,
            },
        )
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// `text` for an HTML attribute value, in either quotes.
fn escape_attribute(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

static PAGE: LazyLock<String> = LazyLock::new(|| {
    let mut styles = String::new();
    let mut scripts = String::new();
    for asset in ASSETS.iter() {
        if asset.content_type == CSS {
            let _ = writeln!(styles, r#"<link rel="stylesheet" href="{}">"#, asset.path);
        } else {
            let _ = writeln!(scripts, r#"<script src="{}"></script>"#, asset.path);
        }
    }
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>content-api</title>
<link rel="icon" href="data:,">
<link rel="license" href="{LICENSES_PATH}">
{styles}</head>
<body>
<div id="graphiql" data-endpoint='/graphql' data-default-query='{query}' data-default-headers=''>Loading GraphiQL…</div>
<noscript>GraphiQL needs JavaScript; the API itself does not: POST /graphql.</noscript>
{scripts}</body>
</html>
"#,
        query = escape_attribute(DEMO_QUERY),
    )
});

/// The GraphiQL page (the caller has checked that introspection is on).
pub fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        // /graphql answers JSON to other Accept headers.
        .insert_header((header::VARY, "Accept"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(PAGE.as_str())
}

/// The assets' and the licences' routes.
pub fn routes(config: &mut web::ServiceConfig) {
    for asset in ASSETS.iter() {
        config.route(
            &asset.path,
            web::get().to(move |state: web::Data<AppState>| async move {
                serve(&state, asset.body, asset.content_type, IMMUTABLE)
            }),
        );
    }
    config.route(
        LICENSES_PATH,
        web::get().to(|state: web::Data<AppState>| async move {
            serve(
                &state,
                LICENSES.as_bytes(),
                "text/plain; charset=utf-8",
                "public, max-age=86400",
            )
        }),
    );
}

fn serve(
    state: &AppState,
    body: &'static [u8],
    content_type: &str,
    cache_control: &str,
) -> HttpResponse {
    if state.settings.introspection == Switch::Off {
        return refusal(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "GraphiQL is not published here",
        );
    }
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_files_are_those_versions_names() {
        let listed = VERSIONS
            .lines()
            .filter(|line| !line.starts_with('#'))
            .count();
        let mut vendored_files = 0;
        for (file, body, _) in FILES {
            if let Some((package, version, sha256)) = vendored(file) {
                vendored_files += 1;
                assert_eq!(
                    sha256_hex(body),
                    sha256,
                    "{file} is not {package}@{version}'s: run scripts/vendor-graphiql.sh"
                );
            }
        }
        assert_eq!(
            (vendored_files, listed),
            (4, 4),
            "every line of VERSIONS is served"
        );
    }

    #[test]
    fn attributes_are_escaped() {
        assert_eq!(
            escape_attribute(r#"a & 'b' "c" <d>"#),
            "a &amp; &#39;b&#39; &quot;c&quot; &lt;d&gt;"
        );
    }
}
