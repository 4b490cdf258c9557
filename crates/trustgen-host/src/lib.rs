//! The host side of trustgen's plugin system, and validating a suite against it.
//!
//! - [`Registry`] holds every plugin, whether linked into the binary
//!   (registered with `inventory`) or loaded from a dynamic library found in a
//!   plugin directory. Both become the same FFI-safe object, so the pipeline
//!   cannot tell them apart.
//! - [`suite::validate`] checks a suite (parsed by trustgen-config) against the
//!   registry: plugin, task, variation and model-type names, and each dimension
//!   plugin's `options` table, which the plugin checks itself
//!   (`check_options`). Errors name the file, line and column and suggest the
//!   name that was meant.
//!
//! **Trust rule:** a library in a directory a suite file names (`[plugins] dirs`) is opened only
//! when the user says to trust it ([`DiscoverOptions::trust_suite_dirs`], the CLI's
//! `--trust-plugins`); otherwise discovery fails naming the suite line and the libraries, having
//! opened none. The user's own directories (`--plugin-dir`, `TRUSTGEN_PLUGIN_PATH`) and linked
//! plugins are unaffected.
//!
//! **Architecture invariant:** this is the only crate that loads libraries.
//! Before any plugin code runs, a library's plain C declaration is read with
//! libloading and its API version checked with `semver`; only then does
//! abi_stable initialise it from its library header.

mod dynamic;
mod error;
mod registry;
pub mod suite;

pub use error::{HostError, LoadError, UntrustedDir, UntrustedDirs};
pub use registry::{DiscoverOptions, Plugin, Registry, Source, SourcePreference};

/// The environment variable with extra plugin directories (`:`-separated).
pub const PLUGIN_PATH_ENV: &str = "TRUSTGEN_PLUGIN_PATH";
