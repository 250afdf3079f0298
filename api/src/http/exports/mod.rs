//! `GET /exports/polls/{pollId}/ballots.csv|ballots.json|ballots.blt|results.csv|results.json`:
//! a poll's ballots and results as files, for its owner (`ballots.blt`: RANKED polls
//! only, the format ranked-ballot counting tools read).
//!
//! The caller signs in with `Authorization: Bearer <token>`, as on `/graphql`. Who may
//! export what is [`ExportService`](crate::service::ExportService)'s rule; this module
//! turns its answers into HTTP. A refusal is JSON, `{"error": {"code", "message"}}`, with
//! the status of its code:
//!
//! | status | code |
//! |---|---|
//! | 401 | `UNAUTHENTICATED` (no token, or a refused one) |
//! | 403 | `FORBIDDEN` (not the poll's owner) |
//! | 400 | `BAD_USER_INPUT` (`ballots.blt` of a poll that is not RANKED) |
//! | 404 | `NOT_FOUND` (no such poll, or not a poll id) |
//! | 409 | `RESULTS_HIDDEN` (the results are not shown to the owner yet) |
//! | 429 | `RATE_LIMITED` (the user's `export` bucket), with `Retry-After` |
//! | 429 | `TOO_MANY_EXPORTS` (the instance streams its most exports at once), with `Retry-After` |
//!
//! Ballot files stream a page of ballots at a time ([`csv`], [`json`]); a failure after
//! the first byte ends the response without its final chunk, so a client sees a broken
//! download rather than a short file that looks whole.

mod csv;
mod json;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::{Stream, StreamExt};
use uuid::Uuid;

use super::AppState;
use crate::error::{AppError, AppResult};

/// The wait a `TOO_MANY_EXPORTS` answer suggests, in seconds.
const BUSY_RETRY_AFTER_SECS: u64 = 5;

/// The export routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/exports/polls/{poll_id}/ballots.csv",
            get(|s, h, p| export(s, h, p, File::BallotsCsv)),
        )
        .route(
            "/exports/polls/{poll_id}/ballots.json",
            get(|s, h, p| export(s, h, p, File::BallotsJson)),
        )
        .route(
            "/exports/polls/{poll_id}/ballots.blt",
            get(|s, h, p| export(s, h, p, File::BallotsBlt)),
        )
        .route(
            "/exports/polls/{poll_id}/results.csv",
            get(|s, h, p| export(s, h, p, File::ResultsCsv)),
        )
        .route(
            "/exports/polls/{poll_id}/results.json",
            get(|s, h, p| export(s, h, p, File::ResultsJson)),
        )
}

/// Which file is asked for.
#[derive(Debug, Clone, Copy)]
enum File {
    BallotsCsv,
    BallotsJson,
    /// RANKED polls only: counts per distinct ranking, not one line per ballot.
    BallotsBlt,
    ResultsCsv,
    ResultsJson,
}

impl File {
    fn name(self) -> &'static str {
        match self {
            File::BallotsCsv => "ballots.csv",
            File::BallotsJson => "ballots.json",
            File::BallotsBlt => "ballots.blt",
            File::ResultsCsv => "results.csv",
            File::ResultsJson => "results.json",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            File::BallotsCsv | File::ResultsCsv => "text/csv; charset=utf-8",
            File::BallotsBlt => "text/plain; charset=utf-8",
            File::BallotsJson | File::ResultsJson => "application/json",
        }
    }
}

async fn export(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(poll_id): Path<String>,
    file: File,
) -> Result<Response, Refusal> {
    let viewer = state.confirm_viewer(state.viewer_from(&headers)).await;
    let viewer = viewer.require()?;
    let poll_id = Uuid::parse_str(&poll_id).map_err(|_| AppError::NotFound("poll"))?;
    let exports = &state.exports;
    let poll = exports.authorize(viewer, poll_id).await?;
    let with_voter = poll.with_voter();
    let body = match file {
        File::BallotsCsv => streamed(csv::ballots(with_voter, exports.ballots(poll)?)),
        File::BallotsJson => streamed(json::ballots(with_voter, exports.ballots(poll)?)),
        File::BallotsBlt => Body::from(exports.ballots_blt(&poll).await?),
        File::ResultsCsv => Body::from(csv::results(&exports.results(&poll).await?)),
        File::ResultsJson => Body::from(json::results(&exports.results(&poll).await?)?),
    };
    let disposition = format!("attachment; filename=\"poll-{poll_id}-{}\"", file.name());
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type()),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    // Ballots are the owner's private data: no shared cache keeps them.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A body written as the stream yields; an error ends it abruptly (logged once here).
fn streamed(pages: impl Stream<Item = AppResult<String>> + Send + 'static) -> Body {
    Body::from_stream(pages.map(|page| {
        page.map_err(|error| {
            let code = error.code().as_str();
            match error {
                AppError::Internal(cause) => {
                    tracing::error!(error = ?cause, "export failed mid-stream")
                }
                other => tracing::warn!(code, message = %other.message(), "export ended early"),
            }
            std::io::Error::other("the export failed")
        })
    }))
}

/// An export refused before its first byte: JSON with the status of its code.
#[derive(Debug)]
pub struct Refusal(AppError);

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Refusal(error)
    }
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match &self.0 {
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::ResultsHidden(_) => StatusCode::CONFLICT,
            AppError::RateLimited { .. } | AppError::TooManyExports => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match &self.0 {
            AppError::RateLimited { retry_after } | AppError::Overloaded { retry_after } => {
                Some(retry_after.as_secs_f64().ceil().max(1.0) as u64)
            }
            AppError::TooManyExports => Some(BUSY_RETRY_AFTER_SECS),
            _ => None,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        if let AppError::Internal(cause) = &self.0 {
            tracing::error!(error = ?cause, "export failed");
        }
        let status = self.status();
        let body = serde_json::json!({
            "error": { "code": self.0.code().as_str(), "message": self.0.message() }
        });
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
