//! Brings every committed event into the [`Hub`], whichever replica or process wrote it.
//!
//! - Postgres: `LISTEN` on the events channel; writers `NOTIFY` it in their transaction, so
//!   a notification arrives once the write commits, on every replica. sqlx's listener
//!   reconnects by itself; notifications sent while it was away are not replayed (the outbox
//!   keeps the events, and webhooks are delivered from it regardless).
//! - SQLite: one writer at a time, so events commit in `seq` order: read the ones after the
//!   last seen when this process writes, and every quarter second for other processes (the
//!   CLI importing into the file the server serves).

use std::{sync::Arc, time::Duration};

use sea_orm::{DatabaseConnection, DbBackend};

use super::Hub;
use crate::{content::events, http::Metrics};

/// How long the SQLite feed waits for this process's writes before looking anyway.
const SQLITE_POLL: Duration = Duration::from_millis(250);
/// Events read from SQLite at once.
const SQLITE_BATCH: u64 = 500;
/// The wait before trying again when the database is away.
const RETRY: Duration = Duration::from_secs(1);

pub async fn run(db: DatabaseConnection, hub: Hub, metrics: Arc<Metrics>) {
    match db.get_database_backend() {
        DbBackend::Postgres => listen(db, hub, metrics).await,
        _ => poll(db, hub, metrics).await,
    }
}

fn publish(hub: &Hub, metrics: &Metrics, event: events::Event) {
    let lag = (chrono::Utc::now() - event.occurred_at)
        .to_std()
        .unwrap_or_default();
    metrics.notification_lag(lag);
    hub.publish(event);
}

async fn listen(db: DatabaseConnection, hub: Hub, metrics: Arc<Metrics>) {
    use sea_orm::sqlx::{pool::PoolOptions, postgres::PgListener};
    loop {
        // A connection of its own, beside the pool's: it is held for as long as the server
        // runs, and requests must not be one connection short.
        let options = (*db.get_postgres_connection_pool().connect_options()).clone();
        let listener = PoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .connect_with(options)
            .await;
        let listener = match listener {
            Ok(pool) => PgListener::connect_with(&pool).await,
            Err(error) => Err(error),
        };
        let mut listener = match listener {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "could not listen for events; retrying");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        if let Err(error) = listener.listen(events::CHANNEL).await {
            tracing::warn!(%error, "could not listen for events; retrying");
            tokio::time::sleep(RETRY).await;
            continue;
        }
        loop {
            match listener.recv().await {
                Ok(notification) => match events::decode(notification.payload()) {
                    Ok(batch) => batch.into_iter().for_each(|e| publish(&hub, &metrics, e)),
                    Err(error) => tracing::warn!(%error, "ignored a notification"),
                },
                Err(error) => {
                    tracing::warn!(%error, "lost the events listener; reconnecting");
                    break;
                }
            }
        }
    }
}

async fn poll(db: DatabaseConnection, hub: Hub, metrics: Arc<Metrics>) {
    let mut writes = events::writes();
    let mut last = loop {
        match events::last_seq(&db).await {
            Ok(seq) => break seq,
            Err(error) => {
                tracing::warn!(%error, "could not read the outbox; retrying");
                tokio::time::sleep(RETRY).await;
            }
        }
    };
    loop {
        let _ = tokio::time::timeout(SQLITE_POLL, writes.changed()).await;
        loop {
            match events::since(&db, last, SQLITE_BATCH).await {
                Ok(batch) if batch.is_empty() => break,
                Ok(batch) => {
                    for (seq, event) in batch {
                        last = seq;
                        publish(&hub, &metrics, event);
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "could not read the outbox; retrying");
                    tokio::time::sleep(RETRY).await;
                    break;
                }
            }
        }
    }
}
