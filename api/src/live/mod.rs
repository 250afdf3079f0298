//! Live state beside the database: each poll's latest tally (what results are read
//! from) and, per voter, a mark saying how they voted (the repeat-voter fast path).
//!
//! Kept in Redis when configured ([`redis`]), shared by every instance; in process
//! otherwise ([`local`]). Either way it is a cache of what the database committed:
//!
//! - tallies are whole snapshots with the poll's `version`, written after each commit
//!   only if newer than what is there, so writers from many instances can never move a
//!   tally backwards or double-count; a missing tally is rebuilt from the database;
//! - a mark records that a key was used, with what input and which ballot it made: a
//!   fact that stays true for ever (keys are kept with the audit log), whatever became
//!   of the ballot since. So a mark is never withdrawn, and it may be stale, late or
//!   brought back by a Redis restored from disk: the vote service answers from it only
//!   what such a fact proves (see [`crate::service::VoteService::cast`]). Its absence
//!   proves nothing, so a lost Redis costs speed, never correctness;
//! - [`reconcile`] compares tallies with the database on an interval and repairs them.

pub mod codec;
mod local;
mod reconcile;
mod redis;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use local::LocalLive;
pub use reconcile::spawn_reconciler;
pub use redis::RedisLive;

use crate::clock::Clock;
use crate::domain::{Ballot, IdempotencyKey, PollStatus, RequestHash, Tally, Vote};
use crate::error::AppResult;
use crate::latency::timed;
use crate::metrics::AppCounters;
use crate::realtime::redis_bus::CurrentTallies;
use crate::realtime::{TallyEvent, TallyPublisher};
use crate::store::{CommitSink, Committed, Store};
use tracing::Instrument as _;

/// How a voter's ballot was cast under one key: enough to replay that call's answer, or
/// to refuse the key with another input. Whether the voter *still* has a ballot is not
/// something a mark can say (it may predate a retraction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The ballot's id.
    pub vote_id: Uuid,
    /// The ballot cast.
    pub ballot: Ballot,
    /// When it was cast.
    pub cast_at: DateTime<Utc>,
    /// The key of the cast.
    pub key: IdempotencyKey,
    /// The fingerprint of the cast's input.
    pub request_hash: RequestHash,
}

impl Mark {
    /// The ballot as first answered.
    pub fn vote(&self, poll_id: Uuid, user_id: Uuid) -> Vote {
        Vote {
            id: self.vote_id,
            poll_id,
            user_id,
            ballot: self.ballot.clone(),
            cast_at: self.cast_at,
            updated_at: self.cast_at,
        }
    }
}

/// The live store could not be reached; the caller goes on without it.
#[derive(Debug)]
pub struct Unavailable;

/// Where live tallies and marks are kept.
#[async_trait]
pub trait LiveStore: Send + Sync + 'static {
    /// The kept tallies of these polls, in order (`None` where none is kept).
    async fn tallies(&self, polls: &[Uuid]) -> Result<Vec<Option<Tally>>, Unavailable>;
    /// Keeps the tallies that are newer than the kept ones.
    async fn put_tallies(&self, tallies: &[Tally]) -> Result<(), Unavailable>;
    /// Replaces a tally found wrong, only if the kept one is still `found` (`None`:
    /// still absent), so a newer tally written meanwhile is never overwritten.
    async fn repair_tally(&self, tally: &Tally, found: Option<&Tally>)
    -> Result<bool, Unavailable>;
    /// The mark of `user` on `poll`, if kept.
    async fn mark(&self, poll: Uuid, user: Uuid) -> Result<Option<Mark>, Unavailable>;
    /// Keeps marks.
    async fn put_marks(&self, marks: &[(Uuid, Uuid, Mark)]) -> Result<(), Unavailable>;
}

/// Live tallies and marks, with the database behind them.
#[derive(Clone)]
pub struct LiveState {
    live: Arc<dyn LiveStore>,
    store: Store,
    clock: Arc<dyn Clock>,
    counters: Arc<AppCounters>,
    publisher: Arc<dyn TallyPublisher>,
    /// Polls whose tally changed lately (or whose live write failed), with when: the
    /// reconciler checks these until they have been quiet for a while.
    touched: Arc<Mutex<HashMap<Uuid, Instant>>>,
}

impl LiveState {
    /// Live state kept in `live`.
    pub fn new(
        live: Arc<dyn LiveStore>,
        store: Store,
        clock: Arc<dyn Clock>,
        counters: Arc<AppCounters>,
        publisher: Arc<dyn TallyPublisher>,
    ) -> Self {
        LiveState {
            live,
            store,
            clock,
            counters,
            publisher,
            touched: Arc::default(),
        }
    }

    fn live_events(tallies: &[Tally]) -> Vec<TallyEvent> {
        tallies
            .iter()
            .map(|tally| TallyEvent {
                tally: tally.clone(),
                is_final: false,
            })
            .collect()
    }

    fn touch(&self, polls: impl IntoIterator<Item = Uuid>) {
        let now = Instant::now();
        self.touched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(polls.into_iter().map(|p| (p, now)));
    }

    /// Current tallies of these polls: from the live store, rebuilt from the database
    /// where missing (or everywhere, when the live store is unreachable).
    pub async fn tallies(&self, polls: &[Uuid]) -> AppResult<Vec<Tally>> {
        let kept = self
            .live
            .tallies(polls)
            .await
            .unwrap_or_else(|Unavailable| vec![None; polls.len()]);
        let missing: Vec<Uuid> = polls
            .iter()
            .zip(&kept)
            .filter(|(_, t)| t.is_none())
            .map(|(p, _)| *p)
            .collect();
        let mut found: Vec<Tally> = kept.into_iter().flatten().collect();
        if !missing.is_empty() {
            let rebuilt = self.store.tallies(&missing, self.clock.now()).await?;
            if !rebuilt.is_empty() && self.live.put_tallies(&rebuilt).await.is_err() {
                self.touch(missing.iter().copied());
            }
            found.extend(rebuilt);
        }
        Ok(found)
    }

    /// The mark of `user` on `poll`; `None` when unknown or the store is unreachable.
    pub async fn mark(&self, poll: Uuid, user: Uuid) -> Option<Mark> {
        self.live.mark(poll, user).await.ok().flatten()
    }

    /// A tally changed outside the vote writer (a change or retraction).
    pub async fn tally_changed(&self, tally: Tally) {
        self.touch([tally.poll_id]);
        let _ = self.live.put_tallies(std::slice::from_ref(&tally)).await;
        self.publisher.publish(Self::live_events(&[tally])).await;
    }

    /// A poll closed: its final tally goes out to every subscriber.
    pub async fn poll_closed(&self, poll: Uuid) -> AppResult<()> {
        let tallies = self.store.tallies(&[poll], self.clock.now()).await?;
        let _ = self.live.put_tallies(&tallies).await;
        let events = tallies
            .into_iter()
            .map(|tally| TallyEvent {
                tally,
                is_final: true,
            })
            .collect();
        self.publisher.publish(events).await;
        Ok(())
    }

    /// The counters this state reports to.
    pub fn counters(&self) -> &AppCounters {
        &self.counters
    }
}

#[async_trait]
impl CommitSink for LiveState {
    async fn committed(&self, batch: Committed) {
        self.touch(batch.tallies.iter().map(|t| t.poll_id));
        let marks: Vec<(Uuid, Uuid, Mark)> = batch
            .recorded
            .into_iter()
            .map(|r| {
                let mark = Mark {
                    vote_id: r.vote.id,
                    ballot: r.vote.ballot,
                    cast_at: r.vote.cast_at,
                    key: r.key,
                    request_hash: r.request_hash,
                };
                (r.vote.poll_id, r.vote.user_id, mark)
            })
            .collect();
        // All before the callers are answered, so a voter who reads results right after
        // voting sees their vote; all at once, so a Redis that stalls costs the batch
        // one timeout, not three.
        let events = Self::live_events(&batch.tallies);
        let stages = &self.counters.after_commit;
        // Each step is a span of the batch's trace (Redis round trips when configured).
        let (_, _, ()) = tokio::join!(
            timed(&stages.tallies, self.live.put_tallies(&batch.tallies))
                .instrument(tracing::debug_span!("live: put tallies")),
            timed(&stages.marks, self.live.put_marks(&marks))
                .instrument(tracing::debug_span!("live: put voter marks")),
            timed(&stages.publish, self.publisher.publish(events))
                .instrument(tracing::debug_span!("bus: publish tallies"))
        );
    }
}

#[async_trait]
impl CurrentTallies for LiveState {
    async fn current(&self, polls: &[Uuid]) -> Vec<TallyEvent> {
        let (tallies, rows) = tokio::join!(self.tallies(polls), self.store.find_polls(polls));
        let (Ok(tallies), Ok(rows)) = (tallies, rows) else {
            tracing::warn!("could not read current tallies to resynchronise subscribers");
            return Vec::new();
        };
        let now = self.clock.now();
        tallies
            .into_iter()
            .map(|tally| TallyEvent {
                is_final: rows
                    .iter()
                    .any(|p| p.id == tally.poll_id && p.status(now) == PollStatus::Closed),
                tally,
            })
            .collect()
    }
}
