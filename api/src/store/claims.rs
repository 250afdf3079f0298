//! Claiming a guest's ballots into an account: one transaction that retires the guest,
//! checks that the account would not end up with two ballots on a poll, and moves the
//! ballots (on anonymous polls, from the guest's pseudonym to the account's: see
//! `service::ballot_owner`), with the guest's redeemed invitations. The unique index on (poll, voter) is the final arbiter, as everywhere: a
//! ballot the account casts while the claim runs makes the move fail, and the claim is
//! refused as a conflict with nothing moved.

use chrono::{DateTime, Utc};
use entity::{users, votes};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::{Store, is_unique_violation};
use crate::error::AppResult;

/// Prefix of the idempotency key a moved ballot is stored under. Keys are scoped to a
/// voter, so the guest's keys could collide with the account's; the audit log keeps
/// the guest's keys under the guest, so nothing replays through the moved row's key.
pub const CLAIMED_KEY_PREFIX: &str = "claimed:";

/// Most (poll, owner) pairs asked about in one query: well under the bound parameters
/// SQLite and PostgreSQL accept in one statement.
const PAIRS_PER_QUERY: usize = 500;

/// On one anonymous poll, the guest's pseudonym and the account's: where a claimed
/// ballot is found and where it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rekey {
    /// The anonymous poll.
    pub poll_id: Uuid,
    /// The guest's pseudonym on it.
    pub from: Uuid,
    /// The account's pseudonym on it.
    pub to: Uuid,
}

/// The ballots (id, poll, owner) stored under exactly these (poll, owner) pairs.
async fn owned_by(
    conn: &impl ConnectionTrait,
    pairs: impl Iterator<Item = (Uuid, Uuid)>,
) -> Result<Vec<(Uuid, Uuid, Uuid)>, DbErr> {
    let pairs: Vec<(Uuid, Uuid)> = pairs.collect();
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<(Uuid, Uuid, Uuid)> = votes::Entity::find()
        .select_only()
        .columns([
            votes::Column::Id,
            votes::Column::PollId,
            votes::Column::UserId,
        ])
        .filter(votes::Column::PollId.is_in(pairs.iter().map(|p| p.0)))
        .filter(votes::Column::UserId.is_in(pairs.iter().map(|p| p.1)))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(found
        .into_iter()
        .filter(|&(_, poll, owner)| pairs.contains(&(poll, owner)))
        .collect())
}

/// What a claim came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// The guest is retired; this many ballots now belong to the account.
    Claimed(u64),
    /// The account already has a ballot on these polls, which the guest voted on too:
    /// nothing moved, the guest is as it was.
    Conflict(Vec<Uuid>),
    /// The guest was retired before (or is no guest).
    AlreadyClaimed,
}

impl Store {
    /// Moves the ballots of `guest` to `account` and retires the guest, all or nothing;
    /// on the anonymous polls of `rekeys`, from the guest's pseudonym to the account's.
    pub async fn claim_guest(
        &self,
        guest: Uuid,
        account: Uuid,
        rekeys: &[Rekey],
        now: DateTime<Utc>,
    ) -> AppResult<ClaimOutcome> {
        let txn = self.begin_write().await?;
        // First, so that concurrent claims of one guest queue on its row and all but
        // one find it retired.
        let retired = users::Entity::update_many()
            .col_expr(users::Column::RetiredAt, Expr::value(now))
            .filter(users::Column::Id.eq(guest))
            .filter(users::Column::Guest.eq(true))
            .filter(users::Column::RetiredAt.is_null())
            .exec(&txn)
            .await?;
        if retired.rows_affected == 0 {
            txn.rollback().await?;
            return Ok(ClaimOutcome::AlreadyClaimed);
        }
        // (ballot, poll, new owner): the guest's named ballots go to the account; its
        // anonymous ones, stored under its pseudonyms, to the account's pseudonyms.
        let mut moves: Vec<(Uuid, Uuid, Uuid)> = votes::Entity::find()
            .select_only()
            .columns([votes::Column::Id, votes::Column::PollId])
            .filter(votes::Column::UserId.eq(guest))
            .into_tuple::<(Uuid, Uuid)>()
            .all(&txn)
            .await?
            .into_iter()
            .map(|(vote, poll)| (vote, poll, account))
            .collect();
        for chunk in rekeys.chunks(PAIRS_PER_QUERY) {
            let found = owned_by(&txn, chunk.iter().map(|r| (r.poll_id, r.from))).await?;
            moves.extend(found.into_iter().filter_map(|(vote, poll, owner)| {
                chunk
                    .iter()
                    .find(|r| r.poll_id == poll && r.from == owner)
                    .map(|r| (vote, poll, r.to))
            }));
        }
        let mut conflicts = Vec::new();
        for chunk in moves.chunks(PAIRS_PER_QUERY) {
            let taken = owned_by(&txn, chunk.iter().map(|&(_, poll, to)| (poll, to))).await?;
            conflicts.extend(taken.into_iter().map(|(_, poll, _)| poll));
        }
        if !conflicts.is_empty() {
            txn.rollback().await?;
            conflicts.sort();
            conflicts.dedup();
            return Ok(ClaimOutcome::Conflict(conflicts));
        }
        for (vote, poll, to) in &moves {
            let moved = votes::ActiveModel {
                id: sea_orm::ActiveValue::Unchanged(*vote),
                user_id: Set(*to),
                idempotency_key: Set(format!("{CLAIMED_KEY_PREFIX}{vote}")),
                ..Default::default()
            };
            match votes::Entity::update(moved).exec(&txn).await {
                Ok(_) => {}
                // The account's own ballot on this poll committed since the check.
                Err(e) if is_unique_violation(&e) => {
                    txn.rollback().await?;
                    return Ok(ClaimOutcome::Conflict(vec![*poll]));
                }
                Err(e) => return Err(e.into()),
            }
        }
        // The guest's invitations go with its ballots, so the account may go on voting
        // (changing a moved ballot) on invite-only polls.
        super::invitations::move_invitations(&txn, guest, account).await?;
        txn.commit().await?;
        Ok(ClaimOutcome::Claimed(moves.len() as u64))
    }
}
