//! What reaches the terminal: text from providers, plugins and files is untrusted, so everything
//! the CLI prints on stderr (errors, warnings, the log) goes through [`sanitize`] at print time.
//!
//! A provider's error message can carry ANSI escapes (recolour or clear the screen, set the window
//! title, hide what follows), carriage returns and backspaces (overwrite what was printed) or other
//! control characters. [`sanitize`] removes escape sequences (CSI `ESC [ ... final`, OSC `ESC ] ...
//! BEL|ST`, DCS/APC/PM/SOS strings, and two-byte `ESC x`), C0 controls but `\n` and `\t`, DEL and
//! the C1 controls U+0080..=U+009F; `\n` stays because it structures multi-line messages.

use std::borrow::Cow;
use std::io::Write;

/// `text` without escape sequences and control characters (`\n` and `\t` kept).
pub(crate) fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates, up to a final byte in @..=~.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC, DCS, SOS, PM, APC: a string up to BEL or ST (ESC \).
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                // Two-byte sequences (ESC 7, ESC c, ...): the second byte goes too.
                _ => {}
            },
            // The C1 CSI.
            '\u{9b}' => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // C1 string introducers: OSC, DCS, SOS, PM, APC.
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            c if is_unsafe(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Skips a control string up to its terminator: BEL, ST (ESC \) or the C1 ST.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || c == '\u{7f}'
}

/// The log's writer: stderr, every event sanitized (the log quotes provider and plugin messages).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SanitizedStderr;

impl Write for SanitizedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().lock().write_all(sanitize(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for SanitizedStderr {
    type Writer = SanitizedStderr;

    fn make_writer(&'a self) -> SanitizedStderr {
        SanitizedStderr
    }
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[track_caller]
    fn check(input: &str, expected: &str) {
        assert_eq!(sanitize(input), expected, "{input:?}");
    }

    #[test]
    fn escapes_and_controls_are_removed_and_newlines_kept() {
        check("plain text, unchanged", "plain text, unchanged");
        check("\u{1b}[31mred\u{1b}[0m", "red");
        check("\u{1b}[2J\u{1b}[Hcleared", "cleared");
        check("\u{1b}]0;title\u{7}after", "after");
        check("\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\", "link");
        check("bell\u{7} back\u{8}space\rreturn nul\u{0} del\u{7f}", "bell backspacereturn nul del");
        check("c1\u{9b}31m csi nel\u{85} end", "c1 csi nel end");
        check("line one\nline two\twith a tab", "line one\nline two\twith a tab");
        check("dangling escape\u{1b}", "dangling escape");
        check("unicode stays: é ü 日本", "unicode stays: é ü 日本");
    }
}
