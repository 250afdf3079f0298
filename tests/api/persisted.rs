//! Persisted operations: automatic persisted queries (in process and shared through
//! Redis), over POST and GET, trusted documents, and known documents skipping parsing
//! and validation.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, error_code, use_redis};
use crate::in_process_and_redis;
use crate::redis_support::shared_redis_url;

const POLLS: &str =
    "query Polls($first: Int!) { polls(first: $first) { pageInfo { hasNextPage } } }";
const VIEWER: &str = "query Viewer { viewer { id } }";

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn extension(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

async fn post(app: &TestApp, body: Value) -> (u16, Value) {
    let response = app
        .http()
        .post(format!("{}/graphql", app.address))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// POSTs `query` by hash only.
async fn by_hash(app: &TestApp, query: &str, variables: Value) -> (u16, Value) {
    post(
        app,
        json!({ "variables": variables, "extensions": extension(&sha256(query)) }),
    )
    .await
}

/// POSTs `query` with its hash, which stores it.
async fn with_text(app: &TestApp, query: &str, variables: Value) -> (u16, Value) {
    post(
        app,
        json!({ "query": query, "variables": variables, "extensions": extension(&sha256(query)) }),
    )
    .await
}

async fn get(app: &TestApp, params: &[(&str, String)]) -> (u16, Value) {
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.get_graphql(&params).await
}

/// A counter from `/metrics`.
async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = app.metrics_text().await;
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} is not on /metrics"))
        .parse()
        .unwrap()
}

fn no_polls_page(body: &Value) {
    assert_eq!(body["errors"], Value::Null, "{body}");
    assert_eq!(body["data"]["polls"]["pageInfo"]["hasNextPage"], false);
}

in_process_and_redis! {
    configure = crate::helpers::as_is;

    async fn an_unknown_hash_is_not_found_until_its_text_is_sent(app: TestApp, _redis: bool) {
        let (status, body) = by_hash(&app, POLLS, json!({ "first": 5 })).await;
        assert_eq!(status, 200);
        assert_eq!(error_code(&body), Some("PERSISTED_QUERY_NOT_FOUND"));
        assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");

        let (status, body) = with_text(&app, POLLS, json!({ "first": 5 })).await;
        assert_eq!(status, 200);
        no_polls_page(&body);

        let (status, body) = by_hash(&app, POLLS, json!({ "first": 5 })).await;
        assert_eq!(status, 200);
        no_polls_page(&body);
    }

    async fn a_stored_query_runs_by_hash_over_get(app: TestApp, _redis: bool) {
        with_text(&app, POLLS, json!({ "first": 5 })).await;
        let (status, body) = get(
            &app,
            &[
                ("variables", json!({ "first": 5 }).to_string()),
                ("extensions", extension(&sha256(POLLS)).to_string()),
            ],
        )
        .await;
        assert_eq!(status, 200);
        no_polls_page(&body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_stored_on_one_instance_runs_by_hash_on_another_sharing_redis() {
    let url = shared_redis_url();
    let a = TestApp::spawn_with(crate::helpers::Backend::Postgres, |c| use_redis(c, url)).await;
    let b = TestApp::spawn_beside(&a).await;
    let (_, body) = by_hash(&b, POLLS, json!({ "first": 5 })).await;
    assert_eq!(error_code(&body), Some("PERSISTED_QUERY_NOT_FOUND"));

    with_text(&a, POLLS, json!({ "first": 5 })).await;
    let (status, body) = by_hash(&b, POLLS, json!({ "first": 5 })).await;
    assert_eq!(status, 200);
    no_polls_page(&body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_that_is_not_its_hash_and_a_malformed_extension_are_refused() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let (status, body) = post(
        &app,
        json!({ "query": VIEWER, "extensions": extension(&sha256(POLLS)) }),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), Some("PERSISTED_QUERY_HASH_MISMATCH"));

    for bad in [
        json!({ "persistedQuery": { "version": 2, "sha256Hash": sha256(VIEWER) } }),
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "abc" } }),
        json!({ "persistedQuery": { "version": 1 } }),
        json!({ "persistedQuery": "yes" }),
    ] {
        let (status, body) = post(&app, json!({ "query": VIEWER, "extensions": bad })).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(error_code(&body), Some("PERSISTED_QUERY_INVALID"), "{bad}");
    }
    // Nothing was stored by the refused requests.
    let (_, body) = by_hash(&app, VIEWER, json!({})).await;
    assert_eq!(error_code(&body), Some("PERSISTED_QUERY_NOT_FOUND"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mutation_sent_by_hash_is_refused_over_get_and_in_a_batch() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let mutation = crate::helpers::CAST_VOTE;
    let (_, body) = with_text(&app, mutation, json!({})).await;
    assert_ne!(
        error_code(&body),
        Some("PERSISTED_QUERY_NOT_FOUND"),
        "{body}"
    );

    let (status, body) = get(
        &app,
        &[("extensions", extension(&sha256(mutation)).to_string())],
    )
    .await;
    assert_eq!(status, 405);
    assert_eq!(error_code(&body), Some("METHOD_NOT_ALLOWED"));

    let item = json!({ "extensions": extension(&sha256(mutation)) });
    let (status, body) = post(&app, json!([item, item])).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), Some("BATCHED_MUTATION"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_batch_an_unknown_hash_gets_its_error_in_its_place() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    with_text(&app, POLLS, json!({ "first": 5 })).await;
    let (status, body) = post(
        &app,
        json!([
            { "variables": { "first": 5 }, "extensions": extension(&sha256(POLLS)) },
            { "extensions": extension(&sha256(VIEWER)) },
        ]),
    )
    .await;
    assert_eq!(status, 200);
    no_polls_page(&body[0]);
    assert_eq!(error_code(&body[1]), Some("PERSISTED_QUERY_NOT_FOUND"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_operation_is_neither_parsed_nor_validated_again() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |c| {
        c.graphql.max_complexity = 20;
    })
    .await;
    with_text(&app, POLLS, json!({ "first": 1 })).await;
    by_hash(&app, POLLS, json!({ "first": 1 })).await;
    let parsed = metric(&app, "tally_graphql_documents_parsed_total").await;
    let validated = metric(&app, "tally_graphql_documents_validated_total").await;
    assert!(parsed >= 1 && validated >= 1, "the first run was counted");

    for _ in 0..5 {
        let (_, body) = by_hash(&app, POLLS, json!({ "first": 1 })).await;
        no_polls_page(&body);
    }
    assert_eq!(
        metric(&app, "tally_graphql_documents_parsed_total").await,
        parsed
    );
    assert_eq!(
        metric(&app, "tally_graphql_documents_validated_total").await,
        validated
    );

    // What depends on the variables is still checked on the known path.
    let (_, body) = by_hash(&app, POLLS, json!({ "first": 50 })).await;
    assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
    // A variable of the wrong type, or missing, is refused as it is for a text.
    for variables in [json!({ "first": "many" }), json!({})] {
        let (_, known) = by_hash(&app, POLLS, variables.clone()).await;
        let text = app.graphql(None, POLLS, variables).await;
        assert!(error_code(&known).is_some(), "{known}");
        assert_eq!(error_code(&known), error_code(&text), "{known} {text}");
    }
    let validated = metric(&app, "tally_graphql_documents_validated_total").await;

    // The same text sent as plain text is validated the first time it comes as text…
    app.graphql(None, POLLS, json!({ "first": 1 })).await;
    let validated_text = metric(&app, "tally_graphql_documents_validated_total").await;
    assert!(validated_text > validated);
    // …and from then on runs as a known document too, with what depends on the
    // variables still checked.
    for _ in 0..3 {
        no_polls_page(&app.graphql(None, POLLS, json!({ "first": 1 })).await);
    }
    assert_eq!(
        metric(&app, "tally_graphql_documents_validated_total").await,
        validated_text
    );
    let body = app.graphql(None, POLLS, json!({ "first": 50 })).await;
    assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_least_recently_used_document_makes_way_past_the_capacity() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |c| {
        c.persisted.capacity = 2;
    })
    .await;
    let texts: Vec<String> = (0..3)
        .map(|i| format!("query Q{i} {{ viewer {{ id }} }}"))
        .collect();
    for text in &texts {
        let (_, body) = with_text(&app, text, json!({})).await;
        assert_eq!(body["errors"], Value::Null, "{body}");
    }
    let (_, body) = by_hash(&app, &texts[0], json!({})).await;
    assert_eq!(error_code(&body), Some("PERSISTED_QUERY_NOT_FOUND"));
    for text in &texts[1..] {
        let (_, body) = by_hash(&app, text, json!({})).await;
        assert_eq!(body["errors"], Value::Null, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_mode_runs_manifest_documents_by_hash_and_refuses_any_other_text() {
    let manifest =
        std::env::temp_dir().join(format!("tally-trusted-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&manifest, json!({ sha256(POLLS): POLLS }).to_string()).unwrap();
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |c| {
        c.persisted.trusted_documents = Some(manifest.clone());
    })
    .await;
    let _ = std::fs::remove_file(&manifest);

    let (status, body) = by_hash(&app, POLLS, json!({ "first": 5 })).await;
    assert_eq!(status, 200);
    no_polls_page(&body);

    let (status, body) = post(&app, json!({ "query": VIEWER })).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), Some("PERSISTED_QUERY_NOT_ALLOWED"));

    let (status, body) = with_text(&app, VIEWER, json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), Some("PERSISTED_QUERY_NOT_ALLOWED"));

    let (_, body) = by_hash(&app, VIEWER, json!({})).await;
    assert_eq!(error_code(&body), Some("PERSISTED_QUERY_NOT_FOUND"));

    let (status, body) = get(&app, &[("query", VIEWER.to_owned())]).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), Some("PERSISTED_QUERY_NOT_ALLOWED"));
}
