//! The harness: a real Tally on port 0 with its own database, and an HTTP client for it.
//!
//! Every test gets a fresh database: a temporary SQLite file, or a fresh schema in the
//! PostgreSQL database `tally_test` (at `TEST_DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`). A missing PostgreSQL fails the test
//! with a message saying how to start one; nothing is skipped. Set `TEST_LOG=1` (and
//! `RUST_LOG`) to see the app's logs.

// Not every helper is used by every group of tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use tally::clock::{Clock, ManualClock, SystemClock};
use tally::config::Config;
use tally::metrics::Metrics;
use tally::startup::{Application, Ports};
use tokio_util::sync::CancellationToken;

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh schema in the test PostgreSQL.
    Postgres,
}

/// Runs each test body once per backend: `mod name { fn sqlite(); fn postgres(); }`.
#[macro_export]
macro_rules! both_backends {
    ($(
        $(#[$meta:meta])*
        async fn $name:ident($backend:ident: Backend) $body:block
    )*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($backend: $crate::helpers::Backend) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::helpers::Backend::Postgres).await
            }
        }
    )*};
}

/// Runs each test body twice: in process (SQLite, no Redis) and with Redis (PostgreSQL
/// and the shared test Redis), after `configure` adjusts the configuration.
#[macro_export]
macro_rules! in_process_and_redis {
    (configure = $configure:path; $(
        async fn $name:ident($app:ident: TestApp, $redis:ident: bool) $body:block
    )*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: $crate::helpers::TestApp, $redis: bool) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn in_process() {
                let app = $crate::helpers::TestApp::spawn_with(
                    $crate::helpers::Backend::Sqlite,
                    $configure,
                )
                .await;
                run(app, false).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                let url = $crate::redis_support::shared_redis_url();
                let app = $crate::helpers::TestApp::spawn_with(
                    $crate::helpers::Backend::Postgres,
                    |c| {
                        $configure(c);
                        $crate::helpers::use_redis(c, url);
                    },
                )
                .await;
                run(app, true).await
            }
        }
    )*};
}

/// A configuration adjustment that changes nothing.
pub fn as_is(_: &mut Config) {}

/// Leading zero bits the test apps' guest challenges ask for: ~16 hashes to solve.
pub const TEST_POW_DIFFICULTY: u32 = 4;

/// The JWT secret every test app signs with, so tests can forge and tamper with tokens.
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// The ballot key every test app computes pseudonyms with (64 hex digits), so tests can
/// recompute a voter's pseudonym.
pub const TEST_BALLOT_KEY: &str =
    "7465737420626172726f742d6b65792d7465737420626172726f742d6b657921";

/// A test's own database.
pub struct TestDb {
    /// The URL the app connects to.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    /// Another test app owns the database.
    None,
    SqliteDir(PathBuf),
    PostgresSchema {
        admin_url: String,
        schema: String,
    },
}

impl TestDb {
    /// A fresh, empty database on the backend.
    pub async fn create(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("tally-test-{}", uuid::Uuid::now_v7()));
                std::fs::create_dir_all(&dir).expect("temporary directory");
                TestDb {
                    url: format!("sqlite://{}?mode=rwc", dir.join("tally.db").display()),
                    cleanup: Cleanup::SqliteDir(dir),
                }
            }
            Backend::Postgres => {
                let admin_url = test_database_url().await;
                let admin = connect_postgres(&admin_url).await;
                sweep_stale_schemas(&admin).await;
                let schema = format!(
                    "t_{}_{}",
                    Utc::now().timestamp(),
                    uuid::Uuid::new_v4().simple()
                );
                admin
                    .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                    .await
                    .expect("creating the test schema");
                let _ = admin.close().await;
                let separator = if admin_url.contains('?') { '&' } else { '?' };
                TestDb {
                    url: format!("{admin_url}{separator}options=-c%20search_path%3D{schema}"),
                    cleanup: Cleanup::PostgresSchema { admin_url, schema },
                }
            }
        }
    }

    /// A direct connection, for checking what the API stored.
    pub async fn connect(&self) -> DatabaseConnection {
        Database::connect(&self.url)
            .await
            .expect("connecting to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::None => {}
            Cleanup::SqliteDir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PostgresSchema { admin_url, schema } => {
                let (url, schema) = (admin_url.clone(), schema.clone());
                // Drop runs inside the test's runtime; a thread with its own runtime can block.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    runtime.block_on(async {
                        if let Ok(db) = Database::connect(&url).await {
                            let _ = db
                                .execute_unprepared(&format!(
                                    "DROP SCHEMA IF EXISTS {schema} CASCADE"
                                ))
                                .await;
                            let _ = db.close().await;
                        }
                    });
                    Ok::<_, std::io::Error>(())
                })
                .join();
            }
        }
    }
}

/// The PostgreSQL database tests make their schemas in, created when missing.
async fn test_database_url() -> String {
    let server = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let admin = connect_postgres(&server).await;
    let exists = admin
        .query_one_raw(Statement::from_string(
            admin.get_database_backend(),
            "SELECT 1 FROM pg_database WHERE datname = 'tally_test'",
        ))
        .await
        .expect("listing databases")
        .is_some();
    if !exists {
        // Two test processes may race here; the loser's "already exists" is fine.
        let _ = admin.execute_unprepared("CREATE DATABASE tally_test").await;
    }
    let _ = admin.close().await;
    match server.rsplit_once('/') {
        Some((base, _)) => format!("{base}/tally_test"),
        None => panic!("TEST_DATABASE_URL must name a database: {server}"),
    }
}

async fn connect_postgres(url: &str) -> DatabaseConnection {
    let mut options = sea_orm::ConnectOptions::new(url.to_owned());
    options
        .max_connections(2)
        .connect_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    match Database::connect(options).await {
        Ok(db) => db,
        Err(e) => panic!(
            "PostgreSQL is needed for the postgres half of the suite and is not reachable at \
             {url}: {e}.\nStart it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` \
             or point TEST_DATABASE_URL at one."
        ),
    }
}

/// Drops schemas left by test processes that died more than an hour ago.
async fn sweep_stale_schemas(admin: &DatabaseConnection) {
    let cutoff = Utc::now().timestamp() - 3600;
    let Ok(rows) = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%\\_%'",
        ))
        .await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "nspname") else {
            continue;
        };
        let created = name.split('_').nth(1).and_then(|s| s.parse::<i64>().ok());
        if created.is_some_and(|t| t < cutoff) {
            let _ = admin
                .execute_unprepared(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                .await;
        }
    }
}

/// A running Tally and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Which database it runs on.
    pub backend: Backend,
    /// The app's clock; tests move it instead of sleeping.
    pub clock: Arc<ManualClock>,
    /// The app's database.
    pub db: TestDb,
    /// The configuration it was started with.
    pub config: Config,
    /// The app's live counters (statements run, vote batches).
    pub metrics: Metrics,
    /// `http://127.0.0.1:<port>` of the separate `/metrics` listener, when configured.
    pub metrics_address: Option<String>,
    client: reqwest::Client,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// A signed-in test user.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// The user's id.
    pub id: String,
    /// The username.
    pub username: String,
    /// A bearer token.
    pub token: String,
}

impl TestApp {
    /// Starts Tally on a fresh database with the test defaults.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts Tally on a fresh database, after `configure` adjusts the configuration.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> TestApp {
        let db = TestDb::create(backend).await;
        let mut config = Self::test_config(&db);
        configure(&mut config);
        let clock = Arc::new(ManualClock::new(SystemClock.now()));
        Self::start(backend, db, config, clock.clone(), clock).await
    }

    /// Starts Tally on a database the test made, after `configure` adjusts the
    /// configuration (to reach it through a proxy, say).
    pub async fn spawn_on(
        backend: Backend,
        db: TestDb,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let mut config = Self::test_config(&db);
        configure(&mut config);
        let clock = Arc::new(ManualClock::new(SystemClock.now()));
        Self::start(backend, db, config, clock.clone(), clock).await
    }

    /// Starts a second instance of `other`'s deployment: same database, same Redis
    /// and key prefix, same secret; its own port and clock.
    pub async fn spawn_beside(other: &TestApp) -> TestApp {
        Self::spawn_beside_with(other, |_| {}).await
    }

    /// Starts a second instance of `other`'s deployment after `configure` adjusts its
    /// configuration (another ballot key, say).
    pub async fn spawn_beside_with(
        other: &TestApp,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let db = TestDb {
            url: other.db.url.clone(),
            cleanup: Cleanup::None,
        };
        let mut config = other.config.clone();
        configure(&mut config);
        config.http.listen = "127.0.0.1:0".parse().expect("address");
        let clock = Arc::new(ManualClock::new(other.clock.now_utc()));
        Self::start(other.backend, db, config, clock.clone(), clock).await
    }

    /// Starts Tally on the system clock, for tests that compare real instants; its
    /// `clock` field is then not the app's, and moving it changes nothing.
    pub async fn spawn_with_system_clock(backend: Backend) -> TestApp {
        let db = TestDb::create(backend).await;
        let config = Self::test_config(&db);
        let unused = Arc::new(ManualClock::new(SystemClock.now()));
        Self::start(backend, db, config, Arc::new(SystemClock), unused).await
    }

    fn test_config(db: &TestDb) -> Config {
        let mut config = Config::defaults();
        config.http.listen = "127.0.0.1:0".parse().expect("address");
        config.database.url = Some(db.url.clone());
        config.database.pool_size = 8;
        config.auth.jwt_secret = Some(TEST_JWT_SECRET.to_owned());
        config.auth.ballot_key = Some(TEST_BALLOT_KEY.to_owned());
        config.auth.password_hash_concurrency = 2;
        // Most tests send many calls from one address and user in no time; the rate
        // limit tests turn limits back on.
        config.rate_limits.enabled = false;
        // A guest's proof of work in a handful of hashes (tests that time it raise it).
        config.guests.pow_difficulty = TEST_POW_DIFFICULTY;
        config
    }

    async fn start(
        backend: Backend,
        db: TestDb,
        config: Config,
        app_clock: Arc<dyn Clock>,
        clock: Arc<ManualClock>,
    ) -> TestApp {
        if std::env::var_os("TEST_LOG").is_some() {
            // Logs only (the test config sets no trace endpoint): nothing to keep.
            let _ = tally::telemetry::init(tally::config::LogFormat::Text, &config.telemetry);
        }
        let ports = Ports { clock: app_clock };
        let app = Application::build_with(config.clone(), ports)
            .await
            .expect("the app builds");
        let address = format!("http://{}", app.address());
        let metrics_address = app.metrics_address().map(|a| format!("http://{a}"));
        let shutdown = app.shutdown_handle();
        let metrics = app.metrics();
        let server = tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            backend,
            clock,
            db,
            config,
            metrics,
            metrics_address,
            // The server closes a keep-alive connection idle for its header read
            // timeout (10 s); a pooled connection sent on just as that happens fails
            // with "error sending request". Clients should let pooled connections go
            // sooner than the server does, and so does the tests' client.
            client: reqwest::Client::builder()
                .pool_idle_timeout(Duration::from_secs(5))
                .build()
                .expect("an HTTP client"),
            shutdown,
            server: Some(server),
        }
    }

    /// Asks the server to stop, as SIGTERM does, without waiting.
    pub fn request_stop(&self) {
        self.shutdown.cancel();
    }

    /// Stops the server the way SIGTERM does and waits for it to finish.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        match self.server.take() {
            Some(server) => server.await?,
            None => Ok(()),
        }
    }

    /// The HTTP client, for requests the helpers below do not cover.
    pub fn http(&self) -> &reqwest::Client {
        &self.client
    }

    /// POSTs a GraphQL operation, optionally signed in, and returns the JSON body.
    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the request is sent");
        assert!(
            response.status().is_success(),
            "GraphQL answered HTTP {}",
            response.status()
        );
        response.json().await.expect("a JSON body")
    }

    /// Registers a user and returns it signed in.
    pub async fn register(&self, username: &str) -> TestUser {
        let body = self
            .graphql(
                None,
                "mutation($input: RegisterInput!) { register(input: $input) { token user { id username } } }",
                json!({ "input": { "username": username, "password": "correct horse battery" } }),
            )
            .await;
        let payload = &body["data"]["register"];
        assert!(payload.is_object(), "register failed: {body}");
        TestUser {
            id: payload["user"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            username: username.to_owned(),
            token: payload["token"].as_str().unwrap_or_default().to_owned(),
        }
    }

    /// A fresh guest challenge: `(challenge, salt, difficulty)`.
    pub async fn guest_challenge(&self) -> (String, String, u32) {
        let body = self
            .graphql(
                None,
                "mutation { guestChallenge { challenge salt difficulty expiresAt } }",
                json!({}),
            )
            .await;
        let c = &body["data"]["guestChallenge"];
        assert!(c.is_object(), "guestChallenge failed: {body}");
        (
            c["challenge"].as_str().unwrap_or_default().to_owned(),
            c["salt"].as_str().unwrap_or_default().to_owned(),
            u32::try_from(c["difficulty"].as_u64().unwrap_or_default()).unwrap_or(0),
        )
    }

    /// Calls `startGuestSession` with a challenge and nonce; the whole response body.
    pub async fn start_guest_session(&self, challenge: &str, nonce: &str) -> Value {
        self.graphql(
            None,
            "mutation($input: StartGuestSessionInput!) { startGuestSession(input: $input) { token expiresAt user { id username isGuest } } }",
            json!({ "input": { "challenge": challenge, "nonce": nonce } }),
        )
        .await
    }

    /// Starts a guest session the way the web app does (asks for a challenge, solves
    /// it) and returns the guest signed in.
    pub async fn start_guest(&self) -> TestUser {
        let (challenge, salt, difficulty) = self.guest_challenge().await;
        let nonce = tally::auth::proof_of_work::solve(&salt, difficulty);
        let body = self.start_guest_session(&challenge, &nonce).await;
        let payload = &body["data"]["startGuestSession"];
        assert!(payload.is_object(), "startGuestSession failed: {body}");
        TestUser {
            id: payload["user"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            username: payload["user"]["username"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            token: payload["token"].as_str().unwrap_or_default().to_owned(),
        }
    }

    /// Registers `count` users named `{prefix}{i}`, a few at a time: each sign-up costs
    /// an argon2 hash, and hundreds queued at once on a busy machine would outwait the
    /// request timeout.
    pub async fn register_many(&self, prefix: &str, count: usize) -> Vec<TestUser> {
        use futures::StreamExt;
        futures::stream::iter(0..count)
            .map(|i| async move { self.register(&format!("{prefix}{i}")).await })
            .buffered(4)
            .collect()
            .await
    }

    /// Creates a poll as `user` from a `CreatePollInput` (title and options defaulted) and
    /// returns it with its options.
    pub async fn create_poll(&self, user: &TestUser, mut input: Value) -> Value {
        let fields = input.as_object_mut().expect("an input object");
        fields.entry("title").or_insert(json!("Best language?"));
        fields
            .entry("options")
            .or_insert(json!(["Rust", "Go", "Zig"]));
        let body = self
            .graphql(
                Some(&user.token),
                &format!("mutation($input: CreatePollInput!) {{ createPoll(input: $input) {{ {POLL_FIELDS} }} }}"),
                json!({ "input": input }),
            )
            .await;
        let poll = body["data"]["createPoll"].clone();
        assert!(poll.is_object(), "createPoll failed: {body}");
        poll
    }

    /// Calls `castVote` and returns the whole response body.
    pub async fn cast_vote(
        &self,
        user: &TestUser,
        poll_id: &str,
        option_ids: &[&str],
        key: &str,
    ) -> Value {
        self.graphql(
            Some(&user.token),
            CAST_VOTE,
            json!({ "input": { "pollId": poll_id, "optionIds": option_ids, "idempotencyKey": key } }),
        )
        .await
    }

    /// A poll's results as `user` (or anonymously), whole response body.
    pub async fn results(&self, user: Option<&TestUser>, poll_id: &str) -> Value {
        self.graphql(
            user.map(|u| u.token.as_str()),
            "query($id: ID!) { poll(id: $id) { results { totalVotes version final options { option { id text } votes percentage } } } }",
            json!({ "id": poll_id }),
        )
        .await
    }

    /// Statements the app has run so far.
    pub fn statements(&self) -> u64 {
        self.metrics
            .store
            .statements
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// `GET /graphql` with `params` in the query string: the status and the JSON body
    /// (`null` when it is not JSON).
    pub async fn get_graphql(&self, params: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .http()
            .get(format!("{}/graphql", self.address))
            .query(params)
            .send()
            .await
            .expect("GET /graphql");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The app's `/metrics` page.
    pub async fn metrics_text(&self) -> String {
        self.http()
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("the metrics text")
    }

    /// A direct connection to the app's database.
    pub async fn db(&self) -> DatabaseConnection {
        self.db.connect().await
    }

    /// Counts the rows of a table.
    pub async fn count_rows(&self, table: &str) -> i64 {
        let db = self.db().await;
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count query")
            .expect("a row");
        let n = row.try_get::<i64>("", "n").expect("a count");
        let _ = db.close().await;
        n
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Points a configuration at a Redis, with keys under a prefix of this test's own.
pub fn use_redis(config: &mut Config, url: String) {
    config.redis.url = Some(url);
    config.redis.key_prefix = format!("t{}", uuid::Uuid::new_v4().simple());
}

/// Reads a counter of the app.
pub fn counter(value: &std::sync::atomic::AtomicU64) -> u64 {
    value.load(std::sync::atomic::Ordering::SeqCst)
}

/// The fields the helpers ask for on a poll.
pub const POLL_FIELDS: &str = "id title description kind minChoices maxChoices status opensAt closesAt closedAt createdAt resultsVisibility allowVoteChange owner { id username } options { id text position }";

/// `castVote` with the vote's id and options.
pub const CAST_VOTE: &str = "mutation($input: CastVoteInput!) { castVote(input: $input) { replayed vote { id optionIds castAt options { id text } poll { id } } } }";

/// The option ids of a poll returned by [`TestApp::create_poll`].
pub fn option_ids(poll: &Value) -> Vec<String> {
    poll["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| o["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// A response body without `extensions.cost` (and without `extensions` when that was
/// all it held), for tests that compare whole bodies and are not about cost.
pub fn without_cost(mut body: Value) -> Value {
    fn strip(response: &mut Value) {
        if let Some(extensions) = response
            .get_mut("extensions")
            .and_then(Value::as_object_mut)
        {
            extensions.remove("cost");
            if extensions.is_empty()
                && let Some(object) = response.as_object_mut()
            {
                object.remove("extensions");
            }
        }
    }
    match &mut body {
        Value::Array(batch) => batch.iter_mut().for_each(strip),
        one => strip(one),
    }
    body
}
