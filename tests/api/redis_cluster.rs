//! Tally on a real Redis Cluster (three masters, [`TestCluster`]): two instances share
//! it and PostgreSQL. The vote path, the repeat-voter fast path, live tallies, rate
//! limits and cross-instance pub/sub work through it; then one master is killed
//! (SIGKILL) under vote load and restarted empty on its port, and no acknowledged vote
//! is lost or doubled, and the live tallies are reconciled with the ballots.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::{Mutex, watch};

use crate::ballot_audit::{Audit, ballots_per_poll};
use crate::helpers::{Backend, TestApp, TestUser, counter, error_code, option_ids, use_redis};
use crate::redis_cluster_support::{MASTERS, TestCluster};
use crate::ws_support::WsClient;

/// Polls voted on: enough that their `{pollId}` slots land on every master.
const POLLS: usize = 6;
/// Voters in the load; each votes on every poll.
const VOTERS: usize = 60;
/// Votes in flight at once during the load.
const IN_FLIGHT: usize = 8;
/// A worker's pause between two votes, so that the load spans the fault.
const PACE: Duration = Duration::from_millis(15);
/// Votes a rate-limited user may send at once.
const VOTE_BURST: u32 = 8;

fn on_cluster(url: String) -> impl FnOnce(&mut tally::config::Config) {
    move |c| {
        use_redis(c, url);
        c.redis.reconcile_interval_secs = 1;
        c.rate_limits.enabled = true;
        c.rate_limits.vote_burst = VOTE_BURST;
        c.rate_limits.register_burst = 10_000;
        c.rate_limits.register_per_minute = 60_000;
        c.rate_limits.create_poll_burst = 100;
    }
}

/// One vote of the load.
struct Vote {
    app: usize,
    voter: usize,
    poll: usize,
    option: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_a_redis_cluster_vote_and_survive_a_master_lost_and_restarted_empty() {
    let mut cluster = tokio::task::block_in_place(TestCluster::start);
    let a = TestApp::spawn_with(Backend::Postgres, on_cluster(cluster.url())).await;
    let b = TestApp::spawn_beside(&a).await;
    let owner = a.register("owner").await;
    let mut polls = Vec::new();
    for _ in 0..POLLS {
        polls.push(a.create_poll(&owner, json!({})).await);
    }
    let ids: Vec<String> = polls
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();

    // Cross-instance pub/sub: a subscriber on B sees a vote cast on A.
    let mut watcher = WsClient::ready(&b, None).await;
    watcher.subscribe_results("w", &ids[0]).await;
    let first = watcher.next_results("w").await;
    assert_eq!(first["totalVotes"], 0, "{first}");
    let voter = a.register("first-voter").await;
    let cast = a
        .cast_vote(&voter, &ids[0], &[&option_ids(&polls[0])[0]], "k")
        .await;
    let vote_id = cast["data"]["castVote"]["vote"]["id"].clone();
    assert!(vote_id.is_string(), "{cast}");
    let seen = watcher.next_results("w").await;
    assert_eq!(
        seen["totalVotes"], 1,
        "B's subscriber hears A's vote: {seen}"
    );
    // Through the poll's sharded channel, on the master of its slot.
    let channel = format!("{}:{{{}}}:tallies", a.config.redis.key_prefix, ids[0]);
    let listening = cluster.cli(
        cluster.owner_of(&channel),
        &["PUBSUB", "SHARDNUMSUB", &channel],
    );
    assert!(
        listening.ends_with('1'),
        "B listens on the sharded channel: {listening:?}"
    );

    // The fast path across instances: B answers A's voter from the mark in the cluster.
    let fast = counter(&b.metrics.app.fast_path_answers);
    let replay = b
        .cast_vote(&voter, &ids[0], &[&option_ids(&polls[0])[0]], "k")
        .await;
    assert_eq!(replay["data"]["castVote"]["replayed"], true, "{replay}");
    assert_eq!(replay["data"]["castVote"]["vote"]["id"], vote_id);
    let again = b
        .cast_vote(&voter, &ids[0], &[&option_ids(&polls[0])[1]], "other")
        .await;
    assert_eq!(error_code(&again), Some("ALREADY_VOTED"), "{again}");
    assert_eq!(counter(&b.metrics.app.fast_path_answers), fast + 2);

    // Live tallies are kept in the cluster, on the master that owns the poll's slot.
    let key = format!("{}:{{{}}}:tally", a.config.redis.key_prefix, ids[0]);
    let kept = cluster.cli(0, &["GET", &key]);
    assert!(
        kept.contains("|1|"),
        "the live tally in the cluster: {kept:?}"
    );

    // Rate limits: the bucket lives in the cluster and both instances draw from it.
    let mut limited = None;
    for i in 0..=VOTE_BURST {
        let app = if i % 2 == 0 { &a } else { &b };
        let answer = app
            .cast_vote(&voter, &ids[0], &[&option_ids(&polls[0])[0]], "k")
            .await;
        if error_code(&answer) == Some("RATE_LIMITED") {
            limited = Some(i);
            break;
        }
    }
    // The first vote and its two replays above drew from the same bucket.
    assert!(
        limited.is_some_and(|i| i <= VOTE_BURST - 2),
        "the {VOTE_BURST}-vote burst is shared by both instances (limited at call {limited:?})"
    );

    // The load, with one master killed and restarted empty part-way through.
    let voters = a.register_many("voter", VOTERS).await;
    for (i, _) in ids.iter().enumerate() {
        assert_eq!(ballots_per_poll(&a.db, &ids[i]).await, i64::from(i == 0));
    }
    let mut votes = Vec::new();
    for voter in 0..VOTERS {
        for (poll, question) in polls.iter().enumerate() {
            votes.push(Vote {
                app: (voter + poll) % 2,
                voter,
                poll,
                option: option_ids(question)[(voter + poll) % 3].clone(),
            });
        }
    }
    let total = votes.len();
    let acked = Arc::new(AtomicUsize::new(0));
    let (restarted_tx, restarted_rx) = watch::channel(false);
    let ids_by_vote = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let load = {
        let (apps, voters, ids, acked, ids_by_vote) =
            ([&a, &b], &voters, &ids, acked.clone(), ids_by_vote.clone());
        futures::stream::iter(votes.into_iter().enumerate())
            .map(move |(n, vote)| {
                let (acked, ids_by_vote) = (acked.clone(), ids_by_vote.clone());
                let mut restarted = restarted_rx.clone();
                async move {
                    // The last third waits for the restart, so that some votes meet
                    // the master back, empty.
                    if n >= total * 2 / 3 {
                        let _ = restarted.wait_for(|done| *done).await;
                    }
                    tokio::time::sleep(PACE).await;
                    let id = cast_until_answered(
                        apps[vote.app],
                        &voters[vote.voter],
                        &ids[vote.poll],
                        &vote.option,
                        n,
                    )
                    .await;
                    ids_by_vote.lock().await.push((n, id));
                    acked.fetch_add(1, Ordering::SeqCst);
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .collect::<Vec<()>>()
    };
    let fault = async {
        while acked.load(Ordering::SeqCst) < total / 4 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // The master of the watched poll: its live tally, its voters' marks and (sharded
        // pub/sub) its channel all go down with it.
        let victim = cluster.owner_of(&key);
        let keys_before = cluster.keys_on(victim);
        let killed_at = started.elapsed();
        tokio::task::block_in_place(|| cluster.kill(victim));
        // Down for longer than the node timeout, so the others mark it failed.
        tokio::time::sleep(Duration::from_millis(2_000)).await;
        let acked_while_down = acked.load(Ordering::SeqCst);
        tokio::task::block_in_place(|| cluster.restart(victim));
        let back_at = started.elapsed();
        let keys_after = cluster.keys_on(victim);
        restarted_tx.send_replace(true);
        (
            victim,
            keys_before,
            keys_after,
            killed_at,
            back_at,
            acked_while_down,
        )
    };
    let ((), (victim, keys_before, keys_after, killed_at, back_at, acked_at_restart)) = tokio::join!(
        async {
            load.await;
        },
        fault
    );
    let load_time = started.elapsed();
    assert!(keys_before > 0, "the victim held keys before it was killed");
    let answered: Vec<(usize, String)> = ids_by_vote.lock().await.clone();
    assert_eq!(answered.len(), total);
    let acknowledged: Vec<String> = answered.iter().map(|(_, id)| id.clone()).collect();

    let mut all_polls = ids.clone();
    all_polls.sort();
    let mut with_first = acknowledged.clone();
    with_first.push(vote_id.as_str().unwrap().to_owned());
    let audit = Audit::of(&a.db, &all_polls, &with_first).await;
    assert_eq!(audit.lost, 0, "{audit:?}");
    assert_eq!(audit.duplicated, 0, "{audit:?}");
    assert_eq!(audit.unacknowledged, 0, "{audit:?}");
    assert_eq!(audit.miscounted_polls, 0, "{audit:?}");

    // Tallies reconciled: both instances answer the database's counts, and the live
    // tally of every poll is back in the cluster.
    let reconciled = Instant::now();
    let mut absent = 0;
    for (i, id) in ids.iter().enumerate() {
        let ballots = ballots_per_poll(&a.db, id).await;
        for app in [&a, &b] {
            wait_for_total(app, id, ballots).await;
        }
        let key = format!("{}:{{{id}}}:tally", a.config.redis.key_prefix);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // Absent (lost with its master, and not written since) is rebuilt from
            // the database on the next read; present, it must be right.
            let kept = cluster.cli(i % MASTERS, &["GET", &key]);
            if kept.is_empty() {
                absent += 1;
                break;
            }
            if kept.split('|').nth(1) == Some(ballots.to_string().as_str()) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "poll {i}: kept tally {kept:?}, {ballots} ballots"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let reconcile_time = reconciled.elapsed();

    // B subscribed again to the watched poll's channel on its restarted master.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cluster
        .cli(victim, &["PUBSUB", "SHARDNUMSUB", &channel])
        .ends_with('1')
    {
        assert!(
            Instant::now() < deadline,
            "B did not subscribe again on the restarted master"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // B's subscriber, through the loss of a master, ends on the current tally.
    let expected = ballots_per_poll(&a.db, &ids[0]).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = seen;
    while last["totalVotes"] != expected {
        assert!(
            Instant::now() < deadline,
            "subscriber stuck at {last}, {expected} ballots"
        );
        last = watcher.next_results("w").await;
    }

    // Every acknowledged vote replays as itself, whether its mark was lost or not.
    let mut replayed = 0;
    for (n, id) in answered.iter().step_by(7) {
        let (voter, poll) = (n / POLLS, n % POLLS);
        let option = &option_ids(&polls[poll])[(voter + poll) % 3];
        let app = if n % 2 == 0 { &a } else { &b };
        let replay = app
            .cast_vote(&voters[voter], &ids[poll], &[option], &format!("load-{n}"))
            .await;
        assert_eq!(replay["data"]["castVote"]["replayed"], true, "{replay}");
        assert_eq!(
            replay["data"]["castVote"]["vote"]["id"].as_str(),
            Some(id.as_str())
        );
        replayed += 1;
    }
    let keys_end: Vec<u64> = (0..MASTERS).map(|i| cluster.keys_on(i)).collect();
    assert!(
        keys_end.iter().all(|&k| k > 0),
        "keys on every master: {keys_end:?}"
    );

    println!(
        "redis cluster fault: votes acknowledged={} present={} lost={} duplicated={} \
         unacknowledged={}; master {} killed at {:.1}s holding {keys_before} keys, back \
         (cluster_state:ok) at {:.1}s with {keys_after} keys; {acked_at_restart} votes \
         acknowledged by then; load {:.1}s; tallies equal to ballots {:.1}s after the load ({absent} live tallies absent, to be \
         rebuilt on read); \
         redis errors a={} b={}, reconcile repairs a={} b={}; subscriber on B ended at \
         totalVotes={} version={}; {replayed} sampled votes replayed as themselves",
        audit.acknowledged,
        audit.present,
        audit.lost,
        audit.duplicated,
        audit.unacknowledged,
        victim,
        killed_at.as_secs_f64(),
        back_at.as_secs_f64(),
        load_time.as_secs_f64(),
        reconcile_time.as_secs_f64(),
        counter(&a.metrics.app.redis_errors),
        counter(&b.metrics.app.redis_errors),
        counter(&a.metrics.app.reconcile_repairs),
        counter(&b.metrics.app.reconcile_repairs),
        last["totalVotes"],
        last["version"],
    );
}

/// Casts a vote, retrying with its key until it is answered with a ballot (a retry
/// replays it if the first call was committed); the ballot's id.
async fn cast_until_answered(
    app: &TestApp,
    voter: &TestUser,
    poll: &str,
    option: &str,
    n: usize,
) -> String {
    let key = format!("load-{n}");
    for _ in 0..20 {
        let answer: Value = app.cast_vote(voter, poll, &[option], &key).await;
        if let Some(id) = answer["data"]["castVote"]["vote"]["id"].as_str() {
            return id.to_owned();
        }
        assert!(
            matches!(
                error_code(&answer),
                Some("INTERNAL" | "OVERLOADED" | "TIMEOUT" | "RATE_LIMITED")
            ),
            "a vote refused for good: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("vote {n} was never answered with a ballot");
}

/// Waits until `app` answers `totalVotes == ballots` for `poll`.
async fn wait_for_total(app: &TestApp, poll: &str, ballots: i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let results = app.results(None, poll).await;
        if results["data"]["poll"]["results"]["totalVotes"] == ballots {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} still answers {results} for {ballots} ballots",
            app.address
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
