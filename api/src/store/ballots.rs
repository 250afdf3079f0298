//! Reading ballots with what they chose. Ballots are found by the id they are stored
//! under (the voter's, or a pseudonym); which are a voter's is the service's call.

use std::collections::HashMap;

use entity::{vote_choices, votes};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::Store;
use crate::domain::Vote;
use crate::error::AppResult;

/// Most users asked about in one query: well under the bound parameters SQLite and
/// PostgreSQL accept in one statement.
const HOLDERS_PER_QUERY: usize = 1000;

/// Ballots matching `filter`, each with its choices (two queries, whatever the count).
pub(super) async fn load_votes(
    conn: &impl ConnectionTrait,
    filter: sea_orm::Condition,
) -> Result<Vec<Vote>, DbErr> {
    let rows = votes::Entity::find().filter(filter).all(conn).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let choices = vote_choices::Entity::find()
        .filter(vote_choices::Column::VoteId.is_in(rows.iter().map(|v| v.id)))
        .order_by_asc(vote_choices::Column::OptionId)
        .all(conn)
        .await?;
    let mut by_vote: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for choice in choices {
        by_vote
            .entry(choice.vote_id)
            .or_default()
            .push(choice.option_id);
    }
    Ok(rows
        .into_iter()
        .map(|row| Vote {
            option_ids: by_vote.remove(&row.id).unwrap_or_default(),
            id: row.id,
            poll_id: row.poll_id,
            user_id: row.user_id,
            cast_at: row.cast_at,
            updated_at: row.updated_at,
        })
        .collect())
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
        Ok(load_votes(self.conn(), filter).await?)
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
