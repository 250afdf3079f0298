//! `x-request-id` from clients: kept when short and plain, dropped otherwise.
//!
//! The id names a request in log lines and in the vote audit log, so a client must not be
//! able to put just anything there (a megabyte, a fake log line, markup for whoever
//! reads the audit log in a browser). A client's id is kept only when it is at most
//! [`MAX_LEN`] characters of `A–Z a–z 0–9 . _ -` (UUIDs, W3C trace ids and most
//! tracing ids fit); otherwise this layer removes it, and `SetRequestIdLayer`, which
//! runs next, gives the request a fresh UUID. Every route passes through it, the
//! WebSocket upgrade included.

use axum::extract::Request;
use axum::http::HeaderValue;

use super::REQUEST_ID;

/// Longest request id kept, in characters.
pub const MAX_LEN: usize = 128;

/// Whether a client's request id may be kept as it is.
pub fn is_acceptable(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_LEN
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Removes the request's `x-request-id` unless it is exactly one acceptable value.
pub async fn drop_unacceptable(mut request: Request) -> Request {
    let headers = request.headers_mut();
    let mut values = headers.get_all(&REQUEST_ID).iter();
    let keep = match (values.next(), values.next()) {
        (None, _) => true,
        (Some(only), None) => is_acceptable(only),
        (Some(_), Some(_)) => false,
    };
    if !keep {
        headers.remove(&REQUEST_ID);
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_short_ids_are_kept_and_others_are_not() {
        let ok = |text: &str| {
            is_acceptable(&HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static("")))
        };
        assert!(ok("0193a0b4-7c2e-7d3f-9a1b-2c3d4e5f6a7b"));
        assert!(ok("trace.4bf92f35_77b3"));
        assert!(ok(&"x".repeat(MAX_LEN)));
        assert!(!ok(&"x".repeat(MAX_LEN + 1)));
        assert!(!ok(""));
        assert!(!ok("two words"));
        assert!(!ok("<script>"));
        assert!(!is_acceptable(
            &HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap_or(HeaderValue::from_static(""))
        ));
    }
}
