//! Accounts: sign-up, sign-in and "who am I".

use std::sync::Arc;

use uuid::Uuid;

use crate::auth::known_users::KnownUsers;
use crate::auth::passwords::PasswordHasher;
use crate::auth::tokens::{Subject, TokenKeys};
use crate::clock::Clock;
use crate::coalesce::Coalescer;
use crate::domain::{Password, User, Username};
use crate::error::{AppError, AppResult};
use crate::limits::{Bucket, Limiter};
use crate::store::Store;

/// A signed-in session: the token and whose it is.
#[derive(Debug, Clone)]
pub struct Session {
    /// The bearer token.
    pub token: String,
    /// When the token stops being accepted.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// The signed-in user.
    pub user: User,
}

/// Sign-up, sign-in and lookups of accounts.
#[derive(Clone)]
pub struct AccountService {
    store: Store,
    hasher: PasswordHasher,
    tokens: TokenKeys,
    limiter: Limiter,
    /// Which token users were recently found to exist (or not).
    known: Arc<KnownUsers>,
    /// Whether users exist, asked of the database for many requests at once.
    lookups: Arc<Coalescer<Uuid, bool>>,
    clock: Arc<dyn Clock>,
}

/// Whether each of `ids` exists, in their order; all unanswered when the query fails.
async fn active_among(store: &Store, ids: Vec<Uuid>) -> Vec<Option<bool>> {
    match store.users_active(&ids).await {
        Ok(active) => ids.iter().map(|id| Some(active.contains(id))).collect(),
        Err(e) => {
            tracing::debug!(error = ?e, "checking that tokens' users exist");
            vec![None; ids.len()]
        }
    }
}

impl AccountService {
    /// The service over its ports; a user found to exist is trusted to for `known_user_ttl`.
    pub fn new(
        store: Store,
        hasher: PasswordHasher,
        tokens: TokenKeys,
        limiter: Limiter,
        clock: Arc<dyn Clock>,
        known_user_ttl: std::time::Duration,
    ) -> Self {
        let lookup_store = store.clone();
        AccountService {
            store,
            hasher,
            tokens,
            limiter,
            known: Arc::new(KnownUsers::new(known_user_ttl, clock.clone())),
            lookups: Arc::new(Coalescer::start(move |ids: Vec<Uuid>| {
                let store = lookup_store.clone();
                async move { active_among(&store, ids).await }
            })),
            clock,
        }
    }

    /// Creates an account and signs it in; `client` is the caller's address, whose
    /// sign-ups are rate-limited.
    pub async fn register(
        &self,
        username: Username,
        password: Password,
        client: &str,
    ) -> AppResult<Session> {
        self.limiter.check(Bucket::Register, client).await?;
        // Hash first: a taken name is refused by the unique index, which is the only
        // check that holds under concurrent sign-ups.
        let hash = self.hasher.hash(&password).await?;
        let user = self
            .store
            .insert_user(&username, hash, self.clock.now())
            .await?;
        self.session_for(user)
    }

    /// Signs in. Unknown user and wrong password are the same error and take as long.
    /// Sign-ins are rate-limited per client address, and wrong passwords slow down
    /// further attempts on the account from that address, under a ceiling for the account
    /// (see `limits::sign_in`).
    pub async fn login(&self, username: &str, password: &str, client: &str) -> AppResult<Session> {
        self.limiter.check(Bucket::Login, client).await?;
        let Ok(username) = Username::parse(username) else {
            // No account has such a name, so there is nothing to throttle; the answer
            // still costs one verification.
            return self.refuse_after_verifying_filler().await;
        };
        let account = username.key();
        self.limiter.check_sign_in(&account, client).await?;
        let Ok(password) = Password::parse(password) else {
            return self.refuse_after_verifying_filler().await;
        };
        let found = self.store.find_credentials(&username).await?;
        let stored_hash = found.as_ref().map(|(_, hash)| hash.as_str());
        let verified = self.hasher.verify(&password, stored_hash).await?;
        match found {
            Some((user, _)) if verified => {
                self.limiter.signed_in(&account, client).await;
                self.session_for(user)
            }
            _ => Err(AppError::InvalidCredentials),
        }
    }

    /// `INVALID_CREDENTIALS`, after as much work as checking a real password.
    async fn refuse_after_verifying_filler(&self) -> AppResult<Session> {
        let filler = Password::parse("not-a-real-password")?;
        self.hasher.verify(&filler, None).await?;
        Err(AppError::InvalidCredentials)
    }

    /// Whether the user a verified token names still exists (and, for a guest, was not
    /// retired by a claim). Answered from a cache of recent answers, so the vote path
    /// does not ask the database on every request; a database that cannot answer counts
    /// as yes (the request will meet it anyway).
    pub async fn exists(&self, id: Uuid) -> bool {
        if let Some(exists) = self.known.get(id) {
            return exists;
        }
        // Lookups waiting together share one query ([`crate::coalesce`]); one that
        // could not be answered (the database down) lets the token through, as before.
        match self.lookups.call(id).await {
            Some(exists) => {
                self.known.put(id, exists);
                exists
            }
            None => true,
        }
    }

    /// The account behind a verified token, if it still exists.
    pub async fn find(&self, id: Uuid) -> AppResult<Option<User>> {
        Ok(self.find_many(&[id]).await?.into_iter().next())
    }

    /// Accounts by id; unknown ids are left out.
    pub async fn find_many(&self, ids: &[Uuid]) -> AppResult<Vec<User>> {
        self.store.find_users(ids).await
    }

    /// Whom a bearer token speaks for, or why it is refused.
    pub fn verify_token(&self, token: &str) -> Result<Subject, &'static str> {
        self.tokens.verify(token)
    }

    /// A session for a guest just created.
    pub fn guest_session(&self, user: User) -> AppResult<Session> {
        let issued = self.tokens.issue_guest(user.id)?;
        self.known.put(user.id, true);
        Ok(Session {
            token: issued.token,
            expires_at: issued.expires_at,
            user,
        })
    }

    /// Notes that a user's tokens no longer work (a guest retired by a claim): at
    /// once on this instance, within `known_user_ttl` on the others.
    pub fn forget(&self, id: Uuid) {
        self.known.put(id, false);
    }

    /// How long a bearer token stays valid from now (by the service's clock), or why it
    /// is refused: a WebSocket connection ends when its token does.
    pub fn token_time_left(&self, token: &str) -> Result<std::time::Duration, &'static str> {
        let (_, expires_at) = self.tokens.verify_with_expiry(token)?;
        Ok((expires_at - self.clock.now()).to_std().unwrap_or_default())
    }

    fn session_for(&self, user: User) -> AppResult<Session> {
        let issued = self.tokens.issue(user.id)?;
        self.known.put(user.id, true);
        Ok(Session {
            token: issued.token,
            expires_at: issued.expires_at,
            user,
        })
    }
}
