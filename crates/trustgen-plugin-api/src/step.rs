//! The step protocol: how a pure plugin asks for model calls.
//!
//! A plugin method never performs I/O. When it needs a model (a generator to
//! write a case, the target to answer, a judge to grade), it asks through its
//! [`Cx`]. The first time, the answer is not there yet: `ask` returns
//! [`Stop::Pending`], which the method propagates with `?`. The engine then
//! runs the requested calls (concurrently, cached, retried) and calls the
//! method again from the start with every reply so far. This time `ask`
//! returns the reply and the method continues to its next question or its
//! result.
//!
//! Because a method is re-run from the start, it must be deterministic: the
//! same input and replies must lead to the same requests. Take randomness
//! only from the run seed ([`crate::SeededRng`]). Requests asked together
//! with [`Cx::ask_all`] are run concurrently; each [`Cx::ask`] after a
//! pending one is a new round.
//!
//! # What is checked
//!
//! Every request has a [`RequestKey`] (a hash of its content) and every reply
//! travels with the key of the request it answers. On each call the context
//! checks that the method asks the same requests as before, in the same
//! order, and the end of a call is checked too. These are errors, naming the
//! plugin and the method:
//!
//! - a method that returns a result while one of its requests is pending (it
//!   swallowed [`Stop::Pending`], e.g. with `cx.ask(r).ok()` or
//!   `unwrap_or_default()`, so its requests would be silently dropped);
//! - a method that asks a different request than the one a recorded reply
//!   answers, or leaves recorded replies unused (it is not deterministic);
//! - a method that returns [`Stop::Pending`] without asking anything;
//! - more than [`MAX_ROUNDS`] rounds of requests.
//!
//! # Images
//!
//! An image a method makes (rendered at build time, say) is attached with
//! [`Cx::attach_image`]: its bytes travel beside the JSON output, never as
//! base64 inside it, and the returned [`Image`] refers to them by range
//! ([`crate::ImageSource::Blob`]). The host stores each image once, by the
//! SHA-256 of its bytes, and records it as [`crate::ImageSource::Stored`].
//! [`Session::take_bytes`] hands the host the bytes of the last call.
//!
//! # Driving a method
//!
//! [`Session`] is the one driver of the protocol, without I/O: it builds the
//! call envelope ([`crate::CallInput`]), reads the call's output (or runs an
//! in-process method), and hands back either the result or the requests to
//! answer. [`drive`] runs it synchronously with a reply function (tests,
//! recorded replies); the engine runs it asynchronously.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::schema::{Image, ImageSource, ModelReply, ModelRequest, ModelRole, RequestKind};
use crate::sdk::{CallInput, CallOutput, split_output};

/// Rounds of requests one method call may take before the driver stops it.
pub const MAX_ROUNDS: usize = 64;

/// Why a method stopped before producing its result.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// Replies are needed; the engine will call again with them.
    Pending,
    /// The method failed for this input.
    Error(String),
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Pending => f.write_str("waiting for model replies"),
            Stop::Error(message) => f.write_str(message),
        }
    }
}

impl From<serde_json::Error> for Stop {
    fn from(err: serde_json::Error) -> Stop {
        Stop::Error(format!("invalid json: {err}"))
    }
}

/// The result of a step-protocol method: its value, or why it stopped.
pub type Step<T> = Result<T, Stop>;

/// Returns `Stop::Error` with a formatted message, like `anyhow::bail!`.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => {
        return ::core::result::Result::Err($crate::Stop::Error(::std::format!($($arg)*)))
    };
}

/// The stable key of a [`ModelRequest`]: what a reply names to say which
/// request it answers.
///
/// The algorithm is part of the 1.x contract: the lowercase hexadecimal
/// SHA-256 of the request's canonical JSON, which is its serde JSON form with
/// object keys sorted by their UTF-8 bytes, no whitespace, strings escaped
/// and numbers written as `serde_json` writes them. It depends on nothing
/// but the request's content, so it is the same on every platform and in
/// every release that serializes the request the same way.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct RequestKey(String);

impl RequestKey {
    /// The key of `request`.
    pub fn of(request: &ModelRequest) -> RequestKey {
        let mut canonical = Vec::new();
        // A request is plain data: serializing it to a value cannot fail.
        let value = serde_json::to_value(request).unwrap_or(serde_json::Value::Null);
        write_canonical(&value, &mut canonical);
        let digest = Sha256::digest(&canonical);
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push_str(&format!("{byte:02x}"));
        }
        RequestKey(hex)
    }

    /// The key as text (64 hexadecimal digits).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn short(&self) -> &str {
        self.0.get(..12).unwrap_or(&self.0)
    }
}

impl fmt::Display for RequestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Writes `value` as canonical JSON: sorted object keys, no whitespace.
fn write_canonical(value: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(&Value::String(key.clone()), out);
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        // Scalars: serde_json's own compact form (cannot fail into a Vec).
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

/// A request with its key, as a plugin returns it ([`CallOutput::Need`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct KeyedRequest {
    /// [`RequestKey::of`] the request, computed by the plugin.
    pub key: RequestKey,
    /// The request.
    pub request: ModelRequest,
}

impl KeyedRequest {
    /// The request with its key.
    pub fn new(request: ModelRequest) -> KeyedRequest {
        KeyedRequest { key: RequestKey::of(&request), request }
    }
}

/// A reply with the key of the request it answers ([`CallInput::replies`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct KeyedReply {
    /// The key the plugin gave the request ([`KeyedRequest::key`]), echoed.
    pub key: RequestKey,
    /// The reply.
    pub reply: ModelReply,
}

/// The context through which a method asks for model replies.
///
/// `Cx::default()` has no replies: a method that asks anything stops with
/// [`Stop::Pending`] (handy to run a method that asks nothing, in tests).
/// To replay replies, use [`drive`].
#[derive(Debug, Default)]
pub struct Cx {
    replies: Vec<KeyedReply>,
    cursor: usize,
    pending: Vec<KeyedRequest>,
    blocked: bool,
    violation: Option<String>,
    bytes: Vec<u8>,
    /// Bytes returned beside the output (images the method attached).
    out: Vec<u8>,
    /// The ranges of `out` attached so far.
    attached: Vec<(usize, usize)>,
}

/// How a call ended, as the context saw it.
pub(crate) enum Round<T> {
    Done(T),
    Need(Vec<KeyedRequest>),
}

/// Why a call failed: the method's own error, or a broken protocol (the text
/// follows the name of the plugin and method: "returned ...").
pub(crate) enum Failure {
    Method(String),
    Protocol(String),
}

fn describe(request: &ModelRequest) -> String {
    let kind = match &request.kind {
        RequestKind::Chat(_) => "chat",
        RequestKind::Image(_) => "image",
        RequestKind::Embed(_) => "embed",
        RequestKind::Retrieve(_) => "retrieve",
        RequestKind::Unknown => "unknown",
    };
    let article = if matches!(kind, "image" | "embed" | "unknown") { "an" } else { "a" };
    let role = match request.role {
        ModelRole::Unknown => "an unknown model role".to_string(),
        role => format!("the {}", role.as_str()),
    };
    match &request.purpose {
        Some(purpose) => format!("{article} {kind} request to {role} (`{purpose}`)"),
        None => format!("{article} {kind} request to {role}"),
    }
}

impl Cx {
    /// A context replaying `replies`, with the raw bytes of the call.
    pub(crate) fn replaying(replies: Vec<KeyedReply>, bytes: Vec<u8>) -> Cx {
        Cx { replies, bytes, ..Cx::default() }
    }

    /// A context without replies whose call received `bytes` beside its input (what
    /// [`Cx::bytes`] returns): to test a method that reads the images of data rows.
    pub fn with_input_bytes(bytes: Vec<u8>) -> Cx {
        Cx { bytes, ..Cx::default() }
    }

    /// The raw bytes passed beside the JSON input (images referenced by
    /// [`crate::ImageSource::Blob`]).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Attaches an image the method made (e.g. rendered at build time) to the
    /// call's output and returns the [`Image`] to put in a case or request.
    ///
    /// The bytes travel beside the JSON output, never inside it; the image
    /// refers to them as an [`ImageSource::Blob`] range. The host stores
    /// every image once, by the SHA-256 of its bytes, and records it as
    /// [`ImageSource::Stored`]. Attaching the same bytes twice in one call
    /// returns the same range. `media_type` is what the method believes the
    /// bytes are (`image/png`); the host checks it against the bytes.
    pub fn attach_image(&mut self, media_type: impl Into<String>, bytes: &[u8]) -> Image {
        let found = self.attached.iter().find(|&&(offset, len)| &self.out[offset..offset + len] == bytes).copied();
        let (offset, len) = found.unwrap_or_else(|| {
            let range = (self.out.len(), bytes.len());
            self.out.extend_from_slice(bytes);
            self.attached.push(range);
            range
        });
        Image::new(media_type, ImageSource::Blob { offset, len })
    }

    /// The bytes attached with [`Cx::attach_image`] so far.
    pub(crate) fn take_output_bytes(&mut self) -> Vec<u8> {
        self.attached.clear();
        std::mem::take(&mut self.out)
    }

    /// Asks one request and returns its reply once the engine has run it.
    pub fn ask(&mut self, request: ModelRequest) -> Step<ModelReply> {
        let mut replies = self.ask_all(vec![request])?;
        replies.pop().ok_or_else(|| Stop::Error("no reply for a request".into()))
    }

    /// Asks several requests at once (the engine runs them concurrently) and
    /// returns their replies in order.
    pub fn ask_all(&mut self, requests: Vec<ModelRequest>) -> Step<Vec<ModelReply>> {
        if let Some(violation) = &self.violation {
            return Err(Stop::Error(violation.clone()));
        }
        if self.blocked {
            return Err(Stop::Pending);
        }
        let asked: Vec<KeyedRequest> = requests.into_iter().map(KeyedRequest::new).collect();
        let left = self.replies.len() - self.cursor;
        if left == 0 {
            if asked.is_empty() {
                return Ok(Vec::new());
            }
            self.pending = asked;
            self.blocked = true;
            return Err(Stop::Pending);
        }
        if left < asked.len() {
            return Err(self.violate(format!(
                "asked {} requests at reply {} but only {left} recorded replies are left (the engine answers whole rounds); a method must ask the same requests on every call",
                asked.len(),
                self.cursor + 1,
            )));
        }
        for (i, ask) in asked.iter().enumerate() {
            let recorded = &self.replies[self.cursor + i];
            if recorded.key != ask.key {
                return Err(self.violate(format!(
                    "asked {} (key {}) at reply {} but the recorded reply answers the request with key {}; a method must ask the same requests in the same order on every call (take randomness from the run seed only)",
                    describe(&ask.request),
                    ask.key.short(),
                    self.cursor + i + 1,
                    recorded.key.short(),
                )));
            }
        }
        let replies = self.replies[self.cursor..self.cursor + asked.len()].iter().map(|r| r.reply.clone()).collect();
        self.cursor += asked.len();
        Ok(replies)
    }

    fn violate(&mut self, message: String) -> Stop {
        self.violation = Some(message.clone());
        Stop::Error(message)
    }

    /// Checks how the method ended against what it asked.
    pub(crate) fn finish<T>(&mut self, result: Step<T>) -> Result<Round<T>, Failure> {
        if let Some(violation) = self.violation.take() {
            return Err(Failure::Protocol(violation));
        }
        match result {
            Ok(_) if self.blocked => Err(Failure::Protocol(format!(
                "returned a result while a model request was pending ({}); propagate `Stop::Pending` with `?` instead of `.ok()`/`unwrap_or_default()`",
                self.pending.first().map(|p| describe(&p.request)).unwrap_or_default()
            ))),
            Ok(_) if self.cursor < self.replies.len() => Err(Failure::Protocol(format!(
                "finished after using {} of {} recorded replies; a method must ask the same requests on every call",
                self.cursor,
                self.replies.len()
            ))),
            Ok(value) => Ok(Round::Done(value)),
            Err(Stop::Pending) if self.blocked => Ok(Round::Need(std::mem::take(&mut self.pending))),
            Err(Stop::Pending) => Err(Failure::Protocol(
                "returned `Stop::Pending` without asking anything; only propagate it from `cx.ask(..)?`".into(),
            )),
            Err(Stop::Error(message)) => Err(Failure::Method(message)),
        }
    }
}

/// What a driven method needs next.
#[derive(Debug, Clone, PartialEq)]
pub enum Next<T> {
    /// The method finished with this value.
    Done(T),
    /// Run these requests and pass their replies, in order, to
    /// [`Session::answer`].
    Need(Vec<ModelRequest>),
}

/// The driver of one method call through the step protocol, without I/O.
///
/// A host builds the envelope of each round with [`Session::envelope`],
/// calls the plugin, and gives the output to [`Session::accept`]; an
/// in-process method runs through [`Session::run`] instead. Either returns
/// [`Next::Done`] or [`Next::Need`]; after `Need`, the host runs the
/// requests and passes the replies to [`Session::answer`]. The session keeps
/// the replies with their keys, and enforces [`MAX_ROUNDS`] and one reply per
/// request. Errors are complete messages naming the plugin and the method.
#[derive(Debug)]
pub struct Session {
    who: String,
    replies: Vec<KeyedReply>,
    pending: Vec<KeyedRequest>,
    asked: Vec<ModelRequest>,
    rounds: usize,
    bytes: Vec<u8>,
}

impl Session {
    /// A session for `method` of `plugin`.
    pub fn new(plugin: &str, method: &str) -> Session {
        Session::named(format!("plugin `{plugin}` method `{method}`"))
    }

    fn named(who: String) -> Session {
        Session { who, replies: Vec::new(), pending: Vec::new(), asked: Vec::new(), rounds: 0, bytes: Vec::new() }
    }

    /// The JSON call envelope ([`CallInput`]) of the next round: the input,
    /// serialized once by the caller, and every reply so far.
    pub fn envelope(&mut self, input: &RawValue) -> Result<String, String> {
        let call = CallInput { input, replies: std::mem::take(&mut self.replies) };
        let json = serde_json::to_string(&call);
        self.replies = call.replies;
        json.map_err(|e| format!("{}: the call input does not serialize: {e}", self.who))
    }

    /// Reads the output of a call: its JSON ([`CallOutput`]) and the bytes
    /// returned beside it, if any (see [`Session::take_bytes`]).
    pub fn accept<T: DeserializeOwned>(&mut self, output: &str) -> Result<Next<T>, String> {
        let (output, bytes) =
            split_output(output).map_err(|e| format!("{} returned malformed output: {e}", self.who))?;
        self.bytes = bytes;
        match serde_json::from_str::<CallOutput<T>>(output) {
            Ok(CallOutput::Done(value)) => self.done(value),
            Ok(CallOutput::Need(requests)) => self.need(requests),
            Err(e) => Err(format!("{} returned malformed output: {e}", self.who)),
        }
    }

    /// Runs one round of an in-process method with the replies so far.
    pub fn run<T>(&mut self, method: impl FnOnce(&mut Cx) -> Step<T>) -> Result<Next<T>, String> {
        let mut cx = Cx::replaying(std::mem::take(&mut self.replies), Vec::new());
        let result = method(&mut cx);
        let outcome = cx.finish(result);
        self.replies = std::mem::take(&mut cx.replies);
        self.bytes = cx.take_output_bytes();
        match outcome {
            Ok(Round::Done(value)) => self.done(value),
            Ok(Round::Need(requests)) => self.need(requests),
            Err(Failure::Method(message)) => Err(message),
            Err(Failure::Protocol(message)) => Err(format!("{} {message}", self.who)),
        }
    }

    /// The replies to the requests of the last [`Next::Need`], in order.
    pub fn answer(&mut self, replies: Vec<ModelReply>) -> Result<(), String> {
        if replies.len() != self.pending.len() {
            return Err(format!(
                "{}: {} replies for {} requests; answer every request of the round",
                self.who,
                replies.len(),
                self.pending.len()
            ));
        }
        let pending = std::mem::take(&mut self.pending);
        self.replies.extend(pending.into_iter().zip(replies).map(|(ask, reply)| KeyedReply { key: ask.key, reply }));
        Ok(())
    }

    /// Takes the bytes the last call returned beside its output (the images
    /// it attached with [`Cx::attach_image`]): what the
    /// [`ImageSource::Blob`] ranges of that output's result or requests
    /// refer to. Empty when it attached none.
    pub fn take_bytes(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.bytes)
    }

    /// Every request asked so far, in order.
    pub fn requests(&self) -> &[ModelRequest] {
        &self.asked
    }

    /// Rounds of requests so far.
    pub fn rounds(&self) -> usize {
        self.rounds
    }

    fn done<T>(&mut self, value: T) -> Result<Next<T>, String> {
        if !self.pending.is_empty() {
            return Err(format!("{}: called again before its requests were answered", self.who));
        }
        Ok(Next::Done(value))
    }

    fn need<T>(&mut self, requests: Vec<KeyedRequest>) -> Result<Next<T>, String> {
        if !self.pending.is_empty() {
            return Err(format!("{}: called again before its requests were answered", self.who));
        }
        if requests.is_empty() {
            return Err(format!("{} is pending but asked for nothing", self.who));
        }
        self.rounds += 1;
        if self.rounds > MAX_ROUNDS {
            return Err(format!(
                "{} asked for more than {MAX_ROUNDS} rounds of requests; hint: ask independent requests together with `cx.ask_all`",
                self.who
            ));
        }
        if let Some(unknown) = requests.iter().find(|r| r.request.role == ModelRole::Unknown) {
            return Err(format!(
                "{} asked a model role this trustgen does not know ({}); hint: the plugin was built against a newer trustgen-plugin-api; upgrade trustgen",
                self.who,
                describe(&unknown.request)
            ));
        }
        if let Some(unknown) = requests.iter().find(|r| r.request.kind == RequestKind::Unknown) {
            return Err(format!(
                "{} asked a kind of request this trustgen does not know ({}); hint: the plugin was built against a newer trustgen-plugin-api; upgrade trustgen",
                self.who,
                describe(&unknown.request)
            ));
        }
        self.asked.extend(requests.iter().map(|r| r.request.clone()));
        let next = requests.iter().map(|r| r.request.clone()).collect();
        self.pending = requests;
        Ok(Next::Need(next))
    }
}

/// Runs a step-protocol method to completion with a reply function; for tests
/// and for plugin authors who want to replay recorded replies.
///
/// `reply` receives each round's requests and returns their replies, in
/// order. Returns the method's result and every request it made, in order.
/// The method is checked like the engine checks it (see the module
/// documentation); errors name the method by the path of the closure.
pub fn drive<T>(
    mut method: impl FnMut(&mut Cx) -> Step<T>,
    mut reply: impl FnMut(&[ModelRequest]) -> Vec<ModelReply>,
) -> Result<(T, Vec<ModelRequest>), String> {
    let name = std::any::type_name_of_val(&method);
    let name = name.strip_suffix("::{{closure}}").unwrap_or(name);
    let mut session = Session::named(format!("method `{name}`"));
    loop {
        match session.run(&mut method)? {
            Next::Done(value) => return Ok((value, session.asked)),
            Next::Need(requests) => {
                let replies = reply(&requests);
                session.answer(replies)?;
            }
        }
    }
}

#[cfg(test)]
mod tests;
