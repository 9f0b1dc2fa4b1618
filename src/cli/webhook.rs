//! `content-api webhook`: add, list and remove webhooks, and see their deliveries.

use anyhow::Context;
use clap::Subcommand;
use uuid::Uuid;

use super::{cli_time, print_table};
use crate::{
    config::DatabaseSettings,
    content::{events::EventKind, webhooks},
    db,
};

#[derive(Subcommand, Debug)]
pub enum WebhookAction {
    /// Add a webhook: every event of the kinds named is POSTed to URL as JSON, signed with
    /// the secret (`Content-Api-Signature`). Prints its id and secret.
    Add {
        /// Where deliveries go: http or https, without credentials.
        #[arg(long)]
        url: String,
        /// The events it receives, comma-separated: article.published, article.updated,
        /// article.unpublished, article.archived, article.deleted.
        #[arg(long)]
        events: String,
        /// The secret deliveries are signed with (at least 16 characters); a random one when
        /// missing.
        #[arg(long, env = "CONTENT_API_WEBHOOK_SECRET")]
        secret: Option<String>,
    },
    /// List the webhooks: id, URL, events, when added (never their secrets).
    List,
    /// Remove a webhook, with its deliveries.
    Remove {
        /// The webhook's id.
        id: Uuid,
    },
    /// The latest deliveries, of one webhook or all: status, attempts, last error.
    Deliveries {
        /// The webhook's id; all webhooks when missing.
        id: Option<Uuid>,
        /// How many to show, newest first.
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
}

pub async fn run(database: &DatabaseSettings, action: WebhookAction) -> anyhow::Result<()> {
    let db = db::open_and_migrate(database).await?;
    match action {
        WebhookAction::Add {
            url,
            events,
            secret,
        } => {
            let (hook, secret) = webhooks::add(&db, &url, &events, secret)
                .await
                .context("could not add the webhook")?;
            println!("added the webhook {} for {}", hook.id, names(&hook.events));
            println!("id: {}", hook.id);
            println!("Deliveries are signed with this secret (Content-Api-Signature):");
            println!("secret: {secret}");
        }
        WebhookAction::List => {
            let list = webhooks::list(&db)
                .await
                .context("could not list the webhooks")?;
            if list.is_empty() {
                println!("no webhooks; add one with `content-api webhook add`");
                return Ok(());
            }
            let rows: Vec<[String; 4]> = list
                .iter()
                .map(|h| {
                    [
                        h.id.to_string(),
                        h.url.clone(),
                        names(&h.events),
                        cli_time(h.created_at),
                    ]
                })
                .collect();
            print_table(["ID", "URL", "EVENTS", "ADDED"], &rows);
        }
        WebhookAction::Remove { id } => {
            webhooks::remove(&db, id)
                .await
                .context("could not remove the webhook")?;
            println!("removed the webhook {id}");
        }
        WebhookAction::Deliveries { id, limit } => {
            let list = webhooks::deliveries(&db, id, limit)
                .await
                .context("could not list the deliveries")?;
            if list.is_empty() {
                println!("no deliveries yet");
                return Ok(());
            }
            let rows: Vec<[String; 8]> = list
                .iter()
                .map(|d| {
                    [
                        d.id.to_string(),
                        d.webhook_id.to_string(),
                        format!("{} {}", d.kind, d.slug),
                        status(d.status).to_owned(),
                        d.attempts.to_string(),
                        d.last_status
                            .map_or_else(|| "-".to_owned(), |s| s.to_string()),
                        match d.status {
                            webhooks::DeliveryStatus::Pending => cli_time(d.next_attempt_at),
                            _ => d.finished_at.map_or_else(|| "-".to_owned(), cli_time),
                        },
                        d.last_error.clone().unwrap_or_else(|| "-".to_owned()),
                    ]
                })
                .collect();
            print_table(
                [
                    "DELIVERY",
                    "WEBHOOK",
                    "EVENT",
                    "STATUS",
                    "ATTEMPTS",
                    "HTTP",
                    "NEXT/DONE",
                    "LAST ERROR",
                ],
                &rows,
            );
        }
    }
    Ok(())
}

fn names(kinds: &[EventKind]) -> String {
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn status(status: webhooks::DeliveryStatus) -> &'static str {
    match status {
        webhooks::DeliveryStatus::Pending => "pending",
        webhooks::DeliveryStatus::Delivered => "delivered",
        webhooks::DeliveryStatus::Failed => "failed",
    }
}
