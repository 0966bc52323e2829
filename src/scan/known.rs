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
    labels: Vec<String>,
    automaton: AhoCorasick,
}

impl KnownValues {
    /// Builds the matcher; `Ok(None)` when no value is long enough to search for.
    /// The values are zeroized when this returns, whatever the outcome.
    pub(crate) fn build(
        values: Vec<(String, Zeroizing<Vec<u8>>)>,
    ) -> Result<Option<Self>, ScanError> {
        let (labels, secrets): (Vec<String>, Vec<Zeroizing<Vec<u8>>>) = values
            .into_iter()
            .filter(|(_, value)| value.len() >= MIN_KNOWN_VALUE_LEN)
            .unzip();
        if secrets.is_empty() {
            return Ok(None);
        }
        // Leftmost-longest so that a value which contains another (a URL
        // holding a password) is reported once, under the longer label.
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(secrets.iter().map(|s| s.as_slice()))
            .map_err(|source| ScanError::KnownValues {
                count: secrets.len(),
                source,
            })?;
        Ok(Some(Self { labels, automaton }))
    }

    /// Number of values searched for.
    pub(crate) fn len(&self) -> usize {
        self.labels.len()
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
