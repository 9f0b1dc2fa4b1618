//! One event to one webhook: pending until a replica delivers it or gives up.

use sea_orm::entity::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DeliveryStatus {
    /// Not yet delivered; tried again at `next_attempt_at`.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// The receiver answered 2xx.
    #[sea_orm(string_value = "delivered")]
    Delivered,
    /// Every attempt failed until the retry window closed.
    #[sea_orm(string_value = "failed")]
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event_id: Uuid,
    pub status: DeliveryStatus,
    /// Attempts started, a claim being one.
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// A replica's claim: no other replica takes the delivery before this.
    pub locked_until: Option<DateTimeUtc>,
    /// The HTTP status of the last answer, if there was one.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::webhook::Entity",
        from = "Column::WebhookId",
        to = "super::webhook::Column::Id",
        on_delete = "Cascade"
    )]
    Webhook,
}

impl Related<super::webhook::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Webhook.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
