//! Events in the server: the [`Hub`] that brings every event to this replica's subscribers
//! (fed by [`feed`]: Postgres `LISTEN`, or the SQLite outbox), the scheduler that announces
//! scheduled articles when their time comes, and the webhook deliverer ([`crate::webhooks`]).

pub mod feed;
mod hub;

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;

pub use hub::{Hub, Notice};

use crate::{config::EventSettings, http::Metrics};

/// How often each replica looks for scheduled articles whose time has come.
const SCHEDULER_TICK: Duration = Duration::from_millis(250);

/// Starts this replica's event tasks: the feed into `hub`, the scheduler and (when switched
/// on) the webhook deliverer. They run until the runtime stops.
pub fn start(db: DatabaseConnection, settings: &EventSettings, hub: Hub, metrics: Arc<Metrics>) {
    tokio::spawn(feed::run(db.clone(), hub.clone(), metrics.clone()));
    tokio::spawn(schedule(db.clone()));
    tokio::spawn(prune(db.clone(), settings.events_retention_days));
    if settings.webhooks == crate::config::Switch::On {
        tokio::spawn(crate::webhooks::run(db, settings.clone(), hub, metrics));
    }
}

/// How often each replica prunes the outbox.
const PRUNE_EVERY: Duration = Duration::from_secs(3_600);

/// Deletes events older than the retention once an hour (whichever replica; deleting what
/// another deleted is harmless).
async fn prune(db: DatabaseConnection, retention_days: u32) {
    let mut tick = tokio::time::interval(PRUNE_EVERY);
    loop {
        tick.tick().await;
        let before = chrono::Utc::now() - chrono::Duration::days(i64::from(retention_days));
        match crate::content::events::prune(&db, before).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "pruned old events from the outbox"),
            Err(error) => tracing::warn!(%error, "could not prune the outbox"),
        }
    }
}

/// Announces scheduled articles whose time has come, a few times a second.
async fn schedule(db: DatabaseConnection) {
    let mut tick = tokio::time::interval(SCHEDULER_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tick.tick().await;
        match crate::content::events::schedule::announce_due(&db).await {
            Ok(_) => failing = false,
            Err(error) if !failing => {
                failing = true;
                tracing::warn!(%error, "could not announce scheduled articles; retrying");
            }
            Err(_) => {}
        }
    }
}
