//! The portable batch: a few rounds of lookups and multi-row inserts built with
//! sea-query, on SQLite and PostgreSQL alike.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{vote_choices, vote_events, votes};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::{
    BatchResult, CastOutcome, CastRequest, UsedKeys, distinct_sorted, poll_facts, poll_rows,
    recorded_vote, rule, touched_polls, uuids_of,
};
use crate::clock::Clock;
use crate::domain::rulebook::PollFacts;
use crate::domain::{PollId, UserId, VoteAction, VoteId};
use crate::store::Store;
use crate::store::tallies::{CounterDeltas, read_tallies};

/// Rows per multi-row INSERT; keeps bind parameters far below SQLite's and Postgres'
/// limits whatever the batch size.
const ROWS_PER_INSERT: usize = 1_000;

fn query_error(error: sea_orm::sea_query::error::Error) -> DbErr {
    DbErr::Custom(format!("building a vote batch statement: {error}"))
}

/// The whole batch transaction: lock the polls, decide and write, move the counters.
pub(super) async fn commit(
    store: &Store,
    batch: &[CastRequest],
    clock: &dyn Clock,
) -> Result<BatchResult, DbErr> {
    let txn = store.begin_write().await?;
    let polls = distinct_sorted(batch.iter().map(|r| r.poll_id));
    let rows = poll_rows(&txn, &polls, true).await?;
    let now = clock.now();
    let outcomes = write(&txn, batch, &poll_facts(&rows, now), now).await?;
    let tallies = read_tallies(&txn, &uuids_of(&touched_polls(&outcomes)), now).await?;
    txn.commit().await?;
    Ok(BatchResult { outcomes, tallies })
}

/// Decides every call of the batch, in rounds: calls that would both write a ballot are
/// never inserted together; the later ones wait a round, by which time the earlier
/// one's rows decide them. Moves the counters of what it records.
async fn write(
    conn: &impl ConnectionTrait,
    batch: &[CastRequest],
    polls: &HashMap<PollId, PollFacts>,
    now: DateTime<Utc>,
) -> Result<Vec<CastOutcome>, DbErr> {
    let mut outcomes: Vec<Option<CastOutcome>> = vec![None; batch.len()];
    let mut deltas = CounterDeltas::default();
    let mut undecided: Vec<usize> = (0..batch.len()).collect();
    while !undecided.is_empty() {
        undecided = decide_round(
            conn,
            batch,
            &undecided,
            polls,
            now,
            &mut outcomes,
            &mut deltas,
        )
        .await?;
    }
    deltas.apply(conn).await?;
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or(CastOutcome::Retry))
        .collect())
}

/// Decides what it can of `undecided` and returns the calls left for another round.
async fn decide_round(
    conn: &impl ConnectionTrait,
    batch: &[CastRequest],
    undecided: &[usize],
    polls: &HashMap<PollId, PollFacts>,
    now: DateTime<Utc>,
    outcomes: &mut [Option<CastOutcome>],
    deltas: &mut CounterDeltas,
) -> Result<Vec<usize>, DbErr> {
    // The facts the rulebook needs; it refuses what it can. The rest would write a
    // ballot: the first of each collision goes now.
    let used = used_keys(conn, undecided.iter().map(|&i| &batch[i])).await?;
    let existing = existing_ballots(conn, undecided.iter().map(|&i| &batch[i])).await?;
    let mut ballots_seen = HashSet::new();
    let mut keys_seen = HashSet::new();
    let mut candidates = Vec::new();
    let mut deferred = Vec::new();
    for &i in undecided {
        let request = &batch[i];
        if let Some(outcome) = rule(request, &used, polls, &existing)? {
            outcomes[i] = Some(outcome);
            continue;
        }
        let first_ballot = ballots_seen.insert((request.poll_id, request.user_id));
        let first_key = keys_seen.insert((request.user_id, &request.key));
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
        *deltas.polls.entry(request.poll_id.uuid()).or_default() += 1;
        deltas.add_contribution(request.poll_id.uuid(), &request.contribution, 1);
        recorded.push(request);
        outcomes[i] = Some(CastOutcome::Recorded(recorded_vote(request, now)));
    }
    insert_choices(conn, &recorded).await?;
    insert_cast_events(conn, &recorded, now).await?;
    Ok(deferred)
}

/// The keys of these calls that their voters used before.
async fn used_keys<'a>(
    conn: &impl ConnectionTrait,
    requests: impl Iterator<Item = &'a CastRequest>,
) -> Result<UsedKeys, DbErr> {
    let pairs: Vec<_> = requests
        .map(|r| Expr::tuple([Expr::val(r.user_id.uuid()), Expr::val(r.key.as_str())]))
        .collect();
    if pairs.is_empty() {
        return Ok(UsedKeys::default());
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
    Ok(UsedKeys::from_events(rows))
}

/// Which of these (poll, user) pairs already have a ballot.
async fn existing_ballots<'a>(
    conn: &impl ConnectionTrait,
    requests: impl Iterator<Item = &'a CastRequest>,
) -> Result<HashSet<(PollId, UserId)>, DbErr> {
    let pairs: Vec<_> = requests
        .map(|r| Expr::tuple([Expr::val(r.poll_id.uuid()), Expr::val(r.user_id.uuid())]))
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
    Ok(rows
        .into_iter()
        .map(|(poll, user)| (PollId::from(poll), UserId::from(user)))
        .collect())
}

/// Inserts ballots, skipping any a unique index refuses; returns the ids written.
async fn insert_ballots<'a>(
    conn: &impl ConnectionTrait,
    requests: impl Iterator<Item = &'a CastRequest>,
    now: DateTime<Utc>,
) -> Result<HashSet<VoteId>, DbErr> {
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
                    r.vote_id.uuid().into(),
                    r.poll_id.uuid().into(),
                    r.user_id.uuid().into(),
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
            inserted.insert(VoteId::from(row.try_get::<Uuid>("", "id")?));
        }
    }
    Ok(inserted)
}

/// Inserts the `vote_choices` rows of newly written ballots (with their rank or score).
async fn insert_choices(
    conn: &impl ConnectionTrait,
    recorded: &[&CastRequest],
) -> Result<(), DbErr> {
    let rows: Vec<(Uuid, Uuid, Uuid, i32)> = recorded
        .iter()
        .flat_map(|r| {
            let (vote, poll) = (r.vote_id.uuid(), r.poll_id.uuid());
            r.ballot
                .rows()
                .into_iter()
                .map(move |(option, value)| (vote, option.0, poll, value))
        })
        .collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut insert = Query::insert()
            .into_table(vote_choices::Entity)
            .columns([
                vote_choices::Column::VoteId,
                vote_choices::Column::OptionId,
                vote_choices::Column::PollId,
                vote_choices::Column::Value,
            ])
            .to_owned();
        for &(vote, option, poll, value) in chunk {
            insert
                .values([vote.into(), option.into(), poll.into(), value.into()])
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
                    r.poll_id.uuid().into(),
                    r.vote_id.uuid().into(),
                    r.user_id.uuid().into(),
                    VoteAction::Cast.as_str().into(),
                    "".into(),
                    r.ballot.to_stored().into(),
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
