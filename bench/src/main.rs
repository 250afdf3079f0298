//! `tally-bench`: load benchmarks for a running Tally (see README, "Benchmarks").

mod agreement;
mod burst;
mod http;
mod instructions;
mod reads;
mod report;
mod setup;
mod subs;
mod subs_helpers;
mod votes;
mod ws;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use sea_orm::{Database, DatabaseConnection};

use crate::setup::TokenSettings;
use crate::votes::{Kind, Mode, Plan};

/// Load benchmarks for a running Tally server on PostgreSQL (and Redis).
#[derive(Parser)]
#[command(name = "tally-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// castVote throughput and latency, then a check of the database.
    Votes(VoteArgs),
    /// Live-tally delivery to many subscribers while votes flow.
    Subs(SubsArgs),
    /// Holds subscribers for `subs` in a process of its own (started by `subs`).
    #[command(hide = true)]
    SubsHold(HoldArgs),
    /// The open-the-gates burst: distinct voters all voting in a poll's first seconds.
    Burst(BurstArgs),
    /// Anonymous poll-page reads of one hot poll: reads/s and latency.
    Reads(ReadArgs),
    /// Instructions per castVote and per poll-page read, counted by callgrind in a
    /// server started under it.
    Instructions(InstructionArgs),
}

/// Where the server is and how to sign in to it.
#[derive(Args)]
struct Target {
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    address: SocketAddr,
    /// The server's database, where users are created and results checked.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// The server's JWT secret, to mint tokens.
    #[arg(long, env = "TALLY_JWT_SECRET")]
    jwt_secret: String,
    /// The server's JWT issuer.
    #[arg(long, env = "TALLY_JWT_ISSUER", default_value = "tally")]
    jwt_issuer: String,
    /// The server's JWT audience.
    #[arg(long, env = "TALLY_JWT_AUDIENCE", default_value = "tally-api")]
    jwt_audience: String,
}

impl Target {
    /// A connection to the server's database, a tag unique to this run, and what
    /// minting the server's tokens takes.
    async fn prepare(&self) -> anyhow::Result<(DatabaseConnection, String, TokenSettings)> {
        let db = Database::connect(&self.database_url)
            .await
            .context("connecting to the server's database")?;
        let run = format!("{:x}", uuid::Uuid::new_v4().as_u128() as u32);
        let tokens = TokenSettings {
            secret: self.jwt_secret.clone(),
            issuer: self.jwt_issuer.clone(),
            audience: self.jwt_audience.clone(),
        };
        Ok((db, run, tokens))
    }
}

#[derive(Args)]
struct VoteArgs {
    #[command(flatten)]
    target: Target,
    /// hot (one poll), many (votes spread over --polls polls) or storm (retries and
    /// repeat voters).
    #[arg(long, value_enum, default_value = "hot")]
    mode: Mode,
    /// single (one option per ballot) or ranked (a full ranking of the 4 options).
    #[arg(long, value_enum, default_value = "single")]
    kind: Kind,
    /// Concurrent connections.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// How long to send, in seconds.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// Users to create; each casts one ballot, so this caps the run.
    #[arg(long, default_value_t = 400_000)]
    users: usize,
    /// Polls (in `many` mode).
    #[arg(long, default_value_t = 100)]
    polls: usize,
    /// Cap on calls per second, all workers together; none by default.
    #[arg(long)]
    rate: Option<f64>,
    /// A process to freeze (SIGSTOP) during the run, e.g. Redis: the calls sent after
    /// it froze are reported apart. The bench does not thaw it.
    #[arg(long)]
    freeze_pid: Option<u32>,
    /// Seconds into the run at which `--freeze-pid` is frozen.
    #[arg(long, default_value_t = 10)]
    freeze_after: u64,
    /// An instance behind `--address` (a load balancer), watched straight: its live
    /// tally of the poll must agree with the database at the end (hot mode; repeat the
    /// flag for each instance).
    #[arg(long)]
    watch: Vec<SocketAddr>,
}

#[derive(Args)]
struct SubsArgs {
    #[command(flatten)]
    target: Target,
    /// WebSocket subscribers, all on one poll.
    #[arg(long, default_value_t = 10_000)]
    subscribers: usize,
    /// Votes per second while measuring.
    #[arg(long, default_value_t = 2_000.0)]
    rate: f64,
    /// Connections sending votes.
    #[arg(long, default_value_t = 64)]
    vote_concurrency: usize,
    /// How long votes flow, in seconds.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// Subscribers connecting at once (in each process).
    #[arg(long, default_value_t = 200)]
    connect_concurrency: usize,
    /// Most subscribers this process holds; the rest are held by helper processes, each
    /// as many (a process here may open 20,000 file descriptors at most).
    #[arg(long, default_value_t = 16_000)]
    per_process: usize,
    /// The server's process id, when it runs on this machine: its open file
    /// descriptors and their limit are printed once the subscribers are connected.
    #[arg(long)]
    server_pid: Option<u32>,
}

#[derive(Args)]
struct HoldArgs {
    /// The server's address.
    #[arg(long)]
    address: SocketAddr,
    /// The poll to subscribe to.
    #[arg(long)]
    poll: String,
    /// Subscribers to hold.
    #[arg(long)]
    subscribers: usize,
    /// The number of the first one (spreads them over the lag histogram's shards).
    #[arg(long, default_value_t = 0)]
    first_index: usize,
    /// Subscribers connecting at once.
    #[arg(long, default_value_t = 200)]
    connect_concurrency: usize,
}

#[derive(Args)]
struct BurstArgs {
    #[command(flatten)]
    target: Target,
    /// Distinct voters, one call each.
    #[arg(long, default_value_t = 40_000)]
    voters: usize,
    /// Seconds over which their calls are spread, from the moment the poll opens.
    #[arg(long, default_value_t = 3)]
    window: u64,
    /// Connections the voters share.
    #[arg(long, default_value_t = 512)]
    connections: usize,
}

#[derive(Args)]
struct ReadArgs {
    #[command(flatten)]
    target: Target,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// How long to read, in seconds.
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Votes cast on the poll before reading, so its results are not empty.
    #[arg(long, default_value_t = 200)]
    votes: usize,
}

#[derive(Args)]
struct InstructionArgs {
    #[command(flatten)]
    target: Target,
    /// The server's process id (it runs under `valgrind --tool=callgrind
    /// --instr-atstart=no`).
    #[arg(long)]
    pid: u32,
    /// The server's `--callgrind-out-file`, with the pid in place of `%p`.
    #[arg(long)]
    out_file: std::path::PathBuf,
    /// castVote calls measured.
    #[arg(long, default_value_t = 1_000)]
    votes: usize,
    /// Poll-page reads measured.
    #[arg(long, default_value_t = 1_000)]
    reads: u64,
    /// Calls in flight at once (so that the writer forms batches as under load).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Calls of each kind made before measuring (caches, connections, JIT-free warm-up).
    #[arg(long, default_value_t = 300)]
    warmup: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Votes(args) => vote_bench(args).await,
        Command::Subs(args) => subs_bench(args).await,
        Command::SubsHold(args) => {
            subs_helpers::hold(
                args.address,
                args.poll,
                args.subscribers,
                args.first_index,
                args.connect_concurrency,
            )
            .await
        }
        Command::Reads(args) => read_bench(args).await,
        Command::Burst(args) => burst_bench(args).await,
        Command::Instructions(args) => instruction_bench(args).await,
    }
}

async fn subs_bench(args: SubsArgs) -> anyhow::Result<()> {
    use futures::StreamExt;
    use std::sync::atomic::Ordering;

    let target = &args.target;
    let (db, run, tokens) = target.prepare().await?;
    let voters_needed = (args.rate * args.duration as f64 * 1.2) as usize + 100;
    let mut users = setup::create_users(&db, &run, voters_needed + 1, &tokens).await?;
    let voters = users.split_off(1);
    let polls = setup::create_polls(target.address, &users, 1, 4, Kind::Single).await?;
    let poll = polls[0].0.clone();

    let before = subs::server_memory(target.address).await?;
    let observed = subs::Observed::new()?;
    let started = std::time::Instant::now();
    // This process holds the first `per_process` subscribers; helpers hold the rest.
    let own = args.subscribers.min(args.per_process.max(1));
    let mut helpers = Vec::new();
    let mut first = own;
    while first < args.subscribers {
        let count = (args.subscribers - first).min(args.per_process.max(1));
        helpers.push(subs_helpers::spawn(
            target.address,
            &poll,
            count,
            first,
            args.connect_concurrency,
        )?);
        first += count;
    }
    let connected: Vec<anyhow::Result<()>> = futures::stream::iter(0..own)
        .map(|i| subs::subscribe(target.address, &poll, i, observed.clone()))
        .buffer_unordered(args.connect_concurrency.max(1))
        .collect()
        .await;
    let mut failures = subs::failures(&connected);
    let mut ok = own - failures.values().sum::<usize>();
    for helper in &mut helpers {
        let (held, their_failures) = helper.ready().await?;
        ok += held;
        for (text, count) in their_failures {
            *failures.entry(text).or_default() += count;
        }
    }
    let failed = args.subscribers - ok;
    subs::print_failures(&failures);
    subs::settle(Duration::from_secs(3)).await;
    if !helpers.is_empty() {
        println!(
            "subscribers held by {} processes ({own} here, at most {} per process)",
            helpers.len() + 1,
            args.per_process
        );
    }
    if let Some(pid) = args.server_pid {
        let (open, limit) = subs::open_files(pid)?;
        println!("server file descriptors: {open} open (limit {limit})");
        // Then it accepts nothing more: neither the voters' connections nor /metrics.
        if limit.parse::<usize>().is_ok_and(|limit| open >= limit) {
            anyhow::bail!(
                "{ok} subscribers connected ({failed} failed), and the server is at its file \
                 limit ({limit}): it accepts no more connections, voters' included, so there \
                 is no delivery to measure (ask for fewer subscribers)"
            );
        }
    }
    // A server at its file limit accepts nothing more, not even this request: the run
    // goes on without the figure rather than hang on it, or print a false one.
    let memory =
        match tokio::time::timeout(Duration::from_secs(10), subs::server_memory(target.address))
            .await
        {
            Ok(Ok(after)) => format!(
                "server memory {:.1} MiB -> {:.1} MiB: {:.1} KB per idle subscriber",
                before as f64 / 1_048_576.0,
                after as f64 / 1_048_576.0,
                (after.saturating_sub(before)) as f64 / 1024.0 / ok.max(1) as f64
            ),
            Ok(Err(e)) => format!("server memory not read ({e:#})"),
            Err(_) => "server memory not read (/metrics did not answer within 10 s)".to_owned(),
        };
    println!(
        "subscribers: {ok} connected ({failed} failed) in {:.1}s; {memory}",
        started.elapsed().as_secs_f64(),
    );

    observed.recording.store(true, Ordering::Relaxed);
    for helper in &mut helpers {
        helper.record().await?;
    }
    let plan = Arc::new(Plan {
        users: voters,
        polls,
        mode: Mode::Hot,
        kind: Kind::Single,
        run,
    });
    let (reports, elapsed) = votes::run(
        target.address,
        plan,
        args.vote_concurrency,
        Duration::from_secs(args.duration),
        Some(args.rate),
        None,
    )
    .await?;
    // Let the last tallies arrive.
    subs::settle(Duration::from_secs(2)).await;
    observed.recording.store(false, Ordering::Relaxed);
    let summary = report::summarize(reports)?;
    let mut lag = subs::merged_lag(&observed).await?;
    let mut messages = observed.messages.load(Ordering::Relaxed);
    let mut out_of_order = observed.out_of_order.load(Ordering::Relaxed);
    let mut dropped = observed.dropped.load(Ordering::Relaxed);
    for helper in helpers {
        let seen = helper.stop().await?;
        lag.add(&seen.lag)?;
        messages += seen.messages;
        out_of_order += seen.out_of_order;
        dropped += seen.dropped;
    }
    let secs = elapsed.as_secs_f64();
    println!(
        "votes: {} recorded in {secs:.1}s ({:.0}/s); vote latency ms p50={:.1} p99={:.1}",
        summary.recorded,
        summary.recorded as f64 / secs,
        summary.latency.value_at_quantile(0.5) as f64 / 1000.0,
        summary.latency.value_at_quantile(0.99) as f64 / 1000.0,
    );
    println!(
        "delivery: {messages} messages ({:.0}/s, {:.1} per subscriber per second); lag ms p50={:.1} p99={:.1} max={:.1}",
        messages as f64 / secs,
        messages as f64 / secs / ok.max(1) as f64,
        lag.value_at_quantile(0.5) as f64 / 1000.0,
        lag.value_at_quantile(0.99) as f64 / 1000.0,
        lag.max() as f64 / 1000.0,
    );
    println!("order: {out_of_order} out-of-order messages, {dropped} subscribers dropped");
    Ok(())
}

async fn vote_bench(args: VoteArgs) -> anyhow::Result<()> {
    let target = &args.target;
    let (db, run, tokens) = target.prepare().await?;
    let started = std::time::Instant::now();
    let polls = match args.mode {
        Mode::Many => args.polls.max(1),
        Mode::Hot | Mode::Storm => 1,
    };
    // The first `polls` users own the polls; the rest vote.
    let mut users = setup::create_users(&db, &run, args.users + polls, &tokens).await?;
    let voters = users.split_off(polls);
    let poll_list = setup::create_polls(target.address, &users, polls, 4, args.kind).await?;
    println!(
        "setup: {} voters, {} poll(s) in {:.1}s (run {run})",
        voters.len(),
        poll_list.len(),
        started.elapsed().as_secs_f64()
    );
    let poll_ids: Vec<String> = poll_list.iter().map(|(id, _)| id.clone()).collect();
    if !args.watch.is_empty() && poll_ids.len() != 1 {
        anyhow::bail!("--watch needs one poll (hot mode)");
    }
    let mut watchers = Vec::with_capacity(args.watch.len());
    for address in &args.watch {
        watchers.push(agreement::Watcher::open(*address, &poll_ids[0]).await?);
    }
    let plan = Arc::new(Plan {
        users: voters,
        polls: poll_list,
        mode: args.mode,
        kind: args.kind,
        run,
    });
    let split = args
        .freeze_pid
        .map(|_| Duration::from_secs(args.freeze_after));
    if let (Some(pid), Some(after)) = (args.freeze_pid, split) {
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            println!("-- freezing process {pid} (SIGSTOP)");
            let frozen = std::process::Command::new("kill")
                .args(["-STOP", &pid.to_string()])
                .status();
            if !frozen.is_ok_and(|s| s.success()) {
                println!("-- could not freeze process {pid}");
            }
        });
    }
    let (reports, elapsed) = votes::run(
        target.address,
        plan,
        args.concurrency,
        Duration::from_secs(args.duration),
        args.rate,
        split,
    )
    .await?;
    let summary = report::summarize(reports)?;
    let mode = format!("{:?} kind={:?}", args.mode, args.kind).to_lowercase();
    report::print(&mode, &summary, elapsed, args.concurrency);
    if let Some(split) = split {
        report::print_after_split(&summary, split, elapsed);
    }
    let consistent = report::verify(&db, &poll_ids, summary.recorded, args.kind).await?;
    if !consistent || summary.inconsistent_users > 0 || summary.recorded_twice > 0 {
        anyhow::bail!("the run lost or duplicated votes");
    }
    if !watchers.is_empty() {
        let committed = agreement::database_counts(&db, &poll_ids[0]).await?;
        if !agreement::check(&watchers, &committed).await {
            anyhow::bail!("an instance's live tally differs from the database");
        }
    }
    Ok(())
}

/// Casts `count` votes on `poll` from fresh users, `concurrency` at once; fails unless
/// every one is recorded.
async fn cast_votes(
    target: &Target,
    db: &DatabaseConnection,
    tokens: &setup::TokenSettings,
    poll: &(String, Vec<String>),
    count: usize,
    concurrency: usize,
) -> anyhow::Result<()> {
    let run = format!("{:x}", uuid::Uuid::new_v4().as_u128() as u32);
    let users = setup::create_users(db, &run, count, tokens).await?;
    let plan = Arc::new(Plan {
        users,
        polls: vec![poll.clone()],
        mode: Mode::Hot,
        kind: Kind::Single,
        run,
    });
    let (reports, _) = votes::run(
        target.address,
        plan,
        concurrency.min(count).max(1),
        Duration::from_secs(3_600),
        None,
        None,
    )
    .await?;
    let summary = report::summarize(reports)?;
    if summary.recorded != count as u64 {
        anyhow::bail!(
            "{} of {count} votes recorded: {:?}",
            summary.recorded,
            summary.outcomes
        );
    }
    Ok(())
}

async fn read_bench(args: ReadArgs) -> anyhow::Result<()> {
    let target = &args.target;
    let (db, run, tokens) = target.prepare().await?;
    let owner = setup::create_users(&db, &run, 1, &tokens).await?;
    let polls = setup::create_polls(target.address, &owner, 1, 4, Kind::Single).await?;
    cast_votes(target, &db, &tokens, &polls[0], args.votes, 32).await?;
    let path: Arc<str> = reads::page_path(&polls[0].0).into();
    let (summary, elapsed) = reads::run(
        target.address,
        path,
        args.concurrency,
        Duration::from_secs(args.duration),
        None,
    )
    .await?;
    reads::print(&summary, elapsed, args.concurrency);
    if summary.failed > 0 {
        anyhow::bail!("{} reads failed", summary.failed);
    }
    Ok(())
}

async fn instruction_bench(args: InstructionArgs) -> anyhow::Result<()> {
    let target = &args.target;
    let callgrind = instructions::Callgrind {
        pid: args.pid,
        out_file: args.out_file.clone(),
    };
    let (db, run, tokens) = target.prepare().await?;
    let owner = setup::create_users(&db, &run, 1, &tokens).await?;
    let polls = setup::create_polls(target.address, &owner, 1, 4, Kind::Single).await?;
    let poll = &polls[0];

    cast_votes(target, &db, &tokens, poll, args.warmup, args.concurrency).await?;
    callgrind.start()?;
    cast_votes(target, &db, &tokens, poll, args.votes, args.concurrency).await?;
    let (profile, total) = callgrind.stop()?;
    println!(
        "instructions: castVote {} per call ({} calls, {} at once; profile {})",
        total / args.votes as u64,
        args.votes,
        args.concurrency,
        profile.display()
    );

    let path: Arc<str> = reads::page_path(&poll.0).into();
    let read = |limit: u64| {
        reads::run(
            target.address,
            path.clone(),
            args.concurrency,
            Duration::from_secs(3_600),
            Some(limit),
        )
    };
    read(args.warmup as u64).await?;
    callgrind.start()?;
    let (summary, _) = read(args.reads).await?;
    let (profile, total) = callgrind.stop()?;
    if summary.failed > 0 {
        anyhow::bail!(
            "{} reads failed: {:?}",
            summary.failed,
            summary.first_failure
        );
    }
    println!(
        "instructions: poll read {} per call ({} reads, {} at once; profile {})",
        total / args.reads,
        args.reads,
        args.concurrency,
        profile.display()
    );
    Ok(())
}

async fn burst_bench(args: BurstArgs) -> anyhow::Result<()> {
    let target = &args.target;
    let (db, run, tokens) = target.prepare().await?;
    let mut users = setup::create_users(&db, &run, args.voters + 1, &tokens).await?;
    let voters = users.split_off(1);
    // The poll opens two seconds from now: the burst meets a poll that just opened.
    let opens = chrono::Utc::now() + chrono::Duration::seconds(2);
    let polls = setup::create_polls_opening(
        target.address,
        &users,
        1,
        4,
        Kind::Single,
        Some(opens.to_rfc3339()),
    )
    .await?;
    let until_open = (opens - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(until_open + Duration::from_millis(20)).await;
    let window = Duration::from_secs(args.window);
    let report = burst::run(
        target.address,
        voters,
        polls[0].clone(),
        window,
        args.connections,
        run,
    )
    .await?;
    burst::print(&report, args.voters, window);
    let mut seen = std::collections::HashSet::new();
    let twice = report
        .recorded
        .iter()
        .filter(|(i, _)| !seen.insert(*i))
        .count();
    let recorded = report.recorded.len() as u64;
    let poll_ids = vec![polls[0].0.clone()];
    let consistent = report::verify(&db, &poll_ids, recorded, Kind::Single).await?;
    if !consistent || twice > 0 || recorded != args.voters as u64 {
        anyhow::bail!(
            "the burst lost or duplicated votes: {recorded} of {} recorded, {twice} twice",
            args.voters
        );
    }
    Ok(())
}
