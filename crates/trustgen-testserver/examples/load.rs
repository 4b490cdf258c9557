//! A small closed-loop load generator: N keep-alive HTTP/1.1 connections, each sending chat requests
//! back to back for a fixed time against a `TestServer` with a fixed latency, like `wrk -c N`.
//!
//! `cargo run --release -p trustgen-testserver --example load -- --connections 256 --latency-ms 50 --seconds 10`
//!
//! With latency L and N connections the ceiling is N / L requests per second (5,120 for 256 at 50 ms);
//! the server keeps up when the measured rate is close to that ceiling and the p50 latency close to L.
//! Client and server share the machine's cores; to see the server's own cost, run the release binary
//! as a separate process (`LOAD_KEY=sk-load trustgen-testserver --latency-ms 50 --api-key-env LOAD_KEY`),
//! pass its address with `--addr`, and read its CPU time from `/proc/<pid>/stat`.

use std::time::{Duration, Instant};

use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use trustgen_testserver::{ServerConfig, TestServer};

#[derive(Parser)]
struct Args {
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 256)]
    connections: usize,
    /// Server latency per request, in milliseconds.
    #[arg(long, default_value_t = 50)]
    latency_ms: u64,
    /// How long to send, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Client runtime worker threads (the server has its own 2).
    #[arg(long, default_value_t = 2)]
    client_workers: usize,
    /// Load an already running server (e.g. the `trustgen-testserver` binary started with
    /// `--latency-ms` and `--api-key-env` holding `sk-load`) instead of spawning one in-process.
    #[arg(long)]
    addr: Option<std::net::SocketAddr>,
}

/// Per-connection results: latencies in microseconds and the number of non-200 replies or errors.
struct Tally {
    latencies_us: Vec<u64>,
    failures: u64,
}

async fn connection(addr: std::net::SocketAddr, id: usize, deadline: Instant) -> Tally {
    let mut tally = Tally { latencies_us: Vec::new(), failures: 0 };
    let stream = match tokio::net::TcpStream::connect(addr).await {
        Ok(stream) => stream,
        Err(_) => {
            tally.failures += 1;
            return tally;
        }
    };
    let _ = stream.set_nodelay(true);
    let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await
    else {
        tally.failures += 1;
        return tally;
    };
    tokio::spawn(conn);
    let mut sequence = 0u64;
    while Instant::now() < deadline {
        sequence += 1;
        let body = format!(
            r#"{{"model":"gpt-4o-mini","messages":[{{"role":"system","content":"You are a helpful assistant."}},{{"role":"user","content":"Question {id}-{sequence}: is the statement true? Answer True or False."}}],"temperature":0,"max_tokens":64}}"#
        );
        let request = hyper::Request::post("/v1/chat/completions")
            .header("host", addr.to_string())
            .header("content-type", "application/json")
            .header("authorization", "Bearer sk-load")
            .body(Full::new(Bytes::from(body)));
        let Ok(request) = request else {
            tally.failures += 1;
            continue;
        };
        let started = Instant::now();
        if sender.ready().await.is_err() {
            tally.failures += 1;
            break;
        }
        match sender.send_request(request).await {
            Ok(response) => {
                let ok = response.status() == 200;
                let body = response.into_body().collect().await;
                if ok && body.is_ok() {
                    tally.latencies_us.push(started.elapsed().as_micros() as u64);
                } else {
                    tally.failures += 1;
                }
            }
            Err(_) => {
                tally.failures += 1;
                break;
            }
        }
    }
    tally
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index] as f64 / 1000.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let config = ServerConfig::default()
        .with_latency(Duration::from_millis(args.latency_ms))
        .with_api_key("sk-load")
        .with_record_limit(1_000);
    let (server, addr) = match args.addr {
        Some(addr) => (None, addr),
        None => {
            let server = TestServer::spawn(config)?;
            let addr = server.addr();
            (Some(server), addr)
        }
    };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(args.client_workers).enable_all().build()?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let tallies = runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for id in 0..args.connections {
            tasks.spawn(connection(addr, id, deadline));
        }
        let mut tallies = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            if let Ok(tally) = joined {
                tallies.push(tally);
            }
        }
        tallies
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies: Vec<u64> = tallies.iter().flat_map(|t| t.latencies_us.iter().copied()).collect();
    latencies.sort_unstable();
    let failures: u64 = tallies.iter().map(|t| t.failures).sum();
    let server_total = server.as_ref().map_or_else(|| "-".to_owned(), |server| server.stats().total.to_string());
    let ceiling = args.connections as f64 / (args.latency_ms.max(1) as f64 / 1000.0);
    println!(
        "connections={} latency_ms={} seconds={:.2}\nok={} failures={} server_total={}\nthroughput={:.0} req/s (ceiling {:.0} = connections / latency, {:.1}%)\nlatency ms: p50={:.2} p90={:.2} p99={:.2} max={:.2}",
        args.connections,
        args.latency_ms,
        elapsed,
        latencies.len(),
        failures,
        server_total,
        latencies.len() as f64 / elapsed,
        ceiling,
        100.0 * latencies.len() as f64 / elapsed / ceiling,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
    );
    Ok(())
}
