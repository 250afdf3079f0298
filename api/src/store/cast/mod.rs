//! One group-commit transaction of `castVote` calls.
//!
//! Many concurrent calls are written in one transaction — their ballots, choices and
//! audit events in multi-row inserts, and one counter `UPDATE` per option and per poll —
//! yet each call gets its own answer:
//!
//! 1. Votes count only on open polls, judged with the poll rows locked (`FOR NO KEY
//!    UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` serialises writers) and the
//!    clock read after the lock: a concurrent `closePoll` either sees the batch
//!    committed or the batch sees the poll closed. SQLite locks first; PostgreSQL inserts first and
//!    locks just before moving the counters, so concurrent batches overlap their
//!    inserts and queue only for the counters and the commit.
//! 2. A key the user used before replays the first answer (same input) or is
//!    `IDEMPOTENCY_KEY_REUSED`: the audit log holds every key ever used.
//! 3. A poll that is not open refuses; an existing ballot is `ALREADY_VOTED`.
//! 4. The rest are inserted with `ON CONFLICT DO NOTHING`: the unique indexes are the
//!    final arbiters. A call that lost a race to another transaction is answered
//!    [`CastOutcome::Retry`]; the writer submits it again and the next batch decides it.
//!
//! Two calls of one batch that collide (same user and poll, or same user and key) are
//! never both written: the first is, and the first's rows then decide the other.
//!
//! On SQLite, [`generic`] does steps 2–4 with portable statements. On PostgreSQL,
//! [`postgres`] does them in one statement over `UNNEST`ed arrays, whose text never
//! changes with the batch size, so it is planned once per connection; the integration
//! suite runs every vote rule against both.

mod generic;
mod postgres;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{polls, vote_events};
use sea_orm::sea_query::LockType;
use sea_orm::{ColumnTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::Store;
use crate::clock::Clock;
use crate::domain::vote::split_ids;
use crate::domain::{Choice, IdempotencyKey, PollStatus, Tally, Vote};

/// One `castVote` call, checked against its poll's options, waiting to be written.
#[derive(Debug, Clone)]
pub struct CastRequest {
    /// The id the ballot gets if this call records it.
    pub vote_id: Uuid,
    /// The poll.
    pub poll_id: Uuid,
    /// The voter.
    pub user_id: Uuid,
    /// The options chosen.
    pub choice: Choice,
    /// The call's idempotency key.
    pub key: IdempotencyKey,
    /// Fingerprint of the call's input.
    pub request_hash: String,
    /// The HTTP request that carried it, for the audit log.
    pub request_id: Option<String>,
}

/// What became of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CastOutcome {
    /// The ballot was written by this batch.
    Recorded(Vote),
    /// The key was used before with the same input: the first answer again.
    Replayed(Vote),
    /// The user already has a ballot on the poll (cast under another key).
    AlreadyVoted,
    /// The key was used before with another input.
    KeyReused,
    /// The poll is scheduled or closed.
    PollNotOpen(PollStatus),
    /// The poll does not exist.
    PollMissing,
    /// Not decided in this batch; submit again.
    Retry,
}

/// The answers to a batch, in the order of its calls, and the tallies it changed.
#[derive(Debug)]
pub struct BatchResult {
    /// One outcome per call.
    pub outcomes: Vec<CastOutcome>,
    /// Snapshots of the polls whose counters moved, taken inside the transaction.
    pub tallies: Vec<Tally>,
}

/// A replay rebuilt from the audit event of the first call.
fn replayed_vote(event: &vote_events::Model) -> Vote {
    Vote {
        id: event.vote_id,
        poll_id: event.poll_id,
        user_id: event.user_id,
        option_ids: split_ids(&event.new_choices),
        cast_at: event.at,
        updated_at: event.at,
    }
}

/// The answer for a call whose key was used before.
fn keyed_outcome(request: &CastRequest, event: &vote_events::Model) -> CastOutcome {
    if event.request_hash == request.request_hash {
        CastOutcome::Replayed(replayed_vote(event))
    } else {
        CastOutcome::KeyReused
    }
}

/// The ballot a call records, as it will be answered.
fn recorded_vote(request: &CastRequest, now: DateTime<Utc>) -> Vote {
    Vote {
        id: request.vote_id,
        poll_id: request.poll_id,
        user_id: request.user_id,
        option_ids: request.choice.ids().to_vec(),
        cast_at: now,
        updated_at: now,
    }
}

/// Each poll's status at `now`, from its row.
fn statuses(rows: &[polls::Model], now: DateTime<Utc>) -> HashMap<Uuid, PollStatus> {
    rows.iter()
        .map(|p| {
            (
                p.id,
                PollStatus::at(now, p.opens_at, p.closes_at, p.closed_at),
            )
        })
        .collect()
}

/// The distinct polls of these ids, sorted (the order rows are locked in).
fn distinct_sorted(ids: impl Iterator<Item = Uuid>) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The polls that gained a ballot.
fn touched_polls(outcomes: &[CastOutcome]) -> Vec<Uuid> {
    distinct_sorted(outcomes.iter().filter_map(|o| match o {
        CastOutcome::Recorded(vote) => Some(vote.poll_id),
        _ => None,
    }))
}

/// Reads (and with `lock`, locks, in id order) the rows of these polls.
async fn poll_rows(
    conn: &impl sea_orm::ConnectionTrait,
    ids: &[Uuid],
    lock: bool,
) -> Result<Vec<polls::Model>, DbErr> {
    let query = polls::Entity::find()
        .filter(polls::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(polls::Column::Id);
    if lock {
        query.lock(LockType::NoKeyUpdate).all(conn).await
    } else {
        query.all(conn).await
    }
}

impl Store {
    /// Writes a batch of calls in one transaction and answers each.
    pub async fn commit_cast_batch(
        &self,
        batch: &[CastRequest],
        clock: &dyn Clock,
    ) -> Result<BatchResult, DbErr> {
        match self.backend() {
            DbBackend::Postgres => postgres::commit(self, batch, clock).await,
            _ => generic::commit(self, batch, clock).await,
        }
    }
}
