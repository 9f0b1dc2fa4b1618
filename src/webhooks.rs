//! Sending webhook deliveries: claim due deliveries, POST each, signed, and record how it
//! went. Runs in every replica; the claims (see `content::webhooks::delivery`) make each
//! delivery one replica's at a time. Deliveries go out concurrently, each bounded by the
//! timeout, so a slow or dead receiver holds only its own deliveries, never a write, a read or
//! another webhook.

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;
use tokio::sync::Semaphore;

use crate::{
    config::EventSettings,
    content::webhooks::{
        DeliveryStatus,
        delivery::{self, Attempt, Claimed, RetryPolicy},
        signature,
    },
    events::Hub,
    http::Metrics,
};

/// How long an idle deliverer waits before looking for due retries.
const IDLE: Duration = Duration::from_millis(500);

/// The most of an error answer's body kept as the delivery's last error.
const ERROR_BODY: usize = 200;

pub async fn run(db: DatabaseConnection, settings: EventSettings, hub: Hub, metrics: Arc<Metrics>) {
    let timeout = Duration::from_millis(settings.webhook_timeout_ms);
    // A claim outlives the attempt's timeout: a replica that dies mid-delivery loses its
    // claim soon after, and another replica delivers.
    let lease = timeout + Duration::from_secs(1);
    let policy = RetryPolicy {
        first: Duration::from_millis(settings.webhook_retry_ms),
        give_up_after: Duration::from_secs(settings.webhook_retry_for_secs),
        ..RetryPolicy::default()
    };
    let client = match reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("content-api/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "could not build the webhook client: no deliveries");
            return;
        }
    };
    let slots = Arc::new(Semaphore::new(settings.webhook_concurrency.max(1)));
    let mut writes = crate::content::events::writes();
    let mut notices = hub.subscribe();
    let mut failing = false;
    loop {
        let free = slots.available_permits();
        let claimed = if free == 0 {
            Vec::new()
        } else {
            match delivery::claim(&db, free as u64, lease).await {
                Ok(claimed) => {
                    failing = false;
                    claimed
                }
                Err(error) => {
                    if !failing {
                        tracing::warn!(%error, "could not claim webhook deliveries; retrying");
                    }
                    failing = true;
                    Vec::new()
                }
            }
        };
        let busy = !claimed.is_empty();
        for claim in claimed {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let (db, client, metrics) = (db.clone(), client.clone(), metrics.clone());
            tokio::spawn(async move {
                let attempt = send(&client, &claim).await;
                match delivery::finish(&db, &claim, attempt.clone(), &policy).await {
                    Ok(status) => metrics.delivery(outcome(status)),
                    Err(error) => {
                        tracing::warn!(%error, delivery = %claim.id, "could not record a delivery");
                    }
                }
                if let Attempt::Failed { error, .. } = attempt {
                    tracing::info!(
                        delivery = %claim.id,
                        url = claim.url,
                        attempts = claim.attempts,
                        error,
                        "webhook delivery failed"
                    );
                }
                drop(slot);
            });
        }
        if busy {
            continue;
        }
        // Wake on this process's writes, any replica's events, or the next due retry.
        tokio::select! {
            _ = writes.changed() => {}
            _ = notices.recv() => {}
            _ = tokio::time::sleep(IDLE) => {}
        }
    }
}

fn outcome(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Pending => "retrying",
        DeliveryStatus::Failed => "failed",
    }
}

/// One attempt: the event as JSON, signed.
async fn send(client: &reqwest::Client, claim: &Claimed) -> Attempt {
    let body = match serde_json::to_vec(&claim.event) {
        Ok(body) => body,
        Err(e) => {
            return Attempt::Failed {
                status: None,
                error: format!("could not write the event: {e}"),
            };
        }
    };
    let now = chrono::Utc::now().timestamp();
    let response = client
        .post(&claim.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(
            signature::HEADER,
            signature::sign(&claim.secret, now, &body),
        )
        .header("Content-Api-Event", claim.event.kind.as_str())
        .header("Content-Api-Event-Id", claim.event.id.to_string())
        .header("Content-Api-Delivery", claim.id.to_string())
        .header("Content-Api-Attempt", claim.attempts.to_string())
        .body(body)
        .send()
        .await;
    match response {
        Ok(response) if response.status().is_success() => Attempt::Delivered {
            status: response.status().as_u16(),
        },
        Ok(response) => {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            let excerpt: String = text.chars().take(ERROR_BODY).collect();
            Attempt::Failed {
                status: Some(status.as_u16()),
                error: format!("the receiver answered {status}: {excerpt}")
                    .trim_end_matches([' ', ':'])
                    .to_owned(),
            }
        }
        Err(error) => Attempt::Failed {
            status: None,
            error: describe(&error),
        },
    }
}

/// A failed request, said as its cause.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "the receiver did not answer in time".to_owned();
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}
