//! `cargo xtask ci`: every check CI runs, in order, each under a timed header, then a table of the
//! step times. `.ci/run` installs the system packages (Chromium) and calls this.
//!
//! Steps: fmt, the embedded models, `cargo test --workspace` (the README's test command), clippy,
//! the HTML report in headless Chromium (the fixture's, the data-origin badges of the quick
//! suite's tasks run against the test server, and the image thumbnails of a small VLM run), `cargo xtask features`, `cargo xtask import-data --check`,
//! cargo-deny (installed when missing), the plugin API's semver check. The first failing step stops
//! the run. All steps share one model and request cache, `target/ci-cache`.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

use crate::{project_root, target_dir};

/// The cargo-deny release CI installs when `cargo deny` is missing.
pub(crate) const CARGO_DENY: &str = "cargo-deny@0.20.2";

/// A CI step: its name and what it runs.
type Step = (&'static str, fn(&Path) -> anyhow::Result<()>);

const STEPS: &[Step] = &[
    ("cargo fmt --check", fmt),
    ("fetch the embedded models and the OCR model (trustgen models pull)", models),
    ("cargo test --workspace (the README's test command)", test),
    ("cargo clippy --workspace --all-targets -- -D warnings", clippy),
    ("the HTML report in headless Chromium", browser),
    ("cargo xtask features", |_| crate::features::run()),
    ("cargo xtask import-data --check", |_| crate::import_data::run(&["--check".to_string()])),
    ("cargo deny check licenses bans sources", deny),
    ("the plugin API's public shape against its 1.x baseline", |_| crate::api::run(&[])),
];

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    if let Some(arg) = args.first() {
        bail!("unknown argument `{arg}`; usage: cargo xtask ci");
    }
    let cache = target_dir().join("ci-cache");
    std::fs::create_dir_all(&cache).with_context(|| format!("creating {}", cache.display()))?;
    let started = Instant::now();
    let mut times = Vec::new();
    let mut failure = None;
    for (i, (name, step)) in STEPS.iter().enumerate() {
        println!("\n==> [{}/{}] {name} (at {:.0} s)", i + 1, STEPS.len(), started.elapsed().as_secs_f64());
        let step_started = Instant::now();
        let result = step(&cache);
        let seconds = step_started.elapsed().as_secs_f64();
        times.push((*name, seconds));
        if let Err(error) = result {
            failure = Some(error.context(format!("ci step `{name}` failed")));
            break;
        }
    }
    println!("\n==> step times");
    for (name, seconds) in &times {
        println!("  {seconds:>7.1} s  {name}");
    }
    println!("  {:>7.1} s  total", started.elapsed().as_secs_f64());
    match failure {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// A command run from the workspace root with the CI cache.
fn command(program: impl AsRef<std::ffi::OsStr>, cache: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(project_root()).env("TRUSTGEN_CACHE_DIR", cache).env("CARGO_TERM_COLOR", "never");
    cmd
}

fn cargo(cache: &Path) -> Command {
    command(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()), cache)
}

fn status(mut cmd: Command) -> anyhow::Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd.status().with_context(|| format!("starting {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

fn fmt(cache: &Path) -> anyhow::Result<()> {
    let mut cmd = cargo(cache);
    cmd.args(["fmt", "--all", "--check"]);
    status(cmd)
}

fn models(cache: &Path) -> anyhow::Result<()> {
    let mut cmd = cargo(cache);
    cmd.args(["run", "--quiet", "-p", "trustgen-cli", "--", "models", "pull"]).args(crate::setup::MODELS);
    status(cmd)
}

fn test(cache: &Path) -> anyhow::Result<()> {
    let mut cmd = cargo(cache);
    cmd.args(["test", "--workspace"]);
    status(cmd)
}

fn clippy(cache: &Path) -> anyhow::Result<()> {
    let mut cmd = cargo(cache);
    cmd.args(["clippy", "--workspace", "--all-targets", "--quiet", "--", "-D", "warnings"]);
    status(cmd)
}

fn browser(cache: &Path) -> anyhow::Result<()> {
    let browser = project_root().join("crates/trustgen-report/browser");
    let mut npm = command("npm", cache);
    npm.current_dir(&browser).args(["ci", "--no-audit", "--no-fund", "--silent"]);
    status(npm)?;
    let out = target_dir().join("report-fixture");
    let mut fixture = cargo(cache);
    fixture.args(["run", "--quiet", "-p", "trustgen-report", "--example", "fixture_report", "--"]).arg(&out);
    status(fixture)?;
    let mut node = command("node", cache);
    node.arg(browser.join("check_report.mjs")).arg(out.join("report/report.html"));
    status(node)?;
    // The quick suite's own report: every task shows its data origin, and the quick suite has
    // both public and authored tasks, so both badges must be visible. Its tasks, cases and data
    // are the quick suite's; its target is the project's test server instead of the embedded
    // model, which takes about 9 minutes for the 122 cases in a debug build (CI stays under 30).
    let quick = target_dir().join("ci-quick");
    if quick.exists() {
        std::fs::remove_dir_all(&quick).with_context(|| format!("removing {}", quick.display()))?;
    }
    std::fs::create_dir_all(&quick).with_context(|| format!("creating {}", quick.display()))?;
    let mut build = cargo(cache);
    build.args(["build", "--quiet", "-p", "trustgen-testserver", "-p", "trustgen-cli"]);
    status(build)?;
    let mut server = Command::new(target_dir().join("debug/trustgen-testserver"))
        .arg("--port")
        .arg("0")
        .arg("--script")
        .arg(project_root().join("suites/testserver/script.toml"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("starting trustgen-testserver")?;
    let url = {
        use std::io::BufRead;
        let mut line = String::new();
        let stdout = server.stdout.take().context("the test server's stdout")?;
        std::io::BufReader::new(stdout).read_line(&mut line).context("reading the test server's URL")?;
        line.trim().to_string()
    };
    let suite_path = quick.join("quick-on-testserver.toml");
    let text =
        std::fs::read_to_string(project_root().join("suites/quick.toml")).context("reading suites/quick.toml")?;
    let embedded = "provider = \"embedded\"\nmodel = \"smollm2-135m-instruct\"";
    if !text.contains(embedded) || !url.starts_with("http://") {
        let _ = server.kill();
        bail!("suites/quick.toml's target is no longer `{embedded}`, or the test server printed `{url}`");
    }
    let text = text
        .replace(embedded, &format!("provider = \"openai\"\nmodel = \"tg-target\"\nbase_url = \"{url}/v1\""))
        .replacen("[run]\n", &format!("[run]\ndata_dir = {:?}\n", project_root().join("suites/data")), 1);
    std::fs::write(&suite_path, text).with_context(|| format!("writing {}", suite_path.display()))?;
    let mut run = Command::new(target_dir().join("debug/trustgen"));
    // Run from the empty directory (its `runs/` then holds this run only).
    run.args(["run", "--no-cache"]).arg(&suite_path).current_dir(&quick).env("TRUSTGEN_PROGRESS_INTERVAL", "60s");
    let ran = status(run).and_then(|()| vlm_run(&url, &quick));
    let _ = server.kill();
    let _ = server.wait();
    let vlm_report = ran?;
    let runs = quick.join("runs");
    let run_dir = std::fs::read_dir(&runs)
        .with_context(|| format!("reading {}", runs.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.is_dir())
        .with_context(|| format!("the quick suite wrote no run under {}", runs.display()))?;
    let mut node = command("node", cache);
    node.arg(browser.join("check_report.mjs")).arg(run_dir.join("report.html")).args([
        "--generic",
        "--origins",
        "public,authored",
    ]);
    status(node)?;
    // A VLM run's report: the case explorer's thumbnails render.
    let mut node = command("node", cache);
    node.arg(browser.join("check_report.mjs")).arg(vlm_report).args(["--generic", "--thumbnails"]);
    status(node)
}

/// Runs the test plugin's `picture` task (images drawn at build time) on a `vlm` target at the test
/// server `url`, in `work/vlm`, and returns its `report.html`.
fn vlm_run(url: &str, work: &Path) -> anyhow::Result<std::path::PathBuf> {
    let dir = work.join("vlm");
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins).with_context(|| format!("creating {}", plugins.display()))?;
    let plugin = crate::dist::build_cdylib("trustgen-test-plugin", false, &[])?;
    std::fs::copy(&plugin, plugins.join(plugin.file_name().context("a library name")?))
        .with_context(|| format!("copying {}", plugin.display()))?;
    let suite = dir.join("vlm.toml");
    std::fs::write(
        &suite,
        format!(
            "[run]\nname = \"ci-vlm\"\nseed = 1\n\n[plugins]\ndirs = [{plugins:?}]\n\n[models.target]\ntype = \"vlm\"\n\
             provider = \"openai\"\nmodel = \"tg-vision\"\nbase_url = \"{url}/v1\"\n\n[[dimension]]\nplugin = \"testdim\"\n\
             tasks = [\"picture\", \"photo\"]\nlimit = 4\n"
        ),
    )
    .with_context(|| format!("writing {}", suite.display()))?;
    let mut run = Command::new(target_dir().join("debug/trustgen"));
    run.args(["--quiet", "run", "--no-cache", "--trust-plugins"]).arg(&suite).current_dir(&dir);
    status(run)?;
    let runs = dir.join("runs");
    let run_dir = std::fs::read_dir(&runs)
        .with_context(|| format!("reading {}", runs.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.is_dir())
        .with_context(|| format!("the vlm suite wrote no run under {}", runs.display()))?;
    Ok(run_dir.join("report.html"))
}

/// Installs `tool` (`cargo-deny@X`) with `cargo install --locked` unless `cargo <subcommand>` runs.
pub(crate) fn ensure_cargo_tool(subcommand: &str, tool: &str, cache: &Path) -> anyhow::Result<()> {
    let mut probe = cargo(cache);
    probe.args([subcommand, "--version"]);
    if probe.output().is_ok_and(|o| o.status.success()) {
        return Ok(());
    }
    println!("installing {tool} (cargo install --locked {tool})");
    let started = Instant::now();
    let mut install = cargo(cache);
    // Its own target directory, not the workspace's.
    install.env_remove("CARGO_TARGET_DIR").args(["install", "--locked", tool]);
    status(install)?;
    println!("installed {tool} in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn deny(cache: &Path) -> anyhow::Result<()> {
    ensure_cargo_tool("deny", CARGO_DENY, cache)?;
    let mut cmd = cargo(cache);
    cmd.args(["deny", "--all-features", "check", "licenses", "bans", "sources"]);
    status(cmd)
}
