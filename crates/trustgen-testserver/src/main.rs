//! The `trustgen-testserver` binary: serves the test server until Ctrl-C and prints its base URL.

use std::process::ExitCode;

use clap::Parser;
use trustgen_testserver::cli::{ServeArgs, run};

/// A deterministic OpenAI/Azure/Anthropic/Gemini-compatible server for tests and dry runs.
///
/// Prints its base URL (`http://HOST:PORT`) on stdout once it is listening, then serves until Ctrl-C.
/// Logs go to stderr (`RUST_LOG=debug` shows one line per request, never a credential).
#[derive(Parser, Debug)]
#[command(name = "trustgen-testserver", version)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(&cli.serve) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
