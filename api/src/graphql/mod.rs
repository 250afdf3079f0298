//! The GraphQL API: thin resolvers over the services.
//!
//! Roots are split by domain and merged here. A resolver reads the context (viewer,
//! services), calls one service method and converts the result; the rules live in
//! `service/`. Errors leave through [`crate::error::AppError`] so each carries its code.

mod accounts;
mod activity;
mod catalogue;
mod context;
mod counters;
mod document_cache;
mod document_limits;
mod enums;
mod extensions;
mod guests;
mod ids;
mod invitations;
mod kind_results;
mod loaders;
mod nesting;
mod node;
pub mod operation_latency;
mod pagination;
pub mod persisted;
mod poll_node;
mod polls;
mod results;
mod scalars;
mod subscriptions;
mod variables;
mod votes;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder, ValidationMode};

use crate::config::GraphqlLimits;
use crate::realtime::Realtime;
use crate::service::{
    AccountService, ActivityService, GuestService, InvitationService, PollService, ResultsService,
    SubscriptionGate, VoteService, WebhookService,
};

pub use context::RequestMeta;
pub use counters::DocumentCounters;
pub use document_cache::DocumentCache;
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
    guests::GuestMutation,
    polls::PollMutation,
    votes::VoteMutation,
    webhooks::WebhookMutation,
    invitations::InvitationMutation,
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
    /// Guest sessions and their proof of work.
    pub guests: GuestService,
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
    /// Invitations to invite-only polls.
    pub invitations: InvitationService,
    /// Polls' activity over time, for their owners.
    pub activity: ActivityService,
}

fn builder(
    limits: &GraphqlLimits,
    guard: extensions::RequestGuard,
) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_depth(limits.max_depth)
    // Complexity is limited by the guard, which also reports it (`extensions.cost`).
    .extension(guard)
}

fn guard(
    limits: &GraphqlLimits,
    redis_budget: Duration,
    counters: Arc<DocumentCounters>,
) -> extensions::RequestGuard {
    extensions::RequestGuard::new(
        document_limits::DocumentLimits {
            max_selections: limits.max_selections,
            max_aliases: limits.max_aliases,
        },
        limits.max_complexity,
        redis_budget,
        counters,
    )
}

/// The executable schema twice, over the same services, cache and counters.
#[derive(Clone)]
pub struct Schemas {
    /// For every document: runs every validation rule.
    pub full: AppSchema,
    /// For persisted documents that passed [`Schemas::full`]'s validation before:
    /// runs only the rules whose outcome depends on the request's variables
    /// (complexity, depth) and fragment cycles (async-graphql's
    /// `ValidationMode::Fast`). A variable of the wrong type is then refused while
    /// the field's arguments are read (`BAD_USER_INPUT`) rather than by validation.
    /// Documents sent as text go there too once their text passed
    /// ([`Schemas::documents`]).
    pub known: AppSchema,
    /// The parsed documents both schemas share, and which passed validation.
    pub documents: DocumentCache,
}

/// The schemas with their services and limits; `redis_budget` is the longest one request
/// may wait on Redis in all (see [`crate::redis::budget`]); `introspection` off refuses
/// `__schema` and `__type` (production's default); `counters` count documents parsed
/// and validated.
pub fn build(
    services: Services,
    limits: &GraphqlLimits,
    redis_budget: Duration,
    introspection: bool,
    counters: Arc<DocumentCounters>,
) -> Schemas {
    let full_guard = guard(limits, redis_budget, counters);
    let known_guard = full_guard.known();
    let documents = full_guard.documents();
    let schema = |guard, mode| {
        let builder = match introspection {
            true => builder(limits, guard),
            false => builder(limits, guard).disable_introspection(),
        };
        // Each schema batches its own loads.
        let loaders = loaders::Loaders::new(
            services.accounts.clone(),
            services.polls.clone(),
            services.results.clone(),
            services.votes.clone(),
        );
        builder
            .validation_mode(mode)
            .data(services.accounts.clone())
            .data(services.guests.clone())
            .data(services.polls.clone())
            .data(services.votes.clone())
            .data(services.results.clone())
            .data(services.gate.clone())
            .data(services.realtime.clone())
            .data(services.webhooks.clone())
            .data(services.invitations.clone())
            .data(services.activity.clone())
            .data(loaders)
            .finish()
    };
    Schemas {
        full: schema(full_guard, ValidationMode::Strict),
        known: schema(known_guard, ValidationMode::Fast),
        documents,
    }
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
    let counters = Arc::default();
    // With `@specifiedBy`, so code generators can map `DateTime` to their own type.
    builder(&limits, guard(&limits, Duration::ZERO, counters))
        .finish()
        .sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}
