//! Executing model requests: once per request key, journalled before use.
//!
//! Every request a plugin or the variator asks for goes through
//! [`Executor::execute`]: identical requests (same content-addressed key) in
//! flight at once are sent once; the reply is appended to the run's
//! `requests.jsonl` before anyone sees it; and on `--resume`, replies
//! recorded by the interrupted run are served from that journal, so no
//! request whose reply reached the disk is ever sent again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::OnceCell;
use trustgen_plugin_api::{ModelReply, ModelRequest, ReplyStatus};
use trustgen_providers::Clients;

use trustgen_rundir::{RequestRecord, RunDir};

use crate::error::EngineError;
use crate::event::{Event, Observer, ReplySource};
use crate::images::Images;

/// Runs requests through the model clients, the journal and the cache.
pub struct Executor {
    clients: Arc<Clients>,
    store: Option<Arc<RunDir>>,
    replies: Mutex<HashMap<String, Arc<OnceCell<ModelReply>>>>,
    observer: Option<Arc<dyn Observer>>,
    images: Images,
}

impl Executor {
    /// An executor over `clients`, journalling into `store` (none in a dry
    /// run), with the replies an earlier run of the directory recorded.
    pub fn new(clients: Arc<Clients>, store: Option<Arc<RunDir>>, journal: HashMap<String, ModelReply>) -> Executor {
        let replies =
            journal.into_iter().map(|(key, reply)| (key, Arc::new(OnceCell::new_with(Some(reply))))).collect();
        let images = Images::new(store.as_ref().map(|s| s.images().clone()), std::path::PathBuf::from("."));
        Executor { clients, store, replies: Mutex::new(replies), observer: None, images }
    }

    /// Stores the images of requests (and cases) with `images`.
    pub fn with_images(mut self, images: Images) -> Executor {
        self.images = images;
        self
    }

    /// Where the images of cases and requests are stored.
    pub fn images(&self) -> &Images {
        &self.images
    }

    /// Reports every answered request to `observer`.
    pub fn with_observer(mut self, observer: Option<Arc<dyn Observer>>) -> Executor {
        self.observer = observer;
        self
    }

    /// Executes one request. A per-case failure is a reply with status
    /// `error`; only fatal errors (bad key, bad model, a full disk) are `Err`.
    pub async fn execute(&self, request: &ModelRequest) -> Result<ModelReply, EngineError> {
        let Some(key) = self.clients.key(request) else {
            return Ok(ModelReply::new(ReplyStatus::Error).with_error(format!(
                "the suite configures no [models.{}] but a plugin asked it ({})",
                request.role.as_str(),
                request.purpose.as_deref().unwrap_or("no purpose given")
            )));
        };
        let cell = {
            let mut replies = self.replies.lock().unwrap_or_else(|e| e.into_inner());
            replies.entry(key.clone()).or_default().clone()
        };
        // Set when this call asked the clients (else the journal answered).
        let asked: std::sync::OnceLock<ReplySource> = std::sync::OnceLock::new();
        let reply = cell
            .get_or_try_init(|| async {
                let start = Instant::now();
                let mut executed = self.clients.execute(request).await?;
                // Drawings into the run store: the replies kept here and in the journal name them by hash.
                self.images.reply(&mut executed.reply, &format!("a reply of [models.{}]", request.role.as_str()));
                let _ = asked.set(match (executed.cached, executed.attempts) {
                    (true, _) => ReplySource::Cache,
                    (false, 0) => ReplySource::Local,
                    (false, attempts) => ReplySource::Sent { attempts },
                });
                if let Some(store) = &self.store {
                    store.request(&RequestRecord {
                        key: key.clone(),
                        // As sent: with the suite's parameters and the derived seed.
                        request: self.clients.prepared(request),
                        reply: executed.reply.clone(),
                        cached: executed.cached,
                        attempts: executed.attempts,
                        latency_ms: start.elapsed().as_millis() as u64,
                    })?;
                }
                Ok::<_, EngineError>(executed.reply)
            })
            .await?;
        if let Some(observer) = &self.observer {
            let source = asked.get().copied().unwrap_or(ReplySource::Journal);
            observer.event(Event::Request { role: request.role, source });
        }
        Ok(reply.clone())
    }

    /// Executes requests concurrently, replies in order.
    pub async fn execute_all(&self, requests: &[ModelRequest]) -> Result<Vec<ModelReply>, EngineError> {
        futures_util::future::try_join_all(requests.iter().map(|r| self.execute(r))).await
    }
}
