//! Who a ballot is stored under: the voter's id, or on an anonymous poll the voter's
//! pseudonym for that poll (see [`crate::auth::ballot_key`]).
//!
//! Everything on the vote path that stores or looks up a voter — the ballot, its audit
//! events and idempotency keys, the voter's mark in the live store — goes through
//! [`BallotOwners::owner`], so on an anonymous poll the voter id never reaches the
//! database or Redis.
//!
//! Reads ([`BallotOwners::candidates`], [`BallotOwners::owns`]) need no poll row: a
//! ballot is the voter's when it is stored under their id or under their pseudonym for
//! the ballot's own poll. Pseudonyms are version-8 UUIDs and user ids version 7, so
//! neither can be mistaken for the other; a ballot written under an earlier key simply
//! matches nothing.

use uuid::Uuid;

use super::poll_rules::PollRules;
use crate::auth::ballot_key::BallotKey;
use crate::error::{AppError, AppResult};

/// Maps voters to the ids their ballots are stored under.
#[derive(Clone, Debug)]
pub struct BallotOwners {
    key: BallotKey,
}

impl BallotOwners {
    /// Owners computed with `key`.
    pub fn new(key: BallotKey) -> Self {
        BallotOwners { key }
    }

    /// The fingerprint recorded on anonymous polls created now.
    pub fn key_id(&self) -> &str {
        self.key.id()
    }

    /// The id `voter`'s ballot on `poll` is (to be) stored under: the voter's own id on
    /// a named poll, their pseudonym on an anonymous one. `BALLOT_KEY_CHANGED` when the
    /// poll's ballots were written with another key: under this key the voter's earlier
    /// ballot cannot be found, so letting them vote would count them twice.
    ///
    /// An anonymous poll with no recorded key was created before pseudonyms existed
    /// (migration `m20261206_000008`): its ballots are under voter ids, and stay so.
    pub fn owner(&self, poll: Uuid, rules: &PollRules, voter: Uuid) -> AppResult<Uuid> {
        if !rules.anonymous {
            return Ok(voter);
        }
        match rules.ballot_key_id.as_deref() {
            None => Ok(voter),
            Some(id) if id == self.key.id() => Ok(self.key.pseudonym(poll, voter)),
            Some(_) => Err(AppError::BallotKeyChanged),
        }
    }

    /// Every id `voter`'s ballots on these polls may be stored under (to query with,
    /// then keep what [`Self::owns`] accepts).
    pub fn candidates(&self, voter: Uuid, polls: &[Uuid]) -> Vec<Uuid> {
        std::iter::once(voter)
            .chain(polls.iter().map(|&poll| self.key.pseudonym(poll, voter)))
            .collect()
    }

    /// Whether a ballot on `poll` stored under `owner` is `voter`'s.
    pub fn owns(&self, voter: Uuid, poll: Uuid, owner: Uuid) -> bool {
        owner == voter || owner == self.key.pseudonym(poll, voter)
    }

    /// The pseudonym of `voter` on `poll` under the current key.
    pub fn pseudonym(&self, poll: Uuid, voter: Uuid) -> Uuid {
        self.key.pseudonym(poll, voter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PollVoters;

    fn owners() -> BallotOwners {
        BallotOwners::new(BallotKey::from_hex(&"ab".repeat(32)).unwrap_or_else(|e| panic!("{e}")))
    }

    fn rules(anonymous: bool, ballot_key_id: Option<&str>) -> PollRules {
        PollRules {
            ballots: std::sync::Arc::new(crate::domain::kinds::BallotRules {
                kind: crate::domain::PollKind::Single,
                options: vec![],
                min_choices: 1,
                max_choices: 1,
                score_range: None,
            }),
            ballots_are_permanent: true,
            voters: PollVoters::Guests,
            anonymous,
            ballot_key_id: ballot_key_id.map(str::to_owned),
        }
    }

    #[test]
    fn a_named_poll_stores_the_voter_and_an_anonymous_one_their_pseudonym() {
        let owners = owners();
        let (poll, voter) = (Uuid::now_v7(), Uuid::now_v7());
        let key_id = owners.key_id().to_owned();
        assert_eq!(
            owners.owner(poll, &rules(false, None), voter).ok(),
            Some(voter)
        );
        let pseudonym = owners.owner(poll, &rules(true, Some(&key_id)), voter).ok();
        assert_eq!(pseudonym, Some(owners.pseudonym(poll, voter)));
        assert_ne!(pseudonym, Some(voter));
        assert!(owners.owns(voter, poll, voter));
        assert!(owners.owns(voter, poll, owners.pseudonym(poll, voter)));
        assert!(!owners.owns(voter, Uuid::now_v7(), owners.pseudonym(poll, voter)));
    }

    #[test]
    fn a_poll_written_with_another_key_refuses_its_voters() {
        let owners = owners();
        let result = owners.owner(
            Uuid::now_v7(),
            &rules(true, Some("0000000000000000")),
            Uuid::now_v7(),
        );
        assert!(matches!(result, Err(AppError::BallotKeyChanged)));
    }
}
