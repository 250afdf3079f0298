//! Invitations: the owner issues, lists, counts and revokes them; a voter (account or
//! guest) redeems one to be let into an `INVITED` poll.
//!
//! The owner sees how many invitations were issued, redeemed and voted, and each one's
//! status — never who redeemed which, and never how anyone voted.

use std::collections::HashSet;
use std::sync::Arc;

use uuid::Uuid;

use super::ballot_owner::BallotOwners;
use super::invitation_codes::InvitationCodes;
use crate::clock::Clock;
use crate::config::InvitationConfig;
use crate::domain::{Invitation, InvitationBatch, InvitationCounts, InvitationStatus, Poll};
use crate::error::{AppError, AppResult};
use crate::limits::{Bucket, Limiter};
use crate::store::{RedeemOutcome, Store};

/// Most invitations one page of `Poll.invitations` holds.
pub const INVITATIONS_PAGE_MAX: u64 = 100;

/// Issuing, listing, redeeming and revoking invitations.
#[derive(Clone)]
pub struct InvitationService {
    store: Store,
    codes: InvitationCodes,
    /// To find holders' ballots on anonymous polls, stored under pseudonyms.
    owners: BallotOwners,
    limiter: Limiter,
    clock: Arc<dyn Clock>,
    /// Links are `<public_origin>/i/<code>`.
    public_origin: String,
    max_per_call: usize,
    max_per_poll: u64,
}

impl InvitationService {
    /// The service over its ports, with codes made by `codes`.
    pub fn new(
        store: Store,
        codes: InvitationCodes,
        owners: BallotOwners,
        limiter: Limiter,
        clock: Arc<dyn Clock>,
        config: &InvitationConfig,
    ) -> Self {
        InvitationService {
            store,
            codes,
            owners,
            limiter,
            clock,
            public_origin: config.public_origin.trim_end_matches('/').to_owned(),
            max_per_call: config.max_per_call,
            max_per_poll: config.max_per_poll,
        }
    }

    /// Issues `count` unnamed invitations or one per name (exactly one of the two) to the
    /// owner's `INVITED` poll.
    pub async fn create(
        &self,
        owner: Uuid,
        poll: Uuid,
        count: Option<i32>,
        names: Option<&[String]>,
    ) -> AppResult<Vec<Invitation>> {
        let batch = InvitationBatch::parse(count, names, self.max_per_call)?;
        self.store
            .insert_invitations(
                poll,
                owner,
                batch.into_names(),
                self.max_per_poll,
                self.clock.now(),
            )
            .await
    }

    /// `FORBIDDEN` unless `viewer` owns the poll.
    pub fn require_owner(&self, poll: &Poll, viewer: Option<Uuid>) -> AppResult<()> {
        match viewer {
            Some(user) if user == poll.owner_id => Ok(()),
            _ => Err(AppError::Forbidden(
                "only the poll's owner sees its invitations".into(),
            )),
        }
    }

    /// Up to `first` (1 to [`INVITATIONS_PAGE_MAX`]) of the poll's invitations after
    /// `after`, oldest first, and whether more follow; for the owner only.
    pub async fn page(
        &self,
        poll: &Poll,
        viewer: Option<Uuid>,
        first: i32,
        after: Option<Uuid>,
    ) -> AppResult<(Vec<Invitation>, bool)> {
        self.require_owner(poll, viewer)?;
        let first = u64::try_from(first)
            .ok()
            .filter(|f| (1..=INVITATIONS_PAGE_MAX).contains(f))
            .ok_or_else(|| {
                AppError::bad_input("first", format!("first is 1 to {INVITATIONS_PAGE_MAX}"))
            })?;
        self.store.invitations_page(poll.id, after, first).await
    }

    /// How the poll's invitations stand; `None` for anyone but its owner. `voted` counts
    /// holders with a ballot on the poll now.
    pub async fn counts(
        &self,
        poll: &Poll,
        viewer: Option<Uuid>,
    ) -> AppResult<Option<InvitationCounts>> {
        if self.require_owner(poll, viewer).is_err() {
            return Ok(None);
        }
        let (statuses, holders) = futures::try_join!(
            self.store.invitation_statuses(poll.id),
            self.store.invitation_holders(poll.id)
        )?;
        let mut counts = InvitationCounts::default();
        for (status, n) in statuses {
            counts.issued += n;
            match status {
                InvitationStatus::Redeemed => counts.redeemed += n,
                InvitationStatus::Revoked => counts.revoked += n,
                InvitationStatus::Pending => {}
            }
        }
        counts.voted = self.holders_who_voted(poll, &holders).await?;
        Ok(Some(counts))
    }

    /// How many of `holders` have a ballot on the poll. On an anonymous poll a ballot is
    /// stored under the voter's pseudonym: each holder's is computed here, in the app,
    /// and looked up with their id (ballots from before the poll had a key), so nothing
    /// that links a voter to a ballot is ever stored or shown — only the count leaves.
    async fn holders_who_voted(&self, poll: &Poll, holders: &[Uuid]) -> AppResult<u64> {
        let owners: Vec<Uuid> = match poll.anonymous {
            false => holders.to_vec(),
            true => holders
                .iter()
                .flat_map(|&holder| self.owners.candidates(holder, &[poll.id]))
                .collect(),
        };
        let found: HashSet<Uuid> = self
            .store
            .ballot_holders(poll.id, &owners)
            .await?
            .into_iter()
            .collect();
        let voted = holders
            .iter()
            .filter(|&&holder| {
                found.contains(&holder)
                    || (poll.anonymous && found.contains(&self.owners.pseudonym(poll.id, holder)))
            })
            .count();
        Ok(u64::try_from(voted).unwrap_or(u64::MAX))
    }

    /// Binds the invitation with this code to `voter` and returns its poll's id.
    /// Redeeming again, or holding another invitation to the poll already, is a no-op
    /// success. `INVITATION_NOT_FOUND`, `INVITATION_REVOKED`,
    /// `INVITATION_ALREADY_REDEEMED` (by someone else), `RATE_LIMITED`.
    pub async fn redeem(&self, voter: Uuid, code: &str) -> AppResult<Uuid> {
        self.limiter
            .check(Bucket::RedeemInvitation, &voter.to_string())
            .await?;
        let id = self
            .codes
            .verify(code)
            .ok_or(AppError::InvitationNotFound)?;
        match self
            .store
            .redeem_invitation(id, voter, self.clock.now())
            .await?
        {
            RedeemOutcome::Holds { poll_id } => Ok(poll_id),
            RedeemOutcome::Missing => Err(AppError::InvitationNotFound),
            RedeemOutcome::Revoked => Err(AppError::InvitationRevoked),
            RedeemOutcome::TakenByAnother => Err(AppError::InvitationAlreadyRedeemed),
        }
    }

    /// Revokes an unredeemed invitation of the owner's poll (revoking twice is a no-op).
    pub async fn revoke(&self, owner: Uuid, id: Uuid) -> AppResult<Invitation> {
        self.store.revoke_invitation(id, owner).await
    }

    /// The invitation with this id, with its poll, for `node(id:)`.
    pub async fn find(&self, id: Uuid) -> AppResult<Option<Invitation>> {
        self.store.find_invitation(id).await
    }

    /// Which of these polls `user` holds a redeemed invitation to.
    pub async fn invited_to(&self, user: Uuid, polls: &[Uuid]) -> AppResult<Vec<Uuid>> {
        self.store.polls_invited_to(user, polls).await
    }

    /// The code of an invitation (derived, see [`InvitationCodes`]).
    pub fn code(&self, id: Uuid) -> String {
        self.codes.code(id)
    }

    /// The link that redeems an invitation in the web app.
    pub fn link(&self, code: &str) -> String {
        format!("{}/i/{code}", self.public_origin)
    }
}
