//! Reading a poll's ballots for an export: keyset pages in a stable order, so a poll of
//! any size is read with flat memory and each ballot appears exactly once.
//!
//! The order is the voter key's (`votes.user_id`, which holds a pseudonym on anonymous
//! polls): `UNIQUE (poll_id, user_id)` is an index that already exists and serves each
//! page as a range scan. Ordering by ballot id (cast order) would need another index on
//! the vote path's hottest table, paid by every ballot for the sake of a rare read.
//! The key is only a cursor: it never leaves this module's callers as data.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{users, vote_choices, votes};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::Store;
use crate::error::AppResult;

/// Where the next page of an export starts: after this voter key. Opaque to callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BallotCursor(Uuid);

/// One ballot as an export reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedBallot {
    /// The ballot's id.
    pub id: Uuid,
    /// When it was first cast.
    pub cast_at: DateTime<Utc>,
    /// The options it chose, in no particular order.
    pub option_ids: Vec<Uuid>,
    /// The voter's username, when asked for (never on anonymous polls).
    pub voter: Option<String>,
}

/// One page of ballots and where the next one starts (`None`: this was the last).
#[derive(Debug)]
pub struct BallotPage {
    /// The ballots, in the export's order.
    pub ballots: Vec<ExportedBallot>,
    /// The cursor of the next page, if there may be one.
    pub next: Option<BallotCursor>,
}

impl Store {
    /// Up to `limit` ballots of the poll after `after`, with their choices, and with the
    /// voters' usernames when `with_voter` (two queries, three with usernames). A page
    /// shorter than `limit` is the last.
    pub async fn ballot_page(
        &self,
        poll_id: Uuid,
        after: Option<BallotCursor>,
        limit: u64,
        with_voter: bool,
    ) -> AppResult<BallotPage> {
        let mut query = votes::Entity::find()
            .select_only()
            .column(votes::Column::Id)
            .column(votes::Column::UserId)
            .column(votes::Column::CastAt)
            .filter(votes::Column::PollId.eq(poll_id))
            .order_by_asc(votes::Column::UserId)
            .limit(limit);
        if let Some(BallotCursor(key)) = after {
            query = query.filter(votes::Column::UserId.gt(key));
        }
        let rows: Vec<(Uuid, Uuid, DateTime<Utc>)> = query.into_tuple().all(self.conn()).await?;
        let next = match rows.last() {
            Some(&(_, key, ..)) if rows.len() as u64 == limit => Some(BallotCursor(key)),
            _ => None,
        };
        let mut choices: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        if !rows.is_empty() {
            let found: Vec<(Uuid, Uuid)> = vote_choices::Entity::find()
                .select_only()
                .column(vote_choices::Column::VoteId)
                .column(vote_choices::Column::OptionId)
                .filter(vote_choices::Column::VoteId.is_in(rows.iter().map(|r| r.0)))
                .into_tuple()
                .all(self.conn())
                .await?;
            for (vote, option) in found {
                choices.entry(vote).or_default().push(option);
            }
        }
        let mut usernames = if with_voter && !rows.is_empty() {
            self.usernames(rows.iter().map(|r| r.1)).await?
        } else {
            HashMap::new()
        };
        let ballots = rows
            .into_iter()
            .map(|(id, key, cast_at)| ExportedBallot {
                id,
                cast_at,
                option_ids: choices.remove(&id).unwrap_or_default(),
                voter: if with_voter {
                    usernames.remove(&key)
                } else {
                    None
                },
            })
            .collect();
        Ok(BallotPage { ballots, next })
    }

    /// The usernames of these user ids, by id, in one query by primary key. A separate
    /// query rather than a join: PostgreSQL planned the join on a deep page as a scan of
    /// `users_pkey` from its start, which made a 1,000,000-ballot export quadratic.
    async fn usernames(&self, ids: impl Iterator<Item = Uuid>) -> AppResult<HashMap<Uuid, String>> {
        let found: Vec<(Uuid, String)> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .column(users::Column::Username)
            .filter(users::Column::Id.is_in(ids))
            .into_tuple()
            .all(self.conn())
            .await?;
        Ok(found.into_iter().collect())
    }
}
