//! The webhook outbox: events written in the transaction that closes a poll, and the
//! sender's side of `webhook_deliveries` — claiming due deliveries under a lease and
//! recording how each attempt went.
//!
//! Claims are a conditional `UPDATE` of the lease columns (the same on PostgreSQL and
//! SQLite): of two instances that pick the same row, one changes it and the other finds
//! nothing to change. A claim's token must still be on the row for its outcome to be
//! recorded, so a sender whose lease ran out cannot overwrite the next one's.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{poll_options, polls, webhook_deliveries, webhook_endpoints, webhook_events};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::Store;
use crate::domain::ResultsVisibility;
use crate::domain::webhook::{
    ClosedPollFacts, DeliveryStatus, EventSelection, EventType, OptionCount, poll_event_body,
};
use crate::error::AppResult;

/// Writes the events of these just-closed polls, and a delivery for each endpoint of
/// the poll's owner that wants it, on `conn` (the closing transaction). Polls whose
/// owners have no endpoints cost two reads in all.
pub(super) async fn enqueue_poll_closed<C: ConnectionTrait>(
    conn: &C,
    poll_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if poll_ids.is_empty() {
        return Ok(());
    }
    let polls = polls::Entity::find()
        .filter(polls::Column::Id.is_in(poll_ids.iter().copied()))
        .all(conn)
        .await?;
    let owners: HashSet<Uuid> = polls.iter().map(|p| p.owner_id).collect();
    let endpoints = webhook_endpoints::Entity::find()
        .filter(webhook_endpoints::Column::OwnerId.is_in(owners))
        .all(conn)
        .await?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let polls: Vec<_> = polls
        .into_iter()
        .filter(|p| endpoints.iter().any(|e| e.owner_id == p.owner_id))
        .collect();
    let options = poll_options::Entity::find()
        .filter(poll_options::Column::PollId.is_in(polls.iter().map(|p| p.id)))
        .order_by_asc(poll_options::Column::Position)
        .all(conn)
        .await?;
    let mut events = Vec::new();
    let mut deliveries = Vec::new();
    for poll in &polls {
        let facts = ClosedPollFacts {
            poll_id: poll.id,
            title: poll.title.clone(),
            results_visibility: poll.results_visibility.clone(),
            closed_at: poll.closed_at.unwrap_or(now),
            total_votes: poll.total_votes,
            options: options
                .iter()
                .filter(|o| o.poll_id == poll.id)
                .map(|o| OptionCount {
                    id: o.id,
                    text: o.text.clone(),
                    votes: o.vote_count,
                })
                .collect(),
        };
        let mut types = vec![EventType::PollClosed];
        // A visibility this version does not know reveals nothing: the safe reading.
        if matches!(
            ResultsVisibility::from_stored(&poll.results_visibility),
            Ok(ResultsVisibility::AfterClose)
        ) {
            types.push(EventType::PollResultsRevealed);
        }
        for event in types {
            let wanting: Vec<Uuid> = endpoints
                .iter()
                .filter(|e| e.owner_id == poll.owner_id)
                .filter(|e| EventSelection::from_stored(&e.events).contains(&event))
                .map(|e| e.id)
                .collect();
            if wanting.is_empty() {
                continue;
            }
            let event_id = Uuid::now_v7();
            events.push(webhook_events::ActiveModel {
                id: Set(event_id),
                event_type: Set(event.as_str().to_owned()),
                poll_id: Set(poll.id),
                payload: Set(poll_event_body(event_id, event, now, &facts)),
                created_at: Set(now),
            });
            deliveries.extend(wanting.into_iter().map(|endpoint| {
                webhook_deliveries::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    event_id: Set(event_id),
                    endpoint_id: Set(endpoint),
                    status: Set(DeliveryStatus::Pending.as_str().to_owned()),
                    attempts: Set(0),
                    next_attempt_at: Set(now),
                    lease_until: Set(None),
                    lease_token: Set(None),
                    last_status_code: Set(None),
                    last_error: Set(None),
                    created_at: Set(now),
                    delivered_at: Set(None),
                }
            }));
        }
    }
    if !events.is_empty() {
        webhook_events::Entity::insert_many(events)
            .exec_without_returning(conn)
            .await?;
        webhook_deliveries::Entity::insert_many(deliveries)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// A delivery this instance holds the lease of, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    /// The delivery id (`Tally-Delivery`).
    pub id: Uuid,
    /// The claim; only it may record the outcome.
    pub token: Uuid,
    /// This attempt's number, from 1.
    pub attempt: u32,
    /// The event type (`Tally-Event`).
    pub event: String,
    /// The exact body to sign and send.
    pub body: String,
    /// Where to.
    pub url: String,
    /// The endpoint's signing secret.
    pub secret: String,
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum AttemptOutcome {
    /// A 2xx answer.
    Delivered {
        /// Its status.
        status: u16,
    },
    /// Anything else; retried at `retry_at`, or given up when that is `None`.
    Failed {
        /// The HTTP status, when there was an answer.
        status: Option<u16>,
        /// What went wrong, for the log.
        error: String,
        /// When to try again.
        retry_at: Option<DateTime<Utc>>,
    },
}

fn claimable(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(webhook_deliveries::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .add(webhook_deliveries::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(webhook_deliveries::Column::LeaseUntil.is_null())
                .add(webhook_deliveries::Column::LeaseUntil.lte(now)),
        )
}

impl Store {
    /// Claims up to `limit` due deliveries until `lease_until`, counting an attempt on
    /// each; deliveries another instance claimed first are skipped. Also returns how
    /// many were due and not in flight (counted only when more than `limit` were: an
    /// idle pass costs one read).
    pub async fn claim_due_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u64,
    ) -> AppResult<(Vec<ClaimedDelivery>, u64)> {
        let due: Vec<Uuid> = webhook_deliveries::Entity::find()
            .select_only()
            .column(webhook_deliveries::Column::Id)
            .filter(claimable(now))
            .order_by_asc(webhook_deliveries::Column::NextAttemptAt)
            .limit(limit)
            .into_tuple()
            .all(self.conn())
            .await?;
        let waiting = match due.len() as u64 {
            n if n < limit => n,
            _ => {
                webhook_deliveries::Entity::find()
                    .filter(claimable(now))
                    .count(self.conn())
                    .await?
            }
        };
        let mut tokens = HashMap::new();
        for id in due {
            let token = Uuid::new_v4();
            let claimed = webhook_deliveries::Entity::update_many()
                .col_expr(
                    webhook_deliveries::Column::LeaseUntil,
                    Expr::value(lease_until),
                )
                .col_expr(webhook_deliveries::Column::LeaseToken, Expr::value(token))
                .col_expr(
                    webhook_deliveries::Column::Attempts,
                    Expr::col(webhook_deliveries::Column::Attempts).add(1),
                )
                .filter(webhook_deliveries::Column::Id.eq(id))
                .filter(claimable(now))
                .exec(self.conn())
                .await?;
            if claimed.rows_affected == 1 {
                tokens.insert(id, token);
            }
        }
        if tokens.is_empty() {
            return Ok((Vec::new(), waiting));
        }
        let rows = webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::Id.is_in(tokens.keys().copied()))
            .all(self.conn())
            .await?;
        let events = self.events_of(&rows).await?;
        let endpoints: HashMap<Uuid, webhook_endpoints::Model> = webhook_endpoints::Entity::find()
            .filter(webhook_endpoints::Column::Id.is_in(rows.iter().map(|r| r.endpoint_id)))
            .all(self.conn())
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let claimed = rows
            .into_iter()
            .filter_map(|row| {
                // An endpoint deleted since takes its deliveries with it.
                let event = events.get(&row.event_id)?;
                let endpoint = endpoints.get(&row.endpoint_id)?;
                Some(ClaimedDelivery {
                    id: row.id,
                    token: *tokens.get(&row.id)?,
                    attempt: u32::try_from(row.attempts).unwrap_or(u32::MAX),
                    event: event.event_type.clone(),
                    body: event.payload.clone(),
                    url: endpoint.url.clone(),
                    secret: endpoint.secret.clone(),
                })
            })
            .collect();
        Ok((claimed, waiting))
    }

    /// Records an attempt's outcome, if `delivery`'s claim still holds the lease.
    pub async fn record_attempt(
        &self,
        delivery: &ClaimedDelivery,
        outcome: &AttemptOutcome,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        use webhook_deliveries::Column as C;
        let mut update = webhook_deliveries::Entity::update_many()
            .col_expr(C::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(C::LeaseToken, Expr::value(Option::<Uuid>::None));
        update = match outcome {
            AttemptOutcome::Delivered { status } => update
                .col_expr(C::Status, Expr::value(DeliveryStatus::Delivered.as_str()))
                .col_expr(C::LastStatusCode, Expr::value(i32::from(*status)))
                .col_expr(C::LastError, Expr::value(Option::<String>::None))
                .col_expr(C::DeliveredAt, Expr::value(now)),
            AttemptOutcome::Failed {
                status,
                error,
                retry_at,
            } => {
                let update = update
                    .col_expr(C::LastStatusCode, Expr::value(status.map(i32::from)))
                    .col_expr(C::LastError, Expr::value(error.clone()));
                match retry_at {
                    Some(at) => update.col_expr(C::NextAttemptAt, Expr::value(*at)),
                    None => {
                        update.col_expr(C::Status, Expr::value(DeliveryStatus::Failed.as_str()))
                    }
                }
            }
        };
        update
            .filter(C::Id.eq(delivery.id))
            .filter(C::LeaseToken.eq(delivery.token))
            .exec(self.conn())
            .await?;
        Ok(())
    }
}
