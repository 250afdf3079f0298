//! Summing up and checking a run: throughput, latency, outcomes, and the database.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use hdrhistogram::Histogram;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use uuid::Uuid;

use crate::votes::{Kind, WorkerReport};

/// The merged view of all workers.
pub struct Summary {
    /// Latency of all calls, in microseconds.
    pub latency: Histogram<u64>,
    /// Calls by outcome.
    pub outcomes: BTreeMap<String, u64>,
    /// Calls answered `RECORDED`.
    pub recorded: u64,
    /// Users answered with more than one distinct vote id (must be none).
    pub inconsistent_users: usize,
    /// Users answered `RECORDED` more than once (must be none).
    pub recorded_twice: usize,
    /// Latency of the calls sent after the split, if the run had one.
    pub after_split: Histogram<u64>,
    /// Calls after the split answered `RECORDED`.
    pub recorded_after_split: u64,
}

/// Merges worker reports and checks that each user got one vote id.
pub fn summarize(reports: Vec<WorkerReport>) -> anyhow::Result<Summary> {
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut after_split = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut recorded_after_split = 0;
    let mut outcomes = BTreeMap::new();
    let mut ids: HashMap<usize, Vec<Uuid>> = HashMap::new();
    let mut recorded_per_user: HashMap<usize, u32> = HashMap::new();
    for report in reports {
        latency.add(&report.latency)?;
        after_split.add(&report.after_split)?;
        recorded_after_split += report.recorded_after_split;
        for (label, n) in report.outcomes {
            *outcomes.entry(label).or_default() += n;
        }
        for (user, vote_ids) in report.vote_ids {
            ids.entry(user).or_default().extend(vote_ids);
        }
        for (user, _) in report.recorded {
            *recorded_per_user.entry(user).or_default() += 1;
        }
    }
    let inconsistent_users = ids
        .values()
        .filter(|v| v.iter().any(|id| *id != v[0]))
        .count();
    let recorded_twice = recorded_per_user.values().filter(|&&n| n > 1).count();
    Ok(Summary {
        recorded: outcomes.get("RECORDED").copied().unwrap_or(0),
        latency,
        outcomes,
        inconsistent_users,
        recorded_twice,
        after_split,
        recorded_after_split,
    })
}

/// Prints the figures of the calls sent after the split at `split` (a fault injected).
pub fn print_after_split(summary: &Summary, split: Duration, elapsed: Duration) {
    let h = &summary.after_split;
    let secs = (elapsed.saturating_sub(split)).as_secs_f64().max(0.001);
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "after {:.0}s (fault injected): calls={} recorded votes/s: {:.0}   latency ms: p50={:.1} p95={:.1} p99={:.1} max={:.1}",
        split.as_secs_f64(),
        h.len(),
        summary.recorded_after_split as f64 / secs,
        ms(0.50),
        ms(0.95),
        ms(0.99),
        h.max() as f64 / 1000.0
    );
}

/// Prints the figures of a run.
pub fn print(mode: &str, summary: &Summary, elapsed: Duration, workers: usize) {
    let calls: u64 = summary.outcomes.values().sum();
    let secs = elapsed.as_secs_f64();
    let ms = |q: f64| summary.latency.value_at_quantile(q) as f64 / 1000.0;
    println!("mode={mode} workers={workers} elapsed={secs:.1}s calls={calls}");
    println!(
        "recorded votes/s: {:.0}   calls/s: {:.0}",
        summary.recorded as f64 / secs,
        calls as f64 / secs
    );
    println!(
        "latency ms: p50={:.1} p95={:.1} p99={:.1} max={:.1}",
        ms(0.50),
        ms(0.95),
        ms(0.99),
        summary.latency.max() as f64 / 1000.0
    );
    let outcomes: Vec<String> = summary
        .outcomes
        .iter()
        .map(|(label, n)| format!("{label}={n}"))
        .collect();
    println!("outcomes: {}", outcomes.join(" "));
    println!(
        "answers: users with two vote ids={} users recorded twice={}",
        summary.inconsistent_users, summary.recorded_twice
    );
}

/// Checks the database against the answers: ballots equal recorded answers, counters
/// equal ballots, no user has two ballots on a poll, no row points at nothing; on RANKED
/// polls, option counters equal first preferences and every ranking's group equals the
/// ballots that rank that way. Returns whether all hold.
pub async fn verify(
    db: &DatabaseConnection,
    poll_ids: &[String],
    recorded: u64,
    kind: Kind,
) -> anyhow::Result<bool> {
    let list = poll_ids
        .iter()
        .map(|id| format!("'{}'", id.replace('\'', "")))
        .collect::<Vec<_>>()
        .join(",");
    let scalar = async |sql: String| -> anyhow::Result<i64> {
        let row = db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no row"))?;
        Ok(row.try_get_by_index::<i64>(0)?)
    };
    let ballots = scalar(format!(
        "SELECT COUNT(*) FROM votes WHERE poll_id IN ({list})"
    ))
    .await?;
    let distinct = scalar(format!(
        "SELECT COUNT(*) FROM (SELECT DISTINCT poll_id, user_id FROM votes WHERE poll_id IN ({list})) d"
    ))
    .await?;
    let totals = scalar(format!(
        "SELECT COALESCE(SUM(total_votes), 0)::bigint FROM polls WHERE id IN ({list})"
    ))
    .await?;
    let counters = scalar(format!(
        "SELECT COALESCE(SUM(vote_count), 0)::bigint FROM poll_options WHERE poll_id IN ({list})"
    ))
    .await?;
    // What an option counter counts: every choice (SINGLE), first preferences (RANKED).
    let counted = match kind {
        Kind::Single => "TRUE",
        Kind::Ranked => "c.value = 1",
    };
    let choices = scalar(format!(
        "SELECT COUNT(*) FROM vote_choices c WHERE c.poll_id IN ({list}) AND {counted}"
    ))
    .await?;
    let drift = scalar(format!(
        "SELECT COUNT(*) FROM poll_options o WHERE o.poll_id IN ({list}) AND o.vote_count <> \
         (SELECT COUNT(*) FROM vote_choices c WHERE c.poll_id = o.poll_id AND c.option_id = o.id AND {counted})"
    ))
    .await?;
    // Groups that differ from a recount of the ballots (one per distinct ranking, keyed by
    // option positions in preference order); SINGLE polls have none on either side.
    let group_drift = scalar(format!(
        "SELECT COUNT(*) FROM ( \
           SELECT r.poll_id, r.key, COUNT(*) AS n FROM ( \
             SELECT c.poll_id, string_agg(o.position::text, '>' ORDER BY c.value) AS key \
             FROM vote_choices c JOIN poll_options o ON o.id = c.option_id \
             WHERE c.poll_id IN ({list}) AND {ranked} GROUP BY c.poll_id, c.vote_id) r \
           GROUP BY r.poll_id, r.key) recount \
         FULL JOIN (SELECT poll_id, group_key, ballots FROM tally_groups \
           WHERE poll_id IN ({list}) AND ballots <> 0) kept \
           ON kept.poll_id = recount.poll_id AND kept.group_key = recount.key \
         WHERE recount.n IS DISTINCT FROM kept.ballots",
        ranked = if kind == Kind::Ranked {
            "TRUE"
        } else {
            "FALSE"
        },
    ))
    .await?;
    // What foreign keys would refuse (PostgreSQL keeps none on ballots; see migration 2):
    // a ballot without its user or poll, a choice without its ballot, or naming an
    // option of another poll.
    let orphans = scalar(format!(
        "SELECT (SELECT COUNT(*) FROM votes v WHERE v.poll_id IN ({list}) AND \
           (NOT EXISTS (SELECT 1 FROM users u WHERE u.id = v.user_id) \
            OR NOT EXISTS (SELECT 1 FROM polls p WHERE p.id = v.poll_id))) \
         + (SELECT COUNT(*) FROM vote_choices c WHERE c.poll_id IN ({list}) AND \
           (NOT EXISTS (SELECT 1 FROM votes v WHERE v.id = c.vote_id AND v.poll_id = c.poll_id) \
            OR NOT EXISTS (SELECT 1 FROM poll_options o WHERE o.id = c.option_id AND o.poll_id = c.poll_id)))"
    ))
    .await?;
    let recorded = i64::try_from(recorded)?;
    let ok = ballots == recorded
        && distinct == ballots
        && totals == ballots
        && counters == choices
        && drift == 0
        && group_drift == 0
        && orphans == 0;
    println!(
        "verify: ballots={ballots} recorded answers={recorded} duplicate ballots={} poll totals={totals} \
         option counters={counters} counted choices={choices} options with drift={drift} \
         groups with drift={group_drift} orphans={orphans} => {}",
        ballots - distinct,
        if ok { "OK" } else { "MISMATCH" }
    );
    Ok(ok)
}
