//! What the server shows about itself: GraphiQL, introspection, `/metrics` and the web
//! app's source maps. Development shows everything; production (`TALLY_ENV=production`)
//! hides each one unless a setting turns it back on, since each helps someone probing
//! the service more than it helps a user.
//!
//! | | development | production |
//! |---|---|---|
//! | `/graphiql` | on | off unless `TALLY_GRAPHIQL=true` |
//! | introspection | on | off unless `TALLY_INTROSPECTION=true` |
//! | `/metrics` on `TALLY_LISTEN` | open, or with `TALLY_METRICS_TOKEN` as bearer token | only with the token |
//! | `/metrics` on `TALLY_METRICS_LISTEN` | when set (then not on `TALLY_LISTEN`) | same |
//! | `*.map` files of the web app | served | 404 |

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use super::security;
use crate::config::{Config, Environment};
use crate::metrics::Metrics;

/// Who may read `/metrics` on a listener.
#[derive(Clone)]
pub enum MetricsAccess {
    /// Anyone who reaches the listener.
    Open,
    /// Callers presenting the token (kept as its SHA-256, compared digest to digest so
    /// the comparison's timing says nothing about the token).
    Token([u8; 32]),
    /// Nobody: the route answers 404.
    Hidden,
}

impl MetricsAccess {
    fn allows(&self, headers: &HeaderMap) -> bool {
        match self {
            MetricsAccess::Open => true,
            MetricsAccess::Hidden => false,
            MetricsAccess::Token(digest) => headers
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .is_some_and(|token| digest_of(token) == *digest),
        }
    }
}

fn digest_of(token: &str) -> [u8; 32] {
    Sha256::digest(token.trim().as_bytes()).into()
}

/// What this instance exposes, decided once from configuration.
#[derive(Clone)]
pub struct Exposure {
    /// Serve `/graphiql`.
    pub graphiql: bool,
    /// Answer introspection queries.
    pub introspection: bool,
    /// `/metrics` on the main listener.
    pub metrics: MetricsAccess,
    /// The separate metrics listener's address, when configured.
    pub metrics_listen: Option<SocketAddr>,
    /// `/metrics` on the separate listener.
    pub metrics_listener_access: MetricsAccess,
    /// Serve the web app's `*.map` files.
    pub source_maps: bool,
}

impl Exposure {
    /// The exposure the configuration asks for, with the environment's defaults.
    pub fn from_config(config: &Config) -> Self {
        let settings = &config.exposure;
        let development = config.http.environment == Environment::Development;
        let token = settings
            .metrics_token
            .as_deref()
            .map(|token| MetricsAccess::Token(digest_of(token)));
        let metrics = match (&settings.metrics_listen, &token) {
            (Some(_), _) => MetricsAccess::Hidden,
            (None, Some(token)) => token.clone(),
            (None, None) if development => MetricsAccess::Open,
            (None, None) => MetricsAccess::Hidden,
        };
        Exposure {
            graphiql: settings.graphiql.unwrap_or(development),
            introspection: settings.introspection.unwrap_or(development),
            metrics,
            metrics_listen: settings.metrics_listen,
            metrics_listener_access: token.unwrap_or(MetricsAccess::Open),
            source_maps: development,
        }
    }
}

/// `/graphiql` and `/metrics` on the main listener, as exposed.
pub fn routes(exposure: &Exposure, metrics: Metrics) -> Router {
    let graphiql = if exposure.graphiql {
        super::graphiql::routes()
    } else {
        Router::new()
            .route("/graphiql", get(not_found))
            .route("/graphiql/assets/{file}", get(not_found))
    };
    graphiql.merge(metrics_routes(metrics, exposure.metrics.clone()))
}

/// The separate metrics listener's router.
pub fn metrics_listener(exposure: &Exposure, metrics: Metrics) -> Router {
    security::with_headers(metrics_routes(
        metrics,
        exposure.metrics_listener_access.clone(),
    ))
}

/// Refuses the web app's source maps (`*.map`), which would hand out its source.
pub async fn refuse_source_maps(request: Request, next: Next) -> Response {
    if request.uri().path().ends_with(".map") {
        return not_found().await.into_response();
    }
    next.run(request).await
}

struct MetricsPage {
    metrics: Metrics,
    access: MetricsAccess,
}

fn metrics_routes(metrics: Metrics, access: MetricsAccess) -> Router {
    Router::new()
        .route("/metrics", get(metrics_page))
        .with_state(Arc::new(MetricsPage { metrics, access }))
}

async fn metrics_page(State(page): State<Arc<MetricsPage>>, headers: HeaderMap) -> Response {
    match &page.access {
        MetricsAccess::Hidden => not_found().await.into_response(),
        access if !access.allows(&headers) => (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, "Bearer")],
            "/metrics needs Authorization: Bearer <TALLY_METRICS_TOKEN>\n",
        )
            .into_response(),
        _ => (
            [(CONTENT_TYPE, "text/plain; version=0.0.4")],
            page.metrics.render(),
        )
            .into_response(),
    }
}

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "not found\n")
}
