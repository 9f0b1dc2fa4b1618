//! Full-text search over articles and quotes.
//!
//! Each article (and each quote) has one *search document*: a plain row holding the text to
//! search, written by the application in the same transaction as the content it comes from
//! (`content::search::index`). The row is derived data, so it has no timestamps of its own,
//! and it goes when its article or quote goes (ON DELETE CASCADE).
//!
//! - SQLite: an FTS5 index over the document table (external content, `porter unicode61`
//!   tokenizer for English stemming), kept in step with it by triggers.
//! - Postgres: a stored, generated, weighted `tsvector` column with a GIN index.
//!
//! Articles already in the database get their documents the next time the application
//! migrates (`content::search::index::backfill`), since building one needs the body's plain
//! text, which only the application computes.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Articles {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Quotes {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ArticleSearchDocs {
    Table,
    Id,
    ArticleId,
    Title,
    Summary,
    KeyPoints,
    Quotes,
    Tags,
    Body,
}

#[derive(DeriveIden)]
enum QuoteSearchDocs {
    Table,
    Id,
    QuoteId,
    Text,
    Context,
    Speaker,
}

/// SQLite: an FTS5 table over `docs`' `columns`, with the triggers that keep it current.
pub(crate) fn sqlite_fts(fts: &str, docs: &str, columns: &[&str]) -> Vec<String> {
    let list = columns.join(", ");
    let new: Vec<String> = columns.iter().map(|c| format!("new.{c}")).collect();
    let old: Vec<String> = columns.iter().map(|c| format!("old.{c}")).collect();
    let (new, old) = (new.join(", "), old.join(", "));
    vec![
        format!(
            "CREATE VIRTUAL TABLE {fts} USING fts5({list}, content='{docs}', content_rowid='id', \
             tokenize='porter unicode61 remove_diacritics 2')"
        ),
        format!(
            "CREATE TRIGGER {docs}_ai AFTER INSERT ON {docs} BEGIN \
             INSERT INTO {fts}(rowid, {list}) VALUES (new.id, {new}); END"
        ),
        format!(
            "CREATE TRIGGER {docs}_ad AFTER DELETE ON {docs} BEGIN \
             INSERT INTO {fts}({fts}, rowid, {list}) VALUES ('delete', old.id, {old}); END"
        ),
        format!(
            "CREATE TRIGGER {docs}_au AFTER UPDATE ON {docs} BEGIN \
             INSERT INTO {fts}({fts}, rowid, {list}) VALUES ('delete', old.id, {old}); \
             INSERT INTO {fts}(rowid, {list}) VALUES (new.id, {new}); END"
        ),
    ]
}

/// Postgres: the weighted `tsvector` of a document table, and its GIN index. Weights: A
/// ranks highest.
pub(crate) fn postgres_tsvector(docs: &str, weighted: &[(&str, char)]) -> Vec<String> {
    let parts: Vec<String> = weighted
        .iter()
        .map(|(expr, weight)| format!("setweight(to_tsvector('english', {expr}), '{weight}')"))
        .collect();
    vec![
        format!(
            "ALTER TABLE {docs} ADD COLUMN document tsvector GENERATED ALWAYS AS ({}) STORED",
            parts.join(" || ")
        ),
        format!("CREATE INDEX idx_{docs}_document ON {docs} USING GIN (document)"),
    ]
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
                    .table(ArticleSearchDocs::Table)
                    .col(big_pk_auto(ArticleSearchDocs::Id))
                    .col(uuid_uniq(ArticleSearchDocs::ArticleId))
                    .col(text(ArticleSearchDocs::Title))
                    .col(text(ArticleSearchDocs::Summary))
                    .col(text(ArticleSearchDocs::KeyPoints))
                    .col(text(ArticleSearchDocs::Quotes))
                    .col(text(ArticleSearchDocs::Tags))
                    .col(text(ArticleSearchDocs::Body))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_article_search_docs_article")
                            .from(ArticleSearchDocs::Table, ArticleSearchDocs::ArticleId)
                            .to(Articles::Table, Articles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QuoteSearchDocs::Table)
                    .col(big_pk_auto(QuoteSearchDocs::Id))
                    .col(uuid_uniq(QuoteSearchDocs::QuoteId))
                    .col(text(QuoteSearchDocs::Text))
                    .col(text(QuoteSearchDocs::Context))
                    .col(text(QuoteSearchDocs::Speaker))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quote_search_docs_quote")
                            .from(QuoteSearchDocs::Table, QuoteSearchDocs::QuoteId)
                            .to(Quotes::Table, Quotes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        let statements = match manager.get_database_backend() {
            DatabaseBackend::Sqlite => [
                sqlite_fts(
                    "article_search",
                    "article_search_docs",
                    &["title", "summary", "key_points", "quotes", "tags", "body"],
                ),
                sqlite_fts(
                    "quote_search",
                    "quote_search_docs",
                    &["text", "context", "speaker"],
                ),
            ]
            .concat(),
            DatabaseBackend::Postgres => [
                postgres_tsvector(
                    "article_search_docs",
                    &[
                        ("title", 'A'),
                        ("summary || ' ' || key_points", 'B'),
                        ("quotes || ' ' || tags", 'C'),
                        ("body", 'D'),
                    ],
                ),
                postgres_tsvector(
                    "quote_search_docs",
                    &[("text || ' ' || speaker", 'A'), ("context", 'B')],
                ),
            ]
            .concat(),
            backend => {
                return Err(DbErr::Migration(format!(
                    "full-text search is not available on {backend:?}"
                )));
            }
        };
        let db = manager.get_connection();
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            // Dropping a table drops its triggers.
            let db = manager.get_connection();
            db.execute_unprepared("DROP TABLE IF EXISTS quote_search")
                .await?;
            db.execute_unprepared("DROP TABLE IF EXISTS article_search")
                .await?;
        }
        for table in [
            QuoteSearchDocs::Table.into_iden(),
            ArticleSearchDocs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
