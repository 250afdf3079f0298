//! How long GraphQL operations take over HTTP, per operation type and name, served as
//! `tally_graphql_operation_seconds{type, operation}`.
//!
//! Names come from clients, so they are kept few: only a persisted operation (a
//! document the server knows by hash — the web app sends only those) is labelled with
//! its name, and only the first [`MAX_OPERATION_NAMES`] names per type get a series of
//! their own. Every other operation is `operation="other"`. Operations run over the
//! WebSocket are streams without one duration and are not counted here.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};

use crate::latency::{self, Histogram};

/// Most operation names with their own series, per operation type (a bound on the
/// metric's cardinality: three types × (64 names + `other`)).
pub const MAX_OPERATION_NAMES: usize = 64;

/// The label of every operation without a series of its own.
pub const OTHER: &str = "other";

const TYPES: [(OperationType, &str); 3] = [
    (OperationType::Query, "query"),
    (OperationType::Mutation, "mutation"),
    (OperationType::Subscription, "subscription"),
];

/// The histograms, one per (type, name) seen.
#[derive(Debug, Default)]
pub struct OperationLatencies {
    /// Per type (in [`TYPES`] order): name → histogram. A std lock: held for a map
    /// lookup only, written once per new name.
    by_type: [RwLock<HashMap<String, Arc<Histogram>>>; 3],
}

impl OperationLatencies {
    /// The histogram a run of `name` (of type `kind`) records into: its own when the
    /// operation is persisted and there is room for its name, else `other`.
    pub fn series(
        &self,
        kind: OperationType,
        name: Option<&str>,
        persisted: bool,
    ) -> Arc<Histogram> {
        let index = TYPES.iter().position(|(t, _)| *t == kind).unwrap_or(0);
        let lock = &self.by_type[index];
        let name = name.filter(|_| persisted).unwrap_or(OTHER);
        if let Some(found) = lock.read().unwrap_or_else(|p| p.into_inner()).get(name) {
            return found.clone();
        }
        let mut map = lock.write().unwrap_or_else(|p| p.into_inner());
        let named = map.keys().filter(|k| *k != OTHER).count();
        let name = if named < MAX_OPERATION_NAMES {
            name
        } else {
            OTHER
        };
        map.entry(name.to_owned()).or_default().clone()
    }

    /// The family in the Prometheus text format (nothing before the first operation).
    pub fn render(&self, out: &mut String) {
        const NAME: &str = "tally_graphql_operation_seconds";
        latency::header(
            NAME,
            "GraphQL operations over HTTP, parse to response, by type and persisted operation name (else other).",
            out,
        );
        for ((_, kind), lock) in TYPES.iter().zip(&self.by_type) {
            let map = lock.read().unwrap_or_else(|p| p.into_inner());
            let mut names: Vec<_> = map.iter().collect();
            names.sort_by(|a, b| a.0.cmp(b.0));
            for (name, histogram) in names {
                // GraphQL names are [_A-Za-z][_0-9A-Za-z]*: nothing to escape.
                histogram.render(NAME, &format!("type=\"{kind}\",operation=\"{name}\""), out);
            }
        }
    }
}

/// `query`, `mutation` or `subscription`.
pub fn type_name(kind: OperationType) -> &'static str {
    TYPES
        .iter()
        .find(|(t, _)| *t == kind)
        .map_or("query", |(_, name)| name)
}

/// The type and name of the operation `document` runs for a request that names
/// `wanted` (or none), when there is one.
pub fn operation_of<'d>(
    document: &'d ExecutableDocument,
    wanted: Option<&str>,
) -> Option<(OperationType, Option<&'d str>)> {
    match &document.operations {
        DocumentOperations::Single(op) => Some((op.node.ty, None)),
        DocumentOperations::Multiple(map) => match wanted {
            Some(name) => map
                .get_key_value(name)
                .map(|(n, op)| (op.node.ty, Some(n.as_str()))),
            None if map.len() == 1 => map
                .iter()
                .next()
                .map(|(n, op)| (op.node.ty, Some(n.as_str()))),
            None => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_persisted_operations_are_named_and_names_are_capped() {
        let latencies = OperationLatencies::default();
        let q = OperationType::Query;
        let ad_hoc = latencies.series(q, Some("Mine"), false);
        assert!(Arc::ptr_eq(&ad_hoc, &latencies.series(q, None, true)));
        for i in 0..MAX_OPERATION_NAMES {
            latencies.series(q, Some(&format!("Op{i}")), true);
        }
        let late = latencies.series(q, Some("OneTooMany"), true);
        assert!(
            Arc::ptr_eq(&late, &ad_hoc),
            "past the cap a name is `other`"
        );
        let mut out = String::new();
        latencies.render(&mut out);
        assert!(!out.contains("OneTooMany"));
        assert!(out.contains("operation=\"Op0\""));
    }
}
