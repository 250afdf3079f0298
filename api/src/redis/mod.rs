//! The Redis connection, shared by the dedup fast path, live counters, rate limits and
//! the tally bus.
//!
//! Redis is a cache, a limiter and a bus here, never the record: every command fails
//! fast (no queueing while disconnected) and times out quickly, callers fall back
//! without it, and each failure is counted (`tally_redis_errors_total`) and logged at
//! most once per [`LOG_EVERY`]. Commands go through [`RedisClient::guarded`]: a
//! [`breaker`] stops sending them to a Redis that stopped answering, and a request's
//! calls share one [`budget`], so a stalled Redis costs a request one short wait at
//! most, and only until the breaker opens. The client reconnects by itself, forever, with capped
//! exponential backoff; [`RedisClient::reconnections`] tells listeners when it is back.
//!
//! Key names carry the poll id as a `{hash tag}` where a key belongs to a poll, so that
//! Redis Cluster keeps a poll's keys in one slot ([`Keys`]).

pub mod breaker;
pub mod budget;
pub mod coalesce;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use fred::prelude::*;
use fred::types::config::{Options as CommandOptions, TcpConfig};
use fred::types::scripts::Script;
use fred::types::{ClusterHash, CustomCommand};

use uuid::Uuid;

use self::breaker::{Admission, Breaker};
use crate::metrics::AppCounters;

/// Longest a command may take before the caller falls back without Redis.
pub const COMMAND_TIMEOUT: Duration = Duration::from_millis(250);
/// Failures are logged at most this often (they are all counted).
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// The key names Tally uses, under a configurable prefix (several deployments, or test
/// runs, can share one Redis).
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: Arc<str>,
}

impl Keys {
    /// Keys under `prefix`.
    pub fn new(prefix: &str) -> Self {
        Keys {
            prefix: prefix.into(),
        }
    }

    /// A poll's live tally.
    pub fn tally(&self, poll: Uuid) -> String {
        format!("{}:{{{poll}}}:tally", self.prefix)
    }

    /// That `user` has a ballot on `poll`, and how it was cast.
    pub fn voter(&self, poll: Uuid, user: Uuid) -> String {
        format!("{}:{{{poll}}}:voter:{user}", self.prefix)
    }

    /// A poll's pub/sub channel of tallies.
    pub fn tally_channel(&self, poll: Uuid) -> String {
        format!("{}:{{{poll}}}:tallies", self.prefix)
    }

    /// A persisted GraphQL document's text, by its SHA-256.
    pub fn persisted(&self, hash: &str) -> String {
        format!("{}:apq:{hash}", self.prefix)
    }

    /// A rate-limit bucket for one subject (a user, an address, an account).
    pub fn rate(&self, bucket: &str, subject: &str) -> String {
        format!("{}:rate:{bucket}:{{{subject}}}", self.prefix)
    }

    /// The sign-in throttle's records of one address on one account, and of the account:
    /// both tagged by the account, so one script may update them on a cluster.
    pub fn sign_in(&self, account: &str, address: &str) -> [String; 2] {
        [
            format!("{}:sign-in:{{{account}}}:{address}", self.prefix),
            format!("{}:sign-in:{{{account}}}", self.prefix),
        ]
    }
}

/// A shared, cloneable Redis client.
#[derive(Clone)]
pub struct RedisClient {
    /// Several connections: one client's commands all go through one task, which
    /// becomes the bottleneck at thousands of votes a second.
    pool: Pool,
    keys: Keys,
    options: CommandOptions,
    url: Arc<str>,
    counters: Arc<AppCounters>,
    /// Milliseconds since `started` at the last logged failure.
    last_log: Arc<AtomicU64>,
    started: Instant,
    /// Holds commands back from a Redis that stopped answering.
    breaker: Arc<Breaker>,
}

impl RedisClient {
    /// Connects to `url`. The server need not be up: the client keeps trying in the
    /// background and commands fail fast until it answers. Once the breaker has opened,
    /// it probes again after `breaker_cool_off`.
    pub async fn connect(
        url: &str,
        prefix: &str,
        connections: usize,
        breaker_cool_off: Duration,
        counters: Arc<AppCounters>,
    ) -> anyhow::Result<Self> {
        let config = Config::from_url(url).context("parsing REDIS_URL")?;
        let pool = Builder::from_config(config)
            .with_config(|c| {
                // Start even when Redis is down; the reconnect policy takes over.
                c.fail_fast = false;
            })
            .with_connection_config(|c| {
                c.connection_timeout = Duration::from_secs(2);
                c.max_command_attempts = 1;
                c.tcp = TcpConfig {
                    nodelay: Some(true),
                    ..Default::default()
                };
            })
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2))
            .build_pool(connections.max(1))
            .context("building the Redis client")?;
        pool.init().await.context("starting the Redis client")?;
        Ok(RedisClient {
            pool,
            keys: Keys::new(prefix),
            options: CommandOptions {
                fail_fast: true,
                timeout: Some(COMMAND_TIMEOUT),
                max_attempts: Some(1),
                ..Default::default()
            },
            url: url.into(),
            counters,
            last_log: Arc::new(AtomicU64::new(0)),
            started: Instant::now(),
            breaker: Arc::new(Breaker::new(breaker_cool_off)),
        })
    }

    /// Runs `command` (one command, or several sent together) unless the breaker is
    /// open or the current request's Redis budget is spent, waiting at most for what
    /// is left of that budget. `None` when it was not sent, or failed (counted and
    /// logged as `what`, and told to the breaker): the caller carries on without Redis.
    pub async fn guarded<R>(
        &self,
        what: &str,
        command: impl Future<Output = Result<R, Error>>,
    ) -> Option<R> {
        let left = budget::remaining();
        if left.is_some_and(|left| left.is_zero()) {
            self.counters.redis_skipped.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let admission = self.breaker.admit(Instant::now());
        if admission != Admission::Go {
            // An open breaker's probe is a PING of its own, in the background: a round
            // of real calls sent as the probe would all wait out the timeout with it.
            if admission == Admission::Probe {
                self.spawn_probe();
            }
            self.counters.redis_skipped.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let result = match left {
            Some(left) => tokio::time::timeout(left, command)
                .await
                .unwrap_or_else(|_| {
                    Err(Error::new(
                        ErrorKind::Timeout,
                        "the request's Redis budget ran out",
                    ))
                }),
            None => command.await,
        };
        match result {
            Ok(value) => {
                if self.breaker.succeeded(admission) {
                    self.counters.redis_breaker_open.store(0, Ordering::Relaxed);
                }
                Some(value)
            }
            Err(e) => {
                self.failed(what, &e);
                if self.breaker.failed(admission, Instant::now()) {
                    self.counters
                        .redis_breaker_trips
                        .fetch_add(1, Ordering::Relaxed);
                    self.counters.redis_breaker_open.store(1, Ordering::Relaxed);
                }
                None
            }
        }
    }

    /// Pings every connection in the background; the answer closes the breaker or
    /// keeps it open for another cool-off.
    fn spawn_probe(&self) {
        let redis = self.clone();
        tokio::spawn(async move {
            let now_answers = redis.ping_every_connection().await.is_ok();
            if now_answers {
                if redis.breaker.succeeded(Admission::Probe) {
                    redis
                        .counters
                        .redis_breaker_open
                        .store(0, Ordering::Relaxed);
                }
            } else {
                redis.breaker.failed(Admission::Probe, Instant::now());
            }
        });
    }

    /// A PING on every connection, so that each connection's earlier commands ran too.
    async fn ping_every_connection(&self) -> Result<Vec<String>, Error> {
        let pings = self
            .pool
            .clients()
            .iter()
            .map(|c| async move { c.with_options(&self.options).ping::<String>(None).await });
        futures::future::try_join_all(pings).await
    }

    /// The key names.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The client for one command: fails fast when disconnected, times out quickly.
    pub fn cmd(&self) -> fred::clients::WithOptions<Client> {
        self.pool.next().with_options(&self.options)
    }

    /// The command options every call uses.
    pub fn options(&self) -> &CommandOptions {
        &self.options
    }

    /// The URL connected to (for a second connection, e.g. the subscriber).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs a Lua script by its hash with one key, loading it first when the server does
    /// not know it (after a restart, say).
    ///
    /// Sent as a custom command rather than through fred's `evalsha`: that one ignores
    /// per-command options (no fail-fast, no timeout, so it would hang while Redis is
    /// down) and is never pipelined, which serialises every script on the connection.
    pub async fn run_script<R: FromValue>(
        &self,
        script: &Script,
        key: String,
        args: Vec<String>,
    ) -> Result<R, Error> {
        self.run_script_on(script, vec![key], args).await
    }

    /// [`Self::run_script`] over several keys, which must share one cluster slot (one
    /// poll's keys do: they carry its id as their hash tag).
    pub async fn run_script_on<R: FromValue>(
        &self,
        script: &Script,
        keys: Vec<String>,
        args: Vec<String>,
    ) -> Result<R, Error> {
        let slot = keys
            .first()
            .map_or(0, |key| fred::util::redis_keyslot(key.as_bytes()));
        let mut call: Vec<String> = Vec::with_capacity(keys.len() + args.len() + 2);
        call.push(script.sha1().to_string());
        call.push(keys.len().to_string());
        call.extend(keys);
        call.extend(args);
        let evalsha = CustomCommand::new_static("EVALSHA", ClusterHash::Custom(slot), false);
        match self
            .cmd()
            .custom::<R, _>(evalsha.clone(), call.clone())
            .await
        {
            Err(e) if e.details().starts_with("NOSCRIPT") => {
                let lua = script.lua().map(ToString::to_string).unwrap_or_default();
                let load = CustomCommand::new_static("SCRIPT", ClusterHash::Custom(slot), false);
                self.cmd()
                    .custom::<String, _>(load, vec!["LOAD".to_owned(), lua])
                    .await?;
                self.cmd().custom(evalsha, call).await
            }
            other => other,
        }
    }

    /// Runs `script` over many keys, each with its own arguments (`ARGV` holds them key
    /// after key, the same number per key): one call for all of them, or on a Redis
    /// Cluster one per slot (a script's keys must share one). Answers per key, in order,
    /// from the script's array reply; `None` where its call failed (counted and logged
    /// as `what`).
    pub async fn run_script_per_key<R: FromValue + Clone>(
        &self,
        what: &str,
        script: &Script,
        entries: &[(String, Vec<String>)],
    ) -> Vec<Option<R>> {
        let clustered = self.pool.next().is_clustered();
        let group = |(key, _): &(String, Vec<String>)| {
            if clustered {
                fred::util::redis_keyslot(key.as_bytes())
            } else {
                0
            }
        };
        coalesce::by_group(self, what, entries, group, |_, entries| {
            let keys = entries.iter().map(|(key, _)| key.clone()).collect();
            let args = entries.iter().flat_map(|(_, args)| args.clone()).collect();
            self.run_script_on::<Vec<R>>(script, keys, args)
        })
        .await
    }

    /// Whether the server is a Redis Cluster (`redis-cluster://` URL).
    pub fn is_clustered(&self) -> bool {
        self.pool.next().is_clustered()
    }

    /// Whether every connection is up now.
    pub fn is_connected(&self) -> bool {
        self.pool.clients().iter().all(ClientLike::is_connected)
    }

    /// Whether Redis answers a PING on every connection now. Goes through the breaker
    /// like any command: while it is open this is `false` without asking (once its
    /// cool-off is over, asking starts the probe that may close it).
    pub async fn ping(&self) -> bool {
        self.guarded("ping", self.ping_every_connection())
            .await
            .is_some()
    }

    /// Notifies each time the connection comes back after a loss.
    pub fn reconnections(&self) -> tokio::sync::broadcast::Receiver<fred::types::config::Server> {
        self.pool.next().reconnect_rx()
    }

    /// Counts a failed command and logs it, at most once per [`LOG_EVERY`].
    pub fn failed(&self, what: &str, error: &Error) {
        self.counters.redis_errors.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(operation = what, error = %error, "Redis command failed");
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let last = self.last_log.load(Ordering::Relaxed);
        let every = u64::try_from(LOG_EVERY.as_millis()).unwrap_or(u64::MAX);
        if (last == 0 || now.saturating_sub(last) >= every)
            && self
                .last_log
                .compare_exchange(last, now.max(1), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(operation = what, error = %error, "Redis command failed; carrying on without it");
        }
    }

    /// Closes the connection.
    pub async fn quit(&self) {
        let _ = self.pool.quit().await;
    }
}
