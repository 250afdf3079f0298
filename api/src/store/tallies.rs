//! Reading and moving the counters: consistent tally snapshots, and the per-batch
//! counter updates that keep counts equal to ballots.
//!
//! The store moves counters by each ballot's [`TallyContribution`] without knowing
//! poll kinds: +1 (or −1 when a ballot is changed away or retracted) to each listed
//! option's `vote_count` and to each listed group's row in `tally_groups`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use entity::{poll_options, polls, tally_groups};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    AccessMode, ConnectionTrait, DbBackend, DbErr, IsolationLevel, TransactionOptions,
    TransactionTrait,
};
use uuid::Uuid;

use super::Store;
use crate::domain::{Tally, TallyContribution};
use crate::error::AppResult;

/// Group rows per multi-row upsert: keeps bind parameters (three per row) far below
/// SQLite's and PostgreSQL's limits whatever the number of groups a change moves.
const GROUP_ROWS_PER_UPSERT: usize = 1_000;

/// Changes to apply to counters in one transaction.
#[derive(Debug, Default)]
pub(super) struct CounterDeltas {
    /// Ballots added (or removed, when negative) per poll.
    pub polls: BTreeMap<Uuid, i64>,
    /// Choices added or removed per option.
    pub options: BTreeMap<Uuid, i64>,
    /// Ballots added or removed per (poll, group key).
    pub groups: BTreeMap<(Uuid, String), i64>,
}

impl CounterDeltas {
    /// Adds `sign` (+1 for a ballot written, −1 for one taken away) times what one
    /// ballot on `poll` contributes; the poll's ballot count is the caller's to move.
    pub fn add_contribution(&mut self, poll: Uuid, contribution: &TallyContribution, sign: i64) {
        for option in &contribution.options {
            *self.options.entry(option.uuid()).or_default() += sign;
        }
        for group in &contribution.groups {
            *self.groups.entry((poll, group.clone())).or_default() += sign;
        }
    }

    /// Applies the deltas: one `UPDATE` per poll and one per option, in id order so that
    /// concurrent transactions take row locks in the same order, then the groups in
    /// (poll, key) order ([`upsert_groups`]). Every touched poll's `results_version`
    /// grows by one.
    pub async fn apply(&self, conn: &impl ConnectionTrait) -> Result<(), DbErr> {
        for (&poll, &delta) in &self.polls {
            let update = Query::update()
                .table(polls::Entity)
                .value(
                    polls::Column::TotalVotes,
                    Expr::col(polls::Column::TotalVotes).add(delta),
                )
                .value(
                    polls::Column::ResultsVersion,
                    Expr::col(polls::Column::ResultsVersion).add(1),
                )
                .and_where(Expr::col(polls::Column::Id).eq(poll))
                .to_owned();
            conn.execute(&update).await?;
        }
        for (&option, &delta) in self.options.iter().filter(|(_, d)| **d != 0) {
            let update = Query::update()
                .table(poll_options::Entity)
                .value(
                    poll_options::Column::VoteCount,
                    Expr::col(poll_options::Column::VoteCount).add(delta),
                )
                .and_where(Expr::col(poll_options::Column::Id).eq(option))
                .to_owned();
            conn.execute(&update).await?;
        }
        upsert_groups(conn, &self.groups).await
    }
}

/// Moves group counters by their deltas with a portable multi-row upsert
/// (`INSERT … ON CONFLICT (poll_id, group_key) DO UPDATE SET ballots = ballots +
/// excluded.ballots`), skipping zero deltas; no statement when nothing moves, so
/// polls without groups (SINGLE, MULTIPLE) cost nothing more. A group that falls to
/// zero keeps its row at 0; [`read_tallies`] leaves zero groups out.
pub(super) async fn upsert_groups(
    conn: &impl ConnectionTrait,
    groups: &BTreeMap<(Uuid, String), i64>,
) -> Result<(), DbErr> {
    let moved: Vec<(&(Uuid, String), &i64)> = groups.iter().filter(|(_, d)| **d != 0).collect();
    for chunk in moved.chunks(GROUP_ROWS_PER_UPSERT) {
        let mut insert = Query::insert()
            .into_table(tally_groups::Entity)
            .columns([
                tally_groups::Column::PollId,
                tally_groups::Column::GroupKey,
                tally_groups::Column::Ballots,
            ])
            .to_owned();
        for ((poll, key), delta) in chunk {
            insert
                .values([(*poll).into(), key.as_str().into(), (**delta).into()])
                .map_err(|e| DbErr::Custom(format!("building a tally group upsert: {e}")))?;
        }
        insert.on_conflict(
            OnConflict::columns([tally_groups::Column::PollId, tally_groups::Column::GroupKey])
                .value(
                    tally_groups::Column::Ballots,
                    Expr::col((tally_groups::Entity, tally_groups::Column::Ballots)).add(
                        Expr::col((Alias::new("excluded"), tally_groups::Column::Ballots)),
                    ),
                )
                .to_owned(),
        );
        conn.execute(&insert).await?;
    }
    Ok(())
}

/// Tallies of these polls: option counters in one statement, then their non-zero
/// groups in a second, sorted by key. Callers hold the polls' row locks or read in one
/// snapshot ([`Store::tallies`]), so both statements see the same commit.
pub(super) async fn read_tallies(
    conn: &impl ConnectionTrait,
    poll_ids: &[Uuid],
    as_of: DateTime<Utc>,
) -> Result<Vec<Tally>, DbErr> {
    if poll_ids.is_empty() {
        return Ok(Vec::new());
    }
    let select = Query::select()
        .expr_as(Expr::col((polls::Entity, polls::Column::Id)), "poll_id")
        .expr_as(
            Expr::col((polls::Entity, polls::Column::TotalVotes)),
            "total_votes",
        )
        .expr_as(
            Expr::col((polls::Entity, polls::Column::ResultsVersion)),
            "version",
        )
        .expr_as(
            Expr::col((poll_options::Entity, poll_options::Column::Id)),
            "option_id",
        )
        .expr_as(
            Expr::col((poll_options::Entity, poll_options::Column::VoteCount)),
            "votes",
        )
        .from(polls::Entity)
        .inner_join(
            poll_options::Entity,
            Expr::col((poll_options::Entity, poll_options::Column::PollId))
                .equals((polls::Entity, polls::Column::Id)),
        )
        .and_where(Expr::col((polls::Entity, polls::Column::Id)).is_in(poll_ids.iter().copied()))
        .order_by((polls::Entity, polls::Column::Id), sea_orm::Order::Asc)
        .order_by(
            (poll_options::Entity, poll_options::Column::Position),
            sea_orm::Order::Asc,
        )
        .to_owned();
    let mut tallies: Vec<Tally> = Vec::with_capacity(poll_ids.len());
    for row in conn.query_all(&select).await? {
        let poll_id: Uuid = row.try_get("", "poll_id")?;
        let option: (Uuid, i64) = (row.try_get("", "option_id")?, row.try_get("", "votes")?);
        match tallies.last_mut() {
            Some(tally) if tally.poll_id == poll_id => tally.counts.push(option),
            _ => tallies.push(Tally {
                poll_id,
                total_votes: row.try_get("", "total_votes")?,
                version: row.try_get("", "version")?,
                counts: vec![option],
                groups: Vec::new(),
                as_of,
            }),
        }
    }
    read_groups(conn, poll_ids, &mut tallies).await?;
    Ok(tallies)
}

/// Fills in the non-zero groups of these tallies, each sorted by key.
async fn read_groups(
    conn: &impl ConnectionTrait,
    poll_ids: &[Uuid],
    tallies: &mut [Tally],
) -> Result<(), DbErr> {
    let select = Query::select()
        .columns([
            tally_groups::Column::PollId,
            tally_groups::Column::GroupKey,
            tally_groups::Column::Ballots,
        ])
        .from(tally_groups::Entity)
        .and_where(Expr::col(tally_groups::Column::PollId).is_in(poll_ids.iter().copied()))
        .and_where(Expr::col(tally_groups::Column::Ballots).ne(0))
        .to_owned();
    let index: HashMap<Uuid, usize> = tallies
        .iter()
        .enumerate()
        .map(|(i, t)| (t.poll_id, i))
        .collect();
    for row in conn.query_all(&select).await? {
        let poll: Uuid = row.try_get("", "poll_id")?;
        if let Some(&i) = index.get(&poll) {
            tallies[i]
                .groups
                .push((row.try_get("", "group_key")?, row.try_get("", "ballots")?));
        }
    }
    // Sorted here, not by the database: a collation may order punctuation in keys
    // ("2>0>1", "3:-1") differently on each backend; byte order is the same everywhere.
    for tally in tallies.iter_mut() {
        tally.groups.sort_unstable();
    }
    Ok(())
}

impl Store {
    /// Current tallies of these polls (unknown ids are left out), read in one snapshot:
    /// a repeatable-read transaction on PostgreSQL (a deferred one on SQLite takes its
    /// snapshot at the first read), so counters and groups agree with the version.
    pub async fn tallies(&self, poll_ids: &[Uuid], as_of: DateTime<Utc>) -> AppResult<Vec<Tally>> {
        if poll_ids.is_empty() {
            return Ok(Vec::new());
        }
        let postgres = self.backend() == DbBackend::Postgres;
        let txn = self
            .conn()
            .begin_with_options(TransactionOptions {
                isolation_level: postgres.then_some(IsolationLevel::RepeatableRead),
                access_mode: postgres.then_some(AccessMode::ReadOnly),
                sqlite_transaction_mode: None,
            })
            .await?;
        let tallies = read_tallies(&txn, poll_ids, as_of).await?;
        txn.commit().await?;
        Ok(tallies)
    }
}
