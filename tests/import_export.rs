//! Export: the whole database as a bundle in the import format. Lossless (every article whatever
//! its status, every publication, author and speaker), deterministic (sorted by slug, so two
//! exports of the same content are byte-identical), and a round trip: importing an export
//! reproduces the content, on either backend, and into its own database changes nothing.

mod common;

use std::{
    path::Path,
    process::{Command, Output},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use common::{TestDb, seed, spawn_app, spawn_empty, synthetic_bundle};
use content_api::content::ids::Ids;
use content_api::{
    content::{
        self,
        bundle::{Bundle, Counts, ImportReport},
    },
    db,
};
use pretty_assertions::assert_eq;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

async fn export(db: &DatabaseConnection) -> Bundle {
    let bundle = content::bundle::export(db).await.expect("export");
    bundle.validate().expect("an export is a valid bundle");
    bundle
}

fn to_value(bundle: &Bundle) -> Value {
    serde_json::to_value(bundle).expect("a bundle serializes")
}

/// What the CLI writes: pretty JSON with a trailing newline.
fn to_file_text(bundle: &Bundle) -> String {
    serde_json::to_string_pretty(bundle).expect("a bundle serializes") + "\n"
}

fn parse(bundle: &Value) -> Bundle {
    content::bundle::parse(&bundle.to_string()).expect("a valid bundle")
}

async fn import(db: &DatabaseConnection, bundle: &Bundle) -> ImportReport {
    content::bundle::import(db, bundle, Ids::TimeOrdered)
        .await
        .expect("import")
}

/// A migrated database of its own, and the connection to it.
async fn connect(test_db: &TestDb) -> DatabaseConnection {
    db::connect_and_migrate(&test_db.url)
        .await
        .expect("connect and migrate")
}

/// `bundle` as an export of it must read: entries sorted by slug, publish times at the
/// microsecond precision both backends store, left-out optional fields as `null`.
fn as_exported(bundle: &Value) -> Value {
    let mut bundle = parse(bundle);
    bundle.publications.sort_by(|a, b| a.slug.cmp(&b.slug));
    bundle.authors.sort_by(|a, b| a.slug.cmp(&b.slug));
    bundle.speakers.sort_by(|a, b| a.slug.cmp(&b.slug));
    bundle.articles.sort_by(|a, b| a.slug.cmp(&b.slug));
    for a in &mut bundle.articles {
        a.published_at = a.published_at.map(content::truncate_to_micros);
    }
    to_value(&bundle)
}

/// An import that found everything already there.
fn all_unchanged(bundle: &Bundle) -> ImportReport {
    let unchanged = |n| Counts {
        created: 0,
        updated: 0,
        unchanged: n,
    };
    ImportReport {
        publications: unchanged(bundle.publications.len()),
        authors: unchanged(bundle.authors.len()),
        speakers: unchanged(bundle.speakers.len()),
        articles: unchanged(bundle.articles.len()),
        tags_created: 0,
    }
}

/// 30 articles covering what an export must carry: every status, scheduled publishing, null
/// and left-out optional fields, empty lists, no author or copyright, unicode, an empty body,
/// a publish time finer than a microsecond in another zone; plus a publication, authors and a
/// speaker that nothing refers to. Given out of slug order.
fn varied_bundle() -> Value {
    let mut bundle = synthetic_bundle(30);
    let articles = bundle["articles"].as_array_mut().unwrap();
    for (i, a) in articles.iter_mut().enumerate() {
        match i % 6 {
            1 => {
                a["status"] = json!("DRAFT");
                a["publishedAt"] = Value::Null;
            }
            2 => a["status"] = json!("ARCHIVED"),
            // Scheduled: published, with a time still to come.
            3 => a["publishedAt"] = json!("2099-01-01T08:30:00Z"),
            // A draft with a planned time.
            4 => a["status"] = json!("DRAFT"),
            _ => {}
        }
        let fields = a.as_object_mut().unwrap();
        if i % 4 == 1 {
            // Null and left out: both are absent values.
            fields.insert("summary".into(), Value::Null);
            fields.insert("section".into(), Value::Null);
            fields.remove("canonicalUrl");
            fields.remove("copyright");
        }
        if i % 5 == 3 {
            fields.remove("tags");
            fields.remove("keyPoints");
            fields.insert("quotes".into(), json!([]));
            fields.insert("relatedLinks".into(), json!([]));
        }
    }
    let a = &mut articles[7];
    a["title"] = json!("Zürich, 東京 and القاهرة: a “quoted” title — with a crab 🦀");
    a["body"] = json!(
        "Ünïcödé body\n\n* 🦀 ferris\n* e\u{301} (a combining accent)\n\nTabs\tand \"quotes\" and \\ backslashes.\n\n  trailing spaces  \n"
    );
    a["summary"] = json!("  Leading and trailing blanks are content too.  ");
    a["keyPoints"] = json!(["Première étape.", "第二点。", "נקודה שלישית"]);
    a["quotes"][0]["text"] = json!("„Das ist gut“, sagte er.");
    a["quotes"][1]["context"] = json!("über 😀");
    a["tags"] = json!(["zeta", "alpha", "mu"]);
    a["relatedLinks"] = json!([
        { "url": "https://example.com/%C3%BCber?q=%E6%9D%B1", "title": "Über", "rel": "RELATED" },
        { "url": "https://example.com/canonical", "title": null, "rel": "CANONICAL" },
    ]);
    // `rel` left out: RELATED.
    articles[8]["relatedLinks"] = json!([{ "url": "https://example.com/further" }]);
    articles[9]["publishedAt"] = json!("2024-03-01T12:00:00.123456789+02:00");
    articles[10]["copyright"] = json!({ "holder": "Ｆｕｌｌｗｉｄｔｈ Ｐｒｅｓｓ", "notice": "©", "year": null, "license": "CC-BY-4.0" });
    articles[11]["body"] = json!("");
    articles[12]["author"] = json!("a-person");
    articles.reverse();

    bundle["publications"].as_array_mut().unwrap().push(json!({
        "slug": "dormant-gazette",
        "name": "The Dormant Gazette",
        "links": [
            { "label": "Zeta", "url": "https://dormant.example.com/z" },
            { "label": "Alpha", "url": "https://dormant.example.com/a" },
        ],
    }));
    let authors = bundle["authors"].as_array_mut().unwrap();
    authors.push(json!({ "slug": "unused-desk", "name": "Unused Desk", "kind": "ORGANIZATION" }));
    authors.push(json!({ "slug": "a-person", "name": "A. Person", "kind": "PERSON" }));
    bundle["speakers"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "slug": "nobody-quoted", "name": "Nobody Quoted", "role": null }));
    bundle
}

#[tokio::test]
async fn the_seed_database_exports_as_the_fixture() {
    let app = spawn_app().await;
    let exported = export(&app.db).await;
    // The fixture lists its speakers in story order; an export sorts them by slug.
    let mut expected = seed();
    expected["speakers"]
        .as_array_mut()
        .unwrap()
        .sort_by_key(|s| s["slug"].as_str().unwrap().to_owned());
    assert_eq!(to_value(&exported), expected);
}

#[tokio::test]
async fn export_import_export_gives_the_same_bundle() {
    let source = spawn_empty().await;
    let varied = varied_bundle();
    import(&source.db, &parse(&varied)).await;
    let first = export(&source.db).await;
    // Lossless: everything imported comes out.
    assert_eq!(to_value(&first), as_exported(&varied));

    let target = spawn_empty().await;
    let report = import(&target.db, &first).await;
    assert_eq!(report.articles.created, 30);
    let second = export(&target.db).await;
    assert_eq!(to_file_text(&second), to_file_text(&first));
}

#[tokio::test]
async fn reimporting_an_export_into_its_own_database_changes_nothing() {
    for bundle in [seed(), varied_bundle()] {
        let app = spawn_empty().await;
        import(&app.db, &parse(&bundle)).await;
        let exported = export(&app.db).await;
        // Every article's digest matches the stored one, so none is written.
        assert_eq!(import(&app.db, &exported).await, all_unchanged(&exported));
        assert_eq!(export(&app.db).await, exported);
    }
}

/// SQLite → the test backend → SQLite: Postgres both ways when `TEST_DATABASE_URL` is set,
/// otherwise SQLite all along.
#[tokio::test]
async fn exports_move_between_backends_unchanged() {
    let (first_db, middle_db, last_db) = (
        TestDb::sqlite_always(),
        TestDb::new().await,
        TestDb::sqlite_always(),
    );
    let (first, middle, last) = (
        connect(&first_db).await,
        connect(&middle_db).await,
        connect(&last_db).await,
    );
    import(&first, &parse(&varied_bundle())).await;
    let from_first = export(&first).await;

    import(&middle, &from_first).await;
    let from_middle = export(&middle).await;
    assert_eq!(to_value(&from_middle), to_value(&from_first));

    import(&last, &from_middle).await;
    let from_last = export(&last).await;
    assert_eq!(to_value(&from_last), to_value(&from_first));

    // Content digests agree across backends: each side finds the other's export unchanged.
    assert_eq!(import(&middle, &from_last).await, all_unchanged(&from_last));
    assert_eq!(
        import(&first, &from_middle).await,
        all_unchanged(&from_middle)
    );
}

#[tokio::test]
async fn export_runs_the_same_statements_for_3_and_45_articles() {
    async fn statements(articles: usize) -> u64 {
        let test_db = TestDb::new().await;
        let mut db = connect(&test_db).await;
        import(&db, &parse(&synthetic_bundle(articles))).await;
        let count = Arc::new(AtomicU64::new(0));
        let counter = count.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(export(&db).await.articles.len(), articles);
        count.load(Ordering::Relaxed)
    }
    // Publications with their links, authors, speakers, articles, tags, key points, quotes,
    // related links, copyrights.
    assert_eq!((statements(3).await, statements(45).await), (9, 9));
}

// The binary.

/// Runs the binary over `database_url`, shielded from the caller's content-api settings.
fn run(database_url: &str, args: &[&str]) -> Output {
    let output = Command::new(common::binary())
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .env_remove("CONTENT_API_BIND")
        .env_remove("CONTENT_API_NO_DEMO")
        .env_remove("CONTENT_API_CORS_ORIGINS")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{args:?}: {:?}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn utf8(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read a file")
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list the directory")
        .map(|e| e.expect("an entry").file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn the_cli_exports_to_a_file_that_imports_elsewhere_and_to_standard_output() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (source, target) = (TestDb::new().await, TestDb::new().await);
    let varied = dir.path().join("varied.json");
    std::fs::write(&varied, varied_bundle().to_string()).expect("write the bundle");
    run(&source.url, &["import", utf8(&varied)]);

    // An existing file is replaced whole.
    let first = dir.path().join("first.json");
    std::fs::write(&first, "an older export").expect("write a file");
    let output = run(&source.url, &["export", utf8(&first)]);
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "exported {}: 3 publications, 3 authors, 4 speakers, 30 articles\n",
            first.display()
        )
    );
    let text = read(&first);
    assert_eq!(
        text,
        to_file_text(&parse(&as_exported(&varied_bundle()))),
        "pretty JSON with a trailing newline"
    );

    run(&target.url, &["import", utf8(&first)]);
    let second = dir.path().join("second.json");
    run(&target.url, &["export", utf8(&second)]);
    assert_eq!(read(&second), text);
    // No temporary file left behind.
    assert_eq!(
        files_in(dir.path()),
        ["first.json", "second.json", "varied.json"]
    );

    for args in [&["export"][..], &["export", "-"]] {
        let output = run(&source.url, args);
        assert_eq!(String::from_utf8_lossy(&output.stdout), text, "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "exported -: 3 publications, 3 authors, 4 speakers, 30 articles\n",
            "{args:?}"
        );
    }
}

#[tokio::test]
async fn the_cli_migrates_an_empty_database_and_exports_nothing() {
    let test_db = TestDb::new().await;
    let output = run(&test_db.url, &["export"]);
    assert_eq!(
        serde_json::from_slice::<Value>(&output.stdout).expect("JSON"),
        json!({ "version": 1, "publications": [], "authors": [], "speakers": [], "articles": [] })
    );
}
