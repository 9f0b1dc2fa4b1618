//! Reading quotes across articles: "everything Greg Kroah-Hartman said", newest story first.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{article, quote, speaker};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Order, PaginatorTrait,
    QueryFilter, QuerySelect, RelationTrait, Select,
    sea_query::{Condition, Expr, ExprTrait, JoinType, Query, SimpleExpr},
};
use uuid::Uuid;

use super::{
    Result, Visibility,
    articles::{no_rank, visible},
    model::{FoundQuote, Quote, Speaker},
    pagination::{
        KeyValue, Page, PageArgs, SortSpec, count_per_parent, fetch_first_pages, fetch_page,
    },
    search::{self, SearchQuery},
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
    /// Relevance to a search; zero without one.
    rank: f64,
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

/// The quotes `visibility` may see that match `filter`, and with a search, their relevance.
fn select(
    backend: DbBackend,
    visibility: Visibility,
    filter: &QuoteFilter,
) -> (Select<quote::Entity>, Option<SimpleExpr>) {
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
    // The search goes first: on SQLite it decides the FROM clause the article join follows.
    let (select, rank) = match &filter.search {
        Some(query) => {
            let (select, rank) = search::matching::quotes(quote::Entity::find(), backend, query);
            (select, Some(rank))
        }
        None => (quote::Entity::find(), None),
    };
    let select = select
        .join(JoinType::InnerJoin, quote::Relation::Article.def())
        .filter(cond);
    (select, rank)
}

/// Best match first, ties broken by id.
fn ranked(rank: SimpleExpr) -> SortSpec {
    SortSpec {
        name: "quotes:relevance".into(),
        columns: vec![
            (rank, Order::Desc),
            (Expr::col((quote::Entity, quote::Column::Id)), Order::Desc),
        ],
    }
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

/// One page of the quotes in articles `visibility` may see: for a search, best match first;
/// else newest article first, then in article order.
pub async fn list(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    filter: &QuoteFilter,
    args: &PageArgs,
) -> Result<Page<FoundQuote>> {
    let (select, rank) = select(db.get_database_backend(), visibility, filter);
    let select = with_speaker(select).column_as(rank.clone().unwrap_or_else(no_rank), "rank");
    let page = match rank {
        Some(rank) => {
            fetch_page(
                db,
                select,
                &ranked(rank),
                args,
                |q: &QuoteRow| vec![KeyValue::Float(q.rank), KeyValue::Uuid(q.id)],
                &[KeyValue::Float(0.0), KeyValue::Uuid(Uuid::nil())],
            )
            .await?
        }
        None => {
            fetch_page(
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
            .await?
        }
    };
    Ok(page.map(Into::into))
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
    let (select, _) = select(
        db.get_database_backend(),
        visibility,
        &QuoteFilter::default(),
    );
    let select = with_speaker(select)
        .filter(quote::Column::SpeakerId.is_in(speakers.iter().copied()))
        .column_as(no_rank(), "rank");
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
    let (select, _) = select(
        db.get_database_backend(),
        visibility,
        &QuoteFilter::default(),
    );
    let select = select.filter(quote::Column::SpeakerId.is_in(speakers.iter().copied()));
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
    let (select, _) = select(db.get_database_backend(), visibility, filter);
    Ok(select.count(db).await?)
}
