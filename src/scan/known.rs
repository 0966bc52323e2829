//! Matching exact copies of the vault's own secret values ("known values"):
//! one Aho-Corasick automaton over every value, reporting which label matched.
//!
//! This module owns the only copy of secret-derived data the scanner keeps.
//! It must never expose a value, print one, or put one in `Debug` output;
//! matches are reported as a label index and a byte range only.
//!
//! Residual exposure, stated plainly: the caller's values arrive in
//! [`Zeroizing`] buffers and are wiped as soon as the automaton is built, but
//! the automaton's own transition tables necessarily encode the values and
//! `aho-corasick` cannot zeroize them on drop. Keep a scanner built with known
//! values for the duration of one scan (one hook run) and drop it afterwards.

use std::fmt;

use aho_corasick::{AhoCorasick, MatchKind};
use zeroize::Zeroizing;

use super::ScanError;

/// Values shorter than this are ignored: short strings (`true`, `8080`,
/// `admin`) occur everywhere and would block every commit.
pub const MIN_KNOWN_VALUE_LEN: usize = 8;

/// An automaton over known secret values plus their labels (`prod/DATABASE_URL`).
pub(crate) struct KnownValues {
    /// One label per pattern: a value's own label, with the encoding for a variant
    /// (`prod/DATABASE_URL (base64)`).
    labels: Vec<String>,
    /// How many values the caller gave (variants not counted).
    values: usize,
    automaton: AhoCorasick,
}

/// The forms a value is searched in besides its own bytes: a copy is as much a leak in
/// base64 (a Kubernetes Secret, a basic-auth header), URL-encoded (a query string), as
/// UTF-16 (a Windows `.reg` or PowerShell export), and a URL-valued secret leaks its
/// password on its own. Each form is labelled; forms equal to the value are skipped.
fn encodings(value: &[u8]) -> Vec<(&'static str, Zeroizing<Vec<u8>>)> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let mut out = vec![
        (
            "base64",
            Zeroizing::new(STANDARD_NO_PAD.encode(value).into_bytes()),
        ),
        (
            "base64url",
            Zeroizing::new(URL_SAFE_NO_PAD.encode(value).into_bytes()),
        ),
    ];
    let mut percent = Zeroizing::new(Vec::with_capacity(value.len() * 3));
    for &b in value {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            percent.push(b);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            percent.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
    out.push(("URL-encoded", percent));
    if let Ok(text) = std::str::from_utf8(value) {
        let mut le = Zeroizing::new(Vec::with_capacity(value.len() * 2));
        let mut be = Zeroizing::new(Vec::with_capacity(value.len() * 2));
        for unit in text.encode_utf16() {
            le.extend_from_slice(&unit.to_le_bytes());
            be.extend_from_slice(&unit.to_be_bytes());
        }
        // Little- and big-endian copies overlap by a byte inside UTF-16 text, so which
        // one matches first is arbitrary: both carry one label.
        out.push(("UTF-16", le));
        out.push(("UTF-16", be));
    }
    if let Some(password) = url_password(value) {
        out.push(("password in URL", Zeroizing::new(password.to_vec())));
    }
    out.retain(|(_, v)| v.as_slice() != value && v.len() >= MIN_KNOWN_VALUE_LEN);
    out.dedup_by(|a, b| a.1 == b.1);
    out
}

/// The password of `scheme://user:password@host…`, if the value is such a URL.
fn url_password(value: &[u8]) -> Option<&[u8]> {
    let rest = &value[value.windows(3).position(|w| w == b"://")? + 3..];
    let authority = &rest[..rest
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len())];
    let at = authority.iter().rposition(|&b| b == b'@')?;
    let userinfo = &authority[..at];
    let colon = userinfo.iter().position(|&b| b == b':')?;
    Some(&userinfo[colon + 1..])
}

impl KnownValues {
    /// Builds the matcher; `Ok(None)` when no value is long enough to search for.
    /// The values (and their encoded forms) are zeroized when this returns, whatever the
    /// outcome.
    pub(crate) fn build(
        values: Vec<(String, Zeroizing<Vec<u8>>)>,
    ) -> Result<Option<Self>, ScanError> {
        let mut labels = Vec::new();
        let mut secrets: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        let mut count = 0;
        for (label, value) in values {
            if value.len() < MIN_KNOWN_VALUE_LEN {
                continue;
            }
            count += 1;
            for (how, variant) in encodings(&value) {
                labels.push(format!("{label} ({how})"));
                secrets.push(variant);
            }
            labels.push(label);
            secrets.push(value);
        }
        if secrets.is_empty() {
            return Ok(None);
        }
        // Leftmost-longest so that a value which contains another (a URL
        // holding a password) is reported once, under the longer label.
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(secrets.iter().map(|s| s.as_slice()))
            .map_err(|source| ScanError::KnownValues { count, source })?;
        Ok(Some(Self {
            labels,
            values: count,
            automaton,
        }))
    }

    /// Number of values searched for.
    pub(crate) fn len(&self) -> usize {
        self.values
    }

    /// Every occurrence in `content`, as (label, start, end).
    pub(crate) fn find<'s>(
        &'s self,
        content: &'s [u8],
    ) -> impl Iterator<Item = (&'s str, usize, usize)> + 's {
        self.automaton.find_iter(content).map(|m| {
            (
                self.labels[m.pattern().as_usize()].as_str(),
                m.start(),
                m.end(),
            )
        })
    }
}

impl fmt::Debug for KnownValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Labels are not secret, but the count is all a reader needs; the
        // automaton's own Debug would dump the values, so it is never shown.
        f.debug_struct("KnownValues")
            .field("count", &self.labels.len())
            .finish_non_exhaustive()
    }
}
