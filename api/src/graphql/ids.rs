//! IDs and cursors: UUIDs in, UUIDs out, opaque page cursors, and the derived ids of
//! results (which have no row of their own).

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

/// The tag of a page cursor.
const CURSOR_TAG: &str = "poll";
/// The tag of a poll's results' id.
const RESULTS_TAG: &str = "PollResults";
/// The tag of an option's result's id.
const OPTION_RESULT_TAG: &str = "OptionResult";

/// `tag:uuid`, base64url: an opaque string that no UUID id can equal.
fn encode_tagged(tag: &str, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{tag}:{id}"))
}

/// The tag and UUID of a string made by [`encode_tagged`].
fn decode_tagged(text: &str) -> Option<(String, Uuid)> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (tag, id) = text.split_once(':')?;
    Some((tag.to_owned(), Uuid::parse_str(id).ok()?))
}

/// The opaque cursor of a poll in a listing.
pub fn encode_cursor(poll: Uuid) -> String {
    encode_tagged(CURSOR_TAG, poll)
}

/// The poll a cursor points at; `BAD_USER_INPUT` on `argument` (`after` or `before`)
/// when it is not ours.
pub fn decode_cursor(argument: &str, cursor: &str) -> Result<Uuid, AppError> {
    decode_tagged(cursor)
        .filter(|(tag, _)| tag == CURSOR_TAG)
        .map(|(_, id)| id)
        .ok_or_else(|| {
            AppError::bad_input(
                argument,
                format!("{argument} is not a cursor from this API"),
            )
        })
}

/// The tag of an invitation cursor.
const INVITATION_CURSOR_TAG: &str = "invitation";

/// The opaque cursor of an invitation in its poll's list.
pub fn encode_invitation_cursor(invitation: Uuid) -> String {
    encode_tagged(INVITATION_CURSOR_TAG, invitation)
}

/// The invitation an invitation cursor points at; `BAD_USER_INPUT` on `after` when it
/// is not one.
pub fn decode_invitation_cursor(cursor: &str) -> Result<Uuid, AppError> {
    decode_tagged(cursor)
        .filter(|(tag, _)| tag == INVITATION_CURSOR_TAG)
        .map(|(_, id)| id)
        .ok_or_else(|| AppError::bad_input("after", "after is not an invitation cursor"))
}

/// The id of a poll's results: the same for every tally of the poll (from a query or a
/// subscription message), so normalised client caches update one object.
pub fn results_id(poll: Uuid) -> ID {
    ID(encode_tagged(RESULTS_TAG, poll))
}

/// The id of one option's count in its poll's results, stable like [`results_id`].
pub fn option_result_id(option: Uuid) -> ID {
    ID(encode_tagged(OPTION_RESULT_TAG, option))
}

/// What a global id (as `node(id:)` takes) names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobalId {
    /// A poll, option, user or vote: their ids are UUIDs, unique across kinds.
    Entity(Uuid),
    /// The results of this poll.
    PollResults(Uuid),
    /// The count of this option.
    OptionResult(Uuid),
}

impl GlobalId {
    /// The kind and key of an id; `None` when it is none of ours.
    pub fn parse(id: &ID) -> Option<GlobalId> {
        if let Ok(uuid) = Uuid::parse_str(id.as_str()) {
            return Some(GlobalId::Entity(uuid));
        }
        match decode_tagged(id.as_str())? {
            (tag, poll) if tag == RESULTS_TAG => Some(GlobalId::PollResults(poll)),
            (tag, option) if tag == OPTION_RESULT_TAG => Some(GlobalId::OptionResult(option)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_strangers() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor("after", &encode_cursor(id)).ok(), Some(id));
        assert!(decode_cursor("after", "nonsense").is_err());
        assert!(decode_cursor("after", &URL_SAFE_NO_PAD.encode("user:1")).is_err());
        assert!(decode_cursor("after", &results_id(id)).is_err());
        assert!(decode_cursor("after", &encode_invitation_cursor(id)).is_err());
        assert_eq!(
            decode_invitation_cursor(&encode_invitation_cursor(id)).ok(),
            Some(id)
        );
        assert!(decode_invitation_cursor(&encode_cursor(id)).is_err());
    }

    #[test]
    fn global_ids_name_their_kind() {
        let id = Uuid::now_v7();
        assert_eq!(GlobalId::parse(&to_id(id)), Some(GlobalId::Entity(id)));
        assert_eq!(
            GlobalId::parse(&results_id(id)),
            Some(GlobalId::PollResults(id))
        );
        assert_eq!(
            GlobalId::parse(&option_result_id(id)),
            Some(GlobalId::OptionResult(id))
        );
        assert_eq!(GlobalId::parse(&ID(encode_cursor(id))), None);
        assert_eq!(GlobalId::parse(&ID("nonsense".into())), None);
    }
}
