//! `webhook_endpoints`: where a user wants to hear about their polls, and the secret
//! deliveries are signed with.

use sea_orm::entity::prelude::*;

/// One registered endpoint.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    /// UUID v7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The user whose polls' events go here.
    pub owner_id: Uuid,
    /// The URL deliveries are POSTed to.
    pub url: String,
    /// Event types wanted, comma-separated (`poll.closed,poll.results_revealed`).
    pub events: String,
    /// The HMAC-SHA256 key (kept in clear: signing needs it).
    pub secret: String,
    /// When it was registered.
    pub created_at: DateTimeUtc,
}

/// Relations of `webhook_endpoints` (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
