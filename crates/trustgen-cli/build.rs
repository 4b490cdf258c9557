//! Sets `TRUSTGEN_COMMIT` (the git commit of the build, see src/build_commit.rs) for
//! `trustgen --version`.

#[path = "src/build_commit.rs"]
mod build_commit;

use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = dir.join("../..");
    let sources: Vec<PathBuf> =
        ["crates", "plugins", "Cargo.toml", "Cargo.lock", ".cargo"].iter().map(|p| root.join(p)).collect();
    println!("cargo:rustc-env=TRUSTGEN_COMMIT={}", build_commit::describe("git", &dir));
    println!("cargo:rerun-if-changed=build.rs");
    for path in build_commit::watched("git", &dir, &sources) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
