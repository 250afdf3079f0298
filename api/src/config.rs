//! Configuration: one typed struct read from the environment (or flags) at start-up.
//!
//! Every setting has a flag and an environment variable; `tally --help` lists them all
//! with their defaults, and README.md has the same table. Nothing else in the crate reads
//! the environment: the struct is passed in, so tests build their own.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

/// Everything the server needs to start.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Where and how the server listens.
    #[command(flatten)]
    pub http: HttpConfig,
    /// Limits on connections and slow clients.
    #[command(flatten)]
    pub connections: ConnectionConfig,
    /// Which other web origins may call the API from a browser.
    #[command(flatten)]
    pub cors: CorsConfig,
    /// What the server shows about itself (GraphiQL, introspection, metrics).
    #[command(flatten)]
    pub exposure: ExposureConfig,
    /// The system of record.
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// Optional Redis.
    #[command(flatten)]
    pub redis: RedisConfig,
    /// Sign-in tokens and passwords.
    #[command(flatten)]
    pub auth: AuthConfig,
    /// Limits against abusive GraphQL requests.
    #[command(flatten)]
    pub graphql: GraphqlLimits,
    /// Persisted operations.
    #[command(flatten)]
    pub persisted: PersistedConfig,
    /// The vote writer (group commit).
    #[command(flatten)]
    pub votes: VoteConfig,
    /// Rate limits.
    #[command(flatten)]
    pub rate_limits: RateLimitConfig,
    /// Live tallies to subscribers.
    #[command(flatten)]
    pub realtime: RealtimeConfig,
    /// Signed webhooks.
    #[command(flatten)]
    pub webhooks: WebhookConfig,
    /// Guest voters and their proof of work.
    #[command(flatten)]
    pub guests: GuestConfig,
    /// CSV and JSON downloads of ballots and results.
    #[command(flatten)]
    pub exports: ExportConfig,
    /// Invitations to invite-only polls.
    #[command(flatten)]
    pub invitations: InvitationConfig,
    /// OpenTelemetry traces.
    #[command(flatten)]
    pub telemetry: TelemetryConfig,
}

impl Config {
    /// The defaults, ignoring the environment: a starting point for tests and tools
    /// that must not pick up whatever `DATABASE_URL` or `REDIS_URL` the shell has.
    pub fn defaults() -> Self {
        use clap::{CommandFactory, FromArgMatches, Parser};

        #[derive(Parser)]
        struct Bare {
            #[command(flatten)]
            config: Config,
        }

        let command = Bare::command().mut_args(|arg| arg.env(None));
        let matches = command.get_matches_from(["tally"]);
        // Every field has a default or is optional, so this cannot fail.
        Bare::from_arg_matches(&matches)
            .map(|bare| bare.config)
            .unwrap_or_else(|e| e.exit())
    }
}

/// Whether this is a development machine or production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    /// Missing secrets are generated and kept under the data directory, with a warning.
    Development,
    /// Missing secrets stop the server from starting.
    Production,
}

/// OpenTelemetry traces (the standard `OTEL_*` names, so collectors' docs apply).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Traces")]
pub struct TelemetryConfig {
    /// Base URL of an OTLP/HTTP collector, e.g. `http://otel-collector:4318`: traces go to
    /// `<url>/v1/traces` as protobuf. Unset: no traces, at no cost.
    #[arg(long = "otlp-endpoint", env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// The `service.name` every span carries.
    #[arg(
        long = "otel-service-name",
        env = "OTEL_SERVICE_NAME",
        default_value = "tally"
    )]
    pub service_name: String,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Where and how the server listens.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "HTTP")]
pub struct HttpConfig {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "TALLY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// `development` or `production` (which refuses to start without a JWT secret and a
    /// ballot key).
    #[arg(
        long = "env",
        env = "TALLY_ENV",
        value_enum,
        default_value = "development"
    )]
    pub environment: Environment,
    /// Log format: `text` or `json`. The filter comes from `RUST_LOG` (default `info`).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "TALLY_MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,
    /// Longest a GraphQL request may execute, in milliseconds, before it is cut off.
    #[arg(long, env = "TALLY_REQUEST_TIMEOUT_MS", default_value_t = 10_000)]
    pub request_timeout_ms: u64,
    /// Longest an anonymous `GET /graphql` answer is served again from the instance's
    /// read cache (and kept by CDNs: `Cache-Control: max-age`), in milliseconds; a new
    /// tally on the tally bus ends it sooner. 0 turns the cache off.
    #[arg(long, env = "TALLY_READ_CACHE_MS", default_value_t = 1_000)]
    pub read_cache_ms: u64,
    /// How long shutdown waits for in-flight requests, in seconds.
    #[arg(long, env = "TALLY_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
    /// Directory of the built web app, served at `/` (client-side routes fall back to
    /// its `index.html`).
    #[arg(long, env = "TALLY_STATIC_DIR", default_value = "./frontend/dist")]
    pub static_dir: PathBuf,
    /// Take the client address from the first `X-Forwarded-For` entry (set this only
    /// behind a proxy that writes that header); otherwise the peer address is used.
    #[arg(long, env = "TALLY_TRUST_FORWARDED_FOR", default_value_t = false, action = clap::ArgAction::Set)]
    pub trust_forwarded_for: bool,
}

impl HttpConfig {
    /// The per-request execution timeout.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

/// Limits on connections, against clients that hold sockets open without finishing a
/// request (slowloris). Each bounds how long or how many sockets one client can hold.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Connections")]
pub struct ConnectionConfig {
    /// Longest a connection may take to send a request's headers, in milliseconds,
    /// counted from when the server is ready for them (a new connection, or an idle
    /// keep-alive one); past it the connection is closed.
    #[arg(long, env = "TALLY_HEADER_READ_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_read_timeout_ms: u64,
    /// Longest a request body may take to arrive in full, in milliseconds; past it the
    /// request is refused with 408 `REQUEST_TIMEOUT` (64 KiB in 10 s is ~6.5 KB/s).
    #[arg(long, env = "TALLY_BODY_READ_TIMEOUT_MS", default_value_t = 10_000)]
    pub body_read_timeout_ms: u64,
    /// Most connections open at once from one client address; more are closed as soon
    /// as they are accepted. 0 means no cap. Not applied with `TALLY_TRUST_FORWARDED_FOR`,
    /// where every connection comes from the proxy.
    #[arg(long, env = "TALLY_MAX_CONNECTIONS_PER_CLIENT", default_value_t = 256)]
    pub max_connections_per_client: usize,
}

impl ConnectionConfig {
    /// The header read timeout.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms)
    }

    /// The body read timeout.
    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_millis(self.body_read_timeout_ms)
    }
}

/// Which web origins other than the server's own may call the API from a browser
/// (CORS for `/graphql`, the `Origin` check of `/graphql/ws`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "CORS")]
pub struct CorsConfig {
    /// Origins allowed to call the API from a browser, comma-separated, each exactly as
    /// a browser sends it (`https://polls.example.org`), or `*` for any origin. Default:
    /// the web app's Vite dev and preview servers in development
    /// (`http://localhost:5173`, `http://127.0.0.1:5173`, and the same on 4173), none in
    /// production. The server's own origin is always allowed.
    #[arg(long, env = "TALLY_CORS_ORIGINS", value_delimiter = ',')]
    pub origins: Option<Vec<String>>,
    /// How long a browser may cache a preflight answer, in seconds.
    #[arg(long, env = "TALLY_CORS_MAX_AGE_SECS", default_value_t = 600)]
    pub max_age_secs: u64,
}

/// What the server shows about itself. Development shows everything; production hides
/// what helps an attacker more than a user unless a setting turns it back on.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Exposure")]
pub struct ExposureConfig {
    /// Serve the GraphiQL IDE at `/graphiql`. Default: on in development, off in
    /// production.
    #[arg(long, env = "TALLY_GRAPHIQL", action = clap::ArgAction::Set)]
    pub graphiql: Option<bool>,
    /// Answer GraphQL introspection (`__schema`, `__type`). Default: on in development,
    /// off in production (the schema is published as `schema.graphql` instead).
    #[arg(long, env = "TALLY_INTROSPECTION", action = clap::ArgAction::Set)]
    pub introspection: Option<bool>,
    /// Serve `/metrics` on this address only (e.g. one only the monitoring network
    /// reaches) instead of on `TALLY_LISTEN`.
    #[arg(long, env = "TALLY_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Require `Authorization: Bearer <token>` on `/metrics`. In production, `/metrics`
    /// is served on `TALLY_LISTEN` only with a token.
    #[arg(long, env = "TALLY_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

/// The system of record.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Database")]
pub struct DatabaseConfig {
    /// `postgres://…` or `sqlite://…`. Default: an SQLite file `tally.db` in the data
    /// directory, created on first run.
    #[arg(id = "database_url", long = "database-url", env = "DATABASE_URL")]
    pub url: Option<String>,
    /// Directory for the embedded database and the generated development secret.
    #[arg(long, env = "TALLY_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Most connections in the pool.
    #[arg(
        long = "db-pool-size",
        env = "TALLY_DB_POOL_SIZE",
        default_value_t = 16
    )]
    pub pool_size: u32,
    /// How long to wait for a connection, in seconds.
    #[arg(
        long = "db-connect-timeout-secs",
        env = "TALLY_DB_CONNECT_TIMEOUT_SECS",
        default_value_t = 5
    )]
    pub connect_timeout_secs: u64,
}

impl DatabaseConfig {
    /// The URL to connect to: `DATABASE_URL`, or the embedded SQLite file.
    pub fn effective_url(&self) -> String {
        match &self.url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("tally.db").display()
            ),
        }
    }
}

/// Optional Redis: without it, in-process versions of the bus and limiter are used.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Redis")]
pub struct RedisConfig {
    /// `redis://host:port/db`. Unset: no Redis.
    #[arg(id = "redis_url", long = "redis-url", env = "REDIS_URL")]
    pub url: Option<String>,
    /// Connections to Redis; commands are spread over them.
    #[arg(
        long = "redis-connections",
        env = "TALLY_REDIS_CONNECTIONS",
        default_value_t = 4
    )]
    pub connections: usize,
    /// Prefix of every Redis key, so deployments (or test runs) can share a Redis.
    #[arg(
        long = "redis-key-prefix",
        env = "TALLY_REDIS_KEY_PREFIX",
        default_value = "tally"
    )]
    pub key_prefix: String,
    /// Longest one request waits on Redis in all, in milliseconds: its calls share this
    /// budget, so a stalled Redis costs a request one short wait, not one per call.
    #[arg(
        long = "redis-request-budget-ms",
        env = "TALLY_REDIS_REQUEST_BUDGET_MS",
        default_value_t = 250
    )]
    pub request_budget_ms: u64,
    /// How long commands are held back from a Redis that stopped answering before one
    /// is let through to probe it, in milliseconds.
    #[arg(
        long = "redis-breaker-cool-off-ms",
        env = "TALLY_REDIS_BREAKER_COOL_OFF_MS",
        default_value_t = 1_000
    )]
    pub breaker_cool_off_ms: u64,
    /// How long a voter's fast-path mark is kept, in seconds (its absence proves nothing).
    #[arg(long = "voter-mark-ttl-secs", env = "TALLY_VOTER_MARK_TTL_SECS", default_value_t = 24 * 60 * 60)]
    pub voter_mark_ttl_secs: u64,
    /// How long an idle poll's live tally is kept in Redis, in seconds.
    #[arg(long = "tally-ttl-secs", env = "TALLY_TALLY_TTL_SECS", default_value_t = 24 * 60 * 60)]
    pub tally_ttl_secs: u64,
    /// How often live tallies are compared with the database and repaired, in seconds.
    #[arg(
        long = "reconcile-interval-secs",
        env = "TALLY_RECONCILE_INTERVAL_SECS",
        default_value_t = 30
    )]
    pub reconcile_interval_secs: u64,
}

/// Sign-in tokens and passwords.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Auth")]
pub struct AuthConfig {
    /// Secret that signs tokens (HS256), at least 32 bytes. Unset in development: one is
    /// generated and kept in the data directory.
    #[arg(long, env = "TALLY_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Earlier secrets, comma-separated, still accepted when verifying (key rotation).
    #[arg(
        long,
        env = "TALLY_JWT_PREVIOUS_SECRETS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub jwt_previous_secrets: Vec<String>,
    /// Key (hex, at least 32 bytes) that turns voters into the pseudonyms anonymous
    /// polls store their ballots under. Required in production; unset in development,
    /// one is generated and kept in the data directory. Keep it for the life of the
    /// data: a new key cannot find earlier anonymous ballots (README, "Anonymous ballots").
    #[arg(long, env = "TALLY_BALLOT_KEY", hide_env_values = true)]
    pub ballot_key: Option<String>,
    /// The `iss` claim written and required.
    #[arg(long, env = "TALLY_JWT_ISSUER", default_value = "tally")]
    pub jwt_issuer: String,
    /// The `aud` claim written and required.
    #[arg(long, env = "TALLY_JWT_AUDIENCE", default_value = "tally-api")]
    pub jwt_audience: String,
    /// How long a token is valid, in seconds.
    #[arg(long, env = "TALLY_TOKEN_TTL_SECS", default_value_t = 24 * 60 * 60)]
    pub token_ttl_secs: u64,
    /// How long a token's user, once found in the database, is trusted to still exist,
    /// in seconds: a deleted account's tokens stop working within this time, and the
    /// vote path does not ask the database on every request.
    #[arg(long, env = "TALLY_KNOWN_USER_TTL_SECS", default_value_t = 60)]
    pub known_user_ttl_secs: u64,
    /// Most password hashes computed at once (each takes ~19 MiB and a core for tens of ms).
    #[arg(long, env = "TALLY_PASSWORD_HASH_CONCURRENCY", default_value_t = 4)]
    pub password_hash_concurrency: usize,
}

/// Guests: voters without a password, created by `startGuestSession` after a proof of
/// work (see `auth/proof_of_work.rs`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Guests")]
pub struct GuestConfig {
    /// Leading zero bits a guest challenge asks for. Each bit doubles the work: 18 is
    /// about 260k hashes, a fraction of a second to a few seconds in a browser; at most 256.
    #[arg(long, env = "TALLY_GUEST_POW_DIFFICULTY", default_value_t = 18,
          value_parser = clap::value_parser!(u32).range(0..=256))]
    pub pow_difficulty: u32,
    /// How long a guest challenge may be answered, in seconds.
    #[arg(long, env = "TALLY_GUEST_CHALLENGE_TTL_SECS", default_value_t = 300)]
    pub challenge_ttl_secs: u64,
    /// Whether a guest's token may create polls (otherwise `FORBIDDEN`: sign up).
    #[arg(long, env = "TALLY_GUESTS_CAN_CREATE_POLLS", default_value_t = false, action = clap::ArgAction::Set)]
    pub can_create_polls: bool,
}

/// Limits against abusive GraphQL requests (OWASP GraphQL cheat sheet).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "GraphQL limits")]
pub struct GraphqlLimits {
    /// Deepest selection nesting accepted.
    #[arg(
        long = "graphql-max-depth",
        env = "TALLY_GRAPHQL_MAX_DEPTH",
        default_value_t = 16
    )]
    pub max_depth: usize,
    /// Highest query complexity accepted (one per field, times `first` on lists).
    #[arg(
        long = "graphql-max-complexity",
        env = "TALLY_GRAPHQL_MAX_COMPLEXITY",
        default_value_t = 2_000
    )]
    pub max_complexity: usize,
    /// Most selections (fields, fragments, spreads) in one document, counted with every
    /// fragment spread expanded; checked before validation, whose cost it bounds.
    #[arg(
        long = "graphql-max-selections",
        env = "TALLY_GRAPHQL_MAX_SELECTIONS",
        default_value_t = 5_000
    )]
    pub max_selections: usize,
    /// Most aliased fields in one document.
    #[arg(
        long = "graphql-max-aliases",
        env = "TALLY_GRAPHQL_MAX_ALIASES",
        default_value_t = 30
    )]
    pub max_aliases: usize,
    /// Most operations in one batched request (mutations are never batched).
    #[arg(
        long = "graphql-max-batch",
        env = "TALLY_GRAPHQL_MAX_BATCH",
        default_value_t = 10
    )]
    pub max_batch: usize,
}

/// Persisted operations: documents named by their SHA-256 ([`crate::graphql::persisted`]).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Persisted operations")]
pub struct PersistedConfig {
    /// A trusted-documents manifest (`persisted-documents.json` from the web app's
    /// codegen: SHA-256 to document). When set, only its documents run, by hash; when
    /// unset, clients register documents themselves (automatic persisted queries).
    #[arg(long = "trusted-documents", env = "TALLY_TRUSTED_DOCUMENTS")]
    pub trusted_documents: Option<PathBuf>,
    /// Most persisted documents one instance keeps in memory (least recently used
    /// make way); each costs its text and its parsed form.
    #[arg(
        long = "persisted-queries-capacity",
        env = "TALLY_PERSISTED_QUERIES_CAPACITY",
        default_value_t = 10_000
    )]
    pub capacity: usize,
    /// How long an automatically persisted document is kept, in seconds, in memory and
    /// in Redis; a client whose hash expired gets `PERSISTED_QUERY_NOT_FOUND` and sends
    /// the text again.
    #[arg(
        long = "persisted-query-ttl-secs",
        env = "TALLY_PERSISTED_QUERY_TTL_SECS",
        default_value_t = 604_800
    )]
    pub ttl_secs: u64,
}

/// The vote writer: how `castVote` calls are grouped into transactions.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Vote writer")]
pub struct VoteConfig {
    /// Most votes written in one transaction.
    #[arg(
        long = "vote-batch-max",
        env = "TALLY_VOTE_BATCH_MAX",
        default_value_t = 512
    )]
    pub batch_max: usize,
    /// Longest a batch waits to fill once its first vote arrived, in milliseconds.
    #[arg(
        long = "vote-batch-wait-ms",
        env = "TALLY_VOTE_BATCH_WAIT_MS",
        default_value_t = 2
    )]
    pub batch_wait_ms: u64,
    /// Most votes waiting to be written; beyond it `castVote` answers `OVERLOADED`.
    #[arg(
        long = "vote-queue-capacity",
        env = "TALLY_VOTE_QUEUE_CAPACITY",
        default_value_t = 16_384
    )]
    pub queue_capacity: usize,
    /// Most vote transactions running at once (PostgreSQL; SQLite always uses one).
    #[arg(long = "vote-writers", env = "TALLY_VOTE_WRITERS", default_value_t = 2)]
    pub writers: usize,
}

/// Live tallies over WebSocket (`/graphql/ws`, graphql-transport-ws).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Live tallies")]
pub struct RealtimeConfig {
    /// Most tally messages per second per poll to each subscriber (updates in between
    /// are folded into the next one).
    #[arg(long, env = "TALLY_TALLY_UPDATES_PER_SECOND", default_value_t = 4)]
    pub updates_per_second: u32,
    /// Most tally messages per second this instance writes across all its subscribers.
    /// With more subscribers than this allows at the rate above, every poll's tallies
    /// come less often (each still the latest) instead of late. The default keeps the
    /// full 4 tallies/s up to 10,000 subscribers: measured on 2 cores with 2,000 votes/s
    /// flowing, 40k messages/s went out with lag p99 0.28 s.
    #[arg(
        long,
        env = "TALLY_FANOUT_MESSAGES_PER_SECOND",
        default_value_t = 40_000
    )]
    pub fanout_messages_per_second: u32,
    /// Most WebSocket connections this instance accepts.
    #[arg(long, env = "TALLY_WS_MAX_CONNECTIONS", default_value_t = 16_384)]
    pub max_connections: usize,
    /// Most subscriptions one connection may hold at once.
    #[arg(long, env = "TALLY_WS_MAX_SUBSCRIPTIONS", default_value_t = 32)]
    pub max_subscriptions: usize,
    /// How long a new connection has to send `connection_init`, in milliseconds.
    #[arg(long, env = "TALLY_WS_INIT_TIMEOUT_MS", default_value_t = 10_000)]
    pub init_timeout_ms: u64,
    /// How often the server pings a connection, in seconds. A client that sends nothing
    /// (no `pong`, no message) for two intervals, or leaves a write to it pending as
    /// long (it does not read), is dropped and its slot freed.
    #[arg(long, env = "TALLY_WS_KEEPALIVE_SECS", default_value_t = 30)]
    pub keepalive_secs: u64,
    /// How often polls past their `closesAt` are closed and announced, in milliseconds.
    #[arg(long, env = "TALLY_CLOSER_INTERVAL_MS", default_value_t = 1_000)]
    pub closer_interval_ms: u64,
}

/// Invitations to invite-only polls: where their links point and how many there may be.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Invitations")]
pub struct InvitationConfig {
    /// The web app's public origin (scheme, host, port; no path): an invitation's `link`
    /// is this followed by `/i/<code>`.
    #[arg(
        long,
        env = "TALLY_PUBLIC_ORIGIN",
        default_value = "http://localhost:5173"
    )]
    pub public_origin: String,
    /// Most invitations one `createInvitations` call may create.
    #[arg(long, env = "TALLY_INVITATIONS_MAX_PER_CALL", default_value_t = 500)]
    pub max_per_call: usize,
    /// Most invitations one poll may have in all, revoked ones included (more:
    /// `LIMIT_REACHED`).
    #[arg(long, env = "TALLY_INVITATIONS_MAX_PER_POLL", default_value_t = 10_000)]
    pub max_per_poll: u64,
}

/// Signed webhooks: who may register what, and how deliveries are sent and retried.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Webhooks")]
pub struct WebhookConfig {
    /// Most webhook endpoints one user may register (more: `LIMIT_REACHED`).
    #[arg(long, env = "TALLY_WEBHOOK_MAX_PER_USER", default_value_t = 10)]
    pub max_per_user: u64,
    /// Longest endpoint URL, in bytes.
    #[arg(long, env = "TALLY_WEBHOOK_MAX_URL_BYTES", default_value_t = 2048)]
    pub max_url_bytes: usize,
    /// Let endpoints be `http://` and on loopback, private, link-local or otherwise
    /// non-public addresses. Default: on in development, off in production (where only
    /// `https://` to public addresses is allowed, against SSRF).
    #[arg(long, env = "TALLY_WEBHOOK_ALLOW_PRIVATE", action = clap::ArgAction::Set)]
    pub allow_private: Option<bool>,
    /// How long one delivery attempt may take (connect, send, answer), in milliseconds.
    #[arg(long, env = "TALLY_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// How long a claimed delivery is held by the instance sending it, in milliseconds;
    /// after that (the instance died mid-attempt) another may send it again. Never less
    /// than the timeout plus one second.
    #[arg(long, env = "TALLY_WEBHOOK_LEASE_MS", default_value_t = 60_000)]
    pub lease_ms: u64,
    /// Wait before the first retry, in milliseconds; each further retry waits twice as
    /// long (with jitter: between half and all of it), up to the cap below.
    #[arg(long, env = "TALLY_WEBHOOK_RETRY_BASE_MS", default_value_t = 30_000)]
    pub retry_base_ms: u64,
    /// Longest wait between two attempts, in milliseconds.
    #[arg(long, env = "TALLY_WEBHOOK_RETRY_MAX_MS", default_value_t = 3_600_000)]
    pub retry_max_ms: u64,
    /// Attempts before a delivery is given up (`FAILED`). With the defaults, 30
    /// attempts span about a day.
    #[arg(long, env = "TALLY_WEBHOOK_MAX_ATTEMPTS", default_value_t = 30)]
    pub max_attempts: u32,
    /// How often the sender looks for due deliveries, in milliseconds.
    #[arg(long, env = "TALLY_WEBHOOK_POLL_INTERVAL_MS", default_value_t = 1_000)]
    pub poll_interval_ms: u64,
}

impl WebhookConfig {
    /// Whether non-public targets are allowed in this environment.
    pub fn allows_private(&self, environment: Environment) -> bool {
        self.allow_private
            .unwrap_or(environment == Environment::Development)
    }

    /// The lease, at least the timeout plus a second so a live attempt is never taken over.
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.lease_ms.max(self.timeout_ms + 1_000))
    }
}

/// Exports: ballots and results streamed as CSV or JSON (`http/exports`). Both limits
/// bound what exports cost the database and memory, whatever the poll's size.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Exports")]
pub struct ExportConfig {
    /// Ballots read per query while streaming an export (keyset pages): the most held in
    /// memory at once per export, and one bound parameter each when their choices are read.
    #[arg(long = "export-chunk", env = "TALLY_EXPORT_CHUNK", default_value_t = 2000,
          value_parser = clap::value_parser!(u64).range(1..=MAX_EXPORT_CHUNK))]
    pub chunk: u64,
    /// Most exports streaming at once per instance (more get HTTP 429 `TOO_MANY_EXPORTS`):
    /// each holds a database connection for a query at a time and a chunk of ballots.
    #[arg(
        long = "export-max-concurrent",
        env = "TALLY_EXPORT_MAX_CONCURRENT",
        default_value_t = 4
    )]
    pub max_concurrent: usize,
}

/// Largest `TALLY_EXPORT_CHUNK`: a chunk's ballot ids are bound parameters of one query,
/// and SQLite accepts at most 32,766 of them.
pub const MAX_EXPORT_CHUNK: u64 = 10_000;

/// Rate limits: GCRA buckets with a sustained rate and a burst, and the sign-in
/// throttle. The defaults leave room for any person (one vote per poll, a few sign-ins a
/// day, even behind a shared address) and stop scripts.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Rate limits")]
pub struct RateLimitConfig {
    /// Whether limits apply at all.
    #[arg(long = "rate-limits", env = "TALLY_RATE_LIMITS", default_value_t = true, action = clap::ArgAction::Set)]
    pub enabled: bool,
    /// Vote mutations per user per minute, sustained.
    #[arg(long, env = "TALLY_RATE_VOTE_PER_MINUTE", default_value_t = 60)]
    pub vote_per_minute: u32,
    /// Vote mutations a user may send at once.
    #[arg(long, env = "TALLY_RATE_VOTE_BURST", default_value_t = 20)]
    pub vote_burst: u32,
    /// Polls a user may create per minute, sustained.
    #[arg(long, env = "TALLY_RATE_CREATE_POLL_PER_MINUTE", default_value_t = 10)]
    pub create_poll_per_minute: u32,
    /// Polls a user may create at once.
    #[arg(long, env = "TALLY_RATE_CREATE_POLL_BURST", default_value_t = 20)]
    pub create_poll_burst: u32,
    /// Sign-ups per client address per minute, sustained.
    #[arg(long, env = "TALLY_RATE_REGISTER_PER_MINUTE", default_value_t = 10)]
    pub register_per_minute: u32,
    /// Sign-ups a client address may send at once.
    #[arg(long, env = "TALLY_RATE_REGISTER_BURST", default_value_t = 30)]
    pub register_burst: u32,
    /// Guest sessions (`startGuestSession`) per client address per minute, sustained.
    #[arg(
        long,
        env = "TALLY_RATE_GUEST_SESSION_PER_MINUTE",
        default_value_t = 10
    )]
    pub guest_session_per_minute: u32,
    /// Guest sessions a client address may start at once.
    #[arg(long, env = "TALLY_RATE_GUEST_SESSION_BURST", default_value_t = 30)]
    pub guest_session_burst: u32,
    /// Export downloads (`/exports/…`) per user per minute, sustained.
    #[arg(long, env = "TALLY_RATE_EXPORT_PER_MINUTE", default_value_t = 10)]
    pub export_per_minute: u32,
    /// Export downloads a user may start at once.
    #[arg(long, env = "TALLY_RATE_EXPORT_BURST", default_value_t = 10)]
    pub export_burst: u32,
    /// Sign-ins per client address per minute, sustained.
    #[arg(long, env = "TALLY_RATE_LOGIN_PER_MINUTE", default_value_t = 30)]
    pub login_per_minute: u32,
    /// Sign-ins a client address may send at once.
    #[arg(long, env = "TALLY_RATE_LOGIN_BURST", default_value_t = 60)]
    pub login_burst: u32,
    /// `redeemInvitation` calls per voter per minute, sustained.
    #[arg(
        long,
        env = "TALLY_RATE_REDEEM_INVITATION_PER_MINUTE",
        default_value_t = 10
    )]
    pub redeem_invitation_per_minute: u32,
    /// `redeemInvitation` calls a voter may send at once.
    #[arg(long, env = "TALLY_RATE_REDEEM_INVITATION_BURST", default_value_t = 10)]
    pub redeem_invitation_burst: u32,
    /// Wrong passwords one client address may send for one account before each further
    /// one makes that address wait (the sign-in throttle, `limits/sign_in.rs`).
    #[arg(long, env = "TALLY_LOGIN_FREE_FAILURES", default_value_t = 5)]
    pub login_free_failures: u32,
    /// The first wait, in seconds, after an address used up its free failures on an
    /// account; each further failure doubles it.
    #[arg(long, env = "TALLY_LOGIN_FIRST_DELAY_SECS", default_value_t = 1)]
    pub login_first_delay_secs: u64,
    /// The longest wait between sign-in attempts of one address on one account, in seconds.
    #[arg(long, env = "TALLY_LOGIN_MAX_DELAY_SECS", default_value_t = 15 * 60)]
    pub login_max_delay_secs: u64,
    /// How long an address's failures on an account are remembered after its last
    /// attempt, in seconds (at least the longest wait).
    #[arg(long, env = "TALLY_LOGIN_ADDRESS_MEMORY_SECS", default_value_t = 24 * 60 * 60)]
    pub login_address_memory_secs: u64,
    /// Consecutive failed sign-ins of an account, counted over all addresses (each
    /// address's free failures only), after which it refuses sign-ins for
    /// `TALLY_FAILED_LOGIN_WINDOW_SECS` (NIST SP 800-63B §5.2.2: at most 100).
    #[arg(long, env = "TALLY_MAX_FAILED_LOGINS", default_value_t = 100)]
    pub max_failed_logins: u32,
    /// How long an account's failed sign-ins are remembered after the last one, in seconds.
    #[arg(long, env = "TALLY_FAILED_LOGIN_WINDOW_SECS", default_value_t = 15 * 60)]
    pub failed_login_window_secs: u64,
    /// With Redis unreachable, let votes, poll creation and exports through (true) or
    /// refuse them.
    #[arg(long, env = "TALLY_RATE_FAIL_OPEN_VOTES", default_value_t = true, action = clap::ArgAction::Set)]
    pub fail_open_votes: bool,
    /// With Redis unreachable, let sign-ups, sign-ins and invitation redemptions through
    /// (true) or refuse them.
    #[arg(long, env = "TALLY_RATE_FAIL_OPEN_AUTH", default_value_t = false, action = clap::ArgAction::Set)]
    pub fail_open_auth: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        config: Config,
    }

    #[test]
    fn embedded_sqlite_is_the_default_database() {
        let mut config = Config::defaults();
        assert_eq!(config.database.url, None);
        assert_eq!(config.redis.url, None);
        config.database.data_dir = "/tmp/x".into();
        assert_eq!(
            config.database.effective_url(),
            "sqlite:///tmp/x/tally.db?mode=rwc"
        );
    }

    #[test]
    fn flags_override_defaults() {
        let config = Wrapper::parse_from(["tally", "--listen", "0.0.0.0:9000"]).config;
        assert_eq!(config.http.listen.port(), 9000);
    }
}
