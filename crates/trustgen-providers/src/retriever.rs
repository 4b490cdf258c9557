//! Retrieval sources for web metadata: a local corpus ranked with BM25, or a generic JSON search API.
//!
//! The original toolkit searched with the Bing Web Search API, which Microsoft retired on 2025-08-11;
//! it is not supported. Instead:
//!
//! - `corpus`: a JSONL file (`path`), one `{"title": ..., "text": ..., "url": ...}` object per line
//!   (`title` and `url` optional, blank lines skipped), ranked with Okapi BM25 (k1 = 1.2, b = 0.75,
//!   idf = ln(1 + (N - df + 0.5) / (df + 0.5))) over the title and text. Tokens are maximal runs of
//!   letters and digits, lower-cased. Ties keep file order; documents with score 0 are not returned.
//! - `http`: `GET {base_url}?q=<query>&count=<n>`, with `Authorization: Bearer <key>` when
//!   `api_key_env` is set. The reply must be a JSON object holding the results in `results` (or
//!   `web.results`, `organic` or `items`, as common search APIs name it), each an object with a
//!   `title`, a text in `snippet`, `text`, `description` or `content`, and a `url` (or `link`). Items
//!   without any text are skipped; at most `count` are kept.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use reqwest::Client;
use serde_json::Value;
use tokio::sync::OnceCell;
use trustgen_plugin_api::{Document, ModelReply, ReplyStatus};

use crate::error::{Failure, FatalError};
use crate::http;
use crate::secret::ApiKey;

const K1: f64 = 1.2;
const B: f64 = 0.75;

/// A BM25 index over documents.
#[derive(Debug, Default)]
pub(crate) struct Bm25 {
    /// term -> (document, term frequency), documents ascending.
    postings: HashMap<String, Vec<(u32, u32)>>,
    lengths: Vec<u32>,
    average: f64,
}

/// Lower-cased runs of letters and digits.
pub(crate) fn tokenize(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_lowercase)
}

impl Bm25 {
    pub(crate) fn new<'a>(texts: impl IntoIterator<Item = &'a str>) -> Bm25 {
        let mut index = Bm25::default();
        for (doc, text) in texts.into_iter().enumerate() {
            let mut counts: HashMap<String, u32> = HashMap::new();
            let mut length = 0u32;
            for token in tokenize(text) {
                *counts.entry(token).or_default() += 1;
                length += 1;
            }
            for (term, tf) in counts {
                index.postings.entry(term).or_default().push((doc as u32, tf));
            }
            index.lengths.push(length);
        }
        let total: u64 = index.lengths.iter().map(|&l| u64::from(l)).sum();
        index.average = if index.lengths.is_empty() { 0.0 } else { total as f64 / index.lengths.len() as f64 };
        index
    }

    /// The `k` best documents for `query` as (document, score), best first; ties keep document order.
    pub(crate) fn search(&self, query: &str, k: usize) -> Vec<(usize, f64)> {
        let n = self.lengths.len() as f64;
        let mut terms: Vec<String> = tokenize(query).collect();
        terms.sort();
        terms.dedup();
        let mut scores: HashMap<u32, f64> = HashMap::new();
        for term in &terms {
            let Some(postings) = self.postings.get(term) else { continue };
            let df = postings.len() as f64;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for &(doc, tf) in postings {
                let tf = f64::from(tf);
                let norm = 1.0 - B + B * f64::from(self.lengths[doc as usize]) / self.average.max(f64::MIN_POSITIVE);
                *scores.entry(doc).or_default() += idf * tf * (K1 + 1.0) / (tf + K1 * norm);
            }
        }
        let mut ranked: Vec<(usize, f64)> =
            scores.into_iter().filter(|(_, s)| *s > 0.0).map(|(d, s)| (d as usize, s)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(k);
        ranked
    }
}

/// A loaded corpus.
#[derive(Debug)]
pub(crate) struct LoadedCorpus {
    documents: Vec<Document>,
    index: Bm25,
}

/// Reads a JSONL corpus; errors name the line.
pub(crate) fn load_corpus(path: &Path) -> Result<LoadedCorpus, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}; hint: check `path`"))?;
    let mut documents = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line).map_err(|e| format!("line {}: not a JSON object: {e}", i + 1))?;
        let field = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
        let Some(text) = field("text") else {
            return Err(format!("line {}: no `text` string; each line is {{\"title\", \"text\", \"url\"}}", i + 1));
        };
        let mut document = Document::new(text).with_title(field("title").unwrap_or_default());
        document.url = field("url");
        documents.push(document);
    }
    // Title and text are indexed together; the newline keeps their edge tokens apart.
    let joined: Vec<String> = documents.iter().map(|d| format!("{}\n{}", d.title, d.text)).collect();
    let index = Bm25::new(joined.iter().map(String::as_str));
    Ok(LoadedCorpus { documents, index })
}

/// The `corpus` retriever.
#[derive(Debug)]
pub(crate) struct Corpus {
    pub(crate) path: PathBuf,
    pub(crate) role: String,
    loaded: OnceCell<LoadedCorpus>,
}

impl Corpus {
    pub(crate) fn new(path: PathBuf, role: String) -> Corpus {
        Corpus { path, role, loaded: OnceCell::new() }
    }

    pub(crate) async fn loaded(&self) -> Result<&LoadedCorpus, FatalError> {
        self.loaded
            .get_or_try_init(|| async {
                let path = self.path.clone();
                tokio::task::spawn_blocking(move || load_corpus(&path))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r)
                    .map_err(|message| FatalError::Corpus { role: self.role.clone(), path: self.path.clone(), message })
            })
            .await
    }

    pub(crate) async fn retrieve(&self, query: &str, max_results: usize) -> Result<ModelReply, Failure> {
        let corpus = self.loaded().await.map_err(Failure::Stop)?;
        let documents =
            corpus.index.search(query, max_results).into_iter().map(|(doc, _)| corpus.documents[doc].clone()).collect();
        Ok(ModelReply::new(ReplyStatus::Ok).with_documents(documents))
    }
}

/// The `http` retriever.
#[derive(Debug)]
pub(crate) struct HttpSearch {
    pub(crate) client: Client,
    pub(crate) base_url: String,
    pub(crate) key: Option<ApiKey>,
    /// The reply byte limits.
    pub(crate) limits: crate::spec::Limits,
}

impl HttpSearch {
    pub(crate) async fn retrieve(&self, query: &str, max_results: usize) -> Result<ModelReply, Failure> {
        let count = max_results.to_string();
        let mut builder = self.client.get(&self.base_url).query(&[("q", query), ("count", count.as_str())]);
        if let Some(key) = &self.key {
            let (name, value) = http::secret_header("authorization", "Bearer ", key)?;
            builder = builder.header(name, value);
        }
        let response = http::send(builder, self.key.as_ref(), self.limits.reply_bytes()).await?;
        if !response.status.is_success() {
            return Err(http::classify_status(&response, self.key.as_ref()));
        }
        let value = http::json_body(&response)?;
        let documents = parse_search(&value, max_results).ok_or_else(|| {
            Failure::retry(format!("the search reply has no results array: {}", http::snippet(&response.body)))
        })?;
        Ok(ModelReply::new(ReplyStatus::Ok).with_documents(documents))
    }
}

/// Documents from a search reply (see the module docs for the accepted shapes).
pub(crate) fn parse_search(value: &Value, max_results: usize) -> Option<Vec<Document>> {
    let results = ["/results", "/web/results", "/organic", "/items"]
        .iter()
        .find_map(|pointer| value.pointer(pointer).and_then(Value::as_array))?;
    let text_of = |item: &Value, names: &[&str]| {
        names.iter().find_map(|n| item.get(*n).and_then(Value::as_str)).map(str::to_owned)
    };
    Some(
        results
            .iter()
            .filter_map(|item| {
                let text = text_of(item, &["snippet", "text", "description", "content"])?;
                let mut document =
                    Document::new(text).with_title(text_of(item, &["title", "name"]).unwrap_or_default());
                document.url = text_of(item, &["url", "link"]);
                Some(document)
            })
            .take(max_results)
            .collect(),
    )
}
