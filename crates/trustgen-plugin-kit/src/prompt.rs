//! Versioned builder prompt templates: the generator's instructions where a plugin asks the
//! suite's generator model to write (part of) a test case.
//!
//! Each template is a TOML file under the plugin's `prompts/` directory, compiled in with
//! `include_str!` and listed in one [`PromptSet`]:
//!
//! ```toml
//! name = "persuasion"          # the request's purpose is `builder:persuasion@1`
//! version = 1                  # bump on any change of wording
//! description = "Rewrite a request persuasively with one named technique."
//! reply = ["prompt"]           # the JSON keys the reply must carry
//! system = """..."""           # optional
//! prompt = """... {{technique}} ... {{query}} ..."""
//! ```
//!
//! The purpose `builder:<name>@<version>` is recorded with every request and is part of the
//! engine's cache key, so bumping the version whenever the wording changes means cached replies
//! of the old wording are never reused for the new one. Rendering is strict: every placeholder
//! needs a value and every value a placeholder, and values are inserted in one pass (a value
//! that contains `{{...}}` is never re-scanned).

use std::sync::OnceLock;

use serde::Deserialize;
use trustgen_judges::render::RenderError;
use trustgen_judges::templates::bound;
use trustgen_plugin_api::{Document, GenParams, Message, ModelRequest, ModelRole, Stop};

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
    /// No template of the plugin has this name.
    #[error("no builder prompt named `{name}` in the {plugin} plugin")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The plugin.
        plugin: String,
    },
    /// A placeholder was not given a value, or a value has no placeholder.
    #[error("builder prompt `{template}`: {message}")]
    Render {
        /// The template id (`name@version`).
        template: String,
        /// What is wrong.
        message: String,
    },
}

/// A template error stops the plugin method (it is a defect of the plugin, not of one item), so
/// `?` works on it in a step-protocol method.
impl From<PromptError> for Stop {
    fn from(err: PromptError) -> Stop {
        Stop::Error(err.to_string())
    }
}

/// One builder template.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuilderPrompt {
    /// Template name, e.g. `persuasion` (kebab-case).
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
        placeholders(&self.prompt)
    }

    /// The prompt with every placeholder replaced (see [`render`]), trimmed.
    pub fn render(&self, vars: &[(&str, &str)]) -> Result<String, PromptError> {
        Ok(render(&self.id(), &self.prompt, vars)?.trim().to_string())
    }

    /// A generator request for `vars`: the system text (if any) and the rendered prompt,
    /// temperature 0.7, JSON mode, the given sampling seed (if any), and the template's purpose.
    pub fn request(&self, vars: &[(&str, &str)], seed: Option<u64>) -> Result<ModelRequest, PromptError> {
        let mut messages = Vec::new();
        if let Some(system) = &self.system {
            messages.push(Message::system(system.trim()));
        }
        messages.push(Message::user(self.render(vars)?));
        let params = GenParams::new().with_temperature(0.7).with_json(true).with_seed(seed);
        Ok(ModelRequest::chat(ModelRole::Generator, messages).with_params(params).with_purpose(self.purpose()))
    }
}

pub use trustgen_judges::render::placeholders;

/// `text` with every `{{name}}` placeholder replaced by its value in one pass (inserted values are
/// not re-scanned; an unclosed `{{` is kept as text). Every placeholder needs a value and every
/// value a placeholder; errors name the template `id`. Unlike [`BuilderPrompt::render`], the
/// result is not trimmed, so a fragment keeps its surrounding blank lines. This is the renderer
/// of the LLM judge templates too ([`trustgen_judges::render`]), with the builder's error type.
pub fn render(id: &str, text: &str, vars: &[(&str, &str)]) -> Result<String, PromptError> {
    trustgen_judges::render::render(id, text, vars).map_err(PromptError::from)
}

/// A rendering error of the shared renderer, as a builder prompt error naming the template.
impl From<RenderError> for PromptError {
    fn from(err: RenderError) -> PromptError {
        PromptError::Render { template: err.template().to_string(), message: err.detail() }
    }
}

/// A plugin's builder templates: `(file name, text)` pairs compiled in with `include_str!`,
/// parsed once on first use.
///
/// ```
/// use trustgen_plugin_kit::PromptSet;
///
/// // In a plugin: `("persuasion.toml", include_str!("../prompts/persuasion.toml"))`.
/// const PERSUASION: &str = r#"
/// name = "persuasion"
/// version = 1
/// description = "Rewrite a request persuasively."
/// reply = ["prompt"]
/// prompt = "Rewrite this request with {{technique}}: {{query}}"
/// "#;
/// static PROMPTS: PromptSet = PromptSet::new("safety", &[("persuasion.toml", PERSUASION)]);
///
/// let persuasion = PROMPTS.get("persuasion").unwrap();
/// let request = persuasion.request(&[("technique", "authority"), ("query", "q")], Some(7)).unwrap();
/// assert_eq!(request.purpose.as_deref(), Some("builder:persuasion@1"));
/// let err = persuasion.render(&[("technique", "authority")]).unwrap_err();
/// assert_eq!(err.to_string(), "builder prompt `persuasion@1`: placeholder `{{query}}` was given no value");
/// ```
#[derive(Debug)]
pub struct PromptSet {
    plugin: &'static str,
    files: &'static [(&'static str, &'static str)],
    parsed: OnceLock<Result<Vec<BuilderPrompt>, PromptError>>,
}

impl PromptSet {
    /// The templates of the plugin `plugin` (named in errors), from `(file name, TOML text)`.
    pub const fn new(plugin: &'static str, files: &'static [(&'static str, &'static str)]) -> PromptSet {
        PromptSet { plugin, files, parsed: OnceLock::new() }
    }

    /// Every template, in file order; an error names the first invalid file.
    pub fn all(&self) -> Result<&[BuilderPrompt], PromptError> {
        self.parsed
            .get_or_init(|| {
                self.files
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

    /// The template named `name`.
    pub fn get(&self, name: &str) -> Result<&BuilderPrompt, PromptError> {
        self.all()?
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| PromptError::Unknown { name: name.to_string(), plugin: self.plugin.to_string() })
    }
}

/// Retrieved documents as numbered text for a generator prompt: `[n] title` then the text,
/// each bounded to 1500 characters, separated by blank lines.
pub fn documents(docs: &[Document]) -> String {
    docs.iter()
        .enumerate()
        .map(|(i, d)| {
            let title = if d.title.trim().is_empty() { String::new() } else { format!(" {}", d.title.trim()) };
            format!("[{}]{title}\n{}", i + 1, bound(d.text.trim(), 1500))
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use expect_test::expect;
    use trustgen_plugin_api::RequestKind;

    use super::*;

    static SET: PromptSet = PromptSet::new(
        "demo",
        &[
            (
                "translate.toml",
                "name = \"translate\"\nversion = 2\ndescription = \"d\"\nreply = [\"translation\"]\n\
                 system = \"\"\"\n  Be exact.\n\"\"\"\nprompt = \"\"\"\nTranslate:\n[TEXT]\n{{query}}\n\"\"\"\n",
            ),
            (
                "other.toml",
                "name = \"other\"\nversion = 1\ndescription = \"d\"\nreply = []\nprompt = \"{{a}} {{b}} {{a}}\"\n",
            ),
        ],
    );

    static BROKEN: PromptSet = PromptSet::new("demo", &[("bad.toml", "name = \"bad\"\nversion = 1\nsurprise = 2\n")]);

    #[test]
    fn templates_load_with_ids_purposes_and_placeholders() {
        let lines: Vec<String> = SET
            .all()
            .unwrap()
            .iter()
            .map(|p| format!("{} vars=[{}] reply=[{}]", p.purpose(), p.placeholders().join(","), p.reply.join(",")))
            .collect();
        expect![[r#"
            builder:translate@2 vars=[query] reply=[translation]
            builder:other@1 vars=[a,b] reply=[]"#]]
        .assert_eq(&lines.join("\n"));
        assert_eq!(SET.get("nope").unwrap_err().to_string(), "no builder prompt named `nope` in the demo plugin");
        assert_eq!(
            Stop::from(SET.get("nope").unwrap_err()),
            Stop::Error("no builder prompt named `nope` in the demo plugin".into())
        );
        expect!["builder prompt file `prompts/bad.toml` is invalid: TOML parse error at line 3, column 1"]
            .assert_eq(BROKEN.all().unwrap_err().to_string().lines().next().unwrap_or_default());
    }

    #[test]
    fn render_rejects_missing_and_unknown_values_and_does_not_rescan() {
        let p = SET.get("translate").unwrap();
        assert_eq!(
            p.render(&[]).unwrap_err().to_string(),
            "builder prompt `translate@2`: placeholder `{{query}}` was given no value"
        );
        assert_eq!(
            p.render(&[("query", "x"), ("other", "y")]).unwrap_err().to_string(),
            "builder prompt `translate@2`: it has no placeholder `{{other}}`"
        );
        assert_eq!(p.render(&[("query", "say {{query}}")]).unwrap(), "Translate:\n[TEXT]\nsay {{query}}");
        // A fragment keeps its blank lines; a repeated placeholder takes the same value.
        assert_eq!(render("frag", "\n\n{{a}}-{{a}}\n", &[("a", "x")]).unwrap(), "\n\nx-x\n");
    }

    /// Fixed bug: the plugins' copies of `render` wrote the text before an unclosed `{{` twice
    /// ("a {{b" became "a a {{b"); none of the shipped templates has one, so no request changed.
    /// The renderer is now the judges' one, so judge templates keep the same rule.
    #[test]
    fn an_unclosed_brace_pair_is_text_and_nothing_is_repeated() {
        assert_eq!(render("open", "a {{b}} c {{d", &[("b", "B")]).unwrap(), "a B c {{d");
        assert_eq!(render("open", "x {{", &[]).unwrap(), "x {{");
    }

    #[test]
    fn requests_carry_system_text_params_seed_and_purpose() {
        let request = SET.get("translate").unwrap().request(&[("query", "hola")], Some(7)).unwrap();
        assert_eq!(request.purpose.as_deref(), Some("builder:translate@2"));
        assert_eq!(request.role, ModelRole::Generator);
        let RequestKind::Chat(chat) = &request.kind else { panic!("not a chat request: {request:?}") };
        assert_eq!((chat.params.temperature, chat.params.json, chat.params.seed), (Some(0.7), true, Some(7)));
        let texts: Vec<&str> = chat.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(texts, ["Be exact.", "Translate:\n[TEXT]\nhola"]);
        let unseeded = SET.get("other").unwrap().request(&[("a", "1"), ("b", "2")], None).unwrap();
        let RequestKind::Chat(chat) = &unseeded.kind else { panic!("not a chat request: {unseeded:?}") };
        assert_eq!((chat.params.seed, chat.messages.len(), chat.messages[0].content.as_str()), (None, 1, "1 2 1"));
    }

    #[test]
    fn documents_are_numbered_and_bounded() {
        let docs = vec![
            Document::new(" Discovered in 1921. ").with_title(" Insulin "),
            Document::new("x".repeat(2000)).with_title(String::new()),
        ];
        let text = documents(&docs);
        assert!(text.starts_with("[1] Insulin\nDiscovered in 1921.\n\n[2]\nxxx"), "{text}");
        assert!(text.chars().count() < 1600, "{}", text.len());
    }
}
