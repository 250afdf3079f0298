//! Checking a compact HS256 token's header and signature, and reading its claims: the
//! one shape of JWT Tally issues, checked directly.
//!
//! `jsonwebtoken::decode` is general: it reads the header and the claims into JSON
//! values, checks those against a `Validation`, and keys a new HMAC for every call.
//! Every vote from a voter this instance has not seen yet verifies a token, and that
//! generality was an eighth of a `castVote`'s instructions (callgrind: 48k of 374k).
//! Here the HMAC keys are prepared once, the header is read for its `alg` alone and the
//! claims straight into their type. Tokens are still made by `jsonwebtoken::encode`;
//! the tests check that both sides agree, and that every forgery `decode` refuses is
//! refused here too.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;

/// Longest token looked at, in bytes: ours are about 250; anything much longer is not
/// one of them, and is refused before it is decoded.
pub const MAX_TOKEN_BYTES: usize = 4 * 1024;

/// The only algorithm accepted: pinned, so a token cannot choose `none` or another key
/// type.
const ALGORITHM: &str = "HS256";

/// Why a token is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Not three base64url parts with a JSON header and claims of the expected shape.
    Malformed,
    /// Its header names an algorithm other than HS256.
    Algorithm,
    /// No key's signature matches.
    Signature,
}

/// The keys a token may be signed with, each an HMAC keyed once.
#[derive(Clone)]
pub struct Hs256Keys {
    /// The current key first, then earlier ones still accepted during rotation.
    macs: Vec<Hmac<Sha256>>,
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    alg: std::borrow::Cow<'a, str>,
}

impl Hs256Keys {
    /// Keys from secrets, in the order they are tried.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let macs = secrets
            .into_iter()
            // HMAC takes a key of any length.
            .filter_map(|secret| Hmac::<Sha256>::new_from_slice(secret).ok())
            .collect();
        Hs256Keys { macs }
    }

    /// The claims of `token` if its header is HS256's and one key's signature matches.
    pub fn verify<C: DeserializeOwned>(&self, token: &str) -> Result<C, Rejection> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Rejection::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Rejection::Malformed);
        };
        let header = decode(header)?;
        let header: Header<'_> =
            serde_json::from_slice(&header).map_err(|_| Rejection::Malformed)?;
        if header.alg != ALGORITHM {
            return Err(Rejection::Algorithm);
        }
        let claims = decode(claims)?;
        let signature = decode(signature)?;
        // The signed input is the token up to its last dot.
        let signed = &token.as_bytes()[..token.len() - signature_len(token)];
        let matches = self.macs.iter().any(|mac| {
            let mut mac = mac.clone();
            mac.update(signed);
            // Compared in constant time.
            mac.verify_slice(&signature).is_ok()
        });
        if !matches {
            return Err(Rejection::Signature);
        }
        serde_json::from_slice(&claims).map_err(|_| Rejection::Malformed)
    }
}

/// Bytes of the signature part with its dot.
fn signature_len(token: &str) -> usize {
    token.rfind('.').map_or(0, |dot| token.len() - dot)
}

fn decode(part: &str) -> Result<Vec<u8>, Rejection> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| Rejection::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, EncodingKey, Header as JwtHeader};
    use serde::Serialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Claims {
        sub: String,
        exp: i64,
    }

    fn claims() -> Claims {
        Claims {
            sub: "someone".into(),
            exp: 4_000_000_000,
        }
    }

    fn sign(secret: &[u8], algorithm: Algorithm) -> String {
        jsonwebtoken::encode(
            &JwtHeader::new(algorithm),
            &claims(),
            &EncodingKey::from_secret(secret),
        )
        .expect("a token")
    }

    fn b64(text: &str) -> String {
        URL_SAFE_NO_PAD.encode(text)
    }

    #[test]
    fn a_token_from_jsonwebtoken_verifies_with_its_key_or_an_earlier_one() {
        let token = sign(b"old", Algorithm::HS256);
        let keys = Hs256Keys::new([b"new".as_slice(), b"old".as_slice()]);
        assert_eq!(keys.verify::<Claims>(&token), Ok(claims()));
        let other = Hs256Keys::new([b"new".as_slice()]);
        assert_eq!(other.verify::<Claims>(&token), Err(Rejection::Signature));
    }

    #[test]
    fn other_algorithms_and_unsigned_tokens_are_refused_before_the_signature() {
        let keys = Hs256Keys::new([b"k".as_slice()]);
        let hs512 = sign(b"k", Algorithm::HS512);
        assert_eq!(keys.verify::<Claims>(&hs512), Err(Rejection::Algorithm));
        let payload = sign(b"k", Algorithm::HS256)
            .split('.')
            .nth(1)
            .map(str::to_owned)
            .unwrap_or_default();
        let none = format!("{}.{payload}.", b64(r#"{"alg":"none","typ":"JWT"}"#));
        assert_eq!(keys.verify::<Claims>(&none), Err(Rejection::Algorithm));
        let lower = format!("{}.{payload}.", b64(r#"{"alg":"hs256"}"#));
        assert_eq!(keys.verify::<Claims>(&lower), Err(Rejection::Algorithm));
    }

    #[test]
    fn tampered_claims_and_signatures_are_refused() {
        let keys = Hs256Keys::new([b"k".as_slice()]);
        let token = sign(b"k", Algorithm::HS256);
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let forged_claims = b64(r#"{"sub":"admin","exp":4000000000}"#);
        let forged = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
        assert_eq!(keys.verify::<Claims>(&forged), Err(Rejection::Signature));
        parts[2] = b64("thirty-two bytes, but not the mac");
        assert_eq!(
            keys.verify::<Claims>(&parts.join(".")),
            Err(Rejection::Signature)
        );
        let unsigned = format!("{}.{}.", parts[0], parts[1]);
        assert_eq!(keys.verify::<Claims>(&unsigned), Err(Rejection::Signature));
    }

    #[test]
    fn what_is_not_a_compact_token_is_malformed() {
        let keys = Hs256Keys::new([b"k".as_slice()]);
        let token = sign(b"k", Algorithm::HS256);
        for bad in [
            "not a token".to_owned(),
            String::new(),
            "a.b".to_owned(),
            format!("{token}.extra"),
            format!("{}.!!!.sig", b64(r#"{"alg":"HS256"}"#)),
            format!("{}.e30.c2ln", b64("not json")),
            "x".repeat(MAX_TOKEN_BYTES + 1),
        ] {
            assert_eq!(
                keys.verify::<Claims>(&bad),
                Err(Rejection::Malformed),
                "{bad:.40}"
            );
        }
    }

    #[test]
    fn claims_of_another_shape_are_malformed_even_when_signed() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Needs {
            #[allow(dead_code)]
            aud: String,
        }
        let keys = Hs256Keys::new([b"k".as_slice()]);
        let token = sign(b"k", Algorithm::HS256);
        assert_eq!(keys.verify::<Needs>(&token), Err(Rejection::Malformed));
    }
}
