//! An article's search document: the text full-text search looks in (and snippets are cut
//! from), derived from the article and written with it. Its terms are indexed in SQLite's FTS5
//! table `article_search` (rowid = this row's id), or on Postgres in the row's `document`
//! (`tsvector`, not mapped here), both written by `content::search::index`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "article_search_docs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub article_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    /// The key points, one per line.
    #[sea_orm(column_type = "Text")]
    pub key_points: String,
    /// Each quote as "text — speaker, context", one quote per line.
    #[sea_orm(column_type = "Text")]
    pub quotes: String,
    /// The tag slugs, space-separated.
    #[sea_orm(column_type = "Text")]
    pub tags: String,
    /// The body as plain text.
    #[sea_orm(column_type = "Text")]
    pub body: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::article::Entity",
        from = "Column::ArticleId",
        to = "super::article::Column::Id",
        on_delete = "Cascade"
    )]
    Article,
}

impl Related<super::article::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Article.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
