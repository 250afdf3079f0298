//! The poll-page read load: anonymous `GET /graphql` of the page query of one hot poll,
//! the way a shared link's visitors load it, from workers on their own connections.
//! Every answer's body is checked (a GraphQL error comes back with HTTP 200).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::http::Connection;

/// The poll page's query: the question, its state and the live results.
pub const PAGE_QUERY: &str = "query PollPage($id: ID!) { poll(id: $id) { id title status results { totalVotes version final options { votes percentage option { id text } } } } }";

/// The path and query string of the page query for `poll`.
pub fn page_path(poll: &str) -> String {
    let variables = serde_json::json!({ "id": poll }).to_string();
    format!(
        "/graphql?query={}&variables={}",
        encode(PAGE_QUERY),
        encode(&variables)
    )
}

/// Percent-encodes a query-string value (RFC 3986 unreserved characters kept).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// What the read workers saw together.
pub struct ReadSummary {
    /// Latency of every read, in microseconds.
    pub latency: Histogram<u64>,
    /// Reads answered with the poll's results.
    pub ok: u64,
    /// Reads answered otherwise (an error, a status other than 200).
    pub failed: u64,
    /// The first failure's status and body, to show.
    pub first_failure: Option<String>,
}

/// Runs `workers` connections reading `path` until `duration` is up or `limit` reads
/// (all workers together) were made.
pub async fn run(
    address: SocketAddr,
    path: Arc<str>,
    workers: usize,
    duration: Duration,
    limit: Option<u64>,
) -> anyhow::Result<(ReadSummary, Duration)> {
    let stop = Arc::new(AtomicBool::new(false));
    let made = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (path, stop, made) = (path.clone(), stop.clone(), made.clone());
        let mut connection = Connection::open(address).await?;
        tasks.push(tokio::spawn(async move {
            let mut summary = ReadSummary {
                latency: Histogram::new_with_bounds(1, 60_000_000, 3)?,
                ok: 0,
                failed: 0,
                first_failure: None,
            };
            while !stop.load(Ordering::Relaxed) {
                if limit.is_some_and(|limit| made.fetch_add(1, Ordering::Relaxed) >= limit) {
                    break;
                }
                let sent = Instant::now();
                let (status, body) = connection.get(&path, &[]).await?;
                let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                summary.latency.saturating_record(micros.max(1));
                let answered = status == 200
                    && serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|reply| {
                        reply.get("errors").is_none()
                            && reply["data"]["poll"]["results"]["totalVotes"].is_u64()
                    });
                if answered {
                    summary.ok += 1;
                } else {
                    summary.failed += 1;
                    summary.first_failure.get_or_insert_with(|| {
                        format!("HTTP {status}: {}", String::from_utf8_lossy(&body))
                    });
                }
            }
            Ok::<_, anyhow::Error>(summary)
        }));
    }
    let timer = {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(duration).await;
            stop.store(true, Ordering::Relaxed);
        })
    };
    let mut total = ReadSummary {
        latency: Histogram::new_with_bounds(1, 60_000_000, 3)?,
        ok: 0,
        failed: 0,
        first_failure: None,
    };
    for task in tasks {
        let summary = task.await??;
        total.latency.add(&summary.latency)?;
        total.ok += summary.ok;
        total.failed += summary.failed;
        if total.first_failure.is_none() {
            total.first_failure = summary.first_failure;
        }
    }
    let elapsed = started.elapsed();
    timer.abort();
    Ok((total, elapsed))
}

/// Prints a read run's figures in the benchmark's format.
pub fn print(summary: &ReadSummary, elapsed: Duration, workers: usize) {
    let h = &summary.latency;
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "mode=reads concurrency={workers} calls={} reads/s: {:.0}   latency ms: p50={:.1} p95={:.1} p99={:.1} max={:.1}   failed={}",
        summary.ok + summary.failed,
        summary.ok as f64 / elapsed.as_secs_f64(),
        ms(0.50),
        ms(0.95),
        ms(0.99),
        h.max() as f64 / 1000.0,
        summary.failed
    );
    if let Some(failure) = &summary.first_failure {
        println!("first failed read: {failure}");
    }
}
