//! Driving a plugin method through the step protocol.
//!
//! A method is called on a blocking thread (plugins are synchronous and may
//! be CPU-heavy) under a concurrency bound and a timeout. When it returns
//! model requests, they are executed concurrently and the method is called
//! again with every reply so far, until it returns its result.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use trustgen_host::Plugin;
use trustgen_plugin_api::{CallOutput, ModelReply};

use crate::error::EngineError;
use crate::exec::Executor;

/// Rounds of requests one method call may take before it is stopped.
const MAX_ROUNDS: usize = 64;
/// Timed-out plugin calls (each leaks a blocking thread) before the run stops.
const MAX_LEAKED: usize = 8;

/// Calls plugins on the blocking pool.
pub struct PluginRunner {
    permits: Arc<Semaphore>,
    timeout: Duration,
    leaked: AtomicUsize,
}

/// A method's outcome for one input: its value, or the per-case error.
pub type CaseResult<T> = Result<T, String>;

impl PluginRunner {
    /// At most `concurrency` calls at once, each limited to `timeout`.
    pub fn new(concurrency: usize, timeout: Duration) -> PluginRunner {
        PluginRunner { permits: Arc::new(Semaphore::new(concurrency.max(1))), timeout, leaked: AtomicUsize::new(0) }
    }

    /// Runs `method` with the JSON `input` to completion.
    pub async fn drive<O: DeserializeOwned>(
        &self,
        executor: &Executor,
        plugin: &Arc<Plugin>,
        method: &'static str,
        input: &str,
    ) -> Result<CaseResult<O>, EngineError> {
        let mut replies: Vec<ModelReply> = Vec::new();
        for _ in 0..MAX_ROUNDS {
            let replies_json = serde_json::to_string(&replies).expect("replies serialize");
            let envelope = format!("{{\"input\":{input},\"replies\":{replies_json}}}");
            let output = match self.call(plugin, method, envelope).await? {
                Ok(output) => output,
                Err(message) => return Ok(Err(message)),
            };
            let parsed: CallOutput<O> = match serde_json::from_str(&output) {
                Ok(parsed) => parsed,
                Err(e) => {
                    return Ok(Err(format!("plugin `{}` returned malformed `{method}` output: {e}", plugin.name())));
                }
            };
            match parsed {
                CallOutput::Done(value) => return Ok(Ok(value)),
                CallOutput::Need(requests) => {
                    let mut answers = executor.execute_all(&requests).await?;
                    replies.append(&mut answers);
                }
            }
        }
        Ok(Err(format!("plugin `{}` `{method}` asked for more than {MAX_ROUNDS} rounds of requests", plugin.name())))
    }

    async fn call(
        &self,
        plugin: &Arc<Plugin>,
        method: &'static str,
        envelope: String,
    ) -> Result<CaseResult<String>, EngineError> {
        let _permit = self.permits.acquire().await.expect("the semaphore is never closed");
        let task = {
            let plugin = plugin.clone();
            tokio::task::spawn_blocking(move || plugin.call(method, &envelope, &[]))
        };
        match tokio::time::timeout(self.timeout, task).await {
            Ok(Ok(Ok(output))) => Ok(Ok(output)),
            Ok(Ok(Err(err))) => Ok(Err(format!("plugin `{}` `{method}`: {err}", plugin.name()))),
            Ok(Err(join)) => Ok(Err(format!("plugin `{}` `{method}` crashed: {join}", plugin.name()))),
            Err(_) => {
                let leaked = self.leaked.fetch_add(1, Ordering::Relaxed) + 1;
                if leaked > MAX_LEAKED {
                    return Err(EngineError::Plugin(format!(
                        "plugin `{}` timed out {leaked} times (limit {} s per call); stopping the run; hint: raise [run] plugin_timeout_secs or fix the plugin",
                        plugin.name(),
                        self.timeout.as_secs()
                    )));
                }
                Ok(Err(format!("plugin `{}` `{method}` timed out after {} s", plugin.name(), self.timeout.as_secs())))
            }
        }
    }
}
