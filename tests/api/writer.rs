//! The vote writer's edges: a full queue answers OVERLOADED at once, shutdown writes
//! every vote already queued (held in the writer by a table lock, so provably queued
//! when shutdown begins), and one call that breaks its batch fails alone.

use std::sync::atomic::Ordering;

use futures::future::join_all;
use sea_orm::{ConnectionTrait, TransactionTrait};
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
    // One writer taking small batches: while the first is held back, the rest queue.
    const BATCH: usize = 4;
    let mut app = TestApp::spawn_with(Backend::Postgres, |c| {
        c.votes.writers = 1;
        c.votes.batch_max = BATCH;
    })
    .await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let (id, options) = (poll["id"].as_str().unwrap().to_owned(), option_ids(&poll));
    let voters = app.register_many("voter", 40).await;

    // Hold every ballot insert back: the votes below can reach the writer, not the table.
    let db = app.db().await;
    let lock = db.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE votes IN EXCLUSIVE MODE")
        .await
        .unwrap();

    let in_flight: Vec<_> = voters
        .iter()
        .map(|v| {
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
        })
        .collect();
    // Proof they are in flight: all 40 handed to the writer, none answered (none can
    // be), all but one batch still in its queue.
    let pending = || app.metrics.writer.metrics().pending.load(Ordering::SeqCst);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while pending() < voters.len() as u64 {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of {} votes reached the writer",
            pending(),
            voters.len()
        );
        tokio::task::yield_now().await;
    }
    assert_eq!(app.count_rows("votes").await, 0);
    assert!(app.metrics.writer.queue_depth() >= voters.len() - BATCH);

    app.request_stop();
    // Shutdown has begun with every vote queued; they are written once the database
    // lets them, within the grace period.
    lock.commit().await.unwrap();
    let mut recorded = 0;
    for call in in_flight {
        let body: serde_json::Value = call.await.unwrap().unwrap().json().await.unwrap();
        assert!(body["data"]["castVote"].is_object(), "{body}");
        recorded += 1;
    }
    app.stop().await.unwrap();
    assert_eq!(recorded, voters.len());
    assert_eq!(app.count_rows("votes").await, recorded as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_breaks_its_batch_fails_alone() {
    // One writer and a long linger, so the calls below share a batch.
    let app = TestApp::spawn_with(Backend::Postgres, |c| {
        c.votes.writers = 1;
        c.votes.batch_wait_ms = 200;
    })
    .await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    let voters = app.register_many("voter", 20).await;
    let bad = app.register("doomed").await;

    // The database refuses this one user's ballot: a fault the service layer cannot see
    // coming, so it reaches the batch's transaction.
    let db = app.db().await;
    db.execute_unprepared(&format!(
        "CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN RAISE EXCEPTION 'injected fault'; END $$; \
         CREATE TRIGGER refuse_doomed BEFORE INSERT ON votes FOR EACH ROW \
         WHEN (NEW.user_id = '{}') EXECUTE FUNCTION refuse_doomed();",
        bad.id
    ))
    .await
    .expect("install the fault");

    let everyone: Vec<_> = voters.iter().chain([&bad]).collect();
    let answers = join_all(
        everyone
            .iter()
            .map(|v| async { app.cast_vote(v, id, &[&options[0]], "k").await }),
    )
    .await;
    let (good, doomed) = answers.split_at(voters.len());
    for answer in good {
        assert_eq!(answer["data"]["castVote"]["replayed"], false, "{answer}");
    }
    assert_eq!(error_code(&doomed[0]), Some("INTERNAL"), "{}", doomed[0]);
    assert!(
        app.metrics
            .writer
            .metrics()
            .batch_failures
            .load(Ordering::SeqCst)
            >= 1,
        "the faulty call should have failed a shared batch first"
    );
    assert_eq!(app.count_rows("votes").await, voters.len() as i64);
    assert_eq!(app.count_rows("vote_events").await, voters.len() as i64);
    let body = app.results(Some(&owner), id).await;
    let results = &body["data"]["poll"]["results"];
    assert_eq!(results["totalVotes"], voters.len());
    assert_eq!(results["options"][0]["votes"], voters.len());

    // Nothing of the failed call stuck: once the fault is gone, that user votes normally.
    db.execute_unprepared("DROP TRIGGER refuse_doomed ON votes")
        .await
        .expect("remove the fault");
    let retry = app.cast_vote(&bad, id, &[&options[1]], "k").await;
    assert_eq!(retry["data"]["castVote"]["replayed"], false, "{retry}");
}
