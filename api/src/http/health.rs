//! Liveness and readiness probes.
//!
//! Readiness is about the database alone: it is the system of record, and an instance
//! that cannot reach it cannot record a vote. Redis is a cache, a limiter and a bus:
//! without it votes still succeed (slower), so a Redis outage is reported as
//! `degraded` in the body but keeps the instance ready. A load balancer that pulled
//! every instance whenever Redis hiccupped would turn a slowdown into an outage.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;

use super::AppState;

/// Longest the database may take to answer the readiness check: a probe must answer
/// quickly, and a database that takes longer is as good as down for votes.
pub const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_millis(800);

/// `GET /healthz`: the process is up and serving.
pub async fn live() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 when the database answers within [`DATABASE_CHECK_TIMEOUT`], 503
/// otherwise. The body says how each part is: `database` is `ok` or `unreachable`;
/// `redis` is `ok`, `degraded` (not answering, or held back by the breaker: the
/// instance carries on without it) or `not configured`.
pub async fn ready(State(state): State<Arc<AppState>>) -> (StatusCode, Json<serde_json::Value>) {
    let database = async {
        match tokio::time::timeout(DATABASE_CHECK_TIMEOUT, state.store.ping()).await {
            Ok(Ok(())) => "ok",
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "readiness: database unreachable");
                "unreachable"
            }
            Err(_) => {
                tracing::warn!(
                    timeout_ms = DATABASE_CHECK_TIMEOUT.as_millis() as u64,
                    "readiness: the database did not answer in time"
                );
                "unreachable"
            }
        }
    };
    let redis = async {
        match &state.redis {
            None => "not configured",
            Some(redis) if redis.ping().await => "ok",
            Some(_) => "degraded",
        }
    };
    let (database, redis) = tokio::join!(database, redis);
    let status = if database == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({ "database": database, "redis": redis })),
    )
}
