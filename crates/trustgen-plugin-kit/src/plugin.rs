//! A plugin's identity: its name and tasks, and what follows from them (case ids, the errors for
//! an unknown task, the plugin's `[[dimension]] options`).
//!
//! Each plugin declares one constant and passes it wherever a message must name the plugin:
//!
//! ```ignore
//! pub(crate) const PLUGIN: Plugin = Plugin::new("fairness", &["stereotype", "disparagement", "preference"]);
//! let id = PLUGIN.case_id("stereotype", 3); // "fairness/stereotype/3"
//! ```

use serde_json::Value;
use trustgen_plugin_api::{JsonMap, Step, Stop, TestCase, fail};

/// The reason recorded when a task (or an item of one) needs a generator model that the suite
/// does not configure.
pub const NEEDS_GENERATOR: &str = "needs a generator model: add [models.generator] to the suite";

/// A dimension plugin: its name (the first part of every case id) and its tasks, in manifest
/// order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plugin {
    name: &'static str,
    tasks: &'static [&'static str],
}

impl Plugin {
    /// The plugin `name` with `tasks`.
    pub const fn new(name: &'static str, tasks: &'static [&'static str]) -> Plugin {
        Plugin { name, tasks }
    }

    /// The plugin's name, e.g. `fairness`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The plugin's tasks, in manifest order.
    pub fn tasks(&self) -> &'static [&'static str] {
        self.tasks
    }

    /// The id of case `n` of `task`: `<plugin>/<task>/<n>` (stable, part of the cache keys).
    pub fn case_id(&self, task: &str, n: usize) -> String {
        format!("{}/{task}/{n}", self.name)
    }

    /// The error for a build of a task the plugin does not have, naming its tasks.
    pub fn unknown_task(&self, task: &str) -> Stop {
        Stop::Error(format!("the {} plugin has no task `{task}`; {}", self.name, self.task_list()))
    }

    /// The error for scoring a case whose task the plugin does not have, naming the case.
    pub fn unknown_case_task(&self, case: &TestCase) -> Stop {
        Stop::Error(format!(
            "case `{}`: the {} plugin has no task `{}`; {}",
            case.id,
            self.name,
            case.task,
            self.task_list()
        ))
    }

    fn task_list(&self) -> String {
        match self.tasks {
            [only] => format!("its only task is `{only}`"),
            tasks => format!("its tasks are: {}", tasks.join(", ")),
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
        let case = TestCase { id: "x/1".into(), task: "jokes".into(), ..TestCase::default() };
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
