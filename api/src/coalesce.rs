//! Calls that arrive together go together: one round trip for many callers.
//!
//! Every `castVote` takes a token from its voter's rate bucket and reads its voter mark
//! in Redis, and checks in the database that its token's account still exists, so at
//! thousands of votes a second one command per call was most of what Redis, the
//! database and our clients did (a Lua script costs Redis ~13 µs to start, whatever it
//! does; a query costs a pool checkout and a round trip). A [`Coalescer`] has one task
//! take every waiting call, run them as one round (one script, `MGET` or query, as its
//! handler decides), answer each caller, and take the next: calls that arrive while a
//! round is out wait for it, so rounds grow with the load and an idle server adds no
//! delay.
//!
//! A call that cannot be queued (more than [`QUEUE`] waiting) or answered is `None`:
//! callers treat it as the store being unavailable, which every use here survives.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

/// Calls waiting for the task at most.
pub const QUEUE: usize = 8192;
/// Calls in one round at most.
pub const ROUND: usize = 1024;

struct Call<Q, A> {
    question: Q,
    reply: oneshot::Sender<Option<A>>,
}

/// The handle callers go through; the task ends when the last handle is dropped.
pub struct Coalescer<Q, A> {
    queue: mpsc::Sender<Call<Q, A>>,
}

impl<Q: Send + 'static, A: Send + 'static> Coalescer<Q, A> {
    /// Starts the task on the current runtime. `round` answers a round's questions in
    /// their order (`None` where it could not).
    pub fn start<F, Fut>(round: F) -> Self
    where
        F: Fn(Vec<Q>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<Option<A>>> + Send + 'static,
    {
        let (queue, calls) = mpsc::channel(QUEUE);
        tokio::spawn(run(calls, round));
        Coalescer { queue }
    }

    /// The answer to `question`, from the next round; waited for no longer than the
    /// current request's Redis budget allows, inside one ([`crate::redis::budget`]).
    pub async fn call(&self, question: Q) -> Option<A> {
        let left = crate::redis::budget::remaining();
        if left.is_some_and(|left| left.is_zero()) {
            return None;
        }
        let (reply, answer) = oneshot::channel();
        self.queue.try_send(Call { question, reply }).ok()?;
        match left {
            Some(left) => tokio::time::timeout(left, answer)
                .await
                .ok()?
                .ok()
                .flatten(),
            None => answer.await.ok().flatten(),
        }
    }
}

async fn run<Q, A, F, Fut>(mut calls: mpsc::Receiver<Call<Q, A>>, round: F)
where
    F: Fn(Vec<Q>) -> Fut,
    Fut: Future<Output = Vec<Option<A>>>,
{
    let mut waiting = Vec::with_capacity(ROUND);
    while calls.recv_many(&mut waiting, ROUND).await > 0 {
        let (questions, replies): (Vec<Q>, Vec<_>) =
            waiting.drain(..).map(|c| (c.question, c.reply)).unzip();
        let mut answers = round(questions).await.into_iter();
        for reply in replies {
            let _ = reply.send(answers.next().flatten());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_caller_gets_its_own_answer_and_rounds_group_waiting_calls() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (rounds, asked) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (r, a) = (rounds.clone(), asked.clone());
        let doubler = Coalescer::start(move |questions: Vec<u32>| {
            r.fetch_add(1, Ordering::Relaxed);
            a.fetch_add(questions.len(), Ordering::Relaxed);
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                questions
                    .iter()
                    .map(|q| (q % 7 != 0).then_some(q * 2))
                    .collect()
            }
        });
        let answers = futures::future::join_all((1..=50).map(|q| doubler.call(q))).await;
        for (q, answer) in (1..=50).zip(answers) {
            assert_eq!(answer, (q % 7 != 0).then_some(q * 2));
        }
        assert_eq!(asked.load(Ordering::Relaxed), 50);
        assert!(
            rounds.load(Ordering::Relaxed) < 50,
            "calls that waited went together"
        );
    }

    #[tokio::test]
    async fn a_short_round_leaves_the_rest_unanswered() {
        let first_only = Coalescer::start(|questions: Vec<u32>| async move {
            questions.into_iter().take(1).map(Some).collect()
        });
        // All three wait before the task runs (one thread), so they make one round.
        let answers = futures::future::join_all((0..3).map(|q| first_only.call(q))).await;
        assert_eq!(answers, [Some(0), None, None]);
    }
}
