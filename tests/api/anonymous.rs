//! Anonymous polls: ballots, their audit events, idempotency keys and voter marks are
//! stored under a per-poll pseudonym of the voter — never the voter's id — while the
//! voter still casts once, replays, reads, changes and retracts their own ballot.
//! Checked through the API, then with SQL over every table (and Redis keys).

use futures::future::join_all;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};
use tally::auth::ballot_key::BallotKey;
use uuid::Uuid;

use crate::helpers::{
    Backend, TEST_BALLOT_KEY, TestApp, TestUser, error_code, option_ids, use_redis,
};
use crate::redis_support::{address_of, command, shared_redis_url};

const CHANGE: &str = "mutation($input: ChangeVoteInput!) { changeVote(input: $input) { replayed vote { id optionIds } } }";
const RETRACT: &str = "mutation($input: RetractVoteInput!) { retractVote(input: $input) { replayed retractedVote { id optionIds } } }";
const MY_VOTE: &str = "query($id: ID!) { poll(id: $id) { myVote { id optionIds } } }";
const NODE: &str = "query($id: ID!) { node(id: $id) { id ... on Vote { optionIds } } }";

/// Another valid ballot key (64 hex digits), for a server restarted with a new key.
const OTHER_BALLOT_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// Runs a scenario on SQLite, on PostgreSQL, and on PostgreSQL with Redis.
macro_rules! three_ways {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(TestApp::spawn(Backend::Sqlite).await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(TestApp::spawn(Backend::Postgres).await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_redis() {
                let url = shared_redis_url();
                run(TestApp::spawn_with(Backend::Postgres, |c| use_redis(c, url)).await).await
            }
        }
    )*};
}

async fn mutate(app: &TestApp, user: &TestUser, query: &str, input: Value) -> Value {
    app.graphql(Some(&user.token), query, json!({ "input": input }))
        .await
}

async fn my_vote(app: &TestApp, user: &TestUser, poll: &str) -> Value {
    let body = app
        .graphql(Some(&user.token), MY_VOTE, json!({ "id": poll }))
        .await;
    body["data"]["poll"]["myVote"].clone()
}

/// The pseudonym a test app stores `voter`'s ballots on `poll` under.
fn pseudonym(poll: &str, voter: &str) -> Uuid {
    let key = BallotKey::from_hex(TEST_BALLOT_KEY).unwrap();
    key.pseudonym(poll.parse().unwrap(), voter.parse().unwrap())
}

async fn rows(db: &DatabaseConnection, sql: String) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
}

/// Every `table.column` of the database holding `id` in some row, in its hyphenated or
/// simple text form or (SQLite blobs) as its bytes.
pub async fn columns_holding(app: &TestApp, id: &str) -> Vec<String> {
    let db = app.db().await;
    let backend = db.get_database_backend();
    let columns_sql = match backend {
        DbBackend::Sqlite => "SELECT m.name AS t, p.name AS c FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
            .to_owned(),
        _ => {
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
              WHERE table_schema = current_schema()"
                .to_owned()
        }
    };
    let simple = id.replace('-', "");
    let mut found = Vec::new();
    for row in rows(&db, columns_sql).await {
        let table: String = row.try_get("", "t").unwrap();
        let column: String = row.try_get("", "c").unwrap();
        let test = match backend {
            DbBackend::Sqlite => format!(
                "CAST(\"{column}\" AS TEXT) LIKE '%{id}%' OR CAST(\"{column}\" AS TEXT) LIKE '%{simple}%' \
                 OR hex(\"{column}\") LIKE '%{}%'",
                simple.to_uppercase()
            ),
            _ => format!(
                "\"{column}\"::text ILIKE '%{id}%' OR \"{column}\"::text ILIKE '%{simple}%'"
            ),
        };
        let sql = format!("SELECT COUNT(*) AS n FROM \"{table}\" WHERE {test}");
        let n: i64 = rows(&db, sql).await[0].try_get("", "n").unwrap();
        if n > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    found.sort();
    let _ = db.close().await;
    found
}

/// The owner ids the poll's ballots are stored under.
async fn ballot_owners(app: &TestApp, poll: &str) -> Vec<Uuid> {
    let db = app.db().await;
    let poll: Uuid = poll.parse().unwrap();
    // SQLite keeps UUIDs as 16-byte blobs; PostgreSQL as `uuid`.
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => format!(
            "SELECT lower(hex(user_id)) AS u FROM votes WHERE hex(poll_id) = '{}'",
            poll.simple().to_string().to_uppercase()
        ),
        _ => format!("SELECT user_id::text AS u FROM votes WHERE poll_id = '{poll}'::uuid"),
    };
    let owners = rows(&db, sql)
        .await
        .iter()
        .map(|row| row.try_get::<String>("", "u").unwrap().parse().unwrap())
        .collect();
    let _ = db.close().await;
    owners
}

/// Whether Redis holds a voter mark on `poll` under `owner`.
fn redis_mark_exists(app: &TestApp, poll: &str, owner: &str) -> bool {
    let address = address_of(app.config.redis.url.as_deref().unwrap());
    let key = format!("{}:{{{poll}}}:voter:{owner}", app.config.redis.key_prefix);
    command(&address, &["EXISTS", &key]).unwrap() == "1"
}

three_ways! {
    async fn a_voter_casts_reads_changes_and_retracts_an_anonymous_ballot_stored_under_a_pseudonym(app: TestApp) {
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = app
            .create_poll(&owner, json!({ "anonymous": true, "allowVoteChange": true }))
            .await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));

        // Cast, replay, another key: exactly once.
        let first = app.cast_vote(&voter, id, &[&options[0]], "anon-1").await;
        let vote_id = first["data"]["castVote"]["vote"]["id"].clone();
        assert_eq!(first["data"]["castVote"]["replayed"], false, "{first}");
        let replay = app.cast_vote(&voter, id, &[&options[0]], "anon-1").await;
        assert_eq!(replay["data"]["castVote"]["replayed"], true, "{replay}");
        assert_eq!(replay["data"]["castVote"]["vote"]["id"], vote_id);
        let reused = app.cast_vote(&voter, id, &[&options[1]], "anon-1").await;
        assert_eq!(error_code(&reused), Some("IDEMPOTENCY_KEY_REUSED"));
        let second = app.cast_vote(&voter, id, &[&options[1]], "anon-2").await;
        assert_eq!(error_code(&second), Some("ALREADY_VOTED"));

        // The voter finds their own ballot (by poll and by id); nobody else does.
        let mine = my_vote(&app, &voter, id).await;
        assert_eq!(mine["id"], vote_id);
        assert_eq!(mine["optionIds"], json!([options[0]]));
        let by_id = app.graphql(Some(&voter.token), NODE, json!({ "id": vote_id })).await;
        assert_eq!(by_id["data"]["node"]["id"], vote_id, "{by_id}");
        assert_eq!(my_vote(&app, &owner, id).await, Value::Null);
        let theirs = app.graphql(Some(&owner.token), NODE, json!({ "id": vote_id })).await;
        assert_eq!(theirs["data"]["node"], Value::Null, "{theirs}");

        // Stored under the pseudonym; the voter's id is nowhere but their account row.
        let hidden = pseudonym(id, &voter.id);
        assert_eq!(ballot_owners(&app, id).await, [hidden]);
        if app.config.redis.url.is_some() {
            assert!(redis_mark_exists(&app, id, &hidden.to_string()));
            assert!(!redis_mark_exists(&app, id, &voter.id));
        }
        assert_eq!(columns_holding(&app, &voter.id).await, ["users.id"]);

        // Change (and its replay), then retract, then vote again.
        let input = json!({ "pollId": id, "optionIds": [options[2]], "idempotencyKey": "anon-3" });
        let changed = mutate(&app, &voter, CHANGE, input.clone()).await;
        assert_eq!(changed["data"]["changeVote"]["vote"]["optionIds"], json!([options[2]]), "{changed}");
        let again = mutate(&app, &voter, CHANGE, input).await;
        assert_eq!(again["data"]["changeVote"]["replayed"], true, "{again}");
        assert_eq!(my_vote(&app, &voter, id).await["optionIds"], json!([options[2]]));
        let retracted = mutate(&app, &voter, RETRACT, json!({ "pollId": id, "idempotencyKey": "anon-4" })).await;
        assert_eq!(retracted["data"]["retractVote"]["retractedVote"]["id"], vote_id, "{retracted}");
        assert_eq!(my_vote(&app, &voter, id).await, Value::Null);
        let recast = app.cast_vote(&voter, id, &[&options[1]], "anon-5").await;
        assert_eq!(recast["data"]["castVote"]["replayed"], false, "{recast}");
        assert_eq!(my_vote(&app, &voter, id).await["optionIds"], json!([options[1]]));
        assert_eq!(app.results(Some(&owner), id).await["data"]["poll"]["results"]["totalVotes"], 1);

        // After all of that, still nowhere: ballots, audit rows and keys alike.
        assert_eq!(columns_holding(&app, &voter.id).await, ["users.id"]);

        // A poll that is not anonymous still stores the voter's id.
        let named = app.create_poll(&owner, json!({})).await;
        let named_id = named["id"].as_str().unwrap();
        let cast = app.cast_vote(&voter, named_id, &[&option_ids(&named)[0]], "named-1").await;
        assert_eq!(cast["data"]["castVote"]["replayed"], false, "{cast}");
        assert_eq!(ballot_owners(&app, named_id).await, [voter.id.parse::<Uuid>().unwrap()]);
        assert_eq!(
            columns_holding(&app, &voter.id).await,
            ["users.id", "vote_events.user_id", "votes.user_id"]
        );
    }

    async fn a_storm_of_fifty_concurrent_casts_by_one_voter_makes_one_anonymous_ballot(app: TestApp) {
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = app.create_poll(&owner, json!({ "anonymous": true })).await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));

        // Half retry one key, half bring keys of their own.
        let calls = (0..50).map(|i| {
            let key = if i % 2 == 0 { "storm".to_owned() } else { format!("storm-{i}") };
            let (app, voter, option) = (&app, &voter, options[0].clone());
            async move { app.cast_vote(voter, id, &[&option], &key).await }
        });
        let answers = join_all(calls).await;
        let mut ids = std::collections::HashSet::new();
        for answer in &answers {
            match answer["data"]["castVote"]["vote"]["id"].as_str() {
                Some(vote) => {
                    ids.insert(vote.to_owned());
                }
                None => assert_eq!(error_code(answer), Some("ALREADY_VOTED"), "{answer}"),
            }
        }
        assert_eq!(ids.len(), 1, "every success is the one ballot: {ids:?}");
        assert_eq!(ballot_owners(&app, id).await, [pseudonym(id, &voter.id)]);
        assert_eq!(app.results(Some(&owner), id).await["data"]["poll"]["results"]["totalVotes"], 1);
    }
}

crate::both_backends! {
    async fn a_server_restarted_with_another_ballot_key_refuses_votes_on_earlier_anonymous_polls(backend: Backend) {
        let mut first = TestApp::spawn(backend).await;
        let owner = first.register("owner").await;
        let voter = first.register("voter").await;
        let anonymous = first
            .create_poll(&owner, json!({ "anonymous": true, "allowVoteChange": true }))
            .await;
        let named = first.create_poll(&owner, json!({})).await;
        let (id, options) = (anonymous["id"].as_str().unwrap(), option_ids(&anonymous));
        let cast = first.cast_vote(&voter, id, &[&options[0]], "before").await;
        assert_eq!(cast["data"]["castVote"]["replayed"], false, "{cast}");
        first.stop().await.unwrap();

        let second = TestApp::spawn_beside_with(&first, |c| {
            c.auth.ballot_key = Some(OTHER_BALLOT_KEY.to_owned());
        })
        .await;
        // Under the new key the voter's ballot cannot be found: rather than let them
        // vote a second time, every vote call on the poll is refused.
        let again = second.cast_vote(&voter, id, &[&options[1]], "after").await;
        assert_eq!(error_code(&again), Some("BALLOT_KEY_CHANGED"), "{again}");
        let fresh_voter = second.register("newcomer").await;
        let newcomer = second.cast_vote(&fresh_voter, id, &[&options[1]], "after").await;
        assert_eq!(error_code(&newcomer), Some("BALLOT_KEY_CHANGED"), "{newcomer}");
        let change = mutate(&second, &voter, CHANGE, json!({ "pollId": id, "optionIds": [options[1]], "idempotencyKey": "c" })).await;
        assert_eq!(error_code(&change), Some("BALLOT_KEY_CHANGED"), "{change}");
        let retract = mutate(&second, &voter, RETRACT, json!({ "pollId": id, "idempotencyKey": "r" })).await;
        assert_eq!(error_code(&retract), Some("BALLOT_KEY_CHANGED"), "{retract}");
        assert_eq!(second.count_rows("votes").await, 1);
        let message = again["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("ballot key"), "{message}");

        // Other polls are untouched, and anonymous polls created now use the new key.
        let named_cast = second
            .cast_vote(&voter, named["id"].as_str().unwrap(), &[&option_ids(&named)[0]], "named")
            .await;
        assert_eq!(named_cast["data"]["castVote"]["replayed"], false, "{named_cast}");
        let newer = second.create_poll(&owner, json!({ "anonymous": true })).await;
        let newer_cast = second
            .cast_vote(&voter, newer["id"].as_str().unwrap(), &[&option_ids(&newer)[0]], "newer")
            .await;
        assert_eq!(newer_cast["data"]["castVote"]["replayed"], false, "{newer_cast}");
    }
}

const CLAIM: &str = "mutation($t: String!) { claimGuestVotes(guestToken: $t) { claimed } }";

crate::both_backends! {
    async fn a_claim_moves_a_guests_anonymous_ballots_from_its_pseudonyms_to_the_accounts(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let anonymous = json!({ "voters": "GUESTS", "anonymous": true, "allowVoteChange": true });
        let a = app.create_poll(&owner, anonymous.clone()).await;
        let b = app.create_poll(&owner, anonymous.clone()).await;
        let named = app.create_poll(&owner, json!({ "voters": "GUESTS" })).await;
        let ids: Vec<&str> = [&a, &b, &named].iter().map(|p| p["id"].as_str().unwrap()).collect();
        let guest = app.start_guest().await;
        for (poll, key) in [(&a, "g1"), (&b, "g2"), (&named, "g3")] {
            let body = app.cast_vote(&guest, poll["id"].as_str().unwrap(), &[&option_ids(poll)[0]], key).await;
            assert_eq!(body["data"]["castVote"]["replayed"], false, "{body}");
        }

        let account = app.register("ada").await;
        let body = app.graphql(Some(&account.token), CLAIM, json!({ "t": guest.token })).await;
        assert_eq!(body["data"]["claimGuestVotes"]["claimed"], 3, "{body}");
        // Each anonymous ballot now sits under the account's pseudonym for its poll.
        for poll in [ids[0], ids[1]] {
            assert_eq!(ballot_owners(&app, poll).await, [pseudonym(poll, &account.id)]);
            assert_eq!(my_vote(&app, &account, poll).await["optionIds"].as_array().map(Vec::len), Some(1));
        }
        // The guest's id is on its account row, and on the audit row of its ballot on
        // the named poll (claims leave audit rows as they were); no ballot holds it.
        assert_eq!(columns_holding(&app, &guest.id).await, ["users.id", "vote_events.user_id"]);
        assert_eq!(columns_holding(&app, &account.id).await, ["users.id", "votes.user_id"]);
        // The account votes no second time, and changes what it claimed.
        let again = app.cast_vote(&account, ids[0], &[&option_ids(&a)[1]], "new").await;
        assert_eq!(error_code(&again), Some("ALREADY_VOTED"), "{again}");
        let change = mutate(&app, &account, CHANGE, json!({ "pollId": ids[1], "optionIds": [option_ids(&b)[2]], "idempotencyKey": "c" })).await;
        assert_eq!(change["data"]["changeVote"]["vote"]["optionIds"], json!([option_ids(&b)[2]]), "{change}");
        assert_eq!(app.results(Some(&owner), ids[0]).await["data"]["poll"]["results"]["totalVotes"], 1);
    }

    async fn a_claim_conflict_on_an_anonymous_poll_is_found_by_pseudonym_and_moves_nothing(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let poll = app.create_poll(&owner, json!({ "voters": "GUESTS", "anonymous": true })).await;
        let other = app.create_poll(&owner, json!({ "voters": "GUESTS", "anonymous": true })).await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        let guest = app.start_guest().await;
        let account = app.register("ada").await;
        app.cast_vote(&guest, id, &[&options[0]], "g1").await;
        app.cast_vote(&guest, other["id"].as_str().unwrap(), &[&option_ids(&other)[0]], "g2").await;
        app.cast_vote(&account, id, &[&options[1]], "a1").await;

        let body = app.graphql(Some(&account.token), CLAIM, json!({ "t": guest.token })).await;
        assert_eq!(error_code(&body), Some("CLAIM_CONFLICT"), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["pollIds"], json!([id]), "{body}");
        // Nothing moved: each keeps its own ballot under its own pseudonym.
        let mut owners = ballot_owners(&app, id).await;
        owners.sort();
        let mut expected = vec![pseudonym(id, &guest.id), pseudonym(id, &account.id)];
        expected.sort();
        assert_eq!(owners, expected);
        assert_eq!(my_vote(&app, &guest, other["id"].as_str().unwrap()).await["optionIds"], json!([option_ids(&other)[0]]));
        assert_eq!(my_vote(&app, &account, other["id"].as_str().unwrap()).await, Value::Null);
    }
}
