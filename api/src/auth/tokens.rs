//! Sign-in tokens: JWTs signed with HS256, the algorithm pinned.
//!
//! A token carries `sub` (user id), `iat`, `exp`, `iss` and `aud`; all are required and
//! checked. A guest's token also carries `guest: true` (signed like the rest, so a
//! guest cannot pass for an account); an account's token leaves it out. Tokens are made
//! by `jsonwebtoken` and checked by [`super::hs256`]: tokens naming any other algorithm
//! (`none` included) are refused before the signature is even looked at. Expiry is
//! checked against the injected clock, with no leeway, so that tests can move time and
//! instances agree on the rule. A token must also look like one Tally issues:
//! `exp - iat` at most the configured lifetime, and `iat` not ahead of the clock by more
//! than [`ISSUED_AT_SKEW`] — so a leaked secret or an old, longer-lived token cannot
//! mint sessions that outlive the policy.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::hs256::{Hs256Keys, Rejection};
use super::verified_tokens::VerifiedTokens;
use crate::clock::Clock;

/// How far ahead of this server's clock a token's `iat` may be: instances' clocks
/// differ by a little.
pub const ISSUED_AT_SKEW: Duration = Duration::seconds(60);

/// The claims Tally writes and requires.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
    /// A guest's token; absent (false) on an account's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    guest: bool,
}

/// Whom a verified token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    /// The user row.
    pub user: Uuid,
    /// Whether it is a guest.
    pub guest: bool,
}

/// A freshly issued token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The compact JWT.
    pub token: String,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// Why a token was refused; shown to the client as the `UNAUTHENTICATED` message.
pub type Refusal = &'static str;

/// Issues and verifies tokens.
#[derive(Clone)]
pub struct TokenKeys {
    signing: Arc<EncodingKey>,
    /// The current key first, then earlier ones still accepted during rotation.
    verifying: Arc<Hs256Keys>,
    issuer: Arc<str>,
    audience: Arc<str>,
    ttl: Duration,
    clock: Arc<dyn Clock>,
    /// Tokens verified before, until they expire.
    verified: Arc<VerifiedTokens>,
}

impl TokenKeys {
    /// Keys from the current secret and earlier ones.
    pub fn new(
        secret: &[u8],
        previous: &[Vec<u8>],
        issuer: &str,
        audience: &str,
        ttl: std::time::Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let verifying =
            Hs256Keys::new(std::iter::once(secret).chain(previous.iter().map(Vec::as_slice)));
        TokenKeys {
            signing: Arc::new(EncodingKey::from_secret(secret)),
            verifying: Arc::new(verifying),
            issuer: issuer.into(),
            audience: audience.into(),
            ttl: Duration::from_std(ttl).unwrap_or(Duration::days(1)),
            clock,
            verified: Arc::default(),
        }
    }

    /// A token for the account `user` valid for the configured lifetime.
    pub fn issue(&self, user: Uuid) -> anyhow::Result<IssuedToken> {
        self.issue_for(user, false)
    }

    /// A token for the guest `user` valid for the configured lifetime.
    pub fn issue_guest(&self, user: Uuid) -> anyhow::Result<IssuedToken> {
        self.issue_for(user, true)
    }

    fn issue_for(&self, user: Uuid, guest: bool) -> anyhow::Result<IssuedToken> {
        let now = self.clock.now();
        // Whole seconds, as in the `exp` claim, so `expiresAt` is exactly when it ends.
        let expires_at =
            DateTime::from_timestamp((now + self.ttl).timestamp(), 0).unwrap_or(now + self.ttl);
        let claims = Claims {
            sub: user.to_string(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            iss: self.issuer.to_string(),
            aud: self.audience.to_string(),
            guest,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.signing)?;
        Ok(IssuedToken { token, expires_at })
    }

    /// Whom a token was issued to, or why it is refused.
    pub fn verify(&self, token: &str) -> Result<Subject, Refusal> {
        let now = self.clock.now().timestamp();
        if let Some(subject) = self.verified.get(token, now) {
            return Ok(subject);
        }
        let claims = self.claims(token)?;
        if claims.exp <= now {
            return Err("token expired");
        }
        self.check_lifetime(&claims, now)?;
        let user = Uuid::parse_str(&claims.sub).map_err(|_| "invalid token")?;
        let subject = Subject {
            user,
            guest: claims.guest,
        };
        self.verified.put(token, subject, claims.exp);
        Ok(subject)
    }

    /// The user a token was issued to and when it expires, or why it is refused: for
    /// connections that outlive one request and must end with their token.
    ///
    /// Every check is [`TokenKeys::verify`]'s; the expiry is then read from the claims
    /// the accepted token carries.
    pub fn verify_with_expiry(&self, token: &str) -> Result<(Subject, DateTime<Utc>), Refusal> {
        let user = self.verify(token)?;
        let expires_at = self
            .claims(token)
            .ok()
            .and_then(|claims| DateTime::from_timestamp(claims.exp, 0))
            .ok_or("invalid token")?;
        Ok((user, expires_at))
    }

    /// The claims of a token signed by one of our keys, for our issuer and audience; not
    /// yet checked against the clock.
    fn claims(&self, token: &str) -> Result<Claims, Refusal> {
        let claims: Claims = self.verifying.verify(token).map_err(|e| match e {
            Rejection::Malformed => "malformed token",
            Rejection::Algorithm => "token algorithm not accepted",
            Rejection::Signature => "invalid token",
        })?;
        if *claims.iss != *self.issuer || *claims.aud != *self.audience {
            return Err("invalid token");
        }
        Ok(claims)
    }

    /// Refuses claims that no token of ours carries: issued in the future, or living
    /// longer than the configured lifetime.
    fn check_lifetime(&self, claims: &Claims, now: i64) -> Result<(), Refusal> {
        if claims.iat > now.saturating_add(ISSUED_AT_SKEW.num_seconds()) {
            return Err("token issued in the future");
        }
        if claims.exp.saturating_sub(claims.iat) > self.ttl.num_seconds() {
            return Err("token lifetime longer than allowed");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use base64::Engine;

    fn keys(secret: &[u8], clock: Arc<dyn Clock>) -> TokenKeys {
        TokenKeys::new(
            secret,
            &[],
            "tally",
            "tally-api",
            std::time::Duration::from_secs(60),
            clock,
        )
    }

    #[test]
    fn an_issued_token_verifies_until_it_expires() -> anyhow::Result<()> {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let keys = keys(&[7; 32], clock.clone());
        let user = Uuid::now_v7();
        let issued = keys.issue(user)?;
        let account = Subject { user, guest: false };
        assert_eq!(keys.verify(&issued.token), Ok(account));
        assert_eq!(
            keys.verify_with_expiry(&issued.token),
            Ok((account, issued.expires_at))
        );
        let guest = keys.issue_guest(user)?;
        assert_eq!(keys.verify(&guest.token), Ok(Subject { user, guest: true }));
        clock.advance(std::time::Duration::from_secs(61));
        assert_eq!(keys.verify(&issued.token), Err("token expired"));
        assert_eq!(keys.verify_with_expiry(&issued.token), Err("token expired"));
        Ok(())
    }

    #[test]
    fn tokens_issued_ahead_or_living_too_long_are_refused() -> anyhow::Result<()> {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let issuer = keys(&[7; 32], clock.clone());
        let token = issuer.issue(Uuid::now_v7())?.token;
        // The same secret, a shorter lifetime: the token now lives too long.
        let stricter = TokenKeys::new(
            &[7; 32],
            &[],
            "tally",
            "tally-api",
            std::time::Duration::from_secs(59),
            clock.clone(),
        );
        assert_eq!(
            stricter.verify(&token),
            Err("token lifetime longer than allowed")
        );
        // Issued by a clock two minutes ahead.
        clock.advance(std::time::Duration::from_secs(120));
        let ahead = issuer.issue(Uuid::now_v7())?.token;
        clock.set(clock.now_utc() - Duration::seconds(120));
        assert_eq!(issuer.verify(&ahead), Err("token issued in the future"));
        Ok(())
    }

    #[test]
    fn tokens_from_another_secret_are_refused_but_rotated_ones_accepted() -> anyhow::Result<()> {
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(Utc::now()));
        let old = keys(&[1; 32], clock.clone());
        let other = keys(&[2; 32], clock.clone());
        let rotated = TokenKeys::new(
            &[2; 32],
            &[vec![1; 32]],
            "tally",
            "tally-api",
            std::time::Duration::from_secs(60),
            clock,
        );
        let token = old.issue(Uuid::now_v7())?.token;
        assert!(other.verify(&token).is_err());
        assert!(rotated.verify(&token).is_ok());
        Ok(())
    }

    #[test]
    fn unsigned_tokens_are_refused() -> anyhow::Result<()> {
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(Utc::now()));
        let keys = keys(&[7; 32], clock);
        let token = keys.issue(Uuid::now_v7())?.token;
        let payload = token.split('.').nth(1).unwrap_or_default();
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert!(keys.verify(&format!("{header}.{payload}.")).is_err());
        assert_eq!(keys.verify("not a token"), Err("malformed token"));
        Ok(())
    }
}
