//! Deliveries' lifecycle: claimed by one replica at a time, then delivered, retried later, or
//! failed when the retry window has closed.
//!
//! A claim takes pending deliveries that are due with `FOR UPDATE SKIP LOCKED` (on Postgres;
//! SQLite has one writer) and leases them: `attempts` goes up and `locked_until` keeps every
//! other replica off them while the lease runs. A replica that dies mid-delivery leaves its
//! lease to run out; another then claims the delivery and sends it again, with the same event
//! id: delivery is at least once.

use std::{collections::HashMap, time::Duration};

use chrono::{DateTime, Utc};
use entity::{event, webhook, webhook_delivery};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect,
    sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query},
};
use uuid::Uuid;

use super::DeliveryStatus;
use crate::{Error, Result, events::Event, now};

/// How long failed deliveries are retried, and how far apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failure; it doubles with each failure after.
    pub first: Duration,
    /// The longest wait between two attempts.
    pub longest: Duration,
    /// After this long since the event, a failure is final.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(10),
            longest: Duration::from_secs(3_600),
            give_up_after: Duration::from_secs(24 * 3_600),
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempts`-th attempt failed: exponential, capped, and spread by a
    /// random factor between 0.5 and 1.5 (`jitter` in [0, 1)), so receivers coming back are
    /// not hit by every retry at once.
    pub fn backoff(&self, attempts: i32, jitter: f64) -> Duration {
        let doublings = attempts.saturating_sub(1).clamp(0, 30) as u32;
        let wait = self
            .first
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(self.longest);
        wait.mul_f64(0.5 + jitter.clamp(0.0, 1.0))
    }
}

/// A delivery this replica holds the lease of.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub url: String,
    pub secret: String,
    /// Attempts so far, this one included.
    pub attempts: i32,
    pub event: Event,
}

/// Pending deliveries that are due and not leased to another replica.
fn due(t: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(Expr::cust("\"webhook_deliveries\".\"status\" = 'pending'"))
        .add(webhook_delivery::Column::NextAttemptAt.lte(t))
        .add(
            Condition::any()
                .add(webhook_delivery::Column::LockedUntil.is_null())
                .add(webhook_delivery::Column::LockedUntil.lte(t)),
        )
}

/// Claims up to `limit` due deliveries for `lease`.
pub async fn claim(db: &DatabaseConnection, limit: u64, lease: Duration) -> Result<Vec<Claimed>> {
    let t = now();
    let any: Option<Uuid> = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::Id)
        .filter(due(t))
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    if any.is_none() || limit == 0 {
        return Ok(vec![]);
    }
    let lease = chrono::Duration::from_std(lease).map_err(anyhow::Error::from)?;
    let candidates = Query::select()
        .column(webhook_delivery::Column::Id)
        .from(webhook_delivery::Entity)
        .cond_where(due(t))
        .order_by(webhook_delivery::Column::NextAttemptAt, sea_orm::Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let claimed = webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Attempts,
            Expr::col(webhook_delivery::Column::Attempts).add(1),
        )
        .col_expr(
            webhook_delivery::Column::LockedUntil,
            Expr::value(t + lease),
        )
        .filter(webhook_delivery::Column::Id.in_subquery(candidates))
        .exec_with_returning(db)
        .await?;
    if claimed.is_empty() {
        return Ok(vec![]);
    }
    let hooks: HashMap<Uuid, webhook::Model> = webhook::Entity::find()
        .filter(webhook::Column::Id.is_in(claimed.iter().map(|d| d.webhook_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect();
    let events: HashMap<Uuid, event::Model> = event::Entity::find()
        .filter(event::Column::Id.is_in(claimed.iter().map(|d| d.event_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let mut out = Vec::with_capacity(claimed.len());
    for d in claimed {
        // A webhook removed since the claim took its deliveries with it.
        let (Some(hook), Some(event)) = (hooks.get(&d.webhook_id), events.get(&d.event_id)) else {
            continue;
        };
        out.push(Claimed {
            id: d.id,
            webhook_id: d.webhook_id,
            url: hook.url.clone(),
            secret: hook.secret.clone(),
            attempts: d.attempts,
            event: Event::from_row(event.clone())?,
        });
    }
    Ok(out)
}

/// How an attempt went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered 2xx.
    Delivered { status: u16 },
    /// It answered otherwise, or not at all.
    Failed { status: Option<u16>, error: String },
}

/// Records how the attempt on `claimed` went: delivered, to be retried after a backoff, or
/// failed for good once `policy`'s window has closed. Returns the delivery's status.
pub async fn finish(
    db: &DatabaseConnection,
    claimed: &Claimed,
    attempt: Attempt,
    policy: &RetryPolicy,
) -> Result<DeliveryStatus> {
    let t = now();
    let mut row = webhook_delivery::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(claimed.id),
        locked_until: Set(None),
        ..Default::default()
    };
    let status = match attempt {
        Attempt::Delivered { status } => {
            row.status = Set(DeliveryStatus::Delivered);
            row.last_status = Set(Some(i32::from(status)));
            row.last_error = Set(None);
            row.finished_at = Set(Some(t));
            DeliveryStatus::Delivered
        }
        Attempt::Failed { status, error } => {
            row.last_status = Set(status.map(i32::from));
            row.last_error = Set(Some(error));
            let next = t + chrono::Duration::from_std(policy.backoff(claimed.attempts, jitter()?))
                .map_err(anyhow::Error::from)?;
            let window =
                chrono::Duration::from_std(policy.give_up_after).map_err(anyhow::Error::from)?;
            if next > claimed.event.occurred_at + window {
                row.status = Set(DeliveryStatus::Failed);
                row.finished_at = Set(Some(t));
                DeliveryStatus::Failed
            } else {
                row.next_attempt_at = Set(next);
                DeliveryStatus::Pending
            }
        }
    };
    // Only a pending delivery changes: one another replica delivered meanwhile stays so.
    webhook_delivery::Entity::update_many()
        .set(row)
        .filter(webhook_delivery::Column::Id.eq(claimed.id))
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .exec(db)
        .await?;
    Ok(status)
}

/// A random number in [0, 1).
fn jitter() -> Result<f64> {
    let bytes = crate::random_bytes::<8>()?;
    Ok((u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64)
}

/// The outbox's backlog: deliveries pending, and when the oldest of them was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Backlog {
    pub pending: i64,
    pub oldest: Option<DateTime<Utc>>,
}

/// One statement.
pub async fn backlog(db: &impl ConnectionTrait) -> Result<Backlog> {
    let row: Option<(i64, Option<DateTime<Utc>>)> = webhook_delivery::Entity::find()
        .select_only()
        .expr(Expr::cust("COUNT(*)"))
        .expr(Expr::col(webhook_delivery::Column::CreatedAt).min())
        .filter(Expr::cust("\"webhook_deliveries\".\"status\" = 'pending'"))
        .into_tuple()
        .one(db)
        .await?;
    let (pending, oldest) = row.ok_or_else(|| Error::Internal(anyhow::anyhow!("no count")))?;
    Ok(Backlog { pending, oldest })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_around_it() {
        let policy = RetryPolicy {
            first: Duration::from_secs(10),
            longest: Duration::from_secs(3_600),
            give_up_after: Duration::from_secs(86_400),
        };
        assert_eq!(policy.backoff(1, 0.5), Duration::from_secs(10));
        assert_eq!(policy.backoff(2, 0.5), Duration::from_secs(20));
        assert_eq!(policy.backoff(4, 0.5), Duration::from_secs(80));
        assert_eq!(policy.backoff(40, 0.5), Duration::from_secs(3_600));
        assert_eq!(policy.backoff(1, 0.0), Duration::from_secs(5));
        assert_eq!(
            policy.backoff(1, 0.999_999),
            Duration::from_secs_f64(14.999_99)
        );
    }
}
