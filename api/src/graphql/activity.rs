//! `Poll.activity`: the owner's votes-over-time series, as GraphQL types.

use async_graphql::{Context, Enum, Result, SimpleObject};

use super::context::ContextExt;
use super::scalars::DateTime;
use crate::domain::Poll;
use crate::service::ActivityService;
use crate::service::activity::{self, Activity, ActivityBucket};

/// How long one bucket of `Poll.activity` is.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityInterval {
    /// One minute.
    Minute,
    /// One hour.
    Hour,
}

impl From<ActivityInterval> for activity::ActivityInterval {
    fn from(interval: ActivityInterval) -> Self {
        match interval {
            ActivityInterval::Minute => activity::ActivityInterval::Minute,
            ActivityInterval::Hour => activity::ActivityInterval::Hour,
        }
    }
}

/// What happened to a poll's ballots in one bucket of time.
#[derive(SimpleObject)]
#[graphql(name = "ActivityBucket")]
pub struct ActivityBucketNode {
    /// When the bucket starts; it ends one interval later.
    start: DateTime,
    /// Ballots cast in the bucket.
    cast: i64,
    /// Ballots changed in the bucket.
    changed: i64,
    /// Ballots retracted in the bucket.
    retracted: i64,
}

/// A poll's activity over a window: one bucket per interval, oldest first, empty
/// buckets included. Counted from the audit log in the database.
#[derive(SimpleObject)]
#[graphql(name = "PollActivity")]
pub struct PollActivityNode {
    /// The window's start (a bucket boundary).
    since: DateTime,
    /// The window's end, exclusive (a bucket boundary).
    until: DateTime,
    /// The bucket length, in seconds.
    interval_seconds: i32,
    /// Every bucket of the window.
    buckets: Vec<ActivityBucketNode>,
}

impl From<ActivityBucket> for ActivityBucketNode {
    fn from(b: ActivityBucket) -> Self {
        ActivityBucketNode {
            start: b.start.into(),
            cast: b.cast,
            changed: b.changed,
            retracted: b.retracted,
        }
    }
}

impl From<Activity> for PollActivityNode {
    fn from(a: Activity) -> Self {
        PollActivityNode {
            since: a.since.into(),
            until: a.until.into(),
            interval_seconds: a.interval.seconds() as i32,
            buckets: a.buckets.into_iter().map(Into::into).collect(),
        }
    }
}

/// `Poll.activity`, for the poll's owner.
pub async fn poll_activity(
    ctx: &Context<'_>,
    poll: &Poll,
    interval: ActivityInterval,
    since: Option<DateTime>,
    until: Option<DateTime>,
) -> Result<PollActivityNode> {
    let viewer = ctx.viewer().optional()?;
    let activity = ctx
        .service::<ActivityService>()
        .activity(
            poll,
            viewer,
            interval.into(),
            since.map(|d| d.0),
            until.map(|d| d.0),
        )
        .await?;
    Ok(activity.into())
}
