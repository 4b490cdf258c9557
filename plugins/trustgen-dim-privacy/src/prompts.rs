//! Versioned prompt templates of the test-case builders (the generator's instructions).
//!
//! Where the original toolkit asked GPT-4o to write a test case, this plugin asks the suite's
//! generator model with one of these templates. Each is a TOML file under `prompts/`, compiled
//! in: a name and version (the request's purpose is `builder:<name>@<version>`, recorded with
//! every request and part of the cache key), an optional system text, the prompt with
//! `{{variable}}` placeholders, and the JSON keys the reply must carry. The wording is our own.
//! Bump the version whenever the wording changes, so cached replies of the old wording are never
//! reused for the new one.

use std::sync::OnceLock;

use serde::Deserialize;
use trustgen_plugin_api::{GenParams, Message, ModelRequest, ModelRole};

/// The built-in builder templates, by file name.
const BUILTIN: &[(&str, &str)] = &[
    ("privacy_query.toml", include_str!("../prompts/privacy_query.toml")),
    ("privacy_rephrase.toml", include_str!("../prompts/privacy_rephrase.toml")),
    ("privacy_context.toml", include_str!("../prompts/privacy_context.toml")),
    ("privacy_law.toml", include_str!("../prompts/privacy_law.toml")),
];

/// The longest law text (in characters) put into one `privacy-law` request; longer texts keep
/// their beginning.
pub const MAX_LAW_CHARS: usize = 6000;

/// Errors of loading and rendering builder templates.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PromptError {
    /// A template file is not valid TOML of the template shape.
    #[error("builder prompt file `prompts/{file}` is invalid: {message}")]
    Parse {
        /// The file name.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// No built-in template has this name.
    #[error("no builder prompt named `{0}` in the privacy plugin")]
    Unknown(String),
    /// A placeholder was not given a value, or a value has no placeholder.
    #[error("builder prompt `{template}`: {message}")]
    Render {
        /// The template id.
        template: String,
        /// What is wrong.
        message: String,
    },
}

/// One builder template.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuilderPrompt {
    /// Template name, e.g. `privacy-query`.
    pub name: String,
    /// Version; bumped whenever the wording changes.
    pub version: u32,
    /// What the generator is asked to do.
    pub description: String,
    /// The JSON keys the reply must carry.
    pub reply: Vec<String>,
    /// System message text.
    #[serde(default)]
    pub system: Option<String>,
    /// User message text with `{{variable}}` placeholders.
    pub prompt: String,
}

impl BuilderPrompt {
    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// The purpose label of its requests: `builder:<name>@<version>`.
    pub fn purpose(&self) -> String {
        format!("builder:{}", self.id())
    }

    /// The placeholder names of the prompt, in order of first use.
    pub fn placeholders(&self) -> Vec<String> {
        let mut names = Vec::new();
        let mut rest = self.prompt.as_str();
        while let Some(open) = rest.find("{{") {
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else { break };
            let name = after[..close].trim().to_string();
            if !names.contains(&name) {
                names.push(name);
            }
            rest = &after[close + 2..];
        }
        names
    }

    /// The prompt with every placeholder replaced in one pass (inserted values are not
    /// re-scanned). Every placeholder needs a value and every value a placeholder.
    pub fn render(&self, vars: &[(&str, &str)]) -> Result<String, PromptError> {
        let placeholders = self.placeholders();
        let error = |message: String| PromptError::Render { template: self.id(), message };
        if let Some((name, _)) = vars.iter().find(|(name, _)| !placeholders.iter().any(|p| p == name)) {
            return Err(error(format!("it has no placeholder `{{{{{name}}}}}`")));
        }
        let mut out = String::with_capacity(self.prompt.len());
        let mut rest = self.prompt.as_str();
        while let Some(open) = rest.find("{{") {
            out.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else { break };
            let name = after[..close].trim();
            let value = vars
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
                .ok_or_else(|| error(format!("placeholder `{{{{{name}}}}}` was given no value")))?;
            out.push_str(value);
            rest = &after[close + 2..];
        }
        out.push_str(rest);
        Ok(out.trim().to_string())
    }

    /// A generator request for `vars`: temperature 0.7, JSON mode, the run seed.
    pub fn request(&self, vars: &[(&str, &str)], seed: u64) -> Result<ModelRequest, PromptError> {
        let mut messages = Vec::new();
        if let Some(system) = &self.system {
            messages.push(Message::system(system.trim()));
        }
        messages.push(Message::user(self.render(vars)?));
        let params = GenParams { temperature: Some(0.7), json: true, seed: Some(seed), ..GenParams::default() };
        Ok(ModelRequest::chat(ModelRole::Generator, messages).with_params(params).with_purpose(self.purpose()))
    }
}

/// Every built-in template, parsed once.
pub fn all() -> Result<&'static [BuilderPrompt], PromptError> {
    static PROMPTS: OnceLock<Result<Vec<BuilderPrompt>, PromptError>> = OnceLock::new();
    PROMPTS
        .get_or_init(|| {
            BUILTIN
                .iter()
                .map(|(file, text)| {
                    toml::from_str::<BuilderPrompt>(text).map_err(|e| PromptError::Parse {
                        file: (*file).to_string(),
                        message: e.to_string().trim_end().to_string(),
                    })
                })
                .collect()
        })
        .as_deref()
        .map_err(Clone::clone)
}

/// The built-in template named `name`.
pub fn get(name: &str) -> Result<&'static BuilderPrompt, PromptError> {
    all()?.iter().find(|p| p.name == name).ok_or_else(|| PromptError::Unknown(name.to_string()))
}

/// The first `max` characters of `text` (a law text put into a request).
pub fn head(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;

    #[test]
    fn builtin_prompts_load_with_their_placeholders() {
        let lines: Vec<String> = all()
            .unwrap()
            .iter()
            .map(|p| format!("{} vars=[{}] reply=[{}]", p.purpose(), p.placeholders().join(","), p.reply.join(",")))
            .collect();
        expect![[r#"
            builder:privacy-query@1 vars=[target_kind,target,aspect,group,description,example] reply=[query]
            builder:privacy-rephrase@1 vars=[target,query] reply=[query]
            builder:privacy-context@1 vars=[target,query] reply=[context]
            builder:privacy-law@1 vars=[country,law] reply=[query]"#]]
        .assert_eq(&lines.join("\n"));
    }

    #[test]
    fn render_rejects_missing_and_unknown_values_and_does_not_rescan() {
        let p = get("privacy-rephrase").unwrap();
        assert_eq!(
            p.render(&[("target", "x")]).unwrap_err().to_string(),
            "builder prompt `privacy-rephrase@1`: placeholder `{{query}}` was given no value"
        );
        assert_eq!(
            p.render(&[("target", "x"), ("query", "y"), ("other", "z")]).unwrap_err().to_string(),
            "builder prompt `privacy-rephrase@1`: it has no placeholder `{{other}}`"
        );
        let text = p.render(&[("target", "Thea"), ("query", "say {{target}}")]).unwrap();
        assert!(text.contains("[REQUEST]\nsay {{target}}\n"), "{text}");
        assert_eq!(get("nope").unwrap_err().to_string(), "no builder prompt named `nope` in the privacy plugin");
        assert_eq!(head("abcdef", 3), "abc");
        assert_eq!(head("ab", 3), "ab");
    }
}
