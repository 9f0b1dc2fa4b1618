//! What decides whether content read earlier still holds: the content version, which every
//! write transaction raises (in the same transaction, so it commits or rolls back with the
//! write), and the publish time of the next scheduled article, when anonymous readers' view
//! changes with no write at all.
//!
//! [`Watch`] gives a caller a [`Stamp`] read *after* it asked, so a write that returned before
//! a request arrived is always seen, whichever replica or process made it; concurrent callers
//! share one read, so the cost is one small statement per round trip, not per request.

use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::Instant,
};

use chrono::{DateTime, SecondsFormat, Utc};
use entity::article;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult, Statement,
    sea_query::{Expr, ExprTrait, Func, Query, SelectStatement, SimpleExpr, SqliteQueryBuilder},
};
use tokio::sync::{Notify, OnceCell};

use super::Result;

/// The table with the one version row (see the migration that creates it).
const TABLE: &str = "content_version";

/// The content version and the next scheduled arrival, as read at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromQueryResult)]
pub struct Stamp {
    pub version: i64,
    /// The earliest publish time still to come of a PUBLISHED article: until then, what
    /// anonymous readers see changes only by writes.
    pub next_arrival: Option<DateTime<Utc>>,
    /// When the stamp was read, by the clock that decides what readers see (see
    /// [`crate::now_in`]).
    pub read_at: DateTime<Utc>,
}

impl Stamp {
    /// Whether content read under `self` still holds under `now`, the stamp read since.
    pub fn holds(&self, now: &Stamp) -> bool {
        self.version == now.version
            && self
                .next_arrival
                .is_none_or(|arrival| now.read_at < arrival)
    }
}

/// Raises the content version; call it inside every write transaction.
pub async fn bump(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    let update = Query::update()
        .table(TABLE)
        .value("version", Expr::col("version").add(1))
        .and_where(Expr::col("id").eq(1))
        .to_owned();
    txn.execute(&update).await.map(|_| ())
}

/// Reads the stamp: one statement.
pub async fn read(db: &impl ConnectionTrait) -> Result<Stamp> {
    let select = statement(super::now_in(db.get_database_backend()));
    let row = db.query_one(&select).await?.ok_or_else(missing_row)?;
    Ok(Stamp::from_query_result(&row, "")?)
}

/// The stamp's statement, with `now` the time it is read at.
fn statement(now: SimpleExpr) -> SelectStatement {
    let next_arrival = Query::select()
        .expr(Func::min(Expr::col(article::Column::PublishedAt)))
        .from(article::Entity)
        .and_where(Expr::col(article::Column::Status).eq(Expr::cust(super::articles::PUBLISHED)))
        .and_where(Expr::col(article::Column::PublishedAt).gt(now.clone()))
        .to_owned();
    Query::select()
        .column("version")
        .expr_as(
            Expr::SubQuery(None, Box::new(next_arrival.into())),
            "next_arrival",
        )
        .expr_as(now, "read_at")
        .from(TABLE)
        .and_where(Expr::col("id").eq(1))
        .to_owned()
}

fn missing_row() -> anyhow::Error {
    anyhow::anyhow!("the content version row is missing")
}

/// A SQLite file's stamp, read in place on a connection of its own.
///
/// Through the pool a stamp read is a hop to sqlx's worker thread and back, two thread
/// switches that cost more than the read: most of what a cached answer cost. Here it is a few
/// microseconds on the caller's thread. Times compare as text in SQLite, so `now` is bound in
/// the form sqlx writes them in (RFC 3339, `+00:00`).
struct FileReader {
    conn: rusqlite::Connection,
    sql: String,
}

impl FileReader {
    /// How long a read may wait on a lock: a WAL reader waits only while the log is being
    /// reset, which takes moments; a longer wait would hold the server's thread.
    const BUSY: std::time::Duration = std::time::Duration::from_millis(250);

    fn open(path: &Path) -> rusqlite::Result<Self> {
        use rusqlite::OpenFlags;
        let conn = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Self::BUSY)?;
        let sql = statement(Expr::cust("?1")).to_string(SqliteQueryBuilder);
        // Prepared once here, so a missing table fails now rather than on a request.
        conn.prepare_cached(&sql)?;
        Ok(Self { conn, sql })
    }

    fn read(&self) -> Result<Stamp> {
        let read_at = super::now();
        let bound = read_at.to_rfc3339_opts(SecondsFormat::AutoSi, false);
        let mut statement = self
            .conn
            .prepare_cached(&self.sql)
            .map_err(anyhow::Error::from)?;
        let (version, next_arrival) = statement
            .query_row([bound], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, Option<String>>(1)?))
            })
            .map_err(|err| match err {
                rusqlite::Error::QueryReturnedNoRows => missing_row(),
                err => err.into(),
            })?;
        let next_arrival = next_arrival
            .map(|text: String| DateTime::parse_from_rfc3339(&text).map(|t| t.with_timezone(&Utc)))
            .transpose()
            .map_err(|err| anyhow::anyhow!("a stored publish time is not RFC 3339: {err}"))?;
        Ok(Stamp {
            version,
            next_arrival,
            read_at,
        })
    }
}

/// The file of a SQLite database `db` is a pool of, as SQLite names it; `None` for Postgres,
/// for a database in memory, or when it cannot be opened (the pool then serves).
async fn file_reader(db: &DatabaseConnection) -> Option<Mutex<FileReader>> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let asked = Statement::from_string(
        DbBackend::Sqlite,
        "SELECT file FROM pragma_database_list WHERE name = 'main'",
    );
    let file = match db.query_one_raw(asked).await {
        Ok(Some(row)) => row.try_get::<String>("", "file").ok()?,
        _ => return None,
    };
    if file.is_empty() {
        return None;
    }
    match FileReader::open(Path::new(&file)) {
        Ok(reader) => Some(Mutex::new(reader)),
        Err(err) => {
            tracing::warn!(error = %err, file, "the content stamp is read through the pool: its SQLite file could not be opened");
            None
        }
    }
}

/// The last read and whether one is running.
#[derive(Default)]
struct State {
    last: Option<(Instant, Result<Stamp, String>)>,
    reading: bool,
}

/// Shares stamp reads between concurrent callers; each caller still gets one read that began
/// after it asked.
pub struct Watch {
    db: DatabaseConnection,
    /// Set at the first read: how a SQLite file's stamp is read in place.
    file: OnceCell<Option<Mutex<FileReader>>>,
    /// Told of each statement run in place (the pool's own statements are counted by its
    /// metric callback).
    counted: Box<dyn Fn() + Send + Sync>,
    state: Mutex<State>,
    done: Notify,
}

impl Watch {
    /// A watch over `db`; `counted` is called for each statement run outside the pool. Inside
    /// a runtime, a SQLite file's reader is opened now rather than on the first request.
    pub fn new(db: DatabaseConnection, counted: impl Fn() + Send + Sync + 'static) -> Arc<Self> {
        let watch = Arc::new(Self {
            db,
            file: OnceCell::new(),
            counted: Box::new(counted),
            state: Mutex::new(State::default()),
            done: Notify::new(),
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let opening = watch.clone();
            runtime.spawn(async move {
                opening.file().await;
            });
        }
        watch
    }

    async fn file(&self) -> &Option<Mutex<FileReader>> {
        self.file.get_or_init(|| file_reader(&self.db)).await
    }

    async fn read(&self) -> Result<Stamp> {
        match self.file().await {
            Some(reader) => {
                (self.counted)();
                reader.lock().unwrap_or_else(|e| e.into_inner()).read()
            }
            None => read(&self.db).await,
        }
    }

    /// A stamp read that began after this call.
    pub async fn current(self: &Arc<Self>) -> Result<Stamp> {
        let asked = Instant::now();
        loop {
            let done = self.done.notified();
            tokio::pin!(done);
            done.as_mut().enable();
            {
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((began, result)) = &state.last
                    && *began >= asked
                {
                    return result.clone().map_err(stale_read);
                }
                if !state.reading {
                    state.reading = true;
                    // A task of its own: a caller that goes away must not leave the read
                    // half-done and every other caller waiting.
                    let watch = self.clone();
                    tokio::spawn(async move {
                        let began = Instant::now();
                        let result = watch.read().await.map_err(|e| e.to_string());
                        let mut state = watch.state.lock().unwrap_or_else(|e| e.into_inner());
                        state.last = Some((began, result));
                        state.reading = false;
                        drop(state);
                        watch.done.notify_waiters();
                    });
                }
            }
            done.await;
        }
    }
}

/// A failed read, for every caller that shared it.
fn stale_read(message: String) -> super::Error {
    super::Error::Unavailable(format!("could not read the content version: {message}"))
}
