//! Instructions per operation, counted by callgrind: a figure a shared, noisy machine
//! cannot move, to compare two versions of the vote and read paths.
//!
//! The server runs under `valgrind --tool=callgrind --instr-atstart=no` (see
//! `scripts/bench-instructions.sh`). Setup and warm-up run uninstrumented; then, for each
//! measured phase, instrumentation is switched on (`callgrind_control -i on`), a fixed
//! number of operations is made, it is switched off and the counts dumped
//! (`callgrind_control -d`): the dump's total divided by the operations is the figure,
//! and the dump itself is the phase's profile (`callgrind_annotate`).
//!
//! The counts are the server's own instructions (HTTP, GraphQL, our code, the database
//! and Redis clients, the runtime); PostgreSQL's and Redis's are not in them.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// A server running under callgrind.
pub struct Callgrind {
    /// Its process id.
    pub pid: u32,
    /// The `--callgrind-out-file` it was started with, `%p` replaced by the pid: dumps
    /// are this path with `.1`, `.2`, … appended.
    pub out_file: PathBuf,
}

impl Callgrind {
    fn control(&self, args: &[&str]) -> anyhow::Result<()> {
        let output = Command::new("callgrind_control")
            .args(args)
            .arg(self.pid.to_string())
            .output()
            .context("running callgrind_control (is valgrind installed?)")?;
        if !output.status.success() {
            bail!(
                "callgrind_control {args:?} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    /// Switches instrumentation on: from now on instructions are counted.
    pub fn start(&self) -> anyhow::Result<()> {
        self.control(&["-i", "on"])
    }

    /// Switches instrumentation off, dumps what was counted since the last dump and
    /// returns the dump's path and its instruction total.
    pub fn stop(&self) -> anyhow::Result<(PathBuf, u64)> {
        self.control(&["-i", "off"])?;
        let before = self.last_dump()?;
        self.control(&["-d"])?;
        // The dump is written by the server's process; wait for it.
        for _ in 0..600 {
            let last = self.last_dump()?;
            if last.as_ref().map(|(n, _)| *n) > before.as_ref().map(|(n, _)| *n)
                && let Some((_, path)) = last
                && let Ok(total) = total_instructions(&path)
            {
                return Ok((path, total));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        bail!(
            "callgrind wrote no dump next to {}",
            self.out_file.display()
        )
    }

    /// The dump with the highest sequence number so far.
    fn last_dump(&self) -> anyhow::Result<Option<(u32, PathBuf)>> {
        let dir = self.out_file.parent().unwrap_or(Path::new("."));
        let name = self
            .out_file
            .file_name()
            .and_then(|n| n.to_str())
            .context("the callgrind out file has no name")?;
        let mut last = None;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let file = entry.file_name();
            let Some(n) = file
                .to_str()
                .and_then(|f| f.strip_prefix(name))
                .and_then(|rest| rest.strip_prefix('.'))
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if last.as_ref().is_none_or(|(m, _)| n > *m) {
                last = Some((n, entry.path()));
            }
        }
        Ok(last)
    }
}

/// The instruction total of a callgrind dump: its `totals:` line (a dump made with
/// instrumentation toggled has `summary: 0` before it), else its `summary:` line.
fn total_instructions(path: &Path) -> anyhow::Result<u64> {
    let text = std::fs::read_to_string(path)?;
    let line = |prefix: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
    };
    line("totals:")
        .or_else(|| line("summary:"))
        .with_context(|| format!("no totals in {} (not finished yet?)", path.display()))
}
