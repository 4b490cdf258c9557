//! Times the report of a synthetic run of 100,000 cases (or the number
//! given): writing the run directory, reading it, computing the metrics,
//! and rendering and writing all five outputs.
//!
//! `cargo run --release -p trustgen-report --example bench_report -- [CASES] [OUT_DIR] [RUNS]`
//!
//! With RUNS = 2, a second model is run on the same cases (paired comparisons).

use std::path::PathBuf;
use std::time::Instant;

use trustgen_report::fixture::{Synthetic, synthetic_run, write_run};
use trustgen_report::{ReportOptions, build_report, html, metrics, read_runs, text, write_report};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let cases: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(100_000);
    let out = args.next().map(PathBuf::from).unwrap_or_else(|| std::env::temp_dir().join("trustgen-bench-report"));
    let models: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1);
    let mut dirs = Vec::new();
    for (i, (model, skill)) in [("model-a", 0.8), ("model-b", 0.7)].into_iter().take(models.max(1)).enumerate() {
        let spec = Synthetic {
            cases_per_task: cases.div_ceil(6),
            words: 60,
            ..Synthetic::new(&format!("bench-{i}"), model, skill)
        };
        let dir = out.join(format!("run-{i}"));
        write_run(&dir, &synthetic_run(&spec))?;
        dirs.push(dir);
    }

    let t = Instant::now();
    let runs = read_runs(&dirs)?;
    let read = t.elapsed();
    let t = Instant::now();
    let m = metrics::compute(&runs[0].manifest, &runs[0].cases, &runs[0].verdicts);
    let compute = t.elapsed();
    let options = ReportOptions::default();
    let t = Instant::now();
    let report = build_report(&runs, &options)?;
    let build = t.elapsed();
    let t = Instant::now();
    let page = html::render_html(&report, &runs, &options.html)?;
    let html_time = t.elapsed();
    let t = Instant::now();
    let _ = (
        text::render_json(&report)?,
        text::render_csv(&report)?,
        text::render_markdown(&report),
        text::render_junit(&report),
    );
    let text_time = t.elapsed();
    let t = Instant::now();
    let outcome = write_report(&runs, &out.join("report"), &options)?;
    let render = t.elapsed();

    println!(
        "runs: {}, cases per run: {} ({} verdicts, {} tasks)",
        runs.len(),
        runs[0].cases.len(),
        runs[0].verdicts.len(),
        m.tasks.len()
    );
    println!("read run directory: {:.2} s", read.as_secs_f64());
    println!("metrics::compute:   {:.2} s", compute.as_secs_f64());
    println!("  of which build_report (metrics, comparisons, thresholds): {:.2} s", build.as_secs_f64());
    println!("  of which render_html: {:.2} s ({:.1} MB)", html_time.as_secs_f64(), page.len() as f64 / 1e6);
    println!("  of which json, csv, md, junit: {:.3} s", text_time.as_secs_f64());
    println!("write_report (all five outputs, metrics included, files written): {:.2} s", render.as_secs_f64());
    for f in &outcome.files {
        println!("  {} {:.1} MB", f.display(), std::fs::metadata(f)?.len() as f64 / 1e6);
    }
    Ok(())
}
