//! `invitations`: single-use codes admitting one voter each to an `INVITED` poll.

use sea_orm::entity::prelude::*;

/// One invitation. Its code is derived from `id`, never stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    /// UUID v7: ordering by id is ordering by creation.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The poll it admits to.
    pub poll_id: Uuid,
    /// The owner's label for it ("Alice", "Flat 3"), when created by name.
    pub name: Option<String>,
    /// `PENDING`, `REDEEMED` or `REVOKED`.
    pub status: String,
    /// When it was created.
    pub created_at: DateTimeUtc,
    /// When it was redeemed.
    pub redeemed_at: Option<DateTimeUtc>,
    /// The user (account or guest) who redeemed it; `UNIQUE (poll_id, redeemed_by)`.
    pub redeemed_by: Option<Uuid>,
}

/// Relations of `invitations` (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
