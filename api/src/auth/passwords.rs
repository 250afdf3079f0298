//! Password hashing with argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1).
//!
//! A hash costs tens of milliseconds of CPU and 19 MiB of memory, so hashing runs on
//! tokio's blocking pool behind a semaphore: the async workers stay free and memory stays
//! bounded however many sign-ins arrive at once.

use std::sync::Arc;

use anyhow::Context;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::domain::Password;
use crate::metrics::AppCounters;

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct PasswordHasher {
    /// Caps concurrent hashes.
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when the user does not exist, so
    /// that "no such user" takes as long as "wrong password".
    dummy_hash: Arc<str>,
    /// Where verifications are counted (`tally_password_verifications_total`).
    counters: Arc<AppCounters>,
}

fn argon2() -> Argon2<'static> {
    // OWASP Password Storage Cheat Sheet: argon2id, m=19456 KiB, t=2, p=1.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("argon2 hash failed: {e}"))
}

fn verify_blocking(password: &str, phc: &str) -> anyhow::Result<bool> {
    let parsed = PasswordHash::new(phc).map_err(|e| anyhow::anyhow!("bad stored hash: {e}"))?;
    Ok(argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

impl PasswordHasher {
    /// A hasher running at most `concurrency` hashes at once, counting its
    /// verifications in `counters`.
    pub async fn new(concurrency: usize, counters: Arc<AppCounters>) -> anyhow::Result<Self> {
        let dummy = uuid::Uuid::new_v4().to_string();
        let dummy_hash = tokio::task::spawn_blocking(move || hash_blocking(&dummy))
            .await
            .context("dummy hash task")??;
        Ok(PasswordHasher {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: dummy_hash.into(),
            counters,
        })
    }

    /// The PHC string of a fresh salted hash.
    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await.context("hasher closed")?;
        let text = password.expose().to_owned();
        tokio::task::spawn_blocking(move || hash_blocking(&text))
            .await
            .context("hash task")?
    }

    /// Whether `password` matches `stored`; with `None` (no such user) it verifies
    /// against the dummy hash and returns false, taking the same time.
    pub async fn verify(&self, password: &Password, stored: Option<&str>) -> anyhow::Result<bool> {
        let _permit = self.permits.acquire().await.context("hasher closed")?;
        let text = password.expose().to_owned();
        let known = stored.is_some();
        let phc = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let matched = tokio::task::spawn_blocking(move || verify_blocking(&text, &phc))
            .await
            .context("verify task")??;
        self.counters
            .password_verifications
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(known && matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() -> anyhow::Result<()> {
        let hasher = PasswordHasher::new(1, Arc::default()).await?;
        let right = Password::parse("correct horse").map_err(|_| anyhow::anyhow!("parse"))?;
        let wrong = Password::parse("wrong horse!").map_err(|_| anyhow::anyhow!("parse"))?;
        let hash = hasher.hash(&right).await?;
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify(&right, Some(&hash)).await?);
        assert!(!hasher.verify(&wrong, Some(&hash)).await?);
        assert!(!hasher.verify(&right, None).await?);
        Ok(())
    }
}
