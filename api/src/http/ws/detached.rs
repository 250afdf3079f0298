//! Work of a connection's operations that must finish whether or not the connection's
//! loop is polling it.
//!
//! One task serves a connection ([`super::connection`]), and an operation's future
//! makes progress only while that loop polls it. A database read holds a pool
//! connection from when it is sent until it is polled to completion; the loop polls
//! nothing else while it waits on something (a write to a client that does not read,
//! a read of its own), so reads of a connection's operations held pool connections for
//! as long, and a client could take every connection of the pool and stall the whole
//! instance until the pool's acquire timeout (found by the fuzz tests). So the
//! database work of operations runs on tasks of its own: admission checks through
//! [`detached`], executions through [`forwarded`]; what waits on the client is only
//! their finished results. Both stop their task when dropped (the operation completed,
//! or the connection closed).

use std::future::Future;

use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::task::AbortHandle;
use tokio_stream::wrappers::ReceiverStream;
use tracing::Instrument;

/// Aborts a task when dropped.
struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `work` to completion on a task of its own; its output, or `None` when the task
/// failed (it panicked). Dropping the returned future stops the task.
pub async fn detached<T: Send + 'static>(
    work: impl Future<Output = T> + Send + 'static,
) -> Option<T> {
    let task = tokio::spawn(work.in_current_span());
    let _stop = AbortOnDrop(task.abort_handle());
    task.await.ok()
}

/// `stream`, driven by a task of its own at most one item ahead of its reader (so a
/// slow reader holds at most one finished item, never a half-done read). Dropping the
/// returned stream stops the task.
pub fn forwarded<T: Send + 'static>(mut stream: BoxStream<'static, T>) -> BoxStream<'static, T> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let task = tokio::spawn(
        async move {
            while let Some(item) = stream.next().await {
                if tx.send(item).await.is_err() {
                    break;
                }
            }
        }
        .in_current_span(),
    );
    let stop = AbortOnDrop(task.abort_handle());
    ReceiverStream::new(rx)
        .map(move |item| {
            let _stop = &stop;
            item
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn detached_work_finishes_though_nobody_polls_for_its_result() {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let waiting = detached(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            flag.store(true, Ordering::SeqCst);
            7
        });
        let mut waiting = Box::pin(waiting);
        // Polled once (the task starts), then left alone.
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(done.load(Ordering::SeqCst));
        assert_eq!(waiting.await, Some(7));
    }

    #[tokio::test]
    async fn a_forwarded_stream_runs_one_item_ahead_and_stops_when_dropped() {
        let produced = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = produced.clone();
        let source = futures::stream::iter(0..100)
            .map(move |i| {
                count.fetch_add(1, Ordering::SeqCst);
                i
            })
            .boxed();
        let mut items = forwarded(source);
        assert_eq!(items.next().await, Some(0));
        tokio::time::sleep(Duration::from_millis(50)).await;
        // One read, one waiting in the channel, one waiting to be sent.
        assert!(produced.load(Ordering::SeqCst) <= 3);
        drop(items);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(produced.load(Ordering::SeqCst) <= 3);
    }
}
