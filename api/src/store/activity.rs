//! Counting a poll's audit-log events per time bucket, in the database.
//!
//! The owner's activity chart asks "how many ballots were cast, changed and retracted in
//! each minute"; the database groups the `vote_events` rows of the window (served by the
//! `(poll_id, at)` index) and sends back one row per bucket and action that has any, so
//! a poll of a million ballots costs a few hundred rows, not a million. Buckets are whole
//! multiples of the bucket length since the Unix epoch, numbered the same way on both
//! backends, so the service can lay them on a dense axis.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use uuid::Uuid;

use super::Store;
use crate::error::AppResult;

/// One bucket's count of one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityCount {
    /// The bucket: seconds since the epoch divided by the bucket length, rounded down.
    pub bucket: i64,
    /// `cast`, `changed` or `retracted`, as the audit log writes it.
    pub action: String,
    /// How many events.
    pub events: i64,
}

impl Store {
    /// The poll's audit events in `[since, until)`, counted per `bucket_secs` bucket and
    /// action; buckets without events are left out.
    pub async fn activity_counts(
        &self,
        poll_id: Uuid,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        bucket_secs: i64,
    ) -> AppResult<Vec<ActivityCount>> {
        let backend = self.backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "SELECT floor(extract(epoch FROM at) / $4)::bigint AS bucket, action, \
                 count(*)::bigint AS events FROM vote_events \
                 WHERE poll_id = $1 AND at >= $2 AND at < $3 GROUP BY 1, 2"
            }
            // Placeholders bind in order on SQLite; the bucket length comes first.
            _ => {
                "SELECT CAST(strftime('%s', at) AS INTEGER) / ? AS bucket, action, \
                 COUNT(*) AS events FROM vote_events \
                 WHERE poll_id = ? AND at >= ? AND at < ? GROUP BY 1, 2"
            }
        };
        let (poll, since, until, length) = (
            Value::from(poll_id),
            Value::from(since),
            Value::from(until),
            Value::from(bucket_secs),
        );
        let values = match backend {
            DbBackend::Postgres => vec![poll, since, until, length],
            _ => vec![length, poll, since, until],
        };
        let rows = self
            .conn()
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ActivityCount {
                    bucket: row.try_get("", "bucket")?,
                    action: row.try_get("", "action")?,
                    events: row.try_get("", "events")?,
                })
            })
            .collect()
    }
}
