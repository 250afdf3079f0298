//! SeaORM entities: one module per table of Tally's data model.
//!
//! These types mirror the database layout and nothing else. They are used by the
//! api's `store` module only; the GraphQL layer has its own types, so the public API
//! is never welded to the table layout.
//!
//! | module | table | holds |
//! |---|---|---|
//! | [`invitations`] | `invitations` | single-use codes admitting one voter each to an invite-only poll |
//! | [`users`] | `users` | accounts and their argon2id password hashes; guests (no password) |
//! | [`guest_challenges`] | `guest_challenges` | proof-of-work challenges already spent, until they expire |
//! | [`polls`] | `polls` | a poll's settings, lifecycle times and running total |
//! | [`poll_options`] | `poll_options` | a poll's options with their vote counters |
//! | [`votes`] | `votes` | ballots: one per user per poll, with the idempotency key |
//! | [`vote_choices`] | `vote_choices` | the options a ballot chose, with rank or score |
//! | [`tally_groups`] | `tally_groups` | per-poll counts per distinct ranking (RANKED) or option and score (SCORE) |
//! | [`vote_events`] | `vote_events` | the append-only audit log of ballot changes |
//! | [`webhook_endpoints`] | `webhook_endpoints` | where users want their polls' events, and the signing secret |
//! | [`webhook_events`] | `webhook_events` | the outbox: events written with the change that caused them |
//! | [`webhook_deliveries`] | `webhook_deliveries` | one event to one endpoint: the send queue and the delivery log |

pub mod guest_challenges;
pub mod invitations;
pub mod poll_options;
pub mod polls;
pub mod tally_groups;
pub mod users;
pub mod vote_choices;
pub mod vote_events;
pub mod votes;
pub mod webhook_deliveries;
pub mod webhook_endpoints;
pub mod webhook_events;

/// Re-exports of every entity under short names, for `use entity::prelude::*`.
pub mod prelude {
    pub use super::guest_challenges::Entity as GuestChallenges;
    pub use super::invitations::Entity as Invitations;
    pub use super::poll_options::Entity as PollOptions;
    pub use super::polls::Entity as Polls;
    pub use super::users::Entity as Users;
    pub use super::vote_choices::Entity as VoteChoices;
    pub use super::vote_events::Entity as VoteEvents;
    pub use super::votes::Entity as Votes;
    pub use super::webhook_deliveries::Entity as WebhookDeliveries;
    pub use super::webhook_endpoints::Entity as WebhookEndpoints;
    pub use super::webhook_events::Entity as WebhookEvents;
}
