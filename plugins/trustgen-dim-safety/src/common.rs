//! The safety plugin's wording of a missing data source (the shared helpers of the tasks come
//! from `trustgen_plugin_kit`).

use serde_json::Value;
use trustgen_plugin_api::{BuildInput, Step, fail};
use trustgen_plugin_kit::rows;

/// The rows of a required data source, or an error naming the source and its file.
pub fn required_rows<'a>(input: &'a BuildInput, source: &str, path: &str) -> Step<&'a [Value]> {
    let rows = rows::rows(input, source);
    if rows.is_empty() {
        fail!(
            "task `{}` needs the rows of data source `{source}` (suites/data/{path}), but none were given; \
             hint: check that the file exists and is not empty",
            input.task
        );
    }
    Ok(rows)
}
