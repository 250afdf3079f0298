//! Generated `graphql-transport-ws` sessions: half as a well-behaved client sends
//! them, half anything.
//!
//! A session is a handful of frames sent in one go: protocol messages (valid, with a
//! field missing or of the wrong type, of unknown types, out of order: `subscribe`
//! before `connection_init`, a second `connection_init`, duplicate ids, `complete` for
//! ids never used), JSON that is not a message, text too big for a frame, binary
//! frames, WebSocket pings and a client's Close. Each frame carries what it means, so
//! [`super::ws_model`] can tell the close code the server must (or may) end with.

use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

use super::documents::{Gen, GraphqlRequest, Kinds};
use super::mangle;
use super::values::{self, Authorization, Pools};

/// Over the WebSocket, subscriptions mostly.
const KINDS: Kinds = Kinds {
    query: 3,
    mutation: 1,
    subscription: 6,
};

/// Operation ids: short, empty, odd, long.
const IDS: &[&str] = &[
    "1",
    "2",
    "3",
    "",
    "\u{e9}\u{1f4a9}",
    "an-id-long-enough-to-be-silly-but-not-over-any-limit",
];

/// A frame the client sends.
#[derive(Debug, Clone)]
pub enum Frame {
    /// A text frame, and what it is to the protocol.
    Text(String, Meaning),
    /// A binary frame (not part of the protocol: 4400).
    Binary(Vec<u8>),
    /// A WebSocket ping (answered by the WebSocket layer, not the protocol).
    Ping(Vec<u8>),
    /// The client closes with this code.
    Close(u16),
}

/// What a text frame is to the protocol.
#[derive(Debug, Clone)]
pub enum Meaning {
    /// `connection_init`, with a token the server accepts (or none) or refuses.
    Init { accepted: bool },
    /// `subscribe` under an id.
    Subscribe(String),
    /// `complete` of an id.
    Complete(String),
    /// `ping`: answered `pong`.
    Ping,
    /// `pong`: not answered.
    Pong,
    /// Not a message of the protocol: 4400.
    Malformed,
    /// Over the 64 KiB a message may hold: 1009.
    TooBig,
    /// A message mangled as text: it may mean anything.
    Unknown,
}

/// A connection: whether it asks for the subprotocol, and what it sends.
#[derive(Debug, Clone)]
pub struct Session {
    /// Whether the upgrade asks for `graphql-transport-ws` (else: 4406).
    pub subprotocol: bool,
    /// The frames, sent in one go.
    pub frames: Vec<Frame>,
}

fn text(message: Value, meaning: Meaning) -> Frame {
    Frame::Text(message.to_string(), meaning)
}

/// `connection_init`: anonymous, or with a token, accepted or (unless `accepted_only`)
/// refused; or with a payload that is not an object.
fn init(pools: &Pools, accepted_only: bool) -> BoxedStrategy<Frame> {
    let signed = |authorizations: Vec<Authorization>| {
        select(authorizations).prop_map(|a| {
            text(
                json!({ "type": "connection_init", "payload": { "authorization": a.value } }),
                Meaning::Init {
                    accepted: a.accepted,
                },
            )
        })
    };
    let (accepted, refused): (Vec<_>, Vec<_>) = pools
        .authorizations
        .iter()
        .cloned()
        .partition(|a| a.accepted);
    let anonymous = select(vec![
        json!({ "type": "connection_init" }),
        json!({ "type": "connection_init", "payload": null }),
        json!({ "type": "connection_init", "payload": {} }),
        json!({ "type": "connection_init", "payload": { "authorization": 5 } }),
        json!({ "type": "connection_init", "payload": { "other": [1, 2] } }),
    ])
    .prop_map(|m| text(m, Meaning::Init { accepted: true }));
    let not_an_object = select(vec![json!(5), json!("x"), json!([]), json!(true)]).prop_map(|p| {
        text(
            json!({ "type": "connection_init", "payload": p }),
            Meaning::Malformed,
        )
    });
    let hostile = u32::from(!accepted_only);
    prop_oneof![
        3 => anonymous,
        4 => signed(accepted),
        2 * hostile => signed(refused),
        hostile => not_an_object,
    ]
    .boxed()
}

/// The `subscribe` payload of a request.
fn payload(request: &GraphqlRequest) -> Value {
    let mut payload = json!({ "query": request.query });
    if request.variables != json!({}) {
        payload["variables"] = request.variables.clone();
    }
    if let Some(name) = &request.operation_name {
        payload["operationName"] = json!(name);
    }
    payload
}

fn subscribe(docs: &Gen) -> BoxedStrategy<Frame> {
    let valid = (select(IDS), docs.request(KINDS)).prop_map(|(id, request)| {
        let message = json!({ "id": id, "type": "subscribe", "payload": payload(&request) });
        text(message, Meaning::Subscribe(id.to_owned()))
    });
    let broken = (select(IDS), docs.request(KINDS), 0..6usize).prop_map(|(id, request, flaw)| {
        let mut message = json!({ "id": id, "type": "subscribe", "payload": payload(&request) });
        match flaw {
            0 => message["id"] = json!(5),
            1 => drop(message.as_object_mut().and_then(|m| m.remove("id"))),
            2 => message["payload"] = Value::Null,
            3 => message["payload"] = json!({ "variables": {} }),
            4 => message["payload"]["query"] = json!(["{ __typename }"]),
            _ => message["payload"]["operationName"] = json!(5),
        }
        text(message, Meaning::Malformed)
    });
    prop_oneof![8 => valid, 1 => broken].boxed()
}

fn other_message(pools: &Pools) -> BoxedStrategy<Frame> {
    let complete = select(IDS).prop_map(|id| {
        text(
            json!({ "id": id, "type": "complete" }),
            Meaning::Complete(id.to_owned()),
        )
    });
    let ping = prop_oneof![
        Just(json!({ "type": "ping" })),
        Just(json!({ "type": "ping", "payload": { "at": 1 } })),
        Just(json!({ "type": "ping", "payload": [1, null] })),
    ]
    .prop_map(|m| text(m, Meaning::Ping));
    let pong = Just(text(json!({ "type": "pong" }), Meaning::Pong));
    let not_a_message = select(vec![
        json!({ "type": "start", "id": "1", "payload": {} }),
        json!({ "type": "connection_terminate" }),
        json!({ "type": "SUBSCRIBE", "id": "1" }),
        json!({ "type": 5 }),
        json!({ "type": null }),
        json!({ "id": "1" }),
        json!({}),
        json!([]),
        json!("ping"),
        json!({ "type": "complete" }),
        json!({ "type": "complete", "id": 7 }),
    ])
    .prop_map(|m| text(m, Meaning::Malformed));
    let not_json = prop_oneof![
        Just(String::new()),
        Just("{".to_owned()),
        Just("ping".to_owned()),
        Just(r#"{"type":"ping""#.to_owned()),
        (1usize..300).prop_map(|depth| format!("{}{}", "[".repeat(depth), "]".repeat(depth))),
    ]
    .prop_map(|t| Frame::Text(t, Meaning::Malformed));
    let wrong_json = values::wrong_json(pools).prop_map(|v| {
        // A JSON value that is not an object (or an object without a known `type`).
        text(v, Meaning::Malformed)
    });
    let too_big = (65_537usize..80_000).prop_map(|n| {
        let message = json!({ "type": "ping", "payload": { "pad": "x".repeat(n) } });
        Frame::Text(message.to_string(), Meaning::TooBig)
    });
    prop_oneof![
        3 => complete,
        3 => ping,
        1 => pong,
        1 => not_a_message,
        1 => not_json,
        1 => wrong_json,
        1 => too_big,
    ]
    .boxed()
}

fn frame(docs: &Gen, pools: &Pools) -> BoxedStrategy<Frame> {
    let message = prop_oneof![
        2 => init(pools, false),
        6 => subscribe(docs),
        6 => other_message(pools),
    ];
    let mangled = (message.clone(), mangle::edits()).prop_map(|(frame, edits)| match frame {
        Frame::Text(text, _) => Frame::Text(mangle::apply_to_text(&text, &edits), Meaning::Unknown),
        other => other,
    });
    prop_oneof![
        30 => message,
        3 => mangled,
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Frame::Binary),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Frame::Ping),
        1 => select(&[1000u16, 1001, 3000, 4000, 4999][..]).prop_map(Frame::Close),
    ]
    .boxed()
}

/// A step of a well-behaved session.
#[derive(Debug, Clone)]
enum Step {
    Subscribe(GraphqlRequest),
    Ping,
    Pong,
    /// `complete` of the n-th operation (or of one that never was).
    Complete(usize),
}

/// A session as a well-behaved client has it: `connection_init` first (accepted), then
/// valid operations under ids of their own, pings and completes.
fn well_behaved(docs: &Gen, pools: &Pools) -> BoxedStrategy<Vec<Frame>> {
    let step = prop_oneof![
        6 => docs.valid_request(KINDS).prop_map(Step::Subscribe),
        2 => Just(Step::Ping),
        1 => Just(Step::Pong),
        2 => (0usize..8).prop_map(Step::Complete),
    ];
    (init(pools, true), prop::collection::vec(step, 0..=6))
        .prop_map(|(init, steps)| {
            let mut frames = vec![init];
            let mut started = 0;
            for step in steps {
                frames.push(match step {
                    Step::Subscribe(request) => {
                        let id = format!("op{started}");
                        started += 1;
                        let message =
                            json!({ "id": id, "type": "subscribe", "payload": payload(&request) });
                        text(message, Meaning::Subscribe(id))
                    }
                    Step::Ping => text(json!({ "type": "ping" }), Meaning::Ping),
                    Step::Pong => text(json!({ "type": "pong" }), Meaning::Pong),
                    Step::Complete(n) => {
                        let id = format!("op{n}");
                        text(
                            json!({ "id": id, "type": "complete" }),
                            Meaning::Complete(id),
                        )
                    }
                });
            }
            frames
        })
        .boxed()
}

/// Sessions: half well-behaved, half anything (mostly opened properly, so that what
/// follows reaches the operations).
pub fn session(pools: Arc<Pools>) -> BoxedStrategy<Session> {
    let docs = Gen::new(pools.clone());
    let first = prop_oneof![
        7 => init(&pools, false).prop_map(|f| vec![f]),
        3 => Just(Vec::new()),
    ];
    let subprotocol = prop_oneof![19 => Just(true), 1 => Just(false)];
    let chaotic = (
        subprotocol,
        first,
        prop::collection::vec(frame(&docs, &pools), 0..=7),
    )
        .prop_map(|(subprotocol, mut frames, rest)| {
            frames.extend(rest);
            Session {
                subprotocol,
                frames,
            }
        });
    let good = well_behaved(&docs, &pools).prop_map(|frames| Session {
        subprotocol: true,
        frames,
    });
    prop_oneof![good, chaotic].boxed()
}
