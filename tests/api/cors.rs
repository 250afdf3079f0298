//! Cross-origin calls: CORS preflights and answers on `/graphql`, and the `Origin`
//! check of the WebSocket upgrade, with the development and production defaults.

use reqwest::Response;
use tally::config::{Config, Environment};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{Backend, TestApp};
use crate::ws_support::WsClient;

const APP_ORIGIN: &str = "https://polls.example.org";
const FOREIGN: &str = "https://evil.example";

fn allow_app(config: &mut Config) {
    config.cors.origins = Some(vec![APP_ORIGIN.to_owned()]);
}

async fn preflight(app: &TestApp, origin: &str) -> Response {
    app.http()
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, authorization",
        )
        .send()
        .await
        .unwrap()
}

fn header<'r>(response: &'r Response, name: &str) -> Option<&'r str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Opens `/graphql/ws` with `origin` (or none): the upgrade's HTTP status.
async fn upgrade_status(app: &TestApp, origin: Option<&str>) -> u16 {
    let url = format!("{}/graphql/ws", app.address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("the upgrade failed: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preflight_from_an_allowed_origin_is_answered_and_may_be_cached() {
    let app = TestApp::spawn_with(Backend::Sqlite, allow_app).await;
    let response = preflight(&app, APP_ORIGIN).await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
    assert_eq!(header(&response, "access-control-max-age"), Some("600"));
    let methods = header(&response, "access-control-allow-methods").unwrap();
    assert!(
        methods.contains("POST") && methods.contains("GET"),
        "{methods}"
    );
    let headers = header(&response, "access-control-allow-headers").unwrap();
    assert!(
        headers.contains("content-type") && headers.contains("authorization"),
        "{headers}"
    );
    // Sign-in is a bearer token, never a cookie: no credentials are allowed.
    assert_eq!(header(&response, "access-control-allow-credentials"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_origin_gets_no_permission() {
    let app = TestApp::spawn_with(Backend::Sqlite, allow_app).await;
    let response = preflight(&app, FOREIGN).await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    let answer = app
        .http()
        .post(format!("{}/graphql", app.address))
        .header("origin", FOREIGN)
        .json(&serde_json::json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&answer, "access-control-allow-origin"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_origin_may_read_the_request_id_and_rate_limit_headers() {
    let app = TestApp::spawn_with(Backend::Sqlite, allow_app).await;
    let answer = app
        .http()
        .post(format!("{}/graphql", app.address))
        .header("origin", APP_ORIGIN)
        .json(&serde_json::json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&answer, "access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
    let exposed = header(&answer, "access-control-expose-headers").unwrap();
    for name in [
        "x-request-id",
        "ratelimit",
        "ratelimit-policy",
        "retry-after",
    ] {
        assert!(exposed.contains(name), "{name} is not exposed: {exposed}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_star_allows_every_origin_without_credentials() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.cors.origins = Some(vec!["*".to_owned()]);
    })
    .await;
    let response = preflight(&app, FOREIGN).await;
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&response, "access-control-allow-credentials"), None);
    assert_eq!(upgrade_status(&app, Some(FOREIGN)).await, 101);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn development_allows_the_web_apps_dev_servers_and_production_no_other_origin() {
    let dev = TestApp::spawn(Backend::Sqlite).await;
    for origin in ["http://localhost:5173", "http://127.0.0.1:4173"] {
        let response = preflight(&dev, origin).await;
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            Some(origin)
        );
    }
    let production = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.http.environment = Environment::Production;
    })
    .await;
    let response = preflight(&production, "http://localhost:5173").await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    assert_eq!(
        upgrade_status(&production, Some("http://localhost:5173")).await,
        403
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_from_a_foreign_page_is_refused_and_others_are_not() {
    let app = TestApp::spawn_with(Backend::Sqlite, allow_app).await;
    assert_eq!(upgrade_status(&app, Some(FOREIGN)).await, 403);
    assert_eq!(upgrade_status(&app, Some(APP_ORIGIN)).await, 101);
    // The web app the server itself serves: its origin is the server's.
    assert_eq!(upgrade_status(&app, Some(&app.address)).await, 101);
    // No Origin: not a browser page (a native app, a script), which CORS never binds.
    assert_eq!(upgrade_status(&app, None).await, 101);
    // And a refused one takes no slot: the endpoint still serves.
    WsClient::ready(&app, None).await;
}
