//! Secret detection over `(path, bytes)`: the scanner behind the pre-commit
//! hook, `vault scan` and `vault check`.
//!
//! Scanning is pure. [`Scanner::scan`] takes a repository-relative,
//! `/`-separated path and the file's bytes and returns [`Finding`]s; it must
//! not touch the filesystem or git, print, or keep state between calls.
//! Walking files and reading blobs happens beside it, in [`walk`] and [`run()`]
//! (the one entry point of `vault scan`, the hook and the benchmark, with
//! [`baseline`] and [`harvest`]), often on several threads at once, so a
//! [`Scanner`] is `Send + Sync` and its rule table is compiled once per process.
//!
//! How a file is scanned:
//! 1. Path rules decide file-level findings (`secrets/` contents that are not
//!    age armor, decrypted leftovers, `.env` files).
//! 2. Content that looks binary (a NUL in the first 8 KiB) skips the pattern
//!    rules; known values are still searched.
//! 3. One ASCII case-insensitive Aho-Corasick pass finds every rule keyword.
//!    Each rule's regex then runs only on the lines (windows) where one of its
//!    keywords occurred; the generic `key = value` rule instead parses the
//!    assignment around each hit (`assign.rs`). Every candidate then goes
//!    through the rule's validator (checksum, entropy, placeholder, structure).
//! 4. Matches inside age armor blocks or on a line carrying [`ALLOW_MARKER`]
//!    are dropped, heuristic matches covered by a specific rule are dropped,
//!    and line numbers are computed for what is left.
//!
//! No finding, hint, `Debug` output or error carries a secret: hints show at
//! most a published 4-character prefix, and fingerprints are truncated hashes.
//!
//! ```
//! use vault::scan::Scanner;
//!
//! let scanner = Scanner::new();
//! let key = format!("{}{}", "AKIA", "Z7Q2VWXN3RLT5KMH");
//! let findings = scanner.scan("deploy/config.py", format!("KEY = '{key}'\n").as_bytes());
//! assert_eq!(findings[0].rule, "aws-access-key-id");
//! assert_eq!(findings[0].hint, "AKIA…(20 chars)");
//! assert!(scanner.scan("README.md", b"no secrets here").is_empty());
//! ```

mod assign;
pub mod baseline;
pub mod harvest;
mod known;
mod mask;
pub mod path;
pub mod rules;
pub mod run;
pub mod validate;
pub mod walk;

#[cfg(test)]
mod corpus;
#[cfg(test)]
mod family_tests;
#[cfg(test)]
mod ported_tests;
#[cfg(test)]
mod regex_sample;
#[cfg(test)]
mod testgen;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::{LazyLock, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::bytes::{CaptureLocations, Regex};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use known::KnownValues;
use mask::{KeywordRules, RuleMask};
use path::PathFacts;
use rules::PathMatcher;
pub use rules::{Candidate, Class, Matcher, RULES, Redact, Rule, Window};

pub use known::MIN_KNOWN_VALUE_LEN;
pub use run::{Found, Notice, Plan, Report, Source, Unreadable, run};

/// A line containing this marker is never reported, whatever it matches.
pub const ALLOW_MARKER: &str = "vault:allow";

const ARMOR_END: &[u8] = b"-----END AGE ENCRYPTED FILE-----";

/// How much of the start of a file is sniffed for NUL bytes, like git does.
const BINARY_SNIFF_LEN: usize = 8 * 1024;

/// Lines longer than this (minified code, data URIs) are not searched whole
/// for every keyword hit; a window around the hit is used instead.
const LONG_LINE: usize = 4096;
/// Bytes kept before a hit on a long line (room for a key name).
const LONG_LINE_BEFORE: usize = 256;
/// Bytes kept after a hit on a long line (room for a long JWT).
const LONG_LINE_AFTER: usize = 8192;
/// Upper bound on a multi-line window, so a file of one huge line cannot make
/// a `Lines` rule rescan megabytes per hit.
const MAX_WINDOW: usize = 64 * 1024;

/// The first line of every armored age file, as bytes.
const ARMOR_BEGIN: &[u8] = crate::crypto::ARMOR_BEGIN.as_bytes();

/// Whether `content` is an age ASCII-armored file (one rule, `crypto`'s).
#[must_use]
pub fn is_age_armor(content: &[u8]) -> bool {
    crate::crypto::is_armored(content)
}

/// What went wrong building a scanner.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The automaton over known values could not be built (it exceeded
    /// `aho-corasick`'s size limits). The message never includes a value.
    #[error("could not build the matcher for {count} known secret values")]
    KnownValues {
        /// How many values were given.
        count: usize,
        /// The automaton builder's error.
        #[source]
        source: aho_corasick::BuildError,
    },
}

/// One reported secret, or one file that must not be committed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Stable rule id, e.g. `aws-access-key-id`.
    pub rule: &'static str,
    /// Human text for the rule.
    pub description: &'static str,
    /// The path as given to [`Scanner::scan`].
    pub path: String,
    /// 1-based line of the match; 0 for file-level findings.
    pub line: usize,
    /// 1-based byte column of the match; 0 for file-level findings.
    pub column: usize,
    /// A redacted description of the match: at most a published prefix
    /// (`AKIA…(20 chars)`), otherwise a label and a length. Never the secret.
    pub hint: String,
    /// Stable id for baselines: the first 16 hex digits of
    /// SHA-256(rule id, NUL, path without a leading `./`, NUL, matched bytes);
    /// for file-level findings the matched bytes are empty, so the id survives
    /// edits to the file. Baselines store this, never the secret. It does not
    /// change when the secret moves to another line, and does when it moves
    /// to another file.
    pub fingerprint: String,
}

/// A content rule of the table, its regex compiled on first use.
struct CompiledRule {
    rule: &'static Rule,
    /// Position in [`RULES`], used to order findings.
    order: usize,
    /// Compiling every regex up front cost more than a small hook run itself (most are
    /// provider formats whose keywords never occur in a given commit), so each is compiled
    /// the first time one of its keywords is seen, once per process, on any thread.
    regex: OnceLock<RuleRegex>,
}

/// A rule's regex and the positions of its named groups.
struct RuleRegex {
    regex: Regex,
    secret_group: Option<usize>,
    key_group: Option<usize>,
    extra_group: Option<usize>,
    scheme_group: Option<usize>,
    quote_group: Option<usize>,
}

impl CompiledRule {
    fn regex(&self) -> &RuleRegex {
        self.regex.get_or_init(|| {
            let regex = Regex::new(self.rule.pattern)
                .expect("rule table regexes are constants covered by tests");
            let group = |name: &str| regex.capture_names().position(|n| n == Some(name));
            RuleRegex {
                secret_group: group("s"),
                key_group: group("k"),
                extra_group: group("x"),
                scheme_group: group("scheme"),
                quote_group: group("q"),
                regex,
            }
        })
    }
}

/// Everything built from [`RULES`], once per process.
struct Compiled {
    rules: Vec<CompiledRule>,
    keywords: AhoCorasick,
    keyword_rules: Vec<KeywordRules>,
    armor_begin: AhoCorasick,
    /// Rule bits of each class, to switch classes off per file.
    heuristic_mask: RuleMask,
    private_key_mask: RuleMask,
    /// Content rules that run only on some paths (gitleaks' `path` filter), with that filter.
    path_limited: Vec<(usize, PathMatcher)>,
    /// The known-value rule and its position in the table.
    known_rule: (usize, &'static Rule),
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(Compiled::build);

impl Compiled {
    fn build() -> Self {
        let mut rules = Vec::new();
        let mut keyword_texts: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<KeywordRules> = Vec::new();
        for (order, rule) in RULES.iter().enumerate() {
            if rule.pattern.is_empty() {
                continue;
            }
            let bit = RuleMask::bit(rules.len());
            for keyword in rule.keywords {
                let lower = keyword.to_ascii_lowercase();
                let slot = if let Some(i) = keyword_texts.iter().position(|k| *k == lower) {
                    i
                } else {
                    keyword_texts.push(lower);
                    keyword_rules.push(KeywordRules {
                        any_case: RuleMask::EMPTY,
                        exact: Vec::new(),
                    });
                    keyword_texts.len() - 1
                };
                let entry = &mut keyword_rules[slot];
                if rule.keywords_case_sensitive {
                    if let Some(e) = entry.exact.iter_mut().find(|e| e.0 == keyword.as_bytes()) {
                        e.1 |= bit;
                    } else {
                        entry.exact.push((keyword.as_bytes(), bit));
                    }
                } else {
                    entry.any_case |= bit;
                }
            }
            rules.push(CompiledRule {
                rule,
                order,
                regex: OnceLock::new(),
            });
        }
        assert!(
            rules.len() <= RuleMask::BITS,
            "rule masks have 256 bits: at most 256 content rules"
        );
        let mask_of = |class: Class| {
            rules
                .iter()
                .enumerate()
                .filter(|(_, r)| r.rule.class == class)
                .fold(RuleMask::EMPTY, |m, (i, _)| m | RuleMask::bit(i))
        };
        let heuristic_mask = mask_of(Class::Heuristic);
        let path_limited = rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.rule.path.map(|matches| (i, matches)))
            .collect();
        let private_key_mask = mask_of(Class::PrivateKey);
        // Overlapping search with standard semantics reports every keyword at
        // every position, so a keyword inside another (`secret` inside
        // `aws_secret`) still triggers its own rules. A DFA keeps it fast.
        let keywords = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&keyword_texts)
            .expect("the keyword automaton is small and built from constants");
        let armor_begin =
            AhoCorasick::new([ARMOR_BEGIN]).expect("a single constant pattern always builds");
        let known_rule = RULES
            .iter()
            .enumerate()
            .find(|(_, r)| r.class == Class::KnownValue)
            .expect("the rule table has a known-value rule");
        Compiled {
            rules,
            keywords,
            keyword_rules,
            armor_begin,
            heuristic_mask,
            private_key_mask,
            path_limited,
            known_rule,
        }
    }
}

/// A match before line numbers, allow markers and deduplication.
struct Raw {
    rule: &'static Rule,
    order: usize,
    /// Byte range of the secret; empty and ignored for file-level findings.
    start: usize,
    end: usize,
    file_level: bool,
    hint: String,
}

/// The secret scanner: the compiled rule table plus, optionally, the vault's
/// own values to look for. Cheap to create after the first one (the table is
/// compiled once per process) and safe to share across threads.
pub struct Scanner {
    compiled: &'static Compiled,
    known: Option<KnownValues>,
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Scanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scanner")
            .field("rules", &self.compiled.rules.len())
            .field("known_values", &self.known_value_count())
            .finish_non_exhaustive()
    }
}

impl Scanner {
    /// A scanner with the built-in rules. The first call in a process compiles
    /// the table (a few milliseconds); later calls are nearly free.
    #[must_use]
    pub fn new() -> Scanner {
        Scanner {
            compiled: &COMPILED,
            known: None,
        }
    }

    /// Also reports exact copies of these secret values (rule
    /// `known-value`), labelled for example `prod/DATABASE_URL`. Values
    /// shorter than [`MIN_KNOWN_VALUE_LEN`] bytes are ignored. The values are
    /// zeroized once the matcher is built; see `known.rs` for what the matcher
    /// itself retains.
    ///
    /// # Panics
    ///
    /// Only if the automaton exceeds `aho-corasick`'s size limits (gigabytes
    /// of values); use [`Scanner::try_with_known_values`] to handle that.
    #[must_use]
    pub fn with_known_values(self, values: Vec<(String, Zeroizing<Vec<u8>>)>) -> Scanner {
        self.try_with_known_values(values)
            .expect("known values fit in an Aho-Corasick automaton (limits are in the gigabytes)")
    }

    /// Like [`Scanner::with_known_values`], returning the builder's error instead of panicking.
    ///
    /// # Errors
    ///
    /// [`ScanError::KnownValues`] if the automaton cannot be built.
    pub fn try_with_known_values(
        mut self,
        values: Vec<(String, Zeroizing<Vec<u8>>)>,
    ) -> Result<Scanner, ScanError> {
        self.known = KnownValues::build(values)?;
        Ok(self)
    }

    /// How many known values this scanner searches for.
    #[must_use]
    pub fn known_value_count(&self) -> usize {
        self.known.as_ref().map_or(0, KnownValues::len)
    }

    /// Every rule, in table order (for `vault scan --list-rules`).
    #[must_use]
    pub fn rules() -> &'static [Rule] {
        RULES
    }

    /// Scans one file. `path` is repository-relative and `/`-separated;
    /// `content` is the file's bytes (a blob from the index or history, or the
    /// working-tree file). Findings are ordered by position, file-level first.
    #[must_use]
    pub fn scan(&self, path: &str, content: &[u8]) -> Vec<Finding> {
        let facts = PathFacts::new(path);
        let mut raws = Vec::new();

        if !is_age_armor(content)
            && let Some((order, rule)) = RULES
                .iter()
                .enumerate()
                .find(|(_, r)| r.class == Class::Path && r.path.is_some_and(|matches| matches(&facts)))
            // A `.env` file whose every value is dotenvx or sops ciphertext is the safe way
            // to commit one; blocking it would push people back to plaintext.
            && !(rule.id == "dotenv-file" && validate::is_encrypted_dotenv(content))
            // Only a whole keystore holds a usable key; a damaged one is noise.
            && (rule.id != "pkcs12-file" || validate::is_pkcs12(content))
        {
            let hint = match rule.redact {
                Redact::Label(label) => label.to_owned(),
                _ => String::new(),
            };
            raws.push(Raw {
                rule,
                order,
                start: 0,
                end: 0,
                file_level: true,
                hint,
            });
        }

        let armor = self.armor_ranges(content);
        let sniff = &content[..content.len().min(BINARY_SNIFF_LEN)];
        if !sniff.contains(&0) {
            let mut allowed = if path::is_secrets_template(&facts) {
                self.compiled.private_key_mask
            } else if path::is_lock_file(&facts) {
                !self.compiled.heuristic_mask
            } else {
                RuleMask::ALL
            };
            for &(index, matches) in &self.compiled.path_limited {
                if !matches(&facts) {
                    allowed &= !RuleMask::bit(index);
                }
            }
            let source_code = path::is_source_code(&facts);
            self.scan_patterns(content, &armor, allowed, source_code, &mut raws);
        }

        if let Some(known) = &self.known {
            let (order, rule) = self.compiled.known_rule;
            for (label, start, end) in known.find(content) {
                if in_ranges(&armor, start) {
                    continue;
                }
                raws.push(Raw {
                    rule,
                    order,
                    start,
                    end,
                    file_level: false,
                    hint: format!("known value {label} ({} bytes)", end - start),
                });
            }
        }

        finish(path, facts.path, content, raws)
    }

    /// Byte ranges of age armor blocks. A block runs from its BEGIN line to
    /// its END line, but stops early at the first line that is not base64:
    /// pasting a marker above a plaintext secret must not hide the secret.
    fn armor_ranges(&self, content: &[u8]) -> Vec<(usize, usize)> {
        let mut ranges = Vec::new();
        let mut from = 0;
        // End of the line of the previous marker, so that many markers on one
        // line do not each rescan it.
        let mut known_line_end = 0;
        while let Some(m) = self.compiled.armor_begin.find(&content[from..]) {
            let begin = from + m.start();
            let marker_end = begin + ARMOR_BEGIN.len();
            if marker_end > known_line_end {
                known_line_end = line_end(content, marker_end);
            }
            let mut pos = known_line_end;
            if !content[marker_end..pos].trim_ascii().is_empty() {
                // Text after the marker on its own line is not ciphertext.
                ranges.push((begin, marker_end));
                from = marker_end;
                continue;
            }
            let mut end = content.len();
            while pos < content.len() {
                let next = pos + 1;
                let stop = line_end(content, next);
                let line = content[next..stop].trim_ascii();
                if line.starts_with(ARMOR_END) {
                    end = next + (content[next..stop].len() - line.len()) + ARMOR_END.len();
                    break;
                }
                if !line
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
                {
                    end = next;
                    break;
                }
                pos = stop;
            }
            ranges.push((begin, end));
            from = end.max(begin + 1);
        }
        ranges
    }

    /// Steps 3 and 4: keyword prefilter, windows, regexes, validators.
    fn scan_patterns(
        &self,
        content: &[u8],
        armor: &[(usize, usize)],
        allowed: RuleMask,
        source_code: bool,
        raws: &mut Vec<Raw>,
    ) {
        let compiled = self.compiled;
        let mut windows: Vec<(usize, usize, usize)> = Vec::new();
        let mut last_window = vec![usize::MAX; compiled.rules.len()];
        let mut last_value = vec![usize::MAX; compiled.rules.len()];
        let mut whole_file = RuleMask::EMPTY;
        let mut line = (usize::MAX, 0usize);

        for hit in compiled.keywords.find_overlapping_iter(content) {
            let meta = &compiled.keyword_rules[hit.pattern().as_usize()];
            let mut mask = meta.any_case;
            for &(text, bits) in &meta.exact {
                if &content[hit.start()..hit.end()] == text {
                    mask |= bits;
                }
            }
            mask &= allowed;
            if mask.is_empty() || in_ranges(armor, hit.start()) {
                continue;
            }
            if !(line.0 <= hit.start() && hit.start() < line.1) {
                line = (
                    line_start(content, hit.start()),
                    line_end(content, hit.start()),
                );
            }
            let long = line.1 - line.0 > LONG_LINE;
            let narrow = if long {
                (
                    hit.start().saturating_sub(LONG_LINE_BEFORE).max(line.0),
                    (hit.end() + LONG_LINE_AFTER).min(line.1),
                )
            } else {
                line
            };
            for index in mask.indices() {
                let rule = &compiled.rules[index];
                if rule.rule.matcher == Matcher::Assignment {
                    if let Some(found) =
                        assign::parse(content, hit.start()..hit.end(), line.0..line.1)
                        && last_value[index] != found.value.start
                    {
                        last_value[index] = found.value.start;
                        let key = (found.key.start, found.key.end);
                        let spans = Spans {
                            secret: (found.value.start, found.value.end),
                            key: Some(key),
                            extra: None,
                            scheme: None,
                            quoted: found.quoted,
                        };
                        Self::consider(rule, content, line, &spans, armor, source_code, raws);
                    }
                    continue;
                }
                let window = match rule.rule.window {
                    Window::File => {
                        whole_file |= RuleMask::bit(index);
                        continue;
                    }
                    Window::Line => narrow,
                    Window::Lines { .. } if long => narrow,
                    Window::Lines { before, after } => extend_lines(content, line, before, after),
                };
                if last_window[index] != window.0 {
                    last_window[index] = window.0;
                    windows.push((index, window.0, window.1));
                }
            }
        }

        self.run_windows(content, windows, whole_file, armor, source_code, raws);
    }

    /// Runs each rule over its merged windows, then the whole-file rules.
    fn run_windows(
        &self,
        content: &[u8],
        mut windows: Vec<(usize, usize, usize)>,
        whole_file: RuleMask,
        armor: &[(usize, usize)],
        source_code: bool,
        raws: &mut Vec<Raw>,
    ) {
        let compiled = self.compiled;
        windows.sort_unstable();
        let mut merged: Option<(usize, usize, usize)> = None;
        for (index, start, end) in windows {
            match merged {
                Some((i, s, e)) if i == index && start <= e => {
                    merged = Some((i, s, e.max(end)));
                }
                _ => {
                    if let Some((i, s, e)) = merged {
                        Self::run_rule(
                            &compiled.rules[i],
                            content,
                            (s, e),
                            armor,
                            source_code,
                            raws,
                        );
                    }
                    merged = Some((index, start, end));
                }
            }
        }
        if let Some((i, s, e)) = merged {
            Self::run_rule(
                &compiled.rules[i],
                content,
                (s, e),
                armor,
                source_code,
                raws,
            );
        }
        for index in whole_file.indices() {
            Self::run_rule(
                &compiled.rules[index],
                content,
                (0, content.len()),
                armor,
                source_code,
                raws,
            );
        }
    }

    /// Runs one rule's regex over `content[window]` (with the bytes before the
    /// window visible to `\b`), validating each match.
    fn run_rule(
        compiled: &CompiledRule,
        content: &[u8],
        (start, end): (usize, usize),
        armor: &[(usize, usize)],
        source_code: bool,
        raws: &mut Vec<Raw>,
    ) {
        let haystack = &content[..end];
        let matcher = compiled.regex();
        let mut locations: CaptureLocations = matcher.regex.capture_locations();
        let mut pos = start;
        while pos < end {
            let Some(m) = matcher
                .regex
                .captures_read_at(&mut locations, haystack, pos)
            else {
                break;
            };
            pos = m.end().max(m.start() + 1);
            let group = |g: Option<usize>| g.and_then(|g| locations.get(g));
            let spans = Spans {
                secret: group(matcher.secret_group).unwrap_or((m.start(), m.end())),
                key: group(matcher.key_group),
                extra: group(matcher.extra_group),
                scheme: group(matcher.scheme_group),
                quoted: group(matcher.quote_group).is_some(),
            };
            Self::consider(
                compiled,
                content,
                (start, end),
                &spans,
                armor,
                source_code,
                raws,
            );
        }
    }

    /// Validates one candidate and records it.
    fn consider(
        compiled: &CompiledRule,
        content: &[u8],
        (start, end): (usize, usize),
        spans: &Spans,
        armor: &[(usize, usize)],
        source_code: bool,
        raws: &mut Vec<Raw>,
    ) {
        let (s, e) = spans.secret;
        let slice = |span: Option<(usize, usize)>| span.map(|(a, b)| &content[a..b]);
        let key = slice(spans.key);
        let candidate = Candidate {
            secret: &content[s..e],
            key,
            extra: slice(spans.extra),
            next_byte: content.get(e).copied(),
            before_key: spans
                .key
                .and_then(|(a, _)| a.checked_sub(1))
                .map(|i| content[i]),
            quoted: spans.quoted,
            source_code,
            window: &content[start..end],
            content,
        };
        if compiled.rule.validate.is_some_and(|v| !v(&candidate)) || in_ranges(armor, s) {
            return;
        }
        raws.push(Raw {
            rule: compiled.rule,
            order: compiled.order,
            start: s,
            end: e,
            file_level: false,
            hint: hint(
                compiled.rule.redact,
                candidate.secret,
                key,
                slice(spans.scheme),
            ),
        });
    }
}

/// Byte ranges of one candidate's parts.
struct Spans {
    secret: (usize, usize),
    key: Option<(usize, usize)>,
    extra: Option<(usize, usize)>,
    scheme: Option<(usize, usize)>,
    quoted: bool,
}

/// Start of the line holding `pos`.
fn line_start(content: &[u8], pos: usize) -> usize {
    content[..pos]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// Index of the `\n` ending the line holding `pos`, or the content length.
fn line_end(content: &[u8], pos: usize) -> usize {
    let pos = pos.min(content.len());
    content[pos..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(content.len(), |i| pos + i)
}

/// Grows a line span by whole lines, within [`MAX_WINDOW`].
fn extend_lines(
    content: &[u8],
    (mut start, mut end): (usize, usize),
    before: u8,
    after: u8,
) -> (usize, usize) {
    let (first, last) = (start, end);
    for _ in 0..before {
        if start == 0 || first - start > MAX_WINDOW {
            break;
        }
        start = line_start(content, start - 1);
    }
    for _ in 0..after {
        if end >= content.len() || end - last > MAX_WINDOW {
            break;
        }
        end = line_end(content, end + 1);
    }
    (start, end)
}

/// Whether `pos` falls in one of the sorted, disjoint `ranges`.
fn in_ranges(ranges: &[(usize, usize)], pos: usize) -> bool {
    let i = ranges.partition_point(|&(_, end)| end <= pos);
    ranges.get(i).is_some_and(|&(start, _)| start <= pos)
}

/// Keeps only name-like bytes of a key or scheme for a hint.
fn printable_name(bytes: Option<&[u8]>) -> String {
    bytes
        .unwrap_or_default()
        .iter()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'+'))
        .take(64)
        .map(|&b| char::from(b))
        .collect()
}

/// The redacted hint of a content finding.
fn hint(redact: Redact, secret: &[u8], key: Option<&[u8]>, scheme: Option<&[u8]>) -> String {
    let len = secret.len();
    match redact {
        Redact::Prefix(n) => {
            let prefix = &secret[..n.min(4).min(len)];
            if prefix.iter().all(u8::is_ascii_graphic) {
                format!("{}…({len} chars)", String::from_utf8_lossy(prefix))
            } else {
                format!("…({len} chars)")
            }
        }
        Redact::Label(label) => format!("{label} ({len} chars)"),
        Redact::KeyName => format!("value of {} ({len} chars)", printable_name(key)),
        Redact::UrlScheme => format!(
            "password in {}:// URL ({len} chars)",
            printable_name(scheme)
        ),
        Redact::KnownLabel => format!("known value ({len} bytes)"),
    }
}

/// Deduplicates, drops allowed lines, numbers lines and fingerprints.
fn finish(path: &str, normalized: &str, content: &[u8], mut raws: Vec<Raw>) -> Vec<Finding> {
    raws.sort_by_key(|r| (!r.file_level, r.start, r.order));
    raws.dedup_by(|b, a| a.order == b.order && a.start == b.start && a.file_level == b.file_level);

    // One secret, one finding. A heuristic match is redundant where a specific
    // rule reports the same bytes, or where a heuristic earlier in the table
    // does (a provider-named key before the generic `key = value` rule). A
    // token match inside the span of a token rule earlier in the table is the
    // same secret seen by a broader port (gitleaks' legacy Slack shapes).
    let spans: Vec<(usize, usize, usize, Class)> = raws
        .iter()
        .filter(|r| !r.file_level)
        .map(|r| (r.start, r.end, r.order, r.rule.class))
        .collect();
    raws.retain(|r| {
        if r.file_level {
            return true;
        }
        !spans
            .iter()
            .any(|&(s, e, order, class)| match r.rule.class {
                Class::Heuristic => {
                    s < r.end && r.start < e && (class != Class::Heuristic || order < r.order)
                }
                Class::Token => {
                    class == Class::Token && order < r.order && s <= r.start && r.end <= e
                }
                _ => false,
            })
    });

    let mut findings = Vec::with_capacity(raws.len());
    let (mut line, mut line_begin, mut counted) = (1usize, 0usize, 0usize);
    // Whether the current line carries the allow marker, computed once per
    // line: a minified file can hold hundreds of findings on one huge line.
    let mut allowed: Option<bool> = None;
    for raw in raws {
        let (line_no, column) = if raw.file_level {
            (0, 0)
        } else {
            for (offset, &b) in content[counted..raw.start].iter().enumerate() {
                if b == b'\n' {
                    line += 1;
                    line_begin = counted + offset + 1;
                    allowed = None;
                }
            }
            counted = raw.start;
            let is_allowed = *allowed.get_or_insert_with(|| {
                has_allow_marker(&content[line_begin..line_end(content, raw.start)])
            });
            if is_allowed {
                continue;
            }
            (line, raw.start - line_begin + 1)
        };
        findings.push(Finding {
            rule: raw.rule.id,
            description: raw.rule.description,
            path: path.to_owned(),
            line: line_no,
            column,
            hint: raw.hint,
            fingerprint: fingerprint(raw.rule.id, normalized, &content[raw.start..raw.end]),
        });
    }
    findings
}

/// Whether a line contains [`ALLOW_MARKER`].
fn has_allow_marker(line: &[u8]) -> bool {
    let marker = ALLOW_MARKER.as_bytes();
    line.windows(marker.len()).any(|w| w == marker)
}

/// First 16 hex digits of SHA-256(rule, NUL, path, NUL, matched bytes).
fn fingerprint(rule: &str, path: &str, matched: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hasher = Sha256::new();
    hasher.update(rule.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(matched);
    let digest = hasher.finalize();
    digest[..8]
        .iter()
        .flat_map(|&b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xF)]])
        .map(char::from)
        .collect()
}
