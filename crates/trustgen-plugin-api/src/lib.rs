//! The stable plugin interface of trustgen.
//!
//! trustgen measures how trustworthy generative models are. Its dimensions
//! (safety, truthfulness, ...) and model types (LLM, VLM, T2I) are plugins.
//! This crate is everything a plugin author needs, and the only crate a
//! plugin depends on:
//!
//! - [`schema`]: the data that crosses the boundary (manifest, task spec,
//!   test case, model request and reply, verdict, metric), as serde types;
//! - [`step`]: the step protocol, by which a pure plugin asks for model calls,
//!   and its one driver, [`step::Session`], which hosts and tests use;
//! - [`sdk`]: the [`Dimension`] and [`ModelType`] traits and the one macro,
//!   [`export_plugin!`], that exports a plugin both linked and dynamic;
//! - [`options`]: checking a suite's options table against the manifest's schema;
//! - [`abi`]: the frozen binary interface (host side only);
//! - [`rng`]: the seeded generator every random choice comes from.
//!
//! # Plugins are pure
//!
//! A plugin never does I/O, never awaits, never sleeps. When it needs a model
//! (a generator to write a case, the target to answer, a judge to grade), it
//! *asks* through its [`Cx`] and returns; the engine runs the requests
//! concurrently, with caching and retries, and calls the method again with the
//! replies. A method reads like straight-line code: `cx.ask(..)?` either gives
//! the reply or stops the method until the reply is there.
//!
//! Always propagate with `?`: a method that swallows the stop (`.ok()`,
//! `unwrap_or_default()`) and returns a result anyway is rejected, and so is
//! one that asks different requests on different calls (every reply carries
//! the [`RequestKey`] of the request it answers). See [`step`].
//!
//! # A complete plugin
//!
//! ```
//! # #![allow(unexpected_cfgs)]
//! use trustgen_plugin_api::{
//!     BuildInput, BuildOutput, Cx, Dimension, GenParams, Manifest, MetricSpec, ModelRequest,
//!     ModelRole, Prompt, ScoreInput, Step, TaskSpec, TestCase, Verdict, VerdictStatus,
//! };
//!
//! #[derive(Default)]
//! struct Capitals;
//!
//! impl Dimension for Capitals {
//!     fn manifest(&self) -> Manifest {
//!         let metric = MetricSpec::new("accuracy").with_policy("a missing answer counts as wrong");
//!         let task = TaskSpec::new("capitals", metric)
//!             .with_description("Name the capital of a country; graded by a judge model.")
//!             .with_model_types(vec!["llm".into()]);
//!         Manifest::new().with_description("Does the model know capital cities?").with_tasks(vec![task])
//!     }
//!
//!     fn build(&self, _cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
//!         let cases = [("France", "Paris"), ("Japan", "Tokyo")]
//!             .iter()
//!             .enumerate()
//!             .map(|(i, (country, capital))| {
//!                 let prompt = Prompt::user(format!("What is the capital of {country}?"));
//!                 TestCase::new(format!("capitals/{i}"), input.task.clone(), vec![prompt])
//!                     .with_ground_truth(*capital)
//!             })
//!             .collect();
//!         Ok(BuildOutput::new(cases))
//!     }
//!
//!     fn score(&self, cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
//!         let Some(answer) = input.output.main_text() else {
//!             return Ok(Verdict::missing("no answer").with_score(0.0));
//!         };
//!         let truth = input.case.ground_truth.as_deref().unwrap_or_default();
//!         // Ask the judge; the first call stops here until the engine has the reply.
//!         let question = format!("Does `{answer}` name {truth}? Reply yes or no.");
//!         let reply = cx.ask(
//!             ModelRequest::user(ModelRole::Judge, question).with_params(GenParams::greedy()),
//!         )?;
//!         let yes = reply.ok_text().is_some_and(|t| t.trim().to_lowercase().starts_with("yes"));
//!         Ok(Verdict::scored(if yes { 1.0 } else { 0.0 }).with_judge("llm:capitals@1"))
//!     }
//! }
//!
//! // Once per crate: registers the plugin when linked, and exports the
//! // dynamic-library symbols under the crate's `dynamic` feature.
//! trustgen_plugin_api::export_plugin!(name: "capitals", dimension: Capitals);
//!
//! // Testing with recorded replies needs no engine:
//! # fn main() {
//! # use trustgen_plugin_api::{ModelOutput, Answer, ModelReply, step::drive};
//! let case = Capitals.build(&mut Cx::default(), &BuildInput::new("capitals", 7)).unwrap().cases.remove(0);
//! let output = ModelOutput::new(vec![Answer::new("main", vec![ModelReply::text("Paris.")])]);
//! let input = ScoreInput::new(case, output);
//! let (verdict, asked) = drive(
//!     |cx| Capitals.score(cx, &input),
//!     |requests| requests.iter().map(|_| ModelReply::text("Yes")).collect(),
//! )
//! .unwrap();
//! assert_eq!(verdict.status, VerdictStatus::Scored);
//! assert_eq!(verdict.score, Some(1.0));
//! assert_eq!(asked.len(), 1);
//! # }
//! ```
//!
//! # Compatibility
//!
//! This crate is 1.x: the ABI ([`abi`]) is frozen for the whole major
//! version, and the host accepts plugins built against any 1.x. The schema
//! evolves by optional fields, whose serde default always equals the type's
//! `Default`, and by new enum variants: every wire enum is
//! `#[non_exhaustive]` and reads a value it does not know as its `Unknown`
//! variant, so a plugin built against 1.0 keeps running under a 1.1 host that
//! sends a new model role or reply status (match with a `_` arm). The
//! structs a plugin writes are `#[non_exhaustive]`: build them with their
//! `new` constructors (the required fields) and `with_*` setters, so a field
//! added in 1.y does not break a plugin's build.
//!
//! # Features
//!
//! - `schema`: derives `schemars::JsonSchema` for every wire type, for hosts
//!   and tools that publish or check the JSON Schemas (snapshots of them live
//!   in this crate's `schemas/` directory). Plugins do not need it.

#![deny(missing_docs)]

pub mod abi;
pub mod options;
pub mod rng;
pub mod schema;
pub mod sdk;
pub mod step;

#[cfg(test)]
mod abi_tests;

pub use options::OptionProblem;
pub use rng::SeededRng;
pub use schema::*;
pub use sdk::{CallError, CallErrorKind, CallInput, CallOutput, Dimension, LinkedPlugin, ModelType};
pub use step::{Cx, KeyedReply, KeyedRequest, RequestKey, Step, Stop};

/// The version of this crate, which plugins record in their declaration.
pub const API_VERSION: &str = env!("CARGO_PKG_VERSION");
