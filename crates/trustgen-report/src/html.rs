//! `report.html`: one self-contained page (inline CSS, vanilla JS,
//! server-side SVG charts; nothing loaded from the network).
//!
//! Everything from a run (model outputs, prompts, judge reasoning, even model
//! and task names) is untrusted. The page is rendered by askama templates,
//! which HTML-escape every value; the case explorer's data is embedded as
//! JSON in a `<script type="application/json">` element with `<`, `>`, `&`,
//! U+2028 and U+2029 written as `\u` escapes (so `</script>` in an output
//! cannot end the element), and the page's script puts it into the DOM with
//! `textContent` only. Bidirectional controls and NUL are shown as visible
//! escapes such as `\u{202E}`, in the JSON and in the whole rendered page
//! ([`neutralise_hidden`]). Every text is bounded ([`HtmlOptions`]) and the case
//! table is paged, so a run of 100,000 cases stays a usable page.
//!
//! The case explorer shows the images of prompts and replies as JPEG
//! thumbnails embedded as `data:` URLs, within a stated budget ([`images`]);
//! the Content-Security-Policy allows images from `data:` URLs only.

use std::collections::HashMap;

use askama::Template;
use serde::ser::{SerializeSeq, SerializeTuple};
use serde::{Serialize, Serializer};
use trustgen_plugin_api::{ReplyStatus, SeededRng, TestCase, Verdict, VerdictStatus};
use trustgen_rundir::{Estimate, IntervalMethod, RunData, RunStatus};

use crate::compare::Outcome;
use crate::error::ReportError;
use crate::reference;
use crate::report::{HtmlOptions, Report};
use crate::text::{fmt_agreement, fmt_estimate, fmt_secondary};

mod images;

const CSS: &str = include_str!("../assets/report.css");
const JS: &str = include_str!("../assets/report.js");
const PALETTE: [&str; 8] = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f"];

/// A JSON formatter whose strings are safe inside a `<script
/// type="application/json">` element: `<`, `>` and `&` (which JSON only has
/// inside strings) and the line separators U+2028/U+2029 are written as `\u`
/// escapes, which `JSON.parse` reads back unchanged. So `</script>` or
/// `<!--` in a model output cannot end or alter the element. The characters
/// of [`is_hidden`] (bidi controls, NUL) are written as an escaped backslash
/// and `u{...}`, so the page's script reads and shows the visible text
/// `\u{202E}`, never the character itself.
struct ScriptSafe;

impl serde_json::ser::Formatter for ScriptSafe {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let bytes = fragment.as_bytes();
        let mut last = 0;
        for (i, c) in fragment.char_indices() {
            let escaped: Option<std::borrow::Cow<'static, str>> = match c {
                '<' => Some("\\u003c".into()),
                '>' => Some("\\u003e".into()),
                '&' => Some("\\u0026".into()),
                '\u{2028}' => Some("\\u2028".into()),
                '\u{2029}' => Some("\\u2029".into()),
                // Written as the visible text `\u{202E}` (an escaped backslash), so the page shows
                // the escape instead of reordering the text around it.
                c if is_hidden(c) => Some(format!("\\{}", visible_escape(c)).into()),
                _ => None,
            };
            if let Some(text) = escaped {
                writer.write_all(&bytes[last..i])?;
                writer.write_all(text.as_bytes())?;
                last = i + c.len_utf8();
            }
        }
        writer.write_all(&bytes[last..])
    }

    fn write_char_escape<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        char_escape: serde_json::ser::CharEscape,
    ) -> std::io::Result<()> {
        match char_escape {
            // NUL as the visible text `\u{0}` (see `is_hidden`).
            serde_json::ser::CharEscape::AsciiControl(0) => writer.write_all(b"\\\\u{0}"),
            other => serde_json::ser::CompactFormatter.write_char_escape(writer, other),
        }
    }
}

/// Characters that reorder or hide the text around them, and NUL: the bidirectional embeddings and
/// overrides U+202A..=U+202E, the isolates U+2066..=U+2069, the marks U+200E, U+200F and U+061C.
/// An output `gnp\u{202E}exe.` would otherwise display as another file name; the page shows each
/// as a visible escape (`\u{202E}`) wherever it comes from (outputs, prompts, judge reasoning,
/// model, task and run names).
fn is_hidden(c: char) -> bool {
    matches!(c, '\u{0}' | '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `\u{202E}` for U+202E.
fn visible_escape(c: char) -> String {
    format!("\\u{{{:X}}}", c as u32)
}

/// `text` with every [`is_hidden`] character replaced by its visible escape. The rendered page goes
/// through it as a whole (the server-rendered parts; the embedded JSON has none left, see
/// [`ScriptSafe`]), so no field can be forgotten.
pub fn neutralise_hidden(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_hidden(c) {
            out.push_str(&visible_escape(c));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `value` as JSON safe to embed in a `<script type="application/json">`
/// element (see [`ScriptSafe`]).
pub fn script_json<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let mut out = Vec::with_capacity(4096);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, ScriptSafe);
    value.serialize(&mut ser)?;
    // The serializer writes UTF-8 (strings are copied from &str, escapes are ASCII).
    String::from_utf8(out).map_err(|e| serde::ser::Error::custom(e.to_string()))
}

/// The Content-Security-Policy source that allows exactly `script`.
fn script_hash(script: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script.as_bytes())))
}

/// A text cut to at most `limit` characters: serialized as the string, or as
/// `[prefix, total_chars]` when cut.
#[derive(Clone, Copy)]
struct Bounded<'a> {
    text: &'a str,
    limit: usize,
}

impl<'a> Bounded<'a> {
    /// The kept prefix and, when cut, the full length in characters.
    fn parts(&self) -> (&'a str, Option<usize>) {
        if self.text.len() <= self.limit {
            return (self.text, None);
        }
        match self.text.char_indices().nth(self.limit) {
            None => (self.text, None),
            Some((cut, _)) => (&self.text[..cut], Some(self.text.chars().count())),
        }
    }
}

impl Serialize for Bounded<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.parts() {
            (text, None) => s.serialize_str(text),
            (text, Some(total)) => {
                let mut seq = s.serialize_seq(Some(2))?;
                seq.serialize_element(text)?;
                seq.serialize_element(&total)?;
                seq.end()
            }
        }
    }
}

/// A bounded text for the server-rendered parts of the page.
struct ShownText {
    text: String,
    cut: Option<usize>,
}

impl ShownText {
    fn new(text: &str, limit: usize) -> ShownText {
        let (kept, cut) = Bounded { text, limit }.parts();
        ShownText { text: kept.to_owned(), cut }
    }
}

#[derive(Serialize)]
struct JsRun<'a> {
    id: Bounded<'a>,
    label: String,
}

#[derive(Serialize)]
struct JsTask<'a> {
    d: Bounded<'a>,
    t: Bounded<'a>,
}

#[derive(Serialize)]
struct JsPrompt<'a> {
    n: Bounded<'a>,
    s: Option<Bounded<'a>>,
    u: Vec<Bounded<'a>>,
    /// Indexes into [`JsData::images`].
    img: Vec<usize>,
}

#[derive(Serialize)]
struct JsVariation<'a> {
    op: Bounded<'a>,
    params: String,
    orig: Bounded<'a>,
    skipped: Option<Bounded<'a>>,
}

#[derive(Serialize)]
struct JsCase<'a> {
    id: Bounded<'a>,
    k: usize,
    p: Vec<JsPrompt<'a>>,
    v: Option<JsVariation<'a>>,
    gt: Option<Bounded<'a>>,
    ch: Vec<Bounded<'a>>,
}

/// One turn of an answer: `[status, text, error, images]` (indexes into [`JsData::images`]).
struct JsTurn<'a> {
    status: &'static str,
    text: Option<Bounded<'a>>,
    error: Option<Bounded<'a>>,
    images: Vec<usize>,
}

impl Serialize for JsTurn<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(4)?;
        t.serialize_element(self.status)?;
        t.serialize_element(&self.text)?;
        t.serialize_element(&self.error)?;
        t.serialize_element(&self.images)?;
        t.end()
    }
}

#[derive(Serialize)]
struct JsAnswer<'a> {
    n: Bounded<'a>,
    t: Vec<JsTurn<'a>>,
}

/// One result (a run's output and verdict for a case), serialized as an
/// array to keep the page small: `[case, run, status, score, label, judge
/// (index into `judges`), reasoning, refused, failed, answers, extracted]`.
struct JsResult<'a> {
    case: usize,
    run: usize,
    status: &'static str,
    score: Option<f64>,
    label: Option<Bounded<'a>>,
    judge: Option<usize>,
    reasoning: Option<Bounded<'a>>,
    refused: bool,
    failed: bool,
    answers: Vec<JsAnswer<'a>>,
    extracted: Option<Bounded<'a>>,
}

impl Serialize for JsResult<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(11)?;
        t.serialize_element(&self.case)?;
        t.serialize_element(&self.run)?;
        t.serialize_element(self.status)?;
        t.serialize_element(&self.score)?;
        t.serialize_element(&self.label)?;
        t.serialize_element(&self.judge)?;
        t.serialize_element(&self.reasoning)?;
        t.serialize_element(&u8::from(self.refused))?;
        t.serialize_element(&u8::from(self.failed))?;
        t.serialize_element(&self.answers)?;
        t.serialize_element(&self.extracted)?;
        t.end()
    }
}

#[derive(Serialize)]
struct JsData<'a> {
    runs: Vec<JsRun<'a>>,
    tasks: Vec<JsTask<'a>>,
    judges: Vec<Bounded<'a>>,
    cases: Vec<JsCase<'a>>,
    results: Vec<JsResult<'a>>,
    /// The distinct images of the cases and outputs, thumbnails or why not ([`images`]).
    images: Vec<images::JsImage>,
}

fn status_name(s: VerdictStatus) -> &'static str {
    match s {
        VerdictStatus::Scored => "scored",
        VerdictStatus::Missing => "missing",
        VerdictStatus::Filtered => "filtered",
        VerdictStatus::Unparseable => "unparseable",
        _ => "unknown",
    }
}

fn reply_status(s: ReplyStatus) -> &'static str {
    match s {
        ReplyStatus::Ok => "ok",
        ReplyStatus::ContentFiltered => "content_filtered",
        ReplyStatus::Error => "error",
        _ => "unknown",
    }
}

/// A scored case counts as a failure when its score is on the wrong side of
/// one half for the task's direction.
fn is_failure(v: &Verdict, higher_is_better: bool) -> bool {
    match v.score {
        Some(s) if v.status == VerdictStatus::Scored => {
            if higher_is_better {
                s < 0.5
            } else {
                s > 0.5
            }
        }
        _ => false,
    }
}

/// Picks the per-text limit so that the embedded case text stays within the
/// budget (never below `min_text_chars`).
fn text_limit(runs: &[RunData], options: &HtmlOptions) -> usize {
    let mut lengths: Vec<usize> = Vec::new();
    for run in runs {
        for c in &run.cases {
            for p in &c.case.prompts {
                lengths.extend(p.system.iter().map(String::len));
                lengths.extend(p.turns.iter().map(String::len));
            }
            lengths.extend(c.case.variation.iter().map(|v| v.original_prompt.len()));
            lengths.extend(c.case.ground_truth.iter().map(String::len));
            lengths.extend(c.case.choices.iter().map(String::len));
        }
        for o in &run.outputs {
            for a in &o.output.answers {
                lengths.extend(a.turns.iter().filter_map(|t| t.text.as_ref()).map(String::len));
            }
        }
        for v in &run.verdicts {
            lengths.extend(v.verdict.reasoning.iter().map(String::len));
            lengths.extend(v.verdict.extracted.iter().map(String::len));
        }
    }
    let total = |limit: usize| lengths.iter().map(|l| (*l).min(limit)).sum::<usize>();
    let (mut lo, mut hi) = (options.min_text_chars.min(options.max_text_chars), options.max_text_chars);
    if total(hi) <= options.text_budget_chars {
        return hi;
    }
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if total(mid) <= options.text_budget_chars {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

/// The case explorer's data and where each run's failures are.
struct Explorer<'a> {
    data: JsData<'a>,
    /// (run, dimension, task) → result indexes of failed cases, ordered by case id.
    failures: HashMap<(usize, &'a str, &'a str), Vec<usize>>,
}

fn explorer<'a>(report: &Report, runs: &'a [RunData], limit: usize, thumbs: &mut images::Thumbnails) -> Explorer<'a> {
    let b = |text: &'a str| Bounded { text, limit };
    let short = |text: &'a str| Bounded { text, limit: limit.min(300) };
    let labels = report.labels();
    let mut data = JsData {
        runs: runs.iter().zip(labels).map(|(r, label)| JsRun { id: short(&r.manifest.run_id), label }).collect(),
        tasks: Vec::new(),
        judges: Vec::new(),
        cases: Vec::new(),
        results: Vec::new(),
        images: Vec::new(),
    };
    let mut judge_index: HashMap<&str, usize> = HashMap::new();
    let mut task_index: HashMap<(&str, &str), usize> = HashMap::new();
    // Case id → indexes in `data.cases` (one per distinct content).
    let mut case_index: HashMap<&str, Vec<(usize, &'a TestCase)>> = HashMap::new();
    let mut failures: HashMap<(usize, &str, &str), Vec<usize>> = HashMap::new();

    for (ri, run) in runs.iter().enumerate() {
        let outputs: HashMap<&str, &trustgen_plugin_api::ModelOutput> =
            run.outputs.iter().map(|o| (o.case_id.as_str(), &o.output)).collect();
        let mut verdicts: HashMap<&str, &trustgen_rundir::VerdictRecord> = HashMap::new();
        for v in &run.verdicts {
            verdicts.insert(&v.case_id, v);
        }
        let direction: HashMap<(&str, &str), bool> = run
            .manifest
            .plugins
            .iter()
            .flat_map(|p| {
                p.manifest.tasks.iter().map(move |t| ((p.name.as_str(), t.name.as_str()), t.metric.higher_is_better))
            })
            .collect();
        // Cases in id order; verdicts of cases missing from cases.jsonl get a bare case.
        let mut entries: Vec<(&str, &str, &str, Option<&'a TestCase>)> = Vec::new();
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for c in &run.cases {
            if seen.insert(&c.case.id) {
                entries.push((&c.case.id, &c.dimension, &c.case.task, Some(&c.case)));
            }
        }
        for v in &run.verdicts {
            if seen.insert(&v.case_id) {
                entries.push((&v.case_id, &v.dimension, &v.task, None));
            }
        }
        entries.sort_unstable_by(|a, b| (a.1, a.2, a.0).cmp(&(b.1, b.2, b.0)));

        for (id, dimension, task, case) in entries {
            let k = *task_index.entry((dimension, task)).or_insert_with(|| {
                data.tasks.push(JsTask { d: short(dimension), t: short(task) });
                data.tasks.len() - 1
            });
            let slot = case_index.entry(id).or_default();
            let existing = slot.iter().find(|(_, c)| match case {
                Some(case) => c.prompts == case.prompts && c.ground_truth == case.ground_truth,
                None => true,
            });
            let ci = match existing {
                Some((ci, _)) => *ci,
                None => {
                    static EMPTY: std::sync::OnceLock<TestCase> = std::sync::OnceLock::new();
                    let case: &'a TestCase = match case {
                        Some(c) => c,
                        None => EMPTY.get_or_init(TestCase::default),
                    };
                    data.cases.push(JsCase {
                        id: short(id),
                        k,
                        p: case
                            .prompts
                            .iter()
                            .map(|p| JsPrompt {
                                n: short(&p.name),
                                s: p.system.as_deref().map(b),
                                u: p.turns.iter().map(|t| b(t)).collect(),
                                img: p.images.iter().map(|i| thumbs.add(run, i)).collect(),
                            })
                            .collect(),
                        v: case.variation.as_ref().map(|v| JsVariation {
                            op: short(&v.operator),
                            params: {
                                let json = serde_json::to_string(&v.params).unwrap_or_default();
                                ShownText::new(&json, limit.min(1000)).text
                            },
                            orig: b(&v.original_prompt),
                            skipped: v.skipped.as_deref().map(short),
                        }),
                        gt: case.ground_truth.as_deref().map(b),
                        ch: case.choices.iter().map(|c| b(c)).collect(),
                    });
                    slot.push((data.cases.len() - 1, case));
                    data.cases.len() - 1
                }
            };
            let verdict = verdicts.get(id).map(|v| &v.verdict);
            let higher = direction.get(&(dimension, task)).copied().unwrap_or(true);
            let failed = verdict.is_some_and(|v| is_failure(v, higher));
            let answers = outputs
                .get(id)
                .map(|o| {
                    o.answers
                        .iter()
                        .map(|a| JsAnswer {
                            n: short(&a.prompt),
                            t: a.turns
                                .iter()
                                .map(|t| JsTurn {
                                    status: reply_status(t.status),
                                    text: t.text.as_deref().map(b),
                                    error: t.error.as_deref().map(short),
                                    images: t.images.iter().map(|i| thumbs.add(run, i)).collect(),
                                })
                                .collect(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            if failed {
                failures.entry((ri, dimension, task)).or_default().push(data.results.len());
            }
            data.results.push(JsResult {
                case: ci,
                run: ri,
                status: verdict.map(|v| status_name(v.status)).unwrap_or("pending"),
                score: verdict.and_then(|v| v.score).filter(|s| s.is_finite()),
                label: verdict.and_then(|v| v.label.as_deref()).map(short),
                judge: verdict.and_then(|v| v.judge.as_deref()).map(|j| {
                    *judge_index.entry(j).or_insert_with(|| {
                        data.judges.push(short(j));
                        data.judges.len() - 1
                    })
                }),
                reasoning: verdict.and_then(|v| v.reasoning.as_deref()).map(b),
                refused: verdict.is_some_and(|v| v.refused),
                failed,
                answers,
                extracted: verdict.and_then(|v| v.extracted.as_deref()).map(b),
            });
        }
    }
    Explorer { data, failures }
}

// ---------------------------------------------------------------- charts

struct RadarAxis {
    label: String,
    x: String,
    y: String,
    lx: String,
    ly: String,
    anchor: &'static str,
}

struct Series {
    name: String,
    color: &'static str,
    points: String,
    marks: Vec<Mark>,
}

struct Mark {
    x: String,
    y: String,
    /// Interval whisker end points.
    x1: String,
    y1: String,
    x2: String,
    y2: String,
    title: String,
}

#[derive(Template)]
#[template(path = "radar.svg", escape = "html")]
struct RadarChart {
    axes: Vec<RadarAxis>,
    rings: Vec<String>,
    series: Vec<Series>,
}

struct BarGroup {
    label: String,
    x: String,
    bars: Vec<Bar>,
}

struct Bar {
    x: String,
    y: String,
    width: String,
    height: String,
    color: &'static str,
    whisker: Option<(String, String, String)>,
    title: String,
}

#[derive(Template)]
#[template(path = "bars.svg", escape = "html")]
struct BarChart {
    width: String,
    groups: Vec<BarGroup>,
    grid: Vec<(String, String)>,
}

fn f(x: f64) -> String {
    format!("{x:.1}")
}

fn estimate_title(name: &str, dimension: &str, e: Option<Estimate>) -> String {
    match e {
        Some(e) => format!("{name}, {dimension}: {:.3} [{:.3}, {:.3}], n={}", e.value, e.low, e.high, e.n),
        None => format!("{name}, {dimension}: no score"),
    }
}

fn chart(report: &Report) -> Result<(String, &'static str), askama::Error> {
    let dims = report.dimensions();
    let labels = report.labels();
    let value = |ri: usize, d: &str| {
        report.runs[ri].metrics.dimensions.iter().find(|x| x.dimension == d).and_then(|x| x.estimate)
    };
    if dims.len() >= 3 {
        let (cx, cy, r) = (230.0, 200.0, 140.0);
        let k = dims.len() as f64;
        let at = |i: usize, v: f64| {
            let angle = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / k;
            (cx + r * v * angle.cos(), cy + r * v * angle.sin())
        };
        let axes = dims
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let (x, y) = at(i, 1.0);
                let (lx, ly) = at(i, 1.12);
                let dx = lx - cx;
                let anchor = if dx > 10.0 {
                    "start"
                } else if dx < -10.0 {
                    "end"
                } else {
                    "middle"
                };
                RadarAxis { label: d.clone(), x: f(x), y: f(y), lx: f(lx), ly: f(ly + 4.0), anchor }
            })
            .collect();
        let rings = [0.25, 0.5, 0.75, 1.0]
            .iter()
            .map(|v| {
                (0..dims.len())
                    .map(|i| at(i, *v))
                    .map(|(x, y)| format!("{},{}", f(x), f(y)))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let series = labels
            .iter()
            .enumerate()
            .map(|(ri, name)| {
                let mut points = Vec::new();
                let mut marks = Vec::new();
                for (i, d) in dims.iter().enumerate() {
                    let e = value(ri, d);
                    let (x, y) = at(i, e.map(|e| e.value).unwrap_or(0.0));
                    points.push(format!("{},{}", f(x), f(y)));
                    let (x1, y1) = at(i, e.map(|e| e.low).unwrap_or(0.0));
                    let (x2, y2) = at(i, e.map(|e| e.high).unwrap_or(0.0));
                    marks.push(Mark {
                        x: f(x),
                        y: f(y),
                        x1: f(x1),
                        y1: f(y1),
                        x2: f(x2),
                        y2: f(y2),
                        title: estimate_title(name, d, e),
                    });
                }
                Series { name: name.clone(), color: PALETTE[ri % PALETTE.len()], points: points.join(" "), marks }
            })
            .collect();
        return Ok((RadarChart { axes, rings, series }.render()?, "radar"));
    }
    // Grouped bars with interval whiskers.
    let runs = labels.len().max(1) as f64;
    let (bar_w, gap, left, top, height) = (22.0, 28.0, 40.0, 10.0, 220.0);
    let group_w = runs * bar_w + gap;
    let y_of = |v: f64| top + height * (1.0 - v.clamp(0.0, 1.0));
    let groups = dims
        .iter()
        .enumerate()
        .map(|(gi, d)| {
            let x0 = left + gap / 2.0 + gi as f64 * group_w;
            let bars = labels
                .iter()
                .enumerate()
                .map(|(ri, name)| {
                    let e = value(ri, d);
                    let v = e.map(|e| e.value).unwrap_or(0.0);
                    let x = x0 + ri as f64 * bar_w;
                    Bar {
                        x: f(x),
                        y: f(y_of(v)),
                        width: f(bar_w - 3.0),
                        height: f(height * v.clamp(0.0, 1.0)),
                        color: PALETTE[ri % PALETTE.len()],
                        whisker: e.map(|e| (f(x + (bar_w - 3.0) / 2.0), f(y_of(e.low)), f(y_of(e.high)))),
                        title: estimate_title(name, d, e),
                    }
                })
                .collect();
            BarGroup { label: d.clone(), x: f(x0 + runs * bar_w / 2.0), bars }
        })
        .collect();
    let grid = [0.0, 0.25, 0.5, 0.75, 1.0].iter().map(|v| (f(y_of(*v)), format!("{v:.2}"))).collect();
    let width = f(left + gap + dims.len().max(1) as f64 * group_w);
    Ok((BarChart { width, groups, grid }.render()?, "bars"))
}

// ---------------------------------------------------------------- the page

struct RunRow {
    label: String,
    color: &'static str,
    run_id: String,
    name: String,
    model_type: String,
    judge: String,
    seed: u64,
    suite: String,
    suite_sha: String,
    version: String,
    started: String,
    finished: String,
    status: String,
    incomplete: bool,
    counts: String,
}

struct Cell {
    text: String,
    sort: String,
}

struct DimRow {
    name: String,
    cells: Vec<Cell>,
    rule: String,
}

struct TaskRow {
    dimension: String,
    task: String,
    metric: String,
    direction: &'static str,
    model: String,
    color: &'static str,
    score: Cell,
    low: String,
    high: String,
    n: String,
    method: &'static str,
    missing: usize,
    filtered: usize,
    unparseable: usize,
    agreement: String,
    refused: usize,
    pending: usize,
    bar: Option<(String, String, String)>,
    secondary: String,
    policy: String,
    /// The data origin badge: `public`, `authored`, `user`, or kinds joined by ` + `.
    origin: String,
    /// Its CSS class: `authored` whenever a source is authored, else the first kind.
    origin_class: &'static str,
    /// The sources, rows available and cases built.
    origin_detail: String,
}

struct CompRow {
    task: String,
    paired: usize,
    unpaired: String,
    a: String,
    b: String,
    test: String,
    p: String,
    p_adj: String,
    outcome: String,
    significant: bool,
    judges_differ: String,
}

struct CompPair {
    a: String,
    b: String,
    rows: Vec<CompRow>,
}

struct Failure {
    case_index: usize,
    case_id: String,
    prompt: ShownText,
    output: ShownText,
    score: String,
    label: String,
    reasoning: ShownText,
}

struct FailureGroup {
    model: String,
    task: String,
    total: usize,
    shown: Vec<Failure>,
}

struct RefRow {
    model: String,
    measured: bool,
    cells: Vec<String>,
}

struct RefBoard {
    model_type: String,
    headings: Vec<&'static str>,
    rows: Vec<RefRow>,
    source: &'static str,
    notes: Vec<&'static str>,
}

struct ThresholdRow {
    threshold: String,
    model: String,
    score: String,
    passed: bool,
    message: String,
}

#[derive(Template)]
#[template(path = "report.html", escape = "html")]
struct Page {
    title: String,
    generator: String,
    runs: Vec<RunRow>,
    chart: String,
    chart_kind: &'static str,
    labels: Vec<String>,
    dims: Vec<DimRow>,
    overall: Vec<Cell>,
    overall_rule: String,
    tasks: Vec<TaskRow>,
    task_options: Vec<String>,
    alpha: f64,
    correction: String,
    tests: usize,
    pairs: Vec<CompPair>,
    skipped_pairs: Vec<String>,
    failures: Vec<FailureGroup>,
    boards: Vec<RefBoard>,
    thresholds: Vec<ThresholdRow>,
    any_failed: bool,
    total_results: usize,
    text_note: String,
    /// What became of the runs' images (empty when they have none).
    image_note: String,
    css: &'static str,
    js: &'static str,
    /// The CSP source of the page's one script (`'sha256-…'`): no other
    /// script, inline handler or network load can run even if escaping failed.
    script_hash: String,
    data: String,
}

fn cell(e: Option<Estimate>) -> Cell {
    Cell { text: fmt_estimate(e), sort: e.map(|e| format!("{:.6}", e.value)).unwrap_or_default() }
}

fn shown_prompt(case: Option<&TestCase>, limit: usize) -> ShownText {
    let text = case.and_then(|c| c.prompts.first()).and_then(|p| p.turns.last()).map(String::as_str).unwrap_or("");
    ShownText::new(text, limit)
}

/// `report.html` for `runs` and their `report`.
pub fn render_html(report: &Report, runs: &[RunData], options: &HtmlOptions) -> Result<String, ReportError> {
    let err = |e: askama::Error| ReportError::Render { output: "report.html", message: e.to_string() };
    let limit = text_limit(runs, options);
    let labels = report.labels();
    let color = |i: usize| PALETTE[i % PALETTE.len()];

    let run_rows = report
        .runs
        .iter()
        .zip(&labels)
        .enumerate()
        .map(|(i, (r, label))| RunRow {
            label: label.clone(),
            color: color(i),
            run_id: r.run_id.clone(),
            name: r.name.clone(),
            model_type: r.model_type.clone(),
            judge: r.judge.clone().unwrap_or_else(|| "none (rules and offline judges)".into()),
            seed: r.seed,
            suite: r.suite_path.clone(),
            suite_sha: r.suite_sha256.get(..16).unwrap_or(&r.suite_sha256).to_owned(),
            version: match &r.trustgen_commit {
                Some(commit) => format!("{} ({commit})", r.trustgen_version),
                None => r.trustgen_version.clone(),
            },
            started: r.started_at.clone(),
            finished: r.finished_at.clone().unwrap_or_else(|| "—".into()),
            status: format!("{:?}", r.status).to_lowercase(),
            incomplete: r.status != RunStatus::Finished,
            counts: format!(
                "{} cases, {} outputs, {} verdicts, {} skipped items",
                r.cases, r.outputs, r.verdicts, r.skipped
            ),
        })
        .collect();

    let dims: Vec<DimRow> = report
        .dimensions()
        .into_iter()
        .map(|d| {
            let cells = report
                .runs
                .iter()
                .map(|r| cell(r.metrics.dimensions.iter().find(|x| x.dimension == d).and_then(|x| x.estimate)))
                .collect();
            let rule = report
                .runs
                .iter()
                .flat_map(|r| &r.metrics.dimensions)
                .find(|x| x.dimension == d)
                .map(|x| x.aggregate.clone())
                .unwrap_or_default();
            DimRow { name: d, cells, rule }
        })
        .collect();

    let mut tasks = Vec::new();
    for (dimension, task) in report.tasks() {
        for (ri, r) in report.runs.iter().enumerate() {
            let Some(t) = r.metrics.tasks.iter().find(|t| t.dimension == dimension && t.task == task) else {
                continue;
            };
            let e = t.estimate;
            let secondary = t.secondary.iter().map(|(name, e)| fmt_secondary(name, *e)).collect::<Vec<_>>().join("; ");
            tasks.push(TaskRow {
                dimension: dimension.clone(),
                task: task.clone(),
                metric: t.metric.clone(),
                direction: if t.higher_is_better { "↑" } else { "↓" },
                model: labels[ri].clone(),
                color: color(ri),
                score: cell(e),
                low: e.map(|e| format!("{:.3}", e.low)).unwrap_or_default(),
                high: e.map(|e| format!("{:.3}", e.high)).unwrap_or_default(),
                n: e.map(|e| e.n.to_string()).unwrap_or_else(|| "0".into()),
                method: match e.map(|e| e.method) {
                    Some(IntervalMethod::Wilson) => "Wilson",
                    Some(IntervalMethod::Bootstrap) => "bootstrap",
                    _ => "",
                },
                missing: t.counts.missing,
                filtered: t.counts.filtered,
                unparseable: t.counts.unparseable,
                agreement: t.judge_agreement.as_ref().map(fmt_agreement).unwrap_or_default(),
                refused: t.counts.refused,
                pending: t.counts.pending,
                bar: e.map(|e| (f(e.low * 100.0), f((e.high - e.low).max(0.0) * 100.0), f(e.value * 100.0))),
                secondary,
                policy: t.policy.clone(),
                origin: t.provenance.as_ref().map_or_else(|| "unknown".to_owned(), |p| p.label.clone()),
                origin_class: match &t.provenance {
                    Some(p) if p.is_authored() => "authored",
                    Some(p) if p.label.starts_with("public") => "public",
                    Some(p) if p.label.starts_with("user") => "user",
                    _ => "unknown",
                },
                origin_detail: t.provenance.as_ref().map(crate::text::data_line).unwrap_or_default(),
            });
        }
    }

    let c = &report.comparisons;
    let pairs = c
        .pairs
        .iter()
        .map(|pair| CompPair {
            a: pair.a_target.clone(),
            b: pair.b_target.clone(),
            rows: pair
                .tasks
                .iter()
                .map(|t| CompRow {
                    task: format!("{}/{}", t.dimension, t.task),
                    paired: t.paired,
                    unpaired: format!(
                        "{} only A, {} only B, {} differ, {} unscored",
                        t.only_a, t.only_b, t.content_differs, t.unscored
                    ),
                    a: t.a_mean.map(|v| format!("{v:.3}")).unwrap_or_else(|| "—".into()),
                    b: t.b_mean.map(|v| format!("{v:.3}")).unwrap_or_else(|| "—".into()),
                    test: t.test.describe(),
                    p: t.p_value.map(|p| format!("{p:.2e}")).unwrap_or_else(|| "—".into()),
                    p_adj: t.p_adjusted.map(|p| format!("{p:.2e}")).unwrap_or_else(|| "—".into()),
                    outcome: t.outcome.describe(&pair.a_target, &pair.b_target),
                    significant: t.outcome.significant() && t.outcome != Outcome::NotTested,
                    judges_differ: t.judges_differ.clone().unwrap_or_default(),
                })
                .collect(),
        })
        .collect();

    let mut thumbs = images::Thumbnails::new(options);
    let mut explorer = explorer(report, runs, limit, &mut thumbs);
    explorer.data.images = std::mem::take(&mut thumbs.images);
    let image_note = thumbs.note();
    let mut failures = Vec::new();
    for (ri, run) in runs.iter().enumerate() {
        for (dimension, task) in report.tasks() {
            let Some(list) = explorer.failures.get(&(ri, dimension.as_str(), task.as_str())) else { continue };
            let mut rng = SeededRng::derive(run.manifest.seed, &format!("failures/{dimension}/{task}"));
            let mut picks = rng.sample_indices(list.len(), options.failures_per_task);
            picks.sort_unstable();
            let cases: HashMap<&str, &TestCase> = run
                .cases
                .iter()
                .filter(|c| c.dimension == dimension && c.case.task == task)
                .map(|c| (c.case.id.as_str(), &c.case))
                .collect();
            let shown = picks
                .into_iter()
                .map(|p| {
                    let result = &explorer.data.results[list[p]];
                    let case = &explorer.data.cases[result.case];
                    let id = case.id.text;
                    let output = result
                        .answers
                        .first()
                        .and_then(|a| a.t.last())
                        .and_then(|t| t.text)
                        .map(|b| b.text)
                        .unwrap_or("(no text)");
                    Failure {
                        case_index: result.case,
                        case_id: id.to_owned(),
                        prompt: shown_prompt(cases.get(id).copied(), limit.min(1500)),
                        output: ShownText::new(output, limit.min(1500)),
                        score: result.score.map(|s| format!("{s:.3}")).unwrap_or_default(),
                        label: result.label.map(|l| l.text.to_owned()).unwrap_or_default(),
                        reasoning: ShownText::new(result.reasoning.map(|r| r.text).unwrap_or(""), limit.min(1500)),
                    }
                })
                .collect();
            failures.push(FailureGroup {
                model: labels[ri].clone(),
                task: format!("{dimension}/{task}"),
                total: list.len(),
                shown,
            });
        }
    }

    let mut boards = Vec::new();
    let mut types: Vec<String> = Vec::new();
    for r in &report.runs {
        let t = if r.model_type.is_empty() { "llm".to_owned() } else { r.model_type.to_lowercase() };
        if !types.contains(&t) {
            types.push(t);
        }
    }
    for t in types {
        let Some(board) = reference::for_model_type(&t) else { continue };
        let mut rows: Vec<RefRow> = report
            .runs
            .iter()
            .zip(&labels)
            .filter(|(r, _)| r.model_type.is_empty() || r.model_type.eq_ignore_ascii_case(&t))
            .map(|(r, label)| {
                let mut cells: Vec<String> = board
                    .columns
                    .iter()
                    .map(|col| {
                        r.metrics
                            .dimensions
                            .iter()
                            .find(|d| reference::column_of(&d.dimension) == Some(col))
                            .and_then(|d| d.estimate)
                            .map(|e| format!("{:.2}", e.value * 100.0))
                            .unwrap_or_else(|| "—".into())
                    })
                    .collect();
                cells.push(r.metrics.overall.map(|e| format!("{:.2}", e.value * 100.0)).unwrap_or_else(|| "—".into()));
                RefRow { model: label.clone(), measured: true, cells }
            })
            .collect();
        rows.extend(board.rows.iter().map(|(model, scores)| RefRow {
            model: (*model).to_owned(),
            measured: false,
            cells: scores.iter().map(|s| format!("{s:.2}")).collect(),
        }));
        let mut headings: Vec<&'static str> = board.columns.iter().map(|c| reference::heading(c)).collect();
        headings.push("Avg");
        boards.push(RefBoard {
            model_type: t.to_uppercase(),
            headings,
            rows,
            source: board.source,
            notes: board.notes.to_vec(),
        });
    }

    let thresholds = report
        .thresholds
        .iter()
        .map(|t| ThresholdRow {
            threshold: t.threshold.clone(),
            model: t.model.clone(),
            score: t.score.map(|s| format!("{s:.3}")).unwrap_or_else(|| "—".into()),
            passed: t.passed,
            message: t.message.clone(),
        })
        .collect();

    let (chart_svg, chart_kind) = chart(report).map_err(err)?;
    let total_results = explorer.data.results.len();
    let data = script_json(&explorer.data)
        .map_err(|e| ReportError::Render { output: "report.html", message: e.to_string() })?;
    let text_note = if limit < options.max_text_chars {
        format!(
            "Texts are cut at {limit} characters (lowered from {} to keep this page small); the run directory has \
             every text in full.",
            options.max_text_chars
        )
    } else {
        format!("Texts longer than {limit} characters are cut; the run directory has every text in full.")
    };
    let page = Page {
        title: format!("trustgen report: {}", labels.join(" vs ")),
        generator: report.generator.clone(),
        runs: run_rows,
        chart: chart_svg,
        chart_kind,
        dims,
        overall: report.runs.iter().map(|r| cell(r.metrics.overall)).collect(),
        overall_rule: report
            .runs
            .iter()
            .map(|r| r.metrics.overall_rule.clone())
            .find(|r| !r.is_empty())
            .unwrap_or_default(),
        labels,
        tasks,
        task_options: explorer.data.tasks.iter().map(|t| format!("{}/{}", t.d.text, t.t.text)).collect(),
        alpha: c.alpha,
        correction: c.correction.clone(),
        tests: c.tests,
        pairs,
        skipped_pairs: c.skipped.clone(),
        failures,
        boards,
        any_failed: report.failed(),
        thresholds,
        total_results,
        text_note,
        image_note,
        css: CSS,
        js: JS,
        script_hash: script_hash(JS),
        data,
    };
    let html = page.render().map_err(err)?;
    Ok(neutralise_hidden(&html).into_owned())
}

#[cfg(test)]
mod tests;
