//! What is derived from an article and kept current with it: its read document (everything a
//! reader is served but the body, with the body rendered once as HTML and as plain text; see
//! [`crate::model`]) and its search documents (see [`crate::search::index`]).
//!
//! Both are rebuilt from the normalized tables, which stay the source of truth, inside the
//! transaction that changed them, by one mechanism: a write says which articles went
//! [`Stale`] and how, and [`Stale::refresh`] reads their rows once, a round of articles at a
//! time, and rewrites what depends on them. So a reader never sees a document older than the
//! write that returned, and a write that rolls back leaves no trace.
//!
//! Deleting an article deletes what is derived from it (ON DELETE CASCADE).

use std::collections::{BTreeSet, HashMap};

use entity::{article, article_document, article_search_doc, quote};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};
use uuid::Uuid;

use crate::{
    Result, article_parts, body,
    bundle::import::{LOOKUP_CHUNK, MAX_PARAMS},
    catalog,
    model::{Article, Author, Copyright, KeyPoint, Publication, Quote, RelatedLink, Speaker, Tag},
    search,
};

/// Articles rebuilt per round of statements.
const ARTICLES_PER_ROUND: usize = 500;

/// Articles whose derived data no longer says what their rows say, by what went stale.
#[derive(Debug, Default)]
pub struct Stale {
    /// Written themselves: their document, rendered body and search documents are rebuilt.
    written: BTreeSet<Uuid>,
    /// Quoting a speaker whose name changed: their document and search documents are rebuilt
    /// (the name is searched); the body is as it was.
    renamed: BTreeSet<Uuid>,
    /// Changed around them (status, publish time, a speaker's role, the author, the
    /// publication): their document alone is rebuilt.
    touched: BTreeSet<Uuid>,
}

impl Stale {
    pub fn written(&mut self, articles: impl IntoIterator<Item = Uuid>) {
        self.written.extend(articles);
    }

    pub fn renamed(&mut self, articles: impl IntoIterator<Item = Uuid>) {
        self.renamed.extend(articles);
    }

    pub fn touched(&mut self, articles: impl IntoIterator<Item = Uuid>) {
        self.touched.extend(articles);
    }

    pub fn is_empty(&self) -> bool {
        self.written.is_empty() && self.renamed.is_empty() && self.touched.is_empty()
    }

    /// Rebuilds what went stale from what the database holds now, inside `db` (the write's
    /// transaction). Ids of articles that no longer exist are skipped.
    pub async fn refresh(mut self, db: &impl ConnectionTrait) -> Result<()> {
        // An article whose document is missing gets one whole, however it went stale.
        let partial: Vec<Uuid> = self
            .renamed
            .union(&self.touched)
            .filter(|id| !self.written.contains(id))
            .copied()
            .collect();
        let documented = with_documents(db, &partial).await?;
        for id in partial.iter().filter(|id| !documented.contains(id)) {
            self.written.insert(*id);
        }
        self.renamed.retain(|id| !self.written.contains(id));
        self.touched
            .retain(|id| !self.written.contains(id) && !self.renamed.contains(id));

        let all: Vec<Uuid> = self
            .written
            .iter()
            .chain(&self.renamed)
            .chain(&self.touched)
            .copied()
            .collect();
        for round in all.chunks(ARTICLES_PER_ROUND) {
            self.refresh_round(db, round).await?;
        }
        Ok(())
    }

    async fn refresh_round(&self, db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<()> {
        let rows = Rows::load(db, ids).await?;
        let renamed: Vec<Uuid> = ids
            .iter()
            .filter(|id| self.renamed.contains(id))
            .copied()
            .collect();
        // The plain text of bodies that did not change is read back, not rendered again.
        let mut plain_text = body_texts(db, &renamed).await?;
        let (mut written, mut documents_only) = (Vec::new(), Vec::new());
        let mut searched = Vec::new();
        for a in &rows.articles {
            let document = serialize(&rows.document(a)?)?;
            if self.written.contains(&a.id) {
                let text = body::to_plain_text(&a.body);
                written.push(article_document::ActiveModel {
                    article_id: Set(a.id),
                    revision: Set(1),
                    document: Set(document),
                    body_html: Set(body::to_html(&a.body)),
                    body_text: Set(text.clone()),
                });
                plain_text.insert(a.id, text);
                searched.push(a.id);
            } else {
                if self.renamed.contains(&a.id) {
                    searched.push(a.id);
                }
                documents_only.push(article_document::ActiveModel {
                    article_id: Set(a.id),
                    revision: Set(1),
                    document: Set(document),
                    // Never written: the row exists (see `refresh`), and only the document
                    // and revision are updated.
                    body_html: Set(String::new()),
                    body_text: Set(String::new()),
                });
            }
        }
        upsert(
            db,
            written,
            &[
                article_document::Column::Document,
                article_document::Column::BodyHtml,
                article_document::Column::BodyText,
            ],
        )
        .await?;
        upsert(db, documents_only, &[article_document::Column::Document]).await?;
        search::index::rewrite(db, &rows, &searched, &plain_text).await
    }
}

/// Writes documents, a new one at revision 1; one already there gets `columns` and its
/// revision raised.
async fn upsert(
    db: &impl ConnectionTrait,
    rows: Vec<article_document::ActiveModel>,
    columns: &[article_document::Column],
) -> Result<()> {
    let per_statement = MAX_PARAMS / 5;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(per_statement).collect();
        let on_conflict = OnConflict::column(article_document::Column::ArticleId)
            .update_columns(columns.iter().copied())
            .value(
                article_document::Column::Revision,
                Expr::col((article_document::Entity, article_document::Column::Revision)).add(1),
            )
            .to_owned();
        article_document::Entity::insert_many(chunk)
            .on_conflict(on_conflict)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

fn serialize(document: &Article) -> Result<serde_json::Value> {
    serde_json::to_value(document).map_err(|e| {
        anyhow::Error::new(e)
            .context("serializing an article document")
            .into()
    })
}

/// Which of `ids` have a document.
async fn with_documents(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<BTreeSet<Uuid>> {
    let mut found = BTreeSet::new();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        found.extend(
            article_document::Entity::find()
                .select_only()
                .column(article_document::Column::ArticleId)
                .filter(article_document::Column::ArticleId.is_in(chunk.iter().copied()))
                .into_tuple::<Uuid>()
                .all(db)
                .await?,
        );
    }
    Ok(found)
}

/// The stored plain text of the bodies of `ids`.
async fn body_texts(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String)> = article_document::Entity::find()
        .select_only()
        .columns([
            article_document::Column::ArticleId,
            article_document::Column::BodyText,
        ])
        .filter(article_document::Column::ArticleId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The rows of a round of articles: each article with everything its document and its search
/// documents are made of, one statement per table.
pub(crate) struct Rows {
    pub articles: Vec<article::Model>,
    pub key_points: HashMap<Uuid, Vec<entity::key_point::Model>>,
    pub quotes: HashMap<Uuid, Vec<quote::Model>>,
    pub speakers: HashMap<Uuid, entity::speaker::Model>,
    pub tags: HashMap<Uuid, Vec<entity::tag::Model>>,
    related_links: HashMap<Uuid, Vec<entity::related_link::Model>>,
    copyrights: HashMap<Uuid, entity::copyright::Model>,
    authors: HashMap<Uuid, Author>,
    publications: HashMap<Uuid, Publication>,
}

impl Rows {
    async fn load(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Self> {
        let articles = article::Entity::find()
            .filter(article::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?;
        let (quotes, speakers) = article_parts::quotes_with_speakers(db, ids).await?;
        let unique = |mut ids: Vec<Uuid>| {
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let author_ids = unique(articles.iter().filter_map(|a| a.author_id).collect());
        let publication_ids = unique(articles.iter().map(|a| a.publication_id).collect());
        Ok(Self {
            key_points: article_parts::key_points(db, ids).await?,
            tags: article_parts::tags(db, ids).await?,
            related_links: article_parts::related_links(db, ids).await?,
            copyrights: article_parts::copyrights(db, ids).await?,
            authors: catalog::authors_by_ids(db, &author_ids).await?,
            publications: catalog::publications_by_ids(db, &publication_ids).await?,
            articles,
            quotes,
            speakers,
        })
    }

    /// The article's document, as its rows say.
    fn document(&self, a: &article::Model) -> Result<Article> {
        let missing = |what: &str, id: Uuid| {
            crate::Error::Internal(anyhow::anyhow!(
                "article {:?} refers to {what} {id}, which does not exist",
                a.slug
            ))
        };
        let publication = self
            .publications
            .get(&a.publication_id)
            .ok_or_else(|| missing("publication", a.publication_id))?;
        let author = match a.author_id {
            Some(id) => Some(
                self.authors
                    .get(&id)
                    .ok_or_else(|| missing("author", id))?
                    .clone(),
            ),
            None => None,
        };
        let quotes = list(&self.quotes, a.id)
            .iter()
            .map(|q: &quote::Model| {
                let speaker = self
                    .speakers
                    .get(&q.speaker_id)
                    .ok_or_else(|| missing("speaker", q.speaker_id))?;
                Ok(Quote {
                    id: q.id,
                    position: q.position,
                    text: q.text.clone(),
                    context: q.context.clone(),
                    speaker: Speaker::from(speaker),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Article {
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
            publication: publication.clone(),
            tags: list(&self.tags, a.id)
                .iter()
                .map(|t: &entity::tag::Model| Tag {
                    id: t.id,
                    slug: t.slug.clone(),
                })
                .collect(),
            key_points: list(&self.key_points, a.id)
                .iter()
                .map(|k: &entity::key_point::Model| KeyPoint {
                    id: k.id,
                    position: k.position,
                    text: k.text.clone(),
                })
                .collect(),
            quotes,
            related_links: list(&self.related_links, a.id)
                .iter()
                .map(|l: &entity::related_link::Model| RelatedLink {
                    id: l.id,
                    position: l.position,
                    url: l.url.clone(),
                    title: l.title.clone(),
                    rel: l.rel,
                })
                .collect(),
            copyright: self.copyrights.get(&a.id).map(|c| Copyright {
                holder: c.holder.clone(),
                notice: c.notice.clone(),
                year: c.year,
                license: c.license.clone(),
            }),
        })
    }
}

/// The list `owner` has in `lists`, in order; none is an empty one.
fn list<T>(lists: &HashMap<Uuid, Vec<T>>, owner: Uuid) -> &[T] {
    lists.get(&owner).map_or(&[], Vec::as_slice)
}

impl From<&entity::speaker::Model> for Speaker {
    fn from(s: &entity::speaker::Model) -> Self {
        Self {
            id: s.id,
            slug: s.slug.clone(),
            name: s.name.clone(),
            role: s.role.clone(),
            organization: s.organization.clone(),
        }
    }
}

/// The articles quoting one of `speakers`.
pub(crate) async fn quoting(db: &impl ConnectionTrait, speakers: &[Uuid]) -> Result<Vec<Uuid>> {
    referring::<quote::Entity>(
        db,
        quote::Column::ArticleId,
        quote::Column::SpeakerId,
        speakers,
    )
    .await
}

/// The articles by one of `authors`.
pub(crate) async fn by_authors(db: &impl ConnectionTrait, authors: &[Uuid]) -> Result<Vec<Uuid>> {
    referring::<article::Entity>(db, article::Column::Id, article::Column::AuthorId, authors).await
}

/// The articles in one of `publications`.
pub(crate) async fn in_publications(
    db: &impl ConnectionTrait,
    publications: &[Uuid],
) -> Result<Vec<Uuid>> {
    referring::<article::Entity>(
        db,
        article::Column::Id,
        article::Column::PublicationId,
        publications,
    )
    .await
}

/// The distinct `article` values of the rows whose `reference` is one of `ids`.
async fn referring<E: EntityTrait>(
    db: &impl ConnectionTrait,
    article: E::Column,
    reference: E::Column,
    ids: &[Uuid],
) -> Result<Vec<Uuid>> {
    let mut articles: Vec<Uuid> = Vec::new();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        articles.extend(
            E::find()
                .select_only()
                .column(article)
                .distinct()
                .filter(reference.is_in(chunk.iter().copied()))
                .into_tuple::<Uuid>()
                .all(db)
                .await?,
        );
    }
    Ok(articles)
}

/// Builds everything derived for articles that lack some of it (articles written before the
/// read model or search existed), in one transaction. Returns how many it built.
pub async fn backfill(db: &DatabaseConnection) -> Result<usize> {
    let documents = Query::select()
        .column(article_document::Column::ArticleId)
        .from(article_document::Entity)
        .to_owned();
    let searchable = Query::select()
        .column(article_search_doc::Column::ArticleId)
        .from(article_search_doc::Entity)
        .to_owned();
    let missing: Vec<Uuid> = article::Entity::find()
        .select_only()
        .column(article::Column::Id)
        .filter(
            sea_orm::Condition::any()
                .add(article::Column::Id.not_in_subquery(documents))
                .add(article::Column::Id.not_in_subquery(searchable)),
        )
        .into_tuple::<Uuid>()
        .all(db)
        .await?;
    if missing.is_empty() {
        return Ok(0);
    }
    let txn = crate::begin_write(db).await?;
    let mut stale = Stale::default();
    stale.written(missing.iter().copied());
    stale.refresh(&txn).await?;
    txn.commit().await?;
    Ok(missing.len())
}
