//! The article read model: one document per article holding everything a reader is served of
//! it but its body (its scalars, author, publication, tags, key points, quotes with their
//! speakers, related links and copyright), with the body rendered once as HTML and as plain
//! text. The application writes it in the same transaction as the content it comes from
//! (`content::derived`); it goes with its article (ON DELETE CASCADE).
//!
//! Articles already in the database get their documents the next time the application
//! migrates (`content::derived::backfill`), since building one needs the application's
//! Markdown rendering.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Articles {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ArticleDocuments {
    Table,
    ArticleId,
    Revision,
    Document,
    BodyHtml,
    BodyText,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ArticleDocuments::Table)
                    .col(uuid(ArticleDocuments::ArticleId).primary_key())
                    .col(big_integer(ArticleDocuments::Revision))
                    // `json` on Postgres: checked on write, kept as written (not reordered, as
                    // `jsonb` would be), and served as text without conversion.
                    .col(json(ArticleDocuments::Document))
                    .col(text(ArticleDocuments::BodyHtml))
                    .col(text(ArticleDocuments::BodyText))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_article_documents_article")
                            .from(ArticleDocuments::Table, ArticleDocuments::ArticleId)
                            .to(Articles::Table, Articles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ArticleDocuments::Table).to_owned())
            .await
    }
}
