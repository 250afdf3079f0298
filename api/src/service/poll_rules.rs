//! What a ballot must fit, per poll, cached: a poll's kind and its ballot rules
//! ([`BallotRules`], checked by the kind's module), whether votes may change, who may vote, whether it is anonymous and its ballot key never
//! change once it is created, so they can be kept without expiry (bounded in number).
//! Whether the poll is open is *not* cached: the vote transaction decides that.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use crate::domain::kinds::BallotRules;
use crate::domain::{OptionId, PollVoters, Voter};
use crate::error::{AppError, AppResult};
use crate::store::Store;

/// Most polls whose rules are kept; past it the cache starts over.
const CAPACITY: usize = 10_000;

/// The immutable rules of one poll.
#[derive(Debug, Clone)]
pub struct PollRules {
    /// What its ballots must fit, per its kind; shared with the change path, which
    /// needs the old ballot's contribution.
    pub ballots: Arc<BallotRules>,
    /// Whether a ballot, once cast, stays for good (the poll does not allow changing
    /// or retracting votes): only then does a voter mark prove a ballot exists now.
    pub ballots_are_permanent: bool,
    /// Who may vote: `INVITED` polls need a redeemed invitation
    /// ([`super::InvitationGate`]).
    pub voters: PollVoters,
    /// Whether ballots are stored under pseudonyms of their voters.
    pub anonymous: bool,
    /// Fingerprint of the ballot key an anonymous poll's ballots are written with
    /// (see [`super::ballot_owner::BallotOwners::owner`]).
    pub ballot_key_id: Option<String>,
}

impl PollRules {
    /// Whether `voter` may vote here, as far as being an account or a guest goes:
    /// `ACCOUNTS` refuses guests (`GUESTS_NOT_ALLOWED`); `GUESTS` admits everyone;
    /// `INVITED` admits both here, the invitation itself being checked where ballots
    /// are cast.
    pub fn admits(&self, voter: &Voter) -> AppResult<()> {
        match self.voters {
            PollVoters::Accounts if voter.guest => Err(AppError::GuestsNotAllowed),
            PollVoters::Accounts | PollVoters::Guests | PollVoters::Invited => Ok(()),
        }
    }
}

/// Rules by poll id, loaded from the store on a miss.
#[derive(Clone)]
pub struct PollRulesCache {
    store: Store,
    // A std mutex: held for a map lookup or insert only, never across an await.
    rules: Arc<Mutex<HashMap<Uuid, Arc<PollRules>>>>,
}

impl PollRulesCache {
    /// An empty cache over the store.
    pub fn new(store: Store) -> Self {
        PollRulesCache {
            store,
            rules: Arc::default(),
        }
    }

    /// The rules of a poll; `NOT_FOUND` when it does not exist.
    pub async fn get(&self, poll_id: Uuid) -> AppResult<Arc<PollRules>> {
        if let Some(rules) = self.lock().get(&poll_id) {
            return Ok(rules.clone());
        }
        let poll = self
            .store
            .find_polls(&[poll_id])
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound("poll"))?;
        let options = self.store.options_of(&[poll_id]).await?;
        let rules = Arc::new(PollRules {
            ballots: Arc::new(BallotRules {
                kind: poll.kind,
                options: options.into_iter().map(|o| OptionId(o.id)).collect(),
                min_choices: usize::try_from(poll.min_choices).unwrap_or(1),
                max_choices: usize::try_from(poll.max_choices).unwrap_or(1),
                score_range: poll.score_range,
            }),
            ballots_are_permanent: !poll.allow_vote_change,
            voters: poll.voters,
            anonymous: poll.anonymous,
            ballot_key_id: poll.ballot_key_id,
        });
        let mut cache = self.lock();
        if cache.len() >= CAPACITY {
            cache.clear();
        }
        cache.insert(poll_id, rules.clone());
        Ok(rules)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<PollRules>>> {
        self.rules.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(voters: PollVoters) -> PollRules {
        PollRules {
            ballots: Arc::new(BallotRules {
                kind: crate::domain::PollKind::Single,
                options: vec![],
                min_choices: 1,
                max_choices: 1,
                score_range: None,
            }),
            ballots_are_permanent: true,
            voters,
            anonymous: false,
            ballot_key_id: None,
        }
    }

    #[test]
    fn accounts_polls_refuse_guests_and_others_admit_them() {
        let (account, guest) = (
            Voter::account(Uuid::now_v7().into()),
            Voter::guest(Uuid::now_v7().into()),
        );
        let accounts = rules(PollVoters::Accounts);
        assert!(accounts.admits(&account).is_ok());
        assert!(matches!(
            accounts.admits(&guest),
            Err(AppError::GuestsNotAllowed)
        ));
        for voters in [PollVoters::Guests, PollVoters::Invited] {
            assert!(rules(voters).admits(&account).is_ok());
            assert!(rules(voters).admits(&guest).is_ok());
        }
    }
}
