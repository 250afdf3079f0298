//! Documents built to make the server work: each shape scaled by a generated size, from
//! harmless to far past the limits (`TALLY_GRAPHQL_MAX_*`, the body size, the parser's
//! recursion limit), so that both sides of every limit are met and none of them takes
//! long to decide.

use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

use super::documents::GraphqlRequest;
use super::values::Pools;

/// A request of one of the hostile shapes.
pub fn request(pools: Arc<Pools>) -> BoxedStrategy<GraphqlRequest> {
    let poll = select(pools.poll_ids.clone());
    prop_oneof![
        (1usize..=30, 1usize..=3).prop_map(|(levels, fanout)| plain(bomb(levels, fanout))),
        (poll.clone(), 1usize..=60).prop_map(|(poll, depth)| plain(deep(&poll, depth))),
        (1usize..=80, any::<bool>()).prop_map(|(n, expensive)| plain(aliases(n, expensive))),
        (1usize..=6000).prop_map(|n| plain(format!("{{ {} }}", "__typename ".repeat(n)))),
        (1usize..=300).prop_map(|n| plain(format!(
            "{{ __typename {} }}",
            "@skip(if: false) ".repeat(n)
        ))),
        (1usize..=100).prop_map(operations),
        (1usize..=200).prop_map(|n| plain(fragment_chain(n))),
        (1usize..=300).prop_map(variables),
        (1usize..=300, any::<bool>()).prop_map(|(depth, list)| plain(nested_value(depth, list))),
        (poll, 1usize..=64).prop_map(|(poll, kib)| plain(format!(
            "{{ poll(id: \"{poll}{}\") {{ id }} }}",
            "x".repeat(kib * 1024)
        ))),
    ]
    .boxed()
}

fn plain(query: String) -> GraphqlRequest {
    GraphqlRequest {
        query,
        variables: json!({}),
        operation_name: None,
    }
}

/// `levels` fragments, each spreading the one before `fanout` times: fanout^levels
/// selections once expanded.
fn bomb(levels: usize, fanout: usize) -> String {
    let mut text = format!("query {{ ...F{levels} }}\nfragment F0 on Query {{ __typename }}\n");
    for i in 1..=levels {
        let spreads = format!("...F{} ", i - 1).repeat(fanout);
        text.push_str(&format!("fragment F{i} on Query {{ {spreads}}}\n"));
    }
    text
}

/// Selections nested `depth` deep through `Poll.myVote` and `Vote.poll`.
fn deep(poll: &str, depth: usize) -> String {
    let mut inner = "id".to_owned();
    for level in 0..depth {
        let field = if level % 2 == 0 { "poll" } else { "myVote" };
        inner = format!("{field} {{ {inner} }}");
    }
    format!("{{ poll(id: \"{poll}\") {{ myVote {{ {inner} }} }} }}")
}

/// `n` aliased fields: cheap ones, or ones that each read the database.
fn aliases(n: usize, expensive: bool) -> String {
    let field = if expensive {
        "polls(first: 100) { edges { node { id } } }"
    } else {
        "__typename"
    };
    let fields: String = (0..n).map(|i| format!("a{i}: {field} ")).collect();
    format!("{{ {fields}}}")
}

/// `n` operations in one document, the last one asked for.
fn operations(n: usize) -> GraphqlRequest {
    let text: String = (0..n)
        .map(|i| format!("query Q{i} {{ __typename }}\n"))
        .collect();
    GraphqlRequest {
        query: text,
        variables: json!({}),
        operation_name: Some(format!("Q{}", n - 1)),
    }
}

/// `n` fragments, each spreading the one before once.
fn fragment_chain(n: usize) -> String {
    let mut text = format!("{{ ...C{n} }}\nfragment C0 on Query {{ __typename }}\n");
    for i in 1..=n {
        text.push_str(&format!(
            "fragment C{i} on Query {{ __typename ...C{} }}\n",
            i - 1
        ));
    }
    text
}

/// `n` declared and used variables.
fn variables(n: usize) -> GraphqlRequest {
    let defs: Vec<String> = (0..n).map(|i| format!("$v{i}: Boolean!")).collect();
    let uses: String = (0..n)
        .map(|i| format!("f{i}: __typename @include(if: $v{i}) "))
        .collect();
    let values: serde_json::Map<String, Value> = (0..n)
        .map(|i| (format!("v{i}"), json!(i % 2 == 0)))
        .collect();
    GraphqlRequest {
        query: format!("query({}) {{ {uses}}}", defs.join(", ")),
        variables: Value::Object(values),
        operation_name: None,
    }
}

/// An argument whose value nests lists (or input objects) `depth` deep.
fn nested_value(depth: usize, list: bool) -> String {
    let (open, close) = if list { ("[", "]") } else { ("{a: ", "}") };
    format!(
        "{{ polls(first: 1, filter: {}1{}) {{ edges {{ cursor }} }} }}",
        open.repeat(depth),
        close.repeat(depth)
    )
}
