//! Reading the small catalogues articles refer to: authors, publications (with their footer
//! links) and tags (with how many visible articles carry them).

use std::collections::HashMap;

use entity::{article, article_tag, author, publication, publication_link, tag};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Select,
    sea_query::{Expr, Func, JoinType, SimpleExpr},
};
use uuid::Uuid;

use super::{Result, Visibility, articles::visible};

pub async fn authors(db: &impl ConnectionTrait) -> Result<Vec<author::Model>> {
    Ok(author::Entity::find()
        .order_by_asc(author::Column::Slug)
        .all(db)
        .await?)
}

pub async fn authors_by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, author::Model>> {
    let rows = author::Entity::find()
        .filter(author::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|a| (a.id, a)).collect())
}

pub async fn find_author(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<author::Model>> {
    Ok(author::Entity::find_by_id(id).one(db).await?)
}

pub async fn publications(db: &impl ConnectionTrait) -> Result<Vec<publication::Model>> {
    Ok(publication::Entity::find()
        .order_by_asc(publication::Column::Slug)
        .all(db)
        .await?)
}

pub async fn publications_by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, publication::Model>> {
    let rows = publication::Entity::find()
        .filter(publication::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|p| (p.id, p)).collect())
}

/// The publications, by id, and each one's footer links, in display order: one statement.
pub async fn publications_with_links(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<(
    HashMap<Uuid, publication::Model>,
    HashMap<Uuid, Vec<publication_link::Model>>,
)> {
    // One LEFT JOIN, ordered by publication id, then by our link order.
    let rows = publication::Entity::find()
        .find_with_related(publication_link::Entity)
        .filter(publication::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(publication_link::Column::Position)
        .all(db)
        .await?;
    let mut publications = HashMap::with_capacity(rows.len());
    let mut links = HashMap::with_capacity(rows.len());
    for (publication, its_links) in rows {
        links.insert(publication.id, its_links);
        publications.insert(publication.id, publication);
    }
    Ok((publications, links))
}

/// Each publication's footer links, in display order.
pub async fn publication_links(
    db: &impl ConnectionTrait,
    publications: &[Uuid],
) -> Result<HashMap<Uuid, Vec<publication_link::Model>>> {
    let rows = publication_link::Entity::find()
        .filter(publication_link::Column::PublicationId.is_in(publications.iter().copied()))
        .order_by_asc(publication_link::Column::PublicationId)
        .order_by_asc(publication_link::Column::Position)
        .all(db)
        .await?;
    let mut map: HashMap<Uuid, Vec<publication_link::Model>> = HashMap::new();
    for link in rows {
        map.entry(link.publication_id).or_default().push(link);
    }
    Ok(map)
}

/// A tag and how many articles the reader may see carry it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct TagCount {
    pub id: Uuid,
    pub slug: String,
    pub article_count: i64,
}

/// Tags carried by at least one visible article, by slug.
pub async fn tag_counts(
    db: &impl ConnectionTrait,
    visibility: Visibility,
) -> Result<Vec<TagCount>> {
    let select = tag::Entity::find()
        .select_only()
        .column(tag::Column::Id)
        .column(tag::Column::Slug)
        .column_as(
            Expr::from(Func::count(Expr::col((
                article::Entity,
                article::Column::Id,
            )))),
            "article_count",
        )
        .join(JoinType::InnerJoin, tag::Relation::ArticleTags.def())
        .join(JoinType::InnerJoin, article_tag::Relation::Article.def())
        .filter(visible(visibility))
        .group_by(tag::Column::Id)
        .group_by(tag::Column::Slug)
        .order_by_asc(tag::Column::Slug);
    Ok(select.into_model::<TagCount>().all(db).await?)
}

/// How many articles `visibility` may see carry each of `tags`, by tag id (as [`tag_counts`]
/// counts them; a tag none carry: zero, or no entry).
pub async fn article_counts_by_tag(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    tags: &[Uuid],
) -> Result<HashMap<Uuid, i64>> {
    let these = article_tag::Column::TagId.is_in(tags.iter().copied());
    let rows: Vec<(Uuid, i64)> = article_counts(visibility, these)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// `tag_id, article_count` for each tag `tags` (a condition on `article_tags.tag_id`) admits
/// that any article carries: how many of those articles `visibility` may see.
///
/// The visibility test is counted, not filtered on: in a `WHERE`, SQLite without planner
/// statistics drives the join from the index of visible articles and probes every one of
/// them (seconds at 20,000 articles); counted, it reads these tags' rows of `article_tags`
/// through the tag index and looks each article up by key (milliseconds). Postgres plans
/// both the same.
pub(super) fn article_counts(
    visibility: Visibility,
    tags: SimpleExpr,
) -> Select<article_tag::Entity> {
    article_tag::Entity::find()
        .select_only()
        .column(article_tag::Column::TagId)
        .column_as(
            Expr::from(Func::count(Expr::case(visible(visibility), 1))),
            "article_count",
        )
        .join(JoinType::InnerJoin, article_tag::Relation::Article.def())
        .filter(tags)
        .group_by(article_tag::Column::TagId)
}
