//! `polls.voters` and `polls.anonymous`: who may vote in a poll (`ACCOUNTS`, `GUESTS`,
//! `INVITED`) and whether its ballots are stored under pseudonyms of their voters.
//!
//! Polls from before this migration keep what they had: accounts only, ballots under
//! the voter's id. One column per statement, as SQLite's `ALTER TABLE` requires.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Polls {
    Table,
    Voters,
    Anonymous,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Polls::Table)
                    .add_column(
                        ColumnDef::new(Polls::Voters)
                            .string()
                            .not_null()
                            .default("ACCOUNTS"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Polls::Table)
                    .add_column(
                        ColumnDef::new(Polls::Anonymous)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Polls::Anonymous, Polls::Voters] {
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
