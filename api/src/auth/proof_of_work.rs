//! The proof of work that creating a guest costs: an HMAC-signed challenge (in the
//! spirit of ALTCHA, self-hosted) and a SHA-256 puzzle.
//!
//! The server hands out a challenge: an id, a random salt, a difficulty (leading zero
//! bits) and an expiry, signed with a key derived from the token secret. The client
//! finds the smallest decimal nonce `n ≥ 0` such that `SHA-256(salt's UTF-8 bytes, then
//! the ASCII digits of n)` starts with at least `difficulty` zero bits — exactly what
//! `frontend/src/lib/proofOfWork.ts` computes — and sends the challenge back with it.
//! Any nonce that meets the difficulty is accepted; the smallest is what solvers find.
//!
//! Checking costs one HMAC and one SHA-256, so the server keeps no state for challenges
//! it issued; single use is kept by the store (`guest_challenges`), which records the
//! id in the transaction that creates the guest. Nothing here knows about guests.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::clock::Clock;

/// The version tag a challenge starts with; a new layout gets a new tag.
const VERSION: &str = "v1";

/// Random bytes in a salt (shown as hex, so a salt never holds the `.` separator).
const SALT_BYTES: usize = 16;

/// Most digits in a nonce: the frontend's solver stops at 2^53, 16 digits; 20 covers
/// any `u64`.
pub const MAX_NONCE_DIGITS: usize = 20;

/// Most bits a difficulty can ask for: a digest has 256.
pub const MAX_DIFFICULTY: u32 = 256;

/// A challenge as issued: what the client needs to solve it, and the signed text to
/// send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Unique per challenge; spent when a guest is created with it.
    pub id: Uuid,
    /// Hex; the client hashes its UTF-8 bytes followed by the nonce's digits.
    pub salt: String,
    /// Leading zero bits the digest must have.
    pub difficulty: u32,
    /// When it stops being accepted (whole seconds).
    pub expires_at: DateTime<Utc>,
    /// The opaque, signed form the client passes back as-is.
    pub token: String,
}

/// Why an answer to a challenge is refused (reuse is the store's to decide).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No challenge or nonce, or one that is not in the shape the server issues.
    Missing,
    /// The challenge expired.
    Expired,
    /// The signature is not the server's, or the nonce does not meet the difficulty.
    Invalid,
}

/// Issues and checks challenges.
#[derive(Clone)]
pub struct ProofOfWork {
    key: Arc<[u8; 32]>,
    difficulty: u32,
    ttl: Duration,
    clock: Arc<dyn Clock>,
}

impl ProofOfWork {
    /// Challenges signed with `key`, asking `difficulty` bits, valid for `ttl`.
    pub fn new(
        key: [u8; 32],
        difficulty: u32,
        ttl: std::time::Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        ProofOfWork {
            key: Arc::new(key),
            difficulty: difficulty.min(MAX_DIFFICULTY),
            ttl: Duration::from_std(ttl).unwrap_or(Duration::minutes(5)),
            clock,
        }
    }

    /// A fresh challenge.
    pub fn issue(&self) -> Challenge {
        let mut salt = [0u8; SALT_BYTES];
        rand::rng().fill_bytes(&mut salt);
        let now = self.clock.now();
        let expires = (now + self.ttl).timestamp();
        let id = Uuid::new_v4();
        let salt = hex::encode(salt);
        let body = format!(
            "{VERSION}.{}.{salt}.{}.{expires}",
            id.simple(),
            self.difficulty
        );
        let signature = URL_SAFE_NO_PAD.encode(self.mac(&body).finalize().into_bytes());
        Challenge {
            id,
            salt,
            difficulty: self.difficulty,
            expires_at: DateTime::from_timestamp(expires, 0).unwrap_or(now + self.ttl),
            token: format!("{body}.{signature}"),
        }
    }

    /// The challenge `token` names, when it is ours, unexpired and `nonce` solves it.
    /// The signature is checked before anything it signs is believed, in constant time.
    pub fn check(&self, token: &str, nonce: &str) -> Result<Challenge, Refusal> {
        let (body, signature) = token.rsplit_once('.').ok_or(Refusal::Missing)?;
        let parts: Vec<&str> = body.split('.').collect();
        let [VERSION, id, salt, difficulty, expires] = parts[..] else {
            return Err(Refusal::Missing);
        };
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| Refusal::Missing)?;
        self.mac(body)
            .verify_slice(&signature)
            .map_err(|_| Refusal::Invalid)?;
        // Signed by us: the fields are as we wrote them.
        let id = Uuid::parse_str(id).map_err(|_| Refusal::Invalid)?;
        let difficulty: u32 = difficulty.parse().map_err(|_| Refusal::Invalid)?;
        let expires_at = expires
            .parse::<i64>()
            .ok()
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .ok_or(Refusal::Invalid)?;
        if expires_at <= self.clock.now() {
            return Err(Refusal::Expired);
        }
        if nonce.is_empty()
            || nonce.len() > MAX_NONCE_DIGITS
            || !nonce.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(Refusal::Missing);
        }
        if !meets(salt, nonce, difficulty) {
            return Err(Refusal::Invalid);
        }
        Ok(Challenge {
            id,
            salt: salt.to_owned(),
            difficulty,
            expires_at,
            token: token.to_owned(),
        })
    }

    fn mac(&self, body: &str) -> Hmac<Sha256> {
        // HMAC takes keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.as_slice())
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(body.as_bytes());
        mac
    }
}

/// Whether `SHA-256(salt ‖ nonce)` has at least `difficulty` leading zero bits.
pub fn meets(salt: &str, nonce: &str, difficulty: u32) -> bool {
    let digest = Sha256::new()
        .chain_update(salt.as_bytes())
        .chain_update(nonce.as_bytes())
        .finalize();
    leading_zero_bits(&digest) >= difficulty
}

/// Leading zero bits of a big-endian byte string.
pub fn leading_zero_bits(bytes: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in bytes {
        if *byte != 0 {
            return bits + byte.leading_zeros();
        }
        bits += 8;
    }
    bits
}

/// The smallest nonce meeting `difficulty` for `salt`, as the web app's solver finds
/// it; for tests and tools (the server never solves).
pub fn solve(salt: &str, difficulty: u32) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|nonce| meets(salt, nonce, difficulty))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn pow(difficulty: u32, clock: Arc<dyn Clock>) -> ProofOfWork {
        ProofOfWork::new(
            [9; 32],
            difficulty,
            std::time::Duration::from_secs(60),
            clock,
        )
    }

    /// The vectors of `frontend/src/lib/proofOfWork.test.ts` (computed with Python's
    /// hashlib): the server's check and the web app's solver agree.
    #[test]
    fn agrees_with_the_web_apps_solver() {
        let vectors = [
            ("", 4, "39"),
            ("tally", 8, "177"),
            ("3q2+7w==", 10, "145"),
            ("tally", 12, "1860"),
            ("sél✓", 12, "2001"),
            ("tally", 16, "56473"),
        ];
        for (salt, difficulty, nonce) in vectors {
            assert_eq!(solve(salt, difficulty), nonce, "{salt:?} at {difficulty}");
            assert!(meets(salt, nonce, difficulty));
        }
        assert_eq!(solve("x", 0), "0");
    }

    #[test]
    fn leading_zero_bits_count_across_bytes() {
        assert_eq!(leading_zero_bits(&[0x80, 0]), 0);
        assert_eq!(leading_zero_bits(&[0, 0x0f]), 12);
        assert_eq!(leading_zero_bits(&[0, 0]), 16);
    }

    #[test]
    fn a_solved_challenge_is_accepted_until_it_expires() {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let pow = pow(6, clock.clone());
        let challenge = pow.issue();
        let nonce = solve(&challenge.salt, challenge.difficulty);
        assert_eq!(
            pow.check(&challenge.token, &nonce).map(|c| c.id),
            Ok(challenge.id)
        );
        clock.advance(std::time::Duration::from_secs(61));
        assert_eq!(pow.check(&challenge.token, &nonce), Err(Refusal::Expired));
    }

    #[test]
    fn forged_or_malformed_answers_are_refused() {
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(Utc::now()));
        let pow = pow(6, clock.clone());
        let challenge = pow.issue();
        let nonce = solve(&challenge.salt, 6);
        // Another key signed it.
        let other = ProofOfWork::new([1; 32], 6, std::time::Duration::from_secs(60), clock);
        assert_eq!(other.check(&challenge.token, &nonce), Err(Refusal::Invalid));
        // The difficulty lowered by hand breaks the signature.
        let easier = challenge.token.replacen(".6.", ".0.", 1);
        assert_eq!(pow.check(&easier, "0"), Err(Refusal::Invalid));
        // Shapes we never issue, and nonces that are not decimal digits.
        for token in ["", "v1", "not.a.challenge", "v2.a.b.c.d.e"] {
            assert_eq!(pow.check(token, &nonce), Err(Refusal::Missing), "{token}");
        }
        for bad in ["", "-1", "1e3", " 1", &"9".repeat(21)] {
            assert_eq!(pow.check(&challenge.token, bad), Err(Refusal::Missing));
        }
        // A nonce that does not meet the difficulty.
        let wrong = (0u64..)
            .map(|n| n.to_string())
            .find(|n| !meets(&challenge.salt, n, 6))
            .unwrap_or_default();
        assert_eq!(pow.check(&challenge.token, &wrong), Err(Refusal::Invalid));
    }
}
