//! Votes: idempotency keys and request fingerprints (what a ballot says is
//! [`Ballot`], owned by its poll's kind).

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::kinds::Ballot;
use crate::error::AppError;

/// A client-chosen key that makes a vote mutation safe to retry: 1–255 printable ASCII
/// characters, scoped to the signed-in user (after the IETF Idempotency-Key draft).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Longest key.
    pub const MAX_LEN: usize = 255;

    /// Checks length and characters.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return Err(AppError::bad_input(
                "idempotencyKey",
                format!("an idempotency key has 1 to {} characters", Self::MAX_LEN),
            ));
        }
        if !raw.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(AppError::bad_input(
                "idempotencyKey",
                "an idempotency key uses printable ASCII characters only",
            ));
        }
        Ok(IdempotencyKey(raw.to_owned()))
    }

    /// A key as stored in the audit log, which only ever holds keys that were parsed
    /// on their way in; not checked again.
    pub fn from_stored(stored: String) -> Self {
        IdempotencyKey(stored)
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Comma-separated ids.
pub fn join_ids(ids: &[Uuid]) -> String {
    ids.iter()
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Ids from their comma-separated stored form (unparseable parts are skipped).
pub fn split_ids(stored: &str) -> Vec<Uuid> {
    stored
        .split(',')
        .filter_map(|part| Uuid::parse_str(part).ok())
        .collect()
}

/// Which vote mutation a request is; part of its fingerprint, so one key cannot serve
/// two different operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteAction {
    /// `castVote`.
    Cast,
    /// `changeVote`.
    Change,
    /// `retractVote`.
    Retract,
}

impl VoteAction {
    /// The stored form (`vote_events.action`).
    pub fn as_str(self) -> &'static str {
        match self {
            VoteAction::Cast => "cast",
            VoteAction::Change => "changed",
            VoteAction::Retract => "retracted",
        }
    }
}

/// The fingerprint of a vote mutation's input (hex SHA-256 of action, poll and options),
/// stored beside its idempotency key: same fingerprint + same key is a replay; another
/// fingerprint under a used key is `IDEMPOTENCY_KEY_REUSED`. A type of its own so it is
/// never confused with the key it is stored beside.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestHash(String);

impl RequestHash {
    /// A fingerprint as stored (in the audit log, a ballot row or a live mark). Not
    /// checked: it is only ever compared with fingerprints [`request_hash`] computes.
    pub fn from_stored(stored: String) -> Self {
        RequestHash(stored)
    }

    /// The stored form (lowercase hex).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The fingerprint of a vote mutation's input: same fingerprint + same key is a replay;
/// another fingerprint under a used key is `IDEMPOTENCY_KEY_REUSED`.
///
/// A SINGLE or MULTIPLE ballot hashes to the same bytes as before poll kinds existed
/// ([`Ballot::hash_into`]), so keys stored by earlier versions still replay.
pub fn request_hash(action: VoteAction, poll: Uuid, ballot: Option<&Ballot>) -> RequestHash {
    let mut hasher = Sha256::new();
    hasher.update(action.as_str());
    hasher.update(b"|");
    hasher.update(poll.as_bytes());
    hasher.update(b"|");
    if let Some(ballot) = ballot {
        ballot.hash_into(&mut hasher);
    }
    RequestHash(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::OptionId;

    #[test]
    fn keys_are_printable_ascii_up_to_255() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("tab\there").is_err());
        assert!(IdempotencyKey::parse("clé").is_err());
    }

    fn choice(mut ids: Vec<Uuid>) -> Option<Ballot> {
        ids.sort_unstable();
        Some(Ballot::Choice(ids.into_iter().map(OptionId).collect()))
    }

    #[test]
    fn the_fingerprint_depends_on_action_poll_and_options_not_their_order() {
        let (poll, a, b) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let ab = choice(vec![a, b]);
        let ba = choice(vec![b, a]);
        let only_a = choice(vec![a]);
        let cast = |c: &Option<Ballot>| request_hash(VoteAction::Cast, poll, c.as_ref());
        assert_eq!(cast(&ab), cast(&ba));
        assert_ne!(cast(&ab), cast(&only_a));
        assert_ne!(
            cast(&ab),
            request_hash(VoteAction::Change, poll, ab.as_ref())
        );
    }

    /// Fingerprints are stored with every key ever used: a change of their bytes would
    /// turn every retry of an earlier call into `IDEMPOTENCY_KEY_REUSED`.
    #[test]
    fn fingerprints_keep_their_bytes_across_versions() {
        let id = |text: &str| Uuid::parse_str(text).unwrap_or_else(|e| panic!("{e}"));
        let poll = id("0190f2a1-0000-7000-8000-000000000001");
        let (a, b) = (
            id("0190f2a1-0000-7000-8000-00000000000a"),
            id("0190f2a1-0000-7000-8000-00000000000b"),
        );
        let choice = choice(vec![b, a]);
        assert_eq!(
            request_hash(VoteAction::Cast, poll, choice.as_ref()).as_str(),
            "4581580ea2575a3a59d4686b381ed9f051f03c097782d61a8d5a9b338a3cb7fb"
        );
        assert_eq!(
            request_hash(VoteAction::Retract, poll, None).as_str(),
            "a3f2ee0e4cfc50e75026b06f937256c407dc27f27be91bd11b8a8667798d025c"
        );
    }

    #[test]
    fn a_choice_hashes_to_the_bytes_earlier_versions_stored() {
        // The fingerprint of a cast of options a, b (sorted) as the version before poll
        // kinds computed it: sha256("cast|" poll "|" a b).
        let poll = Uuid::from_u128(1);
        let (a, b) = (Uuid::from_u128(2), Uuid::from_u128(3));
        let mut hasher = Sha256::new();
        hasher.update("cast|");
        hasher.update(poll.as_bytes());
        hasher.update(b"|");
        hasher.update(a.as_bytes());
        hasher.update(b.as_bytes());
        let before = hex::encode(hasher.finalize());
        assert_eq!(
            request_hash(VoteAction::Cast, poll, choice(vec![b, a]).as_ref()),
            RequestHash::from_stored(before)
        );
    }

    #[test]
    fn a_ranking_fingerprint_depends_on_its_order() {
        let (poll, a, b) = (
            Uuid::now_v7(),
            OptionId(Uuid::now_v7()),
            OptionId(Uuid::now_v7()),
        );
        let hash =
            |ids: Vec<OptionId>| request_hash(VoteAction::Cast, poll, Some(&Ballot::Ranking(ids)));
        assert_ne!(hash(vec![a, b]), hash(vec![b, a]));
        assert_ne!(
            hash(vec![a, b]),
            request_hash(VoteAction::Cast, poll, Some(&Ballot::Choice(vec![a, b])))
        );
    }
}
