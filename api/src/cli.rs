//! The `tally` command line: the server's configuration as flags and environment
//! variables, and the subcommands.

use clap::{Parser, Subcommand};

use crate::config::Config;

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
