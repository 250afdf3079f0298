//! A dead Redis costs speed, not votes: with Redis killed in the middle of a run, votes
//! keep being recorded and results read from the database; when it returns, the live
//! tallies are rebuilt.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{Backend, TestApp, TestUser, error_code, option_ids, use_redis};
use crate::redis_support::{TestRedis, command};

async fn total(app: &TestApp, poll: &str) -> serde_json::Value {
    app.results(None, poll).await["data"]["poll"]["results"]["totalVotes"].clone()
}

async fn ready(app: &TestApp) -> u16 {
    app.http()
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

async fn vote_all(app: &TestApp, voters: &[TestUser], poll: &str, option: &str) {
    for voter in voters {
        let body = app.cast_vote(voter, poll, &[option], "k").await;
        assert_eq!(body["data"]["castVote"]["replayed"], false, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_survive_redis_going_away_and_counters_are_rebuilt_when_it_returns() {
    let mut redis = TestRedis::start();
    let url = redis.url();
    let app = TestApp::spawn_with(Backend::Postgres, |c| {
        use_redis(c, url);
        c.rate_limits.enabled = true;
    })
    .await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    let voters = app.register_many("voter", 15).await;

    vote_all(&app, &voters[..5], id, &options[0]).await;
    assert_eq!(total(&app, id).await, 5);

    redis.stop();
    vote_all(&app, &voters[5..10], id, &options[1]).await;
    assert_eq!(total(&app, id).await, 10, "results come from the database");
    // A retry is still recognised, by the database this time.
    let replay = app.cast_vote(&voters[0], id, &[&options[0]], "k").await;
    assert_eq!(replay["data"]["castVote"]["replayed"], true, "{replay}");
    assert_eq!(ready(&app).await, 503);
    // Sign-in fails closed without its limiter; votes failed open.
    let login = app
        .graphql(None, "mutation { login(input: {username: \"owner\", password: \"correct horse battery\"}) { token } }", json!({}))
        .await;
    assert_eq!(error_code(&login), Some("RATE_LIMITED"));
    assert!(counter_of(&app) > 0);

    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    while ready(&app).await != 200 {
        assert!(
            Instant::now() < deadline,
            "the app did not reconnect to Redis"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    vote_all(&app, &voters[10..], id, &options[2]).await;
    assert_eq!(total(&app, id).await, 15);
    // The restarted Redis holds the rebuilt tally, at the database's version.
    let key = format!("{}:{{{id}}}:tally", app.config.redis.key_prefix);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match command(&redis.address, &["GET", &key]) {
            Ok(kept) if kept.starts_with("15|15|") => break,
            other => assert!(
                Instant::now() < deadline,
                "tally not rebuilt in Redis: {other:?}"
            ),
        }
        total(&app, id).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.count_rows("votes").await, 15);
}

fn counter_of(app: &TestApp) -> u64 {
    crate::helpers::counter(&app.metrics.app.redis_errors)
}
