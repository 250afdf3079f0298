//! Rate limits: per user for votes and polls, per address for sign-up and sign-in, per
//! account for wrong passwords; counted per operation. Each test runs with the
//! in-process limiter (SQLite, no Redis) and with the Redis one (PostgreSQL + Redis).

use std::time::Duration;

use serde_json::{Value, json};
use tally::config::Config;

use crate::helpers::{error_code, option_ids};
use crate::in_process_and_redis;

/// Small limits, so tests reach them quickly.
fn tight(config: &mut Config) {
    let limits = &mut config.rate_limits;
    limits.enabled = true;
    limits.vote_per_minute = 1;
    limits.vote_burst = 3;
    limits.create_poll_per_minute = 1;
    limits.create_poll_burst = 6;
    limits.register_per_minute = 1;
    limits.register_burst = 8;
    limits.login_per_minute = 1;
    limits.login_burst = 6;
    limits.max_failed_logins = 3;
    limits.failed_login_window_secs = 60;
}

fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["extensions"]["code"].as_str().map(str::to_owned))
        .collect()
}

const LOGIN: &str =
    "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { token } }";

in_process_and_redis! {
    configure = tight;

    async fn each_aliased_vote_counts_against_the_voters_limit(app: TestApp, redis: bool) {
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let other = app.register("other").await;
        let mut polls = Vec::new();
        for _ in 0..5 {
            polls.push(app.create_poll(&owner, json!({})).await);
        }
        // One request, five castVote fields under aliases: the limit sees five calls.
        let fields: Vec<String> = polls
            .iter()
            .enumerate()
            .map(|(i, poll)| {
                format!(
                    "v{i}: castVote(input: {{pollId: \"{}\", optionIds: [\"{}\"], idempotencyKey: \"k{i}\"}}) {{ replayed }}",
                    poll["id"].as_str().unwrap(),
                    option_ids(poll)[0]
                )
            })
            .collect();
        let body = app
            .graphql(Some(&voter.token), &format!("mutation {{ {} }}", fields.join(" ")), json!({}))
            .await;
        let recorded = (0..5).filter(|i| body["data"][format!("v{i}")].is_object()).count();
        assert_eq!(recorded, 3, "{body}");
        assert_eq!(codes(&body), ["RATE_LIMITED", "RATE_LIMITED"]);
        let limited = body["errors"].as_array().unwrap().iter().find(|e| e["extensions"]["code"] == "RATE_LIMITED").unwrap();
        assert!(limited["extensions"]["retryAfterSeconds"].as_u64().unwrap() >= 1);
        // Another voter has a bucket of their own.
        let theirs = app.cast_vote(&other, polls[0]["id"].as_str().unwrap(), &[&option_ids(&polls[0])[0]], "k").await;
        assert!(theirs["data"]["castVote"].is_object(), "{theirs} (redis: {redis})");
        assert_eq!(app.count_rows("votes").await, 4);
    }

    async fn concurrent_calls_share_one_bucket(app: TestApp, redis: bool) {
        // Six votes at once, on six polls, from each of two voters: calls that reach
        // Redis together are taken in one script, one bucket after another, so each
        // voter still gets exactly their burst.
        let owner = app.register("owner").await;
        let voters = [app.register("voter").await, app.register("other").await];
        let burst = app.config.rate_limits.vote_burst as usize;
        let mut polls = Vec::new();
        for _ in 0..6 {
            polls.push(app.create_poll(&owner, json!({})).await);
        }
        let app = &app;
        let calls = voters.iter().flat_map(|voter| {
            polls.iter().enumerate().map(move |(i, poll)| async move {
                let option = option_ids(poll)[0].clone();
                (voter.username.clone(), app.cast_vote(voter, poll["id"].as_str().unwrap(), &[&option], &format!("k{i}")).await)
            })
        });
        let answers = futures::future::join_all(calls).await;
        for voter in &voters {
            let mine: Vec<_> = answers.iter().filter(|(who, _)| *who == voter.username).map(|(_, body)| body).collect();
            let recorded = mine.iter().filter(|b| b["data"]["castVote"].is_object()).count();
            let limited = mine.iter().filter(|b| error_code(b) == Some("RATE_LIMITED")).count();
            assert_eq!((recorded, limited), (burst, 6 - burst), "redis: {redis}");
        }
    }

    async fn sign_ins_are_limited_per_client_address(app: TestApp, redis: bool) {
        let user = app.register("walker").await;
        let mut answers = Vec::new();
        for _ in 0..7 {
            let body = app.graphql(None, LOGIN, json!({ "u": user.username, "p": "correct horse battery" })).await;
            answers.push(error_code(&body).map(str::to_owned));
        }
        assert!(answers[..6].iter().all(Option::is_none), "{answers:?} (redis: {redis})");
        assert_eq!(answers[6].as_deref(), Some("RATE_LIMITED"));
    }

    async fn sign_ups_are_limited_per_client_address(app: TestApp, redis: bool) {
        let mut answers = Vec::new();
        for i in 0..9 {
            let body = app
                .graphql(None, "mutation($u: String!) { register(input: {username: $u, password: \"long enough\"}) { token } }", json!({ "u": format!("signup{i}") }))
                .await;
            answers.push(error_code(&body).map(str::to_owned));
        }
        assert!(answers[..8].iter().all(Option::is_none), "{answers:?} (redis: {redis})");
        assert_eq!(answers[8].as_deref(), Some("RATE_LIMITED"));
        assert_eq!(app.count_rows("users").await, 8);
    }

    async fn an_account_refuses_sign_in_after_too_many_wrong_passwords(app: TestApp, redis: bool) {
        let victim = app.register("victim").await;
        let bystander = app.register("bystander").await;
        for _ in 0..3 {
            let body = app.graphql(None, LOGIN, json!({ "u": "victim", "p": "wrong password" })).await;
            assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"));
        }
        // Even the right password is refused now, with a time to come back.
        let locked = app.graphql(None, LOGIN, json!({ "u": "VICTIM", "p": "correct horse battery" })).await;
        assert_eq!(error_code(&locked), Some("RATE_LIMITED"), "{locked}");
        assert!(locked["errors"][0]["extensions"]["retryAfterSeconds"].as_u64().unwrap() >= 1);
        let other = app.graphql(None, LOGIN, json!({ "u": bystander.username, "p": "correct horse battery" })).await;
        assert_eq!(error_code(&other), None, "{other}");
        if !redis {
            // The count expires a window after the last failure (Redis times it itself).
            app.clock.advance(Duration::from_secs(61));
            let back = app.graphql(None, LOGIN, json!({ "u": "victim", "p": "correct horse battery" })).await;
            assert_eq!(error_code(&back), None, "{back}");
        }
        let _ = victim;
    }

    async fn poll_creation_is_limited_per_user(app: TestApp, redis: bool) {
        let owner = app.register("prolific").await;
        let create = "mutation { createPoll(input: {title: \"t\", options: [\"a\", \"b\"]}) { id } }";
        let mut answers = Vec::new();
        for _ in 0..7 {
            let body = app.graphql(Some(&owner.token), create, json!({})).await;
            answers.push(error_code(&body).map(str::to_owned));
        }
        assert!(answers[..6].iter().all(Option::is_none), "{answers:?} (redis: {redis})");
        assert_eq!(answers[6].as_deref(), Some("RATE_LIMITED"));
        assert_eq!(app.count_rows("polls").await, 6);
    }
}
