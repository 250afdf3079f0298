//! Anonymous ballots: `polls.ballot_key_id`, and ballots whose owner need not be a user.
//!
//! - `polls.ballot_key_id` is the fingerprint of the ballot key an anonymous poll's
//!   ballots are written with (set when the poll is created). A server started with
//!   another key finds a different fingerprint and refuses votes on that poll
//!   (`BALLOT_KEY_CHANGED`) instead of letting every voter vote again under a pseudonym
//!   that matches no stored ballot. Null on polls that are not anonymous.
//! - On an anonymous poll `votes.user_id` holds a pseudonym, not a user id, so the
//!   foreign key `votes.user_id → users` cannot hold. PostgreSQL dropped it in
//!   `m20261128_000002`; SQLite still has it, and SQLite cannot drop a constraint: the
//!   table is rebuilt without it. `vote_choices` references `votes` with `ON DELETE
//!   CASCADE`, and dropping a parent table with foreign keys on deletes its children's
//!   rows, so the choices are set aside first and put back after. `vote_events` never
//!   had foreign keys.
//!
//! Runs in one transaction on both databases (one connection, all or nothing).
//! `down` drops the column but leaves SQLite's ballots without the user key: rows
//! holding pseudonyms would break it.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Polls {
    Table,
    BallotKeyId,
}

/// SQLite's `votes` and `vote_choices` rebuilt: as `m20261128_000001` made them, less
/// the ballot's user key.
const SQLITE_REBUILD: &[&str] = &[
    "CREATE TABLE vote_choices_kept AS SELECT vote_id, option_id, poll_id FROM vote_choices",
    "DROP TABLE vote_choices",
    r#"CREATE TABLE "votes_rebuilt" ( "id" uuid_text NOT NULL PRIMARY KEY, "poll_id" uuid_text NOT NULL, "user_id" uuid_text NOT NULL, "idempotency_key" text NOT NULL, "request_hash" text NOT NULL, "cast_at" timestamp_with_timezone_text NOT NULL, "updated_at" timestamp_with_timezone_text NOT NULL, FOREIGN KEY ("poll_id") REFERENCES "polls" ("id") ON DELETE CASCADE )"#,
    "INSERT INTO votes_rebuilt (id, poll_id, user_id, idempotency_key, request_hash, cast_at, updated_at) \
     SELECT id, poll_id, user_id, idempotency_key, request_hash, cast_at, updated_at FROM votes",
    "DROP TABLE votes",
    "ALTER TABLE votes_rebuilt RENAME TO votes",
    r#"CREATE UNIQUE INDEX "uq_votes_poll_user" ON "votes" ("poll_id", "user_id")"#,
    r#"CREATE UNIQUE INDEX "uq_votes_user_key" ON "votes" ("user_id", "idempotency_key")"#,
    r#"CREATE TABLE "vote_choices" ( "vote_id" uuid_text NOT NULL, "option_id" uuid_text NOT NULL, "poll_id" uuid_text NOT NULL, PRIMARY KEY ("vote_id", "option_id"), FOREIGN KEY ("vote_id") REFERENCES "votes" ("id") ON DELETE CASCADE, FOREIGN KEY ("option_id") REFERENCES "poll_options" ("id") ON DELETE CASCADE )"#,
    "INSERT INTO vote_choices (vote_id, option_id, poll_id) SELECT vote_id, option_id, poll_id FROM vote_choices_kept",
    "DROP TABLE vote_choices_kept",
    r#"CREATE INDEX "idx_vote_choices_poll_option" ON "vote_choices" ("poll_id", "option_id")"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Polls::Table)
                    .add_column(ColumnDef::new(Polls::BallotKeyId).string().null())
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Sqlite {
            for statement in SQLITE_REBUILD {
                manager
                    .get_connection()
                    .execute_unprepared(statement)
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Polls::Table)
                    .drop_column(Polls::BallotKeyId)
                    .to_owned(),
            )
            .await
    }
}
