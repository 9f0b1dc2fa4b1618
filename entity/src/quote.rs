//! A quote in an article, attributed to a speaker.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quotes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub article_id: Uuid,
    pub speaker_id: Uuid,
    /// 1-based position in the article's list of quotes.
    pub position: i32,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub context: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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
    #[sea_orm(
        belongs_to = "super::speaker::Entity",
        from = "Column::SpeakerId",
        to = "super::speaker::Column::Id",
        on_delete = "Restrict"
    )]
    Speaker,
}

impl Related<super::article::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Article.def()
    }
}

impl Related<super::speaker::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Speaker.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
