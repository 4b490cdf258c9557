//! Request records, counters and the redaction of credentials.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::conversation::ReceivedImage;
use crate::script::{Endpoint, FaultSource};

/// Header names whose values are credentials and are stored only as hashes.
pub(crate) const SECRET_HEADERS: [&str; 5] =
    ["authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key"];

/// Query parameters whose values are credentials.
pub(crate) const SECRET_QUERY: [&str; 1] = ["key"];

/// `sha256:` and the first 16 hex digits of the SHA-256 of `secret`: enough to tell keys apart, useless
/// to recover one.
pub fn redact(secret: &str) -> String {
    format!("sha256:{}", hex::encode(&Sha256::digest(secret.as_bytes())[..8]))
}

/// Redacts a credential header value; an `Authorization`-style `Scheme token` keeps its scheme.
pub(crate) fn redact_header(name: &str, value: &str) -> String {
    if name.ends_with("authorization")
        && let Some((scheme, token)) = value.split_once(' ')
    {
        return format!("{scheme} {}", redact(token.trim()));
    }
    redact(value)
}

/// One request as the server saw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Arrival order, from 0 (restarts after a reset).
    pub seq: u64,
    /// Arrival time in milliseconds since the server started (monotonic clock).
    pub at_ms: f64,
    /// When the reply was sent (or the connection dropped), same clock.
    pub done_ms: f64,
    /// The HTTP method.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The decoded query parameters (credentials redacted).
    pub query: BTreeMap<String, String>,
    /// The headers, names lower-cased, repeated values joined by `, ` (credentials redacted).
    pub headers: BTreeMap<String, String>,
    /// The body parsed as JSON; `None` when empty or not JSON.
    pub body: Option<serde_json::Value>,
    /// The body length in bytes.
    pub body_bytes: usize,
    /// Hex SHA-256 of method, path and body.
    pub fingerprint: String,
    /// The endpoint kind, when the route is known.
    pub endpoint: Option<Endpoint>,
    /// The model named by the request (Azure: the deployment).
    pub model: Option<String>,
    /// The matching rule's name (`#<index>` when unnamed).
    pub rule: Option<String>,
    /// The fault that was applied, in header syntax.
    pub fault: Option<String>,
    /// The HTTP status replied; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// The images of a chat request, in order, as decoded and accepted (empty when the request was
    /// rejected before or while its images were read).
    #[serde(default)]
    pub images: Vec<ReceivedImage>,
}

/// Counters over all requests since the start or the last reset.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Requests received (admin routes excluded).
    pub total: u64,
    /// Records currently kept.
    pub recorded: usize,
    /// Records evicted because of the record limit.
    pub evicted: u64,
    /// Requests per fingerprint.
    pub per_fingerprint: BTreeMap<String, u64>,
    /// The fingerprints seen more than once, with their counts.
    pub duplicates: BTreeMap<String, u64>,
    /// Replies per status (`"dropped"` for dropped connections).
    pub by_status: BTreeMap<String, u64>,
}

/// Records and counters, behind one mutex held only for short, non-blocking updates.
pub(crate) struct Recorder {
    limit: usize,
    records: VecDeque<RequestRecord>,
    evicted: u64,
    total: u64,
    per_fingerprint: HashMap<String, u64>,
    by_status: BTreeMap<String, u64>,
    fault_uses: HashMap<(FaultSource, String), u32>,
}

impl Recorder {
    pub(crate) fn new(limit: usize) -> Recorder {
        Recorder {
            limit,
            records: VecDeque::new(),
            evicted: 0,
            total: 0,
            per_fingerprint: HashMap::new(),
            by_status: BTreeMap::new(),
            fault_uses: HashMap::new(),
        }
    }

    /// Counts an arriving request.
    pub(crate) fn arrive(&mut self, fingerprint: &str) {
        self.total += 1;
        match self.per_fingerprint.get_mut(fingerprint) {
            Some(count) => *count += 1,
            None => {
                self.per_fingerprint.insert(fingerprint.to_owned(), 1);
            }
        }
    }

    /// Counts one use of a fault for a fingerprint and returns the new count (1 for the first use).
    pub(crate) fn use_fault(&mut self, source: FaultSource, fingerprint: &str) -> u32 {
        let count = self.fault_uses.entry((source, fingerprint.to_owned())).or_insert(0);
        *count += 1;
        *count
    }

    /// Keeps a finished request.
    pub(crate) fn record(&mut self, record: RequestRecord) {
        let status = record.status.map_or_else(|| "dropped".to_owned(), |status| status.to_string());
        *self.by_status.entry(status).or_insert(0) += 1;
        if self.limit == 0 {
            self.evicted += 1;
            return;
        }
        if self.records.len() >= self.limit {
            self.records.pop_front();
            self.evicted += 1;
        }
        self.records.push_back(record);
    }

    pub(crate) fn requests(&self) -> Vec<RequestRecord> {
        let mut records: Vec<RequestRecord> = self.records.iter().cloned().collect();
        records.sort_by_key(|record| record.seq);
        records
    }

    pub(crate) fn stats(&self) -> Stats {
        let per_fingerprint: BTreeMap<String, u64> =
            self.per_fingerprint.iter().map(|(fingerprint, count)| (fingerprint.clone(), *count)).collect();
        let duplicates =
            per_fingerprint.iter().filter(|(_, count)| **count > 1).map(|(f, c)| (f.clone(), *c)).collect();
        Stats {
            total: self.total,
            recorded: self.records.len(),
            evicted: self.evicted,
            per_fingerprint,
            duplicates,
            by_status: self.by_status.clone(),
        }
    }

    pub(crate) fn clear_fault_uses(&mut self) {
        self.fault_uses.clear();
    }

    pub(crate) fn reset(&mut self) {
        *self = Recorder::new(self.limit);
    }
}
