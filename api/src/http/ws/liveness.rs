//! Dead connections: a client that stops answering, or stops reading, is dropped, and
//! its slot freed.
//!
//! The server sends a `ping` every keep-alive interval (`TALLY_WS_KEEPALIVE_SECS`); a
//! client that has sent nothing at all (no `pong`, no message) for
//! [`MISSED_KEEPALIVES`] intervals is taken for gone.
//!
//! A client that does not read is caught by the other bound: once the kernel's buffers
//! are full, a write cannot complete, and the connection would hold its slot and its
//! unsent message forever. The loop writes one message at a time and waits for it, so
//! a connection holds at most one unsent message (plus the socket's buffers); a write
//! that has not completed within the same [`MISSED_KEEPALIVES`] intervals ends the
//! connection. (tungstenite's `max_write_buffer_size` is no help here: its buffer grows
//! only when writes fail, and a socket whose peer does not read does not fail, it
//! blocks.)

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures::SinkExt;
use futures::stream::SplitSink;
use tokio::time::Instant;

/// Keep-alive intervals a client may stay silent, or leave a write pending, before the
/// connection is dropped.
pub const MISSED_KEEPALIVES: u32 = 2;

/// When the client was last heard from.
pub struct Liveness {
    last_heard: Instant,
    patience: Duration,
}

impl Liveness {
    /// A connection just heard from, pinged every `keepalive`.
    pub fn new(keepalive: Duration) -> Self {
        Liveness {
            last_heard: Instant::now(),
            patience: keepalive * MISSED_KEEPALIVES,
        }
    }

    /// The client sent something (any frame).
    pub fn heard(&mut self) {
        self.last_heard = Instant::now();
    }

    /// The client has been silent for too long.
    pub fn is_silent(&self) -> bool {
        self.last_heard.elapsed() >= self.patience
    }

    /// Longest a write may take.
    pub fn write_bound(&self) -> Duration {
        self.patience
    }
}

/// The write half of a connection.
pub type Writer = SplitSink<WebSocket, Message>;

/// Writes and flushes `message`; false when that failed or took longer than `bound`
/// (the client is gone or does not read).
pub async fn send_within(sink: &mut Writer, message: Message, bound: Duration) -> bool {
    matches!(
        tokio::time::timeout(bound, sink.send(message)).await,
        Ok(Ok(()))
    )
}
