//! Guests: voters without a password. A guest session costs a solved proof-of-work
//! challenge and is rate-limited per client address, so a bot pays for each identity;
//! the guest is a user row, so every ballot rule holds for it unchanged. A guest who
//! signs up later claims its ballots into the account.

use std::sync::Arc;

use uuid::Uuid;

use super::accounts::{AccountService, Session};
use super::ballot_owner::BallotOwners;
use crate::auth::Viewer;
use crate::auth::proof_of_work::{self, Challenge, ProofOfWork};
use crate::clock::Clock;
use crate::error::{AppError, AppResult, PowRefusal};
use crate::limits::{Bucket, Limiter};
use crate::store::{ClaimOutcome, GuestInsert, Rekey, Store};

/// Issues challenges, starts guest sessions, and says what guests may do.
#[derive(Clone)]
pub struct GuestService {
    store: Store,
    accounts: AccountService,
    pow: ProofOfWork,
    limiter: Limiter,
    clock: Arc<dyn Clock>,
    /// Re-keys a claimed guest's anonymous ballots.
    owners: BallotOwners,
    /// `TALLY_GUESTS_CAN_CREATE_POLLS`.
    can_create_polls: bool,
}

impl From<proof_of_work::Refusal> for AppError {
    fn from(refusal: proof_of_work::Refusal) -> Self {
        AppError::ProofOfWork(match refusal {
            proof_of_work::Refusal::Missing => PowRefusal::Required,
            proof_of_work::Refusal::Expired => PowRefusal::Expired,
            proof_of_work::Refusal::Invalid => PowRefusal::Invalid,
        })
    }
}

impl GuestService {
    /// The service over its ports.
    pub fn new(
        store: Store,
        accounts: AccountService,
        pow: ProofOfWork,
        limiter: Limiter,
        clock: Arc<dyn Clock>,
        owners: BallotOwners,
        can_create_polls: bool,
    ) -> Self {
        GuestService {
            store,
            accounts,
            pow,
            limiter,
            clock,
            owners,
            can_create_polls,
        }
    }

    /// A fresh challenge to solve before `start_session`. Issuing one costs an HMAC and
    /// stores nothing, so it is not rate-limited.
    pub fn challenge(&self) -> Challenge {
        self.pow.issue()
    }

    /// Creates a guest and signs it in, when `nonce` solves `challenge` and the
    /// challenge was not used before. `client` is the caller's address, whose guest
    /// sessions are rate-limited (checked first: a refused caller costs one lookup).
    pub async fn start_session(
        &self,
        challenge: &str,
        nonce: &str,
        client: &str,
    ) -> AppResult<Session> {
        self.limiter.check(Bucket::GuestSession, client).await?;
        let solved = self.pow.check(challenge, nonce)?;
        match self
            .store
            .insert_guest(solved.id, solved.expires_at, self.clock.now())
            .await?
        {
            GuestInsert::Created(user) => self.accounts.guest_session(user),
            GuestInsert::ChallengeReused => Err(AppError::ProofOfWork(PowRefusal::Reused)),
        }
    }

    /// Moves the ballots of the guest `guest_token` speaks for to `account` and retires
    /// the guest; answers how many moved. `UNAUTHENTICATED` when the token is not a
    /// valid guest token, `CLAIM_CONFLICT` (nothing moved) when the account already
    /// voted on a poll the guest voted on, `GUEST_ALREADY_CLAIMED` the second time.
    pub async fn claim(&self, account: Uuid, guest_token: &str) -> AppResult<u64> {
        let subject = self
            .accounts
            .verify_token(guest_token.trim())
            .map_err(AppError::Unauthenticated)?;
        if !subject.guest {
            return Err(AppError::Unauthenticated(
                "guestToken is not a guest's token",
            ));
        }
        // The guest's anonymous ballots are under its pseudonyms, one per poll, and
        // nothing stored says which polls: every anonymous poll a guest may vote on is
        // tried (an HMAC each; the database is asked in batches).
        let rekeys: Vec<Rekey> = self
            .store
            .anonymous_guest_polls(self.owners.key_id())
            .await?
            .into_iter()
            .map(|poll_id| Rekey {
                poll_id,
                from: self.owners.pseudonym(poll_id, subject.user),
                to: self.owners.pseudonym(poll_id, account),
            })
            .collect();
        match self
            .store
            .claim_guest(subject.user, account, &rekeys, self.clock.now())
            .await?
        {
            ClaimOutcome::Claimed(moved) => {
                self.accounts.forget(subject.user);
                Ok(moved)
            }
            ClaimOutcome::Conflict(poll_ids) => Err(AppError::ClaimConflict { poll_ids }),
            ClaimOutcome::AlreadyClaimed => Err(AppError::GuestAlreadyClaimed),
        }
    }

    /// Who would own a poll `viewer` creates: an account, or a guest where
    /// `TALLY_GUESTS_CAN_CREATE_POLLS` allows it (`FORBIDDEN` otherwise).
    pub fn poll_creator(&self, viewer: &Viewer) -> AppResult<Uuid> {
        match viewer {
            Viewer::Guest(id) if self.can_create_polls => Ok(*id),
            other => other.require(),
        }
    }
}
