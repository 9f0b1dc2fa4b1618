//! Importing a bundle: validated first, then written in one transaction (a bad file changes
//! nothing), upserting by slug with batched inserts. Content that is already there unchanged is
//! not written again, so importing the same file twice changes nothing.

use std::{collections::HashMap, fmt};

use entity::{
    article, article_tag, author, copyright, key_point, publication, publication_link, quote,
    related_link, speaker, tag,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, EntityTrait, FromQueryResult, IntoActiveModel, QueryFilter,
    QuerySelect,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Article, Bundle, locate};
use crate::{
    ArticleStatus, Error, Result, body,
    derived::{self, Stale, Written},
    events,
    ids::Ids,
    now, truncate_to_micros,
};

/// Bind parameters per statement, kept well under SQLite's limit (32,766) and Postgres' (65,535).
pub(crate) const MAX_PARAMS: usize = 30_000;
/// Slugs per look-up statement.
pub(crate) const LOOKUP_CHUNK: usize = 1_000;

/// What an import did to one kind of entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub publications: Counts,
    pub authors: Counts,
    pub speakers: Counts,
    pub articles: Counts,
    pub tags_created: usize,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} unchanged",
            self.created, self.updated, self.unchanged
        )
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "publications: {}", self.publications)?;
        writeln!(f, "authors:      {}", self.authors)?;
        writeln!(f, "speakers:     {}", self.speakers)?;
        writeln!(f, "articles:     {}", self.articles)?;
        write!(f, "tags:         {} created", self.tags_created)
    }
}

/// Validates `bundle` and writes it in one transaction, new rows getting `ids`.
pub async fn import(db: &DatabaseConnection, bundle: &Bundle, ids: Ids) -> Result<ImportReport> {
    bundle.validate()?;
    let txn = crate::begin_write(db).await?;
    let report = Importer::new(ids).run(&txn, bundle).await?;
    txn.commit().await?;
    events::written();
    if report.articles.created + report.articles.updated >= ANALYZE_AFTER {
        refresh_statistics(db).await;
    }
    Ok(report)
}

/// Articles written by one import after which Postgres's planner statistics are refreshed.
const ANALYZE_AFTER: usize = 1_000;

/// Refreshes Postgres's planner statistics for the content tables, and their visibility maps.
/// Until autovacuum gets to it (a minute or more later), the planner would take a freshly
/// filled table for an empty one, and a search it should answer from the full-text index in a
/// millisecond would walk every article instead (measured: 0.7 ms against 55 ms at 10,000
/// articles); and a count of visible articles, which an index answers alone once the table is
/// vacuumed, would read every row (2 ms against 10 ms). The import has committed by now, so a
/// failure here is only logged.
async fn refresh_statistics(db: &DatabaseConnection) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let sql = "VACUUM (ANALYZE) articles, article_documents, article_search_docs, quotes, \
               quote_search_docs, key_points, related_links, article_tags, tags, speakers, \
               copyrights";
    if let Err(error) = db.execute_unprepared(sql).await {
        tracing::warn!(%error, "could not refresh planner statistics after the import");
    }
}

/// Validates `bundle` and writes it inside a transaction the caller holds (a mutation that
/// does more in the same transaction).
pub(crate) async fn import_in(
    txn: &DatabaseTransaction,
    bundle: &Bundle,
    ids: Ids,
) -> Result<ImportReport> {
    bundle.validate()?;
    Importer::new(ids).run(txn, bundle).await
}

/// Slug-to-id maps filled as the import goes.
#[derive(Default)]
struct Importer {
    ids: Ids,
    publications: HashMap<String, Uuid>,
    authors: HashMap<String, Uuid>,
    speakers: HashMap<String, Uuid>,
    tags: HashMap<String, Uuid>,
    /// Articles created or changed, with the rows written for them: everything derived from
    /// them is rebuilt from these.
    written: Written,
    /// Tags by id, as in the database (created by this import or found there).
    tag_rows: HashMap<Uuid, tag::Model>,
    /// Speakers whose name changed: the articles quoting them are searched by it, and show it.
    renamed_speakers: Vec<Uuid>,
    /// Speakers whose role or organization changed: the articles quoting them show it.
    changed_speakers: Vec<Uuid>,
    /// Authors and publications that changed: the articles they wrote or carry show them.
    changed_authors: Vec<Uuid>,
    changed_publications: Vec<Uuid>,
    /// What happened to each article written, recorded as events with the write.
    changes: Vec<events::Change>,
    report: ImportReport,
}

impl Importer {
    fn new(ids: Ids) -> Self {
        Self {
            ids,
            ..Self::default()
        }
    }

    /// The id of a new article. A derived id can be taken: an article renamed away from this
    /// slug keeps the id its first slug gave it.
    async fn new_article_id(&self, txn: &impl ConnectionTrait, slug: &str) -> Result<Uuid> {
        let mut attempt = 0;
        loop {
            let id = self.ids.entry("article", slug, attempt);
            if self.ids == Ids::TimeOrdered
                || article::Entity::find_by_id(id).one(txn).await?.is_none()
            {
                return Ok(id);
            }
            attempt += 1;
        }
    }
}

async fn find_by_slugs<E, C>(db: &C, column: E::Column, slugs: &[&str]) -> Result<Vec<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut found = Vec::new();
    for chunk in slugs.chunks(LOOKUP_CHUNK) {
        found.extend(
            E::find()
                .filter(column.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(found)
}

/// Inserts `rows` in as few statements as the parameter limit allows (each row binds one
/// parameter per column of its table).
pub(crate) async fn insert_all<A, C>(db: &C, rows: Vec<A>) -> Result<()>
where
    A: ActiveModelTrait + Send,
    C: ConnectionTrait,
{
    use sea_orm::Iterable;
    let columns = <<A::Entity as EntityTrait>::Column as Iterable>::iter().count();
    let per_statement = (MAX_PARAMS / columns.max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        A::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

async fn delete_children<E, C>(db: &C, column: E::Column, parents: &[Uuid]) -> Result<()>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    for chunk in parents.chunks(LOOKUP_CHUNK) {
        E::delete_many()
            .filter(column.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// A stable digest of an article's import form: equal digests, equal content.
pub(crate) fn content_hash(article: &Article) -> String {
    let mut canonical = article.clone();
    canonical.published_at = canonical.published_at.map(truncate_to_micros);
    canonical.created_at = canonical.created_at.map(truncate_to_micros);
    canonical.updated_at = canonical.updated_at.map(truncate_to_micros);
    // Serializing plain data cannot fail.
    let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
    format!("{:x}", Sha256::digest(bytes))
}

#[derive(FromQueryResult)]
struct ExistingArticle {
    id: Uuid,
    slug: String,
    content_hash: String,
    created_at: chrono::DateTime<chrono::Utc>,
    status: ArticleStatus,
    announced: bool,
    revision: i64,
}

impl Importer {
    async fn run(mut self, txn: &impl ConnectionTrait, bundle: &Bundle) -> Result<ImportReport> {
        self.publications(txn, bundle).await?;
        self.authors(txn, bundle).await?;
        self.speakers(txn, bundle).await?;
        self.resolve_references(txn, bundle).await?;
        self.tags(txn, bundle).await?;
        self.articles(txn, bundle).await?;
        let mut stale = Stale::default();
        stale.written_with(std::mem::take(&mut self.written));
        stale.renamed(derived::quoting(txn, &self.renamed_speakers).await?);
        stale.touched(derived::quoting(txn, &self.changed_speakers).await?);
        stale.touched(derived::by_authors(txn, &self.changed_authors).await?);
        stale.touched(derived::in_publications(txn, &self.changed_publications).await?);
        stale.refresh(txn).await?;
        events::record(txn, std::mem::take(&mut self.changes)).await?;
        Ok(self.report)
    }

    async fn publications(&mut self, txn: &impl ConnectionTrait, bundle: &Bundle) -> Result<()> {
        let slugs: Vec<&str> = bundle
            .publications
            .iter()
            .map(|p| p.slug.as_str())
            .collect();
        let existing: HashMap<String, publication::Model> =
            find_by_slugs::<publication::Entity, _>(txn, publication::Column::Slug, &slugs)
                .await?
                .into_iter()
                .map(|p| (p.slug.clone(), p))
                .collect();
        let ids: Vec<Uuid> = existing.values().map(|p| p.id).collect();
        let existing_links = crate::catalog::publication_links(txn, &ids).await?;
        let t = now();
        let (mut rows, mut links, mut replaced) = (Vec::new(), Vec::new(), Vec::new());
        for p in &bundle.publications {
            let id = match existing.get(&p.slug) {
                Some(old) => {
                    let old_links: Vec<(&str, &str)> = existing_links
                        .get(&old.id)
                        .map(|l| {
                            l.iter()
                                .map(|l| (l.label.as_str(), l.url.as_str()))
                                .collect()
                        })
                        .unwrap_or_default();
                    let new_links: Vec<(&str, &str)> = p
                        .links
                        .iter()
                        .map(|l| (l.label.as_str(), l.url.as_str()))
                        .collect();
                    let same = old.name == p.name
                        && old.url == p.url
                        && old.sponsor_message == p.sponsor_message
                        && old_links == new_links;
                    self.publications.insert(p.slug.clone(), old.id);
                    if same {
                        self.report.publications.unchanged += 1;
                        continue;
                    }
                    publication::ActiveModel {
                        id: sea_orm::ActiveValue::Unchanged(old.id),
                        name: Set(p.name.clone()),
                        url: Set(p.url.clone()),
                        sponsor_message: Set(p.sponsor_message.clone()),
                        updated_at: Set(t),
                        ..Default::default()
                    }
                    .update(txn)
                    .await?;
                    replaced.push(old.id);
                    self.changed_publications.push(old.id);
                    self.report.publications.updated += 1;
                    old.id
                }
                None => {
                    let id = self.ids.entry("publication", &p.slug, 0);
                    rows.push(publication::ActiveModel {
                        id: Set(id),
                        slug: Set(p.slug.clone()),
                        name: Set(p.name.clone()),
                        url: Set(p.url.clone()),
                        sponsor_message: Set(p.sponsor_message.clone()),
                        created_at: Set(t),
                        updated_at: Set(t),
                    });
                    self.publications.insert(p.slug.clone(), id);
                    self.report.publications.created += 1;
                    id
                }
            };
            for (i, l) in p.links.iter().enumerate() {
                links.push(publication_link::ActiveModel {
                    id: Set(self.ids.part(id, "link", i + 1)),
                    publication_id: Set(id),
                    position: Set(i as i32 + 1),
                    label: Set(l.label.clone()),
                    url: Set(l.url.clone()),
                    created_at: Set(t),
                    updated_at: Set(t),
                });
            }
        }
        insert_all(txn, rows).await?;
        delete_children::<publication_link::Entity, _>(
            txn,
            publication_link::Column::PublicationId,
            &replaced,
        )
        .await?;
        insert_all(txn, links).await
    }

    async fn authors(&mut self, txn: &impl ConnectionTrait, bundle: &Bundle) -> Result<()> {
        let slugs: Vec<&str> = bundle.authors.iter().map(|a| a.slug.as_str()).collect();
        let existing: HashMap<String, author::Model> =
            find_by_slugs::<author::Entity, _>(txn, author::Column::Slug, &slugs)
                .await?
                .into_iter()
                .map(|a| (a.slug.clone(), a))
                .collect();
        let t = now();
        let mut rows = Vec::new();
        for a in &bundle.authors {
            match existing.get(&a.slug) {
                Some(old) if old.name == a.name && old.kind == a.kind => {
                    self.authors.insert(a.slug.clone(), old.id);
                    self.report.authors.unchanged += 1;
                }
                Some(old) => {
                    author::ActiveModel {
                        id: sea_orm::ActiveValue::Unchanged(old.id),
                        name: Set(a.name.clone()),
                        kind: Set(a.kind),
                        updated_at: Set(t),
                        ..Default::default()
                    }
                    .update(txn)
                    .await?;
                    self.authors.insert(a.slug.clone(), old.id);
                    self.changed_authors.push(old.id);
                    self.report.authors.updated += 1;
                }
                None => {
                    let id = self.ids.entry("author", &a.slug, 0);
                    rows.push(author::ActiveModel {
                        id: Set(id),
                        slug: Set(a.slug.clone()),
                        name: Set(a.name.clone()),
                        kind: Set(a.kind),
                        created_at: Set(t),
                        updated_at: Set(t),
                    });
                    self.authors.insert(a.slug.clone(), id);
                    self.report.authors.created += 1;
                }
            }
        }
        insert_all(txn, rows).await
    }

    async fn speakers(&mut self, txn: &impl ConnectionTrait, bundle: &Bundle) -> Result<()> {
        let slugs: Vec<&str> = bundle.speakers.iter().map(|s| s.slug.as_str()).collect();
        let existing: HashMap<String, speaker::Model> =
            find_by_slugs::<speaker::Entity, _>(txn, speaker::Column::Slug, &slugs)
                .await?
                .into_iter()
                .map(|s| (s.slug.clone(), s))
                .collect();
        let t = now();
        let mut rows = Vec::new();
        for s in &bundle.speakers {
            match existing.get(&s.slug) {
                Some(old)
                    if old.name == s.name
                        && old.role == s.role
                        && old.organization == s.organization =>
                {
                    self.speakers.insert(s.slug.clone(), old.id);
                    self.report.speakers.unchanged += 1;
                }
                Some(old) => {
                    if old.name != s.name {
                        self.renamed_speakers.push(old.id);
                    } else {
                        self.changed_speakers.push(old.id);
                    }
                    speaker::ActiveModel {
                        id: sea_orm::ActiveValue::Unchanged(old.id),
                        name: Set(s.name.clone()),
                        role: Set(s.role.clone()),
                        organization: Set(s.organization.clone()),
                        updated_at: Set(t),
                        ..Default::default()
                    }
                    .update(txn)
                    .await?;
                    self.speakers.insert(s.slug.clone(), old.id);
                    self.report.speakers.updated += 1;
                }
                None => {
                    let id = self.ids.entry("speaker", &s.slug, 0);
                    rows.push(speaker::ActiveModel {
                        id: Set(id),
                        slug: Set(s.slug.clone()),
                        name: Set(s.name.clone()),
                        role: Set(s.role.clone()),
                        organization: Set(s.organization.clone()),
                        created_at: Set(t),
                        updated_at: Set(t),
                    });
                    self.speakers.insert(s.slug.clone(), id);
                    self.report.speakers.created += 1;
                }
            }
        }
        insert_all(txn, rows).await
    }

    /// Articles may refer to publications, authors and speakers already in the database;
    /// looks those up, and names the first reference that exists nowhere.
    async fn resolve_references(
        &mut self,
        txn: &impl ConnectionTrait,
        bundle: &Bundle,
    ) -> Result<()> {
        let mut pubs: Vec<&str> = Vec::new();
        let mut authors: Vec<&str> = Vec::new();
        let mut speakers: Vec<&str> = Vec::new();
        for a in &bundle.articles {
            if !self.publications.contains_key(&a.publication) {
                pubs.push(&a.publication);
            }
            if let Some(author) = a
                .author
                .as_deref()
                .filter(|s| !self.authors.contains_key(*s))
            {
                authors.push(author);
            }
            speakers.extend(
                a.quotes
                    .iter()
                    .map(|q| q.speaker.as_str())
                    .filter(|s| !self.speakers.contains_key(*s)),
            );
        }
        for found in
            find_by_slugs::<publication::Entity, _>(txn, publication::Column::Slug, &dedup(pubs))
                .await?
        {
            self.publications.insert(found.slug, found.id);
        }
        for found in
            find_by_slugs::<author::Entity, _>(txn, author::Column::Slug, &dedup(authors)).await?
        {
            self.authors.insert(found.slug, found.id);
        }
        for found in
            find_by_slugs::<speaker::Entity, _>(txn, speaker::Column::Slug, &dedup(speakers))
                .await?
        {
            self.speakers.insert(found.slug, found.id);
        }
        for (i, a) in bundle.articles.iter().enumerate() {
            let place = format!("articles[{i}] ({:?})", a.slug);
            if !self.publications.contains_key(&a.publication) {
                let msg = format!(
                    "unknown publication {:?}: neither in the bundle nor in the database",
                    a.publication
                );
                return Err(locate(Error::invalid("publication", msg), &place));
            }
            if let Some(author) = a.author.as_ref().filter(|s| !self.authors.contains_key(*s)) {
                let msg =
                    format!("unknown author {author:?}: neither in the bundle nor in the database");
                return Err(locate(Error::invalid("author", msg), &place));
            }
            for (j, q) in a.quotes.iter().enumerate() {
                if !self.speakers.contains_key(&q.speaker) {
                    let msg = format!(
                        "unknown speaker {:?}: neither in the bundle nor in the database",
                        q.speaker
                    );
                    return Err(locate(
                        Error::invalid(format!("quotes[{j}].speaker"), msg),
                        &place,
                    ));
                }
            }
        }
        Ok(())
    }

    async fn tags(&mut self, txn: &impl ConnectionTrait, bundle: &Bundle) -> Result<()> {
        let slugs = dedup(
            bundle
                .articles
                .iter()
                .flat_map(|a| a.tags.iter().map(String::as_str))
                .collect(),
        );
        for t in find_by_slugs::<tag::Entity, _>(txn, tag::Column::Slug, &slugs).await? {
            self.tags.insert(t.slug.clone(), t.id);
            self.tag_rows.insert(t.id, t);
        }
        let t = now();
        let mut rows = Vec::new();
        for slug in slugs {
            if !self.tags.contains_key(slug) {
                let id = self.ids.entry("tag", slug, 0);
                self.tags.insert(slug.to_owned(), id);
                let row = tag::Model {
                    id,
                    slug: slug.to_owned(),
                    created_at: t,
                    updated_at: t,
                };
                rows.push(row.clone().into_active_model());
                self.tag_rows.insert(id, row);
            }
        }
        self.report.tags_created = rows.len();
        insert_all(txn, rows).await
    }

    async fn articles(&mut self, txn: &impl ConnectionTrait, bundle: &Bundle) -> Result<()> {
        let slugs: Vec<&str> = bundle.articles.iter().map(|a| a.slug.as_str()).collect();
        let mut existing: HashMap<String, ExistingArticle> = HashMap::new();
        for chunk in slugs.chunks(LOOKUP_CHUNK) {
            let rows = article::Entity::find()
                .select_only()
                .columns([
                    article::Column::Id,
                    article::Column::Slug,
                    article::Column::ContentHash,
                    article::Column::CreatedAt,
                    article::Column::Status,
                    article::Column::Announced,
                    article::Column::Revision,
                ])
                .filter(article::Column::Slug.is_in(chunk.iter().copied()))
                // On Postgres, held until the import commits: the scheduler announcing one of
                // these meanwhile would make its event twice.
                .lock_exclusive()
                .into_model::<ExistingArticle>()
                .all(txn)
                .await?;
            existing.extend(rows.into_iter().map(|r| (r.slug.clone(), r)));
        }

        let t = now();
        let mut new_rows = Vec::new();
        let mut replaced = Vec::new();
        let mut parts = Parts::default();
        for a in &bundle.articles {
            let hash = content_hash(a);
            let (id, created_at, before, revision) = match existing.get(&a.slug) {
                Some(old) if old.content_hash == hash => {
                    self.report.articles.unchanged += 1;
                    continue;
                }
                Some(old) => (
                    old.id,
                    Some(old.created_at),
                    Some(events::Before {
                        status: old.status,
                        announced: old.announced,
                    }),
                    old.revision + 1,
                ),
                None => (self.new_article_id(txn, &a.slug).await?, None, None, 1),
            };
            let published_at = a.published_at.map(truncate_to_micros);
            let (kind, announced) = events::classify(before, a.status, published_at, t);
            self.changes.push(events::Change {
                kind,
                article_id: id,
                slug: a.slug.clone(),
                revision,
            });
            let mut row = article::ActiveModel {
                id: Set(id),
                slug: Set(a.slug.clone()),
                title: Set(a.title.clone()),
                summary: Set(a.summary.clone()),
                body: Set(a.body.clone()),
                word_count: Set(body::word_count(&a.body)),
                status: Set(a.status),
                published_at: Set(published_at),
                section: Set(a.section.clone()),
                canonical_url: Set(a.canonical_url.clone()),
                publication_id: Set(self.publications[&a.publication]),
                author_id: Set(a.author.as_ref().map(|s| self.authors[s])),
                content_hash: Set(hash),
                revision: Set(revision),
                announced: Set(announced),
                created_at: Set(a
                    .created_at
                    .map(truncate_to_micros)
                    .or(created_at)
                    .unwrap_or(t)),
                updated_at: Set(a.updated_at.or(a.created_at).map_or(t, truncate_to_micros)),
            };
            self.written.articles.push(model(row.clone())?);
            if created_at.is_none() {
                new_rows.push(row);
                self.report.articles.created += 1;
            } else {
                row.id = sea_orm::ActiveValue::Unchanged(id);
                if a.created_at.is_none() {
                    row.created_at = sea_orm::ActiveValue::NotSet;
                }
                row.update(txn).await?;
                replaced.push(id);
                self.report.articles.updated += 1;
            }
            parts.add(self, id, a, t);
        }
        insert_all(txn, new_rows).await?;
        delete_children::<key_point::Entity, _>(txn, key_point::Column::ArticleId, &replaced)
            .await?;
        delete_children::<quote::Entity, _>(txn, quote::Column::ArticleId, &replaced).await?;
        delete_children::<related_link::Entity, _>(txn, related_link::Column::ArticleId, &replaced)
            .await?;
        delete_children::<article_tag::Entity, _>(txn, article_tag::Column::ArticleId, &replaced)
            .await?;
        delete_children::<copyright::Entity, _>(txn, copyright::Column::ArticleId, &replaced)
            .await?;
        parts.note(&mut self.written, &self.tag_rows)?;
        parts.insert(txn).await
    }
}

/// The rows of articles' lists, gathered to be inserted in batches.
#[derive(Default)]
struct Parts {
    key_points: Vec<key_point::ActiveModel>,
    quotes: Vec<quote::ActiveModel>,
    links: Vec<related_link::ActiveModel>,
    tags: Vec<article_tag::ActiveModel>,
    copyrights: Vec<copyright::ActiveModel>,
}

impl Parts {
    fn add(
        &mut self,
        maps: &Importer,
        article_id: Uuid,
        a: &Article,
        t: chrono::DateTime<chrono::Utc>,
    ) {
        for (i, text) in a.key_points.iter().enumerate() {
            self.key_points.push(key_point::ActiveModel {
                id: Set(maps.ids.part(article_id, "key-point", i + 1)),
                article_id: Set(article_id),
                position: Set(i as i32 + 1),
                text: Set(text.clone()),
                created_at: Set(t),
                updated_at: Set(t),
            });
        }
        for (i, q) in a.quotes.iter().enumerate() {
            self.quotes.push(quote::ActiveModel {
                id: Set(maps.ids.part(article_id, "quote", i + 1)),
                article_id: Set(article_id),
                speaker_id: Set(maps.speakers[&q.speaker]),
                position: Set(i as i32 + 1),
                text: Set(q.text.clone()),
                context: Set(q.context.clone()),
                created_at: Set(t),
                updated_at: Set(t),
            });
        }
        for (i, l) in a.related_links.iter().enumerate() {
            self.links.push(related_link::ActiveModel {
                id: Set(maps.ids.part(article_id, "related-link", i + 1)),
                article_id: Set(article_id),
                position: Set(i as i32 + 1),
                url: Set(l.url.clone()),
                title: Set(l.title.clone()),
                rel: Set(l.rel),
                created_at: Set(t),
                updated_at: Set(t),
            });
        }
        for (i, slug) in a.tags.iter().enumerate() {
            self.tags.push(article_tag::ActiveModel {
                id: Set(maps.ids.part(article_id, "tag", i + 1)),
                article_id: Set(article_id),
                tag_id: Set(maps.tags[slug]),
                position: Set(i as i32 + 1),
                created_at: Set(t),
                updated_at: Set(t),
            });
        }
        if let Some(c) = &a.copyright {
            self.copyrights.push(copyright::ActiveModel {
                id: Set(maps.ids.part(article_id, "copyright", 1)),
                article_id: Set(article_id),
                holder: Set(c.holder.clone()),
                notice: Set(c.notice.clone()),
                year: Set(c.year),
                license: Set(c.license.clone()),
                created_at: Set(t),
                updated_at: Set(t),
            });
        }
    }

    /// Notes the rows about to be inserted in `written`, whose tags are among `tags`.
    fn note(&self, written: &mut Written, tags: &HashMap<Uuid, tag::Model>) -> Result<()> {
        written.key_points.extend(
            self.key_points
                .iter()
                .cloned()
                .map(model)
                .collect::<Result<Vec<_>>>()?,
        );
        written.quotes.extend(
            self.quotes
                .iter()
                .cloned()
                .map(model)
                .collect::<Result<Vec<_>>>()?,
        );
        written.related_links.extend(
            self.links
                .iter()
                .cloned()
                .map(model)
                .collect::<Result<Vec<_>>>()?,
        );
        written.copyrights.extend(
            self.copyrights
                .iter()
                .cloned()
                .map(model)
                .collect::<Result<Vec<_>>>()?,
        );
        for link in &self.tags {
            let link = model(link.clone())?;
            let tag = tags.get(&link.tag_id).ok_or_else(|| {
                Error::Internal(anyhow::anyhow!(
                    "tag {} is not known to the import",
                    link.tag_id
                ))
            })?;
            written
                .tags
                .push((link.article_id, link.position, tag.clone()));
        }
        Ok(())
    }

    async fn insert(self, txn: &impl ConnectionTrait) -> Result<()> {
        insert_all(txn, self.key_points).await?;
        insert_all(txn, self.quotes).await?;
        insert_all(txn, self.links).await?;
        insert_all(txn, self.tags).await?;
        insert_all(txn, self.copyrights).await
    }
}

/// The row an insert of `row`, every field set, writes.
fn model<A>(row: A) -> Result<<A::Entity as EntityTrait>::Model>
where
    A: ActiveModelTrait + sea_orm::TryIntoModel<<A::Entity as EntityTrait>::Model>,
{
    row.try_into_model()
        .map_err(|e| Error::Internal(anyhow::Error::new(e).context("a row the import writes")))
}

fn dedup(mut slugs: Vec<&str>) -> Vec<&str> {
    slugs.sort_unstable();
    slugs.dedup();
    slugs
}
