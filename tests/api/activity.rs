//! The owner's activity chart: ballots cast, changed and retracted per minute, counted
//! from the audit log in the database; nobody else may read it, and a window is bounded.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, TestUser, error_code, option_ids};

const ACTIVITY: &str = "query($id: ID!, $interval: ActivityInterval, $since: DateTime, $until: DateTime) { poll(id: $id) { activity(interval: $interval, since: $since, until: $until) { since until intervalSeconds buckets { start cast changed retracted } } } }";
const CHANGE: &str =
    "mutation($input: ChangeVoteInput!) { changeVote(input: $input) { replayed } }";
const RETRACT: &str =
    "mutation($input: RetractVoteInput!) { retractVote(input: $input) { replayed } }";

async fn activity(app: &TestApp, user: Option<&TestUser>, poll: &str, args: Value) -> Value {
    let mut variables = json!({ "id": poll });
    if let (Some(vars), Some(extra)) = (variables.as_object_mut(), args.as_object()) {
        vars.extend(extra.clone());
    }
    app.graphql(user.map(|u| u.token.as_str()), ACTIVITY, variables)
        .await
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// Counts of one bucket: `[cast, changed, retracted]`.
fn counts(bucket: &Value) -> [i64; 3] {
    ["cast", "changed", "retracted"].map(|k| bucket[k].as_i64().unwrap())
}

both_backends! {
    async fn the_owner_sees_votes_changes_and_retractions_per_minute(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        app.clock.set(at("2026-12-07T10:00:20Z"));
        let owner = app.register("owner").await;
        let voters = app.register_many("voter", 4).await;
        let poll = app.create_poll(&owner, json!({ "allowVoteChange": true })).await;
        let poll_id = poll["id"].as_str().unwrap();
        let options = option_ids(&poll);

        // Minute 10:00: a burst of three ballots.
        for (i, voter) in voters[..3].iter().enumerate() {
            let body = app.cast_vote(voter, poll_id, &[&options[i % 2]], &format!("k{i}")).await;
            assert!(body["errors"].is_null(), "{body}");
        }
        // Minute 10:02: one more ballot, one change, one retraction.
        app.clock.advance(Duration::from_secs(125));
        let body = app.cast_vote(&voters[3], poll_id, &[&options[2]], "k3").await;
        assert!(body["errors"].is_null(), "{body}");
        let body = app.graphql(Some(&voters[0].token), CHANGE, json!({ "input": {
            "pollId": poll_id, "optionIds": [options[2]], "idempotencyKey": "c0" } })).await;
        assert!(body["errors"].is_null(), "{body}");
        let body = app.graphql(Some(&voters[1].token), RETRACT, json!({ "input": {
            "pollId": poll_id, "idempotencyKey": "r1" } })).await;
        assert!(body["errors"].is_null(), "{body}");

        let body = activity(&app, Some(&owner), poll_id, json!({})).await;
        let series = &body["data"]["poll"]["activity"];
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(series["intervalSeconds"], 60);
        assert_eq!(at(series["since"].as_str().unwrap()), at("2026-12-07T10:00:00Z"));
        assert_eq!(at(series["until"].as_str().unwrap()), at("2026-12-07T10:03:00Z"));
        let buckets = series["buckets"].as_array().unwrap();
        let starts: Vec<DateTime<Utc>> =
            buckets.iter().map(|b| at(b["start"].as_str().unwrap())).collect();
        assert_eq!(
            starts,
            ["10:00", "10:01", "10:02"].map(|m| at(&format!("2026-12-07T{m}:00Z")))
        );
        assert_eq!(buckets.iter().map(counts).collect::<Vec<_>>(),
            vec![[3, 0, 0], [0, 0, 0], [1, 1, 1]]);

        // An hourly view of the same window folds them into one bucket.
        let body = activity(&app, Some(&owner), poll_id, json!({ "interval": "HOUR" })).await;
        let buckets = body["data"]["poll"]["activity"]["buckets"].as_array().unwrap().clone();
        assert_eq!(buckets.iter().map(counts).collect::<Vec<_>>(), vec![[4, 1, 1]]);

        // An explicit window counts only its own minutes.
        let body = activity(&app, Some(&owner), poll_id, json!({
            "since": "2026-12-07T10:01:30Z", "until": "2026-12-07T10:02:59Z" })).await;
        let buckets = body["data"]["poll"]["activity"]["buckets"].as_array().unwrap().clone();
        assert_eq!(buckets.iter().map(counts).collect::<Vec<_>>(),
            vec![[0, 0, 0], [1, 1, 1]]);
    }

    async fn only_the_owner_may_read_a_polls_activity(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let other = app.register("other").await;
        let poll = app.create_poll(&owner, json!({})).await;
        let poll_id = poll["id"].as_str().unwrap();

        for user in [Some(&other), None] {
            let body = activity(&app, user, poll_id, json!({})).await;
            assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
            assert!(body["data"]["poll"]["activity"].is_null(), "{body}");
        }
    }

    async fn an_activity_window_past_the_bucket_limit_is_refused(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let poll = app.create_poll(&owner, json!({})).await;
        let poll_id = poll["id"].as_str().unwrap();

        // 1,441 minutes: one more than a day.
        let body = activity(&app, Some(&owner), poll_id, json!({
            "since": "2026-12-01T00:00:00Z", "until": "2026-12-02T00:00:00Z" })).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "since", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("1440"), "{body}");

        // Exactly a day of minutes is allowed, and so is the same day in hours.
        let body = activity(&app, Some(&owner), poll_id, json!({
            "since": "2026-12-01T00:00:00Z", "until": "2026-12-01T23:59:59Z" })).await;
        assert_eq!(body["data"]["poll"]["activity"]["buckets"].as_array().unwrap().len(), 1440, "{body}");
        let body = activity(&app, Some(&owner), poll_id, json!({ "interval": "HOUR",
            "since": "2026-12-01T00:00:00Z", "until": "2026-12-02T00:00:00Z" })).await;
        assert_eq!(body["data"]["poll"]["activity"]["buckets"].as_array().unwrap().len(), 25, "{body}");

        let body = activity(&app, Some(&owner), poll_id, json!({
            "since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z" })).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    }
}
