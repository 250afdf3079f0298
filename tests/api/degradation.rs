//! A dead Redis costs speed, not votes: with Redis killed in the middle of a run, votes
//! keep being recorded and results read from the database; when it returns, the live
//! tallies are rebuilt. A stalled Redis costs a few short waits, then none (the breaker
//! holds commands back); and neither makes the instance unready, while a database that
//! stops answering does, at once.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{Backend, TestApp, TestUser, error_code, option_ids, use_redis};
use crate::redis_support::{TestRedis, command};
use crate::tcp_proxy::TcpProxy;

async fn total(app: &TestApp, poll: &str) -> serde_json::Value {
    app.results(None, poll).await["data"]["poll"]["results"]["totalVotes"].clone()
}

async fn ready(app: &TestApp) -> u16 {
    readiness(app).await.0
}

/// `/readyz`: its status and body.
async fn readiness(app: &TestApp) -> (u16, serde_json::Value) {
    let response = app
        .http()
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .expect("GET /readyz");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
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
    // Redis is a cache: the instance stays ready, and says Redis is degraded.
    let (status, body) = readiness(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["redis"], "degraded", "{body}");
    // Sign-in fails closed without its limiter; votes failed open.
    let login = app
        .graphql(None, "mutation { login(input: {username: \"owner\", password: \"correct horse battery\"}) { token } }", json!({}))
        .await;
    assert_eq!(error_code(&login), Some("RATE_LIMITED"));
    assert!(counter_of(&app) > 0);

    redis.restart();
    let restarted = Instant::now();
    let deadline = restarted + Duration::from_secs(15);
    while readiness(&app).await.1["redis"] != "ok" {
        assert!(
            Instant::now() < deadline,
            "the app did not reconnect to Redis"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Figures quoted in docs/operations.md.
    eprintln!(
        "redis stopped: 5 of 5 votes recorded without it, {} Redis errors; redis back: ready with redis ok {:?} after restart",
        counter_of(&app),
        restarted.elapsed()
    );
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

/// Casts one vote per voter, one after another; each call's time.
async fn timed_votes(
    app: &TestApp,
    voters: &[TestUser],
    poll: &str,
    option: &str,
) -> Vec<Duration> {
    let mut times = Vec::with_capacity(voters.len());
    for voter in voters {
        let started = Instant::now();
        let body = app.cast_vote(voter, poll, &[option], "k").await;
        times.push(started.elapsed());
        assert_eq!(body["data"]["castVote"]["replayed"], false, "{body}");
    }
    times
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_redis_costs_a_few_waits_then_none_and_is_probed_back() {
    let redis = TestRedis::start();
    let url = redis.url();
    let app = TestApp::spawn_with(Backend::Postgres, |c| {
        use_redis(c, url);
        c.rate_limits.enabled = true;
        c.rate_limits.register_burst = 100;
    })
    .await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    let voters = app.register_many("voter", 30).await;
    timed_votes(&app, &voters[..5], id, &options[0]).await;

    // Redis freezes: connections stay open and nothing is answered, so every command
    // would cost its whole timeout (250 ms), several times per vote.
    redis.pause();
    let stalled = timed_votes(&app, &voters[5..25], id, &options[1]).await;
    // After the first few, votes do not wait for Redis at all.
    let settled = median(stalled[5..].to_vec());
    assert!(
        settled < Duration::from_millis(200),
        "votes during the stall took {settled:?} (median), as if they waited on Redis: {stalled:?}"
    );
    let trips = crate::helpers::counter(&app.metrics.app.redis_breaker_trips);
    assert!(trips >= 1, "the breaker opened");
    let skipped = crate::helpers::counter(&app.metrics.app.redis_skipped);
    assert!(skipped > 0, "commands were held back");
    let (status, body) = readiness(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["redis"], "degraded", "{body}");
    assert_eq!(total(&app, id).await, 25);

    // Redis comes back: a probe closes the breaker and the fast path answers again.
    redis.resume();
    let resumed = Instant::now();
    let deadline = resumed + Duration::from_secs(15);
    while readiness(&app).await.1["redis"] != "ok" {
        assert!(Instant::now() < deadline, "the breaker never closed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Figures quoted in docs/operations.md.
    eprintln!(
        "redis paused: first 5 votes {:?}; median of the next 15 {settled:?}; breaker trips {trips}, commands skipped {skipped}; redis resumed: breaker closed after {:?}",
        &stalled[..5],
        resumed.elapsed()
    );
    timed_votes(&app, &voters[25..], id, &options[2]).await;
    let answered = crate::helpers::counter(&app.metrics.app.fast_path_answers);
    let replay = app.cast_vote(&voters[29], id, &[&options[2]], "k").await;
    assert_eq!(replay["data"]["castVote"]["replayed"], true, "{replay}");
    assert_eq!(
        crate::helpers::counter(&app.metrics.app.fast_path_answers),
        answered + 1,
        "the replay came from the voter's mark in Redis"
    );
    assert_eq!(app.count_rows("votes").await, 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_whose_database_stops_answering_is_unready_within_a_second() {
    let db = crate::helpers::TestDb::create(Backend::Postgres).await;
    let upstream = host_and_port(&db.url);
    let proxy = TcpProxy::start(&upstream).await;
    let url = db.url.replacen(&upstream, &proxy.address, 1);
    let app = TestApp::spawn_on(Backend::Postgres, db, |c| c.database.url = Some(url)).await;
    assert_eq!(ready(&app).await, 200);

    proxy.freeze();
    let started = Instant::now();
    let (status, body) = readiness(&app).await;
    let took = started.elapsed();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["database"], "unreachable", "{body}");
    assert!(took < Duration::from_secs(1), "/readyz took {took:?}");

    proxy.thaw();
    let thawed = Instant::now();
    let deadline = thawed + Duration::from_secs(15);
    while ready(&app).await != 200 {
        assert!(Instant::now() < deadline, "never ready again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Figures quoted in docs/operations.md.
    eprintln!(
        "database frozen: /readyz answered 503 in {took:?}; database back: ready again after {:?}",
        thawed.elapsed()
    );
}

/// `host:port` of a `postgres://user@host:port/db?…` URL.
fn host_and_port(url: &str) -> String {
    let after_at = url.split_once('@').map_or(url, |(_, rest)| rest);
    after_at.split('/').next().unwrap_or(after_at).to_owned()
}
