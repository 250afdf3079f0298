//! Fuzz tests: generated GraphQL documents, variables, HTTP requests and WebSocket
//! messages thrown at a real server, a fixed number of cases from a fixed seed, so a
//! run is reproducible and bounded in time (`make test` runs them like any other test).
//!
//! Whatever a client sends, the server
//! - never answers 5xx, never panics (a panic hook counts panics on the server's
//!   threads), and still answers `/healthz` and a normal query after the run;
//! - answers within [`BUDGET`]: the document limits bound all the work of a request,
//!   so nothing may take long, however hostile;
//! - gives every GraphQL error an `extensions.code` from the README's table, with the
//!   HTTP status the table names, and never `INTERNAL` (nothing here is the server's
//!   fault: the database is up);
//! - on the WebSocket, answers by the protocol or closes with a documented close code,
//!   the one the messages sent call for, never 1006 or 1011, and keeps serving other
//!   connections.
//!
//! Generators are grammar-aware: documents are built from `schema.graphql`'s real
//! types, fields, arguments and enums ([`schema`]) as a [`syntax`] tree ([`documents`],
//! [`selections`], [`inputs`]), with leaves from pools of hostile and real values
//! ([`values`], the real ones from the data [`world`] seeds), in shapes built to strain
//! the limits ([`hostile`]), and sometimes mangled as text ([`mangle`]). [`contract`]
//! reads what the README promises; [`http`] and [`websocket`] hold the properties;
//! [`ws_messages`] generates WebSocket sessions and [`ws_model`] says what the protocol
//! calls for.
//!
//! `PROPTEST_CASES=5000 PROPTEST_RNG_SEED=7 cargo nextest run -p tally-tests -E
//! 'test(/fuzz/)'` runs longer, or other, cases; a failure prints the seed and the
//! smallest case found.

pub(crate) mod contract;
mod documents;
mod hostile;
mod http;
mod inputs;
mod mangle;
mod schema;
mod selections;
mod syntax;
mod values;
mod websocket;
mod world;
mod ws_messages;
mod ws_model;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proptest::strategy::Strategy;
use proptest::test_runner::{
    Config as ProptestConfig, RngSeed, TestCaseError, TestError, TestRunner,
};
use serde_json::json;
use tally::config::Config;
use tokio::runtime::Runtime;

use crate::helpers::{Backend, TestApp};
use world::World;

/// The longest any one request (or WebSocket exchange) may take. Generous: a debug
/// build on a shared two-core machine answers these in milliseconds.
pub const BUDGET: Duration = Duration::from_secs(2);

/// The seed used when `PROPTEST_RNG_SEED` is not set.
const SEED: u64 = 0x7a11_f022;

/// Threads of the runtimes the fuzz tests start their server on; panics on them count.
const SERVER_THREADS: &str = "fuzz-server";

/// Panics seen on [`SERVER_THREADS`] since the process started.
static SERVER_PANICS: AtomicUsize = AtomicUsize::new(0);

/// A server started for fuzzing, the data it was seeded with, and the runtime both
/// live on.
pub struct Fuzz {
    /// The server.
    pub app: TestApp,
    /// The seeded data: a signed-in user, polls and their ids.
    pub world: World,
    /// How the cases of the property being checked ended, by kind: printed after the
    /// run, to show what the generators reach.
    outcomes: Mutex<BTreeMap<String, u32>>,
    runtime: Runtime,
}

impl Fuzz {
    /// Starts a server (SQLite, no Redis), and seeds it.
    pub fn start() -> Fuzz {
        Self::start_with(Backend::Sqlite, |_| {})
    }

    /// Starts a server on PostgreSQL with the shared test Redis, and seeds it.
    pub fn start_with_redis() -> Fuzz {
        let url = crate::redis_support::shared_redis_url();
        Self::start_with(Backend::Postgres, |c| crate::helpers::use_redis(c, url))
    }

    fn start_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Fuzz {
        count_server_panics();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(SERVER_THREADS)
            .enable_all()
            .build()
            .expect("a runtime");
        let (app, world) = runtime.block_on(async {
            let app = TestApp::spawn_with(backend, configure).await;
            let world = World::seed(&app).await;
            (app, world)
        });
        Fuzz {
            app,
            world,
            outcomes: Mutex::default(),
            runtime,
        }
    }

    /// Counts a case's outcome (`"200 data"`, `"closed 4400"`, …).
    pub fn note(&self, outcome: impl Into<String>) {
        let mut outcomes = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        *outcomes.entry(outcome.into()).or_default() += 1;
    }

    /// Runs `future` on the server's runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Checks `property` on `cases` values of `strategy` (or `PROPTEST_CASES`), from
    /// the fixed seed (or `PROPTEST_RNG_SEED`); panics with the smallest failing case.
    /// A case also fails when the server panicked while it ran.
    pub fn check<S, F, Fut>(&self, name: &str, cases: u32, strategy: S, property: F)
    where
        S: Strategy,
        S::Value: Clone + std::fmt::Debug,
        F: Fn(S::Value) -> Fut,
        Fut: Future<Output = Result<(), TestCaseError>>,
    {
        let cases = env_number("PROPTEST_CASES").map_or(cases, |n| n as u32);
        let seed = env_number("PROPTEST_RNG_SEED").unwrap_or(SEED);
        let config = ProptestConfig {
            cases,
            rng_seed: RngSeed::Fixed(seed),
            failure_persistence: None,
            // Shrinking replays cases against the server: keep it bounded too.
            max_shrink_iters: 500,
            ..ProptestConfig::default()
        };
        let started = Instant::now();
        let result = TestRunner::new(config).run(&strategy, |case| {
            let panics = SERVER_PANICS.load(Ordering::SeqCst);
            self.block_on(property(case))?;
            match SERVER_PANICS.load(Ordering::SeqCst) - panics {
                0 => Ok(()),
                n => Err(TestCaseError::fail(format!(
                    "the server panicked {n} times"
                ))),
            }
        });
        let outcomes =
            std::mem::take(&mut *self.outcomes.lock().unwrap_or_else(|p| p.into_inner()));
        eprintln!(
            "fuzz {name}: {cases} cases, seed {seed}, {:?}; outcomes: {outcomes:?}",
            started.elapsed()
        );
        match result {
            Ok(()) => {}
            Err(TestError::Abort(why)) => panic!("fuzz {name} (seed {seed}) aborted: {why}"),
            Err(TestError::Fail(why, case)) => panic!(
                "fuzz {name} (seed {seed}) failed: {}\nsmallest case found: {}",
                abbreviate(&why.to_string()),
                abbreviate(&format!("{case:#?}"))
            ),
        }
    }

    /// Asserts that the server still serves: `/healthz`, and a query that reads data.
    pub fn assert_still_serving(&self) {
        self.block_on(async {
            let health = self
                .app
                .http()
                .get(format!("{}/healthz", self.app.address))
                .timeout(BUDGET)
                .send()
                .await
                .expect("/healthz answers after the run");
            assert!(
                health.status().is_success(),
                "/healthz: {}",
                health.status()
            );
            let body = self
                .app
                .graphql(
                    Some(&self.world.user.token),
                    "{ viewer { username } polls(first: 5) { edges { node { title } } } }",
                    json!({}),
                )
                .await;
            assert_eq!(
                body["data"]["viewer"]["username"],
                self.world.user.username.as_str(),
                "{body}"
            );
        });
        assert_eq!(
            SERVER_PANICS.load(Ordering::SeqCst),
            0,
            "the server panicked during the run"
        );
    }
}

/// `text` with runs of one character cut short, and cut to a readable length: cases
/// carry strings of tens of kilobytes.
fn abbreviate(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let mut run = 1;
        while chars.peek() == Some(&c) {
            chars.next();
            run += 1;
        }
        match run {
            20.. if !c.is_whitespace() => out.push_str(&format!("{c}…(×{run})")),
            _ => out.extend(std::iter::repeat_n(c, run)),
        }
    }
    if out.chars().count() > 6000 {
        out = out.chars().take(6000).collect::<String>() + "…(cut)";
    }
    out
}

/// A number from the environment, when set and readable.
fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// Installs (once) a panic hook that counts panics on [`SERVER_THREADS`] before
/// reporting them as usual: a panic in a request's task only drops that connection,
/// which a client could mistake for a network error, and one in a background task is
/// not seen by any client at all.
fn count_server_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let on_server = std::thread::current()
                .name()
                .is_some_and(|name| name.starts_with(SERVER_THREADS));
            if on_server {
                SERVER_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}
