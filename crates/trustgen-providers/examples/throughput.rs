//! Throughput and per-request overhead of `Clients::execute` against the test server.
//!
//! `cargo run --release -p trustgen-providers --no-default-features --example throughput -- --requests 20000`
//!
//! Phases, each with `--requests` distinct chat requests at `--concurrency` in flight:
//! `raw` (a bare reqwest client with the same settings posting the same bodies and parsing the JSON:
//! the floor), `clients` (through every layer, no cache), `clients+cache` (a cold cache: every reply is
//! written), `cache hits` (the same requests again: nothing is sent), then `raw` and `clients` one at a
//! time for the latency each adds. `--phases raw` runs only the first (the baseline of
//! `cargo xtask bench`). The CPU column is this process's user+system time per request
//! (server included when it runs in-process; pass `--addr` of a separately started
//! `trustgen-testserver --api-key-env ...` release binary to measure the client alone).

use std::sync::Arc;
use std::time::{Duration, Instant};

use trustgen_plugin_api::{ModelRequest, ModelRole, ReplyStatus};
use trustgen_providers::{Cache, ClientOptions, Clients, ModelSpec, ProviderKind};
use trustgen_testserver::{ServerConfig, TestServer};

struct Args {
    requests: usize,
    concurrency: usize,
    latency_ms: u64,
    addr: Option<String>,
    /// `raw` runs only the bare-client phase (the baseline of `cargo xtask bench`).
    raw_only: bool,
}

fn args() -> Args {
    let mut args = Args { requests: 20_000, concurrency: 256, latency_ms: 0, addr: None, raw_only: false };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--requests" => args.requests = value.parse().unwrap_or(args.requests),
            "--concurrency" => args.concurrency = value.parse().unwrap_or(args.concurrency),
            "--latency-ms" => args.latency_ms = value.parse().unwrap_or(args.latency_ms),
            "--addr" => args.addr = Some(value),
            "--phases" => args.raw_only = value == "raw",
            other => eprintln!("ignoring unknown argument {other}"),
        }
    }
    args
}

/// User plus system CPU time of this process.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    // After the command name: state is field 3, utime field 14 and stime field 15 (1-based, whole line).
    let ticks: u64 = [11, 12].iter().filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok())).sum();
    Duration::from_millis(ticks * 10)
}

fn report(phase: &str, n: usize, wall: Duration, cpu: Duration) {
    println!(
        "{phase:<20} {n:>7} requests  {:>9.0} req/s  {:>8.1} us/request wall  {:>8.1} us/request CPU  {:.3}s_wall",
        n as f64 / wall.as_secs_f64(),
        wall.as_secs_f64() * 1e6 / n as f64,
        cpu.as_secs_f64() * 1e6 / n as f64,
        wall.as_secs_f64(),
    );
}

fn question(i: usize, salt: &str) -> String {
    format!("Question {salt}{i}: is the following statement true? The sky is blue on a clear day.")
}

async fn run_raw(base: &str, n: usize, concurrency: usize, salt: &str) {
    let client = reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(concurrency)
        .tcp_nodelay(true)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let permit = Arc::clone(&semaphore).acquire_owned().await.unwrap_or_else(|e| panic!("{e}"));
        let (client, url, text) = (client.clone(), format!("{base}/chat/completions"), question(i, salt));
        tasks.spawn(async move {
            let body = serde_json::json!({"model": "m", "messages": [{"role": "user", "content": text}]});
            let response = client.post(url).bearer_auth("sk-bench").json(&body).send().await;
            let value: serde_json::Value = response.unwrap_or_else(|e| panic!("{e}")).json().await.unwrap_or_default();
            assert!(value["choices"][0]["message"]["content"].is_string());
            drop(permit);
        });
    }
    while tasks.join_next().await.is_some() {}
}

async fn run_clients(clients: &Arc<Clients>, n: usize, salt: &str, bound: usize) {
    // Spawning is bounded like the raw phase (the engine also keeps a bounded set of cases in flight);
    // the global concurrency limit inside `Clients` is what bounds the requests.
    let semaphore = Arc::new(tokio::sync::Semaphore::new(bound));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let permit = Arc::clone(&semaphore).acquire_owned().await.unwrap_or_else(|e| panic!("{e}"));
        let clients = Arc::clone(clients);
        let request = ModelRequest::user(ModelRole::Target, question(i, salt));
        tasks.spawn(async move {
            let executed = clients.execute(&request).await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(executed.reply.status, ReplyStatus::Ok, "{:?}", executed.reply.error);
            drop(permit);
        });
    }
    while tasks.join_next().await.is_some() {}
}

fn clients(base: &str, concurrency: usize, cache: Option<Cache>) -> Arc<Clients> {
    let mut spec = ModelSpec::new(ModelRole::Target, ProviderKind::OpenAi, "m");
    spec.base_url = Some(base.to_owned());
    spec.api_key_env = Some("BENCH_KEY".to_owned());
    let options = ClientOptions { global_concurrency: concurrency, cache, ..ClientOptions::default() };
    Arc::new(
        Clients::with_key_lookup(vec![spec], options, |_| Some("sk-bench".to_owned()))
            .unwrap_or_else(|e| panic!("{e}")),
    )
}

async fn timed<F: std::future::Future<Output = ()>>(phase: &str, n: usize, run: F) {
    let (wall, cpu) = (Instant::now(), cpu_time());
    run.await;
    report(phase, n, wall.elapsed(), cpu_time().saturating_sub(cpu));
}

fn main() {
    let args = args();
    let _server;
    let base = match &args.addr {
        Some(addr) => format!("http://{addr}/v1"),
        None => {
            let config = ServerConfig::default().with_latency(Duration::from_millis(args.latency_ms));
            _server = TestServer::spawn(config).unwrap_or_else(|e| panic!("{e}"));
            format!("{}/v1", _server.base_url())
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (n, c) = (args.requests, args.concurrency);
    println!(
        "concurrency {c}, server latency {} ms, {}",
        args.latency_ms,
        args.addr.as_deref().map_or("in-process server", |_| "external server")
    );
    runtime.block_on(async {
        // Warm up connections and code paths.
        run_raw(&base, c.min(n), c, "warm").await;
        timed("raw reqwest", n, run_raw(&base, n, c, "raw")).await;
        if args.raw_only {
            return;
        }
        let plain = clients(&base, c, None);
        run_clients(&plain, c.min(n), "warm", c).await;
        timed("clients", n, run_clients(&plain, n, "clients", c)).await;
        let cache = Cache::open(&dir.path().join("cache.sqlite")).unwrap_or_else(|e| panic!("{e}"));
        let cached = clients(&base, c, Some(cache.clone()));
        timed("clients, all spawned", n, run_clients(&plain, n, "clients-all", n)).await;
        timed("clients+cache", n, run_clients(&cached, n, "cached", c)).await;
        let wall = Instant::now();
        cache.flush().unwrap_or_else(|e| panic!("{e}"));
        println!("{:<20} cache flush after the run took {:.1} ms", "", wall.elapsed().as_secs_f64() * 1e3);
        timed("cache hits", n, run_clients(&cached, n, "cached", c)).await;
        // One at a time costs the server latency per request: keep that phase short when there is one.
        let sequential = if args.latency_ms == 0 { n.min(2000) } else { n.min(40) };
        timed("raw, 1 at once", sequential, run_raw(&base, sequential, 1, "raw-seq")).await;
        let one = clients(&base, 1, None);
        timed("clients, 1 at once", sequential, run_clients(&one, sequential, "clients-seq", 1)).await;
    });
}
