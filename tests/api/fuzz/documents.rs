//! Generated GraphQL requests: documents built from the schema's real fields, with
//! arguments, variables, aliases, fragments and directives, as a [`syntax`] tree.
//!
//! About half the documents are meant to be valid: a field of the type at hand, arguments of
//! their declared types (ids of real things of the kind the argument names), variables
//! declared with the type they are used at, fragments spread where their type fits and
//! only ones defined before them, so that requests get past validation and reach the
//! resolvers. The other half are *faulty*: now and then an unknown field, argument or
//! fragment, a value of another type or past its range, an undeclared variable, a
//! fragment on the wrong type, spreads that form a cycle, conflicting aliases, so that
//! every check on the way is met too. This module puts documents together; selection
//! sets come from [`super::selections`], argument values and variables from
//! [`super::inputs`], leaves from [`super::values`]; documents too big or too deep on
//! purpose from [`super::hostile`]; mangled text from [`super::mangle`].

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use serde_json::Value;

use super::schema::SCHEMA;
use super::syntax::{self, Fragment, Operation};
use super::values::Pools;

/// A request as a client sends it: the document, its variables, which operation.
#[derive(Debug, Clone)]
pub struct GraphqlRequest {
    /// The document's text.
    pub query: String,
    /// The variables (usually an object).
    pub variables: Value,
    /// Which operation to run.
    pub operation_name: Option<String>,
}

/// How often each kind of operation is generated.
#[derive(Debug, Clone, Copy)]
pub struct Kinds {
    /// Queries.
    pub query: u32,
    /// Mutations.
    pub mutation: u32,
    /// Subscriptions.
    pub subscription: u32,
}

/// The generators, for valid or faulty documents.
#[derive(Clone)]
pub struct Gen {
    pub(super) pools: Arc<Pools>,
    /// Whether documents are faulty (else meant to be valid).
    pub(super) faulty: bool,
    /// Fragments a selection may spread: name and type condition.
    pub(super) fragments: Arc<Vec<(String, String)>>,
}

/// `Some` of `strategy` with probability `p` (`None` when `p` is 0).
pub(super) fn maybe<T: Debug + Clone + 'static>(
    p: f64,
    strategy: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    if p <= 0.0 {
        Just(None).boxed()
    } else {
        proptest::option::weighted(p.min(0.999), strategy).boxed()
    }
}

/// One of `arms` by weight, arms of weight 0 left out.
pub(super) fn one_of<T: Debug + Clone + 'static>(
    arms: Vec<(u32, BoxedStrategy<T>)>,
) -> BoxedStrategy<T> {
    Union::new_weighted(arms.into_iter().filter(|(w, _)| *w > 0).collect()).boxed()
}

impl Gen {
    /// Generators drawing on `pools`.
    pub fn new(pools: Arc<Pools>) -> Gen {
        Gen {
            pools,
            faulty: false,
            fragments: Arc::default(),
        }
    }

    pub(super) fn with(&self, faulty: bool, fragments: Vec<(String, String)>) -> Gen {
        Gen {
            pools: self.pools.clone(),
            faulty,
            fragments: Arc::new(fragments),
        }
    }

    /// `weight` in faulty documents, 0 in valid ones.
    pub(super) fn fault(&self, weight: u32) -> u32 {
        if self.faulty { weight } else { 0 }
    }

    /// `p` in faulty documents, 0 in valid ones.
    pub(super) fn chance(&self, p: f64) -> f64 {
        if self.faulty { p } else { 0.0 }
    }

    /// Whole requests: documents meant to be valid, faulty ones, hostile ones, mangled
    /// ones and arbitrary text, with their variables and operation name.
    pub fn request(&self, kinds: Kinds) -> BoxedStrategy<GraphqlRequest> {
        let valid = self.with(false, Vec::new()).document(kinds);
        let faulty = self.with(true, Vec::new()).document(kinds);
        prop_oneof![
            10 => valid,
            8 => faulty.clone(),
            2 => super::hostile::request(self.pools.clone()),
            2 => (faulty, super::mangle::edits()).prop_map(|(mut request, edits)| {
                request.query = super::mangle::apply_to_text(&request.query, &edits);
                request
            }),
            1 => any::<String>().prop_map(|query| GraphqlRequest {
                query,
                variables: Value::Null,
                operation_name: None,
            }),
        ]
        .boxed()
    }

    /// Requests whose documents are meant to be valid (not faulty, hostile or
    /// mangled).
    pub fn valid_request(&self, kinds: Kinds) -> BoxedStrategy<GraphqlRequest> {
        self.with(false, Vec::new()).document(kinds)
    }

    /// A document of one operation (now and then more) and a few fragments, its
    /// variables declared, with values for them.
    fn document(&self, kinds: Kinds) -> BoxedStrategy<GraphqlRequest> {
        let this = self.clone();
        let mut types = SCHEMA.object_names();
        if self.faulty {
            types.extend(["Nope".to_owned(), "String".to_owned()]);
        }
        let fragment_types = prop_oneof![
            2 => Just(Vec::new()),
            1 => prop::collection::vec(select(types), 1..=4),
        ];
        fragment_types
            .prop_flat_map(move |types| {
                let names = (0..types.len()).map(|i| {
                    // Now and then two of one name, in faulty documents.
                    let i = if this.faulty && i == 2 { 0 } else { i };
                    format!("F{i}")
                });
                let heads: Vec<(String, String)> = names.zip(types).collect();
                let fragments: Vec<BoxedStrategy<Fragment>> = heads
                    .iter()
                    .enumerate()
                    .map(|(i, (name, on))| {
                        // Valid fragments spread only earlier ones: no cycles.
                        let visible = if this.faulty {
                            heads.clone()
                        } else {
                            heads[..i].to_vec()
                        };
                        let (name, on) = (name.clone(), on.clone());
                        this.with(this.faulty, visible)
                            .selection_set(on.clone(), 1)
                            .prop_map(move |sub| Fragment {
                                name: name.clone(),
                                on: on.clone(),
                                sub,
                            })
                            .boxed()
                    })
                    .collect();
                let within = this.with(this.faulty, heads);
                // Several operations need names of their own; only faulty documents
                // have them (with names that may clash, or none).
                let operations = prop_oneof![
                    9 => prop::collection::vec(within.operation(kinds), 1..=1),
                    this.fault(1) => prop::collection::vec(within.operation(kinds), 2..=3),
                ];
                (operations, fragments)
            })
            .prop_flat_map({
                let this = self.clone();
                move |(operations, mut fragments)| {
                    if !this.faulty {
                        // Validation refuses a fragment nobody spreads.
                        let used = syntax::used_fragments(&operations, &fragments);
                        fragments.retain(|f| used.contains(&f.name));
                    }
                    let mut uses = BTreeMap::new();
                    for op in &operations {
                        syntax::variable_uses(&op.sub, &op.directives, &mut uses);
                    }
                    for fragment in &fragments {
                        syntax::variable_uses(&fragment.sub, &[], &mut uses);
                    }
                    let names: Vec<&'static str> =
                        operations.iter().filter_map(|op| op.name).collect();
                    (
                        Just(operations),
                        Just(fragments),
                        this.variable_definitions(uses),
                        this.operation_name(names),
                    )
                }
            })
            .prop_flat_map({
                let this = self.clone();
                move |(operations, fragments, defs, operation_name)| {
                    let query = syntax::render(&operations, &fragments, &defs);
                    (Just(query), this.variables(&defs), Just(operation_name))
                }
            })
            .prop_map(|(query, variables, operation_name)| GraphqlRequest {
                query,
                variables,
                operation_name,
            })
            .boxed()
    }

    fn operation(&self, kinds: Kinds) -> BoxedStrategy<Operation> {
        let kind = one_of(vec![
            (kinds.query, Just("query").boxed()),
            (kinds.mutation, Just("mutation").boxed()),
            (kinds.subscription, Just("subscription").boxed()),
        ]);
        let name = maybe(0.4, select(&["A", "B", "Main"][..]));
        // @skip and @include do not go on operations.
        let directives = if self.faulty {
            self.directives()
        } else {
            Just(Vec::new()).boxed()
        };
        let this = self.clone();
        (kind, name, directives)
            .prop_flat_map(move |(kind, name, directives)| {
                let root = match kind {
                    "query" => "Query",
                    "mutation" => "Mutation",
                    _ => "Subscription",
                };
                (
                    Just(kind),
                    Just(name),
                    Just(directives),
                    this.selection_set(root.to_owned(), 0),
                )
            })
            .prop_map(|(kind, name, directives, sub)| Operation {
                kind,
                name,
                directives,
                sub,
            })
            .boxed()
    }

    /// Which operation to ask for: usually none (or the one there is), else one of the
    /// document's; in faulty documents, one it does not have.
    fn operation_name(&self, names: Vec<&'static str>) -> BoxedStrategy<Option<String>> {
        let named: Vec<Option<String>> = names.iter().map(|n| Some((*n).to_owned())).collect();
        let mut arms = vec![(2, Just(None).boxed())];
        if !named.is_empty() {
            arms.push((3, select(named).boxed()));
        }
        let wrong = vec![Some("Nope".to_owned()), Some(String::new())];
        arms.push((self.fault(1), select(wrong).boxed()));
        one_of(arms)
    }
}
