//! `votes`: ballots. The database enforces one per user per poll.

use sea_orm::entity::prelude::*;

/// One ballot.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "votes")]
pub struct Model {
    /// UUID v7, chosen by the api before the insert so a batch can match its answers.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The poll; `UNIQUE (poll_id, user_id)`.
    pub poll_id: Uuid,
    /// The voter; `UNIQUE (user_id, idempotency_key)`.
    pub user_id: Uuid,
    /// The key of the `castVote` call that created the ballot.
    pub idempotency_key: String,
    /// Hash of the operation and its input, to tell a replay from a reused key.
    pub request_hash: String,
    /// When the ballot was first cast.
    pub cast_at: DateTimeUtc,
    /// When the ballot's choices last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations of `votes`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The poll.
    #[sea_orm(
        belongs_to = "super::polls::Entity",
        from = "Column::PollId",
        to = "super::polls::Column::Id",
        on_delete = "Cascade"
    )]
    Poll,
    /// The voter.
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id"
    )]
    User,
    /// The options chosen.
    #[sea_orm(has_many = "super::vote_choices::Entity")]
    Choices,
}

impl Related<super::polls::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Poll.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::vote_choices::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Choices.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
