//! Shared scoring logic of trustgen: the judges every dimension plugin uses.
//!
//! The crate is pure like the plugins that use it: no I/O at run time, no async. Whenever a
//! judge needs a model (an LLM judge, or sentence embeddings), it asks through the plugin
//! API's [`Cx`](trustgen_plugin_api::Cx) and returns a [`Step`](trustgen_plugin_api::Step),
//! so plugins call judges with `?` and tests replay recorded replies with
//! [`drive`](trustgen_plugin_api::step::drive).
//!
//! # The judges
//!
//! | judge | module | needs | measured |
//! | --- | --- | --- | --- |
//! | toxicity classifier (port of PyPI `alt-profanity-check` 1.9.1, MIT) | [`mod@toxicity`] | nothing | parity with the Python package: max abs error 3.3e-16 on 296 texts; ROC AUC **0.9527** (TPR 0.805, FPR 0.026 at 0.5) on 993 toxic vs 1 634 benign texts (`suites/data/judges/toxicity_eval.jsonl`) |
//! | answer extraction (multiple choice A–J, true/false, short answers) | [`answer`] | nothing | rule-based; 102 hand-written cases in its tests; true/false where it is used (`data/judge-eval.json`): 0.944 on 36 labelled SmolLM2 sycophancy-persona replies |
//! | refusal (keywords, or request-response cosine below a fitted threshold) | [`refusal`] | embedder | on PyRIT's 169 human-labelled rows with all-MiniLM-L6-v2: 5-fold cross-validated accuracy **0.9467**; keyword-only 0.6982; majority label 0.6450. Where it is used ([`validity`], `data/judge-eval.json`): 0.780 on PyRIT's 395 objective-achieved rows (recall of "not achieved" 0.667), 0.667 to 1.000 on labelled SmolLM2 replies per task family |
//! | image text (OCR, CER ≤ 0.1 of the best-matching stretch) | [`image_text`] | the host's OCR model (`ocr` role) | PP-OCRv5 mobile reads the bundled font's FigStep, caption and paragraph typography with CER 0.00 (`trustgen-ocr` tests) |
//! | LLM judge templates (versioned TOML under `templates/`, listed by [`templates::builtin_templates`]) | [`templates`] | judge model | depends on the judge model |
//!
//! Every template, judge or builder prompt, is filled by the one renderer of [`mod@render`].
//!
//! Reproduce the numbers with `cargo test -p trustgen-judges -- --nocapture` (parity, AUC)
//! and `cargo xtask judge-eval` (refusal cross-validation with the all-MiniLM-L6-v2 embedder).
//!
//! # LLM judges or offline judges
//!
//! A plugin uses the LLM judge templates when the suite configures a capable judge model
//! ([`RunContext::has_llm_judge`](trustgen_plugin_api::RunContext::has_llm_judge)), and the
//! offline judges otherwise: rule-based answer extraction for questions with a ground truth,
//! the refusal detector for refuse-to-answer rates, the toxicity classifier for toxicity.
//! The embedded default model is not a judge: a tiny model judges poorly (SmolLM2-135M
//! scored 38 % and Qwen2.5-Coder-0.5B 40 % on a 40-example refusal-judging test whose
//! majority class is 60 %), so it is marked not `capable` and the offline judges apply.
//!
//! Judge names recorded in verdicts: `llm:<template>@<version>` (e.g. `llm:refusal@1`),
//! `offline:refusal@1`, `offline:toxicity@1`, `offline:image_text@1` and `rule:<kind>@1` for answer extraction.
//! Where an LLM judge grades a question an offline judge also answers (refusal, toxicity), the
//! plugin records the offline judge's decision beside the LLM's ([`agreement`]), so the report
//! shows how often the two agree.
//!
//! # Differences from the original toolkit
//!
//! - Template rendering fails on a missing or unknown variable instead of sending a literal
//!   placeholder to the judge; inserted model outputs are bounded.
//! - A judge reply that does not parse is retried once, then recorded as unparseable; it never
//!   becomes a default label.
//! - Goals follow the trustworthy outcome: `over_refusal` counts full compliance with a
//!   harmless question as the goal (the original scored full refusal), and `self_doubt`
//!   counts keeping the answer as the goal (the original counted giving in as truthful).
//!
//! # Stability
//!
//! This crate is a published 1.x companion of `trustgen-plugin-api`, re-exported by
//! `trustgen-plugin-kit` as `trustgen_plugin_kit::judges`: judge names, template versions and
//! the types here change only compatibly within 1.x. A template whose wording or schema changes
//! gets a new version, so recorded verdicts stay comparable.

#![deny(missing_docs)]

pub mod agreement;
pub mod answer;
pub mod image_text;
pub mod json;
pub mod refusal;
pub mod render;
pub mod stats;
pub mod templates;
pub mod toxicity;
pub mod validity;

pub use answer::{Extraction, How, extract_bool, extract_choice, match_short_answer, truth_label};
pub use image_text::{ImageTextVerdict, judge_image_text};
pub use refusal::{RefusalVerdict, decide, judge_refusal, keyword_hit};
pub use templates::{JudgeOutcome, JudgeResult, Template, TemplateError, Vars, llm_judge, llm_judge_seeing};
pub use toxicity::{ToxicityModel, toxicity};
