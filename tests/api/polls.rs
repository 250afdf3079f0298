//! Creating, reading, listing and closing polls.

use std::time::Duration;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{POLL_FIELDS, TestApp, error_code, without_cost};

const CREATE: &str = "mutation($input: CreatePollInput!) { createPoll(input: $input) { id } }";
const CLOSE: &str = "mutation($id: ID!) { closePoll(id: $id) { id status closedAt } }";

fn poll_query() -> String {
    format!("query($id: ID!) {{ poll(id: $id) {{ {POLL_FIELDS} }} }}")
}

async fn create_error(app: &TestApp, token: &str, input: Value) -> (Option<String>, Value) {
    let body = app
        .graphql(Some(token), CREATE, json!({ "input": input }))
        .await;
    let field = body["errors"][0]["extensions"]["field"].clone();
    (error_code(&body).map(str::to_owned), field)
}

both_backends! {
    async fn a_poll_is_created_with_every_setting_and_read_back(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let opens = (app.clock.now_utc() + chrono::Duration::hours(1)).to_rfc3339();
        let closes = (app.clock.now_utc() + chrono::Duration::hours(2)).to_rfc3339();
        let poll = app
            .create_poll(&owner, json!({
                "title": "  Lunch?  ",
                "description": "Friday team lunch",
                "options": ["Pizza", "Sushi", "Tacos"],
                "kind": "MULTIPLE",
                "minChoices": 1,
                "maxChoices": 2,
                "opensAt": opens,
                "closesAt": closes,
                "resultsVisibility": "AFTER_CLOSE",
                "allowVoteChange": true,
            }))
            .await;
        assert_eq!(poll["title"], "Lunch?");
        assert_eq!(poll["description"], "Friday team lunch");
        assert_eq!(poll["kind"], "MULTIPLE");
        assert_eq!((poll["minChoices"].as_i64(), poll["maxChoices"].as_i64()), (Some(1), Some(2)));
        assert_eq!(poll["status"], "SCHEDULED");
        assert_eq!(poll["resultsVisibility"], "AFTER_CLOSE");
        assert_eq!(poll["allowVoteChange"], true);
        assert_eq!(poll["owner"]["username"], "owner");
        let texts: Vec<&str> = poll["options"].as_array().unwrap().iter().map(|o| o["text"].as_str().unwrap()).collect();
        assert_eq!(texts, ["Pizza", "Sushi", "Tacos"]);

        let read = app.graphql(None, &poll_query(), json!({ "id": poll["id"] })).await;
        assert_eq!(read["data"]["poll"], poll);
    }

    async fn defaults_make_an_open_single_choice_poll_with_public_results(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let poll = app.create_poll(&owner, json!({})).await;
        assert_eq!(poll["kind"], "SINGLE");
        assert_eq!((poll["minChoices"].as_i64(), poll["maxChoices"].as_i64()), (Some(1), Some(1)));
        assert_eq!(poll["status"], "OPEN");
        assert_eq!(poll["resultsVisibility"], "ALWAYS");
        assert_eq!(poll["allowVoteChange"], false);
        assert_eq!(poll["description"], Value::Null);
    }

    async fn bad_poll_settings_are_refused_at_the_right_field(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let past = (app.clock.now_utc() - chrono::Duration::minutes(1)).to_rfc3339();
        let soon = (app.clock.now_utc() + chrono::Duration::hours(1)).to_rfc3339();
        let later = (app.clock.now_utc() + chrono::Duration::hours(2)).to_rfc3339();
        let two = json!(["a", "b"]);
        let cases = [
            (json!({ "title": "", "options": two }), "input.title"),
            (json!({ "title": "   ", "options": two }), "input.title"),
            (json!({ "title": "t".repeat(201), "options": two }), "input.title"),
            (json!({ "title": "t", "description": "d".repeat(2001), "options": two }), "input.description"),
            (json!({ "title": "t", "options": ["only"] }), "input.options"),
            (json!({ "title": "t", "options": (0..21).map(|i| i.to_string()).collect::<Vec<_>>() }), "input.options"),
            (json!({ "title": "t", "options": ["a", " "] }), "input.options.1"),
            (json!({ "title": "t", "options": ["a", "o".repeat(201)] }), "input.options.1"),
            (json!({ "title": "t", "options": ["Café", "CAFE\u{301}"] }), "input.options.1"),
            (json!({ "title": "t", "options": ["Yes", " yes "] }), "input.options.1"),
            (json!({ "title": "t", "options": two, "maxChoices": 2 }), "input.maxChoices"),
            (json!({ "title": "t", "options": two, "kind": "MULTIPLE", "maxChoices": 3 }), "input.maxChoices"),
            (json!({ "title": "t", "options": two, "kind": "MULTIPLE", "minChoices": 2, "maxChoices": 1 }), "input.maxChoices"),
            (json!({ "title": "t", "options": two, "kind": "MULTIPLE", "minChoices": 0 }), "input.minChoices"),
            (json!({ "title": "t", "options": two, "closesAt": past }), "input.closesAt"),
            (json!({ "title": "t", "options": two, "opensAt": later, "closesAt": soon }), "input.closesAt"),
        ];
        for (input, field) in cases {
            let (code, got) = create_error(&app, &owner.token, input.clone()).await;
            assert_eq!((code.as_deref(), got.as_str()), (Some("BAD_USER_INPUT"), Some(field)), "{input}");
        }
        assert_eq!(app.count_rows("polls").await, 0);
        assert_eq!(app.count_rows("poll_options").await, 0);
    }

    async fn only_signed_in_users_create_polls(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let body = app.graphql(None, CREATE, json!({ "input": { "title": "t", "options": ["a", "b"] } })).await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
        assert_eq!(app.count_rows("polls").await, 0);
    }

    async fn an_unknown_poll_is_null_and_a_malformed_id_is_bad_input(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let unknown = app.graphql(None, &poll_query(), json!({ "id": uuid::Uuid::now_v7().to_string() })).await;
        assert_eq!(without_cost(unknown), json!({ "data": { "poll": null } }));
        let malformed = app.graphql(None, &poll_query(), json!({ "id": "42" })).await;
        assert_eq!(error_code(&malformed), Some("BAD_USER_INPUT"));
        assert_eq!(malformed["data"], json!({ "poll": null }));
        assert_eq!(malformed["errors"][0]["extensions"]["field"], "id");
    }

    async fn status_follows_the_clock_without_any_background_job(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let opens = app.clock.now_utc() + chrono::Duration::minutes(10);
        let closes = app.clock.now_utc() + chrono::Duration::minutes(20);
        let poll = app
            .create_poll(&owner, json!({ "opensAt": opens.to_rfc3339(), "closesAt": closes.to_rfc3339() }))
            .await;
        let status = async || {
            app.graphql(None, "query($id: ID!) { poll(id: $id) { status } }", json!({ "id": poll["id"] }))
                .await["data"]["poll"]["status"]
                .clone()
        };
        assert_eq!(status().await, "SCHEDULED");
        app.clock.advance(Duration::from_secs(10 * 60));
        assert_eq!(status().await, "OPEN");
        app.clock.advance(Duration::from_secs(10 * 60));
        assert_eq!(status().await, "CLOSED");
    }

    async fn only_the_owner_closes_a_poll_and_closing_twice_changes_nothing(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let other = app.register("other").await;
        let poll = app.create_poll(&owner, json!({})).await;

        let refused = app.graphql(Some(&other.token), CLOSE, json!({ "id": poll["id"] })).await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"));
        let anonymous = app.graphql(None, CLOSE, json!({ "id": poll["id"] })).await;
        assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));

        let closed = app.graphql(Some(&owner.token), CLOSE, json!({ "id": poll["id"] })).await;
        assert_eq!(closed["data"]["closePoll"]["status"], "CLOSED");
        let closed_at = closed["data"]["closePoll"]["closedAt"].clone();
        assert!(closed_at.is_string());

        app.clock.advance(Duration::from_secs(60));
        let again = app.graphql(Some(&owner.token), CLOSE, json!({ "id": poll["id"] })).await;
        assert_eq!(again["data"]["closePoll"]["closedAt"], closed_at);

        let missing = app.graphql(Some(&owner.token), CLOSE, json!({ "id": uuid::Uuid::now_v7().to_string() })).await;
        assert_eq!(error_code(&missing), Some("NOT_FOUND"));
    }

    async fn polls_are_listed_newest_first_a_page_at_a_time(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let mut ids = Vec::new();
        for i in 0..5 {
            let poll = app.create_poll(&owner, json!({ "title": format!("poll {i}"), "listing": "LISTED" })).await;
            ids.push(poll["id"].as_str().unwrap().to_owned());
        }
        ids.reverse();
        let page = async |after: Value| {
            app.graphql(
                None,
                "query($after: String) { polls(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }",
                json!({ "after": after }),
            )
            .await["data"]["polls"]
                .clone()
        };
        let mut seen = Vec::new();
        let mut after = Value::Null;
        let mut pages = 0;
        loop {
            let connection = page(after.clone()).await;
            pages += 1;
            assert_eq!(connection["pageInfo"]["hasPreviousPage"], !after.is_null());
            for edge in connection["edges"].as_array().unwrap() {
                seen.push(edge["node"]["id"].as_str().unwrap().to_owned());
            }
            assert_eq!(connection["pageInfo"]["endCursor"], connection["edges"].as_array().unwrap().last().unwrap()["cursor"]);
            if connection["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = connection["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, ids);
    }

    async fn page_sizes_and_cursors_are_checked(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        for first in [0, -1, 101] {
            let body = app.graphql(None, "query($n: Int!) { polls(first: $n) { edges { cursor } } }", json!({ "n": first })).await;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{first}");
            assert_eq!(body["errors"][0]["extensions"]["field"], "first");
        }
        let body = app.graphql(None, "{ polls(first: 5, after: \"garbage\") { edges { cursor } } }", json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["field"], "after");
    }

    async fn polls_filter_by_owner_status_and_the_viewers_votes(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let alice = app.register("alice").await;
        let bob = app.register("bob").await;
        let a_open = app.create_poll(&alice, json!({ "title": "a open", "listing": "LISTED" })).await;
        let a_closed = app.create_poll(&alice, json!({ "title": "a closed", "listing": "LISTED" })).await;
        let soon = (app.clock.now_utc() + chrono::Duration::hours(1)).to_rfc3339();
        let b_scheduled = app.create_poll(&bob, json!({ "title": "b scheduled", "opensAt": soon, "listing": "LISTED" })).await;
        app.graphql(Some(&alice.token), CLOSE, json!({ "id": a_closed["id"] })).await;
        let options = crate::helpers::option_ids(&a_open);
        let voted = app.cast_vote(&bob, a_open["id"].as_str().unwrap(), &[options[0].as_str()], "k1").await;
        assert!(voted["data"]["castVote"].is_object(), "{voted}");

        let list = async |user: Option<&str>, filter: Value| -> Vec<String> {
            let body = app
                .graphql(user, "query($f: PollFilter) { polls(first: 10, filter: $f) { edges { node { title } } } }", json!({ "f": filter }))
                .await;
            body["data"]["polls"]["edges"]
                .as_array()
                .unwrap_or_else(|| panic!("{body}"))
                .iter()
                .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(list(None, json!({ "ownerId": alice.id })).await, ["a closed", "a open"]);
        assert_eq!(list(None, json!({ "status": "OPEN" })).await, ["a open"]);
        assert_eq!(list(None, json!({ "status": "CLOSED" })).await, ["a closed"]);
        assert_eq!(list(None, json!({ "status": "SCHEDULED" })).await, ["b scheduled"]);
        assert_eq!(list(Some(&bob.token), json!({ "votedByViewer": true })).await, ["a open"]);
        assert_eq!(list(Some(&bob.token), json!({ "votedByViewer": false })).await, ["b scheduled", "a closed"]);
        let anonymous = app
            .graphql(None, "{ polls(first: 10, filter: { votedByViewer: true }) { edges { cursor } } }", json!({}))
            .await;
        assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
        let _ = b_scheduled;
    }
}
