//! Editorial writes: create, update, publish, unpublish, archive and delete articles, and
//! upsert the speakers, authors and publications they refer to.
//!
//! Every write runs in one transaction (on any error nothing is written) and goes through the
//! import's validation and writer, so an article written here is exactly what importing its
//! bundle form would write, and exports and re-imports unchanged.

use chrono::{DateTime, Utc};
use entity::{article, author, publication};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::{
    ArticleStatus, Error, Result, Visibility,
    articles::{self, ArticleKey},
    bundle::{self, Bundle},
    catalog,
    derived::Stale,
    events,
    ids::Ids,
    model::{ArticleRead, Author, BodyFormat, Publication, Speaker},
    now, speakers, truncate_to_micros,
};

/// Changes to an article: `None` leaves a field as it is; a given list replaces the whole
/// list; `Some(None)` clears an optional field.
#[derive(Clone, Debug, Default)]
pub struct ArticlePatch {
    pub slug: Option<String>,
    pub title: Option<String>,
    pub summary: Option<Option<String>>,
    pub body: Option<String>,
    pub section: Option<Option<String>>,
    pub canonical_url: Option<Option<String>>,
    pub publication: Option<String>,
    pub author: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub key_points: Option<Vec<String>>,
    pub quotes: Option<Vec<bundle::Quote>>,
    pub related_links: Option<Vec<bundle::RelatedLink>>,
    pub copyright: Option<Option<bundle::Copyright>>,
}

/// Renames the field of an `Invalid` error from where the import found it (`articles[0]
/// ("slug").title`) to where the caller gave it (`input.title`).
fn as_input(err: Error) -> Error {
    match err {
        Error::Invalid { field, message } => {
            let inner = field
                .split_once(").")
                .map_or(field.as_str(), |(_, rest)| rest);
            Error::invalid(format!("input.{inner}"), message)
        }
        other => other,
    }
}

fn empty() -> Bundle {
    Bundle {
        version: bundle::VERSION,
        publications: vec![],
        authors: vec![],
        speakers: vec![],
        articles: vec![],
    }
}

fn single_article(article: bundle::Article) -> Bundle {
    Bundle {
        articles: vec![article],
        ..empty()
    }
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<article::Model> {
    article::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no article with id {id}")))
}

async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<article::Model> {
    article::Entity::find()
        .filter(article::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| {
            Error::Internal(anyhow::anyhow!(
                "article {slug:?} vanished inside its transaction"
            ))
        })
}

/// An article in the import form, as stored.
async fn bundle_form(db: &impl ConnectionTrait, a: &article::Model) -> Result<bundle::Article> {
    let mut forms = bundle::article_forms(db, vec![a.clone()], None).await?;
    forms
        .pop()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("no import form for article {}", a.slug)))
}

/// Fails with `Conflict` if another article has `slug`.
async fn slug_is_free(db: &impl ConnectionTrait, slug: &str, except: Option<Uuid>) -> Result<()> {
    let taken = article::Entity::find()
        .filter(article::Column::Slug.eq(slug))
        .one(db)
        .await?
        .filter(|a| Some(a.id) != except);
    match taken {
        Some(_) => Err(Error::Conflict(format!(
            "an article with slug {slug:?} already exists"
        ))),
        None => Ok(()),
    }
}

async fn commit<T>(txn: DatabaseTransaction, value: T) -> Result<T> {
    txn.commit().await?;
    events::written();
    Ok(value)
}

/// The article `id` as a reader with every right sees it once the transaction commits, with
/// its body in every form.
async fn read_back(txn: &DatabaseTransaction, id: Uuid) -> Result<ArticleRead> {
    let all = BodyFormat::ALL.into_iter().collect();
    articles::find(txn, Visibility::All, &ArticleKey::Id(id), all)
        .await?
        .ok_or_else(|| {
            Error::Internal(anyhow::anyhow!(
                "article {id} vanished inside its transaction"
            ))
        })
}

/// Creates an article as a DRAFT. Its publication, author and speakers must exist; its tags
/// are created on first use.
pub async fn create_article(
    db: &DatabaseConnection,
    mut input: bundle::Article,
    ids: Ids,
) -> Result<ArticleRead> {
    input.status = ArticleStatus::Draft;
    input.published_at = None;
    input.validate().map_err(as_input)?;
    let txn = super::begin_write(db).await?;
    slug_is_free(&txn, &input.slug, None).await?;
    bundle::import_in(&txn, &single_article(input.clone()), ids)
        .await
        .map_err(as_input)?;
    let created = find_by_slug(&txn, &input.slug).await?;
    let read = read_back(&txn, created.id).await?;
    commit(txn, read).await
}

/// Applies `patch` to the article `id`.
pub async fn update_article(
    db: &DatabaseConnection,
    id: Uuid,
    patch: ArticlePatch,
    ids: Ids,
) -> Result<ArticleRead> {
    let txn = super::begin_write(db).await?;
    let current = find(&txn, id).await?;
    let mut form = bundle_form(&txn, &current).await?;
    let ArticlePatch {
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
    } = patch;
    macro_rules! apply {
        ($($field:ident),*) => { $( if let Some(v) = $field { form.$field = v; } )* };
    }
    apply!(
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
        copyright
    );
    form.validate().map_err(as_input)?;
    if form.slug != current.slug {
        // Rename first, so the upsert by slug below finds this very row.
        slug_is_free(&txn, &form.slug, Some(id)).await?;
        article::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(id),
            slug: Set(form.slug.clone()),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    bundle::import_in(&txn, &single_article(form.clone()), ids)
        .await
        .map_err(as_input)?;
    let read = read_back(&txn, id).await?;
    commit(txn, read).await
}

/// Changes an article's status (and publish time), leaving its content as it is.
async fn set_status(
    db: &DatabaseConnection,
    id: Uuid,
    status: ArticleStatus,
    published_at: impl FnOnce(Option<DateTime<Utc>>) -> Option<DateTime<Utc>>,
) -> Result<ArticleRead> {
    let txn = super::begin_write(db).await?;
    let current = find(&txn, id).await?;
    let mut form = bundle_form(&txn, &current).await?;
    form.status = status;
    form.published_at = published_at(current.published_at).map(truncate_to_micros);
    let t = now();
    let before = events::Before {
        status: current.status,
        announced: current.announced,
    };
    let (kind, announced) = events::classify(Some(before), status, form.published_at, t);
    let revision = current.revision + 1;
    article::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        status: Set(status),
        published_at: Set(form.published_at),
        content_hash: Set(bundle::content_hash(&form)),
        revision: Set(revision),
        announced: Set(announced),
        updated_at: Set(t),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let change = events::Change {
        kind,
        article_id: id,
        slug: current.slug.clone(),
        revision,
    };
    events::record(&txn, vec![change]).await?;
    let mut stale = Stale::default();
    stale.touched([id]);
    stale.refresh(&txn).await?;
    let read = read_back(&txn, id).await?;
    commit(txn, read).await
}

/// Publishes now, or at `at`: a time in the future schedules the article, hidden from
/// anonymous readers until then.
pub async fn publish_article(
    db: &DatabaseConnection,
    id: Uuid,
    at: Option<DateTime<Utc>>,
) -> Result<ArticleRead> {
    let at = at.unwrap_or_else(now);
    set_status(db, id, ArticleStatus::Published, |_| Some(at)).await
}

/// Back to DRAFT; the publish time is kept, so republishing can restore it.
pub async fn unpublish_article(db: &DatabaseConnection, id: Uuid) -> Result<ArticleRead> {
    set_status(db, id, ArticleStatus::Draft, |t| t).await
}

pub async fn archive_article(db: &DatabaseConnection, id: Uuid) -> Result<ArticleRead> {
    set_status(db, id, ArticleStatus::Archived, |t| t).await
}

/// Deletes an article with its key points, quotes, links, tags and copyright, and everything
/// derived from it (ON DELETE CASCADE).
pub async fn delete_article(db: &DatabaseConnection, id: Uuid) -> Result<()> {
    let txn = super::begin_write(db).await?;
    let current = find(&txn, id).await?;
    article::Entity::delete_by_id(id).exec(&txn).await?;
    let change = events::Change {
        kind: events::EventKind::Deleted,
        article_id: id,
        slug: current.slug,
        revision: current.revision + 1,
    };
    events::record(&txn, vec![change]).await?;
    commit(txn, ()).await
}

/// Creates or updates by slug: the catalogue entries articles refer to.
async fn upsert(db: &DatabaseConnection, bundle: Bundle, ids: Ids) -> Result<()> {
    let txn = super::begin_write(db).await?;
    bundle::import_in(&txn, &bundle, ids)
        .await
        .map_err(as_input)?;
    commit(txn, ()).await
}

pub async fn upsert_speaker(
    db: &DatabaseConnection,
    input: bundle::Speaker,
    ids: Ids,
) -> Result<Speaker> {
    let slug = input.slug.clone();
    upsert(
        db,
        Bundle {
            speakers: vec![input],
            ..empty()
        },
        ids,
    )
    .await?;
    speakers::find_by_slug(db, &slug)
        .await?
        .ok_or_else(|| vanished(&slug))
}

pub async fn upsert_author(
    db: &DatabaseConnection,
    input: bundle::Author,
    ids: Ids,
) -> Result<Author> {
    let slug = input.slug.clone();
    upsert(
        db,
        Bundle {
            authors: vec![input],
            ..empty()
        },
        ids,
    )
    .await?;
    author::Entity::find()
        .filter(author::Column::Slug.eq(slug.as_str()))
        .one(db)
        .await?
        .map(catalog::author)
        .ok_or_else(|| vanished(&slug))
}

pub async fn upsert_publication(
    db: &DatabaseConnection,
    input: bundle::Publication,
    ids: Ids,
) -> Result<Publication> {
    let slug = input.slug.clone();
    upsert(
        db,
        Bundle {
            publications: vec![input],
            ..empty()
        },
        ids,
    )
    .await?;
    let select = publication::Entity::find().filter(publication::Column::Slug.eq(slug.as_str()));
    catalog::with_links(db, select)
        .await?
        .pop()
        .ok_or_else(|| vanished(&slug))
}

fn vanished(slug: &str) -> Error {
    Error::Internal(anyhow::anyhow!("{slug:?} vanished after its upsert"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_input_field() {
        for (from, to) in [
            (r#"articles[0] ("a").title"#, "input.title"),
            (
                r#"articles[0] ("a").quotes[1].speaker"#,
                "input.quotes[1].speaker",
            ),
            (r#"speakers[0] ("a").name"#, "input.name"),
            ("title", "input.title"),
            ("quotes[2].text", "input.quotes[2].text"),
        ] {
            let Error::Invalid { field, .. } = as_input(Error::invalid(from, "m")) else {
                panic!()
            };
            assert_eq!(field, to, "{from}");
        }
    }
}
