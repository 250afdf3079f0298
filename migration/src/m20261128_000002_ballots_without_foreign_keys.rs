//! PostgreSQL: ballots and their choices without foreign keys.
//!
//! Every foreign key is a row-level trigger that runs one lookup with a row lock (`FOR
//! KEY SHARE`) per inserted row. On the vote path that was four lookups per ballot —
//! its poll, its user, and for its choice its ballot and its option — and, measured
//! with `perf` under the vote benchmark, 39% of PostgreSQL's CPU: the largest single
//! cost of a vote. Dropping them raised the hot-poll benchmark from about 8,100 to
//! about 9,200 recorded votes/s on the same machine.
//!
//! What the keys guarded is kept by the only code that writes these tables (`api/src/
//! store/cast` and `vote_changes.rs`):
//! - a ballot's poll exists and is open: the writer reads it, and locks it before the
//!   counters move, in the ballot's transaction; polls are never deleted;
//! - a ballot's user exists: the id comes from a signed token minted for a stored user;
//!   users are never deleted;
//! - a choice's ballot exists: choices are inserted by the statement that inserts the
//!   ballot (joined on its `RETURNING`), and deleted before their ballot is;
//! - a choice's option belongs to the ballot's poll (stronger than the key was): checked
//!   against the poll's options before the call is queued; options never change.
//!
//! The audit log (`vote_events`) never had foreign keys, and sharding by poll (see the
//! design) could not keep `votes.user_id → users` anyway. Unique constraints — one
//! ballot per user per poll, one use per key — stay: they are the final arbiters.
//!
//! SQLite, the embedded single-instance default, keeps its foreign keys (it cannot drop
//! a constraint without rebuilding the table, and its checks cost little there).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, constraint, column, referenced table, ON DELETE CASCADE)
const KEYS: [(&str, &str, &str, &str, bool); 4] = [
    ("votes", "votes_poll_id_fkey", "poll_id", "polls", true),
    ("votes", "votes_user_id_fkey", "user_id", "users", false),
    (
        "vote_choices",
        "vote_choices_vote_id_fkey",
        "vote_id",
        "votes",
        true,
    ),
    (
        "vote_choices",
        "vote_choices_option_id_fkey",
        "option_id",
        "poll_options",
        true,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        for (table, name, ..) in KEYS {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        for (table, name, column, target, cascade) in KEYS {
            let on_delete = if cascade { " ON DELETE CASCADE" } else { "" };
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {target} (id){on_delete}"
                ))
                .await?;
        }
        Ok(())
    }
}
