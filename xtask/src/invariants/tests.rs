//! Each invariant firing on a fixture workspace (real `cargo metadata` over path crates), and
//! staying quiet where the rule allows: dev-dependencies, the API boundary, tests, comments and
//! strings.

use expect_test::{Expect, expect};

/// Where a fixture crate lives under the fixture directory.
fn dir_of(name: &str) -> String {
    match name {
        n if n.starts_with("trustgen-dim-") => format!("ws/plugins/{n}"),
        n if n.starts_with("trustgen-") => format!("ws/crates/{n}"),
        // Stand-ins for registry crates live outside the workspace directory, so they are not members.
        n => format!("vendor/{n}"),
    }
}

/// Runs the invariant checks on a fixture: `crates` are (name, deps, dev-deps, lib.rs), `extra`
/// more files; prints the problems, one per line, with the fixture's path removed.
fn check(crates: &[(&str, &[&str], &[&str], &str)], extra: &[(&str, &str)], expect: Expect) {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().canonicalize().unwrap();
    let write = |path: &str, text: &str| {
        let path = top.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let members: Vec<String> =
        crates.iter().filter_map(|c| dir_of(c.0).strip_prefix("ws/").map(|d| format!("\"{d}\""))).collect();
    write("ws/Cargo.toml", &format!("[workspace]\nresolver = \"3\"\nmembers = [{}]\n", members.join(", ")));
    for (name, deps, dev, lib) in crates {
        let line = |d: &&str| format!("{d} = {{ path = \"{}\" }}\n", top.join(dir_of(d)).display());
        let deps: String = deps.iter().map(line).collect();
        let dev: String = dev.iter().map(line).collect();
        write(
            &format!("{}/Cargo.toml", dir_of(name)),
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n{deps}\n[dev-dependencies]\n{dev}"
            ),
        );
        write(&format!("{}/src/lib.rs", dir_of(name)), lib);
    }
    for (path, text) in extra {
        write(path, text);
    }
    let root = top.join("ws");
    let problems = super::check_with(&root, true).unwrap();
    let shown: Vec<String> = problems.iter().map(|p| p.replace(&format!("{}/", root.display()), "")).collect();
    expect.assert_eq(&shown.join("\n"));
}

const EMPTY: &str = "//! fixture\n";

#[test]
fn api_depends_only_on_its_allowed_set() {
    check(
        &[
            ("trustgen-plugin-api", &["serde", "reqwest"], &["tokio"], EMPTY),
            ("serde", &[], &[], EMPTY),
            ("reqwest", &[], &[], EMPTY),
            ("tokio", &[], &[], EMPTY),
        ],
        &[],
        expect![[
            r#"crates/trustgen-plugin-api/Cargo.toml: api-deps: trustgen-plugin-api depends on `reqwest`, outside its allowed set ["abi_stable", "inventory", "serde", "serde_json", "sha2", "schemars", "base64"]; hint: every plugin inherits the API's dependencies, so widening the set is a 1.x design decision (xtask/src/invariants.rs)"#
        ]],
    );
}

#[test]
fn pure_crates_reach_no_io_crate_but_the_api_is_a_boundary() {
    check(
        &[
            // abi_stable brings libloading to every plugin; the walk stops at the API.
            ("trustgen-plugin-api", &["abi_stable"], &[], EMPTY),
            ("abi_stable", &["libloading"], &[], EMPTY),
            ("libloading", &[], &[], EMPTY),
            ("trustgen-dim-good", &["trustgen-plugin-api"], &["tokio"], EMPTY),
            ("trustgen-dim-bad", &["trustgen-plugin-api", "helper"], &[], EMPTY),
            ("helper", &["tokio"], &[], EMPTY),
            ("tokio", &[], &[], EMPTY),
            ("trustgen-judges", &["trustgen-engine"], &[], EMPTY),
            ("trustgen-engine", &[], &[], EMPTY),
            // Not pure: may use tokio.
            ("trustgen-providers", &["tokio"], &[], EMPTY),
        ],
        &[],
        expect![[r#"
            crates/trustgen-judges/Cargo.toml: pure-deps: `trustgen-judges` reaches `trustgen-engine` (trustgen-judges -> trustgen-engine); plugins, the kit, the judges and the variator do no I/O: the engine does, through the step protocol
            plugins/trustgen-dim-bad/Cargo.toml: pure-deps: `trustgen-dim-bad` reaches `tokio` (trustgen-dim-bad -> helper -> tokio); plugins, the kit, the judges and the variator do no I/O: the engine does, through the step protocol"#]],
    );
}

#[test]
fn the_crate_graph_keeps_its_layers() {
    check(
        &[
            ("trustgen-rundir", &["serde"], &[], EMPTY),
            ("serde", &[], &[], EMPTY),
            // The engine may write run directories, but not reach the report crate, even indirectly.
            ("trustgen-engine", &["trustgen-rundir", "glue"], &[], EMPTY),
            ("glue", &["trustgen-report"], &[], EMPTY),
            // The report may read run directories, but a dev-dependency on the engine is no edge.
            ("trustgen-report", &["trustgen-rundir", "trustgen-host"], &["trustgen-engine"], EMPTY),
            ("trustgen-host", &[], &[], EMPTY),
            ("trustgen-config", &["serde"], &[], EMPTY),
            ("trustgen-providers", &["trustgen-config", "trustgen-host"], &[], EMPTY),
        ],
        &[],
        expect![[r#"
            crates/trustgen-engine/Cargo.toml: layering: `trustgen-engine` reaches `trustgen-report` (trustgen-engine -> glue -> trustgen-report); the engine writes run directories through trustgen-rundir; the CLI computes metrics and reports
            crates/trustgen-providers/Cargo.toml: layering: `trustgen-providers` reaches `trustgen-host` (trustgen-providers -> trustgen-host); providers read the suite through trustgen-config
            crates/trustgen-report/Cargo.toml: layering: `trustgen-report` reaches `trustgen-host` (trustgen-report -> trustgen-host); a report is a pure function of run directories: no plugin, no model, no engine, no network"#]],
    );
}

#[test]
fn pure_sources_do_no_io_and_read_no_clock() {
    let lib = r##"//! A plugin.
use std::collections::HashMap;
use std::{fmt, fs};
mod io;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
#[cfg(any(test, feature = "testing"))]
mod harness;
#[cfg(feature = "other")]
mod gated;
// std::net::TcpStream in a comment is not a use
/* nor std::process::Command in /* a nested */ block comment */
pub fn f() -> String {
    let _ = 'x';
    let _ = '\'';
    let s = "std::env::var in a string";
    let r = r#"std::env in a raw "string""#;
    format!("{s}{r}{}", std::env::var("X").unwrap_or_default())
}
#[cfg(test)]
mod inline {
    use std::time::Instant;
    fn t() { let _ = Instant::now(); }
}
pub fn g<'a>(x: &'a str) -> &'a str { x }
"##;
    check(
        &[("trustgen-dim-x", &[], &[], lib), ("trustgen-engine", &[], &[], "//! Not pure.\nuse std::fs;\n")],
        &[
            (
                "ws/plugins/trustgen-dim-x/src/io.rs",
                "//! io\npub fn now() -> std::time::SystemTime {\n    std::time::SystemTime::now()\n}\n",
            ),
            ("ws/plugins/trustgen-dim-x/src/testkit.rs", "//! test helpers\nuse std::env;\n"),
            ("ws/plugins/trustgen-dim-x/src/tests.rs", "//! tests\nuse std::fs;\n"),
            // The kit's `testing` feature is a test harness; any other feature is product code.
            ("ws/plugins/trustgen-dim-x/src/harness.rs", "//! harness\nuse std::fs;\n"),
            ("ws/plugins/trustgen-dim-x/src/gated.rs", "//! gated\nuse std::net;\n"),
        ],
        expect![[r#"
            plugins/trustgen-dim-x/src/gated.rs:2: pure-source: `trustgen-dim-x` uses std::net; plugins, the kit, the judges and the variator do no I/O and read no clock (ask the engine through the step protocol, take time and randomness from the input)
            plugins/trustgen-dim-x/src/io.rs:2: pure-source: `trustgen-dim-x` uses the clock (SystemTime); plugins, the kit, the judges and the variator do no I/O and read no clock (ask the engine through the step protocol, take time and randomness from the input)
            plugins/trustgen-dim-x/src/io.rs:3: pure-source: `trustgen-dim-x` uses the clock (SystemTime); plugins, the kit, the judges and the variator do no I/O and read no clock (ask the engine through the step protocol, take time and randomness from the input)
            plugins/trustgen-dim-x/src/lib.rs:3: pure-source: `trustgen-dim-x` uses std::fs (in a use group); plugins, the kit, the judges and the variator do no I/O and read no clock (ask the engine through the step protocol, take time and randomness from the input)
            plugins/trustgen-dim-x/src/lib.rs:20: pure-source: `trustgen-dim-x` uses std::env; plugins, the kit, the judges and the variator do no I/O and read no clock (ask the engine through the step protocol, take time and randomness from the input)"#]],
    );
}

#[test]
fn only_the_host_loads_libraries() {
    let loads = "//! Loads.\npub fn open(p: &str) {\n    let _ = unsafe { libloading::Library::new(p) };\n}\n";
    check(
        &[
            ("trustgen-host", &["libloading"], &[], loads),
            ("trustgen-engine", &["libloading"], &[], loads),
            ("trustgen-report", &[], &[], "//! Reports.\npub fn f() { let _ = PluginMod::load_from_file(\"x\"); }\n"),
            ("libloading", &[], &[], EMPTY),
        ],
        &[],
        expect![[r#"
            crates/trustgen-engine/Cargo.toml: loader-deps: `trustgen-engine` depends on `libloading`; only trustgen-host loads libraries
            crates/trustgen-engine/src/lib.rs:3: loader-source: `trustgen-engine` uses libloading; only trustgen-host loads libraries
            crates/trustgen-report/src/lib.rs:2: loader-source: `trustgen-report` uses the library loader `load_from_file`; only trustgen-host loads libraries"#]],
    );
}

#[test]
fn strip_keeps_lines_and_code() {
    let text = "a /* b\nc */ d \"e\nf\" 'g' h<'i> // j\nk";
    assert_eq!(super::strip(text), "a     \n     d   \n       h<'i>     \nk");
}
