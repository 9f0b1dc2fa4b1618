//! Reading speakers: the people quoted in articles.

use std::collections::HashMap;

use entity::speaker;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    Result,
    model::Speaker,
    pagination::{KeyValue, Page, PageArgs, SortSpec, fetch_page},
};

/// One page of all speakers, by slug.
pub async fn list(db: &impl ConnectionTrait, args: &PageArgs) -> Result<Page<Speaker>> {
    let sort = SortSpec {
        name: "speakers".into(),
        columns: vec![(
            Expr::col((speaker::Entity, speaker::Column::Slug)),
            Order::Asc,
        )],
    };
    fetch_page(
        db,
        speaker::Entity::find(),
        &sort,
        args,
        |s: &speaker::Model| vec![KeyValue::Text(s.slug.clone())],
        &[KeyValue::Text(String::new())],
    )
    .await
    .map(|page| page.map(|s| Speaker::from(&s)))
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64> {
    Ok(speaker::Entity::find().count(db).await?)
}

pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<Speaker>> {
    Ok(speaker::Entity::find()
        .filter(speaker::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(|s| Speaker::from(&s)))
}

pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, Speaker>> {
    let rows = speaker::Entity::find()
        .filter(speaker::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.iter().map(|s| (s.id, Speaker::from(s))).collect())
}
