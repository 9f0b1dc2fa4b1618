//! Reading quotes across articles: "everything Greg Kroah-Hartman said", newest story first.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{article, quote, speaker};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Order, PaginatorTrait,
    QueryFilter, QuerySelect, QueryTrait, RelationTrait, Select,
    sea_query::{Condition, Expr, ExprTrait, JoinType, Query},
};
use uuid::Uuid;

use super::{
    Result, Visibility,
    articles::visible,
    model::{FoundQuote, Quote, Speaker},
    pagination::{
        KeyValue, Page, PageArgs, SortSpec, count_per_parent, fetch_first_pages, fetch_page,
    },
    search::{self, SearchQuery, ranked::Rankings},
};

#[derive(Clone, Debug, Default)]
pub struct QuoteFilter {
    /// Speaker slug.
    pub speaker: Option<String>,
    /// Article slug.
    pub article: Option<String>,
    /// Words in the quote's text, its context or its speaker's name.
    pub search: Option<SearchQuery>,
}

/// A quote with its speaker, and its article's publish time, the first component of its sort
/// key.
#[derive(Clone, Debug, FromQueryResult)]
struct QuoteRow {
    id: Uuid,
    article_id: Uuid,
    speaker_id: Uuid,
    position: i32,
    text: String,
    context: Option<String>,
    speaker_slug: String,
    speaker_name: String,
    speaker_role: Option<String>,
    speaker_organization: Option<String>,
    article_published_at: Option<DateTime<Utc>>,
}

impl From<QuoteRow> for FoundQuote {
    fn from(r: QuoteRow) -> Self {
        Self {
            article_id: r.article_id,
            quote: Quote {
                id: r.id,
                position: r.position,
                text: r.text,
                context: r.context,
                speaker: Speaker {
                    id: r.speaker_id,
                    slug: r.speaker_slug,
                    name: r.speaker_name,
                    role: r.speaker_role,
                    organization: r.speaker_organization,
                },
            },
        }
    }
}

/// The columns of a [`QuoteRow`] beyond the quote's own: its speaker's, and its article's
/// publish time.
fn with_speaker(select: Select<quote::Entity>) -> Select<quote::Entity> {
    let speaker = |c: speaker::Column| Expr::col((speaker::Entity, c));
    select
        .select_only()
        .columns([
            quote::Column::Id,
            quote::Column::ArticleId,
            quote::Column::SpeakerId,
            quote::Column::Position,
            quote::Column::Text,
            quote::Column::Context,
        ])
        .column_as(speaker(speaker::Column::Slug), "speaker_slug")
        .column_as(speaker(speaker::Column::Name), "speaker_name")
        .column_as(speaker(speaker::Column::Role), "speaker_role")
        .column_as(
            speaker(speaker::Column::Organization),
            "speaker_organization",
        )
        .column_as(
            Expr::col((article::Entity, article::Column::PublishedAt)),
            "article_published_at",
        )
        .join(JoinType::InnerJoin, quote::Relation::Speaker.def())
}

/// The quotes `visibility` may see that match `filter`'s speaker and article.
fn visible_quotes(
    select: Select<quote::Entity>,
    backend: DbBackend,
    visibility: Visibility,
    filter: &QuoteFilter,
) -> Select<quote::Entity> {
    select
        .join(JoinType::InnerJoin, quote::Relation::Article.def())
        .filter(quote_condition(backend, visibility, filter))
}

/// The condition on a quote joined to its article that `visibility` may see it and it matches
/// `filter`'s speaker and article.
fn quote_condition(backend: DbBackend, visibility: Visibility, filter: &QuoteFilter) -> Condition {
    let mut cond = Condition::all().add(visible(visibility, backend));
    if let Some(slug) = &filter.speaker {
        cond = cond.add(
            Expr::col((quote::Entity, quote::Column::SpeakerId)).in_subquery(
                Query::select()
                    .column(speaker::Column::Id)
                    .from(speaker::Entity)
                    .and_where(Expr::col(speaker::Column::Slug).eq(slug.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(slug) = &filter.article {
        cond = cond.add(Expr::col((article::Entity, article::Column::Slug)).eq(slug.as_str()));
    }
    cond
}

/// The quotes `visibility` may see that match `filter`.
fn select(
    backend: DbBackend,
    visibility: Visibility,
    filter: &QuoteFilter,
) -> Select<quote::Entity> {
    // The search goes first: on SQLite it decides the FROM clause the article join follows.
    let select = match &filter.search {
        Some(query) => search::matching::quotes(quote::Entity::find(), backend, query),
        None => quote::Entity::find(),
    };
    visible_quotes(select, backend, visibility, filter)
}

/// Newest article first, then in article order.
fn chronological() -> SortSpec {
    SortSpec {
        name: "quotes".into(),
        columns: vec![
            (
                Expr::col((article::Entity, article::Column::PublishedAt)),
                Order::Desc,
            ),
            (
                Expr::col((quote::Entity, quote::Column::ArticleId)),
                Order::Desc,
            ),
            (
                Expr::col((quote::Entity, quote::Column::Position)),
                Order::Asc,
            ),
        ],
    }
}

/// One page of the quotes in articles `visibility` may see: for a search, best match first
/// (ranked in the index, see [`search::ranked`]); else newest article first, then in article
/// order.
pub async fn list(
    db: &impl ConnectionTrait,
    rankings: Option<&Rankings>,
    visibility: Visibility,
    filter: &QuoteFilter,
    args: &PageArgs,
) -> Result<Page<FoundQuote>> {
    let backend = db.get_database_backend();
    if let Some(query) = &filter.search {
        return ranked(db, rankings, visibility, filter, query, args).await;
    }
    let select = with_speaker(select(backend, visibility, filter));
    let page = fetch_page(
        db,
        select,
        &chronological(),
        args,
        chronological_key,
        &[
            KeyValue::Time(None),
            KeyValue::Uuid(Uuid::nil()),
            KeyValue::Int(0),
        ],
    )
    .await?;
    Ok(page.map(Into::into))
}

/// A page of a search over quotes: ranked in the index, the candidates checked against
/// visibility and the filter, then the page's quotes read.
async fn ranked(
    db: &impl ConnectionTrait,
    rankings: Option<&Rankings>,
    visibility: Visibility,
    filter: &QuoteFilter,
    query: &SearchQuery,
    args: &PageArgs,
) -> Result<Page<FoundQuote>> {
    let backend = db.get_database_backend();
    let sort = SortSpec {
        name: format!("quotes:{}", super::articles::search_order(query)),
        columns: Vec::new(),
    };
    let hits = search::ranked::page(
        db,
        rankings,
        &search::index::QUOTES,
        query,
        &sort,
        true,
        args,
        |owners| {
            // The candidates drive: joined the usual way, SQLite would walk every visible
            // article by its index of published ones and look for the candidates' quotes.
            let mut select = quote::Entity::find()
                .select_only()
                .column(quote::Column::Id)
                .filter(quote::Column::Id.is_in(owners))
                .filter(
                    Expr::col((quote::Entity, quote::Column::ArticleId))
                        .equals((article::Entity, article::Column::Id)),
                )
                .filter(quote_condition(backend, visibility, filter));
            QueryTrait::query(&mut select).cross_join(article::Entity);
            select
        },
    )
    .await?;
    let ids: Vec<Uuid> = hits.edges.iter().map(|e| e.node.owner).collect();
    let rows: HashMap<Uuid, QuoteRow> = if ids.is_empty() {
        HashMap::new()
    } else {
        with_speaker(
            quote::Entity::find().join(JoinType::InnerJoin, quote::Relation::Article.def()),
        )
        .filter(quote::Column::Id.is_in(ids))
        .into_model::<QuoteRow>()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect()
    };
    Ok(search::ranked::place(hits, rows).map(Into::into))
}

fn chronological_key(q: &QuoteRow) -> Vec<KeyValue> {
    vec![
        KeyValue::Time(q.article_published_at),
        KeyValue::Uuid(q.article_id),
        KeyValue::Int(q.position),
    ]
}

/// The first page of each of `speakers`' quotes (as [`list`] with a speaker filter gives
/// it), by speaker id, in one statement. A speaker with no visible quotes has no entry.
pub async fn first_pages_by_speaker(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    speakers: &[Uuid],
    first: Option<i32>,
) -> Result<HashMap<Uuid, Page<FoundQuote>>> {
    let select = select(
        db.get_database_backend(),
        visibility,
        &QuoteFilter::default(),
    );
    let select =
        with_speaker(select).filter(quote::Column::SpeakerId.is_in(speakers.iter().copied()));
    let pages = fetch_first_pages(
        db,
        select,
        Expr::col((quote::Entity, quote::Column::SpeakerId)),
        &chronological(),
        first,
        chronological_key,
    )
    .await?;
    Ok(pages
        .into_iter()
        .map(|(speaker, page)| (speaker, page.map(Into::into)))
        .collect())
}

/// How many visible quotes each of `speakers` has, by speaker id (none: no entry).
pub async fn count_by_speaker(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    speakers: &[Uuid],
) -> Result<HashMap<Uuid, u64>> {
    let select = select(
        db.get_database_backend(),
        visibility,
        &QuoteFilter::default(),
    )
    .filter(quote::Column::SpeakerId.is_in(speakers.iter().copied()));
    count_per_parent(
        db,
        select,
        Expr::col((quote::Entity, quote::Column::SpeakerId)),
    )
    .await
}

pub async fn count(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    filter: &QuoteFilter,
) -> Result<u64> {
    Ok(select(db.get_database_backend(), visibility, filter)
        .count(db)
        .await?)
}
