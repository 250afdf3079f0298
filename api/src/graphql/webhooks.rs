//! Webhooks in the schema: `webhooks`, `createWebhook`, `rotateWebhookSecret`,
//! `deleteWebhook`, and the `Webhook` and `WebhookDelivery` types.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use super::context::ContextExt;
use super::ids::{parse_id, to_id};
use super::scalars::DateTime;
use crate::domain::webhook::{self, Delivery, Endpoint};
use crate::service::WebhookService;
use crate::service::webhooks::{DELIVERIES_MAX, EndpointWithSecret};

/// Most deliveries one `deliveries` field returns, for its complexity.
const LOG_MAX: i32 = DELIVERIES_MAX as i32;

/// Something that happened to a poll, which webhooks can be told of.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookEvent {
    /// `poll.closed`: a poll closed (by its owner or at `closesAt`), with its final tally.
    PollClosed,
    /// `poll.results_revealed`: an `AFTER_CLOSE` poll closed, so everyone may now see
    /// its results (sent with `poll.closed`, for integrations that publish results).
    PollResultsRevealed,
}

impl From<WebhookEvent> for webhook::EventType {
    fn from(event: WebhookEvent) -> Self {
        match event {
            WebhookEvent::PollClosed => webhook::EventType::PollClosed,
            WebhookEvent::PollResultsRevealed => webhook::EventType::PollResultsRevealed,
        }
    }
}

impl From<webhook::EventType> for WebhookEvent {
    fn from(event: webhook::EventType) -> Self {
        match event {
            webhook::EventType::PollClosed => WebhookEvent::PollClosed,
            webhook::EventType::PollResultsRevealed => WebhookEvent::PollResultsRevealed,
        }
    }
}

/// Where a delivery stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookDeliveryStatus {
    /// Not delivered yet; it will be tried (again) at `nextAttemptAt`.
    Pending,
    /// The endpoint answered with a 2xx status.
    Delivered,
    /// Given up after the last attempt (`TALLY_WEBHOOK_MAX_ATTEMPTS`).
    Failed,
}

impl From<webhook::DeliveryStatus> for WebhookDeliveryStatus {
    fn from(status: webhook::DeliveryStatus) -> Self {
        match status {
            webhook::DeliveryStatus::Pending => WebhookDeliveryStatus::Pending,
            webhook::DeliveryStatus::Delivered => WebhookDeliveryStatus::Delivered,
            webhook::DeliveryStatus::Failed => WebhookDeliveryStatus::Failed,
        }
    }
}

/// One event sent (or being sent) to one endpoint.
#[derive(SimpleObject)]
pub struct WebhookDelivery {
    /// The delivery id, sent as `Tally-Delivery`; the same on every attempt.
    pub id: ID,
    /// The event's id (`id` in the body).
    pub event_id: ID,
    /// The event's type.
    pub event: WebhookEvent,
    /// The poll the event is about.
    pub poll_id: ID,
    /// Where it stands.
    pub status: WebhookDeliveryStatus,
    /// Attempts started so far.
    pub attempts: i32,
    /// The HTTP status of the last attempt, when it got an answer.
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed, when it did.
    pub last_error: Option<String>,
    /// When the next attempt is due (meaningful while `PENDING`).
    pub next_attempt_at: DateTime,
    /// When the event was queued for this endpoint.
    pub created_at: DateTime,
    /// When the endpoint accepted it.
    pub delivered_at: Option<DateTime>,
}

impl From<Delivery> for WebhookDelivery {
    fn from(d: Delivery) -> Self {
        WebhookDelivery {
            id: to_id(d.id),
            event_id: to_id(d.event_id),
            event: d.event.into(),
            poll_id: to_id(d.poll_id),
            status: d.status.into(),
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            next_attempt_at: DateTime(d.next_attempt_at),
            created_at: DateTime(d.created_at),
            delivered_at: d.delivered_at.map(DateTime),
        }
    }
}

/// An endpoint the signed-in user registered. Its secret is shown only by
/// `createWebhook` and `rotateWebhookSecret`.
pub struct Webhook(Endpoint);

/// An endpoint the signed-in user registered. Its secret is shown only by
/// `createWebhook` and `rotateWebhookSecret`.
#[Object]
impl Webhook {
    /// The endpoint's id.
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// Where deliveries are POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// The events sent to it.
    async fn events(&self) -> Vec<WebhookEvent> {
        self.0.events.iter().copied().map(Into::into).collect()
    }

    /// When it was registered.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// Its delivery log, newest first.
    #[graphql(complexity = "first.clamp(0, LOG_MAX) as usize * child_complexity + 1")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many deliveries to return: 1 to 100.", default = 20)] first: i32,
    ) -> Result<Vec<WebhookDelivery>> {
        let log = ctx
            .service::<WebhookService>()
            .deliveries(&self.0, first)
            .await?;
        Ok(log.into_iter().map(Into::into).collect())
    }
}

/// A new webhook endpoint.
#[derive(InputObject)]
pub struct CreateWebhookInput {
    /// Where to POST deliveries: `https://` to a public address (in development, or with
    /// `TALLY_WEBHOOK_ALLOW_PRIVATE`, also `http://` and private addresses); at most
    /// `TALLY_WEBHOOK_MAX_URL_BYTES` bytes.
    pub url: String,
    /// The events to send (at least one).
    pub events: Vec<WebhookEvent>,
}

/// An endpoint and its signing secret, shown this once.
#[derive(SimpleObject)]
pub struct WebhookSecretPayload {
    /// The endpoint.
    pub webhook: Webhook,
    /// The HMAC-SHA256 key that signs its deliveries (`Tally-Signature`). Store it now:
    /// it is not shown again (rotate it to get a new one).
    pub secret: String,
}

impl From<EndpointWithSecret> for WebhookSecretPayload {
    fn from(made: EndpointWithSecret) -> Self {
        WebhookSecretPayload {
            webhook: Webhook(made.endpoint),
            secret: made.secret,
        }
    }
}

/// Webhook queries.
#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The signed-in user's webhook endpoints, oldest first (`UNAUTHENTICATED` when
    /// signed out).
    async fn webhooks(&self, ctx: &Context<'_>) -> Result<Vec<Webhook>> {
        let owner = ctx.viewer().require()?;
        let endpoints = ctx.service::<WebhookService>().list(owner).await?;
        Ok(endpoints.into_iter().map(Webhook).collect())
    }
}

/// Webhook mutations.
#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers an endpoint for events of the signed-in user's polls and returns its
    /// secret, once. Errors: `UNAUTHENTICATED`, `BAD_USER_INPUT` (`input.url`,
    /// `input.events`), `LIMIT_REACHED` (already `TALLY_WEBHOOK_MAX_PER_USER`).
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's URL and events.")] input: CreateWebhookInput,
    ) -> Result<WebhookSecretPayload> {
        let owner = ctx.viewer().require()?;
        let events = input.events.into_iter().map(Into::into).collect();
        let made = ctx
            .service::<WebhookService>()
            .create(owner, &input.url, events)
            .await
            .map_err(|e| e.in_field("input"))?;
        Ok(made.into())
    }

    /// Replaces an endpoint's secret and returns the new one, once; deliveries sent from
    /// now on are signed with it. `NOT_FOUND` unless it is the signed-in user's.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's id.")] id: ID,
    ) -> Result<WebhookSecretPayload> {
        let owner = ctx.viewer().require()?;
        let id = parse_id("id", &id)?;
        let rotated = ctx
            .service::<WebhookService>()
            .rotate_secret(owner, id)
            .await?;
        Ok(rotated.into())
    }

    /// Deletes an endpoint; deliveries not yet made to it are dropped. Returns its id.
    /// `NOT_FOUND` unless it is the signed-in user's.
    async fn delete_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's id.")] id: ID,
    ) -> Result<ID> {
        let owner = ctx.viewer().require()?;
        let uuid = parse_id("id", &id)?;
        ctx.service::<WebhookService>().delete(owner, uuid).await?;
        Ok(id)
    }
}
