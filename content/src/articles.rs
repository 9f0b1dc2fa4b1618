//! Reading articles: visibility, filters, orders and keyset pages. An article is read as its
//! document (see [`crate::model`]), one row per article, with its body only in the forms the
//! reader asked for: a page of articles is one statement, and so is one article.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    article::{self, ArticleStatus},
    article_document, article_tag, author, publication, quote, speaker, tag,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Order, QueryFilter,
    QuerySelect, QueryTrait, Select,
    sea_query::{Alias, Condition, Expr, ExprTrait, JoinType, Query, SimpleExpr},
};
use uuid::Uuid;

use sha2::{Digest, Sha256};

use super::{
    Error, Result, Visibility,
    model::{ArticleRead, Body, BodyFormat, BodyFormats},
    pagination::{
        KeyValue, Page, PageArgs, SortSpec, count_per_parent, fetch_first_pages, fetch_page,
    },
    search::{self, SearchQuery, ranked::Rankings},
};

/// Narrows a list of articles; every field set must match.
#[derive(Clone, Debug, Default)]
pub struct ArticleFilter {
    pub status: Option<ArticleStatus>,
    /// Tag slug.
    pub tag: Option<String>,
    /// Slug of a speaker quoted in the article.
    pub speaker: Option<String>,
    /// Author slug.
    pub author: Option<String>,
    /// Publication slug.
    pub publication: Option<String>,
    /// Published at or after this time.
    pub published_after: Option<DateTime<Utc>>,
    /// Published before this time.
    pub published_before: Option<DateTime<Utc>>,
    /// Words the article contains, anywhere: title, summary, body, key points, quotes and
    /// their speakers' names, tags.
    pub search: Option<SearchQuery>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrderField {
    #[default]
    PublishedAt,
    UpdatedAt,
    Title,
    /// Best match first; only with a search.
    Relevance,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Direction {
    Asc,
    #[default]
    Desc,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArticleOrder {
    pub field: OrderField,
    pub direction: Direction,
}

impl ArticleOrder {
    /// The order when a client gives none: best match first for a search, else newest first.
    pub fn default_for(filter: &ArticleFilter) -> Self {
        Self {
            field: match filter.search {
                Some(_) => OrderField::Relevance,
                None => OrderField::PublishedAt,
            },
            direction: Direction::Desc,
        }
    }
}

fn col(c: article::Column) -> SimpleExpr {
    Expr::col((article::Entity, c))
}

/// The articles `visibility` may see.
///
/// The status is written into the statement, not bound, and so is "now" on Postgres (see
/// [`super::now_in`]): Postgres plans a prepared statement with no parameters once and keeps
/// the plan, where it plans one with parameters again for each execution (half the
/// throughput of a page of articles), and only a literal status lets that plan use the index
/// of published articles.
pub fn visible(visibility: Visibility, backend: DbBackend) -> Condition {
    match visibility {
        Visibility::All => Condition::all(),
        Visibility::Public => Condition::all()
            .add(col(article::Column::Status).eq(Expr::cust(PUBLISHED)))
            .add(col(article::Column::PublishedAt).lte(super::now_in(backend))),
    }
}

/// [`visible`] for a few articles given by id: on SQLite the columns are written `+column`, so
/// the planner looks the articles up by id rather than walk every visible article by the
/// index of published ones (without statistics it takes that index for the narrower).
fn visible_among(visibility: Visibility, backend: DbBackend) -> Condition {
    match (visibility, backend) {
        (Visibility::Public, DbBackend::Sqlite) => Condition::all()
            .add(Expr::cust("+\"articles\".\"status\"").eq(Expr::cust(PUBLISHED)))
            .add(Expr::cust("+\"articles\".\"published_at\"").lte(super::now_in(backend))),
        _ => visible(visibility, backend),
    }
}

/// The stored value of [`ArticleStatus::Published`], as an SQL literal.
pub(crate) const PUBLISHED: &str = "'published'";

/// `article_id IN (SELECT ... WHERE <child>.slug = slug)`, the shape of every slug filter
/// that goes through a join table.
fn id_in_joined(
    via: impl sea_orm::sea_query::IntoTableRef,
    via_article: SimpleExpr,
    via_other: SimpleExpr,
    other: impl sea_orm::sea_query::IntoTableRef,
    other_id: SimpleExpr,
    other_slug: SimpleExpr,
    slug: &str,
) -> SimpleExpr {
    col(article::Column::Id).in_subquery(
        Query::select()
            .expr(via_article)
            .from(via)
            .inner_join(other, other_id.eq(via_other))
            .and_where(other_slug.eq(slug))
            .to_owned(),
    )
}

fn filter_condition(filter: &ArticleFilter) -> Condition {
    let mut cond = Condition::all();
    if let Some(status) = filter.status {
        cond = cond.add(col(article::Column::Status).eq(status));
    }
    if let Some(slug) = &filter.tag {
        cond = cond.add(id_in_joined(
            article_tag::Entity,
            Expr::col((article_tag::Entity, article_tag::Column::ArticleId)),
            Expr::col((article_tag::Entity, article_tag::Column::TagId)),
            tag::Entity,
            Expr::col((tag::Entity, tag::Column::Id)),
            Expr::col((tag::Entity, tag::Column::Slug)),
            slug,
        ));
    }
    if let Some(slug) = &filter.speaker {
        cond = cond.add(id_in_joined(
            quote::Entity,
            Expr::col((quote::Entity, quote::Column::ArticleId)),
            Expr::col((quote::Entity, quote::Column::SpeakerId)),
            speaker::Entity,
            Expr::col((speaker::Entity, speaker::Column::Id)),
            Expr::col((speaker::Entity, speaker::Column::Slug)),
            slug,
        ));
    }
    if let Some(slug) = &filter.author {
        cond = cond.add(
            col(article::Column::AuthorId).in_subquery(
                Query::select()
                    .column(author::Column::Id)
                    .from(author::Entity)
                    .and_where(author::Column::Slug.eq(slug.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(slug) = &filter.publication {
        cond = cond.add(
            col(article::Column::PublicationId).in_subquery(
                Query::select()
                    .column(publication::Column::Id)
                    .from(publication::Entity)
                    .and_where(publication::Column::Slug.eq(slug.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(after) = filter.published_after {
        cond = cond.add(col(article::Column::PublishedAt).gte(after));
    }
    if let Some(before) = filter.published_before {
        cond = cond.add(col(article::Column::PublishedAt).lt(before));
    }
    cond
}

/// The articles `visibility` may see that match `filter`.
fn select(
    backend: DbBackend,
    visibility: Visibility,
    filter: &ArticleFilter,
) -> Select<article::Entity> {
    let select = article::Entity::find()
        .filter(visible(visibility, backend))
        .filter(filter_condition(filter));
    match &filter.search {
        Some(query) => search::matching::articles(select, backend, query),
        None => select,
    }
}

/// The sort for `order`. By relevance the index orders (see [`search::ranked`]): the sort
/// only names the order in cursors.
fn sort(order: ArticleOrder, filter: &ArticleFilter) -> Result<SortSpec> {
    let (direction, dir_name) = match order.direction {
        Direction::Asc => (Order::Asc, "asc"),
        Direction::Desc => (Order::Desc, "desc"),
    };
    let (first, name) = match (order.field, &filter.search) {
        (OrderField::PublishedAt, _) => (col(article::Column::PublishedAt), "published_at"),
        (OrderField::UpdatedAt, _) => (col(article::Column::UpdatedAt), "updated_at"),
        (OrderField::Title, _) => (col(article::Column::Title), "title"),
        (OrderField::Relevance, Some(query)) => {
            return Ok(SortSpec {
                name: format!("articles:{}:{dir_name}", search_order(query)),
                columns: Vec::new(),
            });
        }
        (OrderField::Relevance, None) => {
            return Err(Error::invalid(
                "orderBy.field",
                "RELEVANCE orders the results of a search: give filter.search too",
            ));
        }
    };
    Ok(SortSpec {
        name: format!("articles:{name}:{dir_name}"),
        columns: vec![
            (first, direction.clone()),
            (col(article::Column::Id), direction),
        ],
    })
}

/// The name of an order by relevance to `query`: a cursor of one search means nothing in
/// another.
pub(crate) fn search_order(query: &SearchQuery) -> String {
    let digest = Sha256::digest(query.fts5().as_bytes());
    let tag: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("relevance:{tag}")
}

/// An article's document, with the keys it sorts by and its body in the forms asked for.
#[derive(FromQueryResult)]
struct DocumentRow {
    id: Uuid,
    published_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    title: String,
    document: String,
    body_markdown: Option<String>,
    body_html: Option<String>,
    body_text: Option<String>,
}

impl DocumentRow {
    fn read(self) -> Result<ArticleRead> {
        let article = serde_json::from_str(&self.document).map_err(|e| {
            anyhow::Error::new(e).context(format!("reading the document of article {}", self.id))
        })?;
        Ok(ArticleRead {
            article,
            body: Body {
                markdown: self.body_markdown,
                html: self.body_html,
                plain_text: self.body_text,
            },
        })
    }
}

/// `select` (articles) read as their documents, with the body in `bodies`' forms.
fn documents(select: Select<article::Entity>, bodies: BodyFormats) -> Select<article::Entity> {
    let body = |format: BodyFormat, column: SimpleExpr| {
        if bodies.contains(format) {
            column
        } else {
            Expr::cust("CAST(NULL AS TEXT)")
        }
    };
    let document = |c: article_document::Column| Expr::col((article_document::Entity, c));
    let mut select = select
        .select_only()
        .columns([
            article::Column::Id,
            article::Column::PublishedAt,
            article::Column::UpdatedAt,
            article::Column::Title,
        ])
        // `json` on Postgres: read as its text, not decoded.
        .column_as(
            document(article_document::Column::Document).cast_as(Alias::new("text")),
            "document",
        )
        .column_as(
            body(BodyFormat::Markdown, col(article::Column::Body)),
            "body_markdown",
        )
        .column_as(
            body(
                BodyFormat::Html,
                document(article_document::Column::BodyHtml),
            ),
            "body_html",
        )
        .column_as(
            body(
                BodyFormat::PlainText,
                document(article_document::Column::BodyText),
            ),
            "body_text",
        );
    QueryTrait::query(&mut select).join(
        JoinType::InnerJoin,
        article_document::Entity,
        document(article_document::Column::ArticleId)
            .equals((article::Entity, article::Column::Id)),
    );
    select
}

/// A row's key in a list by `field`. A page by relevance is keyed by the index (see
/// [`search::ranked`]) and never comes here; its rows have no relevance of their own.
fn sort_key(field: OrderField, r: &DocumentRow) -> Vec<KeyValue> {
    let first = match field {
        OrderField::PublishedAt => KeyValue::Time(r.published_at),
        OrderField::UpdatedAt => KeyValue::Time(Some(r.updated_at)),
        OrderField::Title => KeyValue::Text(r.title.clone()),
        OrderField::Relevance => KeyValue::Float(0.0),
    };
    vec![first, KeyValue::Uuid(r.id)]
}

/// A page of rows read as articles.
fn read_page(page: Page<DocumentRow>) -> Result<Page<ArticleRead>> {
    let edges = page
        .edges
        .into_iter()
        .map(|e| {
            Ok(super::pagination::Edge {
                cursor: e.cursor,
                node: e.node.read()?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Page {
        edges,
        has_next_page: page.has_next_page,
        has_previous_page: page.has_previous_page,
    })
}

/// One page of the articles `visibility` may see that match `filter`, in `order`, with their
/// bodies in `bodies`' forms: one statement.
pub async fn list(
    db: &impl ConnectionTrait,
    rankings: Option<&Rankings>,
    visibility: Visibility,
    filter: &ArticleFilter,
    order: ArticleOrder,
    args: &PageArgs,
    bodies: BodyFormats,
) -> Result<Page<ArticleRead>> {
    if let (OrderField::Relevance, Some(query)) = (order.field, &filter.search) {
        return ranked(db, rankings, visibility, filter, query, order, args, bodies).await;
    }
    let first = match order.field {
        OrderField::Title => KeyValue::Text(String::new()),
        _ => KeyValue::Time(None),
    };
    let select = select(db.get_database_backend(), visibility, filter);
    let sort = sort(order, filter)?;
    let select = documents(select, bodies);
    let page = fetch_page(
        db,
        select,
        &sort,
        args,
        |r: &DocumentRow| sort_key(order.field, r),
        &[first, KeyValue::Uuid(Uuid::nil())],
    )
    .await?;
    read_page(page)
}

/// A page of a search by relevance: ranked in the index, the candidates checked against
/// visibility and the filter, then the page's documents read (see [`search::ranked`]).
#[allow(clippy::too_many_arguments)]
async fn ranked(
    db: &impl ConnectionTrait,
    rankings: Option<&Rankings>,
    visibility: Visibility,
    filter: &ArticleFilter,
    query: &SearchQuery,
    order: ArticleOrder,
    args: &PageArgs,
    bodies: BodyFormats,
) -> Result<Page<ArticleRead>> {
    let backend = db.get_database_backend();
    let hits = search::ranked::page(
        db,
        rankings,
        &search::index::ARTICLES,
        query,
        &sort(order, filter)?,
        order.direction == Direction::Desc,
        args,
        |owners| {
            article::Entity::find()
                .select_only()
                .column(article::Column::Id)
                .filter(visible_among(visibility, backend))
                .filter(filter_condition(filter))
                .filter(col(article::Column::Id).is_in(owners))
        },
    )
    .await?;
    let ids: Vec<Uuid> = hits.edges.iter().map(|e| e.node.owner).collect();
    let rows: HashMap<Uuid, DocumentRow> = if ids.is_empty() {
        HashMap::new()
    } else {
        documents(article::Entity::find(), bodies)
            .filter(col(article::Column::Id).is_in(ids))
            .into_model::<DocumentRow>()
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect()
    };
    read_page(search::ranked::place(hits, rows))
}

/// How many articles `visibility` may see match `filter`.
pub async fn count(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    filter: &ArticleFilter,
) -> Result<u64> {
    let n: Option<i64> = select(db.get_database_backend(), visibility, filter)
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "n")
        .into_tuple()
        .one(db)
        .await?;
    Ok(n.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

/// The visible articles quoting one of `speakers`, once per speaker quoted (an article
/// quoting two of them is in both lists): the articles joined to the distinct
/// (speaker, article) pairs of their quotes, `quoted.speaker_id` naming the speaker.
fn quoting(
    visibility: Visibility,
    backend: DbBackend,
    speakers: &[Uuid],
) -> Select<article::Entity> {
    let pairs = Query::select()
        .distinct()
        .columns([quote::Column::SpeakerId, quote::Column::ArticleId])
        .from(quote::Entity)
        .and_where(Expr::col(quote::Column::SpeakerId).is_in(speakers.iter().copied()))
        .to_owned();
    let mut select = article::Entity::find().filter(visible(visibility, backend));
    QueryTrait::query(&mut select).join_subquery(
        JoinType::InnerJoin,
        pairs,
        Alias::new("quoted"),
        Expr::col((Alias::new("quoted"), quote::Column::ArticleId))
            .equals((article::Entity, article::Column::Id)),
    );
    select
}

fn quoted_speaker() -> SimpleExpr {
    Expr::col((Alias::new("quoted"), quote::Column::SpeakerId))
}

/// The first page, newest first, of the articles quoting each of `speakers` (as [`list`]
/// with a speaker filter gives it), by speaker id, in one statement.
pub async fn first_pages_by_speaker(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    speakers: &[Uuid],
    first: Option<i32>,
    bodies: BodyFormats,
) -> Result<HashMap<Uuid, Page<ArticleRead>>> {
    let order = ArticleOrder::default();
    let select = documents(
        quoting(visibility, db.get_database_backend(), speakers),
        bodies,
    );
    let pages = fetch_first_pages(
        db,
        select,
        quoted_speaker(),
        &sort(order, &ArticleFilter::default())?,
        first,
        |r: &DocumentRow| sort_key(order.field, r),
    )
    .await?;
    pages
        .into_iter()
        .map(|(speaker, page)| Ok((speaker, read_page(page)?)))
        .collect()
}

/// How many visible articles quote each of `speakers`, by speaker id (none: no entry).
pub async fn count_by_speaker(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    speakers: &[Uuid],
) -> Result<HashMap<Uuid, u64>> {
    let select = quoting(visibility, db.get_database_backend(), speakers);
    count_per_parent(db, select, quoted_speaker()).await
}

/// The visible article with `slug` or `id`, with its body in `bodies`' forms: one statement.
pub async fn find(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    key: &ArticleKey,
    bodies: BodyFormats,
) -> Result<Option<ArticleRead>> {
    let condition = match key {
        ArticleKey::Slug(slug) => article::Column::Slug.eq(slug.as_str()),
        ArticleKey::Id(id) => article::Column::Id.eq(*id),
    };
    let select = article::Entity::find()
        .filter(visible(visibility, db.get_database_backend()))
        .filter(condition);
    documents(select, bodies)
        .into_model::<DocumentRow>()
        .one(db)
        .await?
        .map(DocumentRow::read)
        .transpose()
}

/// How a reader names one article.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArticleKey {
    Slug(String),
    Id(Uuid),
}

/// The visible articles among `ids`, by id, with their bodies in `bodies`' forms: one
/// statement.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    ids: &[Uuid],
    bodies: BodyFormats,
) -> Result<HashMap<Uuid, ArticleRead>> {
    let select = article::Entity::find()
        .filter(visible_among(visibility, db.get_database_backend()))
        .filter(article::Column::Id.is_in(ids.iter().copied()));
    let rows = documents(select, bodies)
        .into_model::<DocumentRow>()
        .all(db)
        .await?;
    rows.into_iter().map(|r| Ok((r.id, r.read()?))).collect()
}

#[cfg(test)]
mod tests {
    use sea_orm::ActiveEnum;

    use super::*;

    #[test]
    fn the_published_literal_is_the_stored_value() {
        assert_eq!(
            PUBLISHED,
            format!("'{}'", ArticleStatus::Published.to_value())
        );
    }
}
