//! `cargo xtask`: the project's only automation entry point.
//!
//! Run `cargo xtask help` for the list of tasks.

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    match task {
        "help" | "--help" | "-h" => {
            println!("{HELP}");
            Ok(())
        }
        other => anyhow::bail!("unknown task `{other}`\n\n{HELP}"),
    }
}

const HELP: &str = "\
cargo xtask <task>

tasks:
  help      show this list";
