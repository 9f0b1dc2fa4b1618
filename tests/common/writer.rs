//! Whether another process is inside a write transaction on a test database: to stop it
//! (kill -9) when it is demonstrably halfway through.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use content_api::db;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, Statement,
    sqlx::{
        self, Connection, SqliteConnection,
        sqlite::{SqliteConnectOptions, SqliteJournalMode},
    },
};

use super::TestDb;

pub enum WriterProbe {
    /// A connection that never waits for a lock, and the WAL's size when the probe began.
    Sqlite {
        conn: SqliteConnection,
        wal: PathBuf,
        wal_before: u64,
    },
    Postgres(DatabaseConnection),
}

impl WriterProbe {
    pub async fn new(test_db: &TestDb) -> Self {
        if test_db.is_postgres() {
            return Self::Postgres(db::connect(&test_db.url).await.expect("connect"));
        }
        let path = test_db
            .url
            .trim_start_matches("sqlite://")
            .trim_end_matches("?mode=rwc");
        let options = SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::ZERO);
        let conn = SqliteConnection::connect_with(&options)
            .await
            .expect("connect");
        let wal = PathBuf::from(format!("{path}-wal"));
        let wal_before = file_size(&wal);
        Self::Sqlite {
            conn,
            wal,
            wal_before,
        }
    }

    /// On SQLite: the WAL has grown (pages written) and someone still holds the write lock (a
    /// write of ours fails at once with SQLITE_BUSY), so those pages are not committed. On
    /// Postgres: a backend on the database is in a transaction that has written (it has a
    /// transaction id).
    pub async fn someone_is_writing(&mut self) -> bool {
        match self {
            Self::Postgres(db) => {
                let sql = "SELECT count(*) AS n FROM pg_stat_activity \
                           WHERE datname = current_database() AND pid <> pg_backend_pid() \
                           AND xact_start IS NOT NULL AND backend_xid IS NOT NULL";
                let row = db
                    .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
                    .await
                    .expect("read pg_stat_activity")
                    .expect("a row");
                row.try_get::<i64>("", "n").expect("a count") > 0
            }
            Self::Sqlite {
                conn,
                wal,
                wal_before,
            } => {
                // Only then try for the lock: taking it while the writer has yet to could
                // make the writer fail instead of wait.
                if file_size(wal) <= *wal_before {
                    return false;
                }
                match sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
                    Ok(_) => {
                        sqlx::query("ROLLBACK")
                            .execute(&mut *conn)
                            .await
                            .expect("roll back");
                        false
                    }
                    Err(err) if is_busy(&err) => true,
                    Err(err) => panic!("BEGIN IMMEDIATE: {err}"),
                }
            }
        }
    }
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn is_busy(err: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i32 = 5;
    err.as_database_error()
        .and_then(|e| e.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == SQLITE_BUSY)
}
