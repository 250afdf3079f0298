//! The HTTP surface: GraphQL over HTTP, request limits, probes and shutdown.

use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, error_code, without_cost};

async fn post_raw(
    app: &TestApp,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let response = app
        .http()
        .post(format!("{}/graphql", app.address))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get_query(app: &TestApp, query: &str) -> (u16, Value) {
    let response = app
        .http()
        .get(format!("{}/graphql", app.address))
        .query(&[("query", query)])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `__type { fields { type { ofType { … } } } }` nested `depth` levels of `ofType`.
fn deep_query(depth: usize) -> String {
    let mut inner = "name".to_owned();
    for _ in 0..depth {
        inner = format!("ofType {{ {inner} }}");
    }
    format!("{{ __type(name: \"User\") {{ fields {{ type {{ {inner} }} }} }} }}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_a_bad_request() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for body in ["{", "[]", "null", "{\"query\": 5}", "not json at all"] {
        let (status, body_json) = post_raw(&app, "application/json", body).await;
        let expected = if body == "[]" {
            "BATCH_TOO_LARGE"
        } else {
            "BAD_REQUEST"
        };
        assert_eq!(
            (status, error_code(&body_json)),
            (400, Some(expected)),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_json_by_content_type_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, body) = post_raw(&app, "text/plain", r#"{"query":"{ viewer { id } }"}"#).await;
    assert_eq!(
        (status, error_code(&body)),
        (415, Some("UNSUPPORTED_MEDIA_TYPE"))
    );
    let (status, _) = post_raw(
        &app,
        "application/json; charset=utf-8",
        r#"{"query":"{ viewer { id } }"}"#,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_body_is_refused_before_it_is_read() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let padding = " ".repeat(app.config.http.max_body_bytes + 1);
    let body = format!(r#"{{"query":"{{ viewer {{ id }} }}{padding}"}}"#);
    let (status, body) = post_raw(&app, "application/json", body).await;
    assert_eq!(
        (status, error_code(&body)),
        (413, Some("PAYLOAD_TOO_LARGE"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_work_over_get_but_mutations_are_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, body) = get_query(&app, "{ viewer { id } }").await;
    assert_eq!(
        (status, without_cost(body)),
        (200, json!({ "data": { "viewer": null } }))
    );

    let response = app
        .http()
        .get(format!("{}/graphql", app.address))
        .query(&[(
            "query",
            "mutation { login(input: {username: \"a\", password: \"b\"}) { token } }",
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), Some("METHOD_NOT_ALLOWED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_of_queries_run_but_mutations_and_oversized_batches_do_not() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let query = json!({ "query": "{ viewer { id } }" });
    let (status, body) =
        post_raw(&app, "application/json", json!([query, query]).to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(
        without_cost(body),
        json!([{ "data": { "viewer": null } }, { "data": { "viewer": null } }])
    );

    let too_many = vec![query.clone(); app.config.graphql.max_batch + 1];
    let (status, body) = post_raw(&app, "application/json", json!(too_many).to_string()).await;
    assert_eq!((status, error_code(&body)), (400, Some("BATCH_TOO_LARGE")));

    let mutation = json!({ "query": "mutation { login(input: {username: \"abc\", password: \"password1\"}) { token } }" });
    let (status, body) = post_raw(
        &app,
        "application/json",
        json!([query, mutation]).to_string(),
    )
    .await;
    assert_eq!((status, error_code(&body)), (400, Some("BATCHED_MUTATION")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_deep_query_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let body = app.graphql(None, &deep_query(4), json!({})).await;
    assert!(body["errors"].is_null(), "a shallow query passes: {body}");
    let body = app
        .graphql(None, &deep_query(app.config.graphql.max_depth), json!({}))
        .await;
    assert_eq!(error_code(&body), Some("QUERY_TOO_DEEP"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_complex_query_is_refused() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.graphql.max_complexity = 5).await;
    let body = app
        .graphql(None, "{ viewer { id username createdAt } }", json!({}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let body = app
        .graphql(
            None,
            "{ __schema { types { name description fields { name description } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_aliases_are_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let max = app.config.graphql.max_aliases;
    let aliases = |n: usize| {
        let fields: Vec<String> = (0..n).map(|i| format!("a{i}: viewer {{ id }}")).collect();
        format!("{{ {} }}", fields.join(" "))
    };
    let body = app.graphql(None, &aliases(max), json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    let body = app.graphql(None, &aliases(max + 1), json!({})).await;
    assert_eq!(error_code(&body), Some("TOO_MANY_ALIASES"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_errors_carry_codes_too() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let body = app.graphql(None, "{ viewer { id ", json!({})).await;
    assert_eq!(error_code(&body), Some("GRAPHQL_PARSE_FAILED"));
    let body = app
        .graphql(None, "{ viewer { shoeSize } }", json!({}))
        .await;
    assert_eq!(error_code(&body), Some("GRAPHQL_VALIDATION_FAILED"));
    let body = app
        .graphql(
            None,
            "mutation($i: RegisterInput!) { register(input: $i) { token } }",
            json!({ "i": { "username": 5 } }),
        )
        .await;
    assert!(error_code(&body).is_some(), "{body}");
    assert_eq!(app.count_rows("users").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_running_past_the_timeout_is_cut_off() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.http.request_timeout_ms = 1).await;
    // Registration hashes a password, which takes far longer than a millisecond.
    let body = app
        .graphql(None, "mutation { register(input: {username: \"slowpoke\", password: \"password123\"}) { token } }", json!({}))
        .await;
    assert_eq!(error_code(&body), Some("TIMEOUT"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_carry_a_request_id() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = app
        .http()
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}

both_backends! {
    async fn readiness_reports_the_database(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let response = app.http().get(format!("{}/readyz", app.address)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["database"], "ok");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_request_in_flight_finish_then_stops() {
    let mut app = TestApp::spawn(Backend::Postgres).await;
    // Hold new accounts back, so the registration below is provably still in flight
    // when shutdown begins: it waits on this lock inside the server.
    let db = app.db().await;
    let lock = db.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE users IN EXCLUSIVE MODE")
        .await
        .unwrap();
    let request = app
        .http()
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": "mutation { register(input: {username: \"lastone\", password: \"password123\"}) { token } }" }))
        .send();
    let in_flight = tokio::spawn(request);
    let waiting = || async {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM pg_locks WHERE NOT granted AND relation = 'users'::regclass",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while waiting().await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the registration never reached the database"
        );
    }

    app.request_stop();
    lock.commit().await.unwrap();
    let body: Value = in_flight.await.unwrap().unwrap().json().await.unwrap();
    assert!(body["data"]["register"]["token"].is_string(), "{body}");
    app.stop().await.unwrap();
    let after = app
        .http()
        .get(format!("{}/healthz", app.address))
        .send()
        .await;
    assert!(after.is_err(), "the server still answers after shutdown");
}
