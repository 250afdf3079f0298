//! The `tally` binary: a shim over the library.

use clap::Parser;
use tally::cli::Cli;

// glibc's allocator spent a fifth of the vote path's CPU under load; mimalloc is built
// for many threads allocating small objects.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    tally::cli::run(Cli::parse())
}
