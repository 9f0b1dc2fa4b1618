//! Exporting the database as a bundle, the import format: every article whatever its status,
//! and every publication, author and speaker even if nothing refers to it, so nothing is lost.
//! Entries are sorted by slug and lists kept in their order, so two exports of the same content
//! are byte-identical, and importing an export into the database it came from changes nothing.

use std::{collections::HashMap, future::Future};

use anyhow::anyhow;
use entity::{article, speaker};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IsolationLevel,
    TransactionTrait,
};
use uuid::Uuid;

use super::{
    Article, Author, Bundle, Copyright, Publication, PublicationLink, Quote, RelatedLink, Speaker,
    VERSION,
};
use crate::{Error, Result, article_parts, catalog, speakers};

/// Ids per look-up statement, well under SQLite's limit on bind parameters (32,766).
const CHUNK: usize = 1_000;

/// The whole content of the database as a bundle. Runs a fixed number of statements per 1,000
/// articles (one per table), whatever their size. Pass a transaction for a consistent view, or
/// call [`export_snapshot`].
pub async fn export(db: &impl ConnectionTrait) -> Result<Bundle> {
    let publications = catalog::publications(db).await?;
    let authors = catalog::authors(db).await?;
    let speakers = speaker::Entity::find().all(db).await?;
    let articles = article::Entity::find().all(db).await?;

    let known = Slugs {
        publications: slugs(publications.iter().map(|p| (p.id, &p.slug))),
        authors: slugs(authors.iter().map(|a| (a.id, &a.slug))),
        speakers: slugs(speakers.iter().map(|s| (s.id, &s.slug))),
    };
    let out = article_forms(db, articles, Some(known)).await?;

    let mut bundle = Bundle {
        version: VERSION,
        publications: publications
            .into_iter()
            .map(|p| Publication {
                links: p
                    .links
                    .into_iter()
                    .map(|l| PublicationLink {
                        label: l.label,
                        url: l.url,
                    })
                    .collect(),
                slug: p.slug,
                name: p.name,
                url: p.url,
                sponsor_message: p.sponsor_message,
            })
            .collect(),
        authors: authors
            .into_iter()
            .map(|a| Author {
                slug: a.slug,
                name: a.name,
                kind: a.kind,
            })
            .collect(),
        speakers: speakers
            .into_iter()
            .map(|s| Speaker {
                slug: s.slug,
                name: s.name,
                role: s.role,
                organization: s.organization,
            })
            .collect(),
        articles: out,
    };
    // Sorted here rather than by the database: Postgres collations order hyphens unlike SQLite,
    // and an export must not depend on where it came from.
    bundle.publications.sort_by(|a, b| a.slug.cmp(&b.slug));
    bundle.authors.sort_by(|a, b| a.slug.cmp(&b.slug));
    bundle.speakers.sort_by(|a, b| a.slug.cmp(&b.slug));
    bundle.articles.sort_by(|a, b| a.slug.cmp(&b.slug));
    Ok(bundle)
}

/// [`export`] in a read-only transaction that sees one snapshot of the database, so an import
/// committed meanwhile is in the export whole or not at all. Postgres needs REPEATABLE READ for
/// that; a SQLite read transaction (in WAL mode) is a snapshot already.
pub async fn export_snapshot(db: &DatabaseConnection) -> Result<Bundle> {
    let txn = match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        }
        _ => db.begin().await?,
    };
    let bundle = export(&txn).await?;
    txn.commit().await?;
    Ok(bundle)
}

/// The slugs of the publications, authors and speakers articles refer to, by id.
pub(crate) struct Slugs {
    publications: HashMap<Uuid, String>,
    authors: HashMap<Uuid, String>,
    speakers: HashMap<Uuid, String>,
}

/// The import form of `articles`, their lists loaded in one statement per list (per 1,000
/// articles). The slugs they refer to come from `known`, or are looked up by id.
pub(crate) async fn article_forms(
    db: &impl ConnectionTrait,
    articles: Vec<article::Model>,
    known: Option<Slugs>,
) -> Result<Vec<Article>> {
    let ids: Vec<Uuid> = articles.iter().map(|a| a.id).collect();
    let mut tags = in_chunks(&ids, |ids| article_parts::tags(db, ids)).await?;
    let mut key_points = in_chunks(&ids, |ids| article_parts::key_points(db, ids)).await?;
    let mut quotes = in_chunks(&ids, |ids| article_parts::quotes(db, ids)).await?;
    let mut related_links = in_chunks(&ids, |ids| article_parts::related_links(db, ids)).await?;
    let mut copyrights = in_chunks(&ids, |ids| article_parts::copyrights(db, ids)).await?;
    let known = match known {
        Some(known) => known,
        None => {
            let unique = |ids: Vec<Uuid>| {
                let mut ids = ids;
                ids.sort_unstable();
                ids.dedup();
                ids
            };
            let pubs = unique(articles.iter().map(|a| a.publication_id).collect());
            let auths = unique(articles.iter().filter_map(|a| a.author_id).collect());
            let spks = unique(quotes.values().flatten().map(|q| q.speaker_id).collect());
            let pubs = in_chunks(&pubs, |ids| catalog::publications_by_ids(db, ids)).await?;
            let auths = in_chunks(&auths, |ids| catalog::authors_by_ids(db, ids)).await?;
            let spks = in_chunks(&spks, |ids| speakers::by_ids(db, ids)).await?;
            Slugs {
                publications: slugs(pubs.iter().map(|(id, p)| (*id, &p.slug))),
                authors: slugs(auths.iter().map(|(id, a)| (*id, &a.slug))),
                speakers: slugs(spks.iter().map(|(id, s)| (*id, &s.slug))),
            }
        }
    };

    let mut out = Vec::with_capacity(articles.len());
    for a in articles {
        let slug_of = |slugs: &HashMap<Uuid, String>, id: Uuid, what: &str| {
            slugs.get(&id).cloned().ok_or_else(|| {
                Error::Internal(anyhow!(
                    "article {:?} refers to {what} {id}, which does not exist",
                    a.slug
                ))
            })
        };
        let publication = slug_of(&known.publications, a.publication_id, "publication")?;
        let author = a
            .author_id
            .map(|id| slug_of(&known.authors, id, "author"))
            .transpose()?;
        let quotes = quotes
            .remove(&a.id)
            .unwrap_or_default()
            .into_iter()
            .map(|q| {
                Ok(Quote {
                    speaker: slug_of(&known.speakers, q.speaker_id, "speaker")?,
                    text: q.text,
                    context: q.context,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.push(Article {
            tags: take(&mut tags, a.id, |t| t.slug),
            key_points: take(&mut key_points, a.id, |k| k.text),
            quotes,
            related_links: take(&mut related_links, a.id, |l| RelatedLink {
                url: l.url,
                title: l.title,
                rel: l.rel,
            }),
            copyright: copyrights.remove(&a.id).map(|c| Copyright {
                holder: c.holder,
                notice: c.notice,
                year: c.year,
                license: c.license,
            }),
            // Left out: the content's hash covers the import form, and the export of an
            // unchanged article must import as unchanged.
            created_at: None,
            updated_at: None,
            slug: a.slug,
            title: a.title,
            summary: a.summary,
            body: a.body,
            status: a.status,
            published_at: a.published_at,
            publication,
            author,
            section: a.section,
            canonical_url: a.canonical_url,
        });
    }
    Ok(out)
}

/// Runs a look-up keyed by ids over `ids` a chunk at a time, merging the answers.
async fn in_chunks<'a, T, F, Fut>(ids: &'a [Uuid], load: F) -> Result<HashMap<Uuid, T>>
where
    F: Fn(&'a [Uuid]) -> Fut,
    Fut: Future<Output = Result<HashMap<Uuid, T>>>,
{
    let mut all = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        all.extend(load(chunk).await?);
    }
    Ok(all)
}

/// The list `parent` owns, converted, in the order it was loaded (by position).
fn take<T, U>(
    lists: &mut HashMap<Uuid, Vec<T>>,
    parent: Uuid,
    convert: impl FnMut(T) -> U,
) -> Vec<U> {
    lists
        .remove(&parent)
        .unwrap_or_default()
        .into_iter()
        .map(convert)
        .collect()
}

fn slugs<'a>(rows: impl Iterator<Item = (Uuid, &'a String)>) -> HashMap<Uuid, String> {
    rows.map(|(id, slug)| (id, slug.clone())).collect()
}
