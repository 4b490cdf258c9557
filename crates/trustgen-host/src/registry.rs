//! One registry of plugins from two sources: linked and dynamic.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use abi_stable::std_types::{RResult, RSlice, RStr};
use trustgen_plugin_api::abi::PluginBox;
use trustgen_plugin_api::{CallError, LinkedPlugin, Manifest, PluginKind};

use crate::dynamic::{self, Probe};
use crate::error::{HostError, LoadError, UntrustedDir, UntrustedDirs};

/// Where a plugin comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Linked into this binary (a cargo feature of trustgen-cli).
    Linked,
    /// Loaded from a dynamic library.
    Dynamic(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Linked => f.write_str("linked"),
            Source::Dynamic(path) => write!(f, "dynamic ({})", path.display()),
        }
    }
}

/// Which source wins when a linked and a dynamic plugin share a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourcePreference {
    /// The linked plugin.
    Linked,
    /// The dynamic plugin found in the plugin directories.
    Dynamic,
    /// The dynamic plugin at this exact path.
    Path(PathBuf),
}

impl SourcePreference {
    /// Parses `linked`, `dynamic`, or a path.
    pub fn parse(s: &str) -> SourcePreference {
        match s {
            "linked" => SourcePreference::Linked,
            "dynamic" => SourcePreference::Dynamic,
            path => SourcePreference::Path(PathBuf::from(path)),
        }
    }
}

/// Where to look for plugins.
///
/// Two kinds of directory: the user's own (`--plugin-dir`, `TRUSTGEN_PLUGIN_PATH`), whose
/// libraries always load, and those a suite file names (`[plugins] dirs`), whose libraries load
/// only when `trust_suite_dirs` is set. Opening a library runs its native initialisers, so a suite
/// file from elsewhere must not run code just by being validated; without trust, discovery lists
/// such a directory's libraries without opening any and fails with
/// [`HostError::UntrustedPlugins`].
#[derive(Debug, Clone, Default)]
pub struct DiscoverOptions {
    /// The user's plugin directories, each with where it was configured.
    pub dirs: Vec<(PathBuf, String)>,
    /// Plugin directories named by a suite file, each with where (`suite.toml:line:col`).
    pub suite_dirs: Vec<(PathBuf, String)>,
    /// Whether the libraries in `suite_dirs` may be loaded (`--trust-plugins`).
    pub trust_suite_dirs: bool,
    /// Skip linked plugins (for tests).
    pub no_linked: bool,
    /// Explicit sources for plugins whose name clashes.
    pub sources: BTreeMap<String, SourcePreference>,
}

impl DiscoverOptions {
    /// Adds a directory configured at `origin`.
    pub fn dir(mut self, path: impl Into<PathBuf>, origin: impl Into<String>) -> DiscoverOptions {
        self.dirs.push((path.into(), origin.into()));
        self
    }

    /// Adds a directory named by a suite file at `origin` (`suite.toml:line:col`); its libraries
    /// load only with [`DiscoverOptions::trust_suite_dirs`].
    pub fn suite_dir(mut self, path: impl Into<PathBuf>, origin: impl Into<String>) -> DiscoverOptions {
        self.suite_dirs.push((path.into(), origin.into()));
        self
    }

    /// Adds the directories of the `TRUSTGEN_PLUGIN_PATH` variable.
    pub fn with_env_path(mut self) -> DiscoverOptions {
        if let Some(value) = std::env::var_os(crate::PLUGIN_PATH_ENV) {
            for path in std::env::split_paths(&value).filter(|p| !p.as_os_str().is_empty()) {
                self.dirs.push((path, crate::PLUGIN_PATH_ENV.to_string()));
            }
        }
        self
    }
}

/// A plugin, linked or loaded, ready to call.
pub struct Plugin {
    manifest: Manifest,
    source: Source,
    object: PluginBox,
}

impl fmt::Debug for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin").field("name", &self.manifest.name).field("source", &self.source).finish()
    }
}

impl Plugin {
    pub(crate) fn new(
        object: PluginBox,
        source: Source,
        declared_name: &str,
        declared_kind: &str,
    ) -> Result<Plugin, LoadError> {
        let origin = match &source {
            Source::Linked => "linked".to_string(),
            Source::Dynamic(path) => path.display().to_string(),
        };
        let bad =
            |message: String| LoadError::BadManifest { origin: origin.clone(), name: declared_name.into(), message };
        let json = match object.manifest() {
            RResult::ROk(json) => json.into_string(),
            RResult::RErr(err) => return Err(bad(CallError::from_json(&err).to_string())),
        };
        let manifest: Manifest = serde_json::from_str(&json).map_err(|e| bad(e.to_string()))?;
        if manifest.name != declared_name {
            return Err(bad(format!("manifest name `{}` differs from the declared `{declared_name}`", manifest.name)));
        }
        if manifest.kind.as_str() != declared_kind {
            return Err(bad(format!(
                "manifest kind `{}` differs from the declared `{declared_kind}`",
                manifest.kind.as_str()
            )));
        }
        Ok(Plugin { manifest, source, object })
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// The plugin's kind.
    pub fn kind(&self) -> PluginKind {
        self.manifest.kind
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Where the plugin comes from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Calls a method with JSON input and raw bytes; returns its JSON output.
    /// Panics inside the plugin come back as [`CallError`]s.
    pub fn call(&self, method: &str, input: &str, bytes: &[u8]) -> Result<String, CallError> {
        match self.object.call(RStr::from_str(method), RStr::from_str(input), RSlice::from_slice(bytes)) {
            RResult::ROk(json) => Ok(json.into_string()),
            RResult::RErr(err) => Err(CallError::from_json(&err)),
        }
    }
}

/// Every plugin available to a run.
#[derive(Debug, Default)]
pub struct Registry {
    plugins: Vec<Arc<Plugin>>,
    problems: Vec<LoadError>,
}

impl Registry {
    /// The linked plugins only.
    pub fn linked() -> Registry {
        let mut registry = Registry::default();
        registry.add_linked();
        registry
    }

    fn add_linked(&mut self) {
        let mut linked: Vec<&LinkedPlugin> = LinkedPlugin::all().collect();
        linked.sort_by_key(|p| p.declaration.name());
        for entry in linked {
            let name = entry.declaration.name();
            let kind = entry.declaration.kind();
            match (entry.new)() {
                RResult::ROk(object) => match Plugin::new(object, Source::Linked, &name, &kind) {
                    Ok(plugin) => self.plugins.push(Arc::new(plugin)),
                    Err(err) => self.problems.push(err),
                },
                RResult::RErr(message) => self.problems.push(LoadError::Constructor {
                    origin: "linked".into(),
                    name,
                    message: message.into_string(),
                }),
            }
        }
    }

    /// Finds every plugin: linked ones, then dynamic libraries in the
    /// configured directories. Libraries that fail to load are recorded as
    /// [`Registry::problems`] (the rest still load); a missing directory and
    /// an unresolved name clash are errors.
    ///
    /// Without [`DiscoverOptions::trust_suite_dirs`], a suite-named directory that holds
    /// libraries is an error ([`HostError::UntrustedPlugins`]) and nothing at all is opened.
    pub fn discover(options: &DiscoverOptions) -> Result<Registry, HostError> {
        let mut untrusted = Vec::new();
        if !options.trust_suite_dirs {
            for (dir, origin) in &options.suite_dirs {
                if !dir.is_dir() {
                    return Err(HostError::DirNotFound { path: dir.clone(), origin: origin.clone() });
                }
                let libraries = dynamic::library_files(dir)
                    .map_err(|e| HostError::ReadDir { path: dir.clone(), message: e.to_string() })?;
                if !libraries.is_empty() {
                    untrusted.push(UntrustedDir { dir: dir.clone(), origin: origin.clone(), libraries });
                }
            }
        }
        if !untrusted.is_empty() {
            return Err(HostError::UntrustedPlugins(UntrustedDirs(untrusted)));
        }
        let mut registry = Registry::default();
        if !options.no_linked {
            registry.add_linked();
        }
        let mut probes: Vec<Probe> = Vec::new();
        let suite_dirs = options.suite_dirs.iter().filter(|_| options.trust_suite_dirs);
        for (dir, origin) in options.dirs.iter().chain(suite_dirs) {
            if !dir.is_dir() {
                return Err(HostError::DirNotFound { path: dir.clone(), origin: origin.clone() });
            }
            let files = dynamic::library_files(dir)
                .map_err(|e| HostError::ReadDir { path: dir.clone(), message: e.to_string() })?;
            for file in files {
                match dynamic::probe(&file) {
                    Ok(probe) => probes.push(probe),
                    Err(err) => registry.problems.push(err),
                }
            }
        }
        // Two dynamic libraries with one name: always an error.
        let mut by_name: BTreeMap<String, &Probe> = BTreeMap::new();
        for probe in &probes {
            let name = probe.declaration.name();
            if let Some(first) = by_name.get(&name) {
                let wanted = options.sources.get(&name);
                let chosen_one = matches!(wanted, Some(SourcePreference::Path(p)) if same_file(p, &probe.path) || same_file(p, &first.path));
                if !chosen_one {
                    return Err(HostError::Duplicate {
                        name,
                        first: format!("dynamic ({})", first.path.display()),
                        second: format!("dynamic ({})", probe.path.display()),
                    });
                }
            }
            by_name.entry(name).or_insert(probe);
        }
        for probe in &probes {
            let name = probe.declaration.name();
            let wanted = options.sources.get(&name);
            if let Some(SourcePreference::Path(p)) = wanted
                && !same_file(p, &probe.path)
            {
                continue;
            }
            let linked_index = registry.plugins.iter().position(|p| p.name() == name);
            if let Some(index) = linked_index {
                match wanted {
                    Some(SourcePreference::Linked) => continue,
                    Some(SourcePreference::Dynamic) | Some(SourcePreference::Path(_)) => {
                        registry.plugins.remove(index);
                    }
                    None => {
                        return Err(HostError::Duplicate {
                            name,
                            first: "linked".into(),
                            second: format!("dynamic ({})", probe.path.display()),
                        });
                    }
                }
            }
            match Registry::load_probe(probe) {
                Ok(plugin) => registry.plugins.push(Arc::new(plugin)),
                Err(err) => registry.problems.push(err),
            }
        }
        for (name, wanted) in &options.sources {
            let found = registry.get(name).map(|p| p.source().clone());
            let ok = match (wanted, &found) {
                (_, None) => false,
                (SourcePreference::Linked, Some(source)) => *source == Source::Linked,
                (SourcePreference::Dynamic, Some(source)) => matches!(source, Source::Dynamic(_)),
                (SourcePreference::Path(p), Some(Source::Dynamic(q))) => same_file(p, q),
                (SourcePreference::Path(_), Some(Source::Linked)) => false,
            };
            if !ok {
                let load_problem = registry.problems.iter().find(|e| e.to_string().contains(&format!("`{name}`")));
                return Err(match load_problem {
                    Some(err) => HostError::Load(err.clone()),
                    None => HostError::SourceNotFound {
                        name: name.clone(),
                        wanted: match wanted {
                            SourcePreference::Linked => "the linked plugin".into(),
                            SourcePreference::Dynamic => "a dynamic plugin".into(),
                            SourcePreference::Path(p) => format!("the library {}", p.display()),
                        },
                        hint: match &found {
                            Some(source) => format!(" (only a {source} one exists)"),
                            None => "; hint: check `trustgen plugins list`".into(),
                        },
                    },
                });
            }
        }
        registry.plugins.sort_by(|a, b| a.name().cmp(b.name()));
        Ok(registry)
    }

    /// Loads one library directly (probe, version check, load, construct).
    pub fn load_library(path: &Path) -> Result<Plugin, LoadError> {
        let probe = dynamic::probe(path)?;
        Registry::load_probe(&probe)
    }

    fn load_probe(probe: &Probe) -> Result<Plugin, LoadError> {
        dynamic::check_api_version(probe)?;
        let object = dynamic::load(probe)?;
        Plugin::new(object, Source::Dynamic(probe.path.clone()), &probe.declaration.name(), &probe.declaration.kind())
    }

    /// A registry of exactly these plugins (for tests).
    #[cfg(test)]
    pub(crate) fn of(plugins: Vec<Plugin>) -> Registry {
        Registry { plugins: plugins.into_iter().map(Arc::new).collect(), problems: Vec::new() }
    }

    /// All plugins, sorted by name.
    pub fn plugins(&self) -> &[Arc<Plugin>] {
        &self.plugins
    }

    /// The plugin named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Plugin>> {
        self.plugins.iter().find(|p| p.name() == name)
    }

    /// The model-type plugin that provides `model_type` (e.g. `llm`).
    pub fn model_type(&self, model_type: &str) -> Option<&Arc<Plugin>> {
        self.plugins
            .iter()
            .find(|p| p.kind() == PluginKind::ModelType && p.manifest().model_types.iter().any(|t| t == model_type))
    }

    /// Libraries that were found but could not be loaded.
    pub fn problems(&self) -> &[LoadError] {
        &self.problems
    }

    /// Names of all plugins (for suggestions).
    pub fn names(&self) -> Vec<&str> {
        self.plugins.iter().map(|p| p.name()).collect()
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
