//! Typed errors of plugin discovery and loading.

use std::path::PathBuf;

/// A library in a plugin directory that could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened as a dynamic library.
    #[error("{path}: cannot open library: {message}")]
    Open {
        /// The library.
        path: PathBuf,
        /// The loader's message.
        message: String,
    },
    /// The library has no trustgen declaration symbol, or a malformed one.
    #[error(
        "{path}: not a trustgen plugin ({reason}); hint: build plugins with `cargo xtask dist` or their crate's `dynamic` feature"
    )]
    NotAPlugin {
        /// The library.
        path: PathBuf,
        /// What was missing or wrong.
        reason: String,
    },
    /// The plugin was built against another major version of the plugin API.
    #[error(
        "{path}: plugin `{name}` was built against trustgen-plugin-api {plugin_api}, but this trustgen speaks {host_api} (the major versions differ); hint: rebuild the plugin against trustgen-plugin-api {host_major}.x"
    )]
    ApiMismatch {
        /// The library.
        path: PathBuf,
        /// The plugin's name.
        name: String,
        /// The API version the plugin declares.
        plugin_api: String,
        /// The host's API version.
        host_api: String,
        /// The host's major version.
        host_major: u64,
    },
    /// abi_stable rejected the library's type layout.
    #[error(
        "{path}: plugin `{name}` has an incompatible ABI ({summary}); hint: rebuild it against trustgen-plugin-api {host_api}"
    )]
    AbiMismatch {
        /// The library.
        path: PathBuf,
        /// The plugin's name.
        name: String,
        /// A one-line summary (the full report is logged at debug level).
        summary: String,
        /// The host's API version.
        host_api: String,
    },
    /// A symbol the loader needs is missing.
    #[error(
        "{path}: plugin `{name}` lacks the symbol `{symbol}` ({message}); hint: export it with `trustgen_plugin_api::export_plugin!` and build with the `dynamic` feature"
    )]
    MissingSymbol {
        /// The library.
        path: PathBuf,
        /// The plugin's name.
        name: String,
        /// The symbol.
        symbol: String,
        /// The loader's message.
        message: String,
    },
    /// The plugin's constructor failed or panicked (the host survived).
    #[error("{origin}: plugin `{name}` failed to start: {message}")]
    Constructor {
        /// The library path, or `linked`.
        origin: String,
        /// The plugin's name.
        name: String,
        /// The error or panic message.
        message: String,
    },
    /// The plugin's manifest is missing, malformed or inconsistent.
    #[error("{origin}: plugin `{name}` has a bad manifest: {message}")]
    BadManifest {
        /// The library path, or `linked`.
        origin: String,
        /// The plugin's name.
        name: String,
        /// What is wrong.
        message: String,
    },
}

impl LoadError {
    /// The library the error is about (`None` for a linked plugin).
    pub fn library(&self) -> Option<PathBuf> {
        match self {
            LoadError::Open { path, .. }
            | LoadError::NotAPlugin { path, .. }
            | LoadError::ApiMismatch { path, .. }
            | LoadError::AbiMismatch { path, .. }
            | LoadError::MissingSymbol { path, .. } => Some(path.clone()),
            LoadError::Constructor { origin, .. } | LoadError::BadManifest { origin, .. } => {
                (origin != "linked").then(|| PathBuf::from(origin))
            }
        }
    }
}

/// A suite-named plugin directory with libraries that were not loaded, because loading runs
/// their code and the user has not said to trust them.
#[derive(Debug, Clone, PartialEq)]
pub struct UntrustedDir {
    /// The directory.
    pub dir: PathBuf,
    /// Where the suite names it (`suite.toml:line:col`).
    pub origin: String,
    /// The libraries it would load.
    pub libraries: Vec<PathBuf>,
}

/// Every untrusted suite-named plugin directory, one line each.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct UntrustedDirs(pub Vec<UntrustedDir>);

impl std::fmt::Display for UntrustedDirs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, dir) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let libraries: Vec<String> = dir.libraries.iter().map(|l| l.display().to_string()).collect();
            write!(
                f,
                "{}: [plugins] dirs names `{}`, whose libraries would run their native code when loaded: {}; \
                 hint: pass --trust-plugins (or set TRUSTGEN_TRUST_PLUGINS=1) if you trust them, \
                 or put your own plugins in --plugin-dir or TRUSTGEN_PLUGIN_PATH",
                dir.origin,
                dir.dir.display(),
                libraries.join(", ")
            )?;
        }
        Ok(())
    }
}

/// An error that stops plugin discovery.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HostError {
    /// A configured plugin directory does not exist.
    #[error("plugin directory {path} does not exist (from {origin}); hint: create it or fix the path")]
    DirNotFound {
        /// The directory.
        path: PathBuf,
        /// Where it was configured (`--plugin-dir`, `TRUSTGEN_PLUGIN_PATH`, a suite file).
        origin: String,
    },
    /// A plugin directory could not be read.
    #[error("cannot read plugin directory {path}: {message}")]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The OS message.
        message: String,
    },
    /// Two plugins share a name.
    #[error(
        "two plugins are named `{name}`: {first} and {second}; hint: remove one, or choose with `[plugins] source.{name} = \"linked\" | \"dynamic\" | \"<path>\"` in the suite"
    )]
    Duplicate {
        /// The shared name.
        name: String,
        /// Where the first comes from.
        first: String,
        /// Where the second comes from.
        second: String,
    },
    /// A plugin the configuration names could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A suite file names plugin directories holding libraries, and the user has not said to
    /// trust them; none was opened.
    #[error(transparent)]
    UntrustedPlugins(UntrustedDirs),
    /// A source preference names a plugin that no source provides.
    #[error("`[plugins] source.{name}` asks for {wanted}, but no such plugin was found{hint}")]
    SourceNotFound {
        /// The plugin name.
        name: String,
        /// The requested source.
        wanted: String,
        /// Extra hint.
        hint: String,
    },
}
