//! Guests in the schema: `guestChallenge`, `startGuestSession`, `claimGuestVotes`.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};

use super::accounts::AuthPayload;
use super::context::ContextExt;
use super::scalars::DateTime;
use crate::auth::proof_of_work::Challenge;
use crate::service::GuestService;

/// A proof-of-work puzzle to solve before `startGuestSession`: find the smallest
/// decimal nonce `n ≥ 0` such that SHA-256 of the UTF-8 bytes of `salt` followed by the
/// ASCII digits of `n` starts with at least `difficulty` zero bits.
#[derive(SimpleObject)]
pub struct GuestChallenge {
    /// Opaque and signed: pass it back as-is.
    pub challenge: String,
    /// What the nonce's digits are appended to before hashing.
    pub salt: String,
    /// Leading zero bits the digest must have (`TALLY_GUEST_POW_DIFFICULTY`).
    pub difficulty: i32,
    /// After this the challenge is refused (`PROOF_OF_WORK_EXPIRED`).
    pub expires_at: DateTime,
}

impl From<Challenge> for GuestChallenge {
    fn from(challenge: Challenge) -> Self {
        GuestChallenge {
            challenge: challenge.token,
            salt: challenge.salt,
            difficulty: i32::try_from(challenge.difficulty).unwrap_or(i32::MAX),
            expires_at: challenge.expires_at.into(),
        }
    }
}

/// A solved challenge.
#[derive(InputObject)]
pub struct StartGuestSessionInput {
    /// `GuestChallenge.challenge`, as received.
    pub challenge: String,
    /// The nonce found, in decimal digits.
    pub nonce: String,
}

/// The answer to `claimGuestVotes`.
#[derive(SimpleObject)]
pub struct ClaimGuestVotesPayload {
    /// How many ballots moved from the guest to the account.
    pub claimed: i32,
}

/// Guest mutations.
#[derive(Default)]
pub struct GuestMutation;

#[Object]
impl GuestMutation {
    /// A new proof-of-work challenge for `startGuestSession`. Each may be used once,
    /// until its `expiresAt`.
    async fn guest_challenge(&self, ctx: &Context<'_>) -> GuestChallenge {
        ctx.service::<GuestService>().challenge().into()
    }

    /// Creates a guest (a voter without a password, `User.isGuest`) and signs it in.
    /// A guest may vote on polls whose `voters` is `GUESTS` (or `INVITED`, with an
    /// invitation). Errors: `PROOF_OF_WORK_REQUIRED`, `PROOF_OF_WORK_EXPIRED`,
    /// `PROOF_OF_WORK_REUSED`, `PROOF_OF_WORK_INVALID`, `RATE_LIMITED` (per client
    /// address).
    async fn start_guest_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The challenge and the nonce that solves it.")]
        input: StartGuestSessionInput,
    ) -> Result<AuthPayload> {
        let session = ctx
            .service::<GuestService>()
            .start_session(&input.challenge, &input.nonce, &ctx.client_address())
            .await?;
        Ok(session.into())
    }

    /// Moves a guest's ballots to the signed-in account and ends the guest (its token
    /// stops working). Tallies do not change. Errors: `UNAUTHENTICATED` (not signed in,
    /// or `guestToken` is not a valid guest token), `FORBIDDEN` (the viewer is a guest),
    /// `CLAIM_CONFLICT` (the account already voted on polls the guest voted on,
    /// `extensions.pollIds`; nothing moved), `GUEST_ALREADY_CLAIMED`.
    async fn claim_guest_votes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The guest's token, as `startGuestSession` returned it.")]
        guest_token: String,
    ) -> Result<ClaimGuestVotesPayload> {
        let account = ctx.viewer().require()?;
        let moved = ctx
            .service::<GuestService>()
            .claim(account, &guest_token)
            .await?;
        Ok(ClaimGuestVotesPayload {
            claimed: i32::try_from(moved).unwrap_or(i32::MAX),
        })
    }
}
