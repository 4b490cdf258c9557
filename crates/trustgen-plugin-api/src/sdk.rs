//! The plugin author's side: typed traits, the JSON bridge and registration.
//!
//! A plugin implements [`Dimension`] or [`ModelType`] with ordinary Rust
//! types and calls [`crate::export_plugin!`] once. The bridge turns calls
//! into JSON and back, catches every panic, and fills the manifest's name,
//! kind and versions from the declaration.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RResult, RSlice, RStr, RString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::abi::{PluginBox, PluginDeclaration, PluginObject, PluginObject_TO};
use crate::options::OptionProblem;
use crate::schema::{
    BuildInput, BuildOutput, JsonMap, Manifest, ModelOutput, PluginKind, RespondInput, ScoreInput, Verdict,
};
use crate::step::{Cx, Failure, KeyedReply, KeyedRequest, Round, Step};

/// Method names of the call entry point.
pub mod methods {
    /// Dimension: build test cases ([`crate::BuildInput`] → [`crate::BuildOutput`]).
    pub const BUILD: &str = "build";
    /// Dimension: grade one case ([`crate::ScoreInput`] → [`crate::Verdict`]).
    pub const SCORE: &str = "score";
    /// Model type: answer one case ([`crate::RespondInput`] → [`crate::ModelOutput`]).
    pub const RESPOND: &str = "respond";
    /// Dimension: check a suite's `[[dimension]] options` table before a run
    /// (`{"options": {...}}` → a JSON list of [`crate::OptionProblem`]). Not a step
    /// call: it asks no model. Plugins built before this method answer
    /// [`crate::CallErrorKind::UnknownMethod`], which the host takes as "not checked".
    pub const CHECK_OPTIONS: &str = "check_options";
}

/// A dimension plugin: tasks that build cases and grade answers.
///
/// Both methods follow the step protocol (see [`crate::step`]): ask models
/// through `cx` and propagate [`crate::Stop::Pending`] with `?`.
pub trait Dimension: Send + Sync + 'static {
    /// The manifest. Name, kind and versions may be left empty: the bridge
    /// fills them from the declaration.
    fn manifest(&self) -> Manifest;

    /// Builds the test cases of `input.task`.
    fn build(&self, cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput>;

    /// Grades the target's output for one case.
    fn score(&self, cx: &mut Cx, input: &ScoreInput) -> Step<Verdict>;

    /// Checks a suite's `[[dimension]] options` table before the run; no problem means the
    /// table is fine. The default checks it against the manifest's declared `options` schema
    /// (see [`crate::options::check`]); override it for rules a schema cannot say.
    fn check_options(&self, options: &JsonMap) -> Vec<OptionProblem> {
        crate::options::check(&self.manifest().options, options)
    }
}

/// A model-type plugin: how a case becomes requests to the target.
pub trait ModelType: Send + Sync + 'static {
    /// The manifest (see [`Dimension::manifest`]).
    fn manifest(&self) -> Manifest;

    /// Asks the target model for the case's answers.
    fn respond(&self, cx: &mut Cx, input: &RespondInput) -> Step<ModelOutput>;
}

/// The JSON input of a step-protocol call: the method's input and the replies
/// to every request it made in earlier rounds, each with the key of the
/// request it answers. Hosts build it with [`crate::step::Session`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct CallInput<T> {
    /// The method's input.
    pub input: T,
    /// Replies so far, in request order.
    #[serde(default)]
    pub replies: Vec<KeyedReply>,
}

/// The JSON output of a step-protocol call.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CallOutput<T> {
    /// The method's result.
    Done(T),
    /// Requests to run before calling again, each with its key.
    Need(Vec<KeyedRequest>),
}

/// An error returned through the call entry point, as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct CallError {
    /// What went wrong.
    pub kind: CallErrorKind,
    /// Details.
    pub message: String,
}

/// Kinds of [`CallError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallErrorKind {
    /// The plugin panicked; the panic was caught at the boundary.
    Panic,
    /// The input JSON did not match the method's input type.
    BadInput,
    /// The plugin has no such method.
    UnknownMethod,
    /// The method returned an error.
    Failed,
    /// The method broke the step protocol (see [`crate::step`]); the message
    /// names the plugin and the method.
    Protocol,
    /// A kind this version does not know (sent by a newer plugin).
    #[serde(other)]
    Unknown,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            CallErrorKind::Panic => "plugin panicked",
            CallErrorKind::BadInput => "bad input",
            CallErrorKind::UnknownMethod => "unknown method",
            CallErrorKind::Failed => "failed",
            CallErrorKind::Protocol => return f.write_str(&self.message),
            CallErrorKind::Unknown => "error",
        };
        write!(f, "{kind}: {}", self.message)
    }
}

impl CallError {
    fn new(kind: CallErrorKind, message: impl Into<String>) -> CallError {
        CallError { kind, message: message.into() }
    }

    /// Serializes the error for the boundary.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| self.message.clone())
    }

    /// Parses an error that came through the boundary (any string is accepted).
    pub fn from_json(s: &str) -> CallError {
        serde_json::from_str(s).unwrap_or_else(|_| CallError::new(CallErrorKind::Failed, s))
    }
}

/// A plugin registered by [`crate::export_plugin!`] in a binary it is linked
/// into; [`LinkedPlugin::all`] lists them.
pub struct LinkedPlugin {
    /// The declaration (the same as a dynamic library exports).
    pub declaration: PluginDeclaration,
    /// The constructor (panics caught).
    pub new: fn() -> RResult<PluginBox, RString>,
}

inventory::collect!(LinkedPlugin);

impl LinkedPlugin {
    /// Every plugin linked into this binary (in no particular order).
    pub fn all() -> impl Iterator<Item = &'static LinkedPlugin> {
        inventory::iter::<LinkedPlugin>.into_iter()
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// Runs `f`, turning a panic into an error message.
fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(panic_message)
}

/// The bridge plumbing [`crate::export_plugin!`] expands to; not an API.
#[doc(hidden)]
pub mod __private {
    use super::*;

    pub use abi_stable;
    pub use inventory;

    /// The symbol name abi_stable's loader looks for; `export_plugin!` exports
    /// the library header under it (the same as `#[export_root_module]` does).
    pub const ROOT_MODULE_LOADER_SYMBOL: &str = "_1as_0lib_1header_0root_bmodule_bloader";

    /// Constructs a plugin object, catching a panicking constructor.
    pub fn construct(declaration: PluginDeclaration, f: impl FnOnce() -> PluginBox) -> RResult<PluginBox, RString> {
        match catch(f) {
            Ok(object) => RResult::ROk(object),
            Err(message) => RResult::RErr(RString::from(format!(
                "constructor of plugin `{}` panicked: {message}",
                declaration.name()
            ))),
        }
    }

    /// Wraps a [`Dimension`] into the FFI-safe plugin object.
    pub fn dimension_object<D: Dimension>(declaration: PluginDeclaration, plugin: D) -> PluginBox {
        PluginObject_TO::from_value(
            DimensionBridge {
                declaration,
                plugin,
                build_inputs: InputCache::default(),
                score_inputs: InputCache::default(),
            },
            TD_Opaque,
        )
    }

    /// Wraps a [`ModelType`] into the FFI-safe plugin object.
    pub fn model_type_object<M: ModelType>(declaration: PluginDeclaration, plugin: M) -> PluginBox {
        PluginObject_TO::from_value(
            ModelTypeBridge { declaration, plugin, respond_inputs: InputCache::default() },
            TD_Opaque,
        )
    }
}

struct DimensionBridge<D> {
    declaration: PluginDeclaration,
    plugin: D,
    build_inputs: InputCache<BuildInput>,
    score_inputs: InputCache<ScoreInput>,
}

struct ModelTypeBridge<M> {
    declaration: PluginDeclaration,
    plugin: M,
    respond_inputs: InputCache<RespondInput>,
}

/// The parsed inputs of the last few calls of one method, by their raw JSON.
///
/// A method that asks models is called once per round with the same input
/// (only the replies grow); parsing a build input with thousands of data
/// rows every round would cost more than the method. An entry matches only
/// when the raw input text is byte-for-byte the same, so a hit is always the
/// value a fresh parse would give.
struct InputCache<I> {
    entries: Mutex<VecDeque<(Box<str>, Arc<I>)>>,
}

/// Inputs kept per method: enough for the calls in flight at once.
const CACHED_INPUTS: usize = 4;

impl<I> Default for InputCache<I> {
    fn default() -> Self {
        InputCache { entries: Mutex::new(VecDeque::new()) }
    }
}

impl<I: DeserializeOwned> InputCache<I> {
    fn get(&self, raw: &str) -> Result<Arc<I>, serde_json::Error> {
        {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, input)) = entries.iter().find(|(text, _)| &**text == raw) {
                return Ok(input.clone());
            }
        }
        let input = Arc::new(serde_json::from_str::<I>(raw)?);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CACHED_INPUTS {
            entries.pop_front();
        }
        entries.push_back((raw.into(), input.clone()));
        Ok(input)
    }
}

fn complete_manifest(
    declaration: &PluginDeclaration,
    kind: PluginKind,
    mut manifest: Manifest,
) -> Result<Manifest, String> {
    let name = declaration.name();
    if manifest.name.is_empty() {
        manifest.name = name.clone();
    } else if manifest.name != name {
        return Err(format!("manifest name `{}` differs from the declared name `{name}`", manifest.name));
    }
    manifest.kind = kind;
    if manifest.version.is_empty() {
        manifest.version = declaration.version();
    }
    manifest.api_version = declaration.api_version();
    Ok(manifest)
}

fn manifest_json(
    declaration: &PluginDeclaration,
    kind: PluginKind,
    f: impl FnOnce() -> Manifest,
) -> RResult<RString, RString> {
    let result = catch(f)
        .map_err(|m| CallError::new(CallErrorKind::Panic, m))
        .and_then(|m| complete_manifest(declaration, kind, m).map_err(|e| CallError::new(CallErrorKind::Failed, e)))
        .and_then(|m| serde_json::to_string(&m).map_err(|e| CallError::new(CallErrorKind::Failed, e.to_string())));
    match result {
        Ok(json) => RResult::ROk(json.into()),
        Err(err) => RResult::RErr(err.to_json().into()),
    }
}

/// The envelope as the bridge reads it: the input left as raw JSON.
#[derive(Deserialize)]
struct RawCall<'a> {
    #[serde(borrow)]
    input: &'a RawValue,
    #[serde(default)]
    replies: Vec<KeyedReply>,
}

/// Decodes a step call, runs the method with a [`Cx`] replaying the replies,
/// and encodes the result or the next round of requests. The parsed input is
/// taken from (and kept in) `cache`.
fn cached_step_call<I, O>(
    cache: &InputCache<I>,
    input: &str,
    bytes: &[u8],
    method: impl FnOnce(&mut Cx, &I) -> Step<O>,
) -> Result<String, CallError>
where
    I: DeserializeOwned,
    O: Serialize,
{
    let bad = |e: serde_json::Error| CallError::new(CallErrorKind::BadInput, e.to_string());
    let call: RawCall<'_> = serde_json::from_str(input).map_err(bad)?;
    let parsed = cache.get(call.input.get()).map_err(bad)?;
    run_step(call.replies, bytes, |cx| method(cx, &parsed))
}

fn run_step<O: Serialize>(
    replies: Vec<KeyedReply>,
    bytes: &[u8],
    method: impl FnOnce(&mut Cx) -> Step<O>,
) -> Result<String, CallError> {
    let mut cx = Cx::replaying(replies, bytes.to_vec());
    let outcome = catch(|| method(&mut cx)).map_err(|m| CallError::new(CallErrorKind::Panic, m))?;
    let output = match cx.finish(outcome) {
        Ok(Round::Done(value)) => CallOutput::Done(value),
        Ok(Round::Need(requests)) => CallOutput::Need(requests),
        Err(Failure::Method(message)) => return Err(CallError::new(CallErrorKind::Failed, message)),
        Err(Failure::Protocol(message)) => return Err(CallError::new(CallErrorKind::Protocol, message)),
    };
    let json = serde_json::to_string(&output).map_err(|e| CallError::new(CallErrorKind::Failed, e.to_string()))?;
    Ok(join_output(json, &cx.take_output_bytes()))
}

/// Separates a step call's JSON output from the bytes returned beside it.
///
/// The 1.0 ABI returns one UTF-8 string (`RResult<RString, RString>`), and
/// it cannot grow a method without making every existing plugin library
/// unloadable (abi_stable refuses a vtable with fewer methods than the
/// host's). So a call that attached images returns its compact JSON, then
/// this newline (compact JSON never contains one), then the attached bytes
/// in standard base64. Only the transport encodes: no JSON value carries
/// the bytes, and the host decodes them at the boundary
/// ([`crate::step::Session::accept`]).
pub(crate) const OUTPUT_BYTES_SEPARATOR: char = '\n';

/// The call output: `json`, and the attached `bytes` after
/// [`OUTPUT_BYTES_SEPARATOR`] when there are any.
pub(crate) fn join_output(mut json: String, bytes: &[u8]) -> String {
    use base64::Engine as _;
    if !bytes.is_empty() {
        json.push(OUTPUT_BYTES_SEPARATOR);
        base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut json);
    }
    json
}

/// The JSON of a call output and its attached bytes (see [`join_output`]).
pub(crate) fn split_output(output: &str) -> Result<(&str, Vec<u8>), String> {
    use base64::Engine as _;
    match output.split_once(OUTPUT_BYTES_SEPARATOR) {
        None => Ok((output, Vec::new())),
        Some((json, encoded)) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim_end())
                .map_err(|e| format!("the bytes after the JSON output are not base64: {e}"))?;
            Ok((json, bytes))
        }
    }
}

/// The input of [`methods::CHECK_OPTIONS`].
#[derive(Deserialize)]
struct CheckOptionsInput {
    #[serde(default)]
    options: JsonMap,
}

/// Decodes a `check_options` call, runs the check (panics caught) and encodes the problems.
fn check_options_call(input: &str, check: impl FnOnce(&JsonMap) -> Vec<OptionProblem>) -> Result<String, CallError> {
    let call: CheckOptionsInput =
        serde_json::from_str(input).map_err(|e| CallError::new(CallErrorKind::BadInput, e.to_string()))?;
    let problems = catch(|| check(&call.options)).map_err(|m| CallError::new(CallErrorKind::Panic, m))?;
    serde_json::to_string(&problems).map_err(|e| CallError::new(CallErrorKind::Failed, e.to_string()))
}

/// Encodes a call's result for the boundary; a protocol error gets the name
/// of the plugin and the method in front.
fn finish(plugin: &PluginDeclaration, method: &str, result: Result<String, CallError>) -> RResult<RString, RString> {
    match result {
        Ok(json) => RResult::ROk(json.into()),
        Err(mut err) => {
            if err.kind == CallErrorKind::Protocol {
                err.message = format!("plugin `{}` method `{method}` {}", plugin.name(), err.message);
            }
            RResult::RErr(err.to_json().into())
        }
    }
}

impl<D: Dimension> PluginObject for DimensionBridge<D> {
    fn manifest(&self) -> RResult<RString, RString> {
        manifest_json(&self.declaration, PluginKind::Dimension, || self.plugin.manifest())
    }

    fn call(&self, method: RStr<'_>, input: RStr<'_>, bytes: RSlice<'_, u8>) -> RResult<RString, RString> {
        let result = match method.as_str() {
            methods::BUILD => {
                cached_step_call(&self.build_inputs, input.as_str(), bytes.as_slice(), |cx, i| self.plugin.build(cx, i))
            }
            methods::SCORE => {
                cached_step_call(&self.score_inputs, input.as_str(), bytes.as_slice(), |cx, i| self.plugin.score(cx, i))
            }
            methods::CHECK_OPTIONS => check_options_call(input.as_str(), |options| self.plugin.check_options(options)),
            other => Err(CallError::new(
                CallErrorKind::UnknownMethod,
                format!("dimension plugin `{}` has no method `{other}`", self.declaration.name()),
            )),
        };
        finish(&self.declaration, method.as_str(), result)
    }
}

impl<M: ModelType> PluginObject for ModelTypeBridge<M> {
    fn manifest(&self) -> RResult<RString, RString> {
        manifest_json(&self.declaration, PluginKind::ModelType, || self.plugin.manifest())
    }

    fn call(&self, method: RStr<'_>, input: RStr<'_>, bytes: RSlice<'_, u8>) -> RResult<RString, RString> {
        let result = match method.as_str() {
            methods::RESPOND => cached_step_call(&self.respond_inputs, input.as_str(), bytes.as_slice(), |cx, i| {
                self.plugin.respond(cx, i)
            }),
            other => Err(CallError::new(
                CallErrorKind::UnknownMethod,
                format!("model-type plugin `{}` has no method `{other}`", self.declaration.name()),
            )),
        };
        finish(&self.declaration, method.as_str(), result)
    }
}

/// Exports a plugin both ways: registered with `inventory` when the crate is
/// linked into a binary, and, when the crate's `dynamic` feature is on, as a
/// dynamic library with the [`crate::abi::PluginDeclaration`] symbol and an
/// abi_stable root module.
///
/// ```text
/// trustgen_plugin_api::export_plugin!(name: "safety", dimension: Safety::default());
/// trustgen_plugin_api::export_plugin!(name: "llm", model_type: Llm::default());
/// ```
///
/// The plugin crate must declare a `dynamic = []` feature, and be built as a
/// `cdylib` with it for dynamic use (`cargo xtask dist` does this). Invoke the
/// macro once per crate, at the crate root.
#[macro_export]
macro_rules! export_plugin {
    (name: $name:literal, dimension: $ctor:expr $(,)?) => {
        $crate::export_plugin!(@export $name, "dimension", $crate::sdk::__private::dimension_object, $ctor);
    };
    (name: $name:literal, model_type: $ctor:expr $(,)?) => {
        $crate::export_plugin!(@export $name, "model_type", $crate::sdk::__private::model_type_object, $ctor);
    };
    (@export $name:literal, $kind:literal, $wrap:path, $ctor:expr) => {
        #[doc(hidden)]
        #[allow(unreachable_pub)]
        pub mod __trustgen_plugin_export {
            #[allow(unused_imports)]
            use super::*;

            /// The plugin's declaration.
            pub const DECLARATION: $crate::abi::PluginDeclaration = $crate::abi::PluginDeclaration::new(
                $kind,
                $name,
                ::core::env!("CARGO_PKG_VERSION"),
                $crate::API_VERSION,
            );

            fn construct() -> $crate::sdk::__private::abi_stable::std_types::RResult<
                $crate::abi::PluginBox,
                $crate::sdk::__private::abi_stable::std_types::RString,
            > {
                $crate::sdk::__private::construct(DECLARATION, || $wrap(DECLARATION, $ctor))
            }

            $crate::sdk::__private::inventory::submit! {
                $crate::sdk::LinkedPlugin { declaration: DECLARATION, new: construct }
            }

            #[cfg(feature = "dynamic")]
            #[unsafe(no_mangle)]
            /// The declaration the host probes before loading.
            pub static TRUSTGEN_PLUGIN_DECLARATION: $crate::abi::PluginDeclaration = DECLARATION;

            #[cfg(feature = "dynamic")]
            extern "C" fn construct_extern() -> $crate::sdk::__private::abi_stable::std_types::RResult<
                $crate::abi::PluginBox,
                $crate::sdk::__private::abi_stable::std_types::RString,
            > {
                construct()
            }

            #[cfg(feature = "dynamic")]
            fn root_module() -> $crate::abi::PluginModRef {
                use $crate::sdk::__private::abi_stable::prefix_type::PrefixTypeTrait;
                $crate::abi::PluginMod { new: construct_extern }.leak_into_prefix()
            }

            #[cfg(feature = "dynamic")]
            #[unsafe(export_name = "_1as_0lib_1header_0root_bmodule_bloader")]
            /// The abi_stable library header (what `#[export_root_module]` emits).
            pub static LIB_HEADER: $crate::sdk::__private::abi_stable::library::LibHeader = {
                extern "C" fn erased() -> $crate::sdk::__private::abi_stable::library::RootModuleResult {
                    $crate::sdk::__private::abi_stable::library::__call_root_module_loader(root_module)
                }
                unsafe {
                    $crate::sdk::__private::abi_stable::library::LibHeader::from_constructor::<$crate::abi::PluginModRef>(
                        erased,
                        $crate::sdk::__private::abi_stable::library::CheckTypeLayout::Yes,
                    )
                }
            };
        }
    };
}

#[cfg(test)]
mod tests;
