//! A small `graphql-transport-ws` client for the tests.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::TestApp;

/// What the server sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    /// A protocol message.
    Message(Value),
    /// The connection was closed with this code.
    Closed(u16),
}

/// A WebSocket connection to the app's `/graphql/ws`.
pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// The results subscription, with the fields the tests read.
pub const POLL_RESULTS: &str = "subscription($id: ID!) { pollResults(pollId: $id) { pollId totalVotes version final options { votes } } }";

impl WsClient {
    /// Connects, asking for the `graphql-transport-ws` subprotocol.
    pub async fn connect(app: &TestApp) -> WsClient {
        Self::connect_with_protocol(app, Some("graphql-transport-ws")).await
    }

    /// Connects with the given subprotocol (or none).
    pub async fn connect_with_protocol(app: &TestApp, protocol: Option<&str>) -> WsClient {
        let url = format!("{}/graphql/ws", app.address.replace("http://", "ws://"));
        let mut request = url.into_client_request().expect("a request");
        if let Some(protocol) = protocol {
            request.headers_mut().insert(
                "sec-websocket-protocol",
                protocol.parse().expect("a header"),
            );
        }
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the WebSocket connects");
        WsClient { socket }
    }

    /// Connects and initialises, signed in with `token` when given.
    pub async fn ready(app: &TestApp, token: Option<&str>) -> WsClient {
        let mut client = Self::connect(app).await;
        let payload = match token {
            Some(token) => json!({ "authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let ack = client.receive().await;
        assert_eq!(ack, Received::Message(json!({ "type": "connection_ack" })));
        client
    }

    /// Sends a JSON message.
    pub async fn send(&mut self, message: Value) {
        self.send_text(&message.to_string()).await;
    }

    /// Sends a raw text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::Text(text.into()))
            .await
            .expect("the message is sent");
    }

    /// Subscribes to a poll's results under `id`.
    pub async fn subscribe_results(&mut self, id: &str, poll: &str) {
        self.send(json!({
            "id": id, "type": "subscribe",
            "payload": { "query": POLL_RESULTS, "variables": { "id": poll } },
        }))
        .await;
    }

    /// The next protocol message or close, skipping server pings; panics after 5 s.
    pub async fn receive(&mut self) -> Received {
        self.receive_within(Duration::from_secs(5))
            .await
            .expect("a message within 5 s")
    }

    /// The next protocol message or close within `wait`, if any.
    pub async fn receive_within(&mut self, wait: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()?;
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text).expect("JSON");
                    if value["type"] == "ping" {
                        continue;
                    }
                    return Some(Received::Message(value));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Some(Received::Closed(frame.map_or(1005, |f| u16::from(f.code))));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Some(Received::Closed(1006)),
            }
        }
    }

    /// The payload of the next `next` message for `id`.
    pub async fn next_results(&mut self, id: &str) -> Value {
        match self.receive().await {
            Received::Message(m) if m["type"] == "next" && m["id"] == id => {
                m["payload"]["data"]["pollResults"].clone()
            }
            other => panic!("expected results for {id}, got {other:?}"),
        }
    }
}
