//! `polls`: a poll's settings, lifecycle and running totals.

use sea_orm::entity::prelude::*;

/// One poll.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "polls")]
pub struct Model {
    /// UUID v7: ordering by id is ordering by creation, which keyset pagination uses.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The user who created the poll.
    pub owner_id: Uuid,
    /// Title, 1–200 characters.
    pub title: String,
    /// Optional description, up to 2,000 characters.
    pub description: Option<String>,
    /// `SINGLE`, `MULTIPLE`, `RANKED` or `SCORE`; a value this version does not know is
    /// an error when read, never a default.
    pub kind: String,
    /// Fewest options a ballot may choose.
    pub min_choices: i32,
    /// Most options a ballot may choose.
    pub max_choices: i32,
    /// Lowest score of a SCORE poll; null on other kinds.
    pub score_min: Option<i32>,
    /// Highest score of a SCORE poll; null on other kinds.
    pub score_max: Option<i32>,
    /// `ALWAYS`, `AFTER_VOTE`, `AFTER_CLOSE` or `OWNER_ONLY`.
    pub results_visibility: String,
    /// Whether voters may change or retract their ballot.
    pub allow_vote_change: bool,
    /// `LISTED` (in the public list) or `UNLISTED` (reached by its link only).
    pub listing: String,
    /// `ACCOUNTS`, `GUESTS` or `INVITED`: who may vote.
    pub voters: String,
    /// The short code people type to open the poll (unique; null only before the api
    /// wrote it).
    pub join_code: Option<String>,
    /// Whether ballots are stored under a per-poll pseudonym of the voter.
    pub anonymous: bool,
    /// Fingerprint of the ballot key an anonymous poll's ballots are written with;
    /// null when the poll is not anonymous.
    pub ballot_key_id: Option<String>,
    /// Votes are refused before this instant, when set.
    pub opens_at: Option<DateTimeUtc>,
    /// Votes are refused from this instant, when set.
    pub closes_at: Option<DateTimeUtc>,
    /// When the owner closed the poll, if they did.
    pub closed_at: Option<DateTimeUtc>,
    /// Number of ballots; changes in the same transaction as the ballots.
    pub total_votes: i64,
    /// Grows by one with every committed change to the tally (the `version` of results).
    pub results_version: i64,
    /// When the poll was created.
    pub created_at: DateTimeUtc,
    /// When the poll's settings or lifecycle last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations of `polls`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The owner.
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::OwnerId",
        to = "super::users::Column::Id"
    )]
    Owner,
    /// The poll's options.
    #[sea_orm(has_many = "super::poll_options::Entity")]
    Options,
    /// The poll's ballots.
    #[sea_orm(has_many = "super::votes::Entity")]
    Votes,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

impl Related<super::poll_options::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Options.def()
    }
}

impl Related<super::votes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Votes.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
