//! Guests: `users.guest` and `users.retired_at`, and `guest_challenges`, the proof-of-work
//! challenges already spent.
//!
//! A guest is a user row like any account (so one ballot per voter per poll and the
//! idempotency rules hold unchanged), flagged `guest`, with no usable password. When a
//! guest's ballots are claimed into an account, the guest row stays, `retired_at` set,
//! so its tokens stop working and a second claim is told it came too late.
//!
//! A challenge is single use. Its id is written to `guest_challenges` in the
//! transaction that creates the guest, under a primary key: the database, which every
//! instance shares and which survives restarts, refuses a second use whatever the
//! timing. Rows are kept until the challenge expires (`expires_at`, indexed for the
//! sweep); after that the signature check refuses it anyway.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Guest,
    RetiredAt,
}

#[derive(DeriveIden)]
enum GuestChallenges {
    Table,
    Id,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement, as SQLite's `ALTER TABLE` requires.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(
                        ColumnDef::new(Users::Guest)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(
                        ColumnDef::new(Users::RetiredAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GuestChallenges::Table)
                    .col(
                        ColumnDef::new(GuestChallenges::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(GuestChallenges::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_guest_challenges_expires_at")
                    .table(GuestChallenges::Table)
                    .col(GuestChallenges::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(GuestChallenges::Table).to_owned())
            .await?;
        for column in [Users::RetiredAt, Users::Guest] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
