//! Rate limits in Redis, shared by every instance: GCRA in one atomic script, timed by
//! the Redis server's clock so that instances with skewed clocks agree.

use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::*;
use fred::types::scripts::Script;

use super::{Bucket, Decision, Quota, RateStore, Unavailable};
use crate::redis::RedisClient;

/// `KEYS[1]`: the bucket; `ARGV[1]`: interval (ms); `ARGV[2]`: tolerance (ms).
/// Returns 0 when allowed, else the milliseconds to wait.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait > 0 then return wait end
local next_tat = tat + interval
redis.call('SET', KEYS[1], next_tat, 'PX', math.max(1, next_tat - now))
return 0
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
    gcra: Script,
    count_failure: Script,
}

impl RedisLimiter {
    /// Limits kept in `redis`.
    pub fn new(redis: RedisClient) -> Self {
        RedisLimiter {
            redis,
            gcra: Script::from_lua(GCRA),
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

#[async_trait]
impl RateStore for RedisLimiter {
    async fn acquire(
        &self,
        bucket: Bucket,
        subject: &str,
        quota: Quota,
    ) -> Result<Decision, Unavailable> {
        let key = self.redis.keys().rate(bucket.as_str(), subject);
        match self
            .redis
            .run_script::<i64>(
                &self.gcra,
                key,
                vec![millis(quota.interval()), millis(quota.tolerance())],
            )
            .await
        {
            Ok(0) => Ok(Decision::Allowed),
            Ok(wait) => Ok(Decision::Limited(Duration::from_millis(
                wait.unsigned_abs(),
            ))),
            Err(e) => {
                self.redis.failed("rate limit", &e);
                Err(Unavailable)
            }
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
