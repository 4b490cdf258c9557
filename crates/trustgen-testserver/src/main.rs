//! The `trustgen-testserver` binary: serves the test server until Ctrl-C and prints its base URL.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use trustgen_testserver::{Script, Server, ServerConfig};

/// A deterministic OpenAI/Azure/Anthropic/Gemini-compatible server for tests and dry runs.
///
/// Prints its base URL (`http://HOST:PORT`) on stdout once it is listening, then serves until Ctrl-C.
#[derive(Parser, Debug)]
#[command(name = "trustgen-testserver", version)]
struct Args {
    /// Address to bind.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// Port to bind; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// A TOML script of rules (see the crate docs).
    #[arg(long)]
    script: Option<PathBuf>,
    /// The name of an environment variable holding the API key that requests must carry.
    #[arg(long)]
    api_key_env: Option<String>,
    /// Accept only these models (comma-separated); others get the provider's 404.
    #[arg(long, value_delimiter = ',')]
    models: Option<Vec<String>>,
    /// Keep at most this many request records in memory.
    #[arg(long, default_value_t = 50_000)]
    record_limit: usize,
    /// Tokio worker threads.
    #[arg(long, default_value_t = 2)]
    workers: usize,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let mut config = ServerConfig {
        addr: SocketAddr::new(args.host, args.port),
        latency: Duration::from_millis(args.latency_ms),
        known_models: args.models,
        record_limit: args.record_limit,
        worker_threads: args.workers.max(1),
        ..ServerConfig::default()
    };
    if let Some(path) = &args.script {
        config.script = Script::load(path).map_err(|error| error.to_string())?;
    }
    if let Some(var) = &args.api_key_env {
        let key = std::env::var(var).map_err(|_| {
            format!("the environment variable {var} named by --api-key-env is not set or not unicode; hint: export {var}=<key>")
        })?;
        config.api_key = Some(key);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.worker_threads)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the tokio runtime: {error}"))?;
    runtime.block_on(async move {
        let addr = config.addr;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|error| format!("cannot bind {addr}: {error}; hint: pick another --port, or --port 0"))?;
        let local = listener.local_addr().map_err(|error| format!("cannot read the bound address: {error}"))?;
        println!("http://{local}");
        let shutdown = async {
            if let Err(error) = tokio::signal::ctrl_c().await {
                tracing::error!(%error, "cannot listen for Ctrl-C; stop the server with a signal instead");
                std::future::pending::<()>().await;
            }
        };
        Server::new(config).run(listener, shutdown).await.map_err(|error| error.to_string())
    })
}
