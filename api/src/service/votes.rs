//! Votes: `castVote` through the group-commit writer; `changeVote` and `retractVote`
//! in their own transactions. Each answers only after its transaction committed.

use std::sync::Arc;

use uuid::Uuid;

use std::sync::atomic::Ordering;

use super::ballot_owner::BallotOwners;
use super::invitation_gate::InvitationGate;
use super::poll_rules::{PollRules, PollRulesCache};
use crate::clock::Clock;
use crate::domain::kinds::BallotInput;
use crate::domain::vote::request_hash;
use crate::domain::{
    IdempotencyKey, PollId, PollStatus, PollVoters, RequestHash, UserId, Vote, VoteAction, VoteId,
    Voter,
};
use crate::error::{AppError, AppResult};
use crate::limits::{Bucket, Limiter};
use crate::live::{LiveState, Mark};
use crate::store::{CastOutcome, CastRequest, ChangeOutcome, ChangeRequest, Store, VoteWriter};

/// What a voter's mark alone proves about a cast under `key` with input `hash`: `Ok`
/// to replay the mark's ballot, an error to refuse, `None` when only the database can
/// tell. See [`VoteService::cast`] for why each answer is safe.
fn fast_answer(
    mark: &Mark,
    key: &IdempotencyKey,
    hash: &RequestHash,
    ballots_are_permanent: bool,
) -> Option<AppResult<()>> {
    match (&mark.key == key, &mark.request_hash == hash) {
        (true, true) => Some(Ok(())),
        (true, false) => Some(Err(AppError::IdempotencyKeyReused)),
        (false, _) if ballots_are_permanent => Some(Err(AppError::AlreadyVoted)),
        (false, _) => None,
    }
}

/// A vote mutation's answer: the ballot, and whether this was a replay of an earlier call.
#[derive(Debug, Clone)]
pub struct VoteReceipt {
    /// The ballot as the first call left it (or as it now stands, after a change).
    pub vote: Vote,
    /// True when the key was used before with the same input.
    pub replayed: bool,
}

/// Casting, changing and retracting ballots.
#[derive(Clone)]
pub struct VoteService {
    store: Store,
    writer: VoteWriter,
    rules: PollRulesCache,
    owners: BallotOwners,
    live: LiveState,
    limiter: Limiter,
    invitations: InvitationGate,
    clock: Arc<dyn Clock>,
}

fn not_open(status: PollStatus) -> AppError {
    AppError::PollNotOpen(match status {
        PollStatus::Scheduled => "this poll is not open for votes yet".into(),
        _ => "this poll is closed".into(),
    })
}

impl VoteService {
    /// The service over its ports.
    pub fn new(
        store: Store,
        writer: VoteWriter,
        owners: BallotOwners,
        live: LiveState,
        limiter: Limiter,
        invitations: InvitationGate,
        clock: Arc<dyn Clock>,
    ) -> Self {
        VoteService {
            rules: PollRulesCache::new(store.clone()),
            owners,
            store,
            writer,
            live,
            limiter,
            invitations,
            clock,
        }
    }

    /// Whether the poll lets `user` (the voter's own id, never a pseudonym: invitations
    /// are held by voters) put a ballot in: on an `INVITED` poll, only with a redeemed
    /// invitation (`NOT_INVITED`).
    async fn admit(&self, rules: &PollRules, poll: PollId, user: UserId) -> AppResult<()> {
        match rules.voters {
            PollVoters::Invited => self.invitations.admit(poll.uuid(), user.uuid()).await,
            PollVoters::Accounts | PollVoters::Guests => Ok(()),
        }
    }

    /// Casts a ballot, exactly once per user and poll, whatever the retries. On an
    /// anonymous poll "user" is the voter's pseudonym from the first store access on.
    ///
    /// A voter with a mark in the live store may be answered from it without touching
    /// the database; everyone else goes through the vote writer, where the database
    /// decides. The invariant: **a fast-path answer never refuses a voter who has no
    /// ballot.** A mark says that its key was used, with which input and for which
    /// ballot; keys are kept for ever, so that holds however late, out of order or old
    /// the mark is (a Redis stalled mid-write, or restored from disk). Hence:
    ///
    /// - same key, same input: the first answer again (a replay);
    /// - same key, other input: `IDEMPOTENCY_KEY_REUSED`;
    /// - another key: `ALREADY_VOTED` only where ballots are permanent (the poll does
    ///   not allow retraction, so the mark's ballot still exists); on other polls the
    ///   database decides, since the ballot may have been retracted since.
    ///
    /// One answer differs between the two, both true: a voter with a ballot here who
    /// sends a key they used on another poll (or for a change) is `ALREADY_VOTED` from
    /// the mark and `IDEMPOTENCY_KEY_REUSED` from the database, which checks keys first.
    /// Sending such calls to the database instead cost the duplicate-storm benchmark
    /// two fifths of its throughput (15.9k → 9.7k calls/s), so the mark answers them.
    ///
    /// Whether the poll admits the voter (guests on an accounts-only poll) is checked
    /// before the mark is looked at, so no answer, fast or not, reaches a voter the
    /// poll does not admit.
    pub async fn cast(
        &self,
        voter: Voter,
        poll: PollId,
        input: BallotInput,
        key: IdempotencyKey,
        request_id: Option<String>,
    ) -> AppResult<VoteReceipt> {
        let user = voter.id;
        let subject = user.to_string();
        // From the rules on, the voter is who their ballot is stored under (a
        // pseudonym on an anonymous poll): the mark, the ballot, its key and its audit
        // event. The rules are nearly always cached, so the mark's lookup still runs
        // beside the limiter's.
        let prepared = async {
            let rules = self.rules.get(poll.uuid()).await?;
            rules.admits(&voter)?;
            self.admit(&rules, poll, user).await?;
            let owner = self.owner(poll, &rules, user)?;
            let mark = self.live.mark(poll.uuid(), owner.uuid()).await;
            Ok::<_, AppError>((rules, owner, mark))
        };
        let (allowed, prepared) =
            tokio::join!(self.limiter.check(Bucket::Vote, &subject), prepared);
        allowed?;
        let (rules, user, mark) = prepared?;
        let ballot = rules.ballots.parse(input)?;
        let hash = request_hash(VoteAction::Cast, poll.uuid(), Some(&ballot));
        if let Some(answer) = mark.and_then(|mark| {
            fast_answer(&mark, &key, &hash, rules.ballots_are_permanent)
                .map(|answer| answer.map(|()| mark.vote(poll.uuid(), user.uuid())))
        }) {
            self.live
                .counters()
                .fast_path_answers
                .fetch_add(1, Ordering::Relaxed);
            return answer.map(|vote| VoteReceipt {
                vote,
                replayed: true,
            });
        }
        let request = CastRequest {
            vote_id: VoteId::from(Uuid::now_v7()),
            poll_id: poll,
            user_id: user,
            request_hash: hash,
            contribution: rules.ballots.contribution(&ballot),
            ballot,
            key,
            request_id,
        };
        match self.writer.submit(request).await? {
            CastOutcome::Recorded(vote) => Ok(VoteReceipt {
                vote,
                replayed: false,
            }),
            CastOutcome::Replayed(vote) => Ok(VoteReceipt {
                vote,
                replayed: true,
            }),
            CastOutcome::AlreadyVoted => Err(AppError::AlreadyVoted),
            CastOutcome::KeyReused => Err(AppError::IdempotencyKeyReused),
            CastOutcome::PollNotOpen(status) => Err(not_open(status)),
            CastOutcome::PollMissing => Err(AppError::NotFound("poll")),
            CastOutcome::Retry => Err(AppError::Internal(anyhow::anyhow!(
                "the vote writer returned an undecided call"
            ))),
        }
    }

    /// Replaces what the voter's ballot says, where the poll allows it.
    pub async fn change(
        &self,
        voter: Voter,
        poll: PollId,
        input: BallotInput,
        key: IdempotencyKey,
        request_id: Option<String>,
    ) -> AppResult<VoteReceipt> {
        let user = voter.id;
        self.limiter.check(Bucket::Vote, &user.to_string()).await?;
        let rules = self.rules.get(poll.uuid()).await?;
        rules.admits(&voter)?;
        let ballot = rules.ballots.parse(input)?;
        self.admit(&rules, poll, voter.id).await?;
        let user = self.owner(poll, &rules, user)?;
        let hash = request_hash(VoteAction::Change, poll.uuid(), Some(&ballot));
        self.apply_change(ChangeRequest {
            poll_id: poll,
            user_id: user,
            contribution: Some(rules.ballots.contribution(&ballot)),
            ballot: Some(ballot),
            rules: rules.ballots.clone(),
            key,
            request_hash: hash,
            request_id,
        })
        .await
    }

    /// Removes the voter's ballot, where the poll allows it; they may vote again later.
    pub async fn retract(
        &self,
        voter: Voter,
        poll: PollId,
        key: IdempotencyKey,
        request_id: Option<String>,
    ) -> AppResult<VoteReceipt> {
        let user = voter.id;
        self.limiter.check(Bucket::Vote, &user.to_string()).await?;
        let rules = self.rules.get(poll.uuid()).await?;
        rules.admits(&voter)?;
        let user = self.owner(poll, &rules, user)?;
        self.apply_change(ChangeRequest {
            poll_id: poll,
            user_id: user,
            ballot: None,
            contribution: None,
            rules: rules.ballots.clone(),
            request_hash: request_hash(VoteAction::Retract, poll.uuid(), None),
            key,
            request_id,
        })
        .await
    }

    /// Who the voter's ballot on `poll` is stored under: their id, or their pseudonym
    /// on an anonymous poll.
    fn owner(&self, poll: PollId, rules: &PollRules, voter: UserId) -> AppResult<UserId> {
        let owner = self.owners.owner(poll.uuid(), rules, voter.uuid())?;
        Ok(UserId::from(owner))
    }

    async fn apply_change(&self, request: ChangeRequest) -> AppResult<VoteReceipt> {
        let (outcome, tally) = self
            .store
            .commit_vote_change(&request, &*self.clock)
            .await?;
        if let Some(tally) = tally {
            self.live.tally_changed(tally).await;
        }
        let (vote, replayed) = match outcome {
            ChangeOutcome::Changed(vote) => (vote, false),
            // The voter's mark stays: it still truthfully answers retries of its key,
            // and it is never used to refuse a voter of a poll that allows retraction.
            ChangeOutcome::Retracted(vote) => (vote, false),
            ChangeOutcome::Replayed(vote) => (vote, true),
            ChangeOutcome::KeyReused => return Err(AppError::IdempotencyKeyReused),
            ChangeOutcome::NoBallot => {
                return Err(AppError::NotFound("your ballot on this poll"));
            }
            ChangeOutcome::NotAllowed => {
                return Err(AppError::Forbidden(
                    "this poll does not allow changing or retracting a vote".into(),
                ));
            }
            ChangeOutcome::PollNotOpen(status) => return Err(not_open(status)),
            ChangeOutcome::PollMissing => return Err(AppError::NotFound("poll")),
        };
        Ok(VoteReceipt { vote, replayed })
    }

    /// The ballot with this id when it is the user's own; `None` for anyone else's.
    pub async fn own_ballot(&self, user: Uuid, vote: Uuid) -> AppResult<Option<Vote>> {
        let ballot = self.store.ballot(vote).await?;
        Ok(ballot.filter(|b| self.owners.owns(user, b.poll_id, b.user_id)))
    }

    /// The user's ballots on these polls, stored under their id or their pseudonyms.
    pub async fn ballots_of(&self, user: Uuid, polls: &[Uuid]) -> AppResult<Vec<Vote>> {
        let candidates = self.owners.candidates(user, polls);
        let mut ballots = self.store.ballots_of(&candidates, polls).await?;
        ballots.retain(|b| self.owners.owns(user, b.poll_id, b.user_id));
        Ok(ballots)
    }

    /// Which of these users hold a ballot on the poll now.
    pub async fn ballot_holders(&self, poll: Uuid, users: &[Uuid]) -> AppResult<Vec<Uuid>> {
        // Each user's two possible owners, mapped back to the user.
        let by_owner: std::collections::HashMap<Uuid, Uuid> = users
            .iter()
            .flat_map(|&user| [(user, user), (self.owners.pseudonym(poll, user), user)])
            .collect();
        let owners: Vec<Uuid> = by_owner.keys().copied().collect();
        let holders = self.store.ballot_holders(poll, &owners).await?;
        let mut users: Vec<Uuid> = holders
            .into_iter()
            .filter_map(|owner| by_owner.get(&owner).copied())
            .collect();
        users.sort_unstable();
        users.dedup();
        Ok(users)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(raw_key: &str, raw_hash: &str) -> Mark {
        Mark {
            vote_id: Uuid::now_v7(),
            ballot: crate::domain::Ballot::Choice(vec![crate::domain::OptionId(Uuid::now_v7())]),
            cast_at: chrono::Utc::now(),
            key: key(raw_key),
            request_hash: hash(raw_hash),
        }
    }

    fn key(raw: &str) -> IdempotencyKey {
        IdempotencyKey::parse(raw).unwrap_or_else(|_| panic!("{raw} is a valid key"))
    }

    fn hash(raw: &str) -> RequestHash {
        RequestHash::from_stored(raw.into())
    }

    #[test]
    fn a_mark_replays_or_refuses_its_own_key_on_every_poll() {
        for permanent in [true, false] {
            let m = mark("k1", "h1");
            assert!(matches!(
                fast_answer(&m, &key("k1"), &hash("h1"), permanent),
                Some(Ok(()))
            ));
            assert!(matches!(
                fast_answer(&m, &key("k1"), &hash("h2"), permanent),
                Some(Err(AppError::IdempotencyKeyReused))
            ));
        }
    }

    #[test]
    fn a_mark_refuses_another_key_only_where_ballots_cannot_be_retracted() {
        let m = mark("k1", "h1");
        assert!(matches!(
            fast_answer(&m, &key("k2"), &hash("h1"), true),
            Some(Err(AppError::AlreadyVoted))
        ));
        // The ballot may have been retracted since the mark was written: the database
        // decides.
        assert!(fast_answer(&m, &key("k2"), &hash("h1"), false).is_none());
    }
}
