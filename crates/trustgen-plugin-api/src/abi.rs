//! The frozen binary interface between the host and a plugin library.
//!
//! It is deliberately tiny: a plain C declaration the host reads before any
//! plugin code runs, an abi_stable root module with one constructor, and one
//! trait object with two methods (`manifest` and `call`). Everything else is
//! JSON (see [`crate::schema`]). This module must not change within 1.x: new
//! capability goes into optional JSON fields.

#![allow(non_local_definitions)]

use abi_stable::StableAbi;
use abi_stable::library::RootModule;
use abi_stable::package_version_strings;
use abi_stable::sabi_trait;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{RBox, RResult, RSlice, RStr, RString};

/// The name of the declaration symbol every plugin library exports.
pub const DECLARATION_SYMBOL: &str = "TRUSTGEN_PLUGIN_DECLARATION";

/// Magic bytes at the start of a [`PluginDeclaration`].
pub const DECLARATION_MAGIC: [u8; 8] = *b"TRUSTGEN";

/// Version of the [`PluginDeclaration`] layout.
pub const DECLARATION_VERSION: u32 = 1;

/// A plain C struct the host reads with a bare symbol lookup before it lets
/// abi_stable initialise anything: the plugin's name, kind and versions.
///
/// Strings are NUL-padded UTF-8 in fixed-size arrays so the struct has no
/// pointers and can live in a `static`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PluginDeclaration {
    /// Always [`DECLARATION_MAGIC`].
    pub magic: [u8; 8],
    /// Always [`DECLARATION_VERSION`] for this layout.
    pub declaration_version: u32,
    /// `dimension` or `model_type`.
    pub kind: [u8; 16],
    /// The plugin's name.
    pub name: [u8; 64],
    /// The plugin's own version.
    pub version: [u8; 32],
    /// The trustgen-plugin-api version it was built against.
    pub api_version: [u8; 32],
}

const fn fixed<const N: usize>(s: &str) -> [u8; N] {
    let bytes = s.as_bytes();
    assert!(bytes.len() < N, "plugin declaration string too long");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < bytes.len() {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

fn unfixed(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

impl PluginDeclaration {
    /// Builds a declaration at compile time (used by [`crate::export_plugin!`]).
    pub const fn new(kind: &str, name: &str, version: &str, api_version: &str) -> PluginDeclaration {
        PluginDeclaration {
            magic: DECLARATION_MAGIC,
            declaration_version: DECLARATION_VERSION,
            kind: fixed(kind),
            name: fixed(name),
            version: fixed(version),
            api_version: fixed(api_version),
        }
    }

    /// The kind string.
    pub fn kind(&self) -> String {
        unfixed(&self.kind)
    }

    /// The plugin name.
    pub fn name(&self) -> String {
        unfixed(&self.name)
    }

    /// The plugin version.
    pub fn version(&self) -> String {
        unfixed(&self.version)
    }

    /// The API version the plugin was built against.
    pub fn api_version(&self) -> String {
        unfixed(&self.api_version)
    }
}

/// The object every plugin becomes, linked or loaded.
#[sabi_trait]
pub trait PluginObject: Send + Sync {
    /// The plugin's [`crate::schema::Manifest`] as JSON, or an error.
    fn manifest(&self) -> RResult<RString, RString>;

    /// Calls `method` with a JSON input and optional raw bytes (images).
    /// Returns the JSON output or a JSON [`crate::CallError`].
    #[sabi(last_prefix_field)]
    fn call(&self, method: RStr<'_>, input: RStr<'_>, bytes: RSlice<'_, u8>) -> RResult<RString, RString>;
}

/// The boxed FFI-safe plugin object.
pub type PluginBox = PluginObject_TO<'static, RBox<()>>;

/// The root module a dynamic plugin library exports.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
#[sabi(missing_field(panic))]
pub struct PluginMod {
    /// Constructs the plugin object; a panic in the constructor comes back as
    /// an error.
    #[sabi(last_prefix_field)]
    pub new: extern "C" fn() -> RResult<PluginBox, RString>,
}

impl RootModule for PluginModRef {
    abi_stable::declare_root_module_statics! {PluginModRef}
    const BASE_NAME: &'static str = "trustgen_plugin";
    const NAME: &'static str = "trustgen_plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}
