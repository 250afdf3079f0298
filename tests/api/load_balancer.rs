//! Three Tally processes (PostgreSQL and the shared Redis) behind HAProxy running
//! `deploy/haproxy.cfg`, the file operators use, with the test's ports in its
//! environment variables. Votes flow through the balancer from many clients and
//! WebSocket subscribers spread over the three; mid-load one instance is SIGKILLed and
//! another SIGTERMed (drained). Every acknowledged vote is in PostgreSQL once; the
//! drained instance exits cleanly in its grace period and closes its sockets with 1012
//! (service restart); every subscriber reconnects through the balancer and resumes
//! from the current tally, at a version no lower than the last it saw, and ends on the
//! final one. A missing `haproxy` fails the test (`scripts/ensure-haproxy.sh` installs
//! it); nothing is skipped.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};
use tally::shutdown::SHUTDOWN_MARGIN;
use tokio::sync::{Mutex, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::ballot_audit::{Audit, ballots_per_poll};
use crate::helpers::{Backend, CAST_VOTE, TEST_JWT_SECRET, TestDb};
use crate::process_support::TallyProcess;
use crate::ws_support::POLL_RESULTS;

const INSTANCES: usize = 3;
const POLLS: usize = 2;
/// Voters; each votes on every poll.
const VOTERS: usize = 100;
/// Votes in flight at once.
const IN_FLIGHT: usize = 8;
/// A caller's pause before each vote, so that the load spans both faults.
const PACE: Duration = Duration::from_millis(120);
/// Subscribers to the first poll, opened through the balancer.
const SUBSCRIBERS: usize = 9;
/// The instances' shutdown grace period.
const GRACE: Duration = Duration::from_secs(5);
/// The close code of an instance that is stopping: "service restart", reconnect.
const SERVICE_RESTART: u16 = 1012;
/// The header the balancer names the answering instance in.
const INSTANCE_HEADER: &str = "x-tally-instance";
/// Votes sent straight to the instance about to be drained, in flight at its SIGTERM.
const DRAIN_VOTES: usize = 12;
/// How long those votes are held (the ballots table locked) before, and after, the
/// SIGTERM.
const HOLD: Duration = Duration::from_millis(300);

/// HAProxy running `deploy/haproxy.cfg`; killed when dropped.
struct Balancer {
    child: Child,
    /// `127.0.0.1:<port>` where clients connect.
    address: String,
}

/// The `haproxy` binary, or a failure saying how to install it.
fn haproxy_binary() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|dir: PathBuf| dir.join("haproxy"))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "haproxy is needed for the load-balancer test and is not installed: run \
                 scripts/ensure-haproxy.sh as root (make test does), or apt-get install haproxy"
            )
        })
}

impl Balancer {
    fn start(instances: &[TallyProcess]) -> Balancer {
        let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/haproxy.cfg");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let address = format!("127.0.0.1:{port}");
        let mut command = Command::new(haproxy_binary());
        command
            .arg("-f")
            .arg(&config)
            .arg("-db")
            .env("TALLY_LB_BIND", &address)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (i, instance) in instances.iter().enumerate() {
            command.env(
                format!("TALLY_{}", i + 1),
                instance.address.trim_start_matches("http://"),
            );
        }
        let child = command.spawn().expect("starting haproxy");
        Balancer { child, address }
    }
}

impl Balancer {
    /// Fails the test if HAProxy has exited (it refused its configuration, say).
    fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("haproxy exited with {status}; its messages are above");
        }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn env(db: &TestDb, redis: &str, prefix: &str) -> Vec<(&'static str, String)> {
    vec![
        ("TALLY_LISTEN", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", db.url.clone()),
        ("TALLY_DB_POOL_SIZE", "8".to_owned()),
        ("REDIS_URL", redis.to_owned()),
        ("TALLY_REDIS_KEY_PREFIX", prefix.to_owned()),
        ("TALLY_JWT_SECRET", TEST_JWT_SECRET.to_owned()),
        ("TALLY_RATE_LIMITS", "false".to_owned()),
        ("TALLY_TRUST_FORWARDED_FOR", "true".to_owned()),
        ("TALLY_PASSWORD_HASH_CONCURRENCY", "2".to_owned()),
        ("TALLY_SHUTDOWN_GRACE_SECS", GRACE.as_secs().to_string()),
        (
            "TALLY_DATA_DIR",
            std::env::temp_dir()
                .join("tally-lb-test")
                .display()
                .to_string(),
        ),
        ("TALLY_STATIC_DIR", "/nonexistent".to_owned()),
    ]
}

/// A GraphQL call through the balancer: the body, or why there is none.
async fn post(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Result<(Value, String), String> {
    let mut request = client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let instance = response
        .headers()
        .get(INSTANCE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    let body = response.json().await.map_err(|e| e.to_string())?;
    Ok((body, instance))
}

/// Why calls through the balancer were retried, and how often.
#[derive(Default)]
struct Retries(std::sync::Mutex<BTreeMap<String, usize>>);

impl Retries {
    fn count(&self, why: String) {
        *self.0.lock().unwrap().entry(why).or_default() += 1;
    }
}

/// Calls until answered with data (a retry of a vote carries its key, so it replays).
/// `count` accounts named `{prefix}{i}`, registered through the balancer a few at a
/// time; their tokens, in order.
async fn register_accounts(
    client: &reqwest::Client,
    base: &str,
    prefix: &str,
    count: usize,
    retries: &Retries,
) -> Vec<String> {
    let register = "mutation($i: RegisterInput!) { register(input: $i) { token } }";
    futures::stream::iter(0..count)
        .map(|i| async move {
            let input = json!({ "i": { "username": format!("{prefix}{i}"), "password": "correct horse battery" } });
            let (body, _) = call(client, base, None, register, input, retries).await;
            body["data"]["register"]["token"].as_str().unwrap().to_owned()
        })
        .buffered(6)
        .collect()
        .await
}

async fn call(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
    retries: &Retries,
) -> (Value, String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let outcome = post(client, base, token, query, variables.clone()).await;
        match &outcome {
            Ok((body, _)) if body["errors"].is_null() => return outcome.unwrap(),
            Ok((body, _)) => {
                let code = body["errors"][0]["extensions"]["code"].as_str();
                assert!(
                    matches!(
                        code,
                        Some("INTERNAL" | "OVERLOADED" | "TIMEOUT" | "UNAVAILABLE")
                    ),
                    "refused for good: {body}"
                );
                retries.count(code.unwrap_or_default().to_owned());
            }
            Err(why) => retries.count(reason(why)),
        }
        assert!(
            Instant::now() < deadline,
            "no answer within 30 s: {outcome:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A transport failure, in a few words (without addresses).
fn reason(error: &str) -> String {
    if error.starts_with("HTTP") {
        error.to_owned()
    } else if error.contains("connect") {
        "connection refused".to_owned()
    } else {
        "connection closed".to_owned()
    }
}

/// What one subscriber went through.
#[derive(Debug, Default)]
struct Journey {
    /// The instance of each connection, in order.
    instances: Vec<String>,
    /// Close codes seen (1006: closed without a Close frame).
    closes: Vec<u16>,
    /// For each reconnection: last version before, first version after, and the time
    /// from the close to that first tally.
    resumes: Vec<(i64, i64, Duration)>,
    /// The last tally: (totalVotes, version).
    last: (i64, i64),
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects through the balancer, initialises and subscribes; the socket and the
/// instance that took it.
async fn subscribe(balancer: &str, poll: &str) -> Option<(Socket, String)> {
    let mut request = format!("ws://{balancer}/graphql/ws")
        .into_client_request()
        .expect("a request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("a header"),
    );
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.ok()?;
    let instance = response
        .headers()
        .get(INSTANCE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let init = json!({ "type": "connection_init", "payload": {} });
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .ok()?;
    let subscribe = json!({ "id": "r", "type": "subscribe",
        "payload": { "query": POLL_RESULTS, "variables": { "id": poll } } });
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await
        .ok()?;
    Some((socket, instance))
}

/// Follows a poll's tally through the balancer until `done` holds the final total and
/// it was seen, reconnecting whenever the connection ends.
async fn follow(balancer: String, poll: String, mut done: watch::Receiver<Option<i64>>) -> Journey {
    let mut journey = Journey::default();
    let mut closed_at: Option<Instant> = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    'connections: loop {
        let Some((mut socket, instance)) = subscribe(&balancer, &poll).await else {
            assert!(
                Instant::now() < deadline,
                "no connection through the balancer"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        journey.instances.push(instance);
        loop {
            if done.borrow().is_some_and(|total| total == journey.last.0) {
                return journey;
            }
            let frame = tokio::select! {
                frame = socket.next() => frame,
                _ = done.changed() => continue,
                () = tokio::time::sleep(Duration::from_secs(15)) => panic!("{journey:?}: no message in 15 s"),
            };
            let code = match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text).expect("JSON");
                    if message["type"] == "ping" {
                        let _ = socket
                            .send(Message::Text(r#"{"type":"pong"}"#.into()))
                            .await;
                    }
                    if message["type"] != "next" {
                        continue;
                    }
                    let results = &message["payload"]["data"]["pollResults"];
                    let tally = (
                        results["totalVotes"].as_i64().expect("totalVotes"),
                        results["version"].as_i64().expect("version"),
                    );
                    assert!(
                        tally.1 >= journey.last.1,
                        "{journey:?}: version went back to {tally:?}"
                    );
                    if let Some(at) = closed_at.take() {
                        journey
                            .resumes
                            .push((journey.last.1, tally.1, at.elapsed()));
                    }
                    journey.last = tally;
                    continue;
                }
                Some(Ok(Message::Close(frame))) => frame.map_or(1005, |f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => 1006,
            };
            journey.closes.push(code);
            closed_at = Some(Instant::now());
            continue 'connections;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_behind_haproxy_lose_no_vote_when_one_is_killed_and_one_drained() {
    let haproxy = haproxy_binary();
    assert!(haproxy.is_file());
    let db = TestDb::create(Backend::Postgres).await;
    let redis = crate::redis_support::shared_redis_url();
    let prefix = format!("t{}", uuid::Uuid::new_v4().simple());
    // One at a time: the first migrates the fresh schema.
    let mut instances = Vec::new();
    for _ in 0..INSTANCES {
        let env = env(&db, &redis, &prefix);
        instances.push(
            tokio::task::spawn_blocking(move || TallyProcess::start(&env))
                .await
                .unwrap(),
        );
    }
    let mut balancer = Balancer::start(&instances);
    let base = format!("http://{}", balancer.address);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let ready = Instant::now() + Duration::from_secs(10);
    while client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .ok()
        != Some(200)
    {
        balancer.assert_running();
        assert!(
            Instant::now() < ready,
            "the balancer did not answer /readyz within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let retries = Retries::default();
    let owner = register_accounts(&client, &base, "owner", 1, &retries)
        .await
        .remove(0);
    let mut polls = Vec::new();
    for _ in 0..POLLS {
        let (body, _) = call(
            &client,
            &base,
            Some(&owner),
            "mutation($i: CreatePollInput!) { createPoll(input: $i) { id options { id } } }",
            json!({ "i": { "title": "Balanced?", "options": ["yes", "no", "maybe"] } }),
            &retries,
        )
        .await;
        let poll = &body["data"]["createPoll"];
        let options: Vec<String> = poll["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect();
        polls.push((poll["id"].as_str().unwrap().to_owned(), options));
    }
    let voters = register_accounts(&client, &base, "voter", VOTERS, &retries).await;
    let drain_voters = register_accounts(&client, &base, "drain", DRAIN_VOTES, &retries).await;

    // Subscribers, spread by the balancer.
    let (done_tx, done_rx) = watch::channel(None);
    let followers: Vec<_> = (0..SUBSCRIBERS)
        .map(|_| {
            tokio::spawn(follow(
                balancer.address.clone(),
                polls[0].0.clone(),
                done_rx.clone(),
            ))
        })
        .collect();

    // The load, and the faults part-way through it.
    let votes: Vec<(usize, usize)> = (0..VOTERS)
        .flat_map(|v| (0..POLLS).map(move |p| (v, p)))
        .collect();
    let total = votes.len();
    let acked = AtomicUsize::new(0);
    let answers = Mutex::new(Vec::new());
    let (drained_tx, drained_rx) = watch::channel(false);
    let started = Instant::now();
    let load = futures::stream::iter(votes.into_iter().enumerate())
        .map(|(n, (voter, poll))| {
            let (client, base, retries, acked, answers, voters, polls) =
                (&client, &base, &retries, &acked, &answers, &voters, &polls);
            let mut drained = drained_rx.clone();
            async move {
                // The last third waits until the drain is over, so that every
                // subscriber sees votes after it reconnected.
                if n >= total * 2 / 3 {
                    let _ = drained.wait_for(|done| *done).await;
                }
                tokio::time::sleep(PACE).await;
                let (poll_id, options) = &polls[poll];
                let variables = json!({ "input": { "pollId": poll_id,
                    "optionIds": [options[(voter + poll) % 3]], "idempotencyKey": format!("lb-{n}") } });
                let (body, instance) = call(client, base, Some(&voters[voter]), CAST_VOTE, variables, retries).await;
                let id = body["data"]["castVote"]["vote"]["id"].as_str().expect("a ballot").to_owned();
                answers.lock().await.push((id, instance, started.elapsed()));
                acked.fetch_add(1, Ordering::SeqCst);
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<()>>();
    let faults = async {
        while acked.load(Ordering::SeqCst) < total / 4 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        instances[0].signal("KILL");
        let killed_at = started.elapsed();
        while acked.load(Ordering::SeqCst) < total / 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Votes sent straight to tally2 are held in flight (the ballots table is
        // locked for a moment) when its SIGTERM arrives: it must still answer them.
        let holder = db.connect().await;
        let lock = holder.begin().await.unwrap();
        lock.execute_unprepared("LOCK TABLE votes IN EXCLUSIVE MODE")
            .await
            .unwrap();
        let (poll_id, options) = polls[1].clone();
        let in_flight: Vec<_> = drain_voters
            .iter()
            .enumerate()
            .map(|(i, token)| {
                let (client, base) = (client.clone(), instances[1].address.clone());
                let variables = json!({ "input": { "pollId": poll_id,
                    "optionIds": [options[i % 3]], "idempotencyKey": format!("drain-{i}") } });
                let token = token.clone();
                tokio::spawn(async move {
                    post(&client, &base, Some(&token), CAST_VOTE, variables).await
                })
            })
            .collect();
        tokio::time::sleep(HOLD).await;
        instances[1].signal("TERM");
        let drained_at = started.elapsed();
        tokio::time::sleep(HOLD).await;
        lock.commit().await.unwrap();
        let mut finished = Vec::new();
        for call in in_flight {
            let (body, _) = call.await.unwrap().expect("the draining instance answers");
            let id = body["data"]["castVote"]["vote"]["id"].as_str();
            finished.push(
                id.unwrap_or_else(|| panic!("in flight at SIGTERM: {body}"))
                    .to_owned(),
            );
        }
        drained_tx.send_replace(true);
        (killed_at, drained_at, finished)
    };
    let ((), (killed_at, drained_at, finished)) = tokio::join!(
        async {
            load.await;
        },
        faults
    );
    let load_time = started.elapsed();

    // The drained instance finished in its grace period, and cleanly.
    let mut drained = instances.remove(1);
    let exit = tokio::task::spawn_blocking(move || {
        let exit = drained.wait_exit(GRACE + SHUTDOWN_MARGIN + Duration::from_secs(3));
        (exit, drained)
    })
    .await
    .unwrap();
    let status = exit.0.unwrap_or_else(|| {
        panic!(
            "the drained instance is still running:\n{}",
            exit.1.log_text()
        )
    });
    assert!(
        status.success(),
        "the drained instance exited with {status}"
    );

    // Every acknowledged vote present once.
    let answers = answers.into_inner();
    let mut ids: Vec<String> = answers.iter().map(|(id, _, _)| id.clone()).collect();
    ids.extend(finished.iter().cloned());
    let poll_ids: Vec<String> = polls.iter().map(|(id, _)| id.clone()).collect();
    let audit = Audit::of(&db, &poll_ids, &ids).await;
    assert_eq!(audit.acknowledged, total + DRAIN_VOTES, "{audit:?}");
    assert_eq!(
        (
            audit.lost,
            audit.duplicated,
            audit.unacknowledged,
            audit.miscounted_polls
        ),
        (0, 0, 0, 0),
        "{audit:?}"
    );
    let per_instance: Vec<usize> = (1..=INSTANCES)
        .map(|i| {
            answers
                .iter()
                .filter(|(_, instance, _)| *instance == format!("tally{i}"))
                .count()
        })
        .collect();
    let drained_in_flight = answers
        .iter()
        .filter(|(_, instance, at)| instance == "tally2" && *at >= drained_at)
        .count();

    // Subscribers end on the final tally, having reconnected through the balancer.
    let final_total = ballots_per_poll(&db, &polls[0].0).await;
    done_tx.send_replace(Some(final_total));
    let mut journeys = Vec::new();
    for follower in followers {
        journeys.push(
            tokio::time::timeout(Duration::from_secs(20), follower)
                .await
                .expect("a subscriber ends")
                .unwrap(),
        );
    }
    let first_instances: Vec<&str> = journeys.iter().map(|j| j.instances[0].as_str()).collect();
    for i in 1..=INSTANCES {
        assert!(
            first_instances.contains(&format!("tally{i}").as_str()),
            "subscribers spread: {first_instances:?}"
        );
    }
    for journey in &journeys {
        assert_eq!(journey.last.0, final_total, "{journey:?}");
        match journey.instances[0].as_str() {
            "tally1" => assert!(
                !journey.closes.is_empty() && journey.resumes.len() == journey.closes.len(),
                "{journey:?}"
            ),
            "tally2" => assert_eq!(
                journey.closes.first(),
                Some(&SERVICE_RESTART),
                "{journey:?}"
            ),
            _ => {}
        }
        assert!(
            journey.instances.iter().skip(1).all(|i| i != "tally1"),
            "reconnected to the killed instance: {journey:?}"
        );
        assert_eq!(journey.resumes.len(), journey.closes.len(), "{journey:?}");
        // Votes went on after each reconnection: the subscriber saw them, through the
        // instance it landed on.
        if let Some(before) = journey.resumes.iter().map(|r| r.0).max() {
            assert!(
                journey.last.1 > before,
                "no newer tally after reconnecting: {journey:?}"
            );
        }
    }
    let resumes: Vec<&(i64, i64, Duration)> = journeys.iter().flat_map(|j| &j.resumes).collect();
    let slowest = resumes.iter().map(|r| r.2).max().unwrap_or_default();
    let higher = resumes.iter().filter(|r| r.1 > r.0).count();
    println!(
        "load balancer fault: votes acknowledged={} present={} lost={} duplicated={} \
         unacknowledged={}; answered through the balancer per instance {per_instance:?}, \
         {drained_in_flight} of them by tally2 after its SIGTERM; {} votes held in flight \
         on tally2 at its SIGTERM, all answered; retries through the balancer {:?}; tally1 \
         SIGKILLed at {:.1}s, tally2 SIGTERMed at {:.1}s and exited {status} ; load {:.1}s; \
         subscribers first on {first_instances:?}; close codes {:?}; {} reconnections, \
         slowest {} ms, resumed at a higher version {higher}, equal {}; final totalVotes={} \
         version={:?}",
        audit.acknowledged,
        audit.present,
        audit.lost,
        audit.duplicated,
        audit.unacknowledged,
        finished.len(),
        retries.0.lock().unwrap(),
        killed_at.as_secs_f64(),
        drained_at.as_secs_f64(),
        load_time.as_secs_f64(),
        journeys
            .iter()
            .map(|j| j.closes.clone())
            .collect::<Vec<_>>(),
        resumes.len(),
        slowest.as_millis(),
        resumes.len() - higher,
        final_total,
        journeys.iter().map(|j| j.last.1).max(),
    );
}
