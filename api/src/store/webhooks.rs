//! Queries on `webhook_endpoints` and the owner's view of `webhook_deliveries`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{users, webhook_deliveries, webhook_endpoints, webhook_events};
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::Store;
use crate::domain::webhook::{Delivery, DeliveryStatus, Endpoint, EventSelection, EventType};
use crate::error::{AppError, AppResult};

impl From<webhook_endpoints::Model> for Endpoint {
    fn from(row: webhook_endpoints::Model) -> Self {
        Endpoint {
            id: row.id,
            owner_id: row.owner_id,
            url: row.url,
            events: EventSelection::from_stored(&row.events),
            created_at: row.created_at,
        }
    }
}

/// A new endpoint, checked by the service.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    /// Its owner.
    pub owner_id: Uuid,
    /// The validated URL.
    pub url: String,
    /// The events it wants.
    pub events: EventSelection,
    /// Its first secret.
    pub secret: String,
}

impl Store {
    /// The events the deliveries `rows` carry, by id (one query).
    pub(super) async fn events_of(
        &self,
        rows: &[webhook_deliveries::Model],
    ) -> AppResult<HashMap<Uuid, webhook_events::Model>> {
        Ok(webhook_events::Entity::find()
            .filter(webhook_events::Column::Id.is_in(rows.iter().map(|r| r.event_id)))
            .all(self.conn())
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect())
    }

    /// Registers an endpoint unless its owner already has `max` (`LIMIT_REACHED`). The
    /// owner's row is locked (PostgreSQL; SQLite writes one at a time) so two concurrent
    /// registrations cannot both pass the count.
    pub async fn insert_webhook(
        &self,
        new: NewEndpoint,
        max: u64,
        now: DateTime<Utc>,
    ) -> AppResult<Endpoint> {
        let txn = self.begin_write().await?;
        users::Entity::find_by_id(new.owner_id)
            .lock(LockType::Update)
            .one(&txn)
            .await?;
        let existing = webhook_endpoints::Entity::find()
            .filter(webhook_endpoints::Column::OwnerId.eq(new.owner_id))
            .count(&txn)
            .await?;
        if existing >= max {
            return Err(AppError::LimitReached(format!(
                "you already have {max} webhooks, the most allowed; delete one first"
            )));
        }
        let row = webhook_endpoints::Entity::insert(webhook_endpoints::ActiveModel {
            id: Set(Uuid::now_v7()),
            owner_id: Set(new.owner_id),
            url: Set(new.url),
            events: Set(new.events.to_stored()),
            secret: Set(new.secret),
            created_at: Set(now),
        })
        .exec_with_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(row.into())
    }

    /// The owner's endpoints, oldest first.
    pub async fn webhooks_of(&self, owner_id: Uuid) -> AppResult<Vec<Endpoint>> {
        let rows = webhook_endpoints::Entity::find()
            .filter(webhook_endpoints::Column::OwnerId.eq(owner_id))
            .order_by_asc(webhook_endpoints::Column::Id)
            .all(self.conn())
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Replaces an endpoint's secret; `NOT_FOUND` unless `owner_id` owns it.
    pub async fn set_webhook_secret(
        &self,
        id: Uuid,
        owner_id: Uuid,
        secret: String,
    ) -> AppResult<Endpoint> {
        let updated = webhook_endpoints::Entity::update_many()
            .col_expr(webhook_endpoints::Column::Secret, Expr::value(secret))
            .filter(webhook_endpoints::Column::Id.eq(id))
            .filter(webhook_endpoints::Column::OwnerId.eq(owner_id))
            .exec_with_returning(self.conn())
            .await?;
        updated
            .into_iter()
            .next()
            .map(Into::into)
            .ok_or(AppError::NotFound("webhook"))
    }

    /// Deletes an endpoint and its deliveries (pending ones are not sent);
    /// `NOT_FOUND` unless `owner_id` owns it.
    pub async fn delete_webhook(&self, id: Uuid, owner_id: Uuid) -> AppResult<()> {
        let txn = self.begin_write().await?;
        let deleted = webhook_endpoints::Entity::delete_many()
            .filter(webhook_endpoints::Column::Id.eq(id))
            .filter(webhook_endpoints::Column::OwnerId.eq(owner_id))
            .exec(&txn)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(AppError::NotFound("webhook"));
        }
        webhook_deliveries::Entity::delete_many()
            .filter(webhook_deliveries::Column::EndpointId.eq(id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The `first` newest deliveries to an endpoint.
    pub async fn deliveries_of(&self, endpoint_id: Uuid, first: u64) -> AppResult<Vec<Delivery>> {
        let rows = webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::EndpointId.eq(endpoint_id))
            .order_by_desc(webhook_deliveries::Column::Id)
            .limit(first)
            .all(self.conn())
            .await?;
        let events = self.events_of(&rows).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let event = events.get(&row.event_id)?;
                Some(Delivery {
                    id: row.id,
                    event_id: row.event_id,
                    event: EventType::from_stored(&event.event_type)?,
                    poll_id: event.poll_id,
                    status: DeliveryStatus::from_stored(&row.status),
                    attempts: row.attempts,
                    last_status_code: row.last_status_code,
                    last_error: row.last_error,
                    next_attempt_at: row.next_attempt_at,
                    created_at: row.created_at,
                    delivered_at: row.delivered_at,
                })
            })
            .collect())
    }
}
