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
//! | 4400 | a message that is not valid JSON of the protocol |
//! | 4401 | `subscribe` before `connection_ack` |
//! | 4403 | `connection_init` with a token that is refused |
//! | 4406 | the client did not ask for the `graphql-transport-ws` subprotocol |
//! | 4408 | no `connection_init` within `TALLY_WS_INIT_TIMEOUT_MS` |
//! | 4409 | a `subscribe` whose id is already running |
//! | 4429 | a second `connection_init` |
//!
//! One task serves a connection: it reads the client, pulls the connection's
//! subscription streams and writes what they yield. Identical `pollResults`
//! subscriptions share one execution across connections ([`super::ws_shared`]). Streams are fed from "latest value"
//! sources, so a client that does not read only stalls itself, never other subscribers,
//! and buffers nothing. Sign-in is the `authorization` field of the `connection_init`
//! payload (`Bearer <token>`); without it the connection is anonymous.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Request, Variables};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use futures::stream::BoxStream;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio_stream::StreamMap;

use super::AppState;
use super::ws_shared::{Outgoing, poll_results_target};
use crate::auth::Viewer;
use crate::graphql::RequestMeta;
use crate::realtime::Pacing;

/// The subprotocol spoken.
pub const PROTOCOL: &str = "graphql-transport-ws";
/// Largest message accepted from a client.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Socket buffer sizes: small, since a connection mostly idles between small tallies.
const BUFFER_BYTES: usize = 4 * 1024;

/// Limits of the WebSocket endpoint.
#[derive(Clone)]
pub struct WsLimits {
    /// Connections still available on this instance.
    pub connections: Arc<Semaphore>,
    /// Most subscriptions per connection.
    pub max_subscriptions: usize,
    /// Time allowed for `connection_init`.
    pub init_timeout: Duration,
    /// Interval of server pings.
    pub keepalive: Duration,
    /// Counts the subscriptions written to, which sets how often feeds send.
    pub pacing: Pacing,
}

/// A message from the client.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: SubscribePayload,
    },
    Complete {
        id: String,
    },
    Ping {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Pong {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscribePayload {
    query: String,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<Value>,
}

/// `GET /graphql/ws`.
pub async fn upgrade(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> HttpResponse {
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
        .read_buffer_size(BUFFER_BYTES)
        .write_buffer_size(BUFFER_BYTES)
        .max_message_size(MAX_MESSAGE_BYTES);
    let speaks_protocol = ws.selected_protocol().is_some();
    ws.on_upgrade(move |socket| async move {
        if speaks_protocol {
            Connection::new(state, meta).serve(socket).await;
        } else {
            close(socket, 4406, "Subprotocol not acceptable").await;
        }
        drop(permit);
    })
}

async fn close(mut socket: WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from(reason),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// Why the server ends a connection.
struct Closing(u16, String);

/// One client connection.
struct Connection {
    state: Arc<AppState>,
    meta: RequestMeta,
    /// `None` until `connection_init` was accepted.
    viewer: Option<Viewer>,
    streams: StreamMap<String, BoxStream<'static, Outgoing>>,
}

impl Connection {
    fn new(state: Arc<AppState>, meta: RequestMeta) -> Self {
        Connection {
            state,
            meta,
            viewer: None,
            streams: StreamMap::new(),
        }
    }

    async fn serve(mut self, socket: WebSocket) {
        let (mut outgoing, mut incoming) = socket.split();
        let init_deadline = tokio::time::sleep(self.state.ws.init_timeout);
        tokio::pin!(init_deadline);
        let mut keepalive = tokio::time::interval(self.state.ws.keepalive);
        keepalive.tick().await;
        let closing: Closing = loop {
            let reply = tokio::select! {
                () = &mut init_deadline, if self.viewer.is_none() => {
                    break Closing(4408, "Connection initialisation timeout".into());
                }
                message = incoming.next() => match message {
                    Some(Ok(Message::Text(text))) => match self.handle(&text).await {
                        Ok(reply) => reply.map(|v| v.to_string()),
                        Err(closing) => break closing,
                    },
                    Some(Ok(Message::Binary(_))) => {
                        break Closing(4400, "Binary messages are not supported".into());
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => None,
                },
                Some((id, item)) = self.streams.next(), if !self.streams.is_empty() => {
                    Some(self.outgoing(id, item))
                }
                _ = keepalive.tick(), if self.viewer.is_some() => {
                    Some(json!({ "type": "ping" }).to_string())
                }
            };
            if let Some(reply) = reply
                && outgoing
                    .send(Message::Text(Utf8Bytes::from(reply)))
                    .await
                    .is_err()
            {
                return;
            }
        };
        let frame = CloseFrame {
            code: closing.0,
            reason: Utf8Bytes::from(closing.1),
        };
        let _ = outgoing.send(Message::Close(Some(frame))).await;
    }

    /// Handles one client message; `Ok(Some(reply))` to answer, `Err` to close.
    async fn handle(&mut self, text: &str) -> Result<Option<Value>, Closing> {
        let message: ClientMessage = serde_json::from_str(text)
            .map_err(|e| Closing(4400, format!("Invalid message: {e}")))?;
        match message {
            ClientMessage::ConnectionInit { payload } => {
                if self.viewer.is_some() {
                    return Err(Closing(4429, "Too many initialisation requests".into()));
                }
                let viewer = self
                    .state
                    .confirm_viewer(self.viewer_from(payload.as_ref()))
                    .await;
                if let Viewer::Invalid(why) = viewer {
                    return Err(Closing(4403, format!("Forbidden: {why}")));
                }
                self.viewer = Some(viewer);
                Ok(Some(json!({ "type": "connection_ack" })))
            }
            ClientMessage::Subscribe { id, payload } => {
                let Some(viewer) = self.viewer.clone() else {
                    return Err(Closing(4401, "Unauthorized".into()));
                };
                if self.streams.contains_key(&id) {
                    return Err(Closing(4409, format!("Subscriber for {id} already exists")));
                }
                if self.streams.len() >= self.state.ws.max_subscriptions {
                    return Ok(Some(too_many(&id, self.state.ws.max_subscriptions)));
                }
                self.start(id, payload, viewer).await;
                Ok(None)
            }
            ClientMessage::Complete { id } => {
                self.streams.remove(&id);
                Ok(None)
            }
            ClientMessage::Ping { .. } => Ok(Some(json!({ "type": "pong" }))),
            ClientMessage::Pong { .. } => Ok(None),
        }
    }

    fn viewer_from(&self, payload: Option<&Value>) -> Viewer {
        let authorization = payload
            .and_then(|p| p.get("authorization").or_else(|| p.get("Authorization")))
            .and_then(Value::as_str);
        match authorization {
            None => Viewer::Anonymous,
            Some(value) => self.state.viewer_from_authorization(value),
        }
    }

    async fn start(&mut self, id: String, payload: SubscribePayload, viewer: Viewer) {
        let variables = payload.variables.unwrap_or(Value::Null);
        let mut request = Request::new(payload.query)
            .data(viewer.clone())
            .data(self.meta.clone());
        if let Some(name) = payload.operation_name {
            request = request.operation_name(name);
        }
        if !variables.is_null() {
            request = request.variables(Variables::from_json(variables.clone()));
        }
        // A plain `pollResults` subscription the viewer is admitted to joins a shared
        // execution; anything else (including a refusal, which the execution reports)
        // runs on its own.
        let target = poll_results_target(
            &request.query,
            request.operation_name.as_deref(),
            &variables,
        );
        let admitted = match (target, viewer.optional()) {
            (Some(poll), Ok(user)) => self
                .state
                .gate
                .admit(poll, user)
                .await
                .ok()
                .map(|(_, access)| (poll, access)),
            _ => None,
        };
        let stream = match admitted {
            Some((poll, access)) => {
                self.state
                    .shared
                    .join(&self.state.schema, poll, access, request, &variables)
            }
            None => self
                .state
                .schema
                .execute_stream(request)
                .map(|response| Outgoing::Response(Box::new(response)))
                .chain(futures::stream::once(async { Outgoing::End }))
                .boxed(),
        };
        // Counted as a watcher for as long as the stream lives.
        let watcher = self.state.ws.pacing.watch();
        let stream = stream
            .map(move |item| {
                let _counted = &watcher;
                item
            })
            .boxed();
        self.streams.insert(id, stream);
    }

    /// The message for an item of subscription `id`.
    fn outgoing(&mut self, id: String, item: Outgoing) -> String {
        match item {
            // Refused before any data (validation, or the resolver's own error): the
            // protocol's `error` message, and the operation is over.
            Outgoing::Response(response)
                if response.data == async_graphql::Value::Null && response.is_err() =>
            {
                self.streams.remove(&id);
                json!({ "id": id, "type": "error", "payload": response.errors }).to_string()
            }
            Outgoing::Response(response) => {
                json!({ "id": id, "type": "next", "payload": response }).to_string()
            }
            Outgoing::Rendered(payload) => format!(
                r#"{{"id":{},"type":"next","payload":{payload}}}"#,
                Value::String(id)
            ),
            Outgoing::End => json!({ "id": id, "type": "complete" }).to_string(),
        }
    }
}

fn too_many(id: &str, max: usize) -> Value {
    json!({
        "id": id,
        "type": "error",
        "payload": [{
            "message": format!("at most {max} subscriptions per connection"),
            "extensions": { "code": "TOO_MANY_SUBSCRIPTIONS" },
        }],
    })
}
