//! Polls in the schema: the `Poll` type, `poll`, `polls`, `createPoll` and `closePoll`.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, Result};

use super::context::ContextExt;
use super::enums::{PollKind, PollListing, PollStatus, PollVoters, ResultsVisibility};
use super::ids::parse_id;
use super::loaders::{Loaders, from_load_error};
use super::pagination::{PAGE_MAX, PageArgs, PollConnection};
use super::poll_node::{PageData, PollNode};
use super::scalars::DateTime;
use crate::domain::PollDraft;
use crate::service::{GuestService, PollFilter, PollService};

/// A new poll. Its texts may not hold control characters (but line feed and tab),
/// invisible format characters (bidi controls, zero-width space, byte-order mark, …) or
/// a zero-width joiner that joins nothing: such text is `BAD_USER_INPUT`.
#[derive(InputObject)]
pub struct CreatePollInput {
    /// The question, 1–200 characters (trimmed).
    pub title: String,
    /// More about the question, up to 2,000 characters.
    pub description: Option<String>,
    /// 2–20 option texts of 1–200 characters, unique ignoring case, Unicode form,
    /// zero-width joiners and the kind of space.
    pub options: Vec<String>,
    /// SINGLE (default), MULTIPLE, RANKED or SCORE.
    #[graphql(default_with = "PollKind::Single")]
    pub kind: PollKind,
    /// Fewest options a ballot chooses (default 1); RANKED: fewest ranked (default 1);
    /// SCORE: fewest scored (default: all).
    pub min_choices: Option<i32>,
    /// Most options a ballot chooses (default 1 for SINGLE, the number of options for
    /// MULTIPLE); RANKED: most ranked (default all); SCORE: most scored (default all).
    /// 1 ≤ minChoices ≤ maxChoices ≤ number of options.
    pub max_choices: Option<i32>,
    /// SCORE only: the lowest score (default 0); at least -10.
    pub score_min: Option<i32>,
    /// SCORE only: the highest score (default 5); at most 100, above `scoreMin` by at
    /// most 10.
    pub score_max: Option<i32>,
    /// When voting opens; now when omitted.
    pub opens_at: Option<DateTime>,
    /// When voting closes by itself; must be in the future and after `opensAt`.
    pub closes_at: Option<DateTime>,
    /// Who may see results (default ALWAYS).
    #[graphql(default_with = "ResultsVisibility::Always")]
    pub results_visibility: ResultsVisibility,
    /// Whether voters may change or retract their ballot (default false).
    #[graphql(default)]
    pub allow_vote_change: bool,
    /// Whether the poll appears in the public list (default UNLISTED: only people with
    /// its link find it).
    #[graphql(default_with = "PollListing::Unlisted")]
    pub listing: PollListing,
    /// Who may vote (default ACCOUNTS: signed-in accounts only).
    #[graphql(default_with = "PollVoters::Accounts")]
    pub voters: PollVoters,
    /// Whether ballots are stored under a per-poll pseudonym of each voter instead of
    /// the voter's id (default false), so that nobody — not the owner, not an operator
    /// reading the database — can link a ballot to a person. Voters still see, change
    /// and retract their own ballot.
    #[graphql(default)]
    pub anonymous: bool,
}

impl From<CreatePollInput> for PollDraft {
    fn from(input: CreatePollInput) -> Self {
        PollDraft {
            title: input.title,
            description: input.description,
            options: input.options,
            kind: input.kind.into(),
            min_choices: input.min_choices,
            max_choices: input.max_choices,
            score_min: input.score_min,
            score_max: input.score_max,
            opens_at: input.opens_at.map(|t| t.0),
            closes_at: input.closes_at.map(|t| t.0),
            results_visibility: input.results_visibility.into(),
            allow_vote_change: input.allow_vote_change,
            listing: input.listing.into(),
            voters: input.voters.into(),
            anonymous: input.anonymous,
        }
    }
}

/// Which polls to list.
#[derive(InputObject, Default)]
#[graphql(name = "PollFilter")]
pub struct PollFilterInput {
    /// Only polls created by this user.
    pub owner_id: Option<ID>,
    /// Only polls in this status now.
    pub status: Option<PollStatus>,
    /// Only polls the signed-in user voted in (true) or did not vote in (false).
    pub voted_by_viewer: Option<bool>,
}

/// Poll queries.
#[derive(Default)]
pub struct PollQuery;

#[Object]
impl PollQuery {
    /// One poll by id; null when it does not exist.
    async fn poll(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The poll's id.")] id: ID,
    ) -> Result<Option<PollNode>> {
        let id = parse_id("id", &id)?;
        let poll = ctx
            .service::<Loaders>()
            .polls
            .load_one(id)
            .await
            .map_err(from_load_error)?;
        Ok(poll.map(PollNode::new))
    }

    /// The poll a join code opens (`Poll.joinCode`, typed at `/` or `/j/CODE`); null when
    /// no poll has it. Case, spaces and dashes do not matter; a code that cannot be one
    /// (not six of `23456789ABCDEFGHJKMNPQRSTUVWXYZ`) is `BAD_USER_INPUT`.
    async fn poll_by_code(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The join code, as typed.")] code: String,
    ) -> Result<Option<PollNode>> {
        let poll = ctx.service::<PollService>().by_code(&code).await?;
        Ok(poll.map(PollNode::new))
    }

    /// Polls, newest first, a page at a time (Relay cursor pagination): `first` (with
    /// `after`) pages forward from the newest, `last` (with `before`) backward from the
    /// oldest. Give exactly one of `first` and `last` (`BAD_USER_INPUT` otherwise).
    #[graphql(
        complexity = "first.or(last).unwrap_or(0).clamp(0, PAGE_MAX) as usize * child_complexity + 1"
    )]
    async fn polls(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many polls to return from the start of the list: 1 to 100.")]
        first: Option<i32>,
        #[graphql(desc = "Return the polls after this cursor (`pageInfo.endCursor`).")]
        after: Option<String>,
        #[graphql(desc = "How many polls to return from the end of the list: 1 to 100.")]
        last: Option<i32>,
        #[graphql(desc = "Return the polls before this cursor (`pageInfo.startCursor`).")]
        before: Option<String>,
        #[graphql(desc = "Which polls to list.")] filter: Option<PollFilterInput>,
    ) -> Result<PollConnection> {
        let window = PageArgs {
            first,
            after,
            last,
            before,
        }
        .window()?;
        let filter = filter.unwrap_or_default();
        let filter = PollFilter {
            owner_id: filter
                .owner_id
                .as_ref()
                .map(|id| parse_id("filter.ownerId", id))
                .transpose()?,
            status: filter.status.map(Into::into),
            voted_by_viewer: filter.voted_by_viewer,
        };
        let viewer = ctx.viewer().optional()?;
        let page = ctx
            .service::<PollService>()
            .list(viewer, window, &filter)
            .await?;
        let node = ctx.look_ahead().field("edges").field("node");
        let data = PageData::fetch(ctx, &page.polls, node, viewer).await?;
        Ok(PollConnection::new(
            page,
            window,
            Arc::new(data),
            viewer,
            filter,
        ))
    }
}

/// Poll mutations.
#[derive(Default)]
pub struct PollMutation;

#[Object]
impl PollMutation {
    /// Creates a poll owned by the signed-in user. Errors: `UNAUTHENTICATED`,
    /// `FORBIDDEN` (a guest, unless `TALLY_GUESTS_CAN_CREATE_POLLS`), `BAD_USER_INPUT`
    /// (with `field`, e.g. `input.options.2`).
    async fn create_poll(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The poll's question, options and rules.")] input: CreatePollInput,
    ) -> Result<PollNode> {
        let owner = ctx.service::<GuestService>().poll_creator(ctx.viewer())?;
        let (poll, _) = ctx
            .service::<PollService>()
            .create(owner, input.into())
            .await
            .map_err(|e| e.in_field("input"))?;
        Ok(PollNode::new(poll))
    }

    /// Closes a poll now; its results become final. Only the owner may (`FORBIDDEN`);
    /// closing a closed poll changes nothing.
    async fn close_poll(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The poll's id.")] id: ID,
    ) -> Result<PollNode> {
        let owner = ctx.viewer().require()?;
        let id = parse_id("id", &id)?;
        let poll = ctx.service::<PollService>().close(id, owner).await?;
        Ok(PollNode::new(poll))
    }
}
