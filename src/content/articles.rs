//! Reading articles: visibility, filters, orders and keyset pages.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    article::{self, ArticleStatus},
    article_tag, author, publication, quote, speaker, tag,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, Select,
    sea_query::{Condition, Expr, ExprTrait, Query, SimpleExpr},
};
use uuid::Uuid;

use super::{
    Result, Visibility,
    pagination::{KeyValue, Page, PageArgs, SortSpec, fetch_page},
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
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrderField {
    #[default]
    PublishedAt,
    UpdatedAt,
    Title,
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

fn col(c: article::Column) -> SimpleExpr {
    Expr::col((article::Entity, c))
}

/// The articles `visibility` may see.
pub fn visible(visibility: Visibility) -> Condition {
    match visibility {
        Visibility::All => Condition::all(),
        Visibility::Public => Condition::all()
            .add(col(article::Column::Status).eq(ArticleStatus::Published))
            .add(col(article::Column::PublishedAt).lte(super::now())),
    }
}

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

fn select(visibility: Visibility, filter: &ArticleFilter) -> Select<article::Entity> {
    article::Entity::find()
        .filter(visible(visibility))
        .filter(filter_condition(filter))
}

fn sort(order: ArticleOrder) -> SortSpec {
    let (column, name) = match order.field {
        OrderField::PublishedAt => (article::Column::PublishedAt, "published_at"),
        OrderField::UpdatedAt => (article::Column::UpdatedAt, "updated_at"),
        OrderField::Title => (article::Column::Title, "title"),
    };
    let (direction, dir_name) = match order.direction {
        Direction::Asc => (Order::Asc, "asc"),
        Direction::Desc => (Order::Desc, "desc"),
    };
    SortSpec {
        name: format!("articles:{name}:{dir_name}"),
        columns: vec![
            (col(column), direction.clone()),
            (col(article::Column::Id), direction),
        ],
    }
}

fn sort_key(field: OrderField, a: &article::Model) -> Vec<KeyValue> {
    let first = match field {
        OrderField::PublishedAt => KeyValue::Time(a.published_at),
        OrderField::UpdatedAt => KeyValue::Time(Some(a.updated_at)),
        OrderField::Title => KeyValue::Text(a.title.clone()),
    };
    vec![first, KeyValue::Uuid(a.id)]
}

/// One page of the articles `visibility` may see that match `filter`, in `order`.
pub async fn list(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    filter: &ArticleFilter,
    order: ArticleOrder,
    args: &PageArgs,
) -> Result<Page<article::Model>> {
    let template = match order.field {
        OrderField::Title => vec![KeyValue::Text(String::new()), KeyValue::Uuid(Uuid::nil())],
        _ => vec![KeyValue::Time(None), KeyValue::Uuid(Uuid::nil())],
    };
    fetch_page(
        db,
        select(visibility, filter),
        &sort(order),
        args,
        |a: &article::Model| sort_key(order.field, a),
        &template,
    )
    .await
}

/// How many articles `visibility` may see match `filter`.
pub async fn count(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    filter: &ArticleFilter,
) -> Result<u64> {
    Ok(select(visibility, filter).count(db).await?)
}

pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    slug: &str,
) -> Result<Option<article::Model>> {
    Ok(article::Entity::find()
        .filter(visible(visibility))
        .filter(article::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

/// The visible articles among `ids`, by id.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, article::Model>> {
    let rows = article::Entity::find()
        .filter(visible(visibility))
        .filter(article::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|a| (a.id, a)).collect())
}
