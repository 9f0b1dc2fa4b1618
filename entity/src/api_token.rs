//! An API token: lets a request read drafts (`preview`) or also write (`write`). Only the
//! token's SHA-256 is stored.

use sea_orm::entity::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TokenScope {
    /// Reads everything, drafts and scheduled articles included.
    #[sea_orm(string_value = "preview")]
    Preview,
    /// Reads everything and writes.
    #[sea_orm(string_value = "write")]
    Write,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// How an operator refers to the token (`token revoke NAME`).
    #[sea_orm(unique)]
    pub name: String,
    pub scope: TokenScope,
    /// SHA-256 of the whole token, lowercase hex.
    #[sea_orm(unique)]
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Roughly when the token last authenticated a request (updated at most once a minute).
    pub last_used_at: Option<DateTimeUtc>,
    /// Set once the token is revoked; a revoked token authenticates nothing.
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
