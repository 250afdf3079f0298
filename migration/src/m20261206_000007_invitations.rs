//! `invitations`: single-use codes that admit one voter each to an `INVITED` poll.
//!
//! A row is `PENDING` until someone redeems it, then `REDEEMED` and bound to that voter
//! (`redeemed_by`, a `users` id: account or guest); the owner may revoke a pending one.
//! The code itself is not stored: it is derived from the row's id with a server key
//! (`api/src/service/invitation_codes.rs`), so a leaked dump holds no usable code.
//!
//! `UNIQUE (poll_id, redeemed_by)`: one voter holds at most one invitation per poll
//! (pending rows have no holder, and both databases let NULLs repeat in a unique index).
//! No foreign keys, as for ballots: rows are written beside a poll, and a claim moves
//! `redeemed_by` from a guest to an account in one statement.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Invitations {
    Table,
    Id,
    PollId,
    Name,
    Status,
    CreatedAt,
    RedeemedAt,
    RedeemedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(
                        ColumnDef::new(Invitations::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Invitations::PollId).uuid().not_null())
                    .col(ColumnDef::new(Invitations::Name).text().null())
                    .col(ColumnDef::new(Invitations::Status).text().not_null().check(
                        Expr::col(Invitations::Status).is_in(["PENDING", "REDEEMED", "REVOKED"]),
                    ))
                    .col(
                        ColumnDef::new(Invitations::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Invitations::RedeemedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(Invitations::RedeemedBy).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_invitations_poll_holder")
                    .table(Invitations::Table)
                    .col(Invitations::PollId)
                    .col(Invitations::RedeemedBy)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The owner's list, oldest first (ids are UUID v7), and the counts by status.
        manager
            .create_index(
                Index::create()
                    .name("ix_invitations_poll_id")
                    .table(Invitations::Table)
                    .col(Invitations::PollId)
                    .col(Invitations::Id)
                    .to_owned(),
            )
            .await?;
        // "Which invitations does this voter hold" (a claim moves them).
        manager
            .create_index(
                Index::create()
                    .name("ix_invitations_redeemed_by")
                    .table(Invitations::Table)
                    .col(Invitations::RedeemedBy)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Invitations::Table).to_owned())
            .await
    }
}
