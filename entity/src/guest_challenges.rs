//! `guest_challenges`: proof-of-work challenges already spent on a guest session, kept
//! until they expire so that each is used once across instances and restarts.

use sea_orm::entity::prelude::*;

/// One spent challenge.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "guest_challenges")]
pub struct Model {
    /// The challenge's id (signed into it by the server).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// When the challenge stops being accepted anyway; the row may go after that.
    pub expires_at: DateTimeUtc,
}

/// Relations of `guest_challenges` (none).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
