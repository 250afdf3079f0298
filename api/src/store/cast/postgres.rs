//! The PostgreSQL batch.
//!
//! 1. The polls' statuses are read (no lock) and the calls on open polls go into one
//!    data-modifying CTE over arrays: ballots (`ON CONFLICT DO NOTHING`), their choices
//!    and audit events. Calls whose key is in the audit log are left out of it (their
//!    event would collide). Rows go in ordered by user, so two concurrent batches wait
//!    on each other's conflicting rows in one order and cannot deadlock.
//! 2. What the statement did not insert is decided by the rulebook, over two lookups
//!    (used keys, existing ballots) that see the rows it just wrote: a second call with
//!    the same key replays the first. A call the rulebook lets through that was not
//!    inserted lost a race to another transaction: [`CastOutcome::Retry`].
//! 3. The polls that gained ballots are locked in id order and judged again at a clock
//!    read after the lock. If one closed meanwhile, the transaction is rolled back and
//!    the batch runs again, now refusing those votes; otherwise the counters move by the
//!    recorded calls' contributions, one `UPDATE` for all options, one for all polls and,
//!    only when the batch has groups (RANKED, SCORE), one upsert of all its groups —
//!    and the transaction commits.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::vote_events;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Statement, Value};
use uuid::Uuid;

use super::{
    BatchResult, CastOutcome, CastRequest, UsedKeys, distinct_sorted, is_open, poll_facts,
    poll_rows, recorded_vote, rule, touched_polls, uuids_of,
};
use crate::clock::Clock;
use crate::domain::rulebook::PollFacts;
use crate::domain::{PollId, UserId, VoteAction, VoteId};
use crate::store::Store;
use crate::store::tallies::read_tallies;

/// Writes the calls on open polls; `$1`–`$7` and `$10` are per call, `$8`, `$9` and
/// `$13` per `vote_choices` row (its rank or score in `$13`).
const CAST: &str = r#"
WITH input AS (
    SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $10::uuid[])
        AS t(vote_id, poll_id, user_id, key, hash, choices, request_id, event_id)
), fresh AS (
    SELECT i.* FROM input i
    WHERE NOT EXISTS (
        SELECT 1 FROM vote_events e WHERE e.user_id = i.user_id AND e.idempotency_key = i.key
    )
), ins AS (
    INSERT INTO votes (id, poll_id, user_id, idempotency_key, request_hash, cast_at, updated_at)
    SELECT vote_id, poll_id, user_id, key, hash, $11, $11 FROM fresh
    ORDER BY user_id, poll_id
    ON CONFLICT DO NOTHING
    RETURNING id, poll_id
), chosen AS (
    SELECT c.vote_id, c.option_id, ins.poll_id, c.value
    FROM UNNEST($8::uuid[], $9::uuid[], $13::int[]) AS c(vote_id, option_id, value)
    JOIN ins ON ins.id = c.vote_id
), ins_choices AS (
    INSERT INTO vote_choices (vote_id, option_id, poll_id, value)
    SELECT vote_id, option_id, poll_id, value FROM chosen
), ins_events AS (
    INSERT INTO vote_events
        (id, poll_id, vote_id, user_id, action, old_choices, new_choices, idempotency_key, request_hash, at, request_id)
    SELECT f.event_id, f.poll_id, f.vote_id, f.user_id, $12, '', f.choices, f.key, f.hash, $11, f.request_id
    FROM fresh f JOIN ins ON ins.id = f.vote_id
)
SELECT id FROM ins
"#;

/// Moves option counters by `$2` for the options `$1`.
const MOVE_OPTIONS: &str = r#"
UPDATE poll_options o SET vote_count = o.vote_count + d.n
FROM UNNEST($1::uuid[], $2::bigint[]) AS d(id, n) WHERE o.id = d.id
"#;

/// Moves poll totals by `$2` for the polls `$1`, and their versions by one.
const MOVE_POLLS: &str = r#"
UPDATE polls p SET total_votes = p.total_votes + d.n, results_version = p.results_version + 1
FROM UNNEST($1::uuid[], $2::bigint[]) AS d(id, n) WHERE p.id = d.id
"#;

/// Moves the groups (`$1` poll, `$2` key) by `$3` ballots, creating the rows missing.
const MOVE_GROUPS: &str = r#"
INSERT INTO tally_groups (poll_id, group_key, ballots)
SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::bigint[])
ON CONFLICT (poll_id, group_key) DO UPDATE SET ballots = tally_groups.ballots + EXCLUDED.ballots
"#;

/// Audit events holding any of the (user, key) pairs `$1`, `$2`.
const USED_KEYS: &str = r#"
SELECT e.* FROM vote_events e
JOIN UNNEST($1::uuid[], $2::text[]) AS k(user_id, key)
    ON e.user_id = k.user_id AND e.idempotency_key = k.key
"#;

/// Which of the (poll, user) pairs `$1`, `$2` have a ballot.
const BALLOTS: &str = r#"
SELECT v.poll_id, v.user_id FROM votes v
JOIN UNNEST($1::uuid[], $2::uuid[]) AS k(poll_id, user_id)
    ON v.poll_id = k.poll_id AND v.user_id = k.user_id
"#;

fn uuids(values: impl IntoIterator<Item = impl Into<Uuid>>) -> Value {
    Value::Array(
        sea_orm::sea_query::ArrayType::Uuid,
        Some(Box::new(
            values
                .into_iter()
                .map(|id| Value::from(id.into()))
                .collect(),
        )),
    )
}

fn bigints(values: impl IntoIterator<Item = i64>) -> Value {
    Value::Array(
        sea_orm::sea_query::ArrayType::BigInt,
        Some(Box::new(values.into_iter().map(Into::into).collect())),
    )
}

fn ints(values: impl IntoIterator<Item = i32>) -> Value {
    Value::Array(
        sea_orm::sea_query::ArrayType::Int,
        Some(Box::new(values.into_iter().map(Into::into).collect())),
    )
}

fn texts(values: impl IntoIterator<Item = Option<String>>) -> Value {
    Value::Array(
        sea_orm::sea_query::ArrayType::String,
        Some(Box::new(values.into_iter().map(Into::into).collect())),
    )
}

/// The whole batch transaction (see the module doc).
pub(super) async fn commit(
    store: &Store,
    batch: &[CastRequest],
    clock: &dyn Clock,
) -> Result<BatchResult, DbErr> {
    // A poll closing between the insert and the lock costs one more attempt; a second
    // attempt sees it closed before inserting anything.
    for _ in 0..2 {
        if let Some(result) = attempt(store, batch, clock).await? {
            return Ok(result);
        }
    }
    Err(DbErr::Custom(
        "polls kept closing under a vote batch".into(),
    ))
}

/// One attempt; `None` when a poll closed under it and it was rolled back.
async fn attempt(
    store: &Store,
    batch: &[CastRequest],
    clock: &dyn Clock,
) -> Result<Option<BatchResult>, DbErr> {
    let txn = store.begin_write().await?;
    let polls = distinct_sorted(batch.iter().map(|r| r.poll_id));
    let now = clock.now();
    let facts = poll_facts(&poll_rows(&txn, &polls, false).await?, now);
    let outcomes = decide(&txn, batch, &facts, now).await?;

    let touched = touched_polls(&outcomes);
    if !touched.is_empty() {
        let locked = poll_rows(&txn, &touched, true).await?;
        let still = poll_facts(&locked, clock.now());
        if touched.iter().any(|&p| !is_open(&still, p)) {
            txn.rollback().await?;
            return Ok(None);
        }
        move_counters(&txn, batch, &outcomes).await?;
    }
    let tallies = read_tallies(&txn, &uuids_of(&touched), now).await?;
    txn.commit().await?;
    Ok(Some(BatchResult { outcomes, tallies }))
}

/// One `UPDATE` for every option and one for every poll the batch recorded votes in,
/// and one upsert for its groups when it has any; each in key order, so concurrent
/// transactions take row locks in one order.
async fn move_counters(
    conn: &impl ConnectionTrait,
    batch: &[CastRequest],
    outcomes: &[CastOutcome],
) -> Result<(), DbErr> {
    let mut options: BTreeMap<Uuid, i64> = BTreeMap::new();
    let mut polls: BTreeMap<Uuid, i64> = BTreeMap::new();
    let mut groups: BTreeMap<(Uuid, &str), i64> = BTreeMap::new();
    for (request, outcome) in batch.iter().zip(outcomes) {
        if let CastOutcome::Recorded(_) = outcome {
            *polls.entry(request.poll_id.uuid()).or_default() += 1;
            for option in &request.contribution.options {
                *options.entry(option.uuid()).or_default() += 1;
            }
            for group in &request.contribution.groups {
                *groups.entry((request.poll_id.uuid(), group)).or_default() += 1;
            }
        }
    }
    for (sql, deltas) in [(MOVE_OPTIONS, options), (MOVE_POLLS, polls)] {
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [
                uuids(deltas.keys().copied()),
                bigints(deltas.values().copied()),
            ],
        );
        conn.execute_raw(statement).await?;
    }
    if !groups.is_empty() {
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            MOVE_GROUPS,
            [
                uuids(groups.keys().map(|(poll, _)| *poll)),
                texts(groups.keys().map(|(_, key)| Some((*key).to_owned()))),
                bigints(groups.values().copied()),
            ],
        );
        conn.execute_raw(statement).await?;
    }
    Ok(())
}

/// Decides every call of the batch: steps 1 and 2 of the module doc.
async fn decide(
    conn: &impl ConnectionTrait,
    batch: &[CastRequest],
    polls: &HashMap<PollId, PollFacts>,
    now: DateTime<Utc>,
) -> Result<Vec<CastOutcome>, DbErr> {
    let mut open: Vec<&CastRequest> = batch.iter().filter(|r| is_open(polls, r.poll_id)).collect();
    open.sort_by_key(|r| (r.user_id, r.poll_id));
    let inserted = if open.is_empty() {
        HashSet::new()
    } else {
        insert(conn, &open, now).await?
    };
    let rest: Vec<&CastRequest> = batch
        .iter()
        .filter(|r| !inserted.contains(&r.vote_id))
        .collect();
    // What the statement did not insert is the rulebook's, from lookups that see the
    // rows the statement wrote.
    let (used, existing) = if rest.is_empty() {
        (UsedKeys::default(), HashSet::new())
    } else {
        (
            used_keys(conn, rest.iter().copied()).await?,
            ballots(conn, rest.iter().copied()).await?,
        )
    };
    batch
        .iter()
        .map(|request| {
            if inserted.contains(&request.vote_id) {
                return Ok(CastOutcome::Recorded(recorded_vote(request, now)));
            }
            // Let through yet not inserted: another transaction took the ballot or the
            // key between our statement and the lookups; the next batch will see it.
            Ok(rule(request, &used, polls, &existing)?.unwrap_or(CastOutcome::Retry))
        })
        .collect()
}

async fn insert(
    conn: &impl ConnectionTrait,
    open: &[&CastRequest],
    now: DateTime<Utc>,
) -> Result<HashSet<VoteId>, DbErr> {
    let choices: Vec<(VoteId, Uuid, i32)> = open
        .iter()
        .flat_map(|r| {
            r.ballot
                .rows()
                .into_iter()
                .map(|(option, value)| (r.vote_id, option.0, value))
        })
        .collect();
    let values: Vec<Value> = vec![
        uuids(open.iter().map(|r| r.vote_id)),
        uuids(open.iter().map(|r| r.poll_id)),
        uuids(open.iter().map(|r| r.user_id)),
        texts(open.iter().map(|r| Some(r.key.as_str().to_owned()))),
        texts(
            open.iter()
                .map(|r| Some(r.request_hash.as_str().to_owned())),
        ),
        texts(open.iter().map(|r| Some(r.ballot.to_stored()))),
        texts(open.iter().map(|r| r.request_id.clone())),
        uuids(choices.iter().map(|c| c.0)),
        uuids(choices.iter().map(|c| c.1)),
        uuids(open.iter().map(|_| Uuid::now_v7())),
        now.into(),
        VoteAction::Cast.as_str().into(),
        ints(choices.iter().map(|c| c.2)),
    ];
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            CAST,
            values,
        ))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<Uuid>("", "id").map(VoteId::from))
        .collect()
}

async fn used_keys<'a>(
    conn: &impl ConnectionTrait,
    requests: impl Iterator<Item = &'a CastRequest> + Clone,
) -> Result<UsedKeys, DbErr> {
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        USED_KEYS,
        [
            uuids(requests.clone().map(|r| r.user_id)),
            texts(requests.clone().map(|r| Some(r.key.as_str().to_owned()))),
        ],
    );
    let events = conn
        .query_all_raw(statement)
        .await?
        .iter()
        .map(|row| vote_events::Model::from_query_result(row, ""))
        .collect::<Result<Vec<_>, DbErr>>()?;
    Ok(UsedKeys::from_events(events))
}

async fn ballots<'a>(
    conn: &impl ConnectionTrait,
    requests: impl Iterator<Item = &'a CastRequest> + Clone,
) -> Result<HashSet<(PollId, UserId)>, DbErr> {
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        BALLOTS,
        [
            uuids(requests.clone().map(|r| r.poll_id)),
            uuids(requests.map(|r| r.user_id)),
        ],
    );
    conn.query_all_raw(statement)
        .await?
        .iter()
        .map(|row| {
            let poll: Uuid = row.try_get("", "poll_id")?;
            let user: Uuid = row.try_get("", "user_id")?;
            Ok((PollId::from(poll), UserId::from(user)))
        })
        .collect()
}
