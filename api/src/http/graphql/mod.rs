//! `POST /graphql` and `GET /graphql`, following GraphQL-over-HTTP.
//!
//! We read and check the request ourselves ([`request`]) instead of using
//! async-graphql-axum's extractor, because the extractor reads bodies without a size
//! limit and accepts mutations over GET; refusals are [`Refusal`]s. The answer's media type comes from `Accept` ([`super::media`]);
//! how a response is written, with which status, is [`super::answer`]. What is refused
//! here, before the engine runs:
//!
//! | problem | status | `extensions.code` |
//! |---|---|---|
//! | `Accept` names neither `application/graphql-response+json` nor `application/json` | 406 | `NOT_ACCEPTABLE` |
//! | body over `TALLY_MAX_BODY_BYTES` | 413 | `PAYLOAD_TOO_LARGE` |
//! | body not in full within `TALLY_BODY_READ_TIMEOUT_MS` | 408 | `REQUEST_TIMEOUT` |
//! | POST without `Content-Type: application/json` | 415 | `UNSUPPORTED_MEDIA_TYPE` |
//! | malformed JSON or query string, no `query`, `variables` or `extensions` not an object | 400 | `BAD_REQUEST` |
//! | more operations in a batch than `TALLY_GRAPHQL_MAX_BATCH` | 400 | `BATCH_TOO_LARGE` |
//! | a mutation inside a batch | 400 | `BATCHED_MUTATION` |
//! | a mutation over GET | 405 | `METHOD_NOT_ALLOWED` |
//! | execution longer than `TALLY_REQUEST_TIMEOUT_MS` | 200 | `TIMEOUT` |
//! | a persisted-operation hash this server does not know | 200 | `PERSISTED_QUERY_NOT_FOUND` |
//! | a malformed `extensions.persistedQuery`, a text that is not its hash's, a text in trusted mode | 400 | `PERSISTED_QUERY_INVALID`, `_HASH_MISMATCH`, `_NOT_ALLOWED` |
//!
//! None of these answers has a `data` key.
//!
//! Persisted operations ([`crate::graphql::persisted`]) are resolved to their text
//! before the batch and method checks, which then see the document that will run. In a
//! batch, an unknown hash gets `PERSISTED_QUERY_NOT_FOUND` in its place and the others
//! run; any other persisted-operation refusal refuses the whole batch.

mod refusal;
mod request;

use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, Request};
use axum::body::Body;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;

pub use refusal::Refusal;

use super::AppState;
use super::answer;
use crate::auth::Viewer;
use crate::error_code::ErrorCode;
use crate::graphql::RequestMeta;
use crate::graphql::persisted::Refused;
use crate::limits::usage;
use refusal::media_for;
use request::{
    check_batch_operations, check_batch_size, is_json, operation_type, parse_body,
    parse_query_string, persisted, read_body,
};

/// `POST /graphql`: one operation or a batch (an array) of queries.
pub async fn post(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Refusal> {
    let media = media_for(&headers)?;
    let operations = read_post(&state, &headers, body)
        .await
        .map_err(|refusal| refusal.in_media(media))?;
    let (response, seen) = execute(&state, &headers, peer, operations).await;
    let mut answer = answer::render(&response, media);
    state
        .rate_headers
        .apply(&seen, &response, answer.headers_mut());
    Ok(answer)
}

/// A POST's operation or batch, checked, its persisted operations resolved.
async fn read_post(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Operations, Refusal> {
    if !is_json(headers) {
        return Err(Refusal::new(
            ErrorCode::UnsupportedMediaType,
            "send the request as Content-Type: application/json",
        ));
    }
    let bytes = read_body(headers, body, state).await?;
    match parse_body(&bytes)? {
        BatchRequest::Single(request) => Ok(Operations::Single(Box::new(
            resolve(state, request).await.map_err(Refusal::persisted)?,
        ))),
        BatchRequest::Batch(requests) => {
            check_batch_size(&requests, state.http.max_batch)?;
            let resolving = requests.into_iter().map(|r| resolve(state, r));
            let resolved = futures::future::join_all(resolving).await;
            // A malformed persisted operation refuses the whole request, as malformed
            // JSON does; an unknown hash is answered in its place.
            if let Some(why) = resolved
                .iter()
                .filter_map(|r| r.as_ref().err())
                .find(|why| **why != Refused::NotFound)
            {
                return Err(Refusal::persisted(why.clone()));
            }
            check_batch_operations(&resolved)?;
            Ok(Operations::Batch(resolved))
        }
    }
}

/// `GET /graphql?query=…&variables=…&operationName=…`: queries only.
pub async fn get(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Refusal> {
    let media = media_for(&headers)?;
    let raw = query.as_deref().unwrap_or_default();
    let lookup = match state.read_cache.lookup(&headers, raw, media) {
        Ok(kept) => return Ok(kept),
        Err(lookup) => lookup,
    };
    let request = parse_query_string(raw).map_err(|refusal| refusal.in_media(media))?;
    let request = resolve(&state, request)
        .await
        .map_err(|why| Refusal::persisted(why).in_media(media))?;
    if operation_type(&request) == Some(OperationType::Mutation) {
        return Err(
            Refusal::new(ErrorCode::MethodNotAllowed, "mutations are sent with POST")
                .in_media(media),
        );
    }
    let operations = Operations::Single(Box::new(request));
    let (response, seen) = execute(&state, &headers, peer, operations).await;
    let rendered = answer::render_parts(&response, media);
    let mut extra = HeaderMap::new();
    state.rate_headers.apply(&seen, &response, &mut extra);
    let clean = matches!(&response, BatchResponse::Single(one) if one.errors.is_empty());
    Ok(match lookup {
        Some(lookup) if clean && rendered.status == axum::http::StatusCode::OK => state
            .read_cache
            .store(lookup, rendered.body, media.content_type(), extra),
        _ => with_headers(rendered.into_response(), extra),
    })
}

fn with_headers(mut answer: Response, extra: HeaderMap) -> Response {
    answer.headers_mut().extend(extra);
    answer
}

/// What a request asks to run, persisted operations resolved.
enum Operations {
    Single(Box<Request>),
    Batch(Vec<Result<Request, Refused>>),
}

/// The request with its persisted document's text (and the document, as request data,
/// for the engine to skip what it did before), or why it is refused.
async fn resolve(state: &AppState, mut request: Request) -> Result<Request, Refused> {
    if let Some(persisted) = state.persisted.resolve(&mut request).await? {
        request.data.insert(persisted);
    }
    Ok(request)
}

/// A refused persisted operation, answered in its place in a batch.
fn refused_in_batch(why: &Refused) -> async_graphql::Response {
    let mut error = async_graphql::ServerError::new(why.message(), None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", why.code().as_str());
    async_graphql::Response::from_errors(vec![error])
}

/// Runs `request` on the schema that fits it: documents that passed full validation
/// before (persisted, or the same text) skip it.
async fn run(state: &AppState, request: Request) -> async_graphql::Response {
    let known = match persisted(&request) {
        Some(p) => p.0.is_validated(),
        None => state.documents.is_validated(&request.query),
    };
    match known {
        true => state.known_schema.execute(request).await,
        false => state.schema.execute(request).await,
    }
}

/// Runs the operations for the caller `headers` name; returns the answer and what it
/// took from which rate-limit bucket.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
    operations: Operations,
) -> (BatchResponse, Vec<usage::Seen>) {
    let viewer = state.confirm_viewer(state.viewer_from(headers)).await;
    let meta = RequestMeta {
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        client_ip: Some(client_ip(headers, peer, state.http.trust_forwarded_for)),
    };
    let with_data = |request: Request| request.data(viewer.clone()).data(meta.clone());
    // Boxed so that the engine's large state is not copied into each layer's future.
    let running = Box::pin(async {
        match operations {
            Operations::Single(request) => {
                BatchResponse::Single(run(state, with_data(*request)).await)
            }
            Operations::Batch(requests) => {
                let runs = requests.into_iter().map(|resolved| async {
                    match resolved {
                        Ok(request) => run(state, with_data(request)).await,
                        Err(why) => refused_in_batch(&why),
                    }
                });
                BatchResponse::Batch(futures::future::join_all(runs).await)
            }
        }
    });
    let (outcome, seen) =
        usage::record(tokio::time::timeout(state.http.request_timeout, running)).await;
    let response = match outcome {
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
    (response, seen)
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
            Ok(subject) => Viewer::signed_in(subject),
            Err(why) => Viewer::Invalid(why),
        }
    }

    /// `viewer`, unless it is a user whose account no longer exists (or a guest whose
    /// ballots were claimed): then a refused token. Asked once per request (or
    /// WebSocket connection), before anything runs; answered from a short-lived cache,
    /// so the vote path rarely meets the database.
    pub async fn confirm_viewer(&self, viewer: Viewer) -> Viewer {
        match viewer {
            Viewer::User(id) if !self.accounts.exists(id).await => {
                Viewer::Invalid("the token's account no longer exists")
            }
            Viewer::Guest(id) if !self.accounts.exists(id).await => {
                Viewer::Invalid("this guest session ended (its votes were claimed)")
            }
            other => other,
        }
    }
}
