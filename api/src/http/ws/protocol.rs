//! The messages of `graphql-transport-ws`: what a client may send, what the server
//! answers, and the close frames that end a connection.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::error_code::ErrorCode;

/// Longest close reason, in bytes: a Close frame's payload is at most 125 bytes (RFC
/// 6455 §5.5), two of them the code. A longer reason makes the whole frame invalid, and
/// the client sees 1006 instead of the code.
pub const MAX_CLOSE_REASON_BYTES: usize = 123;

/// Close codes the server sends (see the table in [`super`]).
pub mod code {
    /// A frame or message larger than the server accepts (RFC 6455).
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// A message that is not valid JSON of the protocol.
    pub const BAD_MESSAGE: u16 = 4400;
    /// `subscribe` before `connection_ack`.
    pub const UNAUTHORIZED: u16 = 4401;
    /// A refused token, at `connection_init` or later (it expired).
    pub const FORBIDDEN: u16 = 4403;
    /// The client did not ask for the `graphql-transport-ws` subprotocol.
    pub const SUBPROTOCOL: u16 = 4406;
    /// No `connection_init` in time.
    pub const INIT_TIMEOUT: u16 = 4408;
    /// A `subscribe` whose id is already running.
    pub const DUPLICATE_ID: u16 = 4409;
    /// A second `connection_init`.
    pub const TOO_MANY_INITS: u16 = 4429;
    /// The instance is stopping; reconnect (RFC 6455 "service restart").
    pub const SERVICE_RESTART: u16 = 1012;
}

/// Why the server ends a connection: the close code, its reason, and a last protocol
/// message to send before the Close frame, if any.
#[derive(Debug)]
pub struct Closing {
    /// The close code.
    pub code: u16,
    /// The reason, never longer than [`MAX_CLOSE_REASON_BYTES`].
    pub reason: String,
    /// Sent before the Close frame (say, the error answering the operation that found
    /// the token expired).
    pub last_message: Option<String>,
}

impl Closing {
    /// A close with `code`; the reason is cut to fit the frame.
    pub fn new(code: u16, reason: impl Into<String>) -> Self {
        let mut reason = reason.into();
        reason.truncate(fitting_len(&reason, MAX_CLOSE_REASON_BYTES));
        Closing {
            code,
            reason,
            last_message: None,
        }
    }

    /// The same close, after `message`.
    pub fn after(mut self, message: String) -> Self {
        self.last_message = Some(message);
        self
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn fitting_len(text: &str, max: usize) -> usize {
    if text.len() <= max {
        return text.len();
    }
    (0..=max)
        .rev()
        .find(|&at| text.is_char_boundary(at))
        .unwrap_or(0)
}

/// A message from the client.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Opens the connection; the payload may carry `authorization`.
    ConnectionInit {
        /// An object, or absent / null.
        #[serde(default)]
        payload: Option<Value>,
    },
    /// Starts an operation under `id`.
    Subscribe {
        /// The operation's id, unique among the connection's running operations.
        id: String,
        /// The GraphQL request.
        payload: SubscribePayload,
    },
    /// Stops the operation `id`.
    Complete {
        /// The operation's id.
        id: String,
    },
    /// Asks for a `pong`.
    Ping {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    /// Answers a `ping`.
    Pong {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
}

/// The GraphQL request of a `subscribe` message.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribePayload {
    /// The document.
    pub query: String,
    /// Which operation of the document to run.
    #[serde(default)]
    pub operation_name: Option<String>,
    /// The variables, an object or absent.
    #[serde(default)]
    pub variables: Option<Value>,
}

impl ClientMessage {
    /// Parses a text frame; anything that is not a protocol message closes 4400.
    pub fn parse(text: &str) -> Result<Self, Closing> {
        let message: ClientMessage = serde_json::from_str(text)
            .map_err(|e| Closing::new(code::BAD_MESSAGE, format!("Invalid message: {e}")))?;
        if let ClientMessage::ConnectionInit {
            payload: Some(payload),
        } = &message
            && !payload.is_object()
        {
            // The protocol says the payload is an object (or absent); a client sending
            // anything else is not speaking it.
            return Err(Closing::new(
                code::BAD_MESSAGE,
                "Invalid message: the connection_init payload must be an object",
            ));
        }
        Ok(message)
    }
}

/// `connection_ack`.
pub fn ack() -> String {
    json!({ "type": "connection_ack" }).to_string()
}

/// `ping`, sent every keep-alive interval.
pub fn ping() -> String {
    json!({ "type": "ping" }).to_string()
}

/// `pong`, answering the client's `ping`.
pub fn pong() -> String {
    json!({ "type": "pong" }).to_string()
}

/// `complete` for operation `id`.
pub fn complete(id: &str) -> String {
    json!({ "id": id, "type": "complete" }).to_string()
}

/// `error` for operation `id`: its GraphQL errors; the operation is over.
pub fn error(id: &str, errors: impl serde::Serialize) -> String {
    json!({ "id": id, "type": "error", "payload": errors }).to_string()
}

/// `error` for operation `id` with one error of `code`.
pub fn error_with_code(id: &str, code: ErrorCode, message: &str) -> String {
    error(
        id,
        [json!({ "message": message, "extensions": { "code": code.as_str() } })],
    )
}

/// `error` for operation `id` carrying an application error, with its stable code.
pub fn app_error(id: &str, error: AppError) -> String {
    let error = async_graphql::Error::from(error);
    let mut server_error = async_graphql::ServerError::new(error.message, None);
    server_error.extensions = error.extensions;
    self::error(id, [server_error])
}

/// `next` for operation `id`, its payload already rendered as JSON.
pub fn next_rendered(id: &str, payload: &str) -> String {
    format!(
        r#"{{"id":{},"type":"next","payload":{payload}}}"#,
        Value::String(id.to_owned())
    )
}

/// `next` for operation `id`.
pub fn next(id: &str, payload: impl serde::Serialize) -> String {
    json!({ "id": id, "type": "next", "payload": payload }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_are_cut_to_fit_the_frame_at_a_character_boundary() {
        let long = "é".repeat(100);
        let closing = Closing::new(code::BAD_MESSAGE, long);
        assert!(closing.reason.len() <= MAX_CLOSE_REASON_BYTES);
        assert_eq!(closing.reason.len(), 122);
        assert_eq!(Closing::new(4400, "short").reason, "short");
    }

    #[test]
    fn connection_init_payloads_are_objects_or_nothing() {
        for ok in [
            r#"{"type":"connection_init"}"#,
            r#"{"type":"connection_init","payload":null}"#,
            r#"{"type":"connection_init","payload":{}}"#,
        ] {
            assert!(ClientMessage::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            r#"{"type":"connection_init","payload":5}"#,
            r#"{"type":"connection_init","payload":"x"}"#,
            r#"{"type":"connection_init","payload":[]}"#,
        ] {
            let refused = ClientMessage::parse(bad).err().map(|c| c.code);
            assert_eq!(refused, Some(code::BAD_MESSAGE), "{bad}");
        }
    }
}
