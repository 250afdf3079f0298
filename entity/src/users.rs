//! `users`: accounts, and guests (server-issued identities without a password).

use sea_orm::entity::prelude::*;

/// One account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// UUID v7, so ids sort by creation time.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The username as the user typed it (shown back to people).
    pub username: String,
    /// The lower-cased username; unique, so that usernames are unique regardless of case.
    #[sea_orm(unique)]
    pub username_key: String,
    /// PHC string of the argon2id hash; for a guest, a marker no password verifies against.
    pub password_hash: String,
    /// When the account was created.
    pub created_at: DateTimeUtc,
    /// A guest: created by `startGuestSession`, no password, may not sign in.
    pub guest: bool,
    /// When a guest's ballots were claimed into an account; its tokens stop working then.
    pub retired_at: Option<DateTimeUtc>,
}

/// Relations of `users`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Polls this user owns.
    #[sea_orm(has_many = "super::polls::Entity")]
    Polls,
    /// Ballots this user cast.
    #[sea_orm(has_many = "super::votes::Entity")]
    Votes,
}

impl Related<super::polls::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Polls.def()
    }
}

impl Related<super::votes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Votes.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
