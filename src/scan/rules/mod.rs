//! The one table of detection rules: for each rule its stable id, a
//! description for people, the keywords that feed the literal prefilter, the
//! regex that finds a candidate, the validator that confirms it, the window of
//! text the regex needs, and how a finding's hint is redacted.
//!
//! This module is data plus the small types that describe it. It must not run
//! searches (that is `scan/mod.rs`), hold secrets, or print. The entries live
//! in one file per family (`keys`, `tokens`, `providers`, `prefixed`, `more`,
//! `keyed`, `generic`) and are joined into [`RULES`] at compile time. Adding a
//! rule means adding one entry to its family's table and its tests; ids are a
//! public contract (baselines and `vault:allow` reviews refer to them), so
//! never rename one.

use serde::Serialize;

use super::path::PathFacts;
use super::validate;

mod generic;
mod keyed;
mod keys;
mod more;
mod prefixed;
mod providers;
mod tokens;

/// What kind of evidence a rule relies on. Decides where a rule runs: some
/// files turn off the heuristic rules (lock files) or everything but private
/// keys and known values (the `.secrets.example.toml` template).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// File-level: decided by the path (and whether the content is age armor).
    Path,
    /// Private key material; runs everywhere, templates included.
    PrivateKey,
    /// A token with a recognisable format.
    Token,
    /// Keyword plus entropy; skipped in lock files, and dropped wherever a
    /// more specific rule reports the same bytes.
    Heuristic,
    /// An exact copy of a secret value the caller supplied.
    KnownValue,
}

/// How much of a match a finding's hint may show. Hints never show the random
/// part of a secret; at most a public prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Redact {
    /// The first N bytes (N ≤ 4, a published prefix such as `AKIA` or `ghp_`), then the length.
    Prefix(usize),
    /// A fixed label, then the length.
    Label(&'static str),
    /// The key name of a `key = value` assignment (names are not secret), then the length.
    KeyName,
    /// The URL scheme, then the password's length.
    UrlScheme,
    /// The caller's label of a known value, then the length.
    KnownLabel,
}

/// The text around a keyword hit that a rule's regex is run on. Narrow
/// windows are what make the scanner fast: most rules only ever see the
/// lines where their keywords occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Window {
    /// The line holding the keyword (for very long lines, a slice of it around the hit).
    Line,
    /// That line plus some lines above and below: the secret may sit a line
    /// away from its keyword (PEM bodies, a Twilio block in a config file).
    Lines {
        /// Lines before the keyword's line.
        before: u8,
        /// Lines after the keyword's line.
        after: u8,
    },
    /// The whole file, once, if any keyword occurs in it.
    File,
}

/// What a validator sees of one regex match. All slices borrow the scanned
/// content; none may be copied out or formatted.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// The bytes the finding is about: group `s` of the regex, or the whole match.
    pub secret: &'a [u8],
    /// Group `k`: the key name of an assignment, or the user of a URL.
    pub key: Option<&'a [u8]>,
    /// Group `x`: rule-specific context (the host of a URL).
    pub extra: Option<&'a [u8]>,
    /// The byte right after `secret`, to tell `token = make_token(` from a literal.
    pub next_byte: Option<u8>,
    /// The byte before group `k`, to tell `Type::Token` from a variable.
    pub before_key: Option<u8>,
    /// Whether the value was opened by a quote (group `q` matched).
    pub quoted: bool,
    /// Whether the file is program source (see `path::is_source_code`).
    pub source_code: bool,
    /// The window the regex ran on.
    pub window: &'a [u8],
    /// The whole file.
    pub content: &'a [u8],
}

/// How a pattern rule finds candidates around its keyword hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Matcher {
    /// Run [`Rule::pattern`] over the rule's window.
    Regex,
    /// Parse the `key = value` assignment whose key holds the hit (see
    /// `assign.rs`); [`Rule::pattern`] is the grammar it implements, and
    /// tests hold the two together.
    Assignment,
}

/// Confirms a regex candidate; `true` keeps it.
pub type Validator = fn(&Candidate<'_>) -> bool;

/// Decides a file-level rule from the path (age armor is handled by the caller).
pub type PathMatcher = fn(&PathFacts<'_>) -> bool;

/// One detection rule. See [`RULES`]. `Copy` so that the family tables can be
/// joined into one array in a `const` context.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    /// Stable id, used in output, baselines and `--list-rules`.
    pub id: &'static str,
    /// One line for people.
    pub description: &'static str,
    /// What kind of evidence the rule relies on.
    pub class: Class,
    /// Literals of which at least one must occur for the regex to run at all.
    pub keywords: &'static [&'static str],
    /// Whether keywords must match with their exact case (published token
    /// prefixes) or ASCII case-insensitively (words such as `password`).
    pub keywords_case_sensitive: bool,
    /// The regex (`regex::bytes` syntax, Unicode off); empty for path and known-value rules.
    pub pattern: &'static str,
    /// Where the regex runs, relative to a keyword hit.
    pub window: Window,
    /// How candidates are found.
    pub matcher: Matcher,
    /// Second-stage check of each regex match.
    #[serde(skip)]
    pub validate: Option<Validator>,
    /// File-level matcher, for [`Class::Path`] rules.
    #[serde(skip)]
    pub path: Option<PathMatcher>,
    /// How the hint is redacted.
    pub redact: Redact,
}

/// Defaults that every table entry overrides in part.
const BASE: Rule = Rule {
    id: "",
    description: "",
    class: Class::Token,
    keywords: &[],
    keywords_case_sensitive: true,
    pattern: "",
    window: Window::Line,
    matcher: Matcher::Regex,
    validate: Some(validate::not_placeholder),
    path: None,
    redact: Redact::Prefix(4),
};

/// A token rule ported from gitleaks whose regex finds the token by its own
/// prefix or shape. Its hint is a label: some of these regexes have no fixed
/// prefix, so showing the first bytes could show part of the secret.
const fn prefixed(
    id: &'static str,
    description: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
    validate: Validator,
) -> Rule {
    Rule {
        id,
        description,
        keywords,
        keywords_case_sensitive: false,
        pattern,
        validate: Some(validate),
        redact: Redact::Label(description),
        ..BASE
    }
}

/// A heuristic rule ported from gitleaks that finds a secret by its provider's
/// name in the key of an assignment and by the value's length and alphabet.
const fn keyed(
    id: &'static str,
    description: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
    validate: Validator,
) -> Rule {
    Rule {
        class: Class::Heuristic,
        ..prefixed(id, description, keywords, pattern, validate)
    }
}

/// Id of the known-value rule, which has no pattern: its matcher is built from
/// the caller's values by [`super::Scanner::with_known_values`].
pub const KNOWN_VALUE_ID: &str = "known-value";

/// The rule table. Order matters in two places: among path rules the first
/// match wins (one file-level finding per file), and findings at the same
/// position are listed in table order.
pub static RULES: &[Rule] = &TABLE;

/// The family tables in table order: file-level and private-key rules first,
/// heuristics and the known-value rule last.
const FAMILIES: &[&[Rule]] = &[
    keys::RULES,
    tokens::RULES,
    providers::RULES,
    prefixed::RULES,
    more::RULES,
    keyed::RULES,
    generic::RULES,
];

const RULE_COUNT: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < FAMILIES.len() {
        n += FAMILIES[i].len();
        i += 1;
    }
    n
};

static TABLE: [Rule; RULE_COUNT] = {
    let mut out = [BASE; RULE_COUNT];
    let mut k = 0;
    let mut i = 0;
    while i < FAMILIES.len() {
        let mut j = 0;
        while j < FAMILIES[i].len() {
            out[k] = FAMILIES[i][j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    out
};

/// The rules ported from gitleaks' rule set and the prefixed tokens beside
/// them (`more`), for their generated tests.
#[cfg(test)]
pub(crate) fn ported() -> impl Iterator<Item = &'static Rule> {
    prefixed::RULES
        .iter()
        .chain(more::RULES)
        .chain(keyed::RULES)
}
