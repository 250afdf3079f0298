//! Limits a client can see: `RateLimit-Policy` / `RateLimit` headers on GraphQL answers,
//! `Retry-After` on `RATE_LIMITED`, and each operation's cost in `extensions.cost`.
//! Rate-limit tests run with the in-process limiter and with the Redis one.

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tally::config::Config;

use crate::helpers::{Backend, CAST_VOTE, TestApp, TestUser, error_code, option_ids};
use crate::in_process_and_redis;

/// Votes: a burst of 3, then one a minute (an interval of 60 s).
fn tight(config: &mut Config) {
    let limits = &mut config.rate_limits;
    limits.enabled = true;
    limits.vote_per_minute = 1;
    limits.vote_burst = 3;
}

async fn vote(app: &TestApp, voter: &TestUser, poll: &Value, key: &str) -> (HeaderMap, Value) {
    let response = app
        .http()
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&voter.token)
        .json(&json!({
            "query": CAST_VOTE,
            "variables": { "input": {
                "pollId": poll["id"], "optionIds": [option_ids(poll)[0]], "idempotencyKey": key
            } },
        }))
        .send()
        .await
        .unwrap();
    let headers = response.headers().clone();
    (headers, response.json().await.unwrap())
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The headers of an anonymous `{ __typename }`.
async fn plain_query_headers(app: &TestApp) -> HeaderMap {
    app.http()
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap()
        .headers()
        .clone()
}

in_process_and_redis! {
    configure = tight;

    async fn each_vote_says_how_many_calls_are_left_and_a_refusal_when_to_retry(app: TestApp, redis: bool) {
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let mut polls = Vec::new();
        for _ in 0..4 {
            polls.push(app.create_poll(&owner, json!({})).await);
        }
        for (i, left) in [2, 1, 0].into_iter().enumerate() {
            let (response, body) = vote(&app, &voter, &polls[i], &format!("k{i}")).await;
            assert!(body["data"]["castVote"].is_object(), "{body}");
            // A burst of 3 refilled one a minute: all 3 back after 3 minutes.
            assert_eq!(header(&response, "ratelimit-policy"), Some("\"vote\";q=3;w=180"), "redis: {redis}");
            let state = header(&response, "ratelimit").unwrap();
            let (r, t) = parse_state(state, "vote");
            assert_eq!(r, left, "{state} (redis: {redis})");
            // Each call puts the bucket another minute from full.
            let full_in = 60 * (3 - left as u64);
            assert!((full_in - 2..=full_in).contains(&t), "{state}: t should be about {full_in}");
            assert_eq!(header(&response, "retry-after"), None);
        }
        let (response, body) = vote(&app, &voter, &polls[3], "k3").await;
        assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
        let retry_after: u64 = header(&response, "retry-after").unwrap().parse().unwrap();
        assert_eq!(Some(retry_after), body["errors"][0]["extensions"]["retryAfterSeconds"].as_u64());
        assert!((55..=60).contains(&retry_after), "{retry_after}");
        let (r, _) = parse_state(header(&response, "ratelimit").unwrap(), "vote");
        assert_eq!(r, 0);
    }

    async fn a_request_that_takes_from_no_bucket_lists_every_policy(app: TestApp, redis: bool) {
        let response = plain_query_headers(&app).await;
        let policies = header(&response, "ratelimit-policy").unwrap();
        for bucket in ["vote", "create-poll", "register", "login", "guest-session"] {
            assert!(policies.contains(&format!("\"{bucket}\";q=")), "{policies} (redis: {redis})");
        }
        assert_eq!(header(&response, "ratelimit"), None);
    }
}

/// `r` and `t` of `bucket` in a `RateLimit` value.
fn parse_state(value: &str, bucket: &str) -> (u32, u64) {
    let item = value
        .split(',')
        .map(str::trim)
        .find(|item| item.starts_with(&format!("\"{bucket}\"")))
        .unwrap_or_else(|| panic!("no {bucket} in {value}"));
    let param = |name: &str| {
        item.split(';')
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {item}"))
            .to_owned()
    };
    (param("r").parse().unwrap(), param("t").parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_headers_are_absent_when_limits_are_off() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = plain_query_headers(&app).await;
    assert_eq!(header(&response, "ratelimit-policy"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_states_its_cost_against_the_limit() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.graphql.max_complexity = 50).await;
    let small = app
        .graphql(None, "{ __typename viewer { id } }", json!({}))
        .await;
    assert_eq!(
        small["extensions"]["cost"],
        json!({ "requested": 2, "limit": 50 }),
        "{small}"
    );
    // `first` multiplies a list's cost.
    let page = "{ polls(first: 10) { edges { node { id title } } } }";
    let body = app.graphql(None, page, json!({})).await;
    let requested = body["extensions"]["cost"]["requested"].as_u64().unwrap();
    assert!(requested > 10 && requested <= 50, "{body}");
    // Over the limit: refused, and the answer says by how much.
    let big = "{ polls(first: 100) { edges { node { id title } } } }";
    let body = app.graphql(None, big, json!({})).await;
    assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
    let cost = &body["extensions"]["cost"];
    assert!(cost["requested"].as_u64().unwrap() > 50, "{body}");
    assert_eq!(cost["limit"], 50);
    assert!(
        body.get("data").is_none(),
        "a refused request has no data: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_over_the_websocket_state_their_cost_too() {
    use crate::ws_support::{Received, WsClient};
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.graphql.max_complexity = 50).await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let mut client = WsClient::ready(&app, None).await;

    client
        .send(json!({
            "id": "q", "type": "subscribe",
            "payload": { "query": "{ __typename viewer { id } }" },
        }))
        .await;
    match client.receive().await {
        Received::Message(m) if m["type"] == "next" => assert_eq!(
            m["payload"]["extensions"]["cost"],
            json!({ "requested": 2, "limit": 50 }),
            "{m}"
        ),
        other => panic!("expected the query's answer, got {other:?}"),
    }

    client
        .subscribe_results("s", poll["id"].as_str().unwrap())
        .await;
    loop {
        match client.receive().await {
            Received::Message(m) if m["type"] == "next" && m["id"] == "s" => {
                let cost = &m["payload"]["extensions"]["cost"];
                assert!(cost["requested"].as_u64().unwrap() > 0, "{m}");
                assert_eq!(cost["limit"], 50, "{m}");
                break;
            }
            // The query's `complete`.
            Received::Message(m) if m["id"] == "q" => continue,
            other => panic!("expected a tally, got {other:?}"),
        }
    }
}
