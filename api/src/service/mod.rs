//! Use-cases: the product's rules, with no SQL and no GraphQL types.
//!
//! Each service holds the ports it needs (store, clock, writer, …) and takes domain types.

pub mod accounts;
pub mod activity;
pub mod ballot_owner;
pub mod exports;
pub mod guests;
mod invitation_codes;
mod invitation_gate;
pub mod invitations;
mod poll_rules;
pub mod polls;
pub mod results;
pub mod subscription_gate;
pub mod votes;
pub mod webhooks;

pub use accounts::{AccountService, Session};
pub use activity::ActivityService;
pub use ballot_owner::BallotOwners;
pub use exports::ExportService;
pub use guests::GuestService;
pub use invitation_codes::InvitationCodes;
pub use invitation_gate::InvitationGate;
pub use invitations::InvitationService;
pub use polls::{PageWindow, PollFilter, PollPage, PollService};
pub use results::{PollResults, ResultsService, SubscriptionAccess};
pub use subscription_gate::{Recheck, SubscriptionGate};
pub use votes::{VoteReceipt, VoteService};
pub use webhooks::WebhookService;
