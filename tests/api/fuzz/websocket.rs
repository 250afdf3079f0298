//! GraphQL over WebSocket, fuzzed: generated sessions ([`super::ws_messages`]) sent in
//! one go on fresh connections, while a bystander connection holds a subscription.
//!
//! The server must answer by the protocol (every message a known type, operation
//! messages only for ids the client used, errors with documented codes, a `pong` for
//! each `ping`) or close with the code the session calls for; never leave a client
//! without a Close frame (1006) or close 1011; answer within [`BUDGET`]; and still
//! serve the bystander afterwards.

use std::time::Instant;

use futures::{SinkExt, StreamExt};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use super::contract::{CONTRACT, check_errors, check_response};
use super::ws_messages::{Frame, Session, session};
use super::ws_model::{Expectation, expectation};
use super::{BUDGET, Fuzz};
use crate::helpers::TestApp;
use crate::ws_support::{Received, WsClient};

/// Sessions per property in process (SQLite), and with Redis and PostgreSQL.
const CASES: u32 = 600;
const CASES_WITH_REDIS: u32 = 150;

/// Sent last when the session leaves the connection open: its `pong` marks the end of
/// the server's answers.
const SENTINEL: &str = r#"{"type":"ping"}"#;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(app: &TestApp, subprotocol: bool) -> Result<Socket, TestCaseError> {
    let url = format!("{}/graphql/ws", app.address.replace("http://", "ws://"));
    let mut request = url
        .into_client_request()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    if subprotocol {
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().expect("a header"),
        );
    }
    let (socket, _) = tokio::time::timeout(BUDGET, tokio_tungstenite::connect_async(request))
        .await
        .map_err(|_| TestCaseError::fail("the upgrade took longer than the budget"))?
        .map_err(|e| TestCaseError::fail(format!("the upgrade failed: {e}")))?;
    Ok(socket)
}

fn message(frame: &Frame) -> Message {
    match frame {
        Frame::Text(text, _) => Message::Text(text.as_str().into()),
        Frame::Binary(bytes) => Message::Binary(bytes.clone().into()),
        Frame::Ping(bytes) => Message::Ping(bytes.clone().into()),
        Frame::Close(code) => Message::Close(Some(CloseFrame {
            code: (*code).into(),
            reason: "fuzz".into(),
        })),
    }
}

/// What came back, in order.
#[derive(Debug, Default)]
struct Answers {
    messages: Vec<Value>,
    /// The close code, 1006 when the connection ended without a Close frame; `None`
    /// when it is still open.
    closed: Option<u16>,
}

/// Reads until the connection closes, or until `pongs` pongs came (the last one the
/// sentinel's, unless a mangled message was a ping too); fails past the budget.
async fn read_answers(
    socket: &mut Socket,
    pongs: Option<usize>,
    started: Instant,
) -> Result<Answers, TestCaseError> {
    let mut answers = Answers::default();
    let mut seen_pongs = 0;
    let deadline = tokio::time::Instant::from_std(started + BUDGET);
    loop {
        if pongs.is_some_and(|wanted| seen_pongs >= wanted) {
            return Ok(answers);
        }
        let frame = tokio::time::timeout_at(deadline, socket.next())
            .await
            .map_err(|_| {
                TestCaseError::fail(format!(
                    "no end to the answers within the budget; so far: {answers:?}"
                ))
            })?;
        match frame {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(&text).map_err(|e| {
                    TestCaseError::fail(format!("a message that is not JSON ({e}): {text}"))
                })?;
                if value["type"] == "pong" {
                    seen_pongs += 1;
                }
                answers.messages.push(value);
            }
            Some(Ok(Message::Close(frame))) => {
                answers.closed = Some(frame.map_or(1005, |f| u16::from(f.code)));
                return Ok(answers);
            }
            Some(Ok(Message::Binary(_))) => {
                return Err(TestCaseError::fail("the server sent a binary frame"));
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => {
                answers.closed = Some(1006);
                return Ok(answers);
            }
        }
    }
}

/// Checks each message the server sent against the protocol and the README.
fn check_messages(answers: &Answers, expected: &Expectation) -> Result<(), TestCaseError> {
    let mut acks = 0;
    for message in &answers.messages {
        let kind = message["type"].as_str().unwrap_or_default();
        let id = &message["id"];
        match kind {
            "connection_ack" => acks += 1,
            "ping" | "pong" => {}
            "next" | "error" | "complete" => {
                let known =
                    expected.any_id || id.as_str().is_some_and(|id| expected.ids.contains(id));
                prop_assert!(known, "a message for an id never used: {message}");
                match kind {
                    "next" => check_response(&message["payload"], 200)?,
                    "error" => check_errors(&message["payload"], 200)?,
                    _ => {}
                }
            }
            _ => {
                return Err(TestCaseError::fail(format!(
                    "not a protocol message: {message}"
                )));
            }
        }
    }
    prop_assert!(acks <= 1, "{acks} connection_acks");
    if expected.ack && answers.closed.is_none() {
        prop_assert_eq!(acks, 1, "connection_init was not acknowledged");
    }
    Ok(())
}

/// Checks how the connection ended against what the session called for.
fn check_close(answers: &Answers, expected: &Expectation) -> Result<(), TestCaseError> {
    let pongs = answers
        .messages
        .iter()
        .filter(|m| m["type"] == "pong")
        .count();
    match answers.closed {
        Some(1006) => Err(TestCaseError::fail(
            "the connection ended without a Close frame (1006)",
        )),
        Some(_) if expected.client_closed => Ok(()),
        Some(code) => {
            prop_assert!(
                expected.close_codes.contains(&code),
                "closed {code}; the session calls for {:?} (must close: {})",
                expected.close_codes,
                expected.must_close
            );
            prop_assert!(
                CONTRACT.close_codes.contains(&code),
                "close code {code} is not documented"
            );
            // Pings before the message that closed were answered first.
            prop_assert!(
                pongs >= expected.pongs.0,
                "{pongs} pongs, {:?} owed",
                expected.pongs
            );
            Ok(())
        }
        None => {
            prop_assert!(
                !expected.must_close && !expected.client_closed,
                "the connection stayed open; the session calls for a close ({:?})",
                expected.close_codes
            );
            // The sentinel's pong came last; before it, the owed ones.
            let owed = pongs.saturating_sub(1);
            prop_assert!(
                owed >= expected.pongs.0 && owed <= expected.pongs.1,
                "{owed} pongs, {:?} owed",
                expected.pongs
            );
            Ok(())
        }
    }
}

/// Runs one session on a fresh connection and checks what came back.
async fn run_session(fuzz: &Fuzz, session: Session) -> Result<(), TestCaseError> {
    let app = &fuzz.app;
    let expected = expectation(&session);
    let mut socket = connect(app, session.subprotocol).await?;
    let started = Instant::now();
    let mut open = true;
    for frame in &session.frames {
        if socket.send(message(frame)).await.is_err() {
            // The server has hung up; what it said is read below.
            open = false;
            break;
        }
    }
    let leave_open = !expected.must_close && !expected.client_closed;
    let sentinel = open && leave_open && socket.send(Message::Text(SENTINEL.into())).await.is_ok();
    // With the sentinel sent, its pong comes after every other one: after the owed
    // ones, or (when what the session asked for is uncertain) after at most all.
    let pongs = match (sentinel, expected.pongs) {
        (false, _) => None,
        (true, (owed, usize::MAX)) => Some(owed + 1),
        (true, (_, most)) => Some(most + 1),
    };
    let answers = read_answers(&mut socket, pongs, started).await?;
    fuzz.note(match answers.closed {
        Some(code) => format!("closed {code}"),
        None => "open".to_owned(),
    });
    for message in &answers.messages {
        let kind = message["type"].as_str().unwrap_or_default();
        let code = message["payload"][0]["extensions"]["code"].as_str();
        match (kind, code) {
            ("next", _) if !message["payload"]["data"].is_null() => fuzz.note("next with data"),
            ("error", Some(code)) => fuzz.note(format!("error {code}")),
            ("next" | "complete", _) => fuzz.note(kind),
            _ => {}
        }
    }
    check_messages(&answers, &expected)?;
    check_close(&answers, &expected)
}

fn run(fuzz: &Fuzz, name: &str, cases: u32) {
    let app = &fuzz.app;
    let poll = fuzz.world.pools.poll_ids[0].clone();
    // A connection that stays open through the run, watching a poll.
    let mut bystander = fuzz.block_on(async {
        let mut client = WsClient::ready(app, Some(&fuzz.world.user.token)).await;
        client.subscribe_results("bystander", &poll).await;
        client.next_results("bystander").await;
        client
    });
    let strategy = session(fuzz.world.pools.clone());
    fuzz.check(name, cases, strategy, |session| run_session(fuzz, session));
    fuzz.block_on(async {
        bystander.send(serde_json::json!({ "type": "ping" })).await;
        loop {
            match bystander.receive().await {
                Received::Message(m) if m["type"] == "pong" => break,
                // Its tallies, and its end when a generated `closePoll` closed the poll.
                Received::Message(m) if m["type"] == "next" || m["type"] == "complete" => {
                    continue;
                }
                other => panic!("the bystander got {other:?} instead of its pong"),
            }
        }
    });
    fuzz.assert_still_serving();
}

#[test]
fn generated_websocket_sessions_are_answered_by_the_protocol_or_closed_as_documented() {
    let fuzz = Fuzz::start();
    run(&fuzz, "websocket", CASES);
}

#[test]
fn generated_websocket_sessions_are_answered_by_the_protocol_with_redis_and_postgres() {
    let fuzz = Fuzz::start_with_redis();
    run(&fuzz, "websocket with redis", CASES_WITH_REDIS);
}
