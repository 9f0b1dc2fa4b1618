//! Events: what happened to an article, written to the outbox (`events`) in the transaction of
//! the write that made it happen, so a committed write always has its events and a rolled-back
//! one never does. Webhook deliveries are written with them ([`crate::webhooks`]).
//!
//! On Postgres each transaction that records events also sends them with `NOTIFY` on
//! [`CHANNEL`]; Postgres delivers a notification only when its transaction commits, to every
//! replica listening. On SQLite, one process serves: it reads new events by their `seq`
//! ([`since`]) when this process writes ([`written`]) or, for another process's writes, when a
//! short wait runs out.

pub mod schedule;

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use entity::{event, webhook, webhook_delivery};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use uuid::Uuid;

use crate::{ArticleStatus, Error, Result, bundle::insert_all, now};

/// The Postgres channel events are sent on.
pub const CHANNEL: &str = "content_api_events";

/// What happened to an article.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// Readers can see it now: published, or its scheduled time came.
    #[serde(rename = "article.published")]
    Published,
    /// Its content changed (or a draft was created, or a publication was scheduled).
    #[serde(rename = "article.updated")]
    Updated,
    /// A published article went back to draft.
    #[serde(rename = "article.unpublished")]
    Unpublished,
    #[serde(rename = "article.archived")]
    Archived,
    #[serde(rename = "article.deleted")]
    Deleted,
}

impl EventKind {
    pub const ALL: [Self; 5] = [
        Self::Published,
        Self::Updated,
        Self::Unpublished,
        Self::Archived,
        Self::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "article.published",
            Self::Updated => "article.updated",
            Self::Unpublished => "article.unpublished",
            Self::Archived => "article.archived",
            Self::Deleted => "article.deleted",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event as receivers and subscribers get it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Unique; a receiver's idempotency key.
    pub id: Uuid,
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub article_id: Uuid,
    pub slug: String,
    /// The article's revision after the change.
    pub revision: i64,
    pub occurred_at: DateTime<Utc>,
}

impl Event {
    pub(crate) fn from_row(row: event::Model) -> Result<Self> {
        let kind = EventKind::parse(&row.kind)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("unknown event kind {:?}", row.kind)))?;
        Ok(Self {
            id: row.id,
            kind,
            article_id: row.article_id,
            slug: row.slug,
            revision: row.revision,
            occurred_at: row.occurred_at,
        })
    }
}

/// A change a write made to an article, to be recorded as an event.
#[derive(Clone, Debug)]
pub(crate) struct Change {
    pub kind: EventKind,
    pub article_id: Uuid,
    pub slug: String,
    pub revision: i64,
}

/// An article's state before a write, as far as events care.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Before {
    pub status: ArticleStatus,
    pub announced: bool,
}

/// The event a write of an article leaving it with `status` and `published_at` makes, and
/// whether the article counts as announced afterwards. A publication whose time is still to
/// come is an update now and is announced by [`schedule`] when its time comes.
pub(crate) fn classify(
    before: Option<Before>,
    status: ArticleStatus,
    published_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (EventKind, bool) {
    let was_announced = before.is_some_and(|b| b.status == ArticleStatus::Published && b.announced);
    match status {
        ArticleStatus::Published if published_at.is_none_or(|t| t <= now) => {
            let kind = if was_announced {
                EventKind::Updated
            } else {
                EventKind::Published
            };
            (kind, true)
        }
        ArticleStatus::Published => (EventKind::Updated, false),
        ArticleStatus::Draft if was_announced => (EventKind::Unpublished, false),
        ArticleStatus::Archived if before.is_some_and(|b| b.status != ArticleStatus::Archived) => {
            (EventKind::Archived, false)
        }
        _ => (EventKind::Updated, false),
    }
}

/// Writes `changes` as events, with a delivery for each webhook that wants each, and (on
/// Postgres) sends them on [`CHANNEL`] at commit. Call inside the write's transaction.
pub(crate) async fn record(txn: &impl ConnectionTrait, changes: Vec<Change>) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let t = now();
    let events: Vec<Event> = changes
        .into_iter()
        .map(|c| Event {
            id: Uuid::now_v7(),
            kind: c.kind,
            article_id: c.article_id,
            slug: c.slug,
            revision: c.revision,
            occurred_at: t,
        })
        .collect();
    let rows = events
        .iter()
        .map(|e| event::ActiveModel {
            seq: NotSet,
            id: Set(e.id),
            kind: Set(e.kind.as_str().to_owned()),
            article_id: Set(e.article_id),
            slug: Set(e.slug.clone()),
            revision: Set(e.revision),
            occurred_at: Set(e.occurred_at),
        })
        .collect();
    insert_all(txn, rows).await?;

    let webhooks = webhook::Entity::find().all(txn).await?;
    let mut deliveries = Vec::new();
    for hook in &webhooks {
        let wants = crate::webhooks::kinds(&hook.events);
        for e in events.iter().filter(|e| wants.contains(&e.kind)) {
            deliveries.push(webhook_delivery::ActiveModel {
                id: Set(Uuid::now_v7()),
                webhook_id: Set(hook.id),
                event_id: Set(e.id),
                status: Set(webhook_delivery::DeliveryStatus::Pending),
                attempts: Set(0),
                next_attempt_at: Set(t),
                locked_until: Set(None),
                last_status: Set(None),
                last_error: Set(None),
                created_at: Set(t),
                finished_at: Set(None),
            });
        }
    }
    insert_all(txn, deliveries).await?;

    if txn.get_database_backend() == DbBackend::Postgres {
        for payload in notifications(&events)? {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), payload.into()],
            ))
            .await?;
        }
    }
    Ok(())
}

/// The largest notification payload sent: Postgres refuses one of 8,000 bytes or more.
const MAX_PAYLOAD: usize = 7_900;

/// `events` as JSON arrays, each under [`MAX_PAYLOAD`] bytes.
fn notifications(events: &[Event]) -> Result<Vec<String>> {
    let mut payloads = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 2;
    for e in events {
        let json = serde_json::to_string(e).map_err(anyhow::Error::from)?;
        if !current.is_empty() && size + json.len() + 1 > MAX_PAYLOAD {
            payloads.push(format!("[{}]", current.join(",")));
            current.clear();
            size = 2;
        }
        size += json.len() + 1;
        current.push(json);
    }
    if !current.is_empty() {
        payloads.push(format!("[{}]", current.join(",")));
    }
    Ok(payloads)
}

/// The events of one notification on [`CHANNEL`].
pub fn decode(payload: &str) -> Result<Vec<Event>> {
    serde_json::from_str(payload)
        .map_err(|e| Error::Internal(anyhow::anyhow!("a notification that is not events: {e}")))
}

/// Up to `limit` events written after `seq`, with their `seq`s, in order.
pub async fn since(db: &impl ConnectionTrait, seq: i64, limit: u64) -> Result<Vec<(i64, Event)>> {
    event::Entity::find()
        .filter(event::Column::Seq.gt(seq))
        .order_by_asc(event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|row| Ok((row.seq, Event::from_row(row)?)))
        .collect()
}

/// The `seq` of the last event written, 0 if none.
pub async fn last_seq(db: &impl ConnectionTrait) -> Result<i64> {
    let last: Option<i64> = event::Entity::find()
        .select_only()
        .column(event::Column::Seq)
        .order_by_desc(event::Column::Seq)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    Ok(last.unwrap_or(0))
}

/// Deletes the events written before `before` that no delivery is still waiting on, with
/// their finished deliveries: returns how many. The outbox keeps what is recent, for
/// `webhook deliveries` and for receivers' support; what is pending stays until it is done.
pub async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64> {
    use sea_orm::sea_query::{Expr, Query};
    let pending = Query::select()
        .column(webhook_delivery::Column::EventId)
        .from(webhook_delivery::Entity)
        .and_where(Expr::cust("\"webhook_deliveries\".\"status\" = 'pending'"))
        .to_owned();
    let deleted = event::Entity::delete_many()
        .filter(event::Column::OccurredAt.lt(before))
        .filter(event::Column::Id.not_in_subquery(pending))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// Counts this process's committed writes that recorded events.
static WRITES: LazyLock<watch::Sender<u64>> = LazyLock::new(|| watch::Sender::new(0));

/// Says that this process committed events: wakes its readers of the outbox.
pub(crate) fn written() {
    WRITES.send_modify(|n| *n += 1);
}

/// Sees each [`written`] after it is made.
pub fn writes() -> watch::Receiver<u64> {
    WRITES.subscribe()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(s, 0)
    }

    #[test]
    fn a_write_is_classified_by_what_readers_see_change() {
        use ArticleStatus::*;
        let now = at(1_000).unwrap();
        let published = Some(Before {
            status: Published,
            announced: true,
        });
        let scheduled = Some(Before {
            status: Published,
            announced: false,
        });
        let draft = Some(Before {
            status: Draft,
            announced: false,
        });
        for (before, status, time, kind, announced) in [
            (None, Draft, None, EventKind::Updated, false),
            (None, Published, at(10), EventKind::Published, true),
            (None, Published, at(2_000), EventKind::Updated, false),
            (draft, Published, at(999), EventKind::Published, true),
            (published, Published, at(999), EventKind::Updated, true),
            (scheduled, Published, at(999), EventKind::Published, true),
            (published, Draft, at(999), EventKind::Unpublished, false),
            (scheduled, Draft, at(2_000), EventKind::Updated, false),
            (published, Archived, at(999), EventKind::Archived, false),
            (draft, Draft, None, EventKind::Updated, false),
        ] {
            assert_eq!(
                classify(before, status, time, now),
                (kind, announced),
                "{before:?} -> {status:?} at {time:?}"
            );
        }
    }

    #[test]
    fn notifications_stay_under_the_payload_limit() {
        let events: Vec<Event> = (0..500)
            .map(|i| Event {
                id: Uuid::now_v7(),
                kind: EventKind::Updated,
                article_id: Uuid::now_v7(),
                slug: format!("article-{i}"),
                revision: i,
                occurred_at: at(0).unwrap(),
            })
            .collect();
        let payloads = notifications(&events).unwrap();
        assert!(payloads.len() > 1);
        assert!(payloads.iter().all(|p| p.len() < 8_000));
        let decoded: Vec<Event> = payloads.iter().flat_map(|p| decode(p).unwrap()).collect();
        assert_eq!(decoded, events);
    }
}
