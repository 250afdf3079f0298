//! Helper processes holding subscribers beyond what one process may open.
//!
//! Every subscriber is a socket, and a process here may hold at most 20,000 file
//! descriptors (the sandbox's hard `RLIMIT_NOFILE`, which root cannot raise). So `subs`
//! holds at most `--per-process` subscribers itself and starts `tally-bench subs-hold`
//! children for the rest, so that the limit the run meets is the server's, not the
//! load generator's. A child speaks lines over its stdin and stdout:
//!
//! - it prints `connected <ok> <failed>`, one `failure <count>\t<text>` per distinct
//!   error, then `ready`;
//! - on `record` its subscribers start counting messages and their lag;
//! - on `stop` it prints `observed <messages> <out-of-order> <dropped> <lag>` (the lag
//!   histogram, V2-serialised, in hex) and exits.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::Ordering;

use anyhow::Context;
use futures::StreamExt;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::subs::{self, Failures, Observed};

/// What a helper's subscribers saw while recording.
pub struct Seen {
    /// Messages received.
    pub messages: u64,
    /// Messages whose version was not higher than the one before.
    pub out_of_order: u64,
    /// Subscribers that lost their connection.
    pub dropped: u64,
    /// Lag of every message, in microseconds.
    pub lag: Histogram<u64>,
}

/// A running helper process.
pub struct Helper {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

/// Starts a helper that opens `count` subscribers on `poll` (numbered from `first`).
pub fn spawn(
    address: SocketAddr,
    poll: &str,
    count: usize,
    first: usize,
    connect_concurrency: usize,
) -> anyhow::Result<Helper> {
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .arg("subs-hold")
        .args(["--address", &address.to_string(), "--poll", poll])
        .args(["--subscribers", &count.to_string()])
        .args(["--first-index", &first.to_string()])
        .args(["--connect-concurrency", &connect_concurrency.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting a subs-hold helper")?;
    let stdin = child.stdin.take().context("the helper's stdin")?;
    let stdout = child.stdout.take().context("the helper's stdout")?;
    Ok(Helper {
        child,
        stdin,
        lines: BufReader::new(stdout).lines(),
    })
}

impl Helper {
    async fn line(&mut self) -> anyhow::Result<String> {
        self.lines
            .next_line()
            .await?
            .context("a subs-hold helper ended early")
    }

    async fn tell(&mut self, command: &str) -> anyhow::Result<()> {
        self.stdin
            .write_all(format!("{command}\n").as_bytes())
            .await?;
        self.stdin.flush().await?;
        Ok(())
    }

    /// Waits until the helper's subscribers are connected: how many are, and why the
    /// others failed.
    pub async fn ready(&mut self) -> anyhow::Result<(usize, Failures)> {
        let mut connected = 0;
        let mut failures = Failures::new();
        loop {
            let line = self.line().await?;
            if line == "ready" {
                return Ok((connected, failures));
            }
            if let Some(counts) = line.strip_prefix("connected ") {
                connected = counts
                    .split(' ')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .context("a helper's connected line")?;
            } else if let Some(failure) = line.strip_prefix("failure ") {
                let (count, text) = failure.split_once('\t').unwrap_or(("0", failure));
                *failures.entry(text.to_owned()).or_default() += count.parse().unwrap_or(0);
            }
        }
    }

    /// Starts counting messages.
    pub async fn record(&mut self) -> anyhow::Result<()> {
        self.tell("record").await
    }

    /// Stops the helper: what its subscribers saw.
    pub async fn stop(mut self) -> anyhow::Result<Seen> {
        self.tell("stop").await?;
        let line = self.line().await?;
        let fields: Vec<&str> = line
            .strip_prefix("observed ")
            .context("a helper's observed line")?
            .split(' ')
            .collect();
        let [messages, out_of_order, dropped, lag] = fields.as_slice() else {
            anyhow::bail!("a helper's observed line: {line}");
        };
        let bytes = (0..lag.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&lag[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()?;
        let lag: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| anyhow::anyhow!("a helper's lag histogram: {e:?}"))?;
        let _ = self.child.wait().await;
        Ok(Seen {
            messages: messages.parse()?,
            out_of_order: out_of_order.parse()?,
            dropped: dropped.parse()?,
            lag,
        })
    }
}

/// The helper's side (`tally-bench subs-hold`): opens the subscribers, then follows
/// the commands on stdin.
pub async fn hold(
    address: SocketAddr,
    poll: String,
    count: usize,
    first: usize,
    connect_concurrency: usize,
) -> anyhow::Result<()> {
    let observed = Observed::new()?;
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(first..first + count)
        .map(|i| subs::subscribe(address, &poll, i, observed.clone()))
        .buffer_unordered(connect_concurrency.max(1))
        .collect()
        .await;
    let failures = subs::failures(&results);
    let failed: usize = failures.values().sum();
    println!("connected {} {failed}", count - failed);
    for (text, n) in &failures {
        println!("failure {n}\t{}", text.replace(['\n', '\t'], " "));
    }
    println!("ready");
    let mut commands = BufReader::new(tokio::io::stdin()).lines();
    while let Some(command) = commands.next_line().await? {
        match command.as_str() {
            "record" => observed.recording.store(true, Ordering::Relaxed),
            "stop" => {
                observed.recording.store(false, Ordering::Relaxed);
                let lag = subs::merged_lag(&observed).await?;
                let mut bytes = Vec::new();
                V2Serializer::new()
                    .serialize(&lag, &mut bytes)
                    .map_err(|e| anyhow::anyhow!("serialising the lag histogram: {e:?}"))?;
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                println!(
                    "observed {} {} {} {hex}",
                    observed.messages.load(Ordering::Relaxed),
                    observed.out_of_order.load(Ordering::Relaxed),
                    observed.dropped.load(Ordering::Relaxed),
                );
                return Ok(());
            }
            _ => {}
        }
    }
    Ok(())
}
