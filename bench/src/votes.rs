//! The castVote load: workers on their own connections take calls from a shared
//! sequence until the time is up, check every response body, and time each call.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::http::Connection;
use crate::setup::BenchUser;

/// How calls are made up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Every user votes once, all on one poll.
    Hot,
    /// Every user votes once, users spread over many polls.
    Many,
    /// Every vote is sent, retried 3 times with its key, then tried once more under a
    /// fresh key: 5 calls per user, 1 ballot (see [`storm_call`] for their order).
    Storm,
}

/// The kind of poll voted on, and so the shape of each ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// One option per ballot.
    Single,
    /// A full ranking of the poll's options per ballot, a different pseudo-random order
    /// for each user (so every possible ranking occurs: 24 of 4 options).
    Ranked,
}

impl Kind {
    /// The `PollKind` sent to `createPoll`.
    pub fn graphql(self) -> &'static str {
        match self {
            Kind::Single => "SINGLE",
            Kind::Ranked => "RANKED",
        }
    }
}

/// A pseudo-random order of `options` for user `user_index` (SplitMix64-seeded
/// Fisher–Yates): the same user always ranks the same way, so a retry sends the same
/// ballot.
fn ranking(options: &[String], user_index: usize) -> Vec<&str> {
    let mut order: Vec<&str> = options.iter().map(String::as_str).collect();
    let mut state = user_index as u64;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for k in (1..order.len()).rev() {
        order.swap(k, (next() % (k as u64 + 1)) as usize);
    }
    order
}

/// Users per wave of the duplicate storm.
const STORM_WAVE: usize = 1024;

/// The user and attempt (0–4) of storm call `n`. Users come in waves: a wave's first
/// three attempts (the vote and two retries with its key) go out together, racing each
/// other into the same batches; its last two (a third retry, and a fresh key) go out
/// with the next wave, by when the first has usually been answered, so they meet the
/// repeat-voter fast path.
fn storm_call(n: usize) -> (usize, usize) {
    let late = 2 * STORM_WAVE;
    let n = n + late; // the first wave has no wave before it
    let (wave, r) = (n / (5 * STORM_WAVE), n % (5 * STORM_WAVE));
    if r < late {
        ((wave - 1) * STORM_WAVE + r / 2, 3 + r % 2)
    } else {
        let r = r - late;
        (wave * STORM_WAVE + r / 3, r % 3)
    }
}

/// What one call must do: who, where, which option, under which key.
struct Call<'a> {
    user_index: usize,
    user: &'a BenchUser,
    poll: &'a (String, Vec<String>),
    /// The ballot: one option (SINGLE) or a ranking (RANKED).
    options: Vec<&'a str>,
    key: String,
}

/// The plan of a run: users, polls, and how call number `n` maps onto them.
pub struct Plan {
    /// The users, in order.
    pub users: Vec<BenchUser>,
    /// The polls and their options.
    pub polls: Vec<(String, Vec<String>)>,
    /// The mode.
    pub mode: Mode,
    /// The polls' kind.
    pub kind: Kind,
    /// A tag that makes keys unique to this run.
    pub run: String,
}

impl Plan {
    fn call(&self, n: usize) -> Option<Call<'_>> {
        let (user_index, attempt) = match self.mode {
            Mode::Storm => storm_call(n),
            Mode::Hot | Mode::Many => (n, 0),
        };
        let user = self.users.get(user_index)?;
        let poll = &self.polls[user_index % self.polls.len()];
        let options = match self.kind {
            Kind::Single => vec![poll.1[user_index % poll.1.len()].as_str()],
            Kind::Ranked => ranking(&poll.1, user_index),
        };
        let key = if attempt == 4 {
            format!("{}-{user_index}-fresh", self.run)
        } else {
            format!("{}-{user_index}", self.run)
        };
        Some(Call {
            user_index,
            user,
            poll,
            options,
            key,
        })
    }
}

#[derive(Deserialize)]
struct Reply {
    data: Option<ReplyData>,
    errors: Option<Vec<ReplyError>>,
}

#[derive(Deserialize)]
struct ReplyData {
    #[serde(rename = "castVote")]
    cast_vote: Option<Payload>,
}

#[derive(Deserialize)]
struct Payload {
    replayed: bool,
    vote: VoteId,
}

#[derive(Deserialize)]
struct VoteId {
    id: Uuid,
}

#[derive(Deserialize)]
struct ReplyError {
    extensions: Option<ErrorExtensions>,
}

#[derive(Deserialize)]
struct ErrorExtensions {
    code: Option<String>,
}

/// What one worker saw.
pub struct WorkerReport {
    /// Latency of every call, in microseconds.
    pub latency: Histogram<u64>,
    /// Calls by outcome: `RECORDED`, `REPLAYED`, an error code, or `HTTP_<status>`.
    pub outcomes: BTreeMap<String, u64>,
    /// Vote ids answered per user index (recorded or replayed).
    pub vote_ids: HashMap<usize, Vec<Uuid>>,
    /// Users whose vote was answered `RECORDED`, with the vote id.
    pub recorded: Vec<(usize, Uuid)>,
    /// Latency of the calls sent after the run's split (a fault injected), if any.
    pub after_split: Histogram<u64>,
    /// Calls after the split answered `RECORDED`.
    pub recorded_after_split: u64,
}

pub(crate) const CAST_VOTE: &str =
    "mutation($input: CastVoteInput!) { castVote(input: $input) { replayed vote { id } } }";

pub(crate) fn classify(status: u16, body: &[u8]) -> (String, Option<(bool, Uuid)>) {
    match serde_json::from_slice::<Reply>(body) {
        Ok(Reply {
            data: Some(ReplyData {
                cast_vote: Some(payload),
            }),
            ..
        }) => {
            let label = if payload.replayed {
                "REPLAYED"
            } else {
                "RECORDED"
            };
            (label.to_owned(), Some((payload.replayed, payload.vote.id)))
        }
        Ok(Reply {
            errors: Some(errors),
            ..
        }) => {
            let code = errors
                .first()
                .and_then(|e| e.extensions.as_ref())
                .and_then(|x| x.code.clone())
                .unwrap_or_else(|| "ERROR_WITHOUT_CODE".to_owned());
            (code, None)
        }
        _ => (format!("HTTP_{status}_UNPARSEABLE"), None),
    }
}

/// Runs `workers` connections for `duration`, optionally capped at `rate` calls/s in all.
/// Calls sent `split` or later after the start are also counted apart (a fault is
/// injected then), so their latency is not blurred by the calls before.
pub async fn run(
    address: SocketAddr,
    plan: Arc<Plan>,
    workers: usize,
    duration: Duration,
    rate: Option<f64>,
    split: Option<Duration>,
) -> anyhow::Result<(Vec<WorkerReport>, Duration)> {
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (plan, next, stop) = (plan.clone(), next.clone(), stop.clone());
        let mut connection = Connection::open(address).await?;
        // Each worker paces itself to its share of the rate.
        let gap = rate.map(|r| Duration::from_secs_f64(workers as f64 / r));
        tasks.push(tokio::spawn(async move {
            let mut report = WorkerReport {
                latency: Histogram::new_with_bounds(1, 60_000_000, 3)?,
                outcomes: BTreeMap::new(),
                vote_ids: HashMap::new(),
                recorded: Vec::new(),
                after_split: Histogram::new_with_bounds(1, 60_000_000, 3)?,
                recorded_after_split: 0,
            };
            let split_at = split.map(|split| started + split);
            let mut due = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                let Some(call) = plan.call(next.fetch_add(1, Ordering::Relaxed)) else {
                    break;
                };
                if let Some(gap) = gap {
                    due += gap;
                    tokio::time::sleep_until(due.into()).await;
                }
                let body = json!({
                    "query": CAST_VOTE,
                    "variables": { "input": {
                        "pollId": call.poll.0, "optionIds": call.options, "idempotencyKey": call.key,
                    } },
                });
                let sent = Instant::now();
                let result = connection
                    .graphql(Some(&call.user.token), Bytes::from(body.to_string()))
                    .await;
                let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                report.latency.saturating_record(micros.max(1));
                let late = split_at.is_some_and(|at| sent >= at);
                if late {
                    report.after_split.saturating_record(micros.max(1));
                }
                let (label, vote) = match result {
                    Ok((status, bytes)) => classify(status, &bytes),
                    Err(e) => (format!("TRANSPORT: {e}"), None),
                };
                *report.outcomes.entry(label).or_default() += 1;
                if let Some((replayed, id)) = vote {
                    report.vote_ids.entry(call.user_index).or_default().push(id);
                    if !replayed {
                        report.recorded.push((call.user_index, id));
                        report.recorded_after_split += u64::from(late);
                    }
                }
            }
            Ok::<_, anyhow::Error>(report)
        }));
    }
    let timer = {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(duration).await;
            stop.store(true, Ordering::Relaxed);
        })
    };
    let mut reports = Vec::with_capacity(workers);
    for task in tasks {
        reports.push(task.await??);
    }
    // Workers also stop when the plan runs out of users; the run ends with the last one.
    let elapsed = started.elapsed();
    timer.abort();
    Ok((reports, elapsed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn rankings_are_full_stable_per_user_and_cover_every_order() {
        let options: Vec<String> = (0..4).map(|o| format!("o{o}")).collect();
        let mut seen = BTreeSet::new();
        for user in 0..2_000 {
            let order = ranking(&options, user);
            assert_eq!(
                order,
                ranking(&options, user),
                "user {user} ranks the same way"
            );
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, ["o0", "o1", "o2", "o3"], "a full ranking");
            seen.insert(order);
        }
        assert_eq!(seen.len(), 24, "every order of four options occurs");
    }

    #[test]
    fn a_storm_makes_each_of_five_attempts_once_per_user() {
        let mut attempts = vec![BTreeSet::new(); 4 * STORM_WAVE];
        for n in 0..5 * 4 * STORM_WAVE {
            let (user, attempt) = storm_call(n);
            if user < attempts.len() {
                assert!(
                    attempts[user].insert(attempt),
                    "user {user} attempt {attempt} twice"
                );
            }
        }
        // Every wave but the last has had its late attempts too.
        for (user, made) in attempts.iter().enumerate().take(3 * STORM_WAVE) {
            assert_eq!(*made, (0..5).collect(), "user {user}");
        }
    }
}
