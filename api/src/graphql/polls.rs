//! Polls in the schema: the `Poll` type, `poll`, `polls`, `createPoll` and `closePoll`.

use async_graphql::{Context, ID, InputObject, Object, Result};

use super::accounts::UserNode;
use super::context::ContextExt;
use super::enums::{PollKind, PollStatus, ResultsVisibility};
use super::ids::{decode_cursor, parse_id, to_id};
use super::loaders::{Loaders, from_load_error};
use super::pagination::PollConnection;
use super::results::PollResultsNode;
use super::scalars::DateTime;
use super::votes::VoteNode;
use crate::domain::{self, Poll, PollDraft, PollOption};
use crate::error::AppError;
use crate::service::{PollFilter, PollService, ResultsService};

/// Most polls one page may hold.
pub const PAGE_MAX: i32 = 100;

/// A poll.
pub struct PollNode(pub Poll);

/// One option of a poll.
pub struct PollOptionNode(pub PollOption);

/// One option of a poll.
#[Object(name = "PollOption")]
impl PollOptionNode {
    /// The option's id, used in `castVote`.
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// The option's text.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// Zero-based position in the poll.
    async fn position(&self) -> i32 {
        self.0.position
    }
}

/// A poll: a question, its options, its rules and its results.
#[Object(name = "Poll")]
impl PollNode {
    /// The poll's id (a UUID).
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// The question.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// More about the question, if the owner wrote any.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// SINGLE or MULTIPLE choice.
    async fn kind(&self) -> PollKind {
        self.0.kind.into()
    }

    /// Fewest options a ballot chooses.
    async fn min_choices(&self) -> i32 {
        self.0.min_choices
    }

    /// Most options a ballot chooses.
    async fn max_choices(&self) -> i32 {
        self.0.max_choices
    }

    /// The options, in order.
    async fn options(&self, ctx: &Context<'_>) -> Result<Vec<PollOptionNode>> {
        let options = ctx
            .service::<Loaders>()
            .options
            .load_one(self.0.id)
            .await
            .map_err(from_load_error)?;
        Ok(options
            .unwrap_or_default()
            .into_iter()
            .map(PollOptionNode)
            .collect())
    }

    /// SCHEDULED, OPEN or CLOSED, judged now.
    async fn status(&self, ctx: &Context<'_>) -> PollStatus {
        self.0.status(ctx.service::<PollService>().now()).into()
    }

    /// When voting opens; null when it opened at creation.
    async fn opens_at(&self) -> Option<DateTime> {
        self.0.opens_at.map(Into::into)
    }

    /// When voting closes by itself; null when only the owner closes it.
    async fn closes_at(&self) -> Option<DateTime> {
        self.0.closes_at.map(Into::into)
    }

    /// When the owner closed it with `closePoll`, if they did.
    async fn closed_at(&self) -> Option<DateTime> {
        self.0.closed_at.map(Into::into)
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// Who created it.
    async fn owner(&self, ctx: &Context<'_>) -> Result<UserNode> {
        let owner = ctx
            .service::<Loaders>()
            .users
            .load_one(self.0.owner_id)
            .await
            .map_err(from_load_error)?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("poll without owner")))?;
        Ok(owner.into())
    }

    /// Who may see the results, and when.
    async fn results_visibility(&self) -> ResultsVisibility {
        self.0.results_visibility.into()
    }

    /// Whether voters may change or retract their ballot.
    async fn allow_vote_change(&self) -> bool {
        self.0.allow_vote_change
    }

    /// The current tally. Null with a `RESULTS_HIDDEN` error when `resultsVisibility`
    /// keeps it from this viewer for now.
    async fn results(&self, ctx: &Context<'_>) -> Result<Option<PollResultsNode>> {
        let poll = &self.0;
        let viewer = ctx.viewer().optional()?;
        let loaders = ctx.service::<Loaders>();
        let has_voted = match viewer {
            Some(user)
                if poll.results_visibility == domain::ResultsVisibility::AfterVote
                    && user != poll.owner_id =>
            {
                loaders
                    .ballots
                    .load_one((user, poll.id))
                    .await
                    .map_err(from_load_error)?
                    .is_some()
            }
            _ => false,
        };
        let results = ctx.service::<ResultsService>();
        results.check_visible(poll, viewer, has_voted)?;
        let (tally, options) = futures::try_join!(
            loaders.tallies.load_one(poll.id),
            loaders.options.load_one(poll.id)
        )
        .map_err(from_load_error)?;
        let tally =
            tally.ok_or_else(|| AppError::Internal(anyhow::anyhow!("poll without tally")))?;
        Ok(Some(PollResultsNode::new(
            results.results(poll, &tally),
            options.unwrap_or_default(),
        )))
    }

    /// The signed-in user's ballot on this poll; null when anonymous or not voted.
    /// Nobody else's ballot is ever shown.
    async fn my_vote(&self, ctx: &Context<'_>) -> Result<Option<VoteNode>> {
        let Some(user) = ctx.viewer().optional()? else {
            return Ok(None);
        };
        let vote = ctx
            .service::<Loaders>()
            .ballots
            .load_one((user, self.0.id))
            .await
            .map_err(from_load_error)?;
        Ok(vote.map(VoteNode))
    }
}

/// A new poll.
#[derive(InputObject)]
pub struct CreatePollInput {
    /// The question, 1–200 characters (trimmed).
    pub title: String,
    /// More about the question, up to 2,000 characters.
    pub description: Option<String>,
    /// 2–20 option texts of 1–200 characters, unique ignoring case and Unicode form.
    pub options: Vec<String>,
    /// SINGLE (default) or MULTIPLE.
    #[graphql(default_with = "PollKind::Single")]
    pub kind: PollKind,
    /// Fewest options a ballot chooses (default 1).
    pub min_choices: Option<i32>,
    /// Most options a ballot chooses (default 1 for SINGLE, the number of options for
    /// MULTIPLE). 1 ≤ minChoices ≤ maxChoices ≤ number of options.
    pub max_choices: Option<i32>,
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
            opens_at: input.opens_at.map(|t| t.0),
            closes_at: input.closes_at.map(|t| t.0),
            results_visibility: input.results_visibility.into(),
            allow_vote_change: input.allow_vote_change,
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
        Ok(poll.map(PollNode))
    }

    /// Polls, newest first, a page at a time (Relay cursor pagination).
    #[graphql(complexity = "first.clamp(0, PAGE_MAX) as usize * child_complexity + 1")]
    async fn polls(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many polls to return: 1 to 100.")] first: i32,
        #[graphql(desc = "Return the polls after this cursor (`pageInfo.endCursor`).")]
        after: Option<String>,
        #[graphql(desc = "Which polls to list.")] filter: Option<PollFilterInput>,
    ) -> Result<PollConnection> {
        if !(1..=PAGE_MAX).contains(&first) {
            return Err(
                AppError::bad_input("first", format!("first is 1 to {PAGE_MAX}")).into(),
            );
        }
        let after = after.as_deref().map(decode_cursor).transpose()?;
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
            .list(viewer, u64::try_from(first).unwrap_or(1), after, filter)
            .await?;
        Ok(PollConnection::new(page, after.is_some()))
    }
}

/// Poll mutations.
#[derive(Default)]
pub struct PollMutation;

#[Object]
impl PollMutation {
    /// Creates a poll owned by the signed-in user. Errors: `UNAUTHENTICATED`,
    /// `BAD_USER_INPUT` (with `field`, e.g. `input.options.2`).
    async fn create_poll(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The poll's question, options and rules.")] input: CreatePollInput,
    ) -> Result<PollNode> {
        let owner = ctx.viewer().require()?;
        let (poll, _) = ctx
            .service::<PollService>()
            .create(owner, input.into())
            .await
            .map_err(|e| e.in_field("input"))?;
        Ok(PollNode(poll))
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
        Ok(PollNode(poll))
    }
}
