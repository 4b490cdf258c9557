//! Driving a plugin method through the step protocol.
//!
//! A method is called on a blocking thread (plugins are synchronous and may
//! be CPU-heavy) under a concurrency bound and a timeout. When it returns
//! model requests, they are executed concurrently and the method is called
//! again with every reply so far, until it returns its result.
//!
//! The protocol itself (envelopes, reply keys, the round limit, the checks)
//! is the plugin API's one driver, [`Session`]; this module only adds the
//! I/O. In-process step methods (the contextual variator) run through the
//! same session with [`drive_local`].

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use trustgen_host::Plugin;
use trustgen_plugin_api::step::{Next, Session};
use trustgen_plugin_api::{CallErrorKind, Cx, ImageSource, ModelReply, Step};

use crate::error::EngineError;
use crate::exec::Executor;

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

    /// Runs `method` with `input` to completion. The input is serialized
    /// once; every round sends it with the replies so far.
    pub async fn drive<I: Serialize, O: DeserializeOwned>(
        &self,
        executor: &Executor,
        plugin: &Arc<Plugin>,
        method: &'static str,
        input: &I,
    ) -> Result<CaseResult<O>, EngineError> {
        Ok(self.drive_with_bytes(executor, plugin, method, input, Arc::new(Vec::new())).await?.map(|(value, _)| value))
    }

    /// [`PluginRunner::drive`], also returning the bytes the last call
    /// returned beside its result (the images it attached, which the
    /// result's [`trustgen_plugin_api::ImageSource::Blob`]s refer to). The
    /// images of the requests of every round are stored before they run.
    /// `input_bytes` go beside the input of every round ([`Cx::bytes`]: the
    /// images of data rows, [`crate::rows`]).
    pub async fn drive_with_bytes<I: Serialize, O: DeserializeOwned>(
        &self,
        executor: &Executor,
        plugin: &Arc<Plugin>,
        method: &'static str,
        input: &I,
        input_bytes: Arc<Vec<u8>>,
    ) -> Result<CaseResult<(O, Vec<u8>)>, EngineError> {
        let mut session = Session::new(plugin.name(), method);
        let input = match serde_json::value::to_raw_value(input) {
            Ok(input) => input,
            Err(e) => {
                return Ok(Err(format!("plugin `{}` `{method}`: the input does not serialize: {e}", plugin.name())));
            }
        };
        // The input bytes, then the bytes of the stored drawings the replies so far carry.
        let mut call_bytes = input_bytes;
        loop {
            let envelope = match session.envelope(&input) {
                Ok(envelope) => envelope,
                Err(message) => return Ok(Err(message)),
            };
            let output = match self.call(plugin, method, envelope, call_bytes.clone()).await? {
                Ok(output) => output,
                Err(message) => return Ok(Err(message)),
            };
            let next = session.accept::<O>(&output);
            let bytes = session.take_bytes();
            match next {
                Ok(Next::Done(value)) => return Ok(Ok((value, bytes))),
                Ok(Next::Need(mut requests)) => {
                    let who = format!("plugin `{}` method `{method}`", plugin.name());
                    if let Err(message) = executor.images().requests(&mut requests, &bytes, &who) {
                        return Ok(Err(message));
                    }
                    drop(bytes);
                    let mut replies = executor.execute_all(&requests).await?;
                    // Stored drawings go beside the input of the next calls, as bytes (appended,
                    // so the ranges of earlier replies stay valid).
                    let stored =
                        |r: &ModelReply| r.images.iter().any(|i| matches!(i.source, ImageSource::Stored { .. }));
                    if replies.iter().any(stored) {
                        let mut bytes = call_bytes.as_ref().clone();
                        if let Err(message) = executor.images().materialise(&mut replies, &mut bytes) {
                            return Ok(Err(format!("plugin `{}` method `{method}`: {message}", plugin.name())));
                        }
                        call_bytes = Arc::new(bytes);
                    }
                    if let Err(message) = session.answer(replies) {
                        return Ok(Err(message));
                    }
                }
                Err(message) => return Ok(Err(message)),
            }
        }
    }

    async fn call(
        &self,
        plugin: &Arc<Plugin>,
        method: &'static str,
        envelope: String,
        bytes: Arc<Vec<u8>>,
    ) -> Result<CaseResult<String>, EngineError> {
        let _permit = self.permits.acquire().await.expect("the semaphore is never closed");
        let task = {
            let plugin = plugin.clone();
            tokio::task::spawn_blocking(move || plugin.call(method, &envelope, &bytes))
        };
        match tokio::time::timeout(self.timeout, task).await {
            Ok(Ok(Ok(output))) => Ok(Ok(output)),
            // A protocol error already names the plugin and the method.
            Ok(Ok(Err(err))) if err.kind == CallErrorKind::Protocol => Ok(Err(err.to_string())),
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

/// Drives an in-process step-protocol method (the contextual variator) to
/// completion through the same [`Session`] as plugins: the same checks, the
/// same round limit, the same executor.
pub async fn drive_local<T>(
    executor: &Executor,
    name: &str,
    method: &str,
    mut run: impl FnMut(&mut Cx) -> Step<T>,
) -> Result<CaseResult<T>, EngineError> {
    let mut session = Session::new(name, method);
    loop {
        match session.run(&mut run) {
            Ok(Next::Done(value)) => return Ok(Ok(value)),
            Ok(Next::Need(requests)) => {
                let replies = executor.execute_all(&requests).await?;
                if let Err(message) = session.answer(replies) {
                    return Ok(Err(message));
                }
            }
            Err(message) => return Ok(Err(message)),
        }
    }
}
