//! One delivery attempt over HTTP: a signed `POST` of the event's body, bounded by a
//! timeout, never following redirects (a redirect could lead anywhere, past the target
//! checks) and never through a proxy from the environment.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use super::signing::{DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature};
use super::target::{PublicResolver, TargetPolicy};
use crate::store::ClaimedDelivery;

/// `User-Agent` of deliveries.
const USER_AGENT: &str = concat!("Tally-Webhooks/", env!("CARGO_PKG_VERSION"));

/// How an attempt went, as far as HTTP is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// A 2xx answer.
    Accepted(u16),
    /// Another status.
    Refused(u16),
    /// No answer: connection refused, timeout, TLS, a refused address.
    Unreachable(String),
}

/// Sends deliveries.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
}

impl Sender {
    /// A sender whose attempts last at most `timeout` and reach only what `policy` allows.
    pub fn new(policy: TargetPolicy, timeout: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .https_only(!policy.allow_private)
            .user_agent(USER_AGENT)
            .dns_resolver(Arc::new(PublicResolver(policy)))
            .build()
            .context("building the webhook HTTP client")?;
        Ok(Sender { client })
    }

    /// Signs and POSTs `delivery` with the timestamp `unix_seconds`.
    pub async fn send(&self, delivery: &ClaimedDelivery, unix_seconds: i64) -> Sent {
        let signed = signature(&delivery.secret, unix_seconds, delivery.body.as_bytes());
        let response = self
            .client
            .post(&delivery.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signed)
            .header(DELIVERY_HEADER, delivery.id.to_string())
            .header(EVENT_HEADER, &delivery.event)
            .body(delivery.body.clone())
            .send()
            .await;
        match response {
            Ok(response) if response.status().is_success() => {
                Sent::Accepted(response.status().as_u16())
            }
            Ok(response) => Sent::Refused(response.status().as_u16()),
            // `{:#}`-style chain without the URL's query, which may hold a token.
            Err(e) => Sent::Unreachable(describe(&e)),
        }
    }
}

fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_redirect() {
        "redirected"
    } else {
        "request failed"
    };
    let mut cause = std::error::Error::source(error);
    let mut detail = String::new();
    while let Some(e) = cause {
        detail = e.to_string();
        cause = e.source();
    }
    match detail.is_empty() {
        true => kind.to_owned(),
        false => format!("{kind}: {detail}"),
    }
}
