//! The latency histograms on `/metrics`: each vote batch stage, the tally lag seen by
//! subscribers, and GraphQL operations by type and persisted operation name (others as
//! `other`), scraped as Prometheus text.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, use_redis};
use crate::redis_support::shared_redis_url;
use crate::ws_support::WsClient;

/// The value of one series line (`name{labels} value`) on the metrics page.
fn series(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(line_start))
        .and_then(|rest| rest.trim().parse().ok())
}

fn stage_count(text: &str, stage: &str) -> f64 {
    series(
        text,
        &format!("tally_vote_batch_stage_seconds_count{{stage=\"{stage}\"}}"),
    )
    .unwrap_or_else(|| panic!("no count for stage {stage}:\n{text}"))
}

const VIEWER: &str = "query Viewer { viewer { id } }";

/// Runs `VIEWER` as a persisted operation (its text with its hash, so it is stored).
async fn persisted_viewer(app: &TestApp) {
    let hash = hex::encode(Sha256::digest(VIEWER.as_bytes()));
    let body: Value = app
        .http()
        .post(format!("{}/graphql", app.address))
        .json(&json!({
            "query": VIEWER,
            "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["errors"], Value::Null, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_fill_every_batch_stage_histogram_and_operations_are_timed_by_name() {
    let url = shared_redis_url();
    let app = TestApp::spawn_with(crate::helpers::Backend::Postgres, |c| use_redis(c, url)).await;
    let owner = app.register("stage_owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let poll_id = poll["id"].as_str().unwrap();
    let option = poll["options"][0]["id"].as_str().unwrap();
    let voters = app.register_many("stage_voter", 3).await;
    let mut subscriber = WsClient::ready(&app, Some(&owner.token)).await;
    subscriber.subscribe_results("r", poll_id).await;
    assert_eq!(subscriber.next_results("r").await["totalVotes"], 0);
    for (i, voter) in voters.iter().enumerate() {
        let body = app
            .cast_vote(voter, poll_id, &[option], &format!("k{i}"))
            .await;
        assert_eq!(body["errors"], Value::Null, "{body}");
    }
    // The subscriber got a tally through its feed: its age was measured.
    assert!(subscriber.next_results("r").await["totalVotes"].as_i64() >= Some(1));
    persisted_viewer(&app).await;
    persisted_viewer(&app).await;

    let text = app.metrics_text().await;
    assert!(text.contains("# TYPE tally_vote_batch_stage_seconds histogram"));
    // Every call waited in the queue once; every batch committed, then wrote tallies
    // and marks and published (at least one batch, at most one per vote).
    assert_eq!(stage_count(&text, "queue_wait"), 3.0, "{text}");
    let batches = stage_count(&text, "commit");
    assert!((1.0..=3.0).contains(&batches), "{text}");
    for stage in ["tallies", "marks", "publish"] {
        assert_eq!(stage_count(&text, stage), batches, "{stage}: {text}");
    }
    let inf = series(
        &text,
        "tally_vote_batch_stage_seconds_bucket{stage=\"commit\",le=\"+Inf\"}",
    );
    assert_eq!(inf, Some(batches));
    let lag = series(&text, "tally_live_lag_seconds_count").unwrap_or(0.0);
    assert!(lag >= 1.0, "{text}");

    // castVote was sent as an ad-hoc document: `other`; the persisted Viewer is named.
    let mutations = series(
        &text,
        "tally_graphql_operation_seconds_count{type=\"mutation\",operation=\"other\"}",
    )
    .unwrap_or(0.0);
    assert!(mutations >= 4.0, "createPoll and three castVote: {text}");
    let viewer = series(
        &text,
        "tally_graphql_operation_seconds_count{type=\"query\",operation=\"Viewer\"}",
    );
    assert_eq!(viewer, Some(2.0), "{text}");
    let sum = series(
        &text,
        "tally_graphql_operation_seconds_sum{type=\"query\",operation=\"Viewer\"}",
    )
    .unwrap();
    assert!(sum > 0.0 && sum < 10.0, "{sum}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ad_hoc_operation_name_does_not_become_a_label() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let body = app
        .graphql(
            None,
            "query AttackerChosenName { viewer { id } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"], Value::Null, "{body}");
    let text = app.metrics_text().await;
    assert!(!text.contains("AttackerChosenName"), "{text}");
    assert_eq!(
        series(
            &text,
            "tally_graphql_operation_seconds_count{type=\"query\",operation=\"other\"}"
        ),
        Some(1.0),
        "{text}"
    );
}
