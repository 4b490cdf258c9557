//! The progress of `trustgen run` on stderr, drawn from the engine's events:
//! bars on a terminal; elsewhere (CI, a log file) one summary line at a
//! steady interval and a final line; nothing with `--quiet`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use trustgen_engine::{Event, Observer, ReplySource, Stage};
use trustgen_plugin_api::VerdictStatus;

/// Parses `--progress-interval` (`10s`, `500ms`, ...); zero is refused.
pub(crate) fn parse_interval(text: &str) -> Result<Duration, String> {
    let interval = humantime::parse_duration(text).map_err(|e| format!("{e} (e.g. 10s or 500ms)"))?;
    if interval.is_zero() {
        return Err("the interval must be longer than zero (e.g. 10s)".into());
    }
    Ok(interval)
}

/// Waits longer than this are shown on the progress line while they last.
const LONG_WAIT: Duration = Duration::from_secs(2);

/// A long wait before a retry, shown while it lasts.
#[derive(Debug, Clone, PartialEq)]
struct LongWait {
    /// When it ends.
    until: Instant,
    /// How long it is.
    wait: Duration,
    /// The model that asked for it (or whose request is backing off).
    model: String,
    /// The server's `Retry-After`, not the backoff's.
    retry_after: bool,
}

impl LongWait {
    /// `waiting 30s (Retry-After from gpt-4o-mini)`.
    fn describe(&self) -> String {
        let wait = humantime::format_duration(Duration::from_secs(self.wait.as_secs_f64().round() as u64));
        if self.retry_after {
            format!("waiting {wait} (Retry-After from {})", self.model)
        } else {
            format!("waiting {wait} (retry backoff for {})", self.model)
        }
    }
}

/// Counts of a run so far, updated from events.
struct Tally {
    started: Instant,
    tasks: AtomicUsize,
    built: AtomicUsize,
    /// Cases to run, plus one (0: not known yet).
    cases: AtomicUsize,
    answered: AtomicUsize,
    judged: AtomicUsize,
    /// Cases whose verdict is not `scored`, and tasks whose builder failed.
    failed: AtomicUsize,
    resumed: AtomicUsize,
    sent: AtomicUsize,
    cached: AtomicUsize,
    /// Answered from the run's journal or by an identical request of the run.
    reused: AtomicUsize,
    retries: AtomicUsize,
    /// Events received (none: the run never started).
    events: AtomicUsize,
    /// The long wait that ends last, while it lasts.
    waiting: Mutex<Option<LongWait>>,
}

impl Tally {
    fn new() -> Tally {
        let zero = || AtomicUsize::new(0);
        Tally {
            started: Instant::now(),
            tasks: zero(),
            built: zero(),
            cases: zero(),
            answered: zero(),
            judged: zero(),
            failed: zero(),
            resumed: zero(),
            sent: zero(),
            cached: zero(),
            reused: zero(),
            retries: zero(),
            events: zero(),
            waiting: Mutex::new(None),
        }
    }

    /// The long wait in progress, if any.
    fn waiting(&self) -> Option<LongWait> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        if waiting.as_ref().is_some_and(|w| w.until <= Instant::now()) {
            *waiting = None;
        }
        waiting.clone()
    }

    fn add(counter: &AtomicUsize, n: usize) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn get(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::Relaxed)
    }

    fn record(&self, event: &Event) {
        Tally::add(&self.events, 1);
        match event {
            Event::StageStarted { stage: Stage::Build, total } => self.tasks.store(*total, Ordering::Relaxed),
            Event::StageStarted { stage: Stage::Target | Stage::Judge, total } => {
                self.cases.store(total + 1, Ordering::Relaxed)
            }
            Event::TaskBuilt { failed, .. } => {
                Tally::add(&self.built, 1);
                Tally::add(&self.failed, usize::from(*failed));
            }
            Event::CaseAnswered { .. } => Tally::add(&self.answered, 1),
            Event::CaseFinished { status, resumed, .. } => {
                Tally::add(&self.judged, 1);
                Tally::add(&self.failed, usize::from(*status != VerdictStatus::Scored));
                Tally::add(&self.resumed, usize::from(*resumed));
            }
            Event::Request { source: ReplySource::Sent { .. }, .. } => Tally::add(&self.sent, 1),
            Event::Request { source: ReplySource::Cache, .. } => Tally::add(&self.cached, 1),
            Event::Request { source: ReplySource::Journal, .. } => Tally::add(&self.reused, 1),
            Event::RetryWait { model, wait, retry_after, .. } => {
                Tally::add(&self.retries, 1);
                if *wait > LONG_WAIT {
                    let until = Instant::now() + *wait;
                    let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
                    if waiting.as_ref().is_none_or(|w| w.until < until) {
                        *waiting =
                            Some(LongWait { until, wait: *wait, model: model.clone(), retry_after: *retry_after });
                    }
                }
            }
            // Dry-run placeholders, and events this display does not show.
            _ => {}
        }
    }

    /// One line: `<label> [12.3s]: build 3/3 tasks, target 12/60, judge 10/60 cases
    /// (0 failed, 0 resumed), requests: 24 sent, 0 cached, 3 reused, 0 retries`, and while a
    /// wait longer than 2 s lasts, `, waiting 30s (Retry-After from <model>)`.
    fn line(&self, label: &str) -> String {
        let mut line = self.counts(label);
        if let Some(wait) = self.waiting() {
            line.push_str(", ");
            line.push_str(&wait.describe());
        }
        line
    }

    fn counts(&self, label: &str) -> String {
        let cases = match Tally::get(&self.cases) {
            0 => "?".to_string(),
            n => (n - 1).to_string(),
        };
        format!(
            "{label} [{:.1}s]: build {}/{} tasks, target {}/{cases}, judge {}/{cases} cases ({} failed, {} resumed), \
             requests: {} sent, {} cached, {} reused, {} retries",
            self.started.elapsed().as_secs_f64(),
            Tally::get(&self.built),
            Tally::get(&self.tasks),
            Tally::get(&self.answered),
            Tally::get(&self.judged),
            Tally::get(&self.failed),
            Tally::get(&self.resumed),
            Tally::get(&self.sent),
            Tally::get(&self.cached),
            Tally::get(&self.reused),
            Tally::get(&self.retries),
        )
    }
}

/// One bar per stage, with counts, rate, ETA and failures.
struct Bars {
    multi: MultiProgress,
    build: ProgressBar,
    target: ProgressBar,
    judge: ProgressBar,
}

impl Bars {
    fn new() -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        let style = ProgressStyle::with_template("{prefix:>7} [{bar:30}] {pos}/{len} {per_sec:>10} eta {eta:>4} {msg}")
            .expect("a valid template")
            .progress_chars("=> ");
        let bar = |name: &str| {
            let bar = multi.add(ProgressBar::new(0));
            bar.set_style(style.clone());
            bar.set_prefix(name.to_string());
            bar
        };
        Bars { build: bar("build"), target: bar("target"), judge: bar("judge"), multi }
    }

    fn record(&self, event: &Event, tally: &Tally) {
        match event {
            Event::StageStarted { stage, total } => self.bar(*stage).set_length(*total as u64),
            Event::TaskBuilt { .. } => self.build.inc(1),
            Event::CaseAnswered { .. } => self.target.inc(1),
            Event::CaseFinished { .. } => self.judge.inc(1),
            _ => {}
        }
        let (failed, retries) = (Tally::get(&tally.failed), Tally::get(&tally.retries));
        if failed + retries > 0 {
            self.judge.set_message(format!("failed: {failed}, retries: {retries}"));
        }
        // The target bar says when requests wait long, and stops saying it at the first event
        // after the wait.
        self.target.set_message(tally.waiting().map(|w| w.describe()).unwrap_or_default());
    }

    fn bar(&self, stage: Stage) -> &ProgressBar {
        match stage {
            Stage::Build => &self.build,
            Stage::Target => &self.target,
            Stage::Judge => &self.judge,
        }
    }

    fn finish(&self) {
        for bar in [&self.build, &self.target, &self.judge] {
            bar.finish();
        }
        let _ = self.multi.clear();
    }
}

/// The engine's observer: counts, and draws the bars if there are any.
struct Listener {
    tally: Arc<Tally>,
    bars: Option<Arc<Bars>>,
}

impl Observer for Listener {
    fn event(&self, event: Event) {
        self.tally.record(&event);
        if let Some(bars) = &self.bars {
            bars.record(&event, &self.tally);
        }
    }
}

/// The progress display of one run.
pub(crate) struct Progress {
    tally: Arc<Tally>,
    bars: Option<Arc<Bars>>,
    ticker: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl Progress {
    /// Bars when stderr is a terminal, else a line every `interval`.
    pub(crate) fn start(interval: Duration) -> Progress {
        let tally = Arc::new(Tally::new());
        if std::io::stderr().is_terminal() {
            return Progress { tally, bars: Some(Arc::new(Bars::new())), ticker: None };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let counts = tally.clone();
        let thread = std::thread::spawn(move || {
            let mut next = Instant::now() + interval;
            loop {
                match stopped.recv_timeout(next.saturating_duration_since(Instant::now())) {
                    Err(RecvTimeoutError::Timeout) => eprintln!("{}", counts.line("progress")),
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
                next += interval;
            }
        });
        Progress { tally, bars: None, ticker: Some((stop, thread)) }
    }

    /// The observer to pass in the engine's `RunRequest`.
    pub(crate) fn observer(&self) -> Arc<dyn Observer> {
        Arc::new(Listener { tally: self.tally.clone(), bars: self.bars.clone() })
    }

    /// Stops the display; without bars, prints the final line (`finished`
    /// or `stopped`) unless the run stopped before it started.
    pub(crate) fn finish(self, finished: bool) {
        if let Some(bars) = &self.bars {
            bars.finish();
        }
        if let Some((stop, thread)) = self.ticker {
            drop(stop);
            let _ = thread.join();
            if finished || Tally::get(&self.tally.events) > 0 {
                eprintln!("{}", self.tally.line(if finished { "finished" } else { "stopped" }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use trustgen_plugin_api::ModelRole;

    use super::*;

    fn wait(secs: u64, retry_after: bool) -> Event {
        Event::RetryWait {
            role: ModelRole::Target,
            model: "gpt-4o-mini".into(),
            attempt: 1,
            wait: Duration::from_secs(secs),
            retry_after,
        }
    }

    #[test]
    fn a_long_wait_is_on_the_line_while_it_lasts() {
        let tally = Tally::new();
        tally.record(&wait(2, true));
        assert!(!tally.line("progress").contains("waiting"), "2 s is not long");
        tally.record(&wait(30, true));
        tally.record(&wait(5, false));
        let line = tally.line("progress");
        assert!(line.ends_with("3 retries, waiting 30s (Retry-After from gpt-4o-mini)"), "the longest one: {line}");
        // A wait that is over is not shown.
        *tally.waiting.lock().unwrap() = Some(LongWait {
            until: Instant::now(),
            wait: Duration::from_secs(3),
            model: "m".into(),
            retry_after: false,
        });
        assert!(!tally.line("progress").contains("waiting"));
        tally.record(&wait(4, false));
        assert!(tally.line("progress").ends_with("waiting 4s (retry backoff for gpt-4o-mini)"));
    }
}
