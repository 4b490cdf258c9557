//! Benchmarks the embedded models: `cargo run --release -p trustgen-embedded --example bench [RUNS]`.
//!
//! Downloads the models into the cache on first use, then prints load times, prompt and generation
//! speed of the chat model and the embedding throughput, with the machine's load average.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    trustgen_embedded::check_cpu()?;
    let runs = match std::env::args().nth(1) {
        Some(arg) => arg.parse().map_err(|e| format!("RUNS must be a number, got `{arg}`: {e}"))?,
        None => 3,
    };
    let loadavg = |when: &str| {
        let avg = std::fs::read_to_string("/proc/loadavg").unwrap_or_else(|_| "unknown".into());
        println!("load average {when}: {}", avg.trim());
    };
    loadavg("before");
    let options = trustgen_embedded::BenchOptions { runs, ..Default::default() };
    let report = trustgen_embedded::bench(&options)?;
    println!("{report}");
    loadavg("after");
    Ok(())
}
