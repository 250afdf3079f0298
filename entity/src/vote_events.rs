//! `vote_events`: the append-only audit log of every ballot change.
//!
//! It is also where idempotency keys live: every vote mutation writes one event with
//! its key and request hash, `UNIQUE (user_id, idempotency_key)`, so a retried call
//! finds its first answer here even after the ballot itself changed or was retracted.

use sea_orm::entity::prelude::*;

/// One change to one ballot.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vote_events")]
pub struct Model {
    /// UUID v7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The poll.
    pub poll_id: Uuid,
    /// The ballot (it may since have been retracted).
    pub vote_id: Uuid,
    /// The voter.
    pub user_id: Uuid,
    /// `cast`, `changed` or `retracted`.
    pub action: String,
    /// Option ids before the change, comma-separated; empty for `cast`.
    pub old_choices: String,
    /// Option ids after the change, comma-separated; empty for `retracted`.
    pub new_choices: String,
    /// The idempotency key of the call that made the change.
    pub idempotency_key: String,
    /// Hash of the operation and its input.
    pub request_hash: String,
    /// When the change was committed.
    pub at: DateTimeUtc,
    /// The HTTP request id that carried the call, for tracing.
    pub request_id: Option<String>,
}

/// Relations of `vote_events`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The poll (not a foreign key in the database; see the migration).
    #[sea_orm(
        belongs_to = "super::polls::Entity",
        from = "Column::PollId",
        to = "super::polls::Column::Id"
    )]
    Poll,
}

impl Related<super::polls::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Poll.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
