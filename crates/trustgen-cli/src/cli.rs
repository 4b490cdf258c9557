//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Evaluate how trustworthy generative models are.
#[derive(Debug, Parser)]
#[command(name = "trustgen", version, about, long_about = None)]
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
    /// List and inspect plugins.
    Plugins {
        #[command(subcommand)]
        command: PluginsCommand,
    },
    /// Check a suite file: syntax, keys, and every named plugin, task and model type.
    Validate {
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
