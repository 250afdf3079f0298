//! The HTTP surface: routes, the state they share, and the layers around them.
//!
//! | route | what |
//! |---|---|
//! | `POST /graphql`, `GET /graphql` | GraphQL over HTTP ([`graphql`]) |
//! | `GET /graphql/ws` | GraphQL over WebSocket, `graphql-transport-ws` ([`ws`]) |
//! | `GET /graphiql` | the GraphiQL IDE, where exposed ([`exposure`]), served whole from the binary ([`graphiql`]) |
//! | `GET /exports/polls/{pollId}/ballots.csv` (and `.json`, `results.csv`, `results.json`) | a poll's ballots and results, for its owner ([`exports`]) |
//! | `GET /healthz` | the process is up |
//! | `GET /readyz` | the database answers (Redis is reported, but only as degraded) |
//! | `GET /metrics` | counters in the Prometheus text format ([`crate::metrics`]), where exposed |
//! | `GET /polls/{id}`, `GET /embed/polls/{id}`, `GET /oembed` | link previews, the embeddable widget's page (the one route other sites may frame) and oEmbed ([`share_pages`]) |
//! | `GET /assets/*` | the web app's hashed files, precompressed (br, gzip), cached a year ([`web_app`]) |
//! | anything else | the built web app (`TALLY_STATIC_DIR`), `index.html` for client routes, `no-cache` |
//!
//! Every response carries the security headers of [`security`]. Connections are
//! accepted and limited by [`serve`]. Other web origins reach `/graphql` and
//! `/graphql/ws` as [`cors`] allows.

mod answer;
mod client_slots;
pub mod cors;
mod exports;
pub mod exposure;
mod graphiql;
mod graphql;
mod health;
mod media;
mod rate_headers;
mod read_cache;
mod request_id;
mod security;
pub mod serve;
mod share_pages;
mod web_app;
pub mod ws;
mod ws_shared;

pub use rate_headers::RateHeaders;
pub use read_cache::ReadCache;
pub use ws_shared::SharedFeeds;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, Request};
use axum::routing::get;
use std::path::Path;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::graphql::AppSchema;
use crate::graphql::persisted::PersistedQueries;
use crate::metrics::Metrics;
use crate::redis::RedisClient;
use crate::service::{AccountService, ExportService, SubscriptionGate};
use crate::store::Store;
use exposure::Exposure;

/// Limits the HTTP layer enforces itself.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Largest accepted body.
    pub max_body_bytes: usize,
    /// Longest execution of one request.
    pub request_timeout: Duration,
    /// Longest a request body may take to arrive.
    pub body_read_timeout: Duration,
    /// Most operations in a batch.
    pub max_batch: usize,
    /// Whether `X-Forwarded-For` names the client.
    pub trust_forwarded_for: bool,
}

impl HttpLimits {
    /// The limits from configuration.
    pub fn from_config(config: &Config) -> Self {
        HttpLimits {
            max_body_bytes: config.http.max_body_bytes,
            request_timeout: config.http.request_timeout(),
            body_read_timeout: config.connections.body_read_timeout(),
            max_batch: config.graphql.max_batch,
            trust_forwarded_for: config.http.trust_forwarded_for,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The executable schema, with its services.
    pub schema: AppSchema,
    /// The same schema for persisted documents validated before: it skips the
    /// validation rules they passed ([`crate::graphql::Schemas::known`]).
    pub known_schema: AppSchema,
    /// Persisted operations.
    pub persisted: PersistedQueries,
    /// Documents sent as text, parsed, and whether they passed validation before.
    pub documents: crate::graphql::DocumentCache,
    /// For reading bearer tokens.
    pub accounts: AccountService,
    /// For readiness checks.
    pub store: Store,
    /// For readiness checks, when configured.
    pub redis: Option<RedisClient>,
    /// Request limits.
    pub http: HttpLimits,
    /// Live counters, for `/metrics`.
    pub metrics: Metrics,
    /// Limits of the WebSocket endpoint.
    pub ws: ws::WsLimits,
    /// Who may subscribe to what.
    pub gate: SubscriptionGate,
    /// Shared executions of identical subscriptions.
    pub shared: Arc<SharedFeeds>,
    /// Which other origins may call, from a browser.
    pub cors: cors::CorsPolicy,
    /// The rate-limit headers of GraphQL answers.
    pub rate_headers: RateHeaders,
    /// Who may export what, and the rows.
    pub exports: ExportService,
    /// Answers to anonymous GET reads, kept current by the tally bus.
    pub read_cache: ReadCache,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// All routes with their layers.
pub fn router(
    state: AppState,
    exposure: &Exposure,
    static_dir: &Path,
    public_origin: &str,
) -> Router {
    let optional = exposure::routes(exposure, state.metrics.clone());
    let state_store = state.store.clone();
    // CORS on /graphql only: the WebSocket checks `Origin` itself (browsers do not
    // apply CORS to sockets), and nothing else is meant for other origins.
    let graphql = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .layer(state.cors.layer());
    let routes = graphql
        .route("/graphql/ws", get(ws::upgrade))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .merge(exports::routes())
        .with_state(Arc::new(state))
        .merge(optional)
        .merge(share_pages::routes(state_store, static_dir, public_origin))
        .merge(web_app::routes(static_dir, exposure.source_maps));
    // The layers every request passes wrap the routes once, as one service. Given to
    // `Router::layer`, each would wrap every route apart, boxed, and axum clones a
    // route's whole boxed stack, box by box, for every request: callgrind counted ~40
    // boxed clones per castVote, a tenth of its instructions.
    let layered = ServiceBuilder::new()
        // Outermost first: the security headers on every response, then the request id
        // checked (a client's id that is too long or not plain is dropped), set, and
        // echoed back, then the trace span, which shows the id. (Only /graphql reads a
        // body, and it enforces the size limit itself so that the refusal is a GraphQL
        // error.)
        .layer(security::headers())
        .layer(axum::middleware::map_request(request_id::drop_unacceptable))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let id = request
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
            }),
        )
        .service(routes);
    Router::new().fallback_service(layered)
}
