//! The owner's view of a poll's activity: ballots cast, changed and retracted per
//! minute (or hour), from the audit log, so a burst of votes is visible at a glance.
//!
//! The database counts (see [`Store::activity_counts`]); this module decides the window,
//! refuses what is too large before asking, and lays the counts on a dense axis (a bucket
//! without events is a zero, so a chart draws gaps as gaps).

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use crate::clock::Clock;
use crate::domain::Poll;
use crate::error::{AppError, AppResult};
use crate::store::Store;

/// Most buckets one request may ask for: a day of minutes. Bounds the rows the database
/// groups into and the size of the answer.
pub const ACTIVITY_MAX_BUCKETS: i64 = 1440;

/// How long one bucket of the activity series is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityInterval {
    /// 60 seconds.
    Minute,
    /// 3,600 seconds.
    Hour,
}

impl ActivityInterval {
    /// The bucket's length in seconds.
    pub fn seconds(self) -> i64 {
        match self {
            ActivityInterval::Minute => 60,
            ActivityInterval::Hour => 3600,
        }
    }
}

/// What happened to a poll's ballots in one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ActivityBucket {
    /// When the bucket starts (it ends one interval later).
    pub start: DateTime<Utc>,
    /// Ballots cast.
    pub cast: i64,
    /// Ballots changed.
    pub changed: i64,
    /// Ballots retracted.
    pub retracted: i64,
}

/// A poll's activity over a window, one bucket per interval, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// The window's start (a bucket boundary).
    pub since: DateTime<Utc>,
    /// The window's end, exclusive (a bucket boundary).
    pub until: DateTime<Utc>,
    /// The bucket length.
    pub interval: ActivityInterval,
    /// Every bucket of the window, empty ones included.
    pub buckets: Vec<ActivityBucket>,
}

/// Reads polls' activity for their owners.
#[derive(Clone)]
pub struct ActivityService {
    store: Store,
    clock: Arc<dyn Clock>,
}

fn instant(seconds: i64) -> AppResult<DateTime<Utc>> {
    Utc.timestamp_opt(seconds, 0)
        .single()
        .ok_or_else(|| AppError::bad_input("since", "the window is out of range"))
}

impl ActivityService {
    /// The service over its ports.
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        ActivityService { store, clock }
    }

    /// The poll's activity from `since` (default: the poll's creation, or as far back
    /// as [`ACTIVITY_MAX_BUCKETS`] reach) until `until` (default: now), widened to whole
    /// buckets. `FORBIDDEN` for anyone but the owner; `BAD_USER_INPUT` when `since` is
    /// not before `until` or the window holds more than [`ACTIVITY_MAX_BUCKETS`].
    pub async fn activity(
        &self,
        poll: &Poll,
        viewer: Option<Uuid>,
        interval: ActivityInterval,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> AppResult<Activity> {
        if viewer != Some(poll.owner_id) {
            return Err(AppError::Forbidden(
                "only the poll's owner sees its activity".into(),
            ));
        }
        let length = interval.seconds();
        let until = until.unwrap_or_else(|| self.clock.now());
        // The bucket holding `until` is included, so "until now" shows this minute.
        let last = until.timestamp().div_euclid(length);
        let first = match since {
            Some(since) => since.timestamp().div_euclid(length),
            None => poll
                .created_at
                .timestamp()
                .div_euclid(length)
                .max(last + 1 - ACTIVITY_MAX_BUCKETS),
        };
        if first > last {
            return Err(AppError::bad_input("since", "since must be before until"));
        }
        let count = last - first + 1;
        if count > ACTIVITY_MAX_BUCKETS {
            return Err(AppError::bad_input(
                "since",
                format!(
                    "the window holds {count} buckets; at most {ACTIVITY_MAX_BUCKETS} \
                     (use a shorter window or a longer interval)"
                ),
            ));
        }
        let (since, until) = (instant(first * length)?, instant((last + 1) * length)?);
        let mut buckets: Vec<ActivityBucket> = (first..=last)
            .map(|b| {
                Ok(ActivityBucket {
                    start: instant(b * length)?,
                    ..Default::default()
                })
            })
            .collect::<AppResult<_>>()?;
        for row in self
            .store
            .activity_counts(poll.id, since, until, length)
            .await?
        {
            let Some(bucket) = usize::try_from(row.bucket - first)
                .ok()
                .and_then(|i| buckets.get_mut(i))
            else {
                continue;
            };
            match row.action.as_str() {
                "cast" => bucket.cast += row.events,
                "changed" => bucket.changed += row.events,
                "retracted" => bucket.retracted += row.events,
                other => tracing::warn!(action = other, "unknown audit action"),
            }
        }
        Ok(Activity {
            since,
            until,
            interval,
            buckets,
        })
    }
}
