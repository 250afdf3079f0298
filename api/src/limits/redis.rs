//! Rate limits in Redis, shared by every instance: GCRA in one atomic script, timed by
//! the Redis server's clock so that instances with skewed clocks agree.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::*;
use fred::types::scripts::Script;

use super::{Bucket, Decision, Quota, RateStore, Unavailable};
use crate::redis::RedisClient;
use crate::redis::coalesce::Coalescer;

/// `KEYS[i]`: a bucket; `ARGV[2i - 1]`, `ARGV[2i]`: its interval and tolerance (ms).
/// Returns, per bucket in order, 0 when allowed, else the milliseconds to wait. Buckets
/// are taken one after another, so one named twice is taken twice.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local waits = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  local wait = tat - tolerance - now
  if wait > 0 then
    waits[i] = wait
  else
    local next_tat = tat + interval
    redis.call('SET', key, next_tat, 'PX', math.max(1, next_tat - now))
    waits[i] = 0
  end
end
return waits
";

/// `KEYS[1]`: the account's failure count; `ARGV[1]`: window (ms).
const COUNT_FAILURE: &str = r"
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n
";

/// Buckets and failure counts in Redis.
pub struct RedisLimiter {
    redis: RedisClient,
    /// Takes from one bucket (its key and quota): the milliseconds to wait, 0 if allowed.
    buckets: Coalescer<(String, Quota), i64>,
    count_failure: Script,
}

impl RedisLimiter {
    /// Limits kept in `redis`. Starts the task that takes from buckets, on the current
    /// runtime.
    pub fn new(redis: RedisClient) -> Self {
        let gcra = Arc::new(Script::from_lua(GCRA));
        RedisLimiter {
            buckets: Coalescer::start({
                let redis = redis.clone();
                move |takes| take_from_buckets(redis.clone(), gcra.clone(), takes)
            }),
            redis,
            count_failure: Script::from_lua(COUNT_FAILURE),
        }
    }

    fn failures_key(&self, account: &str) -> String {
        self.redis.keys().rate("failed-login", account)
    }
}

fn millis(d: Duration) -> String {
    d.as_millis().to_string()
}

/// A round of bucket takes: one script for all of them (one per slot on a cluster).
async fn take_from_buckets(
    redis: RedisClient,
    gcra: Arc<Script>,
    takes: Vec<(String, Quota)>,
) -> Vec<Option<i64>> {
    let entries: Vec<(String, Vec<String>)> = takes
        .into_iter()
        .map(|(key, quota)| {
            (
                key,
                vec![millis(quota.interval()), millis(quota.tolerance())],
            )
        })
        .collect();
    redis
        .run_script_per_key("rate limit", &gcra, &entries)
        .await
}

#[async_trait]
impl RateStore for RedisLimiter {
    async fn acquire(
        &self,
        bucket: Bucket,
        subject: &str,
        quota: Quota,
    ) -> Result<Decision, Unavailable> {
        let key = self.redis.keys().rate(bucket.as_str(), subject);
        match self.buckets.call((key, quota)).await {
            Some(0) => Ok(Decision::Allowed),
            Some(wait) => Ok(Decision::Limited(Duration::from_millis(
                wait.unsigned_abs(),
            ))),
            None => Err(Unavailable),
        }
    }

    async fn failures(&self, account: &str) -> Result<u32, Unavailable> {
        match self
            .redis
            .cmd()
            .get::<Option<u32>, _>(self.failures_key(account))
            .await
        {
            Ok(n) => Ok(n.unwrap_or(0)),
            Err(e) => {
                self.redis.failed("failed-login count", &e);
                Err(Unavailable)
            }
        }
    }

    async fn record_failure(&self, account: &str, window: Duration) -> Result<(), Unavailable> {
        self.redis
            .run_script::<i64>(
                &self.count_failure,
                self.failures_key(account),
                vec![millis(window)],
            )
            .await
            .map(|_| ())
            .map_err(|e| {
                self.redis.failed("failed-login count", &e);
                Unavailable
            })
    }

    async fn reset_failures(&self, account: &str) -> Result<(), Unavailable> {
        self.redis
            .cmd()
            .del::<i64, _>(self.failures_key(account))
            .await
            .map(|_| ())
            .map_err(|e| {
                self.redis.failed("failed-login count", &e);
                Unavailable
            })
    }
}
