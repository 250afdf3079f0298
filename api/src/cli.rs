//! The `tally` command line: the server's configuration as flags and environment
//! variables, and the subcommands.

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::shutdown::RUNTIME_MARGIN;
use crate::startup::Application;

/// Tally: polls, exactly-once votes and live tallies over GraphQL.
///
/// Every option can also be set through the environment variable shown with it.
#[derive(Debug, Parser)]
#[command(name = "tally", version, about, long_about)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The server's configuration.
    #[command(flatten)]
    pub config: Config,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Print the GraphQL schema (SDL); `schema.graphql` is this output.
    Schema,
}

/// Runs what the command line asks: the whole of the `tally` binary's `main` (the test
/// suite starts a copy of the binary that calls it too).
///
/// The runtime is built here rather than by `#[tokio::main]` so that its shutdown is
/// bounded: once the application has stopped, tasks still running (a WebSocket, a
/// blocking call) get [`RUNTIME_MARGIN`], not forever.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::Serve => {
            // Dropped last, after the runtime: it sends the spans still buffered.
            let _telemetry =
                crate::telemetry::init(cli.config.http.log_format, &cli.config.telemetry)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let served = runtime.block_on(async {
                let app = Application::build(cli.config).await?;
                app.run_until_stopped().await
            });
            runtime.shutdown_timeout(RUNTIME_MARGIN);
            served
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
