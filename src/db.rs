//! Connecting to SQLite or Postgres, and migrating.

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// Connection-pool size for SQLite files: readers run concurrently under WAL.
const SQLITE_POOL: u32 = 8;
const POSTGRES_POOL: u32 = 16;

fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Opens a pool. SQLite gets WAL, `foreign_keys=ON`, a busy timeout and is created if missing;
/// an unreachable database fails within seconds, not minutes.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, SQLITE_POOL).await
}

/// One connection on SQLite: for schema changes. `migrate fresh` and `down` turn foreign keys
/// off with a PRAGMA, which holds only on the connection it ran on, then drop tables in
/// separate statements that a pool would spread over other connections.
pub async fn connect_for_schema_changes(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, 1).await
}

async fn connect_with(url: &str, sqlite_pool: u32) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    options
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // Each connection to an in-memory database is a database of its own: keep to one.
        options.max_connections(if is_in_memory(url) { 1 } else { sqlite_pool });
        options.map_sqlx_sqlite_opts(|opts| {
            opts.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
        });
    } else {
        options.max_connections(POSTGRES_POOL);
    }
    Database::connect(options)
        .await
        .with_context(|| format!("could not connect to the database at {}", redact(url)))
}

/// Applies every pending migration, then indexes for search any article written before
/// search existed (building a search document needs the application's Markdown rendering,
/// which a migration does not have).
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("could not migrate the database")?;
    let indexed = crate::content::search::index::backfill(db)
        .await
        .context("could not index existing articles for search")?;
    if indexed > 0 {
        tracing::info!(articles = indexed, "indexed existing articles for search");
    }
    Ok(())
}

/// Connects and migrates: what every command does first.
pub async fn connect_and_migrate(url: &str) -> anyhow::Result<DatabaseConnection> {
    let db = connect(url).await?;
    migrate(&db).await?;
    Ok(db)
}

/// The URL with any password hidden, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
