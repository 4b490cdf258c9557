//! Times the report of a synthetic run of 100,000 cases (or the number
//! given): writing the run directory, reading it, computing the metrics,
//! and rendering and writing all five outputs.
//!
//! `cargo run --release -p trustgen-report --example bench_report -- [CASES] [OUT_DIR]`

use std::path::PathBuf;
use std::time::Instant;

use trustgen_report::fixture::{Synthetic, synthetic_run, write_run};
use trustgen_report::{ReportOptions, metrics, read_runs, write_report};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let cases: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(100_000);
    let out = args.next().map(PathBuf::from).unwrap_or_else(|| std::env::temp_dir().join("trustgen-bench-report"));
    let spec = Synthetic { cases_per_task: cases.div_ceil(6), words: 60, ..Synthetic::new("bench", "model-a", 0.8) };
    let run = synthetic_run(&spec);
    let run_dir = out.join("run");
    write_run(&run_dir, &run)?;

    let t = Instant::now();
    let runs = read_runs(&[run_dir])?;
    let read = t.elapsed();
    let t = Instant::now();
    let m = metrics::compute(&runs[0].manifest, &runs[0].cases, &runs[0].verdicts);
    let compute = t.elapsed();
    let t = Instant::now();
    let outcome = write_report(&runs, &out.join("report"), &ReportOptions::default())?;
    let render = t.elapsed();

    println!("cases: {} ({} verdicts, {} tasks)", runs[0].cases.len(), runs[0].verdicts.len(), m.tasks.len());
    println!("read run directory: {:.2} s", read.as_secs_f64());
    println!("metrics::compute:   {:.2} s", compute.as_secs_f64());
    println!("write_report (all five outputs, metrics included): {:.2} s", render.as_secs_f64());
    for f in &outcome.files {
        println!("  {} {:.1} MB", f.display(), std::fs::metadata(f)?.len() as f64 / 1e6);
    }
    Ok(())
}
