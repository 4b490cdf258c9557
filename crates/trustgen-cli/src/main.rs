//! `trustgen`: evaluate how trustworthy generative models are.

#[cfg(test)]
mod build_commit;
mod calibrate;
mod cli;
mod plugins;
mod progress;
mod run;
mod term;
mod tools;
mod vendored;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{CalibrateCommand, Cli, Command, PluginsCommand};

fn main() -> ExitCode {
    default_model_threads();
    if let Err(message) = check_cpu() {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse();
    init_logging(&cli);
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            // Errors quote providers and plugins: printed sanitized (see `term`).
            eprintln!("error: {}", term::sanitize(&err.to_string()));
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {}", term::sanitize(&cause.to_string()));
            }
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Plugins { command: PluginsCommand::List { json } } => plugins::list(&cli.global, *json),
        Command::Plugins { command: PluginsCommand::Info { name } } => plugins::info(&cli.global, name),
        Command::Calibrate { command: CalibrateCommand::Refusal { suite } } => {
            calibrate::refusal(suite).map(|()| ExitCode::SUCCESS)
        }
        Command::Validate { suite, trust } => plugins::validate(&cli.global, suite, trust.trust_plugins),
        Command::Run(args) => run::run(&cli.global, args),
        Command::Runs { dir } => run::runs(dir),
        Command::Report(args) => tools::report(args, cli.global.quiet),
        Command::Cache { command } => tools::cache(command),
        Command::Models { command } => tools::models(command),
        #[cfg(feature = "testserver")]
        Command::ServeTest(args) => tools::serve_test(args),
    }
}

fn init_logging(cli: &Cli) {
    let default = if cli.global.quiet {
        "error"
    } else if cli.global.verbose {
        "debug"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("TRUSTGEN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // The log quotes provider and plugin messages: every event is sanitized, so no colours either.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(term::SanitizedStderr)
        .with_ansi(false)
        .without_time()
        .init();
}

/// The embedded model (candle) runs one thread per core unless told
/// otherwise; measured here, two threads on a busy 2-core machine generate
/// 1.9 tokens/s against 57 for one thread, because the pool spins waiting for
/// a core the engine's own threads are using. So trustgen defaults to one
/// model thread; set `RAYON_NUM_THREADS` to choose another number.
fn default_model_threads() {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // SAFETY: called first thing in main, before any thread is started.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
    }
}

/// The binary is built for x86-64-v3 (see `.cargo/config.toml`); refuse to
/// run, with a clear message, on a CPU without AVX2/FMA/F16C instead of
/// crashing with an illegal instruction later.
fn check_cpu() -> Result<(), String> {
    trustgen_embedded::check_cpu().map_err(|e| e.to_string())
}
