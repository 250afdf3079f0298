//! OpenTelemetry traces: the real binary, with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at
//! an OTLP/HTTP collector stub this test runs (it decodes each protobuf
//! `ExportTraceServiceRequest`), exports a vote's trace — request, GraphQL operation,
//! the batch that committed it linked to the requests it answered, and the batch's SQL
//! and Redis spans.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use serde_json::json;

use crate::helpers::{Backend, CAST_VOTE, TEST_JWT_SECRET, TestDb};
use crate::process_support::{TallyProcess, graphql};
use crate::redis_support::TestRedis;

/// What the stub received: each span with its resource's `service.name`.
type Received = Arc<Mutex<Vec<(String, Span)>>>;

/// An OTLP/HTTP collector on a free port: `POST /v1/traces` with a protobuf body.
async fn collector() -> (String, Received) {
    let received: Received = Arc::default();
    let app = axum::Router::new()
        .route(
            "/v1/traces",
            axum::routing::post(|State(received): State<Received>, body: Bytes| async move {
                let request =
                    ExportTraceServiceRequest::decode(body).expect("an OTLP trace export");
                let mut kept = received.lock().unwrap();
                for resource_spans in request.resource_spans {
                    let service = resource_spans
                        .resource
                        .as_ref()
                        .and_then(|r| string_attribute(&r.attributes, "service.name"))
                        .unwrap_or_default();
                    for scope in resource_spans.scope_spans {
                        kept.extend(scope.spans.into_iter().map(|s| (service.clone(), s)));
                    }
                }
                // An empty ExportTraceServiceResponse.
                (
                    [(axum::http::header::CONTENT_TYPE, "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (address, received)
}

fn named<'a>(spans: &'a [Span], name: &'a str) -> impl Iterator<Item = &'a Span> {
    spans.iter().filter(move |s| s.name == name)
}

fn string_attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            AnyValue::StringValue(s) => Some(s.clone()),
            _ => None,
        }
    })
}

async fn register(client: &reqwest::Client, base: &str, name: &str) -> String {
    let body = graphql(
        client,
        base,
        None,
        "mutation($i: RegisterInput!) { register(input: $i) { token } }",
        json!({ "i": { "username": name, "password": "correct horse battery" } }),
    )
    .await;
    body["data"]["register"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("register failed: {body}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_is_traced_from_its_request_to_the_batch_that_links_it_and_its_sql_and_redis() {
    let (endpoint, received) = collector().await;
    let db = TestDb::create(Backend::Postgres).await;
    let redis = TestRedis::start();
    let data_dir =
        std::env::temp_dir().join(format!("tally-traces-{}", uuid::Uuid::new_v4().simple()));
    let mut tally = TallyProcess::start(&[
        ("TALLY_LISTEN", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", db.url.clone()),
        ("REDIS_URL", redis.url()),
        (
            "TALLY_REDIS_KEY_PREFIX",
            format!("t{}", uuid::Uuid::new_v4().simple()),
        ),
        ("TALLY_JWT_SECRET", TEST_JWT_SECRET.to_owned()),
        ("TALLY_RATE_LIMITS", "false".to_owned()),
        ("TALLY_DATA_DIR", data_dir.display().to_string()),
        ("TALLY_STATIC_DIR", "/nonexistent".to_owned()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_SERVICE_NAME", "tally-traces-test".to_owned()),
    ]);
    let (client, base) = (reqwest::Client::new(), tally.address.clone());
    let owner = register(&client, &base, "owner").await;
    let poll = graphql(
        &client,
        &base,
        Some(&owner),
        "mutation($i: CreatePollInput!) { createPoll(input: $i) { id options { id } } }",
        json!({ "i": { "title": "Traced?", "options": ["yes", "no"] } }),
    )
    .await;
    let poll_id = poll["data"]["createPoll"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let option = poll["data"]["createPoll"]["options"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut voters = Vec::new();
    for i in 0..6 {
        voters.push(register(&client, &base, &format!("voter{i}")).await);
    }
    // Concurrent votes, so batches may hold more than one.
    let votes = voters.iter().map(|token| {
        let variables =
            json!({ "input": { "pollId": poll_id, "optionIds": [option], "idempotencyKey": "k" } });
        graphql(&client, &base, Some(token), CAST_VOTE, variables)
    });
    for body in futures::future::join_all(votes).await {
        assert!(body["data"]["castVote"]["vote"]["id"].is_string(), "{body}");
    }

    // Stopping flushes the exporter: every span is sent before the process exits.
    tally.signal("TERM");
    let exit = tally.wait_exit(Duration::from_secs(20));
    assert!(
        exit.is_some_and(|s| s.success()),
        "tally did not stop cleanly: {exit:?}"
    );
    let spans = received.lock().unwrap().clone();
    assert!(
        !spans.is_empty(),
        "no span reached the collector; tally's log:\n{}",
        tally.log_text()
    );
    assert!(
        spans
            .iter()
            .all(|(service, _)| service == "tally-traces-test")
    );
    let spans: Vec<Span> = spans.into_iter().map(|(_, s)| s).collect();

    // Each castVote: a `graphql` span (typed) under its `request` span.
    let mutations: Vec<&Span> = named(&spans, "graphql")
        .filter(|s| {
            string_attribute(&s.attributes, "graphql.operation.type").as_deref() == Some("mutation")
        })
        .collect();
    assert!(
        mutations.len() >= 1 + 1 + 6 + 6,
        "register ×7, createPoll, castVote ×6: {} graphql mutation spans",
        mutations.len()
    );
    for span in &mutations {
        let parent = spans.iter().find(|p| p.span_id == span.parent_span_id);
        assert_eq!(
            parent.map(|p| p.name.as_str()),
            Some("request"),
            "a graphql span's parent is its request"
        );
    }

    // The batches: together they link all six castVote spans, each link to a graphql
    // span of the same trace as that request.
    let batches: Vec<&Span> = named(&spans, "vote batch").collect();
    assert!(
        !batches.is_empty(),
        "no vote batch span: {:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    let mut linked = 0;
    for batch in &batches {
        assert!(
            batch.parent_span_id.is_empty(),
            "a batch is no request's child"
        );
        for link in &batch.links {
            let target = mutations
                .iter()
                .find(|m| m.span_id == link.span_id)
                .expect("a batch links graphql mutation spans");
            assert_eq!(target.trace_id, link.trace_id);
            linked += 1;
        }
        // Its SQL transaction and its live-state writes (Redis here) are its children.
        for child in [
            "sql: vote batch transaction",
            "live: put tallies",
            "live: put voter marks",
            "bus: publish tallies",
        ] {
            assert!(
                named(&spans, child)
                    .any(|c| c.parent_span_id == batch.span_id && c.trace_id == batch.trace_id),
                "batch without a `{child}` child"
            );
        }
    }
    assert_eq!(
        linked, 6,
        "each castVote is linked by the batch that committed it"
    );
    let transaction = named(&spans, "sql: vote batch transaction").next().unwrap();
    assert_eq!(
        string_attribute(&transaction.attributes, "db.system").as_deref(),
        Some("postgresql")
    );
}
