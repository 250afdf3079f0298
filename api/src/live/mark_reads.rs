//! Voter-mark reads, coalesced: one `MGET` per poll for the calls that arrived together.
//!
//! Every `castVote` reads its voter's mark before anything else, so at thousands of
//! votes a second those reads were a third of the commands Redis and our client handled.
//! Here one task takes the waiting reads, sends one `MGET` per poll (a poll's marks share
//! its hash tag, hence one cluster slot), answers each caller, and takes the next group:
//! reads that arrive while a round is out wait for it, so groups grow with the load and
//! an idle server adds no delay. A read that cannot be queued or answered is
//! [`Unavailable`], which the vote path treats as "no mark" — the database decides.

use std::collections::HashMap;

use fred::prelude::*;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::Unavailable;
use crate::redis::RedisClient;

/// Reads waiting for the task at most; past it, callers go without a mark.
pub const QUEUE: usize = 8192;
/// Reads in one round at most.
pub const ROUND: usize = 1024;

type Answer = Result<Option<String>, Unavailable>;

struct Read {
    poll: Uuid,
    user: Uuid,
    reply: oneshot::Sender<Answer>,
}

/// The handle callers read marks through; the task ends when it is dropped.
pub struct MarkReads {
    queue: mpsc::Sender<Read>,
}

impl MarkReads {
    /// Starts the reading task on the current runtime.
    pub fn start(redis: RedisClient) -> Self {
        let (queue, reads) = mpsc::channel(QUEUE);
        tokio::spawn(run(redis, reads));
        MarkReads { queue }
    }

    /// The stored mark of `user` on `poll`, as Redis holds it.
    pub async fn read(&self, poll: Uuid, user: Uuid) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.queue
            .try_send(Read { poll, user, reply })
            .map_err(|_| Unavailable)?;
        answer.await.map_err(|_| Unavailable)?
    }
}

async fn run(redis: RedisClient, mut reads: mpsc::Receiver<Read>) {
    let mut round = Vec::with_capacity(ROUND);
    while reads.recv_many(&mut round, ROUND).await > 0 {
        let mut by_poll: HashMap<Uuid, Vec<Read>> = HashMap::new();
        for read in round.drain(..) {
            by_poll.entry(read.poll).or_default().push(read);
        }
        futures::future::join_all(by_poll.into_iter().map(|(poll, reads)| {
            let redis = &redis;
            async move {
                let keys: Vec<String> = reads
                    .iter()
                    .map(|r| redis.keys().voter(poll, r.user))
                    .collect();
                match redis.cmd().mget::<Vec<Option<String>>, _>(keys).await {
                    Ok(values) if values.len() == reads.len() => {
                        for (read, value) in reads.into_iter().zip(values) {
                            let _ = read.reply.send(Ok(value));
                        }
                    }
                    outcome => {
                        if let Err(e) = outcome {
                            redis.failed("read voter marks", &e);
                        }
                        for read in reads {
                            let _ = read.reply.send(Err(Unavailable));
                        }
                    }
                }
            }
        }))
        .await;
    }
}
