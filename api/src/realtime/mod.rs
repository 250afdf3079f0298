//! Live tallies to subscribers: the tally bus.
//!
//! Every committed change of a tally is published as a [`TallyEvent`]. Inside one
//! instance, events reach subscribers through the [`hub`]; across instances, through
//! Redis pub/sub ([`redis_bus`]): each instance holds one Redis channel subscription per
//! poll that has local subscribers (not one per client) and fans out in process.
//! Without Redis, events stay in process. Publishing also feeds the local hub directly,
//! so local subscribers never wait on Redis and keep receiving while it is down; the
//! copy that comes back through Redis is dropped as not newer.

pub mod closer;
pub mod hub;
pub mod pacing;
pub mod redis_bus;

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use uuid::Uuid;

pub use hub::{Hub, TallyFeed};
pub use pacing::{Pacing, Watcher};
pub use redis_bus::RedisBus;

use crate::domain::Tally;

/// A tally as published: the latest counts, and whether they are final (the poll closed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyEvent {
    /// The counts.
    pub tally: Tally,
    /// True when the poll is closed: no later event will follow.
    pub is_final: bool,
}

impl TallyEvent {
    /// Orders events of one poll: by version, and a final one after a non-final one of
    /// the same version (closing a poll does not change its counts).
    pub fn order_key(&self) -> (i64, bool) {
        (self.tally.version, self.is_final)
    }
}

/// Where tally events are published.
#[async_trait]
pub trait TallyPublisher: Send + Sync + 'static {
    /// Publishes events to every instance's subscribers.
    async fn publish(&self, events: Vec<TallyEvent>);
}

/// The bus of this instance: the hub, and Redis when configured.
#[derive(Clone)]
pub struct Realtime {
    hub: Arc<Hub>,
    /// Set once, after start-up: the Redis side asks the live state (which publishes
    /// through this bus) for current tallies, so it is attached last.
    redis: Arc<OnceLock<RedisBus>>,
}

impl Realtime {
    /// A bus over `hub`, in process until [`Realtime::attach`] adds Redis.
    pub fn new(hub: Arc<Hub>) -> Self {
        Realtime {
            hub,
            redis: Arc::default(),
        }
    }

    /// Spans instances through Redis from now on.
    pub fn attach(&self, redis: RedisBus) {
        let _ = self.redis.set(redis);
    }

    /// Joins the feed of a poll.
    pub fn subscribe(&self, poll: Uuid) -> Option<TallyFeed> {
        self.hub.join(poll)
    }

    /// The hub, for counts.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }
}

#[async_trait]
impl TallyPublisher for Realtime {
    async fn publish(&self, events: Vec<TallyEvent>) {
        for event in &events {
            self.hub.ingest(event.clone());
        }
        if let Some(redis) = self.redis.get() {
            redis.publish(&events).await;
        }
    }
}
