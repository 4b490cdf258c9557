//! Writes the browser fixture (two runs with hostile outputs and their
//! report) under the directory given, and prints the path of `report.html`:
//! `cargo run -p trustgen-report --example fixture_report -- OUT_DIR`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        return Err("usage: fixture_report OUT_DIR".into());
    };
    let html = trustgen_report::write_fixture_report(&dir)?;
    println!("{}", html.display());
    Ok(())
}
