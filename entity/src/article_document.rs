//! An article's read document: everything a reader is served of it but its body, as one JSON
//! value, with the body rendered as sanitized HTML and as plain text. Derived from the
//! normalized tables and rewritten in the transaction of every write that changes what it
//! says, so a page of articles is read in one statement.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "article_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub article_id: Uuid,
    /// Raised each time the document is rewritten, from 1.
    pub revision: i64,
    /// The document (a `json` column on Postgres, text on SQLite).
    pub document: Json,
    /// The body as sanitized HTML.
    #[sea_orm(column_type = "Text")]
    pub body_html: String,
    /// The body as plain text.
    #[sea_orm(column_type = "Text")]
    pub body_text: String,
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
