//! Tests of suite parsing and its error messages: the top-level shape, and every rule of a
//! `[models.<role>]` table.

use std::path::Path;

use expect_test::{Expect, expect};

use crate::Suite;

/// Parses `text` as `suite.toml`: `ok` with the dimensions and each model's resolved role,
/// provider and model, or the errors as the CLI prints them.
#[track_caller]
fn check(text: &str, expected: Expect) {
    let got = match Suite::parse(Path::new("suite.toml"), text.to_string()) {
        Ok(suite) => {
            let mut out =
                format!("ok: {} dimension(s), {} model(s)", suite.file.dimensions.len(), suite.file.models.len());
            for model in suite.file.models.values() {
                out.push_str(&format!(
                    "\n{} {} model={} base_url={:?} deployment={:?} path={:?}",
                    model.role.as_str(),
                    model.provider.as_str(),
                    model.model,
                    model.base_url,
                    model.deployment,
                    model.path,
                ));
            }
            out
        }
        Err(errors) => errors.to_string(),
    };
    expected.assert_eq(&got);
}

#[test]
fn valid_suite() {
    check(
        r#"
[run]
name = "x"
seed = 7

[models.target]
provider = "openai"
model = "gpt-4o-mini"
api_key_env = "OPENAI_API_KEY"

[[dimension]]
plugin = "safety"
tasks = ["jailbreak"]
variations = ["paraphrase"]
options = { toxicity_judge = "offline" }
"#,
        expect![[r#"
            ok: 1 dimension(s), 1 model(s)
            target openai model=gpt-4o-mini base_url=None deployment=None path=None"#]],
    );
}

#[test]
fn options_keep_their_positions() {
    let text = "[[dimension]]\nplugin = \"safety\"\noptions = { toxicity_judge = \"offline\", limit = 3 }\n";
    let suite = Suite::parse(Path::new("suite.toml"), text.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let options = &suite.file.dimensions[0].options;
    let span = options.key_span("limit").unwrap_or_else(|| panic!("no span"));
    let error = suite.error_at(span, "here".into(), None);
    expect!["suite.toml:3:41: here"].assert_eq(&error.to_string());
    let value = options.value_span("toxicity_judge").unwrap_or_else(|| panic!("no span"));
    expect![[r#""offline""#]].assert_eq(&text[value]);
    expect![[r#"{"limit":3,"toxicity_judge":"offline"}"#]]
        .assert_eq(&serde_json::Value::Object(options.to_json()).to_string());
}

#[test]
fn unknown_key_with_suggestion() {
    check(
        r#"
[run]
concurency = 4
"#,
        expect![[r#"suite.toml:3:1: unknown key `concurency` in [run]; did you mean `concurrency`?"#]],
    );
}

#[test]
fn unknown_table_with_suggestion() {
    check(
        r#"
[modles.target]
provider = "openai"
"#,
        expect![[r#"suite.toml:2:2: unknown key `modles` at the top level; did you mean `models`?"#]],
    );
}

#[test]
fn unknown_model_key() {
    check(
        r#"
[models.target]
provider = "openai"
api_key = "sk-secret"
"#,
        expect![[r#"suite.toml:4:1: unknown key `api_key` in [models.target]; did you mean `api_key_env`?"#]],
    );
}

#[test]
fn bad_role_provider_and_variation() {
    check(
        r#"
[models.targte]
provider = "openai"

[models.judge]
provider = "opnai"

[[dimension]]
plugin = "safety"
variations = ["paraphrse"]
"#,
        expect![[r#"
            suite.toml:2:9: unknown model role `targte` in [models]; did you mean `target`?
            suite.toml:6:12: unknown provider `opnai` for [models.judge]; did you mean `openai`?
            suite.toml:10:15: unknown variation `paraphrse`; did you mean `paraphrase`?"#]],
    );
}

#[test]
fn bad_toml_syntax() {
    check(
        r#"
[run
seed = 1
"#,
        expect![[r#"suite.toml:2:5: unclosed table, expected `]`"#]],
    );
}

#[test]
fn wrong_type() {
    check(
        r#"
[run]
seed = "seven"
"#,
        expect![[r#"suite.toml:3:8: invalid type: string "seven", expected u64"#]],
    );
}

#[test]
fn providers_resolve_their_defaults() {
    check(
        r#"
[models.target]
provider = "azure"
deployment = "gpt4o"
base_url = "https://r.openai.azure.com/"

[models.judge]
provider = "embedded"

[models.embedder]
provider = "embedded"

[models.generator]
provider = "openai"
model = " llama3 "
base_url = "http://localhost:11434/v1/"

[models.retriever]
provider = "corpus"
path = "data/wiki.jsonl"
"#,
        expect![[r#"
            ok: 0 dimension(s), 5 model(s)
            target azure model=gpt4o base_url=Some("https://r.openai.azure.com") deployment=Some("gpt4o") path=None
            generator openai model=llama3 base_url=Some("http://localhost:11434/v1") deployment=None path=None
            judge embedded model=smollm2-135m-instruct base_url=None deployment=None path=None
            embedder embedded model=all-minilm-l6-v2 base_url=None deployment=None path=None
            retriever corpus model=wiki.jsonl base_url=None deployment=None path=Some("data/wiki.jsonl")"#]],
    );
}

#[test]
fn providers_name_the_keys_they_need() {
    check(
        r#"
[models.target]
provider = "azure"

[models.judge]
provider = "anthropic"

[models.retriever]
provider = "corpus"
"#,
        expect![[r#"
            suite.toml:2:9: provider `azure` needs `deployment` in [models.target]; add `deployment = "<your deployment name>"`
            suite.toml:2:9: provider `azure` needs `base_url` in [models.target]; add `base_url = "https://<resource>.openai.azure.com"`
            suite.toml:5:9: provider `anthropic` needs `model` in [models.judge]; add e.g. `model = "claude-3-5-haiku-latest"`
            suite.toml:8:9: provider `corpus` needs `path` in [models.retriever]; add `path = "corpus.jsonl"` (one {title, text, url} object per line)"#]],
    );
}

#[test]
fn keys_a_provider_does_not_use_are_errors() {
    check(
        r#"
[models.judge]
provider = "embedded"
base_url = "http://x"

[models.target]
provider = "openai"
model = "m"
deployment = "d"
"#,
        expect![[r#"
            suite.toml:4:12: provider `embedded` does not use `base_url` in [models.judge]; remove it
            suite.toml:9:14: provider `openai` does not use `deployment` in [models.target]; remove it"#]],
    );
}

#[test]
fn retrievers_serve_only_the_retriever_role() {
    check(
        r#"
[models.retriever]
provider = "openai"
model = "x"

[models.target]
provider = "http"
base_url = "https://s"
"#,
        expect![[r#"
            suite.toml:3:12: provider `openai` cannot serve the retriever role in [models.retriever]; expected one of `corpus`, `http`
            suite.toml:7:12: provider `http` cannot serve the target role in [models.target]; expected one of `openai`, `azure`, `anthropic`, `gemini`, `embedded`"#]],
    );
    check(
        "[models.retriever]\nprovider = \"bing\"\n",
        expect![
            "suite.toml:2:12: unknown provider `bing` for [models.retriever]; expected one of `corpus`, `http` (the Bing Search API was retired on 2025-08-11; `http` takes any JSON search API)"
        ],
    );
}

#[test]
fn bad_values_name_the_key_and_every_problem_is_reported() {
    check(
        r#"
[models.target]
provider = "openai"
model = "m"
base_url = "localhost:8000"
temperature = 3.5
top_p = 0.0
max_tokens = 0
concurrency = 0
requests_per_minute = 0
input_price_per_million = -1.0
"#,
        expect![[r#"
            suite.toml:5:12: invalid `base_url` in [models.target]: `localhost:8000` is not an http(s) URL, e.g. https://api.example.com/v1
            suite.toml:6:15: invalid `temperature` in [models.target]: 3.5 is outside 0..=2
            suite.toml:7:9: invalid `top_p` in [models.target]: 0 is outside (0, 1]
            suite.toml:8:14: invalid `max_tokens` in [models.target]: 0 is outside 1..=1000000; it is the most tokens one reply may have
            suite.toml:9:15: invalid `concurrency` in [models.target]: 0 is outside 1..=65536; it is the number of requests in flight at once for this model; remove it to use [run] concurrency
            suite.toml:10:23: invalid `requests_per_minute` in [models.target]: 0 is outside 1..=1000000; remove it for no limit
            suite.toml:11:27: invalid `input_price_per_million` in [models.target]: -1 is not a price"#]],
    );
}

#[test]
fn a_huge_concurrency_is_an_error_at_its_line() {
    // 2^61: tokio's semaphore panicked on it in the middle of a run, and `validate` said ok.
    check(
        r#"
[run]
concurrency = 2305843009213693952
plugin_concurrency = 2305843009213693952

[models.target]
provider = "embedded"
concurrency = 2305843009213693952
"#,
        expect![[r#"
            suite.toml:3:15: invalid `concurrency` in [run]: 2305843009213693952 is outside 1..=65536; it is the number of requests in flight at once over all models (default 32)
            suite.toml:4:22: invalid `plugin_concurrency` in [run]: 2305843009213693952 is outside 1..=512; it is the number of plugin calls running at once on blocking threads (default: twice the cores)
            suite.toml:8:15: invalid `concurrency` in [models.target]: 2305843009213693952 is outside 1..=65536; it is the number of requests in flight at once for this model; remove it to use [run] concurrency"#]],
    );
}

#[test]
fn every_integer_setting_is_bounded_at_its_line() {
    // Each bounded key, one past each end of its range (the lower end where a value below it
    // parses at all), and each end itself accepted.
    let mut out = String::new();
    for bound in crate::bounds::ALL {
        use crate::bounds::{LIMIT, PLUGIN_CONCURRENCY, PLUGIN_TIMEOUT_SECS, RUN_CONCURRENCY};
        let run_level = [RUN_CONCURRENCY, PLUGIN_CONCURRENCY, PLUGIN_TIMEOUT_SECS].contains(&bound);
        let values = [bound.min.checked_sub(1), Some(bound.min), Some(bound.max), bound.max.checked_add(1)];
        for value in values.into_iter().flatten() {
            let line = format!("{} = {value}\n", bound.key);
            let text = if run_level {
                format!("[run]\n{line}")
            } else if bound == LIMIT {
                format!("[[dimension]]\nplugin = \"safety\"\n{line}")
            } else {
                format!("[models.target]\nprovider = \"openai\"\nmodel = \"m\"\n{line}")
            };
            let got = match Suite::parse(Path::new("suite.toml"), text) {
                Ok(_) => format!("{} = {value}: ok", bound.key),
                Err(e) => e.to_string(),
            };
            out.push_str(&got);
            out.push('\n');
        }
    }
    expect![[r#"
        suite.toml:2:15: invalid `concurrency` in [run]: 0 is outside 1..=65536; it is the number of requests in flight at once over all models (default 32)
        concurrency = 1: ok
        concurrency = 65536: ok
        suite.toml:2:15: invalid `concurrency` in [run]: 65537 is outside 1..=65536; it is the number of requests in flight at once over all models (default 32)
        suite.toml:2:22: invalid `plugin_concurrency` in [run]: 0 is outside 1..=512; it is the number of plugin calls running at once on blocking threads (default: twice the cores)
        plugin_concurrency = 1: ok
        plugin_concurrency = 512: ok
        suite.toml:2:22: invalid `plugin_concurrency` in [run]: 513 is outside 1..=512; it is the number of plugin calls running at once on blocking threads (default: twice the cores)
        suite.toml:2:23: invalid `plugin_timeout_secs` in [run]: 0 is outside 1..=86400; it is the seconds one plugin call may take (default 120)
        plugin_timeout_secs = 1: ok
        plugin_timeout_secs = 86400: ok
        suite.toml:2:23: invalid `plugin_timeout_secs` in [run]: 86401 is outside 1..=86400; it is the seconds one plugin call may take (default 120)
        suite.toml:3:9: invalid `limit` in [[dimension]]: 0 is outside 1..=1000000; it is the most cases per task; remove it for each task's default
        limit = 1: ok
        limit = 1000000: ok
        suite.toml:3:9: invalid `limit` in [[dimension]]: 1000001 is outside 1..=1000000; it is the most cases per task; remove it for each task's default
        suite.toml:4:15: invalid `concurrency` in [models.target]: 0 is outside 1..=65536; it is the number of requests in flight at once for this model; remove it to use [run] concurrency
        concurrency = 1: ok
        concurrency = 65536: ok
        suite.toml:4:15: invalid `concurrency` in [models.target]: 65537 is outside 1..=65536; it is the number of requests in flight at once for this model; remove it to use [run] concurrency
        suite.toml:4:23: invalid `requests_per_minute` in [models.target]: 0 is outside 1..=1000000; remove it for no limit
        requests_per_minute = 1: ok
        requests_per_minute = 1000000: ok
        suite.toml:4:23: invalid `requests_per_minute` in [models.target]: 1000001 is outside 1..=1000000; remove it for no limit
        suite.toml:4:21: invalid `tokens_per_minute` in [models.target]: 0 is outside 1..=1000000000; remove it for no limit
        tokens_per_minute = 1: ok
        tokens_per_minute = 1000000000: ok
        suite.toml:4:21: invalid `tokens_per_minute` in [models.target]: 1000000001 is outside 1..=1000000000; remove it for no limit
        suite.toml:4:16: invalid `timeout_secs` in [models.target]: 0 is outside 1..=86400; it is the seconds one request may take; remove it for the default (120 over HTTP, none for the embedded model)
        timeout_secs = 1: ok
        timeout_secs = 86400: ok
        suite.toml:4:16: invalid `timeout_secs` in [models.target]: 86401 is outside 1..=86400; it is the seconds one request may take; remove it for the default (120 over HTTP, none for the embedded model)
        max_retries = 0: ok
        max_retries = 100: ok
        suite.toml:4:15: invalid `max_retries` in [models.target]: 101 is outside 0..=100; it is the retries of a retryable failure (default 5)
        suite.toml:4:14: invalid `max_tokens` in [models.target]: 0 is outside 1..=1000000; it is the most tokens one reply may have
        max_tokens = 1: ok
        max_tokens = 1000000: ok
        suite.toml:4:14: invalid `max_tokens` in [models.target]: 1000001 is outside 1..=1000000; it is the most tokens one reply may have
    "#]].assert_eq(&out);
}

#[test]
fn max_retry_wait_secs_is_bounded_at_parse() {
    let suite =
        |wait: &str| format!("[models.target]\nprovider = \"openai\"\nmodel = \"m\"\nmax_retry_wait_secs = {wait}\n");
    check(
        &suite("0"),
        expect!["suite.toml:4:23: invalid `max_retry_wait_secs` in [models.target]: 0 is outside 1..=86400 (one day)"],
    );
    check(
        &suite("86401"),
        expect![
            "suite.toml:4:23: invalid `max_retry_wait_secs` in [models.target]: 86401 is outside 1..=86400 (one day)"
        ],
    );
    check(&suite("-1"), expect!["suite.toml:4:23: invalid value: integer `-1`, expected u64"]);
    check(
        &suite("86400"),
        expect![[r#"
        ok: 0 dimension(s), 1 model(s)
        target openai model=m base_url=None deployment=None path=None"#]],
    );
}
