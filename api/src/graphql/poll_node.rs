//! The `Poll` and `PollOption` types, and how their relations are loaded.
//!
//! A poll reached on its own (`poll(id)`, `Vote.poll`, a mutation) loads its relations
//! through the DataLoaders. A page of polls (`polls`) instead prefetches, in one query
//! each, the relations the request selects ([`PageData`]), so the page costs the same
//! number of statements whatever its size — not subject to DataLoader timing windows.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, ID, Lookahead, Object, Result};
use uuid::Uuid;

use super::accounts::UserNode;
use super::activity::{self, ActivityInterval, PollActivityNode};
use super::context::ContextExt;
use super::enums::{PollKind, PollListing, PollStatus, PollVoters, ResultsVisibility};
use super::ids::to_id;
use super::invitations::{self, InvitationConnection, InvitationCounts};
use super::loaders::{Loaders, from_load_error};
use super::results::PollResultsNode;
use super::scalars::DateTime;
use super::votes::VoteNode;
use crate::domain::{self, Poll, PollOption, Tally, User, Vote};
use crate::error::{AppError, AppResult};
use crate::service::{AccountService, PollService, ResultsService, VoteService};

/// Relations of a page of polls, fetched up front; `None` where the request did not
/// select them.
#[derive(Default)]
pub struct PageData {
    options: Option<HashMap<Uuid, Vec<PollOption>>>,
    owners: Option<HashMap<Uuid, User>>,
    tallies: Option<HashMap<Uuid, Tally>>,
    /// The viewer's ballots on the page's polls.
    ballots: Option<HashMap<Uuid, Vote>>,
}

impl PageData {
    /// Fetches, for `polls`, what the selection `node` (a `Poll`) asks for.
    pub async fn fetch(
        ctx: &Context<'_>,
        polls: &[Poll],
        node: Lookahead<'_>,
        viewer: Option<Uuid>,
    ) -> AppResult<Self> {
        let ids: Vec<Uuid> = polls.iter().map(|p| p.id).collect();
        let wants = |field: &str| node.field(field).exists();
        let (wants_results, wants_my_vote) = (wants("results"), wants("myVote"));
        let need_options =
            wants("options") || wants_results || node.field("myVote").field("options").exists();
        let need_ballots = viewer.is_some() && (wants_my_vote || wants_results);
        let mut owner_ids: Vec<Uuid> = polls.iter().map(|p| p.owner_id).collect();
        owner_ids.sort_unstable();
        owner_ids.dedup();

        let options = async {
            if !need_options {
                return Ok(None);
            }
            let mut by_poll: HashMap<Uuid, Vec<PollOption>> = HashMap::new();
            for option in ctx.service::<PollService>().options_of(&ids).await? {
                by_poll.entry(option.poll_id).or_default().push(option);
            }
            Ok::<_, AppError>(Some(by_poll))
        };
        let owners = async {
            if !wants("owner") {
                return Ok(None);
            }
            let users = ctx
                .service::<AccountService>()
                .find_many(&owner_ids)
                .await?;
            Ok(Some(users.into_iter().map(|u| (u.id, u)).collect()))
        };
        let tallies = async {
            if !wants_results {
                return Ok(None);
            }
            let tallies = ctx.service::<ResultsService>().tallies(&ids).await?;
            Ok(Some(tallies.into_iter().map(|t| (t.poll_id, t)).collect()))
        };
        let ballots = async {
            let Some(user) = viewer.filter(|_| need_ballots) else {
                return Ok(None);
            };
            let votes = ctx.service::<VoteService>().ballots_of(user, &ids).await?;
            Ok(Some(votes.into_iter().map(|v| (v.poll_id, v)).collect()))
        };
        let (options, owners, tallies, ballots) =
            futures::try_join!(options, owners, tallies, ballots)?;
        Ok(PageData {
            options,
            owners,
            tallies,
            ballots,
        })
    }
}

/// A poll, with its page's prefetched relations when it came in a page.
pub struct PollNode {
    poll: Poll,
    page: Option<Arc<PageData>>,
}

impl PollNode {
    /// A poll reached on its own.
    pub fn new(poll: Poll) -> Self {
        PollNode { poll, page: None }
    }

    /// A poll of a page.
    pub fn in_page(poll: Poll, page: Arc<PageData>) -> Self {
        PollNode {
            poll,
            page: Some(page),
        }
    }

    fn page<T>(
        &self,
        pick: impl Fn(&PageData) -> Option<&HashMap<Uuid, T>>,
    ) -> Option<&HashMap<Uuid, T>> {
        self.page.as_deref().and_then(pick)
    }

    async fn load_options(&self, ctx: &Context<'_>) -> AppResult<Vec<PollOption>> {
        if let Some(options) = self.page(|p| p.options.as_ref()) {
            return Ok(options.get(&self.poll.id).cloned().unwrap_or_default());
        }
        let options = ctx
            .service::<Loaders>()
            .options
            .load_one(self.poll.id)
            .await
            .map_err(from_load_error)?;
        Ok(options.unwrap_or_default())
    }

    async fn load_tally(&self, ctx: &Context<'_>) -> AppResult<Option<Tally>> {
        if let Some(tallies) = self.page(|p| p.tallies.as_ref()) {
            return Ok(tallies.get(&self.poll.id).cloned());
        }
        let tally = ctx
            .service::<Loaders>()
            .tallies
            .load_one(self.poll.id)
            .await
            .map_err(from_load_error)?;
        Ok(tally)
    }

    async fn load_ballot(&self, ctx: &Context<'_>, user: Uuid) -> AppResult<Option<Vote>> {
        if let Some(ballots) = self.page(|p| p.ballots.as_ref()) {
            return Ok(ballots.get(&self.poll.id).cloned());
        }
        let ballot = ctx
            .service::<Loaders>()
            .ballots
            .load_one((user, self.poll.id))
            .await
            .map_err(from_load_error)?;
        Ok(ballot)
    }

    /// The poll's current results when the viewer may see them now (`Poll.results`,
    /// `node(id:)`); `RESULTS_HIDDEN` otherwise.
    pub async fn visible_results(&self, ctx: &Context<'_>) -> AppResult<PollResultsNode> {
        let poll = &self.poll;
        let viewer = ctx.viewer().optional()?;
        let has_voted = match viewer {
            Some(user)
                if poll.results_visibility == domain::ResultsVisibility::AfterVote
                    && user != poll.owner_id =>
            {
                self.load_ballot(ctx, user).await?.is_some()
            }
            _ => false,
        };
        let results = ctx.service::<ResultsService>();
        results.check_visible(poll, viewer, has_voted)?;
        let (tally, options) = futures::try_join!(self.load_tally(ctx), self.load_options(ctx))?;
        let tally =
            tally.ok_or_else(|| AppError::Internal(anyhow::anyhow!("poll without tally")))?;
        Ok(PollResultsNode::new(results.results(poll, &tally), options))
    }
}

/// One option of a poll.
pub struct PollOptionNode(pub PollOption);

/// One option of a poll.
#[Object(name = "PollOption")]
impl PollOptionNode {
    /// The option's id, used in `castVote`.
    pub(super) async fn id(&self) -> ID {
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

/// The scores a SCORE poll's ballots may give, both ends included.
#[derive(async_graphql::SimpleObject)]
pub struct ScoreRange {
    /// Lowest score.
    pub min: i32,
    /// Highest score.
    pub max: i32,
}

/// A poll: a question, its options, its rules and its results.
#[Object(name = "Poll")]
impl PollNode {
    /// The poll's id (a UUID).
    pub(super) async fn id(&self) -> ID {
        to_id(self.poll.id)
    }

    /// The question.
    async fn title(&self) -> &str {
        &self.poll.title
    }

    /// The short code people type to open the poll (at `/`, or `/j/CODE`): six
    /// characters without look-alikes, unique. As public as the poll's link.
    async fn join_code(&self) -> Option<&str> {
        self.poll.join_code.as_deref()
    }

    /// More about the question, if the owner wrote any.
    async fn description(&self) -> Option<&str> {
        self.poll.description.as_deref()
    }

    /// SINGLE, MULTIPLE, RANKED or SCORE.
    async fn kind(&self) -> PollKind {
        self.poll.kind.into()
    }

    /// Fewest options a ballot chooses (RANKED: ranks; SCORE: scores).
    async fn min_choices(&self) -> i32 {
        self.poll.min_choices
    }

    /// Most options a ballot chooses (RANKED: ranks; SCORE: scores).
    async fn max_choices(&self) -> i32 {
        self.poll.max_choices
    }

    /// The scores a ballot may give; null unless the poll is SCORE.
    async fn score_range(&self) -> Option<ScoreRange> {
        self.poll.score_range.map(|r| ScoreRange {
            min: r.min,
            max: r.max,
        })
    }

    /// The options, in order.
    async fn options(&self, ctx: &Context<'_>) -> Result<Vec<PollOptionNode>> {
        let options = self.load_options(ctx).await?;
        Ok(options.into_iter().map(PollOptionNode).collect())
    }

    /// SCHEDULED, OPEN or CLOSED, judged now.
    async fn status(&self, ctx: &Context<'_>) -> PollStatus {
        self.poll.status(ctx.service::<PollService>().now()).into()
    }

    /// When voting opens; null when it opened at creation.
    async fn opens_at(&self) -> Option<DateTime> {
        self.poll.opens_at.map(Into::into)
    }

    /// When voting closes by itself; null when only the owner closes it.
    async fn closes_at(&self) -> Option<DateTime> {
        self.poll.closes_at.map(Into::into)
    }

    /// When the owner closed it with `closePoll`, if they did.
    async fn closed_at(&self) -> Option<DateTime> {
        self.poll.closed_at.map(Into::into)
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime {
        self.poll.created_at.into()
    }

    /// Who created it.
    async fn owner(&self, ctx: &Context<'_>) -> Result<UserNode> {
        let owner = match self.page(|p| p.owners.as_ref()) {
            Some(owners) => owners.get(&self.poll.owner_id).cloned(),
            None => ctx
                .service::<Loaders>()
                .users
                .load_one(self.poll.owner_id)
                .await
                .map_err(from_load_error)?,
        };
        let owner =
            owner.ok_or_else(|| AppError::Internal(anyhow::anyhow!("poll without owner")))?;
        Ok(owner.into())
    }

    /// Who may see the results, and when.
    async fn results_visibility(&self) -> ResultsVisibility {
        self.poll.results_visibility.into()
    }

    /// Whether voters may change or retract their ballot.
    async fn allow_vote_change(&self) -> bool {
        self.poll.allow_vote_change
    }

    /// Whether the poll appears in the public list. Shown to everyone: it says how the
    /// poll is shared, not anything about its votes.
    async fn listing(&self) -> PollListing {
        self.poll.listing.into()
    }

    /// Who may vote.
    async fn voters(&self) -> PollVoters {
        self.poll.voters.into()
    }

    /// Whether ballots are stored under a per-poll pseudonym of each voter, never the
    /// voter's id: nobody can link a ballot to a person, the owner included.
    async fn anonymous(&self) -> bool {
        self.poll.anonymous
    }

    /// The poll's invitations, oldest first, a page at a time (`first` with `after`).
    /// Only its owner may list them (`FORBIDDEN`).
    #[graphql(
        complexity = "first.unwrap_or(invitations::PAGE_MAX).clamp(0, invitations::PAGE_MAX) as usize * child_complexity + 1"
    )]
    async fn invitations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many invitations to return: 1 to 100 (default 100).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the invitations after this cursor (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> Result<InvitationConnection> {
        Ok(invitations::poll_invitations(
            ctx,
            &self.poll,
            first.unwrap_or(invitations::PAGE_MAX),
            after,
        )
        .await?)
    }

    /// How many invitations were issued, redeemed, voted and revoked; null for anyone
    /// but the owner.
    async fn invitation_counts(&self, ctx: &Context<'_>) -> Result<Option<InvitationCounts>> {
        Ok(invitations::poll_invitation_counts(ctx, &self.poll).await?)
    }

    /// Whether the viewer holds a redeemed invitation to this poll (false when signed
    /// out). On an `INVITED` poll, only such viewers may vote.
    async fn viewer_invited(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(invitations::viewer_invited(ctx, &self.poll).await?)
    }

    /// Ballots cast, changed and retracted per `interval` (default MINUTE), counted from
    /// the audit log, from `since` (default: the poll's creation, or as far back as
    /// 1,440 buckets reach) until `until` (default: now), widened to whole buckets. Only
    /// the owner may read it (`FORBIDDEN`); a window of more than 1,440 buckets is
    /// `BAD_USER_INPUT`.
    async fn activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The bucket length (null: MINUTE).")] interval: Option<ActivityInterval>,
        #[graphql(desc = "The window's start (default: the poll's creation).")] since: Option<
            DateTime,
        >,
        #[graphql(desc = "The window's end (default: now).")] until: Option<DateTime>,
    ) -> Result<PollActivityNode> {
        let interval = interval.unwrap_or(ActivityInterval::Minute);
        activity::poll_activity(ctx, &self.poll, interval, since, until).await
    }

    /// The current tally. Null with a `RESULTS_HIDDEN` error when `resultsVisibility`
    /// keeps it from this viewer for now.
    async fn results(&self, ctx: &Context<'_>) -> Result<Option<PollResultsNode>> {
        Ok(Some(self.visible_results(ctx).await?))
    }

    /// The signed-in user's ballot on this poll; null when anonymous or not voted.
    /// Nobody else's ballot is ever shown.
    async fn my_vote(&self, ctx: &Context<'_>) -> Result<Option<VoteNode>> {
        let Some(user) = ctx.viewer().optional()? else {
            return Ok(None);
        };
        let Some(vote) = self.load_ballot(ctx, user).await? else {
            return Ok(None);
        };
        let options = self
            .page(|p| p.options.as_ref())
            .map(|options| options.get(&self.poll.id).cloned().unwrap_or_default());
        Ok(Some(VoteNode::with_options(vote, options)))
    }
}
