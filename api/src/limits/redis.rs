//! Rate limits in Redis, shared by every instance: GCRA and the sign-in throttle each in
//! one atomic script, timed by the Redis server's clock so that instances with skewed
//! clocks agree.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::*;
use fred::types::scripts::Script;

use super::{Bucket, Decision, Quota, RateStore, SignInPolicy, Take, Unavailable};
use crate::redis::RedisClient;
use crate::redis::coalesce::Coalescer;

/// `KEYS[i]`: a bucket; `ARGV[2i - 1]`, `ARGV[2i]`: its interval and tolerance (ms).
/// Returns, per bucket in order, the milliseconds to wait when refused (> 0), or when
/// allowed `-1 - backlog`, the backlog being how far ahead of schedule the bucket now
/// is in ms (so < 0; the `RateLimit` header is made from it without another round
/// trip). Buckets are taken one after another, so one named twice is taken twice.
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
    waits[i] = -1 - (next_tat - now)
  end
end
return waits
";

/// The sign-in throttle's step (`sign_in::admit`, the same rule the in-process store
/// applies). `KEYS[1]`: the (account, address) record, a hash of `failures` and `until`
/// (ms); `KEYS[2]`: the account's count. `ARGV`: free failures, first delay (ms), longest
/// delay (ms), the record's memory (ms), the account's ceiling, its window (ms), the
/// address's share of the ceiling. Returns 0 when the attempt is admitted (and counted),
/// else the milliseconds to wait.
const SIGN_IN: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local free, first, longest = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local memory, ceiling, window = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local share = tonumber(ARGV[7])
local record = redis.call('HMGET', KEYS[1], 'failures', 'until')
local failures = tonumber(record[1]) or 0
local blocked = tonumber(record[2]) or 0
if blocked > now then
  return blocked - now
end
local counted = tonumber(redis.call('GET', KEYS[2])) or 0
if counted >= ceiling then
  return math.max(1, redis.call('PTTL', KEYS[2]))
end
failures = failures + 1
local until_ms = now
if failures > free then
  until_ms = now + math.min(first * 2 ^ (failures - free - 1), longest)
end
redis.call('HSET', KEYS[1], 'failures', failures, 'until', string.format('%d', until_ms))
redis.call('PEXPIRE', KEYS[1], memory)
if failures <= share then
  redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], window)
end
return 0
";

/// Buckets and sign-in records in Redis.
pub struct RedisLimiter {
    redis: RedisClient,
    /// Takes from one bucket (its key and quota): the milliseconds to wait, or
    /// `-1 - backlog` if allowed (see [`GCRA`]).
    buckets: Coalescer<(String, Quota), i64>,
    sign_in: Script,
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
            sign_in: Script::from_lua(SIGN_IN),
        }
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
    ) -> Result<Take, Unavailable> {
        let key = self.redis.keys().rate(bucket.as_str(), subject);
        match self.buckets.call((key, quota)).await {
            Some(wait) if wait > 0 => Ok(Take::Limited(Duration::from_millis(wait.unsigned_abs()))),
            Some(allowed) => Ok(Take::Allowed {
                backlog: Duration::from_millis((-1 - allowed).unsigned_abs()),
            }),
            None => Err(Unavailable),
        }
    }

    async fn attempt_sign_in(
        &self,
        account: &str,
        address: &str,
        policy: &SignInPolicy,
    ) -> Result<Decision, Unavailable> {
        let args = vec![
            policy.free_failures.to_string(),
            millis(policy.first_delay),
            millis(policy.max_delay),
            millis(policy.address_memory),
            policy.ceiling.to_string(),
            millis(policy.window),
            policy.address_share().to_string(),
        ];
        let keys = self.redis.keys().sign_in(account, address).to_vec();
        match self
            .redis
            .run_script_on::<i64>(&self.sign_in, keys, args)
            .await
        {
            Ok(0) => Ok(Decision::Allowed),
            Ok(wait) => Ok(Decision::Limited(Duration::from_millis(
                wait.unsigned_abs(),
            ))),
            Err(e) => {
                self.redis.failed("sign-in throttle", &e);
                Err(Unavailable)
            }
        }
    }

    async fn clear_sign_in(&self, account: &str, address: &str) -> Result<(), Unavailable> {
        // Both keys share the account's hash tag, so one DEL serves a cluster too.
        let keys = self.redis.keys().sign_in(account, address).to_vec();
        self.redis
            .cmd()
            .del::<i64, _>(keys)
            .await
            .map(|_| ())
            .map_err(|e| {
                self.redis.failed("sign-in throttle", &e);
                Unavailable
            })
    }
}
