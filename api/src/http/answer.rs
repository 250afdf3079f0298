//! How a GraphQL response goes on the wire: its status, media type and body.
//!
//! GraphQL-over-HTTP tells two kinds of failure apart. A *request error* stops the
//! request before execution (the document does not parse or validate, a limit refuses
//! it, the variables do not fit, the operation is not in the document): its answer has
//! no `data` key at all, whatever the media type, and under
//! `application/graphql-response+json` its status is 400. A *field error* happens
//! during execution: `data` is there (maybe `null`) and the status stays 200. Under
//! `application/json` every GraphQL answer is 200, as clients written before the spec
//! expect.

use std::collections::BTreeMap;

use async_graphql::{BatchResponse, Response, ServerError};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use serde::Serialize;

use super::media::Media;
use crate::error_code::ErrorCode;

/// Whether `response` is a request error: no data, and only errors that no field raised
/// (a field's error has a path). `TIMEOUT` is not one: execution had started.
pub fn is_request_error(response: &Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response
            .errors
            .iter()
            .all(|e| e.path.is_empty() && code_of(e) != Some(ErrorCode::Timeout.as_str()))
}

fn code_of(error: &ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code),
        _ => None,
    }
}

/// One response as written: whole, or without `data` when it is a request error.
#[derive(Serialize)]
#[serde(untagged)]
enum Wire<'a> {
    Executed(&'a Response),
    Refused {
        errors: &'a [ServerError],
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        extensions: &'a BTreeMap<String, async_graphql::Value>,
    },
}

impl<'a> Wire<'a> {
    fn of(response: &'a Response) -> Self {
        if is_request_error(response) {
            Wire::Refused {
                errors: &response.errors,
                extensions: &response.extensions,
            }
        } else {
            Wire::Executed(response)
        }
    }
}

/// A GraphQL answer rendered: its status and JSON body, in its media type.
pub struct Rendered {
    /// 200, or 400 for a request error under `application/graphql-response+json`.
    pub status: StatusCode,
    /// The media type it is written in.
    pub media: Media,
    /// The JSON body.
    pub body: axum::body::Bytes,
}

impl Rendered {
    /// The HTTP answer.
    pub fn into_response(self) -> HttpResponse {
        (
            self.status,
            [(header::CONTENT_TYPE, self.media.content_type())],
            self.body,
        )
            .into_response()
    }
}

/// `response` rendered in `media`.
pub fn render_parts(response: &BatchResponse, media: Media) -> Rendered {
    let (status, body) = match response {
        BatchResponse::Single(one) => {
            let status = if media == Media::GraphqlResponse && is_request_error(one) {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            (status, serde_json::to_vec(&Wire::of(one)))
        }
        // A batch mixes outcomes; each entry says its own, under one 200.
        BatchResponse::Batch(many) => (
            StatusCode::OK,
            serde_json::to_vec(&many.iter().map(Wire::of).collect::<Vec<_>>()),
        ),
    };
    match body {
        Ok(body) => Rendered {
            status,
            media,
            body: body.into(),
        },
        Err(e) => {
            tracing::error!(error = %e, "serialising a GraphQL response");
            Rendered {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                media,
                body: axum::body::Bytes::from_static(
                    br#"{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}"#,
                ),
            }
        }
    }
}

/// The HTTP answer to `response` in `media`.
pub fn render(response: &BatchResponse, media: Media) -> HttpResponse {
    render_parts(response, media).into_response()
}
