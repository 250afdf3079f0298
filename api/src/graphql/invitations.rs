//! Invitations in the schema: the `Invitation` type and its connection,
//! `createInvitations`, `redeemInvitation`, `revokeInvitation`, and the resolvers behind
//! `Poll.invitations`, `Poll.invitationCounts` and `Poll.viewerInvited`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use super::context::ContextExt;
use super::ids::{decode_invitation_cursor, encode_invitation_cursor, parse_id, to_id};
use super::loaders::{Loaders, from_load_error};
use super::pagination::PageInfo;
use super::poll_node::PollNode;
use super::scalars::DateTime;
use crate::domain::{self, Invitation, Poll};
use crate::error::{AppError, AppResult};
use crate::service::InvitationService;
use crate::service::invitations::INVITATIONS_PAGE_MAX;

/// Most invitations one page holds, for complexity.
pub const PAGE_MAX: i32 = INVITATIONS_PAGE_MAX as i32;

/// Where an invitation stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationStatus {
    /// Not redeemed yet: its code admits the first voter who redeems it.
    Pending,
    /// Redeemed: bound to the voter who redeemed it (who that is is never shown).
    Redeemed,
    /// Revoked by the poll's owner before anyone redeemed it; its code admits nobody.
    Revoked,
}

impl From<domain::InvitationStatus> for InvitationStatus {
    fn from(status: domain::InvitationStatus) -> Self {
        match status {
            domain::InvitationStatus::Pending => InvitationStatus::Pending,
            domain::InvitationStatus::Redeemed => InvitationStatus::Redeemed,
            domain::InvitationStatus::Revoked => InvitationStatus::Revoked,
        }
    }
}

/// A single-use invitation to an `INVITED` poll, as its owner sees it. Redeeming its
/// code (or opening its link) binds it to the redeemer, who may then vote once.
pub struct InvitationNode(pub Invitation);

/// A single-use invitation to an `INVITED` poll, as its owner sees it. Redeeming its
/// code (or opening its link) binds it to the redeemer, who may then vote once.
#[Object(name = "Invitation")]
impl InvitationNode {
    /// The invitation's id (a UUID; not its code).
    pub(super) async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// The owner's label for it, for invitations created by name.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    /// The code to pass to `redeemInvitation`: 35 URL-safe characters. Derived from the
    /// id with a server key, not stored, so the owner can list it again at any time.
    async fn code(&self, ctx: &Context<'_>) -> String {
        ctx.service::<InvitationService>().code(self.0.id)
    }

    /// The web app's link that redeems it: `TALLY_PUBLIC_ORIGIN` + `/i/<code>`.
    async fn link(&self, ctx: &Context<'_>) -> String {
        let invitations = ctx.service::<InvitationService>();
        invitations.link(&invitations.code(self.0.id))
    }

    /// PENDING, REDEEMED or REVOKED.
    async fn status(&self) -> InvitationStatus {
        self.0.status.into()
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// When it was redeemed.
    async fn redeemed_at(&self) -> Option<DateTime> {
        self.0.redeemed_at.map(Into::into)
    }
}

/// An invitation in a page, with its cursor.
#[derive(SimpleObject)]
pub struct InvitationEdge {
    /// Opaque position of this invitation in the list.
    pub cursor: String,
    /// The invitation.
    pub node: InvitationNode,
}

/// A page of a poll's invitations, oldest first.
#[derive(SimpleObject)]
pub struct InvitationConnection {
    /// The invitations with their cursors.
    pub edges: Vec<InvitationEdge>,
    /// Where this page sits (forward paging only: `first` and `after`).
    pub page_info: PageInfo,
}

/// How a poll's invitations stand. Counts only: never who redeemed or how anyone voted.
#[derive(SimpleObject)]
pub struct InvitationCounts {
    /// Every invitation created, whatever became of it.
    pub issued: u64,
    /// Redeemed ones.
    pub redeemed: u64,
    /// Redeemed ones whose holder has a ballot on the poll now.
    pub voted: u64,
    /// Revoked ones.
    pub revoked: u64,
}

impl From<domain::InvitationCounts> for InvitationCounts {
    fn from(c: domain::InvitationCounts) -> Self {
        InvitationCounts {
            issued: c.issued,
            redeemed: c.redeemed,
            voted: c.voted,
            revoked: c.revoked,
        }
    }
}

/// `Poll.invitations`: a page of the poll's invitations, for its owner.
pub async fn poll_invitations(
    ctx: &Context<'_>,
    poll: &Poll,
    first: i32,
    after: Option<String>,
) -> AppResult<InvitationConnection> {
    let after = after.as_deref().map(decode_invitation_cursor).transpose()?;
    let viewer = ctx.viewer().optional()?;
    let (page, more) = ctx
        .service::<InvitationService>()
        .page(poll, viewer, first, after)
        .await?;
    let edges: Vec<InvitationEdge> = page
        .into_iter()
        .map(|invitation| InvitationEdge {
            cursor: encode_invitation_cursor(invitation.id),
            node: InvitationNode(invitation),
        })
        .collect();
    Ok(InvitationConnection {
        page_info: PageInfo {
            has_next_page: more,
            has_previous_page: after.is_some(),
            start_cursor: edges.first().map(|e| e.cursor.clone()),
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        },
        edges,
    })
}

/// `Poll.invitationCounts`: null for anyone but the owner.
pub async fn poll_invitation_counts(
    ctx: &Context<'_>,
    poll: &Poll,
) -> AppResult<Option<InvitationCounts>> {
    let viewer = ctx.viewer().optional()?;
    let counts = ctx
        .service::<InvitationService>()
        .counts(poll, viewer)
        .await?;
    Ok(counts.map(Into::into))
}

/// `Poll.viewerInvited`: whether the viewer holds a redeemed invitation to the poll.
pub async fn viewer_invited(ctx: &Context<'_>, poll: &Poll) -> AppResult<bool> {
    let Some(user) = ctx.viewer().optional()? else {
        return Ok(false);
    };
    let invited = ctx
        .service::<InvitationService>()
        .invited_to(user, &[poll.id])
        .await?;
    Ok(!invited.is_empty())
}

/// The invitation with this id when the viewer owns its poll (for `node(id:)`), `None`
/// otherwise.
pub async fn owned_invitation(
    ctx: &Context<'_>,
    id: uuid::Uuid,
) -> AppResult<Option<InvitationNode>> {
    let Some(viewer) = ctx.viewer().optional()? else {
        return Ok(None);
    };
    let Some(invitation) = ctx.service::<InvitationService>().find(id).await? else {
        return Ok(None);
    };
    let poll = ctx
        .service::<Loaders>()
        .polls
        .load_one(invitation.poll_id)
        .await
        .map_err(from_load_error)?;
    Ok(poll
        .filter(|poll| poll.owner_id == viewer)
        .map(|_| InvitationNode(invitation)))
}

/// What invitations to create: exactly one of `count` and `names`.
#[derive(InputObject)]
pub struct CreateInvitationsInput {
    /// The `INVITED` poll they admit to.
    pub poll_id: ID,
    /// This many unnamed invitations: 1 to `TALLY_INVITATIONS_MAX_PER_CALL`.
    pub count: Option<i32>,
    /// One invitation per name (e.g. the people or households invited): 1 to
    /// `TALLY_INVITATIONS_MAX_PER_CALL` distinct names of 1 to 100 characters.
    pub names: Option<Vec<String>>,
}

/// Invitation mutations.
#[derive(Default)]
pub struct InvitationMutation;

#[Object]
impl InvitationMutation {
    /// Creates invitations to the signed-in owner's `INVITED` poll, each with its code
    /// and link. Errors: `UNAUTHENTICATED`, `FORBIDDEN` (not the owner), `NOT_FOUND`,
    /// `BAD_USER_INPUT` (`input.count`, `input.names.<i>`, `input.pollId` when the poll
    /// is not `INVITED`), `LIMIT_REACHED` (past `TALLY_INVITATIONS_MAX_PER_POLL`).
    async fn create_invitations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The poll, and how many invitations or their names.")]
        input: CreateInvitationsInput,
    ) -> Result<Vec<InvitationNode>> {
        let owner = ctx.viewer().require()?;
        let poll = parse_id("input.pollId", &input.poll_id)?;
        let made = ctx
            .service::<InvitationService>()
            .create(owner, poll, input.count, input.names.as_deref())
            .await
            .map_err(|e| e.in_field("input"))?;
        Ok(made.into_iter().map(InvitationNode).collect())
    }

    /// Redeems an invitation: binds it to the signed-in voter (account or guest), who may then vote in its
    /// poll, and returns the poll. Redeeming it again, or while holding another
    /// invitation to the same poll, changes nothing (the other code stays unused).
    /// Errors: `UNAUTHENTICATED`, `INVITATION_NOT_FOUND`, `INVITATION_REVOKED`,
    /// `INVITATION_ALREADY_REDEEMED` (by someone else), `RATE_LIMITED`.
    async fn redeem_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitation's code (the last part of its link).")] code: String,
    ) -> Result<PollNode> {
        let voter = ctx.viewer().require_voter()?;
        let poll_id = ctx
            .service::<InvitationService>()
            .redeem(voter.id.uuid(), &code)
            .await?;
        let poll = ctx
            .service::<Loaders>()
            .polls
            .load_one(poll_id)
            .await
            .map_err(from_load_error)?
            .ok_or(AppError::NotFound("poll"))?;
        Ok(PollNode::new(poll))
    }

    /// Revokes an invitation nobody redeemed yet: its code then admits nobody. Revoking
    /// a revoked one changes nothing. Errors: `UNAUTHENTICATED`, `NOT_FOUND`,
    /// `FORBIDDEN` (not the poll's owner), `INVITATION_ALREADY_REDEEMED`.
    async fn revoke_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitation's id.")] id: ID,
    ) -> Result<InvitationNode> {
        let owner = ctx.viewer().require()?;
        let id = parse_id("id", &id)?;
        let revoked = ctx.service::<InvitationService>().revoke(owner, id).await?;
        Ok(InvitationNode(revoked))
    }
}
