//! Data sources, the lexicon, and the shared step of the perturbed tasks: give each item one
//! seeded perturbation (balanced across the 13), asking the generator where one is used.

use serde_json::{Map, Value, json};
use trustgen_plugin_api::{BuildInput, Cx, SeededRng, Skipped, Step};
use trustgen_plugin_kit::rows;

use crate::PLUGIN;
use crate::perturb::{self, Lexicon, Perturbation, generator};

/// Source names (keys of `BuildInput::data`) and their paths under `suites/data`.
pub mod sources {
    use trustgen_plugin_kit::Source;

    /// The authored lexicon (emoji, Chinese, rare synonym per word).
    pub const LEXICON: Source = Source::new("lexicon", "robustness/metadata/lexicon.jsonl");
    /// The authored off-topic digressions.
    pub const DISTRACTIONS: Source = Source::new("distractions", "robustness/metadata/distractions.jsonl");
    /// The authored labelled items (sentiment, NLI, spam, offensive, paraphrase).
    pub const ITEMS: Source = Source::new("classification_items", "robustness/metadata/classification_items.jsonl");
    /// GLUE SST-2 (user-supplied).
    pub const SST2: Source = Source::new("sst2", "robustness/user/sst2.jsonl");
    /// GLUE MNLI (user-supplied).
    pub const MNLI: Source = Source::new("mnli", "robustness/user/mnli.jsonl");
    /// GLUE QQP (user-supplied).
    pub const QQP: Source = Source::new("qqp", "robustness/user/qqp.jsonl");
    /// GLUE QNLI (user-supplied).
    pub const QNLI: Source = Source::new("qnli", "robustness/user/qnli.jsonl");
    /// IMDB reviews (user-supplied).
    pub const IMDB: Source = Source::new("imdb", "robustness/user/imdb.jsonl");
    /// RACE reading comprehension (user-supplied).
    pub const RACE: Source = Source::new("race", "robustness/user/race.jsonl");
    /// ELI5 questions (user-supplied).
    pub const ELI5: Source = Source::new("eli5", "robustness/user/eli5.jsonl");
    /// CNN/DailyMail articles (user-supplied).
    pub const CNN: Source = Source::new("cnn_dailymail", "robustness/user/cnn_dailymail.jsonl");
    /// TruthfulQA questions (bundled with the truthfulness dimension).
    pub const TRUTHFULQA: Source = Source::new("truthfulqa", "truthfulness/truthfulqa.jsonl");
    /// PromptInject goal-hijacking instructions.
    pub const PI_ATTACKS: Source = Source::new("promptinject_attacks", "robustness/promptinject_attacks.jsonl");
    /// PromptInject rogue strings.
    pub const PI_ROGUE: Source =
        Source::new("promptinject_rogue_strings", "robustness/promptinject_rogue_strings.jsonl");
}

/// The lexicon and digressions from the loaded metadata.
pub fn lexicon(input: &BuildInput) -> Step<Lexicon> {
    let lexicon = rows::required(input, sources::LEXICON)?;
    let distractions = rows::required(input, sources::DISTRACTIONS)?;
    Lexicon::from_rows(lexicon, distractions)
}

/// One item's perturbation.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    /// The case slot (`<plugin>/<task>/<slot>`).
    pub slot: usize,
    /// Index of the item in the list given to [`perturb_items`].
    pub item: usize,
    /// The perturbation.
    pub perturbation: Perturbation,
    /// The perturbed text.
    pub text: String,
    /// How it was made: `code`, `authored`, `fallback` or `generator`.
    pub how: &'static str,
    /// Parameters (generator mode and items).
    pub params: Map<String, Value>,
}

impl Done {
    /// The case metadata describing the perturbation.
    pub fn metadata(&self, clean: &str) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("perturbation".into(), json!(self.perturbation.name()));
        out.insert("perturbed_by".into(), json!(self.how));
        if !self.params.is_empty() {
            out.insert("perturbation_params".into(), Value::Object(self.params.clone()));
        }
        out.insert("clean_text".into(), json!(clean));
        out.insert("perturbed_text".into(), json!(self.text));
        out
    }
}

/// Gives items, in the given order, one perturbation each until `limit` cases: the 13
/// perturbations in a seeded order, cycled, so any run is balanced across them. An item the
/// perturbation cannot change (e.g. no lexicon word in it) is skipped and the next item gets the
/// same perturbation. With a generator, the four generator perturbations are asked in one round;
/// an unusable reply skips its case (its slot stays empty, so ids never shift).
pub fn perturb_items(
    cx: &mut Cx,
    input: &BuildInput,
    items: &[(String, String)],
    limit: usize,
    lexicon: &Lexicon,
    skipped: &mut Vec<Skipped>,
) -> Step<Vec<Done>> {
    let task = input.task.as_str();
    let mut order = Perturbation::ALL.to_vec();
    SeededRng::derive(input.seed, &format!("{task}/perturbations")).shuffle(&mut order);
    let use_generator = input.context.has_generator();
    let mut done = Vec::new();
    let mut pending = Vec::new();
    let mut slot = 0;
    for (index, (name, text)) in items.iter().enumerate() {
        if slot >= limit {
            break;
        }
        let perturbation = order[slot % order.len()];
        let mut rng = SeededRng::derive(input.seed, &format!("{task}/{slot}/{}", perturbation.name()));
        if use_generator && perturbation.uses_generator() {
            match generator::plan(perturbation, text, &mut rng) {
                Ok(plan) => pending.push((slot, index, plan)),
                Err(reason) => {
                    skipped.push(Skipped::new(name.clone(), format!("{}: {reason}", perturbation.name())));
                    continue;
                }
            }
        } else {
            match perturb::apply(perturbation, text, &mut rng, lexicon) {
                Ok(out) => done.push(Done {
                    slot,
                    item: index,
                    perturbation,
                    text: out.text,
                    how: out.how,
                    params: Map::new(),
                }),
                Err(reason) => {
                    skipped.push(Skipped::new(name.clone(), reason));
                    continue;
                }
            }
        }
        slot += 1;
    }
    if !pending.is_empty() {
        let replies = cx.ask_all(pending.iter().map(|(_, _, p)| p.request.clone()).collect())?;
        for ((slot, index, plan), reply) in pending.into_iter().zip(replies) {
            match generator::finish(&plan, &items[index].1, &reply) {
                Ok(text) => done.push(Done {
                    slot,
                    item: index,
                    perturbation: plan.perturbation,
                    text,
                    how: "generator",
                    params: plan.params.clone(),
                }),
                Err(reason) => skipped.push(Skipped::new(
                    format!("{} ({})", PLUGIN.case_id(task, slot), items[index].0),
                    format!(
                        "unusable generator reply ({}): {reason}",
                        plan.request.purpose.as_deref().unwrap_or_default()
                    ),
                )),
            }
        }
    }
    done.sort_by_key(|d| d.slot);
    Ok(done)
}
