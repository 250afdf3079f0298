//! The rate-limit headers of a GraphQL answer, in the syntax of the IETF draft
//! "RateLimit header fields for HTTP" (draft-ietf-httpapi-ratelimit-headers):
//!
//! ```text
//! RateLimit-Policy: "vote";q=20;w=20
//! RateLimit: "vote";r=17;t=3
//! Retry-After: 2
//! ```
//!
//! Each bucket ([`crate::limits`]) is a policy named as in the limiter's keys. A bucket
//! refills continuously (GCRA), which the draft's quota-per-window model states
//! exactly as `q` = the burst and `w` = the time to refill a whole burst (burst ×
//! the interval between calls at the sustained rate): 20 calls at once, 60 a minute
//! sustained, is `q=20;w=20`. `r` is the calls left now and `t` the seconds until the
//! bucket is full again.
//!
//! An answer carries `RateLimit` for the buckets its request took from, as the limiter
//! saw them ([`crate::limits::usage`]: no extra store round trip), with their policies;
//! an answer that took from none carries every policy and no `RateLimit` (its
//! requests are not counted). `Retry-After` (seconds) comes with `RATE_LIMITED` and
//! `OVERLOADED`: the longest `retryAfterSeconds` among the answer's errors. With
//! `TALLY_RATE_LIMITS=false` there are no policies to show.

use std::time::Duration;

use async_graphql::{BatchResponse, Response};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};

use crate::config::RateLimitConfig;
use crate::limits::usage::Seen;
use crate::limits::{Bucket, Quota};

const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

const BUCKETS: [Bucket; 6] = [
    Bucket::Vote,
    Bucket::CreatePoll,
    Bucket::Register,
    Bucket::Login,
    Bucket::GuestSession,
    Bucket::RedeemInvitation,
];

/// The configured policies, with the header listing them all made once.
#[derive(Debug, Clone)]
pub struct RateHeaders {
    quotas: Option<RateLimitConfig>,
    every_policy: Option<HeaderValue>,
}

impl RateHeaders {
    /// The policies of `config` (none when rate limits are off).
    pub fn from_config(config: &RateLimitConfig) -> Self {
        let quotas = config.enabled.then(|| config.clone());
        let every_policy = quotas.as_ref().and_then(|config| {
            let list: Vec<String> = BUCKETS
                .iter()
                .map(|&bucket| policy(bucket, Quota::of(bucket, config)))
                .collect();
            HeaderValue::from_str(&list.join(", ")).ok()
        });
        RateHeaders {
            quotas,
            every_policy,
        }
    }

    /// Adds the headers for an answer whose request took from `seen`.
    pub fn apply(&self, seen: &[Seen], response: &BatchResponse, headers: &mut HeaderMap) {
        if let Some(config) = &self.quotas {
            if seen.is_empty() {
                if let Some(every) = &self.every_policy {
                    headers.insert(RATELIMIT_POLICY, every.clone());
                }
            } else {
                let policies: Vec<String> = seen
                    .iter()
                    .map(|s| policy(s.bucket, Quota::of(s.bucket, config)))
                    .collect();
                let states: Vec<String> = seen
                    .iter()
                    .map(|s| {
                        format!(
                            "\"{}\";r={};t={}",
                            s.bucket.as_str(),
                            s.remaining,
                            seconds_up(s.reset)
                        )
                    })
                    .collect();
                insert(headers, RATELIMIT_POLICY, &policies.join(", "));
                insert(headers, RATELIMIT, &states.join(", "));
            }
        }
        if let Some(wait) = retry_after(response) {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
    }
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// `"<bucket>";q=<burst>;w=<seconds to refill the burst>`.
fn policy(bucket: Bucket, quota: Quota) -> String {
    let window = quota.interval() * quota.burst.max(1);
    format!(
        "\"{}\";q={};w={}",
        bucket.as_str(),
        quota.burst.max(1),
        seconds_up(window)
    )
}

/// Whole seconds, rounded up.
fn seconds_up(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The longest `retryAfterSeconds` of the answer's `RATE_LIMITED` or `OVERLOADED` errors.
fn retry_after(response: &BatchResponse) -> Option<u64> {
    let responses: &[Response] = match response {
        BatchResponse::Single(one) => std::slice::from_ref(one),
        BatchResponse::Batch(many) => many,
    };
    responses
        .iter()
        .flat_map(|r| &r.errors)
        .filter_map(|e| e.extensions.as_ref())
        .filter(|ext| {
            matches!(ext.get("code"), Some(async_graphql::Value::String(c)) if c == "RATE_LIMITED" || c == "OVERLOADED")
        })
        .filter_map(|ext| match ext.get("retryAfterSeconds") {
            Some(async_graphql::Value::Number(n)) => n.as_u64(),
            _ => None,
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_states_the_burst_and_the_time_to_refill_it() {
        let vote = Quota {
            per_minute: 60,
            burst: 20,
        };
        assert_eq!(policy(Bucket::Vote, vote), "\"vote\";q=20;w=20");
        let register = Quota {
            per_minute: 10,
            burst: 30,
        };
        assert_eq!(
            policy(Bucket::Register, register),
            "\"register\";q=30;w=180"
        );
    }
}
