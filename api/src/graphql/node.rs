//! Object identification (the Relay `Node` interface): `node(id:)` fetches anything
//! that has an id again, by that id alone.
//!
//! Polls, options, users and votes have UUIDs, unique across kinds, so an id says which
//! row but not which table: `node` looks the UUID up in each (one query each, run at
//! once). Results have no row; their ids name their poll or option ([`GlobalId`]).
//! What `node` shows follows the rules of the direct fields: a vote only to its voter,
//! results only to whom `Poll.results` shows them. Anything else is `null`, exactly as
//! for an id that names nothing, so an id tells nobody what it hides.

use async_graphql::{Context, ID, Interface, Object, Result};
use uuid::Uuid;

use super::accounts::UserNode;
use super::context::ContextExt;
use super::ids::GlobalId;
use super::invitations::{InvitationNode, owned_invitation};
use super::loaders::{Loaders, from_load_error};
use super::poll_node::{PollNode, PollOptionNode};
use super::results::{OptionResultNode, PollResultsNode};
use super::votes::VoteNode;
use crate::error::{AppError, AppResult};
use crate::service::{PollService, VoteService};

/// An object with a globally unique `id`, which `node(id:)` fetches again.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Globally unique: no two objects of any kinds share it; `node(id:)` takes it."
))]
pub enum Node {
    /// A poll.
    Poll(PollNode),
    /// An option of a poll.
    PollOption(PollOptionNode),
    /// An account.
    User(UserNode),
    /// The viewer's own ballot.
    Vote(VoteNode),
    /// A poll's current results.
    PollResults(PollResultsNode),
    /// One option's current count.
    OptionResult(OptionResultNode),
    /// An invitation, to its poll's owner.
    Invitation(InvitationNode),
}

/// The `node` query.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this id, of whatever kind; null when no object has it or this
    /// viewer may not see it (another user's vote, results `resultsVisibility` hides).
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Any object's `id`.")] id: ID,
    ) -> Result<Option<Node>> {
        let found = match GlobalId::parse(&id) {
            None => None,
            Some(GlobalId::Entity(id)) => entity(ctx, id).await?,
            Some(GlobalId::PollResults(poll)) => poll_results(ctx, poll).await?.map(Node::from),
            Some(GlobalId::OptionResult(option)) => option_result(ctx, option).await?,
        };
        Ok(found)
    }
}

/// The poll, option, user, (own) vote or (owned poll's) invitation with this UUID.
async fn entity(ctx: &Context<'_>, id: Uuid) -> AppResult<Option<Node>> {
    let loaders = ctx.service::<Loaders>();
    let viewer = ctx.viewer().optional()?;
    let (poll, user, option, vote, invitation) = futures::try_join!(
        async { loaders.polls.load_one(id).await.map_err(from_load_error) },
        async { loaders.users.load_one(id).await.map_err(from_load_error) },
        find_option(ctx, id),
        async {
            match viewer {
                Some(user) => ctx.service::<VoteService>().own_ballot(user, id).await,
                None => Ok(None),
            }
        },
        owned_invitation(ctx, id),
    )?;
    Ok(poll
        .map(|poll| Node::from(PollNode::new(poll)))
        .or_else(|| user.map(|user| Node::from(UserNode::from(user))))
        .or_else(|| option.map(|option| Node::from(PollOptionNode(option))))
        .or_else(|| vote.map(|vote| Node::from(VoteNode::new(vote))))
        .or_else(|| invitation.map(Node::from)))
}

async fn find_option(ctx: &Context<'_>, id: Uuid) -> AppResult<Option<crate::domain::PollOption>> {
    let options = ctx.service::<PollService>().find_options(&[id]).await?;
    Ok(options.into_iter().next())
}

/// A poll's results, when this viewer may see them.
async fn poll_results(ctx: &Context<'_>, poll: Uuid) -> AppResult<Option<PollResultsNode>> {
    let poll = ctx
        .service::<Loaders>()
        .polls
        .load_one(poll)
        .await
        .map_err(from_load_error)?;
    let Some(poll) = poll else {
        return Ok(None);
    };
    match PollNode::new(poll).visible_results(ctx).await {
        Ok(results) => Ok(Some(results)),
        Err(AppError::ResultsHidden(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// One option's count, when this viewer may see its poll's results.
async fn option_result(ctx: &Context<'_>, option: Uuid) -> AppResult<Option<Node>> {
    let Some(found) = find_option(ctx, option).await? else {
        return Ok(None);
    };
    let results = poll_results(ctx, found.poll_id).await?;
    Ok(results
        .and_then(|results| results.option_result(option))
        .map(Node::from))
}
