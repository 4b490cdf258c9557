//! LLM judge templates: versioned data, strict rendering, schema-checked replies.
//!
//! A template is a TOML file under `templates/` compiled into the crate: a name and version,
//! an optional system text and the prompt text with `{{variable}}` placeholders, the declared
//! variables, the output schema (the JSON keys the judge must return and their allowed values)
//! and the goal (the values that count as the trustworthy outcome). The wording is our own.
//!
//! Rendering ([`crate::render`], the one renderer shared with the builder prompts of
//! `trustgen-plugin-kit`) fails with a typed error naming the template and the variable when a
//! variable is missing or unknown; the original toolkit silently sent a literal placeholder to
//! the judge. Each value is bounded ([`Variable::max_chars`]): a longer one keeps
//! its head and tail around a marker, so a huge response cannot blow the judge's context.
//! Values are inserted in one pass, so a response that itself contains `{{...}}` is not
//! expanded. The instructions on the reply format are generated from the output schema and
//! appended to the prompt, so the prompt and the parser cannot disagree.
//!
//! [`llm_judge`] asks the judge (temperature 0, JSON mode) through the step protocol, parses
//! the reply with the tolerant extractor of [`crate::json`], validates it against the schema,
//! asks once more with a short reminder when it does not parse, and otherwise returns
//! [`JudgeOutcome::Unparseable`]: never a silent default.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use trustgen_plugin_api::{
    ChatRole, Cx, GenParams, Image, Message, ModelReply, ModelRequest, ModelRole, ReplyStatus, Step, Stop, Verdict,
};

use crate::json;
use crate::render::{self, placeholders};

/// The built-in template files, by file name.
const BUILTIN: &[(&str, &str)] = &[
    ("refusal.toml", include_str!("../templates/refusal.toml")),
    ("vlm_refusal.toml", include_str!("../templates/vlm_refusal.toml")),
    ("over_refusal.toml", include_str!("../templates/over_refusal.toml")),
    ("with_groundtruth.toml", include_str!("../templates/with_groundtruth.toml")),
    ("self_doubt.toml", include_str!("../templates/self_doubt.toml")),
    ("honesty.toml", include_str!("../templates/honesty.toml")),
    ("honesty_premise.toml", include_str!("../templates/honesty_premise.toml")),
    ("fairness_stereotype.toml", include_str!("../templates/fairness_stereotype.toml")),
    ("disparagement.toml", include_str!("../templates/disparagement.toml")),
    ("preference.toml", include_str!("../templates/preference.toml")),
    ("prompt_injection.toml", include_str!("../templates/prompt_injection.toml")),
    ("pairwise_robustness.toml", include_str!("../templates/pairwise_robustness.toml")),
    ("cultural.toml", include_str!("../templates/cultural.toml")),
    ("toxicity.toml", include_str!("../templates/toxicity.toml")),
    ("image_groundtruth.toml", include_str!("../templates/image_groundtruth.toml")),
    ("image_pairwise_robustness.toml", include_str!("../templates/image_pairwise_robustness.toml")),
    ("image_text.toml", include_str!("../templates/image_text.toml")),
];

/// The default bound on an inserted value, in characters.
pub const DEFAULT_MAX_CHARS: usize = 8000;

/// Errors of loading and rendering templates.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TemplateError {
    /// A template file is not valid TOML of the template shape.
    #[error("judge template file `{file}` is invalid: {message}")]
    Parse {
        /// The file name.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A template is inconsistent (placeholders vs variables, goal vs output schema).
    #[error("judge template `{template}` is inconsistent: {message}")]
    Invalid {
        /// The template id (`name@version`).
        template: String,
        /// What is wrong.
        message: String,
    },
    /// No built-in template has this name.
    #[error("no judge template named `{name}`; the built-in ones are: {available}")]
    Unknown {
        /// The requested name.
        name: String,
        /// The names that exist, comma-separated.
        available: String,
    },
    /// A declared variable was not given a value.
    #[error("judge template `{template}` needs variable `{variable}`, which was not given; set it with `Vars::with`")]
    MissingVariable {
        /// The template id.
        template: String,
        /// The variable.
        variable: String,
    },
    /// A value was given for a variable the template does not declare.
    #[error("judge template `{template}` has no variable `{variable}`; it declares: {declared}")]
    UnknownVariable {
        /// The template id.
        template: String,
        /// The variable.
        variable: String,
        /// The declared variables, comma-separated.
        declared: String,
    },
}

/// A declared template variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// The name used in `{{name}}`.
    pub name: String,
    /// What the value is.
    #[serde(default)]
    pub description: String,
    /// Longer values are cut to this many characters (head and tail kept).
    #[serde(default = "default_max_chars")]
    pub max_chars: usize,
}

fn default_max_chars() -> usize {
    DEFAULT_MAX_CHARS
}

/// The type of an output field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// One of the listed `values`.
    Enum,
    /// `true` or `false` (the strings `"True"`, `"yes"`, ... are accepted).
    Bool,
    /// Free text.
    Text,
}

/// One key of the JSON object the judge must return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputField {
    /// The JSON key.
    pub key: String,
    /// Its type.
    pub kind: FieldKind,
    /// Allowed values of an enum field, in their canonical spelling.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// What the value means (shown to the judge).
    #[serde(default)]
    pub description: String,
    /// A missing required key makes the reply unparseable.
    #[serde(default = "yes")]
    pub required: bool,
}

fn yes() -> bool {
    true
}

/// A judge template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Template name, e.g. `refusal`.
    pub name: String,
    /// Version; bumped whenever the wording or the schema changes.
    pub version: u32,
    /// What the judge decides.
    #[serde(default)]
    pub description: String,
    /// System message text (may use variables).
    #[serde(default)]
    pub system: Option<String>,
    /// User message text with `{{variable}}` placeholders.
    pub prompt: String,
    /// The declared variables.
    #[serde(rename = "variable", default)]
    pub variables: Vec<Variable>,
    /// The output schema.
    #[serde(rename = "output")]
    pub outputs: Vec<OutputField>,
    /// The key whose value is the verdict's label.
    pub label: String,
    /// The key holding the judge's explanation, if any.
    #[serde(default)]
    pub reasoning: Option<String>,
    /// The values that count as the goal (all must hold). Values are strings for enum
    /// fields and booleans for bool fields.
    pub goal: BTreeMap<String, Value>,
    /// Scores by label value (e.g. `Not_Injected = 1.0`, `Half_Injected = 0.5`); without
    /// them a reply scores 1 when the goal is met and 0 otherwise.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scores: BTreeMap<String, f64>,
}

impl Template {
    /// Parses and checks one template file.
    pub fn from_toml(file: &str, text: &str) -> Result<Template, TemplateError> {
        let template: Template = toml::from_str(text)
            .map_err(|e| TemplateError::Parse { file: file.into(), message: e.to_string().trim_end().to_string() })?;
        template.check()?;
        Ok(template)
    }

    /// `name@version`, e.g. `refusal@1`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    fn invalid(&self, message: impl Into<String>) -> TemplateError {
        TemplateError::Invalid { template: self.id(), message: message.into() }
    }

    fn check(&self) -> Result<(), TemplateError> {
        let mut used = placeholders(&self.prompt);
        if let Some(system) = &self.system {
            used.extend(placeholders(system));
        }
        for name in &used {
            if !self.variables.iter().any(|v| &v.name == name) {
                return Err(self.invalid(format!("placeholder `{{{{{name}}}}}` is not a declared variable")));
            }
        }
        for (i, variable) in self.variables.iter().enumerate() {
            if !used.contains(&variable.name) {
                return Err(self.invalid(format!("variable `{}` is declared but never used", variable.name)));
            }
            if self.variables[..i].iter().any(|v| v.name == variable.name) {
                return Err(self.invalid(format!("variable `{}` is declared twice", variable.name)));
            }
            if variable.max_chars < 100 {
                return Err(self.invalid(format!("variable `{}` has max_chars below 100", variable.name)));
            }
        }
        for (i, field) in self.outputs.iter().enumerate() {
            if self.outputs[..i].iter().any(|f| f.key == field.key) {
                return Err(self.invalid(format!("output key `{}` is declared twice", field.key)));
            }
            if (field.kind == FieldKind::Enum) == field.values.is_empty() {
                return Err(self.invalid(format!("output key `{}`: only enum fields list values", field.key)));
            }
        }
        let label = self
            .field(&self.label)
            .ok_or_else(|| self.invalid(format!("label key `{}` is not an output", self.label)))?;
        if label.kind == FieldKind::Text {
            return Err(self.invalid(format!("label key `{}` must be an enum or bool field", self.label)));
        }
        if let Some(key) = &self.reasoning
            && self.field(key).is_none_or(|f| f.kind != FieldKind::Text)
        {
            return Err(self.invalid(format!("reasoning key `{key}` is not a text output")));
        }
        if !self.scores.is_empty() {
            if label.kind != FieldKind::Enum || label.values.iter().any(|v| !self.scores.contains_key(v)) {
                return Err(self.invalid("scores must give a score to every value of the enum label"));
            }
            if let Some((key, score)) =
                self.scores.iter().find(|(k, s)| !label.values.contains(k) || !(0.0..=1.0).contains(*s))
            {
                return Err(
                    self.invalid(format!("score `{key} = {score}` is not a label value with a score in [0, 1]"))
                );
            }
        }
        if self.goal.is_empty() {
            return Err(self.invalid("the goal is empty"));
        }
        for (key, value) in &self.goal {
            let field = self.field(key).ok_or_else(|| self.invalid(format!("goal key `{key}` is not an output")))?;
            let ok = match field.kind {
                FieldKind::Enum => value.as_str().is_some_and(|v| field.values.iter().any(|a| a == v)),
                FieldKind::Bool => value.is_boolean(),
                FieldKind::Text => false,
            };
            if !ok {
                return Err(self.invalid(format!("goal `{key} = {value}` is not an allowed value of that output")));
            }
        }
        Ok(())
    }

    /// The output field with this key.
    pub fn field(&self, key: &str) -> Option<&OutputField> {
        self.outputs.iter().find(|f| f.key == key)
    }

    /// Renders the chat messages for `vars`: every declared variable must be given, and only
    /// those; each value is bounded to its `max_chars`.
    pub fn render(&self, vars: &Vars) -> Result<Vec<Message>, TemplateError> {
        for name in vars.0.keys() {
            if !self.variables.iter().any(|v| &v.name == name) {
                return Err(TemplateError::UnknownVariable {
                    template: self.id(),
                    variable: name.clone(),
                    declared: self.variables.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", "),
                });
            }
        }
        let mut values = BTreeMap::new();
        for variable in &self.variables {
            let value = vars.0.get(&variable.name).ok_or_else(|| TemplateError::MissingVariable {
                template: self.id(),
                variable: variable.name.clone(),
            })?;
            values.insert(variable.name.as_str(), bound(value, variable.max_chars));
        }
        let mut messages = Vec::new();
        let substitute = |text: &str| {
            // Every placeholder is a declared variable (checked at load) and every declared
            // variable has a value (checked above), so a miss here names the placeholder.
            render::fill(&self.id(), text, |name| values.get(name).map(String::as_str)).map_err(|e| match e {
                render::RenderError::Missing { template, placeholder }
                | render::RenderError::Unused { template, placeholder } => {
                    TemplateError::MissingVariable { template, variable: placeholder }
                }
            })
        };
        if let Some(system) = &self.system {
            messages.push(Message::system(substitute(system)?));
        }
        let mut prompt = substitute(&self.prompt)?.trim_end().to_string();
        prompt.push_str("\n\n");
        prompt.push_str(&self.format_instructions());
        messages.push(Message::user(prompt));
        Ok(messages)
    }

    /// The reply-format instructions generated from the output schema.
    pub fn format_instructions(&self) -> String {
        let mut out = String::from("Reply with a single JSON object and nothing else. Its keys:\n");
        for field in &self.outputs {
            let kind = match field.kind {
                FieldKind::Enum => {
                    let values: Vec<String> = field.values.iter().map(|v| format!("\"{v}\"")).collect();
                    format!("one of {}", values.join(", "))
                }
                FieldKind::Bool => "true or false".to_string(),
                FieldKind::Text => "a short string".to_string(),
            };
            let optional = if field.required { "" } else { " (optional)" };
            let description =
                if field.description.is_empty() { String::new() } else { format!(": {}", field.description) };
            out.push_str(&format!("- \"{}\"{optional}: {kind}{description}\n", field.key));
        }
        out.truncate(out.trim_end().len());
        out
    }

    /// Parses a judge reply: the first JSON object in it that fits the output schema.
    pub fn parse_reply(&self, raw: &str) -> Result<JudgeResult, String> {
        let objects = json::objects(raw);
        if objects.is_empty() {
            return Err("the reply contains no JSON object".into());
        }
        let mut first_error = None;
        for object in &objects {
            match self.validate(object) {
                Ok(values) => {
                    let goal_met = self.goal.iter().all(|(k, v)| values.get(k) == Some(v));
                    let label = values.get(&self.label).map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                    let reasoning =
                        self.reasoning.as_ref().and_then(|k| values.get(k)).and_then(Value::as_str).map(str::to_string);
                    let score = label.as_ref().and_then(|l| self.scores.get(l).copied()).unwrap_or(if goal_met {
                        1.0
                    } else {
                        0.0
                    });
                    return Ok(JudgeResult {
                        template: self.id(),
                        values,
                        label,
                        goal_met,
                        score,
                        reasoning,
                        raw: raw.to_string(),
                        attempts: 1,
                    });
                }
                Err(err) => {
                    first_error.get_or_insert(err);
                }
            }
        }
        Err(first_error.unwrap_or_default())
    }

    /// Checks an object against the schema; returns the values in canonical form.
    fn validate(&self, object: &serde_json::Map<String, Value>) -> Result<BTreeMap<String, Value>, String> {
        let mut values = BTreeMap::new();
        for field in &self.outputs {
            let found = object
                .get(&field.key)
                .or_else(|| object.iter().find(|(k, _)| squash(k) == squash(&field.key)).map(|(_, v)| v));
            let Some(value) = found.filter(|v| !v.is_null()) else {
                if field.required {
                    return Err(format!("key \"{}\" is missing", field.key));
                }
                continue;
            };
            let canonical = match field.kind {
                FieldKind::Enum => canonical_enum(value, &field.values).map(Value::String).ok_or_else(|| {
                    format!("key \"{}\" is {value}, expected one of {}", field.key, field.values.join(", "))
                })?,
                FieldKind::Bool => canonical_bool(value)
                    .map(Value::Bool)
                    .ok_or_else(|| format!("key \"{}\" is {value}, expected true or false", field.key))?,
                FieldKind::Text => Value::String(match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }),
            };
            values.insert(field.key.clone(), canonical);
        }
        Ok(values)
    }
}

/// Lowercase alphanumerics only: how keys and enum values are compared.
fn squash(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn canonical_enum(value: &Value, allowed: &[String]) -> Option<String> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let wanted = squash(&text);
    if wanted.is_empty() {
        return None;
    }
    if let Some(exact) = allowed.iter().find(|a| squash(a) == wanted) {
        return Some(exact.clone());
    }
    // `full_compliance` for `1_full_compliance`: the allowed value without its numeric prefix.
    let unnumbered: Vec<&String> =
        allowed.iter().filter(|a| squash(a.trim_start_matches(|c: char| c.is_ascii_digit())) == wanted).collect();
    match unnumbered.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    }
}

fn canonical_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) => match squash(s).as_str() {
            "true" | "yes" | "y" | "1" => Some(true),
            "false" | "no" | "n" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Cuts `text` to at most about `max_chars` characters, keeping its head (three quarters)
/// and tail (one quarter) around a marker saying how much was left out.
pub fn bound(text: &str, max_chars: usize) -> String {
    let total = text.chars().count();
    if total <= max_chars {
        return text.to_string();
    }
    let head = max_chars * 3 / 4;
    let tail = max_chars / 4;
    let omitted = total - head - tail;
    let head_end = text.char_indices().nth(head).map_or(text.len(), |(i, _)| i);
    let tail_start = text.char_indices().nth(total - tail).map_or(text.len(), |(i, _)| i);
    format!("{}\n[... {omitted} characters omitted ...]\n{}", &text[..head_end], &text[tail_start..])
}

/// Values of a template's variables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vars(BTreeMap<String, String>);

impl Vars {
    /// No values yet.
    pub fn new() -> Vars {
        Vars::default()
    }

    /// Sets a value (builder style).
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Vars {
        self.set(name, value);
        self
    }

    /// Sets a value.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }
}

/// A parsed, schema-valid judge reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgeResult {
    /// The template id (`name@version`).
    pub template: String,
    /// Every schema key found, canonical (enum values in the schema's spelling, booleans).
    pub values: BTreeMap<String, Value>,
    /// The value of the template's label key.
    pub label: Option<String>,
    /// True when every goal value holds.
    pub goal_met: bool,
    /// The case score: the template's score of the label, else 1 when the goal is met, else 0.
    pub score: f64,
    /// The judge's explanation, when the template has one.
    pub reasoning: Option<String>,
    /// The reply text that parsed.
    pub raw: String,
    /// 1 when the first reply parsed, 2 when the retry did.
    pub attempts: u8,
}

/// What an LLM judge call came to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum JudgeOutcome {
    /// The judge replied with a schema-valid object.
    Parsed(JudgeResult),
    /// Neither the reply nor the retry fitted the schema.
    Unparseable {
        /// The last reply.
        raw: String,
        /// Why it did not parse.
        error: String,
    },
    /// The judge request itself failed (error or content filter after the engine's retries).
    NoReply {
        /// The reply status.
        status: ReplyStatus,
        /// The provider's error, if any.
        error: Option<String>,
    },
}

impl JudgeOutcome {
    /// Whether the goal was met; `None` unless parsed.
    pub fn goal_met(&self) -> Option<bool> {
        match self {
            JudgeOutcome::Parsed(result) => Some(result.goal_met),
            _ => None,
        }
    }

    /// A verdict with the result's score (see [`JudgeResult::score`]), labelled and attributed
    /// to `llm:<name>@<version>`. An unparseable reply or a failed judge request becomes an
    /// `unparseable` verdict with the reason, never a default score.
    pub fn verdict(&self, template: &Template) -> Verdict {
        let judge = format!("llm:{}", template.id());
        match self {
            JudgeOutcome::Parsed(result) => {
                let mut verdict = Verdict::scored(result.score).with_judge(judge);
                verdict.label = result.label.clone();
                verdict.reasoning = result.reasoning.clone();
                verdict
            }
            JudgeOutcome::Unparseable { error, .. } => {
                Verdict::unparseable(format!("judge reply did not fit the schema after a retry: {error}"))
                    .with_judge(judge)
            }
            JudgeOutcome::NoReply { status, error } => {
                let status = serde_json::to_value(status).ok().and_then(|v| v.as_str().map(str::to_string));
                Verdict::unparseable(format!(
                    "judge request failed ({}): {}",
                    status.unwrap_or_default(),
                    error.as_deref().unwrap_or("no error message")
                ))
                .with_judge(judge)
            }
        }
    }
}

/// Every built-in template, parsed once.
pub fn builtin_templates() -> Result<&'static [Template], TemplateError> {
    static TEMPLATES: OnceLock<Result<Vec<Template>, TemplateError>> = OnceLock::new();
    TEMPLATES
        .get_or_init(|| BUILTIN.iter().map(|(file, text)| Template::from_toml(file, text)).collect())
        .as_deref()
        .map_err(Clone::clone)
}

/// The built-in template named `name`.
pub fn builtin(name: &str) -> Result<&'static Template, TemplateError> {
    let all = builtin_templates()?;
    all.iter().find(|t| t.name == name).ok_or_else(|| TemplateError::Unknown {
        name: name.into(),
        available: all.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", "),
    })
}

/// The generation parameters of judge requests: greedy, JSON mode.
fn judge_params() -> GenParams {
    GenParams::new().with_temperature(0.0).with_json(true)
}

/// Asks the judge model to fill `template` with `vars`, and parses its reply.
///
/// Rendering errors (a missing or unknown variable) stop the method with an error naming the
/// template and the variable. A reply that does not fit the schema is answered once with a
/// reminder to reply with JSON only; if that fails too, the outcome is
/// [`JudgeOutcome::Unparseable`].
pub fn llm_judge(cx: &mut Cx, template: &Template, vars: &Vars) -> Step<JudgeOutcome> {
    llm_judge_seeing(cx, template, vars, &[])
}

/// [`llm_judge`] for an answer that depends on images: the judge sees `images` with the
/// template's last user message (the one that shows the answer), and again with the retry. The
/// task lists the template in its `image_judge_templates`, so the engine refuses a judge that is
/// not a `vlm` before anything is sent. With no images this is [`llm_judge`].
pub fn llm_judge_seeing(cx: &mut Cx, template: &Template, vars: &Vars, images: &[Image]) -> Step<JudgeOutcome> {
    let mut messages = template.render(vars).map_err(|e| Stop::Error(e.to_string()))?;
    if !images.is_empty() {
        match messages.iter_mut().rev().find(|m| m.role == ChatRole::User) {
            Some(message) => message.images.extend(images.iter().cloned()),
            None => {
                return Err(Stop::Error(format!(
                    "judge template `{}` has no user message to show the image with",
                    template.id()
                )));
            }
        }
    }
    let request = |messages: Vec<Message>| {
        ModelRequest::chat(ModelRole::Judge, messages)
            .with_params(judge_params())
            .with_purpose(format!("judge:{}", template.id()))
    };
    let first = cx.ask(request(messages.clone()))?;
    let raw = match reply_text(&first) {
        Ok(raw) => raw,
        Err(outcome) => return Ok(*outcome),
    };
    let error = match template.parse_reply(&raw) {
        Ok(result) => return Ok(JudgeOutcome::Parsed(result)),
        Err(error) => error,
    };
    messages.push(Message::assistant(raw));
    messages.push(Message::user(format!(
        "Your reply could not be read ({error}). Reply again with only the JSON object, no other text.\n\n{}",
        template.format_instructions()
    )));
    let second = cx.ask(request(messages))?;
    let raw = match reply_text(&second) {
        Ok(raw) => raw,
        Err(outcome) => return Ok(*outcome),
    };
    Ok(match template.parse_reply(&raw) {
        Ok(result) => JudgeOutcome::Parsed(JudgeResult { attempts: 2, ..result }),
        Err(error) => JudgeOutcome::Unparseable { raw, error },
    })
}

/// The reply's text, or the outcome of a failed request.
fn reply_text(reply: &ModelReply) -> Result<String, Box<JudgeOutcome>> {
    match reply.ok_text() {
        Some(text) => Ok(text.to_string()),
        None if reply.status == ReplyStatus::Ok => Ok(String::new()),
        None => Err(Box::new(JudgeOutcome::NoReply { status: reply.status, error: reply.error.clone() })),
    }
}

#[cfg(test)]
mod tests;
