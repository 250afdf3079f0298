//! Shutdown of the real binary under vote load, with its Redis killed or frozen (or its
//! ballots table locked) at the same moment: the process exits within its grace period
//! plus the named margin, every vote answered `RECORDED` is in the database once, every
//! ballot in the database was answered, and no call waits forever.
//!
//! A call may also find its keep-alive connection closed: the server closes idle
//! connections when it stops, and a call sent on one at that instant was never read
//! (the ballot count shows none of those was written); the caller retries it with its key.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use serde_json::{Value, json};
use tally::shutdown::SHUTDOWN_MARGIN;

use crate::helpers::{Backend, CAST_VOTE, TEST_JWT_SECRET, TestDb};
use crate::process_support::{TallyProcess, graphql, send_signal};
use crate::redis_support::TestRedis;

const GRACE: Duration = Duration::from_secs(2);
/// Time to notice the exit on top of the server's own bound.
const EXIT_SLACK: Duration = Duration::from_secs(3);
const ROUNDS: usize = 3;
const VOTERS: usize = 64;
const POLLS_PER_ROUND: usize = 8;
/// Concurrent callers, each with its own keep-alive connection.
const CALLERS: usize = 128;
/// Votes answered before the stop, so that it lands in a running load.
const WARM_UP_ANSWERS: usize = 100;
/// A call with no answer after this long counts as hung.
const CALL_PATIENCE: Duration = Duration::from_secs(30);

/// What else goes wrong when SIGTERM arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Redis is killed (connections refused from then on).
    RedisKilled,
    /// Redis gets SIGSTOP: its connections stay open, nothing answers.
    RedisPaused,
    /// The ballots table is locked: no vote can be written in the grace period.
    DatabaseLocked,
}

/// What one `castVote` call came back with.
#[derive(Debug)]
enum Outcome {
    Recorded(String),
    Refused(String),
    /// The connection was refused: the call never reached the server.
    AtTheDoor,
    /// The connection closed without an answer (a keep-alive connection the server was
    /// closing as the call went out, or a call dropped mid-way).
    Closed,
    Hung,
}

struct User {
    token: String,
}

struct Vote {
    token: String,
    poll: String,
    option: String,
    key: String,
}

async fn register(client: &reqwest::Client, base: &str, name: String) -> User {
    let body = graphql(
        client,
        base,
        None,
        "mutation($i: RegisterInput!) { register(input: $i) { token } }",
        json!({ "i": { "username": name, "password": "correct horse battery" } }),
    )
    .await;
    User {
        token: body["data"]["register"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("register failed: {body}"))
            .to_owned(),
    }
}

/// Creates a poll; its id and first option's id.
async fn create_poll(client: &reqwest::Client, base: &str, owner: &User) -> (String, String) {
    let body = graphql(
        client,
        base,
        Some(&owner.token),
        "mutation($i: CreatePollInput!) { createPoll(input: $i) { id options { id } } }",
        json!({ "i": { "title": "Shutdown?", "options": ["yes", "no"] } }),
    )
    .await;
    let poll = &body["data"]["createPoll"];
    (
        poll["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_owned(),
        poll["options"][0]["id"].as_str().unwrap().to_owned(),
    )
}

async fn cast(client: &reqwest::Client, base: &str, vote: &Vote) -> Outcome {
    let variables = json!({ "input": { "pollId": vote.poll, "optionIds": [vote.option], "idempotencyKey": vote.key } });
    let sent = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&vote.token)
        .json(&json!({ "query": CAST_VOTE, "variables": variables }))
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(e) if e.is_timeout() => return Outcome::Hung,
        Err(e) if e.is_connect() => return Outcome::AtTheDoor,
        Err(_) => return Outcome::Closed,
    };
    let status = response.status();
    match response.json::<Value>().await {
        Ok(body) => match body["data"]["castVote"]["vote"]["id"].as_str() {
            Some(id) => Outcome::Recorded(id.to_owned()),
            None => Outcome::Refused(
                body["errors"][0]["extensions"]["code"]
                    .as_str()
                    .map_or_else(|| format!("HTTP {status}"), str::to_owned),
            ),
        },
        Err(e) if e.is_timeout() => Outcome::Hung,
        Err(_) => Outcome::Closed,
    }
}

fn env(db: &TestDb, redis: &TestRedis) -> Vec<(&'static str, String)> {
    vec![
        ("TALLY_LISTEN", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", db.url.clone()),
        ("TALLY_DB_POOL_SIZE", "8".to_owned()),
        ("REDIS_URL", redis.url()),
        (
            "TALLY_REDIS_KEY_PREFIX",
            format!("t{}", uuid::Uuid::new_v4().simple()),
        ),
        ("TALLY_JWT_SECRET", TEST_JWT_SECRET.to_owned()),
        ("TALLY_RATE_LIMITS", "false".to_owned()),
        ("TALLY_SHUTDOWN_GRACE_SECS", GRACE.as_secs().to_string()),
        (
            "TALLY_DATA_DIR",
            std::env::temp_dir()
                .join("tally-shutdown-test")
                .display()
                .to_string(),
        ),
        ("TALLY_STATIC_DIR", "/nonexistent".to_owned()),
    ]
}

/// One round: start, load, stop with the fault, check.
async fn round(db: &TestDb, users: &mut Vec<User>, fault: Fault, number: usize) {
    let mut redis = TestRedis::start();
    let mut tally = TallyProcess::start(&env(db, &redis));
    let base = tally.address.clone();
    let client = reqwest::Client::builder()
        .timeout(CALL_PATIENCE)
        .build()
        .unwrap();
    if users.is_empty() {
        let registered = futures::future::join_all(
            (0..VOTERS).map(|i| register(&client, &base, format!("voter{i}"))),
        )
        .await;
        users.extend(registered);
    }
    let mut votes = VecDeque::new();
    let mut polls = Vec::new();
    for _ in 0..POLLS_PER_ROUND {
        let (poll, option) = create_poll(&client, &base, &users[0]).await;
        polls.push(poll.clone());
        for user in users.iter() {
            votes.push_back(Vote {
                token: user.token.clone(),
                poll: poll.clone(),
                option: option.clone(),
                key: format!("round{number}-{poll}"),
            });
        }
    }
    let total = votes.len();
    let queue = Arc::new(Mutex::new(votes));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let (answered_tx, mut answered_rx) = tokio::sync::watch::channel(0usize);
    let answered_tx = Arc::new(answered_tx);
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (queue, in_flight, answered) =
                (queue.clone(), in_flight.clone(), answered_tx.clone());
            let client = reqwest::Client::builder()
                .timeout(CALL_PATIENCE)
                .build()
                .unwrap();
            let base = base.clone();
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                loop {
                    let Some(vote) = queue.lock().unwrap().pop_front() else {
                        return outcomes;
                    };
                    in_flight.fetch_add(1, Ordering::SeqCst);
                    let outcome = cast(&client, &base, &vote).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    answered.send_modify(|n| *n += 1);
                    outcomes.push(outcome);
                }
            })
        })
        .collect();
    answered_rx
        .wait_for(|n| *n >= WARM_UP_ANSWERS)
        .await
        .unwrap();

    // The stop and the fault, at the same moment.
    let redis_pid = redis.pid().expect("redis runs");
    let lock_holder = db.connect().await;
    let lock = match fault {
        Fault::DatabaseLocked => {
            let lock = lock_holder.begin().await.unwrap();
            lock.execute_unprepared("LOCK TABLE votes IN EXCLUSIVE MODE")
                .await
                .unwrap();
            Some(lock)
        }
        _ => None,
    };
    let in_flight_at_stop = in_flight.load(Ordering::SeqCst);
    let stopped_at = Instant::now();
    tally.signal("TERM");
    match fault {
        Fault::RedisKilled => redis.stop(),
        Fault::RedisPaused => send_signal(redis_pid, "STOP"),
        Fault::DatabaseLocked => {}
    }
    let bound = GRACE + SHUTDOWN_MARGIN + EXIT_SLACK;
    let exit = tally.wait_exit(bound);
    let exited_after = stopped_at.elapsed();
    if exit.is_none() {
        tally.signal("KILL");
    }
    let mut outcomes = Vec::new();
    for caller in callers {
        outcomes.extend(caller.await.unwrap());
    }
    if fault == Fault::RedisPaused {
        send_signal(redis_pid, "CONT");
    }
    if let Some(lock) = lock {
        lock.commit().await.unwrap();
    }
    let _ = lock_holder.close().await;

    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    let mut recorded = Vec::new();
    for outcome in &outcomes {
        let kind = match outcome {
            Outcome::Recorded(id) => {
                recorded.push(id.clone());
                "RECORDED".to_owned()
            }
            Outcome::Refused(code) => code.clone(),
            Outcome::AtTheDoor => "connection refused".to_owned(),
            Outcome::Closed => "connection closed".to_owned(),
            Outcome::Hung => "hung".to_owned(),
        };
        *by_kind.entry(kind).or_default() += 1;
    }
    let stored = stored_among(db, &recorded).await;
    let ballots = ballots_on(db, &polls).await;
    eprintln!(
        "round {number} ({fault:?}): {total} votes, {in_flight_at_stop} in flight at SIGTERM, \
         exit after {exited_after:.2?} ({exit:?}); outcomes {by_kind:?}; {stored} of {} recorded in the database; \
         {ballots} ballots in all",
        recorded.len()
    );
    for line in tally.log_text().lines() {
        // What shutdown had to cut short, if anything.
        if line.contains("\"target\":\"tally::shutdown\"")
            || line.contains("\"target\":\"tally::store::writer\"")
        {
            eprintln!("  {line}");
        }
    }
    assert!(
        in_flight_at_stop > 0,
        "the stop did not land in a running load"
    );
    let exit = exit.unwrap_or_else(|| {
        panic!(
            "round {number} ({fault:?}): still running {bound:?} after SIGTERM (grace {GRACE:?} + margin {SHUTDOWN_MARGIN:?} + slack); its log:\n{}",
            tally.log_text()
        )
    });
    assert!(exit.success(), "round {number}: exited with {exit}");
    assert_eq!(
        by_kind.get("hung"),
        None,
        "round {number}: calls hung: {by_kind:?}"
    );
    let unique: HashSet<_> = recorded.iter().collect();
    assert_eq!(unique.len(), recorded.len(), "a vote id answered twice");
    assert_eq!(
        stored,
        recorded.len(),
        "round {number}: votes answered RECORDED missing from the database"
    );
    // A ballot nobody was told about must be one whose call was answered INTERNAL (cut
    // off mid-batch, outcome unknown); any other was written and its answer dropped.
    let cut_off = by_kind.get("INTERNAL").copied().unwrap_or(0);
    if fault == Fault::DatabaseLocked {
        let failed = cut_off + by_kind.get("OVERLOADED").copied().unwrap_or(0);
        assert!(
            failed > 0,
            "round {number}: no vote was left to fail: {by_kind:?}"
        );
    }
    assert!(
        ballots <= recorded.len() + cut_off,
        "round {number}: {ballots} ballots, but only {} calls answered RECORDED and {cut_off} INTERNAL",
        recorded.len()
    );
}

/// Ballots on the polls, in all.
async fn ballots_on(db: &TestDb, polls: &[String]) -> usize {
    let conn = db.connect().await;
    let list = polls
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(",");
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM votes WHERE poll_id::text IN ({list})"),
        ))
        .await
        .unwrap()
        .unwrap();
    let n = row.try_get::<i64>("", "n").unwrap();
    let _ = conn.close().await;
    usize::try_from(n).unwrap()
}

/// How many of the vote ids are ballots in the database.
async fn stored_among(db: &TestDb, ids: &[String]) -> usize {
    if ids.is_empty() {
        return 0;
    }
    let conn = db.connect().await;
    let list = ids
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(",");
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM votes WHERE id::text IN ({list})"),
        ))
        .await
        .unwrap()
        .unwrap();
    let n = row.try_get::<i64>("", "n").unwrap();
    let _ = conn.close().await;
    usize::try_from(n).unwrap()
}

async fn rounds(fault: Fault) {
    let db = TestDb::create(Backend::Postgres).await;
    let mut users = Vec::new();
    for number in 1..=ROUNDS {
        round(&db, &mut users, fault, number).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_while_redis_is_killed_ends_in_time_and_answers_every_vote() {
    rounds(Fault::RedisKilled).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_while_redis_is_paused_ends_in_time_and_answers_every_vote() {
    rounds(Fault::RedisPaused).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_no_vote_can_be_written_fails_the_queued_votes_and_ends_in_time() {
    rounds(Fault::DatabaseLocked).await;
}

#[test]
fn the_readme_states_the_shutdown_margin_the_code_keeps() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .unwrap_or_default();
    let promise = format!(
        "exits at most {} s after the grace period",
        SHUTDOWN_MARGIN.as_secs()
    );
    assert!(readme.contains(&promise), "README.md should say: {promise}");
}
