//! The binary itself: `--version` names the commit it was built from, and the product build does
//! not carry the test server (`serve-test` needs the `testserver` feature).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::{root, run, trustgen};

#[test]
fn version_names_the_built_commit() {
    let (code, stdout, stderr) = run(trustgen().arg("--version"));
    assert_eq!(code, 0, "{stderr}");
    let line = stdout.trim();
    let rest = line
        .strip_prefix(&format!("trustgen {} (", env!("CARGO_PKG_VERSION")))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("`trustgen --version` printed `{line}`"));
    let head = Command::new("git").current_dir(root()).args(["rev-parse", "--short=10", "HEAD"]).output();
    match head {
        Ok(out) if out.status.success() => {
            let head = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let commit = rest.strip_suffix("-dirty").unwrap_or(rest);
            assert_eq!(commit, head, "the binary says it was built from another commit: `{line}`");
        }
        // No git (or no repository): the build script could not know the commit either.
        _ => assert_eq!(rest, "commit unknown", "`{line}`"),
    }
}

/// `serve-test` exists exactly when the `testserver` feature is on (`cargo xtask features` runs a
/// build with it; `cargo test` builds the default, without).
#[test]
fn serve_test_only_with_the_testserver_feature() {
    if cfg!(feature = "testserver") {
        let mut child = trustgen()
            .args(["serve-test", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("trustgen starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(line.starts_with("http://127.0.0.1:"), "serve-test printed `{line}`");
    } else {
        let (code, _stdout, stderr) = run(trustgen().args(["serve-test", "--port", "0"]));
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("unrecognized subcommand 'serve-test'"), "{stderr}");
    }
}
