//! `webhook_events`: the outbox. One row per event, written in the transaction that
//! caused it; its `payload` is the exact body every delivery sends.

use sea_orm::entity::prelude::*;

/// One event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_events")]
pub struct Model {
    /// UUID v7; also the `id` inside the payload.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `poll.closed` or `poll.results_revealed`.
    pub event_type: String,
    /// The poll it is about.
    pub poll_id: Uuid,
    /// The JSON body, as signed and sent.
    pub payload: String,
    /// When the event happened.
    pub created_at: DateTimeUtc,
}

/// Relations of `webhook_events` (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
