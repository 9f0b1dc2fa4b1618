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

use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
};

use entity::{
    article, article_document, article_search_doc, copyright, key_point, quote, related_link, tag,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, OnConflict, Query},
};
use uuid::Uuid;

use crate::{
    Result, article_parts, body,
    bundle::import::{LOOKUP_CHUNK, MAX_PARAMS},
    catalog,
    model::{Article, Author, Copyright, KeyPoint, Publication, Quote, RelatedLink, Speaker, Tag},
    search, speakers,
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
    /// The rows of written articles, as the write that wrote them has them: not read back.
    given: Written,
}

/// The rows a write just wrote for some articles, in the transaction whose data they are: the
/// articles and their lists. What they refer to (speakers, authors, publications) is read.
#[derive(Debug, Default)]
pub struct Written {
    pub articles: Vec<article::Model>,
    pub key_points: Vec<key_point::Model>,
    pub quotes: Vec<quote::Model>,
    pub related_links: Vec<related_link::Model>,
    /// Each article's tags: the article, the tag's position in its list, the tag.
    pub tags: Vec<(Uuid, i32, tag::Model)>,
    pub copyrights: Vec<copyright::Model>,
}

impl Stale {
    pub fn written(&mut self, articles: impl IntoIterator<Item = Uuid>) {
        self.written.extend(articles);
    }

    /// Articles written, with the rows the write wrote: they are built from these rather than
    /// read back.
    pub fn written_with(&mut self, rows: Written) {
        self.written.extend(rows.articles.iter().map(|a| a.id));
        self.given = rows;
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

        let (given, mut lists) = std::mem::take(&mut self.given).grouped();
        let known: BTreeSet<Uuid> = given.iter().map(|a| a.id).collect();
        let all: Vec<Uuid> = self
            .written
            .iter()
            .chain(&self.renamed)
            .chain(&self.touched)
            .filter(|id| !known.contains(id))
            .copied()
            .collect();
        // What the written articles refer to, read once for all of them.
        let referenced = Arc::new(
            Referenced::load(
                db,
                lists
                    .quotes
                    .values()
                    .flatten()
                    .map(|q| q.speaker_id)
                    .collect(),
                given.iter().filter_map(|a| a.author_id).collect(),
                given.iter().map(|a| a.publication_id).collect(),
            )
            .await?,
        );
        let mut given = given.into_iter().peekable();
        while given.peek().is_some() {
            let articles: Vec<article::Model> = given.by_ref().take(ARTICLES_PER_ROUND).collect();
            let rows = Rows {
                lists: lists.take(&articles),
                referenced: referenced.clone(),
                articles,
            };
            self.refresh_round(db, rows).await?;
        }
        for round in all.chunks(ARTICLES_PER_ROUND) {
            let rows = Rows::load(db, round).await?;
            self.refresh_round(db, rows).await?;
        }
        Ok(())
    }

    async fn refresh_round(&self, db: &impl ConnectionTrait, rows: Rows) -> Result<()> {
        let ids: Vec<Uuid> = rows.articles.iter().map(|a| a.id).collect();
        let renamed: Vec<Uuid> = ids
            .iter()
            .filter(|id| self.renamed.contains(id))
            .copied()
            .collect();
        // The plain text of bodies that did not change is read back, not rendered again.
        let mut plain_text = body_texts(db, &renamed).await?;
        let built = build_all(&rows, |id| self.written.contains(id))?;
        let (mut written, mut documents_only) = (Vec::new(), Vec::new());
        let mut searched = Vec::new();
        for (row, text) in built {
            if let Some(text) = text {
                plain_text.insert(row.article, text);
                searched.push(row.article);
                written.push(row);
            } else {
                if self.renamed.contains(&row.article) {
                    searched.push(row.article);
                }
                documents_only.push(row);
            }
        }
        upsert(db, written).await?;
        upsert(db, documents_only).await?;
        search::index::rewrite(db, &rows, &searched, &plain_text).await
    }
}

/// Articles per thread when a round's documents are built on two: below this, a thread costs
/// more than it saves.
const PER_THREAD: usize = 64;

/// The documents of `rows`' articles, with the renderings of the bodies `written` says
/// changed, and their plain text for the search index. Rendering is the costly part of a
/// write, and the database waits meanwhile: a large round is built on two threads.
fn build_all(
    rows: &Rows,
    written: impl Fn(&Uuid) -> bool + Sync,
) -> Result<Vec<(DocumentRow, Option<String>)>> {
    let build = |a: &article::Model| -> Result<(DocumentRow, Option<String>)> {
        let document = serialize(&rows.document(a)?)?;
        if !written(&a.id) {
            let row = DocumentRow {
                article: a.id,
                document,
                html: None,
                text: None,
            };
            return Ok((row, None));
        }
        let text = body::to_plain_text(&a.body);
        let row = DocumentRow {
            article: a.id,
            document,
            html: Some(body::to_html(&a.body)),
            text: Some(text.clone()),
        };
        Ok((row, Some(text)))
    };
    let articles = &rows.articles;
    if articles.len() < 2 * PER_THREAD {
        return articles.iter().map(build).collect();
    }
    let (first, second) = articles.split_at(articles.len() / 2);
    let (first, second) = std::thread::scope(|scope| {
        let other = scope.spawn(|| second.iter().map(build).collect::<Result<Vec<_>>>());
        let mine = first.iter().map(build).collect::<Result<Vec<_>>>();
        (mine, other.join())
    });
    let second = second
        .map_err(|_| crate::Error::Internal(anyhow::anyhow!("building documents panicked")))?;
    let mut all = first?;
    all.extend(second?);
    Ok(all)
}

/// A document to write, and the body's renderings when the body changed.
struct DocumentRow {
    article: Uuid,
    /// The document as JSON.
    document: String,
    html: Option<String>,
    text: Option<String>,
}

/// Writes documents: a new one at revision 1; one already there gets the new document (and
/// renderings, when given) and its revision raised. All `rows` give renderings, or none do
/// (then every row must exist already). The document is bound as text: on Postgres it is
/// cast to `json` there, which checks it and keeps it as written, where binding a JSON value
/// would have it parsed as `jsonb` and printed back.
async fn upsert(db: &impl ConnectionTrait, rows: Vec<DocumentRow>) -> Result<()> {
    use article_document::Column as C;
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let mut updated = vec![C::Document];
    if first.html.is_some() {
        updated.extend([C::BodyHtml, C::BodyText]);
    }
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let per_statement = MAX_PARAMS / 5;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut insert = Query::insert()
            .into_table(article_document::Entity)
            .columns([
                C::ArticleId,
                C::Revision,
                C::Document,
                C::BodyHtml,
                C::BodyText,
            ])
            .on_conflict(
                OnConflict::column(C::ArticleId)
                    .update_columns(updated.iter().copied())
                    .value(
                        C::Revision,
                        Expr::col((article_document::Entity, C::Revision)).add(1),
                    )
                    .to_owned(),
            )
            .to_owned();
        for row in rows.by_ref().take(per_statement) {
            let document = if postgres {
                Expr::val(row.document).cast_as(Alias::new("json"))
            } else {
                Expr::val(row.document)
            };
            insert
                .values([
                    row.article.into(),
                    1i64.into(),
                    document,
                    row.html.unwrap_or_default().into(),
                    row.text.unwrap_or_default().into(),
                ])
                .map_err(|e| anyhow::anyhow!("building the documents' insert: {e}"))?;
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

fn serialize(document: &Article) -> Result<String> {
    serde_json::to_string(document).map_err(|e| {
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

impl Written {
    /// The rows grouped by article, each list in its order.
    fn grouped(self) -> (Vec<article::Model>, Lists) {
        let Written {
            articles,
            mut key_points,
            mut quotes,
            mut related_links,
            mut tags,
            copyrights,
        } = self;
        key_points.sort_by_key(|k| (k.article_id, k.position));
        quotes.sort_by_key(|q| (q.article_id, q.position));
        related_links.sort_by_key(|l| (l.article_id, l.position));
        tags.sort_by_key(|(article, position, _)| (*article, *position));
        let lists = Lists {
            key_points: by_article(key_points, |k| k.article_id),
            quotes: by_article(quotes, |q| q.article_id),
            related_links: by_article(related_links, |l| l.article_id),
            tags: by_article(tags, |(article, _, _)| *article)
                .into_iter()
                .map(|(article, tags)| (article, tags.into_iter().map(|(_, _, t)| t).collect()))
                .collect(),
            copyrights: copyrights.into_iter().map(|c| (c.article_id, c)).collect(),
        };
        (articles, lists)
    }
}

/// Articles' lists, by article.
#[derive(Default)]
pub(crate) struct Lists {
    pub key_points: HashMap<Uuid, Vec<key_point::Model>>,
    pub quotes: HashMap<Uuid, Vec<quote::Model>>,
    related_links: HashMap<Uuid, Vec<related_link::Model>>,
    pub tags: HashMap<Uuid, Vec<tag::Model>>,
    copyrights: HashMap<Uuid, copyright::Model>,
}

impl Lists {
    /// The lists of `articles`, taken out.
    fn take(&mut self, articles: &[article::Model]) -> Self {
        fn move_to<T>(from: &mut HashMap<Uuid, T>, to: &mut HashMap<Uuid, T>, id: Uuid) {
            if let Some(value) = from.remove(&id) {
                to.insert(id, value);
            }
        }
        let mut taken = Self::default();
        for id in articles.iter().map(|a| a.id) {
            move_to(&mut self.key_points, &mut taken.key_points, id);
            move_to(&mut self.quotes, &mut taken.quotes, id);
            move_to(&mut self.related_links, &mut taken.related_links, id);
            move_to(&mut self.tags, &mut taken.tags, id);
            move_to(&mut self.copyrights, &mut taken.copyrights, id);
        }
        taken
    }
}

/// The rows of a round of articles: each article with everything its document and its search
/// documents are made of.
pub(crate) struct Rows {
    pub articles: Vec<article::Model>,
    pub lists: Lists,
    pub referenced: Arc<Referenced>,
}

/// What articles refer to, by id.
#[derive(Default)]
pub(crate) struct Referenced {
    pub speakers: HashMap<Uuid, Speaker>,
    authors: HashMap<Uuid, Author>,
    publications: HashMap<Uuid, Publication>,
}

impl Referenced {
    /// The speakers, authors and publications among these ids.
    async fn load(
        db: &impl ConnectionTrait,
        speakers: Vec<Uuid>,
        authors: Vec<Uuid>,
        publications: Vec<Uuid>,
    ) -> Result<Self> {
        let mut referenced = Self::default();
        for chunk in unique(speakers).chunks(LOOKUP_CHUNK) {
            referenced
                .speakers
                .extend(speakers::by_ids(db, chunk).await?);
        }
        for chunk in unique(authors).chunks(LOOKUP_CHUNK) {
            referenced
                .authors
                .extend(catalog::authors_by_ids(db, chunk).await?);
        }
        for chunk in unique(publications).chunks(LOOKUP_CHUNK) {
            referenced
                .publications
                .extend(catalog::publications_by_ids(db, chunk).await?);
        }
        Ok(referenced)
    }
}

/// Rows grouped by their article, in the order given.
fn by_article<T>(rows: Vec<T>, article: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut grouped: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        grouped.entry(article(&row)).or_default().push(row);
    }
    grouped
}

/// Sorted and without repeats.
fn unique(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

impl Rows {
    /// The rows of the articles `ids` as the database holds them: a statement per table.
    async fn load(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Self> {
        let articles = article::Entity::find()
            .filter(article::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?;
        let (quotes, speakers) = article_parts::quotes_with_speakers(db, ids).await?;
        let author_ids = unique(articles.iter().filter_map(|a| a.author_id).collect());
        let publication_ids = unique(articles.iter().map(|a| a.publication_id).collect());
        let referenced = Referenced {
            speakers: speakers
                .values()
                .map(|s| (s.id, Speaker::from(s)))
                .collect(),
            authors: catalog::authors_by_ids(db, &author_ids).await?,
            publications: catalog::publications_by_ids(db, &publication_ids).await?,
        };
        Ok(Self {
            lists: Lists {
                key_points: article_parts::key_points(db, ids).await?,
                quotes,
                related_links: article_parts::related_links(db, ids).await?,
                tags: article_parts::tags(db, ids).await?,
                copyrights: article_parts::copyrights(db, ids).await?,
            },
            referenced: Arc::new(referenced),
            articles,
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
            .referenced
            .publications
            .get(&a.publication_id)
            .ok_or_else(|| missing("publication", a.publication_id))?;
        let author = match a.author_id {
            Some(id) => Some(
                self.referenced
                    .authors
                    .get(&id)
                    .ok_or_else(|| missing("author", id))?
                    .clone(),
            ),
            None => None,
        };
        let quotes = list(&self.lists.quotes, a.id)
            .iter()
            .map(|q: &quote::Model| {
                let speaker = self
                    .referenced
                    .speakers
                    .get(&q.speaker_id)
                    .ok_or_else(|| missing("speaker", q.speaker_id))?;
                Ok(Quote {
                    id: q.id,
                    position: q.position,
                    text: q.text.clone(),
                    context: q.context.clone(),
                    speaker: speaker.clone(),
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
            tags: list(&self.lists.tags, a.id)
                .iter()
                .map(|t: &tag::Model| Tag {
                    id: t.id,
                    slug: t.slug.clone(),
                })
                .collect(),
            key_points: list(&self.lists.key_points, a.id)
                .iter()
                .map(|k: &key_point::Model| KeyPoint {
                    id: k.id,
                    position: k.position,
                    text: k.text.clone(),
                })
                .collect(),
            quotes,
            related_links: list(&self.lists.related_links, a.id)
                .iter()
                .map(|l: &related_link::Model| RelatedLink {
                    id: l.id,
                    position: l.position,
                    url: l.url.clone(),
                    title: l.title.clone(),
                    rel: l.rel,
                })
                .collect(),
            copyright: self.lists.copyrights.get(&a.id).map(|c| Copyright {
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
