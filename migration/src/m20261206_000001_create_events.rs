//! Events: what changed, written with the change, for webhooks and subscriptions.
//!
//! - `articles.revision` counts an article's writes; `articles.announced` says whether its
//!   `article.published` event has been written for its current publication (a scheduled
//!   article's is written when its time comes, once, by whichever replica gets there first).
//!   Articles already published when this runs count as announced: upgrading announces
//!   nothing.
//! - `events` is the outbox: one row per event, in the transaction of the write. `seq` orders
//!   them as they were written (on SQLite, one writer at a time, also as they committed).
//! - `webhooks` are the receivers; `webhook_deliveries` one row per event and webhook that
//!   wants it, written with the event, claimed by one replica at a time.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Articles {
    Table,
    Revision,
    Announced,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Seq,
    Id,
    Kind,
    ArticleId,
    Slug,
    Revision,
    OccurredAt,
}

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    Url,
    Events,
    Secret,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    EventId,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastStatus,
    LastError,
    CreatedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds one at a time.
        for column in [
            big_integer(Articles::Revision).default(1).to_owned(),
            boolean(Articles::Announced).default(false).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Articles::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        // Times compare as text on SQLite, in the form sqlx writes them (RFC 3339).
        let now = match manager.get_database_backend() {
            DatabaseBackend::Postgres => "now()",
            _ => "strftime('%Y-%m-%dT%H:%M:%f', 'now')",
        };
        db.execute_unprepared(&format!(
            "UPDATE articles SET announced = TRUE WHERE status = 'published' \
             AND (published_at IS NULL OR published_at <= {now})"
        ))
        .await?;
        // What the scheduler looks for several times a second: published, not yet announced.
        db.execute_unprepared(
            "CREATE INDEX idx_articles_unannounced ON articles (published_at) \
             WHERE status = 'published' AND NOT announced",
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(big_pk_auto(Events::Seq))
                    .col(uuid(Events::Id))
                    .col(string_len(Events::Kind, 32))
                    .col(uuid(Events::ArticleId))
                    .col(text(Events::Slug))
                    .col(big_integer(Events::Revision))
                    .col(timestamp_with_time_zone(Events::OccurredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_events_id")
                    .table(Events::Table)
                    .col(Events::Id)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .col(pk_uuid(Webhooks::Id))
                    .col(text(Webhooks::Url))
                    .col(text(Webhooks::Events))
                    .col(text(Webhooks::Secret))
                    .col(timestamp_with_time_zone(Webhooks::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(pk_uuid(WebhookDeliveries::Id))
                    .col(uuid(WebhookDeliveries::WebhookId))
                    .col(uuid(WebhookDeliveries::EventId))
                    .col(string_len(WebhookDeliveries::Status, 16))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LockedUntil,
                    ))
                    .col(integer_null(WebhookDeliveries::LastStatus))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::WebhookId)
                            .to(Webhooks::Table, Webhooks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_event")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::WebhookId)
                    .col(WebhookDeliveries::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // What the delivery workers claim from: the pending ones, soonest first.
        db.execute_unprepared(
            "CREATE INDEX idx_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) \
             WHERE status = 'pending'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookDeliveries::Table.into_iden(),
            Webhooks::Table.into_iden(),
            Events::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX idx_articles_unannounced")
            .await?;
        for column in [Articles::Revision, Articles::Announced] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Articles::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
