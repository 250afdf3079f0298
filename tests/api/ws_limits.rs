//! The WebSocket endpoint's limits: frame sizes, dead and deaf clients, tokens that
//! expire under an open socket, and the edges of the protocol.

use std::time::{Duration, Instant};

use serde_json::json;
use tally::config::Config;

use crate::helpers::{Backend, CAST_VOTE, TestApp, option_ids};
use crate::ws_support::{RawWs, Received, WsClient, opcode, wide_poll};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_announcing_more_than_the_limit_is_refused_from_its_header() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = RawWs::connect(&app, None).await;
    client.init().await;
    // A 10 MB text frame, of which only the first kilobyte is ever sent: a server that
    // waited for the whole payload before judging its size would answer nothing.
    client.send_header(opcode::TEXT, 10 * 1024 * 1024).await;
    client
        .send_bytes(&[b'x'; 1024])
        .await
        .expect("the first kilobyte is sent");
    assert_eq!(client.receive().await, Received::Closed(1009));
}

fn deaf_clients_config(config: &mut Config) {
    config.realtime.keepalive_secs = 1;
    config.realtime.max_connections = 2;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_nor_answers_is_dropped_and_its_slot_freed() {
    let app = TestApp::spawn_with(Backend::Sqlite, deaf_clients_config).await;
    // Both slots taken by clients that initialise and then neither read nor answer.
    let mut deaf = Vec::new();
    for _ in 0..2 {
        let mut client = RawWs::connect(&app, None).await;
        client.init().await;
        deaf.push(client);
    }
    assert_eq!(WsClient::try_connect(&app).await.err(), Some(503));

    // Two missed keep-alives (2 s here) later, they are gone and a newcomer gets in.
    let started = Instant::now();
    let newcomer = loop {
        match WsClient::try_connect(&app).await {
            Ok(client) => break client,
            Err(status) => {
                assert_eq!(status, 503);
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "deaf clients still hold every slot"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    eprintln!("a slot came free after {:?}", started.elapsed());
    // The server hung up on the deaf clients (no Close frame: they would not read it).
    for client in &mut deaf {
        assert_eq!(
            client.receive_within(Duration::from_secs(5)).await,
            Some(Received::Closed(1006))
        );
    }
    drop(newcomer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_talks_but_never_reads_is_dropped_once_a_write_waits_too_long() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.realtime.keepalive_secs = 1;
        c.realtime.max_connections = 1;
        c.realtime.updates_per_second = 1000;
        c.realtime.max_subscriptions = 32;
    })
    .await;
    let owner = app.register("owner").await;
    let poll = wide_poll(&app, &owner).await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    let mut deaf = RawWs::connect(&app, Some(4096)).await;
    deaf.init().await;
    deaf.subscribe_wide(id, 32).await;
    // From now on it pings the server every 200 ms, as a live client would, but never
    // reads a byte.
    let talking = tokio::spawn(async move {
        let ping = json!({ "type": "ping" }).to_string();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if deaf.try_send_text(&ping).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    // Some 5 MB of tallies for it: more than the sockets' buffers hold, so the server's
    // writes to it stop completing.
    for (i, voter) in app.register_many("voter", 40).await.iter().enumerate() {
        app.cast_vote(voter, id, &[&options[i % 20]], "k").await;
    }

    // A write pending for two keep-alives (2 s) ends the connection and frees its slot.
    let started = Instant::now();
    loop {
        match WsClient::try_connect(&app).await {
            Ok(_) => break,
            Err(status) => {
                assert_eq!(status, 503);
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "the deaf client still holds the only slot"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    eprintln!("the slot came free {:?} after the votes", started.elapsed());
    talking.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operation_after_the_token_expired_is_refused_and_the_socket_closes_4403() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
    let voter = app.register("voter").await;
    let mut client = WsClient::ready(&app, Some(&voter.token)).await;

    app.clock
        .advance(Duration::from_secs(app.config.auth.token_ttl_secs + 1));
    client
        .send(json!({
            "id": "vote", "type": "subscribe",
            "payload": {
                "query": CAST_VOTE,
                "variables": { "input": { "pollId": id, "optionIds": [options[0]], "idempotencyKey": "k" } },
            },
        }))
        .await;
    match client.receive().await {
        Received::Message(m) => {
            assert_eq!(m["type"], "error", "{m}");
            assert_eq!(m["id"], "vote", "{m}");
            assert_eq!(
                m["payload"][0]["extensions"]["code"], "UNAUTHENTICATED",
                "{m}"
            );
        }
        other => panic!("expected an error, got {other:?}"),
    }
    assert_eq!(client.receive().await, Received::Closed(4403));
    assert_eq!(app.count_rows("votes").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_closes_4403_when_its_token_expires() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.realtime.keepalive_secs = 1).await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let mut client = WsClient::ready(&app, Some(&owner.token)).await;
    client
        .subscribe_results("s", poll["id"].as_str().unwrap())
        .await;
    assert_eq!(client.next_results("s").await["totalVotes"], 0);
    // An anonymous connection has no token to outlive.
    let mut anonymous = WsClient::ready(&app, None).await;

    app.clock
        .advance(Duration::from_secs(app.config.auth.token_ttl_secs + 1));
    assert_eq!(client.receive().await, Received::Closed(4403));
    anonymous.send(json!({ "type": "ping" })).await;
    assert_eq!(
        anonymous.receive().await,
        Received::Message(json!({ "type": "pong" }))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_init_with_a_payload_that_is_not_an_object_closes_4400() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for payload in [json!(5), json!("x"), json!(["authorization"])] {
        let mut client = WsClient::connect(&app).await;
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        assert_eq!(client.receive().await, Received::Closed(4400), "{payload}");
    }
    let mut client = WsClient::connect(&app).await;
    client
        .send(json!({ "type": "connection_init", "payload": null }))
        .await;
    assert_eq!(
        client.receive().await,
        Received::Message(json!({ "type": "connection_ack" }))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_close_reason_is_cut_so_the_client_still_gets_the_code() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = WsClient::connect(&app).await;
    // The parse error quotes the unknown type, far past the 123 bytes a reason may take.
    let long_type = "é".repeat(150);
    client.send(json!({ "type": long_type })).await;
    assert_eq!(client.receive().await, Received::Closed(4400));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_the_clients_close_frame() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = WsClient::ready(&app, None).await;
    client.close(1000).await;
    assert_eq!(client.receive().await, Received::Closed(1000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_many_times_the_read_buffer_but_under_the_limit_arrives_whole() {
    // The server reads a client 1 KiB at a time and starts its buffer that small (an
    // idle subscriber holds it): a larger message must still be read whole, not cut or
    // refused, and the connection must go on reading after it.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = RawWs::connect(&app, None).await;
    client.init().await;
    let pong = Received::Message(json!({ "type": "pong" }));
    let large = json!({ "type": "ping", "payload": { "pad": "x".repeat(60_000) } });
    client.send_text(&large.to_string()).await;
    assert_eq!(client.receive().await, pong);
    client.send_text(r#"{"type":"ping"}"#).await;
    assert_eq!(client.receive().await, pong);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_on_past_a_refused_message_still_reads_the_close_code() {
    // Found by the fuzz tests. Closing a socket with unread data in it resets the
    // connection, and the Close frame, held back by Nagle's algorithm until the client
    // acknowledged the message before it (a pong here), was lost with it: the client
    // saw the connection reset (1006) instead of 1009 or 4400.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let pong = Received::Message(json!({ "type": "pong" }));
    let too_big = format!(r#"{{"type":"ping","payload":"{}"}}"#, "x".repeat(70_000));
    for (refused, code) in [(too_big.as_str(), 1009), ("not a message", 4400)] {
        for _ in 0..10 {
            let mut client = RawWs::connect(&app, None).await;
            // Sent in one go, as a client that does not wait for answers does; the
            // server hangs up in the middle (so later sends may fail).
            client.send_text(r#"{"type":"connection_init"}"#).await;
            client.send_text(r#"{"type":"ping"}"#).await;
            let _ = client.try_send_text(refused).await;
            for _ in 0..3 {
                let _ = client.try_send_text(r#"{"type":"ping"}"#).await;
            }
            assert_eq!(
                client.receive().await,
                Received::Message(json!({ "type": "connection_ack" }))
            );
            assert_eq!(client.receive().await, pong);
            assert_eq!(client.receive().await, Received::Closed(code));
        }
    }
}

crate::both_backends! {
    async fn operations_waiting_on_one_connection_do_not_hold_the_database_from_it(backend: Backend) {
        // Found by the fuzz tests. A connection's operations only make progress while
        // its loop polls them; the loop stopped polling them while it awaited the
        // database itself (to admit a `pollResults` subscriber), so a query sent just
        // before held pool connections it could not finish with, the admission waited
        // for the pool, and the connection (and every request needing the pool) stalled
        // until the pool's acquire timeout.
        let app = TestApp::spawn_with(backend, |c| c.database.pool_size = 2).await;
        let owner = app.register("owner").await;
        let poll = app.create_poll(&owner, json!({ "listing": "LISTED" })).await;
        let poll_id = poll["id"].as_str().unwrap();
        let mut client = WsClient::ready(&app, Some(&owner.token)).await;
        let query = "{ a: polls(first: 5) { edges { node { owner { username } results { totalVotes } } } } \
                     b: polls(first: 4) { edges { node { owner { username } myVote { id } } } } \
                     c: polls(first: 3) { edges { node { options { text } } } } \
                     d: poll(id: \"POLL\") { owner { username } results { totalVotes } } }";
        for round in 0..5 {
            let started = Instant::now();
            let (query_id, watch_id) = (format!("q{round}"), format!("w{round}"));
            client
                .send(json!({ "id": query_id, "type": "subscribe",
                    "payload": { "query": query.replace("POLL", poll_id) } }))
                .await;
            client.subscribe_results(&watch_id, poll_id).await;
            client.send(json!({ "type": "ping" })).await;
            let mut pong = false;
            let mut complete = false;
            while !(pong && complete) {
                match client.receive().await {
                    Received::Message(m) if m["type"] == "pong" => pong = true,
                    Received::Message(m) if m["type"] == "complete" => {
                        assert_eq!(m["id"], query_id.as_str());
                        complete = true;
                    }
                    Received::Message(m) => assert!(m["type"] == "next", "{m}"),
                    other => panic!("{other:?}"),
                }
            }
            let took = started.elapsed();
            assert!(took < Duration::from_secs(2), "round {round} took {took:?}");
            client
                .send(json!({ "id": watch_id, "type": "complete" }))
                .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clients_close_handshake_completes_within_a_second_even_with_a_subscription_running() {
    // The graphql-ws client backs off for seconds after a 1006; a close it started must
    // end cleanly and at once: the server's Close frame back, then the end of the stream.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let mut client = WsClient::ready(&app, Some(&owner.token)).await;
    client
        .subscribe_results("1", poll["id"].as_str().unwrap())
        .await;
    client.next_results("1").await;
    let started = Instant::now();
    client.close(1000).await;
    let answer = client.receive_within(Duration::from_secs(1)).await;
    assert_eq!(
        answer,
        Some(Received::Closed(1000)),
        "after {:?}",
        started.elapsed()
    );
    assert!(
        client.ended_within(Duration::from_secs(1)).await,
        "the server did not end the connection within 1 s of the handshake"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_server_closes_its_sockets_with_service_restart_so_clients_reconnect() {
    // SIGTERM's path: upgraded connections are not part of the HTTP drain, so each one
    // hears 1012 at once, initialised or not, and its client reconnects elsewhere.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let mut subscribed = WsClient::ready(&app, None).await;
    subscribed
        .subscribe_results("r", poll["id"].as_str().unwrap())
        .await;
    assert_eq!(subscribed.next_results("r").await["totalVotes"], 0);
    let mut fresh = WsClient::connect(&app).await;
    app.request_stop();
    assert_eq!(subscribed.receive().await, Received::Closed(1012));
    assert_eq!(fresh.receive().await, Received::Closed(1012));
}
