//! Exactly-once under real concurrency: many HTTP calls at once against the real app.

use std::collections::{HashMap, HashSet};

use futures::future::join_all;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, TestUser, error_code, option_ids};

const USERS: usize = 20;
const CALLS: usize = 200;
const ROUNDS: usize = 20;

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

    async fn no_vote_is_recorded_after_a_poll_closes(backend: Backend) {
        let app = TestApp::spawn_with_system_clock(backend).await;
        let owner = app.register("owner").await;
        let users: Vec<TestUser> = app.register_many("user", USERS).await;
        for round in 0..5 {
            let poll = app.create_poll(&owner, json!({})).await;
            let (poll_id, options) = (poll["id"].as_str().unwrap().to_owned(), option_ids(&poll));
            let (app, poll_id, option) = (&app, &poll_id, options[0].as_str());
            let key = &format!("round-{round}");
            let votes = join_all(users.iter().map(|u| async move { app.cast_vote(u, poll_id, &[option], key).await }));
            let close = async {
                // Let some votes in first.
                tokio::time::sleep(std::time::Duration::from_millis(2 * round)).await;
                app.graphql(Some(&owner.token), "mutation($id: ID!) { closePoll(id: $id) { closedAt } }", json!({ "id": poll_id })).await
            };
            let (answers, closed) = tokio::join!(votes, close);
            assert!(closed["data"]["closePoll"]["closedAt"].is_string(), "{closed}");
            let recorded = answers.iter().filter(|a| a["data"]["castVote"].is_object()).count();
            assert!(
                answers.iter().all(|a| a["data"]["castVote"].is_object() || error_code(a) == Some("POLL_NOT_OPEN")),
                "{answers:?}"
            );
            let results = app.results(None, poll_id).await;
            assert_eq!(results["data"]["poll"]["results"]["totalVotes"], recorded);
            assert_eq!(results["data"]["poll"]["results"]["final"], true);
        }
        // Every ballot was cast no later than its poll closed.
        let late = rows(&app, "SELECT COUNT(*) AS n FROM votes v JOIN polls p ON p.id = v.poll_id WHERE v.cast_at > p.closed_at").await;
        assert_eq!(late[0].try_get::<i64>("", "n").unwrap(), 0);
    }
}
