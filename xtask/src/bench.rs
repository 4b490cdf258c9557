//! `cargo xtask bench`: throughput of a whole run against the test server,
//! and the speed of the embedded model.
//!
//! The run benchmark starts the release `trustgen-testserver` as its own
//! process with a fixed latency L, runs N cases of the test plugin `testdim`
//! through the release `trustgen` binary at concurrency C (one target request
//! per case: the server answers with digits, so no judge is asked), and
//! prints the wall time, the physical limit N·L/C, their ratio, requests per
//! second and the peak resident memory of `trustgen`. A raw reqwest client
//! firing the same number of requests at the same server and concurrency is
//! measured in the same run as the baseline.
//!
//! `--vlm` measures instead whether a VLM run holds its images in memory: the
//! test plugin's `photo` task attaches one distinct image per case (a square
//! of `--side` pixels, stored uncompressed: 3·side² bytes each), the `vlm`
//! target on the test server gets each as a data URL, and the peak resident
//! memory of `trustgen run` is compared at 100 and 1,000 cases (and of
//! `trustgen report` on the larger run, whose explorer embeds thumbnails).
//! A task is built window by window (the engine's `BUILD_WINDOW` items) and a request loads its
//! images only once it may be sent, so the peak should not grow with the cases beyond what the
//! cases themselves cost (the control); holding every image would add 10 times the image bytes.
//! `--side 2` is the control (images of a few bytes: what the cases alone
//! cost); `--debug` uses the debug build (peak memory only, wall times are
//! not comparable).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::{project_root, target_dir};

struct Options {
    cases: usize,
    latency_ms: u64,
    concurrency: usize,
    embedded: bool,
    run: bool,
    vlm: bool,
    side: u32,
    release: bool,
}

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let mut options = Options {
        cases: 10_000,
        latency_ms: 50,
        concurrency: 256,
        embedded: false,
        run: true,
        vlm: false,
        side: 128,
        release: true,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().context("a value after the flag");
        match arg.as_str() {
            "-n" | "--cases" => options.cases = value()?.parse().context("--cases")?,
            "-l" | "--latency-ms" => options.latency_ms = value()?.parse().context("--latency-ms")?,
            "-c" | "--concurrency" => options.concurrency = value()?.parse().context("--concurrency")?,
            "--embedded" => options.embedded = true,
            "--embedded-only" => {
                options.embedded = true;
                options.run = false;
            }
            "--vlm" => {
                options.vlm = true;
                options.run = false;
            }
            "--side" => options.side = value()?.parse().context("--side")?,
            "--debug" => options.release = false,
            other => bail!(
                "unknown argument `{other}`; usage: cargo xtask bench [-n CASES] [-l LATENCY_MS] [-c CONCURRENCY] [--embedded | --embedded-only | --vlm [--side PIXELS] [--debug]]"
            ),
        }
    }
    if options.run {
        bench_run(&options)?;
    }
    if options.vlm {
        bench_vlm(&options)?;
    }
    if options.embedded {
        bench_embedded()?;
    }
    Ok(())
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(project_root());
    cmd
}

fn check(mut cmd: Command, what: &str) -> anyhow::Result<()> {
    let status = cmd.status().with_context(|| format!("starting {what}"))?;
    if !status.success() {
        bail!("{what} failed");
    }
    Ok(())
}

/// Kills the child when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(latency_ms: u64, script: &Path) -> anyhow::Result<(Guard, String)> {
    start_server_of("release", latency_ms, script)
}

/// The test server of the `profile` build (`release`, `debug`).
fn start_server_of(profile: &str, latency_ms: u64, script: &Path) -> anyhow::Result<(Guard, String)> {
    let bin = target_dir().join(profile).join("trustgen-testserver");
    let mut child = Command::new(&bin)
        .args(["--latency-ms", &latency_ms.to_string(), "--workers", "2", "--script"])
        .arg(script)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let stdout = child.stdout.take().context("server stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).context("reading the server's address")?;
    let base = line.trim().to_string();
    if !base.starts_with("http") {
        bail!("the test server printed `{base}` instead of its URL");
    }
    Ok((Guard(child), base))
}

/// Peak resident set size (VmHWM) of a running process, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn server_total(base: &str) -> anyhow::Result<u64> {
    // A tiny HTTP/1.1 GET without a client library.
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).context("connecting to the test server")?;
    write!(stream, "GET /__admin/stats HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let body = response.split("\r\n\r\n").nth(1).context("an HTTP body")?;
    let stats: serde_json::Value = serde_json::from_str(body).context("the stats JSON")?;
    stats["total"].as_u64().context("stats.total")
}

fn bench_run(options: &Options) -> anyhow::Result<()> {
    let Options { cases, latency_ms, concurrency, .. } = *options;
    println!("building release binaries (trustgen, trustgen-testserver, the testdim plugin, the baseline client)...");
    let mut build = cargo();
    build.args(["build", "--release", "--quiet", "-p", "trustgen-cli", "-p", "trustgen-testserver"]);
    check(build, "cargo build --release")?;
    let mut example = cargo();
    example.args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "trustgen-providers",
        "--no-default-features",
        "--example",
        "throughput",
    ]);
    check(example, "building the baseline client")?;
    let plugin = crate::dist::build_cdylib("trustgen-test-plugin", true, &[])?;

    let work = tempfile::tempdir().context("a temporary directory")?;
    let plugins = work.path().join("plugins");
    std::fs::create_dir(&plugins)?;
    std::fs::copy(&plugin, plugins.join(plugin.file_name().context("a library name")?))?;
    // testdim asks "What is a + b? Reply with the number."; answering with
    // digits means the rule scores it and no judge request is needed.
    let script = work.path().join("script.toml");
    std::fs::write(
        &script,
        "[[rule]]\nname = \"sum\"\nmatch = { last_user_contains = \"Reply with the number\" }\nreply = \"{{n:0-1998}}\"\n",
    )?;

    // Baseline: a bare reqwest client, same server, same N and C.
    let (server, base) = start_server(latency_ms, &script)?;
    let throughput = target_dir().join("release/examples/throughput");
    let output = Command::new(&throughput)
        .args(["--requests", &cases.to_string(), "--concurrency", &concurrency.to_string(), "--latency-ms"])
        .arg(latency_ms.to_string())
        .args(["--addr", base.trim_start_matches("http://"), "--phases", "raw"])
        .output()
        .with_context(|| format!("running {}", throughput.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let baseline_wall = text
        .lines()
        .find(|l| l.starts_with("raw reqwest"))
        .and_then(|l| l.split_whitespace().find_map(|w| w.strip_suffix("s_wall").and_then(|v| v.parse::<f64>().ok())))
        .with_context(|| format!("the baseline client's output had no `raw reqwest` line:\n{text}"))?;
    drop(server);

    // The run.
    let (_server, base) = start_server(latency_ms, &script)?;
    let suite = work.path().join("bench.toml");
    std::fs::write(
        &suite,
        format!(
            r#"[run]
name = "bench"
seed = 1
concurrency = {concurrency}
output_dir = "{out}"

[plugins]
dirs = ["{plugins}"]

[models.target]
provider = "openai"
model = "bench-model"
base_url = "{base}/v1"
max_tokens = 8

[[dimension]]
plugin = "testdim"
limit = {cases}
"#,
            out = work.path().join("runs").display(),
            plugins = plugins.display(),
        ),
    )?;
    let before = server_total(&base)?;
    let bin = target_dir().join("release/trustgen");
    let start = Instant::now();
    let mut child = Command::new(&bin)
        .args(["--quiet", "run", "--trust-plugins", "--no-report", "--cache"])
        .arg(work.path().join("cache.sqlite"))
        .arg(&suite)
        .env("TRUSTGEN_CACHE_DIR", work.path().join("cache"))
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = peak_rss_kib(pid) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let wall = start.elapsed().as_secs_f64();
    if !status.success() {
        bail!("the benchmark run failed");
    }
    let requests = server_total(&base)? - before;
    let limit = cases as f64 * latency_ms as f64 / 1000.0 / concurrency as f64;
    println!();
    println!("run: N = {cases} cases, L = {latency_ms} ms, C = {concurrency} (release build, cold cache)");
    println!("  wall time              {wall:>8.2} s");
    println!("  physical limit N·L/C   {limit:>8.2} s");
    println!("  ratio wall / limit     {:>8.2}", wall / limit);
    println!("  baseline (raw reqwest) {baseline_wall:>8.2} s   ratio run / baseline {:>5.2}", wall / baseline_wall);
    println!("  requests sent          {requests:>8}");
    println!("  requests per second    {:>8.0}", requests as f64 / wall);
    println!("  peak RSS of trustgen   {:>8.1} MB", peak as f64 / 1024.0);
    Ok(())
}

/// Runs `cmd` to its end, polling its peak resident memory; returns the peak (KiB) and the wall time.
fn peak_of(mut cmd: Command, what: &str) -> anyhow::Result<(u64, f64)> {
    let start = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("starting {what}"))?;
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = peak_rss_kib(pid) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok((peak, start.elapsed().as_secs_f64()))
}

/// Bytes of the files in `dir` (0 when it does not exist).
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(Result::ok).filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

fn bench_vlm(options: &Options) -> anyhow::Result<()> {
    let Options { latency_ms, concurrency, side, release, .. } = *options;
    let profile = if release { "release" } else { "debug" };
    println!("building {profile} binaries (trustgen, trustgen-testserver, the testdim plugin)...");
    let mut build = cargo();
    build.args(["build", "--quiet", "-p", "trustgen-cli", "-p", "trustgen-testserver"]);
    if release {
        build.arg("--release");
    }
    check(build, "cargo build")?;
    let plugin = crate::dist::build_cdylib("trustgen-test-plugin", release, &[])?;
    let work = tempfile::tempdir().context("a temporary directory")?;
    let plugins = work.path().join("plugins");
    std::fs::create_dir(&plugins)?;
    std::fs::copy(&plugin, plugins.join(plugin.file_name().context("a library name")?))?;
    let script = work.path().join("script.toml");
    std::fs::write(
        &script,
        "[[rule]]\nname = \"colour\"\nmatch = { last_user_contains = \"What colour\" }\nreply = \"red\"\n",
    )?;
    let (_server, base) = start_server_of(profile, latency_ms, &script)?;
    let bin = target_dir().join(profile).join("trustgen");
    let image_kib = (u64::from(side) * u64::from(side) * 3) / 1024;
    println!();
    println!(
        "vlm: testdim/photo, one distinct {side}x{side} PNG per case (~{image_kib} KiB), L = {latency_ms} ms, C = {concurrency} ({profile} build)"
    );
    let mut peaks = Vec::new();
    for cases in [100usize, 1000] {
        let out = work.path().join(format!("runs-{cases}"));
        let suite = work.path().join(format!("vlm-{cases}.toml"));
        std::fs::write(
            &suite,
            format!(
                r#"[run]
name = "bench-vlm"
seed = 1
concurrency = {concurrency}
output_dir = "{out}"

[plugins]
dirs = ["{plugins}"]

[models.target]
type = "vlm"
provider = "openai"
model = "bench-vision"
base_url = "{base}/v1"
max_tokens = 8

[[dimension]]
plugin = "testdim"
tasks = ["photo"]
limit = {cases}
options = {{ side = {side} }}
"#,
                out = out.display(),
                plugins = plugins.display(),
            ),
        )?;
        let mut cmd = Command::new(&bin);
        cmd.args(["--quiet", "run", "--trust-plugins", "--no-report", "--no-cache"])
            .arg(&suite)
            .env("TRUSTGEN_CACHE_DIR", work.path().join("cache"));
        let (peak, wall) = peak_of(cmd, "the vlm benchmark run")?;
        let run_dir = std::fs::read_dir(&out)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.is_dir())
            .with_context(|| format!("no run directory under {}", out.display()))?;
        let stored = dir_bytes(&run_dir.join("images"));
        println!(
            "  {cases:>5} cases: peak RSS of trustgen run {:>7.1} MB; images stored {:>7.1} MB; wall {wall:>6.2} s",
            peak as f64 / 1024.0,
            stored as f64 / (1024.0 * 1024.0)
        );
        peaks.push((peak, stored, run_dir, wall));
    }
    let (small, large) = (&peaks[0], &peaks[1]);
    println!(
        "  ratio 1,000 / 100 cases: peak RSS {:.2}x ({:+.1} MB) for {:.1}x the image bytes; wall {:.2}x",
        large.0 as f64 / small.0 as f64,
        (large.0 as f64 - small.0 as f64) / 1024.0,
        large.1 as f64 / small.1 as f64,
        large.3 / small.3
    );
    let mut report = Command::new(&bin);
    report.args(["--quiet", "report"]).arg(&large.2).arg("--out").arg(work.path().join("report"));
    let (peak, wall) = peak_of(report, "trustgen report on the 1,000-case run")?;
    let html = work.path().join("report/report.html");
    let size = std::fs::metadata(&html).map(|m| m.len()).unwrap_or(0);
    println!(
        "  trustgen report on the 1,000-case run: peak RSS {:.1} MB, report.html {:.1} MB, wall {wall:.2} s",
        peak as f64 / 1024.0,
        size as f64 / (1024.0 * 1024.0)
    );
    Ok(())
}

fn bench_embedded() -> anyhow::Result<()> {
    println!("\nembedded models (release, see crates/trustgen-embedded/examples/bench.rs):");
    let mut cmd = cargo();
    cmd.args(["run", "--release", "--quiet", "-p", "trustgen-embedded", "--example", "bench", "--", "3"]);
    check(cmd, "the embedded benchmark")
}
