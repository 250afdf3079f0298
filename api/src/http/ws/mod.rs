//! `GET /graphql/ws`: GraphQL over WebSocket, speaking `graphql-transport-ws` (the
//! protocol of the `graphql-ws` client library).
//!
//! Written here rather than taken from async-graphql-axum, whose handler does not close
//! with 4408 on a missing `connection_init`, replaces a duplicate subscription id
//! instead of closing 4409, closes 1011 on subscribe-before-ack, and has no cap on
//! subscriptions. Close codes:
//!
//! | code | when |
//! |---|---|
//! | 1009 | a frame or message over 64 KiB; refused from the frame's header, before its payload is read |
//! | 4400 | a message that is not valid JSON of the protocol (a binary one, a `connection_init` payload that is not an object) |
//! | 4401 | `subscribe` before `connection_ack` |
//! | 4403 | `connection_init` with a token that is refused, or the token expired while the connection was open |
//! | 4406 | the client did not ask for the `graphql-transport-ws` subprotocol |
//! | 4408 | no `connection_init` within `TALLY_WS_INIT_TIMEOUT_MS` |
//! | 4409 | a `subscribe` whose id is already running |
//! | 4429 | a second `connection_init` |
//! | 1012 | the instance is stopping (SIGTERM): "service restart", reconnect (behind a balancer, to another instance) |
//!
//! Before any of that, an upgrade from a browser page on a foreign origin (an `Origin`
//! that [`super::cors`] does not allow) is refused with HTTP 403.
//!
//! A client that has sent nothing for two keep-alive intervals, or does not read what
//! it is sent for as long, is dropped without a Close frame ([`liveness`]): it would not
//! read one. When the client closes, the server answers its Close frame before leaving.
//!
//! - [`protocol`]: the messages and close frames;
//! - [`session`]: who a connection speaks for, and until its token expires;
//! - [`detached`]: operations' database work, run apart from the connection's loop;
//! - [`liveness`]: dropping connections whose client is gone or does not read;
//! - [`connection`]: the loop serving one connection.

mod connection;
pub(super) mod detached;
mod liveness;
mod protocol;
mod session;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::AppState;
use crate::graphql::RequestMeta;
use crate::realtime::Pacing;
use connection::Connection;
use protocol::{Closing, code};

/// The subprotocol spoken.
pub const PROTOCOL: &str = "graphql-transport-ws";
/// Largest message accepted from a client; every message of the protocol is a small
/// JSON object (a document of the largest HTTP body fits).
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Largest frame accepted from a client. tungstenite checks it against the frame's
/// header, before reading the payload; the message limit applies only once a frame is
/// read whole, so without this a 10 MB frame is buffered before it is refused.
const MAX_FRAME_BYTES: usize = MAX_MESSAGE_BYTES;
/// How much is read from a client's socket at a time, and the size its read buffer
/// starts with: a client sends little (`connection_init`, `subscribe`, `pong`), and this
/// buffer is held for as long as the connection lives (tungstenite fills it with zeros
/// before each read, so all of it is resident), once per idle subscriber. A larger
/// message still arrives whole: the buffer grows to the frame's length (up to
/// [`MAX_FRAME_BYTES`]), read in pieces of this size.
const READ_BUFFER_BYTES: usize = 1024;
/// How much tungstenite collects before writing to the socket. Every message is sent
/// and flushed on its own, so this is a threshold only; the buffer itself grows to the
/// largest message written.
const WRITE_BUFFER_BYTES: usize = 4 * 1024;

/// Limits of the WebSocket endpoint.
#[derive(Clone)]
pub struct WsLimits {
    /// Connections still available on this instance.
    pub connections: Arc<Semaphore>,
    /// Most subscriptions per connection.
    pub max_subscriptions: usize,
    /// Time allowed for `connection_init`.
    pub init_timeout: Duration,
    /// Interval of server pings; two of them without a word from the client (or with a
    /// write pending) end the connection.
    pub keepalive: Duration,
    /// Counts the subscriptions written to, which sets how often feeds send.
    pub pacing: Pacing,
    /// Cancelled when the instance starts to stop: upgraded connections have left the
    /// HTTP server's drain, so each closes itself with 1012 and its client reconnects.
    pub stopping: CancellationToken,
}

/// `GET /graphql/ws`.
pub async fn upgrade(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> HttpResponse {
    if !state.cors.allows_upgrade(&headers) {
        return (
            StatusCode::FORBIDDEN,
            "this origin may not open a WebSocket here (TALLY_CORS_ORIGINS)",
        )
            .into_response();
    }
    let Ok(permit) = state.ws.connections.clone().try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many live connections on this server; try again shortly",
        )
            .into_response();
    };
    let meta = RequestMeta {
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        client_ip: Some(peer.ip()),
    };
    let ws = ws
        .protocols([PROTOCOL])
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .max_message_size(MAX_MESSAGE_BYTES);
    let speaks_protocol = ws.selected_protocol().is_some();
    ws.on_upgrade(move |socket| async move {
        if speaks_protocol {
            Connection::new(state, meta).serve(socket).await;
        } else {
            let closing = Closing::new(code::SUBPROTOCOL, "Subprotocol not acceptable");
            close(socket, closing).await;
        }
        drop(permit);
    })
}

async fn close(mut socket: WebSocket, closing: Closing) {
    let frame = CloseFrame {
        code: closing.code,
        reason: Utf8Bytes::from(closing.reason),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}
