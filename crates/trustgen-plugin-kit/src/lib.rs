//! Everything a trustgen dimension plugin needs beside `trustgen-plugin-api`.
//!
//! A dimension plugin builds test cases from data rows and generator replies, and scores the
//! target's answers with rules or LLM judges. The parts of that work that are the same in every
//! plugin live here, once; trustgen's own plugins (`plugins/trustgen-dim-*`) use exactly this
//! crate, so a third-party plugin reaches the same grading features:
//!
//! - [`plugin`]: the task dispatcher ([`Tasks`] of [`Task`]s: name, builder, scorer; an unknown
//!   task is an error with a did-you-mean) and the plugin's identity ([`Plugin`]): case ids,
//!   unknown-task errors, options.
//! - [`rows`]: the data sources a task declares ([`Source`]) and reading fields out of their rows,
//!   with [`Skipped`](trustgen_plugin_api::Skipped) entries that name the file and the row.
//! - [`sample`]: seeded, balanced orders (strata take turns).
//! - [`prompt`]: versioned builder prompt templates ([`PromptSet`] of [`BuilderPrompt`]s: TOML,
//!   `{{variable}}` placeholders, strict rendering) and the generator requests made from them.
//! - [`reply`]: checking a generator's reply (status, JSON objects, keys, lists, text fields,
//!   item by item).
//! - [`outcome`]: what the target produced for a prompt ([`Outcome`]: text, filtered, missing)
//!   and the verdict of a content-filter block.
//! - [`draw`]: images drawn by the run's image generator while a VLM task builds, and the
//!   skipped entry of a task that needs one when the suite has none.
//! - [`case`]: building case metadata, and reading a built case back while scoring.
//! - [`grade`]: grading an answer against a ground truth by rule ([`grade::Rules`]), the
//!   [`grade::Graded`] answer and its verdict, and the judge templates.
//! - [`judges`] (the `trustgen-judges` crate, re-exported): answer extraction, the refusal
//!   detector, the toxicity classifier, and the versioned LLM judge templates
//!   ([`judges::llm_judge`]) with their tolerant reply parser. Judge and builder templates share
//!   one renderer ([`judges::render`]).
//! - [`spec`]: the manifest's data sources and metrics.
//! - [`window`]: windowed builds (a builder that attaches images builds only the window of items
//!   the host asks for, so a run holds one window of images at a time).
//! - `testing` (cargo feature `testing`): the test harness that drives `build` and `score` with
//!   recorded replies through [`trustgen_plugin_api::step::drive`], the inputs and outputs it
//!   feeds them, the manifest conventions every plugin checks, and one-line renderings for
//!   snapshots.
//!
//! Everything here is pure, like the plugins themselves: no I/O, no threads, no clocks, and every
//! random choice comes from a [`SeededRng`](trustgen_plugin_api::SeededRng) the caller passes in.
//! What differs between plugins (task logic, target prompts, policies, the wording of their own
//! checks) stays in the plugins; where a shared helper's message names the plugin, the plugin
//! passes its name through [`Plugin`], and where plugins have always recorded different words for
//! the same condition (they are part of recorded runs and snapshots), the kit offers both, named.
//!
//! # Stability
//!
//! This crate is a published 1.x companion of `trustgen-plugin-api`: it changes only compatibly
//! within 1.x, and the recorded wording of its verdicts, judge names and errors changes only
//! with a new template or judge version.

#![deny(missing_docs)]

pub use trustgen_judges as judges;

pub mod case;
pub mod converse;
pub mod draw;
pub mod grade;
pub mod outcome;
pub mod plugin;
pub mod prompt;
pub mod reply;
pub mod rows;
pub mod sample;
pub mod spec;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod window;

pub use outcome::{Blocked, Missing, Outcome};
pub use plugin::{BuildFn, NEEDS_GENERATOR, Plugin, ScoreFn, Task, Tasks};
pub use prompt::{BuilderPrompt, PromptError, PromptSet};
pub use rows::Source;
