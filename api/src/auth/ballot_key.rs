//! The ballot key: the server secret that turns (poll, voter) into the pseudonym an
//! anonymous poll's ballots are stored under.
//!
//! A pseudonym is `HMAC-SHA256(key, "tally-ballot-v1" ‖ poll id ‖ voter id)`, its first
//! 16 bytes shaped as a UUID (version 8, "custom"), so it fits `votes.user_id` and
//! every index built on it. Without the key nobody can go from a voter to their
//! pseudonym (to find their ballot) nor back (HMAC is one-way); with it, the server
//! recomputes a voter's pseudonym on every call, so the voter still finds, changes and
//! retracts their own ballot.
//!
//! Like the token secret: required in production; in development generated once into
//! the data directory, so a restart keeps it — a new key would orphan every anonymous
//! ballot (see README, "Anonymous ballots").

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use uuid::Uuid;

use crate::config::Environment;

/// Shortest accepted key: as many bytes as HMAC-SHA256's output.
pub const MIN_KEY_BYTES: usize = 32;

/// File under the data directory holding the generated development key (hex).
const DEV_KEY_FILE: &str = "ballot-key";

/// Domain separation for pseudonyms; a new scheme gets a new tag.
const PSEUDONYM_TAG: &[u8] = b"tally-ballot-v1";

/// Domain separation for the key's fingerprint.
const FINGERPRINT_TAG: &[u8] = b"tally-ballot-key-id-v1";

/// Bytes of the fingerprint kept (hex-encoded: twice as many characters).
const FINGERPRINT_BYTES: usize = 8;

/// The ballot key, ready to compute pseudonyms. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct BallotKey {
    /// HMAC state keyed once; cloned per pseudonym (cheaper than re-keying).
    mac: Hmac<Sha256>,
    /// Short public fingerprint, stored on each anonymous poll.
    id: String,
}

impl std::fmt::Debug for BallotKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BallotKey").field("id", &self.id).finish()
    }
}

impl BallotKey {
    /// A key from its hex form (at least [`MIN_KEY_BYTES`] bytes once decoded).
    pub fn from_hex(hex_key: &str) -> anyhow::Result<Self> {
        let bytes = hex::decode(hex_key.trim())
            .context("TALLY_BALLOT_KEY must be hexadecimal (e.g. `openssl rand -hex 32`)")?;
        if bytes.len() < MIN_KEY_BYTES {
            bail!(
                "TALLY_BALLOT_KEY needs at least {MIN_KEY_BYTES} bytes ({} hex digits)",
                MIN_KEY_BYTES * 2
            );
        }
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(&bytes)
            .context("HMAC accepts keys of any length")?;
        let mut fingerprint = mac.clone();
        fingerprint.update(FINGERPRINT_TAG);
        let digest = fingerprint.finalize().into_bytes();
        Ok(BallotKey {
            mac,
            id: hex::encode(&digest[..FINGERPRINT_BYTES]),
        })
    }

    /// The key's fingerprint: names the key without revealing it, so a poll can record
    /// which key its ballots were written with.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The pseudonym of `voter` on `poll`.
    pub fn pseudonym(&self, poll: Uuid, voter: Uuid) -> Uuid {
        let mut mac = self.mac.clone();
        mac.update(PSEUDONYM_TAG);
        mac.update(poll.as_bytes());
        mac.update(voter.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_custom_bytes(bytes).into_uuid()
    }
}

/// The ballot key from the setting; in development without one, the key kept in the
/// data directory (generated on first start).
pub fn resolve(
    setting: Option<&str>,
    environment: Environment,
    data_dir: &Path,
) -> anyhow::Result<BallotKey> {
    match (setting.filter(|s| !s.trim().is_empty()), environment) {
        (Some(hex_key), _) => BallotKey::from_hex(hex_key),
        (None, Environment::Production) => {
            bail!("TALLY_BALLOT_KEY is required when TALLY_ENV=production")
        }
        (None, Environment::Development) => development_key(data_dir),
    }
}

/// Reads the development key, or creates it. Creation is exclusive (`create_new`), so
/// two processes starting on one data directory end up with the same key.
fn development_key(data_dir: &Path) -> anyhow::Result<BallotKey> {
    let path = data_dir.join(DEV_KEY_FILE);
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    let mut bytes = [0u8; MIN_KEY_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    let fresh = hex::encode(bytes);
    match create_private(&path) {
        Ok(mut file) => {
            file.write_all(fresh.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            file.sync_all()?;
            tracing::warn!(path = %path.display(), "generated a development ballot key; set TALLY_BALLOT_KEY in production");
            BallotKey::from_hex(&fresh)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = read_complete(&path)?;
            tracing::warn!(path = %path.display(), "using the development ballot key; set TALLY_BALLOT_KEY in production");
            BallotKey::from_hex(&existing)
                .with_context(|| format!("the ballot key in {}", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

/// The file's contents once its writer has finished (a process that lost the race to
/// create it may read it while the winner is still writing its 64 digits).
fn read_complete(path: &Path) -> anyhow::Result<String> {
    for _ in 0..50 {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        if text.trim().len() >= MIN_KEY_BYTES * 2 {
            return Ok(text);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    bail!("{} holds no complete ballot key", path.display())
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn production_refuses_to_start_without_a_key_and_short_keys_are_refused() {
        let dir = std::env::temp_dir();
        assert!(resolve(None, Environment::Production, &dir).is_err());
        assert!(resolve(Some("abcd"), Environment::Production, &dir).is_err());
        assert!(resolve(Some("not hex at all"), Environment::Production, &dir).is_err());
        assert!(resolve(Some(KEY), Environment::Production, &dir).is_ok());
    }

    #[test]
    fn development_generates_a_key_once_and_keeps_it() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join(format!("tally-ballot-{}", Uuid::now_v7()));
        let first = resolve(None, Environment::Development, &dir)?;
        let second = resolve(None, Environment::Development, &dir)?;
        assert_eq!(first.id(), second.id());
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn a_pseudonym_is_stable_per_poll_and_voter_and_differs_otherwise() -> anyhow::Result<()> {
        let key = BallotKey::from_hex(KEY)?;
        let (poll, other_poll, voter) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let pseudonym = key.pseudonym(poll, voter);
        assert_eq!(pseudonym, key.pseudonym(poll, voter));
        assert_ne!(pseudonym, voter);
        assert_ne!(pseudonym, key.pseudonym(other_poll, voter));
        assert_eq!(pseudonym.get_version_num(), 8);
        let other_key = BallotKey::from_hex(&KEY.replace("00", "ff"))?;
        assert_ne!(pseudonym, other_key.pseudonym(poll, voter));
        assert_ne!(key.id(), other_key.id());
        Ok(())
    }

    #[test]
    fn the_pseudonym_is_the_documented_hmac() -> anyhow::Result<()> {
        // Recomputed by hand from the definition, so the scheme cannot drift silently
        // (a drift would orphan every stored anonymous ballot).
        let key = BallotKey::from_hex(KEY)?;
        let (poll, voter) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&hex::decode(KEY)?)?;
        mac.update(b"tally-ballot-v1");
        mac.update(poll.as_bytes());
        mac.update(voter.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut expected = [0u8; 16];
        expected.copy_from_slice(&digest[..16]);
        expected[6] = (expected[6] & 0x0f) | 0x80;
        expected[8] = (expected[8] & 0x3f) | 0x80;
        assert_eq!(key.pseudonym(poll, voter), Uuid::from_bytes(expected));
        Ok(())
    }
}
