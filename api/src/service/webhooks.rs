//! Webhooks: registering endpoints, rotating their secrets, reading their delivery log.
//! Only an endpoint's owner sees or changes it; anyone else gets `NOT_FOUND`, as if it
//! did not exist.

use std::sync::Arc;

use uuid::Uuid;

use crate::clock::Clock;
use crate::domain::webhook::{Delivery, Endpoint, EventSelection, EventType};
use crate::error::{AppError, AppResult};
use crate::store::{NewEndpoint, Store};
use crate::webhooks::signing::new_secret;
use crate::webhooks::target::TargetPolicy;

/// Most lines of a delivery log one request may read.
pub const DELIVERIES_MAX: u64 = 100;

/// An endpoint with its secret, shown once: when registered or rotated.
#[derive(Debug, Clone)]
pub struct EndpointWithSecret {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// The signing secret.
    pub secret: String,
}

/// Webhook endpoints and their delivery logs.
#[derive(Clone)]
pub struct WebhookService {
    store: Store,
    policy: TargetPolicy,
    max_per_user: u64,
    clock: Arc<dyn Clock>,
}

impl WebhookService {
    /// The service over its ports; `max_per_user` endpoints at most per user.
    pub fn new(
        store: Store,
        policy: TargetPolicy,
        max_per_user: u64,
        clock: Arc<dyn Clock>,
    ) -> Self {
        WebhookService {
            store,
            policy,
            max_per_user,
            clock,
        }
    }

    /// Registers an endpoint of `owner` for `events` (`BAD_USER_INPUT` on `url` or
    /// `events`, `LIMIT_REACHED` past the per-user limit).
    pub async fn create(
        &self,
        owner: Uuid,
        url: &str,
        events: Vec<EventType>,
    ) -> AppResult<EndpointWithSecret> {
        let url = self.policy.parse("url", url)?;
        let events = EventSelection::parse("events", events)?;
        let secret = new_secret();
        let endpoint = self
            .store
            .insert_webhook(
                NewEndpoint {
                    owner_id: owner,
                    url: url.as_str().to_owned(),
                    events,
                    secret: secret.clone(),
                },
                self.max_per_user,
                self.clock.now(),
            )
            .await?;
        Ok(EndpointWithSecret { endpoint, secret })
    }

    /// Replaces an endpoint's secret; deliveries from now on are signed with the new one.
    pub async fn rotate_secret(&self, owner: Uuid, id: Uuid) -> AppResult<EndpointWithSecret> {
        let secret = new_secret();
        let endpoint = self
            .store
            .set_webhook_secret(id, owner, secret.clone())
            .await?;
        Ok(EndpointWithSecret { endpoint, secret })
    }

    /// Deletes an endpoint; its pending deliveries are dropped.
    pub async fn delete(&self, owner: Uuid, id: Uuid) -> AppResult<()> {
        self.store.delete_webhook(id, owner).await
    }

    /// The owner's endpoints.
    pub async fn list(&self, owner: Uuid) -> AppResult<Vec<Endpoint>> {
        self.store.webhooks_of(owner).await
    }

    /// The newest `first` (1 to [`DELIVERIES_MAX`]) deliveries to an endpoint the
    /// caller already holds as its owner.
    pub async fn deliveries(&self, endpoint: &Endpoint, first: i32) -> AppResult<Vec<Delivery>> {
        let first = u64::try_from(first)
            .ok()
            .filter(|f| (1..=DELIVERIES_MAX).contains(f))
            .ok_or_else(|| {
                AppError::bad_input("first", format!("first is 1 to {DELIVERIES_MAX}"))
            })?;
        self.store.deliveries_of(endpoint.id, first).await
    }
}
