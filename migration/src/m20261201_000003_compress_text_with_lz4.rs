//! Postgres: the large text columns (article bodies, their renderings and documents, the
//! search documents' bodies) compressed with lz4 rather than the default pglz. Postgres
//! compresses any value over 2 kB as it is written, and pglz is slow: importing 10,000
//! articles spent about five seconds in it. lz4 writes several times faster for a little more
//! disk, and reads faster too. Values already stored keep their compression until rewritten.
//! Skipped where Postgres has no lz4 (built without it, or older than 14), and on SQLite,
//! which compresses nothing.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [(&str, &str); 5] = [
    ("articles", "body"),
    ("article_documents", "document"),
    ("article_documents", "body_html"),
    ("article_documents", "body_text"),
    ("article_search_docs", "body"),
];

/// Whether the server can compress with lz4.
async fn has_lz4(manager: &SchemaManager<'_>) -> Result<bool, DbErr> {
    let row = manager
        .get_connection()
        .query_one_raw(sea_orm::Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT count(*) AS n FROM pg_settings \
             WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)",
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0)
        > 0)
}

async fn set(manager: &SchemaManager<'_>, compression: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Postgres || !has_lz4(manager).await? {
        return Ok(());
    }
    let db = manager.get_connection();
    for (table, column) in COLUMNS {
        db.execute_unprepared(&format!(
            "ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {compression}"
        ))
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set(manager, "lz4").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set(manager, "default").await
    }
}
