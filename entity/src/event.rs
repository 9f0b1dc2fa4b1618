//! The outbox: one row per event, written in the transaction of the change it records.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    /// The order events were written in.
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// The event's id: receivers' idempotency key.
    #[sea_orm(unique)]
    pub id: Uuid,
    /// `article.published`, `article.updated`, ...
    pub kind: String,
    pub article_id: Uuid,
    pub slug: String,
    /// The article's revision after the change.
    pub revision: i64,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
