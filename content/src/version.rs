//! What decides whether content read earlier still holds: the content version, which every
//! write transaction raises (in the same transaction, so it commits or rolls back with the
//! write), and the publish time of the next scheduled article, when anonymous readers' view
//! changes with no write at all.
//!
//! [`Watch`] gives a caller a [`Stamp`] read *after* it asked, so a write that returned before
//! a request arrived is always seen, whichever replica or process made it; concurrent callers
//! share one read, so the cost is one small statement per round trip, not per request.

use std::{
    sync::{Arc, Mutex},
    time::Instant,
};

use chrono::{DateTime, Utc};
use entity::article;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult,
    sea_query::{Expr, ExprTrait, Func, Query},
};
use tokio::sync::Notify;

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
    let now = super::now_in(db.get_database_backend());
    let next_arrival = Query::select()
        .expr(Func::min(Expr::col(article::Column::PublishedAt)))
        .from(article::Entity)
        .and_where(Expr::col(article::Column::Status).eq(Expr::cust(super::articles::PUBLISHED)))
        .and_where(Expr::col(article::Column::PublishedAt).gt(now.clone()))
        .to_owned();
    let select = Query::select()
        .column("version")
        .expr_as(
            Expr::SubQuery(None, Box::new(next_arrival.into())),
            "next_arrival",
        )
        .expr_as(now, "read_at")
        .from(TABLE)
        .and_where(Expr::col("id").eq(1))
        .to_owned();
    let row = db
        .query_one(&select)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the content version row is missing"))?;
    Ok(Stamp::from_query_result(&row, "")?)
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
    state: Mutex<State>,
    done: Notify,
}

impl Watch {
    pub fn new(db: DatabaseConnection) -> Arc<Self> {
        Arc::new(Self {
            db,
            state: Mutex::new(State::default()),
            done: Notify::new(),
        })
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
                        let result = read(&watch.db).await.map_err(|e| e.to_string());
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
