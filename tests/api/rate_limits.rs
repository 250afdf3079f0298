//! Rate limits: per user for votes and polls, per address for sign-up and sign-in, and
//! for wrong passwords growing waits per (account, address) under a ceiling per account;
//! counted per operation. Each test runs with the in-process limiter (SQLite, no Redis)
//! and with the Redis one (PostgreSQL + Redis).

use std::time::Duration;

use serde_json::{Value, json};
use tally::config::Config;

use crate::helpers::{TestApp, error_code, option_ids};
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
    // These tests check the buckets' arithmetic, not the Redis budget: on a loaded
    // machine a call past the 250 ms default fails open (votes) and would be let
    // through unchecked.
    config.redis.request_budget_ms = 5_000;
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

/// A sign-in policy small enough to walk through: two free failures per address, then
/// waits of 1 s, 2 s, 2 s…; an account takes 4 counted failures. Addresses come from
/// `X-Forwarded-For`, so one test can speak from several.
fn sign_in_policy(config: &mut Config) {
    config.http.trust_forwarded_for = true;
    let limits = &mut config.rate_limits;
    limits.enabled = true;
    limits.login_per_minute = 600;
    limits.login_burst = 100;
    limits.login_free_failures = 2;
    limits.login_first_delay_secs = 1;
    limits.login_max_delay_secs = 2;
    limits.login_address_memory_secs = 3600;
    limits.max_failed_logins = 4;
    limits.failed_login_window_secs = 60;
}

/// A sign-in from `address`.
async fn login_from(app: &TestApp, address: &str, username: &str, password: &str) -> Answer {
    let body: Value = app
        .http()
        .post(format!("{}/graphql", app.address))
        .header("x-forwarded-for", address)
        .json(&json!({ "query": LOGIN, "variables": { "u": username, "p": password } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    if body["data"]["login"]["token"].is_string() {
        return (None, None);
    }
    let code = error_code(&body).map(str::to_owned);
    assert!(code.is_some(), "{body}");
    (
        code,
        body["errors"][0]["extensions"]["retryAfterSeconds"].as_u64(),
    )
}

/// Lets `seconds` pass for the limiter: the app's clock in process; real time with Redis,
/// whose own clock times the waits (so that instances agree).
async fn let_pass(app: &TestApp, redis: bool, seconds: u64) {
    if redis {
        tokio::time::sleep(Duration::from_millis(seconds * 1000 + 100)).await;
    } else {
        app.clock.advance(Duration::from_secs(seconds));
    }
}

const RIGHT: &str = "correct horse battery";
const WRONG: &str = "wrong password";
/// What a sign-in answered: its error code (`None` for a session) and the suggested wait.
type Answer = (Option<String>, Option<u64>);

const SIGNED_IN: Answer = (None, None);

fn invalid() -> Answer {
    (Some("INVALID_CREDENTIALS".to_owned()), None)
}

fn waits(seconds: u64) -> Answer {
    (Some("RATE_LIMITED".to_owned()), Some(seconds))
}

in_process_and_redis! {
    configure = sign_in_policy;

    async fn one_address_guessing_gets_growing_waits_and_never_locks_the_owner_out(app: TestApp, redis: bool) {
        app.register("owner").await;
        let attacker = "203.0.113.7";
        let guess = async || login_from(&app, attacker, "owner", WRONG).await;
        // Two free guesses; then each guess makes the next one wait twice as long.
        assert_eq!(guess().await, invalid(), "redis: {redis}");
        assert_eq!(guess().await, invalid());
        assert_eq!(guess().await, invalid());
        assert_eq!(guess().await, waits(1));
        let_pass(&app, redis, 1).await;
        assert_eq!(guess().await, invalid());
        assert_eq!(guess().await, waits(2));
        let_pass(&app, redis, 2).await;
        // Five wrong passwords now, over the account's ceiling of four; the wait is capped.
        assert_eq!(guess().await, invalid());
        assert_eq!(guess().await, waits(2));
        // The right password waits too: the wait is the address's, whatever it sends.
        assert_eq!(login_from(&app, attacker, "owner", RIGHT).await, waits(2));
        // The owner, signing in from elsewhere, is not held up at all.
        assert_eq!(login_from(&app, "198.51.100.20", "OWNER", RIGHT).await, SIGNED_IN);
    }

    async fn a_success_from_an_address_clears_its_waits(app: TestApp, redis: bool) {
        app.register("forgetful").await;
        let home = "198.51.100.20";
        for _ in 0..3 {
            assert_eq!(login_from(&app, home, "forgetful", WRONG).await, invalid(), "redis: {redis}");
        }
        assert_eq!(login_from(&app, home, "forgetful", RIGHT).await, waits(1));
        let_pass(&app, redis, 1).await;
        assert_eq!(login_from(&app, home, "forgetful", RIGHT).await, SIGNED_IN);
        // A clean slate: two free failures again, then the first wait.
        for _ in 0..3 {
            assert_eq!(login_from(&app, home, "forgetful", WRONG).await, invalid());
        }
        assert_eq!(login_from(&app, home, "forgetful", WRONG).await, waits(1));
    }

    async fn guesses_from_many_addresses_reach_the_accounts_ceiling(app: TestApp, redis: bool) {
        app.register("target").await;
        app.register("bystander").await;
        // Each address's free failures count towards the account: two addresses, four.
        for address in ["203.0.113.1", "203.0.113.2"] {
            for _ in 0..2 {
                assert_eq!(login_from(&app, address, "target", WRONG).await, invalid(), "redis: {redis}");
            }
        }
        // Now the account refuses everyone for a while, even the right password from an
        // address that never failed.
        let (code, wait) = login_from(&app, "198.51.100.20", "target", RIGHT).await;
        assert_eq!(code.as_deref(), Some("RATE_LIMITED"));
        assert!((1..=60).contains(&wait.unwrap()), "{wait:?}");
        // Other accounts are not affected, even from a guessing address.
        assert_eq!(login_from(&app, "203.0.113.1", "bystander", RIGHT).await, SIGNED_IN);
        if !redis {
            // The count is forgotten a window after the last counted failure.
            app.clock.advance(Duration::from_secs(61));
            assert_eq!(login_from(&app, "198.51.100.20", "target", RIGHT).await, SIGNED_IN);
        }
    }
}
