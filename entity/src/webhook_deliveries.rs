//! `webhook_deliveries`: one event to one endpoint — the sender's durable queue and the
//! owner's delivery log.

use sea_orm::entity::prelude::*;

/// One delivery and its attempts so far.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    /// The delivery id (UUID v7), sent as `Tally-Delivery`; the same on every attempt.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The event delivered.
    pub event_id: Uuid,
    /// Where to.
    pub endpoint_id: Uuid,
    /// `pending`, `delivered` or `failed` (given up).
    pub status: String,
    /// Attempts started so far.
    pub attempts: i32,
    /// Not sent before this instant.
    pub next_attempt_at: DateTimeUtc,
    /// While in the future, one sender holds this delivery (its attempt is in flight).
    pub lease_until: Option<DateTimeUtc>,
    /// Which claim holds the lease; only that claim may record the outcome.
    pub lease_token: Option<Uuid>,
    /// HTTP status of the last attempt, if it got one.
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// When the delivery was queued.
    pub created_at: DateTimeUtc,
    /// When the endpoint answered 2xx.
    pub delivered_at: Option<DateTimeUtc>,
}

/// Relations of `webhook_deliveries` (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
