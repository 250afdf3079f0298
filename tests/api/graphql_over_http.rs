//! GraphQL over HTTP as the spec has it: the answer's media type follows `Accept`,
//! request errors have no `data` and are 400 under `application/graphql-response+json`,
//! field errors keep `data` and 200; and graphql-http's audit of a running server.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, error_code};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// POSTs `body` as JSON with `accept` (or none): status, `Content-Type`, body.
async fn post(app: &TestApp, accept: Option<&str>, body: Value) -> (u16, String, Value) {
    let mut request = app
        .http()
        .post(format!("{}/graphql", app.address))
        .json(&body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    answer(request.send().await.unwrap()).await
}

async fn get(app: &TestApp, accept: Option<&str>, params: &[(&str, &str)]) -> (u16, String, Value) {
    let mut request = app
        .http()
        .get(format!("{}/graphql", app.address))
        .query(params);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    answer(request.send().await.unwrap()).await
}

async fn answer(response: reqwest::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        status,
        content_type,
        response.json().await.unwrap_or(Value::Null),
    )
}

fn has_data_key(body: &Value) -> bool {
    body.as_object().is_some_and(|o| o.contains_key("data"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_comes_in_the_media_type_the_client_accepts() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let query = json!({ "query": "{ __typename }" });
    for (accept, expected) in [
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            GRAPHQL_RESPONSE,
        ),
        (Some("application/json"), "application/json"),
        (Some("*/*"), "application/json"),
        (None, "application/json"),
    ] {
        let (status, content_type, body) = post(&app, accept, query.clone()).await;
        assert_eq!(status, 200, "{accept:?}");
        assert!(
            content_type.starts_with(expected) && content_type.contains("charset=utf-8"),
            "{accept:?}: {content_type}"
        );
        assert_eq!(body["data"]["__typename"], "Query");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_accepts_neither_json_type_gets_406() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, _, body) = post(
        &app,
        Some("text/html"),
        json!({ "query": "{ __typename }" }),
    )
    .await;
    assert_eq!((status, error_code(&body)), (406, Some("NOT_ACCEPTABLE")));
    assert!(!has_data_key(&body), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_errors_are_400_without_data_under_graphql_response_json() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let cases = [
        (json!({ "query": "{" }), "GRAPHQL_PARSE_FAILED"),
        (
            json!({ "query": "{ noSuchField }" }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        // Variable coercion: a required variable left out, and one of the wrong type.
        (
            json!({ "query": "query($id: ID!) { poll(id: $id) { id } }", "variables": {} }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "query": "query($n: Int!) { polls(first: $n) { pageInfo { hasNextPage } } }", "variables": { "n": "many" } }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            json!({ "query": "query A { __typename }", "operationName": "B" }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ];
    for (request, code) in cases {
        let (status, content_type, body) =
            post(&app, Some(GRAPHQL_RESPONSE), request.clone()).await;
        assert_eq!(
            (status, error_code(&body)),
            (400, Some(code)),
            "{request}: {body}"
        );
        assert!(content_type.starts_with(GRAPHQL_RESPONSE), "{content_type}");
        assert!(!has_data_key(&body), "{request}: {body}");
        // Under application/json the same request is answered 200, still without data.
        let (status, _, body) = post(&app, Some("application/json"), request.clone()).await;
        assert_eq!(
            (status, error_code(&body)),
            (200, Some(code)),
            "{request}: {body}"
        );
        assert!(!has_data_key(&body), "{request}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_errors_keep_data_and_200_under_either_media_type() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // A malformed id is refused by the field's resolver, during execution.
    let request = json!({ "query": "{ poll(id: \"not-an-id\") { id } }" });
    for accept in [GRAPHQL_RESPONSE, "application/json"] {
        let (status, _, body) = post(&app, Some(accept), request.clone()).await;
        assert_eq!(status, 200, "{accept}: {body}");
        assert!(has_data_key(&body), "{accept}: {body}");
        assert!(body["errors"][0]["path"].is_array(), "{body}");
    }
    // Signed out, `viewer` is null: data, and no error at all.
    let (status, _, body) = post(
        &app,
        Some(GRAPHQL_RESPONSE),
        json!({ "query": "{ viewer { id } }" }),
    )
    .await;
    assert_eq!(
        (status, &body["data"]),
        (200, &json!({ "viewer": null })),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_without_query_is_a_bad_request_like_a_post() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for accept in [None, Some(GRAPHQL_RESPONSE)] {
        let (status, _, body) = get(&app, accept, &[("operationName", "A")]).await;
        assert_eq!(
            (status, error_code(&body)),
            (400, Some("BAD_REQUEST")),
            "{body}"
        );
        assert!(!has_data_key(&body), "{body}");
        let (status, _, body) = post(&app, accept, json!({ "operationName": "A" })).await;
        assert_eq!(
            (status, error_code(&body)),
            (400, Some("BAD_REQUEST")),
            "{body}"
        );
    }
    let (status, content_type, body) =
        get(&app, Some(GRAPHQL_RESPONSE), &[("query", "{ __typename }")]).await;
    assert_eq!(
        (status, body["data"]["__typename"].as_str()),
        (200, Some("Query"))
    );
    assert!(content_type.starts_with(GRAPHQL_RESPONSE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_that_are_not_an_object_are_a_bad_request() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let query =
        "query($after: String) { polls(first: 1, after: $after) { pageInfo { hasNextPage } } }";
    for variables in [
        json!("{\"after\": null}"),
        json!(5),
        json!(true),
        json!([1]),
    ] {
        let (status, _, body) = post(
            &app,
            None,
            json!({ "query": query, "variables": variables }),
        )
        .await;
        assert_eq!(
            (status, error_code(&body)),
            (400, Some("BAD_REQUEST")),
            "{variables}: {body}"
        );
    }
    let (status, _, body) = get(&app, None, &[("query", query), ("variables", "[1]")]).await;
    assert_eq!(
        (status, error_code(&body)),
        (400, Some("BAD_REQUEST")),
        "{body}"
    );
    // An object, or null, is fine; so is an object as JSON text in a GET.
    let (status, _, body) = post(&app, None, json!({ "query": query, "variables": null })).await;
    assert_eq!((status, body.get("errors")), (200, None), "{body}");
    let (status, _, body) = get(
        &app,
        None,
        &[("query", query), ("variables", "{\"after\": null}")],
    )
    .await;
    assert_eq!((status, body.get("errors")), (200, None), "{body}");
}

/// graphql-http's server audit (`tests/graphql-http-audit/`), run with Node against a
/// real server: every MUST and every SHOULD of GraphQL-over-HTTP passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_http_audit_passes_every_must_and_should() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/graphql-http-audit");
    if !std::path::Path::new(dir)
        .join("node_modules/graphql-http")
        .exists()
    {
        let installed = tokio::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir)
            .status()
            .await
            .expect("npm runs (Node.js 20+ is needed for this test)");
        assert!(installed.success(), "npm ci in {dir} failed");
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    let output = tokio::process::Command::new("node")
        .arg("audit.mjs")
        .arg(format!("{}/graphql", app.address))
        .current_dir(dir)
        .output()
        .await
        .expect("node runs");
    let report = String::from_utf8_lossy(&output.stdout);
    println!("{report}");
    assert!(
        output.status.success() && report.contains("every MUST and SHOULD passes"),
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Not vacuous: the audit ran its checks.
    assert!(
        report.lines().filter(|l| l.starts_with("ok")).count() >= 40,
        "{report}"
    );
}
