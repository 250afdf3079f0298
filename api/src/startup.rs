//! Building and running the application: wiring the ports chosen by configuration into
//! services, the schema and the router, then serving until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::auth::passwords::PasswordHasher;
use crate::auth::proof_of_work::ProofOfWork;
use crate::auth::tokens::TokenKeys;
use crate::auth::{ballot_key, secrets};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::graphql::persisted::{Manifest, PersistedQueries, RedisStore, SharedStore};
use crate::graphql::{self, Services};
use crate::http::cors::CorsPolicy;
use crate::http::exposure::{self, Exposure};
use crate::http::serve::{ConnectionLimits, Server};
use crate::http::ws::WsLimits;
use crate::http::{self, AppState, HttpLimits};
use crate::limits::{Limiter, LocalLimiter, RateStore, RedisLimiter};
use crate::live::{LiveState, LiveStore, LocalLive, RedisLive, spawn_reconciler};
use crate::metrics::AppCounters;
use crate::metrics::Metrics;
use crate::realtime::closer::spawn_closer;
use crate::realtime::{Hub, Pacing, Realtime, RedisBus};
use crate::redis::RedisClient;
use crate::service::{
    AccountService, ActivityService, BallotOwners, ExportService, GuestService, InvitationCodes,
    InvitationGate, InvitationService, PollService, ResultsService, SubscriptionGate, VoteService,
    WebhookService,
};
use crate::shutdown::{self, Running};
use crate::store::{Store, VoteWriter, WriterConfig};
use crate::webhooks;

/// Ports a test may replace; production uses [`Ports::default`].
#[derive(Clone)]
pub struct Ports {
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
}

impl Default for Ports {
    fn default() -> Self {
        Ports {
            clock: Arc::new(SystemClock),
        }
    }
}

fn writer_config(config: &Config, store: &Store) -> WriterConfig {
    WriterConfig {
        max_batch: config.votes.batch_max.max(1),
        max_wait: Duration::from_millis(config.votes.batch_wait_ms),
        queue_capacity: config.votes.queue_capacity,
        // SQLite has one writer at a time whatever we do.
        writers: match store.backend() {
            sea_orm::DbBackend::Sqlite => 1,
            _ => config.votes.writers.max(1),
        },
    }
}

/// A built application, bound to its port and ready to serve.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    router: axum::Router,
    /// The separate `/metrics` listener and its router, when configured.
    metrics_listener: Option<(TcpListener, axum::Router)>,
    limits: ConnectionLimits,
    store: Store,
    redis: Option<RedisClient>,
    writer: VoteWriter,
    writer_task: tokio::task::JoinHandle<()>,
    /// Stops the background tasks (reconciler, …) once requests are drained.
    background: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    metrics: Metrics,
    shutdown: CancellationToken,
    grace: Duration,
}

impl Application {
    /// Builds the application with the system clock.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with(config, Ports::default()).await
    }

    /// Builds the application with the given ports: connects and migrates the database,
    /// resolves secrets and binds the listener (port 0 picks a free one).
    pub async fn build_with(config: Config, ports: Ports) -> anyhow::Result<Self> {
        let store = Store::connect(&config.database).await?;
        store.migrate().await?;

        let (secret, previous) = secrets::resolve(
            &config.auth,
            config.http.environment,
            &config.database.data_dir,
        )?;
        let ballot_key = ballot_key::resolve(
            config.auth.ballot_key.as_deref(),
            config.http.environment,
            &config.database.data_dir,
        )?;
        let tokens = TokenKeys::new(
            &secret,
            &previous,
            &config.auth.jwt_issuer,
            &config.auth.jwt_audience,
            Duration::from_secs(config.auth.token_ttl_secs),
            ports.clock.clone(),
        );
        let pow = ProofOfWork::new(
            secrets::derive_key(&secret, secrets::GUEST_CHALLENGE_LABEL),
            config.guests.pow_difficulty,
            Duration::from_secs(config.guests.challenge_ttl_secs),
            ports.clock.clone(),
        );
        let counters = Arc::new(AppCounters::default());
        let hasher =
            PasswordHasher::new(config.auth.password_hash_concurrency, counters.clone()).await?;
        let clock = ports.clock.clone();

        // Redis when configured; in-process stand-ins otherwise.
        let redis = match &config.redis.url {
            Some(url) => Some(
                RedisClient::connect(
                    url,
                    &config.redis.key_prefix,
                    config.redis.connections,
                    Duration::from_millis(config.redis.breaker_cool_off_ms),
                    counters.clone(),
                )
                .await?,
            ),
            None => None,
        };
        let (live_store, rate_store): (Arc<dyn LiveStore>, Arc<dyn RateStore>) = match &redis {
            Some(redis) => (
                Arc::new(RedisLive::new(
                    redis.clone(),
                    Duration::from_secs(config.redis.tally_ttl_secs),
                    Duration::from_secs(config.redis.voter_mark_ttl_secs),
                )),
                Arc::new(RedisLimiter::new(redis.clone())),
            ),
            None => (
                Arc::new(LocalLive::default()),
                Arc::new(LocalLimiter::new(clock.clone())),
            ),
        };
        // The tally bus: in-process fan-out; Redis pub/sub across instances (wired to the
        // live state below, which it asks for current tallies after a reconnect).
        let pacing = Pacing::new(
            config.realtime.updates_per_second,
            config.realtime.fanout_messages_per_second,
        );
        let realtime = Realtime::new(Hub::new(pacing.clone()));
        let background = CancellationToken::new();
        let live = LiveState::new(
            live_store,
            store.clone(),
            clock.clone(),
            counters.clone(),
            Arc::new(realtime.clone()),
        );
        let mut tasks = Vec::new();
        if let Some(redis) = &redis {
            let (bus, bus_tasks) = RedisBus::start(
                redis.clone(),
                realtime.hub().clone(),
                Arc::new(live.clone()),
                background.clone(),
            )
            .await?;
            realtime.attach(bus);
            tasks.extend(bus_tasks);
        }
        let limiter = Limiter::new(rate_store, config.rate_limits.clone(), counters.clone());

        let (writer, writer_task) = VoteWriter::start(
            store.clone(),
            clock.clone(),
            Arc::new(live.clone()),
            writer_config(&config, &store),
        );
        tasks.push(spawn_closer(
            store.clone(),
            live.clone(),
            clock.clone(),
            Duration::from_millis(config.realtime.closer_interval_ms),
            background.clone(),
        ));
        tasks.push(webhooks::spawn_sender(
            &config.webhooks,
            config.http.environment,
            store.clone(),
            clock.clone(),
            counters.clone(),
            background.clone(),
        )?);
        tasks.push(spawn_reconciler(
            live.clone(),
            Duration::from_secs(config.redis.reconcile_interval_secs),
            redis.as_ref().map(RedisClient::reconnections),
            background.clone(),
        ));
        let metrics = Metrics {
            store: store.metrics(),
            writer: writer.clone(),
            app: counters,
            hub: realtime.hub().clone(),
            pacing: pacing.clone(),
            documents: Arc::default(),
        };
        let persisted = persisted_queries(&config, redis.as_ref())?;
        let accounts = AccountService::new(
            store.clone(),
            hasher,
            tokens,
            limiter.clone(),
            clock.clone(),
            Duration::from_secs(config.auth.known_user_ttl_secs),
        );
        let owners = BallotOwners::new(ballot_key);
        let guests = GuestService::new(
            store.clone(),
            accounts.clone(),
            pow,
            limiter.clone(),
            clock.clone(),
            owners.clone(),
            config.guests.can_create_polls,
        );
        let polls = PollService::new(
            store.clone(),
            owners.clone(),
            limiter.clone(),
            live.clone(),
            clock.clone(),
        );
        let votes = VoteService::new(
            store.clone(),
            writer.clone(),
            owners.clone(),
            live.clone(),
            limiter.clone(),
            InvitationGate::new(store.clone()),
            clock.clone(),
        );
        let invitations = InvitationService::new(
            store.clone(),
            InvitationCodes::new(&secret, &previous),
            owners,
            limiter.clone(),
            clock.clone(),
            &config.invitations,
        );
        let results = ResultsService::new(live, clock.clone());
        let exports = ExportService::new(store.clone(), results.clone(), limiter, &config.exports);
        let webhooks = WebhookService::new(
            store.clone(),
            webhooks::policy(&config.webhooks, config.http.environment),
            config.webhooks.max_per_user,
            clock.clone(),
        );
        let gate = SubscriptionGate::new(polls.clone(), votes.clone(), results.clone());
        let read_hub = realtime.hub().clone();
        let services = Services {
            accounts: accounts.clone(),
            guests,
            polls,
            votes,
            results,
            realtime,
            gate: gate.clone(),
            webhooks,
            invitations,
            activity: ActivityService::new(store.clone(), clock.clone()),
        };
        let exposure = Exposure::from_config(&config);
        let schemas = graphql::build(
            services,
            &config.graphql,
            Duration::from_millis(config.redis.request_budget_ms),
            exposure.introspection,
            metrics.documents.clone(),
        );
        // Cancelled by SIGTERM, SIGINT or the shutdown handle; WebSockets watch it too.
        let stopping = CancellationToken::new();
        let state = AppState {
            schema: schemas.full,
            known_schema: schemas.known,
            documents: schemas.documents,
            persisted,
            accounts,
            store: store.clone(),
            redis: redis.clone(),
            http: HttpLimits::from_config(&config),
            metrics: metrics.clone(),
            ws: WsLimits {
                connections: Arc::new(Semaphore::new(config.realtime.max_connections)),
                max_subscriptions: config.realtime.max_subscriptions,
                init_timeout: Duration::from_millis(config.realtime.init_timeout_ms),
                keepalive: Duration::from_secs(config.realtime.keepalive_secs.max(1)),
                pacing,
                stopping: stopping.clone(),
            },
            gate,
            shared: Arc::default(),
            cors: CorsPolicy::from_config(&config)?,
            rate_headers: http::RateHeaders::from_config(&config.rate_limits),
            exports,
            read_cache: http::ReadCache::new(
                read_hub,
                Duration::from_millis(config.http.read_cache_ms),
            ),
        };

        let listener = bind(config.http.listen).await?;
        let address = listener.local_addr()?;
        let metrics_listener = match exposure.metrics_listen {
            Some(at) => Some((
                bind(at).await?,
                exposure::metrics_listener(&exposure, metrics.clone()),
            )),
            None => None,
        };
        Ok(Application {
            listener,
            address,
            router: http::router(
                state,
                &exposure,
                &config.http.static_dir,
                &config.invitations.public_origin,
            ),
            metrics_listener,
            limits: ConnectionLimits::from_config(&config),
            store,
            redis,
            writer,
            writer_task,
            background,
            tasks,
            metrics,
            shutdown: stopping,
            grace: Duration::from_secs(config.http.shutdown_grace_secs),
        })
    }

    /// The address the server listens on (with the real port when 0 was asked).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The address of the separate `/metrics` listener, when there is one.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|(listener, _)| listener.local_addr().ok())
    }

    /// Live counters of the store and the vote writer.
    pub fn metrics(&self) -> Metrics {
        self.metrics.clone()
    }

    /// A handle that stops the server when cancelled (as SIGTERM or SIGINT do).
    pub fn shutdown_handle(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Serves until SIGTERM, SIGINT or the shutdown handle, then stops within the grace
    /// period plus [`shutdown::SHUTDOWN_MARGIN`]: in-flight requests finish, queued votes
    /// are written or answered, then the rest closes (see [`crate::shutdown`]).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        tokio::spawn(shutdown::cancel_on_signal(self.shutdown.clone()));
        let counters = self.metrics.app.clone();
        let mut servers = vec![Server::start(
            self.listener,
            self.router,
            self.limits,
            counters.clone(),
        )];
        tracing::info!(address = %self.address, "tally listening");
        if let Some((listener, router)) = self.metrics_listener {
            tracing::info!(address = ?listener.local_addr().ok(), "metrics listening");
            servers.push(Server::start(listener, router, self.limits, counters));
        }
        self.shutdown.cancelled().await;
        let running = Running {
            servers,
            writer: self.writer,
            writer_task: self.writer_task,
            background: self.background,
            tasks: self.tasks,
            redis: self.redis,
            store: self.store,
        };
        running.stop(self.grace).await;
        Ok(())
    }
}

/// Persisted operations: the trusted manifest when one is configured (unreadable: the
/// server does not start), learned from clients otherwise, shared through Redis when
/// there is one.
fn persisted_queries(
    config: &Config,
    redis: Option<&RedisClient>,
) -> anyhow::Result<PersistedQueries> {
    let settings = &config.persisted;
    if let Some(path) = &settings.trusted_documents {
        let manifest = Manifest::load(path)?;
        tracing::info!(documents = manifest.len(), path = %path.display(), "trusted documents only");
        return Ok(PersistedQueries::trusted(manifest));
    }
    let ttl = Duration::from_secs(settings.ttl_secs);
    let shared =
        redis.map(|redis| Arc::new(RedisStore::new(redis.clone(), ttl)) as Arc<dyn SharedStore>);
    Ok(PersistedQueries::automatic(settings.capacity, ttl, shared))
}

async fn bind(address: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("binding {address}"))
}
