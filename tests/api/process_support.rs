//! The `tally` binary as a process of its own, for what only a process shows: signals,
//! exit codes, a main future that never ends.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the binary may take to start listening (it migrates a fresh database).
const START_PATIENCE: Duration = Duration::from_secs(60);

/// A running `tally` process; killed when dropped if still alive.
pub struct TallyProcess {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Every log line so far (JSON), for failure messages.
    log: Arc<Mutex<Vec<String>>>,
}

impl TallyProcess {
    /// Starts the binary with exactly `env` as its environment (nothing inherited, so no
    /// stray `DATABASE_URL` or `REDIS_URL` of the shell leaks in), and waits until it
    /// logs the address it listens on.
    pub fn start(env: &[(&str, String)]) -> TallyProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tally-under-test"))
            .env_clear()
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting the tally binary");
        let stdout = child.stdout.take().expect("its stdout");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        // Drain the log for the process's whole life: a full pipe would block its writes.
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line)
                    && entry["message"] == "tally listening"
                    && let Some(address) = entry["address"].as_str()
                {
                    let _ = address_tx.send(address.to_owned());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let mut process = TallyProcess {
            child,
            address: String::new(),
            log,
        };
        match address_rx.recv_timeout(START_PATIENCE) {
            Ok(address) => process.address = format!("http://{address}"),
            Err(_) => panic!(
                "tally did not start listening within {START_PATIENCE:?}; its log:\n{}",
                process.log_text()
            ),
        }
        process
    }

    /// Sends the process a signal (`"TERM"`, `"KILL"`, …).
    pub fn signal(&self, name: &str) {
        send_signal(self.child.id(), name);
    }

    /// Waits up to `patience` for the process to exit; its status, or `None` if it is
    /// still running.
    pub fn wait_exit(&mut self, patience: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + patience;
        loop {
            if let Some(status) = self.child.try_wait().expect("polling the process") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            // Waiting for an exit, not for readiness: there is nothing to be told.
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The log so far, one JSON object per line.
    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for TallyProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Sends signal `name` to process `pid` with kill(1).
pub fn send_signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .expect("running kill");
    assert!(status.success(), "kill -{name} {pid} failed");
}

/// A GraphQL call over HTTP to a server process at `base` (`http://…`), optionally with
/// a bearer token; the answer's body.
pub async fn graphql(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    let mut request = client
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}
