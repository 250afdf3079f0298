//! How `/graphql` refuses a request before the engine runs: a [`Refusal`] is an HTTP
//! status and one GraphQL error with its [`ErrorCode`], written in the media type the
//! client accepts, and never a `data` key.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::super::media::{self, Media};
use crate::error_code::ErrorCode;
use crate::graphql::persisted::Refused;

/// A request-level failure, answered in the GraphQL error shape.
pub struct Refusal {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    media: Media,
}

impl Refusal {
    /// A refusal with `code`, answered with the HTTP status the catalogue gives it
    /// ([`ErrorCode::http_status`]); 500 for a code that has none (`INTERNAL`, when the
    /// response itself could not be written).
    pub(super) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let status = code
            .http_status()
            .and_then(|status| StatusCode::from_u16(status).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Refusal {
            status,
            code,
            message: message.into(),
            media: Media::Json,
        }
    }

    /// A refused persisted operation, answered alone. Not found is not a failed HTTP
    /// request (200): Apollo clients read it from the GraphQL errors and send the text.
    pub(super) fn persisted(why: Refused) -> Self {
        let refusal = Refusal::new(why.code(), why.message());
        match why {
            Refused::NotFound => Refusal {
                status: StatusCode::OK,
                ..refusal
            },
            _ => refusal,
        }
    }

    /// The refusal, written in the media type the client asked for.
    pub(super) fn in_media(mut self, media: Media) -> Self {
        self.media = media;
        self
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "errors": [{ "message": self.message, "extensions": { "code": self.code.as_str() } }]
        });
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, self.media.content_type())],
            body.to_string(),
        )
            .into_response();
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        if matches!(
            self.status,
            StatusCode::REQUEST_TIMEOUT
                | StatusCode::PAYLOAD_TOO_LARGE
                | StatusCode::UNSUPPORTED_MEDIA_TYPE
                | StatusCode::NOT_ACCEPTABLE
        ) {
            // The body was not read (or not all of it arrived), so the server closes this
            // connection after answering; saying so keeps a client from sending its next
            // request on it (seen as "connection closed before message completed").
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// The media type to answer in, or 406 `NOT_ACCEPTABLE`.
pub(super) fn media_for(headers: &HeaderMap) -> Result<Media, Refusal> {
    media::negotiate(headers).ok_or_else(|| {
        Refusal::new(
            ErrorCode::NotAcceptable,
            "GraphQL answers in application/graphql-response+json or application/json; the Accept header allows neither",
        )
    })
}

pub(super) fn bad_request(message: impl Into<String>) -> Refusal {
    Refusal::new(ErrorCode::BadRequest, message)
}
