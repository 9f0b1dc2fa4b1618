//! An article: the news story itself. Its lists live in their own tables.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ArticleStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "published")]
    Published,
    #[sea_orm(string_value = "archived")]
    Archived,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "articles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    pub summary: Option<String>,
    /// Markdown source.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// Words in the body's plain text, computed on write.
    pub word_count: i32,
    pub status: ArticleStatus,
    pub published_at: Option<DateTimeUtc>,
    pub section: Option<String>,
    pub canonical_url: Option<String>,
    pub publication_id: Uuid,
    pub author_id: Option<Uuid>,
    /// SHA-256 of the article's import form, so a re-import of unchanged content writes nothing.
    pub content_hash: String,
    /// Counts the article's writes: 1 when created, one more at each change.
    pub revision: i64,
    /// Whether the `article.published` event of its current publication has been written (a
    /// scheduled article's is written when its time comes).
    pub announced: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::publication::Entity",
        from = "Column::PublicationId",
        to = "super::publication::Column::Id",
        on_delete = "Restrict"
    )]
    Publication,
    #[sea_orm(
        belongs_to = "super::author::Entity",
        from = "Column::AuthorId",
        to = "super::author::Column::Id",
        on_delete = "SetNull"
    )]
    Author,
    #[sea_orm(has_many = "super::quote::Entity")]
    Quotes,
    #[sea_orm(has_many = "super::article_tag::Entity")]
    ArticleTags,
    #[sea_orm(has_one = "super::copyright::Entity")]
    Copyright,
}

impl Related<super::quote::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Quotes.def()
    }
}

impl Related<super::article_tag::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ArticleTags.def()
    }
}

impl Related<super::copyright::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Copyright.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
