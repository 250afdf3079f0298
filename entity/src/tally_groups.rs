//! `tally_groups`: kind-specific counters of a poll's ballots (one per distinct ranking
//! on a RANKED poll, one per option and score on a SCORE poll), moved in the same
//! transaction as the ballots.

use sea_orm::entity::prelude::*;

/// The count of one group of one poll's ballots.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tally_groups")]
pub struct Model {
    /// The poll.
    #[sea_orm(primary_key, auto_increment = false)]
    pub poll_id: Uuid,
    /// The group, in the form its poll's kind defines.
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_key: String,
    /// Ballots in the group.
    pub ballots: i64,
}

/// Relations of `tally_groups`.
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
