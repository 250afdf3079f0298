//! Use-cases: the product's rules, with no SQL and no GraphQL types.
//!
//! Each service holds the ports it needs (store, clock, …) and takes domain types.

pub mod accounts;

pub use accounts::{AccountService, Session};
