//! Caches and identity: `node(id:)` over every kind with an id, ids for results that
//! stay the same across queries and subscription messages, and backward paging with
//! `totalCount` on `polls`.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, TestUser, error_code, option_ids};
use crate::ws_support::WsClient;

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id
    ... on Poll { title }
    ... on PollOption { text }
    ... on User { username }
    ... on Vote { optionIds }
    ... on PollResults { totalVotes }
    ... on OptionResult { votes option { id } } } }";

const RESULT_IDS: &str =
    "query($id: ID!) { poll(id: $id) { results { id options { id votes option { id } } } } }";

async fn node(app: &TestApp, user: Option<&TestUser>, id: &str) -> Value {
    let body = app
        .graphql(user.map(|u| u.token.as_str()), NODE, json!({ "id": id }))
        .await;
    assert!(body["errors"].is_null(), "node({id}) failed: {body}");
    body["data"]["node"].clone()
}

/// A poll's results' id and its options' result ids, as `user` sees them.
async fn result_ids(app: &TestApp, user: Option<&TestUser>, poll: &str) -> (String, Vec<String>) {
    let body = app
        .graphql(
            user.map(|u| u.token.as_str()),
            RESULT_IDS,
            json!({ "id": poll }),
        )
        .await;
    let results = &body["data"]["poll"]["results"];
    let id = results["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no results id: {body}"));
    let options = results["options"].as_array().unwrap().iter();
    (
        id.to_owned(),
        options
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect(),
    )
}

both_backends! {
    async fn node_fetches_each_kind_by_its_id_and_null_for_ids_that_name_nothing(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = app.create_poll(&owner, json!({ "listing": "LISTED" })).await;
        let (poll_id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        let cast = app.cast_vote(&voter, poll_id, &[&options[1]], "k").await;
        let vote_id = cast["data"]["castVote"]["vote"]["id"].as_str().unwrap().to_owned();

        let found = node(&app, None, poll_id).await;
        assert_eq!((found["__typename"].as_str(), found["title"].as_str()), (Some("Poll"), Some("Best language?")));
        assert_eq!(found["id"], poll_id);
        let found = node(&app, None, &options[1]).await;
        assert_eq!((found["__typename"].as_str(), found["text"].as_str()), (Some("PollOption"), Some("Go")));
        let found = node(&app, None, &owner.id).await;
        assert_eq!((found["__typename"].as_str(), found["username"].as_str()), (Some("User"), Some("owner")));
        let found = node(&app, Some(&voter), &vote_id).await;
        assert_eq!(found["__typename"], "Vote");
        assert_eq!(found["optionIds"], json!([options[1]]));

        let (results_id, option_result_ids) = result_ids(&app, None, poll_id).await;
        let found = node(&app, None, &results_id).await;
        assert_eq!((found["__typename"].as_str(), found["totalVotes"].as_i64()), (Some("PollResults"), Some(1)));
        assert_eq!(found["id"], results_id.as_str());
        let found = node(&app, None, &option_result_ids[1]).await;
        assert_eq!(found["__typename"], "OptionResult");
        assert_eq!((found["votes"].as_i64(), found["option"]["id"].as_str()), (Some(1), Some(options[1].as_str())));

        // Ids that name nothing, and ids of another kind of thing (a page cursor).
        let cursor = app.graphql(None, "{ polls(first: 1) { pageInfo { endCursor } } }", json!({})).await;
        let cursor = cursor["data"]["polls"]["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
        for stranger in [uuid::Uuid::now_v7().to_string(), "nonsense".to_owned(), cursor, String::new()] {
            assert_eq!(node(&app, None, &stranger).await, Value::Null, "node({stranger:?})");
        }
    }

    async fn node_shows_nothing_the_direct_fields_would_hide(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = app.create_poll(&owner, json!({ "resultsVisibility": "OWNER_ONLY" })).await;
        let (poll_id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        let cast = app.cast_vote(&voter, poll_id, &[&options[0]], "k").await;
        let vote_id = cast["data"]["castVote"]["vote"]["id"].as_str().unwrap().to_owned();

        // A ballot is its voter's alone.
        assert_eq!(node(&app, Some(&voter), &vote_id).await["__typename"], "Vote");
        assert_eq!(node(&app, Some(&owner), &vote_id).await, Value::Null);
        assert_eq!(node(&app, None, &vote_id).await, Value::Null);

        // Results only where `Poll.results` shows them: here, to the owner.
        let (results_id, option_result_ids) = result_ids(&app, Some(&owner), poll_id).await;
        assert_eq!(node(&app, Some(&owner), &results_id).await["totalVotes"], 1);
        assert_eq!(node(&app, Some(&owner), &option_result_ids[0]).await["votes"], 1);
        for viewer in [None, Some(&voter)] {
            assert_eq!(error_code(&app.results(viewer, poll_id).await), Some("RESULTS_HIDDEN"));
            assert_eq!(node(&app, viewer, &results_id).await, Value::Null);
            assert_eq!(node(&app, viewer, &option_result_ids[0]).await, Value::Null);
        }
    }

    async fn polls_page_backward_with_last_and_before_and_count_every_match(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let other = app.register("other").await;
        let mut ids = Vec::new();
        for i in 0..5 {
            let poll = app.create_poll(&owner, json!({ "title": format!("p{i}"), "listing": "LISTED" })).await;
            ids.push(poll["id"].as_str().unwrap().to_owned());
        }
        app.create_poll(&other, json!({ "title": "theirs", "listing": "LISTED" })).await;
        let page = |args: &str| {
            let query = format!(
                "query($owner: ID!) {{ polls({args}, filter: {{ ownerId: $owner }}) {{ totalCount \
                 edges {{ node {{ title }} }} \
                 pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"
            );
            let app = &app;
            let owner = owner.id.clone();
            async move { app.graphql(None, &query, json!({ "owner": owner })).await }
        };
        let titles = |body: &Value| -> Vec<String> {
            body["data"]["polls"]["edges"]
                .as_array()
                .unwrap_or_else(|| panic!("no page: {body}"))
                .iter()
                .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
                .collect()
        };
        let info = |body: &Value, key: &str| body["data"]["polls"]["pageInfo"][key].clone();

        // Newest first; `last` takes the oldest, still listed newest first.
        let oldest = page("last: 2").await;
        assert_eq!(titles(&oldest), ["p1", "p0"]);
        assert_eq!((info(&oldest, "hasPreviousPage"), info(&oldest, "hasNextPage")), (json!(true), json!(false)));
        assert_eq!(oldest["data"]["polls"]["totalCount"], 5);

        let before = info(&oldest, "startCursor");
        let middle = page(&format!("last: 2, before: {before}")).await;
        assert_eq!(titles(&middle), ["p3", "p2"]);
        assert_eq!((info(&middle, "hasPreviousPage"), info(&middle, "hasNextPage")), (json!(true), json!(true)));

        let before = info(&middle, "startCursor");
        let newest = page(&format!("last: 2, before: {before}")).await;
        assert_eq!(titles(&newest), ["p4"]);
        assert_eq!(info(&newest, "hasPreviousPage"), false);
        assert_eq!(newest["data"]["polls"]["totalCount"], 5, "the total ignores cursors");

        // Forward paging is as it was, and the total is the same from either end.
        let first = page("first: 2").await;
        assert_eq!(titles(&first), ["p4", "p3"]);
        assert_eq!((info(&first, "hasNextPage"), info(&first, "hasPreviousPage")), (json!(true), json!(false)));
        let everyone = app.graphql(None, "{ polls(first: 1) { totalCount } }", json!({})).await;
        assert_eq!(everyone["data"]["polls"]["totalCount"], 6);

        for (args, field) in [
            ("first: 2, last: 2", "last"),
            ("after: null", "first"),
            ("last: 0", "last"),
            ("last: 101", "last"),
            ("last: 1, before: \"nonsense\"", "before"),
        ] {
            let body = page(args).await;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{args}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], field, "{args}: {body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_keep_one_id_across_queries_and_subscription_messages() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let owner = app.register("owner").await;
    let voter = app.register("voter").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let (poll_id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    let (results_id, option_result_ids) = result_ids(&app, None, poll_id).await;
    assert_ne!(
        results_id, poll_id,
        "results and their poll are two objects"
    );
    assert!(!option_result_ids.iter().any(|id| options.contains(id)));

    let mut ws = WsClient::ready(&app, None).await;
    ws.send(json!({
        "id": "1", "type": "subscribe",
        "payload": {
            "query": "subscription($id: ID!) { pollResults(pollId: $id) { id totalVotes options { id } } }",
            "variables": { "id": poll_id },
        },
    }))
    .await;
    let ids = |message: &Value| -> (String, Vec<String>) {
        let options = message["options"].as_array().unwrap().iter();
        (
            message["id"].as_str().unwrap().to_owned(),
            options
                .map(|o| o["id"].as_str().unwrap().to_owned())
                .collect(),
        )
    };
    let first = ws.next_results("1").await;
    assert_eq!(ids(&first), (results_id.clone(), option_result_ids.clone()));
    app.cast_vote(&voter, poll_id, &[&options[0]], "k").await;
    let after_vote = ws.next_results("1").await;
    assert_eq!(after_vote["totalVotes"], 1);
    assert_eq!(
        ids(&after_vote),
        (results_id.clone(), option_result_ids.clone())
    );
    assert_eq!(
        result_ids(&app, None, poll_id).await,
        (results_id, option_result_ids)
    );

    // Another poll's results are another object.
    let second = app.create_poll(&owner, json!({})).await;
    let (second_id, _) = result_ids(&app, None, second["id"].as_str().unwrap()).await;
    assert_ne!(second_id, ids(&first).0);
}
