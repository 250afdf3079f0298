//! How often the GraphQL engine's costly steps ran: they show whether known documents
//! (the parsed-document cache, persisted operations) skip them; and how long operations
//! took.

use std::sync::atomic::AtomicU64;

use super::operation_latency::OperationLatencies;

/// Documents parsed and fully validated.
#[derive(Debug, Default)]
pub struct DocumentCounters {
    /// Query texts parsed (a cached or persisted known document is not).
    pub parsed: AtomicU64,
    /// Documents run through every validation rule (a persisted document that passed
    /// once gets only the rules that depend on its variables).
    pub validated: AtomicU64,
    /// Operation latencies by type and (persisted) name.
    pub latencies: OperationLatencies,
}
