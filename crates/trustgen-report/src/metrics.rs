//! From verdicts to `metrics.json`: task, dimension and overall scores with
//! 95% intervals and case counts.
//!
//! - **Task score**: the mean of the verdict scores of the task's cases. A
//!   verdict without a score is not in `n` (the plugin has already applied the
//!   task's policy, giving a score to every case the policy counts). The
//!   interval is Wilson's when every value is 0 or 1 and the metric is a
//!   proportion, else a percentile bootstrap of the mean.
//! - **Dimension score**: the plugin's declared [`AggregateSpec`] of its task
//!   scores (weights; none declared means an unweighted mean). A task whose
//!   metric is lower-is-better enters as `1 − score`, so a dimension score is
//!   always higher-is-better. The interval is a percentile bootstrap over
//!   cases, stratified by task (each resample redraws every task's cases
//!   within that task); a dimension with one task keeps that task's interval.
//! - **Overall**: the unweighted mean of the dimension scores, with the same
//!   stratified bootstrap.
//!
//! - **Judge agreement**: where a plugin graded a case with an LLM judge and also recorded the
//!   offline judge's decision of the same question (verdict metrics under [`AGREEMENT_PREFIX`],
//!   written by trustgen-judges' `agreement` module), the task's [`JudgeAgreement`]: cases both
//!   decided, raw agreement with its Wilson interval, and Cohen's kappa. Those keys are not
//!   secondary metrics.
//!
//! Every draw comes from the run seed ([`SeededRng::derive`] with the task's
//! name), and values are ordered by case id first, so the same records give
//! the same numbers whatever order they were written in.

use std::collections::{BTreeMap, HashMap, HashSet};

use trustgen_plugin_api::{AggregateSpec, MetricKind, Provenance, SeededRng, TaskSpec, Verdict, VerdictStatus};
use trustgen_rundir::{
    CaseRecord, Counts, DataProvenance, DimensionMetric, Estimate, IntervalMethod, JudgeAgreement, Metrics,
    RunManifest, SourceProvenance, TaskMetric, VerdictRecord,
};

use crate::stats;

/// Settings of [`compute_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsOptions {
    /// Bootstrap resamples per interval.
    pub bootstrap_rounds: usize,
}

impl Default for MetricsOptions {
    fn default() -> Self {
        MetricsOptions { bootstrap_rounds: stats::BOOTSTRAP_ROUNDS }
    }
}

/// The metrics of a run, with the default settings (see the module docs).
pub fn compute(manifest: &RunManifest, cases: &[CaseRecord], verdicts: &[VerdictRecord]) -> Metrics {
    compute_with(manifest, cases, verdicts, &MetricsOptions::default())
}

/// A task's verdicts, ordered by case id.
struct TaskGroup<'a> {
    dimension: &'a str,
    task: &'a str,
    verdicts: Vec<(&'a str, &'a Verdict)>,
}

/// A computed task, with its bootstrap replicates for the aggregates.
struct TaskResult {
    metric: TaskMetric,
    replicates: Vec<f64>,
}

/// The metrics of a run (see the module docs).
pub fn compute_with(
    manifest: &RunManifest,
    cases: &[CaseRecord],
    verdicts: &[VerdictRecord],
    options: &MetricsOptions,
) -> Metrics {
    let rounds = options.bootstrap_rounds.max(1);
    let groups = group(manifest, verdicts);
    let pending = pending_counts(cases, verdicts);

    let tasks: Vec<TaskResult> = groups
        .iter()
        .map(|g| {
            let spec = manifest.plugin(g.dimension).and_then(|m| m.task(g.task));
            let pending = pending.get(&(g.dimension, g.task)).copied().unwrap_or(0);
            task_metric(manifest.seed, g, spec, pending, rounds)
        })
        .collect();

    // Tasks with cases built but no verdict at all still show up, with their counts.
    let mut extra: Vec<TaskResult> = pending
        .iter()
        .filter(|((d, t), _)| !groups.iter().any(|g| g.dimension == *d && g.task == *t))
        .map(|((d, t), &n)| {
            let spec = manifest.plugin(d).and_then(|m| m.task(t));
            let group = TaskGroup { dimension: d, task: t, verdicts: Vec::new() };
            task_metric(manifest.seed, &group, spec, n, rounds)
        })
        .collect();
    let mut tasks = tasks;
    tasks.append(&mut extra);
    let mut built: HashMap<(&str, &str), usize> = HashMap::new();
    for c in cases {
        *built.entry((c.dimension.as_str(), c.case.task.as_str())).or_default() += 1;
    }
    for t in &mut tasks {
        let cases = built.get(&(t.metric.dimension.as_str(), t.metric.task.as_str())).copied().unwrap_or(0);
        t.metric.provenance = provenance(manifest, &t.metric.dimension, &t.metric.task, cases);
    }

    let mut dimension_names: Vec<&str> = Vec::new();
    for t in &tasks {
        if !dimension_names.contains(&t.metric.dimension.as_str()) {
            dimension_names.push(&t.metric.dimension);
        }
    }
    let dimensions: Vec<(DimensionMetric, Vec<f64>)> = dimension_names
        .iter()
        .map(|name| {
            let members: Vec<&TaskResult> = tasks.iter().filter(|t| t.metric.dimension == *name).collect();
            let spec = manifest.plugin(name).and_then(|m| m.aggregate.clone()).unwrap_or_default();
            dimension_metric(name, &spec, &members)
        })
        .collect();

    let scored: Vec<&(DimensionMetric, Vec<f64>)> = dimensions.iter().filter(|(d, _)| d.estimate.is_some()).collect();
    let overall = match scored.as_slice() {
        [] => None,
        [(only, _)] => only.estimate,
        many => {
            let k = many.len() as f64;
            let value = many.iter().filter_map(|(d, _)| d.estimate).map(|e| e.value).sum::<f64>() / k;
            let mut replicates: Vec<f64> =
                (0..rounds).map(|r| many.iter().map(|(_, reps)| reps[r]).sum::<f64>() / k).collect();
            let n = many.iter().filter_map(|(d, _)| d.estimate).map(|e| e.n).sum();
            bootstrap_estimate(value, n, &mut replicates)
        }
    };
    let overall_rule = match scored.len() {
        0 => String::new(),
        1 => format!("the score of the only scored dimension ({})", scored[0].0.dimension),
        k => format!(
            "unweighted mean of the {k} dimension scores; 95% interval: percentile bootstrap over cases, \
             stratified by task ({rounds} resamples, run seed)"
        ),
    };

    Metrics {
        run_id: manifest.run_id.clone(),
        target: manifest.target_name(),
        tasks: tasks.into_iter().map(|t| t.metric).collect(),
        dimensions: dimensions.into_iter().map(|(d, _)| d).collect(),
        overall,
        overall_rule,
        seed: manifest.seed,
        bootstrap_rounds: rounds,
    }
}

/// Groups verdicts by task, in the manifest's order (then any others by
/// name), keeping the last verdict of a case written twice, ordered by case id.
fn group<'a>(manifest: &'a RunManifest, verdicts: &'a [VerdictRecord]) -> Vec<TaskGroup<'a>> {
    let mut latest: HashMap<&str, usize> = HashMap::with_capacity(verdicts.len());
    for (i, v) in verdicts.iter().enumerate() {
        latest.insert(&v.case_id, i);
    }
    let mut by_task: BTreeMap<(&str, &str), Vec<(&str, &Verdict)>> = BTreeMap::new();
    for (i, v) in verdicts.iter().enumerate() {
        if latest.get(v.case_id.as_str()) == Some(&i) {
            by_task.entry((&v.dimension, &v.task)).or_default().push((&v.case_id, &v.verdict));
        }
    }
    let mut order: Vec<(&str, &str)> = Vec::new();
    for d in &manifest.dimensions {
        for t in &d.tasks {
            if by_task.contains_key(&(d.plugin.as_str(), t.as_str())) && !order.contains(&(&d.plugin, t)) {
                order.push((&d.plugin, t));
            }
        }
    }
    for key in by_task.keys() {
        if !order.contains(key) {
            order.push(*key);
        }
    }
    order
        .into_iter()
        .map(|key| {
            let mut verdicts = by_task.remove(&key).unwrap_or_default();
            verdicts.sort_unstable_by(|a, b| a.0.cmp(b.0));
            TaskGroup { dimension: key.0, task: key.1, verdicts }
        })
        .collect()
}

/// Built cases without a verdict, by task.
fn pending_counts<'a>(cases: &'a [CaseRecord], verdicts: &[VerdictRecord]) -> BTreeMap<(&'a str, &'a str), usize> {
    let judged: HashSet<&str> = verdicts.iter().map(|v| v.case_id.as_str()).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut pending = BTreeMap::new();
    for c in cases {
        if seen.insert(&c.case.id) && !judged.contains(c.case.id.as_str()) {
            *pending.entry((c.dimension.as_str(), c.case.task.as_str())).or_insert(0) += 1;
        }
    }
    pending
}

/// A finite score, if the verdict has one.
fn score_of(v: &Verdict) -> Option<f64> {
    v.score.filter(|s| s.is_finite())
}

fn is_binary(values: &[f64]) -> bool {
    values.iter().all(|v| *v == 0.0 || *v == 1.0)
}

/// The estimate of a list of values: Wilson when all values are 0/1 (a
/// proportion, whatever the metric's declared kind), else the percentile
/// interval of bootstrap `replicates` (drawn on demand). When every value is
/// the same the bootstrap collapses to a point (claiming certainty from, say,
/// three cases), so the Wilson bound at the mean is used instead: for values
/// in [0, 1] the variance is at most mean·(1 − mean), which makes it
/// conservative.
///
/// A paired difference ([`MetricKind::Difference`], values in [-1, 1]) always takes the
/// bootstrap over cases (which keeps each pair together: a paired interval), never Wilson's
/// proportion interval, which would exclude negative values; when every difference is the same
/// the interval is the value ± the Wilson upper bound of a rate of 0 at n (the share of pairs
/// that could differ without being seen), within [-1, 1].
fn estimate(values: &[f64], kind: MetricKind, replicates: impl FnOnce() -> Vec<f64>) -> Option<Estimate> {
    let value = stats::mean(values)?;
    let n = values.len();
    let constant = values.iter().all(|v| *v == values[0]);
    if kind == MetricKind::Difference {
        if constant {
            let w = stats::wilson_at(0.0, n)?.high;
            return Some(Estimate {
                value,
                low: (value - w).max(-1.0),
                high: (value + w).min(1.0),
                n,
                method: IntervalMethod::Bootstrap,
            });
        }
        return bootstrap_estimate(value, n, &mut replicates());
    }
    if is_binary(values) || (constant && (0.0..=1.0).contains(&value)) {
        let i = stats::wilson_at(value, n)?;
        return Some(Estimate { value, low: i.low, high: i.high, n, method: IntervalMethod::Wilson });
    }
    bootstrap_estimate(value, n, &mut replicates())
}

/// The percentile bootstrap interval of `replicates`; when they are all equal
/// (every case scored the same) the bootstrap says nothing about the
/// uncertainty, and the conservative Wilson bound at the value is used.
fn bootstrap_estimate(value: f64, n: usize, replicates: &mut [f64]) -> Option<Estimate> {
    let i = stats::percentile_interval(replicates)?;
    if i.low == i.high
        && let Some(bound) = stats::wilson_at(value, n)
    {
        return Some(Estimate { value, low: bound.low, high: bound.high, n, method: IntervalMethod::Wilson });
    }
    Some(Estimate { value, low: i.low.min(value), high: i.high.max(value), n, method: IntervalMethod::Bootstrap })
}

fn task_metric(seed: u64, g: &TaskGroup<'_>, spec: Option<&TaskSpec>, pending: usize, rounds: usize) -> TaskResult {
    let mut counts = Counts { total: g.verdicts.len(), pending, ..Counts::default() };
    for (_, v) in &g.verdicts {
        match v.status {
            VerdictStatus::Scored => counts.scored += 1,
            VerdictStatus::Missing => counts.missing += 1,
            VerdictStatus::Filtered => counts.filtered += 1,
            VerdictStatus::Unparseable => counts.unparseable += 1,
            // A status from a newer plugin: not scored, and not any known reason.
            _ => counts.missing += 1,
        }
        counts.refused += usize::from(v.refused);
        if score_of(v).is_none() {
            match v.status {
                VerdictStatus::Filtered => counts.excluded.filtered += 1,
                VerdictStatus::Unparseable => counts.excluded.unparseable += 1,
                // Missing, a scored verdict without a score, or a newer status: no score.
                _ => counts.excluded.missing += 1,
            }
        }
    }
    let values: Vec<f64> = g.verdicts.iter().filter_map(|(_, v)| score_of(v)).collect();
    let kind = spec.map(|s| s.metric.kind).unwrap_or(if is_binary(&values) {
        MetricKind::Proportion
    } else {
        MetricKind::Mean
    });
    // The aggregates resample every task, so the replicates are drawn even
    // when the task's own interval is Wilson's.
    let replicates = stats::bootstrap_replicates(
        &values,
        rounds,
        &mut SeededRng::derive(seed, &format!("bootstrap/{}/{}", g.dimension, g.task)),
    );
    let primary = estimate(&values, kind, || replicates.clone());

    let mut names: Vec<String> =
        spec.map(|s| s.secondary_metrics.iter().map(|m| m.name.clone()).collect()).unwrap_or_default();
    for (_, v) in &g.verdicts {
        for name in v.metrics.keys() {
            if !names.contains(name) && !name.starts_with(AGREEMENT_PREFIX) {
                names.push(name.clone());
            }
        }
    }
    let secondary = names
        .into_iter()
        .filter_map(|name| {
            let values: Vec<f64> = g
                .verdicts
                .iter()
                .filter_map(|(_, v)| v.metrics.get(&name).copied().filter(|x| x.is_finite()))
                .collect();
            let label = format!("bootstrap/{}/{}/{name}", g.dimension, g.task);
            let draw = || stats::bootstrap_replicates(&values, rounds, &mut SeededRng::derive(seed, &label));
            let kind = spec
                .and_then(|s| s.secondary_metrics.iter().find(|m| m.name == name))
                .map_or(MetricKind::Mean, |m| m.kind);
            estimate(&values, kind, draw).map(|e| (name, e))
        })
        .collect();

    let (metric, higher_is_better, policy) = match spec {
        Some(s) => (
            s.metric.name.clone(),
            s.metric.higher_is_better,
            if s.metric.policy.is_empty() { "not stated by the plugin".to_owned() } else { s.metric.policy.clone() },
        ),
        None => ("score".to_owned(), true, "unknown: the task is not in the run manifest".to_owned()),
    };
    TaskResult {
        metric: TaskMetric {
            dimension: g.dimension.to_owned(),
            task: g.task.to_owned(),
            metric,
            kind,
            higher_is_better,
            policy,
            estimate: primary,
            counts,
            secondary,
            judge_agreement: judge_agreement(&g.verdicts),
            provenance: None,
        },
        replicates,
    }
}

/// The prefix of the verdict metrics that carry an LLM judge's and the offline judge's decisions
/// (trustgen-judges `agreement::PREFIX`; a unit test keeps the two equal).
pub const AGREEMENT_PREFIX: &str = "judge_agreement/";

/// The key of the LLM judge's decision (trustgen-judges `agreement::LLM_KEY`).
pub const AGREEMENT_LLM_KEY: &str = "judge_agreement/llm";

/// The agreement of the LLM judge with the offline judge over the verdicts that carry both
/// decisions (see the module docs); `None` when no verdict carries an offline decision.
fn judge_agreement(verdicts: &[(&str, &Verdict)]) -> Option<JudgeAgreement> {
    let decision = |x: f64| x.is_finite().then_some(x >= 0.5);
    let mut llm_judges: Vec<&str> = Vec::new();
    let mut offline_judges: Vec<&str> = Vec::new();
    let [mut both, mut only_llm, mut only_offline, mut neither] = [0usize; 4];
    for (_, v) in verdicts {
        let offline = v.metrics.iter().find_map(|(key, value)| {
            let judge = key.strip_prefix(AGREEMENT_PREFIX).filter(|_| key != AGREEMENT_LLM_KEY)?;
            Some((judge, *value))
        });
        let Some((offline_judge, offline)) = offline else { continue };
        if !offline_judges.contains(&offline_judge) {
            offline_judges.push(offline_judge);
        }
        if let Some(judge) = v.judge.as_deref()
            && !llm_judges.contains(&judge)
        {
            llm_judges.push(judge);
        }
        let (Some(llm), Some(offline)) =
            (v.metrics.get(AGREEMENT_LLM_KEY).copied().and_then(decision), decision(offline))
        else {
            continue;
        };
        match (llm, offline) {
            (true, true) => both += 1,
            (true, false) => only_llm += 1,
            (false, true) => only_offline += 1,
            (false, false) => neither += 1,
        }
    }
    if offline_judges.is_empty() {
        return None;
    }
    let n = both + only_llm + only_offline + neither;
    let agreed = both + neither;
    let agreement = match stats::wilson(agreed, n) {
        Some(i) => {
            Estimate { value: agreed as f64 / n as f64, low: i.low, high: i.high, n, method: IntervalMethod::Wilson }
        }
        None => Estimate { method: IntervalMethod::None, ..Estimate::default() },
    };
    Some(JudgeAgreement {
        llm_judge: llm_judges.join(", "),
        offline_judge: offline_judges.join(", "),
        n,
        agreed,
        agreement,
        kappa: stats::cohen_kappa(both, only_llm, only_offline, neither),
        llm_positive: both + only_llm,
        offline_positive: both + only_offline,
    })
}

/// Where a task's data came from: every source of its spec whose file the run loaded (the
/// manifest's `data_files`), with the source's declared provenance (a source that is not bundled
/// is the user's whatever it declares) and the rows read; `None` when the task is not in the
/// manifest.
pub fn provenance(manifest: &RunManifest, dimension: &str, task: &str, cases: usize) -> Option<DataProvenance> {
    let spec = manifest.plugin(dimension)?.task(task)?;
    let sources: Vec<SourceProvenance> = spec
        .data
        .iter()
        .filter_map(|d| {
            let path = d.path.as_deref()?;
            let file = manifest.data_files.iter().find(|f| f.path == path)?;
            let (kind, name, version) = match &d.provenance {
                _ if !d.bundled => ("user", None, None),
                Provenance::Public { name, version, .. } => ("public", Some(name.clone()), Some(version.clone())),
                other => (other.kind(), None, None),
            };
            Some(SourceProvenance {
                source: d.name.clone(),
                path: path.to_owned(),
                kind: kind.to_owned(),
                name,
                version,
                rows: file.rows,
            })
        })
        .collect();
    let kinds: Vec<&str> = ["public", "authored", "user", "unknown"]
        .into_iter()
        .filter(|k| sources.iter().any(|s| s.kind == *k))
        .collect();
    let label = if kinds.is_empty() { "none".to_owned() } else { kinds.join(" + ") };
    let public_rows = sources.iter().filter(|s| s.kind == "public").map(|s| s.rows).sum();
    Some(DataProvenance { label, cases, public_rows, sources })
}

/// A task estimate turned higher-is-better, within [0, 1] (a lower-is-better paired difference
/// such as an accuracy drop in [-1, 1] enters as 1 − drop, capped at 1: a gain is not better
/// than no drop).
fn oriented(e: Estimate, higher_is_better: bool) -> Estimate {
    let e =
        if higher_is_better { e } else { Estimate { value: 1.0 - e.value, low: 1.0 - e.high, high: 1.0 - e.low, ..e } };
    Estimate { value: e.value.clamp(0.0, 1.0), low: e.low.clamp(0.0, 1.0), high: e.high.clamp(0.0, 1.0), ..e }
}

/// A bootstrap replicate turned higher-is-better, as [`oriented`].
fn oriented_replicate(r: f64, higher_is_better: bool) -> f64 {
    (if higher_is_better { r } else { 1.0 - r }).clamp(0.0, 1.0)
}

fn dimension_metric(name: &str, spec: &AggregateSpec, members: &[&TaskResult]) -> (DimensionMetric, Vec<f64>) {
    let declared = !spec.weights.is_empty();
    let weight_of = |task: &str| if declared { spec.weights.get(task).copied().unwrap_or(0.0) } else { 1.0 };
    let contributing: Vec<(&TaskResult, f64)> = members
        .iter()
        .filter(|t| t.metric.estimate.is_some())
        .map(|t| (*t, weight_of(&t.metric.task)))
        .filter(|(_, w)| *w > 0.0 && w.is_finite())
        .collect();
    let total: f64 = contributing.iter().map(|(_, w)| w).sum();
    let weights: BTreeMap<String, f64> = contributing.iter().map(|(t, w)| (t.metric.task.clone(), w / total)).collect();

    let mut rule = Vec::new();
    if !spec.description.is_empty() {
        rule.push(spec.description.clone());
    }
    rule.push(match (declared, contributing.len()) {
        (_, 0) => "no task has a scored case".to_owned(),
        (_, 1) => format!("the score of its only scored task ({})", contributing[0].0.metric.task),
        (false, k) => format!("unweighted mean of {k} task scores"),
        (true, _) => format!(
            "weighted mean of task scores ({})",
            weights.iter().map(|(t, w)| format!("{t} {w:.3}")).collect::<Vec<_>>().join(", ")
        ),
    });
    let flipped: Vec<&str> =
        contributing.iter().filter(|(t, _)| !t.metric.higher_is_better).map(|(t, _)| t.metric.task.as_str()).collect();
    if !flipped.is_empty() {
        rule.push(format!("lower-is-better tasks enter as 1 − score ({})", flipped.join(", ")));
    }
    let unscored: Vec<&str> = members
        .iter()
        .filter(|t| t.metric.estimate.is_none() && weight_of(&t.metric.task) > 0.0)
        .map(|t| t.metric.task.as_str())
        .collect();
    if !unscored.is_empty() {
        rule.push(format!("left out for lack of scored cases: {}", unscored.join(", ")));
    }

    let (estimate, replicates) = match contributing.as_slice() {
        [] => (None, Vec::new()),
        [(only, _)] => {
            let e = only.metric.estimate.map(|e| oriented(e, only.metric.higher_is_better));
            let reps = only.replicates.iter().map(|r| oriented_replicate(*r, only.metric.higher_is_better)).collect();
            (e, reps)
        }
        many => {
            let value: f64 = many
                .iter()
                .filter_map(|(t, w)| t.metric.estimate.map(|e| oriented(e, t.metric.higher_is_better).value * w))
                .sum::<f64>()
                / total;
            let rounds = many.iter().map(|(t, _)| t.replicates.len()).min().unwrap_or(0);
            let mut replicates: Vec<f64> = (0..rounds)
                .map(|r| {
                    many.iter()
                        .map(|(t, w)| w * oriented_replicate(t.replicates[r], t.metric.higher_is_better))
                        .sum::<f64>()
                        / total
                })
                .collect();
            let n = many.iter().filter_map(|(t, _)| t.metric.estimate).map(|e| e.n).sum();
            let reps = replicates.clone();
            let e = bootstrap_estimate(value, n, &mut replicates);
            (e, reps)
        }
    };
    if estimate.is_some() && contributing.len() > 1 {
        rule.push("95% interval: percentile bootstrap over cases, stratified by task".to_owned());
    }
    let metric = DimensionMetric {
        dimension: name.to_owned(),
        estimate,
        tasks: contributing.iter().map(|(t, _)| t.metric.task.clone()).collect(),
        aggregate: rule.join("; "),
        weights,
    };
    (metric, replicates)
}

#[cfg(test)]
mod tests;
