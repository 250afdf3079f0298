//! The numbers an operator reads at runtime, served at `GET /metrics` in the Prometheus
//! text format: the vote writer's batches, queue and commit latency, the store's
//! statements, and (with Redis) its failures and the reconciler's repairs.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::graphql::DocumentCounters;
use crate::latency::{self, AfterCommit};
use crate::realtime::{Hub, Pacing};
use crate::store::{StoreMetrics, VoteWriter};

/// Counters of the parts that are not the store or the writer.
#[derive(Debug, Default)]
pub struct AppCounters {
    /// Redis commands that failed (the app fell back and carried on).
    pub redis_errors: AtomicU64,
    /// Calls refused with `RATE_LIMITED`.
    pub rate_limited: AtomicU64,
    /// Calls let through unchecked because the limiter's store did not answer and
    /// their bucket fails open (votes, polls, exports).
    pub rate_limit_failed_open: AtomicU64,
    /// Live counters the reconciler found wrong and repaired.
    pub reconcile_repairs: AtomicU64,
    /// Reconciliation passes run.
    pub reconcile_runs: AtomicU64,
    /// castVote calls answered from the Redis fast path without touching the database.
    pub fast_path_answers: AtomicU64,
    /// Redis commands not sent because the breaker was open or the request's Redis
    /// budget was spent (the app fell back at once).
    pub redis_skipped: AtomicU64,
    /// Times the Redis breaker opened.
    pub redis_breaker_trips: AtomicU64,
    /// 1 while the Redis breaker is open, else 0.
    pub redis_breaker_open: AtomicU64,
    /// Connections closed on arrival because their address held as many as it may.
    pub connections_refused_per_client: AtomicU64,
    /// Connections closed because a request's headers did not arrive in time.
    pub header_read_timeouts: AtomicU64,
    /// Requests refused because their body did not arrive in time.
    pub body_read_timeouts: AtomicU64,
    /// Webhook delivery attempts started.
    pub webhook_attempts: AtomicU64,
    /// Webhook attempts answered 2xx.
    pub webhook_delivered: AtomicU64,
    /// Webhook attempts that failed (another status, no answer).
    pub webhook_failures: AtomicU64,
    /// Webhook deliveries given up after their last attempt.
    pub webhook_given_up: AtomicU64,
    /// Webhook deliveries due and not in flight at the sender's last pass.
    pub webhook_due: AtomicU64,
    /// Password verifications run: one per sign-in, also for an unknown username (it
    /// verifies against a filler hash, so both answers cost the same).
    pub password_verifications: AtomicU64,
    /// How long each step after a vote batch's commit took.
    pub after_commit: AfterCommit,
}

/// Resident memory of this process, in bytes (Linux; 0 elsewhere).
pub fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

/// Handles on every live counter.
#[derive(Clone)]
pub struct Metrics {
    /// Statements run by the store.
    pub store: Arc<StoreMetrics>,
    /// The vote writer.
    pub writer: VoteWriter,
    /// Everything else.
    pub app: Arc<AppCounters>,
    /// Live-tally feeds of this instance.
    pub hub: Arc<Hub>,
    /// Live-tally subscriptions written to, and the pace they set.
    pub pacing: Pacing,
    /// GraphQL documents parsed and validated.
    pub documents: Arc<DocumentCounters>,
}

impl Metrics {
    /// The counters in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let (w, a) = (self.writer.metrics(), &self.app);
        #[rustfmt::skip]
        let rows: [(&str, &str, &str, u64); 37] = [
            ("tally_vote_batches_total", "counter", "Vote transactions committed.", get(&w.batches)),
            ("tally_vote_batch_calls_total", "counter", "castVote calls answered by committed batches.", get(&w.calls)),
            ("tally_vote_batch_size_last", "gauge", "Calls in the last batch.", get(&w.last_batch_size)),
            ("tally_vote_batch_size_max", "gauge", "Calls in the largest batch so far.", get(&w.max_batch_size)),
            ("tally_vote_commit_micros_total", "counter", "Time spent in vote transactions, in microseconds.", get(&w.commit_micros_total)),
            ("tally_vote_commit_micros_max", "gauge", "Longest vote transaction so far, in microseconds.", get(&w.commit_micros_max)),
            ("tally_vote_batch_failures_total", "counter", "Batches whose transaction failed and were retried call by call.", get(&w.batch_failures)),
            ("tally_vote_batch_retries_total", "counter", "Batches the database aborted (deadlock, conflict) and that ran again.", get(&w.transient_retries)),
            ("tally_vote_overloaded_total", "counter", "castVote calls refused because the queue was full.", get(&w.rejected_overloaded)),
            ("tally_vote_queue_depth", "gauge", "castVote calls waiting for the writer.", self.writer.queue_depth() as u64),
            ("tally_vote_calls_pending", "gauge", "castVote calls handed to the writer and not answered yet (queued or being written).", get(&w.pending)),
            ("tally_db_statements_total", "counter", "Statements run by the store.", get(&self.store.statements)),
            ("tally_db_statement_failures_total", "counter", "Statements that failed.", get(&self.store.failed)),
            ("tally_redis_errors_total", "counter", "Redis commands that failed; the app fell back without them.", get(&a.redis_errors)),
            ("tally_redis_skipped_total", "counter", "Redis commands not sent: the breaker was open or the request's Redis budget spent.", get(&a.redis_skipped)),
            ("tally_redis_breaker_trips_total", "counter", "Times the Redis breaker opened (Redis stopped answering).", get(&a.redis_breaker_trips)),
            ("tally_redis_breaker_open", "gauge", "1 while commands are held back from a Redis that does not answer.", get(&a.redis_breaker_open)),
            ("tally_rate_limited_total", "counter", "Calls refused with RATE_LIMITED.", get(&a.rate_limited)),
            ("tally_rate_limit_failed_open_total", "counter", "Calls let through unchecked: the limiter's store did not answer and the bucket fails open.", get(&a.rate_limit_failed_open)),
            ("tally_vote_fast_path_total", "counter", "castVote calls answered from the Redis fast path.", get(&a.fast_path_answers)),
            ("tally_reconcile_runs_total", "counter", "Reconciliation passes of live counters.", get(&a.reconcile_runs)),
            ("tally_reconcile_repairs_total", "counter", "Live counters found to differ from the database and repaired.", get(&a.reconcile_repairs)),
            ("tally_subscribers", "gauge", "Live-tally subscriptions on this instance.", self.pacing.watchers() as u64),
            ("tally_feeds", "gauge", "Polls with live-tally subscribers on this instance.", self.hub.polls().len() as u64),
            ("tally_feed_interval_millis", "gauge", "Current least wait between two tallies of a poll (rises past the fan-out budget).", self.pacing.gap().as_millis() as u64),
            ("tally_http_connections_refused_total", "counter", "Connections closed on arrival: their address was at its connection cap.", get(&a.connections_refused_per_client)),
            ("tally_http_header_timeouts_total", "counter", "Connections closed: a request's headers did not arrive in time.", get(&a.header_read_timeouts)),
            ("tally_http_body_timeouts_total", "counter", "Requests refused: their body did not arrive in time.", get(&a.body_read_timeouts)),
            ("tally_graphql_documents_parsed_total", "counter", "GraphQL query texts parsed (cached and persisted known documents are not).", get(&self.documents.parsed)),
            ("tally_graphql_documents_validated_total", "counter", "GraphQL documents run through every validation rule (persisted known documents are not).", get(&self.documents.validated)),
            ("tally_webhook_attempts_total", "counter", "Webhook delivery attempts started.", get(&a.webhook_attempts)),
            ("tally_webhook_delivered_total", "counter", "Webhook attempts the endpoint answered with 2xx.", get(&a.webhook_delivered)),
            ("tally_webhook_failed_attempts_total", "counter", "Webhook attempts that failed (another status, or no answer); retried with backoff.", get(&a.webhook_failures)),
            ("tally_webhook_given_up_total", "counter", "Webhook deliveries given up after their last attempt.", get(&a.webhook_given_up)),
            ("tally_webhook_outbox_due", "gauge", "Webhook deliveries due and not in flight at the sender's last pass (a backlog when it stays up).", get(&a.webhook_due)),
            ("tally_password_verifications_total", "counter", "Password verifications run (one per sign-in, an unknown username's too).", get(&a.password_verifications)),
            ("tally_process_resident_bytes", "gauge", "Resident memory of the process.", resident_bytes()),
        ];
        let mut out = String::new();
        for (name, kind, help, value) in rows {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        self.render_histograms(&mut out);
        out
    }

    /// The latency histograms: each vote batch stage, each GraphQL operation.
    fn render_histograms(&self, out: &mut String) {
        const STAGES: &str = "tally_vote_batch_stage_seconds";
        latency::header(
            STAGES,
            "Vote batch stages: queue_wait (per call), commit, then tallies, marks and publish (run at once, per batch).",
            out,
        );
        let (w, after) = (self.writer.metrics(), &self.app.after_commit);
        let stages = [
            ("queue_wait", &w.queue_wait),
            ("commit", &w.commit_latency),
            ("tallies", &after.tallies),
            ("marks", &after.marks),
            ("publish", &after.publish),
        ];
        for (stage, histogram) in stages {
            histogram.render(STAGES, &format!("stage=\"{stage}\""), out);
        }
        const LAG: &str = "tally_live_lag_seconds";
        latency::header(
            LAG,
            "Age of a tally (now minus its asOf) when this instance hands it to its subscribers: commit, bus and pacing.",
            out,
        );
        self.pacing.lag().render(LAG, "", out);
        self.documents.latencies.render(out);
    }
}
