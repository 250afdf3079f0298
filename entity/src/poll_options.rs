//! `poll_options`: the options of a poll, with their vote counters.

use sea_orm::entity::prelude::*;

/// One option of a poll.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "poll_options")]
pub struct Model {
    /// UUID v7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The poll the option belongs to.
    pub poll_id: Uuid,
    /// The option's text, 1–200 characters.
    pub text: String,
    /// Zero-based position in the poll; unique within the poll.
    pub position: i32,
    /// Ballots choosing this option; changes in the same transaction as the ballots.
    pub vote_count: i64,
}

/// Relations of `poll_options`.
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
}

impl Related<super::polls::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Poll.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
