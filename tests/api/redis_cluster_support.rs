//! A real Redis Cluster of the test's own: three masters (`redis-server
//! --cluster-enabled yes`) on free ports, each in its own temporary directory, joined
//! with `redis-cli --cluster create`, stopped when dropped. No persistence: a master that
//! is killed and restarted comes back with its slots (its `nodes.conf` stays in its
//! directory) but without its keys, as a crashed cache would. A missing `redis-server`
//! or `redis-cli` fails the test with a message; nothing is skipped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Masters in the cluster.
pub const MASTERS: usize = 3;
/// `cluster-node-timeout`: how long a master may be silent before the others mark it
/// failed. Short, so that a killed master is noticed within the test.
pub const NODE_TIMEOUT_MS: u64 = 1000;
/// How long the cluster may take to form (or to heal after a restart).
const FORM_PATIENCE: Duration = Duration::from_secs(30);

/// One master of the cluster.
struct Node {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

/// A running three-master Redis Cluster.
pub struct TestCluster {
    nodes: Vec<Node>,
}

impl TestCluster {
    /// Starts three masters, joins them (slots split evenly, no replicas) and waits until
    /// every node reports `cluster_state:ok`.
    pub fn start() -> TestCluster {
        let root = std::env::temp_dir().join(format!("tally-cluster-{}", uuid::Uuid::now_v7()));
        let nodes = free_ports(MASTERS)
            .into_iter()
            .enumerate()
            .map(|(i, port)| {
                let dir = root.join(format!("node{i}"));
                std::fs::create_dir_all(&dir).expect("a directory for the node");
                Node {
                    port,
                    dir,
                    child: None,
                }
            })
            .collect();
        let mut cluster = TestCluster { nodes };
        for i in 0..MASTERS {
            cluster.launch(i);
        }
        let mut create = vec!["--cluster".to_owned(), "create".to_owned()];
        create.extend(cluster.addresses());
        create.extend(["--cluster-replicas", "0", "--cluster-yes"].map(str::to_owned));
        let output = Command::new("redis-cli")
            .args(&create)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run redis-cli ({e}); install Debian's redis-tools package")
            });
        assert!(
            output.status.success(),
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        cluster.wait_healthy();
        cluster
    }

    /// `127.0.0.1:<port>` of each master.
    pub fn addresses(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect()
    }

    /// The URL Tally connects with: `redis-cluster://first?node=second&node=third`.
    pub fn url(&self) -> String {
        let addresses = self.addresses();
        let others: Vec<String> = addresses[1..].iter().map(|a| format!("node={a}")).collect();
        format!("redis-cluster://{}?{}", addresses[0], others.join("&"))
    }

    /// Runs `redis-cli -c` (following redirections) against master `node`; its output.
    pub fn cli(&self, node: usize, args: &[&str]) -> String {
        let output = Command::new("redis-cli")
            .args(["-c", "-p", &self.nodes[node].port.to_string()])
            .args(args)
            .output()
            .expect("running redis-cli");
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// The master that owns `key`'s slot (the others answer it with `MOVED`).
    pub fn owner_of(&self, key: &str) -> usize {
        (0..MASTERS)
            .find(|&i| {
                let output = Command::new("redis-cli")
                    .args(["-p", &self.nodes[i].port.to_string(), "EXISTS", key])
                    .output()
                    .expect("running redis-cli");
                !String::from_utf8_lossy(&output.stdout).contains("MOVED")
            })
            .expect("a master owns every slot")
    }

    /// Keys held by master `node` itself.
    pub fn keys_on(&self, node: usize) -> u64 {
        self.cli(node, &["DBSIZE"]).parse().unwrap_or(0)
    }

    /// Kills master `node` at once (SIGKILL, like a crash).
    pub fn kill(&mut self, node: usize) {
        if let Some(mut child) = self.nodes[node].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts master `node` again on its port, from its `nodes.conf` (same id, same
    /// slots) but with no keys, and waits until the cluster is whole again.
    pub fn restart(&mut self, node: usize) {
        self.kill(node);
        self.launch(node);
        self.wait_healthy();
    }

    /// Whether every master reports `cluster_state:ok`.
    fn healthy(&self) -> bool {
        (0..MASTERS).all(|i| {
            self.cli(i, &["CLUSTER", "INFO"])
                .contains("cluster_state:ok")
        })
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + FORM_PATIENCE;
        while !self.healthy() {
            assert!(
                Instant::now() < deadline,
                "the Redis Cluster on {:?} did not reach cluster_state:ok within {FORM_PATIENCE:?}",
                self.addresses()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn launch(&mut self, node: usize) {
        let port = self.nodes[node].port.to_string();
        let dir = self.nodes[node].dir.display().to_string();
        let timeout = NODE_TIMEOUT_MS.to_string();
        let child = Command::new("redis-server")
            .args(["--port", &port, "--bind", "127.0.0.1", "--dir", &dir])
            .args([
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
            ])
            .args(["--cluster-node-timeout", &timeout])
            // The other masters keep serving their slots while one is down.
            .args(["--cluster-require-full-coverage", "no"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start redis-server ({e}); install Debian's redis-server package")
            });
        self.nodes[node].child = Some(child);
        let address = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while crate::redis_support::command(&address, &["PING"]).as_deref() != Ok("PONG") {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on {address}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        for i in 0..MASTERS {
            self.kill(i);
        }
        if let Some(root) = self.nodes.first().and_then(|n| n.dir.parent()) {
            let _ = std::fs::remove_dir_all(root);
        }
    }
}

/// `count` free ports whose cluster bus ports (port + 10000) are free too.
fn free_ports(count: usize) -> Vec<u16> {
    let mut ports = Vec::new();
    let mut held = Vec::new();
    while ports.len() < count {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("its address").port();
        let bus = port.checked_add(10_000);
        if let Some(bus) = bus
            && TcpListener::bind(("127.0.0.1", bus)).is_ok()
        {
            ports.push(port);
        }
        held.push(listener);
    }
    ports
}
