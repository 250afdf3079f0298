//! Tally's schema migrations, for PostgreSQL and SQLite alike.
//!
//! The api runs [`Migrator::up`] at start-up; the `migration` binary runs the same
//! migrations by hand (`up`, `down`, `status`, `fresh`, …).

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_initial_schema;
mod m20261128_000002_ballots_without_foreign_keys;
mod m20261206_000003_webhooks;
mod m20261206_000004_poll_listing;
mod m20261206_000005_poll_voters;
mod m20261206_000006_guests;
mod m20261206_000007_invitations;
mod m20261206_000008_anonymous_ballots;
mod m20261206_000009_voting_methods;
mod m20261206_000010_open_poll_kinds;
pub mod m20261207_000011_join_codes;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_initial_schema::Migration),
            Box::new(m20261128_000002_ballots_without_foreign_keys::Migration),
            Box::new(m20261206_000003_webhooks::Migration),
            Box::new(m20261206_000004_poll_listing::Migration),
            Box::new(m20261206_000005_poll_voters::Migration),
            Box::new(m20261206_000006_guests::Migration),
            Box::new(m20261206_000007_invitations::Migration),
            Box::new(m20261206_000008_anonymous_ballots::Migration),
            Box::new(m20261206_000009_voting_methods::Migration),
            Box::new(m20261206_000010_open_poll_kinds::Migration),
            Box::new(m20261207_000011_join_codes::Migration),
        ]
    }
}
