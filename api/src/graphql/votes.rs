//! Votes in the schema: `castVote`, `changeVote`, `retractVote` and the `Vote` type.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::context::ContextExt;
use super::ids::{parse_id, parse_ids, to_id};
use super::loaders::{Loaders, from_load_error};
use super::poll_node::{PollNode, PollOptionNode};
use super::scalars::DateTime;
use crate::domain::kinds::BallotInput;
use crate::domain::{Ballot, IdempotencyKey, OptionId, PollId, PollOption, Vote};
use crate::error::AppError;
use crate::service::{VoteReceipt, VoteService};

/// A ballot. Only its voter ever sees it.
pub struct VoteNode {
    vote: Vote,
    /// The poll's options when already at hand (a page of polls), else loaded.
    poll_options: Option<Vec<PollOption>>,
}

impl VoteNode {
    /// A ballot whose poll's options will be loaded when asked for.
    pub fn new(vote: Vote) -> Self {
        VoteNode {
            vote,
            poll_options: None,
        }
    }

    /// A ballot with its poll's options already at hand (or not).
    pub fn with_options(vote: Vote, poll_options: Option<Vec<PollOption>>) -> Self {
        VoteNode { vote, poll_options }
    }
}

/// A ballot: what one user chose, ranked or scored in one poll. Only its voter ever sees it.
#[Object(name = "Vote")]
impl VoteNode {
    /// The ballot's id; a replayed `castVote` returns the same id.
    pub(super) async fn id(&self) -> ID {
        to_id(self.vote.id)
    }

    /// Ids of the options chosen (RANKED: in preference order, most preferred first;
    /// SCORE: the options scored).
    async fn option_ids(&self) -> Vec<ID> {
        self.vote
            .ballot
            .option_ids()
            .into_iter()
            .map(|id| to_id(id.0))
            .collect()
    }

    /// The options chosen, in the poll's order (RANKED: in preference order).
    async fn options(&self, ctx: &Context<'_>) -> Result<Vec<PollOptionNode>> {
        let options = self.poll_options(ctx).await?;
        let chosen = self.vote.ballot.option_ids();
        Ok(match &self.vote.ballot {
            Ballot::Ranking(ranking) => ranking
                .iter()
                .filter_map(|id| options.iter().find(|o| o.id == id.0).cloned())
                .map(PollOptionNode)
                .collect(),
            Ballot::Choice(_) | Ballot::Scores(_) => options
                .into_iter()
                .filter(|o| chosen.contains(&OptionId(o.id)))
                .map(PollOptionNode)
                .collect(),
        })
    }

    /// SCORE: each scored option with its score, in the poll's order; empty for other
    /// kinds.
    async fn scores(&self, ctx: &Context<'_>) -> Result<Vec<OptionScore>> {
        let scores = self.vote.ballot.scores();
        if scores.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .poll_options(ctx)
            .await?
            .into_iter()
            .filter_map(|option| {
                let &(_, score) = scores.iter().find(|(id, _)| id.0 == option.id)?;
                Some(OptionScore {
                    option: PollOptionNode(option),
                    score,
                })
            })
            .collect())
    }

    /// The poll voted in.
    async fn poll(&self, ctx: &Context<'_>) -> Result<PollNode> {
        let poll = ctx
            .service::<Loaders>()
            .polls
            .load_one(self.vote.poll_id)
            .await
            .map_err(from_load_error)?
            .ok_or(AppError::NotFound("poll"))?;
        Ok(PollNode::new(poll))
    }

    /// When the ballot was cast.
    async fn cast_at(&self) -> DateTime {
        self.vote.cast_at.into()
    }

    /// When its choices last changed.
    async fn updated_at(&self) -> DateTime {
        self.vote.updated_at.into()
    }
}

impl VoteNode {
    /// The poll's options, at hand or loaded.
    async fn poll_options(&self, ctx: &Context<'_>) -> Result<Vec<PollOption>> {
        Ok(match &self.poll_options {
            Some(options) => options.clone(),
            None => ctx
                .service::<Loaders>()
                .options
                .load_one(self.vote.poll_id)
                .await
                .map_err(from_load_error)?
                .unwrap_or_default(),
        })
    }
}

/// One option a SCORE ballot scored, and its score.
#[derive(SimpleObject)]
pub struct OptionScore {
    /// The option.
    pub option: PollOptionNode,
    /// Its score, within the poll's `scoreRange`.
    pub score: i32,
}

/// A score given to one option of a SCORE poll.
#[derive(InputObject)]
pub struct OptionScoreInput {
    /// The option.
    pub option_id: ID,
    /// Its score, within the poll's `scoreRange`.
    pub score: i32,
}

/// A ballot to cast.
#[derive(InputObject)]
pub struct CastVoteInput {
    /// The poll.
    pub poll_id: ID,
    /// The options chosen: distinct, as many as the poll's kind allows. RANKED: the
    /// ranking, most preferred first. SCORE: leave empty and send `scores`.
    #[graphql(default)]
    pub option_ids: Vec<ID>,
    /// SCORE polls only: a score for each option scored (others send nothing).
    pub scores: Option<Vec<OptionScoreInput>>,
    /// 1–255 printable ASCII characters chosen by the client, new for each intended
    /// vote. Retrying with the same key and input returns the first answer again.
    pub idempotency_key: String,
}

/// New options for an existing ballot.
#[derive(InputObject)]
pub struct ChangeVoteInput {
    /// The poll.
    pub poll_id: ID,
    /// The options now chosen (RANKED: the new ranking; SCORE: empty).
    #[graphql(default)]
    pub option_ids: Vec<ID>,
    /// SCORE polls only: the new scores.
    pub scores: Option<Vec<OptionScoreInput>>,
    /// A new key for this change (see `CastVoteInput.idempotencyKey`).
    pub idempotency_key: String,
}

/// A ballot to take back.
#[derive(InputObject)]
pub struct RetractVoteInput {
    /// The poll.
    pub poll_id: ID,
    /// A new key for this retraction (see `CastVoteInput.idempotencyKey`).
    pub idempotency_key: String,
}

/// The answer to `castVote`.
#[derive(SimpleObject)]
pub struct CastVotePayload {
    /// The ballot.
    pub vote: VoteNode,
    /// True when this call repeated an earlier one (same key, same input): nothing new
    /// was recorded and `vote` is the first call's ballot.
    pub replayed: bool,
}

/// The answer to `changeVote`.
#[derive(SimpleObject)]
pub struct ChangeVotePayload {
    /// The ballot with its new options.
    pub vote: VoteNode,
    /// True when this call repeated an earlier change (same key, same input).
    pub replayed: bool,
}

/// The answer to `retractVote`.
#[derive(SimpleObject)]
pub struct RetractVotePayload {
    /// The ballot as it was before it was taken back.
    pub retracted_vote: VoteNode,
    /// True when this call repeated an earlier retraction (same key).
    pub replayed: bool,
}

fn poll_id(raw: &ID) -> Result<PollId, AppError> {
    parse_id("input.pollId", raw).map(PollId::from)
}

/// The ballot of a cast or change input: ids parsed (`BAD_USER_INPUT` naming the
/// field), not yet checked against the poll.
fn ballot_input(option_ids: &[ID], scores: Option<&[OptionScoreInput]>) -> Result<BallotInput> {
    let option_ids = parse_ids("input.optionIds", option_ids)?
        .into_iter()
        .map(OptionId)
        .collect();
    let scores = scores
        .map(|scores| {
            scores
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let id = parse_id(&format!("input.scores.{i}.optionId"), &s.option_id)?;
                    Ok::<_, async_graphql::Error>((OptionId(id), s.score))
                })
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?;
    Ok(BallotInput { option_ids, scores })
}

fn key(raw: &str) -> Result<IdempotencyKey, AppError> {
    IdempotencyKey::parse(raw).map_err(|e| e.in_field("input"))
}

fn receipt(receipt: VoteReceipt) -> (VoteNode, bool) {
    (VoteNode::new(receipt.vote), receipt.replayed)
}

/// Vote mutations.
#[derive(Default)]
pub struct VoteMutation;

#[Object]
impl VoteMutation {
    /// Casts the signed-in user's (or guest's) ballot, exactly once. Errors:
    /// `UNAUTHENTICATED`, `NOT_FOUND`, `GUESTS_NOT_ALLOWED` (a guest on a poll for
    /// accounts), `POLL_NOT_OPEN`, `INVALID_OPTION`, `ALREADY_VOTED`,
    /// `IDEMPOTENCY_KEY_REUSED`, `BAD_USER_INPUT`, `RATE_LIMITED`, `OVERLOADED`,
    /// `BALLOT_KEY_CHANGED` (an anonymous poll whose ballots were written with another
    /// ballot key; so are `changeVote` and `retractVote`).
    async fn cast_vote(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The poll, the options and the idempotency key.")] input: CastVoteInput,
    ) -> Result<CastVotePayload> {
        let voter = ctx.viewer().require_voter()?;
        let poll = poll_id(&input.poll_id)?;
        let ballot = ballot_input(&input.option_ids, input.scores.as_deref())?;
        let key = key(&input.idempotency_key)?;
        let request_id = ctx.request_id();
        // Boxed: the cast's state (the limiter's and the mark's lookups, the writer's
        // reply) is kilobytes, and every future that awaits it inline (this resolver,
        // async-graphql's field set, the handler, each tower layer) would copy it along
        // the way; callgrind counted those copies as a quarter of a castVote's
        // instructions. Behind one pointer they move for free.
        let cast = Box::pin(
            ctx.service::<VoteService>()
                .cast(voter, poll, ballot, key, request_id),
        );
        let (vote, replayed) = receipt(cast.await?);
        Ok(CastVotePayload { vote, replayed })
    }

    /// Replaces the options of the signed-in user's ballot, where the poll allows it
    /// (`FORBIDDEN` otherwise; `NOT_FOUND` without a ballot).
    async fn change_vote(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The poll, the new options and an idempotency key.")]
        input: ChangeVoteInput,
    ) -> Result<ChangeVotePayload> {
        let voter = ctx.viewer().require_voter()?;
        let poll = poll_id(&input.poll_id)?;
        let ballot = ballot_input(&input.option_ids, input.scores.as_deref())?;
        let key = key(&input.idempotency_key)?;
        let request_id = ctx.request_id();
        let (vote, replayed) = receipt(
            ctx.service::<VoteService>()
                .change(voter, poll, ballot, key, request_id)
                .await?,
        );
        Ok(ChangeVotePayload { vote, replayed })
    }

    /// Takes back the signed-in user's ballot, where the poll allows it; they may vote
    /// again afterwards with a new key.
    async fn retract_vote(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The poll and an idempotency key.")] input: RetractVoteInput,
    ) -> Result<RetractVotePayload> {
        let voter = ctx.viewer().require_voter()?;
        let poll = poll_id(&input.poll_id)?;
        let key = key(&input.idempotency_key)?;
        let request_id = ctx.request_id();
        let (retracted_vote, replayed) = receipt(
            ctx.service::<VoteService>()
                .retract(voter, poll, key, request_id)
                .await?,
        );
        Ok(RetractVotePayload {
            retracted_vote,
            replayed,
        })
    }
}
