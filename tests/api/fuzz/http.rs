//! GraphQL over HTTP, fuzzed: generated requests sent as POST (JSON bodies, batches,
//! mangled and non-JSON bodies, every kind of content type) and as GET (query strings,
//! well-formed and not), signed in, anonymous or with refused tokens.
//!
//! Each answer must come within [`BUDGET`], never be 5xx, be JSON in the GraphQL
//! shape (an array for a batch answered 200), and carry only documented error codes
//! with the status the README gives them ([`super::contract`]).

use std::sync::Arc;
use std::time::Instant;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde_json::{Value, json};

use super::contract::check_response;
use super::documents::{Gen, GraphqlRequest, Kinds};
use super::values::{self, Pools};
use super::{BUDGET, Fuzz, mangle};

/// Cases per property in process (SQLite), and with Redis and PostgreSQL.
const CASES: u32 = 1000;
const CASES_WITH_REDIS: u32 = 200;

/// Longest query string sent: a URI holds at most 64 KiB (the `http` crate's limit,
/// and most servers'), so longer ones cannot be sent.
const MAX_QUERY_STRING: usize = 60_000;

/// Over HTTP, queries and mutations mostly; a subscription now and then (which HTTP
/// cannot run).
const KINDS: Kinds = Kinds {
    query: 6,
    mutation: 3,
    subscription: 1,
};

/// One HTTP request to `/graphql`.
#[derive(Debug, Clone)]
enum HttpCase {
    Post {
        content_type: Option<&'static str>,
        headers: Headers,
        body: Body,
    },
    Get {
        headers: Headers,
        query: String,
    },
}

/// Headers that vary from case to case.
#[derive(Debug, Clone)]
struct Headers {
    authorization: Option<String>,
    request_id: Option<&'static str>,
}

/// A POST body.
#[derive(Debug, Clone)]
enum Body {
    /// JSON: an operation, a batch, or something else.
    Json(Value),
    /// Bytes that may not be JSON at all.
    Bytes(Vec<u8>),
}

/// Content types besides `application/json`: its variants, which are accepted, and
/// others, which are refused (415), as is a missing one.
const CONTENT_TYPES: &[&str] = &[
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "application/graphql-response+json",
    "application/graphql",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "",
];

/// `x-request-id` values: plain ones, which are kept, and ones too long (over 128
/// characters), with spaces or other characters, which are replaced.
const REQUEST_IDS: &[&str] = &[
    "fuzz-1",
    "a.b_c-d",
    "has spaces",
    "x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x",
    "\u{e9}t\u{e9}",
    "'; DROP TABLE votes; --",
];

fn headers(pools: &Pools) -> impl Strategy<Value = Headers> + use<> {
    let (accepted, refused): (Vec<_>, Vec<_>) =
        pools.authorizations.iter().partition(|a| a.accepted);
    let values = |list: Vec<&super::values::Authorization>| -> Vec<String> {
        list.into_iter().map(|a| a.value.clone()).collect()
    };
    let authorization = prop_oneof![
        3 => Just(None),
        4 => select(values(accepted)).prop_map(Some),
        2 => select(values(refused)).prop_map(Some),
    ];
    let request_id = proptest::option::weighted(0.2, select(REQUEST_IDS));
    (authorization, request_id).prop_map(|(authorization, request_id)| Headers {
        authorization,
        request_id,
    })
}

/// A request as a JSON operation, now and then with a field missing or of the wrong
/// type (`variables` as JSON text, as some clients send it).
fn operation_json(request: GraphqlRequest, pools: &Pools) -> BoxedStrategy<Value> {
    let query = Value::from(request.query.clone());
    let query = prop_oneof![
        38 => Just(Some(query)),
        1 => Just(None),
        1 => values::wrong_json(pools).prop_map(Some),
    ];
    let vars = request.variables.clone();
    let variables = prop_oneof![
        16 => Just(Some(vars.clone())),
        1 => Just(None),
        1 => Just(Some(Value::from(vars.to_string()))),
    ];
    let name = request.operation_name.clone().map(Value::from);
    let operation_name = prop_oneof![19 => Just(name), 1 => Just(Some(json!(5)))];
    let extensions = proptest::option::weighted(
        0.05,
        prop_oneof![
            3 => Just(json!({ "persistedQuery": { "version": 1, "sha256Hash": "00" } })),
            1 => values::wrong_json(pools),
        ],
    );
    (query, variables, operation_name, extensions)
        .prop_map(|(query, variables, operation_name, extensions)| {
            let mut op = serde_json::Map::new();
            let fields = [
                ("query", query),
                ("variables", variables),
                ("operationName", operation_name),
                ("extensions", extensions),
            ];
            for (key, value) in fields {
                if let Some(value) = value {
                    op.insert(key.to_owned(), value);
                }
            }
            Value::Object(op)
        })
        .boxed()
}

/// A POST body: mostly one operation; batches (of queries, and of more than the
/// limit); JSON text cut or flipped; bytes; JSON of another shape.
fn body(docs: &Gen, pools: &Arc<Pools>) -> BoxedStrategy<Body> {
    let single = {
        let pools = pools.clone();
        docs.request(KINDS)
            .prop_flat_map(move |request| operation_json(request, &pools))
    };
    let query_only = Kinds {
        query: 9,
        mutation: 1,
        subscription: 0,
    };
    let batch = {
        let pools = pools.clone();
        prop::collection::vec(
            docs.request(query_only)
                .prop_flat_map(move |request| operation_json(request, &pools)),
            0..=12,
        )
        .prop_map(Value::from)
    };
    prop_oneof![
        12 => single.clone().prop_map(Body::Json),
        2 => batch.prop_map(Body::Json),
        1 => (single, mangle::edits()).prop_map(|(json, edits)| {
            Body::Bytes(mangle::apply(json.to_string().into_bytes(), &edits))
        }),
        1 => prop::collection::vec(any::<u8>(), 0..200).prop_map(Body::Bytes),
        1 => values::wrong_json(pools).prop_map(Body::Json),
    ]
    .boxed()
}

/// A GET query string: the request's fields form-encoded, or mangled, or odd.
fn get_query(docs: &Gen) -> BoxedStrategy<String> {
    let encoded = docs.request(KINDS).prop_map(|request| {
        let mut pairs = vec![("query".to_owned(), request.query)];
        if let Some(name) = request.operation_name {
            pairs.push(("operationName".into(), name));
        }
        if request.variables != json!({}) {
            pairs.push(("variables".into(), request.variables.to_string()));
        }
        let mut url = reqwest::Url::parse("http://x/").expect("a URL");
        url.query_pairs_mut().extend_pairs(pairs);
        url.query().unwrap_or_default().to_owned()
    });
    let odd = select(
        &[
            "",
            "query",
            "query=",
            "query=%ZZ",
            "query=%ff%fe",
            "query=%7B__typename%7D&query=%7B__typename%7D",
            "query=%7B__typename%7D&variables=%7B",
            "query=%7B__typename%7D&variables=%5B%5D",
            "query=%7B__typename%7D&extensions=nope",
            "query=%7B__typename%7D&operationName=",
            "&&==&",
            "operationName=A",
        ][..],
    )
    .prop_map(str::to_owned);
    prop_oneof![
        8 => encoded.clone(),
        2 => (encoded, mangle::edits()).prop_map(|(text, edits)| mangle::apply_to_text(&text, &edits)),
        1 => odd,
    ]
    .prop_map(|mut text| {
        let mut end = text.len().min(MAX_QUERY_STRING);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text
    })
    .boxed()
}

/// A request: POST (three in four) or GET.
fn http_case(docs: &Gen, pools: &Arc<Pools>) -> BoxedStrategy<HttpCase> {
    let content_type = prop_oneof![
        24 => Just(Some("application/json")),
        3 => select(CONTENT_TYPES).prop_map(Some),
        1 => Just(None),
    ];
    let post = (content_type, headers(pools), body(docs, pools)).prop_map(
        |(content_type, headers, body)| HttpCase::Post {
            content_type,
            headers,
            body,
        },
    );
    let get = (headers(pools), get_query(docs))
        .prop_map(|(headers, query)| HttpCase::Get { headers, query });
    prop_oneof![3 => post, 1 => get].boxed()
}

/// Sends `case` and checks the answer.
async fn send_and_check(fuzz: &Fuzz, case: HttpCase) -> Result<(), TestCaseError> {
    let app = &fuzz.app;
    let url = format!("{}/graphql", app.address);
    let client = app.http();
    let (request, headers, batch) = match &case {
        HttpCase::Post {
            content_type,
            headers,
            body,
        } => {
            let mut request = client.post(&url);
            if let Some(content_type) = content_type {
                request = request.header(CONTENT_TYPE, *content_type);
            }
            let (bytes, batch) = match body {
                Body::Json(json) => (json.to_string().into_bytes(), json.as_array().map(Vec::len)),
                Body::Bytes(bytes) => {
                    let parsed = serde_json::from_slice::<Value>(bytes).ok();
                    let batch = parsed.as_ref().and_then(Value::as_array).map(Vec::len);
                    (bytes.clone(), batch)
                }
            };
            (request.body(bytes), headers, batch)
        }
        HttpCase::Get { headers, query } => (client.get(format!("{url}?{query}")), headers, None),
    };
    let mut request = request.timeout(BUDGET * 3);
    // Values a header cannot hold (control characters) are left out.
    if let Some(value) = headers.authorization.as_deref()
        && let Ok(value) = HeaderValue::from_bytes(value.as_bytes())
    {
        request = request.header(AUTHORIZATION, value);
    }
    if let Some(id) = headers.request_id
        && let Ok(value) = HeaderValue::from_bytes(id.as_bytes())
    {
        request = request.header("x-request-id", value);
    }
    let started = Instant::now();
    let response = request.send().await.map_err(|e| {
        // reqwest says "error sending request" for every failure; the cause is below it.
        let mut why = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            why.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        TestCaseError::fail(format!(
            "no answer after {:?} (did the server die?): {why}",
            started.elapsed()
        ))
    })?;
    let status = response.status().as_u16();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| TestCaseError::fail(format!("the body broke off: {e}")))?;
    let took = started.elapsed();
    prop_assert!(took <= BUDGET, "answered in {took:?}, over the budget");
    prop_assert!(
        status < 500,
        "HTTP {status}: {}",
        String::from_utf8_lossy(&bytes)
    );
    let body: Value = serde_json::from_slice(&bytes).map_err(|e| {
        TestCaseError::fail(format!(
            "HTTP {status} with a body that is not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        ))
    })?;
    let method = if matches!(case, HttpCase::Get { .. }) {
        "GET"
    } else {
        "POST"
    };
    fuzz.note(format!("{method} {}", outcome(status, &body)));
    match (&body, batch) {
        (Value::Array(items), Some(sent)) if status == 200 => {
            prop_assert_eq!(items.len(), sent, "a batch answered with another length");
            for item in items {
                check_response(item, status)?;
            }
        }
        (body, _) => {
            check_response(body, status)?;
            if status != 200 {
                prop_assert!(
                    body["errors"].is_array(),
                    "HTTP {status} without errors: {body}"
                );
            }
        }
    }
    Ok(())
}

/// A case's outcome, for the run's summary: the status and the first error's code,
/// or `data` (the first item's, for a batch).
fn outcome(status: u16, body: &Value) -> String {
    let first = match body {
        Value::Array(items) => items.first().unwrap_or(&Value::Null),
        single => single,
    };
    match first["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => format!("{status} {code}"),
        None => format!("{status} data"),
    }
}

fn run(fuzz: &Fuzz, name: &str, cases: u32) {
    let docs = Gen::new(fuzz.world.pools.clone());
    let strategy = http_case(&docs, &fuzz.world.pools);
    fuzz.check(name, cases, strategy, |case| send_and_check(fuzz, case));
    fuzz.assert_still_serving();
}

#[test]
fn generated_http_requests_get_documented_answers_in_time() {
    let fuzz = Fuzz::start();
    run(&fuzz, "http", CASES);
}

#[test]
fn generated_http_requests_get_documented_answers_in_time_with_redis_and_postgres() {
    let fuzz = Fuzz::start_with_redis();
    run(&fuzz, "http with redis", CASES_WITH_REDIS);
}
