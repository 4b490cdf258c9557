//! The plugin author's side: typed traits, the JSON bridge and registration.
//!
//! A plugin implements [`Dimension`] or [`ModelType`] with ordinary Rust
//! types and calls [`crate::export_plugin!`] once. The bridge turns calls
//! into JSON and back, catches every panic, and fills the manifest's name,
//! kind and versions from the declaration.

use std::panic::{AssertUnwindSafe, catch_unwind};

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RResult, RSlice, RStr, RString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::abi::{PluginBox, PluginDeclaration, PluginObject, PluginObject_TO};
use crate::schema::{
    BuildInput, BuildOutput, Manifest, ModelOutput, ModelReply, ModelRequest, PluginKind, RespondInput, ScoreInput,
    Verdict,
};
use crate::step::{Cx, Step, Stop};

/// Method names of the call entry point.
pub mod methods {
    /// Dimension: build test cases ([`crate::BuildInput`] → [`crate::BuildOutput`]).
    pub const BUILD: &str = "build";
    /// Dimension: grade one case ([`crate::ScoreInput`] → [`crate::Verdict`]).
    pub const SCORE: &str = "score";
    /// Model type: answer one case ([`crate::RespondInput`] → [`crate::ModelOutput`]).
    pub const RESPOND: &str = "respond";
}

/// A dimension plugin: tasks that build cases and grade answers.
///
/// Both methods follow the step protocol (see [`crate::step`]): ask models
/// through `cx` and propagate [`Stop::Pending`] with `?`.
pub trait Dimension: Send + Sync + 'static {
    /// The manifest. Name, kind and versions may be left empty: the bridge
    /// fills them from the declaration.
    fn manifest(&self) -> Manifest;

    /// Builds the test cases of `input.task`.
    fn build(&self, cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput>;

    /// Grades the target's output for one case.
    fn score(&self, cx: &mut Cx, input: &ScoreInput) -> Step<Verdict>;
}

/// A model-type plugin: how a case becomes requests to the target.
pub trait ModelType: Send + Sync + 'static {
    /// The manifest (see [`Dimension::manifest`]).
    fn manifest(&self) -> Manifest;

    /// Asks the target model for the case's answers.
    fn respond(&self, cx: &mut Cx, input: &RespondInput) -> Step<ModelOutput>;
}

/// The JSON input of a step-protocol call: the method's input and the replies
/// to every request it made in earlier rounds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallInput<T> {
    /// The method's input.
    pub input: T,
    /// Replies so far, in request order.
    #[serde(default)]
    pub replies: Vec<ModelReply>,
}

/// The JSON output of a step-protocol call.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutput<T> {
    /// The method's result.
    Done(T),
    /// Requests to run before calling again.
    Need(Vec<ModelRequest>),
}

/// An error returned through the call entry point, as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallError {
    /// What went wrong.
    pub kind: CallErrorKind,
    /// Details.
    pub message: String,
}

/// Kinds of [`CallError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallErrorKind {
    /// The plugin panicked; the panic was caught at the boundary.
    Panic,
    /// The input JSON did not match the method's input type.
    BadInput,
    /// The plugin has no such method.
    UnknownMethod,
    /// The method returned an error.
    Failed,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            CallErrorKind::Panic => "plugin panicked",
            CallErrorKind::BadInput => "bad input",
            CallErrorKind::UnknownMethod => "unknown method",
            CallErrorKind::Failed => "failed",
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

/// A plugin registered with `inventory` by [`crate::export_plugin!`].
///
/// Every linked plugin of the binary appears in `inventory::iter::<LinkedPlugin>`.
pub struct LinkedPlugin {
    /// The declaration (the same as a dynamic library exports).
    pub declaration: PluginDeclaration,
    /// The constructor (panics caught).
    pub new: fn() -> RResult<PluginBox, RString>,
}

inventory::collect!(LinkedPlugin);

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
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(panic_message)
}

/// Constructs a plugin object, catching a panicking constructor. Used by
/// [`crate::export_plugin!`].
#[doc(hidden)]
pub fn construct(declaration: PluginDeclaration, f: impl FnOnce() -> PluginBox) -> RResult<PluginBox, RString> {
    match catch(f) {
        Ok(object) => RResult::ROk(object),
        Err(message) => {
            RResult::RErr(RString::from(format!("constructor of plugin `{}` panicked: {message}", declaration.name())))
        }
    }
}

/// Wraps a [`Dimension`] into the FFI-safe plugin object.
#[doc(hidden)]
pub fn dimension_object<D: Dimension>(declaration: PluginDeclaration, plugin: D) -> PluginBox {
    PluginObject_TO::from_value(DimensionBridge { declaration, plugin }, TD_Opaque)
}

/// Wraps a [`ModelType`] into the FFI-safe plugin object.
#[doc(hidden)]
pub fn model_type_object<M: ModelType>(declaration: PluginDeclaration, plugin: M) -> PluginBox {
    PluginObject_TO::from_value(ModelTypeBridge { declaration, plugin }, TD_Opaque)
}

struct DimensionBridge<D> {
    declaration: PluginDeclaration,
    plugin: D,
}

struct ModelTypeBridge<M> {
    declaration: PluginDeclaration,
    plugin: M,
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

/// Decodes a step call, runs the method with a [`Cx`] replaying the replies,
/// and encodes the result or the next round of requests.
fn step_call<I, O>(input: &str, bytes: &[u8], method: impl FnOnce(&mut Cx, &I) -> Step<O>) -> Result<String, CallError>
where
    I: DeserializeOwned,
    O: Serialize,
{
    let call: CallInput<I> =
        serde_json::from_str(input).map_err(|e| CallError::new(CallErrorKind::BadInput, e.to_string()))?;
    let mut cx = Cx::new(call.replies);
    cx.set_bytes(bytes.to_vec());
    let outcome = catch(|| method(&mut cx, &call.input)).map_err(|m| CallError::new(CallErrorKind::Panic, m))?;
    let output = match outcome {
        Ok(value) => CallOutput::Done(value),
        Err(Stop::Pending) => {
            let requests = cx.take_pending();
            if requests.is_empty() {
                return Err(CallError::new(CallErrorKind::Failed, "method is pending but asked for nothing"));
            }
            CallOutput::Need(requests)
        }
        Err(Stop::Error(message)) => return Err(CallError::new(CallErrorKind::Failed, message)),
    };
    serde_json::to_string(&output).map_err(|e| CallError::new(CallErrorKind::Failed, e.to_string()))
}

fn finish(result: Result<String, CallError>) -> RResult<RString, RString> {
    match result {
        Ok(json) => RResult::ROk(json.into()),
        Err(err) => RResult::RErr(err.to_json().into()),
    }
}

impl<D: Dimension> PluginObject for DimensionBridge<D> {
    fn manifest(&self) -> RResult<RString, RString> {
        manifest_json(&self.declaration, PluginKind::Dimension, || self.plugin.manifest())
    }

    fn call(&self, method: RStr<'_>, input: RStr<'_>, bytes: RSlice<'_, u8>) -> RResult<RString, RString> {
        let result = match method.as_str() {
            methods::BUILD => {
                step_call(input.as_str(), bytes.as_slice(), |cx, i: &BuildInput| self.plugin.build(cx, i))
            }
            methods::SCORE => {
                step_call(input.as_str(), bytes.as_slice(), |cx, i: &ScoreInput| self.plugin.score(cx, i))
            }
            other => Err(CallError::new(
                CallErrorKind::UnknownMethod,
                format!("dimension plugin `{}` has no method `{other}`", self.declaration.name()),
            )),
        };
        finish(result)
    }
}

impl<M: ModelType> PluginObject for ModelTypeBridge<M> {
    fn manifest(&self) -> RResult<RString, RString> {
        manifest_json(&self.declaration, PluginKind::ModelType, || self.plugin.manifest())
    }

    fn call(&self, method: RStr<'_>, input: RStr<'_>, bytes: RSlice<'_, u8>) -> RResult<RString, RString> {
        let result = match method.as_str() {
            methods::RESPOND => {
                step_call(input.as_str(), bytes.as_slice(), |cx, i: &RespondInput| self.plugin.respond(cx, i))
            }
            other => Err(CallError::new(
                CallErrorKind::UnknownMethod,
                format!("model-type plugin `{}` has no method `{other}`", self.declaration.name()),
            )),
        };
        finish(result)
    }
}

/// The symbol name abi_stable's loader looks for; `export_plugin!` exports
/// the library header under it (the same as `#[export_root_module]` does).
#[doc(hidden)]
pub const ROOT_MODULE_LOADER_SYMBOL: &str = "_1as_0lib_1header_0root_bmodule_bloader";

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
        $crate::export_plugin!(@export $name, "dimension", $crate::sdk::dimension_object, $ctor);
    };
    (name: $name:literal, model_type: $ctor:expr $(,)?) => {
        $crate::export_plugin!(@export $name, "model_type", $crate::sdk::model_type_object, $ctor);
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

            fn construct() -> $crate::abi_stable::std_types::RResult<
                $crate::abi::PluginBox,
                $crate::abi_stable::std_types::RString,
            > {
                $crate::sdk::construct(DECLARATION, || $wrap(DECLARATION, $ctor))
            }

            $crate::inventory::submit! {
                $crate::sdk::LinkedPlugin { declaration: DECLARATION, new: construct }
            }

            #[cfg(feature = "dynamic")]
            #[unsafe(no_mangle)]
            /// The declaration the host probes before loading.
            pub static TRUSTGEN_PLUGIN_DECLARATION: $crate::abi::PluginDeclaration = DECLARATION;

            #[cfg(feature = "dynamic")]
            extern "C" fn construct_extern() -> $crate::abi_stable::std_types::RResult<
                $crate::abi::PluginBox,
                $crate::abi_stable::std_types::RString,
            > {
                construct()
            }

            #[cfg(feature = "dynamic")]
            fn root_module() -> $crate::abi::PluginModRef {
                use $crate::abi_stable::prefix_type::PrefixTypeTrait;
                $crate::abi::PluginMod { new: construct_extern }.leak_into_prefix()
            }

            #[cfg(feature = "dynamic")]
            #[unsafe(export_name = "_1as_0lib_1header_0root_bmodule_bloader")]
            /// The abi_stable library header (what `#[export_root_module]` emits).
            pub static LIB_HEADER: $crate::abi_stable::library::LibHeader = {
                extern "C" fn erased() -> $crate::abi_stable::library::RootModuleResult {
                    $crate::abi_stable::library::__call_root_module_loader(root_module)
                }
                unsafe {
                    $crate::abi_stable::library::LibHeader::from_constructor::<$crate::abi::PluginModRef>(
                        erased,
                        $crate::abi_stable::library::CheckTypeLayout::Yes,
                    )
                }
            };
        }
    };
}
