//! One group-commit transaction of `castVote` calls.
//!
//! Many concurrent calls are written in one transaction: one multi-row
//! `INSERT … ON CONFLICT DO NOTHING RETURNING` of ballots, their choices, their audit
//! events, and one counter `UPDATE` per option and per poll. Each call still gets its
//! own answer:
//!
//! 1. The polls are locked (`FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE`
//!    already serialises writers) and the clock is read, so a concurrent `closePoll`
//!    either sees this batch committed or this batch sees the poll closed.
//! 2. A key already used by the user replays the first answer (same input) or is
//!    `IDEMPOTENCY_KEY_REUSED`. The audit log holds every key ever used.
//! 3. A poll that is not open refuses; an existing ballot is `ALREADY_VOTED`.
//! 4. The remaining ballots are inserted; the unique indexes are the final arbiters.
//!    A ballot that lost a race to another transaction (nothing returned for it) is
//!    answered [`CastOutcome::Retry`], and the writer runs it again in the next batch,
//!    where step 2 or 3 decides it.
//!
//! Two calls of one batch that collide (same user and poll, or same user and key) are
//! never inserted together: the later one waits for the next round of the same
//! transaction, where the first one's rows decide it (replay, reused key, already voted).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{polls, vote_choices, vote_events, votes};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::Store;
use super::tallies::{CounterDeltas, read_tallies};
use crate::clock::Clock;
use crate::domain::vote::split_ids;
use crate::domain::{Choice, IdempotencyKey, PollStatus, Tally, Vote, VoteAction};

/// Rows per multi-row INSERT; keeps bind parameters far below SQLite's and Postgres'
/// limits whatever the batch size.
const ROWS_PER_INSERT: usize = 1_000;

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

fn query_error(error: sea_orm::sea_query::error::Error) -> DbErr {
    DbErr::Custom(format!("building a vote batch statement: {error}"))
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

impl Store {
    /// Writes a batch of calls in one transaction and answers each.
    pub async fn commit_cast_batch(
        &self,
        batch: &[CastRequest],
        clock: &dyn Clock,
    ) -> Result<BatchResult, DbErr> {
        let txn = self.begin_write().await?;
        let mut outcomes: Vec<Option<CastOutcome>> = vec![None; batch.len()];

        // 1. Lock the polls, in id order, then read the clock.
        let mut poll_ids: Vec<Uuid> = batch.iter().map(|r| r.poll_id).collect();
        poll_ids.sort_unstable();
        poll_ids.dedup();
        let poll_rows = polls::Entity::find()
            .filter(polls::Column::Id.is_in(poll_ids.iter().copied()))
            .order_by_asc(polls::Column::Id)
            .lock_exclusive()
            .all(&txn)
            .await?;
        let now = clock.now();
        let status: HashMap<Uuid, PollStatus> = poll_rows
            .iter()
            .map(|p| {
                (
                    p.id,
                    PollStatus::at(now, p.opens_at, p.closes_at, p.closed_at),
                )
            })
            .collect();

        // 2–4, in rounds: calls that would both write a ballot (same user and poll, or
        // same user and key) are never inserted together; the later ones wait a round,
        // by which time the earlier one's rows decide them.
        let mut deltas = CounterDeltas::default();
        let mut undecided: Vec<usize> = (0..batch.len()).collect();
        while !undecided.is_empty() {
            undecided = decide_round(
                &txn,
                batch,
                &undecided,
                &status,
                now,
                &mut outcomes,
                &mut deltas,
            )
            .await?;
        }
        deltas.apply(&txn).await?;
        let touched: Vec<Uuid> = deltas.polls.keys().copied().collect();
        let tallies = read_tallies(&txn, &touched, now).await?;
        txn.commit().await?;

        Ok(BatchResult {
            outcomes: outcomes
                .into_iter()
                .map(|o| o.unwrap_or(CastOutcome::Retry))
                .collect(),
            tallies,
        })
    }
}

/// Decides what it can of `undecided` and returns the calls left for another round.
async fn decide_round(
    conn: &impl ConnectionTrait,
    batch: &[CastRequest],
    undecided: &[usize],
    status: &HashMap<Uuid, PollStatus>,
    now: DateTime<Utc>,
    outcomes: &mut [Option<CastOutcome>],
    deltas: &mut CounterDeltas,
) -> Result<Vec<usize>, DbErr> {
    // Keys used before: replay or refuse.
    let events = used_keys(conn, undecided.iter().map(|&i| &batch[i])).await?;
    for &i in undecided {
        let request = &batch[i];
        if let Some(event) = events.get(&(request.user_id, request.key.as_str().to_owned())) {
            outcomes[i] = Some(if event.request_hash == request.request_hash {
                CastOutcome::Replayed(replayed_vote(event))
            } else {
                CastOutcome::KeyReused
            });
        }
    }
    // Polls not open, and ballots that exist.
    let open: Vec<usize> = undecided
        .iter()
        .copied()
        .filter(|&i| outcomes[i].is_none())
        .collect();
    let existing = existing_ballots(conn, open.iter().map(|&i| &batch[i])).await?;
    for &i in &open {
        let request = &batch[i];
        outcomes[i] = match status.get(&request.poll_id) {
            None => Some(CastOutcome::PollMissing),
            Some(PollStatus::Open) => existing
                .contains(&(request.poll_id, request.user_id))
                .then_some(CastOutcome::AlreadyVoted),
            Some(other) => Some(CastOutcome::PollNotOpen(*other)),
        };
    }
    // The rest would write a ballot: the first of each collision goes now.
    let mut ballots_seen = HashSet::new();
    let mut keys_seen = HashSet::new();
    let mut candidates = Vec::new();
    let mut deferred = Vec::new();
    for &i in &open {
        if outcomes[i].is_some() {
            continue;
        }
        let request = &batch[i];
        let first_ballot = ballots_seen.insert((request.poll_id, request.user_id));
        let first_key = keys_seen.insert((request.user_id, request.key.as_str()));
        if first_ballot && first_key {
            candidates.push(i);
        } else {
            deferred.push(i);
        }
    }
    // What the unique indexes refuse lost a race to another transaction: the writer
    // submits it again, and the next batch's lookups decide it.
    let inserted = insert_ballots(conn, candidates.iter().map(|&i| &batch[i]), now).await?;
    let mut recorded = Vec::new();
    for &i in &candidates {
        let request = &batch[i];
        if !inserted.contains(&request.vote_id) {
            outcomes[i] = Some(CastOutcome::Retry);
            continue;
        }
        *deltas.polls.entry(request.poll_id).or_default() += 1;
        for &option in request.choice.ids() {
            *deltas.options.entry(option).or_default() += 1;
        }
        recorded.push(request);
        outcomes[i] = Some(CastOutcome::Recorded(Vote {
            id: request.vote_id,
            poll_id: request.poll_id,
            user_id: request.user_id,
            option_ids: request.choice.ids().to_vec(),
            cast_at: now,
            updated_at: now,
        }));
    }
    insert_choices(conn, &recorded).await?;
    insert_cast_events(conn, &recorded, now).await?;
    Ok(deferred)
}

/// Audit events already holding any of these (user, key) pairs.
async fn used_keys<'a>(
    conn: &impl ConnectionTrait,
    requests: impl Iterator<Item = &'a CastRequest>,
) -> Result<HashMap<(Uuid, String), vote_events::Model>, DbErr> {
    let pairs: Vec<_> = requests
        .map(|r| Expr::tuple([Expr::val(r.user_id), Expr::val(r.key.as_str())]))
        .collect();
    if pairs.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = vote_events::Entity::find()
        .filter(
            Expr::tuple([
                Expr::col(vote_events::Column::UserId),
                Expr::col(vote_events::Column::IdempotencyKey),
            ])
            .is_in(pairs),
        )
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|e| ((e.user_id, e.idempotency_key.clone()), e))
        .collect())
}

/// Which of these (poll, user) pairs already have a ballot.
async fn existing_ballots<'a>(
    conn: &impl ConnectionTrait,
    requests: impl Iterator<Item = &'a CastRequest>,
) -> Result<HashSet<(Uuid, Uuid)>, DbErr> {
    let pairs: Vec<_> = requests
        .map(|r| Expr::tuple([Expr::val(r.poll_id), Expr::val(r.user_id)]))
        .collect();
    if pairs.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<(Uuid, Uuid)> = votes::Entity::find()
        .select_only()
        .column(votes::Column::PollId)
        .column(votes::Column::UserId)
        .filter(
            Expr::tuple([
                Expr::col(votes::Column::PollId),
                Expr::col(votes::Column::UserId),
            ])
            .is_in(pairs),
        )
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Inserts ballots, skipping any a unique index refuses; returns the ids written.
async fn insert_ballots<'a>(
    conn: &impl ConnectionTrait,
    requests: impl Iterator<Item = &'a CastRequest>,
    now: DateTime<Utc>,
) -> Result<HashSet<Uuid>, DbErr> {
    let requests: Vec<&CastRequest> = requests.collect();
    let mut inserted = HashSet::with_capacity(requests.len());
    for chunk in requests.chunks(ROWS_PER_INSERT) {
        let mut insert = Query::insert()
            .into_table(votes::Entity)
            .columns([
                votes::Column::Id,
                votes::Column::PollId,
                votes::Column::UserId,
                votes::Column::IdempotencyKey,
                votes::Column::RequestHash,
                votes::Column::CastAt,
                votes::Column::UpdatedAt,
            ])
            .to_owned();
        for r in chunk {
            insert
                .values([
                    r.vote_id.into(),
                    r.poll_id.into(),
                    r.user_id.into(),
                    r.key.as_str().into(),
                    r.request_hash.as_str().into(),
                    now.into(),
                    now.into(),
                ])
                .map_err(query_error)?;
        }
        insert
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .returning_col(votes::Column::Id);
        for row in conn.query_all(&insert).await? {
            inserted.insert(row.try_get::<Uuid>("", "id")?);
        }
    }
    Ok(inserted)
}

/// Inserts the choices of newly written ballots.
async fn insert_choices(
    conn: &impl ConnectionTrait,
    recorded: &[&CastRequest],
) -> Result<(), DbErr> {
    let rows: Vec<(Uuid, Uuid, Uuid)> = recorded
        .iter()
        .flat_map(|r| r.choice.ids().iter().map(|&o| (r.vote_id, o, r.poll_id)))
        .collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut insert = Query::insert()
            .into_table(vote_choices::Entity)
            .columns([
                vote_choices::Column::VoteId,
                vote_choices::Column::OptionId,
                vote_choices::Column::PollId,
            ])
            .to_owned();
        for &(vote, option, poll) in chunk {
            insert
                .values([vote.into(), option.into(), poll.into()])
                .map_err(query_error)?;
        }
        conn.execute(&insert).await?;
    }
    Ok(())
}

/// Appends a `cast` audit event per newly written ballot.
async fn insert_cast_events(
    conn: &impl ConnectionTrait,
    recorded: &[&CastRequest],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in recorded.chunks(ROWS_PER_INSERT) {
        let mut insert = Query::insert()
            .into_table(vote_events::Entity)
            .columns([
                vote_events::Column::Id,
                vote_events::Column::PollId,
                vote_events::Column::VoteId,
                vote_events::Column::UserId,
                vote_events::Column::Action,
                vote_events::Column::OldChoices,
                vote_events::Column::NewChoices,
                vote_events::Column::IdempotencyKey,
                vote_events::Column::RequestHash,
                vote_events::Column::At,
                vote_events::Column::RequestId,
            ])
            .to_owned();
        for r in chunk {
            insert
                .values([
                    Uuid::now_v7().into(),
                    r.poll_id.into(),
                    r.vote_id.into(),
                    r.user_id.into(),
                    VoteAction::Cast.as_str().into(),
                    "".into(),
                    r.choice.to_stored().into(),
                    r.key.as_str().into(),
                    r.request_hash.as_str().into(),
                    now.into(),
                    r.request_id.clone().into(),
                ])
                .map_err(query_error)?;
        }
        if !chunk.is_empty() {
            conn.execute(&insert).await?;
        }
    }
    Ok(())
}
