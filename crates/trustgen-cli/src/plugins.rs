//! `trustgen plugins list|info` and `trustgen validate`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use trustgen_config::Suite;
use trustgen_host::{DiscoverOptions, Registry, SourcePreference};
use trustgen_plugin_api::{MetricKind, PluginKind, TaskSpec};
use trustgen_report::stats;

use crate::cli::GlobalArgs;

/// Discovery options from the command line and the environment.
pub(crate) fn discover_options(global: &GlobalArgs) -> DiscoverOptions {
    let mut options = DiscoverOptions::default();
    for dir in &global.plugin_dirs {
        options = options.dir(dir, "--plugin-dir");
    }
    options.with_env_path()
}

/// Discovery options for a suite: the command line, the environment, and the
/// suite's `[plugins]` table, whose directories load only when `trust` (`--trust-plugins`).
pub(crate) fn suite_discover_options(global: &GlobalArgs, suite: &Suite, trust: bool) -> DiscoverOptions {
    let mut options = discover_options(global);
    for (dir, origin) in suite.plugin_dirs() {
        options = options.suite_dir(dir, origin);
    }
    options.trust_suite_dirs = trust;
    let base = suite.dir();
    for (name, source) in &suite.file.plugins.source {
        let preference = match SourcePreference::parse(source) {
            SourcePreference::Path(p) => SourcePreference::Path(base.join(p)),
            other => other,
        };
        options.sources.insert(name.clone(), preference);
    }
    options
}

fn report_problems(registry: &Registry) -> bool {
    for problem in registry.problems() {
        eprintln!("error: {}", crate::term::sanitize(&problem.to_string()));
    }
    registry.problems().is_empty()
}

pub(crate) fn list(global: &GlobalArgs, json: bool) -> anyhow::Result<ExitCode> {
    let registry = Registry::discover(&discover_options(global))?;
    if json {
        let rows: Vec<serde_json::Value> = registry
            .plugins()
            .iter()
            .map(|p| {
                serde_json::json!({
                    "name": p.name(),
                    "kind": p.kind().as_str(),
                    "version": p.manifest().version,
                    "api_version": p.manifest().api_version,
                    "source": p.source().to_string(),
                    "tasks": p.manifest().tasks.iter().map(|t| &t.name).collect::<Vec<_>>(),
                    "model_types": p.manifest().model_types,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else if registry.plugins().is_empty() {
        println!("no plugins (build with plugin features, or pass --plugin-dir)");
    } else {
        let rows: Vec<[String; 5]> = registry
            .plugins()
            .iter()
            .map(|p| {
                let provides = match p.kind() {
                    PluginKind::Dimension => p.manifest().tasks.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
                    PluginKind::ModelType => p.manifest().model_types.iter().map(String::as_str).collect(),
                    _ => Vec::new(),
                };
                [
                    p.name().to_string(),
                    p.kind().as_str().to_string(),
                    p.manifest().version.clone(),
                    p.source().to_string(),
                    provides.join(", "),
                ]
            })
            .collect();
        print_table(["NAME", "KIND", "VERSION", "SOURCE", "TASKS / MODEL TYPES"], &rows);
    }
    Ok(if report_problems(&registry) { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn print_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) {
    let mut widths: [usize; N] = header.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == N {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        println!("{}", out.trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

pub(crate) fn info(global: &GlobalArgs, name: &str) -> anyhow::Result<ExitCode> {
    let registry = Registry::discover(&discover_options(global))?;
    report_problems(&registry);
    let Some(plugin) = registry.get(name) else {
        let hint = trustgen_config::did_you_mean(name, registry.names())
            .map(|n| format!("; did you mean `{n}`?"))
            .unwrap_or_else(|| "; see `trustgen plugins list`".into());
        anyhow::bail!("no plugin named `{name}`{hint}");
    };
    let mut value = serde_json::to_value(plugin.manifest())?;
    value["source"] = serde_json::Value::String(plugin.source().to_string());
    if !plugin.manifest().tasks.is_empty() {
        value["expected_intervals"] =
            serde_json::Value::Array(plugin.manifest().tasks.iter().map(expected_interval).collect());
    }
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(ExitCode::SUCCESS)
}

/// The 95% interval a task's primary metric can be expected to have at its default size: the
/// worst case (a proportion of 0.5, a mean with the largest spread its range allows), so the
/// interval of a real run is at most this wide.
fn expected_interval(task: &TaskSpec) -> serde_json::Value {
    let Some(n) = task.default_limit.filter(|&n| n > 0) else {
        return serde_json::json!({
            "task": task.name,
            "n": null,
            "half_width": null,
            "note": "no default limit: the task builds one case per data row; set `limit` to size it",
        });
    };
    let (half_width, method, note) = match task.metric.kind {
        MetricKind::Proportion => (
            stats::wilson_at(0.5, n).map(|i| (i.high - i.low) / 2.0),
            "Wilson at p = 0.5",
            "the worst case: a score away from 0.5 has a narrower interval".to_owned(),
        ),
        MetricKind::Mean => (
            Some(stats::Z95 * 0.5 / (n as f64).sqrt()),
            "normal bound, values in [0, 1] (sd at most 0.5)",
            "an upper bound: the bootstrap interval of a real run is at most about this wide".to_owned(),
        ),
        MetricKind::Difference => (
            Some(stats::Z95 * 1.0 / (n as f64).sqrt()),
            "normal bound, paired differences in [-1, 1] (sd at most 1)",
            "an upper bound for the paired difference: pairs that agree (both right or both wrong) add no \
             spread, so a real run's interval is usually much narrower"
                .to_owned(),
        ),
        _ => (None, "none", "the metric kind is unknown to this trustgen".to_owned()),
    };
    serde_json::json!({
        "task": task.name,
        "metric": task.metric.name,
        "n": n,
        "half_width": half_width.map(|h| (h * 10_000.0).round() / 10_000.0),
        "method": method,
        "note": format!("{note}; n is the default limit, fewer when the data has fewer rows"),
    })
}

/// `trustgen validate`: the checks a run makes before it sends anything, and the same plugin
/// discovery (`trustgen run` calls [`trustgen_engine::check`]'s checks too).
pub(crate) fn validate(global: &GlobalArgs, path: &Path, trust: bool) -> anyhow::Result<ExitCode> {
    let suite = Suite::load(path)?;
    let registry = Registry::discover(&suite_discover_options(global, &suite, trust))
        .with_context(|| format!("loading the plugins {} needs", path.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting tokio")?;
    runtime.block_on(trustgen_engine::check(&suite, &registry))?;
    if !global.quiet {
        println!("{}: ok", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
