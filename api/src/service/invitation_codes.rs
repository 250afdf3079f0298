//! Invitation codes: derived from the invitation's id with a server key, never stored.
//!
//! A code is `base64url(id ‖ HMAC-SHA256(key, id)[..10])`: 35 characters, URL-safe, so
//! it sits in a link (`<TALLY_PUBLIC_ORIGIN>/i/<code>`) as it is. Why derived rather
//! than random and stored as a hash: the owner can list their links again at any time
//! (to copy or download them), yet the database holds nothing that redeems — a leaked
//! dump or a read-only operator learns ids, not codes. A code that does not verify is
//! refused without a query, so guessing costs the server nothing but the rate limit.
//!
//! The key is derived from the token secret (`TALLY_JWT_SECRET`) under its own label,
//! so no further secret needs configuring. Rotating the token secret changes the codes
//! shown from then on; codes made under a secret still listed in
//! `TALLY_JWT_PREVIOUS_SECRETS` keep redeeming, and drop out with it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::auth::secrets::{INVITATION_CODE_LABEL, derive_key};

/// Bytes of the MAC kept in a code: 80 bits, far beyond online guessing.
const MAC_BYTES: usize = 10;

/// Bytes of a decoded code: the id, then the truncated MAC.
const CODE_BYTES: usize = 16 + MAC_BYTES;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

fn derive(secret: &[u8]) -> [u8; 32] {
    derive_key(secret, INVITATION_CODE_LABEL)
}

/// Makes and checks invitation codes.
#[derive(Clone)]
pub struct InvitationCodes {
    /// The key codes are made with.
    current: [u8; 32],
    /// Keys from earlier token secrets, whose codes still redeem.
    previous: Vec<[u8; 32]>,
}

impl InvitationCodes {
    /// Codes keyed by the token secret and its earlier values.
    pub fn new(secret: &[u8], previous: &[Vec<u8>]) -> Self {
        InvitationCodes {
            current: derive(secret),
            previous: previous.iter().map(|s| derive(s)).collect(),
        }
    }

    /// The code of an invitation.
    pub fn code(&self, id: Uuid) -> String {
        let mut m = mac(&self.current);
        m.update(id.as_bytes());
        let tag = m.finalize().into_bytes();
        let mut bytes = Vec::with_capacity(CODE_BYTES);
        bytes.extend_from_slice(id.as_bytes());
        bytes.extend_from_slice(&tag[..MAC_BYTES]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The invitation a code names, when it is one of ours (compared in constant time);
    /// `None` for anything else, whatever its shape.
    pub fn verify(&self, code: &str) -> Option<Uuid> {
        let code = code.trim();
        // Refuse long input before decoding it.
        if code.len() > CODE_BYTES * 2 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(code).ok()?;
        if bytes.len() != CODE_BYTES {
            return None;
        }
        let (id, tag) = bytes.split_at(16);
        let known = std::iter::once(&self.current).chain(&self.previous);
        for key in known {
            let mut m = mac(key);
            m.update(id);
            if m.verify_truncated_left(tag).is_ok() {
                return Uuid::from_slice(id).ok();
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_names_its_invitation_and_nothing_else() {
        let codes = InvitationCodes::new(&[7; 32], &[]);
        let id = Uuid::now_v7();
        let code = codes.code(id);
        assert_eq!(code.len(), 35);
        assert_eq!(codes.verify(&code), Some(id));
        assert_eq!(codes.verify(&format!("  {code}\n")), Some(id));
        // Another id with this MAC, a flipped character, another key: refused.
        let mut forged = code.clone().into_bytes();
        forged[3] = if forged[3] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            codes.verify(&String::from_utf8(forged).unwrap_or_default()),
            None
        );
        assert_eq!(InvitationCodes::new(&[8; 32], &[]).verify(&code), None);
        assert_eq!(codes.verify(""), None);
        assert_eq!(codes.verify(&"A".repeat(10_000)), None);
        assert_eq!(codes.verify("not a code!"), None);
    }

    #[test]
    fn codes_of_a_previous_secret_still_redeem_after_rotation() {
        let id = Uuid::now_v7();
        let old = InvitationCodes::new(&[1; 32], &[]).code(id);
        let rotated = InvitationCodes::new(&[2; 32], &[vec![1; 32]]);
        assert_eq!(rotated.verify(&old), Some(id));
        assert_ne!(rotated.code(id), old);
        assert_eq!(rotated.verify(&rotated.code(id)), Some(id));
    }
}
