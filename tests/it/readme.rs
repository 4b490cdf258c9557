//! The README's suite snippets are real: the suite of "Running a suite" and
//! every TOML block of "Evaluating a vision-language model" pass `trustgen
//! validate`, a whole suite as it is, a `[models.target]` table inside a
//! minimal suite.

use crate::support::{run, trustgen};

/// The ```toml blocks of the README section headed `heading`.
fn toml_blocks(heading: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(crate::support::root().join("README.md")).unwrap();
    let start = readme.find(&format!("\n## {heading}\n")).unwrap_or_else(|| panic!("no README section {heading}"));
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in section.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```toml") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), text) => {
                block.push_str(text);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an unclosed ```toml block in README section {heading}");
    blocks
}

#[test]
fn every_vlm_snippet_of_the_readme_validates_as_a_vlm_target() {
    let blocks = toml_blocks("Evaluating a vision-language model");
    assert_eq!(blocks.len(), 7, "a local suite, two more local servers, four providers");
    let dir = suites_dir();
    let mut providers = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        let suite = if block.contains("[run]") {
            block.clone()
        } else {
            format!(
                "[run]\nname = \"readme-{i}\"\nseed = 1\n\n[[dimension]]\nplugin = \"safety\"\nlimit = 1\n\n{block}"
            )
        };
        validates(&dir, &format!("readme-{i}"), &suite);
        // The target table: from its header to the next table.
        let target = &block[block.find("[models.target]").expect("a target table")..];
        let target = &target[..target[1..].find("\n[").map_or(target.len(), |e| e + 1)];
        let value = |key: &str| {
            target.lines().find_map(|l| l.strip_prefix(key)?.trim_start().strip_prefix('=')?.split('"').nth(1))
        };
        assert_eq!(value("type"), Some("vlm"), "README block {}: {target}", i + 1);
        providers.push(value("provider").unwrap().to_owned());
    }
    providers.dedup();
    assert_eq!(providers, ["openai", "azure", "anthropic", "gemini"]);
}

#[test]
fn the_suite_of_running_a_suite_validates() {
    let blocks = toml_blocks("Running a suite");
    assert_eq!(blocks.len(), 1, "my-suite.toml");
    validates(&suites_dir(), "my-suite", &blocks[0]);
}

/// A directory for suites whose data directory is suites/data, as for the
/// suites beside suites/quick.toml.
fn suites_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(crate::support::root().join("suites/data"), dir.path().join("data")).unwrap();
    dir
}

/// Asserts that `suite`, written as `<name>.toml` in `dir`, passes `trustgen validate`.
fn validates(dir: &tempfile::TempDir, name: &str, suite: &str) {
    let path = dir.path().join(format!("{name}.toml"));
    std::fs::write(&path, suite).unwrap();
    // Validation checks that the key variables are set (never their values).
    let mut validate = trustgen();
    for var in ["OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"] {
        validate.env(var, "sk-readme-test");
    }
    let (code, stdout, stderr) = run(validate.arg("validate").arg(&path));
    assert_eq!(code, 0, "README suite {name} does not validate:\n{suite}\n{stdout}{stderr}");
}
