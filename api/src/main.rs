//! The `tally` binary: a shim over the library.

use clap::Parser;
use tally::cli::{Cli, Command};
use tally::startup::Application;

// glibc's allocator spent a fifth of the vote path's CPU under load; mimalloc is built
// for many threads allocating small objects.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Schema => {
            print!("{}", tally::graphql::sdl());
            Ok(())
        }
        Command::Serve => {
            tally::telemetry::init(cli.config.http.log_format);
            let app = Application::build(cli.config).await?;
            app.run_until_stopped().await
        }
    }
}
