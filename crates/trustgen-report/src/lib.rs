//! Metrics, statistics and report outputs of run directories.
//!
//! Run directories are read through trustgen-rundir (their record types and
//! reader live there); the engine writes them, so a report needs no plugin,
//! no model and no engine.
//!
//! - [`stats`]: Wilson and bootstrap intervals, McNemar and permutation tests,
//!   corrections for many comparisons.
//! - [`metrics`]: verdicts to task, dimension and overall scores
//!   (`metrics.json`; the CLI calls [`metrics::compute`] when a run ends).
//! - [`compare`]: paired comparison of runs of different models on the same cases.
//! - [`threshold`]: `--fail-under` thresholds for CI gating.
//! - [`report`], [`text`], [`html`]: the outputs of `trustgen report`
//!   (`report.json`, `report.csv`, `report.md`, `junit.xml`, `report.html`),
//!   written together by [`write_report`].
//! - [`fixture`]: synthetic runs for tests, benchmarks and the browser check.
//!
//! `browser/check_report.mjs` checks a `report.html` in Debian's headless
//! Chromium through playwright-core (Node 20 or newer): no console error, no
//! request but the file itself, the chart and tables present, the case
//! explorer pages and opens a case, and no injected script runs:
//!
//! ```text
//! (cd crates/trustgen-report/browser && npm ci)
//! cargo run -p trustgen-report --example fixture_report -- target/report-fixture
//! node crates/trustgen-report/browser/check_report.mjs target/report-fixture/report/report.html
//! ```
//!
//! **Architecture invariant:** nothing here is async and nothing does network
//! I/O; a report is a pure function of run directories.

pub mod compare;
pub mod error;
pub mod fixture;
pub mod html;
pub mod metrics;
pub mod reference;
pub mod report;
pub mod stats;
pub mod text;
pub mod threshold;

use std::path::{Path, PathBuf};

pub use error::ReportError;
pub use fixture::write_fixture_report;
pub use report::{HtmlOptions, Report, ReportOptions, build_report};
pub use threshold::{Threshold, ThresholdResult};
pub use trustgen_rundir::RunData;

/// The files [`write_report`] writes into its output directory.
pub mod outputs {
    /// The HTML page.
    pub const HTML: &str = "report.html";
    /// Everything structured.
    pub const JSON: &str = "report.json";
    /// One row per run and task (and dimension, overall).
    pub const CSV: &str = "report.csv";
    /// Tables for a pull request.
    pub const MARKDOWN: &str = "report.md";
    /// JUnit XML for CI.
    pub const JUNIT: &str = "junit.xml";
}

/// What [`write_report`] did.
#[derive(Debug, Clone)]
pub struct ReportOutcome {
    /// The report.
    pub report: Report,
    /// The files written, in the order of [`outputs`].
    pub files: Vec<PathBuf>,
}

impl ReportOutcome {
    /// Thresholds that failed (the CLI exits non-zero when any did).
    pub fn failed_thresholds(&self) -> Vec<&ThresholdResult> {
        self.report.thresholds.iter().filter(|t| !t.passed).collect()
    }

    /// True when any threshold failed.
    pub fn failed(&self) -> bool {
        self.report.failed()
    }
}

/// Reads run directories, in order.
pub fn read_runs(dirs: &[PathBuf]) -> Result<Vec<RunData>, ReportError> {
    if dirs.is_empty() {
        return Err(ReportError::NoRuns);
    }
    dirs.iter()
        .map(|dir| {
            if !dir.join(trustgen_rundir::files::MANIFEST).is_file() {
                let message = if dir.is_dir() { "it has no manifest.json" } else { "no such directory" };
                return Err(ReportError::NotARun { dir: dir.clone(), message: message.into() });
            }
            RunData::read(dir).map_err(ReportError::from)
        })
        .collect()
}

/// Builds the report of `runs` and writes all five outputs into `out_dir`
/// (created if needed).
pub fn write_report(runs: &[RunData], out_dir: &Path, options: &ReportOptions) -> Result<ReportOutcome, ReportError> {
    let report = build_report(runs, options)?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| ReportError::Write { path: out_dir.to_owned(), message: e.to_string() })?;
    // Temporary files an interrupted earlier report left (ours only).
    trustgen_rundir::remove_stray_temps(
        out_dir,
        &[outputs::HTML, outputs::JSON, outputs::CSV, outputs::MARKDOWN, outputs::JUNIT],
    )?;
    let rendered = [
        (outputs::HTML, html::render_html(&report, runs, &options.html)?),
        (outputs::JSON, text::render_json(&report)?),
        (outputs::CSV, text::render_csv(&report)?),
        (outputs::MARKDOWN, text::render_markdown(&report)),
        (outputs::JUNIT, text::render_junit(&report)),
    ];
    let mut files = Vec::new();
    for (name, contents) in rendered {
        let path = out_dir.join(name);
        trustgen_rundir::write_atomic(&path, contents.as_bytes())?;
        files.push(path);
    }
    Ok(ReportOutcome { report, files })
}

#[cfg(test)]
mod tests;
