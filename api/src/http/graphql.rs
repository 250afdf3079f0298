//! `POST /graphql` and `GET /graphql`, following GraphQL-over-HTTP.
//!
//! We read and check the request ourselves instead of using async-graphql-axum's
//! extractor, because the extractor reads bodies without a size limit and accepts
//! mutations over GET. What is refused here, before the engine runs:
//!
//! | problem | status | `extensions.code` |
//! |---|---|---|
//! | body over `TALLY_MAX_BODY_BYTES` | 413 | `PAYLOAD_TOO_LARGE` |
//! | body not in full within `TALLY_BODY_READ_TIMEOUT_MS` | 408 | `REQUEST_TIMEOUT` |
//! | POST without `Content-Type: application/json` | 415 | `UNSUPPORTED_MEDIA_TYPE` |
//! | malformed JSON or query string | 400 | `BAD_REQUEST` |
//! | more operations in a batch than `TALLY_GRAPHQL_MAX_BATCH` | 400 | `BATCH_TOO_LARGE` |
//! | a mutation inside a batch | 400 | `BATCHED_MUTATION` |
//! | a mutation over GET | 405 | `METHOD_NOT_ALLOWED` |
//! | execution longer than `TALLY_REQUEST_TIMEOUT_MS` | 200 | `TIMEOUT` |

use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, Request};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::auth::Viewer;
use crate::error_code::ErrorCode;
use crate::graphql::RequestMeta;

/// A request-level failure, answered in the GraphQL error shape.
pub struct Refusal {
    status: StatusCode,
    code: ErrorCode,
    message: String,
}

impl Refusal {
    /// A refusal with `code`, answered with the HTTP status the catalogue gives it
    /// ([`ErrorCode::http_status`]); 500 for a code that has none (`INTERNAL`, when the
    /// response itself could not be written).
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let status = code
            .http_status()
            .and_then(|status| StatusCode::from_u16(status).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Refusal {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "errors": [{ "message": self.message, "extensions": { "code": self.code.as_str() } }]
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        if self.status == StatusCode::REQUEST_TIMEOUT {
            // The rest of the body may still be on its way: this connection is done.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// `POST /graphql`: one operation or a batch (an array) of queries.
pub async fn post(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Refusal> {
    if !is_json(&headers) {
        return Err(Refusal::new(
            ErrorCode::UnsupportedMediaType,
            "send the request as Content-Type: application/json",
        ));
    }
    let bytes = read_body(&headers, body, &state).await?;
    let batch = parse_body(&bytes)?;
    if let BatchRequest::Batch(requests) = &batch {
        check_batch(requests, state.http.max_batch)?;
    }
    Ok(execute(&state, &headers, peer, batch).await)
}

/// `GET /graphql?query=…&variables=…&operationName=…`: queries only.
pub async fn get(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Refusal> {
    let request = parse_query_string(query.as_deref().unwrap_or_default())?;
    if operation_type(&request) == Some(OperationType::Mutation) {
        return Err(Refusal::new(
            ErrorCode::MethodNotAllowed,
            "mutations are sent with POST",
        ));
    }
    Ok(execute(&state, &headers, peer, BatchRequest::Single(request)).await)
}

async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
    batch: BatchRequest,
) -> Response {
    let viewer = state.confirm_viewer(state.viewer_from(headers)).await;
    let meta = RequestMeta {
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        client_ip: Some(client_ip(headers, peer, state.http.trust_forwarded_for)),
    };
    let batch = batch.data(viewer).data(meta);
    let response = match tokio::time::timeout(
        state.http.request_timeout,
        state.schema.execute_batch(batch),
    )
    .await
    {
        Ok(response) => response,
        Err(_) => {
            let mut error = async_graphql::ServerError::new("the request took too long", None);
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", ErrorCode::Timeout.as_str());
            BatchResponse::Single(async_graphql::Response::from_errors(vec![error]))
        }
    };
    json_response(&response)
}

/// The client's address: the first `X-Forwarded-For` entry when the proxy in front is
/// trusted to write it, the TCP peer otherwise.
fn client_ip(headers: &HeaderMap, peer: SocketAddr, trust_forwarded_for: bool) -> std::net::IpAddr {
    if trust_forwarded_for {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|first| first.trim().parse().ok());
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    peer.ip()
}

fn json_response(response: &BatchResponse) -> Response {
    match serde_json::to_vec(response) {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "serialising a GraphQL response");
            Refusal::new(ErrorCode::Internal, "internal error").into_response()
        }
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// The body, refused without reading when `Content-Length` is over the limit, cut off
/// at the limit otherwise (chunked bodies), and refused when it has not arrived in full
/// within the body read timeout (a client trickling it in holds a connection and a task).
async fn read_body(headers: &HeaderMap, body: Body, state: &AppState) -> Result<Bytes, Refusal> {
    let limit = state.http.max_body_bytes;
    let too_large = || {
        Refusal::new(
            ErrorCode::PayloadTooLarge,
            format!("the request body is over {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    let timeout = state.http.body_read_timeout;
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Ok(read) => read.map_err(|_| too_large()),
        Err(_) => {
            state
                .metrics
                .app
                .body_read_timeouts
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Err(Refusal::new(
                ErrorCode::RequestTimeout,
                format!(
                    "the request body did not arrive within {} ms",
                    timeout.as_millis()
                ),
            ))
        }
    }
}

fn bad_request(message: impl Into<String>) -> Refusal {
    Refusal::new(ErrorCode::BadRequest, message)
}

/// One operation as sent in a POST body.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Operation {
    query: String,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<serde_json::Value>,
    #[serde(default)]
    extensions: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Operation {
    fn into_request(self) -> Request {
        let mut request = Request::new(self.query);
        if let Some(name) = self.operation_name {
            request = request.operation_name(name);
        }
        if let Some(variables) = self.variables {
            request = request.variables(async_graphql::Variables::from_json(variables));
        }
        if let Some(extensions) = self.extensions {
            request.extensions = async_graphql::Extensions(
                extensions
                    .into_iter()
                    .filter_map(|(k, v)| async_graphql::Value::from_json(v).ok().map(|v| (k, v)))
                    .collect(),
            );
        }
        request
    }
}

/// One operation as sent in a GET query string: `variables` and `extensions` are JSON
/// text. (async-graphql's own `parse_query_string` reads `operation_name`, not the
/// `operationName` that GraphQL-over-HTTP names, so it would run the wrong operation.)
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryParams {
    #[serde(default)]
    query: String,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<String>,
    #[serde(default)]
    extensions: Option<String>,
}

/// `query=…&operationName=…&variables=…&extensions=…` as a request.
fn parse_query_string(text: &str) -> Result<Request, Refusal> {
    let params: QueryParams = serde_urlencoded::from_str(text)
        .map_err(|e| bad_request(format!("the query string is not a GraphQL request: {e}")))?;
    Ok(Operation {
        query: params.query,
        operation_name: params.operation_name,
        variables: json_param(params.variables, "variables")?,
        extensions: json_param(params.extensions, "extensions")?,
    }
    .into_request())
}

/// A query-string parameter holding JSON text.
fn json_param<T: serde::de::DeserializeOwned>(
    text: Option<String>,
    name: &str,
) -> Result<Option<T>, Refusal> {
    text.map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| bad_request(format!("`{name}` is not valid JSON: {e}")))
}

/// A JSON object with a string `query`, or a non-empty array of them, read in one pass.
fn parse_body(bytes: &[u8]) -> Result<BatchRequest, Refusal> {
    let not_graphql = |e: serde_json::Error| {
        bad_request(format!(
            "the body is not a GraphQL request (a JSON object with a string \"query\", or an array of them): {e}"
        ))
    };
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'[') => serde_json::from_slice::<Vec<Operation>>(bytes)
            .map(|ops| BatchRequest::Batch(ops.into_iter().map(Operation::into_request).collect()))
            .map_err(not_graphql),
        Some(b'{') => serde_json::from_slice::<Operation>(bytes)
            .map(|op| BatchRequest::Single(op.into_request()))
            .map_err(not_graphql),
        _ => Err(bad_request("the body is not a JSON object or array")),
    }
}

fn check_batch(requests: &[Request], max: usize) -> Result<(), Refusal> {
    if requests.is_empty() || requests.len() > max {
        return Err(Refusal::new(
            ErrorCode::BatchTooLarge,
            format!("a batch holds 1 to {max} operations"),
        ));
    }
    if requests
        .iter()
        .any(|r| operation_type(r) == Some(OperationType::Mutation))
    {
        return Err(Refusal::new(
            ErrorCode::BatchedMutation,
            "mutations cannot be batched; send each in its own request",
        ));
    }
    Ok(())
}

/// The type of the operation a request would run, when the query parses (one nested
/// too deep to parse safely is refused when it runs).
fn operation_type(request: &Request) -> Option<OperationType> {
    let document = crate::graphql::parse_document(&request.query).ok()?;
    let wanted = request.operation_name.as_deref();
    document
        .operations
        .iter()
        .find(|(name, _)| wanted.is_none() || name.map(|n| n.as_str()) == wanted)
        .map(|(_, op)| op.node.ty)
}

/// Helpers shared with the WebSocket endpoint.
impl AppState {
    /// Who the `Authorization` header says the caller is.
    pub fn viewer_from(&self, headers: &HeaderMap) -> Viewer {
        match headers.get(header::AUTHORIZATION) {
            None => Viewer::Anonymous,
            Some(value) => self.viewer_from_authorization(value.to_str().unwrap_or_default()),
        }
    }

    /// Who an `Authorization` value (`Bearer <token>`) says the caller is.
    pub fn viewer_from_authorization(&self, value: &str) -> Viewer {
        let Some(token) = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
        else {
            return Viewer::Invalid("use the Bearer authorization scheme");
        };
        match self.accounts.verify_token(token.trim()) {
            Ok(user) => Viewer::User(user),
            Err(why) => Viewer::Invalid(why),
        }
    }

    /// `viewer`, unless it is a user whose account no longer exists: then a refused
    /// token. Asked once per request (or WebSocket connection), before anything runs;
    /// answered from a short-lived cache, so the vote path rarely meets the database.
    pub async fn confirm_viewer(&self, viewer: Viewer) -> Viewer {
        match viewer {
            Viewer::User(id) if !self.accounts.exists(id).await => {
                Viewer::Invalid("the token's account no longer exists")
            }
            other => other,
        }
    }
}
