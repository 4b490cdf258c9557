//! `trustgen run`, `trustgen runs`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use trustgen_config::Suite;
use trustgen_engine::{CacheChoice, RunOutcome, RunRequest};
use trustgen_host::Registry;
use trustgen_rundir::{Metrics, RunData, RunManifest, RunStatus, UsageRecord, files, read_json, read_manifest};

use crate::cli::{GlobalArgs, RunArgs};
use crate::plugins::suite_discover_options;
use crate::progress::Progress;

/// The suite `trustgen run` runs when given none.
pub(crate) const DEFAULT_SUITE: &str = "suites/quick.toml";

pub(crate) fn run(global: &GlobalArgs, args: &RunArgs) -> anyhow::Result<ExitCode> {
    let suite = match (&args.resume, &args.suite) {
        (Some(dir), None) => {
            let manifest: RunManifest =
                read_manifest(dir).with_context(|| format!("{} is not a run directory", dir.display()))?;
            // The suite as it was when the run started, not as it is now, at the
            // absolute path it was read from: the paths in it resolve to the same
            // files from any working directory.
            Suite::parse(Path::new(&manifest.suite.path), manifest.suite.text)?
        }
        (Some(_), Some(_)) => anyhow::bail!("give either a suite or --resume RUN_DIR, not both"),
        (None, suite) => {
            let path = suite.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_SUITE));
            if suite.is_none() && !path.is_file() {
                anyhow::bail!(
                    "no suite given and {DEFAULT_SUITE} does not exist here; hint: run from the trustgen checkout or pass a suite file"
                );
            }
            Suite::load(&path)?
        }
    };
    // The same discovery as `trustgen validate`; libraries that failed to load are errors of
    // the engine's checks, as they are for `validate`.
    let registry = Registry::discover(&suite_discover_options(global, &suite, args.trust.trust_plugins))
        .with_context(|| format!("loading the plugins {} needs", suite.path.display()))?;
    let cache = if args.no_cache {
        CacheChoice::Off
    } else if let Some(path) = &args.cache {
        CacheChoice::At(path.clone())
    } else {
        CacheChoice::Default
    };
    let progress = (!global.quiet).then(|| Progress::start(args.progress_interval));
    let request = RunRequest {
        suite,
        registry,
        resume: args.resume.clone(),
        allow_changed_data: args.allow_changed_data,
        dry_run: args.dry_run,
        observer: progress.as_ref().map(Progress::observer),
        cache,
        trustgen_version: env!("CARGO_PKG_VERSION").to_string(),
        trustgen_commit: Some(env!("TRUSTGEN_COMMIT").to_string()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting tokio")?;
    let outcome = runtime.block_on(trustgen_engine::run(request));
    if let Some(progress) = progress {
        progress.finish(outcome.is_ok());
    }
    let outcome = outcome?;
    if args.dry_run {
        print_dry_run(&outcome);
        return Ok(ExitCode::SUCCESS);
    }
    let dir = outcome.run_dir.clone().expect("a run directory");
    // The engine stops at the last verdict; the metrics are computed here
    // from what is on disk, so they equal what `trustgen report` computes.
    let data = RunData::read(&dir)?;
    let metrics = trustgen_report::metrics::compute(&data.manifest, &data.cases, &data.verdicts);
    trustgen_rundir::write_metrics(&dir, &metrics)?;
    if !global.quiet {
        print_summary(&outcome, &metrics);
    }
    if !args.no_report {
        trustgen_report::write_report(&[data], &dir, &trustgen_report::ReportOptions::default())?;
        if !global.quiet {
            println!("report: {}", dir.join(trustgen_report::outputs::HTML).display());
        }
    }
    if !global.quiet {
        println!("run directory: {}", dir.display());
    }
    if outcome.manifest.status == RunStatus::Failed {
        // The summary, the metrics and the report are written: what was done stays readable.
        let reason = outcome.manifest.error.as_deref().unwrap_or("the run failed");
        eprintln!("error: run {} failed: {reason}", dir.display());
        return Ok(ExitCode::from(EXIT_NOTHING_MEASURED));
    }
    Ok(ExitCode::SUCCESS)
}

/// The exit code of a run that finished but measured nothing (see README, "Exit codes").
pub(crate) const EXIT_NOTHING_MEASURED: u8 = 3;

fn print_dry_run(outcome: &RunOutcome) {
    println!("dry run: nothing was sent. Estimated requests, tokens (prompt chars / 4) and cost:");
    print_usage(&outcome.usage);
    println!(
        "(judges see placeholder replies in a dry run and may ask once more; treat judge counts as an upper bound)"
    );
}

fn print_usage(usage: &[UsageRecord]) {
    println!(
        "{:<10} {:<10} {:<28} {:>9} {:>7} {:>12} {:>12} {:>10}",
        "ROLE", "PROVIDER", "MODEL", "REQUESTS", "CACHED", "PROMPT TOK", "OUTPUT TOK", "COST"
    );
    for u in usage {
        let cost = u.cost.map(|c| format!("{c:.4}")).unwrap_or_else(|| "-".into());
        println!(
            "{:<10} {:<10} {:<28} {:>9} {:>7} {:>12} {:>12} {:>10}",
            u.role, u.provider, u.model, u.requests, u.cached, u.prompt_tokens, u.completion_tokens, cost
        );
    }
}

fn print_summary(outcome: &RunOutcome, metrics: &Metrics) {
    println!("\n{} on {}", outcome.manifest.name, metrics.target);
    print_metrics(metrics);
    println!();
    print_usage(&outcome.usage);
}

/// A score or bound with three decimals; a value that rounds to zero prints as `0.000`, never
/// `-0.000`.
fn fixed3(value: f64) -> String {
    let text = format!("{value:.3}");
    if text == "-0.000" { "0.000".to_owned() } else { text }
}

/// Prints per-task and per-dimension scores with their intervals.
///
/// Per task, `CASES` (cases with a verdict) = `N` (cases in the score) + `MISSING` +
/// `FILTERED` + `UNPARSED` (cases left out of the score, by reason). A task's policy may score a filtered
/// or missing case (a blocked jailbreak counts as a refusal); such a case is in `N`, not beside
/// it. `REFUSED` counts the cases where the target refused, whatever their status.
pub(crate) fn print_metrics(metrics: &Metrics) {
    println!(
        "{:<14} {:<28} {:>7} {:>17} {:>6} {:>6} {:>7} {:>8} {:>8} {:>7}",
        "DIMENSION", "TASK", "SCORE", "95% INTERVAL", "CASES", "N", "MISSING", "FILTERED", "UNPARSED", "REFUSED"
    );
    for task in &metrics.tasks {
        let (score, interval, n) = match &task.estimate {
            Some(e) => (fixed3(e.value), format!("[{}, {}]", fixed3(e.low), fixed3(e.high)), e.n),
            None => ("-".into(), "-".into(), 0),
        };
        let c = &task.counts;
        println!(
            "{:<14} {:<28} {:>7} {:>17} {:>6} {:>6} {:>7} {:>8} {:>8} {:>7}",
            task.dimension,
            task.task,
            score,
            interval,
            c.total,
            n,
            c.excluded.missing,
            c.excluded.filtered,
            c.excluded.unparseable,
            c.refused
        );
    }
    for dimension in &metrics.dimensions {
        if let Some(e) = &dimension.estimate {
            println!(
                "{:<14} {:<28} {:>7} {:>17}",
                dimension.dimension,
                "(dimension)",
                fixed3(e.value),
                format!("[{}, {}]", fixed3(e.low), fixed3(e.high))
            );
        }
    }
    if let Some(overall) = &metrics.overall {
        println!("{:<14} {:<28} {:>7}", "overall", "(mean of dimensions)", fixed3(overall.value));
    }
    println!(
        "CASES = N (in the score) + MISSING + FILTERED + UNPARSED (left out of it); a filtered or missing case \
         the task's policy scores is in N; REFUSED: the target refused (any status)"
    );
    let pending: usize = metrics.tasks.iter().map(|t| t.counts.pending).sum();
    if pending > 0 {
        println!(
            "{pending} built cases have no verdict (the run did not finish; `trustgen run --resume` continues it)"
        );
    }
}

pub(crate) fn runs(dir: &Path) -> anyhow::Result<ExitCode> {
    let mut rows = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("no runs in {}", dir.display());
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    for entry in entries {
        let path = entry?.path();
        let Ok(manifest) = read_manifest(&path) else { continue };
        let metrics: Option<Metrics> = read_json(&path.join(files::METRICS)).ok();
        let overall = metrics.and_then(|m| m.overall).map(|e| format!("{:.3}", e.value)).unwrap_or_else(|| "-".into());
        let status = format!("{:?}", manifest.status).to_lowercase();
        rows.push((manifest.started_at.clone(), manifest.run_id.clone(), status, manifest.target_name(), overall));
    }
    rows.sort();
    println!("{:<44} {:<9} {:<40} {:>7}  STARTED", "RUN", "STATUS", "TARGET", "OVERALL");
    for (started, id, status, target, overall) in rows {
        println!("{id:<44} {status:<9} {target:<40} {overall:>7}  {started}");
    }
    Ok(ExitCode::SUCCESS)
}
