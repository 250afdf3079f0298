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
//! 2. What a call comes to is the [rulebook]'s, from facts gathered in the transaction:
//!    a key the user used before replays the first answer (same input) or is
//!    `IDEMPOTENCY_KEY_REUSED` (the audit log holds every key ever used); a poll that
//!    is missing or not open refuses; an existing ballot is `ALREADY_VOTED`.
//! 3. The calls it lets through are inserted with `ON CONFLICT DO NOTHING`: the unique indexes are the
//!    final arbiters. A call that lost a race to another transaction is answered
//!    [`CastOutcome::Retry`]; the writer submits it again and the next batch decides it.
//!
//! Two calls of one batch that collide (same user and poll, or same user and key) are
//! never both written: the first is, and the first's rows then decide the other.
//!
//! On SQLite, [`generic`] does steps 2–3 with portable statements. On PostgreSQL,
//! [`postgres`] does them in one statement over `UNNEST`ed arrays, whose text never
//! changes with the batch size, so it is planned once per connection; the integration
//! suite runs every vote rule against both.
//!
//! [rulebook]: crate::domain::rulebook

mod generic;
mod postgres;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{polls, vote_events};
use sea_orm::sea_query::LockType;
use sea_orm::{ColumnTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::Store;
use crate::clock::Clock;
use crate::domain::rulebook::{self, Decision, Facts, PollFacts};
use crate::domain::{
    Ballot, IdempotencyKey, PollId, PollStatus, RequestHash, Tally, TallyContribution, UserId,
    Vote, VoteAction, VoteId,
};

/// One `castVote` call, checked against its poll's kind, waiting to be written.
#[derive(Debug, Clone)]
pub struct CastRequest {
    /// The id the ballot gets if this call records it.
    pub vote_id: VoteId,
    /// The poll.
    pub poll_id: PollId,
    /// The voter.
    pub user_id: UserId,
    /// What the ballot says (its `vote_choices` rows and audit text follow from it).
    pub ballot: Ballot,
    /// What it adds to the poll's tally, as its kind defines.
    pub contribution: TallyContribution,
    /// The call's idempotency key.
    pub key: IdempotencyKey,
    /// Fingerprint of the call's input.
    pub request_hash: RequestHash,
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

/// A replay rebuilt from the audit event of the first call (whose fingerprint matched
/// the request's, so it was a ballot of the same poll, read in the request's shape).
fn replayed_vote(request: &CastRequest, event: &vote_events::Model) -> Vote {
    Vote {
        id: event.vote_id,
        poll_id: event.poll_id,
        user_id: event.user_id,
        ballot: request.ballot.from_stored_like(&event.new_choices),
        cast_at: event.at,
        updated_at: event.at,
    }
}

/// The ballot a call records, as it will be answered.
fn recorded_vote(request: &CastRequest, now: DateTime<Utc>) -> Vote {
    Vote {
        id: request.vote_id.uuid(),
        poll_id: request.poll_id.uuid(),
        user_id: request.user_id.uuid(),
        ballot: request.ballot.clone(),
        cast_at: now,
        updated_at: now,
    }
}

/// A key found in the audit log: the fingerprint it was first used with, and its event.
struct UsedKey {
    hash: RequestHash,
    event: vote_events::Model,
}

/// The keys a batch's voters used before, per voter and key.
#[derive(Default)]
struct UsedKeys(HashMap<UserId, HashMap<IdempotencyKey, UsedKey>>);

impl UsedKeys {
    /// The keys of these audit events.
    fn from_events(events: impl IntoIterator<Item = vote_events::Model>) -> Self {
        let mut used = UsedKeys::default();
        for mut event in events {
            let key = IdempotencyKey::from_stored(std::mem::take(&mut event.idempotency_key));
            let hash = RequestHash::from_stored(event.request_hash.clone());
            used.0
                .entry(UserId::from(event.user_id))
                .or_default()
                .insert(key, UsedKey { hash, event });
        }
        used
    }

    /// The first use of `key` by `user`, if any.
    fn get(&self, user: UserId, key: &IdempotencyKey) -> Option<&UsedKey> {
        self.0.get(&user)?.get(key)
    }
}

/// Each poll's facts at `now`, from its row.
fn poll_facts(rows: &[polls::Model], now: DateTime<Utc>) -> HashMap<PollId, PollFacts> {
    rows.iter()
        .map(|p| {
            (
                PollId::from(p.id),
                PollFacts::Found {
                    status: PollStatus::at(now, p.opens_at, p.closes_at, p.closed_at),
                    allow_vote_change: p.allow_vote_change,
                },
            )
        })
        .collect()
}

/// Whether the poll was open when its facts were gathered.
fn is_open(polls: &HashMap<PollId, PollFacts>, poll: PollId) -> bool {
    matches!(
        polls.get(&poll),
        Some(PollFacts::Found {
            status: PollStatus::Open,
            ..
        })
    )
}

/// What the rulebook makes of one call, given the facts gathered for its batch: the
/// call's outcome, or `None` when it is to be written.
fn rule(
    request: &CastRequest,
    used: &UsedKeys,
    polls: &HashMap<PollId, PollFacts>,
    ballots: &HashSet<(PollId, UserId)>,
) -> Result<Option<CastOutcome>, DbErr> {
    let used = used.get(request.user_id, &request.key);
    let facts = Facts {
        action: VoteAction::Cast,
        request: &request.request_hash,
        key_used_with: used.map(|u| &u.hash),
        poll: polls
            .get(&request.poll_id)
            .copied()
            .unwrap_or(PollFacts::Missing),
        has_ballot: ballots.contains(&(request.poll_id, request.user_id)),
    };
    Ok(Some(match (rulebook::decide(&facts), used) {
        (Decision::Write, _) => return Ok(None),
        (Decision::Replay, Some(used)) => {
            CastOutcome::Replayed(replayed_vote(request, &used.event))
        }
        (Decision::KeyReused, _) => CastOutcome::KeyReused,
        (Decision::PollMissing, _) => CastOutcome::PollMissing,
        (Decision::PollNotOpen(status), _) => CastOutcome::PollNotOpen(status),
        (Decision::AlreadyVoted, _) => CastOutcome::AlreadyVoted,
        (decision @ (Decision::Replay | Decision::NotAllowed | Decision::NoBallot), _) => {
            return Err(DbErr::Custom(format!(
                "the rulebook answered {decision:?} to a cast without the facts for it"
            )));
        }
    }))
}

/// The distinct polls of these ids, sorted (the order rows are locked in).
fn distinct_sorted(ids: impl Iterator<Item = PollId>) -> Vec<PollId> {
    let mut ids: Vec<PollId> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The polls that gained a ballot.
fn touched_polls(outcomes: &[CastOutcome]) -> Vec<PollId> {
    distinct_sorted(outcomes.iter().filter_map(|o| match o {
        CastOutcome::Recorded(vote) => Some(PollId::from(vote.poll_id)),
        _ => None,
    }))
}

/// The UUIDs of these polls (what the tally reader takes).
fn uuids_of(polls: &[PollId]) -> Vec<uuid::Uuid> {
    polls.iter().map(|p| p.uuid()).collect()
}

/// Reads (and with `lock`, locks, in id order) the rows of these polls.
async fn poll_rows(
    conn: &impl sea_orm::ConnectionTrait,
    ids: &[PollId],
    lock: bool,
) -> Result<Vec<polls::Model>, DbErr> {
    let query = polls::Entity::find()
        .filter(polls::Column::Id.is_in(ids.iter().map(|id| id.uuid())))
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
