//! The fast path never refuses a voter who has no ballot: whatever order a stalled
//! Redis applies its writes in, and whatever old marks a Redis brings back from disk,
//! a voter whose ballot was retracted can vote again.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, TestUser, error_code, option_ids, use_redis};
use crate::redis_support::{TestRedis, command};

const RETRACT: &str =
    "mutation($input: RetractVoteInput!) { retractVote(input: $input) { retractedVote { id } } }";

async fn retract(app: &TestApp, user: &TestUser, poll: &str, key: &str) -> Value {
    app.graphql(
        Some(&user.token),
        RETRACT,
        json!({ "input": { "pollId": poll, "idempotencyKey": key } }),
    )
    .await
}

async fn my_vote(app: &TestApp, user: &TestUser, poll: &str) -> Value {
    let body = app
        .graphql(
            Some(&user.token),
            "query($id: ID!) { poll(id: $id) { myVote { id } } }",
            json!({ "id": poll }),
        )
        .await;
    body["data"]["poll"]["myVote"].clone()
}

fn recorded(body: &Value) -> bool {
    body["data"]["castVote"]["replayed"] == false
}

/// Waits until every connection of the app to Redis answers again; commands sent
/// before a PING on a connection have run once its PONG is back.
async fn redis_answers_the_app(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let body: Value = app
            .http()
            .get(format!("{}/readyz", app.address))
            .send()
            .await
            .expect("GET /readyz")
            .json()
            .await
            .expect("a JSON body");
        if body["redis"] == "ok" {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the app did not get back to Redis: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn app_on(redis: &TestRedis) -> TestApp {
    let url = redis.url();
    TestApp::spawn_with(Backend::Postgres, |c| use_redis(c, url)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voter_who_retracted_while_redis_stalled_can_vote_again() {
    let redis = TestRedis::start();
    let app = app_on(&redis).await;
    let owner = app.register("owner").await;
    let poll = app
        .create_poll(&owner, json!({ "allowVoteChange": true }))
        .await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    let voter = app.register("voter").await;

    for round in 0..3 {
        let cast = app
            .cast_vote(&voter, id, &[&options[0]], &format!("cast-{round}"))
            .await;
        assert!(recorded(&cast), "{cast}");
        // Redis stalls: the marks and tallies written after each commit wait in its
        // sockets, and run in some order once it thaws.
        redis.pause();
        let retracted = retract(&app, &voter, id, &format!("retract-{round}-a")).await;
        assert!(retracted["errors"].is_null(), "{retracted}");
        let again = app
            .cast_vote(&voter, id, &[&options[1]], &format!("again-{round}"))
            .await;
        assert!(recorded(&again), "{again}");
        let retracted = retract(&app, &voter, id, &format!("retract-{round}-b")).await;
        assert!(retracted["errors"].is_null(), "{retracted}");
        redis.resume();
        redis_answers_the_app(&app).await;

        assert_eq!(my_vote(&app, &voter, id).await, Value::Null);
        let next = app
            .cast_vote(&voter, id, &[&options[2]], &format!("next-{round}"))
            .await;
        assert!(recorded(&next), "round {round}: {next}");
        let retracted = retract(&app, &voter, id, &format!("retract-{round}-c")).await;
        assert!(retracted["errors"].is_null(), "{retracted}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_marks_from_a_redis_restored_from_disk_refuse_no_one() {
    let mut redis = TestRedis::start_persistent();
    let app = app_on(&redis).await;
    let owner = app.register("owner").await;
    let poll = app
        .create_poll(&owner, json!({ "allowVoteChange": true }))
        .await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    let voter = app.register("voter").await;

    let cast = app.cast_vote(&voter, id, &[&options[0]], "first").await;
    assert!(recorded(&cast), "{cast}");
    // The mark is in Redis (written before the answer) and in its append-only file.
    let mark = format!(
        "{}:{{{id}}}:voter:{}",
        app.config.redis.key_prefix, voter.id
    );
    assert!(
        command(&redis.address, &["GET", &mark]).is_ok(),
        "no mark kept"
    );
    let dir = redis.dir.clone().expect("a persistent Redis");
    let saved = dir.with_extension("before-retraction");
    copy_dir(&dir.join("appendonlydir"), &saved);

    let retracted = retract(&app, &voter, id, "retract").await;
    assert!(retracted["errors"].is_null(), "{retracted}");

    // Redis comes back from the copy taken before the retraction.
    redis.stop();
    std::fs::remove_dir_all(dir.join("appendonlydir")).expect("removing the file");
    copy_dir(&saved, &dir.join("appendonlydir"));
    redis.restart();
    assert!(
        command(&redis.address, &["GET", &mark]).is_ok(),
        "the old mark is back"
    );
    redis_answers_the_app(&app).await;

    let again = app.cast_vote(&voter, id, &[&options[1]], "second").await;
    assert!(recorded(&again), "{again}");
    // Its first key still replays its first answer, from the mark or the database.
    let replay = app.cast_vote(&voter, id, &[&options[0]], "first").await;
    assert_eq!(replay["data"]["castVote"]["replayed"], true, "{replay}");
    assert_eq!(
        replay["data"]["castVote"]["vote"]["id"],
        cast["data"]["castVote"]["vote"]["id"]
    );
    let _ = std::fs::remove_dir_all(&saved);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_ballots_are_permanent_the_mark_still_refuses_a_second_key() {
    let redis = TestRedis::start();
    let app = app_on(&redis).await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    let voter = app.register("voter").await;
    assert!(recorded(
        &app.cast_vote(&voter, id, &[&options[0]], "k1").await
    ));
    let answered = crate::helpers::counter(&app.metrics.app.fast_path_answers);
    let second = app.cast_vote(&voter, id, &[&options[1]], "k2").await;
    assert_eq!(error_code(&second), Some("ALREADY_VOTED"), "{second}");
    assert_eq!(
        crate::helpers::counter(&app.metrics.app.fast_path_answers),
        answered + 1,
        "answered from the mark"
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("creating the copy");
    for entry in std::fs::read_dir(from).expect("reading the directory") {
        let entry = entry.expect("an entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copying a file");
    }
}
