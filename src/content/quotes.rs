//! Reading quotes across articles: "everything Greg Kroah-Hartman said", newest story first.

use chrono::{DateTime, Utc};
use entity::{article, quote, speaker};
use sea_orm::{
    ConnectionTrait, EntityTrait, FromQueryResult, Order, PaginatorTrait, QueryFilter, QuerySelect,
    RelationTrait, Select,
    sea_query::{Condition, Expr, ExprTrait, JoinType, Query},
};
use uuid::Uuid;

use super::{
    Result, Visibility,
    articles::visible,
    pagination::{KeyValue, Page, PageArgs, SortSpec, fetch_page},
};

#[derive(Clone, Debug, Default)]
pub struct QuoteFilter {
    /// Speaker slug.
    pub speaker: Option<String>,
    /// Article slug.
    pub article: Option<String>,
}

/// A quote with its article's publish time, the first component of its sort key.
#[derive(Clone, Debug, FromQueryResult)]
struct QuoteRow {
    id: Uuid,
    article_id: Uuid,
    speaker_id: Uuid,
    position: i32,
    text: String,
    context: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    article_published_at: Option<DateTime<Utc>>,
}

impl From<QuoteRow> for quote::Model {
    fn from(r: QuoteRow) -> Self {
        Self {
            id: r.id,
            article_id: r.article_id,
            speaker_id: r.speaker_id,
            position: r.position,
            text: r.text,
            context: r.context,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

fn select(visibility: Visibility, filter: &QuoteFilter) -> Select<quote::Entity> {
    let mut cond = Condition::all().add(visible(visibility));
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
    quote::Entity::find()
        .join(JoinType::InnerJoin, quote::Relation::Article.def())
        .filter(cond)
}

fn sort() -> SortSpec {
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

/// One page of the quotes in articles `visibility` may see, newest article first, then in
/// article order.
pub async fn list(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    filter: &QuoteFilter,
    args: &PageArgs,
) -> Result<Page<quote::Model>> {
    let select = select(visibility, filter).column_as(
        Expr::col((article::Entity, article::Column::PublishedAt)),
        "article_published_at",
    );
    let template = [
        KeyValue::Time(None),
        KeyValue::Uuid(Uuid::nil()),
        KeyValue::Int(0),
    ];
    let page = fetch_page(
        db,
        select,
        &sort(),
        args,
        |q: &QuoteRow| {
            vec![
                KeyValue::Time(q.article_published_at),
                KeyValue::Uuid(q.article_id),
                KeyValue::Int(q.position),
            ]
        },
        &template,
    )
    .await?;
    Ok(Page {
        edges: page
            .edges
            .into_iter()
            .map(|e| super::pagination::Edge {
                cursor: e.cursor,
                node: e.node.into(),
            })
            .collect(),
        has_next_page: page.has_next_page,
        has_previous_page: page.has_previous_page,
    })
}

pub async fn count(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    filter: &QuoteFilter,
) -> Result<u64> {
    Ok(select(visibility, filter).count(db).await?)
}
