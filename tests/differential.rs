//! The projection against the schema's resolvers, the reference: generated selections over the
//! article types (aliases, fragments, inline fragments, `@skip`/`@include` with variables,
//! `__typename`, `body(format:)`, quotes' articles, several root fields, errors) give the
//! same bytes both ways.
//!
//! The test harness runs every server with `verify_projection`: each answer the projection
//! gives is compared there with the schema's, and a difference is a 500, so every query of
//! the whole suite is a differential test too. Here each generated query is sent twice: the
//! first time async-graphql validates it (through the schema), after which the projection
//! answers and is checked. The test also counts how many the projection answered, so it
//! cannot pass by always falling back.

mod common;

use common::{SEED_SLUG, TestApp, bundle_of, spawn_with, synthetic_article};
use content_api::{
    config::{QueryLimits, ServeSettings, Switch},
    content::tokens::{self, Scope},
};
use proptest::{
    prelude::*,
    test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestRunner},
};
use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};

/// A small random source driven by proptest's seed: queries are built by walking the schema.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Builds one document: its operation, its fragments and the variables it declares.
struct Builder {
    dice: Dice,
    fragments: Vec<String>,
    aliases: usize,
    uses_format: bool,
    uses_flag: bool,
    uses_slug: bool,
    uses_first: bool,
}

const ARTICLE_SCALARS: &[&str] = &[
    "id",
    "slug",
    "title",
    "summary",
    "status",
    "publishedAt",
    "createdAt",
    "updatedAt",
    "section",
    "canonicalUrl",
    "wordCount",
    "readingTimeMinutes",
    "searchSnippet",
    "__typename",
];

impl Builder {
    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("a{}: ", self.aliases)
    }

    /// An optional directive on a selection.
    fn directive(&mut self) -> String {
        match self.dice.below(10) {
            0 => {
                self.uses_flag = true;
                " @include(if: $flag)".into()
            }
            1 => {
                self.uses_flag = true;
                " @skip(if: $flag)".into()
            }
            2 => " @include(if: false)".into(),
            3 => " @skip(if: false)".into(),
            _ => String::new(),
        }
    }

    /// A field with its selection, aliased now and then (aliases are unique, so fields never
    /// conflict).
    fn field(&mut self, name: &str, inner: Option<String>) -> String {
        let alias = if self.dice.chance(20) {
            self.alias()
        } else {
            String::new()
        };
        let directive = self.directive();
        match inner {
            Some(inner) => format!("{alias}{name}{directive} {{ {inner} }}"),
            None => format!("{alias}{name}{directive}"),
        }
    }

    fn fields(&mut self, names: &[&str], min: usize) -> Vec<String> {
        let n = min + self.dice.below(names.len().saturating_sub(min) + 1);
        (0..n.max(1))
            .map(|_| {
                let name = *self.dice.pick(names);
                self.field(name, None)
            })
            .collect()
    }

    fn article(&mut self, depth: usize) -> String {
        let mut parts = self.fields(ARTICLE_SCALARS, 1);
        // The body, in a format given literally, by a variable, or left to its default;
        // always aliased apart, since one key cannot take two formats.
        if self.dice.chance(50) {
            let format = match self.dice.below(5) {
                0 => String::new(),
                1 => "(format: HTML)".into(),
                2 => "(format: PLAIN_TEXT)".into(),
                3 => "(format: MARKDOWN)".into(),
                _ => {
                    self.uses_format = true;
                    "(format: $format)".into()
                }
            };
            let alias = self.alias();
            parts.push(format!("{alias}body{format}"));
        }
        let relations: [(&str, &[&str]); 7] = [
            ("author", &["id", "slug", "name", "kind", "__typename"]),
            ("tags", &["slug", "articleCount", "__typename"]),
            ("keyPoints", &["id", "position", "text", "__typename"]),
            ("relatedLinks", &["id", "position", "url", "title", "rel"]),
            ("copyright", &["holder", "notice", "year", "license"]),
            (
                "publication",
                &["id", "slug", "name", "url", "sponsorMessage"],
            ),
            (
                "quotes",
                &["id", "position", "text", "context", "__typename"],
            ),
        ];
        for (name, fields) in relations {
            if !self.dice.chance(45) {
                continue;
            }
            let mut inner = self.fields(fields, 1);
            match name {
                "publication" if self.dice.chance(60) => {
                    inner.push("links { label url __typename }".into());
                }
                "quotes" => {
                    if self.dice.chance(70) {
                        let speaker = self.fields(
                            &["id", "slug", "name", "role", "organization", "__typename"],
                            1,
                        );
                        inner.push(self.field("speaker", Some(speaker.join(" "))));
                    }
                    if depth > 0 && self.dice.chance(40) {
                        let article = self.article(depth - 1);
                        inner.push(self.field("article", Some(article)));
                    }
                }
                _ => {}
            }
            parts.push(self.field(name, Some(inner.join(" "))));
        }
        // Fragments: named, inline on the type or on an interface it implements, bare.
        match self.dice.below(6) {
            0 => {
                let name = format!("F{}", self.fragments.len());
                let body = self.fields(ARTICLE_SCALARS, 1).join(" ");
                self.fragments
                    .push(format!("fragment {name} on Article {{ {body} }}"));
                let directive = self.directive();
                parts.push(format!("...{name}{directive}"));
                if self.dice.chance(30) {
                    parts.push(format!("...{name}"));
                }
            }
            1 => {
                let body = self.fields(ARTICLE_SCALARS, 1).join(" ");
                let directive = self.directive();
                parts.push(format!("... on Article{directive} {{ {body} }}"));
            }
            2 => parts.push("... on Node { id __typename }".into()),
            3 => {
                let body = self.fields(ARTICLE_SCALARS, 1).join(" ");
                parts.push(format!("... {{ {body} }}"));
            }
            _ => {}
        }
        // The same field selected again merges with the first.
        if self.dice.chance(20) {
            parts.push(parts[0].clone());
        }
        let n = parts.len();
        for i in (1..n).rev() {
            let j = self.dice.below(i + 1);
            parts.swap(i, j);
        }
        parts.join(" ")
    }

    fn connection(&mut self) -> String {
        let mut parts = Vec::new();
        if self.dice.chance(40) {
            parts.push(self.field("totalCount", None));
        }
        if self.dice.chance(50) {
            let page = self.fields(
                &["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"],
                1,
            );
            parts.push(self.field("pageInfo", Some(page.join(" "))));
        }
        if self.dice.chance(70) {
            let article = self.article(1);
            parts.push(self.field("nodes", Some(article)));
        }
        if parts.is_empty() || self.dice.chance(30) {
            let node = self.article(1);
            let cursor = if self.dice.chance(50) { "cursor " } else { "" };
            parts.push(format!("edges {{ {cursor}node {{ {node} }} }}"));
        }
        if self.dice.chance(15) {
            parts.push("__typename".into());
        }
        parts.join(" ")
    }

    fn root(&mut self) -> String {
        let mut roots = Vec::new();
        let count = 1 + usize::from(self.dice.chance(25));
        for _ in 0..count {
            let alias = if count > 1 {
                self.alias()
            } else {
                String::new()
            };
            if self.dice.chance(45) {
                self.uses_slug = true;
                let article = self.article(2);
                roots.push(format!("{alias}article(slug: $slug) {{ {article} }}"));
                // Selected again with other fields: the two merge.
                if self.dice.chance(20) {
                    let again = self.article(1);
                    roots.push(format!("{alias}article(slug: $slug) {{ {again} }}"));
                }
            } else {
                self.uses_first = true;
                let mut args = vec!["first: $first".to_owned()];
                match self.dice.below(6) {
                    0 => args.push("filter: { tag: \"rust\" }".into()),
                    1 => args.push("filter: { search: \"kernel\" }".into()),
                    2 => args.push("orderBy: { field: TITLE, direction: ASC }".into()),
                    3 => args.push("filter: { speaker: \"linus-torvalds\" }".into()),
                    _ => {}
                }
                let connection = self.connection();
                roots.push(format!(
                    "{alias}articles({}) {{ {connection} }}",
                    args.join(", ")
                ));
            }
        }
        if self.dice.chance(10) {
            roots.push("__typename".into());
        }
        roots.join(" ")
    }

    /// The document, and its variables.
    fn document(seed: u64) -> (String, Value) {
        let mut b = Builder {
            dice: Dice(seed | 1),
            fragments: Vec::new(),
            aliases: 0,
            uses_format: false,
            uses_flag: false,
            uses_slug: false,
            uses_first: false,
        };
        let root = b.root();
        let mut definitions = Vec::new();
        let mut variables = json!({});
        if b.uses_slug {
            definitions.push("$slug: String".to_owned());
            variables["slug"] =
                json!(
                    *b.dice
                        .pick(&[SEED_SLUG, "story-003", "story-007", "no-such-article"])
                );
        }
        if b.uses_first {
            definitions.push("$first: Int".to_owned());
            variables["first"] = json!(*b.dice.pick(&[0, 1, 3, 20]));
        }
        if b.uses_format {
            definitions.push("$format: BodyFormat".into());
            variables["format"] = json!(*b.dice.pick(&["HTML", "PLAIN_TEXT", "MARKDOWN"]));
        }
        if b.uses_flag {
            definitions.push("$flag: Boolean!".into());
            variables["flag"] = json!(b.dice.chance(50));
        }
        let definitions = if definitions.is_empty() {
            String::new()
        } else {
            format!("({})", definitions.join(", "))
        };
        let query = format!(
            "query Generated{definitions} {{ {root} }}\n{}",
            b.fragments.join("\n")
        );
        (query, variables)
    }
}

/// The seed article and twelve synthetic ones: drafts, one scheduled far ahead.
fn mixed_bundle() -> Value {
    let articles = (0..12)
        .map(|i| {
            let mut article = synthetic_article(i, &format!("2024-03-{:02}T00:00:00Z", 1 + i));
            if i % 4 == 3 {
                article["status"] = json!("DRAFT");
            } else if i == 10 {
                article["publishedAt"] = json!("2999-01-01T00:00:00Z");
            }
            article
        })
        .collect();
    bundle_of(articles)
}

async fn post(app: &TestApp, token: Option<&str>, query: &str, variables: &Value) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// Sends `query` twice (the schema validates it, then the projection answers, checked against
/// the schema by the server); both answers must be the same and not an internal error.
async fn both_ways(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    variables: &Value,
) -> Result<Value, String> {
    let (status, first) = post(app, token, query, variables).await;
    let (again, second) = post(app, token, query, variables).await;
    if status != 200 || again != 200 {
        return Err(format!(
            "status {status} then {again} for\n{query}\n{variables}\n{second:#}"
        ));
    }
    if first != second {
        return Err(format!(
            "the schema's answer, then the projection's, differ for\n{query}\n{variables}\n{first:#}\n{second:#}"
        ));
    }
    Ok(second)
}

async fn projected(app: &TestApp) -> f64 {
    app.metric("content_api_graphql_projected_total").await
}

/// The server, uncached, over the mixed content, and a preview token.
async fn setup() -> (TestApp, String) {
    let app = spawn_with(common::Options {
        settings: ServeSettings {
            response_cache: Switch::Off,
            // Generated queries alias and direct freely.
            limits: QueryLimits {
                max_aliases: 1_000,
                max_directives: 1_000,
                ..QueryLimits::default()
            },
            ..ServeSettings::default()
        },
        ..common::Options::default()
    })
    .await;
    app.import(&mixed_bundle()).await;
    let (_, preview) = tokens::create(&app.db, "preview", Scope::Preview)
        .await
        .expect("a preview token");
    (app, preview)
}

#[test]
fn generated_selections_give_the_same_answer_both_ways() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (app, preview) = runtime.block_on(setup());
    let config = Config {
        cases: 160,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x5EED_D1FF),
        max_shrink_iters: 0,
        ..Config::default()
    };
    let before = runtime.block_on(projected(&app));
    let answered = std::cell::Cell::new(0u32);
    let result =
        TestRunner::new(config).run(&(any::<u64>(), any::<bool>()), |(seed, preview_token)| {
            let (query, variables) = Builder::document(seed);
            let token = preview_token.then_some(preview.as_str());
            let answer = runtime
                .block_on(both_ways(&app, token, &query, &variables))
                .map_err(TestCaseError::fail)?;
            prop_assert!(answer.get("data").is_some(), "{query}\n{answer:#}");
            answered.set(answered.get() + 1);
            Ok(())
        });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    let answered = answered.get();
    let projected = runtime.block_on(projected(&app)) - before;
    println!("{answered} generated queries; the projection answered {projected}");
    assert!(
        projected >= f64::from(answered) * 0.9,
        "the projection answered {projected} of {answered}: the test would not compare much"
    );
    runtime.block_on(async move { drop(app) });
}

/// Hand-picked cases: errors, several roots, variables absent or defaulted, fragments spread
/// twice and across types.
#[tokio::test]
async fn edge_cases_give_the_same_answer_both_ways() {
    let (app, preview) = setup().await;
    let cases: &[(&str, Value)] = &[
        // An argument the resolver refuses: an error at the field, the answer null.
        ("{ articles(first: 500) { nodes { slug } } }", json!({})),
        (
            "{ articles(after: \"nope\") { nodes { slug } } }",
            json!({}),
        ),
        ("{ article(slug: \"x\", id: \"y\") { slug } }", json!({})),
        ("{ article { slug } }", json!({})),
        ("{ article(id: \"not-an-id\") { slug } }", json!({})),
        (
            "{ articles(orderBy: { field: RELEVANCE }) { nodes { slug } } }",
            json!({}),
        ),
        (
            "{ articles(filter: { search: \"the\" }) { nodes { slug } } }",
            json!({}),
        ),
        // Variables: absent, null, defaulted, given.
        (
            "query($first: Int) { articles(first: $first) { nodes { slug } } }",
            json!({}),
        ),
        (
            "query($first: Int = 2) { articles(first: $first) { nodes { slug } } }",
            json!({}),
        ),
        (
            "query($first: Int = 2) { articles(first: $first) { nodes { slug } } }",
            json!({ "first": null }),
        ),
        (
            "query($f: ArticleFilter) { articles(filter: $f) { totalCount nodes { slug tags { slug articleCount } } } }",
            json!({ "f": { "tag": "even", "status": "PUBLISHED" } }),
        ),
        (
            "query($f: ArticleFilter) { articles(filter: $f) { nodes { slug } } }",
            json!({ "f": { "tag": "even", "unknown": 1 } }),
        ),
        (
            "query($o: ArticleOrder) { articles(orderBy: $o, first: 5) { nodes { title } } }",
            json!({ "o": { "field": "TITLE", "direction": "ASC" } }),
        ),
        (
            "query($s: String!) { article(slug: $s) { slug body(format: HTML) } }",
            json!({ "s": SEED_SLUG }),
        ),
        // Searches with snippets, on their own and through quotes' articles.
        (
            "{ articles(filter: { search: \"synthetic kernel\" }) { nodes { slug searchSnippet quotes { article { searchSnippet } } } } }",
            json!({}),
        ),
        // Several root fields, one of them failing.
        (
            "{ a: article(slug: \"story-001\") { title } b: articles(first: 2) { nodes { slug } } __typename }",
            json!({}),
        ),
        (
            "{ a: article(slug: \"story-001\") { title } b: articles(first: 500) { nodes { slug } } }",
            json!({}),
        ),
        // Fragments: spread twice, on the interface, nested, with the same field merged.
        (
            "query { article(slug: \"story-002\") { ...A ...A ... on Node { id } ...B } }
             fragment A on Article { slug title }
             fragment B on Node { ... on Article { quotes { speaker { name } } } }",
            json!({}),
        ),
        (
            "{ x: article(slug: \"story-002\") { title } x: article(slug: \"story-002\") { slug title } }",
            json!({}),
        ),
        (
            "{ articles(first: 3) { edges { node { keyPoints { id } } } edges { cursor node { keyPoints { text } } } } }",
            json!({}),
        ),
        // Directives on variables, present and missing.
        (
            "query($b: Boolean!) { articles(first: 2) { nodes { slug title @include(if: $b) summary @skip(if: $b) } } }",
            json!({ "b": true }),
        ),
        (
            "query($b: Boolean!) { articles(first: 2) { nodes { slug title @include(if: $b) } } }",
            json!({}),
        ),
        // Paging backwards, from a cursor.
        (
            "{ articles(last: 2) { pageInfo { hasPreviousPage hasNextPage startCursor endCursor } nodes { slug } } }",
            json!({}),
        ),
    ];
    let before = projected(&app).await;
    for (token, label) in [(None, "anonymous"), (Some(preview.as_str()), "preview")] {
        for (query, variables) in cases {
            if let Err(failure) = both_ways(&app, token, query, variables).await {
                panic!("{label}: {failure}");
            }
        }
    }
    // Refusals run through the schema every time; the rest were projected.
    assert!(
        projected(&app).await - before >= 30.0,
        "the projection answered {} of {} cases",
        projected(&app).await - before,
        2 * cases.len()
    );
}
