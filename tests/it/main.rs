//! The integration tests of trustgen: one binary, one module per feature.
//!
//! They run the real `trustgen` binary, load real plugin libraries built on
//! the fly, and talk real HTTP to the project's own test server on loopback.

mod cli;
mod embedded;
mod engine;
mod limits;
mod plugins;
mod readme;
mod report;
mod repro;
mod scoring;
mod secrets;
mod store;
mod suites;
mod support;
mod validate;
mod vlm;
mod vlm_coco_vqav2;
mod vlm_fpe;
mod vlm_safety;
mod vlm_truth_robust;
