//! The article read model says what the normalized tables say, after every write.
//!
//! A property test: a random world (publications with footer links, authors, speakers, and
//! articles that share them) is imported, then a random sequence of writes is applied to it:
//! bundle imports (and re-imports of an export), article creates, patches, status changes
//! and deletes, and upserts that rename or change the speakers, authors and publications many
//! articles show. After each
//! write, every stored document is compared, as a whole value, with one built here from the
//! normalized tables with plain entity reads. The oracle shares no code with
//! `content::derived`: a mistake there cannot hide by being made twice.
//!
//! After each write it also checks that every article has exactly one document and no
//! document outlives its article, that the rendered bodies (and word counts) are those of the
//! stored Markdown, that revisions never go down and go up when a document changes, that a write
//! that fails (a conflict, an unknown reference, a missing article) changes nothing at all,
//! nor does re-importing an unchanged export (no revision moves), and that a write returning
//! an article returns the document readers will be served.
//!
//! The configuration is fixed (cases, algorithm, seed), so every run applies the same writes
//! and a failure reproduces; nothing is persisted into the repository. Each case gets a fresh
//! database (SQLite, or Postgres with `TEST_DATABASE_URL`). A summary of what was applied is
//! printed (`cargo test --test read_model -- --nocapture` shows it when the test passes).

mod common;

use std::{
    cell::RefCell,
    collections::{BTreeMap, BTreeSet, HashMap},
    time::Instant,
};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use common::TestDb;
use content_api::content::ids::Ids;
use content_api::{
    content::{
        self, ArticleStatus, AuthorKind, LinkRel, body,
        bundle::{self, Bundle},
        editing::{self, ArticlePatch},
        model,
    },
    db,
};
use entity::{
    article, article_document, article_tag, author, copyright, key_point, publication,
    publication_link, quote, related_link, speaker, tag,
};
use pretty_assertions::Comparison;
use proptest::{
    collection::vec,
    option,
    prelude::*,
    sample::{select, subsequence},
    test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestError, TestRunner},
};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use uuid::Uuid;

/// The same writes on every run: a failure seen once is seen again.
const RNG_SEED: u64 = 0x0D0C_5EED_0000_0001;

fn config() -> Config {
    Config {
        cases: 12,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(RNG_SEED),
        // In process, so the closure can use the runtime.
        fork: false,
        timeout: 0,
        // Every shrink step builds a database: bound it so a failure is reported in minutes.
        max_shrink_iters: 300,
        max_shrink_time: 180_000,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// The world and the writes
// ---------------------------------------------------------------------------------------------

/// Few of each, so that every one is shared by several articles.
static PUBLICATIONS: [&str; 3] = ["daily-planet", "morning-star", "evening-post"];
static AUTHORS: [&str; 3] = ["lois-lane", "newsroom", "llama"];
/// The world has the first four; the fifth exists only once a write creates it, so quoting it
/// before then is refused.
static SPEAKERS: [&str; 5] = [
    "ada-lovelace",
    "grace-hopper",
    "linus-torvalds",
    "margaret-hamilton",
    "rosalind-franklin",
];
const WORLD_SPEAKERS: usize = 4;
static TAGS: [&str; 6] = ["rust", "linux", "kernel", "policy", "science", "opinion"];
/// References that exist nowhere: a write naming one must fail and change nothing.
const NO_PUBLICATION: &str = "nowhere-gazette";
const NO_AUTHOR: &str = "nobody";
const NO_SPEAKER: &str = "anonymous-source";

/// Articles live in slots `story-0` to `story-11`; a write names a slot, which may be empty.
const SLOTS: usize = 12;

fn slug_of(slot: usize) -> String {
    format!("story-{slot}")
}

/// Text with some of what JSON, HTML and both backends' text handling might trip over.
static WORDS: [&str; 10] = [
    "kernel",
    "Rust",
    "memory",
    "safety",
    "Zoë's",
    "déjà vu",
    "“quoted”",
    "<b>bold</b>",
    "back\\slash",
    "日本語",
];

fn phrase() -> impl Strategy<Value = String> {
    (select(&WORDS[..]), select(&WORDS[..]), 0..4u8).prop_map(|(a, b, n)| format!("{a} {b} {n}"))
}

/// A phrase, or now and then a blank one, which validation refuses before anything is written.
fn title() -> impl Strategy<Value = String> {
    prop_oneof![20 => phrase(), 1 => Just("   ".to_owned())]
}

static BODIES: [&str; 6] = [
    "Plain paragraph.",
    "# Heading\n\nA *first* paragraph.\n\nA second with `code` and a\nsoft break.",
    "- one\n- two\n- three",
    "A [link](https://example.com/) and <script>alert(1)</script> raw HTML.",
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n> quoted\n\nFootnote[^1].\n\n[^1]: The note.",
    "",
];

fn article_body() -> impl Strategy<Value = String> {
    (select(&BODIES[..]), 0..3u8).prop_map(|(body, n)| match n {
        0 => body.to_owned(),
        n => format!("{body}\n\nRevision {n}."),
    })
}

fn url() -> impl Strategy<Value = String> {
    (select(vec!["news", "source", "about", "ü"]), 0..4u8)
        .prop_map(|(path, n)| format!("https://example.com/{path}/{n}"))
}

/// A time within a dozen years of 2026, to the nanosecond (stored to the microsecond).
fn moment() -> impl Strategy<Value = DateTime<Utc>> {
    let start = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid time");
    (-400_000_000i64..400_000_000, 0..1_000_000_000i64).prop_map(move |(seconds, nanos)| {
        start + TimeDelta::seconds(seconds) + TimeDelta::nanoseconds(nanos)
    })
}

fn status() -> impl Strategy<Value = (ArticleStatus, Option<DateTime<Utc>>)> {
    prop_oneof![
        option::of(moment()).prop_map(|at| (ArticleStatus::Draft, at)),
        moment().prop_map(|at| (ArticleStatus::Published, Some(at))),
        option::of(moment()).prop_map(|at| (ArticleStatus::Archived, at)),
    ]
}

/// Which references an article may make.
#[derive(Clone, Copy)]
enum Refs {
    /// Only to what the world holds: the world's import must succeed.
    Existing,
    /// Also, now and then, to what exists nowhere or not yet.
    Any,
}

fn publication_ref(refs: Refs) -> BoxedStrategy<String> {
    let known = select(&PUBLICATIONS[..]).prop_map(str::to_owned);
    match refs {
        Refs::Existing => known.boxed(),
        Refs::Any => prop_oneof![30 => known, 1 => Just(NO_PUBLICATION.to_owned())].boxed(),
    }
}

fn author_ref(refs: Refs) -> BoxedStrategy<String> {
    let known = select(&AUTHORS[..]).prop_map(str::to_owned);
    match refs {
        Refs::Existing => known.boxed(),
        Refs::Any => prop_oneof![30 => known, 1 => Just(NO_AUTHOR.to_owned())].boxed(),
    }
}

fn speaker_ref(refs: Refs) -> BoxedStrategy<String> {
    match refs {
        Refs::Existing => select(&SPEAKERS[..WORLD_SPEAKERS])
            .prop_map(str::to_owned)
            .boxed(),
        // Rarely the speaker not yet created: an import of a few articles with a few
        // quotes each should mostly succeed.
        Refs::Any => prop_oneof![
            40 => select(&SPEAKERS[..WORLD_SPEAKERS]).prop_map(str::to_owned),
            2 => Just(SPEAKERS[WORLD_SPEAKERS].to_owned()),
            1 => Just(NO_SPEAKER.to_owned()),
        ]
        .boxed(),
    }
}

fn tags() -> impl Strategy<Value = Vec<String>> {
    subsequence(&TAGS[..], 0..=3)
        .prop_shuffle()
        .prop_map(|tags| tags.into_iter().map(str::to_owned).collect())
}

fn quotes(refs: Refs) -> impl Strategy<Value = Vec<bundle::Quote>> {
    let quote =
        (speaker_ref(refs), phrase(), option::of(phrase())).prop_map(|(speaker, text, context)| {
            bundle::Quote {
                text,
                speaker,
                context,
            }
        });
    vec(quote, 0..=4)
}

fn related_links() -> impl Strategy<Value = Vec<bundle::RelatedLink>> {
    let rels = vec![LinkRel::Canonical, LinkRel::Source, LinkRel::Related];
    let link = (url(), option::of(phrase()), select(rels))
        .prop_map(|(url, title, rel)| bundle::RelatedLink { url, title, rel });
    vec(link, 0..=2)
}

fn copyright() -> impl Strategy<Value = bundle::Copyright> {
    (
        select(vec!["Daily Planet", "Zoë Media", "Example"]),
        option::of(1990..=2025i32),
        option::of(select(vec!["CC BY 4.0", "All rights reserved"])),
    )
        .prop_map(|(holder, year, license)| bundle::Copyright {
            holder: holder.to_owned(),
            notice: format!("© {holder}"),
            year,
            license: license.map(str::to_owned),
        })
}

static SECTIONS: [&str; 3] = ["Tech", "Politics", "Science"];

fn section() -> impl Strategy<Value = String> {
    select(&SECTIONS[..]).prop_map(str::to_owned)
}

/// An article in the import form, in slot `story-0` until placed.
fn article(refs: Refs) -> impl Strategy<Value = bundle::Article> {
    let scalars = (
        title(),
        option::of(phrase()),
        article_body(),
        status(),
        option::of(section()),
        option::of(url()),
    );
    let references = (publication_ref(refs), option::of(author_ref(refs)));
    let lists = (
        tags(),
        vec(phrase(), 0..=3),
        quotes(refs),
        related_links(),
        option::of(copyright()),
    );
    (scalars, references, lists).prop_map(
        |(
            (title, summary, body, (status, published_at), section, canonical_url),
            (publication, author),
            (tags, key_points, quotes, related_links, copyright),
        )| bundle::Article {
            slug: slug_of(0),
            title,
            summary,
            body,
            status,
            published_at,
            publication,
            author,
            section,
            canonical_url,
            tags,
            key_points,
            quotes,
            related_links,
            copyright,
            created_at: None,
            updated_at: None,
        },
    )
}

fn article_in_a_slot(refs: Refs) -> impl Strategy<Value = bundle::Article> {
    (0..SLOTS, article(refs)).prop_map(|(slot, mut a)| {
        a.slug = slug_of(slot);
        a
    })
}

fn publication(slugs: &'static [&'static str]) -> impl Strategy<Value = bundle::Publication> {
    let link = (
        select(vec!["Privacy", "Terms", "Contact", "Über uns"]),
        url(),
    )
        .prop_map(|(label, url)| bundle::PublicationLink {
            label: label.to_owned(),
            url,
        });
    (
        select(slugs),
        phrase(),
        option::of(url()),
        option::of(phrase()),
        vec(link, 0..=3),
    )
        .prop_map(
            |(slug, name, url, sponsor_message, links)| bundle::Publication {
                slug: slug.to_owned(),
                name,
                url,
                sponsor_message,
                links,
            },
        )
}

fn author(slugs: &'static [&'static str]) -> impl Strategy<Value = bundle::Author> {
    let kinds = vec![
        AuthorKind::Person,
        AuthorKind::Organization,
        AuthorKind::AiModel,
    ];
    (select(slugs), phrase(), select(kinds)).prop_map(|(slug, name, kind)| bundle::Author {
        slug: slug.to_owned(),
        name,
        kind,
    })
}

fn speaker(slugs: &'static [&'static str]) -> impl Strategy<Value = bundle::Speaker> {
    (
        select(slugs),
        phrase(),
        option::of(select(vec!["Engineer", "Maintainer", "Rear Admiral"])),
        option::of(select(vec![
            "Linux Foundation",
            "US Navy",
            "NASA",
            "Zoë & Co",
        ])),
    )
        .prop_map(|(slug, name, role, organization)| bundle::Speaker {
            slug: slug.to_owned(),
            name,
            role: role.map(str::to_owned),
            organization: organization.map(str::to_owned),
        })
}

/// `entries` with the first of each slug kept: a bundle names each entry once.
fn unique<T>(entries: Vec<T>, slug: impl Fn(&T) -> &str) -> Vec<T> {
    let mut seen = BTreeSet::new();
    entries
        .into_iter()
        .filter(|e| seen.insert(slug(e).to_owned()))
        .collect()
}

/// Every publication, author and world speaker, and six to eight articles that share them.
fn world() -> impl Strategy<Value = Bundle> {
    let one = |slugs: &'static [&'static str], i: usize| &slugs[i..=i];
    let publications: Vec<_> = (0..PUBLICATIONS.len())
        .map(|i| publication(one(&PUBLICATIONS, i)))
        .collect();
    let authors: Vec<_> = (0..AUTHORS.len())
        .map(|i| author(one(&AUTHORS, i)))
        .collect();
    let speakers: Vec<_> = (0..WORLD_SPEAKERS)
        .map(|i| speaker(one(&SPEAKERS, i)))
        .collect();
    let slots: Vec<usize> = (0..SLOTS).collect();
    let articles = (subsequence(slots, 6..=8), vec(article(Refs::Existing), 8)).prop_map(
        |(slots, articles)| {
            slots
                .into_iter()
                .zip(articles)
                .map(|(slot, a)| bundle::Article {
                    slug: slug_of(slot),
                    // The world's import must succeed.
                    title: if a.title.trim().is_empty() {
                        "A title".to_owned()
                    } else {
                        a.title
                    },
                    ..a
                })
                .collect()
        },
    );
    (publications, authors, speakers, articles).prop_map(
        |(publications, authors, speakers, articles)| Bundle {
            version: bundle::VERSION,
            publications,
            authors,
            speakers,
            articles,
        },
    )
}

/// A bundle changing some articles, and perhaps catalogue entries with them.
fn import() -> impl Strategy<Value = Bundle> {
    (
        vec(publication(&PUBLICATIONS), 0..=1),
        vec(author(&AUTHORS), 0..=1),
        vec(speaker(&SPEAKERS), 0..=2),
        vec(article_in_a_slot(Refs::Any), 1..=3),
    )
        .prop_map(|(publications, authors, speakers, articles)| Bundle {
            version: bundle::VERSION,
            publications,
            authors,
            speakers: unique(speakers, |s| &s.slug),
            articles: unique(articles, |a| &a.slug),
        })
}

fn patch() -> impl Strategy<Value = ArticlePatch> {
    let p = 0.3;
    let scalars = (
        option::weighted(0.1, (0..SLOTS).prop_map(slug_of)),
        option::weighted(p, title()),
        option::weighted(p, option::of(phrase())),
        option::weighted(p, article_body()),
        option::weighted(p, option::of(section())),
        option::weighted(p, option::of(url())),
    );
    let references = (
        option::weighted(p, publication_ref(Refs::Any)),
        option::weighted(p, option::of(author_ref(Refs::Any))),
    );
    let lists = (
        option::weighted(p, tags()),
        option::weighted(p, vec(phrase(), 0..=3)),
        option::weighted(p, quotes(Refs::Any)),
        option::weighted(p, related_links()),
        option::weighted(p, option::of(copyright())),
    );
    (scalars, references, lists).prop_map(
        |(
            (slug, title, summary, body, section, canonical_url),
            (publication, author),
            (tags, key_points, quotes, related_links, copyright),
        )| ArticlePatch {
            slug,
            title,
            summary,
            body,
            section,
            canonical_url,
            publication,
            author,
            tags,
            key_points,
            quotes,
            related_links,
            copyright,
        },
    )
}

/// One write, through the content layer's public functions. Articles are named by slot;
/// an empty slot's article is one that does not exist.
#[derive(Clone, Debug)]
enum Op {
    Import(Bundle),
    /// Exports the database and imports the export back, with one speaker changed if given:
    /// articles unchanged, their documents change only by what the speaker shows.
    Reimport(Option<bundle::Speaker>),
    Create(bundle::Article),
    Update {
        slot: usize,
        patch: ArticlePatch,
    },
    /// Now, or at a time (past or future).
    Publish {
        slot: usize,
        at: Option<DateTime<Utc>>,
    },
    Unpublish {
        slot: usize,
    },
    Archive {
        slot: usize,
    },
    Delete {
        slot: usize,
    },
    UpsertSpeaker(bundle::Speaker),
    UpsertAuthor(bundle::Author),
    UpsertPublication(bundle::Publication),
}

impl Op {
    fn kind(&self) -> &'static str {
        match self {
            Self::Import(_) => "import",
            Self::Reimport(_) => "reimport",
            Self::Create(_) => "create_article",
            Self::Update { .. } => "update_article",
            Self::Publish { .. } => "publish_article",
            Self::Unpublish { .. } => "unpublish_article",
            Self::Archive { .. } => "archive_article",
            Self::Delete { .. } => "delete_article",
            Self::UpsertSpeaker(_) => "upsert_speaker",
            Self::UpsertAuthor(_) => "upsert_author",
            Self::UpsertPublication(_) => "upsert_publication",
        }
    }

    /// Changes something many articles may show.
    fn is_shared(&self) -> bool {
        matches!(
            self,
            Self::UpsertSpeaker(_) | Self::UpsertAuthor(_) | Self::UpsertPublication(_)
        )
    }

    /// Must change nothing when it succeeds: importing an export into the database it came
    /// from writes nothing, and rewrites no document.
    fn changes_nothing(&self) -> bool {
        matches!(self, Self::Reimport(None))
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => import().prop_map(Op::Import),
        1 => option::of(speaker(&SPEAKERS)).prop_map(Op::Reimport),
        1 => article_in_a_slot(Refs::Any).prop_map(Op::Create),
        3 => (0..SLOTS, patch()).prop_map(|(slot, patch)| Op::Update { slot, patch }),
        2 => (0..SLOTS, option::of(moment())).prop_map(|(slot, at)| Op::Publish { slot, at }),
        1 => (0..SLOTS).prop_map(|slot| Op::Unpublish { slot }),
        1 => (0..SLOTS).prop_map(|slot| Op::Archive { slot }),
        1 => (0..SLOTS).prop_map(|slot| Op::Delete { slot }),
        3 => speaker(&SPEAKERS).prop_map(Op::UpsertSpeaker),
        2 => author(&AUTHORS).prop_map(Op::UpsertAuthor),
        2 => publication(&PUBLICATIONS).prop_map(Op::UpsertPublication),
    ]
}

/// The id of the article in `slot`, or an id no article has.
async fn id_in(db: &DatabaseConnection, slot: usize) -> Uuid {
    use sea_orm::{ColumnTrait, QueryFilter};
    article::Entity::find()
        .filter(article::Column::Slug.eq(slug_of(slot)))
        .one(db)
        .await
        .expect("looking an article up")
        .map_or_else(Uuid::now_v7, |a| a.id)
}

/// Applies `op`; the article the write returned, if it returns one.
async fn apply(
    db: &DatabaseConnection,
    op: &Op,
    ids: Ids,
) -> content::Result<Option<model::Article>> {
    let read = |r: model::ArticleRead| Some(r.article);
    match op {
        Op::Import(b) => bundle::import(db, b, ids).await.map(|_| None),
        Op::Reimport(change) => {
            let mut export = bundle::export(db).await?;
            if let Some(s) = change {
                export.speakers.retain(|old| old.slug != s.slug);
                export.speakers.push(s.clone());
            }
            bundle::import(db, &export, ids).await.map(|_| None)
        }
        Op::Create(a) => editing::create_article(db, a.clone(), ids).await.map(read),
        Op::Update { slot, patch } => {
            let id = id_in(db, *slot).await;
            editing::update_article(db, id, patch.clone(), ids)
                .await
                .map(read)
        }
        Op::Publish { slot, at } => {
            let id = id_in(db, *slot).await;
            editing::publish_article(db, id, *at).await.map(read)
        }
        Op::Unpublish { slot } => {
            let id = id_in(db, *slot).await;
            editing::unpublish_article(db, id).await.map(read)
        }
        Op::Archive { slot } => {
            let id = id_in(db, *slot).await;
            editing::archive_article(db, id).await.map(read)
        }
        Op::Delete { slot } => {
            let id = id_in(db, *slot).await;
            editing::delete_article(db, id).await.map(|()| None)
        }
        Op::UpsertSpeaker(s) => editing::upsert_speaker(db, s.clone(), ids)
            .await
            .map(|_| None),
        Op::UpsertAuthor(a) => editing::upsert_author(db, a.clone(), ids)
            .await
            .map(|_| None),
        Op::UpsertPublication(p) => editing::upsert_publication(db, p.clone(), ids)
            .await
            .map(|_| None),
    }
}

/// Refusals a write may give for what these writes do: a missing article, a taken slug, a
/// reference to nothing, a blank title. Anything else is a fault.
fn is_refusal(err: &content::Error) -> bool {
    matches!(
        err,
        content::Error::NotFound(_) | content::Error::Conflict(_) | content::Error::Invalid { .. }
    )
}

fn refusal(err: &content::Error) -> &'static str {
    match err {
        content::Error::NotFound(_) => "not found",
        content::Error::Conflict(_) => "conflict",
        content::Error::Invalid { .. } => "invalid",
        _ => "other",
    }
}

// ---------------------------------------------------------------------------------------------
// The oracle: documents as the tables say, built here
// ---------------------------------------------------------------------------------------------

/// Every row of every table a document is made of, in primary-key order.
#[derive(Debug, PartialEq)]
struct Tables {
    articles: Vec<article::Model>,
    publications: Vec<publication::Model>,
    publication_links: Vec<publication_link::Model>,
    authors: Vec<author::Model>,
    speakers: Vec<speaker::Model>,
    tags: Vec<tag::Model>,
    article_tags: Vec<article_tag::Model>,
    key_points: Vec<key_point::Model>,
    quotes: Vec<quote::Model>,
    related_links: Vec<related_link::Model>,
    copyrights: Vec<copyright::Model>,
}

async fn all<E: EntityTrait>(db: &DatabaseConnection, key: E::Column) -> Vec<E::Model> {
    E::find()
        .order_by_asc(key)
        .all(db)
        .await
        .expect("reading a table")
}

impl Tables {
    async fn read(db: &DatabaseConnection) -> Self {
        Self {
            articles: all::<article::Entity>(db, article::Column::Id).await,
            publications: all::<publication::Entity>(db, publication::Column::Id).await,
            publication_links: all::<publication_link::Entity>(db, publication_link::Column::Id)
                .await,
            authors: all::<author::Entity>(db, author::Column::Id).await,
            speakers: all::<speaker::Entity>(db, speaker::Column::Id).await,
            tags: all::<tag::Entity>(db, tag::Column::Id).await,
            article_tags: all::<article_tag::Entity>(db, article_tag::Column::Id).await,
            key_points: all::<key_point::Entity>(db, key_point::Column::Id).await,
            quotes: all::<quote::Entity>(db, quote::Column::Id).await,
            related_links: all::<related_link::Entity>(db, related_link::Column::Id).await,
            copyrights: all::<copyright::Entity>(db, copyright::Column::Id).await,
        }
    }

    /// The document of `a` as the tables say it should be.
    fn document(&self, a: &article::Model) -> Result<model::Article, String> {
        let missing = |what: &str, id: Uuid| format!("{} refers to {what} {id}, not there", a.slug);
        let p = self
            .publications
            .iter()
            .find(|p| p.id == a.publication_id)
            .ok_or_else(|| missing("publication", a.publication_id))?;
        let publication = model::Publication {
            id: p.id,
            slug: p.slug.clone(),
            name: p.name.clone(),
            url: p.url.clone(),
            sponsor_message: p.sponsor_message.clone(),
            links: in_order(
                &self.publication_links,
                |l| l.publication_id == p.id,
                |l| l.position,
            )
            .map(|l| model::PublicationLink {
                label: l.label.clone(),
                url: l.url.clone(),
            })
            .collect(),
        };
        let author = match a.author_id {
            None => None,
            Some(id) => {
                let w = self
                    .authors
                    .iter()
                    .find(|w| w.id == id)
                    .ok_or_else(|| missing("author", id))?;
                Some(model::Author {
                    id: w.id,
                    slug: w.slug.clone(),
                    name: w.name.clone(),
                    kind: w.kind,
                })
            }
        };
        let tags = in_order(&self.article_tags, |t| t.article_id == a.id, |t| t.position)
            .map(|link| {
                let t = self
                    .tags
                    .iter()
                    .find(|t| t.id == link.tag_id)
                    .ok_or_else(|| missing("tag", link.tag_id))?;
                Ok(model::Tag {
                    id: t.id,
                    slug: t.slug.clone(),
                })
            })
            .collect::<Result<_, String>>()?;
        let quotes = in_order(&self.quotes, |q| q.article_id == a.id, |q| q.position)
            .map(|q| {
                let s = self
                    .speakers
                    .iter()
                    .find(|s| s.id == q.speaker_id)
                    .ok_or_else(|| missing("speaker", q.speaker_id))?;
                Ok(model::Quote {
                    id: q.id,
                    position: q.position,
                    text: q.text.clone(),
                    context: q.context.clone(),
                    speaker: model::Speaker {
                        id: s.id,
                        slug: s.slug.clone(),
                        name: s.name.clone(),
                        role: s.role.clone(),
                        organization: s.organization.clone(),
                    },
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(model::Article {
            id: a.id,
            slug: a.slug.clone(),
            title: a.title.clone(),
            summary: a.summary.clone(),
            status: a.status,
            published_at: a.published_at,
            created_at: a.created_at,
            updated_at: a.updated_at,
            section: a.section.clone(),
            canonical_url: a.canonical_url.clone(),
            word_count: a.word_count,
            author,
            publication,
            tags,
            key_points: in_order(&self.key_points, |k| k.article_id == a.id, |k| k.position)
                .map(|k| model::KeyPoint {
                    id: k.id,
                    position: k.position,
                    text: k.text.clone(),
                })
                .collect(),
            quotes,
            related_links: in_order(
                &self.related_links,
                |l| l.article_id == a.id,
                |l| l.position,
            )
            .map(|l| model::RelatedLink {
                id: l.id,
                position: l.position,
                url: l.url.clone(),
                title: l.title.clone(),
                rel: l.rel,
            })
            .collect(),
            copyright: self
                .copyrights
                .iter()
                .find(|c| c.article_id == a.id)
                .map(|c| model::Copyright {
                    holder: c.holder.clone(),
                    notice: c.notice.clone(),
                    year: c.year,
                    license: c.license.clone(),
                }),
        })
    }
}

/// The rows `belongs` picks, by `position`.
fn in_order<T>(
    rows: &[T],
    belongs: impl Fn(&T) -> bool,
    position: impl Fn(&T) -> i32,
) -> impl Iterator<Item = &T> {
    let mut picked: Vec<&T> = rows.iter().filter(|r| belongs(r)).collect();
    picked.sort_by_key(|r| position(r));
    picked.into_iter()
}

/// The database as of one step: the tables and the documents.
#[derive(Debug, PartialEq)]
struct Snapshot {
    tables: Tables,
    documents: BTreeMap<Uuid, article_document::Model>,
}

impl Snapshot {
    async fn read(db: &DatabaseConnection) -> Self {
        let documents = all::<article_document::Entity>(db, article_document::Column::ArticleId)
            .await
            .into_iter()
            .map(|d| (d.article_id, d))
            .collect();
        Self {
            tables: Tables::read(db).await,
            documents,
        }
    }
}

fn diff<T: std::fmt::Debug>(expected: &T, actual: &T) -> String {
    format!("{}", Comparison::new(expected, actual))
}

/// Checks the database after `step`, given what it was before and what the write answered;
/// returns the new snapshot and how many documents changed.
async fn check(
    db: &DatabaseConnection,
    step: &str,
    before: &Snapshot,
    outcome: &content::Result<Option<model::Article>>,
    changes_nothing: bool,
) -> Result<(Snapshot, usize), String> {
    let now = Snapshot::read(db).await;
    let fail = |what: String| Err(format!("after {step}:\n{what}"));

    if outcome.is_err() && now != *before {
        return fail(format!(
            "the write failed ({outcome:?}) but changed the database (< before, > after):\n{}",
            diff(before, &now)
        ));
    }
    if changes_nothing && now != *before {
        return fail(format!(
            "the write should have changed nothing, but did (< before, > after):\n{}",
            diff(before, &now)
        ));
    }

    let articles: BTreeSet<Uuid> = now.tables.articles.iter().map(|a| a.id).collect();
    let documented: BTreeSet<Uuid> = now.documents.keys().copied().collect();
    if articles != documented {
        return fail(format!(
            "articles without a document: {:?}\ndocuments without an article: {:?}",
            articles.difference(&documented).collect::<Vec<_>>(),
            documented.difference(&articles).collect::<Vec<_>>(),
        ));
    }

    let mut expected_by_id = HashMap::new();
    let mut changed = 0;
    for a in &now.tables.articles {
        let expected = now.tables.document(a)?;
        let stored = &now.documents[&a.id];
        let served: model::Article =
            serde_json::from_value(stored.document.clone()).map_err(|e| {
                format!(
                    "after {step}: the document of {} does not parse: {e}",
                    a.slug
                )
            })?;
        if served != expected {
            return fail(format!(
                "the document of {} is not what the tables say (< tables, > document):\n{}",
                a.slug,
                diff(&expected, &served)
            ));
        }
        // Nothing more and nothing less than the document's fields is stored.
        let reserialized = serde_json::to_value(&served).expect("a document serializes");
        if reserialized != stored.document {
            return fail(format!(
                "the stored document of {} has fields a document does not (< as read, > stored):\n{}",
                a.slug,
                diff(&reserialized, &stored.document)
            ));
        }
        // The word count is served from the document: it must count the body as stored.
        let rendered = (
            body::to_html(&a.body),
            body::to_plain_text(&a.body),
            body::word_count(&a.body),
        );
        let kept = (
            stored.body_html.clone(),
            stored.body_text.clone(),
            served.word_count,
        );
        if kept != rendered {
            return fail(format!(
                "the rendered body of {} is not the render of its Markdown (< render, > stored):\n{}",
                a.slug,
                diff(&rendered, &kept)
            ));
        }
        match before.documents.get(&a.id) {
            None if stored.revision < 1 => {
                return fail(format!("{} has revision {}", a.slug, stored.revision));
            }
            None => changed += 1,
            Some(old) => {
                let different = old.document != stored.document
                    || old.body_html != stored.body_html
                    || old.body_text != stored.body_text;
                if stored.revision < old.revision || (different && stored.revision == old.revision)
                {
                    return fail(format!(
                        "the document of {} went from revision {} to {} (it {})",
                        a.slug,
                        old.revision,
                        stored.revision,
                        if different {
                            "changed"
                        } else {
                            "did not change"
                        },
                    ));
                }
                changed += usize::from(different);
            }
        }
        expected_by_id.insert(a.id, expected);
    }

    if let Ok(Some(returned)) = outcome {
        match expected_by_id.get(&returned.id) {
            Some(expected) if expected == returned => {}
            Some(expected) => {
                return fail(format!(
                    "the write returned another article than readers are served (< served, > returned):\n{}",
                    diff(expected, returned)
                ));
            }
            None => {
                return fail(format!(
                    "the write returned {}, which is gone",
                    returned.slug
                ));
            }
        }
    }
    Ok((now, changed))
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Outcomes {
    applied: u32,
    refused: BTreeMap<&'static str, u32>,
}

/// What the run applied, for the summary and to show the property was not checked vacuously.
#[derive(Default)]
struct Stats {
    cases: u32,
    /// Per kind of write: how many succeeded, and how many were refused, by why.
    outcomes: BTreeMap<&'static str, Outcomes>,
    /// The most documents one upsert of a speaker, author or publication changed.
    widest_fan_out: usize,
}

async fn run_steps(
    db: &DatabaseConnection,
    world: &Bundle,
    ops: &[Op],
    ids: Ids,
    stats: &RefCell<Stats>,
) -> Result<(), String> {
    let empty = Snapshot::read(db).await;
    let outcome = bundle::import(db, world, ids).await.map(|_| None);
    if let Err(e) = &outcome {
        return Err(format!("importing the world failed: {e:?}"));
    }
    let (mut before, _) = check(db, "importing the world", &empty, &outcome, false).await?;
    for (i, op) in ops.iter().enumerate() {
        let outcome = apply(db, op, ids).await;
        let step = format!("step {i}, {op:#?}");
        if let Err(e) = &outcome
            && !is_refusal(e)
        {
            return Err(format!(
                "{step} failed with an error no write should give: {e:?}"
            ));
        }
        let (now, changed) = check(db, &step, &before, &outcome, op.changes_nothing()).await?;
        let mut stats = stats.borrow_mut();
        let counts = stats.outcomes.entry(op.kind()).or_default();
        match outcome {
            Ok(_) => counts.applied += 1,
            Err(e) => *counts.refused.entry(refusal(&e)).or_default() += 1,
        }
        if op.is_shared() {
            stats.widest_fan_out = stats.widest_fan_out.max(changed);
        }
        before = now;
    }
    Ok(())
}

async fn run_case(world: &Bundle, ops: &[Op], stats: &RefCell<Stats>) -> Result<(), String> {
    stats.borrow_mut().cases += 1;
    // Every other case gives new rows the test mode's derived ids: renames and re-creations
    // under an old slug must not trip over them.
    let ids = if stats.borrow().cases.is_multiple_of(2) {
        Ids::Derived
    } else {
        Ids::TimeOrdered
    };
    let test_db = TestDb::new().await;
    let db = db::connect_and_migrate(&test_db.url)
        .await
        .expect("connect and migrate");
    let outcome = run_steps(&db, world, ops, ids, stats).await;
    db.close().await.ok();
    outcome
}

#[test]
fn every_document_says_what_the_tables_say_after_every_write() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let stats = RefCell::new(Stats::default());
    let started = Instant::now();
    let strategy = (world(), vec(op(), 10..=25));
    let result = TestRunner::new(config()).run(&strategy, |(world, ops)| {
        runtime
            .block_on(run_case(&world, &ops, &stats))
            .map_err(TestCaseError::fail)
    });

    let stats = stats.into_inner();
    let outcomes: Vec<String> = stats
        .outcomes
        .iter()
        .map(|(kind, o)| format!("  {kind}: {} applied, refused {:?}", o.applied, o.refused))
        .collect();
    eprintln!(
        "read model: {} cases in {:.1}s; the widest fan-out of one upsert: {} documents\n{}",
        stats.cases,
        started.elapsed().as_secs_f64(),
        stats.widest_fan_out,
        outcomes.join("\n")
    );
    match result {
        Ok(()) => {}
        Err(TestError::Abort(why)) => panic!("aborted: {why}"),
        Err(TestError::Fail(why, (world, ops))) => {
            panic!("{why}\n\nminimal failing case:\nworld: {world:#?}\nwrites: {ops:#?}")
        }
    }
    let never_applied: Vec<&str> = op_kinds()
        .into_iter()
        .filter(|kind| stats.outcomes.get(kind).is_none_or(|o| o.applied == 0))
        .collect();
    assert!(
        never_applied.is_empty(),
        "no write of these kinds succeeded, so they went unchecked: {never_applied:?}"
    );
    assert!(
        stats.widest_fan_out >= 2,
        "no upsert of a speaker, author or publication changed several documents at once"
    );
}

fn op_kinds() -> Vec<&'static str> {
    vec![
        "import",
        "reimport",
        "create_article",
        "update_article",
        "publish_article",
        "unpublish_article",
        "archive_article",
        "delete_article",
        "upsert_speaker",
        "upsert_author",
        "upsert_publication",
    ]
}
