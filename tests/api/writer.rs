//! The vote writer's edges: a full queue answers OVERLOADED at once, and shutdown
//! writes every vote already queued.

use futures::future::join_all;
use serde_json::json;

use crate::helpers::{Backend, TestApp, error_code, option_ids};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_overloaded_and_loses_nothing() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.votes.queue_capacity = 1;
        c.votes.batch_max = 1;
        c.votes.batch_wait_ms = 0;
    })
    .await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    let voters = app.register_many("voter", 60).await;
    let answers = join_all(
        voters
            .iter()
            .map(|v| async { app.cast_vote(v, id, &[&options[0]], "k").await }),
    )
    .await;
    let recorded = answers
        .iter()
        .filter(|a| a["data"]["castVote"].is_object())
        .count();
    let overloaded: Vec<_> = answers
        .iter()
        .filter(|a| error_code(a) == Some("OVERLOADED"))
        .collect();
    assert_eq!(recorded + overloaded.len(), voters.len(), "{answers:?}");
    assert!(
        !overloaded.is_empty(),
        "60 votes at once should overflow a queue of one"
    );
    assert!(
        overloaded[0]["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert_eq!(app.count_rows("votes").await, recorded as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_writes_every_vote_already_queued() {
    let mut app = TestApp::spawn(Backend::Postgres).await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let (id, options) = (poll["id"].as_str().unwrap().to_owned(), option_ids(&poll));
    let voters = app.register_many("voter", 40).await;
    let votes = voters.iter().map(|v| {
        let request = app
            .http()
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&v.token)
            .json(&json!({
                "query": crate::helpers::CAST_VOTE,
                "variables": { "input": { "pollId": id, "optionIds": [options[0]], "idempotencyKey": "k" } },
            }))
            .send();
        tokio::spawn(request)
    });
    let in_flight: Vec<_> = votes.collect();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    app.request_stop();
    let mut recorded = 0;
    for call in in_flight {
        // Calls that reached the server before it stopped are answered; later ones are
        // refused at the door, never half-done.
        if let Ok(Ok(response)) = call.await {
            let body: serde_json::Value = response.json().await.unwrap();
            if body["data"]["castVote"].is_object() {
                recorded += 1;
            }
        }
    }
    app.stop().await.unwrap();
    assert!(recorded > 0);
    assert_eq!(app.count_rows("votes").await, recorded);
}
