//! Reading `[models.<role>]` tables into specs: defaults and every configuration error.

use std::path::Path;

use expect_test::{Expect, expect};
use trustgen_host::suite::ModelConfig;
use trustgen_plugin_api::ModelRole;

use crate::ModelSpec;

#[track_caller]
fn check(role: ModelRole, toml_text: &str, expected: Expect) {
    let config: ModelConfig = toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}"));
    let actual = match ModelSpec::from_config(role, &config, Path::new("/suites")) {
        Ok(spec) => format!(
            "{} {} model={} base_url={:?} key={:?} deployment={:?} api_version={:?} path={:?}\n\
             defaults={:?}\nlimits={:?}\nprice={:?} capable={}",
            spec.role.as_str(),
            spec.provider.as_str(),
            spec.model,
            spec.effective_base_url(),
            spec.api_key_env,
            spec.deployment,
            spec.api_version,
            spec.path,
            spec.defaults,
            spec.limits,
            spec.price,
            spec.is_capable(),
        ),
        Err(error) => format!("error: {error}"),
    };
    expected.assert_eq(&actual);
}

#[test]
fn openai_defaults_and_parameters() {
    check(
        ModelRole::Target,
        r##"
provider = "openai"
model = "gpt-4o-mini"
temperature = 0.0
max_tokens = 300
stop = ["END"]
requests_per_minute = 500
input_price_per_million = 0.15
"##,
        expect![[r#"
            target openai model=gpt-4o-mini base_url=Some("https://api.openai.com/v1") key=Some("OPENAI_API_KEY") deployment=None api_version=None path=None
            defaults=GenParams { temperature: Some(0.0), top_p: None, max_tokens: Some(300), seed: None, stop: ["END"], json: false }
            limits=Limits { concurrency: None, requests_per_minute: Some(500), tokens_per_minute: None, timeout: 120s, max_retries: 5 }
            price=Some(Price { input_per_million: 0.15, output_per_million: 0.0 }) capable=true"#]],
    );
}

#[test]
fn an_openai_compatible_server_needs_no_key() {
    check(
        ModelRole::Judge,
        "provider = \"openai\"\nmodel = \"llama3\"\nbase_url = \"http://localhost:11434/v1/\"\n",
        expect![[r#"
        judge openai model=llama3 base_url=Some("http://localhost:11434/v1") key=None deployment=None api_version=None path=None
        defaults=GenParams { temperature: None, top_p: None, max_tokens: None, seed: None, stop: [], json: false }
        limits=Limits { concurrency: None, requests_per_minute: None, tokens_per_minute: None, timeout: 120s, max_retries: 5 }
        price=None capable=true"#]],
    );
}

#[test]
fn azure_needs_a_deployment_and_an_endpoint() {
    check(
        ModelRole::Target,
        "provider = \"azure\"\nbase_url = \"https://r.openai.azure.com\"\n",
        expect![[
            r#"error: [models.target]: provider `azure` needs `deployment`; hint: add `deployment = "<your deployment name>"`"#
        ]],
    );
    check(
        ModelRole::Target,
        "provider = \"azure\"\ndeployment = \"gpt4o\"\n",
        expect![[
            r#"error: [models.target]: provider `azure` needs `base_url`; hint: add `base_url = "https://<resource>.openai.azure.com"`"#
        ]],
    );
    check(
        ModelRole::Target,
        "provider = \"azure\"\ndeployment = \"gpt4o\"\nbase_url = \"https://r.openai.azure.com\"\n",
        expect![[r#"
        target azure model=gpt4o base_url=Some("https://r.openai.azure.com") key=Some("AZURE_OPENAI_API_KEY") deployment=Some("gpt4o") api_version=Some("2024-10-21") path=None
        defaults=GenParams { temperature: None, top_p: None, max_tokens: None, seed: None, stop: [], json: false }
        limits=Limits { concurrency: None, requests_per_minute: None, tokens_per_minute: None, timeout: 120s, max_retries: 5 }
        price=None capable=true"#]],
    );
}

#[test]
fn embedded_defaults_by_role_and_is_not_a_capable_judge() {
    check(
        ModelRole::Judge,
        "provider = \"embedded\"\n",
        expect![[r#"
        judge embedded model=smollm2-135m-instruct base_url=None key=None deployment=None api_version=None path=None
        defaults=GenParams { temperature: None, top_p: None, max_tokens: None, seed: None, stop: [], json: false }
        limits=Limits { concurrency: None, requests_per_minute: None, tokens_per_minute: None, timeout: 0ns, max_retries: 5 }
        price=None capable=false"#]],
    );
    check(
        ModelRole::Embedder,
        "provider = \"embedded\"\n",
        expect![[r#"
        embedder embedded model=all-minilm-l6-v2 base_url=None key=None deployment=None api_version=None path=None
        defaults=GenParams { temperature: None, top_p: None, max_tokens: None, seed: None, stop: [], json: false }
        limits=Limits { concurrency: None, requests_per_minute: None, tokens_per_minute: None, timeout: 0ns, max_retries: 5 }
        price=None capable=false"#]],
    );
    check(
        ModelRole::Judge,
        "provider = \"embedded\"\ncapable = true\npath = \"models/my.gguf\"\n",
        expect![[r#"
        judge embedded model=smollm2-135m-instruct base_url=None key=None deployment=None api_version=None path=Some("/suites/models/my.gguf")
        defaults=GenParams { temperature: None, top_p: None, max_tokens: None, seed: None, stop: [], json: false }
        limits=Limits { concurrency: None, requests_per_minute: None, tokens_per_minute: None, timeout: 0ns, max_retries: 5 }
        price=None capable=true"#]],
    );
    check(
        ModelRole::Judge,
        "provider = \"embedded\"\nbase_url = \"http://x\"\n",
        expect!["error: [models.judge]: provider `embedded` does not use `base_url`; hint: remove it"],
    );
}

#[test]
fn retrievers_serve_only_the_retriever_role() {
    check(
        ModelRole::Retriever,
        "provider = \"corpus\"\npath = \"data/wiki.jsonl\"\n",
        expect![[r#"
        retriever corpus model=wiki.jsonl base_url=None key=None deployment=None api_version=None path=Some("/suites/data/wiki.jsonl")
        defaults=GenParams { temperature: None, top_p: None, max_tokens: None, seed: None, stop: [], json: false }
        limits=Limits { concurrency: None, requests_per_minute: None, tokens_per_minute: None, timeout: 0ns, max_retries: 5 }
        price=None capable=true"#]],
    );
    check(
        ModelRole::Retriever,
        "provider = \"corpus\"\n",
        expect![[
            r#"error: [models.retriever]: provider `corpus` needs `path`; hint: add `path = "corpus.jsonl"` (one {title, text, url} object per line)"#
        ]],
    );
    check(
        ModelRole::Retriever,
        "provider = \"openai\"\nmodel = \"x\"\n",
        expect![
            "error: [models.retriever]: provider `openai` cannot serve the retriever role; hint: use one of `corpus`, `http`"
        ],
    );
    check(
        ModelRole::Target,
        "provider = \"http\"\nbase_url = \"https://s\"\n",
        expect![
            "error: [models.target]: provider `http` cannot serve the target role; hint: use one of `openai`, `azure`, `anthropic`, `gemini`, `embedded`"
        ],
    );
    check(
        ModelRole::Retriever,
        "provider = \"bing\"\n",
        expect![
            "error: [models.retriever]: unknown provider `bing`; hint: use one of `corpus`, `http` (the Bing Search API was retired on 2025-08-11; `http` takes any JSON search API)"
        ],
    );
}

#[test]
fn bad_values_name_the_key() {
    check(
        ModelRole::Target,
        "provider = \"anthropic\"\n",
        expect![[
            r#"error: [models.target]: provider `anthropic` needs `model`; hint: add e.g. `model = "claude-3-5-haiku-latest"`"#
        ]],
    );
    check(
        ModelRole::Target,
        "provider = \"anthropic\"\nmodel = \"c\"\ntemperature = 3.5\n",
        expect!["error: [models.target]: invalid `temperature`: 3.5 is outside 0..=2"],
    );
    check(
        ModelRole::Target,
        "provider = \"gemini\"\nmodel = \"g\"\nconcurrency = 0\n",
        expect!["error: [models.target]: invalid `concurrency`: must be at least 1"],
    );
    check(
        ModelRole::Target,
        "provider = \"openai\"\nmodel = \"m\"\nbase_url = \"localhost:8000\"\n",
        expect![
            "error: [models.target]: invalid `base_url`: `localhost:8000` is not an http(s) URL, e.g. https://api.example.com/v1"
        ],
    );
    check(
        ModelRole::Target,
        "provider = \"openai\"\nmodel = \"m\"\ndeployment = \"d\"\n",
        expect!["error: [models.target]: provider `openai` does not use `deployment`; hint: remove it"],
    );
}
