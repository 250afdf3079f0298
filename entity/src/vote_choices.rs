//! `vote_choices`: the options a ballot chose.

use sea_orm::entity::prelude::*;

/// One chosen option of one ballot.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vote_choices")]
pub struct Model {
    /// The ballot.
    #[sea_orm(primary_key, auto_increment = false)]
    pub vote_id: Uuid,
    /// The option chosen.
    #[sea_orm(primary_key, auto_increment = false)]
    pub option_id: Uuid,
    /// The poll, repeated here so that every row carries the sharding key.
    pub poll_id: Uuid,
    /// The option's rank (1 = most preferred) on a RANKED poll, its score on a SCORE
    /// poll, 0 on other kinds.
    pub value: i32,
}

/// Relations of `vote_choices`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The ballot.
    #[sea_orm(
        belongs_to = "super::votes::Entity",
        from = "Column::VoteId",
        to = "super::votes::Column::Id",
        on_delete = "Cascade"
    )]
    Vote,
    /// The option.
    #[sea_orm(
        belongs_to = "super::poll_options::Entity",
        from = "Column::OptionId",
        to = "super::poll_options::Column::Id",
        on_delete = "Cascade"
    )]
    Option,
}

impl Related<super::votes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Vote.def()
    }
}

impl Related<super::poll_options::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Option.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
