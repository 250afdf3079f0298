//! The store: the only module that speaks SQL.
//!
//! [`Store`] wraps the SeaORM connection pool; each submodule adds the queries of one
//! table family as methods on it. Unique-constraint violations are turned into
//! user-facing errors here, in one place, so callers never parse database messages.
//!
//! PostgreSQL and SQLite run the same code. On SQLite, write transactions start with
//! `BEGIN IMMEDIATE` so that concurrent writers queue on the busy timeout instead of
//! failing with `SQLITE_BUSY` when a read lock would have to be upgraded.

mod activity;
mod ballots;
mod cast;
mod claims;
mod exports;
mod invitations;
mod outbox;
mod polls;
mod tallies;
mod users;
mod vote_changes;
mod webhooks;
mod writer;

pub use activity::ActivityCount;
pub use cast::{BatchResult, CastOutcome, CastRequest};
pub use claims::{CLAIMED_KEY_PREFIX, ClaimOutcome, Rekey};
pub use exports::{BallotCursor, BallotPage, ExportedBallot};
pub use invitations::RedeemOutcome;
pub use outbox::{AttemptOutcome, ClaimedDelivery};
pub use polls::PollPageQuery;
pub use users::GuestInsert;
pub use vote_changes::{ChangeOutcome, ChangeRequest};
pub use webhooks::NewEndpoint;
pub use writer::{
    CommitSink, Committed, NoSink, RecordedVote, VoteWriter, WriterConfig, WriterMetrics,
};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqlErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::DatabaseConfig;

/// How long an SQLite writer waits for the lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Counters of the store's work, for operators and for tests that count queries.
#[derive(Debug, Default)]
pub struct StoreMetrics {
    /// Statements executed (queries and commands, inside transactions or not).
    pub statements: AtomicU64,
    /// Statements that failed.
    pub failed: AtomicU64,
}

/// The system of record.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    metrics: Arc<StoreMetrics>,
}

impl Store {
    /// Connects to the configured database, creating the embedded SQLite file (and its
    /// directory) when that is what is configured.
    pub async fn connect(config: &DatabaseConfig) -> anyhow::Result<Self> {
        let url = config.effective_url();
        if url.starts_with("sqlite:") && config.url.is_none() {
            std::fs::create_dir_all(&config.data_dir).with_context(|| {
                format!("creating data directory {}", config.data_dir.display())
            })?;
        }
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(config.pool_size)
            .connect_timeout(Duration::from_secs(config.connect_timeout_secs))
            .acquire_timeout(Duration::from_secs(config.connect_timeout_secs))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true)
            });
        let mut db = Database::connect(options)
            .await
            .context("connecting to the database")?;
        let metrics = Arc::new(StoreMetrics::default());
        let counters = metrics.clone();
        db.set_metric_callback(move |info| {
            tracing::trace!(sql = %info.statement.sql, elapsed = ?info.elapsed, "statement");
            counters.statements.fetch_add(1, Ordering::Relaxed);
            if info.failed {
                counters.failed.fetch_add(1, Ordering::Relaxed);
            }
        });
        Ok(Store { db, metrics })
    }

    /// The store's counters.
    pub fn metrics(&self) -> Arc<StoreMetrics> {
        self.metrics.clone()
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        Migrator::up(&self.db, None)
            .await
            .context("running migrations")
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.db.ping().await
    }

    /// Which database this is.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(self) -> Result<(), DbErr> {
        self.db.close().await
    }

    /// The connection pool, for read queries.
    fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// A transaction that will write: `BEGIN IMMEDIATE` on SQLite, plain `BEGIN` elsewhere.
    async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        self.db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
    }
}

/// Whether a failed transaction may simply be run again: PostgreSQL broke a deadlock
/// or a serialization conflict by aborting it (SQLSTATE class 40).
pub fn is_transient(error: &DbErr) -> bool {
    let runtime = match error {
        DbErr::Query(e) | DbErr::Exec(e) | DbErr::Conn(e) => e,
        _ => return false,
    };
    match runtime {
        sea_orm::RuntimeErr::SqlxError(e) => match e.as_ref() {
            sea_orm::sqlx::Error::Database(db) => db.code().is_some_and(|c| c.starts_with("40")),
            _ => false,
        },
        _ => false,
    }
}

/// Whether an error is a unique-constraint violation (the database refusing a duplicate).
fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
