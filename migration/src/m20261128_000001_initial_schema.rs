//! The initial schema: every table of the data model, with the constraints that keep
//! the product's promises (one ballot per user per poll, one use per idempotency key).
//!
//! Foreign keys are declared inside `CREATE TABLE` because SQLite cannot add them later.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(users()).await?;
        manager.create_table(polls()).await?;
        manager.create_table(poll_options()).await?;
        manager.create_table(votes()).await?;
        manager.create_table(vote_choices()).await?;
        manager.create_table(vote_events()).await?;
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children first, so that no foreign key is left dangling.
        for table in [
            Alias::new("vote_events"),
            Alias::new("vote_choices"),
            Alias::new("votes"),
            Alias::new("poll_options"),
            Alias::new("polls"),
            Alias::new("users"),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    Username,
    UsernameKey,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Polls {
    Table,
    Id,
    OwnerId,
    Title,
    Description,
    Kind,
    MinChoices,
    MaxChoices,
    ResultsVisibility,
    AllowVoteChange,
    OpensAt,
    ClosesAt,
    ClosedAt,
    TotalVotes,
    ResultsVersion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PollOptions {
    Table,
    Id,
    PollId,
    Text,
    Position,
    VoteCount,
}

#[derive(DeriveIden, Clone, Copy)]
enum Votes {
    Table,
    Id,
    PollId,
    UserId,
    IdempotencyKey,
    RequestHash,
    CastAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum VoteChoices {
    Table,
    VoteId,
    OptionId,
    PollId,
}

#[derive(DeriveIden, Clone, Copy)]
enum VoteEvents {
    Table,
    Id,
    PollId,
    VoteId,
    UserId,
    Action,
    OldChoices,
    NewChoices,
    IdempotencyKey,
    RequestHash,
    At,
    RequestId,
}

fn uuid_pk(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .uuid()
        .not_null()
        .primary_key()
        .to_owned()
}

fn uuid(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().not_null().to_owned()
}

fn text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}

fn instant(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn instant_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

/// A count that never goes below zero.
fn counter(col: impl IntoIden + Clone) -> ColumnDef {
    ColumnDef::new(col.clone())
        .big_integer()
        .not_null()
        .default(0)
        .check(Expr::col(col).gte(0))
        .to_owned()
}

fn cascade_fk(
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn users() -> TableCreateStatement {
    Table::create()
        .table(Users::Table)
        .col(uuid_pk(Users::Id))
        .col(text(Users::Username))
        .col(text(Users::UsernameKey).unique_key())
        .col(text(Users::PasswordHash))
        .col(instant(Users::CreatedAt))
        .to_owned()
}

fn polls() -> TableCreateStatement {
    Table::create()
        .table(Polls::Table)
        .col(uuid_pk(Polls::Id))
        .col(uuid(Polls::OwnerId))
        .col(text(Polls::Title))
        .col(ColumnDef::new(Polls::Description).text().null())
        .col(text(Polls::Kind).check(Expr::col(Polls::Kind).is_in(["SINGLE", "MULTIPLE"])))
        .col(ColumnDef::new(Polls::MinChoices).integer().not_null())
        .col(ColumnDef::new(Polls::MaxChoices).integer().not_null())
        .col(
            text(Polls::ResultsVisibility).check(Expr::col(Polls::ResultsVisibility).is_in([
                "ALWAYS",
                "AFTER_VOTE",
                "AFTER_CLOSE",
                "OWNER_ONLY",
            ])),
        )
        .col(ColumnDef::new(Polls::AllowVoteChange).boolean().not_null())
        .col(instant_null(Polls::OpensAt))
        .col(instant_null(Polls::ClosesAt))
        .col(instant_null(Polls::ClosedAt))
        .col(counter(Polls::TotalVotes))
        .col(counter(Polls::ResultsVersion))
        .col(instant(Polls::CreatedAt))
        .col(instant(Polls::UpdatedAt))
        .check(
            Expr::col(Polls::MinChoices)
                .gte(1)
                .and(Expr::col(Polls::MinChoices).lte(Expr::col(Polls::MaxChoices))),
        )
        .foreign_key(
            ForeignKey::create()
                .from(Polls::Table, Polls::OwnerId)
                .to(Users::Table, Users::Id),
        )
        .to_owned()
}

fn poll_options() -> TableCreateStatement {
    Table::create()
        .table(PollOptions::Table)
        .col(uuid_pk(PollOptions::Id))
        .col(uuid(PollOptions::PollId))
        .col(text(PollOptions::Text))
        .col(ColumnDef::new(PollOptions::Position).integer().not_null())
        .col(counter(PollOptions::VoteCount))
        .foreign_key(&mut cascade_fk(
            PollOptions::Table,
            PollOptions::PollId,
            Polls::Table,
            Polls::Id,
        ))
        .to_owned()
}

fn votes() -> TableCreateStatement {
    Table::create()
        .table(Votes::Table)
        .col(uuid_pk(Votes::Id))
        .col(uuid(Votes::PollId))
        .col(uuid(Votes::UserId))
        .col(text(Votes::IdempotencyKey))
        .col(text(Votes::RequestHash))
        .col(instant(Votes::CastAt))
        .col(instant(Votes::UpdatedAt))
        .foreign_key(&mut cascade_fk(
            Votes::Table,
            Votes::PollId,
            Polls::Table,
            Polls::Id,
        ))
        .foreign_key(
            ForeignKey::create()
                .from(Votes::Table, Votes::UserId)
                .to(Users::Table, Users::Id),
        )
        .to_owned()
}

fn vote_choices() -> TableCreateStatement {
    Table::create()
        .table(VoteChoices::Table)
        .col(uuid(VoteChoices::VoteId))
        .col(uuid(VoteChoices::OptionId))
        .col(uuid(VoteChoices::PollId))
        .primary_key(
            Index::create()
                .col(VoteChoices::VoteId)
                .col(VoteChoices::OptionId),
        )
        .foreign_key(&mut cascade_fk(
            VoteChoices::Table,
            VoteChoices::VoteId,
            Votes::Table,
            Votes::Id,
        ))
        .foreign_key(&mut cascade_fk(
            VoteChoices::Table,
            VoteChoices::OptionId,
            PollOptions::Table,
            PollOptions::Id,
        ))
        .to_owned()
}

fn vote_events() -> TableCreateStatement {
    Table::create()
        .table(VoteEvents::Table)
        .col(uuid_pk(VoteEvents::Id))
        .col(uuid(VoteEvents::PollId))
        .col(uuid(VoteEvents::VoteId))
        .col(uuid(VoteEvents::UserId))
        .col(
            text(VoteEvents::Action).check(Expr::col(VoteEvents::Action).is_in([
                "cast",
                "changed",
                "retracted",
            ])),
        )
        .col(text(VoteEvents::OldChoices))
        .col(text(VoteEvents::NewChoices))
        .col(text(VoteEvents::IdempotencyKey))
        .col(text(VoteEvents::RequestHash))
        .col(instant(VoteEvents::At))
        .col(ColumnDef::new(VoteEvents::RequestId).text().null())
        // No foreign keys: the log is append-only history written on the vote path,
        // where each FK check costs a trigger per row, and every row it records names
        // a poll and user that the ballot's own foreign keys checked in the same
        // transaction (or, for a retraction, had checked).
        .to_owned()
}

/// Unique constraints that carry the product's promises, and the indexes our queries use.
fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        // Keyset pagination of one owner's polls, newest first.
        Index::create()
            .name("idx_polls_owner_id")
            .table(Polls::Table)
            .col(Polls::OwnerId)
            .col(Polls::Id)
            .to_owned(),
        Index::create()
            .name("uq_poll_options_poll_position")
            .table(PollOptions::Table)
            .col(PollOptions::PollId)
            .col(PollOptions::Position)
            .unique()
            .to_owned(),
        // One ballot per user per poll: the final arbiter of the vote path.
        Index::create()
            .name("uq_votes_poll_user")
            .table(Votes::Table)
            .col(Votes::PollId)
            .col(Votes::UserId)
            .unique()
            .to_owned(),
        // A key is used once per user; also serves "polls this user voted in".
        Index::create()
            .name("uq_votes_user_key")
            .table(Votes::Table)
            .col(Votes::UserId)
            .col(Votes::IdempotencyKey)
            .unique()
            .to_owned(),
        // Counting ballots per option when counters are reconciled.
        Index::create()
            .name("idx_vote_choices_poll_option")
            .table(VoteChoices::Table)
            .col(VoteChoices::PollId)
            .col(VoteChoices::OptionId)
            .to_owned(),
        // Every vote mutation's key, for replays that outlive the ballot.
        Index::create()
            .name("uq_vote_events_user_key")
            .table(VoteEvents::Table)
            .col(VoteEvents::UserId)
            .col(VoteEvents::IdempotencyKey)
            .unique()
            .to_owned(),
        Index::create()
            .name("idx_vote_events_poll_at")
            .table(VoteEvents::Table)
            .col(VoteEvents::PollId)
            .col(VoteEvents::At)
            .to_owned(),
    ]
}
