//! Reading the small catalogues articles refer to: authors, publications (with their footer
//! links) and tags (with how many visible articles carry them).

use std::collections::HashMap;

use entity::{article, article_tag, author, publication, publication_link, tag};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Select,
    sea_query::{Expr, Func, JoinType, SimpleExpr},
};
use uuid::Uuid;

use super::{
    Result, Visibility,
    articles::visible,
    model::{Author, Publication, PublicationLink},
};

pub(crate) fn author(a: author::Model) -> Author {
    Author {
        id: a.id,
        slug: a.slug,
        name: a.name,
        kind: a.kind,
    }
}

/// Every author, by slug.
pub async fn authors(db: &impl ConnectionTrait) -> Result<Vec<Author>> {
    let rows = author::Entity::find()
        .order_by_asc(author::Column::Slug)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(author).collect())
}

pub async fn authors_by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Author>> {
    let rows = author::Entity::find()
        .filter(author::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|a| (a.id, author(a))).collect())
}

pub async fn find_author(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Author>> {
    Ok(author::Entity::find_by_id(id).one(db).await?.map(author))
}

/// Every publication, by slug, with its footer links: one statement.
pub async fn publications(db: &impl ConnectionTrait) -> Result<Vec<Publication>> {
    with_links(db, publication::Entity::find()).await
}

/// The publications among `ids`, by id, with their footer links: one statement.
pub async fn publications_by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Publication>> {
    let select =
        publication::Entity::find().filter(publication::Column::Id.is_in(ids.iter().copied()));
    let found = with_links(db, select).await?;
    Ok(found.into_iter().map(|p| (p.id, p)).collect())
}

/// The publications `select` finds, by slug, each with its footer links in display order.
pub(crate) async fn with_links(
    db: &impl ConnectionTrait,
    select: Select<publication::Entity>,
) -> Result<Vec<Publication>> {
    // One LEFT JOIN, ordered by publication, then by link order.
    let rows = select
        .find_with_related(publication_link::Entity)
        .order_by_asc(publication::Column::Slug)
        .order_by_asc(publication_link::Column::Position)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(p, links)| Publication {
            id: p.id,
            slug: p.slug,
            name: p.name,
            url: p.url,
            sponsor_message: p.sponsor_message,
            links: links
                .into_iter()
                .map(|l| PublicationLink {
                    label: l.label,
                    url: l.url,
                })
                .collect(),
        })
        .collect())
}

/// Each publication's footer links as stored, in display order.
pub(crate) async fn publication_links(
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
        .filter(visible(visibility, db.get_database_backend()))
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
    let rows: Vec<(Uuid, i64)> = article_counts(visibility, db.get_database_backend(), these)
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
    backend: DbBackend,
    tags: SimpleExpr,
) -> Select<article_tag::Entity> {
    article_tag::Entity::find()
        .select_only()
        .column(article_tag::Column::TagId)
        .column_as(
            Expr::from(Func::count(Expr::case(visible(visibility, backend), 1))),
            "article_count",
        )
        .join(JoinType::InnerJoin, article_tag::Relation::Article.def())
        .filter(tags)
        .group_by(article_tag::Column::TagId)
}
