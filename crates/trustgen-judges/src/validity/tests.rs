//! Tests of the validity arithmetic: per (judge, family) accuracy with its Wilson interval,
//! precision and recall of the positive class, and the agreement of the two labelling passes.

use expect_test::{Expect, expect};

use super::*;

/// `rows`: one outcome per line, `judge family label predicted [pass2]` with `1`/`0` labels.
#[track_caller]
fn check(rows: &str, expect: Expect) {
    let bit = |s: &str| match s {
        "1" => true,
        "0" => false,
        other => panic!("not a label: {other}"),
    };
    let outcomes: Vec<Outcome> = rows
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            Outcome {
                judge: f[0].to_string(),
                family: f[1].to_string(),
                label: bit(f[2]),
                predicted: bit(f[3]),
                label_pass2: f.get(4).map(|s| bit(s)),
            }
        })
        .collect();
    let measures = measure(&outcomes);
    let mut text = table(&measures);
    for m in &measures {
        text.push_str(&format!(
            "{}/{}: tp {} fp {} fn {} tn {}\n",
            m.judge, m.family, m.true_positives, m.false_positives, m.false_negatives, m.true_negatives
        ));
    }
    expect.assert_eq(&text);
}

#[test]
fn accuracy_precision_recall_per_family() {
    // jailbreak: 3 TP, 1 FP, 1 FN, 2 TN; over-refusal: nothing positive predicted (precision
    // undefined) and no positive label (recall undefined); privacy: labelled twice, one
    // disagreement.
    check(
        "
        refusal safety/jailbreak 1 1
        refusal safety/jailbreak 1 1
        refusal safety/jailbreak 1 1
        refusal safety/jailbreak 0 1
        refusal safety/jailbreak 1 0
        refusal safety/jailbreak 0 0
        refusal safety/jailbreak 0 0
        refusal safety/over-refusal 0 0
        refusal safety/over-refusal 0 0
        refusal privacy/people 1 1 1
        refusal privacy/people 0 1 1
        refusal privacy/people 0 0 0
        toxicity safety/toxicity 1 1
        ",
        expect![[r#"
            judge      family                 n  accuracy (95% CI)      precision recall  pass 2 = label
            refusal    privacy/people         3  0.667 [0.208, 0.939]        0.500  1.000  2/3
            refusal    safety/jailbreak       7  0.714 [0.359, 0.918]        0.750  0.750  -
            refusal    safety/over-refusal    2  1.000 [0.342, 1.000]            -      -  -
            toxicity   safety/toxicity        1  1.000 [0.207, 1.000]        1.000  1.000  -
            refusal/privacy/people: tp 1 fp 1 fn 0 tn 1
            refusal/safety/jailbreak: tp 3 fp 1 fn 1 tn 2
            refusal/safety/over-refusal: tp 0 fp 0 fn 0 tn 2
            toxicity/safety/toxicity: tp 1 fp 0 fn 0 tn 0
        "#]],
    );
}

/// A judge name longer than the judge column (`preference-pick`, `disparagement-stance`) widens
/// it; before, the rows of longer names were shifted out of their columns.
#[test]
fn long_judge_names_keep_the_table_aligned() {
    check(
        "
        disparagement-stance fairness/disparagement 1 1 1
        refusal safety/jailbreak 0 0
        ",
        expect![[r#"
            judge                family                    n  accuracy (95% CI)      precision recall  pass 2 = label
            disparagement-stance fairness/disparagement    1  1.000 [0.207, 1.000]        1.000  1.000  1/1
            refusal              safety/jailbreak          1  1.000 [0.207, 1.000]            -      -  -
            disparagement-stance/fairness/disparagement: tp 1 fp 0 fn 0 tn 0
            refusal/safety/jailbreak: tp 0 fp 0 fn 0 tn 1
        "#]],
    );
}

#[test]
fn the_committed_results_parse() {
    let results = measured().expect("crates/trustgen-judges/data/judge-eval.json parses");
    assert!(!results.measures.is_empty(), "the committed results measure something");
    for m in &results.measures {
        assert_eq!(m.correct, m.true_positives + m.true_negatives, "{}/{}", m.judge, m.family);
        assert_eq!(
            m.n,
            m.true_positives + m.false_positives + m.false_negatives + m.true_negatives,
            "{}/{}",
            m.judge,
            m.family
        );
    }
}

/// The committed numbers are those of the committed data: every file they were measured on has
/// the recorded row count and sha256, and every labelled file is among them, so a changed or new
/// labelled set fails here until `cargo xtask judge-eval` is run again (which needs the embedder).
#[test]
fn the_committed_results_are_of_the_committed_labelled_data() {
    use sha2::{Digest, Sha256};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let results = measured().unwrap();
    for file in &results.files {
        let bytes = std::fs::read(root.join(&file.path)).unwrap_or_else(|e| panic!("{}: {e}", file.path));
        let sha256: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(sha256, file.sha256, "{} changed since `cargo xtask judge-eval`: run it again", file.path);
        let rows = String::from_utf8_lossy(&bytes).lines().filter(|l| !l.trim().is_empty()).count();
        assert_eq!(rows, file.rows, "{}", file.path);
    }
    for dir in ["suites/data/judges/labelled", "suites/data/judges/pyrit"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".jsonl") {
                let path = format!("{dir}/{name}");
                assert!(
                    results.files.iter().any(|f| f.path == path),
                    "{path} is not measured: run `cargo xtask judge-eval`"
                );
            }
        }
    }
}
