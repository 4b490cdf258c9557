//! The content address of a request: what the cache is keyed by, and what seeds retries and sampling.
//!
//! The key is the SHA-256 of a JSON document holding a format version, the provider kind, the model,
//! the effective endpoint (base URL, Azure deployment and API version, embedded weights path), and the
//! request: its kind, its messages (images included) and its generation parameters after the suite
//! defaults are merged in. The purpose label and the role are not part of it, so two roles served by
//! the same model share cache entries. Serialization goes through structs (fixed field order), never
//! through maps, so the bytes do not depend on map ordering features.

use serde::Serialize;
use sha2::{Digest, Sha256};
use trustgen_plugin_api::{EmbedRequest, GenParams, ImageRequest, Message, RequestKind, RetrieveRequest};

use crate::spec::ModelSpec;

/// Bump when a provider default that changes replies (e.g. Anthropic's default `max_tokens`) changes.
const KEY_VERSION: u32 = 1;

/// A request's parameters with the suite's defaults filled in: a field the request sets wins; stop
/// sequences come from the request if it has any, else from the suite; `json` is on if either asks.
pub fn merge_params(request: &GenParams, defaults: &GenParams) -> GenParams {
    GenParams::new()
        .with_temperature(request.temperature.or(defaults.temperature))
        .with_top_p(request.top_p.or(defaults.top_p))
        .with_max_tokens(request.max_tokens.or(defaults.max_tokens))
        .with_seed(request.seed.or(defaults.seed))
        .with_stop(if request.stop.is_empty() { defaults.stop.clone() } else { request.stop.clone() })
        .with_json(request.json || defaults.json)
}

#[derive(Serialize)]
struct Material<'a> {
    v: u32,
    provider: &'static str,
    model: &'a str,
    base_url: Option<&'a str>,
    deployment: Option<&'a str>,
    api_version: Option<&'a str>,
    path: Option<String>,
    request: KeyRequest<'a>,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum KeyRequest<'a> {
    Chat { messages: &'a [Message], params: &'a GenParams },
    Image(&'a ImageRequest),
    Embed(&'a EmbedRequest),
    Retrieve(&'a RetrieveRequest),
    Unknown,
}

/// The hex SHA-256 key of `kind` sent to `spec`'s model, with `params` already merged.
pub(crate) fn request_key(spec: &ModelSpec, kind: &RequestKind, merged: Option<&GenParams>) -> String {
    let request = match kind {
        RequestKind::Chat(chat) => {
            KeyRequest::Chat { messages: &chat.messages, params: merged.unwrap_or(&chat.params) }
        }
        RequestKind::Image(image) => KeyRequest::Image(image),
        RequestKind::Embed(embed) => KeyRequest::Embed(embed),
        RequestKind::Retrieve(retrieve) => KeyRequest::Retrieve(retrieve),
        // Answered with an error before any key is needed.
        _ => KeyRequest::Unknown,
    };
    let material = Material {
        v: KEY_VERSION,
        provider: spec.provider.as_str(),
        model: &spec.model,
        base_url: spec.effective_base_url(),
        deployment: spec.deployment.as_deref(),
        api_version: spec.api_version.as_deref(),
        path: spec.path.as_ref().map(|p| p.to_string_lossy().into_owned()),
        request,
    };
    // Serializing plain structs, strings and numbers cannot fail.
    let bytes = serde_json::to_vec(&material).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}
