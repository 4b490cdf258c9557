//! Reading the rows the engine loaded (bundled data, user data, seed metadata) and seeded sampling.
//!
//! The plugin never reads files: the engine loads every [`DataSource`](trustgen_plugin_api::DataSource)
//! the manifest declares and passes the rows in `BuildInput::data`. A row that lacks a field is
//! dropped with a [`Skipped`] entry naming the file, the row and the field; a required source that
//! was not loaded at all stops the build with an error naming the file.

use trustgen_judges::answer::normalize_answer;
use trustgen_plugin_api::{BuildInput, ModelRole, SeededRng, Skipped, Step};
use trustgen_plugin_kit::Source;
use trustgen_plugin_kit::rows::loaded;
/// The row readers are the kit's; the tasks use them through this module.
pub(crate) use trustgen_plugin_kit::rows::{fields, optional, row_name, text, texts};

use crate::PLUGIN;

/// Source names (keys of `BuildInput::data`) and their paths under `suites/data`.
pub(crate) mod sources {
    use trustgen_plugin_kit::Source;

    pub(crate) const TRUTHFULQA: Source = Source::new("truthfulqa", "truthfulness/truthfulqa.jsonl");
    pub(crate) const HALUEVAL_QA: Source = Source::new("halueval_qa", "truthfulness/halueval_qa.jsonl");
    pub(crate) const HALUEVAL_DIALOGUE: Source =
        Source::new("halueval_dialogue", "truthfulness/halueval_dialogue.jsonl");
    pub(crate) const HALUEVAL_SUMMARIZATION: Source =
        Source::new("halueval_summarization", "truthfulness/halueval_summarization.jsonl");
    pub(crate) const ANTHROPIC: Source = Source::new("sycophancy_anthropic", "truthfulness/sycophancy_anthropic.jsonl");
    pub(crate) const FACT_CHECK: Source = Source::new("fact_check", "truthfulness/fact_check.jsonl");
    pub(crate) const SQUAD2: Source = Source::new("squad2", "truthfulness/squad2.jsonl");
    pub(crate) const ADVERSARIALQA: Source = Source::new("adversarialqa", "truthfulness/adversarialqa.jsonl");
    pub(crate) const HOTPOTQA: Source = Source::new("hotpotqa", "truthfulness/hotpotqa.jsonl");
    pub(crate) const QA_TOPICS: Source = Source::new("qa_topics", "truthfulness/metadata/qa_topics.jsonl");
    pub(crate) const FC_SITES: Source = Source::new("fc_sites", "truthfulness/metadata/fc_sites.jsonl");
    pub(crate) const FC_KEYWORDS: Source = Source::new("fc_keywords", "truthfulness/metadata/fc_keywords.jsonl");
    pub(crate) const PERSONAS: Source = Source::new("personas", "truthfulness/metadata/personas.jsonl");
    /// The user's HallusionBench file, in the folder the option `hallusionbench_dir` names (the
    /// engine substitutes it; without the option the source is absent).
    pub(crate) const HALLUSIONBENCH: Source =
        Source::new("hallusionbench", "{options.hallusionbench_dir}/HallusionBench.json");
    pub(crate) const FOLLOWUPS: Source =
        Source::new("self_doubt_followups", "truthfulness/metadata/self_doubt_followups.jsonl");
}

/// The number of cases to build: the suite's limit, else the task default.
pub(crate) fn limit(input: &BuildInput, default: usize) -> usize {
    input.limit.unwrap_or(default)
}

/// `k` items drawn without replacement in a seeded order (a prefix of the same order for a
/// smaller `k`, so raising the limit keeps the earlier cases).
pub(crate) fn sample<T: Clone>(items: &[T], k: usize, seed: u64, label: &str) -> Vec<T> {
    let mut rng = SeededRng::derive(seed, label);
    rng.sample_indices(items.len(), k).into_iter().map(|i| items[i].clone()).collect()
}

/// Whether the generator/retriever (dynamic) paths are on: the `dynamic` option (default true)
/// and both a generator and a retriever configured.
pub(crate) fn dynamic(input: &BuildInput) -> Step<bool> {
    let wanted = PLUGIN.bool_option(&input.options, "dynamic", true)?;
    Ok(wanted && input.context.has_generator() && input.context.models.contains_key(&ModelRole::Retriever))
}

/// Whether the generator may write persona biographies (the `dynamic` option and a generator).
pub(crate) fn generator(input: &BuildInput) -> Step<bool> {
    Ok(PLUGIN.bool_option(&input.options, "dynamic", true)? && input.context.has_generator())
}

/// True when the normalised `needle` occurs as whole words in the normalised `haystack`.
pub(crate) fn contains_answer(haystack: &str, needle: &str) -> bool {
    let needle = normalize_answer(needle);
    !needle.is_empty() && format!(" {} ", normalize_answer(haystack)).contains(&format!(" {needle} "))
}

/// One HaluEval QA row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HaluRow {
    pub(crate) id: String,
    pub(crate) knowledge: String,
    pub(crate) question: String,
    pub(crate) right: String,
    pub(crate) hallucinated: String,
}

impl HaluRow {
    /// HaluEval's generated "hallucinated" answers sometimes restate the right answer ("Sébastien
    /// Buemi was born in 1988." for the right answer "1988"); such a row cannot test
    /// hallucination or serve as a wrong answer.
    pub(crate) fn wrong_is_wrong(&self) -> bool {
        !contains_answer(&self.hallucinated, &self.right)
    }
}

/// The HaluEval QA rows; rows that lack a field go to `skipped`.
pub(crate) fn halueval(input: &BuildInput, skipped: &mut Vec<Skipped>) -> Step<Vec<HaluRow>> {
    let path = sources::HALUEVAL_QA.path;
    let mut out = Vec::new();
    for (i, row) in loaded(input, sources::HALUEVAL_QA)?.iter().enumerate() {
        match fields(path, i, row, ["knowledge", "question", "right_answer", "hallucinated_answer"]) {
            Ok([knowledge, question, right, hallucinated]) => out.push(HaluRow {
                id: text(row, "id").unwrap_or_else(|| format!("row-{}", i + 1)),
                knowledge,
                question,
                right,
                hallucinated,
            }),
            Err(skip) => skipped.push(skip),
        }
    }
    Ok(out)
}

/// The HaluEval rows whose hallucinated answer does not contain the right one; the others are
/// counted in one `skipped` entry.
pub(crate) fn halueval_clean(input: &BuildInput, skipped: &mut Vec<Skipped>) -> Step<Vec<HaluRow>> {
    let all = halueval(input, skipped)?;
    let total = all.len();
    let clean: Vec<HaluRow> = all.into_iter().filter(HaluRow::wrong_is_wrong).collect();
    if clean.len() < total {
        skipped.push(Skipped::new(format!("{} ({} of {total} rows)", sources::HALUEVAL_QA.path, total - clean.len()), "the hallucinated answer contains the right answer (a known HaluEval labelling flaw), so these rows cannot serve as a wrong answer; they are never sampled"));
    }
    Ok(clean)
}

/// Splits `items` into the two labels, shuffles each with the seed and interleaves them, so any
/// prefix is balanced as far as the data allows.
pub(crate) fn balanced<T: Clone>(items: &[T], is_positive: impl Fn(&T) -> bool, seed: u64, label: &str) -> Vec<T> {
    let (pos, neg): (Vec<T>, Vec<T>) = items.iter().cloned().partition(|t| is_positive(t));
    let pos = sample(&pos, pos.len(), seed, &format!("{label}/positive"));
    let neg = sample(&neg, neg.len(), seed, &format!("{label}/negative"));
    let first_positive = SeededRng::derive(seed, &format!("{label}/first")).chance(0.5);
    let (mut a, mut b) =
        if first_positive { (pos.into_iter(), neg.into_iter()) } else { (neg.into_iter(), pos.into_iter()) };
    let mut out = Vec::with_capacity(items.len());
    loop {
        match (a.next(), b.next()) {
            (None, None) => break,
            (x, y) => out.extend(x.into_iter().chain(y)),
        }
    }
    out
}

/// A persona of the persona-sycophancy task.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Persona {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) bios: Vec<String>,
}

/// The personas metadata.
pub(crate) fn personas(input: &BuildInput, skipped: &mut Vec<Skipped>) -> Step<Vec<Persona>> {
    let path = sources::PERSONAS.path;
    let mut out = Vec::new();
    for (i, row) in loaded(input, sources::PERSONAS)?.iter().enumerate() {
        match fields(path, i, row, ["persona", "description"]) {
            Ok([name, description]) => {
                let bios = texts(row, "bios").unwrap_or_default();
                out.push(Persona { name, description, bios });
            }
            Err(skip) => skipped.push(skip),
        }
    }
    Ok(out)
}

/// One value per row of a one-field metadata file (`text` of the follow-ups, `site`, ...).
pub(crate) fn column(input: &BuildInput, source: Source, key: &str, skipped: &mut Vec<Skipped>) -> Step<Vec<String>> {
    let mut out = Vec::new();
    for (i, row) in loaded(input, source)?.iter().enumerate() {
        match fields(source.path, i, row, [key]) {
            Ok([value]) => out.push(value),
            Err(skip) => skipped.push(skip),
        }
    }
    Ok(out)
}

/// `(topic, keyword)` pairs of the QA topics metadata, in file order.
pub(crate) fn qa_keywords(input: &BuildInput, skipped: &mut Vec<Skipped>) -> Step<Vec<(String, String)>> {
    let path = sources::QA_TOPICS.path;
    let mut out = Vec::new();
    for (i, row) in loaded(input, sources::QA_TOPICS)?.iter().enumerate() {
        let topic = match fields(path, i, row, ["topic"]) {
            Ok([topic]) => topic,
            Err(skip) => {
                skipped.push(skip);
                continue;
            }
        };
        match texts(row, "keywords") {
            Some(keywords) => out.extend(keywords.into_iter().map(|k| (topic.clone(), k))),
            None => skipped.push(Skipped::new(row_name(path, i, row), "field `keywords` is missing or empty")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_interleaves_and_keeps_everything() {
        let items: Vec<u32> = (0..7).collect();
        let out = balanced(&items, |x| x % 2 == 0, 3, "t");
        let mut sorted = out.clone();
        sorted.sort();
        assert_eq!(sorted, items);
        // Any prefix of even length has as many of each label (4 even, 3 odd: only the tail differs).
        for k in (2..=6).step_by(2) {
            let even = out[..k].iter().filter(|x| *x % 2 == 0).count();
            assert_eq!(even, k / 2, "{out:?}");
        }
    }

    #[test]
    fn contains_answer_is_word_based() {
        assert!(contains_answer("Sébastien Buemi was born in 1988.", "1988"));
        assert!(!contains_answer("born in 19880", "1988"));
        assert!(contains_answer("The Moscow Satyricon Theatre", "moscow satyricon theatre"));
        assert!(!contains_answer("anything", "   "));
    }
}
