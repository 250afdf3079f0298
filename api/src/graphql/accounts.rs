//! Accounts in the schema: `register`, `login`, `viewer`, and the `User` type.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::context::ContextExt;
use super::scalars::DateTime;
use crate::domain::{Password, User, Username};
use crate::service::{AccountService, Session};

/// A Tally account, or a guest.
#[derive(SimpleObject, Clone)]
#[graphql(name = "User")]
pub struct UserNode {
    /// The account's id (a UUID).
    #[graphql(owned)]
    pub id: ID,
    /// The username, as typed at sign-up (`guest-<8 hex>` for a guest).
    pub username: String,
    /// When the account was created.
    pub created_at: DateTime,
    /// A guest: created by `startGuestSession`, without a password; it may vote where
    /// guests may, and its ballots can be claimed into an account (`claimGuestVotes`).
    pub is_guest: bool,
}

impl From<User> for UserNode {
    fn from(user: User) -> Self {
        UserNode {
            id: ID(user.id.to_string()),
            username: user.username,
            created_at: user.created_at.into(),
            is_guest: user.guest,
        }
    }
}

/// A signed-in session.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Bearer token for the `Authorization` header (`Bearer <token>`), or the
    /// `authorization` field of the WebSocket `connection_init` payload.
    pub token: String,
    /// When the token stops being accepted; sign in again after that.
    pub expires_at: DateTime,
    /// The signed-in user.
    pub user: UserNode,
}

impl From<Session> for AuthPayload {
    fn from(session: Session) -> Self {
        AuthPayload {
            token: session.token,
            expires_at: session.expires_at.into(),
            user: session.user.into(),
        }
    }
}

/// A new account.
#[derive(InputObject)]
pub struct RegisterInput {
    /// 3–32 characters: ASCII letters, digits, `_` and `-`. Unique regardless of case.
    pub username: String,
    /// 8–128 characters.
    pub password: String,
}

/// Credentials of an existing account.
#[derive(InputObject)]
pub struct LoginInput {
    /// The username, in any case.
    pub username: String,
    /// The password.
    pub password: String,
}

/// Account queries.
#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user, or null when no token was sent. A token that is expired or
    /// invalid is an `UNAUTHENTICATED` error rather than null, so clients can tell.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Option<UserNode>> {
        let Some(id) = ctx.viewer().optional()? else {
            return Ok(None);
        };
        let user = ctx.service::<AccountService>().find(id).await?;
        Ok(user.map(UserNode::from))
    }
}

/// Account mutations.
#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates an account and signs it in. Errors: `BAD_USER_INPUT` (with `field`),
    /// `USERNAME_TAKEN`.
    async fn register(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account's username and password.")] input: RegisterInput,
    ) -> Result<AuthPayload> {
        let username = Username::parse(&input.username).map_err(|e| e.in_field("input"))?;
        let password = Password::parse(&input.password).map_err(|e| e.in_field("input"))?;
        let session = ctx
            .service::<AccountService>()
            .register(username, password, &ctx.client_address())
            .await?;
        Ok(session.into())
    }

    /// Signs in. Errors: `INVALID_CREDENTIALS`, the same whether the username or the
    /// password is wrong.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's username and password.")] input: LoginInput,
    ) -> Result<AuthPayload> {
        let session = ctx
            .service::<AccountService>()
            .login(&input.username, &input.password, &ctx.client_address())
            .await?;
        Ok(session.into())
    }
}
