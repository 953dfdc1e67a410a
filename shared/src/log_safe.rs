//! Attacker-supplied values on their way into a log line (a presented client_id, a request's
//! method and path): capped, so that a request cannot flood the logs or smuggle a secret pasted
//! into the wrong field in full, and escaped, so that control characters cannot forge a line or
//! hide text from whoever reads it in a terminal.

use std::fmt;

/// Characters kept from an untrusted value; longer values end with how much was left out.
pub const MAX_LOGGED_CHARS: usize = 128;

/// `value` as it may be logged: `tracing::info!(client_id = %untrusted(id), …)`.
pub fn untrusted(value: &str) -> Untrusted<'_> {
    Untrusted(value)
}

/// Displays at most [`MAX_LOGGED_CHARS`] characters of the value, control and invisible
/// formatting characters (bidi overrides, zero-width) as `\u{…}` escapes, backslash doubled.
#[derive(Clone, Copy)]
pub struct Untrusted<'a>(&'a str);

impl fmt::Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown_bytes = 0;
        for c in self.0.chars().take(MAX_LOGGED_CHARS) {
            shown_bytes += c.len_utf8();
            if c == '\\' {
                f.write_str("\\\\")?;
            } else if c.is_control() || is_invisible_format(c) {
                write!(f, "\\u{{{:x}}}", u32::from(c))?;
            } else {
                write!(f, "{c}")?;
            }
        }
        let left_out = self.0.len() - shown_bytes;
        if left_out > 0 {
            write!(f, "…(+{left_out} bytes)")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// Characters that change how the text around them reads without showing themselves.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{061c}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(value: &str) -> String {
        untrusted(value).to_string()
    }

    #[test]
    fn an_ordinary_value_is_logged_as_it_is() {
        assert_eq!(shown("lp-client.1@example"), "lp-client.1@example");
        assert_eq!(shown("/v1/labelpartners/é"), "/v1/labelpartners/é");
    }

    #[test]
    fn a_long_value_is_cut_and_says_how_much_was_left_out() {
        let value = "a".repeat(MAX_LOGGED_CHARS + 1000);
        assert_eq!(
            shown(&value),
            format!("{}…(+1000 bytes)", "a".repeat(MAX_LOGGED_CHARS))
        );
        let at_the_cap = "é".repeat(MAX_LOGGED_CHARS);
        assert_eq!(shown(&at_the_cap), at_the_cap);
    }

    #[test]
    fn control_characters_cannot_start_a_forged_line() {
        let forged = "x\n{\"level\":\"INFO\",\"fields\":{\"message\":\"ok\"}}\r\u{1b}[2J\t\0";
        let logged = shown(forged);
        assert!(!logged.chars().any(char::is_control), "{logged}");
        assert_eq!(
            logged,
            "x\\u{a}{\"level\":\"INFO\",\"fields\":{\"message\":\"ok\"}}\\u{d}\\u{1b}[2J\\u{9}\\u{0}"
        );
    }

    #[test]
    fn invisible_formatting_is_shown_and_a_backslash_cannot_fake_an_escape() {
        assert_eq!(shown("admin\u{202e}nimda"), "admin\\u{202e}nimda");
        assert_eq!(shown("a\u{200b}b\u{feff}"), "a\\u{200b}b\\u{feff}");
        assert_eq!(shown("\\u{a}"), "\\\\u{a}");
    }

    #[test]
    fn escapes_count_toward_the_cap_by_the_character_they_stand_for() {
        let value = "\n".repeat(MAX_LOGGED_CHARS + 1);
        assert_eq!(
            shown(&value),
            format!("{}…(+1 bytes)", "\\u{a}".repeat(MAX_LOGGED_CHARS))
        );
    }
}
