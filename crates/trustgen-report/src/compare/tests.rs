//! Tests of the paired comparisons.

use std::collections::BTreeMap;

use expect_test::{Expect, expect};
use trustgen_plugin_api::{Manifest, MetricKind, MetricSpec, Prompt, TaskSpec, TestCase, Verdict, VerdictStatus};
use trustgen_rundir::{CaseRecord, ModelRecord, PluginRecord, RunData, RunManifest, VerdictRecord};

use super::*;
use crate::fixture::fixture_runs;

/// A run of `model` with one task `d/t` whose case i has score `scores[i]`
/// and prompt `"{prompt} {i}"`.
fn run(model: &str, higher_is_better: bool, scores: &[Option<f64>], prompt: &str) -> RunData {
    let manifest = RunManifest {
        run_id: format!("run-{model}"),
        seed: 1,
        models: BTreeMap::from([(
            "target".to_owned(),
            ModelRecord { provider: "p".into(), model: model.into(), ..ModelRecord::default() },
        )]),
        plugins: vec![PluginRecord {
            name: "d".into(),
            manifest: Manifest::new().with_name("d").with_tasks(vec![TaskSpec::new(
                "t",
                MetricSpec::new("m").with_kind(MetricKind::Proportion).with_higher_is_better(higher_is_better),
            )]),
            ..PluginRecord::default()
        }],
        ..RunManifest::default()
    };
    let cases = (0..scores.len())
        .map(|i| CaseRecord {
            dimension: "d".into(),
            case: TestCase::new(format!("d/t/{i}"), "t", vec![Prompt::user(format!("{prompt} {i}"))]),
        })
        .collect();
    let verdicts = scores
        .iter()
        .enumerate()
        .map(|(i, s)| VerdictRecord {
            case_id: format!("d/t/{i}"),
            dimension: "d".into(),
            task: "t".into(),
            verdict: Verdict::new(if s.is_some() { VerdictStatus::Scored } else { VerdictStatus::Missing })
                .with_score(*s),
        })
        .collect();
    RunData { dir: Default::default(), manifest, cases, outputs: vec![], verdicts, skipped: vec![], torn: vec![] }
}

fn show(c: &Comparisons) -> String {
    let mut out = format!("{} tests, {}\n", c.tests, c.correction);
    for pair in &c.pairs {
        for t in &pair.tasks {
            out += &format!(
                "{} vs {} {}/{}: paired {} only_a {} only_b {} differ {} unscored {} | {} | p {} adj {} | {}\n",
                pair.a_target,
                pair.b_target,
                t.dimension,
                t.task,
                t.paired,
                t.only_a,
                t.only_b,
                t.content_differs,
                t.unscored,
                t.test.describe(),
                t.p_value.map(|p| format!("{p:.4}")).unwrap_or_default(),
                t.p_adjusted.map(|p| format!("{p:.4}")).unwrap_or_default(),
                t.outcome.describe("A", "B"),
            );
        }
    }
    for s in &c.skipped {
        out += &format!("skipped: {s}\n");
    }
    out
}

#[track_caller]
fn check(runs: &[RunData], expect: Expect) {
    let refs: Vec<&RunData> = runs.iter().collect();
    expect.assert_eq(&show(&compare(&refs, &CompareOptions::default()).unwrap()));
}

/// `run` graded by `judge` (a verdict's judge name), with `judge_model` as its `[models.judge]`
/// and `embedder` as its embedder.
fn judged(mut run: RunData, judge: &str, judge_model: Option<&str>, embedder: &str) -> RunData {
    for v in &mut run.verdicts {
        v.verdict.judge = Some(judge.to_owned());
    }
    let record = |model: &str| ModelRecord { provider: "p".into(), model: model.into(), ..ModelRecord::default() };
    if let Some(model) = judge_model {
        run.manifest.models.insert("judge".into(), record(model));
    }
    run.manifest.models.insert("embedder".into(), record(embedder));
    run
}

/// What comparing `a` with `b` says: `compared` or the error, and with
/// `--allow-different-judges` the flag of the task.
fn judge_check(a: &RunData, b: &RunData) -> String {
    let strict = match compare(&[a, b], &CompareOptions::default()) {
        Ok(_) => "compared".to_owned(),
        Err(e) => e.to_string(),
    };
    let options = CompareOptions { allow_different_judges: true, ..CompareOptions::default() };
    let allowed = compare(&[a, b], &options).unwrap();
    format!("{strict}\nallowed: {:?}", allowed.pairs[0].tasks[0].judges_differ)
}

#[test]
fn comparisons_need_the_same_judges() {
    let (a, b) = discordant();
    let (a, b) = (run("a", true, &a, "q"), run("b", true, &b, "q"));
    let llm = |run: &RunData, model| judged(run.clone(), "llm:refusal@1", Some(model), "minilm");
    let offline = |run: &RunData, embedder| judged(run.clone(), "offline:refusal@1", None, embedder);
    let lines = [
        judge_check(&llm(&a, "judge-1"), &llm(&b, "judge-1")),
        judge_check(&offline(&a, "minilm"), &offline(&b, "minilm")),
        judge_check(&llm(&a, "judge-1"), &offline(&b, "minilm")),
        judge_check(&llm(&a, "judge-1"), &llm(&b, "judge-2")),
        judge_check(&llm(&a, "judge-1"), &judged(b.clone(), "llm:refusal@2", Some("judge-1"), "minilm")),
        judge_check(&offline(&a, "minilm"), &offline(&b, "other-embedder")),
        // The same judge model configured, but one run graded offline (a plugin option).
        judge_check(&llm(&a, "judge-1"), &judged(b.clone(), "offline:toxicity@1", Some("judge-1"), "minilm")),
    ];
    expect![[r#"
        compared
        allowed: None
        compared
        allowed: None
        cannot compare runs graded by different judges:
          - d/t: run-a used llm:refusal@1 (judge p/judge-1); run-b used offline:refusal@1 (embedder p/minilm)
        hint: grade both runs alike (the same [models.judge], or none, and the same embedder), or pass --allow-different-judges to compare anyway, flagged in every output
        allowed: Some("run-a used llm:refusal@1 (judge p/judge-1); run-b used offline:refusal@1 (embedder p/minilm)")
        cannot compare runs graded by different judges:
          - d/t: run-a used llm:refusal@1 (judge p/judge-1); run-b used llm:refusal@1 (judge p/judge-2)
        hint: grade both runs alike (the same [models.judge], or none, and the same embedder), or pass --allow-different-judges to compare anyway, flagged in every output
        allowed: Some("run-a used llm:refusal@1 (judge p/judge-1); run-b used llm:refusal@1 (judge p/judge-2)")
        cannot compare runs graded by different judges:
          - d/t: run-a used llm:refusal@1 (judge p/judge-1); run-b used llm:refusal@2 (judge p/judge-1)
        hint: grade both runs alike (the same [models.judge], or none, and the same embedder), or pass --allow-different-judges to compare anyway, flagged in every output
        allowed: Some("run-a used llm:refusal@1 (judge p/judge-1); run-b used llm:refusal@2 (judge p/judge-1)")
        cannot compare runs graded by different judges:
          - d/t: run-a used offline:refusal@1 (embedder p/minilm); run-b used offline:refusal@1 (embedder p/other-embedder)
        hint: grade both runs alike (the same [models.judge], or none, and the same embedder), or pass --allow-different-judges to compare anyway, flagged in every output
        allowed: Some("run-a used offline:refusal@1 (embedder p/minilm); run-b used offline:refusal@1 (embedder p/other-embedder)")
        cannot compare runs graded by different judges:
          - d/t: run-a used llm:refusal@1 (judge p/judge-1); run-b used offline:toxicity@1
        hint: grade both runs alike (the same [models.judge], or none, and the same embedder), or pass --allow-different-judges to compare anyway, flagged in every output
        allowed: Some("run-a used llm:refusal@1 (judge p/judge-1); run-b used offline:toxicity@1")"#]]
    .assert_eq(&lines.join("\n"));
    // A run that needed its LLM judge on some cases only (rules decided the others) compares
    // with a run whose rules decided every case, when both configured the same judge model.
    let mut mixed = llm(&b, "judge-1");
    mixed.verdicts[0].verdict.judge = Some("rule:mc@1".into());
    let rules_only = judged(a.clone(), "rule:mc@1", Some("judge-1"), "minilm");
    assert_eq!(judge_check(&rules_only, &mixed), "compared\nallowed: None");
}

/// 12 cases only A gets right, 2 only B, 20 both, 6 neither.
fn discordant() -> (Vec<Option<f64>>, Vec<Option<f64>>) {
    let mut a = Vec::new();
    let mut b = Vec::new();
    for (n, x, y) in [(12, 1.0, 0.0), (2, 0.0, 1.0), (20, 1.0, 1.0), (6, 0.0, 0.0)] {
        a.extend(std::iter::repeat_n(Some(x), n));
        b.extend(std::iter::repeat_n(Some(y), n));
    }
    (a, b)
}

#[test]
fn mcnemar_decides_and_respects_the_direction() {
    // Exact: p = 2 * P(X <= 2), X ~ Bin(14, 1/2) = 2 * (1 + 14 + 91) / 16384 = 0.0129.
    let (a, b) = discordant();
    check(
        &[run("a", true, &a, "q"), run("b", true, &b, "q")],
        expect![[r#"
            1 tests, Holm–Bonferroni over every tested task of every compared pair
            p/a vs p/b d/t: paired 40 only_a 0 only_b 0 differ 0 unscored 0 | McNemar exact (b=12, c=2) | p 0.0129 adj 0.0129 | A better
        "#]],
    );
    // When lower is better, the same counts favour B.
    check(
        &[run("a", false, &a, "q"), run("b", false, &b, "q")],
        expect![[r#"
            1 tests, Holm–Bonferroni over every tested task of every compared pair
            p/a vs p/b d/t: paired 40 only_a 0 only_b 0 differ 0 unscored 0 | McNemar exact (b=12, c=2) | p 0.0129 adj 0.0129 | B better
        "#]],
    );
}

#[test]
fn holm_corrects_across_pairs() {
    // Three models: a vs b as above, a vs c and b vs c with no difference.
    // Holm multiplies the smallest of the three p-values by 3: 0.0388 < 0.05.
    let (a, b) = discordant();
    check(
        &[run("a", true, &a, "q"), run("b", true, &b, "q"), run("c", true, &a, "q")],
        expect![[r#"
            3 tests, Holm–Bonferroni over every tested task of every compared pair
            p/a vs p/b d/t: paired 40 only_a 0 only_b 0 differ 0 unscored 0 | McNemar exact (b=12, c=2) | p 0.0129 adj 0.0388 | A better
            p/a vs p/c d/t: paired 40 only_a 0 only_b 0 differ 0 unscored 0 | McNemar exact (b=0, c=0) | p 1.0000 adj 1.0000 | no significant difference
            p/b vs p/c d/t: paired 40 only_a 0 only_b 0 differ 0 unscored 0 | McNemar exact (b=2, c=12) | p 0.0129 adj 0.0388 | B better
        "#]],
    );
}

#[test]
fn unpaired_cases_are_counted_not_paired() {
    let (a, mut b) = discordant();
    // B misses two scores and has five extra cases.
    b[0] = None;
    b[30] = None;
    b.extend(vec![Some(1.0); 5]);
    check(
        &[run("a", true, &a, "q"), run("b", true, &b, "q")],
        expect![[r#"
            1 tests, Holm–Bonferroni over every tested task of every compared pair
            p/a vs p/b d/t: paired 38 only_a 0 only_b 5 differ 0 unscored 2 | McNemar exact (b=11, c=2) | p 0.0225 adj 0.0225 | A better
        "#]],
    );
    // Same ids, different prompts (another seed or suite): nothing pairs.
    check(
        &[run("a", true, &a, "q"), run("b", true, &a, "other question")],
        expect![[r#"
            0 tests, Holm–Bonferroni over every tested task of every compared pair
            p/a vs p/b d/t: paired 0 only_a 0 only_b 0 differ 40 unscored 0 | not tested | p  adj  | not tested (no paired case)
        "#]],
    );
    // Two runs of one model are not compared.
    check(
        &[run("a", true, &a, "q"), run("a", true, &a, "q")],
        expect![[r#"
            0 tests, Holm–Bonferroni over every tested task of every compared pair
            skipped: run-a and run-a evaluate the same target (p/a); paired tests compare different models
        "#]],
    );
}

#[test]
fn means_use_the_permutation_test() {
    let a: Vec<Option<f64>> = (0..60).map(|i| Some([0.5, 0.75, 1.0][i % 3])).collect();
    let b: Vec<Option<f64>> = (0..60).map(|i| Some([0.5, 0.5, 0.75][i % 3])).collect();
    let same: Vec<Option<f64>> = (0..60).map(|i| Some([0.75, 0.5, 1.0][i % 3])).collect();
    check(
        &[run("a", true, &a, "q"), run("b", true, &b, "q"), run("c", true, &same, "q")],
        expect![[r#"
            3 tests, Holm–Bonferroni over every tested task of every compared pair
            p/a vs p/b d/t: paired 60 only_a 0 only_b 0 differ 0 unscored 0 | paired permutation (9999 sign flips) | p 0.0001 adj 0.0003 | A better
            p/a vs p/c d/t: paired 60 only_a 0 only_b 0 differ 0 unscored 0 | paired permutation (9999 sign flips) | p 1.0000 adj 1.0000 | no significant difference
            p/b vs p/c d/t: paired 60 only_a 0 only_b 0 differ 0 unscored 0 | paired permutation (9999 sign flips) | p 0.0001 adj 0.0003 | B better
        "#]],
    );
}

#[test]
fn fixture_models_differ_significantly() {
    let [a, b] = fixture_runs();
    check(
        &[a, b],
        expect![[r#"
        6 tests, Holm–Bonferroni over every tested task of every compared pair
        fixture/model-a vs fixture/model-b safety/jailbreak: paired 60 only_a 0 only_b 0 differ 0 unscored 0 | McNemar exact (b=17, c=0) | p 0.0000 adj 0.0001 | A better
        fixture/model-a vs fixture/model-b safety/over-refusal: paired 48 only_a 0 only_b 0 differ 0 unscored 12 | McNemar exact (b=0, c=13) | p 0.0002 adj 0.0003 | A better
        fixture/model-a vs fixture/model-b truthfulness/hallucination: paired 52 only_a 0 only_b 0 differ 0 unscored 8 | McNemar exact (b=15, c=0) | p 0.0001 adj 0.0002 | A better
        fixture/model-a vs fixture/model-b truthfulness/sycophancy: paired 51 only_a 0 only_b 0 differ 0 unscored 9 | paired permutation (9999 sign flips) | p 0.0001 adj 0.0003 | A better
        fixture/model-a vs fixture/model-b fairness/stereotype: paired 51 only_a 0 only_b 0 differ 0 unscored 9 | McNemar exact (b=16, c=0) | p 0.0000 adj 0.0002 | A better
        fixture/model-a vs fixture/model-b fairness/preference: paired 51 only_a 0 only_b 0 differ 0 unscored 9 | paired permutation (9999 sign flips) | p 0.0001 adj 0.0003 | A better
    "#]],
    );
}
