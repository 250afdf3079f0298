//! Claiming a guest's ballots into an account: one transaction that retires the guest,
//! checks that the account would not end up with two ballots on a poll, and moves the
//! ballots. The unique index on (poll, voter) is the final arbiter, as everywhere: a
//! ballot the account casts while the claim runs makes the move fail, and the claim is
//! refused as a conflict with nothing moved.

use chrono::{DateTime, Utc};
use entity::{users, votes};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::{Store, is_unique_violation};
use crate::error::AppResult;

/// Prefix of the idempotency key a moved ballot is stored under. Keys are scoped to a
/// voter, so the guest's keys could collide with the account's; the audit log keeps
/// the guest's keys under the guest, so nothing replays through the moved row's key.
pub const CLAIMED_KEY_PREFIX: &str = "claimed:";

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
    /// Moves the ballots of `guest` to `account` and retires the guest, all or nothing.
    pub async fn claim_guest(
        &self,
        guest: Uuid,
        account: Uuid,
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
        let ballots: Vec<(Uuid, Uuid)> = votes::Entity::find()
            .select_only()
            .columns([votes::Column::Id, votes::Column::PollId])
            .filter(votes::Column::UserId.eq(guest))
            .into_tuple()
            .all(&txn)
            .await?;
        let mut conflicts: Vec<Uuid> = votes::Entity::find()
            .select_only()
            .column(votes::Column::PollId)
            .filter(votes::Column::UserId.eq(account))
            .filter(votes::Column::PollId.is_in(ballots.iter().map(|(_, poll)| *poll)))
            .into_tuple()
            .all(&txn)
            .await?;
        if !conflicts.is_empty() {
            txn.rollback().await?;
            conflicts.sort();
            return Ok(ClaimOutcome::Conflict(conflicts));
        }
        for (vote, poll) in &ballots {
            let moved = votes::ActiveModel {
                id: sea_orm::ActiveValue::Unchanged(*vote),
                user_id: Set(account),
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
        txn.commit().await?;
        Ok(ClaimOutcome::Claimed(ballots.len() as u64))
    }
}
