//! The live state beside the database: the repeat-voter fast path, live tallies, and
//! their reconciliation. Each test runs in process and with Redis.

use std::time::{Duration, Instant};

use serde_json::json;
use tally::config::Config;

use crate::helpers::{TestApp, counter, option_ids};
use crate::in_process_and_redis;
use crate::redis_support::{address_of, command};

fn fast_reconcile(config: &mut Config) {
    config.redis.reconcile_interval_secs = 1;
}

in_process_and_redis! {
    configure = fast_reconcile;

    async fn a_repeat_voter_is_answered_without_the_database(app: TestApp, redis: bool) {
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = app.create_poll(&owner, json!({})).await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        let first = app.cast_vote(&voter, id, &[&options[0]], "key").await;
        let vote_id = first["data"]["castVote"]["vote"]["id"].clone();

        let statements = app.statements();
        let fast = counter(&app.metrics.app.fast_path_answers);
        let replay = app.cast_vote(&voter, id, &[&options[0]], "key").await;
        assert_eq!(replay["data"]["castVote"]["replayed"], true, "{replay} (redis: {redis})");
        assert_eq!(replay["data"]["castVote"]["vote"]["id"], vote_id);
        let again = app.cast_vote(&voter, id, &[&options[1]], "another key").await;
        assert_eq!(crate::helpers::error_code(&again), Some("ALREADY_VOTED"));
        let reused = app.cast_vote(&voter, id, &[&options[1]], "key").await;
        assert_eq!(crate::helpers::error_code(&reused), Some("IDEMPOTENCY_KEY_REUSED"));
        assert_eq!(counter(&app.metrics.app.fast_path_answers), fast + 3);
        // The replay's `vote { options poll }` fields load from the database; the
        // decisions themselves did not. Without the fast path each would add a batch.
        assert_eq!(counter(&app.metrics.writer.metrics().batches), 1);
        assert!(app.statements() - statements < 10);
    }

    async fn a_retracted_voter_may_vote_again_despite_the_fast_path(app: TestApp, redis: bool) {
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = app.create_poll(&owner, json!({ "allowVoteChange": true })).await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        app.cast_vote(&voter, id, &[&options[0]], "first").await;
        let retracted = app
            .graphql(Some(&voter.token), "mutation($p: ID!) { retractVote(input: {pollId: $p, idempotencyKey: \"r\"}) { replayed } }", json!({ "p": id }))
            .await;
        assert_eq!(retracted["data"]["retractVote"]["replayed"], false, "{retracted}");
        let again = app.cast_vote(&voter, id, &[&options[1]], "second").await;
        assert_eq!(again["data"]["castVote"]["replayed"], false, "{again} (redis: {redis})");
    }

    async fn repeat_voters_at_once_each_get_their_own_ballot_back(app: TestApp, redis: bool) {
        // Marks are written in one command per poll and read in groups: every replay
        // must still get its own voter's ballot, on two polls at once.
        let owner = app.register("owner").await;
        let polls = [app.create_poll(&owner, json!({})).await, app.create_poll(&owner, json!({})).await];
        let voters = app.register_many("voter", 30).await;
        let ballots: Vec<(String, String, String)> = (0..voters.len())
            .map(|i| {
                let poll = &polls[i % 2];
                (poll["id"].as_str().unwrap().to_owned(), option_ids(poll)[i % 3].clone(), format!("key{i}"))
            })
            .collect();
        let app = &app;
        let calls = || {
            voters.iter().zip(&ballots).map(|(voter, (poll, option, key))| async move {
                app.cast_vote(voter, poll, &[option], key).await
            })
        };
        let first: Vec<_> = futures::future::join_all(calls()).await;
        let fast = counter(&app.metrics.app.fast_path_answers);
        let replays: Vec<_> = futures::future::join_all(calls()).await;
        for (first, replay) in first.iter().zip(&replays) {
            assert_eq!(first["data"]["castVote"]["replayed"], false, "{first}");
            assert_eq!(replay["data"]["castVote"]["replayed"], true, "{replay} (redis: {redis})");
            assert_eq!(replay["data"]["castVote"]["vote"]["id"], first["data"]["castVote"]["vote"]["id"]);
        }
        assert_eq!(counter(&app.metrics.app.fast_path_answers), fast + 30);
    }

    async fn results_follow_every_vote_and_carry_a_growing_version(app: TestApp, redis: bool) {
        let owner = app.register("owner").await;
        let poll = app.create_poll(&owner, json!({})).await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        let mut last = -1;
        for (i, voter) in app.register_many("voter", 4).await.iter().enumerate() {
            app.cast_vote(voter, id, &[&options[i % 2]], "k").await;
            let results = app.results(None, id).await;
            let results = &results["data"]["poll"]["results"];
            assert_eq!(results["totalVotes"], i + 1, "read right after voting (redis: {redis})");
            let version = results["version"].as_i64().unwrap();
            assert!(version > last);
            last = version;
        }
    }
}

/// The live tally of a poll as kept in Redis.
fn kept_tally(app: &TestApp, poll: &str) -> Result<String, String> {
    let url = app.config.redis.url.clone().unwrap_or_default();
    let key = format!("{}:{{{poll}}}:tally", app.config.redis.key_prefix);
    command(&address_of(&url), &["GET", &key])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_live_tally_is_repaired_and_reported() {
    let url = crate::redis_support::shared_redis_url();
    let app = TestApp::spawn_with(crate::helpers::Backend::Postgres, |c| {
        fast_reconcile(c);
        crate::helpers::use_redis(c, url);
    })
    .await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    for voter in app.register_many("voter", 3).await {
        app.cast_vote(&voter, id, &[&options[0]], "k").await;
    }
    let right = kept_tally(&app, id).expect("the tally is kept in Redis");
    assert!(right.starts_with("3|3|"), "{right}");

    // Same version, wrong counts: as if a write had been lost or mangled.
    let mut parts: Vec<&str> = right.splitn(4, '|').collect();
    parts[1] = "99";
    let wrong = parts.join("|");
    let key = format!("{}:{{{id}}}:tally", app.config.redis.key_prefix);
    let address = address_of(app.config.redis.url.as_deref().unwrap_or_default());
    command(&address, &["SET", &key, &wrong]).expect("SET");
    assert_eq!(
        app.results(None, id).await["data"]["poll"]["results"]["totalVotes"],
        99
    );

    let repairs = counter(&app.metrics.app.reconcile_repairs);
    let deadline = Instant::now() + Duration::from_secs(10);
    while counter(&app.metrics.app.reconcile_repairs) == repairs {
        assert!(Instant::now() < deadline, "no repair within 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(kept_tally(&app, id).as_deref(), Ok(right.as_str()));
    assert_eq!(
        app.results(None, id).await["data"]["poll"]["results"]["totalVotes"],
        3
    );
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains("tally_reconcile_repairs_total 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_tally_is_only_replaced_by_a_newer_one() {
    // Tallies of several polls are written in one script; each is still compared with
    // its own kept version. Here one poll's kept tally is "from the future": the next
    // batch must leave it alone and still write the other poll's.
    let url = crate::redis_support::shared_redis_url();
    let app = TestApp::spawn_with(crate::helpers::Backend::Postgres, |c| {
        crate::helpers::use_redis(c, url);
    })
    .await;
    let owner = app.register("owner").await;
    let (ahead, behind) = (
        app.create_poll(&owner, json!({})).await,
        app.create_poll(&owner, json!({})).await,
    );
    let (ahead_id, behind_id) = (
        ahead["id"].as_str().unwrap(),
        behind["id"].as_str().unwrap(),
    );
    let voters = app.register_many("voter", 2).await;
    app.cast_vote(&voters[0], ahead_id, &[&option_ids(&ahead)[0]], "k")
        .await;
    let kept = kept_tally(&app, ahead_id).expect("the tally is kept in Redis");
    let mut parts: Vec<&str> = kept.splitn(4, '|').collect();
    parts[0] = "1000";
    parts[1] = "77";
    let future = parts.join("|");
    let key = format!("{}:{{{ahead_id}}}:tally", app.config.redis.key_prefix);
    let address = address_of(app.config.redis.url.as_deref().unwrap_or_default());
    command(&address, &["SET", &key, &future]).expect("SET");

    let app = &app;
    let voter = &voters[1];
    let polls = [(ahead_id, &ahead, "k2"), (behind_id, &behind, "k")];
    futures::future::join_all(polls.iter().map(|(id, poll, key)| async move {
        app.cast_vote(voter, id, &[&option_ids(poll)[0]], key).await
    }))
    .await;
    assert_eq!(kept_tally(app, ahead_id).as_deref(), Ok(future.as_str()));
    let behind_kept = kept_tally(app, behind_id).expect("the other poll's tally is written");
    assert!(behind_kept.contains("|1|"), "{behind_kept}");
}
