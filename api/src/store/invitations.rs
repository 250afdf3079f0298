//! Queries on `invitations`: issuing them under the per-poll limit, the owner's list and
//! counts, and the two transitions — redeem (bind to a voter) and revoke — each one
//! conditional `UPDATE … WHERE status = 'PENDING'`, so concurrent callers cannot both win.

use chrono::{DateTime, Utc};
use entity::{invitations, polls};
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{Store, is_unique_violation};
use crate::domain::{Invitation, InvitationStatus, PollVoters};
use crate::error::{AppError, AppResult};

impl From<invitations::Model> for Invitation {
    fn from(row: invitations::Model) -> Self {
        Invitation {
            id: row.id,
            poll_id: row.poll_id,
            name: row.name,
            status: InvitationStatus::from_stored(&row.status),
            created_at: row.created_at,
            redeemed_at: row.redeemed_at,
        }
    }
}

/// What became of a redemption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedeemOutcome {
    /// The voter holds an invitation to this poll (this one, just now or before, or
    /// another one they redeemed earlier, in which case this code stays unused).
    Holds {
        /// The poll it admits to.
        poll_id: Uuid,
    },
    /// No invitation has this id.
    Missing,
    /// The owner revoked it.
    Revoked,
    /// Someone else redeemed it.
    TakenByAnother,
}

/// Rows of one `INSERT` when issuing invitations: far below both databases' limits on
/// bound parameters (7 per row).
const ROWS_PER_INSERT: usize = 500;

impl Store {
    /// Issues one invitation per entry of `names` to the poll, for its owner: `NOT_FOUND`,
    /// `FORBIDDEN` for anyone else, `BAD_USER_INPUT` unless the poll is `INVITED`,
    /// `LIMIT_REACHED` past `max_per_poll` in all. The poll's row is locked so two
    /// concurrent calls cannot both pass the count (SQLite writes one at a time anyway).
    pub async fn insert_invitations(
        &self,
        poll_id: Uuid,
        owner_id: Uuid,
        names: Vec<Option<String>>,
        max_per_poll: u64,
        now: DateTime<Utc>,
    ) -> AppResult<Vec<Invitation>> {
        let txn = self.begin_write().await?;
        let Some(poll) = polls::Entity::find_by_id(poll_id)
            .lock(LockType::NoKeyUpdate)
            .one(&txn)
            .await?
        else {
            return Err(AppError::NotFound("poll"));
        };
        if poll.owner_id != owner_id {
            return Err(AppError::Forbidden(
                "only the poll's owner can invite voters".into(),
            ));
        }
        if PollVoters::from_stored(&poll.voters) != PollVoters::Invited {
            return Err(AppError::bad_input(
                "pollId",
                "invitations are for polls whose voters are INVITED",
            ));
        }
        let existing = invitations::Entity::find()
            .filter(invitations::Column::PollId.eq(poll_id))
            .count(&txn)
            .await?;
        let wanted = u64::try_from(names.len()).unwrap_or(u64::MAX);
        if existing.saturating_add(wanted) > max_per_poll {
            return Err(AppError::LimitReached(format!(
                "a poll has at most {max_per_poll} invitations; this one has {existing}"
            )));
        }
        let rows: Vec<invitations::Model> = names
            .into_iter()
            .map(|name| invitations::Model {
                id: Uuid::now_v7(),
                poll_id,
                name,
                status: InvitationStatus::Pending.as_str().to_owned(),
                created_at: now,
                redeemed_at: None,
                redeemed_by: None,
            })
            .collect();
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            invitations::Entity::insert_many(chunk.iter().cloned().map(active))
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Up to `limit` invitations of a poll after `after`, oldest first, and whether more
    /// follow.
    pub async fn invitations_page(
        &self,
        poll_id: Uuid,
        after: Option<Uuid>,
        limit: u64,
    ) -> AppResult<(Vec<Invitation>, bool)> {
        let mut query = invitations::Entity::find()
            .filter(invitations::Column::PollId.eq(poll_id))
            .order_by_asc(invitations::Column::Id)
            .limit(limit + 1);
        if let Some(after) = after {
            query = query.filter(invitations::Column::Id.gt(after));
        }
        let mut rows = query.all(self.conn()).await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok((rows.into_iter().map(Into::into).collect(), more))
    }

    /// How many invitations of a poll are in each status.
    pub async fn invitation_statuses(
        &self,
        poll_id: Uuid,
    ) -> AppResult<Vec<(InvitationStatus, u64)>> {
        let rows: Vec<(String, i64)> = invitations::Entity::find()
            .select_only()
            .column(invitations::Column::Status)
            .column_as(invitations::Column::Id.count(), "n")
            .filter(invitations::Column::PollId.eq(poll_id))
            .group_by(invitations::Column::Status)
            .into_tuple()
            .all(self.conn())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(status, n)| {
                (
                    InvitationStatus::from_stored(&status),
                    u64::try_from(n).unwrap_or(0),
                )
            })
            .collect())
    }

    /// The users holding a redeemed invitation to the poll. For counting which of them
    /// voted; never shown.
    pub async fn invitation_holders(&self, poll_id: Uuid) -> AppResult<Vec<Uuid>> {
        let holders: Vec<Option<Uuid>> = invitations::Entity::find()
            .select_only()
            .column(invitations::Column::RedeemedBy)
            .filter(invitations::Column::PollId.eq(poll_id))
            .filter(invitations::Column::Status.eq(InvitationStatus::Redeemed.as_str()))
            .into_tuple()
            .all(self.conn())
            .await?;
        Ok(holders.into_iter().flatten().collect())
    }

    /// Which of these polls the user holds a redeemed invitation to.
    pub async fn polls_invited_to(&self, user_id: Uuid, poll_ids: &[Uuid]) -> AppResult<Vec<Uuid>> {
        Ok(invitations::Entity::find()
            .select_only()
            .column(invitations::Column::PollId)
            .filter(invitations::Column::RedeemedBy.eq(user_id))
            .filter(invitations::Column::PollId.is_in(poll_ids.iter().copied()))
            .into_tuple()
            .all(self.conn())
            .await?)
    }

    /// The invitation with this id.
    pub async fn find_invitation(&self, id: Uuid) -> AppResult<Option<Invitation>> {
        Ok(invitations::Entity::find_by_id(id)
            .one(self.conn())
            .await?
            .map(Into::into))
    }

    /// Binds a pending invitation to `user`. A user who already holds an invitation to
    /// the poll keeps it and leaves this one pending (one per voter per poll, which
    /// `UNIQUE (poll_id, redeemed_by)` also enforces against a race between two codes).
    pub async fn redeem_invitation(
        &self,
        id: Uuid,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> AppResult<RedeemOutcome> {
        let Some(row) = invitations::Entity::find_by_id(id).one(self.conn()).await? else {
            return Ok(RedeemOutcome::Missing);
        };
        let poll_id = row.poll_id;
        if row.redeemed_by == Some(user_id) || self.holds_invitation(poll_id, user_id).await? {
            return Ok(RedeemOutcome::Holds { poll_id });
        }
        let taken = invitations::Entity::update_many()
            .col_expr(
                invitations::Column::Status,
                Expr::value(InvitationStatus::Redeemed.as_str()),
            )
            .col_expr(invitations::Column::RedeemedBy, Expr::value(user_id))
            .col_expr(invitations::Column::RedeemedAt, Expr::value(now))
            .filter(invitations::Column::Id.eq(id))
            .filter(invitations::Column::Status.eq(InvitationStatus::Pending.as_str()))
            .exec(self.conn())
            .await;
        match taken {
            Ok(result) if result.rows_affected == 1 => return Ok(RedeemOutcome::Holds { poll_id }),
            Ok(_) => {}
            // The user redeemed another code of this poll at the same moment.
            Err(e) if is_unique_violation(&e) => return Ok(RedeemOutcome::Holds { poll_id }),
            Err(e) => return Err(e.into()),
        }
        // Not pending any more: see what it became.
        let now_row = invitations::Entity::find_by_id(id).one(self.conn()).await?;
        Ok(match now_row {
            None => RedeemOutcome::Missing,
            Some(row) if row.redeemed_by == Some(user_id) => RedeemOutcome::Holds { poll_id },
            Some(row) => match InvitationStatus::from_stored(&row.status) {
                InvitationStatus::Redeemed => RedeemOutcome::TakenByAnother,
                _ => RedeemOutcome::Revoked,
            },
        })
    }

    /// Revokes a pending invitation for the poll's owner; a revoked one is returned as it
    /// is. `NOT_FOUND`, `FORBIDDEN` for anyone but the owner, and
    /// `INVITATION_ALREADY_REDEEMED` once redeemed.
    pub async fn revoke_invitation(&self, id: Uuid, owner_id: Uuid) -> AppResult<Invitation> {
        let Some(row) = invitations::Entity::find_by_id(id).one(self.conn()).await? else {
            return Err(AppError::NotFound("invitation"));
        };
        let owner: Option<Uuid> = polls::Entity::find_by_id(row.poll_id)
            .select_only()
            .column(polls::Column::OwnerId)
            .into_tuple()
            .one(self.conn())
            .await?;
        if owner != Some(owner_id) {
            return Err(AppError::Forbidden(
                "only the poll's owner can revoke its invitations".into(),
            ));
        }
        invitations::Entity::update_many()
            .col_expr(
                invitations::Column::Status,
                Expr::value(InvitationStatus::Revoked.as_str()),
            )
            .filter(invitations::Column::Id.eq(id))
            .filter(invitations::Column::Status.eq(InvitationStatus::Pending.as_str()))
            .exec(self.conn())
            .await?;
        let invitation: Invitation = invitations::Entity::find_by_id(id)
            .one(self.conn())
            .await?
            .ok_or(AppError::NotFound("invitation"))?
            .into();
        match invitation.status {
            InvitationStatus::Redeemed => Err(AppError::InvitationAlreadyRedeemed),
            _ => Ok(invitation),
        }
    }

    /// Whether the user holds a redeemed invitation to the poll.
    pub async fn holds_invitation(&self, poll_id: Uuid, user_id: Uuid) -> AppResult<bool> {
        let found = invitations::Entity::find()
            .filter(invitations::Column::PollId.eq(poll_id))
            .filter(invitations::Column::RedeemedBy.eq(user_id))
            .count(self.conn())
            .await?;
        Ok(found > 0)
    }
}

/// Moves the invitations `guest` redeemed to `account`, inside a claim's transaction, on
/// every poll where the account holds none (one invitation per voter per poll); those
/// on polls the account already holds one to stay with the retired guest.
pub(super) async fn move_invitations(
    txn: &impl ConnectionTrait,
    guest: Uuid,
    account: Uuid,
) -> Result<u64, DbErr> {
    let held: Vec<Uuid> = invitations::Entity::find()
        .select_only()
        .column(invitations::Column::PollId)
        .filter(invitations::Column::RedeemedBy.eq(account))
        .into_tuple()
        .all(txn)
        .await?;
    let moved = invitations::Entity::update_many()
        .col_expr(invitations::Column::RedeemedBy, Expr::value(account))
        .filter(invitations::Column::RedeemedBy.eq(guest))
        .filter(invitations::Column::PollId.is_not_in(held))
        .exec(txn)
        .await?;
    Ok(moved.rows_affected)
}

fn active(row: invitations::Model) -> invitations::ActiveModel {
    invitations::ActiveModel {
        id: Set(row.id),
        poll_id: Set(row.poll_id),
        name: Set(row.name),
        status: Set(row.status),
        created_at: Set(row.created_at),
        redeemed_at: Set(row.redeemed_at),
        redeemed_by: Set(row.redeemed_by),
    }
}
