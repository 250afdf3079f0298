//! Redis for the tests: the shared one (at `TEST_REDIS_URL`, default
//! `redis://127.0.0.1:6379`), or a `redis-server` a test starts, stops and restarts on
//! its own port. A missing Redis fails the test with a message; nothing is skipped.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The shared test Redis, checked to answer.
pub fn shared_redis_url() -> String {
    let url =
        std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let address = address_of(&url);
    if command(&address, &["PING"]).as_deref() != Ok("PONG") {
        panic!(
            "Redis is needed for these tests and does not answer at {url}.\nStart it with \
             `redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save \"\" --appendonly no` \
             or point TEST_REDIS_URL at one."
        );
    }
    url
}

/// `host:port` of a `redis://host:port[/db]` URL.
pub fn address_of(url: &str) -> String {
    let rest = url.trim_start_matches("redis://");
    rest.split('/').next().unwrap_or(rest).to_owned()
}

/// Sends one command and returns the reply as text (`nil` as an error).
pub fn command(address: &str, args: &[&str]) -> Result<String, String> {
    let mut stream = TcpStream::connect(address).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    let line = line.trim_end();
    match line.chars().next() {
        Some('+') | Some(':') => Ok(line[1..].to_owned()),
        Some('-') => Err(line[1..].to_owned()),
        Some('$') if line == "$-1" => Err("nil".to_owned()),
        Some('$') => {
            let mut value = String::new();
            reader.read_line(&mut value).map_err(|e| e.to_string())?;
            Ok(value.trim_end().to_owned())
        }
        _ => Err(format!("unexpected reply {line:?}")),
    }
}

/// A `redis-server` of the test's own.
pub struct TestRedis {
    /// `127.0.0.1:<port>`.
    pub address: String,
    /// Where it keeps an append-only file, when it is persistent.
    pub dir: Option<PathBuf>,
    child: Option<Child>,
}

impl TestRedis {
    /// Starts a server on a free port and waits until it answers.
    pub fn start() -> TestRedis {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut redis = TestRedis {
            address: format!("127.0.0.1:{port}"),
            dir: None,
            child: None,
        };
        redis.restart();
        redis
    }

    /// Starts a server that writes every command to an append-only file in a fresh
    /// directory (fsync on every write) and reads it back when restarted.
    pub fn start_persistent() -> TestRedis {
        let dir = std::env::temp_dir().join(format!("tally-redis-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("a directory for the append-only file");
        let mut redis = TestRedis::start();
        redis.stop();
        redis.dir = Some(dir);
        redis.restart();
        redis
    }

    /// Freezes the server (SIGSTOP): connections stay open and nothing is answered.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Thaws a paused server (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let child = self.child.as_ref().expect("the server runs");
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} failed");
    }

    /// `redis://` URL of the server.
    pub fn url(&self) -> String {
        format!("redis://{}", self.address)
    }

    /// The server's process id, while it runs (to send it signals such as SIGSTOP).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the server at once (no shutdown, like a crash).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (empty, or from its append-only file
    /// when persistent) and waits until it answers.
    pub fn restart(&mut self) {
        self.stop();
        let port = self
            .address
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        let mut args = vec!["--port", &port, "--bind", "127.0.0.1", "--save", ""];
        let dir = self.dir.as_ref().map(|d| d.display().to_string());
        match &dir {
            Some(dir) => args.extend([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                dir,
            ]),
            None => args.extend(["--appendonly", "no"]),
        }
        let child = Command::new("redis-server")
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start redis-server ({e}); install Debian's redis-server package")
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while command(&self.address, &["PING"]).as_deref() != Ok("PONG") {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on {}",
                self.address
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
