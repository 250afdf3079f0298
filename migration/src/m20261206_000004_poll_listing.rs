//! `polls.listing`: whether a poll appears in the public list (`LISTED`) or is reached by
//! its link only (`UNLISTED`).
//!
//! New polls are `UNLISTED` unless their owner asks otherwise; the api always writes the
//! column. The column's default is `LISTED` so that the polls created before this
//! migration — every one of which was in the public list — stay there: nothing
//! disappears from the list when the migration runs.
//!
//! The index on `(listing, id)` serves the public list, which filters on `listing` and
//! pages newest first on `id`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Polls {
    Table,
    Id,
    Listing,
}

const INDEX: &str = "polls_listing_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Polls::Table)
                    .add_column(
                        ColumnDef::new(Polls::Listing)
                            .string()
                            .not_null()
                            .default("LISTED"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Polls::Table)
                    .col(Polls::Listing)
                    .col(Polls::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Polls::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Polls::Table)
                    .drop_column(Polls::Listing)
                    .to_owned(),
            )
            .await
    }
}
