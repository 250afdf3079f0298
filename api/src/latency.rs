//! Latency histograms: fixed buckets, recorded lock-free, rendered as Prometheus
//! histograms (`_bucket{le=…}`, `_sum`, `_count`, in seconds).
//!
//! A floor module: the vote writer, the live state and the GraphQL engine record into
//! these; [`crate::metrics`] renders them. Fixed buckets (not an HDR histogram) because
//! Prometheus aggregates buckets across instances, and a fixed set keeps every series'
//! cardinality known in advance.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the buckets, in seconds: from half a millisecond (a batch that
/// commits at once) to ten seconds (past every request timeout). `+Inf` is implied.
pub const BUCKETS_SECONDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The same bounds in microseconds, compared against on every observation.
const BUCKETS_MICROS: [u64; 14] = [
    500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    2_500_000, 5_000_000, 10_000_000,
];

/// One latency histogram. Each bucket counts only its own observations; the cumulative
/// counts Prometheus expects are summed when rendered, so recording is two atomic adds
/// and one bucket increment.
#[derive(Debug, Default)]
pub struct Histogram {
    /// Observations per bucket (the last one is `+Inf`), not cumulative.
    buckets: [AtomicU64; BUCKETS_MICROS.len() + 1],
    /// Sum of every observation, in microseconds.
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Records one duration.
    pub fn observe(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        let bucket = BUCKETS_MICROS.partition_point(|&bound| bound < micros);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// Writes the series of this histogram under `name` with `labels` (already
    /// rendered as `key="value",…`, or empty). The `# HELP`/`# TYPE` lines are the
    /// caller's, written once per name.
    pub fn render(&self, name: &str, labels: &str, out: &mut String) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            match BUCKETS_SECONDS.get(i) {
                Some(le) => {
                    let _ = writeln!(
                        out,
                        "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {cumulative}"
                    );
                }
            }
        }
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let braces = |s: &str| {
            if s.is_empty() {
                String::new()
            } else {
                format!("{{{s}}}")
            }
        };
        let _ = writeln!(out, "{name}_sum{} {sum}", braces(labels));
        let _ = writeln!(out, "{name}_count{} {cumulative}", braces(labels));
    }
}

/// Writes the `# HELP` and `# TYPE … histogram` lines of a histogram family.
pub fn header(name: &str, help: &str, out: &mut String) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
}

/// Where a committed vote batch's time goes after its commit, before its callers are
/// answered: one histogram per step (they run at once, so the slowest decides). The
/// writer's own stages (queue wait, commit) are in [`crate::store::WriterMetrics`];
/// all five are rendered as `tally_vote_batch_stage_seconds{stage=…}`.
#[derive(Debug, Default)]
pub struct AfterCommit {
    /// Writing the polls' new tallies to the live store (the Redis counters).
    pub tallies: Histogram,
    /// Writing the voters' marks for the repeat-voter fast path.
    pub marks: Histogram,
    /// Publishing the batch's tally events on the bus.
    pub publish: Histogram,
}

/// Runs `step` and records how long it took in `histogram`.
pub async fn timed<T>(histogram: &Histogram, step: impl Future<Output = T>) -> T {
    let started = std::time::Instant::now();
    let out = step.await;
    histogram.observe(started.elapsed());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_observation_counts_in_its_bucket_and_every_larger_one() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(700));
        h.observe(Duration::from_secs(20));
        let mut out = String::new();
        h.render("x_seconds", "stage=\"commit\"", &mut out);
        assert!(out.contains("x_seconds_bucket{stage=\"commit\",le=\"0.0005\"} 0\n"));
        assert!(out.contains("x_seconds_bucket{stage=\"commit\",le=\"0.001\"} 1\n"));
        assert!(out.contains("x_seconds_bucket{stage=\"commit\",le=\"10\"} 1\n"));
        assert!(out.contains("x_seconds_bucket{stage=\"commit\",le=\"+Inf\"} 2\n"));
        assert!(out.contains("x_seconds_count{stage=\"commit\"} 2\n"));
        assert!(out.contains("x_seconds_sum{stage=\"commit\"} 20.0007\n"));
    }

    #[test]
    fn a_bound_belongs_to_its_own_bucket() {
        let h = Histogram::default();
        h.observe(Duration::from_millis(1));
        let mut out = String::new();
        h.render("y", "", &mut out);
        assert!(out.contains("y_bucket{le=\"0.001\"} 1\n"), "{out}");
        assert!(out.contains("y_count 1\n"));
    }
}
