//! The plugin crates linked into this binary, one line per cargo feature.
//!
//! A crate that nothing names is not linked, and its `inventory`
//! registration silently disappears; naming it here keeps it. `cargo xtask
//! tidy` checks that every crate under `plugins/` has a feature and a line.
