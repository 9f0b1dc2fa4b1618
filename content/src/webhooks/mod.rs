//! Webhooks: receivers of events. Managing them (`webhook add`, `list`, `remove`,
//! `deliveries`) is here; claiming, retrying and finishing deliveries in [`delivery`], and
//! signing them in [`signature`]. Sending them is the server's (`src/delivery`).

pub mod delivery;
pub mod signature;

use chrono::{DateTime, Utc};
use entity::{event, webhook, webhook_delivery};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use entity::webhook_delivery::DeliveryStatus;

use crate::{Error, Result, events::EventKind, now};

/// A webhook as an operator sees it; its secret is shown once, when it is added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<EventKind>,
    pub created_at: DateTime<Utc>,
}

impl From<webhook::Model> for Webhook {
    fn from(row: webhook::Model) -> Self {
        Self {
            id: row.id,
            events: kinds(&row.events),
            url: row.url,
            created_at: row.created_at,
        }
    }
}

/// The kinds in a webhook's stored list.
pub(crate) fn kinds(list: &str) -> Vec<EventKind> {
    list.split(',').filter_map(EventKind::parse).collect()
}

/// `article.published,article.updated` as kinds: each known, at least one.
pub fn parse_kinds(list: &str) -> Result<Vec<EventKind>> {
    let mut kinds = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let kind = EventKind::parse(name).ok_or_else(|| {
            let known: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
            Error::invalid(
                "events",
                format!(
                    "unknown event {name:?}; the events are {}",
                    known.join(", ")
                ),
            )
        })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Err(Error::invalid("events", "name at least one event"));
    }
    Ok(kinds)
}

/// A receiver's URL: absolute, http or https, with a host and no credentials.
pub fn check_url(raw: &str) -> Result<url::Url> {
    let url = url::Url::parse(raw.trim())
        .map_err(|e| Error::invalid("url", format!("is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid("url", "must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid("url", "must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(
            "url",
            "must not carry credentials: deliveries are signed with the webhook's secret",
        ));
    }
    if url.fragment().is_some() {
        return Err(Error::invalid("url", "must not have a fragment"));
    }
    Ok(url)
}

/// The shortest secret accepted.
pub const MIN_SECRET: usize = 16;

/// Adds a webhook receiving `events` at `url`, signed with `secret` (or a new one): returns
/// it and its secret. Only events written from now on are delivered to it.
pub async fn add(
    db: &DatabaseConnection,
    url: &str,
    events: &str,
    secret: Option<String>,
) -> Result<(Webhook, String)> {
    let url = check_url(url)?;
    let events = parse_kinds(events)?;
    let secret = match secret {
        Some(s) if s.chars().count() < MIN_SECRET => {
            return Err(Error::invalid(
                "secret",
                format!("must be at least {MIN_SECRET} characters"),
            ));
        }
        Some(s) => s,
        None => crate::random_secret::<32>("whsec_")?,
    };
    let names: Vec<&str> = events.iter().map(|k| k.as_str()).collect();
    let row = webhook::ActiveModel {
        id: Set(Uuid::now_v7()),
        url: Set(url.to_string()),
        events: Set(names.join(",")),
        secret: Set(secret.clone()),
        created_at: Set(now()),
    };
    let row = webhook::Entity::insert(row).exec_with_returning(db).await?;
    Ok((row.into(), secret))
}

/// Every webhook, oldest first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Webhook>> {
    Ok(webhook::Entity::find()
        .order_by_asc(webhook::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(Webhook::from)
        .collect())
}

/// Removes a webhook and its deliveries, pending ones included.
pub async fn remove(db: &DatabaseConnection, id: Uuid) -> Result<()> {
    let result = webhook::Entity::delete_by_id(id).exec(db).await?;
    if result.rows_affected == 0 {
        return Err(Error::NotFound(format!("no webhook with id {id}")));
    }
    Ok(())
}

/// A delivery as `webhook deliveries` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event_id: Uuid,
    pub kind: String,
    pub slug: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The latest `limit` deliveries, of one webhook or all, newest first.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    webhook: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Delivery>> {
    if let Some(id) = webhook
        && webhook::Entity::find_by_id(id).one(db).await?.is_none()
    {
        return Err(Error::NotFound(format!("no webhook with id {id}")));
    }
    let mut select = webhook_delivery::Entity::find();
    if let Some(id) = webhook {
        select = select.filter(webhook_delivery::Column::WebhookId.eq(id));
    }
    let rows = select
        .order_by_desc(webhook_delivery::Column::CreatedAt)
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let event_ids: Vec<Uuid> = rows.iter().map(|d| d.event_id).collect();
    let events: std::collections::HashMap<Uuid, event::Model> = event::Entity::find()
        .filter(event::Column::Id.is_in(event_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    Ok(rows
        .into_iter()
        .map(|d| {
            let (kind, slug) = events
                .get(&d.event_id)
                .map(|e| (e.kind.clone(), e.slug.clone()))
                .unwrap_or_default();
            Delivery {
                id: d.id,
                webhook_id: d.webhook_id,
                event_id: d.event_id,
                kind,
                slug,
                status: d.status,
                attempts: d.attempts,
                last_status: d.last_status,
                last_error: d.last_error,
                next_attempt_at: d.next_attempt_at,
                created_at: d.created_at,
                finished_at: d.finished_at,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiver_urls_are_checked() {
        for ok in [
            "http://127.0.0.1:9000/hook",
            "https://example.com/hooks?x=1",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://example.com/",
            "example.com/hook",
            "https://user:pass@example.com/",
            "https://token@example.com/",
            "https://example.com/#part",
            "file:///etc/passwd",
        ] {
            assert!(
                matches!(check_url(bad), Err(Error::Invalid { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn event_lists_name_known_events() {
        assert_eq!(
            parse_kinds("article.published, article.updated,article.published").unwrap(),
            [EventKind::Published, EventKind::Updated]
        );
        assert!(parse_kinds("").is_err());
        assert!(parse_kinds("article.created").is_err());
    }
}
