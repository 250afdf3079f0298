//! In-process fan-out: one feed per poll with local subscribers, however many.
//!
//! A feed is two `watch` channels: events arrive in `raw`; a small pump task copies the
//! latest into `out` no more often than [`Pacing`] allows (a final tally at once).
//! Subscribers read `out`. A `watch` holds only the latest value, so a slow subscriber
//! skips to the newest tally instead of queueing old ones: it never holds others back
//! and never grows memory. A feed, its pump and (with Redis) its channel subscription
//! exist only while the poll has local subscribers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::watch;
use uuid::Uuid;

use super::TallyEvent;
use super::pacing::Pacing;

/// Told when a poll gains its first local subscriber or loses its last.
pub trait FeedObserver: Send + Sync + 'static {
    /// The poll now has local subscribers.
    fn opened(&self, poll: Uuid);
    /// The poll has no local subscribers left.
    fn closed(&self, poll: Uuid);
}

struct Feed {
    raw: watch::Sender<Option<TallyEvent>>,
    out: watch::Sender<Option<TallyEvent>>,
    subscribers: usize,
}

/// The feeds of this instance.
pub struct Hub {
    // A std mutex: held for map operations only, never across an await.
    feeds: Mutex<HashMap<Uuid, Feed>>,
    pacing: Pacing,
    observer: Mutex<Option<Arc<dyn FeedObserver>>>,
    me: Weak<Hub>,
    /// Moves with every event ingested, for any poll: what per-instance caches of
    /// answers compare to tell whether a tally changed since they were taken.
    changes: AtomicU64,
}

/// A subscriber's view of a poll's feed; leaving the feed when dropped.
pub struct TallyFeed {
    rx: watch::Receiver<Option<TallyEvent>>,
    hub: Arc<Hub>,
    poll: Uuid,
}

impl TallyFeed {
    /// Waits for a newer event than the last one read; `None` once the feed is gone.
    pub async fn next(&mut self) -> Option<TallyEvent> {
        loop {
            self.rx.changed().await.ok()?;
            if let Some(event) = self.rx.borrow_and_update().clone() {
                return Some(event);
            }
        }
    }
}

impl Drop for TallyFeed {
    fn drop(&mut self) {
        self.hub.leave(self.poll);
    }
}

/// Whether `new` should replace `kept`: a higher version, or the same one turned final.
fn newer(new: &TallyEvent, kept: Option<&TallyEvent>) -> bool {
    kept.is_none_or(|kept| new.order_key() > kept.order_key())
}

impl Hub {
    /// A hub whose feeds send as often as `pacing` allows.
    pub fn new(pacing: Pacing) -> Arc<Self> {
        Arc::new_cyclic(|me| Hub {
            feeds: Mutex::default(),
            pacing,
            observer: Mutex::default(),
            me: me.clone(),
            changes: AtomicU64::new(0),
        })
    }

    /// Sets who is told of feeds opening and closing (the Redis channel manager).
    pub fn observe(&self, observer: Arc<dyn FeedObserver>) {
        *self.observer.lock().unwrap_or_else(|p| p.into_inner()) = Some(observer);
    }

    fn observer(&self) -> Option<Arc<dyn FeedObserver>> {
        self.observer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Joins the feed of `poll`, opening it if needed.
    pub fn join(&self, poll: Uuid) -> Option<TallyFeed> {
        let hub = self.me.upgrade()?;
        let (rx, opened) = {
            let mut feeds = self.feeds.lock().unwrap_or_else(|p| p.into_inner());
            let opened = !feeds.contains_key(&poll);
            let feed = feeds.entry(poll).or_insert_with(|| self.open(poll));
            feed.subscribers += 1;
            (feed.out.subscribe(), opened)
        };
        if opened && let Some(observer) = self.observer() {
            observer.opened(poll);
        }
        Some(TallyFeed { rx, hub, poll })
    }

    fn open(&self, poll: Uuid) -> Feed {
        let (raw, raw_rx) = watch::channel(None);
        let (out, _) = watch::channel(None);
        tokio::spawn(pump(raw_rx, out.clone(), self.pacing.clone(), poll));
        Feed {
            raw,
            out,
            subscribers: 0,
        }
    }

    fn leave(&self, poll: Uuid) {
        let closed = {
            let mut feeds = self.feeds.lock().unwrap_or_else(|p| p.into_inner());
            match feeds.get_mut(&poll) {
                Some(feed) if feed.subscribers > 1 => {
                    feed.subscribers -= 1;
                    false
                }
                // Dropping the feed drops `raw`, which ends its pump.
                Some(_) => feeds.remove(&poll).is_some(),
                None => false,
            }
        };
        if closed && let Some(observer) = self.observer() {
            observer.closed(poll);
        }
    }

    /// Hands an event to the poll's feed, if it has local subscribers; older or equal
    /// events than the one held are ignored.
    pub fn ingest(&self, event: TallyEvent) {
        self.changes.fetch_add(1, Ordering::Release);
        let feeds = self.feeds.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(feed) = feeds.get(&event.tally.poll_id) {
            feed.raw.send_if_modified(|kept| {
                let replace = newer(&event, kept.as_ref());
                if replace {
                    *kept = Some(event);
                }
                replace
            });
        }
    }

    /// How many events were ingested so far (for any poll, local subscribers or not):
    /// an answer computed when this was `n` is current while it still is.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// The polls with local subscribers now.
    pub fn polls(&self) -> Vec<Uuid> {
        self.feeds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .copied()
            .collect()
    }
}

/// Copies the latest raw event to subscribers, at most once per `pacing.gap()` (final
/// at once).
async fn pump(
    mut raw: watch::Receiver<Option<TallyEvent>>,
    out: watch::Sender<Option<TallyEvent>>,
    pacing: Pacing,
    poll: Uuid,
) {
    let mut last: Option<tokio::time::Instant> = None;
    while raw.changed().await.is_ok() {
        let due = last.map_or_else(tokio::time::Instant::now, |last| last + pacing.gap());
        let is_final = raw.borrow().as_ref().is_some_and(|e| e.is_final);
        if !is_final && tokio::time::Instant::now() < due {
            // Events arriving meanwhile replace this one: subscribers get the latest.
            tokio::time::sleep_until(due).await;
        }
        let Some(event) = raw.borrow_and_update().clone() else {
            continue;
        };
        let as_of = event.tally.as_of;
        let sent = out.send_if_modified(|kept| {
            let replace = newer(&event, kept.as_ref());
            if replace {
                *kept = Some(event);
            }
            replace
        });
        if sent {
            // Wall clocks: across instances this includes their skew (NTP keeps it small).
            let age = (chrono::Utc::now() - as_of).to_std().unwrap_or_default();
            pacing.lag().observe(age);
        }
        last = Some(tokio::time::Instant::now());
    }
    tracing::trace!(%poll, "feed closed");
}
