//! Loading one dynamic plugin library: probe, version check, abi_stable load.

use std::path::{Path, PathBuf};

use abi_stable::library::{LibraryError, lib_header_from_path};
use trustgen_plugin_api::API_VERSION;
use trustgen_plugin_api::abi::{
    DECLARATION_MAGIC, DECLARATION_SYMBOL, DECLARATION_VERSION, PluginBox, PluginDeclaration, PluginModRef,
};

use crate::error::LoadError;

/// What the probe read from a library without running any of its code
/// beyond the loader's own initialisers.
#[derive(Debug, Clone)]
pub(crate) struct Probe {
    pub(crate) path: PathBuf,
    pub(crate) declaration: PluginDeclaration,
}

/// Reads the plain C declaration with libloading and checks it.
pub(crate) fn probe(path: &Path) -> Result<Probe, LoadError> {
    // SAFETY: opening a library runs its initialisers. Only trusted directories
    // reach here: the user's own, and a suite's only with `trust_suite_dirs`
    // (`Registry::discover`).
    let library = unsafe { libloading::Library::new(path) }
        .map_err(|e| LoadError::Open { path: path.to_owned(), message: with_source(&e) })?;
    let mut symbol_name = DECLARATION_SYMBOL.as_bytes().to_vec();
    symbol_name.push(0);
    // SAFETY: the symbol, when present, is a `static PluginDeclaration` (a
    // `#[repr(C)]` struct of plain bytes); we copy it out before unloading.
    let declaration = unsafe {
        let symbol = library.get::<*const PluginDeclaration>(symbol_name.as_slice()).map_err(|_| {
            LoadError::NotAPlugin { path: path.to_owned(), reason: format!("no `{DECLARATION_SYMBOL}` symbol") }
        })?;
        let pointer: *const PluginDeclaration = *symbol;
        if pointer.is_null() {
            return Err(LoadError::NotAPlugin { path: path.to_owned(), reason: "null declaration".into() });
        }
        std::ptr::read(pointer)
    };
    if declaration.magic != DECLARATION_MAGIC {
        return Err(LoadError::NotAPlugin { path: path.to_owned(), reason: "bad declaration magic".into() });
    }
    if declaration.declaration_version != DECLARATION_VERSION {
        return Err(LoadError::NotAPlugin {
            path: path.to_owned(),
            reason: format!(
                "declaration layout version {} (this trustgen reads version {DECLARATION_VERSION})",
                declaration.declaration_version
            ),
        });
    }
    drop(library);
    Ok(Probe { path: path.to_owned(), declaration })
}

/// Checks that the plugin's API version has the host's major version.
pub(crate) fn check_api_version(probe: &Probe) -> Result<(), LoadError> {
    let host = semver::Version::parse(API_VERSION).expect("the crate version is semver");
    let declared = probe.declaration.api_version();
    let mismatch = || LoadError::ApiMismatch {
        path: probe.path.clone(),
        name: probe.declaration.name(),
        plugin_api: declared.clone(),
        host_api: API_VERSION.to_string(),
        host_major: host.major,
    };
    let plugin = semver::Version::parse(&declared).map_err(|_| mismatch())?;
    let req = semver::VersionReq::parse(&format!("^{}", host.major)).expect("a valid requirement");
    if req.matches(&semver::Version::new(plugin.major, plugin.minor, plugin.patch)) { Ok(()) } else { Err(mismatch()) }
}

/// Loads the abi_stable root module and constructs the plugin object.
pub(crate) fn load(probe: &Probe) -> Result<PluginBox, LoadError> {
    let name = probe.declaration.name();
    let path = &probe.path;
    let header = lib_header_from_path(path).map_err(|e| library_error(path, &name, e))?;
    let module = header.init_root_module::<PluginModRef>().map_err(|e| library_error(path, &name, e))?;
    let constructor = module.new();
    match constructor() {
        abi_stable::std_types::RResult::ROk(object) => Ok(object),
        abi_stable::std_types::RResult::RErr(message) => {
            Err(LoadError::Constructor { origin: path.display().to_string(), name, message: message.into_string() })
        }
    }
}

/// Turns abi_stable's (sometimes 800-line) errors into one line; the full
/// text goes to the debug log.
fn library_error(path: &Path, name: &str, err: LibraryError) -> LoadError {
    let full = err.to_string();
    tracing::debug!(path = %path.display(), "abi_stable load error:\n{full}");
    match err {
        LibraryError::OpenError { err, .. } => LoadError::Open { path: path.to_owned(), message: with_source(&*err) },
        LibraryError::GetSymbolError { symbol, err, .. } => LoadError::MissingSymbol {
            path: path.to_owned(),
            name: name.to_string(),
            symbol: String::from_utf8_lossy(&symbol).trim_end_matches('\0').to_string(),
            message: first_line(&err.to_string()),
        },
        LibraryError::RootModule { err, .. } => LoadError::Constructor {
            origin: path.display().to_string(),
            name: name.to_string(),
            message: first_line(&err.to_string()),
        },
        LibraryError::IncompatibleVersionNumber { expected_version, actual_version, .. } => LoadError::ApiMismatch {
            path: path.to_owned(),
            name: name.to_string(),
            plugin_api: actual_version.to_string(),
            host_api: expected_version.to_string(),
            host_major: u64::from(expected_version.major),
        },
        LibraryError::AbiInstability(_) | LibraryError::InvalidAbiHeader(_) | LibraryError::InvalidCAbi { .. } => {
            LoadError::AbiMismatch {
                path: path.to_owned(),
                name: name.to_string(),
                summary: summarize_abi(&full),
                host_api: API_VERSION.to_string(),
            }
        }
        LibraryError::ParseVersionError(_) | LibraryError::Many(_) => LoadError::AbiMismatch {
            path: path.to_owned(),
            name: name.to_string(),
            summary: first_line(&full),
            host_api: API_VERSION.to_string(),
        },
    }
}

/// An error's message followed by its causes (libloading keeps the dlerror
/// text in the source).
fn with_source(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

fn first_line(s: &str) -> String {
    let line = s.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("unknown error");
    let mut line = line.to_string();
    if line.len() > 200 {
        line.truncate(line.char_indices().take_while(|(i, _)| *i < 200).last().map_or(0, |(i, c)| i + c.len_utf8()));
        line.push('…');
    }
    line
}

/// Picks the most telling line of an abi_stable layout report.
fn summarize_abi(full: &str) -> String {
    let telling = ["Expected:", "mismatched", "incompatible", "too many fields", "different"];
    let mut lines = full.lines().map(str::trim).filter(|l| !l.is_empty());
    let hit = lines.clone().find(|l| telling.iter().any(|t| l.contains(t)));
    first_line(hit.or_else(|| lines.next()).unwrap_or("layout mismatch"))
}

/// Loaded libraries are never unloaded (abi_stable leaks them on purpose),
/// so the plugin object may live for the rest of the process.
pub(crate) fn library_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let suffix = std::env::consts::DLL_SUFFIX;
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_lib = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(suffix));
        if is_lib && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abi_summary_is_one_line() {
        let report = "Error loading\n  at root\n\n  Error: too many fields. Expected: 4 Found: 3\n  more\n".repeat(200);
        let summary = summarize_abi(&report);
        assert_eq!(summary, "Error: too many fields. Expected: 4 Found: 3");
    }

    #[test]
    fn root_module_loader_symbol_matches_abi_stable() {
        assert_eq!(
            trustgen_plugin_api::sdk::__private::ROOT_MODULE_LOADER_SYMBOL,
            abi_stable::library::ROOT_MODULE_LOADER_NAME
        );
    }

    #[test]
    fn random_file_is_not_a_plugin() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("libjunk.so");
        std::fs::write(&path, b"not an ELF file").unwrap();
        let err = probe(&path).unwrap_err();
        assert!(matches!(err, LoadError::Open { .. }), "{err}");
        assert!(err.to_string().contains("libjunk.so"), "{err}");
    }

    #[test]
    fn api_major_must_match() {
        let check = |api: &str| {
            let probe = Probe {
                path: "/p/libx.so".into(),
                declaration: PluginDeclaration::new("dimension", "x", "0.1.0", api),
            };
            check_api_version(&probe).map_err(|e| e.to_string())
        };
        assert!(check("1.0.0").is_ok());
        assert!(check("1.7.3").is_ok());
        let err = check("2.0.0").unwrap_err();
        expect_test::expect![[r#"/p/libx.so: plugin `x` was built against trustgen-plugin-api 2.0.0, but this trustgen speaks 1.0.0 (the major versions differ); hint: rebuild the plugin against trustgen-plugin-api 1.x"#]].assert_eq(&err);
        assert!(check("garbage").is_err());
    }
}
