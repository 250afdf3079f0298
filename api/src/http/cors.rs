//! Which web origins may call the API from a browser: CORS on `/graphql`, and the same
//! list checked against the `Origin` of a WebSocket upgrade on `/graphql/ws`.
//!
//! Browsers enforce CORS for `fetch`, but not for WebSockets: any page may open a
//! socket to any server, sending its own `Origin`. So the upgrade checks `Origin` here
//! (403 for a foreign one), or a page elsewhere could subscribe on a visitor's behalf.
//! A request without `Origin` does not come from a browser page and is allowed, as is
//! the server's own origin (the web app it serves).
//!
//! Tally reads sign-ins from `Authorization`, never from cookies, so credentials
//! (`Access-Control-Allow-Credentials`) are never allowed; that is also what makes `*`
//! safe to offer.

use std::time::Duration;

use anyhow::{Context, bail};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::{Config, Environment};

/// The origins allowed by default in development: the web app's Vite dev server
/// (`npm run dev`, port 5173) and preview server (`npm run preview`, port 4173).
pub const DEVELOPMENT_ORIGINS: [&str; 4] = [
    "http://localhost:5173",
    "http://127.0.0.1:5173",
    "http://localhost:4173",
    "http://127.0.0.1:4173",
];

/// Request headers a page may send: the body's type and the bearer token, and a
/// request id to correlate with the server's logs (`Accept` needs no permission).
const ALLOWED_HEADERS: [HeaderName; 3] = [
    header::CONTENT_TYPE,
    header::AUTHORIZATION,
    HeaderName::from_static("x-request-id"),
];

/// Response headers a page may read beyond the few every page may: the request id
/// (to quote in a bug report) and the rate-limit headers (to pace itself).
const EXPOSED_HEADERS: [HeaderName; 4] = [
    HeaderName::from_static("x-request-id"),
    HeaderName::from_static("ratelimit"),
    HeaderName::from_static("ratelimit-policy"),
    header::RETRY_AFTER,
];

/// Who may call from another origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origins {
    /// Any origin (`*`).
    Any,
    /// These origins, compared byte for byte with the `Origin` header (lower-cased).
    List(Vec<HeaderValue>),
}

/// The cross-origin policy, decided once from configuration.
#[derive(Debug, Clone)]
pub struct CorsPolicy {
    origins: Origins,
    max_age: Duration,
}

impl CorsPolicy {
    /// The policy `TALLY_CORS_ORIGINS` and `TALLY_CORS_MAX_AGE_SECS` ask for, with the
    /// environment's default list; an entry that is not an origin stops start-up.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let configured =
            config
                .cors
                .origins
                .clone()
                .unwrap_or_else(|| match config.http.environment {
                    Environment::Development => DEVELOPMENT_ORIGINS.map(String::from).to_vec(),
                    Environment::Production => Vec::new(),
                });
        Ok(CorsPolicy {
            origins: parse_origins(&configured).context("TALLY_CORS_ORIGINS")?,
            max_age: Duration::from_secs(config.cors.max_age_secs),
        })
    }

    /// The CORS layer for `/graphql`: preflights answered, allowed origins echoed,
    /// never with credentials.
    pub fn layer(&self) -> CorsLayer {
        let allow = match &self.origins {
            Origins::Any => AllowOrigin::any(),
            Origins::List(list) => AllowOrigin::list(list.iter().cloned()),
        };
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(ALLOWED_HEADERS)
            .expose_headers(EXPOSED_HEADERS)
            .max_age(self.max_age)
    }

    /// Whether a request with these headers may open a WebSocket: no `Origin` (not a
    /// browser page), the server's own origin, or an allowed one.
    pub fn allows_upgrade(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        if is_same_origin(origin, headers.get(header::HOST)) {
            return true;
        }
        match &self.origins {
            Origins::Any => true,
            Origins::List(list) => origin.to_str().is_ok_and(|o| {
                list.iter()
                    .any(|allowed| allowed == o.to_ascii_lowercase().as_str())
            }),
        }
    }
}

/// Whether `origin` names the host the request was sent to (`Host`), over http or https.
fn is_same_origin(origin: &HeaderValue, host: Option<&HeaderValue>) -> bool {
    let (Ok(origin), Some(Ok(host))) = (origin.to_str(), host.map(|h| h.to_str())) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

/// `*` alone, or a list of `scheme://host[:port]` origins (no path, no trailing slash).
fn parse_origins(configured: &[String]) -> anyhow::Result<Origins> {
    let entries: Vec<&str> = configured
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if entries.contains(&"*") {
        if entries.len() > 1 {
            bail!("`*` allows every origin; list origins or give `*` alone");
        }
        return Ok(Origins::Any);
    }
    let mut list = Vec::with_capacity(entries.len());
    for entry in entries {
        let authority = entry
            .strip_prefix("http://")
            .or_else(|| entry.strip_prefix("https://"))
            .with_context(|| format!("{entry:?} is not an origin (http:// or https://)"))?;
        if authority.is_empty() || authority.contains(['/', '?', '#', '*', ' ']) {
            bail!("{entry:?} is not an origin: scheme://host[:port], without a path");
        }
        list.push(HeaderValue::from_str(&entry.to_ascii_lowercase())?);
    }
    Ok(Origins::List(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(entries: &[&str]) -> anyhow::Result<Origins> {
        parse_origins(&entries.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn origins_are_exact_or_a_lone_star() {
        assert_eq!(parse(&["*"]).ok(), Some(Origins::Any));
        assert_eq!(parse(&[]).ok(), Some(Origins::List(vec![])));
        assert_eq!(
            parse(&["https://Polls.example.org", " http://localhost:5173 "]).ok(),
            Some(Origins::List(vec![
                HeaderValue::from_static("https://polls.example.org"),
                HeaderValue::from_static("http://localhost:5173"),
            ]))
        );
        for wrong in [
            &["*", "https://a.example"][..],
            &["polls.example.org"],
            &["https://polls.example.org/"],
            &["https://*.example.org"],
            &["ftp://example.org"],
        ] {
            assert!(parse(wrong).is_err(), "{wrong:?}");
        }
    }

    #[test]
    fn the_servers_own_origin_is_same_origin_whatever_the_scheme() {
        let host = HeaderValue::from_static("127.0.0.1:8080");
        let same = HeaderValue::from_static("http://127.0.0.1:8080");
        let other = HeaderValue::from_static("http://127.0.0.1:8081");
        assert!(is_same_origin(&same, Some(&host)));
        assert!(!is_same_origin(&other, Some(&host)));
        assert!(!is_same_origin(&same, None));
    }
}
