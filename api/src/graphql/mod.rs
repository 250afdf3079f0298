//! The GraphQL API: thin resolvers over the services.
//!
//! Roots are split by domain and merged here. A resolver reads the context (viewer,
//! services), calls one service method and converts the result; the rules live in
//! `service/`. Errors leave through [`crate::error::AppError`] so each carries its code.

mod accounts;
mod catalogue;
mod context;
mod document_cache;
mod document_limits;
mod enums;
mod extensions;
mod ids;
mod loaders;
mod nesting;
mod node;
mod pagination;
mod poll_node;
mod polls;
mod results;
mod scalars;
mod subscriptions;
mod votes;
mod webhooks;

use std::time::Duration;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::config::GraphqlLimits;
use crate::realtime::Realtime;
use crate::service::{
    AccountService, PollService, ResultsService, SubscriptionGate, VoteService, WebhookService,
};

pub use context::RequestMeta;
pub use nesting::{MAX_NESTING, Unparsable, parse_document};
pub use subscriptions::SharedExecution;

/// Tally: polls, exactly-once votes and live tallies. The entry points for reading.
///
/// Every error carries a stable `extensions.code` from the `ErrorCode` enum (see
/// `errorCodes`). Objects with an `id` implement `Node`: ids are globally unique, and
/// `node(id:)` fetches any of them again. Instants are `DateTime` (RFC 3339).
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    accounts::AccountQuery,
    polls::PollQuery,
    webhooks::WebhookQuery,
    node::NodeQuery,
    catalogue::CatalogueQuery,
);

/// The entry points for changing things.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    accounts::AccountMutation,
    polls::PollMutation,
    votes::VoteMutation,
    webhooks::WebhookMutation,
);

/// The entry points for watching things change (over WebSocket).
#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(subscriptions::ResultsSubscription);

/// The executable schema.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The services resolvers call, injected into the schema at start-up.
#[derive(Clone)]
pub struct Services {
    /// Accounts and sign-in.
    pub accounts: AccountService,
    /// Polls and their lifecycle.
    pub polls: PollService,
    /// Casting and changing ballots.
    pub votes: VoteService,
    /// Tallies and their visibility.
    pub results: ResultsService,
    /// The tally bus, for subscriptions.
    pub realtime: Realtime,
    /// Who may subscribe to what.
    pub gate: SubscriptionGate,
    /// Webhook endpoints and their delivery logs.
    pub webhooks: WebhookService,
}

fn builder(
    limits: &GraphqlLimits,
    redis_budget: Duration,
) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    .extension(extensions::RequestGuard::new(
        document_limits::DocumentLimits {
            max_selections: limits.max_selections,
            max_aliases: limits.max_aliases,
        },
        redis_budget,
    ))
}

/// The schema with its services and limits; `redis_budget` is the longest one request
/// may wait on Redis in all (see [`crate::redis::budget`]); `introspection` off refuses
/// `__schema` and `__type` (production's default).
pub fn build(
    services: Services,
    limits: &GraphqlLimits,
    redis_budget: Duration,
    introspection: bool,
) -> AppSchema {
    let loaders = loaders::Loaders::new(
        services.accounts.clone(),
        services.polls.clone(),
        services.results.clone(),
        services.votes.clone(),
    );
    let builder = match introspection {
        true => builder(limits, redis_budget),
        false => builder(limits, redis_budget).disable_introspection(),
    };
    builder
        .data(services.accounts)
        .data(services.polls)
        .data(services.votes)
        .data(services.results)
        .data(services.gate)
        .data(services.realtime)
        .data(services.webhooks)
        .data(loaders)
        .finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    let limits = GraphqlLimits {
        max_depth: usize::MAX,
        max_complexity: usize::MAX,
        max_selections: usize::MAX,
        max_aliases: usize::MAX,
        max_batch: usize::MAX,
    };
    // With `@specifiedBy`, so code generators can map `DateTime` to their own type.
    builder(&limits, Duration::ZERO)
        .finish()
        .sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}
