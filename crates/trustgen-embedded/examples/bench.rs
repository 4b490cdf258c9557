//! Benchmarks the embedded models: `cargo run --release -p trustgen-embedded --example bench [RUNS]`.
//!
//! Downloads the models into the cache on first use, then prints load times, prompt and generation
//! speed of the chat model (as stored, and re-encoded as Q8_0) and the embedding throughput, with the
//! machine's load average and the thread count candle uses.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    trustgen_embedded::check_cpu()?;
    let runs = match std::env::args().nth(1) {
        Some(arg) => arg.parse().map_err(|e| format!("RUNS must be a number, got `{arg}`: {e}"))?,
        None => 3,
    };
    let loadavg = || std::fs::read_to_string("/proc/loadavg").unwrap_or_else(|_| "unknown".into()).trim().to_owned();
    println!("{}", candle_threads());
    for requantized in [false, true] {
        println!("load average before: {}", loadavg());
        let options = trustgen_embedded::BenchOptions { runs, requantized, embed: !requantized, ..Default::default() };
        println!("{}", trustgen_embedded::bench(&options)?);
        println!("load average after: {}\n", loadavg());
    }
    Ok(())
}

/// The thread settings candle reads: `RAYON_NUM_THREADS` (all pools) and `CANDLE_NUM_THREADS` (matmul pool).
fn candle_threads() -> String {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| "unset".to_owned());
    format!(
        "RAYON_NUM_THREADS={} CANDLE_NUM_THREADS={} (unset: one per physical core)",
        var("RAYON_NUM_THREADS"),
        var("CANDLE_NUM_THREADS")
    )
}
