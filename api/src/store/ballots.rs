//! Reading ballots with what they say. Ballots are found by the id they are stored
//! under (the voter's, or a pseudonym); which are a voter's is the service's call.

use std::collections::HashMap;

use entity::{polls, vote_choices, votes};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::Store;
use crate::domain::{Ballot, OptionId, PollKind, Vote};
use crate::error::AppResult;

/// Most users asked about in one query: well under the bound parameters SQLite and
/// PostgreSQL accept in one statement.
const HOLDERS_PER_QUERY: usize = 1000;

/// A stored ballot and its `vote_choices` rows (option, value), not yet read in its
/// poll kind's shape.
pub(super) type StoredBallot = (votes::Model, Vec<(OptionId, i32)>);

/// Ballots matching `filter`, each with its rows (two queries, whatever the count).
pub(super) async fn load_stored(
    conn: &impl ConnectionTrait,
    filter: sea_orm::Condition,
) -> Result<Vec<StoredBallot>, DbErr> {
    let rows = votes::Entity::find().filter(filter).all(conn).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let choices = vote_choices::Entity::find()
        .filter(vote_choices::Column::VoteId.is_in(rows.iter().map(|v| v.id)))
        .all(conn)
        .await?;
    let mut by_vote: HashMap<Uuid, Vec<(OptionId, i32)>> = HashMap::new();
    for choice in choices {
        by_vote
            .entry(choice.vote_id)
            .or_default()
            .push((OptionId(choice.option_id), choice.value));
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let choices = by_vote.remove(&row.id).unwrap_or_default();
            (row, choices)
        })
        .collect())
}

/// A stored ballot read as a ballot of a `kind` poll.
pub(super) fn read_ballot((row, choices): StoredBallot, kind: PollKind) -> Vote {
    Vote {
        ballot: Ballot::from_rows(kind, choices),
        id: row.id,
        poll_id: row.poll_id,
        user_id: row.user_id,
        cast_at: row.cast_at,
        updated_at: row.updated_at,
    }
}

/// Ballots matching `filter`, each read in its poll's kind (one more query for the
/// kinds); a kind this version does not know is `UNSUPPORTED_POLL`.
async fn load_votes(
    conn: &impl ConnectionTrait,
    filter: sea_orm::Condition,
) -> AppResult<Vec<Vote>> {
    let stored = load_stored(conn, filter).await?;
    if stored.is_empty() {
        return Ok(Vec::new());
    }
    let mut poll_ids: Vec<Uuid> = stored.iter().map(|(row, _)| row.poll_id).collect();
    poll_ids.sort_unstable();
    poll_ids.dedup();
    let kinds: HashMap<Uuid, String> = polls::Entity::find()
        .select_only()
        .column(polls::Column::Id)
        .column(polls::Column::Kind)
        .filter(polls::Column::Id.is_in(poll_ids))
        .into_tuple::<(Uuid, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    stored
        .into_iter()
        .map(|ballot| {
            let kind = kinds.get(&ballot.0.poll_id).map_or("", String::as_str);
            Ok(read_ballot(ballot, PollKind::from_stored(kind)?))
        })
        .collect()
}

impl Store {
    /// The ballot with this id, whoever it belongs to (the service checks that).
    pub async fn ballot(&self, vote_id: Uuid) -> AppResult<Option<Vote>> {
        let filter = sea_orm::Condition::all().add(votes::Column::Id.eq(vote_id));
        Ok(load_votes(self.conn(), filter).await?.pop())
    }

    /// The ballots on these polls stored under any of these owners (a voter's id and
    /// pseudonyms: see `service::ballot_owner`).
    pub async fn ballots_of(&self, owners: &[Uuid], poll_ids: &[Uuid]) -> AppResult<Vec<Vote>> {
        let filter = sea_orm::Condition::all()
            .add(votes::Column::UserId.is_in(owners.iter().copied()))
            .add(votes::Column::PollId.is_in(poll_ids.iter().copied()));
        load_votes(self.conn(), filter).await
    }

    /// Which of these owners hold a ballot on the poll (one query per
    /// [`HOLDERS_PER_QUERY`] owners).
    pub async fn ballot_holders(&self, poll_id: Uuid, users: &[Uuid]) -> AppResult<Vec<Uuid>> {
        let mut holders = Vec::new();
        for chunk in users.chunks(HOLDERS_PER_QUERY) {
            let found: Vec<Uuid> = votes::Entity::find()
                .select_only()
                .column(votes::Column::UserId)
                .filter(votes::Column::PollId.eq(poll_id))
                .filter(votes::Column::UserId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(self.conn())
                .await?;
            holders.extend(found);
        }
        Ok(holders)
    }
}
