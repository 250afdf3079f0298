//! Live results over WebSocket: what subscribers receive, across instances, and the
//! protocol's close codes.

use std::time::{Duration, Instant};

use serde_json::json;
use tally::config::Config;

use crate::helpers::{Backend, TestApp, error_code, option_ids, use_redis, without_cost};
use crate::redis_support::shared_redis_url;
use crate::ws_support::{RawWs, Received, WsClient, wide_poll};

/// Short timeouts and few subscriptions, for protocol tests.
pub fn quick(config: &mut Config) {
    config.realtime.init_timeout_ms = 300;
    config.realtime.closer_interval_ms = 50;
    config.realtime.max_subscriptions = 3;
}

/// Closes the poll as its owner.
pub async fn close_poll(app: &TestApp, owner: &crate::helpers::TestUser, poll: &str) {
    let body = app
        .graphql(
            Some(&owner.token),
            "mutation($id: ID!) { closePoll(id: $id) { id } }",
            json!({ "id": poll }),
        )
        .await;
    assert!(body["data"]["closePoll"].is_object(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_gets_the_current_tally_then_each_change_with_a_higher_version() {
    let app = TestApp::spawn_with(Backend::Sqlite, quick).await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    let early = app.register("early").await;
    app.cast_vote(&early, id, &[&options[0]], "k").await;

    let mut client = WsClient::ready(&app, None).await;
    client.subscribe_results("1", id).await;
    let first = client.next_results("1").await;
    assert_eq!(first["totalVotes"], 1);
    assert_eq!(first["final"], false);
    let mut version = first["version"].as_i64().unwrap();

    for (i, voter) in app.register_many("voter", 3).await.iter().enumerate() {
        app.cast_vote(voter, id, &[&options[1]], "k").await;
        // Updates may be folded together; each one seen is newer and never partial.
        let mut seen = client.next_results("1").await;
        while seen["totalVotes"] != i + 2 {
            assert!(seen["version"].as_i64().unwrap() > version);
            version = seen["version"].as_i64().unwrap();
            seen = client.next_results("1").await;
        }
        let counted: i64 = seen["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["votes"].as_i64().unwrap())
            .sum();
        assert_eq!(counted, seen["totalVotes"].as_i64().unwrap());
        assert!(seen["version"].as_i64().unwrap() > version);
        version = seen["version"].as_i64().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_poll_sends_the_final_tally_then_completes() {
    let app = TestApp::spawn_with(Backend::Postgres, quick).await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let id = poll["id"].as_str().unwrap();
    let mut client = WsClient::ready(&app, None).await;
    client.subscribe_results("s", id).await;
    assert_eq!(client.next_results("s").await["final"], false);
    close_poll(&app, &owner, id).await;
    assert_eq!(client.next_results("s").await["final"], true);
    assert_eq!(
        client.receive().await,
        Received::Message(json!({ "id": "s", "type": "complete" }))
    );

    // A closed poll: one final tally and done.
    client.subscribe_results("t", id).await;
    assert_eq!(client.next_results("t").await["final"], true);
    assert_eq!(
        client.receive().await,
        Received::Message(json!({ "id": "t", "type": "complete" }))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_reaching_closes_at_is_announced_final() {
    let app = TestApp::spawn_with(Backend::Sqlite, quick).await;
    let owner = app.register("owner").await;
    let closes = app.clock.now_utc() + chrono::Duration::minutes(5);
    let poll = app
        .create_poll(&owner, json!({ "closesAt": closes.to_rfc3339() }))
        .await;
    let id = poll["id"].as_str().unwrap();
    let mut client = WsClient::ready(&app, None).await;
    client.subscribe_results("s", id).await;
    assert_eq!(client.next_results("s").await["final"], false);
    app.clock.advance(Duration::from_secs(5 * 60));
    assert_eq!(client.next_results("s").await["final"], true);
    assert_eq!(
        client.receive().await,
        Received::Message(json!({ "id": "s", "type": "complete" }))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_on_one_instance_reaches_a_subscriber_on_another_within_a_second() {
    let url = shared_redis_url();
    let a = TestApp::spawn_with(Backend::Postgres, |c| use_redis(c, url)).await;
    let b = TestApp::spawn_beside(&a).await;
    let owner = a.register("owner").await;
    let poll = a.create_poll(&owner, json!({})).await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    let mut client = WsClient::ready(&a, None).await;
    client.subscribe_results("s", id).await;
    assert_eq!(client.next_results("s").await["totalVotes"], 0);

    let voter = b.register("voter").await;
    let cast = Instant::now();
    let body = b.cast_vote(&voter, id, &[&options[2]], "k").await;
    assert!(body["data"]["castVote"].is_object(), "{body}");
    let seen = client.next_results("s").await;
    assert_eq!(seen["totalVotes"], 1);
    assert!(
        cast.elapsed() < Duration::from_secs(1),
        "took {:?}",
        cast.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_delays_no_one_and_skips_to_the_newest_tally() {
    let app = TestApp::spawn_with(Backend::Postgres, |c| {
        c.realtime.updates_per_second = 1000;
        c.realtime.max_subscriptions = SUBSCRIPTIONS;
    })
    .await;
    const SUBSCRIPTIONS: usize = 32;
    const VOTES: usize = 100;
    let owner = app.register("owner").await;
    let poll = wide_poll(&app, &owner).await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));

    // The sluggard, with a tiny receive buffer, subscribes many times over, reads the
    // first tallies, and then stops reading its socket.
    let mut sluggard = RawWs::connect(&app, Some(4096)).await;
    sluggard.init().await;
    sluggard.subscribe_wide(id, SUBSCRIPTIONS).await;
    let mut reader = WsClient::ready(&app, None).await;
    reader.subscribe_results("r", id).await;
    reader.next_results("r").await;

    // Each vote sends the sluggard some 130 KB it does not read: far more than the
    // socket buffers on both ends hold. The reader still sees each tally at once.
    let voters = app.register_many("voter", VOTES).await;
    for (i, voter) in voters.iter().enumerate() {
        let cast = Instant::now();
        app.cast_vote(voter, id, &[&options[i % 20]], "k").await;
        let mut seen = reader.next_results("r").await;
        while seen["totalVotes"] != i + 1 {
            seen = reader.next_results("r").await;
        }
        assert!(
            cast.elapsed() < Duration::from_secs(1),
            "vote {i} took {:?}",
            cast.elapsed()
        );
    }

    // Reading again, the sluggard first gets what sat in the buffers, then the newest
    // tally on each subscription: it skipped the tallies in between rather than
    // receive them late.
    let mut seen: Vec<Vec<i64>> = vec![Vec::new(); SUBSCRIPTIONS];
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.iter().any(|s| s.last() != Some(&(VOTES as i64))) {
        let left = deadline.saturating_duration_since(Instant::now());
        match sluggard.receive_within(left).await {
            Some(Received::Message(m)) if m["type"] == "next" => {
                let sub: usize = m["id"].as_str().unwrap().parse().unwrap();
                let total = m["payload"]["data"]["pollResults"]["totalVotes"]
                    .as_i64()
                    .unwrap();
                seen[sub].push(total);
            }
            other => panic!("the sluggard never caught up: {other:?} after {seen:?}"),
        }
    }
    let received: usize = seen.iter().map(Vec::len).sum();
    eprintln!(
        "the sluggard received {received} of {} tallies",
        SUBSCRIPTIONS * VOTES
    );
    for tallies in &seen {
        assert!(tallies.windows(2).all(|w| w[0] < w[1]), "{tallies:?}");
    }
    // Every tally queued would be SUBSCRIPTIONS × VOTES messages.
    assert!(
        received < SUBSCRIPTIONS * VOTES / 2,
        "the sluggard was sent {received} tallies: they queued instead of skipping"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_protocol_breach_closes_with_its_code() {
    let app = TestApp::spawn_with(Backend::Sqlite, quick).await;
    let user = app.register("user").await;
    let poll = app.create_poll(&user, json!({})).await;
    let id = poll["id"].as_str().unwrap();

    let mut garbage = WsClient::connect(&app).await;
    garbage.send_text("this is not json").await;
    assert_eq!(garbage.receive().await, Received::Closed(4400));

    let mut eager = WsClient::connect(&app).await;
    eager.subscribe_results("1", id).await;
    assert_eq!(eager.receive().await, Received::Closed(4401));

    let mut forged = WsClient::connect(&app).await;
    forged.send(json!({ "type": "connection_init", "payload": { "authorization": "Bearer forged.token.here" } })).await;
    assert_eq!(forged.receive().await, Received::Closed(4403));

    let mut silent = WsClient::connect(&app).await;
    assert_eq!(silent.receive().await, Received::Closed(4408));

    let mut twice = WsClient::ready(&app, Some(&user.token)).await;
    twice.subscribe_results("1", id).await;
    twice.next_results("1").await;
    twice.subscribe_results("1", id).await;
    assert_eq!(twice.receive().await, Received::Closed(4409));

    let mut reinit = WsClient::ready(&app, None).await;
    reinit.send(json!({ "type": "connection_init" })).await;
    assert_eq!(reinit.receive().await, Received::Closed(4429));

    let mut no_protocol = WsClient::connect_with_protocol(&app, None).await;
    assert_eq!(no_protocol.receive().await, Received::Closed(4406));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_holds_a_limited_number_of_subscriptions_and_answers_pings() {
    let app = TestApp::spawn_with(Backend::Sqlite, quick).await;
    let user = app.register("user").await;
    let poll = app.create_poll(&user, json!({})).await;
    let id = poll["id"].as_str().unwrap();
    let mut client = WsClient::ready(&app, None).await;
    for n in 0..3 {
        client.subscribe_results(&n.to_string(), id).await;
        client.next_results(&n.to_string()).await;
    }
    client.subscribe_results("4", id).await;
    match client.receive().await {
        Received::Message(m) => {
            assert_eq!(m["type"], "error");
            assert_eq!(
                m["payload"][0]["extensions"]["code"],
                "TOO_MANY_SUBSCRIPTIONS"
            );
        }
        other => panic!("{other:?}"),
    }
    client.send(json!({ "type": "complete", "id": "0" })).await;
    client.send(json!({ "type": "ping" })).await;
    assert_eq!(
        client.receive().await,
        Received::Message(json!({ "type": "pong" }))
    );
    client.subscribe_results("5", id).await;
    client.next_results("5").await;

    // Queries run over the socket too: one result, then complete.
    client.send(json!({ "type": "complete", "id": "1" })).await;
    client
        .send(
            json!({ "id": "q", "type": "subscribe", "payload": { "query": "{ viewer { id } }" } }),
        )
        .await;
    match client.receive().await {
        Received::Message(mut m) => {
            m["payload"] = without_cost(m["payload"].take());
            assert_eq!(
                m,
                json!({ "id": "q", "type": "next", "payload": { "data": { "viewer": null } } })
            );
        }
        other => panic!("expected the query's answer, got {other:?}"),
    }
    assert_eq!(
        client.receive().await,
        Received::Message(json!({ "id": "q", "type": "complete" }))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_redis_returns_subscribers_get_the_tally_they_missed() {
    let mut redis = crate::redis_support::TestRedis::start();
    let url = redis.url();
    let a = TestApp::spawn_with(Backend::Postgres, |c| use_redis(c, url)).await;
    let b = TestApp::spawn_beside(&a).await;
    let owner = a.register("owner").await;
    let poll = a.create_poll(&owner, json!({})).await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    let mut client = WsClient::ready(&a, None).await;
    client.subscribe_results("s", id).await;
    assert_eq!(client.next_results("s").await["totalVotes"], 0);

    redis.stop();
    // Cast on the other instance: with pub/sub down, this one cannot hear of it.
    for voter in b.register_many("voter", 2).await {
        let body = b.cast_vote(&voter, id, &[&options[0]], "k").await;
        assert!(body["data"]["castVote"].is_object(), "{body}");
    }
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match client.receive_within(left).await {
            Some(Received::Message(m)) if m["type"] == "next" => {
                if m["payload"]["data"]["pollResults"]["totalVotes"] == 2 {
                    break;
                }
            }
            other => panic!("no current tally after Redis came back: {other:?}"),
        }
    }
    let _ = error_code;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_sharing_a_feed_join_late_and_leave_independently() {
    let app = TestApp::spawn_with(Backend::Sqlite, quick).await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    let voters = app.register_many("voter", 2).await;

    let mut first = WsClient::ready(&app, None).await;
    first.subscribe_results("a", id).await;
    assert_eq!(first.next_results("a").await["totalVotes"], 0);
    app.cast_vote(&voters[0], id, &[&options[0]], "k").await;
    while first.next_results("a").await["totalVotes"] != 1 {}

    // A late subscriber to the same feed starts from the current tally, not the first.
    let mut late = WsClient::ready(&app, None).await;
    late.subscribe_results("b", id).await;
    assert_eq!(late.next_results("b").await["totalVotes"], 1);
    // Two subscriptions, one feed, as the operator sees them.
    let metrics = app.metrics_text().await;
    assert!(
        metrics.lines().any(|l| l == "tally_subscribers 2"),
        "{metrics}"
    );
    assert!(metrics.lines().any(|l| l == "tally_feeds 1"), "{metrics}");

    // The first one leaves; the late one keeps receiving.
    first.send(json!({ "id": "a", "type": "complete" })).await;
    drop(first);
    app.cast_vote(&voters[1], id, &[&options[1]], "k").await;
    while late.next_results("b").await["totalVotes"] != 2 {}

    // And a closed poll still ends every subscriber of the feed with the final tally.
    close_poll(&app, &owner, id).await;
    assert_eq!(late.next_results("b").await["final"], true);
    assert_eq!(
        late.receive().await,
        Received::Message(json!({ "id": "b", "type": "complete" }))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_fan_out_budget_subscribers_get_fewer_tallies_each_the_newest() {
    // 20 tallies/s per feed allowed, but only 8 messages/s for the whole instance: with
    // four subscribers each feed waits 4 / 8 = 0.5 s between tallies.
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.realtime.updates_per_second = 20;
        c.realtime.fanout_messages_per_second = 8;
    })
    .await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let mut client = WsClient::ready(&app, None).await;
        client.subscribe_results("r", id).await;
        assert_eq!(client.next_results("r").await["totalVotes"], 0);
        clients.push(client);
    }
    let metrics = app.metrics_text().await;
    assert!(metrics.contains("tally_subscribers 4"), "{metrics}");
    assert!(
        metrics.contains("tally_feed_interval_millis 500"),
        "{metrics}"
    );

    // Twenty votes, one every 100 ms: twenty new tallies in about two seconds.
    let voters = app.register_many("voter", 20).await;
    let started = Instant::now();
    for voter in &voters {
        app.cast_vote(voter, id, &[&options[0]], "k").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let voting = started.elapsed();
    // Each subscriber saw at most one tally per half second of voting (plus the one
    // pending at the end), and the last one it sees is the newest.
    let most = (voting.as_millis() / 500 + 2) as usize;
    for client in &mut clients {
        let mut seen = Vec::new();
        while let Some(Received::Message(m)) =
            client.receive_within(Duration::from_millis(1_500)).await
        {
            seen.push(
                m["payload"]["data"]["pollResults"]["totalVotes"]
                    .as_i64()
                    .unwrap(),
            );
        }
        assert!(
            seen.len() <= most,
            "{} tallies in {voting:?}: {seen:?}",
            seen.len()
        );
        assert_eq!(seen.last(), Some(&20), "{seen:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_errors_over_the_websocket_carry_codes_too() {
    // Found by the fuzz tests: an operation sent over the WebSocket whose arguments the
    // engine could not read (a declared variable left without a value, a value of the
    // wrong type) was answered with errors without a code; over HTTP they carry one.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let user = app.register("alice").await;
    let poll = app.create_poll(&user, json!({})).await;
    let poll_id = poll["id"].as_str().unwrap();
    let mut client = WsClient::ready(&app, Some(&user.token)).await;
    let operations = [
        (
            "mutation($options: [ID!]!) { castVote(input: {pollId: \"POLL\", optionIds: $options, idempotencyKey: \"k\"}) { replayed } }",
            json!({}),
        ),
        (
            "query($first: Int!) { polls(first: $first) { edges { cursor } } }",
            json!({}),
        ),
        (
            "mutation($i: RegisterInput!) { register(input: $i) { token } }",
            json!({ "i": { "username": 5 } }),
        ),
    ];
    for (i, (query, variables)) in operations.into_iter().enumerate() {
        let id = i.to_string();
        client
            .send(json!({
                "id": id, "type": "subscribe",
                "payload": { "query": query.replace("POLL", poll_id), "variables": variables },
            }))
            .await;
        let Received::Message(message) = client.receive().await else {
            panic!("expected an answer to {query}");
        };
        assert_eq!(message["id"], id.as_str(), "{message}");
        let errors = message["payload"]["errors"]
            .as_array()
            .or(message["payload"].as_array())
            .cloned()
            .unwrap_or_default();
        assert!(!errors.is_empty(), "{message}");
        for error in errors {
            assert!(error["extensions"]["code"].is_string(), "{query}: {error}");
        }
        // A `complete` follows a `next`; an `error` ends the operation by itself.
        if message["type"] == "next" {
            assert_eq!(
                client.receive().await,
                Received::Message(json!({ "id": id, "type": "complete" }))
            );
        }
    }
}
