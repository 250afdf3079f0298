//! The `tally` binary, built inside the test package so that the suite can start it as a
//! process (`CARGO_BIN_EXE_tally-under-test`; Cargo gives a package's tests the path of
//! its own binaries only). Same two lines as `api/src/main.rs`.

use clap::Parser;
use tally::cli::Cli;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    tally::cli::run(Cli::parse())
}
