//! The fast path of the `generic-secret` rule: parses a `key <sep> value`
//! assignment outward from a keyword hit instead of running the rule's regex
//! over the whole line.
//!
//! Secret-sounding words (`token`, `password`, `auth`) occur on a large share
//! of all source lines, so this rule sees far more keyword hits than any
//! other; walking a few bytes around each hit is several times cheaper than a
//! regex search with captures. The rule's regex in `rules/generic.rs` stays the
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

/// Shortest value the rule's regex accepts (`[^…][^…]{7,}`): a password set by a person
/// may be eight characters; longer values are asked of everything else by the validator.
pub const MIN_VALUE_LEN: usize = 8;

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

/// Length of the assignment operator at `pos`, if any: `=`, `:`, `:=`, `=>`, and the
/// spellings of shells, Makefiles and PHP (`::=`, `:::=`, `?=`, `??=`, `||=`, `.=`, `+=`).
fn operator_len(content: &[u8], pos: usize, end: usize) -> Option<usize> {
    let at = |i: usize| (i < end).then(|| content[i]);
    match (at(pos), at(pos + 1), at(pos + 2), at(pos + 3)) {
        (Some(b':'), Some(b':'), Some(b':'), Some(b'=')) => Some(4),
        (Some(b':'), Some(b':'), Some(b'='), _)
        | (Some(b'?'), Some(b'?'), Some(b'='), _)
        | (Some(b'|'), Some(b'|'), Some(b'='), _) => Some(3),
        (Some(b':'), Some(b'='), _, _)
        | (Some(b'='), Some(b'>'), _, _)
        | (Some(b'?' | b'.' | b'+'), Some(b'='), _, _) => Some(2),
        (Some(b'=' | b':'), _, _, _) => Some(1),
        _ => None,
    }
}

/// The end of the operator at `pos`, allowing a declared type first (`apiToken string =`,
/// `val apiToken: String =`, `token: str =`), as the regex's optional type group does.
fn typed_operator(content: &[u8], pos: usize, end: usize) -> Option<usize> {
    let at = |i: usize| (i < end).then(|| content[i]);
    let mut p = pos;
    if at(p) == Some(b':') {
        p += 1;
    }
    while matches!(at(p), Some(b' ' | b'\t')) {
        p += 1;
    }
    for word in [&b"string"[..], b"String", b"str"] {
        if content.get(p..p + word.len()) == Some(word) && p + word.len() <= end {
            let mut q = p + word.len();
            while matches!(at(q), Some(b' ' | b'\t')) {
                q += 1;
            }
            if let Some(len) = operator_len(content, q, end) {
                return Some(q + len);
            }
        }
    }
    operator_len(content, pos, end).map(|len| pos + len)
}

/// Parses the assignment whose key contains `hit`, within `line`. Keys over
/// [`MAX_KEY_LEN`] and values over [`MAX_VALUE_LEN`] bytes are not parsed.
///
/// Mirrors the rule's regex:
///
/// ```text
/// (?P<k>[A-Za-z0-9_.$-]*KEYWORD[A-Za-z0-9_.-]*)
/// (?:["'\]]{0,2}[ \t]*(?::?[ \t]*(?:string|String|str)[ \t]*)?OPERATOR[ \t]*(?P<q>["'`])?
///   |["'][ \t]*,[ \t]*(?P<c>["'`]))
/// (?:(?i:bearer|basic|token)[ \t]+)?(?P<s>[^DELIMS=][^DELIMS]{7,})
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
    let after_closers = pos;
    while matches!(at(pos), Some(b' ' | b'\t')) {
        pos += 1;
    }
    // The regex's alternatives, in its order of preference: a declared type before the
    // operator, the operator alone, then a call's `"KEY", "VALUE"`. A later one counts
    // only when an earlier one yields no value (the regex backtracks the same way).
    let typed = typed_operator(content, pos, line.end);
    let plain = operator_len(content, pos, line.end).map(|len| pos + len);
    for end in [typed, plain].into_iter().flatten() {
        let mut start = end;
        while matches!(at(start), Some(b' ' | b'\t')) {
            start += 1;
        }
        let quoted = matches!(at(start), Some(b'"' | b'\'' | b'`'));
        if quoted {
            start += 1;
        }
        if let Some(value) = value_at(content, start, line.end) {
            return Some(Assignment { key, value, quoted });
        }
    }
    // `define('DB_PASSWORD', '…')`, `setProperty("TOKEN", "…")`: a quoted key, a comma and
    // a quoted value are a call that assigns.
    if closers != 1 || !matches!(content[key.end], b'"' | b'\'') {
        return None;
    }
    pos = after_closers;
    while matches!(at(pos), Some(b' ' | b'\t')) {
        pos += 1;
    }
    if at(pos) != Some(b',') {
        return None;
    }
    pos += 1;
    while matches!(at(pos), Some(b' ' | b'\t')) {
        pos += 1;
    }
    if !matches!(at(pos), Some(b'"' | b'\'' | b'`')) {
        return None;
    }
    value_at(content, pos + 1, line.end).map(|value| Assignment {
        key,
        value,
        quoted: true,
    })
}

/// The value starting at `pos` (after any quote), with an optional auth scheme before it
/// (`Authorization: Bearer …`): at least [`MIN_VALUE_LEN`] bytes up to a delimiter.
fn value_at(content: &[u8], mut pos: usize, line_end: usize) -> Option<Range<usize>> {
    let at = |i: usize| (i < line_end).then(|| content[i]);
    for scheme in [&b"bearer"[..], b"basic", b"token"] {
        let end = pos + scheme.len();
        if end < line_end
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
    // `=` and `:` cannot start a value: they are the rest of an operator (`==`, `:::=`).
    if ends_value(first) || first == b'=' || first == b':' {
        return None;
    }
    let mut end = pos + 1;
    while at(end).is_some_and(|b| !ends_value(b)) {
        end += 1;
        if end - pos > MAX_VALUE_LEN {
            return None;
        }
    }
    (end - pos >= MIN_VALUE_LEN).then_some(pos..end)
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
            (
                format!("define('DB_PASSWORD', '{v}');"),
                "pass",
                "DB_PASSWORD",
                true,
            ),
            (format!("$authToken .= \"{v}\""), "auth", "$authToken", true),
            (
                format!("API_TOKEN :::= \"{v}\""),
                "token",
                "API_TOKEN",
                true,
            ),
            (
                format!("var apiToken string = \"{v}\""),
                "token",
                "apiToken",
                true,
            ),
            (format!("token: String={v}"), "token", "token", false),
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
        // Once found by the property test: the regex must not fall back from `:::=` to
        // `:` and take `::=…` as the value.
        assert_eq!(
            parse_line("password:::=bearerA0=>", "pass"),
            Some(("password".to_owned(), "bearerA0=".to_owned(), false))
        );
    }
}
