//! Connecting to SQLite or Postgres, and migrating.

use std::time::{Duration, Instant};

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbErr, RuntimeErr,
    sqlx::{
        self,
        postgres::PgSslMode,
        sqlite::{SqliteJournalMode, SqliteSynchronous},
    },
};

use crate::config::DatabaseSettings;

/// Each SQLite connection's page cache, in KiB (SQLite's own notation: negative).
const SQLITE_CACHE_KIB: &str = "-1024";
/// The page size of a new SQLite database, in bytes.
const SQLITE_PAGE_SIZE: u32 = 8192;
/// Connection-pool size for SQLite files: readers run concurrently under WAL.
const SQLITE_POOL: u32 = 8;
const POSTGRES_POOL: u32 = 16;
/// A pooled connection idle this long is pinged before it is handed out; a busy one is not
/// (sqlx's default pings on every checkout: a round trip per statement).
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(30);
/// How long opening a connection may take: an unreachable database fails start-up fast.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A Postgres URL on this machine's loopback that does not say how to use TLS. sqlx, like
/// libpq, would then encrypt if the server offers it; on loopback that protects nothing (the
/// traffic never leaves the machine) and costs both sides CPU: a fifth of the throughput of
/// one-article reads, measured. `sslmode=` in the URL is obeyed as given.
fn is_loopback_without_sslmode(url: &str) -> bool {
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    // A `postgres:` URL's host is opaque to `url`: an address comes back as a name.
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => {
            name == "localhost"
                || name
                    .trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    loopback && !url.query_pairs().any(|(key, _)| key == "sslmode")
}

fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Opens a pool. SQLite gets WAL, `foreign_keys=ON`, a busy timeout and is created if missing;
/// an unreachable database fails within seconds, not minutes.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    open(&DatabaseSettings {
        database_url: url.to_owned(),
        ..DatabaseSettings::default()
    })
    .await
}

/// Opens a pool as `settings` say (size, acquire timeout).
pub async fn open(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    connect_with(settings, None).await
}

/// One connection on SQLite: for schema changes. `migrate fresh` and `down` turn foreign keys
/// off with a PRAGMA, which holds only on the connection it ran on, then drop tables in
/// separate statements that a pool would spread over other connections.
pub async fn connect_for_schema_changes(
    settings: &DatabaseSettings,
) -> anyhow::Result<DatabaseConnection> {
    connect_with(settings, Some(1)).await
}

async fn connect_with(
    settings: &DatabaseSettings,
    sqlite_pool: Option<u32>,
) -> anyhow::Result<DatabaseConnection> {
    let url = settings.database_url.as_str();
    let mut options = ConnectOptions::new(url);
    options
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(Duration::from_millis(settings.db_acquire_timeout_ms.max(1)))
        .test_before_acquire_if_idle_for(PING_WHEN_IDLE_FOR)
        .sqlx_logging(false);
    let is_sqlite = url.starts_with("sqlite:");
    if is_sqlite {
        // Each connection to an in-memory database is a database of its own: keep to one.
        let size = sqlite_pool.or(settings.db_max_connections);
        options.max_connections(if is_in_memory(url) {
            1
        } else {
            size.unwrap_or(SQLITE_POOL).max(1)
        });
        options.map_sqlx_sqlite_opts(|opts| {
            opts.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
                // A new database gets 8 KiB pages: an article with its document and rendered
                // bodies is some 12 KiB, and 4 KiB pages spread it over a chain of overflow
                // pages (an import of 10,000 articles: 7.5 s against 6.5 s). An existing
                // database keeps the size it has.
                .page_size(SQLITE_PAGE_SIZE)
                // 1 MiB of page cache a connection rather than SQLite's 2 MiB: the OS keeps
                // the file cached anyway, and eight connections' caches were a third of a
                // server's memory.
                .pragma("cache_size", SQLITE_CACHE_KIB)
        });
    } else {
        options.max_connections(settings.db_max_connections.unwrap_or(POSTGRES_POOL).max(1));
        // One function: SeaORM keeps only the last one given.
        let plain = is_loopback_without_sslmode(url);
        // Schema changes may take longer than any request; they run without the limit.
        let statement_timeout = settings
            .statement_timeout_ms
            .filter(|_| sqlite_pool.is_none());
        options.map_sqlx_postgres_opts(move |mut opts| {
            if plain {
                opts = opts.ssl_mode(PgSslMode::Disable);
            }
            if let Some(ms) = statement_timeout {
                opts = opts.options([("statement_timeout", ms.max(1).to_string())]);
            }
            opts
        });
    }
    // Start-up must fail fast and clearly on an unreachable database: the pool's own connect
    // may wait out the acquire timeout and then say only "pool timed out".
    let started = Instant::now();
    let connected = match tokio::time::timeout(CONNECT_TIMEOUT, Database::connect(options)).await {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(err)) if is_pool_timeout(&err) && !is_sqlite => {
            Err(why_unreachable(url, CONNECT_TIMEOUT.saturating_sub(started.elapsed()), err).await)
        }
        // A DbErr's text already ends with its cause's: chaining the cause would repeat it.
        Ok(Err(err)) => Err(anyhow::anyhow!("{err}")),
        Err(_) => Err(no_answer()),
    };
    connected.with_context(|| format!("could not connect to the database at {}", redact(url)))
}

fn no_answer() -> anyhow::Error {
    anyhow::anyhow!("no answer within {} s", CONNECT_TIMEOUT.as_secs())
}

fn is_pool_timeout(err: &DbErr) -> bool {
    match err {
        DbErr::Conn(RuntimeErr::SqlxError(e)) => matches!(e.as_ref(), sqlx::Error::PoolTimedOut),
        _ => false,
    }
}

/// The pool retries a refused connection until its acquire timeout and then reports only that
/// it timed out; one direct attempt in the time left names the cause ("Connection refused").
async fn why_unreachable(url: &str, time_left: Duration, pool_err: DbErr) -> anyhow::Error {
    use sqlx::Connection as _;
    match tokio::time::timeout(time_left, sqlx::PgConnection::connect(url)).await {
        Ok(Err(err)) => anyhow::anyhow!("{err}"),
        // It answers now: all we know is that the pool timed out.
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            anyhow::anyhow!("{pool_err}")
        }
        Err(_) => no_answer(),
    }
}

/// Applies every pending migration, then builds what is derived from articles (their read
/// documents and search documents) for any article written before it existed: building it
/// needs the application's Markdown rendering, which a migration does not have.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("could not migrate the database")?;
    let built = crate::content::derived::backfill(db)
        .await
        .context("could not build the read and search documents of existing articles")?;
    if built > 0 {
        tracing::info!(
            articles = built,
            "built read and search documents for existing articles"
        );
    }
    Ok(())
}

/// Connects and migrates: what every command does first.
pub async fn connect_and_migrate(url: &str) -> anyhow::Result<DatabaseConnection> {
    open_and_migrate(&DatabaseSettings {
        database_url: url.to_owned(),
        ..DatabaseSettings::default()
    })
    .await
}

/// [`migrate`], then [`open`]. The migration runs on a connection of its own, closed before
/// the pool opens: a SQLite connection that took its snapshot while the schema was changing
/// would otherwise keep answering "no such table" for a table that exists. (An in-memory
/// database lives in its one connection, so it is migrated in place.)
pub async fn open_and_migrate(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    if is_in_memory(&settings.database_url) {
        let db = open(settings).await?;
        migrate(&db).await?;
        return Ok(db);
    }
    let schema = connect_for_schema_changes(settings).await?;
    migrate(&schema).await?;
    schema
        .close()
        .await
        .context("could not close the migration's connection")?;
    open(settings).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_without_sslmode_goes_without_tls() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/test",
            "postgres://postgres@localhost/test",
            "postgres://postgres@[::1]:5432/test?application_name=x",
        ] {
            assert!(is_loopback_without_sslmode(url), "{url}");
        }
        for url in [
            "postgres://postgres@127.0.0.1:5432/test?sslmode=require",
            "postgres://postgres@db.example.com/test",
            "postgres://postgres@10.0.0.5/test",
            "not a url",
        ] {
            assert!(!is_loopback_without_sslmode(url), "{url}");
        }
    }
}
