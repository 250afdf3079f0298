//! Whether every instance's live tally of a poll agrees with the database after a run.
//!
//! Behind a load balancer each instance commits some of the votes and learns of the
//! others' tallies over the tally bus. A [`Watcher`] per instance, subscribed to
//! `pollResults` straight at that instance (not through the balancer) before the votes
//! flow, keeps the latest tally the instance sent it; at the end [`check`] compares each
//! one with the counts committed in PostgreSQL. An instance that missed the tallies
//! committed elsewhere shows up stale there.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// How long, after the last vote was answered, each instance may take to send a tally
/// equal to the database's. Tallies reach a subscriber at most every 250 ms (4/s under
/// the fan-out budget), plus the bus's hop from the instance that committed them; a
/// lost tally is never resent, so one that does not arrive in this time is a failure.
pub const SETTLE: Duration = Duration::from_secs(5);

/// How often [`check`] looks at the watchers while they settle.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

const SUBSCRIPTION: &str =
    "subscription($id: ID!) { pollResults(pollId: $id) { totalVotes version options { votes } } }";

/// A poll's counts, as the database holds them or a tally shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counts {
    /// Ballots.
    pub total: i64,
    /// The tally's version (the poll's `results_version`).
    pub version: i64,
    /// Each option's count, in the poll's order.
    pub options: Vec<i64>,
}

/// One instance's latest tally of the poll, kept current by a reader task.
pub struct Watcher {
    address: SocketAddr,
    latest: Arc<Mutex<Option<Counts>>>,
    reader: JoinHandle<()>,
}

impl Watcher {
    /// Subscribes to `poll`'s tally at `address` and waits for the first message, so
    /// the instance watches the poll before any vote is sent.
    pub async fn open(address: SocketAddr, poll: &str) -> anyhow::Result<Self> {
        let mut socket = crate::ws::subscribe(address, SUBSCRIPTION, poll)
            .await
            .with_context(|| format!("subscribing at {address}"))?;
        let first = loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text)?;
                    if message["type"] == "error" {
                        anyhow::bail!("{address} refused the subscription: {message}");
                    }
                    if let Some(counts) = tally(&message) {
                        break counts;
                    }
                }
                Some(Ok(_)) => {}
                other => anyhow::bail!("{address} closed before its first tally: {other:?}"),
            }
        };
        let latest = Arc::new(Mutex::new(Some(first)));
        let kept = latest.clone();
        let reader = tokio::spawn(async move {
            while let Some(Ok(frame)) = socket.next().await {
                let Message::Text(text) = frame else { continue };
                let Ok(message) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                if let Some(counts) = tally(&message) {
                    *kept.lock().unwrap_or_else(|p| p.into_inner()) = Some(counts);
                }
            }
        });
        Ok(Watcher {
            address,
            latest,
            reader,
        })
    }

    fn latest(&self) -> Option<Counts> {
        self.latest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Whether the reader stopped (the instance closed the subscription).
    fn closed(&self) -> bool {
        self.reader.is_finished()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// The counts of a `next` message, if it carries a tally.
fn tally(message: &Value) -> Option<Counts> {
    if message["type"] != "next" {
        return None;
    }
    let results = &message["payload"]["data"]["pollResults"];
    Some(Counts {
        total: results["totalVotes"].as_i64()?,
        version: results["version"].as_i64()?,
        options: results["options"]
            .as_array()?
            .iter()
            .map(|o| o["votes"].as_i64())
            .collect::<Option<_>>()?,
    })
}

/// The counts PostgreSQL holds for `poll`.
pub async fn database_counts(db: &DatabaseConnection, poll: &str) -> anyhow::Result<Counts> {
    let poll = poll.replace('\'', "");
    let statement = |sql: String| Statement::from_string(DbBackend::Postgres, sql);
    let row = db
        .query_one_raw(statement(format!(
            "SELECT total_votes, results_version FROM polls WHERE id = '{poll}'"
        )))
        .await?
        .with_context(|| format!("no poll {poll} in the database"))?;
    let options = db
        .query_all_raw(statement(format!(
            "SELECT vote_count FROM poll_options WHERE poll_id = '{poll}' ORDER BY position"
        )))
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<i64>(0))
        .collect::<Result<_, _>>()?;
    Ok(Counts {
        total: row.try_get_by_index(0)?,
        version: row.try_get_by_index(1)?,
        options,
    })
}

/// Waits up to [`SETTLE`] for every watcher's latest tally to equal `expected`, then
/// prints one line per instance; returns whether all agree.
pub async fn check(watchers: &[Watcher], expected: &Counts) -> bool {
    let started = Instant::now();
    while started.elapsed() < SETTLE
        && watchers
            .iter()
            .any(|w| w.latest().as_ref() != Some(expected))
    {
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    let mut all = true;
    for watcher in watchers {
        let seen = watcher.latest();
        let agrees = seen.as_ref() == Some(expected);
        all &= agrees;
        let shown = seen.map_or("none".to_owned(), |c| {
            format!(
                "total={} version={} options={:?}",
                c.total, c.version, c.options
            )
        });
        println!(
            "live tally at {}: {shown}{} => {}",
            watcher.address,
            if watcher.closed() {
                " (subscription closed)"
            } else {
                ""
            },
            if agrees {
                "agrees with the database"
            } else {
                "DIFFERS from the database"
            }
        );
    }
    println!(
        "database: total={} version={} options={:?}",
        expected.total, expected.version, expected.options
    );
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_next_message_gives_its_counts_in_the_options_order() {
        let message = json!({ "id": "1", "type": "next", "payload": { "data": { "pollResults": {
            "totalVotes": 7, "version": 3, "options": [{ "votes": 5 }, { "votes": 0 }, { "votes": 2 }]
        } } } });
        assert_eq!(
            tally(&message),
            Some(Counts {
                total: 7,
                version: 3,
                options: vec![5, 0, 2]
            })
        );
    }

    #[test]
    fn other_messages_and_incomplete_tallies_give_none() {
        assert_eq!(tally(&json!({ "type": "connection_ack" })), None);
        let without_counts = json!({ "type": "next", "payload": { "data": { "pollResults": {
            "totalVotes": 7, "version": 3, "options": [{ "votes": 5 }, {}]
        } } } });
        assert_eq!(tally(&without_counts), None);
        let errors = json!({ "type": "next", "payload": { "errors": [{ "message": "no" }] } });
        assert_eq!(tally(&errors), None);
    }
}
