//! Input at the edges: request ids, GET's `operationName`, text that hides characters,
//! and dates the server could not write back.

use futures::StreamExt;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, error_code, option_ids, without_cost};

const CREATE: &str = "mutation($input: CreatePollInput!) { createPoll(input: $input) { id title opensAt closesAt options { text } } }";

/// The request id the server answered with.
fn answered_id(response: &reqwest::Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The request id stored with the only audit row.
async fn audited_request_id(app: &TestApp) -> Option<String> {
    let db = app.db().await;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT request_id FROM vote_events".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<Option<String>>(0).unwrap()
}

both_backends! {
    async fn an_unruly_request_id_is_replaced_before_it_reaches_the_audit_log(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = app.create_poll(&owner, json!({})).await;
        let vote = json!({ "query": crate::helpers::CAST_VOTE, "variables": { "input": {
            "pollId": poll["id"], "optionIds": [option_ids(&poll)[0]], "idempotencyKey": "k" } } });
        let long = "a".repeat(129);
        let response = app
            .http()
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&voter.token)
            .header("x-request-id", &long)
            .json(&vote)
            .send()
            .await
            .unwrap();
        let id = answered_id(&response);
        let body: Value = response.json().await.unwrap();
        assert!(body["data"]["castVote"].is_object(), "{body}");
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "a generated id, not the client's: {id}");
        assert_eq!(audited_request_id(&app).await.as_deref(), Some(id.as_str()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_are_kept_only_when_short_and_plain() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let with_id = async |id: &[u8]| {
        let response = app
            .http()
            .get(format!("{}/healthz", app.address))
            .header(
                "x-request-id",
                reqwest::header::HeaderValue::from_bytes(id).unwrap(),
            )
            .send()
            .await
            .unwrap();
        answered_id(&response)
    };
    let plain = "trace-4bf92f3577b34da6.a3ce929d_0e0e4736";
    assert_eq!(with_id(plain.as_bytes()).await, plain);
    let longest = "x".repeat(128);
    assert_eq!(with_id(longest.as_bytes()).await, longest);
    for unruly in [
        "x".repeat(129).into_bytes(),
        b"two words".to_vec(),
        b"quote\"and<tag>".to_vec(),
        "caf\u{e9}".as_bytes().to_vec(),
        b"line\tbreak".to_vec(),
    ] {
        let answered = with_id(&unruly).await;
        assert!(
            uuid::Uuid::parse_str(&answered).is_ok(),
            "{unruly:?} answered {answered}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_upgrade_gets_the_same_request_id_rule() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let url = format!("{}/graphql/ws", app.address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    request
        .headers_mut()
        .insert("x-request-id", "z".repeat(500).parse().unwrap());
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let _ = socket.close(None).await;
    let _ = socket.next().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_runs_the_operation_named_by_operation_name() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let document = "query First { __typename } query Second { viewer { id } }";
    let get = async |params: &[(&str, &str)]| -> (u16, Value) {
        let (status, body) = app.get_graphql(params).await;
        (status, without_cost(body))
    };
    let (status, body) = get(&[("query", document), ("operationName", "Second")]).await;
    assert_eq!((status, body), (200, json!({ "data": { "viewer": null } })));
    let (status, body) = get(&[("query", document), ("operationName", "First")]).await;
    assert_eq!(
        (status, body),
        (200, json!({ "data": { "__typename": "Query" } }))
    );

    // The mutation check looks at the operation that would run, not the first one.
    let mixed = "query Q { __typename } mutation M { login(input: {username: \"a\", password: \"b\"}) { token } }";
    let (status, body) = get(&[("query", mixed), ("operationName", "M")]).await;
    assert_eq!(
        (status, error_code(&body)),
        (405, Some("METHOD_NOT_ALLOWED")),
        "{body}"
    );
    let (status, body) = get(&[("query", mixed), ("operationName", "Q")]).await;
    assert_eq!(
        (status, body),
        (200, json!({ "data": { "__typename": "Query" } }))
    );
}

/// The code and `extensions.field` of a refused `createPoll`.
async fn refusal(app: &TestApp, token: &str, input: Value) -> (Option<String>, Option<String>) {
    let body = app
        .graphql(Some(token), CREATE, json!({ "input": input.clone() }))
        .await;
    assert!(
        body["data"].is_null() || body["data"]["createPoll"].is_null(),
        "{input} made {body}"
    );
    (
        error_code(&body).map(str::to_owned),
        body["errors"][0]["extensions"]["field"]
            .as_str()
            .map(str::to_owned),
    )
}

both_backends! {
    async fn invisible_and_direction_changing_characters_are_refused_in_poll_text(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let two = json!(["a", "b"]);
        let cases = [
            // Bidi override, embedding and isolate.
            (json!({ "title": "pay \u{202E}3 1\u{202C}", "options": two }), "input.title"),
            (json!({ "title": "t", "description": "x \u{2067}y\u{2069}", "options": two }), "input.description"),
            (json!({ "title": "t", "options": ["a", "\u{202A}b"] }), "input.options.1"),
            // Zero-width space, word joiner, byte-order mark, a lone joiner.
            (json!({ "title": "t", "options": ["Rust", "Ru\u{200B}st"] }), "input.options.1"),
            (json!({ "title": "t", "options": ["Rust", "Ru\u{2060}st"] }), "input.options.1"),
            (json!({ "title": "t", "options": ["\u{FEFF}Rust", "Go"] }), "input.options.0"),
            (json!({ "title": "\u{200D}", "options": two }), "input.title"),
            // Other format characters: soft hyphen, Arabic letter mark, a tag character.
            (json!({ "title": "t", "options": ["Rust", "Ru\u{AD}st"] }), "input.options.1"),
            (json!({ "title": "t\u{61C}", "options": two }), "input.title"),
            (json!({ "title": "t", "options": ["a", "b\u{E0041}"] }), "input.options.1"),
            // A Hangul filler renders as nothing.
            (json!({ "title": "t", "options": ["a", "\u{3164}"] }), "input.options.1"),
            // Control characters.
            (json!({ "title": "t\u{7}", "options": two }), "input.title"),
            (json!({ "title": "t", "options": ["a", "b\u{85}c"] }), "input.options.1"),
            // Options that only a joiner or the kind of space tells apart look the same.
            (json!({ "title": "t", "options": ["Rust", "Ru\u{200D}st"] }), "input.options.1"),
            (json!({ "title": "t", "options": ["New York", "New\u{A0}York"] }), "input.options.1"),
        ];
        for (input, field) in cases {
            let got = refusal(&app, &owner.token, input.clone()).await;
            assert_eq!(got, (Some("BAD_USER_INPUT".to_owned()), Some(field.to_owned())), "{input}");
        }
        assert_eq!(app.count_rows("polls").await, 0);

        // Scripts and emoji that need joiners still work, and text is kept as typed.
        let persian = "\u{645}\u{6CC}\u{200C}\u{62E}\u{648}\u{627}\u{647}\u{645}";
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        let body = app
            .graphql(Some(&owner.token), CREATE, json!({ "input": {
                "title": "Caf\u{e9}?", "description": "line one\nline two", "options": [persian, family, "\u{2764}\u{FE0F}"] } }))
            .await;
        let texts: Vec<&str> = body["data"]["createPoll"]["options"].as_array().unwrap().iter().map(|o| o["text"].as_str().unwrap()).collect();
        assert_eq!(texts, [persian, family, "\u{2764}\u{FE0F}"], "{body}");
    }

    async fn dates_outside_years_0000_to_9999_are_refused(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let two = json!(["a", "b"]);
        for input in [
            // Year 9999 in its own offset, year 10000 in UTC.
            json!({ "title": "t", "options": two, "closesAt": "9999-12-31T23:30:00-01:00" }),
            // Year 0000 in its own offset, year -1 in UTC.
            json!({ "title": "t", "options": two, "opensAt": "0000-01-01T00:30:00+01:00" }),
        ] {
            // Refused by the DateTime scalar itself, like any malformed date-time (the
            // engine's coercion errors name the input type, not the field).
            let body = app.graphql(Some(&owner.token), CREATE, json!({ "input": input.clone() })).await;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{input}: {body}");
            let message = body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("years 0000 to 9999"), "{message}");
        }
        assert_eq!(app.count_rows("polls").await, 0);

        // The last instant of year 9999 is fine, and reads back as written.
        let body = app
            .graphql(Some(&owner.token), CREATE, json!({ "input": { "title": "t", "options": two, "closesAt": "9999-12-31T23:59:59Z" } }))
            .await;
        assert_eq!(body["data"]["createPoll"]["closesAt"], "9999-12-31T23:59:59Z", "{body}");
        let id = body["data"]["createPoll"]["id"].clone();
        let read = app.graphql(None, "query($id: ID!) { poll(id: $id) { closesAt } }", json!({ "id": id })).await;
        assert_eq!(read["data"]["poll"]["closesAt"], "9999-12-31T23:59:59Z", "{read}");
    }
}
