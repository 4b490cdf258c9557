//! Command-line arguments and the serve loop shared by the `trustgen-testserver` binary and the
//! `trustgen serve-test` subcommand (which flattens [`ServeArgs`] into its own parser).

use std::future::Future;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::{Script, Server, ServerConfig, TestServerError};

/// How to run a test server from the command line.
#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to bind.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,
    /// Port to bind; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// A TOML script of rules (see the trustgen-testserver crate docs).
    #[arg(long)]
    pub script: Option<PathBuf>,
    /// The name of an environment variable holding the API key that requests must carry (the key
    /// itself is never taken from the command line).
    #[arg(long)]
    pub api_key_env: Option<String>,
    /// Accept only these models (comma-separated); others get the provider's 404.
    #[arg(long, value_delimiter = ',')]
    pub models: Option<Vec<String>>,
    /// Keep at most this many request records in memory (counters cover all requests).
    #[arg(long, default_value_t = 50_000)]
    pub record_limit: usize,
    /// Tokio worker threads (used by [`run`], which builds its own runtime).
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
}

impl ServeArgs {
    /// The server configuration these arguments describe: loads the script and reads the key from the
    /// environment.
    pub fn config(&self) -> Result<ServerConfig, TestServerError> {
        let mut config = ServerConfig {
            addr: SocketAddr::new(self.host, self.port),
            latency: Duration::from_millis(self.latency_ms),
            known_models: self.models.clone(),
            record_limit: self.record_limit,
            worker_threads: self.workers.max(1),
            ..ServerConfig::default()
        };
        if let Some(path) = &self.script {
            config.script = Script::load(path)?;
        }
        if let Some(var) = &self.api_key_env {
            let key = std::env::var(var).map_err(|_| TestServerError::ApiKeyEnv { var: var.clone() })?;
            config.api_key = Some(key);
        }
        Ok(config)
    }
}

/// Binds, prints the base URL (`http://HOST:PORT`) on its own line on stdout, and serves in the current
/// tokio runtime until `shutdown` completes.
pub async fn serve_args(args: &ServeArgs, shutdown: impl Future<Output = ()>) -> Result<(), TestServerError> {
    let config = args.config()?;
    let addr = config.addr;
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|source| TestServerError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(|source| TestServerError::Listener { addr: addr.to_string(), source })?;
    let mut stdout = std::io::stdout().lock();
    // The URL line is how scripts find the server; a closed stdout is not worth failing for.
    let _ = writeln!(stdout, "http://{local}");
    let _ = stdout.flush();
    drop(stdout);
    Server::new(config).run(listener, shutdown).await
}

/// [`serve_args`] on a runtime of its own with `args.workers` threads, until Ctrl-C.
pub fn run(args: &ServeArgs) -> Result<(), TestServerError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.workers.max(1))
        .enable_all()
        .build()
        .map_err(TestServerError::Runtime)?;
    runtime.block_on(serve_args(args, async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C; stop the server with a signal instead");
            std::future::pending::<()>().await;
        }
    }))
}
