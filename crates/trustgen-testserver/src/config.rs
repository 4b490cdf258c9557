//! Server configuration: address, latency, script, key, known models and record limit.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::script::Script;

/// How a test server behaves. Build it with `ServerConfig::default()` and the `with_*` methods.
#[derive(Clone)]
pub struct ServerConfig {
    /// Where [`crate::TestServer::spawn`] binds; `127.0.0.1:0` (an ephemeral port) by default.
    pub addr: SocketAddr,
    /// Every recorded request waits this long before its reply (for benchmarks); zero by default.
    pub latency: Duration,
    /// The scripted answers and faults.
    pub script: Script,
    /// When set, requests must carry this key in the provider's header (see the crate docs).
    pub api_key: Option<String>,
    /// When set, requests for other models get the provider's 404.
    pub known_models: Option<Vec<String>>,
    /// At most this many request records are kept (oldest evicted first); 50,000 by default.
    pub record_limit: usize,
    /// Tokio worker threads of [`crate::TestServer::spawn`]; 2 by default.
    pub worker_threads: usize,
    /// The sampling temperature of a chat request that sends none; 0 (greedy) by default. Like a
    /// real server, a request sampled above 0 without a `seed` gets a fresh seed (the server's own
    /// counter), so its reply differs from one request to the next; set 0.8 to act as llama.cpp's
    /// server does.
    pub default_temperature: f64,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            latency: Duration::ZERO,
            script: Script::default(),
            api_key: None,
            known_models: None,
            record_limit: 50_000,
            worker_threads: 2,
            default_temperature: 0.0,
        }
    }
}

impl ServerConfig {
    /// Sets the bind address.
    pub fn with_addr(mut self, addr: SocketAddr) -> ServerConfig {
        self.addr = addr;
        self
    }

    /// Sets the temperature of chat requests that send none (see [`ServerConfig::default_temperature`]).
    pub fn with_default_temperature(mut self, temperature: f64) -> ServerConfig {
        self.default_temperature = temperature;
        self
    }

    /// Sets the latency added to every request.
    pub fn with_latency(mut self, latency: Duration) -> ServerConfig {
        self.latency = latency;
        self
    }

    /// Sets the script.
    pub fn with_script(mut self, script: Script) -> ServerConfig {
        self.script = script;
        self
    }

    /// Requires this API key.
    pub fn with_api_key(mut self, key: impl Into<String>) -> ServerConfig {
        self.api_key = Some(key.into());
        self
    }

    /// Accepts only these models.
    pub fn with_known_models<S: Into<String>>(mut self, models: impl IntoIterator<Item = S>) -> ServerConfig {
        self.known_models = Some(models.into_iter().map(Into::into).collect());
        self
    }

    /// Keeps at most this many request records.
    pub fn with_record_limit(mut self, limit: usize) -> ServerConfig {
        self.record_limit = limit;
        self
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("addr", &self.addr)
            .field("latency", &self.latency)
            .field("script_rules", &self.script.len())
            .field("api_key", &self.api_key.as_deref().map(crate::record::redact))
            .field("known_models", &self.known_models)
            .field("record_limit", &self.record_limit)
            .field("worker_threads", &self.worker_threads)
            .finish()
    }
}
