//! Reading checked `[models.<role>]` tables into specs: the defaults of each provider. (What a
//! table may say, and its errors, is tested in trustgen-config, where it is checked.)

use std::path::Path;

use expect_test::{Expect, expect};
use trustgen_config::Suite;
use trustgen_plugin_api::ModelRole;

use crate::ModelSpec;

/// Parses `toml_text` as the `[models.<role>]` table of a suite in `/suites` and reads it.
#[track_caller]
fn check(role: ModelRole, toml_text: &str, expected: Expect) {
    let text = format!("[models.{}]\n{toml_text}", role.as_str());
    let suite = Suite::parse(Path::new("/suites/suite.toml"), text).unwrap_or_else(|e| panic!("{e}"));
    let config = suite.model(role).unwrap_or_else(|| panic!("no [models.{}]", role.as_str()));
    let actual = match ModelSpec::from_config(config, suite.dir()) {
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
            limits=Limits { concurrency: None, requests_per_minute: Some(500), tokens_per_minute: None, timeout: 120s, max_retries: 5, max_retry_wait: 300s, max_reply_bytes: None }
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
            defaults=GenParams { temperature: Some(0.0), top_p: None, max_tokens: None, seed: None, stop: [], json: false }
            limits=Limits { concurrency: None, requests_per_minute: None, tokens_per_minute: None, timeout: 120s, max_retries: 5, max_retry_wait: 300s, max_reply_bytes: None }
            price=None capable=true"#]],
    );
}

#[test]
fn azure_defaults_to_its_deployment_and_api_version() {
    check(
        ModelRole::Target,
        "provider = \"azure\"\ndeployment = \"gpt4o\"\nbase_url = \"https://r.openai.azure.com\"\n",
        expect![[r#"
            target azure model=gpt4o base_url=Some("https://r.openai.azure.com") key=Some("AZURE_OPENAI_API_KEY") deployment=Some("gpt4o") api_version=Some("2024-10-21") path=None
            defaults=GenParams { temperature: Some(0.0), top_p: None, max_tokens: None, seed: None, stop: [], json: false }
            limits=Limits { concurrency: None, requests_per_minute: None, tokens_per_minute: None, timeout: 120s, max_retries: 5, max_retry_wait: 300s, max_reply_bytes: None }
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
            defaults=GenParams { temperature: Some(0.0), top_p: None, max_tokens: None, seed: None, stop: [], json: false }
            limits=Limits { concurrency: None, requests_per_minute: None, tokens_per_minute: None, timeout: 0ns, max_retries: 5, max_retry_wait: 300s, max_reply_bytes: None }
            price=None capable=false"#]],
    );
    check(
        ModelRole::Embedder,
        "provider = \"embedded\"\n",
        expect![[r#"
            embedder embedded model=all-minilm-l6-v2 base_url=None key=None deployment=None api_version=None path=None
            defaults=GenParams { temperature: Some(0.0), top_p: None, max_tokens: None, seed: None, stop: [], json: false }
            limits=Limits { concurrency: None, requests_per_minute: None, tokens_per_minute: None, timeout: 0ns, max_retries: 5, max_retry_wait: 300s, max_reply_bytes: None }
            price=None capable=false"#]],
    );
    check(
        ModelRole::Judge,
        "provider = \"embedded\"\ncapable = true\npath = \"models/my.gguf\"\n",
        expect![[r#"
            judge embedded model=smollm2-135m-instruct base_url=None key=None deployment=None api_version=None path=Some("/suites/models/my.gguf")
            defaults=GenParams { temperature: Some(0.0), top_p: None, max_tokens: None, seed: None, stop: [], json: false }
            limits=Limits { concurrency: None, requests_per_minute: None, tokens_per_minute: None, timeout: 0ns, max_retries: 5, max_retry_wait: 300s, max_reply_bytes: None }
            price=None capable=true"#]],
    );
}

#[test]
fn a_corpus_retriever_is_named_after_its_file() {
    check(
        ModelRole::Retriever,
        "provider = \"corpus\"\npath = \"data/wiki.jsonl\"\n",
        expect![[r#"
            retriever corpus model=wiki.jsonl base_url=None key=None deployment=None api_version=None path=Some("/suites/data/wiki.jsonl")
            defaults=GenParams { temperature: Some(0.0), top_p: None, max_tokens: None, seed: None, stop: [], json: false }
            limits=Limits { concurrency: None, requests_per_minute: None, tokens_per_minute: None, timeout: 0ns, max_retries: 5, max_retry_wait: 300s, max_reply_bytes: None }
            price=None capable=true"#]],
    );
}
