//! `tally-bench`: load benchmarks for a running Tally (see README, "Benchmarks").

mod http;
mod report;
mod setup;
mod votes;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use sea_orm::Database;

use crate::setup::TokenSettings;
use crate::votes::{Mode, Plan};

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

#[derive(Args)]
struct VoteArgs {
    #[command(flatten)]
    target: Target,
    /// hot (one poll), many (votes spread over --polls polls) or storm (retries and
    /// repeat voters).
    #[arg(long, value_enum, default_value = "hot")]
    mode: Mode,
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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Votes(args) => vote_bench(args).await,
    }
}

async fn vote_bench(args: VoteArgs) -> anyhow::Result<()> {
    let target = &args.target;
    let db = Database::connect(&target.database_url)
        .await
        .context("connecting to the server's database")?;
    let run = format!("{:x}", uuid::Uuid::new_v4().as_u128() as u32);
    let tokens = TokenSettings {
        secret: target.jwt_secret.clone(),
        issuer: target.jwt_issuer.clone(),
        audience: target.jwt_audience.clone(),
    };
    let started = std::time::Instant::now();
    let polls = match args.mode {
        Mode::Many => args.polls.max(1),
        Mode::Hot | Mode::Storm => 1,
    };
    // The first `polls` users own the polls; the rest vote.
    let mut users = setup::create_users(&db, &run, args.users + polls, &tokens).await?;
    let voters = users.split_off(polls);
    let poll_list = setup::create_polls(target.address, &users, polls, 4).await?;
    println!(
        "setup: {} voters, {} poll(s) in {:.1}s (run {run})",
        voters.len(),
        poll_list.len(),
        started.elapsed().as_secs_f64()
    );
    let poll_ids: Vec<String> = poll_list.iter().map(|(id, _)| id.clone()).collect();
    let plan = Arc::new(Plan {
        users: voters,
        polls: poll_list,
        mode: args.mode,
        run,
    });
    let (reports, elapsed) = votes::run(
        target.address,
        plan,
        args.concurrency,
        Duration::from_secs(args.duration),
        args.rate,
    )
    .await?;
    let summary = report::summarize(reports)?;
    let mode = format!("{:?}", args.mode).to_lowercase();
    report::print(&mode, &summary, elapsed, args.concurrency);
    let consistent = report::verify(&db, &poll_ids, summary.recorded).await?;
    if !consistent || summary.inconsistent_users > 0 || summary.recorded_twice > 0 {
        anyhow::bail!("the run lost or duplicated votes");
    }
    Ok(())
}
