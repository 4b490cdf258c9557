//! The ten tasks and how each builds its cases.
//!
//! Every task reads one public data set in its native field names: the user's converted copy
//! at `suites/data/ethics/user/<set>.jsonl` when present, else the authored seed set at
//! `suites/data/ethics/metadata/<set>.jsonl` (same field names, written for trustgen). The rows
//! become items through the set's loader ([`crate::sources`]), which derives each ground truth
//! from the data; items are put in a seeded order balanced across their labels (or cultural
//! groups, or MoralChoice rules), the first `limit` are built, and the options are placed by
//! [`crate::items::Placer`]. Case ids are `ethics/<task>/<position>`.

use std::collections::BTreeMap;

use trustgen_plugin_api::{BuildInput, BuildOutput, SeededRng, Skipped, Step, fail};

use crate::items::{self, Layout, Placer};
use crate::sources::{self, Loader};
use trustgen_plugin_kit::sample::balanced_order;

/// One task.
#[derive(Debug, Clone, Copy)]
pub struct Task {
    /// The task name.
    pub name: &'static str,
    /// The data set's file stem (`<set>.jsonl` under `ethics/user/` and `ethics/metadata/`).
    pub set: &'static str,
    /// The public data set's name.
    pub dataset: &'static str,
    /// How options are ordered.
    pub layout: Layout,
    /// The native-row loader.
    pub loader: Loader,
    /// The data labels with a per-label accuracy (`accuracy/<label>`); empty for A/B tasks.
    pub labels: &'static [&'static str],
    /// Cases built when the suite sets no limit.
    pub default_limit: usize,
    /// True for the open-ended task (scored against reference knowledge).
    pub open: bool,
}

impl Task {
    /// The user-supplied source: name and path under `suites/data`.
    pub fn user_source(&self) -> (String, String) {
        (self.set.to_string(), format!("ethics/user/{}.jsonl", self.set))
    }

    /// The authored source: name and path under `suites/data`.
    pub fn authored_source(&self) -> (String, String) {
        (format!("{}_authored", self.set), format!("ethics/metadata/{}.jsonl", self.set))
    }
}

/// Every task, in manifest order.
pub const TASKS: [Task; 10] = [
    Task {
        name: "social-norms",
        set: "social_chem_101",
        dataset: "Social-Chem-101",
        layout: Layout::Fixed,
        loader: sources::social_chem,
        labels: &["good", "neutral", "bad"],
        default_limit: 24,
        open: false,
    },
    Task {
        name: "moral-choice",
        set: "moralchoice",
        dataset: "MoralChoice (low ambiguity)",
        layout: Layout::Balanced,
        loader: sources::moral_choice,
        labels: &[],
        default_limit: 20,
        open: false,
    },
    Task {
        name: "ethics-commonsense",
        set: "ethics_commonsense",
        dataset: "ETHICS commonsense",
        layout: Layout::Balanced,
        loader: sources::ethics_commonsense,
        labels: &["wrong", "not wrong"],
        default_limit: 20,
        open: false,
    },
    Task {
        name: "ethics-deontology",
        set: "ethics_deontology",
        dataset: "ETHICS deontology",
        layout: Layout::Balanced,
        loader: sources::ethics_deontology,
        labels: &["reasonable", "unreasonable"],
        default_limit: 20,
        open: false,
    },
    Task {
        name: "ethics-justice",
        set: "ethics_justice",
        dataset: "ETHICS justice",
        layout: Layout::Balanced,
        loader: sources::ethics_justice,
        labels: &["reasonable", "unreasonable"],
        default_limit: 20,
        open: false,
    },
    Task {
        name: "ethics-virtue",
        set: "ethics_virtue",
        dataset: "ETHICS virtue",
        layout: Layout::Balanced,
        loader: sources::ethics_virtue,
        labels: &[],
        default_limit: 20,
        open: false,
    },
    Task {
        name: "ethics-utilitarianism",
        set: "ethics_utilitarianism",
        dataset: "ETHICS utilitarianism",
        layout: Layout::Balanced,
        loader: sources::ethics_utilitarianism,
        labels: &[],
        default_limit: 20,
        open: false,
    },
    Task {
        name: "moral-stories",
        set: "moral_stories",
        dataset: "Moral Stories",
        layout: Layout::Balanced,
        loader: sources::moral_stories,
        labels: &[],
        default_limit: 20,
        open: false,
    },
    Task {
        name: "normbank",
        set: "normbank",
        dataset: "NormBank",
        layout: Layout::Fixed,
        loader: sources::normbank,
        labels: &["expected", "normal", "unexpected"],
        default_limit: 21,
        open: false,
    },
    Task {
        name: "culturebank",
        set: "culturebank",
        dataset: "CultureBank",
        layout: Layout::Fixed,
        loader: sources::culturebank,
        labels: &[],
        default_limit: 20,
        open: true,
    },
];

/// The task named `name`.
pub fn task(name: &str) -> Option<&'static Task> {
    TASKS.iter().find(|t| t.name == name)
}

/// Collapses repeated skip reasons: more than three rows with the same reason become one entry
/// with the count and the first row.
pub(crate) fn summarize(skipped: Vec<Skipped>) -> Vec<Skipped> {
    let mut by_reason: BTreeMap<String, Vec<Skipped>> = BTreeMap::new();
    let mut order = Vec::new();
    for s in skipped {
        if !by_reason.contains_key(&s.reason) {
            order.push(s.reason.clone());
        }
        by_reason.entry(s.reason.clone()).or_default().push(s);
    }
    let mut out = Vec::new();
    for reason in order {
        let mut group = by_reason.remove(&reason).unwrap_or_default();
        if group.len() > 3 {
            let count = group.len();
            out.push(Skipped::new(format!("{count} rows, the first: {}", group[0].item), reason));
        } else {
            out.append(&mut group);
        }
    }
    out
}

/// The rows of `task`'s data: the user's file when given, else the authored seed set; with the
/// path read and `user` or `authored`.
pub fn rows_of<'a>(input: &'a BuildInput, task: &Task) -> Step<(&'a [serde_json::Value], String, &'static str)> {
    let (user_name, user_path) = task.user_source();
    let (authored_name, authored_path) = task.authored_source();
    Ok(match input.data.get(&user_name).filter(|rows| !rows.is_empty()) {
        Some(rows) => (rows, user_path, "user"),
        None => match input.data.get(&authored_name) {
            Some(rows) => (rows, authored_path, "authored"),
            None => fail!(
                "task `{}` needs the data source `{authored_name}` (suites/data/{authored_path}), which was not \
                 loaded; hint: run with the suite data directory that ships with trustgen",
                input.task
            ),
        },
    })
}

/// Builds the cases of `task`.
pub fn build(input: &BuildInput, task: &Task) -> Step<BuildOutput> {
    let (rows, path, origin) = rows_of(input, task)?;
    let mut skipped = Vec::new();
    let items = (task.loader)(rows, &path, &mut skipped);
    let mut skipped = summarize(skipped);
    if items.is_empty() {
        skipped.push(Skipped::new("(task)", format!("no usable row in suites/data/{path} ({} rows)", rows.len())));
        return Ok(BuildOutput::new(Vec::new()).with_skipped(skipped));
    }
    let strata = items.into_iter().map(|item| (item.stratum().to_string(), item)).collect();
    let mut order = balanced_order(strata, &mut SeededRng::derive(input.seed, &format!("{}/order", task.name)));
    order.truncate(input.limit.unwrap_or(task.default_limit));
    let mut placer = Placer::new(task.name, input.seed, task.layout);
    let cases =
        order.iter().enumerate().map(|(n, item)| items::case(task.name, n, item, &mut placer, origin)).collect();
    Ok(BuildOutput::new(cases).with_skipped(skipped))
}

#[cfg(test)]
mod tests;
