//! The fast path of the `generic-secret` rule: parses a `key <sep> value`
//! assignment outward from a keyword hit instead of running the rule's regex
//! over the whole line.
//!
//! Secret-sounding words (`token`, `password`, `auth`) occur on a large share
//! of all source lines, so this rule sees far more keyword hits than any
//! other; walking a few bytes around each hit is several times cheaper than a
//! regex search with captures. The rule's regex in `rules.rs` stays the
//! specification: a property test in `tests.rs` checks that every regex match
//! is found here with the same key and value. This module must not allocate,
//! validate, or look beyond the hit's line.

use std::ops::Range;

/// One parsed assignment, as byte ranges into the scanned content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The key name, which contains the keyword hit.
    pub key: Range<usize>,
    /// The value: at least [`MIN_VALUE_LEN`] bytes, up to the first delimiter.
    pub value: Range<usize>,
    /// Whether a quote opened the value.
    pub quoted: bool,
}

/// Shortest value the rule's regex accepts (`[^…][^…]{11,}`).
pub const MIN_VALUE_LEN: usize = 12;

/// Longest key considered; the generic validator rejects longer ones anyway.
pub const MAX_KEY_LEN: usize = 128;

/// Longest value considered (the generic validator's own limit).
pub const MAX_VALUE_LEN: usize = super::validate::GENERIC_MAX_LEN;

/// Bytes of a key before and inside the keyword: `[A-Za-z0-9_.$-]`.
fn is_key_lead(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'$' | b'-')
}

/// Bytes of a key after the keyword: `[A-Za-z0-9_.-]`.
fn is_key_tail(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// Bytes that end a value: whitespace, quotes and code punctuation.
fn ends_value(b: u8) -> bool {
    matches!(
        b,
        b'\t'
            | b'\n'
            | 0x0B
            | 0x0C
            | b'\r'
            | b' '
            | b'"'
            | b'\''
            | b'`'
            | b';'
            | b','
            | b'('
            | b')'
            | b'{'
            | b'}'
            | b'['
            | b']'
            | b'<'
            | b'>'
            | b'\\'
    )
}

/// Parses the assignment whose key contains `hit`, within `line`. Keys over
/// [`MAX_KEY_LEN`] and values over [`MAX_VALUE_LEN`] bytes are not parsed.
///
/// Mirrors the rule's regex:
///
/// ```text
/// (?P<k>[A-Za-z0-9_.$-]*KEYWORD[A-Za-z0-9_.-]*)["'\]]{0,2}[ \t]*(?::=|=>|=|:)[ \t]*
/// (?P<q>["'`])?(?:(?i:bearer|basic|token)[ \t]+)?(?P<s>[^DELIMS=][^DELIMS]{11,})
/// ```
#[must_use]
pub fn parse(content: &[u8], hit: Range<usize>, line: Range<usize>) -> Option<Assignment> {
    // Bounded walks: a line made of one endless identifier or value must not
    // cost a full walk per keyword hit. Longer keys and values are rejected
    // by the validator anyway.
    let mut key_start = hit.start;
    while key_start > line.start && is_key_lead(content[key_start - 1]) {
        key_start -= 1;
        if hit.start - key_start > MAX_KEY_LEN {
            return None;
        }
    }
    let mut pos = hit.end;
    while pos < line.end && is_key_tail(content[pos]) {
        pos += 1;
        if pos - key_start > MAX_KEY_LEN {
            return None;
        }
    }
    let key = key_start..pos;
    let at = |i: usize| (i < line.end).then(|| content[i]);

    let mut closers = 0;
    while closers < 2 && matches!(at(pos), Some(b'"' | b'\'' | b']')) {
        pos += 1;
        closers += 1;
    }
    while matches!(at(pos), Some(b' ' | b'\t')) {
        pos += 1;
    }
    pos += match (at(pos), at(pos + 1)) {
        (Some(b':'), Some(b'=')) | (Some(b'='), Some(b'>')) => 2,
        (Some(b'=' | b':'), _) => 1,
        _ => return None,
    };
    while matches!(at(pos), Some(b' ' | b'\t')) {
        pos += 1;
    }
    let quoted = matches!(at(pos), Some(b'"' | b'\'' | b'`'));
    if quoted {
        pos += 1;
    }
    // An auth scheme before the credential (`Authorization: Bearer …`).
    for scheme in [&b"bearer"[..], b"basic", b"token"] {
        let end = pos + scheme.len();
        if end < line.end
            && content[pos..end].eq_ignore_ascii_case(scheme)
            && matches!(content[end], b' ' | b'\t')
        {
            let mut after = end;
            while matches!(at(after), Some(b' ' | b'\t')) {
                after += 1;
            }
            pos = after;
            break;
        }
    }
    let first = at(pos)?;
    if ends_value(first) || first == b'=' {
        return None;
    }
    let mut end = pos + 1;
    while at(end).is_some_and(|b| !ends_value(b)) {
        end += 1;
        if end - pos > MAX_VALUE_LEN {
            return None;
        }
    }
    (end - pos >= MIN_VALUE_LEN).then_some(Assignment {
        key,
        value: pos..end,
        quoted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str, keyword: &str) -> Option<(String, String, bool)> {
        let bytes = line.as_bytes();
        let at = line.to_ascii_lowercase().find(keyword)?;
        parse(bytes, at..at + keyword.len(), 0..bytes.len())
            .map(|a| (line[a.key].to_owned(), line[a.value].to_owned(), a.quoted))
    }

    #[test]
    fn parses_common_shapes() {
        let v = "Xk29fj2kd93Lq";
        let cases = [
            (format!("password = \"{v}\""), "pass", "password", true),
            (format!("\"api_key\": \"{v}\","), "api_key", "api_key", true),
            (format!("DB_PASSWORD={v}"), "pass", "DB_PASSWORD", false),
            (format!("$password = '{v}';"), "pass", "$password", true),
            (format!("AUTH_TOKEN := \"{v}\""), "auth", "AUTH_TOKEN", true),
            (
                format!("credentials => \"{v}\""),
                "credential",
                "credentials",
                true,
            ),
            (
                format!("Authorization: Bearer {v}"),
                "auth",
                "Authorization",
                false,
            ),
            (format!("cfg['secret'] = `{v}`"), "secret", "secret", true),
        ];
        for (line, keyword, key, quoted) in cases {
            let parsed = parse_line(&line, keyword);
            assert_eq!(
                parsed,
                Some((key.to_owned(), v.to_owned(), quoted)),
                "{line}"
            );
        }
    }

    #[test]
    fn rejects_non_assignments() {
        for line in [
            "if password == \"Xk29fj2kd93Lq\"",
            "password: short",
            "password(\"Xk29fj2kd93Lq\")",
            "the password is Xk29fj2kd93Lq",
            "password: ${DB_PASSWORD_VALUE}",
        ] {
            assert_eq!(parse_line(line, "pass"), None, "{line}");
        }
    }
}
