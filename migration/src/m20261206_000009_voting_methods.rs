//! Voting methods (issue 14): what RANKED and SCORE polls need stored.
//!
//! - `polls.score_min`, `polls.score_max`: a SCORE poll's range (null on other kinds).
//! - `vote_choices.value`: what a ballot says of an option beyond choosing it — its rank
//!   (1 = most preferred) on a RANKED poll, its score on a SCORE poll, 0 otherwise. Rows
//!   from before keep 0, which is right for SINGLE and MULTIPLE, the only kinds then.
//! - `tally_groups`: per poll, a count per kind-defined group of ballots (one per
//!   distinct ranking, one per option and score), moved in the same transaction as
//!   the ballots like the option counters, so results never read every ballot.
//!
//! One column per statement, as SQLite's `ALTER TABLE` requires.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Polls {
    Table,
    Id,
    ScoreMin,
    ScoreMax,
}

#[derive(DeriveIden)]
enum VoteChoices {
    Table,
    Value,
}

#[derive(DeriveIden)]
enum TallyGroups {
    Table,
    PollId,
    GroupKey,
    Ballots,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Polls::ScoreMin, Polls::ScoreMax] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Polls::Table)
                        .add_column(ColumnDef::new(column).integer().null())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(VoteChoices::Table)
                    .add_column(
                        ColumnDef::new(VoteChoices::Value)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TallyGroups::Table)
                    .col(ColumnDef::new(TallyGroups::PollId).uuid().not_null())
                    .col(ColumnDef::new(TallyGroups::GroupKey).string().not_null())
                    .col(
                        ColumnDef::new(TallyGroups::Ballots)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .primary_key(
                        Index::create()
                            .col(TallyGroups::PollId)
                            .col(TallyGroups::GroupKey),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TallyGroups::Table, TallyGroups::PollId)
                            .to(Polls::Table, Polls::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TallyGroups::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(VoteChoices::Table)
                    .drop_column(VoteChoices::Value)
                    .to_owned(),
            )
            .await?;
        for column in [Polls::ScoreMax, Polls::ScoreMin] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Polls::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
