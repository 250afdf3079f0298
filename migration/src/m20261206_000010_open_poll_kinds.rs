//! Poll kinds and visibilities are the application's to know (issue 14).
//!
//! The initial schema pinned `polls.kind` to SINGLE/MULTIPLE and
//! `polls.results_visibility` to the four visibilities with CHECK constraints. RANKED
//! and SCORE polls need more kinds, and a rolling deploy must let a newer version write
//! a value an older one does not know: the older one then refuses that poll with
//! `UNSUPPORTED_POLL` (`PollKind::from_stored`, `ResultsVisibility::from_stored`) rather
//! than the database refusing the newer one. So both checks go; the code that reads
//! the columns is where the allowed values are written down, once.
//!
//! PostgreSQL drops the named constraints. SQLite cannot drop a constraint, but its
//! documented procedure for removing a CHECK (lang_altertable.html, "making other kinds
//! of table schema changes") edits the table's stored SQL under `writable_schema` and
//! bumps `schema_version`; the data on disk does not change.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (PostgreSQL constraint, SQLite column definition without, with the check)
const CHECKS: [(&str, &str, &str); 2] = [
    (
        "polls_kind_check",
        r#""kind" text NOT NULL"#,
        r#""kind" text NOT NULL CHECK ("kind" IN ('SINGLE', 'MULTIPLE'))"#,
    ),
    (
        "polls_results_visibility_check",
        r#""results_visibility" text NOT NULL"#,
        r#""results_visibility" text NOT NULL CHECK ("results_visibility" IN ('ALWAYS', 'AFTER_VOTE', 'AFTER_CLOSE', 'OWNER_ONLY'))"#,
    ),
];

/// PostgreSQL: the check each constraint restores on the way down.
const POSTGRES_DOWN: [&str; 2] = [
    "CHECK (kind IN ('SINGLE', 'MULTIPLE'))",
    "CHECK (results_visibility IN ('ALWAYS', 'AFTER_VOTE', 'AFTER_CLOSE', 'OWNER_ONLY'))",
];

/// Replaces each `from` with its `to` in the stored SQL of `polls` (SQLite). The
/// pragmas hold per connection, so the edit is one multi-statement batch: it runs on
/// one pooled connection from start to end.
async fn rewrite_polls(manager: &SchemaManager<'_>, edits: &[(&str, &str)]) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    let version = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA schema_version",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("PRAGMA schema_version returned nothing".into()))?
        .try_get_by_index::<i64>(0)?;
    let quote = |text: &str| format!("'{}'", text.replace('\'', "''"));
    let mut batch = String::from("PRAGMA writable_schema = ON;\n");
    for (from, to) in edits {
        batch.push_str(&format!(
            "UPDATE sqlite_master SET sql = replace(sql, {}, {}) WHERE type = 'table' AND name = 'polls';\n",
            quote(from),
            quote(to)
        ));
    }
    batch.push_str(&format!(
        "PRAGMA schema_version = {};\nPRAGMA writable_schema = OFF;",
        version + 1
    ));
    conn.execute_unprepared(&batch).await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                for (name, ..) in CHECKS {
                    manager
                        .get_connection()
                        .execute_unprepared(&format!(
                            "ALTER TABLE polls DROP CONSTRAINT IF EXISTS {name}"
                        ))
                        .await?;
                }
                Ok(())
            }
            DbBackend::Sqlite => {
                let edits: Vec<(&str, &str)> = CHECKS
                    .iter()
                    .map(|&(_, without, with)| (with, without))
                    .collect();
                rewrite_polls(manager, &edits).await
            }
            _ => Ok(()),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                for ((name, ..), check) in CHECKS.iter().zip(POSTGRES_DOWN) {
                    manager
                        .get_connection()
                        .execute_unprepared(&format!(
                            "ALTER TABLE polls ADD CONSTRAINT {name} {check} NOT VALID"
                        ))
                        .await?;
                }
                Ok(())
            }
            DbBackend::Sqlite => {
                let edits: Vec<(&str, &str)> = CHECKS
                    .iter()
                    .map(|&(_, without, with)| (without, with))
                    .collect();
                rewrite_polls(manager, &edits).await
            }
            _ => Ok(()),
        }
    }
}
