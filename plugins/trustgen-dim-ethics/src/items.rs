//! What the loaders produce and how it becomes a test case: a multiple-choice item with its
//! options in canonical order and the index of the correct one (derived from the data), or an
//! open-ended cultural question with its reference knowledge.
//!
//! Option order. Tasks whose options are a fixed scale (good / neutral / bad, expected / normal /
//! unexpected) keep the scale's order; the labels are balanced by sampling instead. The other
//! tasks ([`Layout::Balanced`]) place the correct option by seed so that positions are balanced:
//! the cases with `k` options are taken in blocks of `k`, and each block places its correct
//! options at a seeded permutation of the `k` positions; the other options fill the remaining
//! slots in a seeded order. So every prefix whose length is a multiple of `k` has the correct
//! answer exactly equally often at each letter, and the ground-truth letter always follows the
//! shuffle (the original fixed utilitarianism at "A" and drew MoralChoice and Moral Stories
//! letters at random, independent of the options).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use trustgen_plugin_api::{Prompt, QuestionFormat, SeededRng, TestCase};

use crate::PLUGIN;

/// The instruction after the options of a multiple-choice case.
pub const ANSWER_INSTRUCTION: &str = "Answer with the letter of the correct option.";

/// How the options of a task are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The canonical order (an ordinal scale).
    Fixed,
    /// Seeded, with the correct option's position balanced across cases.
    Balanced,
}

/// A multiple-choice item.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The source row id.
    pub id: String,
    /// The text before the question (scenario, context); may be empty.
    pub stem: String,
    /// The question.
    pub question: String,
    /// The options in canonical order.
    pub options: Vec<String>,
    /// The index of the correct option in `options` (from the data).
    pub correct: usize,
    /// The data's label of the item (`wrong`, `good`, `expected`, `moral`, ...).
    pub label: String,
    /// The stratum for balanced sampling (the label, or e.g. MoralChoice's rule).
    pub stratum: String,
    /// Further case metadata (source fields).
    pub metadata: Map<String, Value>,
}

/// An open-ended cultural question.
#[derive(Debug, Clone, PartialEq)]
pub struct Open {
    /// The source row id.
    pub id: String,
    /// The prompt (persona and question).
    pub prompt: String,
    /// The reference knowledge (CultureBank's judgement basis).
    pub knowledge: String,
    /// The stratum for balanced sampling (the cultural group).
    pub group: String,
    /// Further case metadata.
    pub metadata: Map<String, Value>,
}

/// An item of any task.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// Multiple choice.
    Choice(Choice),
    /// Open-ended.
    Open(Open),
}

impl Item {
    /// The stratum for balanced sampling.
    pub fn stratum(&self) -> &str {
        match self {
            Item::Choice(c) => &c.stratum,
            Item::Open(o) => &o.group,
        }
    }
}

/// The option letter at `index` (`A`, `B`, ...).
pub fn letter(index: usize) -> char {
    (b'A' + index as u8) as char
}

/// Places options case by case (see the module documentation).
#[derive(Debug)]
pub struct Placer {
    task: String,
    seed: u64,
    layout: Layout,
    seen: BTreeMap<usize, usize>,
}

impl Placer {
    /// A placer for one task's cases, in build order.
    pub fn new(task: &str, seed: u64, layout: Layout) -> Placer {
        Placer { task: task.to_string(), seed, layout, seen: BTreeMap::new() }
    }

    /// The options in display order and the index of the correct one among them.
    pub fn place(&mut self, choice: &Choice) -> (Vec<String>, usize) {
        let k = choice.options.len();
        if self.layout == Layout::Fixed || k < 2 {
            return (choice.options.clone(), choice.correct);
        }
        let count = self.seen.entry(k).or_default();
        let (block, slot) = (*count / k, *count % k);
        *count += 1;
        let mut positions: Vec<usize> = (0..k).collect();
        SeededRng::derive(self.seed, &format!("{}/positions/{k}/{block}", self.task)).shuffle(&mut positions);
        let position = positions[slot];
        let mut others: Vec<&String> =
            choice.options.iter().enumerate().filter(|(i, _)| *i != choice.correct).map(|(_, o)| o).collect();
        SeededRng::derive(self.seed, &format!("{}/{}/options", self.task, choice.id)).shuffle(&mut others);
        let mut others = others.into_iter();
        let shown = (0..k)
            .map(|i| {
                if i == position {
                    choice.options[choice.correct].clone()
                } else {
                    others.next().cloned().unwrap_or_default()
                }
            })
            .collect();
        (shown, position)
    }
}

/// The prompt text of a multiple-choice case.
pub fn render(stem: &str, question: &str, options: &[String]) -> String {
    let mut out = String::new();
    if !stem.trim().is_empty() {
        out.push_str(stem.trim());
        out.push_str("\n\n");
    }
    out.push_str(question.trim());
    for (i, option) in options.iter().enumerate() {
        out.push_str(&format!("\n{}) {option}", letter(i)));
    }
    out.push_str("\n\n");
    out.push_str(ANSWER_INSTRUCTION);
    out
}

/// The options of a prompt written by [`render`], in order (`A) ...`, `B) ...`, one a line,
/// letters from `A` without a gap); empty when the prompt has none. `cargo xtask judge-eval`
/// rebuilds a labelled reply's case from its prompt with it.
pub fn options_in(prompt: &str) -> Vec<String> {
    let mut options = Vec::new();
    for line in prompt.lines() {
        let want = letter(options.len());
        match line.strip_prefix(want).and_then(|rest| rest.strip_prefix(") ")) {
            Some(option) => options.push(option.to_string()),
            None if options.is_empty() => {}
            None => break,
        }
    }
    options
}

/// The test case of an item; `source` names where the row came from (`authored` or `user`).
pub fn case(task: &str, n: usize, item: &Item, placer: &mut Placer, source: &str) -> TestCase {
    match item {
        Item::Choice(choice) => {
            let (options, correct) = placer.place(choice);
            let mut metadata = choice.metadata.clone();
            metadata.insert("source".into(), json!(source));
            metadata.insert("row_id".into(), json!(choice.id));
            metadata.insert("label".into(), json!(choice.label));
            metadata.insert("correct_option".into(), json!(choice.options[choice.correct]));
            TestCase::new(
                PLUGIN.case_id(task, n),
                task.to_string(),
                vec![Prompt::user(render(&choice.stem, &choice.question, &options))],
            )
            .with_format(QuestionFormat::MultipleChoice)
            .with_ground_truth(letter(correct).to_string())
            .with_choices(options)
            .with_metadata(metadata)
        }
        Item::Open(open) => {
            let mut metadata = open.metadata.clone();
            metadata.insert("source".into(), json!(source));
            metadata.insert("row_id".into(), json!(open.id));
            metadata.insert("knowledge".into(), json!(open.knowledge));
            TestCase::new(PLUGIN.case_id(task, n), task.to_string(), vec![Prompt::user(open.prompt.clone())])
                .with_metadata(metadata)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(id: &str, k: usize, correct: usize) -> Choice {
        Choice {
            id: id.into(),
            stem: "S".into(),
            question: "Q?".into(),
            options: (0..k).map(|i| format!("option {i}")).collect(),
            correct,
            label: "x".into(),
            stratum: "x".into(),
            metadata: Map::new(),
        }
    }

    #[test]
    fn balanced_placement_keeps_the_truth_and_balances_positions() {
        for seed in 0..20 {
            let mut placer = Placer::new("t", seed, Layout::Balanced);
            let mut at = [0usize; 3];
            for n in 0..12 {
                let item = choice(&format!("r{n}"), 3, n % 3);
                let (shown, correct) = placer.place(&item);
                assert_eq!(shown[correct], item.options[item.correct], "the truth follows the shuffle");
                let mut sorted = shown.clone();
                sorted.sort();
                assert_eq!(sorted, item.options, "every option shown once");
                at[correct] += 1;
            }
            assert_eq!(at, [4, 4, 4], "seed {seed}");
        }
    }

    #[test]
    fn fixed_placement_keeps_the_canonical_order() {
        let mut placer = Placer::new("t", 3, Layout::Fixed);
        let item = choice("r", 3, 2);
        assert_eq!(placer.place(&item), (item.options.clone(), 2));
        assert_eq!(
            render("", "Q?", &["yes".into(), "no".into()]),
            "Q?\nA) yes\nB) no\n\nAnswer with the letter of the correct option."
        );
    }

    #[test]
    fn options_are_read_back_from_a_rendered_prompt() {
        let options: Vec<String> = ["It's good", "It's okay", "It's bad"].map(String::from).to_vec();
        let stem = "A story.\nB) is not an option here: the list starts at A.";
        assert_eq!(options_in(&render(stem, "How is it?", &options)), options);
        assert_eq!(options_in(&render("", "Q?", &["yes".into()])), vec!["yes".to_string()]);
        assert!(options_in("No options.\nB) out of order").is_empty());
    }
}
