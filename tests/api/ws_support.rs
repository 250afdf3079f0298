//! A small `graphql-transport-ws` client for the tests.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::{TestApp, TestUser};

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

    /// Connects, or the HTTP status the upgrade was refused with.
    pub async fn try_connect(app: &TestApp) -> Result<WsClient, u16> {
        let url = format!("{}/graphql/ws", app.address.replace("http://", "ws://"));
        let mut request = url.into_client_request().expect("a request");
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().expect("a header"),
        );
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => Ok(WsClient { socket }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(e) => panic!("connecting failed: {e}"),
        }
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

    /// Sends a Close frame with `code`.
    pub async fn close(&mut self, code: u16) {
        let frame = CloseFrame {
            code: code.into(),
            reason: "bye".into(),
        };
        self.socket
            .send(Message::Close(Some(frame)))
            .await
            .expect("the Close frame is sent");
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
                        // As the graphql-ws client does, so the server knows we are here.
                        let _ = self
                            .socket
                            .send(Message::Text(r#"{"type":"pong"}"#.into()))
                            .await;
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

    /// Whether the connection ends cleanly (the server closes it after the close
    /// handshake, not by a reset) within `wait`.
    pub async fn ended_within(&mut self, wait: Duration) -> bool {
        use tokio_tungstenite::tungstenite::Error;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(Error::ConnectionClosed | Error::AlreadyClosed))) => {
                    return true;
                }
                Ok(Some(Err(_))) => return false,
                Ok(Some(Ok(_))) => continue,
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

/// The header of a client frame with a payload of `len` bytes (masked, as clients must;
/// a zero mask leaves the payload as it is).
fn frame_header(opcode: u8, len: u64) -> Vec<u8> {
    let mut header = vec![0x80 | opcode];
    match len {
        0..=125 => header.push(0x80 | len as u8),
        126..=0xffff => {
            header.push(0x80 | 126);
            header.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            header.push(0x80 | 127);
            header.extend_from_slice(&len.to_be_bytes());
        }
    }
    header.extend_from_slice(&[0; 4]);
    header
}

/// Tallies with every option's text: about 4 KB each on a [`wide_poll`], so a few votes
/// fill a socket's buffers.
pub const WIDE_RESULTS: &str = "subscription($id: ID!) { pollResults(pollId: $id) { totalVotes version asOf final options { option { id text } votes percentage } } }";

/// A poll of 20 options with 150-character texts.
pub async fn wide_poll(app: &TestApp, owner: &TestUser) -> Value {
    let texts: Vec<String> = (0..20)
        .map(|i| format!("{i:02} {}", "x".repeat(150)))
        .collect();
    app.create_poll(owner, json!({ "options": texts })).await
}

/// A WebSocket client written by hand over TCP, for what a well-behaved client never
/// does: announce a frame larger than it sends, stop reading, keep a tiny receive
/// buffer.
pub struct RawWs {
    stream: TcpStream,
}

/// Opcodes of the frames the tests send and read.
pub mod opcode {
    /// A text frame.
    pub const TEXT: u8 = 0x1;
    /// A Close frame.
    pub const CLOSE: u8 = 0x8;
}

impl RawWs {
    /// Connects and upgrades to `graphql-transport-ws`; with `receive_buffer`, the
    /// socket's receive buffer is set that small first.
    pub async fn connect(app: &TestApp, receive_buffer: Option<u32>) -> RawWs {
        let address: std::net::SocketAddr = app
            .address
            .trim_start_matches("http://")
            .parse()
            .expect("the app's address");
        let socket = TcpSocket::new_v4().expect("a socket");
        if let Some(size) = receive_buffer {
            socket.set_recv_buffer_size(size).expect("SO_RCVBUF");
        }
        let mut stream = socket.connect(address).await.expect("TCP connects");
        let request = format!(
            "GET /graphql/ws HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
        );
        stream
            .write_all(request.as_bytes())
            .await
            .expect("handshake sent");
        // Byte by byte, so nothing after the headers is taken.
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let byte = stream.read_u8().await.expect("the handshake answer");
            head.push(byte);
        }
        let head = String::from_utf8_lossy(&head);
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        RawWs { stream }
    }

    /// Sends `connection_init` (anonymous) and reads the ack.
    pub async fn init(&mut self) {
        self.send_text(&json!({ "type": "connection_init" }).to_string())
            .await;
        assert_eq!(
            self.receive().await,
            Received::Message(json!({ "type": "connection_ack" }))
        );
    }

    /// Subscribes `count` times to the poll's [`WIDE_RESULTS`], reading each first
    /// tally.
    pub async fn subscribe_wide(&mut self, poll: &str, count: usize) {
        for i in 0..count {
            let subscribe = json!({
                "id": i.to_string(), "type": "subscribe",
                "payload": { "query": WIDE_RESULTS, "variables": { "id": poll } },
            });
            self.send_text(&subscribe.to_string()).await;
            match self.receive().await {
                Received::Message(m) if m["type"] == "next" => {}
                other => panic!("expected the first tally, got {other:?}"),
            }
        }
    }

    /// Sends a frame header announcing a payload of `len` bytes, and nothing else.
    pub async fn send_header(&mut self, opcode: u8, len: u64) {
        let header = frame_header(opcode, len);
        self.stream
            .write_all(&header)
            .await
            .expect("a frame header");
    }

    /// Sends raw bytes (a payload after [`RawWs::send_header`]).
    pub async fn send_bytes(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// Sends a text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.try_send_text(text).await.expect("a text frame");
    }

    /// Sends a text frame, or says why it could not (the server hung up).
    pub async fn try_send_text(&mut self, text: &str) -> std::io::Result<()> {
        let mut frame = frame_header(opcode::TEXT, text.len() as u64);
        frame.extend_from_slice(text.as_bytes());
        self.stream.write_all(&frame).await
    }

    /// The next frame from the server: its opcode and payload; `None` once the
    /// connection is closed or reset.
    pub async fn read_frame(&mut self) -> Option<(u8, Vec<u8>)> {
        let first = self.stream.read_u8().await.ok()?;
        let second = self.stream.read_u8().await.ok()?;
        let len = match second & 0x7f {
            126 => u64::from(self.stream.read_u16().await.ok()?),
            127 => self.stream.read_u64().await.ok()?,
            short => u64::from(short),
        };
        let mut payload = vec![0; usize::try_from(len).ok()?];
        self.stream.read_exact(&mut payload).await.ok()?;
        Some((first & 0x0f, payload))
    }

    /// The next protocol message or close within 5 s, skipping pings of both kinds
    /// (and answering none of them).
    pub async fn receive(&mut self) -> Received {
        self.receive_within(Duration::from_secs(5))
            .await
            .expect("a frame within 5 s")
    }

    /// The next protocol message or close within `wait`, if any.
    pub async fn receive_within(&mut self, wait: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.read_frame())
                .await
                .ok()?;
            match frame {
                Some((opcode::TEXT, payload)) => {
                    let value: Value = serde_json::from_slice(&payload).expect("JSON");
                    if value["type"] != "ping" {
                        return Some(Received::Message(value));
                    }
                }
                Some((opcode::CLOSE, payload)) if payload.len() >= 2 => {
                    return Some(Received::Closed(u16::from_be_bytes([
                        payload[0], payload[1],
                    ])));
                }
                Some((opcode::CLOSE, _)) => return Some(Received::Closed(1005)),
                Some(_) => {}
                None => return Some(Received::Closed(1006)),
            }
        }
    }
}
