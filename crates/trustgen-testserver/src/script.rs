//! Scripts: ordered rules that match requests and pick a reply template and a fault.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// The kind of endpoint a request went to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `POST /v1/chat/completions`.
    #[serde(rename = "openai")]
    OpenAi,
    /// `POST /openai/deployments/{deployment}/chat/completions`.
    Azure,
    /// `POST /v1/messages`.
    Anthropic,
    /// `POST /v1beta/models/{model}:generateContent`.
    Gemini,
    /// `POST /v1/images/generations`.
    Images,
    /// `POST /v1/embeddings`.
    Embeddings,
    /// `GET /v1/models`.
    Models,
    /// `GET /files/{id}.png`.
    Files,
}

impl Endpoint {
    /// The name used in scripts and records.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::OpenAi => "openai",
            Endpoint::Azure => "azure",
            Endpoint::Anthropic => "anthropic",
            Endpoint::Gemini => "gemini",
            Endpoint::Images => "images",
            Endpoint::Embeddings => "embeddings",
            Endpoint::Models => "models",
            Endpoint::Files => "files",
        }
    }
}

/// Where a provider refuses: on the prompt (before generating) or on the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterStage {
    /// The prompt is blocked: OpenAI/Azure 400 `content_filter`, Gemini `promptFeedback.blockReason`.
    Prompt,
    /// The output is blocked: `finish_reason: content_filter`, Gemini `finishReason: SAFETY`.
    Output,
}

/// What a fault does instead of the normal reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultAction {
    /// Reply with this status in the provider's error shape, with an optional `Retry-After` (seconds).
    Status {
        /// The HTTP status, `400..=599`.
        code: u16,
        /// The `Retry-After` header value in seconds.
        retry_after: Option<u64>,
    },
    /// Close the connection without writing a response.
    Drop,
    /// Reply 200 with a body that is not valid JSON.
    Malformed,
    /// The provider's content-filter refusal.
    ContentFilter(FilterStage),
    /// Reply 200 with well-formed JSON in the endpoint's shape but no content: no choices (OpenAI,
    /// Azure), no `content` (Anthropic), no candidates (Gemini), no `data` (images, embeddings).
    NoChoices,
    /// Reply 200 with a body that never ends: chunks are streamed until the client hangs up (one
    /// static chunk is sent again and again, so the server's memory stays flat).
    Endless,
}

/// An injected failure (see the crate docs for the TOML and header syntax).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "FaultSpec", into = "FaultSpec")]
pub struct Fault {
    /// What happens instead of the normal reply; `None` for a pure delay.
    pub action: Option<FaultAction>,
    /// Milliseconds to wait before replying (on top of the global latency).
    pub slow_ms: u64,
    /// Apply only to the first `times` requests with the same fingerprint.
    pub times: Option<u32>,
    /// Put the credential the request carried (its `authorization`, `api-key`, `x-api-key` and
    /// `x-goog-api-key` headers and `key` query parameter, as received) into the reply: into the
    /// error message with `status`, into the body with `malformed` and `no_choices`, and alone as
    /// the reply text of a chat (an `echo` field of other replies).
    pub echo_key: bool,
    /// Put control characters and ANSI escapes ([`CONTROL_TEXT`]) into the reply: into the error
    /// message with `status`, and alone as the reply text of a chat.
    pub control_chars: bool,
}

/// What the `control_chars` fault writes: ANSI colour and title sequences, BEL, backspace, carriage
/// return, NUL, DEL and C1 controls (CSI U+009B, NEL U+0085).
pub const CONTROL_TEXT: &str = "\u{1b}[31mred\u{1b}[0m \u{1b}]0;title\u{7} bell\u{7} back\u{8}space carriage\rreturn nul\u{0} del\u{7f} c1\u{9b}31m nel\u{85} end";

impl Fault {
    /// A reply with this HTTP status in the provider's error shape.
    pub fn status(code: u16) -> Fault {
        Fault::of(FaultAction::Status { code, retry_after: None })
    }

    /// Closes the connection without a response.
    pub fn drop_connection() -> Fault {
        Fault::of(FaultAction::Drop)
    }

    /// A 200 reply with invalid JSON.
    pub fn malformed() -> Fault {
        Fault::of(FaultAction::Malformed)
    }

    /// The provider's content-filter refusal at this stage.
    pub fn content_filter(stage: FilterStage) -> Fault {
        Fault::of(FaultAction::ContentFilter(stage))
    }

    /// Delays the normal reply by `ms` milliseconds.
    pub fn slow(ms: u64) -> Fault {
        Fault { slow_ms: ms, ..Fault::default() }
    }

    /// A 200 reply without choices (candidates, content, data).
    pub fn no_choices() -> Fault {
        Fault::of(FaultAction::NoChoices)
    }

    /// A 200 reply whose body never ends.
    pub fn endless() -> Fault {
        Fault::of(FaultAction::Endless)
    }

    /// Echoes the request's credential in the reply (see [`Fault::echo_key`]); alone, a chat reply
    /// whose text is the credential.
    pub fn echoing_key(mut self) -> Fault {
        self.echo_key = true;
        self
    }

    /// Adds control characters and ANSI escapes to the reply (see [`Fault::control_chars`]).
    pub fn with_control_chars(mut self) -> Fault {
        self.control_chars = true;
        self
    }

    /// A fault that only modifies the normal reply (with [`Fault::echoing_key`] or
    /// [`Fault::with_control_chars`]).
    pub fn modifier() -> Fault {
        Fault::default()
    }

    /// Adds a `Retry-After` header (only meaningful with [`Fault::status`]).
    pub fn retry_after(mut self, seconds: u64) -> Fault {
        if let Some(FaultAction::Status { retry_after, .. }) = &mut self.action {
            *retry_after = Some(seconds);
        }
        self
    }

    /// Applies the fault to the first `n` requests with the same fingerprint only.
    pub fn times(mut self, n: u32) -> Fault {
        self.times = Some(n);
        self
    }

    /// Adds a delay before the fault.
    pub fn delayed(mut self, ms: u64) -> Fault {
        self.slow_ms = ms;
        self
    }

    fn of(action: FaultAction) -> Fault {
        Fault { action: Some(action), ..Fault::default() }
    }
}

/// The flat, serialisable form of a [`Fault`], shared by TOML and the `x-trustgen-fault` header.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    drop: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    malformed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_filter: Option<FilterStage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    no_choices: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    endless: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    echo_key: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    control_chars: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    slow_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    times: Option<u32>,
}

/// A fault that is not well formed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid fault `{spec}`: {reason}; hint: e.g. `status=429;retry_after=1;times=2`, `drop`, `malformed`, `no_choices`, `endless`, `content_filter=output`, `echo_key`, `control_chars`, `slow_ms=500`"
)]
pub struct FaultParseError {
    /// The fault as written.
    pub spec: String,
    /// What is wrong with it.
    pub reason: String,
}

impl TryFrom<FaultSpec> for Fault {
    type Error = String;

    fn try_from(spec: FaultSpec) -> Result<Fault, String> {
        let mut actions = Vec::new();
        if let Some(code) = spec.status {
            if !(400..=599).contains(&code) {
                return Err(format!("status {code} is not an error status (use 400..=599)"));
            }
            actions.push(FaultAction::Status { code, retry_after: spec.retry_after });
        } else if spec.retry_after.is_some() {
            return Err("retry_after needs a status".to_owned());
        }
        if spec.drop == Some(true) {
            actions.push(FaultAction::Drop);
        }
        if spec.malformed == Some(true) {
            actions.push(FaultAction::Malformed);
        }
        if let Some(stage) = spec.content_filter {
            actions.push(FaultAction::ContentFilter(stage));
        }
        if spec.no_choices == Some(true) {
            actions.push(FaultAction::NoChoices);
        }
        if spec.endless == Some(true) {
            actions.push(FaultAction::Endless);
        }
        if actions.len() > 1 {
            return Err("status, drop, malformed, no_choices, endless and content_filter exclude each other".to_owned());
        }
        let action = actions.pop();
        let slow_ms = spec.slow_ms.unwrap_or(0);
        let echo_key = spec.echo_key == Some(true);
        let control_chars = spec.control_chars == Some(true);
        if action.is_none() && slow_ms == 0 && !echo_key && !control_chars {
            return Err(
                "a fault needs one of status, drop, malformed, no_choices, endless, content_filter, echo_key, control_chars or slow_ms"
                    .to_owned(),
            );
        }
        if (echo_key || control_chars)
            && matches!(action, Some(FaultAction::Drop | FaultAction::Endless | FaultAction::ContentFilter(_)))
        {
            return Err("echo_key and control_chars go with status, malformed, no_choices or alone".to_owned());
        }
        if spec.times == Some(0) {
            return Err("times must be at least 1".to_owned());
        }
        Ok(Fault { action, slow_ms, times: spec.times, echo_key, control_chars })
    }
}

impl From<Fault> for FaultSpec {
    fn from(fault: Fault) -> FaultSpec {
        let mut spec = FaultSpec {
            slow_ms: (fault.slow_ms > 0).then_some(fault.slow_ms),
            times: fault.times,
            echo_key: fault.echo_key.then_some(true),
            control_chars: fault.control_chars.then_some(true),
            ..FaultSpec::default()
        };
        match fault.action {
            Some(FaultAction::Status { code, retry_after }) => {
                spec.status = Some(code);
                spec.retry_after = retry_after;
            }
            Some(FaultAction::Drop) => spec.drop = Some(true),
            Some(FaultAction::Malformed) => spec.malformed = Some(true),
            Some(FaultAction::ContentFilter(stage)) => spec.content_filter = Some(stage),
            Some(FaultAction::NoChoices) => spec.no_choices = Some(true),
            Some(FaultAction::Endless) => spec.endless = Some(true),
            None => {}
        }
        spec
    }
}

impl FromStr for Fault {
    type Err = FaultParseError;

    /// Parses the header syntax: `key[=value]` items separated by `;` or `,`.
    fn from_str(text: &str) -> Result<Fault, FaultParseError> {
        let fail = |reason: String| FaultParseError { spec: text.to_owned(), reason };
        let mut spec = FaultSpec::default();
        for item in text.split([';', ',']).map(str::trim).filter(|item| !item.is_empty()) {
            let (key, value) = match item.split_once('=') {
                Some((key, value)) => (key.trim(), Some(value.trim())),
                None => (item, None),
            };
            let number = |value: Option<&str>| -> Result<u64, FaultParseError> {
                let value = value.ok_or_else(|| fail(format!("`{key}` needs a value")))?;
                value.parse().map_err(|_| fail(format!("`{key}={value}` is not a whole number")))
            };
            let flag = |value: Option<&str>| -> Result<bool, FaultParseError> {
                match value {
                    None | Some("true") => Ok(true),
                    Some("false") => Ok(false),
                    Some(other) => Err(fail(format!("`{key}={other}` is not true or false"))),
                }
            };
            match key.replace('-', "_").as_str() {
                "status" => {
                    let code = number(value)?;
                    spec.status = Some(u16::try_from(code).map_err(|_| fail(format!("status {code} is too large")))?);
                }
                "retry_after" => spec.retry_after = Some(number(value)?),
                "drop" => spec.drop = Some(flag(value)?),
                "malformed" => spec.malformed = Some(flag(value)?),
                "no_choices" => spec.no_choices = Some(flag(value)?),
                "endless" => spec.endless = Some(flag(value)?),
                "echo_key" => spec.echo_key = Some(flag(value)?),
                "control_chars" => spec.control_chars = Some(flag(value)?),
                "content_filter" => {
                    spec.content_filter = Some(match value {
                        None | Some("prompt") => FilterStage::Prompt,
                        Some("output") => FilterStage::Output,
                        Some(other) => return Err(fail(format!("content_filter `{other}` is not prompt or output"))),
                    })
                }
                "slow_ms" | "slow" => spec.slow_ms = Some(number(value)?),
                "times" => {
                    let n = number(value)?;
                    spec.times = Some(u32::try_from(n).map_err(|_| fail(format!("times {n} is too large")))?);
                }
                other => return Err(fail(format!("unknown key `{other}`"))),
            }
        }
        Fault::try_from(spec).map_err(fail)
    }
}

impl fmt::Display for Fault {
    /// Writes the header syntax, which [`Fault::from_str`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut items = Vec::new();
        match self.action {
            Some(FaultAction::Status { code, retry_after }) => {
                items.push(format!("status={code}"));
                if let Some(seconds) = retry_after {
                    items.push(format!("retry_after={seconds}"));
                }
            }
            Some(FaultAction::Drop) => items.push("drop".to_owned()),
            Some(FaultAction::Malformed) => items.push("malformed".to_owned()),
            Some(FaultAction::ContentFilter(FilterStage::Prompt)) => items.push("content_filter=prompt".to_owned()),
            Some(FaultAction::ContentFilter(FilterStage::Output)) => items.push("content_filter=output".to_owned()),
            Some(FaultAction::NoChoices) => items.push("no_choices".to_owned()),
            Some(FaultAction::Endless) => items.push("endless".to_owned()),
            None => {}
        }
        if self.echo_key {
            items.push("echo_key".to_owned());
        }
        if self.control_chars {
            items.push("control_chars".to_owned());
        }
        if self.slow_ms > 0 {
            items.push(format!("slow_ms={}", self.slow_ms));
        }
        if let Some(n) = self.times {
            items.push(format!("times={n}"));
        }
        f.write_str(&items.join(";"))
    }
}

/// The conditions of a rule; all that are set must hold.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    /// A substring of the last user message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_user_contains: Option<String>,
    /// A regular expression that must find a match in the last user message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_user_regex: Option<String>,
    /// A substring of any message, the system prompt included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_contains: Option<String>,
    /// The exact model (Azure: the deployment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The endpoint kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<Endpoint>,
    /// The exact value of the `x-trustgen-case` request header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    /// Hex SHA-256 digests of decoded image bytes (one string or a list); every one must be among
    /// the request's images (in any message). Checked and lower-cased when the script is loaded.
    #[serde(default, deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub image_sha256: Vec<String>,
    /// The exact number of images in the request (0: a text-only request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_count: Option<usize>,
}

/// A string or a list of strings.
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    match OneOrMany::deserialize(deserializer) {
        Ok(OneOrMany::One(one)) => Ok(vec![one]),
        Ok(OneOrMany::Many(many)) => Ok(many),
        Err(_) => Err(serde::de::Error::custom("expected a hex sha256 string or a list of them")),
    }
}

/// One scripted rule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A name shown in request records (`#<index>` when unnamed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When the rule applies.
    #[serde(default, rename = "match")]
    pub matcher: Matcher,
    /// The reply template; `None` answers from the default pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// A fault to inject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
}

impl Rule {
    /// A rule that matches everything and answers from the default pool.
    pub fn new() -> Rule {
        Rule::default()
    }

    /// Names the rule.
    pub fn named(mut self, name: impl Into<String>) -> Rule {
        self.name = Some(name.into());
        self
    }

    /// Requires this substring in the last user message.
    pub fn last_user_contains(mut self, needle: impl Into<String>) -> Rule {
        self.matcher.last_user_contains = Some(needle.into());
        self
    }

    /// Requires a match of this regex in the last user message (checked by [`Script::new`]).
    pub fn last_user_regex(mut self, pattern: impl Into<String>) -> Rule {
        self.matcher.last_user_regex = Some(pattern.into());
        self
    }

    /// Requires this substring in any message.
    pub fn conversation_contains(mut self, needle: impl Into<String>) -> Rule {
        self.matcher.conversation_contains = Some(needle.into());
        self
    }

    /// Requires this model.
    pub fn model(mut self, model: impl Into<String>) -> Rule {
        self.matcher.model = Some(model.into());
        self
    }

    /// Requires this endpoint kind.
    pub fn endpoint(mut self, endpoint: Endpoint) -> Rule {
        self.matcher.endpoint = Some(endpoint);
        self
    }

    /// Requires an image whose decoded bytes have this hex SHA-256 (call again for more images).
    pub fn image_sha256(mut self, sha256: impl Into<String>) -> Rule {
        self.matcher.image_sha256.push(sha256.into());
        self
    }

    /// Requires exactly this many images in the request.
    pub fn image_count(mut self, count: usize) -> Rule {
        self.matcher.image_count = Some(count);
        self
    }

    /// Requires this `x-trustgen-case` header value.
    pub fn case(mut self, case: impl Into<String>) -> Rule {
        self.matcher.case = Some(case.into());
        self
    }

    /// Sets the reply template.
    pub fn reply(mut self, template: impl Into<String>) -> Rule {
        self.reply = Some(template.into());
        self
    }

    /// Sets the fault.
    pub fn fault(mut self, fault: Fault) -> Rule {
        self.fault = Some(fault);
        self
    }

    fn label(&self, index: usize) -> String {
        self.name.clone().unwrap_or_else(|| format!("#{index}"))
    }
}

/// An error in a script.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// The script file could not be read.
    #[error("cannot read script {path}: {source}; hint: check the path given to --script")]
    Read {
        /// The file.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The TOML or JSON does not parse or has unknown keys.
    #[error("invalid script {origin}: {message}; hint: see the script format in the trustgen-testserver crate docs")]
    Syntax {
        /// The file, or `<inline>`.
        origin: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A rule's regex does not compile.
    #[error("invalid script {origin}: rule {rule}: last_user_regex does not compile: {message}")]
    Regex {
        /// The file, or `<inline>`.
        origin: String,
        /// The rule's name or `#<index>`.
        rule: String,
        /// The regex compiler's message.
        message: String,
    },
    /// A rule's `image_sha256` is not a hex SHA-256.
    #[error(
        "invalid script {origin}: rule {rule}: image_sha256 `{value}` is not a hex sha256; hint: 64 hex digits of the sha256 of the image file's bytes (sha256sum image.png)"
    )]
    ImageHash {
        /// The file, or `<inline>`.
        origin: String,
        /// The rule's name or `#<index>`.
        rule: String,
        /// The value given.
        value: String,
    },
    /// A rule's reply template has an unknown or broken placeholder.
    #[error(
        "invalid script {origin}: rule {rule}: reply template: {message}; hint: placeholders are {{{{last_user}}}}, {{{{model}}}}, {{{{case}}}}, {{{{image_sha256}}}}, {{{{image_count}}}}, {{{{choice:A|B}}}} and {{{{n:LO-HI}}}}"
    )]
    Template {
        /// The file, or `<inline>`.
        origin: String,
        /// The rule's name or `#<index>`.
        rule: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptFile {
    #[serde(default)]
    fault: Option<Fault>,
    #[serde(default)]
    rule: Vec<Rule>,
}

/// A checked script: rules with compiled regexes and templates, plus an optional global fault.
#[derive(Clone, Debug, Default)]
pub struct Script {
    rules: Vec<CompiledRule>,
    fault: Option<Fault>,
}

#[derive(Clone, Debug)]
struct CompiledRule {
    rule: Rule,
    label: String,
    regex: Option<Regex>,
    template: Option<Template>,
}

/// What a script decided for one request.
pub(crate) struct Decision<'a> {
    /// The index and label of the matching rule.
    pub(crate) rule: Option<(usize, &'a str)>,
    /// The matching rule's template.
    pub(crate) template: Option<&'a Template>,
    /// The matching rule's fault, or else the script's global fault.
    pub(crate) fault: Option<(FaultSource, &'a Fault)>,
}

/// Where a fault came from; `times` is counted per source and fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum FaultSource {
    Header(String),
    Rule(usize),
    Global,
}

/// What rules match against.
pub(crate) struct Subject<'a> {
    pub(crate) endpoint: Endpoint,
    pub(crate) model: &'a str,
    pub(crate) case: Option<&'a str>,
    pub(crate) last_user: &'a str,
    pub(crate) texts: &'a [&'a str],
    /// The hex SHA-256 of every image of the request.
    pub(crate) images: &'a [&'a str],
}

impl Script {
    /// Checks rules written in code (regexes and templates) and builds a script.
    pub fn new(rules: Vec<Rule>) -> Result<Script, ScriptError> {
        Script::compile(rules, None, "<inline>")
    }

    /// Adds a global default fault.
    pub fn with_fault(mut self, fault: Fault) -> Script {
        self.fault = Some(fault);
        self
    }

    /// Parses a TOML script; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Script, ScriptError> {
        let file: ScriptFile = toml::from_str(text)
            .map_err(|error| ScriptError::Syntax { origin: origin.to_owned(), message: error.to_string() })?;
        Script::compile(file.rule, file.fault, origin)
    }

    /// Parses a JSON script (the same structure as the TOML one).
    pub fn from_json(text: &str, origin: &str) -> Result<Script, ScriptError> {
        let file: ScriptFile = serde_json::from_str(text)
            .map_err(|error| ScriptError::Syntax { origin: origin.to_owned(), message: error.to_string() })?;
        Script::compile(file.rule, file.fault, origin)
    }

    /// Reads and parses a TOML script file.
    pub fn load(path: &Path) -> Result<Script, ScriptError> {
        let origin = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| ScriptError::Read { path: origin.clone(), source })?;
        Script::from_toml(&text, &origin)
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the script has no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules, as written.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().map(|compiled| &compiled.rule)
    }

    /// The global default fault.
    pub fn fault(&self) -> Option<&Fault> {
        self.fault.as_ref()
    }

    fn compile(rules: Vec<Rule>, fault: Option<Fault>, origin: &str) -> Result<Script, ScriptError> {
        let mut compiled = Vec::with_capacity(rules.len());
        for (index, mut rule) in rules.into_iter().enumerate() {
            let label = rule.label(index);
            for hash in &mut rule.matcher.image_sha256 {
                let lower = hash.trim().to_ascii_lowercase();
                if lower.len() != 64 || !lower.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(ScriptError::ImageHash { origin: origin.to_owned(), rule: label, value: hash.clone() });
                }
                *hash = lower;
            }
            let regex = match &rule.matcher.last_user_regex {
                Some(pattern) => Some(Regex::new(pattern).map_err(|error| ScriptError::Regex {
                    origin: origin.to_owned(),
                    rule: label.clone(),
                    message: error.to_string(),
                })?),
                None => None,
            };
            let template = match &rule.reply {
                Some(text) => Some(Template::parse(text).map_err(|message| ScriptError::Template {
                    origin: origin.to_owned(),
                    rule: label.clone(),
                    message,
                })?),
                None => None,
            };
            compiled.push(CompiledRule { rule, label, regex, template });
        }
        Ok(Script { rules: compiled, fault })
    }

    /// Finds the first matching rule and the fault that applies (before the header fault and `times`).
    pub(crate) fn decide(&self, subject: &Subject<'_>) -> Decision<'_> {
        let found = self.rules.iter().enumerate().find(|(_, compiled)| compiled.matches(subject));
        let rule_fault = found.and_then(|(index, compiled)| compiled.rule.fault.as_ref().map(|f| (index, f)));
        Decision {
            rule: found.map(|(index, compiled)| (index, compiled.label.as_str())),
            template: found.and_then(|(_, compiled)| compiled.template.as_ref()),
            fault: match rule_fault {
                Some((index, fault)) => Some((FaultSource::Rule(index), fault)),
                None => self.fault.as_ref().map(|fault| (FaultSource::Global, fault)),
            },
        }
    }
}

impl CompiledRule {
    fn matches(&self, subject: &Subject<'_>) -> bool {
        let m = &self.rule.matcher;
        m.endpoint.is_none_or(|endpoint| endpoint == subject.endpoint)
            && m.model.as_deref().is_none_or(|model| model == subject.model)
            && m.case.as_deref().is_none_or(|case| Some(case) == subject.case)
            && m.last_user_contains.as_deref().is_none_or(|needle| subject.last_user.contains(needle))
            && self.regex.as_ref().is_none_or(|regex| regex.is_match(subject.last_user))
            && m.conversation_contains.as_deref().is_none_or(|needle| subject.texts.iter().any(|t| t.contains(needle)))
            && m.image_count.is_none_or(|count| count == subject.images.len())
            && m.image_sha256.iter().all(|hash| subject.images.contains(&hash.as_str()))
    }
}

/// A parsed reply template.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Template {
    segments: Vec<Segment>,
}

#[derive(Clone, Debug, PartialEq)]
enum Segment {
    Text(String),
    LastUser,
    Model,
    Case,
    ImageSha256,
    ImageCount,
    Choice(Vec<String>),
    Number { low: u64, high: u64 },
}

/// The values a template can refer to.
pub(crate) struct RenderContext<'a> {
    pub(crate) last_user: &'a str,
    pub(crate) model: &'a str,
    pub(crate) case: &'a str,
    /// The hex SHA-256 of every image of the request.
    pub(crate) images: &'a [&'a str],
    /// The conversation hash (mixed with the choice index when `n > 1`).
    pub(crate) hash: u64,
}

impl Template {
    pub(crate) fn parse(text: &str) -> Result<Template, String> {
        let mut segments = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                segments.push(Segment::Text(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("`{{{{` at byte {} is never closed", text.len() - rest.len() + start))?;
            let inner = after[..end].trim();
            segments.push(Template::placeholder(inner)?);
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            segments.push(Segment::Text(rest.to_owned()));
        }
        Ok(Template { segments })
    }

    fn placeholder(inner: &str) -> Result<Segment, String> {
        if let Some(alternatives) = inner.strip_prefix("choice:") {
            return Ok(Segment::Choice(alternatives.split('|').map(str::to_owned).collect()));
        }
        if let Some(range) = inner.strip_prefix("n:") {
            let bad = || format!("`{{{{n:{range}}}}}` is not a range like `n:1-10`");
            let (low, high) = range.split_once('-').ok_or_else(bad)?;
            let low: u64 = low.trim().parse().map_err(|_| bad())?;
            let high: u64 = high.trim().parse().map_err(|_| bad())?;
            if low > high {
                return Err(bad());
            }
            return Ok(Segment::Number { low, high });
        }
        match inner {
            "last_user" => Ok(Segment::LastUser),
            "model" => Ok(Segment::Model),
            "case" => Ok(Segment::Case),
            "image_sha256" => Ok(Segment::ImageSha256),
            "image_count" => Ok(Segment::ImageCount),
            other => Err(format!("unknown placeholder `{{{{{other}}}}}`")),
        }
    }

    pub(crate) fn render(&self, context: &RenderContext<'_>) -> String {
        let mut out = String::new();
        for (index, segment) in self.segments.iter().enumerate() {
            let pick = crate::conversation::mix(context.hash, index as u64);
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::LastUser => out.push_str(context.last_user),
                Segment::Model => out.push_str(context.model),
                Segment::Case => out.push_str(context.case),
                Segment::ImageSha256 => out.push_str(&context.images.join(",")),
                Segment::ImageCount => out.push_str(&context.images.len().to_string()),
                Segment::Choice(alternatives) => {
                    out.push_str(&alternatives[(pick % alternatives.len() as u64) as usize]);
                }
                Segment::Number { low, high } => {
                    let span = high - low;
                    let value = if span == u64::MAX { pick } else { low + pick % (span + 1) };
                    out.push_str(&value.to_string());
                }
            }
        }
        out
    }
}
