//! Where the token-signing secret comes from.
//!
//! In production it must be configured. In development, so that one command runs Tally
//! on a fresh machine, a random secret is generated once and kept in the data directory
//! (readable by its owner only), with a warning in the log.

use std::path::Path;

use anyhow::{Context, bail};
use rand::RngCore;

use crate::config::{AuthConfig, Environment};

/// Shortest accepted secret: HS256 wants at least as many bytes as its output.
pub const MIN_SECRET_BYTES: usize = 32;

/// File under the data directory holding the generated development secret.
const DEV_SECRET_FILE: &str = "jwt-secret";

/// The label under which the guest-challenge key is derived from the token secret.
pub const GUEST_CHALLENGE_LABEL: &str = "tally/guest-challenge/v1";

/// The label under which the invitation-code key is derived from the token secret.
pub const INVITATION_CODE_LABEL: &str = "tally/invitation-code/v1";

/// A key for one purpose, derived from the token secret: `HMAC-SHA256(secret, label)`.
/// Distinct labels give independent keys, so a challenge signature can never be
/// replayed as a token signature or the other way round, and only one secret needs
/// configuring.
pub fn derive_key(secret: &[u8], label: &str) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The signing secret and the earlier secrets still accepted.
pub fn resolve(
    auth: &AuthConfig,
    environment: Environment,
    data_dir: &Path,
) -> anyhow::Result<(Vec<u8>, Vec<Vec<u8>>)> {
    let previous: Vec<Vec<u8>> = auth
        .jwt_previous_secrets
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.as_bytes().to_vec())
        .collect();
    if previous.iter().any(|s| s.len() < MIN_SECRET_BYTES) {
        bail!("every TALLY_JWT_PREVIOUS_SECRETS entry needs at least {MIN_SECRET_BYTES} bytes");
    }
    let current = match (&auth.jwt_secret, environment) {
        (Some(secret), _) if secret.len() >= MIN_SECRET_BYTES => secret.as_bytes().to_vec(),
        (Some(_), _) => bail!("TALLY_JWT_SECRET needs at least {MIN_SECRET_BYTES} bytes"),
        (None, Environment::Production) => {
            bail!("TALLY_JWT_SECRET is required when TALLY_ENV=production")
        }
        (None, Environment::Development) => development_secret(data_dir)?,
    };
    Ok((current, previous))
}

fn development_secret(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join(DEV_SECRET_FILE);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= MIN_SECRET_BYTES {
            tracing::warn!(path = %path.display(), "using the development JWT secret; set TALLY_JWT_SECRET in production");
            return Ok(existing.as_bytes().to_vec());
        }
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    write_private(&path, &secret)?;
    tracing::warn!(path = %path.display(), "generated a development JWT secret; set TALLY_JWT_SECRET in production");
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(secret: Option<&str>) -> AuthConfig {
        AuthConfig {
            jwt_secret: secret.map(str::to_owned),
            jwt_previous_secrets: vec![],
            ballot_key: None,
            jwt_issuer: "tally".into(),
            jwt_audience: "tally-api".into(),
            token_ttl_secs: 60,
            known_user_ttl_secs: 60,
            password_hash_concurrency: 1,
        }
    }

    #[test]
    fn derived_keys_differ_by_label_and_secret() {
        let a = derive_key(&[1; 32], GUEST_CHALLENGE_LABEL);
        assert_eq!(a, derive_key(&[1; 32], GUEST_CHALLENGE_LABEL));
        assert_ne!(a, derive_key(&[1; 32], "another purpose"));
        assert_ne!(a, derive_key(&[2; 32], GUEST_CHALLENGE_LABEL));
        assert_ne!(a.as_slice(), [1; 32].as_slice());
    }

    #[test]
    fn production_refuses_to_start_without_a_secret() {
        let dir = std::env::temp_dir();
        assert!(resolve(&auth(None), Environment::Production, &dir).is_err());
        assert!(resolve(&auth(Some("short")), Environment::Production, &dir).is_err());
        let long = "x".repeat(32);
        assert!(resolve(&auth(Some(&long)), Environment::Production, &dir).is_ok());
    }

    #[test]
    fn development_generates_a_secret_once_and_keeps_it() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join(format!("tally-secret-{}", uuid::Uuid::now_v7()));
        let (first, _) = resolve(&auth(None), Environment::Development, &dir)?;
        let (second, _) = resolve(&auth(None), Environment::Development, &dir)?;
        assert_eq!(first, second);
        assert!(first.len() >= MIN_SECRET_BYTES);
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
