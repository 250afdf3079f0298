//! Documents built to make the server work hard are refused before they can: a
//! fragment bomb costs the server no more than its text, over HTTP and WebSocket.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, error_code};
use crate::ws_support::{Received, WsClient};

/// `levels` fragments, each spreading the one before twice: under 1 KB of text for 24
/// levels, 2^24 selections once expanded.
fn fragment_bomb(levels: usize) -> String {
    let mut text = format!("query {{ ...F{levels} }}\nfragment F0 on Query {{ __typename }}\n");
    for i in 1..=levels {
        text.push_str(&format!(
            "fragment F{i} on Query {{ ...F{} ...F{} }}\n",
            i - 1,
            i - 1
        ));
    }
    text
}

/// The introspection query GraphiQL and code generators send (graphql-js's
/// `getIntrospectionQuery`, with descriptions), which must stay within the limits.
pub const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragment_bomb_is_refused_at_once_and_the_server_stays_responsive() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let bomb = fragment_bomb(24);
    assert!(bomb.len() < 1100, "the bomb is about 1 KB: {}", bomb.len());

    let send_bomb = || async {
        let started = Instant::now();
        let body = app.graphql(None, &bomb, json!({})).await;
        (body, started.elapsed())
    };
    let health = async {
        let started = Instant::now();
        let status = app
            .http()
            .get(format!("{}/healthz", app.address))
            .send()
            .await
            .expect("GET /healthz")
            .status();
        (status, started.elapsed())
    };
    // Four bombs and a health check at once: expanded, each bomb is tens of seconds of
    // CPU on a worker thread; counted, it is nothing.
    let (a, b, c, d, (status, health_took)) =
        tokio::join!(send_bomb(), send_bomb(), send_bomb(), send_bomb(), health);
    for (body, took) in [a, b, c, d] {
        assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
        assert!(body["data"].is_null(), "{body}");
        assert!(
            took < Duration::from_secs(2),
            "a bomb took {took:?} to refuse"
        );
    }
    assert!(status.is_success());
    assert!(
        health_took < Duration::from_millis(500),
        "/healthz took {health_took:?} beside four bombs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_measured_with_their_fragments_expanded() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.graphql.max_selections = 40).await;
    // 1 + 2 × (1 + 8) = 19 selections expanded: fine.
    let within = "{ ...A ...A } fragment A on Query { viewer { id username createdAt } __typename __typename __typename __typename }";
    let body = app.graphql(None, within, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    // Eight spreads of the same fragment: 8 × 10 = 80 expanded, though the text is short.
    let over = "{ ...A ...A ...A ...A ...A ...A ...A ...A } fragment A on Query { viewer { id username createdAt } __typename __typename __typename __typename }";
    let body = app.graphql(None, over, json!({})).await;
    assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_introspection_query_of_graphiql_and_code_generators_is_within_the_limits() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let body = app.graphql(None, INTROSPECTION, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    assert!(
        body["data"]["__schema"]["types"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragment_bomb_over_the_websocket_is_refused_and_the_connection_lives_on() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = WsClient::ready(&app, None).await;
    let started = Instant::now();
    client
        .send(
            json!({ "id": "bomb", "type": "subscribe", "payload": { "query": fragment_bomb(24) } }),
        )
        .await;
    let refused = client.receive().await;
    let Received::Message(message) = refused else {
        panic!("expected an error message, got {refused:?}");
    };
    assert_eq!(message["type"], "error", "{message}");
    assert_eq!(message["id"], "bomb");
    assert_eq!(
        message["payload"][0]["extensions"]["code"],
        Value::from("QUERY_TOO_COMPLEX"),
        "{message}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    // The connection still serves.
    client.send(json!({ "type": "ping" })).await;
    assert_eq!(
        client.receive().await,
        Received::Message(json!({ "type": "pong" }))
    );
}

/// A query whose `filter` argument nests `depth` lists: a few kilobytes of `[`.
fn nested_lists(depth: usize) -> String {
    format!(
        "{{ polls(first: 1, filter: {}1{}) {{ edges {{ cursor }} }} }}",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_nested_hundreds_deep_is_refused_and_the_server_lives_on() {
    // Found by the fuzz tests: the GraphQL parser recurses once per bracket, so a few
    // hundred `[` (or `{a:`) overflowed a worker thread's stack and aborted the whole
    // process, for every client, before any limit was checked. (Past some depth the
    // parser gives up by itself; below it, it ran out of stack.)
    let app = TestApp::spawn(Backend::Sqlite).await;
    for depth in [300, 500, 1_000, 2_000, 5_000, 10_000] {
        let objects = format!(
            "{{ polls(first: 1, filter: {}1{}) {{ edges {{ cursor }} }} }}",
            "{a: ".repeat(depth),
            "}".repeat(depth)
        );
        for query in [nested_lists(depth), objects] {
            let started = Instant::now();
            let body = app.graphql(None, &query, json!({})).await;
            assert_eq!(error_code(&body), Some("QUERY_TOO_DEEP"), "depth {depth}");
            assert!(started.elapsed() < Duration::from_secs(2));
        }
    }
    let deep = nested_lists(400);
    let over_get = app
        .http()
        .get(format!("{}/graphql", app.address))
        .query(&[("query", &deep)])
        .send()
        .await
        .expect("GET /graphql answers");
    let body: Value = over_get.json().await.expect("a JSON body");
    assert_eq!(error_code(&body), Some("QUERY_TOO_DEEP"), "{body}");

    let mut client = WsClient::ready(&app, None).await;
    client
        .send(json!({ "id": "deep", "type": "subscribe", "payload": { "query": deep } }))
        .await;
    let Received::Message(message) = client.receive().await else {
        panic!("expected an error message");
    };
    assert_eq!(message["type"], "error", "{message}");
    assert_eq!(
        message["payload"][0]["extensions"]["code"],
        Value::from("QUERY_TOO_DEEP"),
        "{message}"
    );
    // The nesting a real document needs is fine.
    let body = app.graphql(None, &nested_lists(8), json!({})).await;
    assert_ne!(error_code(&body), Some("QUERY_TOO_DEEP"), "{body}");
    let body = app.graphql(None, "{ __typename }", json!({})).await;
    assert_eq!(body["data"]["__typename"], "Query");
}
