//! A plugin's identity and its tasks: its name, what follows from it (case ids, the errors for
//! an unknown task, the plugin's `[[dimension]] options`), and the task dispatcher.
//!
//! A plugin lists its tasks once, each with the function that builds its cases and the one that
//! scores them, and its [`Dimension`](trustgen_plugin_api::Dimension) methods delegate:
//!
//! ```
//! use trustgen_plugin_api::{BuildInput, BuildOutput, Cx, ScoreInput, Step, Verdict};
//! use trustgen_plugin_kit::{Plugin, Task, Tasks};
//!
//! fn build_quiz(_cx: &mut Cx, _input: &BuildInput) -> Step<BuildOutput> {
//!     Ok(BuildOutput::new(vec![]))
//! }
//! fn score_quiz(_cx: &mut Cx, _input: &ScoreInput) -> Step<Verdict> {
//!     Ok(Verdict::scored(1.0))
//! }
//!
//! const TASKS: Tasks = Tasks::new("demo", &[Task::new("quiz", build_quiz, score_quiz)]);
//! const PLUGIN: Plugin = TASKS.plugin();
//!
//! // In `impl Dimension`: `TASKS.build(cx, input)` and `TASKS.score(cx, input)`.
//! let input = BuildInput::new("quizz", 1);
//! let err = TASKS.build(&mut Cx::default(), &input).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "the demo plugin has no task `quizz`; did you mean `quiz`? its only task is `quiz`"
//! );
//! assert_eq!(PLUGIN.case_id("quiz", 3), "demo/quiz/3");
//! ```
//!
//! A plugin whose tasks share one builder can keep its own dispatch and declare its identity
//! with [`Plugin::new`] and the task names.

use serde_json::Value;
use trustgen_plugin_api::{BuildInput, BuildOutput, Cx, JsonMap, ScoreInput, Step, Stop, TestCase, Verdict, fail};

/// The reason recorded when a task (or an item of one) needs a generator model that the suite
/// does not configure.
pub const NEEDS_GENERATOR: &str = "needs a generator model: add [models.generator] to the suite";

/// Builds the test cases of one task (a [`Dimension::build`](trustgen_plugin_api::Dimension::build)
/// for that task).
pub type BuildFn = fn(&mut Cx, &BuildInput) -> Step<BuildOutput>;

/// Grades one case of a task (a [`Dimension::score`](trustgen_plugin_api::Dimension::score) for
/// that task's cases).
pub type ScoreFn = fn(&mut Cx, &ScoreInput) -> Step<Verdict>;

/// One task of a plugin: its name (as in the manifest), its builder and its scorer.
#[derive(Debug, Clone, Copy)]
pub struct Task {
    name: &'static str,
    build: BuildFn,
    score: ScoreFn,
}

impl Task {
    /// The task `name`, built by `build` and scored by `score` (a closure that captures nothing
    /// can pass extra arguments: `|cx, input| qa::build(cx, input, Variant::Closed)`).
    pub const fn new(name: &'static str, build: BuildFn, score: ScoreFn) -> Task {
        Task { name, build, score }
    }

    /// The task's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// A plugin's task dispatcher: its tasks in manifest order, each with its builder and scorer.
/// An unknown task is an error naming the plugin, suggesting the closest task name and listing
/// them all.
#[derive(Debug, Clone, Copy)]
pub struct Tasks {
    plugin: &'static str,
    tasks: &'static [Task],
}

impl Tasks {
    /// The tasks of the plugin `plugin`.
    pub const fn new(plugin: &'static str, tasks: &'static [Task]) -> Tasks {
        Tasks { plugin, tasks }
    }

    /// The plugin's identity (name and task names) for case ids, errors and options.
    pub const fn plugin(&self) -> Plugin {
        Plugin { name: self.plugin, tasks: Names::Table(self.tasks) }
    }

    /// The task named `name`.
    pub fn get(&self, name: &str) -> Option<&'static Task> {
        self.tasks.iter().find(|t| t.name == name)
    }

    /// The task names, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.tasks.iter().map(|t| t.name).collect()
    }

    /// Builds `input.task` with its builder; an unknown task is an error with a did-you-mean.
    pub fn build(&self, cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
        match self.get(&input.task) {
            Some(task) => (task.build)(cx, input),
            None => Err(self.plugin().unknown_task(&input.task)),
        }
    }

    /// Scores `input.case` with the scorer of its task; an unknown task is an error naming the
    /// case, with a did-you-mean.
    pub fn score(&self, cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
        match self.get(&input.case.task) {
            Some(task) => (task.score)(cx, input),
            None => Err(self.plugin().unknown_case_task(&input.case)),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Names {
    List(&'static [&'static str]),
    Table(&'static [Task]),
}

/// A dimension plugin: its name (the first part of every case id) and its tasks, in manifest
/// order.
#[derive(Debug, Clone, Copy)]
pub struct Plugin {
    name: &'static str,
    tasks: Names,
}

/// The closest of `candidates` to `word`, if it is close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

impl Plugin {
    /// The plugin `name` with `tasks`.
    pub const fn new(name: &'static str, tasks: &'static [&'static str]) -> Plugin {
        Plugin { name, tasks: Names::List(tasks) }
    }

    /// The plugin's name, e.g. `fairness`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The plugin's tasks, in manifest order.
    pub fn tasks(&self) -> Vec<&'static str> {
        match self.tasks {
            Names::List(names) => names.to_vec(),
            Names::Table(tasks) => tasks.iter().map(|t| t.name).collect(),
        }
    }

    /// The id of case `n` of `task`: `<plugin>/<task>/<n>` (stable, part of the cache keys).
    pub fn case_id(&self, task: &str, n: usize) -> String {
        format!("{}/{task}/{n}", self.name)
    }

    /// The error for a build of a task the plugin does not have: the closest task name, if one
    /// is close, and the plugin's tasks.
    pub fn unknown_task(&self, task: &str) -> Stop {
        Stop::Error(format!("the {} plugin has no task `{task}`; {}", self.name, self.hint(task)))
    }

    /// The error for scoring a case whose task the plugin does not have, naming the case.
    pub fn unknown_case_task(&self, case: &TestCase) -> Stop {
        Stop::Error(format!(
            "case `{}`: the {} plugin has no task `{}`; {}",
            case.id,
            self.name,
            case.task,
            self.hint(&case.task)
        ))
    }

    fn hint(&self, task: &str) -> String {
        let tasks = self.tasks();
        let list = match tasks.as_slice() {
            [only] => format!("its only task is `{only}`"),
            tasks => format!("its tasks are: {}", tasks.join(", ")),
        };
        match did_you_mean(task, tasks.iter().copied()) {
            Some(best) => format!("did you mean `{best}`? {list}"),
            None => list,
        }
    }

    /// The boolean option `key` of the `[[dimension]] options` table, `default` when absent; any
    /// other value is an error naming the option and the plugin.
    pub fn bool_option(&self, options: &JsonMap, key: &str, default: bool) -> Step<bool> {
        match options.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => fail!("option `{key}` of the {} plugin must be true or false, not {other}", self.name),
        }
    }

    /// Checks that every key of the options table is one of `known` (`(name, what it takes)`);
    /// an unknown key is an error naming it and listing the known ones.
    pub fn known_options(&self, options: &JsonMap, known: &[(&str, &str)]) -> Step<()> {
        let Some(key) = options.keys().find(|key| !known.iter().any(|(name, _)| name == key)) else {
            return Ok(());
        };
        let list = |(name, what): &(&str, &str)| format!("`{name}` ({what})");
        match known {
            [] => fail!("the {} plugin has no option `{key}`; it takes no options", self.name),
            [only] => fail!("the {} plugin has no option `{key}`; its only option is {}", self.name, list(only)),
            all => fail!(
                "the {} plugin has no option `{key}`; its options are {}",
                self.name,
                all.iter().map(list).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use expect_test::expect;
    use serde_json::json;

    use super::*;

    const ONE: Plugin = Plugin::new("honesty", &["honesty"]);
    const MANY: Plugin = Plugin::new("fairness", &["stereotype", "disparagement", "preference"]);

    fn message<T: std::fmt::Debug>(result: Step<T>) -> String {
        match result {
            Err(Stop::Error(message)) => message,
            other => format!("{other:?}"),
        }
    }

    fn options(value: Value) -> JsonMap {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn case_ids_and_unknown_tasks_name_the_plugin() {
        let case = TestCase::default().with_id("x/1").with_task("jokes");
        let lines = [
            MANY.case_id("stereotype", 3),
            message::<()>(Err(MANY.unknown_task("jokes"))),
            message::<()>(Err(ONE.unknown_task("jokes"))),
            message::<()>(Err(MANY.unknown_case_task(&case))),
        ];
        expect![[r#"
            fairness/stereotype/3
            the fairness plugin has no task `jokes`; its tasks are: stereotype, disparagement, preference
            the honesty plugin has no task `jokes`; its only task is `honesty`
            case `x/1`: the fairness plugin has no task `jokes`; its tasks are: stereotype, disparagement, preference"#]]
        .assert_eq(&lines.join("\n"));
        assert_eq!(ONE.name(), "honesty");
        assert_eq!(MANY.tasks().len(), 3);
    }

    fn build_one(_cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
        Ok(BuildOutput::new(vec![TestCase::default().with_id(format!("one:{}", input.seed))]))
    }

    fn score_one(_cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
        Ok(Verdict::scored(1.0).with_label(format!("one:{}", input.case.id)))
    }

    const TASKS: Tasks = Tasks::new(
        "demo",
        &[
            Task::new("stereotype", build_one, score_one),
            // Closures that capture nothing are functions too.
            Task::new(
                "preference",
                |_, _| Ok(BuildOutput::default()),
                |_, _| Ok(Verdict::scored(0.0).with_label("two")),
            ),
        ],
    );

    #[test]
    fn the_dispatcher_calls_the_task_and_suggests_a_close_name() {
        let build = |task: &str| {
            let input = BuildInput::new(task, 4);
            match TASKS.build(&mut Cx::default(), &input) {
                Ok(out) => format!("built {:?}", out.cases.iter().map(|c| c.id.as_str()).collect::<Vec<_>>()),
                Err(stop) => stop.to_string(),
            }
        };
        let score = |task: &str| {
            let case = TestCase::default().with_id("demo/x/0").with_task(task);
            let input = ScoreInput::default().with_case(case);
            match TASKS.score(&mut Cx::default(), &input) {
                Ok(v) => format!("scored {:?} {:?}", v.score, v.label),
                Err(stop) => stop.to_string(),
            }
        };
        let lines = [
            build("stereotype"),
            build("preference"),
            build("stereotypes"),
            build("jokes"),
            score("stereotype"),
            score("preference"),
            score("preferance"),
        ];
        expect![[r#"
            built ["one:4"]
            built []
            the demo plugin has no task `stereotypes`; did you mean `stereotype`? its tasks are: stereotype, preference
            the demo plugin has no task `jokes`; its tasks are: stereotype, preference
            scored Some(1.0) Some("one:demo/x/0")
            scored Some(0.0) Some("two")
            case `demo/x/0`: the demo plugin has no task `preferance`; did you mean `preference`? its tasks are: stereotype, preference"#]].assert_eq(&lines.join("\n"));
        assert_eq!(TASKS.names(), ["stereotype", "preference"]);
        assert_eq!(TASKS.plugin().tasks(), ["stereotype", "preference"]);
        assert_eq!(TASKS.plugin().case_id("preference", 2), "demo/preference/2");
        assert_eq!(did_you_mean("fairnes", ["safety", "fairness"]), Some("fairness"));
        assert_eq!(did_you_mean("x", ["safety", "fairness"]), None);
    }

    #[test]
    fn bool_options_default_and_reject_other_values() {
        assert_eq!(ONE.bool_option(&options(json!({})), "dynamic", true), Ok(true));
        assert_eq!(ONE.bool_option(&options(json!({"dynamic": false})), "dynamic", true), Ok(false));
        expect![[r#"option `dynamic` of the honesty plugin must be true or false, not "yes""#]]
            .assert_eq(&message(ONE.bool_option(&options(json!({"dynamic": "yes"})), "dynamic", true)));
    }

    #[test]
    fn unknown_options_are_errors_listing_the_known_ones() {
        let table = options(json!({"dynamik": true}));
        assert_eq!(ONE.known_options(&options(json!({"dynamic": true})), &[("dynamic", "true or false")]), Ok(()));
        let lines = [
            message(ONE.known_options(&table, &[("dynamic", "true or false")])),
            message(ONE.known_options(&table, &[("dynamic", "true or false"), ("limit", "a number")])),
            message(ONE.known_options(&table, &[])),
        ];
        expect![[r#"
            the honesty plugin has no option `dynamik`; its only option is `dynamic` (true or false)
            the honesty plugin has no option `dynamik`; its options are `dynamic` (true or false), `limit` (a number)
            the honesty plugin has no option `dynamik`; it takes no options"#]]
        .assert_eq(&lines.join("\n"));
    }
}
