//! The open-the-gates burst: a poll opens and `voters` distinct voters each send one
//! castVote at a moment spread evenly over the first `window` seconds (Junior
//! Eurovision 2014's online vote broke at 37,000 votes in its first 3 s). Each voter
//! waits for a free connection from a pool of `connections` (as browsers queue), and a
//! voter answered `OVERLOADED` or `RATE_LIMITED` waits its `retryAfterSeconds` and sends
//! the same call again (same key) until it has an answer. Reported: the time until the
//! last voter was answered, the voters' times from their moment to their answer, how
//! many calls were refused for load, and (by the caller) the database check.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use serde_json::json;
use tokio::sync::Mutex;

use crate::http::Connection;
use crate::setup::BenchUser;
use crate::votes::{CAST_VOTE, classify};

/// What the burst saw.
pub struct BurstReport {
    /// Per voter: from its moment to its final answer, in microseconds.
    pub latency: Histogram<u64>,
    /// Final answers by outcome.
    pub outcomes: BTreeMap<String, u64>,
    /// Calls refused for load (`OVERLOADED`, `RATE_LIMITED`) and sent again.
    pub retried: u64,
    /// From the gates opening to the last answer.
    pub drained: Duration,
    /// Users answered `RECORDED` (index and vote id), for the duplicate check.
    pub recorded: Vec<(usize, uuid::Uuid)>,
}

/// Runs the burst on `poll` (its id and options): voter `i` sends at
/// `start + window * i / voters`.
pub async fn run(
    address: SocketAddr,
    voters: Vec<BenchUser>,
    poll: (String, Vec<String>),
    window: Duration,
    connections: usize,
    run: String,
) -> anyhow::Result<BurstReport> {
    let mut pool = Vec::with_capacity(connections);
    for _ in 0..connections {
        pool.push(Connection::open(address).await?);
    }
    let pool = Arc::new(Mutex::new(pool));
    let free = Arc::new(tokio::sync::Semaphore::new(connections));
    let poll = Arc::new(poll);
    let count = voters.len();
    let start = Instant::now() + Duration::from_millis(100);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, voter) in voters.into_iter().enumerate() {
        let (pool, free, poll, run) = (pool.clone(), free.clone(), poll.clone(), run.clone());
        let moment = start + window.mul_f64(i as f64 / count as f64);
        tasks.spawn(async move {
            tokio::time::sleep_until(moment.into()).await;
            let option = &poll.1[i % poll.1.len()];
            let body = Bytes::from(
                json!({
                    "query": CAST_VOTE,
                    "variables": { "input": {
                        "pollId": poll.0, "optionIds": [option], "idempotencyKey": format!("{run}-{i}"),
                    } },
                })
                .to_string(),
            );
            let mut retried = 0u64;
            loop {
                let permit = free.acquire().await?;
                let mut connection = pool.lock().await.pop().expect("a connection per permit");
                let result = connection.graphql(Some(&voter.token), body.clone()).await;
                pool.lock().await.push(connection);
                drop(permit);
                let (status, bytes) = result?;
                let (label, vote) = classify(status, &bytes);
                if label == "OVERLOADED" || label == "RATE_LIMITED" {
                    retried += 1;
                    let wait = retry_after(&bytes).unwrap_or(1.0);
                    tokio::time::sleep(Duration::from_secs_f64(wait)).await;
                    continue;
                }
                let micros = u64::try_from(moment.elapsed().as_micros()).unwrap_or(u64::MAX);
                return Ok::<_, anyhow::Error>((i, label, vote, micros, retried, Instant::now()));
            }
        });
    }
    let mut report = BurstReport {
        latency: Histogram::new_with_bounds(1, 600_000_000, 3)?,
        outcomes: BTreeMap::new(),
        retried: 0,
        drained: Duration::ZERO,
        recorded: Vec::new(),
    };
    let mut last = start;
    while let Some(done) = tasks.join_next().await {
        let (i, label, vote, micros, retried, at) = done??;
        report.latency.saturating_record(micros.max(1));
        report.retried += retried;
        last = last.max(at);
        if let Some((false, id)) = vote {
            report.recorded.push((i, id));
        }
        *report.outcomes.entry(label).or_default() += 1;
    }
    report.drained = last.saturating_duration_since(start);
    Ok(report)
}

/// `extensions.retryAfterSeconds` of the first error.
fn retry_after(body: &[u8]) -> Option<f64> {
    let reply: serde_json::Value = serde_json::from_slice(body).ok()?;
    reply["errors"][0]["extensions"]["retryAfterSeconds"].as_f64()
}

/// Prints the burst's figures.
pub fn print(report: &BurstReport, voters: usize, window: Duration) {
    let ms = |q: f64| report.latency.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "mode=burst voters={voters} window={:.0}s drained in {:.2}s   answer ms (from each voter's moment): p50={:.1} p99={:.1} max={:.1}   refused for load and retried: {}   outcomes: {:?}",
        window.as_secs_f64(),
        report.drained.as_secs_f64(),
        ms(0.5),
        ms(0.99),
        report.latency.max() as f64 / 1000.0,
        report.retried,
        report.outcomes
    );
}
