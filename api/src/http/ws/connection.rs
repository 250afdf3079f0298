//! The loop serving one connection.
//!
//! One task serves a connection: it reads the client, pulls the connection's
//! subscription streams and writes what they yield, one message at a time. Identical
//! `pollResults` subscriptions share one execution across connections
//! ([`crate::http::ws_shared`]). Streams are fed from "latest value" sources, so a client
//! that does not read only stalls itself, never other subscribers, and buffers nothing:
//! when its write completes, the next message it gets is the newest. The database work
//! of its operations runs on tasks of their own ([`super::detached`]), so that nothing
//! this loop waits on holds a pool connection.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Request, Variables};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures::stream::BoxStream;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::time::{Instant, MissedTickBehavior, Sleep};
use tokio_stream::StreamMap;

use super::detached::{detached, forwarded};
use super::liveness::{Liveness, send_within};
use super::protocol::{self, ClientMessage, Closing, SubscribePayload, code};
use super::session::{Session, forbidden};
use super::{AppState, MAX_MESSAGE_BYTES};
use crate::error::AppError;
use crate::error_code::ErrorCode;
use crate::graphql::RequestMeta;
use crate::http::ws_shared::{Outgoing, poll_results_target};

/// Shortest wait before a token is checked again at its expiry, so that clocks that
/// disagree by a rounding can never make the check spin.
const LEAST_EXPIRY_RECHECK: Duration = Duration::from_millis(100);

/// How a connection ends.
enum End {
    /// The server closes, with this code.
    Close(Closing),
    /// The client sent a Close frame: answer it.
    ClosedByClient,
    /// The client is gone, or does not read: nothing to say.
    Gone,
}

/// One client connection.
pub struct Connection {
    state: Arc<AppState>,
    meta: RequestMeta,
    /// `None` until `connection_init` was accepted.
    session: Option<Session>,
    streams: StreamMap<String, BoxStream<'static, Outgoing>>,
    /// Fires when the session's token expires (when it has one).
    expiry: Pin<Box<Sleep>>,
    expiry_armed: bool,
}

impl Connection {
    /// A connection not yet initialised.
    pub fn new(state: Arc<AppState>, meta: RequestMeta) -> Self {
        Connection {
            state,
            meta,
            session: None,
            streams: StreamMap::new(),
            expiry: Box::pin(tokio::time::sleep(Duration::ZERO)),
            expiry_armed: false,
        }
    }

    /// Serves the connection until either side ends it.
    pub async fn serve(mut self, socket: WebSocket) {
        let (mut writer, mut incoming) = socket.split();
        let keepalive = self.state.ws.keepalive;
        let mut liveness = Liveness::new(keepalive);
        let init_deadline = tokio::time::sleep(self.state.ws.init_timeout);
        tokio::pin!(init_deadline);
        let mut pings = tokio::time::interval_at(Instant::now() + keepalive, keepalive);
        pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let end = loop {
            let reply = tokio::select! {
                () = self.state.ws.stopping.cancelled() => {
                    break End::Close(Closing::new(
                        code::SERVICE_RESTART,
                        "Server restarting; reconnect",
                    ));
                }
                () = &mut init_deadline, if self.session.is_none() => {
                    break End::Close(Closing::new(
                        code::INIT_TIMEOUT,
                        "Connection initialisation timeout",
                    ));
                }
                () = &mut self.expiry, if self.expiry_armed => match self.recheck() {
                    Ok(()) => None,
                    Err(why) => break End::Close(forbidden(why)),
                },
                frame = incoming.next() => {
                    liveness.heard();
                    match frame {
                        // Boxed: handling a message (the token check of
                        // `connection_init` reads the database) takes more state than
                        // the rest of the loop, and an unboxed one would be part of
                        // this future, held for as long as the connection lives.
                        Some(Ok(Message::Text(text))) => match Box::pin(self.handle(&text)).await {
                            Ok(reply) => reply,
                            Err(closing) => break End::Close(closing),
                        },
                        Some(Ok(Message::Binary(_))) => {
                            break End::Close(Closing::new(
                                code::BAD_MESSAGE,
                                "Binary messages are not supported",
                            ));
                        }
                        Some(Ok(Message::Close(_))) => break End::ClosedByClient,
                        // WebSocket pings and pongs: tungstenite answers pings itself.
                        Some(Ok(_)) => None,
                        Some(Err(e)) if too_big(&e) => {
                            break End::Close(Closing::new(
                                code::MESSAGE_TOO_BIG,
                                format!("Messages are limited to {MAX_MESSAGE_BYTES} bytes"),
                            ));
                        }
                        Some(Err(_)) | None => break End::Gone,
                    }
                }
                Some((id, item)) = self.streams.next(), if !self.streams.is_empty() => {
                    Some(self.outgoing(id, item))
                }
                _ = pings.tick(), if self.session.is_some() => {
                    // The token first: a client that can still read learns why it ends.
                    if let Err(why) = self.recheck() {
                        break End::Close(forbidden(why));
                    }
                    if liveness.is_silent() {
                        tracing::debug!("dropping a WebSocket client silent for two keep-alives");
                        break End::Gone;
                    }
                    Some(protocol::ping())
                }
            };
            if let Some(reply) = reply
                && !send_within(&mut writer, text(reply), liveness.write_bound()).await
            {
                tracing::debug!("dropping a WebSocket client that does not read");
                break End::Gone;
            }
        };
        let bound = liveness.write_bound();
        match end {
            End::Close(closing) => {
                if let Some(last) = closing.last_message
                    && !send_within(&mut writer, text(last), bound).await
                {
                    return;
                }
                let frame = CloseFrame {
                    code: closing.code,
                    reason: Utf8Bytes::from(closing.reason),
                };
                send_within(&mut writer, Message::Close(Some(frame)), bound).await;
            }
            // tungstenite queued the answer to the client's Close frame; it goes out
            // only when flushed (else the client sees 1006).
            End::ClosedByClient => {
                let _ = tokio::time::timeout(bound, writer.close()).await;
            }
            End::Gone => {}
        }
    }

    /// Checks the session's token again, and re-arms the expiry timer; why the token is
    /// refused now, if it is.
    fn recheck(&mut self) -> Result<(), &'static str> {
        let Some(session) = &self.session else {
            return Ok(());
        };
        let left = session.recheck(&self.state)?;
        self.arm(left);
        Ok(())
    }

    /// Sets the expiry timer to fire after `left` (none when `None`).
    fn arm(&mut self, left: Option<Duration>) {
        self.expiry_armed = left.is_some();
        if let Some(left) = left {
            let at = Instant::now()
                .checked_add(left.max(LEAST_EXPIRY_RECHECK))
                .unwrap_or_else(far_future);
            self.expiry.as_mut().reset(at);
        }
    }

    /// Handles one client message; `Ok(Some(reply))` to answer, `Err` to close.
    async fn handle(&mut self, text: &str) -> Result<Option<String>, Closing> {
        match ClientMessage::parse(text)? {
            ClientMessage::ConnectionInit { payload } => {
                if self.session.is_some() {
                    return Err(Closing::new(
                        code::TOO_MANY_INITS,
                        "Too many initialisation requests",
                    ));
                }
                let (session, left) = Session::open(&self.state, payload.as_ref()).await?;
                self.session = Some(session);
                self.arm(left);
                Ok(Some(protocol::ack()))
            }
            ClientMessage::Subscribe { id, payload } => {
                if self.session.is_none() {
                    return Err(Closing::new(code::UNAUTHORIZED, "Unauthorized"));
                }
                if self.streams.contains_key(&id) {
                    return Err(Closing::new(
                        code::DUPLICATE_ID,
                        format!("Subscriber for {id} already exists"),
                    ));
                }
                // Every operation runs under a token that is valid now.
                if let Err(why) = self.recheck() {
                    let refusal = protocol::app_error(&id, AppError::Unauthenticated(why));
                    return Err(forbidden(why).after(refusal));
                }
                let max = self.state.ws.max_subscriptions;
                if self.streams.len() >= max {
                    return Ok(Some(protocol::error_with_code(
                        &id,
                        ErrorCode::TooManySubscriptions,
                        &format!("at most {max} subscriptions per connection"),
                    )));
                }
                self.start(id, payload);
                Ok(None)
            }
            ClientMessage::Complete { id } => {
                self.streams.remove(&id);
                Ok(None)
            }
            ClientMessage::Ping { .. } => Ok(Some(protocol::pong())),
            ClientMessage::Pong { .. } => Ok(None),
        }
    }

    /// Starts operation `id`. Nothing here waits: the admission check and the
    /// execution run on tasks of their own ([`super::detached`]), so this loop never
    /// holds them up.
    fn start(&mut self, id: String, payload: SubscribePayload) {
        let Some(session) = &self.session else {
            return;
        };
        let viewer = session.viewer().clone();
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
        let state = self.state.clone();
        // The start (admission, joining) is boxed on its own: it is kilobytes of state
        // (the admission's database read, the request) that `once` drops when it is
        // done, so an idle subscription keeps only the stream it joined, not that space.
        let stream = futures::stream::once(Box::pin(async move {
            let candidate = match (target, viewer.optional()) {
                (Some(poll), Ok(user)) => Some((poll, user)),
                _ => None,
            };
            let admitted = match candidate {
                Some((poll, user)) => {
                    let gate = state.gate.clone();
                    detached(async move { gate.admit(poll, user).await.ok() })
                        .await
                        .flatten()
                        .map(|(_, access)| (poll, access, user))
                }
                None => None,
            };
            match admitted {
                Some((poll, access, user)) => {
                    let recheck = state.gate.recheck_for(poll, user, access);
                    state
                        .shared
                        .join(&state.schema, poll, access, request, &variables, recheck)
                }
                None => forwarded(
                    state
                        .schema
                        .execute_stream(request)
                        .map(|response| Outgoing::Response(Box::new(response)))
                        .chain(futures::stream::once(async { Outgoing::End }))
                        .boxed(),
                ),
            }
        }))
        .flatten();
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
            // Refused (before any data, or later: validation, the resolver's own error):
            // the protocol's `error` message, and the operation is over.
            Outgoing::Response(response)
                if response.data == async_graphql::Value::Null && response.is_err() =>
            {
                self.streams.remove(&id);
                protocol::error(&id, &response.errors)
            }
            Outgoing::Response(response) => protocol::next(&id, &response),
            Outgoing::Rendered(payload) => protocol::next_rendered(&id, &payload),
            Outgoing::End => protocol::complete(&id),
        }
    }
}

fn text(message: String) -> Message {
    Message::Text(Utf8Bytes::from(message))
}

/// An instant no connection lives to see.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(365 * 24 * 3600)
}

/// Whether a read failed because the client's frame or message is over the limit.
fn too_big(error: &axum::Error) -> bool {
    std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<tungstenite::Error>())
        .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)))
}
