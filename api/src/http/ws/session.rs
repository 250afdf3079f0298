//! Who a connection speaks for, and until when.
//!
//! The viewer comes from the `connection_init` payload. A token is checked again before
//! every operation, at every keep-alive and when it expires, so a socket never outlives
//! its token: an operation after the expiry is refused `UNAUTHENTICATED` and the
//! connection closes 4403.

use std::time::Duration;

use serde_json::Value;

use super::protocol::{Closing, code};
use crate::auth::Viewer;
use crate::http::AppState;

/// The signed-in (or anonymous) side of an initialised connection.
pub struct Session {
    viewer: Viewer,
    /// The `authorization` value of `connection_init`, kept to check it again; never
    /// logged.
    authorization: Option<String>,
}

impl Session {
    /// The session a `connection_init` payload opens, and how long its token has left
    /// (`None` when anonymous); a refused token, or one whose account no longer exists,
    /// closes 4403.
    pub async fn open(
        state: &AppState,
        payload: Option<&Value>,
    ) -> Result<(Session, Option<Duration>), Closing> {
        let authorization = payload
            .and_then(|p| p.get("authorization").or_else(|| p.get("Authorization")))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let viewer = match &authorization {
            None => Viewer::Anonymous,
            Some(value) => {
                state
                    .confirm_viewer(state.viewer_from_authorization(value))
                    .await
            }
        };
        if let Viewer::Invalid(why) = viewer {
            return Err(forbidden(why));
        }
        let session = Session {
            viewer,
            authorization,
        };
        let left = session.recheck(state).map_err(forbidden)?;
        Ok((session, left))
    }

    /// Who the connection speaks for.
    pub fn viewer(&self) -> &Viewer {
        &self.viewer
    }

    /// Checks the token again, by the server's clock: how long it has left (`None`
    /// when anonymous), or why it is refused now.
    pub fn recheck(&self, state: &AppState) -> Result<Option<Duration>, &'static str> {
        let Some(authorization) = &self.authorization else {
            return Ok(None);
        };
        // The same check as at `connection_init`, whatever it covers; then the expiry.
        match state.viewer_from_authorization(authorization) {
            Viewer::User(user) if self.viewer == Viewer::User(user) => {}
            Viewer::Guest(user) if self.viewer == Viewer::Guest(user) => {}
            Viewer::Invalid(why) => return Err(why),
            _ => return Err("invalid token"),
        }
        state
            .accounts
            .token_time_left(bearer(authorization))
            .map(Some)
    }
}

/// The 4403 close for a refused token.
pub fn forbidden(why: &str) -> Closing {
    Closing::new(code::FORBIDDEN, format!("Forbidden: {why}"))
}

/// The token of an `authorization` value that [`AppState::viewer_from_authorization`]
/// accepted (so it has the Bearer scheme).
fn bearer(authorization: &str) -> &str {
    authorization
        .strip_prefix("Bearer ")
        .or_else(|| authorization.strip_prefix("bearer "))
        .unwrap_or(authorization)
        .trim()
}
