//! IDs and cursors: UUIDs in, UUIDs out, and opaque page cursors.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::error::AppError;

/// An `ID` argument as a UUID; `BAD_USER_INPUT` naming `field` otherwise.
pub fn parse_id(field: &str, id: &ID) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| AppError::bad_input(field, format!("{field} is not a valid id")))
}

/// Several `ID`s; the error names the first bad one (`field.index`).
pub fn parse_ids(field: &str, ids: &[ID]) -> Result<Vec<Uuid>, AppError> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| parse_id(&format!("{field}.{i}"), id))
        .collect()
}

/// A UUID as an `ID`.
pub fn to_id(id: Uuid) -> ID {
    ID(id.to_string())
}

const CURSOR_PREFIX: &str = "poll:";

/// The opaque cursor of a poll in a listing.
pub fn encode_cursor(poll: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{poll}"))
}

/// The poll a cursor points at; `BAD_USER_INPUT` on `after` when it is not ours.
pub fn decode_cursor(cursor: &str) -> Result<Uuid, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            text.strip_prefix(CURSOR_PREFIX)
                .and_then(|id| Uuid::parse_str(id).ok())
        })
        .ok_or_else(|| AppError::bad_input("after", "after is not a cursor from this API"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_strangers() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(&encode_cursor(id)).ok(), Some(id));
        assert!(decode_cursor("nonsense").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("user:1")).is_err());
    }
}
