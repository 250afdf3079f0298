//! Liveness and readiness probes.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;

use super::AppState;

/// `GET /healthz`: the process is up and serving.
pub async fn live() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 when the database (and Redis, when configured) answer; 503,
/// saying which part is down, when not.
pub async fn ready(State(state): State<Arc<AppState>>) -> (StatusCode, Json<serde_json::Value>) {
    let database = match state.store.ping().await {
        Ok(()) => "ok",
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database unreachable");
            "unreachable"
        }
    };
    let redis = match &state.redis {
        None => "not configured",
        Some(redis) if redis.ping().await => "ok",
        Some(_) => "unreachable",
    };
    let ready = database == "ok" && redis != "unreachable";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({ "database": database, "redis": redis })),
    )
}
