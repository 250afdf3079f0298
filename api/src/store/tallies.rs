//! Reading and moving the counters: consistent tally snapshots, and the per-batch
//! counter updates that keep counts equal to ballots.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{poll_options, polls};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use super::Store;
use crate::domain::Tally;
use crate::error::AppResult;

/// Changes to apply to counters in one transaction.
#[derive(Debug, Default)]
pub(super) struct CounterDeltas {
    /// Ballots added (or removed, when negative) per poll.
    pub polls: BTreeMap<Uuid, i64>,
    /// Choices added or removed per option.
    pub options: BTreeMap<Uuid, i64>,
}

impl CounterDeltas {
    /// Applies the deltas: one `UPDATE` per poll and one per option, in id order so that
    /// concurrent transactions take row locks in the same order. Every touched poll's
    /// `results_version` grows by one.
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
        Ok(())
    }
}

/// Tallies of these polls, read in one statement so each is a consistent snapshot.
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
    Ok(tallies)
}

impl Store {
    /// Current tallies of these polls (unknown ids are left out).
    pub async fn tallies(&self, poll_ids: &[Uuid], as_of: DateTime<Utc>) -> AppResult<Vec<Tally>> {
        Ok(read_tallies(self.conn(), poll_ids, as_of).await?)
    }
}
