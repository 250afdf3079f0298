//! Exactly-once under real concurrency: many HTTP calls at once against the real app.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::join_all;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::both_backends;
use crate::helpers::{TestApp, TestUser, error_code, option_ids};
use crate::ws_support::{Received, WIDE_RESULTS, WsClient};

const USERS: usize = 20;
const CALLS: usize = 200;
const ROUNDS: usize = 20;

/// Lanes of voters that vote at once while the poll closes; in a lane, one after another.
const LANES: usize = 5;
/// Rounds whose close must fall between votes that were recorded and votes refused.
const RACED_ROUNDS: usize = 5;
/// Most rounds tried to get them.
const MAX_CLOSE_ROUNDS: usize = 20;

/// The `i`-th call of a round: a repeat of the user's canonical call, a fresh key for
/// the same ballot, or the canonical key with another option.
fn call(round: usize, i: usize, options: &[String]) -> (usize, String, String) {
    let user = i % USERS;
    let canonical_option = options[user % options.len()].clone();
    let canonical_key = format!("canonical-{round}-{user}");
    match (i / USERS) % 4 {
        0 | 1 => (user, canonical_key, canonical_option),
        2 => (user, format!("fresh-{round}-{i}"), canonical_option),
        _ => (
            user,
            canonical_key,
            options[(user + 1) % options.len()].clone(),
        ),
    }
}

async fn rows(app: &TestApp, sql: &str) -> Vec<sea_orm::QueryResult> {
    let db = app.db().await;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap();
    let _ = db.close().await;
    rows
}

async fn one_round(app: &TestApp, owner: &TestUser, users: &[TestUser], round: usize) {
    let poll = app.create_poll(owner, json!({})).await;
    let (poll_id, options) = (poll["id"].as_str().unwrap().to_owned(), option_ids(&poll));
    let calls: Vec<(usize, String, String)> =
        (0..CALLS).map(|i| call(round, i, &options)).collect();
    let poll_id = &poll_id;
    let answers: Vec<Value> = join_all(calls.iter().map(|(user, key, option)| async move {
        app.cast_vote(&users[*user], poll_id, &[option.as_str()], key)
            .await
    }))
    .await;

    // Per user: every success names one vote id, and exactly one success was not a replay.
    let mut vote_of: HashMap<usize, String> = HashMap::new();
    let mut recorded: HashMap<usize, usize> = HashMap::new();
    for ((user, _, _), answer) in calls.iter().zip(&answers) {
        match &answer["data"]["castVote"] {
            Value::Object(payload) => {
                let id = payload["vote"]["id"].as_str().unwrap().to_owned();
                let previous = vote_of.entry(*user).or_insert_with(|| id.clone());
                assert_eq!(*previous, id, "user {user} got two vote ids");
                if payload["replayed"] == false {
                    *recorded.entry(*user).or_default() += 1;
                }
            }
            _ => {
                let code = error_code(answer);
                assert!(
                    matches!(code, Some("ALREADY_VOTED" | "IDEMPOTENCY_KEY_REUSED")),
                    "unexpected answer: {answer}"
                );
            }
        }
    }
    assert_eq!(vote_of.len(), USERS, "every user has a ballot");
    assert!(
        recorded.values().all(|&n| n == 1),
        "one recorded answer per user: {recorded:?}"
    );

    // The database: exactly one ballot per user, the one the answers named; counters
    // equal ballots.
    let ballots = rows(app, "SELECT id FROM votes").await;
    let ids: HashSet<String> = ballots
        .iter()
        .map(|r| r.try_get::<uuid::Uuid>("", "id").unwrap().to_string())
        .collect();
    let answered: HashSet<String> = vote_of.values().cloned().collect();
    assert!(answered.is_subset(&ids));
    let results = app.results(None, poll_id).await;
    let results = &results["data"]["poll"]["results"];
    assert_eq!(results["totalVotes"], USERS);
    let counted: i64 = results["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["votes"].as_i64().unwrap())
        .sum();
    assert_eq!(counted, USERS as i64);
    let choices = rows(app, "SELECT o.id AS id, o.vote_count AS counted, (SELECT COUNT(*) FROM vote_choices c WHERE c.option_id = o.id) AS chosen FROM poll_options o").await;
    for row in choices {
        let counted: i64 = row.try_get("", "counted").unwrap();
        let chosen: i64 = row.try_get("", "chosen").unwrap();
        assert_eq!(counted, chosen, "option counter differs from its ballots");
    }
    // Nothing points at nothing (PostgreSQL keeps no foreign keys on these tables).
    let orphans = rows(app, "SELECT c.vote_id AS id FROM vote_choices c WHERE NOT EXISTS (SELECT 1 FROM votes v WHERE v.id = c.vote_id AND v.poll_id = c.poll_id) OR NOT EXISTS (SELECT 1 FROM poll_options o WHERE o.id = c.option_id AND o.poll_id = c.poll_id)").await;
    assert!(
        orphans.is_empty(),
        "{} choices point at nothing",
        orphans.len()
    );
}

/// Ballot ids per poll, as text.
async fn ballots_of(app: &TestApp, poll_id: &str) -> HashSet<String> {
    rows(app, "SELECT id, poll_id FROM votes")
        .await
        .iter()
        .filter(|r| r.try_get::<uuid::Uuid>("", "poll_id").unwrap().to_string() == poll_id)
        .map(|r| r.try_get::<uuid::Uuid>("", "id").unwrap().to_string())
        .collect()
}

/// Votes per option id in a results payload.
fn votes_by_option(results: &Value) -> HashMap<String, i64> {
    results["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let id = o["option"]["id"].as_str().unwrap().to_owned();
            (id, o["votes"].as_i64().unwrap())
        })
        .collect()
}

/// One poll, closed by its owner while every user votes on it: `LANES` lanes at once,
/// each voting user after user, and the close sent the moment the `1 + round % LANES`-th
/// vote is answered recorded, so it meets the votes still in flight. Checks what users
/// see, and returns whether the close fell between votes (some recorded, some refused).
async fn close_while_voting(
    app: &TestApp,
    owner: &TestUser,
    users: &[TestUser],
    round: usize,
) -> bool {
    let poll = app.create_poll(owner, json!({})).await;
    let (poll_id, options) = (poll["id"].as_str().unwrap().to_owned(), option_ids(&poll));
    let mut watcher = WsClient::ready(app, None).await;
    watcher
        .send(json!({
            "id": "r", "type": "subscribe",
            "payload": { "query": WIDE_RESULTS, "variables": { "id": poll_id } },
        }))
        .await;
    assert_eq!(watcher.next_results("r").await["totalVotes"], 0);

    let recorded_so_far = AtomicUsize::new(0);
    let close_now = Notify::new();
    let trigger = 1 + round % LANES;
    let key = format!("round-{round}");
    let (poll_id, options, key) = (&poll_id, &options, &key);
    let (recorded_so_far, close_now) = (&recorded_so_far, &close_now);
    let lanes = (0..LANES).map(|lane| async move {
        let mut answers = Vec::new();
        for user in (lane..users.len()).step_by(LANES) {
            let option = options[user % options.len()].as_str();
            let answer = app.cast_vote(&users[user], poll_id, &[option], key).await;
            if answer["data"]["castVote"].is_object()
                && recorded_so_far.fetch_add(1, Ordering::SeqCst) + 1 == trigger
            {
                close_now.notify_one();
            }
            answers.push((user, answer));
        }
        answers
    });
    let close = async {
        tokio::time::timeout(Duration::from_secs(10), close_now.notified())
            .await
            .expect("votes are recorded before the close");
        app.graphql(
            Some(&owner.token),
            "mutation($id: ID!) { closePoll(id: $id) { closedAt } }",
            json!({ "id": poll_id }),
        )
        .await
    };
    let (answers, closed) = tokio::join!(join_all(lanes), close);
    assert!(
        closed["data"]["closePoll"]["closedAt"].is_string(),
        "{closed}"
    );

    // Every vote is answered RECORDED or POLL_NOT_OPEN.
    let mut recorded: HashMap<String, &str> = HashMap::new();
    let mut refused = 0;
    for (user, answer) in answers.iter().flatten() {
        match &answer["data"]["castVote"] {
            Value::Object(payload) => {
                assert_eq!(payload["replayed"], false, "user {user}: {answer}");
                let id = payload["vote"]["id"].as_str().unwrap().to_owned();
                recorded.insert(id, options[user % options.len()].as_str());
            }
            _ => {
                assert_eq!(
                    error_code(answer),
                    Some("POLL_NOT_OPEN"),
                    "user {user}: {answer}"
                );
                refused += 1;
            }
        }
    }
    let mut expected: HashMap<String, i64> = options.iter().map(|o| (o.clone(), 0)).collect();
    for option in recorded.values() {
        *expected.get_mut(*option).unwrap() += 1;
    }

    // The final tally sent to subscribers counts exactly the votes answered recorded,
    // option by option, and then the subscription ends.
    let mut seen = Value::Null;
    let last = loop {
        match watcher.receive_within(Duration::from_secs(5)).await {
            Some(Received::Message(m)) if m["type"] == "next" => {
                seen = m["payload"]["data"]["pollResults"].clone();
                if seen["final"] == true {
                    break seen;
                }
            }
            other => panic!(
                "round {round}: no final tally after {} votes answered recorded; got {other:?} after {seen}",
                recorded.len()
            ),
        }
    };
    assert_eq!(
        watcher.receive().await,
        Received::Message(json!({ "id": "r", "type": "complete" }))
    );
    assert_eq!(
        (
            last["totalVotes"].as_u64().unwrap() as usize,
            votes_by_option(&last)
        ),
        (recorded.len(), expected.clone()),
        "round {round}: the final tally is not the {} votes answered recorded ({refused} refused)",
        recorded.len()
    );
    // Nothing moved after it: the results read now are that tally.
    let now = app.results(None, poll_id).await;
    let now = &now["data"]["poll"]["results"];
    assert_eq!(
        (&now["version"], &now["final"], votes_by_option(now)),
        (&last["version"], &json!(true), expected),
        "round {round}: the tally moved after the final one"
    );
    // The ballots kept are the votes answered recorded: none answered POLL_NOT_OPEN.
    let kept = ballots_of(app, poll_id).await;
    let answered: HashSet<String> = recorded.keys().cloned().collect();
    assert_eq!(
        kept, answered,
        "round {round}: ballots differ from the votes answered recorded"
    );

    !recorded.is_empty() && refused > 0
}

both_backends! {
    async fn two_hundred_concurrent_calls_from_twenty_users_make_twenty_ballots_every_time(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let users: Vec<TestUser> = app.register_many("user", USERS).await;
        for round in 0..ROUNDS {
            one_round(&app, &owner, &users, round).await;
        }
        assert_eq!(app.count_rows("votes").await, (USERS * ROUNDS) as i64);
    }

    async fn a_poll_closed_while_votes_arrive_counts_exactly_the_votes_answered_recorded(backend: Backend) {
        let app = TestApp::spawn_with_system_clock(backend).await;
        let owner = app.register("owner").await;
        let users: Vec<TestUser> = app.register_many("user", USERS).await;
        let mut raced = 0;
        let mut round = 0;
        while raced < RACED_ROUNDS {
            assert!(
                round < MAX_CLOSE_ROUNDS,
                "in {round} rounds only {raced} closed a poll between votes that were recorded and votes refused"
            );
            if close_while_voting(&app, &owner, &users, round).await {
                raced += 1;
            }
            round += 1;
        }
    }
}
