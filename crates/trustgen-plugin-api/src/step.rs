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

use crate::schema::ModelReply;
use crate::schema::ModelRequest;

/// Why a method stopped before producing its result.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// Replies are needed; the engine will call again with them.
    Pending,
    /// The method failed for this input.
    Error(String),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

/// The context through which a method asks for model replies.
#[derive(Debug, Default)]
pub struct Cx {
    replies: Vec<ModelReply>,
    cursor: usize,
    pending: Vec<ModelRequest>,
    blocked: bool,
    bytes: Vec<u8>,
}

impl Cx {
    /// A context holding the replies of the earlier rounds, in request order.
    pub fn new(replies: Vec<ModelReply>) -> Cx {
        Cx { replies, cursor: 0, pending: Vec::new(), blocked: false, bytes: Vec::new() }
    }

    /// The raw bytes passed beside the JSON input (images referenced by
    /// [`crate::ImageSource::Blob`]).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Sets the raw bytes (used by the bridge).
    pub fn set_bytes(&mut self, bytes: Vec<u8>) {
        self.bytes = bytes;
    }

    /// Asks one request and returns its reply once the engine has run it.
    pub fn ask(&mut self, request: ModelRequest) -> Step<ModelReply> {
        let mut replies = self.ask_all(vec![request])?;
        Ok(replies.pop().expect("one reply per request"))
    }

    /// Asks several requests at once (the engine runs them concurrently) and
    /// returns their replies in order.
    pub fn ask_all(&mut self, requests: Vec<ModelRequest>) -> Step<Vec<ModelReply>> {
        if self.blocked {
            return Err(Stop::Pending);
        }
        let end = self.cursor + requests.len();
        if end <= self.replies.len() {
            let replies = self.replies[self.cursor..end].to_vec();
            self.cursor = end;
            return Ok(replies);
        }
        if self.cursor < self.replies.len() {
            // Some replies of this batch exist but not all: the engine always
            // answers whole rounds, so the method asked differently this time.
            return Err(Stop::Error(format!(
                "non-deterministic plugin method: it asked {} requests at reply {} but {} replies exist",
                requests.len(),
                self.cursor,
                self.replies.len()
            )));
        }
        self.pending = requests;
        self.blocked = true;
        Err(Stop::Pending)
    }

    /// Number of replies consumed so far.
    pub fn answered(&self) -> usize {
        self.cursor
    }

    /// Takes the requests of the round that is pending (used by the bridge).
    pub fn take_pending(&mut self) -> Vec<ModelRequest> {
        std::mem::take(&mut self.pending)
    }
}

/// Runs a step-protocol method to completion with a reply function; for tests
/// and for plugin authors who want to replay recorded replies.
///
/// `reply` receives each round's requests and returns their replies. Returns
/// the method's result and every request it made, in order.
pub fn drive<T>(
    mut method: impl FnMut(&mut Cx) -> Step<T>,
    mut reply: impl FnMut(&[ModelRequest]) -> Vec<ModelReply>,
) -> Result<(T, Vec<ModelRequest>), String> {
    let mut replies = Vec::new();
    let mut requests = Vec::new();
    loop {
        let mut cx = Cx::new(replies.clone());
        match method(&mut cx) {
            Ok(value) => return Ok((value, requests)),
            Err(Stop::Error(message)) => return Err(message),
            Err(Stop::Pending) => {
                let round = cx.take_pending();
                if round.is_empty() {
                    return Err("method returned Pending without asking anything".into());
                }
                let answers = reply(&round);
                if answers.len() != round.len() {
                    return Err(format!("reply function answered {} of {} requests", answers.len(), round.len()));
                }
                requests.extend(round);
                replies.extend(answers);
            }
        }
    }
}
