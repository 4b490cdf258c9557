//! The generator path of the four perturbations the original asked GPT-4o for.
//!
//! The plugin decides *where* the text changes (which sentence or keywords, before or after);
//! the generator only supplies the new words, so its reply is checked item by item and spliced
//! in by code:
//!
//! - `multilingual_blend` (`builder:multilingual-blend@1`): texts of two or more sentences get
//!   one seeded sentence translated with probability 1/2, else the keywords are translated; each
//!   translation must contain Chinese characters;
//! - `recondite_word` (`builder:recondite-word@1`): a rare synonym per keyword (at most three
//!   words, different from the keyword, no Chinese); at least one must be usable;
//! - `syntactic_disruption` (`builder:syntactic-disruption@1`): the whole text rewritten with
//!   grammar errors; it must differ from the input and keep 60–150 % of its words;
//! - `distractive_text` (`builder:distractive-text@1`): a digression of 1 to 15 words,
//!   prepended or appended by seed.
//!
//! An unusable reply is an `Err` with the reason: the builder records the item as skipped and
//! never builds a half-made case.

use serde_json::{Map, Value, json};
use trustgen_plugin_api::{ModelReply, ModelRequest, SeededRng};

use super::keywords::{keywords, sentences, splice};
use super::{MAX_DIGRESSION_WORDS, Perturbation, place_digression};
use trustgen_plugin_kit::reply::{self, excerpt};

use crate::prompts::PROMPTS;

/// Where the generator's words go.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    /// Replace these byte ranges by the translation (or synonym) of their text.
    Spans(Vec<(usize, usize)>),
    /// Replace the whole text.
    Whole,
    /// Put the digression before or after the text, by this seed.
    Digression(u64),
}

/// A generator request and what to do with its reply.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The perturbation.
    pub perturbation: Perturbation,
    /// The request to ask.
    pub request: ModelRequest,
    /// Parameters recorded in the case (mode, items).
    pub params: Map<String, Value>,
    target: Target,
}

/// Plans the generator request of `perturbation` on `text`. `Err` when the perturbation needs no
/// generator, or the text has nothing to perturb.
pub fn plan(perturbation: Perturbation, text: &str, rng: &mut SeededRng) -> Result<Pending, String> {
    let seed = rng.next_u64() >> 1;
    let request = |name: &str, vars: &[(&str, &str)]| -> Result<ModelRequest, String> {
        let template = PROMPTS.get(name).map_err(|e| e.to_string())?;
        template.request(vars, Some(seed)).map_err(|e| e.to_string())
    };
    let chosen = keywords(text, rng);
    let mut params = Map::new();
    let (request, target) = match perturbation {
        Perturbation::MultilingualBlend => {
            let all = sentences(text);
            let spans: Vec<(usize, usize)> = if all.len() >= 2 && rng.chance(0.5) {
                let sentence = all[rng.below(all.len())];
                params.insert("mode".into(), json!("sentence"));
                vec![sentence]
            } else {
                params.insert("mode".into(), json!("keywords"));
                chosen.iter().map(|w| (w.start, w.end)).collect()
            };
            if spans.is_empty() {
                return Err("the text has no keyword to translate".into());
            }
            let items: Vec<&str> = spans.iter().map(|&(s, e)| &text[s..e]).collect();
            params.insert("items".into(), json!(items));
            let list = serde_json::to_string(&items).map_err(|e| e.to_string())?;
            (request("multilingual-blend", &[("text", text), ("items", &list)])?, Target::Spans(spans))
        }
        Perturbation::ReconditeWord => {
            if chosen.is_empty() {
                return Err("the text has no keyword to replace".into());
            }
            let items: Vec<&str> = chosen.iter().map(|w| w.of(text)).collect();
            params.insert("items".into(), json!(items));
            let list = serde_json::to_string(&items).map_err(|e| e.to_string())?;
            let spans = chosen.iter().map(|w| (w.start, w.end)).collect();
            (request("recondite-word", &[("text", text), ("words", &list)])?, Target::Spans(spans))
        }
        Perturbation::SyntacticDisruption => (request("syntactic-disruption", &[("text", text)])?, Target::Whole),
        Perturbation::DistractiveText => {
            let placement = rng.next_u64();
            (request("distractive-text", &[("text", text)])?, Target::Digression(placement))
        }
        other => return Err(format!("{} needs no generator", other.name())),
    };
    Ok(Pending { perturbation, request, params, target })
}

fn has_cjk(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c))
}

/// The string value of `key` in `object`'s map `field`, matched case-insensitively.
fn mapped<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key)
        .or_else(|| map.iter().find(|(k, _)| k.trim().eq_ignore_ascii_case(key.trim())).map(|(_, v)| v))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The perturbed text from the generator's reply, or why the reply is unusable.
pub fn finish(pending: &Pending, text: &str, reply: &ModelReply) -> Result<String, String> {
    let refused = |value: &str| trustgen_judges::keyword_hit(value).map(|p| format!("the generator refused (\"{p}\")"));
    match (&pending.target, pending.perturbation) {
        (Target::Spans(spans), Perturbation::MultilingualBlend) => {
            let object = reply::object_with_keys(reply, &["translations"])?;
            let Some(map) = object.get("translations").and_then(Value::as_object) else {
                return Err("\"translations\" is not an object".into());
            };
            let mut edits = Vec::new();
            for &(start, end) in spans {
                let item = &text[start..end];
                let Some(translation) = mapped(map, item) else {
                    return Err(format!("no translation of \"{}\"", excerpt(item)));
                };
                if !has_cjk(translation) {
                    return Err(format!(
                        "the translation of \"{}\" has no Chinese: {}",
                        excerpt(item),
                        excerpt(translation)
                    ));
                }
                edits.push((start, end, translation.to_string()));
            }
            Ok(splice(text, edits))
        }
        (Target::Spans(spans), Perturbation::ReconditeWord) => {
            let object = reply::object_with_keys(reply, &["replacements"])?;
            let Some(map) = object.get("replacements").and_then(Value::as_object) else {
                return Err("\"replacements\" is not an object".into());
            };
            let mut edits = Vec::new();
            for &(start, end) in spans {
                let item = &text[start..end];
                let Some(synonym) = mapped(map, item) else { continue };
                let usable = !synonym.eq_ignore_ascii_case(item)
                    && synonym.split_whitespace().count() <= 3
                    && !has_cjk(synonym)
                    && refused(synonym).is_none();
                if usable {
                    edits.push((start, end, synonym.to_string()));
                }
            }
            if edits.is_empty() {
                return Err("no usable synonym (each must differ from its word and have at most three words)".into());
            }
            Ok(splice(text, edits))
        }
        (Target::Whole, _) => {
            let object = reply::object_with_keys(reply, &["text"])?;
            let new = object.get("text").and_then(Value::as_str).map(str::trim).unwrap_or_default();
            if let Some(reason) = refused(new) {
                return Err(reason);
            }
            let (old_words, new_words) = (text.split_whitespace().count(), new.split_whitespace().count());
            if new.is_empty() || new == text.trim() {
                return Err("the rewrite is empty or identical to the text".into());
            }
            if new_words * 10 < old_words * 6 || new_words * 10 > old_words * 15 {
                return Err(format!("the rewrite has {new_words} words for {old_words} (60-150 % allowed)"));
            }
            Ok(new.to_string())
        }
        (Target::Digression(placement), _) => {
            let object = reply::object_with_keys(reply, &["digression"])?;
            let digression = object.get("digression").and_then(Value::as_str).map(str::trim).unwrap_or_default();
            let count = digression.split_whitespace().count();
            if count == 0 || count > MAX_DIGRESSION_WORDS {
                return Err(format!("the digression has {count} words (1 to {MAX_DIGRESSION_WORDS} allowed)"));
            }
            if let Some(reason) = refused(digression) {
                return Err(reason);
            }
            Ok(place_digression(text, digression, &mut SeededRng::new(*placement)))
        }
        (Target::Spans(_), other) => Err(format!("{} has no span reply", other.name())),
    }
}
