//! Stopping in bounded time: the steps after SIGTERM (or SIGINT, or the shutdown
//! handle), each with a deadline, so the process ends whatever is stuck — a database or
//! Redis that does not answer, a reconnect loop, a background pass.
//!
//! | step | until |
//! |---|---|
//! | stop accepting; requests in flight run on; queued votes are written | the grace period (`TALLY_SHUTDOWN_GRACE_SECS`) |
//! | votes still waiting are answered with errors, and the answers sent | + [`ANSWER_MARGIN`] |
//! | connections still open are dropped; background tasks, Redis and the pool close | + [`CLEANUP_MARGIN`] |
//! | `main` drops tasks still running (WebSockets, blocking calls) | + [`RUNTIME_MARGIN`] |
//!
//! So the process exits at most [`SHUTDOWN_MARGIN`] after its grace period, and no vote
//! a caller waits for is dropped without an answer: it is written, or it is answered
//! `OVERLOADED` (never written; retry) or `INTERNAL` (cut off mid-batch; a retry with
//! the same key replays it if it was committed).

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::http::serve::Server;
use crate::redis::RedisClient;
use crate::store::{Store, VoteWriter};

/// After the grace period: time for connections to send the answers of the votes the
/// writer gave up on.
pub const ANSWER_MARGIN: Duration = Duration::from_secs(1);
/// After that: time for background tasks, Redis and the database pool to close.
pub const CLEANUP_MARGIN: Duration = Duration::from_secs(2);
/// After the application has stopped: time `main` gives tasks still running before the
/// runtime drops them (a blocking call cannot be interrupted; it is left behind).
pub const RUNTIME_MARGIN: Duration = Duration::from_secs(1);
/// The most the process outlives its grace period after being told to stop.
pub const SHUTDOWN_MARGIN: Duration = ANSWER_MARGIN
    .saturating_add(CLEANUP_MARGIN)
    .saturating_add(RUNTIME_MARGIN);

/// Everything running that must stop.
pub struct Running {
    /// The listeners and their connections.
    pub servers: Vec<Server>,
    /// The vote writer.
    pub writer: VoteWriter,
    /// Its task.
    pub writer_task: JoinHandle<()>,
    /// Stops the background tasks.
    pub background: CancellationToken,
    /// The background tasks (reconciler, closer, Redis bus).
    pub tasks: Vec<JoinHandle<()>>,
    /// Redis, when configured.
    pub redis: Option<RedisClient>,
    /// The database pool.
    pub store: Store,
}

/// When each step's time is up, counted from the stop signal.
#[derive(Debug, Clone, Copy)]
struct Deadlines {
    grace: Instant,
    answers: Instant,
    cleanup: Instant,
}

impl Deadlines {
    fn from_now(grace: Duration) -> Self {
        let grace = Instant::now() + grace;
        let answers = grace + ANSWER_MARGIN;
        Deadlines {
            grace,
            answers,
            cleanup: answers + CLEANUP_MARGIN,
        }
    }
}

impl Running {
    /// Runs the steps above; returns by the end of the cleanup margin at the latest.
    pub async fn stop(self, grace: Duration) {
        let deadlines = Deadlines::from_now(grace);
        // Requests in flight finish; their votes keep going to the writer meanwhile.
        self.servers.iter().for_each(Server::begin_shutdown);
        let drained = all_closed(&self.servers, deadlines.grace).await;
        // Votes still queued are written until the grace period ends; then answered.
        self.writer.close();
        finish_writer(&self.writer, self.writer_task, deadlines).await;
        // Connections waiting on those answers get to send them; then they go.
        if !drained && !all_closed(&self.servers, deadlines.answers).await {
            tracing::warn!("connections still open after the grace period; dropping them");
            self.servers.iter().for_each(Server::drop_connections);
        }
        // Whatever happened above, the rest gets its own margin (not past the last one).
        let cleanup = deadlines.cleanup.min(Instant::now() + CLEANUP_MARGIN);
        close_the_rest(self.background, self.tasks, self.redis, self.store, cleanup).await;
        tracing::info!("tally stopped");
    }
}

/// Stops the background tasks and closes Redis and the pool, side by side so that one
/// stuck step starves no other; what has not closed by `deadline` is left behind.
async fn close_the_rest(
    background: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    redis: Option<RedisClient>,
    store: Store,
    deadline: Instant,
) {
    background.cancel();
    let tasks = futures::future::join_all(
        tasks
            .into_iter()
            .map(|task| join_or_abort(task, deadline, "a background task")),
    );
    let redis = async {
        if let Some(redis) = redis
            && tokio::time::timeout_at(deadline, redis.quit())
                .await
                .is_err()
        {
            tracing::warn!("Redis did not acknowledge QUIT in time; leaving it");
        }
    };
    let pool = async {
        match tokio::time::timeout_at(deadline, store.close()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "closing the database pool failed"),
            Err(_) => tracing::warn!("the database pool did not close in time; leaving it"),
        }
    };
    tokio::join!(tasks, redis, pool);
}

/// Waits until every server's connections have closed, or `deadline`.
async fn all_closed(servers: &[Server], deadline: Instant) -> bool {
    for server in servers {
        if !server.closed_by(deadline).await {
            return false;
        }
    }
    true
}

/// Lets the writer drain until the grace period ends, then makes it answer what is
/// left (aborting its task if even that does not end by the answers' deadline).
async fn finish_writer(writer: &VoteWriter, mut task: JoinHandle<()>, deadlines: Deadlines) {
    if tokio::time::timeout_at(deadlines.grace, &mut task)
        .await
        .is_ok()
    {
        return;
    }
    tracing::warn!(
        queued = writer.queue_depth(),
        "grace period over with votes still pending; answering them with errors"
    );
    writer.abandon();
    join_or_abort(task, deadlines.answers, "the vote writer").await;
}

/// Waits for a task until `deadline`, then aborts it.
async fn join_or_abort(mut task: JoinHandle<()>, deadline: Instant, what: &str) {
    match tokio::time::timeout_at(deadline, &mut task).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, task = what, "task failed"),
        Err(_) => {
            tracing::warn!(task = what, "task did not stop in time; aborting it");
            task.abort();
        }
    }
}

/// Cancels `shutdown` on SIGINT or SIGTERM.
pub async fn cancel_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
        () = shutdown.cancelled() => {}
    }
    shutdown.cancel();
}
