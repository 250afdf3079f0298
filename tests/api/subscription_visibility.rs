//! Who may watch a poll's live results: the visibility rules on the subscription, at
//! admission and for as long as it lasts.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Backend, TestApp, error_code, option_ids};
use crate::subscriptions::{close_poll, quick};
use crate::ws_support::{Received, WsClient};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visibility_holds_on_the_subscription_too() {
    let app = TestApp::spawn_with(Backend::Sqlite, quick).await;
    let owner = app.register("owner").await;
    let voter = app.register("voter").await;
    let after_vote = app
        .create_poll(&owner, json!({ "resultsVisibility": "AFTER_VOTE" }))
        .await;
    let owner_only = app
        .create_poll(&owner, json!({ "resultsVisibility": "OWNER_ONLY" }))
        .await;
    let after_close = app
        .create_poll(&owner, json!({ "resultsVisibility": "AFTER_CLOSE" }))
        .await;

    // The owner watches the OWNER_ONLY poll first: identical subscriptions share one
    // execution, and that must not let anyone else in.
    let mut owners = WsClient::ready(&app, Some(&owner.token)).await;
    owners
        .subscribe_results("o", owner_only["id"].as_str().unwrap())
        .await;
    assert_eq!(owners.next_results("o").await["totalVotes"], 0);

    let mut client = WsClient::ready(&app, Some(&voter.token)).await;
    for (sub, poll) in [("a", &after_vote), ("b", &owner_only)] {
        client
            .subscribe_results(sub, poll["id"].as_str().unwrap())
            .await;
        match client.receive().await {
            Received::Message(m) => {
                assert_eq!(m["type"], "error", "{m}");
                assert_eq!(m["payload"][0]["extensions"]["code"], "RESULTS_HIDDEN");
            }
            other => panic!("{other:?}"),
        }
    }
    // After voting, the AFTER_VOTE poll's results flow.
    let id = after_vote["id"].as_str().unwrap();
    app.cast_vote(&voter, id, &[&option_ids(&after_vote)[0]], "k")
        .await;
    client.subscribe_results("c", id).await;
    assert_eq!(client.next_results("c").await["totalVotes"], 1);

    // AFTER_CLOSE: nothing while open, the final tally at the close.
    let closed_id = after_close["id"].as_str().unwrap();
    let mut watcher = WsClient::ready(&app, Some(&voter.token)).await;
    watcher.subscribe_results("d", closed_id).await;
    app.cast_vote(&voter, closed_id, &[&option_ids(&after_close)[0]], "k2")
        .await;
    assert_eq!(
        watcher.receive_within(Duration::from_millis(500)).await,
        None
    );
    close_poll(&app, &owner, closed_id).await;
    let last = watcher.next_results("d").await;
    assert_eq!(
        (last["final"].clone(), last["totalVotes"].clone()),
        (json!(true), json!(1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voter_who_retracts_stops_seeing_tallies_on_every_channel() {
    let app = TestApp::spawn_with(Backend::Sqlite, quick).await;
    let owner = app.register("owner").await;
    let voter = app.register("voter").await;
    let poll = app
        .create_poll(
            &owner,
            json!({ "resultsVisibility": "AFTER_VOTE", "allowVoteChange": true }),
        )
        .await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    app.cast_vote(&voter, id, &[&options[0]], "k").await;

    // The voter watches twice: a plain subscription (which shares an execution with
    // other subscribers) and one the server runs on its own (a directive keeps it from
    // sharing).
    let mut client = WsClient::ready(&app, Some(&voter.token)).await;
    client.subscribe_results("shared", id).await;
    assert_eq!(client.next_results("shared").await["totalVotes"], 1);
    let own = "subscription($id: ID!) { pollResults(pollId: $id) @include(if: true) { pollId totalVotes version final options { votes } } }";
    client
        .send(json!({ "id": "own", "type": "subscribe", "payload": { "query": own, "variables": { "id": id } } }))
        .await;
    assert_eq!(client.next_results("own").await["totalVotes"], 1);
    let mut owners = WsClient::ready(&app, Some(&owner.token)).await;
    owners.subscribe_results("o", id).await;
    assert_eq!(owners.next_results("o").await["totalVotes"], 1);

    let retracted = app
        .graphql(
            Some(&voter.token),
            "mutation($p: ID!) { retractVote(input: {pollId: $p, idempotencyKey: \"r\"}) { replayed } }",
            json!({ "p": id }),
        )
        .await;
    assert_eq!(
        retracted["data"]["retractVote"]["replayed"], false,
        "{retracted}"
    );

    // Both of the voter's subscriptions end with RESULTS_HIDDEN, no tally before it.
    let mut ended = Vec::new();
    for _ in 0..2 {
        match client.receive().await {
            Received::Message(m) if m["type"] == "error" => {
                assert_eq!(
                    m["payload"][0]["extensions"]["code"], "RESULTS_HIDDEN",
                    "{m}"
                );
                ended.push(m["id"].as_str().unwrap().to_owned());
            }
            other => panic!("expected RESULTS_HIDDEN, got {other:?}"),
        }
    }
    ended.sort();
    assert_eq!(ended, ["own", "shared"]);
    // Queries agree.
    let body = app.results(Some(&voter), id).await;
    assert_eq!(error_code(&body), Some("RESULTS_HIDDEN"), "{body}");
    // The owner still sees every tally; the voter's socket hears nothing more.
    assert_eq!(owners.next_results("o").await["totalVotes"], 0);
    let other = app.register("other").await;
    app.cast_vote(&other, id, &[&options[1]], "k").await;
    assert_eq!(owners.next_results("o").await["totalVotes"], 1);
    assert_eq!(
        client.receive_within(Duration::from_millis(500)).await,
        None
    );
}
