//! `trustgen report`, `trustgen cache`, `trustgen models`, `trustgen serve-test` (feature `testserver`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use trustgen_report::{ReportOptions, Threshold};

use crate::cli::{CacheCommand, ModelsCommand, ReportArgs};

pub(crate) fn report(args: &ReportArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let thresholds = args
        .fail_under
        .iter()
        .map(|t| t.parse::<Threshold>().map_err(|e| anyhow::anyhow!("--fail-under {t}: {e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let runs = trustgen_report::read_runs(&args.runs)?;
    if !quiet {
        for torn in runs.iter().flat_map(|run| &run.torn) {
            eprintln!("warning: {torn}");
        }
    }
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("report"));
    let mut options = ReportOptions { thresholds, ..ReportOptions::default() };
    options.compare.allow_different_judges = args.allow_different_judges;
    let outcome = trustgen_report::write_report(&runs, &out, &options)?;
    if !quiet {
        for file in &outcome.files {
            println!("{}", file.display());
        }
    }
    // Flagged loudly: a comparison of runs graded by different judges (--allow-different-judges).
    for pair in &outcome.report.comparisons.pairs {
        for task in &pair.tasks {
            if let Some(judges) = &task.judges_differ {
                let line = format!(
                    "warning: {}/{} compared although its judges differ ({judges}); a difference may be the judges', not the models'",
                    task.dimension, task.task
                );
                eprintln!("{}", crate::term::sanitize(&line));
            }
        }
    }
    for failed in outcome.failed_thresholds() {
        let line = format!("threshold {} failed for {}: {}", failed.threshold, failed.model, failed.message);
        eprintln!("{}", crate::term::sanitize(&line));
    }
    Ok(if outcome.failed() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn open_cache(path: &Option<PathBuf>) -> anyhow::Result<trustgen_providers::Cache> {
    Ok(match path {
        Some(path) => trustgen_providers::Cache::open(path)?,
        None => trustgen_providers::Cache::open_default()?,
    })
}

pub(crate) fn cache(command: &CacheCommand) -> anyhow::Result<ExitCode> {
    match command {
        CacheCommand::Stats { cache } => {
            let stats = open_cache(cache)?.stats()?;
            println!("cache: {}", stats.path.display());
            println!("entries: {}", stats.entries);
            println!("reply bytes: {}", stats.bytes);
            println!("file bytes: {}", stats.file_bytes);
            if let (Some(oldest), Some(newest)) = (stats.oldest, stats.newest) {
                println!(
                    "written: {} .. {}",
                    humantime::format_rfc3339_seconds(oldest),
                    humantime::format_rfc3339_seconds(newest)
                );
            }
            for ((provider, model), n) in &stats.per_model {
                println!("  {provider}/{model}: {n}");
            }
        }
        CacheCommand::Clear { cache } => {
            let removed = open_cache(cache)?.clear()?;
            println!("removed {removed} cached replies");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn models(command: &ModelsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ModelsCommand::List => {
            for model in trustgen_embedded::models::MODELS {
                let state = match trustgen_embedded::resolve(model.name, None) {
                    Ok(path) => format!("installed ({})", path.display()),
                    Err(_) => "not installed".to_string(),
                };
                println!("{:<24} {:<10} {}\n{:<24} {}", model.name, model.license, model.description, "", state);
            }
        }
        ModelsCommand::Pull { names } => {
            for name in names {
                let path = trustgen_embedded::pull(name, &mut |line| eprintln!("{line}"))
                    .with_context(|| format!("pulling {name}"))?;
                println!("{name}: {}", path.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "testserver")]
pub(crate) fn serve_test(args: &trustgen_testserver::cli::ServeArgs) -> anyhow::Result<ExitCode> {
    trustgen_testserver::cli::run(args)?;
    Ok(ExitCode::SUCCESS)
}
