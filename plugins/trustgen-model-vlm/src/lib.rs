//! `vlm`: the model type of vision-language models.
//!
//! Image(s) and text in, text out. A case's prompt becomes chat requests to
//! the target like an LLM's (system prompt, user turns, the target's own
//! replies as assistant messages between turns: real multi-turn chat), with
//! the prompt's images, in order, attached to its first user turn
//! (multi-image prompts). Prompts of one case are asked concurrently; turns
//! of one prompt in order; a conversation stops at the first turn that fails
//! or is refused by a content filter, keeping the turns answered so far.
//!
//! Images reach this plugin already stored by the engine
//! ([`ImageSource::Stored`], named by hash: from a data file, a `data:` URL
//! or bytes a dimension plugin attached at build time); the plugin passes the
//! references through and never sees the bytes, which the provider loads
//! only to send. A remote `http(s)` URL is passed through too. An image the
//! engine did not store (a plugin-call blob, a data file, inline base64) is
//! an error of the case, not a silent text-only question.

use trustgen_plugin_api::{Cx, Image, ImageSource, Manifest, ModelOutput, ModelType, RespondInput, Step, fail};

/// The plugin.
#[derive(Debug, Default)]
pub struct Vlm;

/// Why `image` cannot be sent as it is, if it cannot.
fn unsendable(image: &Image) -> Option<&'static str> {
    match &image.source {
        ImageSource::Stored { .. } => None,
        ImageSource::Url(url) if url.starts_with("https://") || url.starts_with("http://") => None,
        ImageSource::Url(_) | ImageSource::Base64(_) | ImageSource::Blob { .. } | ImageSource::File(_) => {
            Some("was not stored by the engine")
        }
        _ => Some("has a source this plugin does not know; hint: upgrade the vlm plugin"),
    }
}

impl ModelType for Vlm {
    fn manifest(&self) -> Manifest {
        Manifest::new()
            .with_description(
                "Vision-language models: image(s) and text in, text out; multi-image prompts and multi-turn chat.",
            )
            .with_model_types(vec!["vlm".into()])
    }

    fn respond(&self, cx: &mut Cx, input: &RespondInput) -> Step<ModelOutput> {
        let prompts = &input.case.prompts;
        for prompt in prompts {
            for (i, image) in prompt.images.iter().enumerate() {
                if let Some(why) = unsendable(image) {
                    fail!("case `{}`: image {} of prompt `{}` {why}", input.case.id, i + 1, prompt.name);
                }
            }
        }
        trustgen_plugin_kit::converse::converse(cx, prompts)
    }
}

trustgen_plugin_api::export_plugin!(name: "vlm", model_type: Vlm);

#[cfg(test)]
mod tests;
