//! The vote writer: group commit for `castVote`.
//!
//! Callers put their call on a bounded queue and wait; one task takes what has queued
//! (up to `max_batch` calls, lingering up to `max_wait` for a fuller batch) and writes it
//! in one transaction ([`Store::commit_cast_batch`]). Up to `writers` transactions run
//! at once; while they do, the next batch keeps filling, so the busier the database,
//! the larger the batches (group commit). Each caller gets its own outcome, only after
//! the commit.
//!
//! - **Bounded**: a full queue answers `OVERLOADED` at once instead of growing memory.
//! - **Isolated failures**: when a batch transaction fails, each of its calls is retried
//!   alone, so one bad call fails only itself.
//! - **Retries**: calls a batch could not decide (a race lost to another instance, a
//!   collision inside the batch) go first into the next batch, a bounded number of times.
//! - **Drain on shutdown**: [`VoteWriter::close`] stops new calls; what is queued is
//!   still written before the task ends.
//! - **Bounded shutdown**: when even that takes too long (the database or Redis not
//!   answering), [`VoteWriter::abandon`] answers every call still waiting instead:
//!   none is ever left without an answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use super::cast::{CastOutcome, CastRequest};
use super::{Store, is_transient};
use crate::clock::Clock;
use crate::domain::{IdempotencyKey, RequestHash, Tally, Vote};
use crate::error::{AppError, AppResult};
use crate::latency::Histogram;

/// How many times a call may come back undecided before it fails.
const MAX_ATTEMPTS: u8 = 4;

/// Settings of the writer.
#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    /// Most calls in one transaction.
    pub max_batch: usize,
    /// Longest a batch waits to fill once its first call has arrived.
    pub max_wait: Duration,
    /// Most calls waiting; beyond it callers get `OVERLOADED`.
    pub queue_capacity: usize,
    /// Most batch transactions running at once.
    pub writers: usize,
}

/// A ballot a batch recorded, with what the fast path needs to recognise a retry.
#[derive(Debug, Clone)]
pub struct RecordedVote {
    /// The ballot.
    pub vote: Vote,
    /// The key it was cast under.
    pub key: IdempotencyKey,
    /// The fingerprint of its input.
    pub request_hash: RequestHash,
}

/// What one committed batch changed.
#[derive(Debug, Clone, Default)]
pub struct Committed {
    /// The ballots it recorded.
    pub recorded: Vec<RecordedVote>,
    /// The polls' tallies after it.
    pub tallies: Vec<Tally>,
}

/// Told of every committed batch before its callers are answered (live tallies,
/// voter marks, the tally bus).
#[async_trait::async_trait]
pub trait CommitSink: Send + Sync + 'static {
    /// Called after each commit.
    async fn committed(&self, batch: Committed);
}

/// A sink that ignores commits.
pub struct NoSink;

#[async_trait::async_trait]
impl CommitSink for NoSink {
    async fn committed(&self, _: Committed) {}
}

/// Counters an operator reads to see the writer at work.
#[derive(Debug, Default)]
pub struct WriterMetrics {
    /// Transactions committed.
    pub batches: AtomicU64,
    /// Calls answered by those transactions (any outcome).
    pub calls: AtomicU64,
    /// Size of the last batch.
    pub last_batch_size: AtomicU64,
    /// Largest batch so far.
    pub max_batch_size: AtomicU64,
    /// Sum of commit latencies, in microseconds (divide by `batches` for the mean).
    pub commit_micros_total: AtomicU64,
    /// Longest commit so far, in microseconds.
    pub commit_micros_max: AtomicU64,
    /// Batches whose transaction failed and were split into single calls.
    pub batch_failures: AtomicU64,
    /// Batches the database aborted to break a deadlock or conflict, run again.
    pub transient_retries: AtomicU64,
    /// Calls refused with `OVERLOADED` because the queue was full.
    pub rejected_overloaded: AtomicU64,
    /// Calls handed to the writer and not answered yet, queued or in a batch being
    /// written (a gauge).
    pub pending: AtomicU64,
    /// Per call: from its arrival at the writer to the start of the batch that holds it.
    pub queue_wait: Histogram,
    /// Per batch: its transaction, begin to commit (committed batches only).
    pub commit_latency: Histogram,
}

struct Job {
    request: CastRequest,
    attempts: u8,
    /// When the call reached the writer; taken when its queue wait is recorded (so a
    /// call retried or split out of a failed batch counts its wait once).
    queued_at: Option<Instant>,
    /// The caller's span, which the batch span links (a disabled span when traces are
    /// off).
    span: tracing::Span,
    reply: oneshot::Sender<AppResult<CastOutcome>>,
    _pending: Pending,
}

/// Counts a call in [`WriterMetrics::pending`] for as long as its job exists.
struct Pending(Arc<WriterMetrics>);

impl Pending {
    fn new(metrics: &Arc<WriterMetrics>) -> Self {
        metrics.pending.fetch_add(1, Ordering::Relaxed);
        Pending(metrics.clone())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.0.pending.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The handle callers submit votes through.
#[derive(Clone)]
pub struct VoteWriter {
    queue: mpsc::Sender<Job>,
    stop: CancellationToken,
    abandon: CancellationToken,
    metrics: Arc<WriterMetrics>,
}

impl VoteWriter {
    /// Starts the writer task.
    pub fn start(
        store: Store,
        clock: Arc<dyn Clock>,
        sink: Arc<dyn CommitSink>,
        config: WriterConfig,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (queue, receiver) = mpsc::channel(config.queue_capacity.max(1));
        let (stop, abandon) = (CancellationToken::new(), CancellationToken::new());
        let metrics = Arc::new(WriterMetrics::default());
        let task = Task {
            store,
            clock,
            sink,
            config,
            metrics: metrics.clone(),
        };
        let handle = tokio::spawn(task.run(receiver, stop.clone(), abandon.clone()));
        (
            VoteWriter {
                queue,
                stop,
                abandon,
                metrics,
            },
            handle,
        )
    }

    /// Writes one call and returns its outcome once committed.
    pub async fn submit(&self, request: CastRequest) -> AppResult<CastOutcome> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            request,
            attempts: 0,
            queued_at: Some(Instant::now()),
            span: tracing::Span::current(),
            reply,
            _pending: Pending::new(&self.metrics),
        };
        self.queue.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => {
                self.metrics
                    .rejected_overloaded
                    .fetch_add(1, Ordering::Relaxed);
                AppError::Overloaded {
                    retry_after: Duration::from_secs(1),
                }
            }
            mpsc::error::TrySendError::Closed(_) => AppError::Overloaded {
                retry_after: Duration::from_secs(1),
            },
        })?;
        answer.await.map_err(|_| {
            AppError::Internal(anyhow::anyhow!(
                "the vote writer stopped before this call's batch was decided"
            ))
        })?
    }

    /// Calls waiting in the queue now.
    pub fn queue_depth(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// The writer's counters.
    pub fn metrics(&self) -> &WriterMetrics {
        &self.metrics
    }

    /// Stops taking calls; the ones queued are still written.
    pub fn close(&self) {
        self.stop.cancel();
    }

    /// Stops taking calls and answers every call still waiting, now: a queued call was
    /// never written, so it gets `OVERLOADED` (a retry with its key is safe); a call in
    /// a batch being written is cut off and gets `INTERNAL`, its outcome unknown (a
    /// retry with its key replays the ballot if it was committed). For a shutdown past
    /// its grace period, when waiting longer is not an option.
    pub fn abandon(&self) {
        self.stop.cancel();
        self.abandon.cancel();
    }
}

struct Task {
    store: Store,
    clock: Arc<dyn Clock>,
    sink: Arc<dyn CommitSink>,
    config: WriterConfig,
    metrics: Arc<WriterMetrics>,
}

impl Task {
    async fn run(
        self,
        mut receiver: mpsc::Receiver<Job>,
        stop: CancellationToken,
        abandon: CancellationToken,
    ) {
        let task = Arc::new(self);
        // Undecided calls come back here from the batch tasks; bounded in practice by
        // the calls in flight.
        let (retry_tx, mut retry_rx) = mpsc::unbounded_channel::<Vec<Job>>();
        let mut running = JoinSet::new();
        tokio::select! {
            () = task.drain(&mut receiver, &mut running, &retry_tx, &mut retry_rx, &stop) => {
                tracing::info!("vote writer drained and stopped");
            }
            () = abandon.cancelled() => {
                // Batches being written: cut off; dropping their calls answers them.
                running.abort_all();
                receiver.close();
                let mut unwritten = 0;
                while let Ok(job) = receiver.try_recv() {
                    refuse(job);
                    unwritten += 1;
                }
                while let Ok(jobs) = retry_rx.try_recv() {
                    unwritten += jobs.len();
                    jobs.into_iter().for_each(refuse);
                }
                tracing::warn!(unwritten, cut_off = running.len(), "vote writer abandoned: calls still waiting were answered with errors");
            }
        }
    }

    /// Writes batches until closed and drained.
    async fn drain(
        self: &Arc<Self>,
        receiver: &mut mpsc::Receiver<Job>,
        running: &mut JoinSet<()>,
        retry_tx: &mpsc::UnboundedSender<Vec<Job>>,
        retry_rx: &mut mpsc::UnboundedReceiver<Vec<Job>>,
        stop: &CancellationToken,
    ) {
        let task = self;
        let permits = Arc::new(Semaphore::new(task.config.writers.max(1)));
        let mut closing = false;
        loop {
            while running.try_join_next().is_some() {}
            // Wait for a free writer first: meanwhile the queue fills the next batch.
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let mut batch: Vec<Job> = Vec::new();
            while let Ok(jobs) = retry_rx.try_recv() {
                batch.extend(jobs);
            }
            if batch.is_empty() {
                tokio::select! {
                    biased;
                    Some(jobs) = retry_rx.recv() => batch.extend(jobs),
                    job = receiver.recv() => match job {
                        Some(job) => batch.push(job),
                        // Closed and drained: done once nothing is in flight.
                        None if running.is_empty() => break,
                        None => {
                            drop(permit);
                            running.join_next().await;
                            continue;
                        }
                    },
                    () = stop.cancelled(), if !closing => {
                        // Refuse new calls, keep draining what is queued.
                        receiver.close();
                        closing = true;
                        continue;
                    }
                }
            }
            task.fill(receiver, &mut batch).await;
            let (task, retry_tx) = (task.clone(), retry_tx.clone());
            running.spawn(async move {
                let retries = task.write(batch).await;
                drop(permit);
                if !retries.is_empty() {
                    let _ = retry_tx.send(retries);
                }
            });
        }
    }

    /// Takes more queued calls until the batch is full or the linger time is over.
    async fn fill(&self, receiver: &mut mpsc::Receiver<Job>, batch: &mut Vec<Job>) {
        let deadline = tokio::time::Instant::now() + self.config.max_wait;
        while batch.len() < self.config.max_batch {
            let room = self.config.max_batch - batch.len();
            match tokio::time::timeout_at(deadline, receiver.recv_many(batch, room)).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }

    /// Writes a batch in its own span, linked to the span of every call in it.
    async fn write(&self, batch: Vec<Job>) -> Vec<Job> {
        let span = tracing::debug_span!("vote batch", size = batch.len());
        if !span.is_disabled() {
            for job in &batch {
                crate::telemetry::link(&span, &job.span);
            }
        }
        self.write_batch(batch).instrument(span).await
    }

    /// Writes a batch, answers its callers, and returns the calls to run again.
    async fn write_batch(&self, mut batch: Vec<Job>) -> Vec<Job> {
        let requests: Vec<CastRequest> = batch.iter().map(|j| j.request.clone()).collect();
        let started = Instant::now();
        // A call's wait ends when its first batch starts.
        for queued_at in batch.iter_mut().filter_map(|j| j.queued_at.take()) {
            self.metrics
                .queue_wait
                .observe(started.saturating_duration_since(queued_at));
        }
        let transaction = tracing::debug_span!(
            "sql: vote batch transaction",
            db.system = db_system(self.store.backend())
        );
        let committed = self
            .store
            .commit_cast_batch(&requests, &*self.clock)
            .instrument(transaction)
            .await;
        match committed {
            Ok(result) => {
                self.record(batch.len(), started.elapsed());
                let recorded: Vec<RecordedVote> = batch
                    .iter()
                    .zip(&result.outcomes)
                    .filter_map(|(job, outcome)| match outcome {
                        CastOutcome::Recorded(vote) => Some(RecordedVote {
                            vote: vote.clone(),
                            key: job.request.key.clone(),
                            request_hash: job.request.request_hash.clone(),
                        }),
                        _ => None,
                    })
                    .collect();
                if !recorded.is_empty() {
                    self.sink
                        .committed(Committed {
                            recorded,
                            tallies: result.tallies,
                        })
                        .await;
                }
                batch
                    .into_iter()
                    .zip(result.outcomes)
                    .filter_map(|(job, outcome)| answer(job, Ok(outcome)))
                    .collect()
            }
            // Aborted to break a deadlock or conflict: it did nothing, so run it again.
            Err(error) if is_transient(&error) => {
                tracing::debug!(error = %error, size = batch.len(), "vote batch aborted by the database; running it again");
                self.metrics
                    .transient_retries
                    .fetch_add(1, Ordering::Relaxed);
                batch
                    .into_iter()
                    .filter_map(|job| answer(job, Ok(CastOutcome::Retry)))
                    .collect()
            }
            Err(error) if batch.len() > 1 => {
                tracing::warn!(error = %error, size = batch.len(), "vote batch failed; writing its calls one by one");
                self.metrics.batch_failures.fetch_add(1, Ordering::Relaxed);
                let mut retries = Vec::new();
                for job in batch {
                    retries.extend(Box::pin(self.write(vec![job])).await);
                }
                retries
            }
            Err(error) => batch
                .into_iter()
                .filter_map(|job| {
                    answer(
                        job,
                        Err(AppError::Internal(
                            anyhow::Error::new(error.clone()).context("writing a vote"),
                        )),
                    )
                })
                .collect(),
        }
    }

    fn record(&self, size: usize, latency: Duration) {
        let m = &self.metrics;
        let size = size as u64;
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        m.batches.fetch_add(1, Ordering::Relaxed);
        m.calls.fetch_add(size, Ordering::Relaxed);
        m.last_batch_size.store(size, Ordering::Relaxed);
        m.max_batch_size.fetch_max(size, Ordering::Relaxed);
        m.commit_micros_total.fetch_add(micros, Ordering::Relaxed);
        m.commit_micros_max.fetch_max(micros, Ordering::Relaxed);
        m.commit_latency.observe(latency);
    }
}

/// Answers a job that will not be written: the writer is giving up (see
/// [`VoteWriter::abandon`]).
fn refuse(job: Job) {
    let _ = job.reply.send(Err(AppError::Overloaded {
        retry_after: Duration::from_secs(1),
    }));
}

/// Sends a job its outcome, or hands it back when it must run again.
fn answer(mut job: Job, outcome: AppResult<CastOutcome>) -> Option<Job> {
    match outcome {
        Ok(CastOutcome::Retry) if job.attempts + 1 < MAX_ATTEMPTS => {
            job.attempts += 1;
            Some(job)
        }
        Ok(CastOutcome::Retry) => {
            let _ = job.reply.send(Err(AppError::Internal(anyhow::anyhow!(
                "a vote stayed undecided after {MAX_ATTEMPTS} batches"
            ))));
            None
        }
        other => {
            // The caller may have gone (timeout, disconnect); the vote stands regardless.
            let _ = job.reply.send(other);
            None
        }
    }
}

/// The OpenTelemetry `db.system` name of a backend.
fn db_system(backend: sea_orm::DbBackend) -> &'static str {
    match backend {
        sea_orm::DbBackend::Postgres => "postgresql",
        sea_orm::DbBackend::Sqlite => "sqlite",
        _ => "other_sql",
    }
}
