//! `trustgen`: evaluate how trustworthy generative models are.

mod cli;
mod plugins;
mod vendored;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, PluginsCommand};

fn main() -> ExitCode {
    if let Err(message) = check_cpu() {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse();
    init_logging(&cli);
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Plugins { command: PluginsCommand::List { json } } => plugins::list(&cli.global, *json),
        Command::Plugins { command: PluginsCommand::Info { name } } => plugins::info(&cli.global, name),
        Command::Validate { suite } => plugins::validate(&cli.global, suite),
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
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).without_time().init();
}

/// The binary is built for x86-64-v3 (see `.cargo/config.toml`); refuse to
/// run, with a clear message, on a CPU without AVX2/FMA/F16C instead of
/// crashing with an illegal instruction later.
fn check_cpu() -> Result<(), String> {
    #[cfg(target_arch = "x86_64")]
    {
        let missing: Vec<&str> = [
            ("avx2", std::arch::is_x86_feature_detected!("avx2")),
            ("fma", std::arch::is_x86_feature_detected!("fma")),
            ("f16c", std::arch::is_x86_feature_detected!("f16c")),
        ]
        .into_iter()
        .filter(|(_, present)| !present)
        .map(|(name, _)| name)
        .collect();
        if !missing.is_empty() {
            return Err(format!(
                "this trustgen binary was built for x86-64-v3 CPUs, but this CPU lacks {}; hint: rebuild without the `-C target-cpu=x86-64-v3` line in .cargo/config.toml (the embedded model is then about 15x slower)",
                missing.join(", ")
            ));
        }
    }
    Ok(())
}
