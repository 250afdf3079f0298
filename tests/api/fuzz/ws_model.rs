//! What `graphql-transport-ws` says the server must do with a generated session: the
//! close code it calls for (or may, when something before it is uncertain), the pongs
//! and acknowledgement owed, the ids the server may answer for.

use std::collections::BTreeSet;

use serde_json::Value;

use super::contract::CONTRACT;
use super::ws_messages::{Frame, Meaning, Session};

/// The largest message the server takes (64 KiB); larger ones close 1009.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// What the server may do with a session, by the protocol.
#[derive(Debug, Default)]
pub struct Expectation {
    /// Whether the session calls for a close: then the server must close, with one
    /// of `close_codes`.
    pub must_close: bool,
    /// The close codes the server may end with: the one the session calls for, and
    /// any that something uncertain before it may have called for (a `subscribe`
    /// reusing an id that may still be running is 4409 only if it is; a mangled
    /// message may have been anything).
    pub close_codes: BTreeSet<u16>,
    /// `pong`s owed before anything uncertain happened, and in all (`usize::MAX`:
    /// unknown).
    pub pongs: (usize, usize),
    /// Whether `connection_ack` is owed (an accepted `connection_init` came first).
    pub ack: bool,
    /// The client closed: the server answers with a Close frame of its own.
    pub client_closed: bool,
    /// The ids of every `subscribe`, which the server's messages may name.
    pub ids: BTreeSet<String>,
    /// A mangled message may have subscribed under any id.
    pub any_id: bool,
}

impl Expectation {
    /// The session calls for a close with `code` (or one the server may have closed
    /// with before).
    fn close(mut self, code: u16) -> Expectation {
        self.close_codes.insert(code);
        self.must_close = true;
        self
    }
}

/// What `session` calls for.
pub fn expectation(session: &Session) -> Expectation {
    let mut expected = Expectation::default();
    if !session.subprotocol {
        return expected.close(4406);
    }
    // Whether `connection_init` was accepted; `None` once a mangled message may have
    // been one.
    let mut initialised = Some(false);
    let mut running = BTreeSet::new();
    let mut certain = true;
    for frame in &session.frames {
        let meaning = match frame {
            // Whatever it says: a generated document can hold a huge string, and
            // variables can nest deeper than a JSON parser goes (128 levels).
            Frame::Text(text, _) if text.len() > MAX_MESSAGE_BYTES => &Meaning::TooBig,
            Frame::Text(text, _) if serde_json::from_str::<Value>(text).is_err() => {
                &Meaning::Malformed
            }
            Frame::Text(_, meaning) => meaning,
            Frame::Binary(_) => &Meaning::Malformed,
            Frame::Ping(_) => continue,
            Frame::Close(_) => {
                expected.client_closed = true;
                return expected;
            }
        };
        match (meaning, initialised) {
            (Meaning::Malformed, _) => return expected.close(4400),
            (Meaning::TooBig, _) => return expected.close(1009),
            (Meaning::Init { .. }, Some(true)) => return expected.close(4429),
            (Meaning::Init { accepted: false }, Some(false)) => return expected.close(4403),
            (Meaning::Init { accepted }, None) => {
                expected.close_codes.insert(4429);
                if !accepted {
                    expected.close_codes.insert(4403);
                }
                initialised = Some(true);
            }
            (Meaning::Init { accepted: true }, _) => {
                initialised = Some(true);
                expected.ack |= certain;
            }
            (Meaning::Subscribe(_), Some(false)) => return expected.close(4401),
            (Meaning::Subscribe(id), _) => {
                if initialised.is_none() {
                    expected.close_codes.insert(4401);
                }
                expected.ids.insert(id.clone());
                if !running.insert(id.clone()) {
                    expected.close_codes.insert(4409);
                    certain = false;
                }
            }
            (Meaning::Complete(id), _) => {
                running.remove(id);
            }
            (Meaning::Ping, _) => {
                expected.pongs.1 = expected.pongs.1.saturating_add(1);
                if certain {
                    expected.pongs.0 += 1;
                }
            }
            (Meaning::Pong, _) => {}
            (Meaning::Unknown, _) => {
                // It may have been any message at all, or none.
                expected
                    .close_codes
                    .extend(CONTRACT.close_codes.iter().copied());
                expected.any_id = true;
                expected.pongs.1 = usize::MAX;
                initialised = None;
                certain = false;
            }
        }
    }
    expected
}
