//! Big user data files: the named array of a JSON object ([`DataSource::array`]), a seeded sample
//! of its rows drawn while the file streams past ([`DataSource::sample`]), and the images the kept
//! rows name ([`DataSource::image`]), read at build time and passed beside the build input.
//!
//! A benchmark's own file can be hundreds of MB (VQAv2's val annotations: 214k questions). The
//! file is read through a buffered reader and parsed one row at a time; only the rows of the
//! `per_case × limit` key values with the smallest seeded hash are kept (a bottom-k sketch: the
//! same seed keeps the same items, and two files keyed by the same identifier keep the same ones),
//! so memory is bounded by the sample, not the file. The file's SHA-256 is computed on the way.
//!
//! [`DataSource::array`]: trustgen_plugin_api::DataSource::array
//! [`DataSource::sample`]: trustgen_plugin_api::DataSource::sample
//! [`DataSource::image`]: trustgen_plugin_api::DataSource::image

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{BufReader, Read};
use std::path::Path;

use serde::de::{DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use sha2::{Digest, Sha256};
use trustgen_plugin_api::{Image, ImageSource, SeededRng};
use trustgen_rundir::images::sniff_image;
use trustgen_rundir::{DataFileRecord, SampleRecord};

use crate::error::EngineError;
use crate::images::Images;

/// The row field the host sets to the row's image ([`trustgen_plugin_api::RowImage`]).
pub const IMAGE_FIELD: &str = "_image";
/// The row field the host sets to why the row's image could not be read.
pub const IMAGE_ERROR_FIELD: &str = "_image_error";

/// A seeded sample: keep the rows of at most `keys` values of `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The row field identifying an item.
    pub key: String,
    /// The most key values kept.
    pub keys: usize,
    /// The run seed.
    pub seed: u64,
}

/// Keeps rows as they stream past: all of them, or those of the bottom-k key values.
struct Picker<'a> {
    sample: Option<&'a Sample>,
    all: Vec<(usize, Value)>,
    chosen: BTreeMap<(u64, String), Vec<(usize, Value)>>,
    seen: usize,
}

impl Picker<'_> {
    fn push(&mut self, row: Value) {
        let index = self.seen;
        self.seen += 1;
        let Some(sample) = self.sample else {
            self.all.push((index, row));
            return;
        };
        let id = match row.get(&sample.key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            // A row without the key cannot be matched across files: not kept.
            _ => return,
        };
        let slot = (SeededRng::derive(sample.seed, &format!("rows/{id}")).next_u64(), id);
        if let Some(rows) = self.chosen.get_mut(&slot) {
            rows.push((index, row));
            return;
        }
        if sample.keys == 0 {
            return;
        }
        let below_max = self.chosen.last_key_value().is_none_or(|(max, _)| slot < *max);
        if self.chosen.len() < sample.keys || below_max {
            self.chosen.insert(slot, vec![(index, row)]);
            if self.chosen.len() > sample.keys {
                self.chosen.pop_last();
            }
        }
    }

    /// The kept rows in file order.
    fn finish(self) -> Vec<Value> {
        let mut rows = self.all;
        rows.extend(self.chosen.into_values().flatten());
        rows.sort_by_key(|(index, _)| *index);
        rows.into_iter().map(|(_, row)| row).collect()
    }
}

struct Rows<'p, 'a>(&'p mut Picker<'a>);

impl<'de> DeserializeSeed<'de> for Rows<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Rows<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(row) = seq.next_element::<Value>()? {
            self.0.push(row);
        }
        Ok(())
    }
}

/// The top level: the array itself, or an object whose member `array` is it.
struct Top<'p, 'a> {
    array: Option<&'p str>,
    picker: &'p mut Picker<'a>,
    members: &'p mut Vec<String>,
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.array {
            Some(array) => write!(f, "an object with the array `{array}`"),
            None => f.write_str("an array of rows"),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        if let Some(array) = self.array {
            return Err(serde::de::Error::custom(format!(
                "expected an object with the array `{array}`, found an array; hint: drop `array` from the data source"
            )));
        }
        Rows(self.picker).visit_seq(seq)?;
        Ok(true)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let Some(array) = self.array else {
            return Err(serde::de::Error::custom(
                "expected an array of rows, found an object; hint: the data source names no array inside it",
            ));
        };
        let mut found = false;
        while let Some(member) = map.next_key::<String>()? {
            if member == array && !found {
                map.next_value_seed(Rows(self.picker))?;
                found = true;
            } else {
                map.next_value::<IgnoredAny>()?;
                self.members.push(member);
            }
        }
        Ok(found)
    }
}

/// Hashes what is read through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Streams a `.json` file: the rows of `array` (or of the top-level array), all or `sample`.
pub fn load_json_streamed(
    path: &Path,
    rel: &str,
    array: Option<&str>,
    sample: Option<&Sample>,
) -> Result<(Vec<Value>, DataFileRecord), EngineError> {
    let file = std::fs::File::open(path).map_err(|e| EngineError::io(path, "reading", e))?;
    let mut reader = BufReader::with_capacity(1 << 20, Hashing { inner: file, hasher: Sha256::new() });
    let mut picker = Picker { sample, all: Vec::new(), chosen: BTreeMap::new(), seen: 0 };
    let mut members = Vec::new();
    let found = {
        let mut de = serde_json::Deserializer::from_reader(&mut reader);
        let top = Top { array, picker: &mut picker, members: &mut members };
        let found =
            de.deserialize_any(top).map_err(|e| EngineError::Data(format!("{}: invalid JSON: {e}", path.display())))?;
        de.end().map_err(|e| EngineError::Data(format!("{}: invalid JSON: {e}", path.display())))?;
        found
    };
    if !found {
        let array = array.unwrap_or_default();
        return Err(EngineError::Data(format!(
            "{}: the object has no array `{array}` (its members: {}); hint: is this the benchmark's file?",
            path.display(),
            if members.is_empty() { "none".to_string() } else { members.join(", ") }
        )));
    }
    std::io::copy(&mut reader, &mut std::io::sink()).map_err(|e| EngineError::io(path, "reading", e))?;
    let sha256 = hex::encode(reader.into_inner().hasher.finalize());
    let rows_in_file = picker.seen;
    let rows = picker.finish();
    let record = DataFileRecord {
        path: rel.to_string(),
        sha256,
        rows: rows.len(),
        array: array.map(str::to_string),
        sample: sample.map(|s| SampleRecord { key: s.key.clone(), keys: s.keys, seed: s.seed, rows_in_file }),
    };
    Ok((rows, record))
}

/// The path of a row's image: `template` with the row's `value` in place of `{}` or `{:0N}`.
pub fn image_path(template: &str, value: &Value) -> Result<String, String> {
    let text = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        other => return Err(format!("is {other}, not a file name or number")),
    };
    let Some(start) = template.find('{') else { return Ok(format!("{template}{text}")) };
    let Some(len) = template[start..].find('}') else {
        return Err(format!("the image path `{template}` has an unclosed `{{`"));
    };
    let spec = &template[start + 1..start + len];
    let filled = match spec {
        "" => text,
        _ => {
            let width = spec.strip_prefix(":0").and_then(|w| w.parse::<usize>().ok()).ok_or_else(|| {
                format!("the image path `{template}` has `{{{spec}}}`; hint: use `{{}}` or `{{:0N}}`")
            })?;
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("is `{text}`, not a whole number for `{{{spec}}}`"));
            }
            format!("{text:0>width$}")
        }
    };
    Ok(format!("{}{filled}{}", &template[..start], &template[start + len + 1..]))
}

/// Sets each row's [`IMAGE_FIELD`] to its image, read from the data directory and appended to
/// `bytes` (once per file), or [`IMAGE_ERROR_FIELD`] to why it could not be read (naming the
/// file). `source` names the data source in messages.
pub(crate) fn attach_images(
    rows: &mut [Value],
    field: &str,
    template: &str,
    images: &Images,
    bytes: &mut Vec<u8>,
    source: &str,
) {
    let mut read: HashMap<String, Result<Image, String>> = HashMap::new();
    for (i, row) in rows.iter_mut().enumerate() {
        let Value::Object(map) = row else { continue };
        let outcome = match map.get(field).map(|v| image_path(template, v)) {
            None => Err(format!("{source} row {}: no field `{field}` naming its image", i + 1)),
            Some(Err(why)) => Err(format!("{source} row {}: field `{field}` {why}", i + 1)),
            Some(Ok(path)) => read
                .entry(path.clone())
                .or_insert_with(|| {
                    let what = format!("{source} image `{path}`");
                    let data = images.read_file(&path, &what)?;
                    let Some(format) = sniff_image(&data) else {
                        return Err(format!("{what} is not a PNG, JPEG, GIF or WebP image"));
                    };
                    let image =
                        Image::new(format.media_type, ImageSource::Blob { offset: bytes.len(), len: data.len() });
                    bytes.extend_from_slice(&data);
                    Ok(image)
                })
                .clone(),
        };
        match outcome {
            Ok(image) => {
                map.insert(IMAGE_FIELD.into(), serde_json::to_value(&image).unwrap_or(Value::Null));
            }
            Err(why) => {
                map.insert(IMAGE_ERROR_FIELD.into(), Value::String(why));
            }
        }
    }
}

#[cfg(test)]
mod tests;
