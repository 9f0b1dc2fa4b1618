//! Full-text search over articles and quotes: ranking, stemming, filters, ranked pages,
//! visibility, hostile input, snippets, and an index that follows every write.

mod common;

use common::{
    SEED_SLUG, TestApp, bundle_of, slugs, spawn_app, spawn_empty, walk_backward, walk_forward,
};
use content_api::{
    content::tokens::{self, Scope},
    db,
};
use pretty_assertions::assert_eq;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const SEARCH: &str = r#"
query($search: String, $first: Int, $after: String, $last: Int, $before: String, $tag: String, $orderBy: ArticleOrder) {
  articles(filter: { search: $search, tag: $tag }, first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
    totalCount
    nodes { slug title searchSnippet }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"#;

const QUOTES: &str = r#"
query($search: String, $first: Int) {
  quotes(filter: { search: $search }, first: $first) { totalCount nodes { text speaker { slug name } article { slug } } }
}"#;

/// Words of everyday news copy: every generated article is made of them, so common words
/// match many articles and ranking has work to do.
const VOCABULARY: &[&str] = &[
    "kernel",
    "linux",
    "rust",
    "maintainer",
    "driver",
    "memory",
    "safety",
    "security",
    "patch",
    "review",
    "release",
    "developer",
    "community",
    "language",
    "compiler",
    "project",
    "debate",
    "bindings",
    "subsystem",
    "code",
    "bug",
    "fix",
    "performance",
    "hardware",
    "network",
    "storage",
    "filesystem",
    "scheduler",
    "policy",
    "vote",
    "election",
    "market",
    "economy",
    "budget",
    "city",
    "council",
    "school",
    "weather",
    "storm",
    "river",
    "bridge",
    "train",
    "airport",
    "festival",
];

/// Article `i` of a newsroom archive: a few hundred words drawn from [`VOCABULARY`], quoting
/// the seed's speakers now and then, as other stories about the same people would.
fn archive_article(i: usize) -> Value {
    let mut state = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut word = || VOCABULARY[(next() % VOCABULARY.len() as u64) as usize];
    let sentences: Vec<String> = (0..40)
        .map(|_| {
            let words: Vec<&str> = (0..8).map(|_| word()).collect();
            format!("The {}.", words.join(" "))
        })
        .collect();
    let speakers = ["linus-torvalds", "christoph-hellwig", "greg-kroah-hartman"];
    json!({
        "slug": format!("archive-{i:03}"),
        "title": format!("The {} {} {}", word(), word(), word()),
        "summary": format!("On {} and {}.", word(), word()),
        "body": sentences.chunks(5).map(|p| p.join(" ")).collect::<Vec<_>>().join("\n\n"),
        "status": "PUBLISHED",
        "publishedAt": format!("2024-02-{:02}T{:02}:00:00Z", 1 + i % 28, i % 24),
        "publication": "digital-event-horizon",
        "tags": [word()],
        "keyPoints": [format!("The {} {}.", word(), word())],
        "quotes": [{ "text": format!("The {} {}.", word(), word()), "speaker": speakers[i % 3] }],
        "relatedLinks": [],
    })
}

/// A minimal published article with `body`.
fn story(slug: &str, title: &str, body: &str) -> Value {
    json!({
        "slug": slug,
        "title": title,
        "body": body,
        "status": "PUBLISHED",
        "publishedAt": "2024-03-01T00:00:00Z",
        "publication": "digital-event-horizon",
        "tags": [],
        "keyPoints": [],
        "quotes": [],
        "relatedLinks": [],
    })
}

async fn search(app: &TestApp, text: &str) -> Value {
    app.data(SEARCH, json!({ "search": text, "first": 100 }))
        .await["articles"]
        .clone()
}

async fn found(app: &TestApp, text: &str) -> Vec<String> {
    slugs(&search(app, text).await)
}

async fn quotes_found(app: &TestApp, text: &str) -> Vec<String> {
    app.data(QUOTES, json!({ "search": text, "first": 100 }))
        .await["quotes"]["nodes"]
        .as_array()
        .expect("quotes")
        .iter()
        .map(|q| q["text"].as_str().expect("a text").to_owned())
        .collect()
}

#[tokio::test]
async fn the_seed_article_ranks_first_among_hundreds() {
    let app = spawn_app().await;
    app.import(&bundle_of((0..300).map(archive_article).collect()))
        .await;

    for text in [
        // A speaker's surname: a third of the archive quotes him too.
        "Hellwig",
        "Kroah-Hartman",
        // A phrase from a quote.
        "\"handled much worse things\"",
        // A key point's words.
        "Rust bindings DMA API",
        // Common words, which match most of the archive.
        "rust kernel maintainers",
    ] {
        let result = search(&app, text).await;
        let slugs = slugs(&result);
        assert_eq!(
            slugs.first().map(String::as_str),
            Some(SEED_SLUG),
            "{text:?} found {slugs:?}"
        );
    }
    // Only the seed has the phrase; other stories that quote Hellwig are found by his name.
    assert_eq!(
        found(&app, "\"handled much worse things\"").await,
        [SEED_SLUG]
    );
    assert_eq!(
        search(&app, "Hellwig").await["totalCount"].as_u64(),
        Some(101),
        "the seed and the 100 archive stories quoting Christoph Hellwig"
    );
}

#[tokio::test]
async fn a_word_finds_its_other_forms() {
    let app = spawn_empty().await;
    app.import(&bundle_of(vec![
        story("one", "One", "A maintainer spoke."),
        story("two", "Two", "The busy maintainers kept maintaining it."),
        story("three", "Three", "Nothing related."),
    ]))
    .await;
    let mut maintainers = found(&app, "maintainers").await;
    maintainers.sort();
    assert_eq!(maintainers, ["one", "two"]);
    let mut maintainer = found(&app, "MAINTAINER").await;
    maintainer.sort();
    assert_eq!(maintainer, ["one", "two"]);
    assert_eq!(found(&app, "\"busy maintainers\"").await, ["two"]);
    assert_eq!(
        found(&app, "\"maintainers busy\"").await,
        Vec::<String>::new()
    );
    assert_eq!(
        found(&app, "maintainer nothing").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn search_combines_with_filters_and_orders() {
    let app = spawn_app().await;
    app.import(&bundle_of((0..60).map(archive_article).collect()))
        .await;
    let everything = search(&app, "kernel").await;
    let all = slugs(&everything);
    assert!(all.len() > 20, "{all:?}");

    // A tag narrows the results; the order stays best match first.
    let tagged = app
        .data(
            SEARCH,
            json!({ "search": "kernel", "tag": "rust", "first": 100 }),
        )
        .await["articles"]
        .clone();
    let expected: Vec<String> = {
        let with_tag = app
            .data(
                "query { articles(first: 100, filter: { tag: \"rust\" }) { nodes { slug } } }",
                json!({}),
            )
            .await["articles"]
            .clone();
        let with_tag = slugs(&with_tag);
        all.iter()
            .filter(|s| with_tag.contains(s))
            .cloned()
            .collect()
    };
    assert!(!expected.is_empty());
    assert_eq!(slugs(&tagged), expected);
    assert_eq!(tagged["totalCount"].as_u64(), Some(expected.len() as u64));

    // Another order replaces relevance.
    let by_title = app
        .data(
            SEARCH,
            json!({ "search": "kernel", "first": 100, "orderBy": { "field": "TITLE", "direction": "ASC" } }),
        )
        .await["articles"]
        .clone();
    let titles: Vec<String> = by_title["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = titles.clone();
    sorted.sort();
    assert_eq!(titles, sorted);
    assert_eq!(by_title["totalCount"], everything["totalCount"]);

    // RELEVANCE without a search has nothing to rank by.
    assert_eq!(
        app.error_codes(
            "query { articles(orderBy: { field: RELEVANCE }) { nodes { slug } } }",
            json!({})
        )
        .await,
        ["BAD_USER_INPUT"]
    );
}

#[tokio::test]
async fn ranked_results_page_without_gaps_or_duplicates() {
    let app = spawn_empty().await;
    // Forty-five stories mention "zephyr" 1 to 9 times: ranks differ, and five stories share
    // each rank, so ties must break by id.
    let stories: Vec<Value> = (0..45)
        .map(|i| {
            let body = format!(
                "{} and other words to pad the story {i}.",
                vec!["zephyr"; 1 + i % 9].join(" ")
            );
            story(&format!("zephyr-{i:02}"), &format!("Story {i}"), &body)
        })
        .collect();
    app.import(&bundle_of(stories)).await;
    let whole = found(&app, "zephyr").await;
    assert_eq!(whole.len(), 45);
    // More mentions rank higher (same length, same fields).
    assert!(whole[..5].iter().all(|s| {
        let i: usize = s["zephyr-".len()..].parse().unwrap();
        i % 9 == 8
    }));

    let zephyr = json!({ "search": "zephyr" });
    let forward = walk_forward(&app, SEARCH, "articles", &zephyr, 7).await;
    assert_eq!(forward, whole);
    let backward = walk_backward(&app, SEARCH, "articles", &zephyr, 7).await;
    assert_eq!(backward, whole);

    // A cursor of one search means nothing in another.
    let cursor = app
        .data(SEARCH, json!({ "search": "zephyr", "first": 1 }))
        .await["articles"]["pageInfo"]["endCursor"]
        .clone();
    assert_eq!(
        app.error_codes(
            SEARCH,
            json!({ "search": "story", "first": 1, "after": cursor })
        )
        .await,
        ["BAD_USER_INPUT"]
    );
}

#[tokio::test]
async fn hidden_articles_are_never_found_by_anonymous_readers() {
    let app = spawn_app().await;
    let mut draft = story("draft-story", "Draft", "A quokka draft.");
    draft["status"] = json!("DRAFT");
    let mut scheduled = story("scheduled-story", "Scheduled", "A quokka to come.");
    scheduled["publishedAt"] = json!("2999-01-01T00:00:00Z");
    let mut archived = story("archived-story", "Archived", "An old quokka.");
    archived["status"] = json!("ARCHIVED");
    for article in [&mut draft, &mut scheduled, &mut archived] {
        article["quotes"] = json!([{ "text": "Quokkas everywhere", "speaker": "linus-torvalds" }]);
    }
    app.import(&bundle_of(vec![draft, scheduled, archived]))
        .await;

    assert_eq!(search(&app, "quokka").await["totalCount"], json!(0));
    assert_eq!(quotes_found(&app, "quokkas").await, Vec::<String>::new());

    let (_, token) = tokens::create(&app.db, "preview", Scope::Preview)
        .await
        .expect("a token");
    let body: Value = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": SEARCH, "variables": { "search": "quokka" } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut seen = slugs(&body["data"]["articles"]);
    seen.sort();
    assert_eq!(seen, ["archived-story", "draft-story", "scheduled-story"]);
}

/// The best matches of a search are ranked in the index before visibility is checked: when
/// they are all hidden, the set of candidates grows until a page is full, and every page still
/// follows from the one before.
#[tokio::test]
async fn hidden_best_matches_make_the_candidates_grow() {
    let app = spawn_empty().await;
    let mut stories: Vec<Value> = (0..200)
        .map(|i| {
            let mut draft = story(
                &format!("draft-{i:03}"),
                &format!("Draft {i}"),
                &["wombat"; 9].join(" "),
            );
            draft["status"] = json!("DRAFT");
            draft
        })
        .collect();
    stories.extend((0..30).map(|i| {
        let mut published = story(
            &format!("published-{i:02}"),
            &format!("Published {i}"),
            &format!("A wombat, and {} more words.", "many ".repeat(i)),
        );
        if i % 3 == 0 {
            published["tags"] = json!(["marsupials"]);
        }
        published
    }));
    app.import(&bundle_of(stories)).await;

    let whole = search(&app, "wombat").await;
    assert_eq!(whole["totalCount"], json!(30));
    let whole = slugs(&whole);
    assert_eq!(whole.len(), 30);
    assert!(whole.iter().all(|s| s.starts_with("published-")));
    let wombat = json!({ "search": "wombat" });
    assert_eq!(
        walk_forward(&app, SEARCH, "articles", &wombat, 4).await,
        whole
    );
    assert_eq!(
        walk_backward(&app, SEARCH, "articles", &wombat, 4).await,
        whole
    );

    let tagged = app
        .data(
            SEARCH,
            json!({ "search": "wombat", "tag": "marsupials", "first": 100 }),
        )
        .await;
    assert_eq!(tagged["articles"]["totalCount"], json!(10));
    let expected: Vec<String> = whole
        .iter()
        .filter(|s| s["published-".len()..].parse::<usize>().unwrap() % 3 == 0)
        .cloned()
        .collect();
    assert_eq!(slugs(&tagged["articles"]), expected);

    // Worst first walks the index the other way.
    let worst = app
        .data(
            SEARCH,
            json!({ "search": "wombat", "first": 100, "orderBy": { "field": "RELEVANCE", "direction": "ASC" } }),
        )
        .await;
    let mut reversed = whole.clone();
    reversed.reverse();
    assert_eq!(slugs(&worst["articles"]), reversed);
}

/// The server keeps the ranking of a search until the next write: a write (here an import,
/// as another replica or the CLI would make it) is searched at once, and a page after a
/// cursor comes from the same ranking as the first.
#[tokio::test]
async fn a_kept_ranking_never_outlives_a_write() {
    let app = spawn_empty().await;
    app.import(&bundle_of(vec![story("one", "One", "An okapi.")]))
        .await;
    assert_eq!(found(&app, "okapi").await, ["one"]);
    let okapi = json!({ "search": "okapi" });
    assert_eq!(
        walk_forward(&app, SEARCH, "articles", &okapi, 1).await,
        ["one"]
    );
    app.import(&bundle_of(vec![story(
        "two",
        "Okapi okapi",
        "Okapis, okapis.",
    )]))
    .await;
    assert_eq!(found(&app, "okapi").await, ["two", "one"]);
    assert_eq!(
        walk_forward(&app, SEARCH, "articles", &okapi, 1).await,
        ["two", "one"]
    );
}

#[tokio::test]
async fn any_text_is_a_safe_search() {
    let app = spawn_app().await;
    let long = "kernel ".repeat(71);
    let refused = [
        "",
        "   ",
        "the",
        "\"\"",
        "*",
        "()",
        "-",
        &"x".repeat(501),
        &(0..40)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" "),
    ];
    let answered = [
        "rust AND kernel",
        "rust OR kernel",
        "NOT rust",
        "rust NEAR kernel",
        "NEAR(rust kernel, 2)",
        "title:rust",
        "rust*",
        "^rust",
        "\"unbalanced quote",
        "((rust)",
        "rust:*",
        "rust & !kernel | (linux <-> torvalds)",
        "'; DROP TABLE articles; --",
        "\\\" OR 1=1 --",
        "\u{E000}rust\u{E001}",
        "🦀 rust",
        "Übermaß",
        "-rust",
        "+rust",
        long.trim(),
    ];
    for text in refused {
        for query in [SEARCH, QUOTES] {
            let body = app.graphql(query, json!({ "search": text })).await;
            let codes: Vec<&str> = body["errors"]
                .as_array()
                .unwrap_or_else(|| panic!("{text:?} should be refused: {body:#}"))
                .iter()
                .map(|e| e["extensions"]["code"].as_str().unwrap())
                .collect();
            assert_eq!(codes, ["BAD_USER_INPUT"], "{text:?}");
            assert_eq!(body["errors"][0]["extensions"]["field"], "filter.search");
        }
    }
    for text in answered {
        for query in [SEARCH, QUOTES] {
            let body = app.graphql(query, json!({ "search": text })).await;
            assert!(body.get("errors").is_none(), "{text:?}: {body:#}");
        }
    }
    // NUL is refused in any text, before the search sees it (Postgres text cannot hold it).
    let codes = app
        .error_codes(SEARCH, json!({ "search": "\u{0}rust\u{0}" }))
        .await;
    assert_eq!(codes, ["BAD_USER_INPUT"]);
    assert_eq!(
        found(&app, "'; DROP TABLE articles; --").await,
        Vec::<String>::new()
    );
    assert_eq!(found(&app, "rust AND kernel").await, [SEED_SLUG]);
    assert_eq!(found(&app, "\u{E000}rust\u{E001}").await, [SEED_SLUG]);
}

#[tokio::test]
async fn snippets_show_the_match_as_safe_html() {
    let app = spawn_empty().await;
    app.import(&bundle_of(vec![story(
        "snippet",
        "Crossings",
        "Drivers say a < b && c > d.\n\nThe zebra crossing on \"Main\" Street's corner is new.",
    )]))
    .await;
    let snippet = search(&app, "zebra").await["nodes"][0]["searchSnippet"]
        .as_str()
        .expect("a snippet")
        .to_owned();
    assert!(snippet.contains("<mark>zebra</mark> crossing"), "{snippet}");
    assert!(
        snippet.contains("a &lt; b &amp;&amp; c &gt; d.")
            && snippet.contains("&quot;Main&quot; Street&#39;s"),
        "{snippet}"
    );
    let without_marks = snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(!without_marks.contains('<') && !without_marks.contains('>'));

    // A quote reads as "text — speaker, context".
    let mut quoted = story("quoted", "Quoted", "Nothing to see.");
    quoted["quotes"] = json!([{ "text": "Okapis are shy.", "speaker": "linus-torvalds", "context": "at the zoo" }]);
    app.import(&bundle_of(vec![quoted])).await;
    let snippet = search(&app, "okapis").await["nodes"][0]["searchSnippet"]
        .as_str()
        .expect("a snippet")
        .to_owned();
    assert!(
        snippet.contains("<mark>Okapis</mark> are shy. — Linus Torvalds, at the zoo"),
        "{snippet}"
    );

    // Outside a search there is no snippet.
    let listed = app
        .data("query { articles { nodes { searchSnippet } } }", json!({}))
        .await;
    assert_eq!(listed["articles"]["nodes"][0]["searchSnippet"], Value::Null);
}

/// A GraphQL request with a bearer token that must succeed.
async fn write(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let body: Value = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"].clone()
}

#[tokio::test]
async fn the_index_follows_every_write() {
    let app = spawn_app().await;
    let (_, token) = tokens::create(&app.db, "writer", Scope::Write)
        .await
        .expect("a token");
    let created = write(
        &app,
        &token,
        "mutation($input: ArticleInput!) { createArticle(input: $input) { id } }",
        json!({ "input": {
            "slug": "axolotl-story", "title": "Axolotl news", "body": "The axolotl returns.",
            "publication": "digital-event-horizon", "tags": ["amphibians"],
            "quotes": [{ "text": "Axolotls regrow limbs", "speaker": "linus-torvalds" }],
        } }),
    )
    .await;
    let id = created["createArticle"]["id"].clone();
    // A draft: written to the index, but not found by anonymous readers.
    assert_eq!(found(&app, "axolotl").await, Vec::<String>::new());

    write(
        &app,
        &token,
        "mutation($id: ID!) { publishArticle(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(found(&app, "axolotl").await, ["axolotl-story"]);
    assert_eq!(found(&app, "amphibians").await, ["axolotl-story"]);
    assert_eq!(
        quotes_found(&app, "regrow").await,
        ["Axolotls regrow limbs"]
    );
    assert_eq!(
        quotes_found(&app, "torvalds regrow").await,
        ["Axolotls regrow limbs"]
    );

    write(
        &app,
        &token,
        "mutation($id: ID!, $input: ArticlePatch!) { updateArticle(id: $id, input: $input) { id } }",
        json!({ "id": id, "input": {
            "body": "The salamander returns.",
            "keyPoints": ["Newts are amphibians too."],
            "quotes": [{ "text": "Salamanders are underrated", "speaker": "christoph-hellwig" }],
        } }),
    )
    .await;
    assert_eq!(found(&app, "returns").await, ["axolotl-story"]);
    assert_eq!(found(&app, "salamander").await, ["axolotl-story"]);
    assert_eq!(found(&app, "newts").await, ["axolotl-story"]);
    assert_eq!(
        found(&app, "\"axolotl returns\"").await,
        Vec::<String>::new()
    );
    assert_eq!(quotes_found(&app, "regrow").await, Vec::<String>::new());
    assert_eq!(
        quotes_found(&app, "underrated hellwig").await,
        ["Salamanders are underrated"]
    );

    // A speaker's new name is found in every article and quote of theirs.
    write(
        &app,
        &token,
        "mutation($input: SpeakerInput!) { upsertSpeaker(input: $input) { slug } }",
        json!({ "input": { "slug": "christoph-hellwig", "name": "Christoph Quillfeather" } }),
    )
    .await;
    let mut renamed = found(&app, "quillfeather").await;
    renamed.sort();
    assert_eq!(renamed, ["axolotl-story", SEED_SLUG]);
    assert_eq!(
        quotes_found(&app, "quillfeather underrated").await,
        ["Salamanders are underrated"]
    );
    assert_eq!(
        found(&app, "hellwig salamander").await,
        Vec::<String>::new()
    );

    write(
        &app,
        &token,
        "mutation($id: ID!) { archiveArticle(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(found(&app, "salamander").await, Vec::<String>::new());

    write(
        &app,
        &token,
        "mutation($id: ID!) { deleteArticle(id: $id) }",
        json!({ "id": id }),
    )
    .await;
    let docs = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT (SELECT count(*) FROM article_search_docs) + (SELECT count(*) FROM quote_search_docs) AS n",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(
        docs,
        1 + 4,
        "the seed article's document and its four quotes' remain"
    );

    // An import is indexed like a mutation.
    app.import(&bundle_of(vec![story(
        "imported",
        "Imported",
        "A capybara.",
    )]))
    .await;
    assert_eq!(found(&app, "capybara").await, ["imported"]);
}

#[tokio::test]
async fn articles_from_before_search_are_indexed_when_migrating() {
    let app = spawn_app().await;
    app.db
        .execute_unprepared("DELETE FROM article_search_docs")
        .await
        .unwrap();
    assert_eq!(found(&app, "Hellwig").await, Vec::<String>::new());
    db::migrate(&app.db).await.expect("migrate");
    assert_eq!(found(&app, "Hellwig").await, [SEED_SLUG]);
}

/// Stories whose words are hard to tokenize alike: hyphens, numbers, accents, apostrophes,
/// other scripts, stopwords in phrases.
fn tokenization_archive() -> Vec<Value> {
    let mut stories = vec![
        story(
            "covid",
            "COVID-19 wards reopen",
            "Cases fell below 1,000 in March.",
        ),
        story("gpt", "GPT-4 and H.264", "Models and codecs; pi is 3.14."),
        story(
            "cafe",
            "Café culture in Zürich",
            "Dvořák played in Łódź and on the Straße.",
        ),
        story(
            "obrien",
            "O’Brien’s view",
            "Torvalds's reply: don’t merge it.",
        ),
        story("moscow", "Москва и Αθήνα", "東京で会議。"),
        story("art", "The state of the art", "Nothing else."),
        story("art-not", "State of an art", "Nothing else, again."),
        story("kyoto", "京都", "Temples."),
        story(
            "kroah",
            "Stable kernels",
            "Greg Kroah-Hartman tags releases.",
        ),
    ];
    for (i, (slug, title)) in [("tag-1", "Alpha"), ("tag-10", "Beta"), ("tag-11", "Gamma")]
        .iter()
        .enumerate()
    {
        let mut tagged = story(&format!("tagged-{i}"), title, "Tags only.");
        tagged["tags"] = json!([slug]);
        stories.push(tagged);
    }
    stories[0]["quotes"] =
        json!([{ "text": "COVID-19 is not over.", "speaker": "linus-torvalds" }]);
    stories[2]["quotes"] = json!([{ "text": "Zürich’s café was full.", "speaker": "christoph-hellwig", "context": "in Łódź" }]);
    stories
}

/// One table of searches and what they find, the same on every backend: the suite runs it on
/// SQLite and, with `TEST_DATABASE_URL`, on Postgres. Each row: the search, whether it is
/// typed (`prefix: true`), and the stories found, best first where the order is certain, else
/// sorted.
const CASES: &[(&str, bool, &[&str])] = &[
    // Hyphens and numbers: words written together are a phrase.
    ("COVID-19", false, &["covid"]),
    ("covid 19", false, &["covid"]),
    ("covid", false, &["covid"]),
    ("19", false, &["covid"]),
    ("GPT-4", false, &["gpt"]),
    ("gpt 4", false, &["gpt"]),
    ("H.264", false, &["gpt"]),
    ("h264", false, &[]),
    ("3.14", false, &["gpt"]),
    ("1,000", false, &["covid"]),
    ("tag-1", false, &["tagged-0"]),
    ("tag-10", false, &["tagged-1"]),
    // Case and diacritics.
    ("cafe", false, &["cafe"]),
    ("CAFÉ", false, &["cafe"]),
    ("zurich", false, &["cafe"]),
    ("ZÜRICH", false, &["cafe"]),
    ("dvorak", false, &["cafe"]),
    ("lodz", false, &["cafe"]),
    ("strasse", false, &["cafe"]),
    ("KeRnElS", false, &["kroah"]),
    // Apostrophes, straight or curly.
    ("O'Brien", false, &["obrien"]),
    ("obrien", false, &["obrien"]),
    // The covid story quotes Linus Torvalds.
    ("Torvalds", false, &["covid", "obrien"]),
    ("don't", false, &["obrien"]),
    ("merging", false, &["obrien"]),
    // Other scripts.
    ("москва", false, &["moscow"]),
    ("МОСКВА", false, &["moscow"]),
    ("αθηνα", false, &["moscow"]),
    ("東京", false, &["moscow"]),
    ("京都", false, &["kyoto"]),
    // Stopwords: left out of words, kept inside phrases.
    ("state of the art", false, &["art", "art-not"]),
    ("\"state of the art\"", false, &["art"]),
    ("\"state of an art\"", false, &["art-not"]),
    // Search as you type: the last word is also the start of a word.
    ("kroah-har", true, &["kroah"]),
    ("kroah-har", false, &[]),
    ("har", true, &["kroah"]),
    ("stable ker", true, &["kroah"]),
    ("zür", true, &["cafe"]),
    ("cov", true, &["covid"]),
    ("reopen cov", true, &["covid"]),
    ("tag-1", true, &["tagged-0"]),
    ("tag-10", true, &["tagged-1"]),
];

/// Quotes: the same tokenization over a quote's text, context and speaker.
const QUOTE_CASES: &[(&str, bool, &[&str])] = &[
    ("covid-19", false, &["COVID-19 is not over."]),
    ("zurich cafe", false, &["Zürich’s café was full."]),
    ("lodz", false, &["Zürich’s café was full."]),
    ("hellwig", false, &["Zürich’s café was full."]),
    ("hellw", true, &["Zürich’s café was full."]),
    ("hellw", false, &[]),
];

#[tokio::test]
async fn one_tokenization_on_every_backend() {
    let app = spawn_empty().await;
    app.import(&bundle_of(tokenization_archive())).await;
    let typed = r#"
    query($search: String, $prefix: Boolean!) {
      articles(first: 100, filter: { search: $search, prefix: $prefix }) { nodes { slug } }
      quotes(first: 100, filter: { search: $search, prefix: $prefix }) { nodes { text } }
    }"#;
    let mut wrong = Vec::new();
    for (cases, list, field) in [(CASES, "articles", "slug"), (QUOTE_CASES, "quotes", "text")] {
        for (text, prefix, expected) in cases {
            let data = app
                .data(typed, json!({ "search": text, "prefix": prefix }))
                .await;
            let mut got: Vec<String> = data[list]["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .map(|n| n[field].as_str().expect("a string").to_owned())
                .collect();
            got.sort();
            let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
            want.sort();
            if got != want {
                wrong.push(format!(
                    "{list}({text:?}, prefix: {prefix}): {got:?}, want {want:?}"
                ));
            }
        }
    }
    let backend = if app.test_db.is_postgres() {
        "Postgres"
    } else {
        "SQLite"
    };
    assert!(wrong.is_empty(), "on {backend}:\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn quote_snippets_mark_what_matched() {
    let app = spawn_empty().await;
    app.import(&bundle_of(tokenization_archive())).await;
    let data = app
        .data(
            r#"{ quotes(filter: { search: "zurich caf", prefix: true }) { nodes { searchSnippet } }
                 plain: quotes { nodes { searchSnippet } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        data["quotes"]["nodes"][0]["searchSnippet"],
        "<mark>Zürich’s</mark> <mark>café</mark> was full. — Christoph Hellwig, in Łódź"
    );
    assert!(
        data["plain"]["nodes"]
            .as_array()
            .expect("quotes")
            .iter()
            .all(|q| q["searchSnippet"].is_null())
    );
}
