//! Reading a GraphQL request off HTTP, as GraphQL-over-HTTP shapes it: the POST body
//! (bounded in size and in time) or the GET query string, into async-graphql requests,
//! and the checks that need the parsed operation (its type, for batches and GET).

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, Request};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};

use super::super::AppState;
use super::refusal::{Refusal, bad_request};
use crate::error_code::ErrorCode;
use crate::graphql::persisted::{Persisted, Refused};

pub(super) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// The body, refused without reading when `Content-Length` is over the limit, cut off
/// at the limit otherwise (chunked bodies), and refused when it has not arrived in full
/// within the body read timeout (a client trickling it in holds a connection and a task).
pub(super) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    state: &AppState,
) -> Result<Bytes, Refusal> {
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

/// One operation as sent in a POST body. `query` may be left out only by a persisted
/// operation sent by its hash.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Operation {
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    extensions: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Operation {
    fn into_request(self) -> Result<Request, Refusal> {
        let by_hash = self
            .extensions
            .as_ref()
            .is_some_and(|e| e.contains_key("persistedQuery"));
        let query = match self.query {
            Some(query) => query,
            None if by_hash => String::new(),
            None => {
                return Err(bad_request(
                    "a GraphQL request needs a `query` (or extensions.persistedQuery)",
                ));
            }
        };
        let mut request = Request::new(query);
        if let Some(name) = self.operation_name {
            request = request.operation_name(name);
        }
        if let Some(variables) = self.variables {
            request = request.variables(async_graphql::Variables::from_json(
                serde_json::Value::Object(variables),
            ));
        }
        if let Some(extensions) = self.extensions {
            request.extensions = async_graphql::Extensions(
                extensions
                    .into_iter()
                    .filter_map(|(k, v)| async_graphql::Value::from_json(v).ok().map(|v| (k, v)))
                    .collect(),
            );
        }
        Ok(request)
    }
}

/// One operation as sent in a GET query string: `variables` and `extensions` are JSON
/// text. (async-graphql's own `parse_query_string` reads `operation_name`, not the
/// `operationName` that GraphQL-over-HTTP names, so it would run the wrong operation.)
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryParams {
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<String>,
    #[serde(default)]
    extensions: Option<String>,
}

/// `query=…&operationName=…&variables=…&extensions=…` as a request.
pub(super) fn parse_query_string(text: &str) -> Result<Request, Refusal> {
    let params: QueryParams = serde_urlencoded::from_str(text)
        .map_err(|e| bad_request(format!("the query string is not a GraphQL request: {e}")))?;
    Operation {
        query: params.query,
        operation_name: params.operation_name,
        variables: json_param(params.variables, "variables")?,
        extensions: json_param(params.extensions, "extensions")?,
    }
    .into_request()
}

/// A query-string parameter holding JSON text (`variables` and `extensions` hold an
/// object; `null` counts as absent).
fn json_param<T: serde::de::DeserializeOwned>(
    text: Option<String>,
    name: &str,
) -> Result<Option<T>, Refusal> {
    text.map(|t| serde_json::from_str::<Option<T>>(&t))
        .transpose()
        .map(Option::flatten)
        .map_err(|e| bad_request(format!("`{name}` is not a JSON object: {e}")))
}

/// A JSON object with a string `query`, or a non-empty array of them, read in one pass.
pub(super) fn parse_body(bytes: &[u8]) -> Result<BatchRequest, Refusal> {
    let not_graphql = |e: serde_json::Error| {
        bad_request(format!(
            "the body is not a GraphQL request (a JSON object with a string \"query\", or an array of them): {e}"
        ))
    };
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'[') => {
            let operations: Vec<Operation> = serde_json::from_slice(bytes).map_err(not_graphql)?;
            let requests = operations.into_iter().map(Operation::into_request);
            Ok(BatchRequest::Batch(requests.collect::<Result<_, _>>()?))
        }
        Some(b'{') => {
            let operation: Operation = serde_json::from_slice(bytes).map_err(not_graphql)?;
            Ok(BatchRequest::Single(operation.into_request()?))
        }
        _ => Err(bad_request("the body is not a JSON object or array")),
    }
}

pub(super) fn check_batch_size(requests: &[Request], max: usize) -> Result<(), Refusal> {
    if requests.is_empty() || requests.len() > max {
        return Err(Refusal::new(
            ErrorCode::BatchTooLarge,
            format!("a batch holds 1 to {max} operations"),
        ));
    }
    Ok(())
}

pub(super) fn check_batch_operations(requests: &[Result<Request, Refused>]) -> Result<(), Refusal> {
    if requests
        .iter()
        .flatten()
        .any(|r| operation_type(r) == Some(OperationType::Mutation))
    {
        return Err(Refusal::new(
            ErrorCode::BatchedMutation,
            "mutations cannot be batched; send each in its own request",
        ));
    }
    Ok(())
}

/// The persisted document a request runs, if it is one.
pub(super) fn persisted(request: &Request) -> Option<&Persisted> {
    request
        .data
        .get(&std::any::TypeId::of::<Persisted>())
        .and_then(|d| d.downcast_ref::<Persisted>())
}

/// The type of the operation a request would run, when the query parses (one nested
/// too deep to parse safely is refused when it runs). A persisted document parsed
/// before is not parsed again.
pub(super) fn operation_type(request: &Request) -> Option<OperationType> {
    let wanted = request.operation_name.as_deref();
    if let Some(document) = persisted(request).and_then(|p| p.0.document()) {
        return operation_in(document, wanted);
    }
    let document = crate::graphql::parse_document(&request.query).ok()?;
    operation_in(&document, wanted)
}

fn operation_in(
    document: &async_graphql::parser::types::ExecutableDocument,
    wanted: Option<&str>,
) -> Option<OperationType> {
    document
        .operations
        .iter()
        .find(|(name, _)| wanted.is_none() || name.map(|n| n.as_str()) == wanted)
        .map(|(_, op)| op.node.ty)
}
