//! Stored images: named by hash in the key, loaded only to send, sent as each provider wants them.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use trustgen_plugin_api::{Image, ImageSource, Message, ModelRequest, ModelRole, ReplyStatus};
use trustgen_testserver::Rule;

use super::{clients, server, spec};
use crate::{Cache, ClientOptions, ImageLoader, ProviderKind};

const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

/// A loader that serves one image and counts its loads.
struct OneImage {
    sha256: String,
    bytes: Vec<u8>,
    loads: Mutex<usize>,
}

impl ImageLoader for OneImage {
    fn load(&self, sha256: &str, _media_type: &str) -> Result<Vec<u8>, String> {
        *self.loads.lock().unwrap() += 1;
        if sha256 == self.sha256 { Ok(self.bytes.clone()) } else { Err(format!("image {sha256} is not stored")) }
    }
}

fn stored(sha256: &str) -> ModelRequest {
    let image = Image::new("image/png", ImageSource::Stored { sha256: sha256.to_owned() });
    ModelRequest::chat(ModelRole::Target, vec![Message::user("What is this?").with_images(vec![image])])
}

#[test]
fn a_stored_image_is_loaded_only_to_send_and_keyed_by_its_hash() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let server = server(vec![Rule::new().reply("A dot.")]);
    let bytes = base64::engine::general_purpose::STANDARD.decode(PNG).unwrap();
    let sha256 = "1".repeat(64);
    let loader = Arc::new(OneImage { sha256: sha256.clone(), bytes: bytes.clone(), loads: Mutex::new(0) });
    let dir = tempfile::tempdir().unwrap();
    let options = ClientOptions {
        cache: Some(Cache::open(&dir.path().join("cache.sqlite")).unwrap()),
        ..ClientOptions::default()
    };
    let clients = clients(vec![spec(&server, ProviderKind::OpenAi, "gpt-4o")], options).with_images(loader.clone());
    let first = runtime.block_on(clients.execute(&stored(&sha256))).unwrap();
    assert_eq!(first.reply.status, ReplyStatus::Ok, "{:?}", first.reply.error);
    // The provider received the bytes as a data URL.
    let records = server.requests();
    let body = records[0].body.as_ref().unwrap();
    let parts = body["messages"][0]["content"].as_array().unwrap();
    let url = parts.iter().find_map(|p| p["image_url"]["url"].as_str()).unwrap();
    assert_eq!(url, format!("data:image/png;base64,{PNG}"));
    // Asked again: the cache answers by the key, which names the hash; nothing is loaded.
    let again = runtime.block_on(clients.execute(&stored(&sha256))).unwrap();
    assert!(again.cached);
    assert_eq!(again.key, first.key);
    assert_eq!(*loader.loads.lock().unwrap(), 1);
    // Another image is another key.
    assert_ne!(clients.key(&stored(&"2".repeat(64))), clients.key(&stored(&sha256)));
    // The recorded request still names the image by hash.
    let prepared = serde_json::to_string(&clients.prepared(&stored(&sha256))).unwrap();
    assert!(prepared.contains(&format!("{{\"stored\":{{\"sha256\":\"{sha256}\"}}}}")), "{prepared}");
}

#[test]
fn a_stored_image_that_cannot_be_loaded_is_a_case_error_and_nothing_is_sent() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let server = server(vec![Rule::new().reply("A dot.")]);
    let loader = Arc::new(OneImage { sha256: "1".repeat(64), bytes: vec![], loads: Mutex::new(0) });
    let clients =
        clients(vec![spec(&server, ProviderKind::Anthropic, "claude")], ClientOptions::default()).with_images(loader);
    let missing = "3".repeat(64);
    let executed = runtime.block_on(clients.execute(&stored(&missing))).unwrap();
    assert_eq!(executed.reply.status, ReplyStatus::Error);
    assert_eq!(executed.reply.error.as_deref(), Some(format!("image {missing} is not stored").as_str()));
    assert!(server.requests().is_empty());
}

/// A loader that records, at each load, how many requests the test server had received.
struct Watching {
    bytes: Vec<u8>,
    server: Arc<trustgen_testserver::TestServer>,
    seen: Mutex<Vec<usize>>,
}

impl ImageLoader for Watching {
    fn load(&self, _sha256: &str, _media_type: &str) -> Result<Vec<u8>, String> {
        self.seen.lock().unwrap().push(self.server.requests().len());
        Ok(self.bytes.clone())
    }
}

/// Requests waiting for a concurrency permit hold no image bytes: a request's images are loaded
/// only once it may be sent, so a run holds the images of the requests in flight (at most the
/// global concurrency), not of every case waiting (trustgen's cases in flight are 4x that).
#[test]
fn images_of_requests_waiting_for_a_permit_are_not_loaded() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = Arc::new(server(vec![Rule::new().reply("A dot.")]));
    let bytes = base64::engine::general_purpose::STANDARD.decode(PNG).unwrap();
    let loader = Arc::new(Watching { bytes, server: server.clone(), seen: Mutex::new(Vec::new()) });
    let options = ClientOptions { global_concurrency: 1, ..ClientOptions::default() };
    let clients =
        Arc::new(clients(vec![spec(&server, ProviderKind::OpenAi, "gpt-4o")], options).with_images(loader.clone()));
    let sha256 = "1".repeat(64);
    let requests: Vec<ModelRequest> = (0..3)
        .map(|i| {
            let image = Image::new("image/png", ImageSource::Stored { sha256: sha256.clone() });
            let message = Message::user(format!("What is this? ({i})")).with_images(vec![image]);
            ModelRequest::chat(ModelRole::Target, vec![message])
        })
        .collect();
    let replies = runtime.block_on(async {
        let tasks: Vec<_> = requests
            .into_iter()
            .map(|request| {
                let clients = clients.clone();
                tokio::spawn(async move { clients.execute(&request).await.map(|e| e.reply.status) })
            })
            .collect();
        let mut replies = Vec::new();
        for task in tasks {
            replies.push(task.await.unwrap());
        }
        replies
    });
    assert!(replies.iter().all(|r| matches!(r, Ok(ReplyStatus::Ok))), "{replies:?}");
    // One permit: each image is loaded after the previous request was answered, never while waiting.
    assert_eq!(*loader.seen.lock().unwrap(), [0, 1, 2]);
}
