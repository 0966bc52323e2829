//! The value formats a template can require (`format = "url"`, …) and their checks. Each
//! check is strict and reports fixed text, never a part of the value.

use std::fmt;

/// The shape a value must have. Each check is strict and never trims whitespace, because a
/// stray newline in a secret breaks the program that uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// A scheme `[a-zA-Z][a-zA-Z0-9+.-]*://` followed by at least one character; no whitespace.
    Url,
    /// An optional `+`/`-` then ASCII digits, fitting in an `i64`.
    Int,
    /// `true`/`false`/`yes`/`no`/`1`/`0`, ASCII case-insensitive.
    Bool,
    /// ASCII digits only (no sign) with a value in `1..=65535`.
    Port,
    /// Exactly one `@`, a non-empty local part, and a domain of at least two non-empty
    /// dot-separated labels; no whitespace. Deliberately looser than RFC 5322.
    Email,
    /// Contains `-----BEGIN <label>-----` followed later by `-----END <label>-----` with the
    /// same non-empty, single-line label.
    Pem,
    /// A complete JSON value of any kind (RFC 8259), as accepted by `serde_json`.
    Json,
    /// Non-empty, all in the standard (`+/`) or all in the URL-safe (`-_`) alphabet. Padding
    /// may be omitted entirely (as URL-safe users often do), but if present it must be
    /// complete; no whitespace (use `pem` for wrapped data).
    Base64,
    /// Anything, including the empty string: the default.
    #[default]
    String,
}

impl Format {
    /// Every format, in the order the template documentation lists them.
    pub const ALL: [Format; 9] = [
        Format::Url,
        Format::Int,
        Format::Bool,
        Format::Port,
        Format::Email,
        Format::Pem,
        Format::Json,
        Format::Base64,
        Format::String,
    ];

    /// The name used for `format = "..."` in the template.
    #[must_use]
    pub fn name(self) -> &'static str {
        self.names().0
    }

    /// The format called `name` in the template (lowercase only, as documented).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Check `value` against this format.
    ///
    /// # Errors
    /// The format's [`requirement`](Format::requirement): the same text whichever part of
    /// the value failed. Saying which part (no `scheme://`, nothing after it, whitespace)
    /// would tell whoever can edit the template one more fact about a secret per run.
    pub fn check(self, value: &str) -> Result<(), &'static str> {
        let valid = match self {
            Format::Url => check_url(value).is_ok(),
            Format::Int => check_int(value).is_ok(),
            Format::Bool => ["true", "false", "yes", "no", "1", "0"]
                .iter()
                .any(|word| word.eq_ignore_ascii_case(value)),
            Format::Port => {
                !value.is_empty()
                    && value.bytes().all(|b| b.is_ascii_digit())
                    && value.parse::<u16>().is_ok_and(|port| port != 0)
            }
            Format::Email => check_email(value).is_ok(),
            Format::Pem => check_pem(value).is_ok(),
            Format::Json => serde_json::from_str::<serde::de::IgnoredAny>(value).is_ok(),
            Format::Base64 => check_base64(value).is_ok(),
            Format::String => true,
        };
        if valid {
            Ok(())
        } else {
            Err(self.requirement())
        }
    }

    /// What a value of this format is called in a sentence (`URL`, `port`).
    #[must_use]
    pub fn noun(self) -> &'static str {
        self.names().1
    }

    /// What a value of this format must look like: fixed text, the same for every value.
    #[must_use]
    pub fn requirement(self) -> &'static str {
        match self {
            Format::Url => "expected `scheme://` followed by the rest, with no whitespace",
            Format::Int => "expected digits with an optional sign, within the 64-bit range",
            Format::Bool => "not one of true, false, yes, no, 1, 0",
            Format::Port => "not a number from 1 to 65535",
            Format::Email => "expected `name@domain.tld` with no whitespace",
            Format::Pem => {
                "expected a `-----BEGIN <label>-----` line and a matching `-----END <label>-----` line"
            }
            Format::Json => "not valid JSON",
            Format::Base64 => {
                "expected one base64 alphabet, complete padding or none, and no whitespace"
            }
            Format::String => "any text",
        }
    }

    /// The template name, and what a value of this format is called in a sentence.
    pub(super) fn names(self) -> (&'static str, &'static str) {
        match self {
            Format::Url => ("url", "URL"),
            Format::Int => ("int", "integer"),
            Format::Bool => ("bool", "boolean"),
            Format::Port => ("port", "port"),
            Format::Email => ("email", "email address"),
            Format::Pem => ("pem", "PEM block"),
            Format::Json => ("json", "JSON value"),
            Format::Base64 => ("base64", "base64 string"),
            Format::String => ("string", "string"),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn check_url(value: &str) -> Result<(), &'static str> {
    if value.chars().any(char::is_whitespace) {
        return Err("contains whitespace");
    }
    let Some((scheme, rest)) = value.split_once("://") else {
        return Err("has no `scheme://` prefix");
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'));
    if !scheme_ok {
        Err("has no valid `scheme://` prefix")
    } else if rest.is_empty() {
        Err("has nothing after `://`")
    } else {
        Ok(())
    }
}

fn check_int(value: &str) -> Result<(), &'static str> {
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        Err("not an optional sign followed by digits")
    } else if value.parse::<i64>().is_err() {
        Err("outside the 64-bit integer range")
    } else {
        Ok(())
    }
}

fn check_email(value: &str) -> Result<(), &'static str> {
    if value.chars().any(char::is_whitespace) {
        return Err("contains whitespace");
    }
    let Some((local, domain)) = value.split_once('@') else {
        return Err("has no `@`");
    };
    if domain.contains('@') {
        Err("has more than one `@`")
    } else if local.is_empty() {
        Err("has nothing before the `@`")
    } else if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        Err("has no domain like `example.com` after the `@`")
    } else {
        Ok(())
    }
}

fn check_pem(value: &str) -> Result<(), &'static str> {
    const BEGIN: &str = "-----BEGIN ";
    const END: &str = "-----END ";
    const DASHES: &str = "-----";
    let no_begin = "has no `-----BEGIN <label>-----` line";
    let start = value.find(BEGIN).ok_or(no_begin)? + BEGIN.len();
    let label_len = value[start..].find(DASHES).ok_or(no_begin)?;
    let label = &value[start..start + label_len];
    if label.is_empty() || label.contains(['\n', '\r']) {
        return Err(no_begin);
    }
    // Search without building the footer string: the label is part of the value.
    let mut rest = &value[start + label_len + DASHES.len()..];
    while let Some(at) = rest.find(END) {
        rest = &rest[at + END.len()..];
        if rest
            .strip_prefix(label)
            .is_some_and(|tail| tail.starts_with(DASHES))
        {
            return Ok(());
        }
    }
    Err("has no `-----END <label>-----` line matching its BEGIN line")
}

fn check_base64(value: &str) -> Result<(), &'static str> {
    let body = value.trim_end_matches('=');
    let padding = value.len() - body.len();
    if body.is_empty() {
        return Err("is empty");
    }
    let standard = body
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    let url_safe = body
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !standard && !url_safe {
        return Err("has characters outside a single base64 alphabet");
    }
    let padding_ok = if padding == 0 {
        body.len() % 4 != 1
    } else {
        padding <= 2 && value.len().is_multiple_of(4)
    };
    padding_ok.then_some(()).ok_or("has incorrect padding")
}
