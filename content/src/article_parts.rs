//! An article's ordered lists (key points, quotes, links, tags) and its copyright, loaded for
//! many articles in one statement each; quotes with their speakers, tags with their counts.

use std::collections::HashMap;

use entity::{article_tag, copyright, key_point, quote, related_link, speaker, tag};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, Iterable, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, RelationTrait, Select,
    sea_query::{Alias, Expr, ExprTrait, Func, JoinType, Query},
};
use uuid::Uuid;

use super::{Result, Visibility, catalog};

/// Groups rows by their article, keeping the order they came in.
fn group<T>(rows: Vec<T>, article_of: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut map: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        map.entry(article_of(&row)).or_default().push(row);
    }
    map
}

pub async fn key_points(
    db: &impl ConnectionTrait,
    articles: &[Uuid],
) -> Result<HashMap<Uuid, Vec<key_point::Model>>> {
    let rows = key_point::Entity::find()
        .filter(key_point::Column::ArticleId.is_in(articles.iter().copied()))
        .order_by_asc(key_point::Column::ArticleId)
        .order_by_asc(key_point::Column::Position)
        .all(db)
        .await?;
    Ok(group(rows, |r| r.article_id))
}

pub async fn quotes(
    db: &impl ConnectionTrait,
    articles: &[Uuid],
) -> Result<HashMap<Uuid, Vec<quote::Model>>> {
    let rows = quote::Entity::find()
        .filter(quote::Column::ArticleId.is_in(articles.iter().copied()))
        .order_by_asc(quote::Column::ArticleId)
        .order_by_asc(quote::Column::Position)
        .all(db)
        .await?;
    Ok(group(rows, |r| r.article_id))
}

/// Each article's quotes, in order, and the speakers of them all, by id: one statement.
pub async fn quotes_with_speakers(
    db: &impl ConnectionTrait,
    articles: &[Uuid],
) -> Result<(
    HashMap<Uuid, Vec<quote::Model>>,
    HashMap<Uuid, speaker::Model>,
)> {
    let rows = quote::Entity::find()
        .find_both_related(speaker::Entity)
        .filter(quote::Column::ArticleId.is_in(articles.iter().copied()))
        .order_by_asc(quote::Column::ArticleId)
        .order_by_asc(quote::Column::Position)
        .all(db)
        .await?;
    let mut speakers = HashMap::new();
    let mut quotes = Vec::with_capacity(rows.len());
    for (quote, speaker) in rows {
        speakers.insert(speaker.id, speaker);
        quotes.push(quote);
    }
    Ok((group(quotes, |q| q.article_id), speakers))
}

pub async fn related_links(
    db: &impl ConnectionTrait,
    articles: &[Uuid],
) -> Result<HashMap<Uuid, Vec<related_link::Model>>> {
    let rows = related_link::Entity::find()
        .filter(related_link::Column::ArticleId.is_in(articles.iter().copied()))
        .order_by_asc(related_link::Column::ArticleId)
        .order_by_asc(related_link::Column::Position)
        .all(db)
        .await?;
    Ok(group(rows, |r| r.article_id))
}

pub async fn copyrights(
    db: &impl ConnectionTrait,
    articles: &[Uuid],
) -> Result<HashMap<Uuid, copyright::Model>> {
    let rows = copyright::Entity::find()
        .filter(copyright::Column::ArticleId.is_in(articles.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|c| (c.article_id, c)).collect())
}

/// Each article's tags, in the article's order.
pub async fn tags(
    db: &impl ConnectionTrait,
    articles: &[Uuid],
) -> Result<HashMap<Uuid, Vec<tag::Model>>> {
    let rows = article_tag::Entity::find()
        .find_also_related(tag::Entity)
        .filter(article_tag::Column::ArticleId.is_in(articles.iter().copied()))
        .order_by_asc(article_tag::Column::ArticleId)
        .order_by_asc(article_tag::Column::Position)
        .all(db)
        .await?;
    let mut map: HashMap<Uuid, Vec<tag::Model>> = HashMap::new();
    for (link, tag) in rows {
        if let Some(tag) = tag {
            map.entry(link.article_id).or_default().push(tag);
        }
    }
    Ok(map)
}

/// A tag of an article, and how many visible articles carry the tag.
#[derive(FromQueryResult)]
struct CountedTag {
    article_id: Uuid,
    #[sea_orm(nested)]
    tag: tag::Model,
    article_count: i64,
}

/// Each article's tags, in the article's order (as [`tags`] gives them), and how many articles
/// `visibility` may see carry each tag (as [`super::catalog::tag_counts`] counts them; zero
/// when none do): one statement.
pub async fn tags_with_counts(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    articles: &[Uuid],
) -> Result<(HashMap<Uuid, Vec<tag::Model>>, HashMap<Uuid, i64>)> {
    let rows = counted_tags(visibility, articles)
        .into_model::<CountedTag>()
        .all(db)
        .await?;
    let mut tags: HashMap<Uuid, Vec<tag::Model>> = HashMap::new();
    let mut counts = HashMap::new();
    for row in rows {
        counts.insert(row.tag.id, row.article_count);
        tags.entry(row.article_id).or_default().push(row.tag);
    }
    Ok((tags, counts))
}

/// The articles' tags, each joined to its count of visible articles. The counts are grouped
/// once, in a subquery over these articles' tags alone: not counted row by row, and not for
/// every tag there is.
fn counted_tags(visibility: Visibility, articles: &[Uuid]) -> Select<article_tag::Entity> {
    let (these, counts) = (Alias::new("these"), Alias::new("tag_counts"));
    let their_tags = Query::select()
        .column((these.clone(), article_tag::Column::TagId))
        .from_as(article_tag::Entity, these.clone())
        .and_where(
            Expr::col((these, article_tag::Column::ArticleId)).is_in(articles.iter().copied()),
        )
        .to_owned();
    let grouped = catalog::article_counts(
        visibility,
        Expr::col((article_tag::Entity, article_tag::Column::TagId)).in_subquery(their_tags),
    );

    let mut select = article_tag::Entity::find()
        .select_only()
        .column(article_tag::Column::ArticleId)
        .columns(tag::Column::iter())
        .column_as(
            Expr::from(Func::coalesce([
                Expr::col((counts.clone(), Alias::new("article_count"))),
                Expr::val(0i64),
            ])),
            "article_count",
        )
        .join(JoinType::InnerJoin, article_tag::Relation::Tag.def())
        .filter(article_tag::Column::ArticleId.is_in(articles.iter().copied()))
        .order_by_asc(article_tag::Column::ArticleId)
        .order_by_asc(article_tag::Column::Position);
    QueryTrait::query(&mut select).join_subquery(
        JoinType::LeftJoin,
        grouped.into_query(),
        counts.clone(),
        Expr::col((counts, article_tag::Column::TagId)).equals((tag::Entity, tag::Column::Id)),
    );
    select
}
