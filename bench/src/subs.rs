//! The subscription load: many WebSocket subscribers on one poll while votes flow.
//!
//! Lag is measured per message as the time it reached the client minus the tally's
//! `asOf` (the instant the batch took its clock reading, just before its commit; client
//! and server share this machine's clock), so it is vote committed → message at the
//! client, slightly overstated by the commit itself.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::Value;
use std::sync::Mutex;

use serde::Deserialize;
use tokio_tungstenite::tungstenite::Message;

/// What the subscribers saw, together.
pub struct Observed {
    /// Lag of every message received while recording, in microseconds.
    pub lag: Vec<Mutex<Histogram<u64>>>,
    /// Messages received while recording.
    pub messages: AtomicU64,
    /// Messages whose version was not higher than the one before (must be none).
    pub out_of_order: AtomicU64,
    /// Subscribers that lost their connection.
    pub dropped: AtomicU64,
    /// Subscribers that failed to connect (this process stops trying after
    /// [`GIVE_UP_AFTER_FAILURES`]).
    pub failed: AtomicU64,
    /// Whether messages count now.
    pub recording: AtomicBool,
}

impl Observed {
    /// Nothing seen yet.
    pub fn new() -> anyhow::Result<Arc<Self>> {
        let shards = (0..16)
            .map(|_| Histogram::new_with_bounds(1, 600_000_000, 3).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arc::new(Observed {
            lag: shards,
            messages: AtomicU64::new(0),
            out_of_order: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            recording: AtomicBool::new(false),
        }))
    }
}

const SUBSCRIPTION: &str = "subscription($id: ID!) { pollResults(pollId: $id) { totalVotes version asOf final options { votes } } }";

/// The answer to the server's keep-alive `ping`.
const PONG: &str = r#"{"type":"pong"}"#;

/// Whether a server message is the protocol's `ping`.
fn is_ping(text: &str) -> bool {
    text.len() < 64 && serde_json::from_str::<Value>(text).is_ok_and(|m| m["type"] == "ping")
}

/// A `next` message, as far as the reader looks into it.
#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(borrow)]
    payload: Option<Payload<'a>>,
}

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    data: Option<Data<'a>>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow, rename = "pollResults")]
    poll_results: Option<Tally<'a>>,
}

#[derive(Deserialize)]
struct Tally<'a> {
    version: i64,
    #[serde(rename = "asOf")]
    as_of: &'a str,
}

/// Longest a subscriber may take from connecting to its first tally. A server out of
/// file descriptors stops accepting, and the kernel still completes the connection
/// into the listen backlog: without a bound such a subscriber would wait forever
/// instead of being counted as failed.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Failures after which a process opens no more subscribers: past a server's limit each
/// further one would only wait out [`SUBSCRIBE_TIMEOUT`]. Those not tried are counted
/// as failed, under their own text.
const GIVE_UP_AFTER_FAILURES: u64 = 500;

/// Distinct failure texts shown, most frequent first; the rest are summed up.
const FAILURE_TEXTS_SHOWN: usize = 5;

/// Opens one subscriber: connects, initialises, subscribes, waits for the first tally
/// (within [`SUBSCRIBE_TIMEOUT`]), then spawns its reader. Returns once the first tally
/// arrived.
pub async fn subscribe(
    address: SocketAddr,
    poll: &str,
    index: usize,
    observed: Arc<Observed>,
) -> anyhow::Result<()> {
    if observed.failed.load(Ordering::Relaxed) >= GIVE_UP_AFTER_FAILURES {
        anyhow::bail!("not tried: {GIVE_UP_AFTER_FAILURES} of this process had failed");
    }
    let outcome = tokio::time::timeout(
        SUBSCRIBE_TIMEOUT,
        subscribe_unbounded(address, poll, index, observed.clone()),
    )
    .await
    .map_err(|_| {
        anyhow::anyhow!(
            "no first tally within {} s of connecting",
            SUBSCRIBE_TIMEOUT.as_secs()
        )
    })
    .and_then(|inner| inner);
    if outcome.is_err() {
        observed.failed.fetch_add(1, Ordering::Relaxed);
    }
    outcome
}

async fn subscribe_unbounded(
    address: SocketAddr,
    poll: &str,
    index: usize,
    observed: Arc<Observed>,
) -> anyhow::Result<()> {
    let mut socket = crate::ws::subscribe(address, SUBSCRIPTION, poll)
        .await
        .context("connecting a subscriber")?;
    let mut last_version;
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                let message: Value = serde_json::from_str(&text)?;
                if message["type"] == "next" {
                    last_version = message["payload"]["data"]["pollResults"]["version"]
                        .as_i64()
                        .unwrap_or(-1);
                    break;
                }
                if message["type"] == "error" {
                    anyhow::bail!("subscription refused: {message}");
                }
            }
            Some(Ok(_)) => {}
            other => anyhow::bail!("subscriber closed before its first tally: {other:?}"),
        }
    }
    tokio::spawn(async move {
        while let Some(frame) = socket.next().await {
            let Ok(Message::Text(text)) = frame else {
                if frame.is_err() {
                    observed.dropped.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                continue;
            };
            // The server pings every keep-alive interval and drops a client silent for
            // two (60 s by default): answer, as the graphql-ws client does, or a long
            // run (many subscribers connecting slowly) loses its first subscribers.
            if is_ping(&text) {
                if socket.send(Message::Text(PONG.into())).await.is_err() {
                    observed.dropped.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                continue;
            }
            if !observed.recording.load(Ordering::Relaxed) {
                continue;
            }
            let received = chrono::Utc::now();
            // Only the fields measured are decoded: the reader shares the machine with
            // the server it measures.
            let Ok(Frame {
                payload:
                    Some(Payload {
                        data:
                            Some(Data {
                                poll_results: Some(results),
                            }),
                    }),
            }) = serde_json::from_str::<Frame>(&text)
            else {
                continue;
            };
            let version = results.version;
            if version <= last_version {
                observed.out_of_order.fetch_add(1, Ordering::Relaxed);
            }
            last_version = version;
            observed.messages.fetch_add(1, Ordering::Relaxed);
            if let Ok(as_of) = chrono::DateTime::parse_from_rfc3339(results.as_of) {
                let lag = (received - as_of.with_timezone(&chrono::Utc))
                    .num_microseconds()
                    .unwrap_or(0)
                    .max(1);
                let mut shard = observed.lag[index % observed.lag.len()]
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                shard.saturating_record(u64::try_from(lag).unwrap_or(1));
            }
        }
    });
    Ok(())
}

/// The server's resident memory, from its `/metrics`.
pub async fn server_memory(address: SocketAddr) -> anyhow::Result<u64> {
    let stream = tokio::net::TcpStream::connect(address).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = http::Request::get("/metrics")
        .header(http::header::HOST, address.to_string())
        .body(http_body_util::Empty::<bytes::Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await?
        .to_bytes();
    let text = String::from_utf8_lossy(&body);
    text.lines()
        .find_map(|line| line.strip_prefix("tally_process_resident_bytes "))
        .and_then(|v| v.trim().parse().ok())
        .context("no tally_process_resident_bytes in /metrics")
}

/// Merged lag histogram.
pub async fn merged_lag(observed: &Observed) -> anyhow::Result<Histogram<u64>> {
    let mut all = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)?;
    for shard in &observed.lag {
        all.add(&*shard.lock().unwrap_or_else(|p| p.into_inner()))?;
    }
    Ok(all)
}

/// Waits for `pause`, e.g. for connections to settle before measuring memory.
pub async fn settle(pause: Duration) {
    tokio::time::sleep(pause).await;
}

/// Subscribers that failed, counted by the text of their error (its whole chain, e.g.
/// `connecting a subscriber: IO error: Too many open files (os error 24)`).
pub type Failures = BTreeMap<String, usize>;

/// The failures among `results`, by error text.
pub fn failures(results: &[anyhow::Result<()>]) -> Failures {
    let mut failures = Failures::new();
    for error in results.iter().filter_map(|r| r.as_ref().err()) {
        *failures.entry(format!("{error:#}")).or_default() += 1;
    }
    failures
}

/// Prints one line per distinct failure, most frequent first, so that a refused or
/// failed subscriber is never hidden in a total.
pub fn print_failures(failures: &Failures) {
    let mut by_count: Vec<_> = failures.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1));
    for (text, count) in by_count.iter().take(FAILURE_TEXTS_SHOWN) {
        println!("subscriber failures: {count} x {text}");
    }
    let rest: usize = by_count
        .iter()
        .skip(FAILURE_TEXTS_SHOWN)
        .map(|(_, n)| **n)
        .sum();
    if rest > 0 {
        println!("subscriber failures: {rest} more, with other texts");
    }
}

/// Open file descriptors of process `pid` and its limit (`Max open files`), read from
/// `/proc` (the server runs on this machine).
pub fn open_files(pid: u32) -> anyhow::Result<(usize, String)> {
    let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .with_context(|| format!("reading /proc/{pid}/fd"))?
        .count();
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits"))?;
    let limit = limits
        .lines()
        .find_map(|line| line.strip_prefix("Max open files"))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("?")
        .to_owned();
    Ok((open, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_servers_ping_is_answered() {
        assert!(is_ping(r#"{"type":"ping"}"#));
        assert!(!is_ping(r#"{"type":"pong"}"#));
        assert!(!is_ping(
            r#"{"id":"1","type":"next","payload":{"data":{"pollResults":null}}}"#
        ));
    }
}
