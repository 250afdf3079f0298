//! What the server shows about itself, in development and in production: GraphiQL,
//! introspection, `/metrics`, source maps, and the security headers on every response.

use serde_json::{Value, json};
use tally::config::{Config, Environment};

use crate::helpers::{Backend, TestApp};

const INTROSPECTION: &str = "{ __schema { queryType { name } } }";

fn production(config: &mut Config) {
    config.http.environment = Environment::Production;
}

async fn status_of(app: &TestApp, url: String, token: Option<&str>) -> u16 {
    let mut request = app.http().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status().as_u16()
}

async fn get_status(app: &TestApp, path: &str) -> u16 {
    status_of(app, format!("{}{path}", app.address), None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn development_shows_graphiql_introspection_and_metrics() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert_eq!(get_status(&app, "/graphiql").await, 200);
    assert_eq!(get_status(&app, "/metrics").await, 200);
    let body = app.graphql(None, INTROSPECTION, json!({})).await;
    assert_eq!(
        body["data"]["__schema"]["queryType"]["name"], "Query",
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_hides_graphiql_introspection_and_metrics() {
    let app = TestApp::spawn_with(Backend::Sqlite, production).await;
    assert_eq!(get_status(&app, "/graphiql").await, 404);
    assert_eq!(get_status(&app, "/metrics").await, 404);
    // Introspection off answers null (async-graphql's `disable_introspection`).
    let body = app.graphql(None, INTROSPECTION, json!({})).await;
    assert_eq!(body["data"]["__schema"], Value::Null, "{body}");
    let body = app
        .graphql(
            None,
            "{ __type(name: \"Poll\") { name fields { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["__type"], Value::Null, "{body}");
    // `__typename` is not introspection of the schema: clients rely on it.
    let body = app.graphql(None, "{ __typename }", json!({})).await;
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_shows_graphiql_and_introspection_when_asked_to() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        production(c);
        c.exposure.graphiql = Some(true);
        c.exposure.introspection = Some(true);
    })
    .await;
    assert_eq!(get_status(&app, "/graphiql").await, 200);
    let body = app.graphql(None, INTROSPECTION, json!({})).await;
    assert_eq!(
        body["data"]["__schema"]["queryType"]["name"], "Query",
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_with_a_token_answer_only_to_the_token() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        production(c);
        c.exposure.metrics_token = Some("metrics-secret".to_owned());
    })
    .await;
    let url = || format!("{}/metrics", app.address);
    assert_eq!(status_of(&app, url(), None).await, 401);
    assert_eq!(status_of(&app, url(), Some("guess")).await, 401);
    assert_eq!(status_of(&app, url(), Some("metrics-secret")).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_their_own_listener_are_not_on_the_main_one() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        production(c);
        c.exposure.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    assert_eq!(get_status(&app, "/metrics").await, 404);
    let metrics = app.metrics_address.clone().expect("a metrics listener");
    let response = app
        .http()
        .get(format!("{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.unwrap();
    assert!(text.contains("tally_vote_batches_total"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn_with(Backend::Sqlite, production).await;
    let requests = [
        app.http().get(format!("{}/healthz", app.address)),
        app.http().get(format!("{}/readyz", app.address)),
        app.http().get(format!("{}/metrics", app.address)),
        app.http().get(format!("{}/no/such/page", app.address)),
        app.http()
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "query": "{ viewer { id } }" })),
        app.http()
            .post(format!("{}/graphql", app.address))
            .header("content-type", "text/plain")
            .body("{}"),
    ];
    for request in requests {
        let response = request.send().await.unwrap();
        let url = response.url().path().to_owned();
        let headers = response.headers();
        let csp = headers
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{url}: no Content-Security-Policy"))
            .to_str()
            .unwrap();
        assert!(csp.contains("default-src 'self'"), "{url}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{url}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{url}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{url}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_has_a_policy_of_its_own() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = app
        .http()
        .get(format!("{}/graphiql", app.address))
        .send()
        .await
        .unwrap();
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(!csp.contains("https:"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_loads_nothing_from_outside_the_server() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let page = app
        .http()
        .get(format!("{}/graphiql", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("//"),
        "the page names another origin: {page}"
    );
    let sources: Vec<&str> = page
        .split(['"', '\''])
        .filter(|piece| piece.starts_with("/graphiql/assets/"))
        .collect();
    assert_eq!(sources.len(), 5, "{page}");
    for source in sources {
        let response = app
            .http()
            .get(format!("{}{source}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{source}");
        let body = response.bytes().await.unwrap();
        assert!(body.len() > 100, "{source} is served");
    }
}

/// A built web app with a script and its source map.
fn web_app_with_source_map() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tally-web-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>Tally</title>",
    )
    .unwrap();
    std::fs::write(dir.join("assets/app.js"), "console.log(1)\n").unwrap();
    std::fs::write(dir.join("assets/app.js.map"), r#"{"version":3}"#).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_serves_the_web_app_but_not_its_source_maps() {
    let dir = web_app_with_source_map();
    let static_dir = dir.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, move |c| {
        production(c);
        c.http.static_dir = static_dir;
    })
    .await;
    assert_eq!(get_status(&app, "/assets/app.js").await, 200);
    assert_eq!(get_status(&app, "/a/client/route").await, 200);
    assert_eq!(get_status(&app, "/assets/app.js.map").await, 404);

    let development = TestApp::spawn_with(Backend::Sqlite, {
        let dir = dir.clone();
        move |c| c.http.static_dir = dir
    })
    .await;
    assert_eq!(get_status(&development, "/assets/app.js.map").await, 200);
    let _ = std::fs::remove_dir_all(dir);
}
