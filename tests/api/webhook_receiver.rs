//! A webhook receiver for tests: a small HTTP server on port 0 that records every
//! delivery it is sent and answers as the test tells it — accept, fail, or hold the
//! request open without answering. Like a careful integrator's endpoint it
//! deduplicates: a delivery id it has accepted before is acknowledged and not
//! processed again.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;
use tokio::sync::Notify;

/// How long a test waits for deliveries before failing.
const PATIENCE: Duration = Duration::from_secs(30);

/// How the receiver answers the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 200, processing each delivery id once.
    Accept,
    /// 500 to the next `n` requests, then accept.
    Fail(u32),
    /// Hold the next request open forever (its sender is expected to die), then accept.
    HoldNext,
}

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// `Tally-Delivery`.
    pub delivery: String,
    /// `Tally-Event`.
    pub event: String,
    /// `Tally-Signature`.
    pub signature: String,
    /// The raw body.
    pub body: String,
    /// What the receiver did: `accepted`, `duplicate`, `failed` or `held`.
    pub outcome: &'static str,
}

impl Arrival {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Inner {
    arrivals: Vec<Arrival>,
    /// Delivery ids processed, in order.
    processed: Vec<String>,
    seen: HashSet<String>,
    answer: Option<Answer>,
}

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
    changed: Notify,
}

/// A running receiver.
pub struct Receiver {
    /// `http://127.0.0.1:<port>/hook`.
    pub url: String,
    shared: Arc<Shared>,
}

impl Receiver {
    /// Starts a receiver that accepts.
    pub async fn start() -> Receiver {
        let shared = Arc::new(Shared::default());
        let router = axum::Router::new()
            .route("/hook", post(receive))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver { url, shared }
    }

    /// Sets how the next requests are answered.
    pub fn answer(&self, answer: Answer) {
        self.shared.inner.lock().unwrap().answer = Some(answer);
    }

    /// Every request so far.
    pub fn arrivals(&self) -> Vec<Arrival> {
        self.shared.inner.lock().unwrap().arrivals.clone()
    }

    /// Delivery ids processed (each at most once), in order.
    pub fn processed(&self) -> Vec<String> {
        self.shared.inner.lock().unwrap().processed.clone()
    }

    /// Waits until `check` returns something from the arrivals so far.
    pub async fn wait_for<T>(&self, what: &str, check: impl Fn(&[Arrival]) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            // Registered before the check, so a change in between still wakes us.
            let changed = self.shared.changed.notified();
            if let Some(found) = check(&self.arrivals()) {
                return found;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                panic!(
                    "waited {PATIENCE:?} for {what}; arrivals: {:#?}",
                    self.arrivals()
                );
            }
        }
    }

    /// Waits for `n` arrivals in all.
    pub async fn wait_for_arrivals(&self, n: usize) -> Vec<Arrival> {
        self.wait_for(&format!("{n} arrivals"), |a| {
            (a.len() >= n).then(|| a.to_vec())
        })
        .await
    }
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let delivery = header(&headers, "tally-delivery");
    let (outcome, status) = {
        let mut inner = shared.inner.lock().unwrap();
        let answer = inner.answer.unwrap_or(Answer::Accept);
        let (outcome, status, next) = match answer {
            Answer::HoldNext => ("held", None, Answer::Accept),
            Answer::Fail(n) => (
                "failed",
                Some(StatusCode::INTERNAL_SERVER_ERROR),
                if n > 1 {
                    Answer::Fail(n - 1)
                } else {
                    Answer::Accept
                },
            ),
            Answer::Accept if inner.seen.insert(delivery.clone()) => {
                inner.processed.push(delivery.clone());
                ("accepted", Some(StatusCode::OK), Answer::Accept)
            }
            Answer::Accept => ("duplicate", Some(StatusCode::OK), Answer::Accept),
        };
        inner.answer = Some(next);
        inner.arrivals.push(Arrival {
            delivery,
            event: header(&headers, "tally-event"),
            signature: header(&headers, "tally-signature"),
            body,
            outcome,
        });
        (outcome, status)
    };
    shared.changed.notify_waiters();
    match status {
        Some(status) => status,
        None => {
            debug_assert_eq!(outcome, "held");
            std::future::pending().await
        }
    }
}
