//! `castVote`, `changeVote` and `retractVote`: every rule and every error code.

use std::time::Duration;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{CAST_VOTE, TestApp, TestUser, error_code, option_ids};

const CHANGE: &str = "mutation($input: ChangeVoteInput!) { changeVote(input: $input) { replayed vote { id optionIds updatedAt } } }";
const RETRACT: &str = "mutation($input: RetractVoteInput!) { retractVote(input: $input) { replayed retractedVote { id optionIds } } }";
const MY_VOTE: &str =
    "query($id: ID!) { poll(id: $id) { myVote { id optionIds options { text } } } }";

async fn change(app: &TestApp, user: &TestUser, poll: &str, options: &[&str], key: &str) -> Value {
    app.graphql(
        Some(&user.token),
        CHANGE,
        json!({ "input": { "pollId": poll, "optionIds": options, "idempotencyKey": key } }),
    )
    .await
}

async fn retract(app: &TestApp, user: &TestUser, poll: &str, key: &str) -> Value {
    app.graphql(
        Some(&user.token),
        RETRACT,
        json!({ "input": { "pollId": poll, "idempotencyKey": key } }),
    )
    .await
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.db().await;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

both_backends! {
    async fn a_vote_is_recorded_once_and_a_retry_replays_it(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = app.create_poll(&owner, json!({})).await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));

        let first = app.cast_vote(&voter, id, &[&options[1]], "key-1").await;
        let vote = &first["data"]["castVote"];
        assert_eq!(vote["replayed"], false, "{first}");
        assert_eq!(vote["vote"]["optionIds"], json!([options[1]]));
        assert_eq!(vote["vote"]["options"][0]["text"], "Go");
        assert_eq!(vote["vote"]["poll"]["id"], id);

        let again = app.cast_vote(&voter, id, &[&options[1]], "key-1").await;
        assert_eq!(again["data"]["castVote"]["replayed"], true);
        assert_eq!(again["data"]["castVote"]["vote"]["id"], vote["vote"]["id"]);
        assert_eq!(again["data"]["castVote"]["vote"]["castAt"], vote["vote"]["castAt"]);

        // The ballot, its choice, the counters, the total and the audit row, once each.
        assert_eq!(app.count_rows("votes").await, 1);
        assert_eq!(app.count_rows("vote_choices").await, 1);
        assert_eq!(app.count_rows("vote_events").await, 1);
        assert_eq!(scalar(&app, "SELECT total_votes FROM polls").await, 1);
        assert_eq!(scalar(&app, "SELECT CAST(SUM(vote_count) AS BIGINT) FROM poll_options").await, 1);
    }

    async fn reusing_a_key_or_voting_twice_is_refused(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = app.create_poll(&owner, json!({})).await;
        let other_poll = app.create_poll(&owner, json!({})).await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        let other_options = option_ids(&other_poll);

        app.cast_vote(&voter, id, &[&options[0]], "key-1").await;
        let other_options_same_key = app.cast_vote(&voter, id, &[&options[2]], "key-1").await;
        assert_eq!(error_code(&other_options_same_key), Some("IDEMPOTENCY_KEY_REUSED"));
        let other_poll_same_key = app
            .cast_vote(&voter, other_poll["id"].as_str().unwrap(), &[&other_options[0]], "key-1")
            .await;
        assert_eq!(error_code(&other_poll_same_key), Some("IDEMPOTENCY_KEY_REUSED"));
        let new_key = app.cast_vote(&voter, id, &[&options[0]], "key-2").await;
        assert_eq!(error_code(&new_key), Some("ALREADY_VOTED"));
        // Keys belong to their user: another voter may use the same one.
        let owner_vote = app.cast_vote(&owner, id, &[&options[0]], "key-1").await;
        assert_eq!(owner_vote["data"]["castVote"]["replayed"], false);
        assert_eq!(app.count_rows("votes").await, 2);
    }

    async fn options_must_fit_the_poll(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let single = app.create_poll(&owner, json!({})).await;
        let multiple = app
            .create_poll(&owner, json!({ "kind": "MULTIPLE", "minChoices": 2, "maxChoices": 2 }))
            .await;
        let other = app.create_poll(&owner, json!({})).await;
        let (s, so) = (single["id"].as_str().unwrap(), option_ids(&single));
        let (m, mo) = (multiple["id"].as_str().unwrap(), option_ids(&multiple));
        let foreign = option_ids(&other)[0].clone();
        let cases: Vec<(&str, Vec<&str>)> = vec![
            (s, vec![]),
            (s, vec![&so[0], &so[1]]),
            (s, vec![&so[0], &so[0]]),
            (s, vec![&foreign]),
            (m, vec![&mo[0]]),
            (m, vec![&mo[0], &mo[1], &mo[2]]),
        ];
        for (i, (poll, options)) in cases.into_iter().enumerate() {
            let body = app.cast_vote(&voter, poll, &options, &format!("k{i}")).await;
            assert_eq!(error_code(&body), Some("INVALID_OPTION"), "case {i}: {body}");
        }
        let ok = app.cast_vote(&voter, m, &[&mo[2], &mo[0]], "good").await;
        assert_eq!(ok["data"]["castVote"]["replayed"], false, "{ok}");
        assert_eq!(app.count_rows("votes").await, 1);
    }

    async fn votes_are_refused_outside_the_polls_open_window(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let opens = app.clock.now_utc() + chrono::Duration::minutes(5);
        let closes = app.clock.now_utc() + chrono::Duration::minutes(10);
        let poll = app
            .create_poll(&owner, json!({ "opensAt": opens.to_rfc3339(), "closesAt": closes.to_rfc3339() }))
            .await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        let early = app.cast_vote(&voter, id, &[&options[0]], "early").await;
        assert_eq!(error_code(&early), Some("POLL_NOT_OPEN"));
        app.clock.advance(Duration::from_secs(10 * 60));
        let late = app.cast_vote(&voter, id, &[&options[0]], "late").await;
        assert_eq!(error_code(&late), Some("POLL_NOT_OPEN"));

        let closed_by_owner = app.create_poll(&owner, json!({})).await;
        app.graphql(Some(&owner.token), "mutation($id: ID!) { closePoll(id: $id) { id } }", json!({ "id": closed_by_owner["id"] })).await;
        let after_close = app
            .cast_vote(&voter, closed_by_owner["id"].as_str().unwrap(), &[&option_ids(&closed_by_owner)[0]], "after")
            .await;
        assert_eq!(error_code(&after_close), Some("POLL_NOT_OPEN"));
        assert_eq!(app.count_rows("votes").await, 0);
    }

    async fn malformed_input_and_missing_sign_in_are_refused(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let poll = app.create_poll(&owner, json!({})).await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        let long_key = "k".repeat(256);
        let cases = [
            ("not-a-uuid", options[0].as_str(), "key", "input.pollId"),
            (id, "not-a-uuid", "key", "input.optionIds.0"),
            (id, options[0].as_str(), "", "input.idempotencyKey"),
            (id, options[0].as_str(), long_key.as_str(), "input.idempotencyKey"),
            (id, options[0].as_str(), "clé", "input.idempotencyKey"),
        ];
        for (poll_id, option, key, field) in cases {
            let body = app.cast_vote(&owner, poll_id, &[option], key).await;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{field}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], field);
        }
        let unknown = app.cast_vote(&owner, &uuid::Uuid::now_v7().to_string(), &[&options[0]], "key").await;
        assert_eq!(error_code(&unknown), Some("NOT_FOUND"));
        let anonymous = app
            .graphql(None, CAST_VOTE, json!({ "input": { "pollId": id, "optionIds": [options[0]], "idempotencyKey": "k" } }))
            .await;
        assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
        assert_eq!(app.count_rows("votes").await, 0);
    }

    async fn a_vote_can_be_changed_and_retracted_where_the_poll_allows(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = app.create_poll(&owner, json!({ "allowVoteChange": true })).await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        let cast = app.cast_vote(&voter, id, &[&options[0]], "cast").await;
        let vote_id = cast["data"]["castVote"]["vote"]["id"].clone();

        let changed = change(&app, &voter, id, &[&options[2]], "change-1").await;
        assert_eq!(changed["data"]["changeVote"]["vote"]["id"], vote_id, "{changed}");
        assert_eq!(changed["data"]["changeVote"]["vote"]["optionIds"], json!([options[2]]));
        let replay = change(&app, &voter, id, &[&options[2]], "change-1").await;
        assert_eq!(replay["data"]["changeVote"]["replayed"], true);
        let results = app.results(None, id).await;
        let votes: Vec<i64> = results["data"]["poll"]["results"]["options"].as_array().unwrap().iter().map(|o| o["votes"].as_i64().unwrap()).collect();
        assert_eq!(votes, [0, 0, 1]);

        let my_vote = app.graphql(Some(&voter.token), MY_VOTE, json!({ "id": id })).await;
        assert_eq!(my_vote["data"]["poll"]["myVote"]["options"], json!([{ "text": "Zig" }]));

        let retracted = retract(&app, &voter, id, "retract-1").await;
        assert_eq!(retracted["data"]["retractVote"]["retractedVote"]["id"], vote_id, "{retracted}");
        assert_eq!(retract(&app, &voter, id, "retract-1").await["data"]["retractVote"]["replayed"], true);
        let my_vote = app.graphql(Some(&voter.token), MY_VOTE, json!({ "id": id })).await;
        assert_eq!(my_vote["data"]["poll"]["myVote"], Value::Null);
        assert_eq!(app.results(None, id).await["data"]["poll"]["results"]["totalVotes"], 0);

        // The audit log keeps every step with old and new choices.
        assert_eq!(app.count_rows("vote_events").await, 3);
        assert_eq!(scalar(&app, &format!("SELECT COUNT(*) FROM vote_events WHERE action = 'changed' AND old_choices = '{}' AND new_choices = '{}'", options[0], options[2])).await, 1);
        assert_eq!(scalar(&app, &format!("SELECT COUNT(*) FROM vote_events WHERE action = 'retracted' AND old_choices = '{}' AND new_choices = ''", options[2])).await, 1);

        // Retracted, the voter may vote again with a new key.
        let again = app.cast_vote(&voter, id, &[&options[1]], "cast-again").await;
        assert_eq!(again["data"]["castVote"]["replayed"], false, "{again}");
        assert_eq!(scalar(&app, "SELECT total_votes FROM polls").await, 1);
        assert_eq!(scalar(&app, "SELECT CAST(SUM(vote_count) AS BIGINT) FROM poll_options").await, 1);
    }

    async fn changing_a_vote_is_refused_where_the_poll_does_not_allow_it(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = app.create_poll(&owner, json!({})).await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        app.cast_vote(&voter, id, &[&options[0]], "cast").await;
        let changed = change(&app, &voter, id, &[&options[1]], "change").await;
        assert_eq!(error_code(&changed), Some("FORBIDDEN"));
        assert!(changed["errors"][0]["message"].as_str().unwrap().contains("does not allow"));
        assert_eq!(error_code(&retract(&app, &voter, id, "retract").await), Some("FORBIDDEN"));

        let open = app.create_poll(&owner, json!({ "allowVoteChange": true })).await;
        let no_ballot = change(&app, &voter, open["id"].as_str().unwrap(), &[&option_ids(&open)[0]], "x").await;
        assert_eq!(error_code(&no_ballot), Some("NOT_FOUND"));
        // A key used for a cast cannot serve a change.
        let reused = change(&app, &voter, id, &[&options[1]], "cast").await;
        assert_eq!(error_code(&reused), Some("IDEMPOTENCY_KEY_REUSED"));
    }

    async fn my_vote_shows_only_the_viewers_own_ballot(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = app.create_poll(&owner, json!({})).await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        app.cast_vote(&voter, id, &[&options[1]], "cast").await;
        let mine = app.graphql(Some(&voter.token), MY_VOTE, json!({ "id": id })).await;
        assert_eq!(mine["data"]["poll"]["myVote"]["optionIds"], json!([options[1]]));
        let owners = app.graphql(Some(&owner.token), MY_VOTE, json!({ "id": id })).await;
        assert_eq!(owners["data"]["poll"]["myVote"], Value::Null);
        let anonymous = app.graphql(None, MY_VOTE, json!({ "id": id })).await;
        assert_eq!(anonymous["data"]["poll"]["myVote"], Value::Null);
    }
}
