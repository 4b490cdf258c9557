//! What the HTTP providers share: the client, sending one attempt, and classifying what came back.
//!
//! One `reqwest` client per configured model, HTTP/1.1 with keep-alive and `TCP_NODELAY`, an idle
//! pool as large as the concurrency it must serve and no cap on open connections. HTTP/2 is not
//! negotiated on purpose: one HTTP/2 connection multiplexes every request and is capped by the
//! server's `SETTINGS_MAX_CONCURRENT_STREAMS` (often 100), the connection ceiling other evaluation
//! harnesses ran into; separate HTTP/1.1 connections scale with the configured concurrency.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, StatusCode};
use serde_json::Value;

use crate::error::{Failure, FatalKind};
use crate::retry::retry_after;
use crate::secret::ApiKey;

/// How long establishing a TCP (and TLS) connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest provider message kept in an error.
const MAX_MESSAGE: usize = 400;

/// Builds the client of one model.
pub(crate) fn build_client(user_agent: &str, pool: usize) -> Result<Client, reqwest::Error> {
    Client::builder()
        .user_agent(user_agent)
        .http1_only()
        .pool_max_idle_per_host(pool.max(1))
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .tcp_keepalive(Duration::from_secs(60))
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
}

/// A header carrying a key, marked sensitive so that it is never printed.
pub(crate) fn secret_header(
    name: &'static str,
    prefix: &str,
    key: &ApiKey,
) -> Result<(HeaderName, HeaderValue), Failure> {
    let mut value = HeaderValue::from_str(&format!("{prefix}{}", key.expose())).map_err(|_| Failure::Fatal {
        kind: FatalKind::Auth,
        status: None,
        message: "the API key contains characters that cannot be sent in an HTTP header".to_owned(),
    })?;
    value.set_sensitive(true);
    Ok((HeaderName::from_static(name), value))
}

/// A response read to the end.
pub(crate) struct Response {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// Sends one request and reads the body in chunks, at most `limit` bytes: a reply that declares
/// or sends more is a per-case error stating its size, and the rest is never read (the connection
/// is dropped). Connection failures and timeouts are retryable.
pub(crate) async fn send(
    builder: reqwest::RequestBuilder,
    key: Option<&ApiKey>,
    limit: u64,
) -> Result<Response, Failure> {
    let mut response = builder.send().await.map_err(|e| transport_failure(&e, key))?;
    let status = response.status();
    let headers = response.headers().clone();
    if let Some(declared) = response.content_length()
        && declared > limit
    {
        return Err(Failure::PerCase(format!(
            "reply exceeds {} limit (Content-Length {declared} bytes, not read); {TOO_LARGE_HINT}",
            human_bytes(limit)
        )));
    }
    let mut body: Vec<u8> = Vec::with_capacity(response.content_length().unwrap_or(0) as usize);
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_failure(&e, key))? {
        let read = body.len() as u64 + chunk.len() as u64;
        if read > limit {
            return Err(Failure::PerCase(format!(
                "reply exceeds {} limit (read {read} bytes, HTTP {}); {TOO_LARGE_HINT}",
                human_bytes(limit),
                status.as_u16()
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response { status, headers, body })
}

const TOO_LARGE_HINT: &str = "hint: the rest was not read; raise `max_reply_bytes` in the model's [models.<role>] table if replies this large are expected";

/// `8 MiB`, `512 KiB` or `1000 bytes`.
pub(crate) fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

fn transport_failure(error: &reqwest::Error, key: Option<&ApiKey>) -> Failure {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else if error.is_body() || error.is_decode() {
        "the connection dropped while reading the reply"
    } else {
        "the connection failed"
    };
    // The full source chain says what happened ("connection closed before message completed").
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    Failure::retry(crate::secret::scrub(key, &format!("{what}: {detail}")))
}

/// Parses a 2xx body as JSON; an unreadable body is retryable (a proxy or server glitch).
pub(crate) fn json_body(response: &Response) -> Result<Value, Failure> {
    serde_json::from_slice(&response.body)
        .map_err(|e| Failure::retry(format!("the reply is not valid JSON ({e}): {}", snippet(&response.body))))
}

/// The first bytes of a body, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.chars().count() > MAX_MESSAGE {
        format!("{}...", text.chars().take(MAX_MESSAGE).collect::<String>())
    } else {
        text.to_owned()
    }
}

/// The provider's error message (`error.message`, or `error` as a string, else the body), key scrubbed.
pub(crate) fn error_message(body: &[u8], key: Option<&ApiKey>) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        let error = v.get("error")?;
        error.get("message").and_then(Value::as_str).or_else(|| error.as_str()).map(str::to_owned)
    });
    let message = message.unwrap_or_else(|| snippet(body));
    let message = crate::secret::scrub(key, &message);
    if message.chars().count() > MAX_MESSAGE {
        format!("{}...", message.chars().take(MAX_MESSAGE).collect::<String>())
    } else if message.is_empty() {
        "(empty body)".to_owned()
    } else {
        message
    }
}

/// The provider's machine-readable error code or type (`error.code`, `error.type`, `error.status`).
pub(crate) fn error_code(body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let Some(error) = parsed.as_ref().and_then(|v| v.get("error")) else { return String::new() };
    let mut codes = Vec::new();
    for field in ["code", "type", "status"] {
        match error.get(field) {
            Some(Value::String(s)) => codes.push(s.clone()),
            Some(Value::Number(n)) => codes.push(n.to_string()),
            _ => {}
        }
    }
    // Gemini puts the reason in error.details[].reason (e.g. API_KEY_INVALID).
    if let Some(details) = error.get("details").and_then(Value::as_array) {
        codes.extend(details.iter().filter_map(|d| d.get("reason").and_then(Value::as_str)).map(str::to_owned));
    }
    codes.join(" ")
}

/// The common classification of a non-2xx response, after the provider has checked for its
/// content-filter shape.
pub(crate) fn classify_status(response: &Response, key: Option<&ApiKey>) -> Failure {
    let status = response.status;
    let code = status.as_u16();
    let message = error_message(&response.body, key);
    let codes = error_code(&response.body);
    let lower = format!("{codes} {message}").to_lowercase();
    let fatal =
        |kind| Failure::Fatal { kind, status: Some(code), message: format!("{message}{}", code_suffix(&codes)) };
    let retryable = || Failure::Retryable {
        reason: format!("HTTP {code}: {message}"),
        retry_after: retry_after(&response.headers, SystemTime::now()).or_else(|| retry_delay(&response.body)),
    };
    match code {
        // OpenAI's exhausted credit; Gemini says "quota" and "billing" for per-minute limits too, so only
        // the code counts.
        429 if codes.contains("insufficient_quota") => fatal(FatalKind::Quota),
        408 | 409 | 425 | 429 => retryable(),
        401 | 403 => fatal(FatalKind::Auth),
        402 => fatal(FatalKind::Quota),
        404 => fatal(FatalKind::UnknownModel),
        413 => Failure::PerCase(format!("HTTP 413: the request is too large: {message}")),
        400 | 422 if lower.contains("api_key_invalid") || lower.contains("api key not valid") => fatal(FatalKind::Auth),
        400 | 422 if is_per_case(&lower) => Failure::PerCase(format!("HTTP {code}: {message}")),
        501 | 505 => fatal(FatalKind::BadRequest),
        500..=599 => retryable(),
        _ => fatal(FatalKind::BadRequest),
    }
}

/// Gemini's `RetryInfo` in the error body: `error.details[].retryDelay`, e.g. `"13s"` or `"0.5s"`.
pub(crate) fn retry_delay(body: &[u8]) -> Option<Duration> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let details = value.get("error")?.get("details")?.as_array()?;
    let delay = details.iter().find_map(|d| d.get("retryDelay").and_then(Value::as_str))?;
    let secs: f64 = delay.strip_suffix('s')?.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs).min(crate::retry::MAX_RETRY_AFTER))
}

fn code_suffix(codes: &str) -> String {
    if codes.is_empty() { String::new() } else { format!(" [{codes}]") }
}

/// 400s that depend on this one request, not on the configuration: too long a prompt, a bad image.
fn is_per_case(lower: &str) -> bool {
    const NEEDLES: [&str; 9] = [
        "context_length_exceeded",
        "maximum context length",
        "prompt is too long",
        "too many tokens",
        "input is too long",
        "string_above_max_length",
        "invalid_image",
        "image_parse_error",
        "could not process image",
    ];
    NEEDLES.iter().any(|n| lower.contains(n))
}
