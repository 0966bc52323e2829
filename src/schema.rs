//! The secrets template, `.secrets.example.toml`: its schema, its parser, and the validation of
//! one environment's decrypted secrets against it.
//!
//! The template documents every secret without values: which environments need it, what it
//! looks like (`format`, `pattern`, `min_length`) and how often to rotate it. `vault exec` and
//! `vault check` call [`Template::validate`] before a secret is used.
//!
//! This module must not touch the filesystem or print: callers read the file and report what
//! comes back. Above all, no error, [`Violation`], `Display` or `Debug` output may contain a
//! secret value or any part of one; only names, environments, patterns, lengths and fixed
//! reasons are reported. Values are only borrowed, never copied, so nothing here needs zeroizing.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use regex::Regex;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::names::{is_env_name, is_secret_name};
use crate::payload::line_of;

/// The template's file name, relative to the repository root.
pub const TEMPLATE_FILE: &str = ".secrets.example.toml";

/// The fields a secret's table may hold; anything else is an error so typos cannot
/// silently switch a check off.
const FIELDS: &str =
    "description, required, format, pattern, rotate_days, min_length, allow_loader";

/// The parsed template: every declared secret, in file order.
#[derive(Debug, Clone, Default)]
pub struct Template {
    secrets: Vec<SecretSpec>,
    /// Position of each secret in `secrets`, so lookups stay O(1) for large templates.
    index: HashMap<String, usize>,
}

/// One secret's declaration: `[NAME]` and its fields.
#[derive(Debug, Clone)]
pub struct SecretSpec {
    /// The environment-variable name, `[A-Za-z_][A-Za-z0-9_]*`.
    pub name: String,
    /// What the secret is for; free text for humans.
    pub description: Option<String>,
    /// Which environments must set it.
    pub required: Required,
    /// The shape a value must have.
    pub format: Format,
    /// Regexes a value must match, per environment.
    pub pattern: Option<PatternRule>,
    /// How often the secret should be rotated, in days (at least 1).
    pub rotate_days: Option<u32>,
    /// Minimum length of a value, in Unicode scalar values (`char`s).
    pub min_length: Option<usize>,
    /// Whether `vault exec` may pass this name although it changes how programs load code
    /// (`LD_PRELOAD`, `NODE_OPTIONS`, …; see [`crate::exec::is_loader_variable`]).
    pub allow_loader: bool,
}

/// Which environments must set a secret.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Required {
    /// Every environment: the default when `required` is absent (or `required = true`).
    #[default]
    AllEnvironments,
    /// Only these environments, in file order, without duplicates.
    Only(Vec<String>),
    /// Optional everywhere: `required = []` (or `required = false`).
    None,
}

impl Required {
    /// Whether a secret with this rule must be set in `env`.
    #[must_use]
    pub fn includes(&self, env: &str) -> bool {
        match self {
            Required::AllEnvironments => true,
            Required::Only(envs) => envs.iter().any(|e| e == env),
            Required::None => false,
        }
    }
}

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
    fn names(self) -> (&'static str, &'static str) {
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

/// Per-environment regexes for a secret, from `pattern = { prod = "...", "*" = "..." }` or
/// the shorthand `pattern = "..."` (which means `{ "*" = "..." }`).
#[derive(Debug, Clone, Default)]
pub struct PatternRule {
    by_env: Vec<(String, Regex)>,
    default: Option<Regex>,
}

impl PatternRule {
    /// The regex a value must match in `env`: the env's own key beats `"*"`; with neither,
    /// there is no pattern for that env.
    #[must_use]
    pub fn for_env(&self, env: &str) -> Option<&Regex> {
        self.by_env
            .iter()
            .find(|(name, _)| name == env)
            .map(|(_, regex)| regex)
            .or(self.default.as_ref())
    }

    /// The environment-specific regexes, in file order (for `codegen`).
    pub fn per_env(&self) -> impl Iterator<Item = (&str, &Regex)> {
        self.by_env.iter().map(|(env, regex)| (env.as_str(), regex))
    }

    /// The `"*"` regex, for every environment without its own.
    #[must_use]
    pub fn default_regex(&self) -> Option<&Regex> {
        self.default.as_ref()
    }
}

/// Why a template could not be parsed. Lines are 1-based. No variant carries a string value
/// from the template other than names, environments and regex patterns, so a secret pasted
/// into the wrong place is not echoed back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The file is not valid TOML; `message` comes from the TOML parser.
    #[error("{TEMPLATE_FILE} is not valid TOML{}: {message}", line.map(|l| format!(" on line {l}")).unwrap_or_default())]
    Toml {
        /// Where the parser stopped, when it knows.
        line: Option<usize>,
        /// The parser's description, without the quoted source line.
        message: String,
    },
    /// A top-level key is not `[A-Za-z_][A-Za-z0-9_]*`.
    #[error(
        "`{name}` on line {line} is not a valid secret name (letters, digits and `_`, not starting with a digit)"
    )]
    InvalidSecretName {
        /// The offending key.
        name: String,
        /// Where it is.
        line: usize,
    },
    /// A top-level entry is a plain value or an array of tables instead of a `[NAME]` table.
    #[error("`{name}` on line {line} must be a table like `[{name}]`, not {found}")]
    NotATable {
        /// The secret name.
        name: String,
        /// Where it is.
        line: usize,
        /// The TOML type found instead, with its article (`an array`).
        found: &'static str,
    },
    /// A secret's table has a field this version does not know.
    #[error("unknown field `{field}` in `[{secret}]` on line {line} (expected one of {FIELDS})")]
    UnknownField {
        /// The secret whose table holds it.
        secret: String,
        /// The unknown key.
        field: String,
        /// Where it is.
        line: usize,
    },
    /// A field has the wrong TOML type.
    #[error("`{field}` in `[{secret}]` on line {line} must be {expected}, not {found}")]
    WrongType {
        /// The secret.
        secret: String,
        /// The field, e.g. `rotate_days` or `pattern.prod`.
        field: String,
        /// Where the value is.
        line: usize,
        /// What the field takes.
        expected: &'static str,
        /// The TOML type found instead, with its article (`an array`).
        found: &'static str,
    },
    /// An environment name in `required` or `pattern` is not `[a-z0-9][a-z0-9_-]*`.
    #[error(
        "`{env}` in the `{field}` of `[{secret}]` on line {line} is not a valid environment name (lowercase letters, digits, `_` and `-`)"
    )]
    InvalidEnvName {
        /// The secret.
        secret: String,
        /// `required` or `pattern`.
        field: &'static str,
        /// The offending name.
        env: String,
        /// Where it is.
        line: usize,
    },
    /// A pattern does not compile.
    #[error(
        "the pattern for `{env}` in `[{secret}]` on line {line} is not a valid regex: {message}"
    )]
    InvalidPattern {
        /// The secret.
        secret: String,
        /// The environment key, `*` for the default.
        env: String,
        /// Where the pattern is.
        line: usize,
        /// The regex compiler's complaint (it may quote the pattern, which is not secret).
        message: String,
    },
    /// A pattern is valid but too large to check values against quickly.
    #[error("the pattern for `{env}` in `[{secret}]` on line {line} is refused: {reason}")]
    PatternRefused {
        /// The secret.
        secret: String,
        /// The environment key, `*` for the default.
        env: String,
        /// Where the pattern is.
        line: usize,
        /// Which bound it exceeds, and what to write instead.
        reason: String,
    },
    /// `format` names no known format.
    #[error(
        "`format` in `[{secret}]` on line {line} is not a known format (expected one of url, int, bool, port, email, pem, json, base64, string)"
    )]
    UnknownFormat {
        /// The secret.
        secret: String,
        /// Where the value is.
        line: usize,
    },
    /// An integer field is outside its range, e.g. `rotate_days = 0`.
    #[error("`{field}` in `[{secret}]` on line {line} must be between {min} and {max}")]
    OutOfRange {
        /// The secret.
        secret: String,
        /// `rotate_days` or `min_length`.
        field: &'static str,
        /// Where the value is.
        line: usize,
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
}

/// One problem with an environment's secrets. Holds names only, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The secret concerned.
    pub secret: String,
    /// The environment validated, kept so `Display` can name it.
    pub env: String,
    /// What is wrong.
    pub kind: ViolationKind,
}

/// What is wrong with a secret in an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViolationKind {
    /// Required in the environment but absent. An empty value counts as present; use
    /// `min_length = 1` to forbid it.
    Missing,
    /// The value does not have the declared format; `reason` never includes the value.
    Format {
        /// The declared format.
        expected: Format,
        /// Fixed, value-free text such as `"not a number from 1 to 65535"`.
        reason: &'static str,
    },
    /// The value does not match the environment's pattern.
    Pattern {
        /// The pattern's source text (not secret).
        pattern: String,
    },
    /// The value has fewer `char`s than `min_length`. Its actual length is deliberately not
    /// kept: reporting it would let whoever edits the template learn it in one run.
    TooShort {
        /// The declared minimum.
        min: usize,
    },
    /// Present in the values but absent from the template; callers decide whether it matters.
    NotInTemplate,
}

impl Violation {
    /// Whether this is advisory (`NotInTemplate`) rather than a reason to refuse the secrets.
    #[must_use]
    pub fn is_warning(&self) -> bool {
        self.kind == ViolationKind::NotInTemplate
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (secret, env) = (&self.secret, &self.env);
        match &self.kind {
            ViolationKind::Missing => write!(f, "`{secret}` is required in `{env}` but not set"),
            ViolationKind::Format { expected, reason } => write!(
                f,
                "`{secret}` in `{env}` is not a valid {}: {reason}",
                expected.names().1
            ),
            ViolationKind::Pattern { pattern } => write!(
                f,
                "`{secret}` does not match the pattern `{pattern}` required in `{env}`"
            ),
            ViolationKind::TooShort { min } => write!(
                f,
                "`{secret}` in `{env}` is shorter than the minimum of {min} characters"
            ),
            ViolationKind::NotInTemplate => write!(
                f,
                "`{secret}` is set in `{env}` but not declared in {TEMPLATE_FILE}"
            ),
        }
    }
}

impl SecretSpec {
    /// Every problem with `value` as this secret's value in `env`, in a fixed order:
    /// format, pattern, length.
    #[must_use]
    pub fn check(&self, env: &str, value: &str) -> Vec<ViolationKind> {
        let mut problems = Vec::new();
        if let Err(reason) = self.format.check(value) {
            problems.push(ViolationKind::Format {
                expected: self.format,
                reason,
            });
        }
        if let Some(regex) = self.pattern.as_ref().and_then(|p| p.for_env(env))
            && !regex.is_match(value)
        {
            problems.push(ViolationKind::Pattern {
                pattern: regex.as_str().to_owned(),
            });
        }
        if let Some(min) = self.min_length
            && value.chars().take(min).count() < min
        {
            problems.push(ViolationKind::TooShort { min });
        }
        problems
    }
}

impl Template {
    /// Parse a template. Fails on the first problem in file order.
    ///
    /// # Errors
    /// Bad TOML, a top-level entry that is not a table, an invalid secret or environment
    /// name, an unknown field, a wrong type, an unknown format, an invalid regex, or an
    /// out-of-range integer; see [`TemplateError`].
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let document = DeTable::parse(text).map_err(|error| TemplateError::Toml {
            line: error.span().map(|span| line_of(text, span.start)),
            message: error.message().to_owned(),
        })?;
        let secrets = in_file_order(document.get_ref())
            .into_iter()
            .map(|(key, value)| parse_secret(text, key, value))
            .collect::<Result<_, _>>()?;
        let secrets: Vec<SecretSpec> = secrets;
        let index = secrets
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        Ok(Template { secrets, index })
    }

    /// Every declared secret, in file order.
    pub fn secrets(&self) -> impl Iterator<Item = &SecretSpec> {
        self.secrets.iter()
    }

    /// The secret called `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&SecretSpec> {
        self.index.get(name).map(|&i| &self.secrets[i])
    }

    /// The names of the secrets required in `env`, in file order.
    pub fn required_in<'a>(&'a self, env: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.secrets
            .iter()
            .filter(move |spec| spec.required.includes(env))
            .map(|spec| spec.name.as_str())
    }

    /// Validate an environment's secrets; `values` yields `(name, value)` pairs, the last
    /// one winning for a repeated name. Returns every problem: first the template's secrets
    /// in file order (each `Missing`, or its [`SecretSpec::check`] problems), then the
    /// undeclared names, sorted, as `NotInTemplate`.
    pub fn validate<'a>(
        &self,
        env: &str,
        values: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Vec<Violation> {
        let values: HashMap<&str, &str> = values.into_iter().collect();
        let violation = |secret: &str, kind| Violation {
            secret: secret.to_owned(),
            env: env.to_owned(),
            kind,
        };
        let mut violations = Vec::new();
        for spec in &self.secrets {
            match values.get(spec.name.as_str()) {
                Some(value) => violations.extend(
                    spec.check(env, value)
                        .into_iter()
                        .map(|kind| violation(&spec.name, kind)),
                ),
                None if spec.required.includes(env) => {
                    violations.push(violation(&spec.name, ViolationKind::Missing));
                }
                None => {}
            }
        }
        let mut undeclared: Vec<&str> = values
            .keys()
            .copied()
            .filter(|name| self.get(name).is_none())
            .collect();
        undeclared.sort_unstable();
        violations.extend(
            undeclared
                .into_iter()
                .map(|name| violation(name, ViolationKind::NotInTemplate)),
        );
        violations
    }

    /// A commented starter template for `vault init`, for a typical web app.
    #[must_use]
    pub fn example() -> &'static str {
        EXAMPLE
    }
}

type Entry<'t, 'i> = (&'t Spanned<DeString<'i>>, &'t Spanned<DeValue<'i>>);
type DeString<'i> = std::borrow::Cow<'i, str>;

/// Table entries sorted by where their key appears: toml's map is sorted by name, but
/// secrets keep file order and the first error reported should be the first in the file.
fn in_file_order<'t, 'i>(table: &'t DeTable<'i>) -> Vec<Entry<'t, 'i>> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

/// A TOML type with its article, for "must be a table, not an array".
fn a_type(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Where a field sits, for building errors.
struct Field<'a> {
    text: &'a str,
    secret: &'a str,
    name: &'a str,
}

impl Field<'_> {
    fn line(&self, span: Range<usize>) -> usize {
        line_of(self.text, span.start)
    }

    fn wrong_type(&self, value: &Spanned<DeValue<'_>>, expected: &'static str) -> TemplateError {
        TemplateError::WrongType {
            secret: self.secret.to_owned(),
            field: self.name.to_owned(),
            line: self.line(value.span()),
            expected,
            found: a_type(value.get_ref()),
        }
    }

    fn string<'v>(&self, value: &'v Spanned<DeValue<'_>>) -> Result<&'v str, TemplateError> {
        match value.get_ref() {
            DeValue::String(s) => Ok(s),
            _ => Err(self.wrong_type(value, "a string")),
        }
    }

    /// An integer in `min..=max`; `T` is the field's storage type, whose range also applies.
    fn integer<T: TryFrom<i128>>(
        &self,
        value: &Spanned<DeValue<'_>>,
        field: &'static str,
        min: u64,
        max: u64,
    ) -> Result<T, TemplateError> {
        let DeValue::Integer(int) = value.get_ref() else {
            return Err(self.wrong_type(value, "an integer"));
        };
        i128::from_str_radix(int.as_str(), int.radix())
            .ok()
            .filter(|n| (i128::from(min)..=i128::from(max)).contains(n))
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| TemplateError::OutOfRange {
                secret: self.secret.to_owned(),
                field,
                line: self.line(value.span()),
                min,
                max,
            })
    }

    fn env_name(
        &self,
        name: &str,
        span: Range<usize>,
        field: &'static str,
    ) -> Result<(), TemplateError> {
        if is_env_name(name) {
            Ok(())
        } else {
            Err(TemplateError::InvalidEnvName {
                secret: self.secret.to_owned(),
                field,
                env: name.to_owned(),
                line: self.line(span),
            })
        }
    }

    fn required(&self, value: &Spanned<DeValue<'_>>) -> Result<Required, TemplateError> {
        const EXPECTED: &str = "an array of environment names";
        let envs = match value.get_ref() {
            DeValue::Boolean(true) => return Ok(Required::AllEnvironments),
            DeValue::Boolean(false) => return Ok(Required::None),
            DeValue::Array(envs) => envs,
            _ => return Err(self.wrong_type(value, EXPECTED)),
        };
        let mut names: Vec<String> = Vec::with_capacity(envs.len());
        for env in envs {
            let DeValue::String(name) = env.get_ref() else {
                return Err(self.wrong_type(env, EXPECTED));
            };
            self.env_name(name, env.span(), "required")?;
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
        Ok(if names.is_empty() {
            Required::None
        } else {
            Required::Only(names)
        })
    }

    fn pattern(&self, value: &Spanned<DeValue<'_>>) -> Result<PatternRule, TemplateError> {
        let mut rule = PatternRule::default();
        let table = match value.get_ref() {
            DeValue::String(pattern) => {
                rule.default = Some(self.regex("*", pattern, value.span())?);
                return Ok(rule);
            }
            DeValue::Table(table) => table,
            _ => return Err(self.wrong_type(value, "a regex or a table of regexes by environment")),
        };
        for (env, pattern) in in_file_order(table) {
            let env_name = env.get_ref().as_ref();
            let field = Field {
                name: &format!("pattern.{env_name}"),
                ..*self
            };
            if env_name != "*" {
                self.env_name(env_name, env.span(), "pattern")?;
            }
            let regex = field.regex(env_name, field.string(pattern)?, pattern.span())?;
            if env_name == "*" {
                rule.default = Some(regex);
            } else {
                rule.by_env.push((env_name.to_owned(), regex));
            }
        }
        Ok(rule)
    }

    /// Compiles a pattern within the bounds below, so that neither compiling nor matching it
    /// can take long, whoever wrote the template.
    fn regex(&self, env: &str, pattern: &str, span: Range<usize>) -> Result<Regex, TemplateError> {
        let refused = |reason: String| TemplateError::PatternRefused {
            secret: self.secret.to_owned(),
            env: env.to_owned(),
            line: self.line(span.clone()),
            reason,
        };
        if pattern.len() > MAX_PATTERN_BYTES {
            return Err(refused(format!(
                "it is {} bytes long, more than the {MAX_PATTERN_BYTES} allowed (a pattern describes the shape of a value, not its content)",
                pattern.len()
            )));
        }
        // Measured on the parsed pattern, before compiling: the cost of a match grows with
        // the pattern's size times the value's, and `a{100000}` against a 100 KB value once
        // took 75 s. A pattern that does not parse gets the compiler's own message below.
        if let Ok(hir) = regex_syntax::Parser::new().parse(pattern) {
            let positions = positions(&hir);
            if positions > MAX_PATTERN_POSITIONS {
                return Err(refused(format!(
                    "it spans {} positions once its repetitions are multiplied out, more than the {MAX_PATTERN_POSITIONS} allowed, because checking a long value against it could take minutes (use `+` or `*` instead of large counts like `{{1000}}`)",
                    if positions == u64::MAX {
                        "too many".to_owned()
                    } else {
                        positions.to_string()
                    }
                )));
            }
        }
        regex::RegexBuilder::new(pattern)
            .size_limit(MAX_PATTERN_COMPILED)
            .dfa_size_limit(MAX_PATTERN_DFA)
            .build()
            .map_err(|error| match error {
                regex::Error::CompiledTooBig(limit) => refused(format!(
                    "it compiles to more than {} MiB, the most allowed, so checking values against it would be slow (Unicode classes such as `\\w` or `\\pL` are large: `[A-Za-z0-9_]` or `(?-u:\\w)` are much smaller)",
                    limit >> 20
                )),
                error => TemplateError::InvalidPattern {
                    secret: self.secret.to_owned(),
                    env: env.to_owned(),
                    line: self.line(span.clone()),
                    message: regex_message(&error),
                },
            })
    }
}

/// The longest pattern accepted, in bytes.
const MAX_PATTERN_BYTES: usize = 1024;
/// The most positions (characters, classes) a pattern may span with its counted
/// repetitions multiplied out; `^[0-9a-f]{1024}$` fits, `a{100000}` does not.
const MAX_PATTERN_POSITIONS: u64 = 2048;
/// The most memory a compiled pattern may take. Unicode classes are large (`^[\w-]{20,64}$`
/// needs about 3 MiB); this keeps compiling to milliseconds.
const MAX_PATTERN_COMPILED: usize = 4 << 20;
/// The most memory the lazy DFA of one pattern may cache while matching.
const MAX_PATTERN_DFA: usize = 2 << 20;

/// How many positions a parsed pattern spans: literals count their bytes, a class counts
/// one, a counted repetition multiplies its body by its largest count, and an unbounded one
/// (`*`, `+`, `{n,}`) by its minimum (at least one), since its loop is not unrolled.
fn positions(hir: &regex_syntax::hir::Hir) -> u64 {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 0,
        HirKind::Literal(literal) => literal.0.len() as u64,
        HirKind::Class(_) => 1,
        HirKind::Repetition(repetition) => {
            let count = repetition.max.unwrap_or(repetition.min.max(1));
            positions(&repetition.sub).saturating_mul(u64::from(count))
        }
        HirKind::Capture(capture) => positions(&capture.sub),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => parts
            .iter()
            .fold(0u64, |sum, part| sum.saturating_add(positions(part))),
    }
}

/// The regex crate's syntax errors span several lines (pattern, caret, message); keep the
/// message so the error stays one sentence.
fn regex_message(error: &regex::Error) -> String {
    match error {
        regex::Error::Syntax(text) => text
            .lines()
            .rfind(|line| !line.trim().is_empty())
            .map_or(text.as_str(), |line| line.trim_start_matches("error: "))
            .to_owned(),
        other => other.to_string(),
    }
}

fn parse_secret(
    text: &str,
    key: &Spanned<DeString<'_>>,
    value: &Spanned<DeValue<'_>>,
) -> Result<SecretSpec, TemplateError> {
    let name = key.get_ref().as_ref();
    // Counting lines is linear in the file, so it is done only on the error paths: doing it
    // for every secret made parsing quadratic (seconds for 10,000 secrets).
    let line = || line_of(text, key.span().start);
    if !is_secret_name(name) {
        return Err(TemplateError::InvalidSecretName {
            name: name.to_owned(),
            line: line(),
        });
    }
    let DeValue::Table(table) = value.get_ref() else {
        return Err(TemplateError::NotATable {
            name: name.to_owned(),
            line: line(),
            found: a_type(value.get_ref()),
        });
    };
    let mut spec = SecretSpec {
        name: name.to_owned(),
        description: None,
        required: Required::AllEnvironments,
        format: Format::String,
        pattern: None,
        rotate_days: None,
        min_length: None,
        allow_loader: false,
    };
    for (field_key, value) in in_file_order(table) {
        let field = Field {
            text,
            secret: name,
            name: field_key.get_ref().as_ref(),
        };
        match field.name {
            "description" => spec.description = Some(field.string(value)?.to_owned()),
            "required" => spec.required = field.required(value)?,
            "format" => {
                spec.format = Format::from_name(field.string(value)?).ok_or_else(|| {
                    TemplateError::UnknownFormat {
                        secret: name.to_owned(),
                        line: field.line(value.span()),
                    }
                })?;
            }
            "pattern" => spec.pattern = Some(field.pattern(value)?),
            "rotate_days" => {
                let max = u64::from(u32::MAX);
                spec.rotate_days = Some(field.integer(value, "rotate_days", 1, max)?);
            }
            "min_length" => {
                let max = i64::MAX.unsigned_abs();
                spec.min_length = Some(field.integer(value, "min_length", 0, max)?);
            }
            "allow_loader" => match value.get_ref() {
                DeValue::Boolean(b) => spec.allow_loader = *b,
                _ => return Err(field.wrong_type(value, "a boolean")),
            },
            other => {
                return Err(TemplateError::UnknownField {
                    secret: name.to_owned(),
                    field: other.to_owned(),
                    line: field.line(field_key.span()),
                });
            }
        }
    }
    Ok(spec)
}

/// The starter `vault init` writes: the template of the example web shop that the docs and
/// `vault demo` use, shipped at the repository's root so that there is one copy of it
/// (tests/integration/example.rs checks the docs and the demo against it).
const EXAMPLE: &str = include_str!("../.secrets.example.toml");

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STRIPE: &str = r#"
[DATABASE_URL]
description = "Postgres connection string"
required = ["dev", "staging", "prod"]
format = "url"
rotate_days = 90

[STRIPE_SECRET_KEY]
pattern = { prod = "^sk_live_", "*" = "^sk_test_" }
min_length = 20
"#;

    fn parse(text: &str) -> Template {
        Template::parse(text).expect("template parses")
    }

    fn err(text: &str) -> TemplateError {
        Template::parse(text).expect_err("template is rejected")
    }

    /// `Display` of every violation, which also shows each kind and the order.
    fn shown(template: &Template, env: &str, values: &[(&str, &str)]) -> Vec<String> {
        let violations = template.validate(env, values.iter().copied());
        violations.iter().map(ToString::to_string).collect()
    }

    // One row per format and verdict: name, `+` (accepted) or `-` (rejected), a space, then
    // the values separated by `|`; a leading `|` makes the empty string one of them.
    const FORMAT_CASES: [&str; 17] = [
        "url+ postgres://u@h:5432/db|redis://localhost|git+ssh://h|file:///x|HTTP://x",
        "url- |localhost:5432|://x|1http://x|http://|http://a b|h_t://x|http:// x",
        "int+ 0|-5|+7|9223372036854775807|-9223372036854775808|007",
        "int- |+|-|1.5| 1|1\n|9223372036854775808|1e3|0x10|1_000",
        "bool+ true|FALSE|Yes|no|1|0",
        "bool- |y|on|2| true|truee",
        "port+ 1|80|0080|65535",
        "port- |0|65536|-1|+80|http|80 |1.0|99999999999",
        "email+ a@b.co|first.last+tag@mail.example.com",
        "email- |ab.co|a@@b.co|a@b@c.co|@b.co|a@bco|a@.co|a@b.|a b@c.co|a@b..co",
        "pem+ -----BEGIN A B-----\nMIIB\n-----END A B-----\n|x\n-----BEGIN K-----\n-----END K-----",
        "pem- |MIIB|-----BEGIN K-----\n|-----BEGIN K-----\n-----END KEY-----|-----BEGIN K\n-----END K-----",
        "json+ {\"a\":[1,2.5,null,true]}|\"s\"|42| [] ",
        "json- |{|{'a':1}|[1,]|{} x|\"\\q\"|NaN",
        "base64+ aGVsbG8=|aGVsbG8|aGk=|aGk|-_8=|+/8=|AAAA|AA==",
        "base64- |====|a|aGVsbG8==|+_8=|aG k=|a=bc|aGk===|AAAAA|aGVsbG8=\n",
        "string+ | |anything\n\0|{}",
    ];

    #[test]
    fn every_format_accepts_and_rejects() {
        for row in FORMAT_CASES {
            let (head, values) = row.split_once(' ').expect("row has a space");
            let (name, verdict) = head.split_at(head.len() - 1);
            let format = Format::from_name(name).expect("known format");
            for value in values.split('|') {
                let result = format.check(value);
                let message = format!("{format} {value:?}: {result:?}");
                assert_eq!(result.is_ok(), verdict == "+", "{message}");
                // Whatever made it fail, the reason is the format's one fixed requirement.
                if let Err(reason) = result {
                    assert_eq!(reason, format.requirement(), "{message}");
                }
            }
        }
        let pem = "-----END K-----\n-----BEGIN K-----\n-----END J-----";
        assert!(Format::Pem.check(pem).is_err(), "END must follow BEGIN");
        let too_big = Format::Int.check("99999999999999999999");
        assert_eq!(too_big, Err(Format::Int.requirement()));
        for format in Format::ALL {
            assert_eq!(Format::from_name(&format.to_string()), Some(format));
        }
        assert_eq!(Format::from_name("URL"), None);
    }

    #[test]
    fn fields_are_parsed_in_file_order() {
        let template = parse("[Z_1]\n[A_2]\n[M_3]\n");
        let names: Vec<_> = template.secrets().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Z_1", "A_2", "M_3"]);
        let template = parse(STRIPE);
        let db = template.get("DATABASE_URL").expect("declared");
        let description = db.description.as_deref();
        assert_eq!(description, Some("Postgres connection string"));
        let facts = (db.format, db.rotate_days, db.min_length);
        assert_eq!(facts, (Format::Url, Some(90), None));
        let stripe = template.get("STRIPE_SECRET_KEY").expect("declared");
        let facts = (stripe.format, stripe.min_length, &stripe.required);
        assert_eq!(
            facts,
            (Format::String, Some(20), &Required::AllEnvironments)
        );
        assert!(template.get("NOPE").is_none());
    }

    #[test]
    fn pattern_per_env_catches_key_swap() {
        let template = parse(STRIPE);
        let (db, key) = (("DATABASE_URL", "postgres://h/db"), "STRIPE_SECRET_KEY");
        let live = [db, (key, "sk_live_0123456789abcdef")];
        let test = [db, (key, "sk_test_0123456789abcdef")];
        assert!(shown(&template, "prod", &live).is_empty());
        assert!(shown(&template, "staging", &test).is_empty());
        assert!(shown(&template, "dev", &test).is_empty());
        let prod = "`STRIPE_SECRET_KEY` does not match the pattern `^sk_live_` required in `prod`";
        assert_eq!(shown(&template, "prod", &test), [prod]);
        let staging = prod.replace("live", "test").replace("prod", "staging");
        assert_eq!(shown(&template, "staging", &live), [staging]);
        let kind = &template.validate("prod", test)[0].kind;
        let pattern = "^sk_live_".to_owned();
        assert_eq!(*kind, ViolationKind::Pattern { pattern });
    }

    #[test]
    fn pattern_lookup_without_default_and_shorthand() {
        let template = parse("[K]\npattern = { prod = \"^live$\" }\n[W]\npattern = \"whsec_\"\n");
        let rule = |name| template.get(name).and_then(|s| s.pattern.clone());
        let rule = |name| rule(name).expect("has a pattern");
        assert!(rule("K").for_env("dev").is_none());
        assert_eq!(rule("W").for_env("dev").map(Regex::as_str), Some("whsec_"));
        assert!(shown(&template, "dev", &[("K", "any"), ("W", "x_whsec_y")]).is_empty());
        let one_each = [("K", "alive"), ("W", "no")];
        assert_eq!(shown(&template, "prod", &one_each).len(), 2);
    }

    #[test]
    fn required_defaults_and_lists() {
        let template = parse(
            "[ALL]\n[SOME]\nrequired = [\"prod\", \"staging\", \"prod\"]\n[NONE]\nrequired = []\n\
             [YES]\nrequired = true\n[NO]\nrequired = false\n",
        );
        let required = |name| template.get(name).map(|s| s.required.clone());
        let some = Required::Only(vec!["prod".into(), "staging".into()]);
        assert_eq!(required("SOME"), Some(some));
        assert_eq!(required("NONE"), Some(Required::None));
        assert_eq!(required("NO"), Some(Required::None));
        let prod: Vec<_> = template.required_in("prod").collect();
        assert_eq!(prod, ["ALL", "SOME", "YES"]);
        let missing = template.validate("dev", []);
        assert!(missing.iter().all(|v| v.kind == ViolationKind::Missing));
        let expected = [
            "`ALL` is required in `dev` but not set",
            "`YES` is required in `dev` but not set",
        ];
        assert_eq!(shown(&template, "dev", &[]), expected);
        // Present but empty counts as set.
        assert!(shown(&template, "dev", &[("ALL", ""), ("YES", "")]).is_empty());
    }

    #[test]
    fn min_length_counts_chars() {
        let template = parse("[S]\nmin_length = 4\n");
        assert!(shown(&template, "dev", &[("S", "éééé")]).is_empty());
        let too_short = ViolationKind::TooShort { min: 4 };
        assert_eq!(template.validate("dev", [("S", "ééé")])[0].kind, too_short);
        let expected = "`S` in `dev` is shorter than the minimum of 4 characters";
        assert_eq!(shown(&template, "dev", &[("S", "ab")]), [expected]);
        assert_eq!(shown(&template, "dev", &[("S", "")]), [expected]);
    }

    #[test]
    fn every_problem_is_reported_in_stable_order() {
        let template = parse(
            "[A]\nformat = \"port\"\npattern = \"^9\"\nmin_length = 3\n[B]\n[C]\nformat = \"int\"\n",
        );
        let values = [("ZED", "1"), ("C", "x"), ("A", "0"), ("EXTRA", "1")];
        let expected = [
            "`A` in `prod` is not a valid port: not a number from 1 to 65535",
            "`A` does not match the pattern `^9` required in `prod`",
            "`A` in `prod` is shorter than the minimum of 3 characters",
            "`B` is required in `prod` but not set",
            "`C` in `prod` is not a valid integer: expected digits with an optional sign, within the 64-bit range",
            "`EXTRA` is set in `prod` but not declared in .secrets.example.toml",
            "`ZED` is set in `prod` but not declared in .secrets.example.toml",
        ];
        assert_eq!(shown(&template, "prod", &values), expected);
        let violations = template.validate("prod", values);
        let (expected, reason) = (Format::Port, "not a number from 1 to 65535");
        assert_eq!(
            violations[0].kind,
            ViolationKind::Format { expected, reason }
        );
        assert!(!violations[3].is_warning() && violations[5].is_warning());
        let extra = (violations[5].secret.as_str(), violations[5].env.as_str());
        assert_eq!(extra, ("EXTRA", "prod"));
        // The last value for a repeated name wins.
        let repeated = [("A", "0"), ("A", "999"), ("B", ""), ("C", "1")];
        assert!(shown(&template, "prod", &repeated).is_empty());
        assert_eq!(shown(&parse(""), "dev", &[("X", "1")]).len(), 1);
    }

    // Each row: a template (after `[S]\n` unless it starts with `!`), ` => `, then the start
    // of the error's `Display`.
    const ERROR_CASES: [&str; 25] = [
        "!\n[1A]\n => `1A` on line 2 is not a valid secret name (letters, digits and `_`",
        "![MY-KEY]\n => `MY-KEY` on line 1 is not a valid secret name",
        "![\"\"]\n => `` on line 1 is not a valid secret name",
        "![A]\n[[B]]\n => `B` on line 2 must be a table like `[B]`, not an array",
        "!X = \"x\"\n => `X` on line 1 must be a table like `[X]`, not a string",
        "![A]\ndescription = \"ok\"\nformat = \n => .secrets.example.toml is not valid TOML on line 3: ",
        "![A]\n[A]\n => .secrets.example.toml is not valid TOML on line 2: duplicate key",
        "format = \"uri\" => `format` in `[S]` on line 2 is not a known format (expected one of url, int, bool, port, email, pem, json, base64, string)",
        "description = 5 => `description` in `[S]` on line 2 must be a string, not an integer",
        "required = \"prod\" => `required` in `[S]` on line 2 must be an array of environment names, not a string",
        "required = [1] => `required` in `[S]` on line 2 must be an array of environment names, not an integer",
        "format = [\"url\"] => `format` in `[S]` on line 2 must be a string, not an array",
        "pattern = 3 => `pattern` in `[S]` on line 2 must be a regex or a table of regexes by environment, not an integer",
        "pattern = { prod = true } => `pattern.prod` in `[S]` on line 2 must be a string, not a boolean",
        "rotate_days = \"90\" => `rotate_days` in `[S]` on line 2 must be an integer, not a string",
        "min_length = 2.5 => `min_length` in `[S]` on line 2 must be an integer, not a float",
        "required = [\n\"dev\",\n\"Prod\"] => `Prod` in the `required` of `[S]` on line 4 is not a valid environment name",
        "pattern = { \"-x\" = \"a\" } => `-x` in the `pattern` of `[S]` on line 2 is not a valid environment name",
        "\npattern = { prod = \"^sk_(\" } => the pattern for `prod` in `[S]` on line 3 is not a valid regex: unclosed group",
        "pattern = \"[\" => the pattern for `*` in `[S]` on line 2 is not a valid regex: unclosed character class",
        "rotate_days = 0 => `rotate_days` in `[S]` on line 2 must be between 1 and 4294967295",
        "rotate_days = -3 => `rotate_days` in `[S]` on line 2 must be between 1 and 4294967295",
        "rotate_days = 4294967296 => `rotate_days` in `[S]` on line 2 must be between 1 and 4294967295",
        "min_length = -1 => `min_length` in `[S]` on line 2 must be between 0 and 9223372036854775807",
        "rotate_days = 9\nrotate_day = 90 => unknown field `rotate_day` in `[S]` on line 3 (expected one of description, required, format, pattern, rotate_days, min_length, allow_loader)",
    ];

    #[test]
    fn every_error_is_one_sentence_with_a_line() {
        for row in ERROR_CASES {
            let (text, expected) = row.split_once(" => ").expect("row has =>");
            let text = text
                .strip_prefix('!')
                .map_or(format!("[S]\n{text}\n"), str::to_owned);
            let shown = err(&text).to_string();
            assert!(
                shown.starts_with(expected) && !shown.contains('\n'),
                "{shown}"
            );
        }
        assert!(Template::parse("[_ok]\n[lower_9]\nrotate_days = 0x10\nmin_length = 0\n").is_ok());
    }

    #[test]
    fn errors_are_structured() {
        let text = "[DATABASE_URL]\nformat = \"url\"\n\n[SMTP_PASSWORD]\nrotate_day = 90\n";
        let (secret, field) = ("SMTP_PASSWORD".into(), "rotate_day".into());
        assert_eq!(
            err(text),
            TemplateError::UnknownField {
                secret,
                field,
                line: 5
            }
        );
        let e = err("[S]\nrequired = [\n  \"dev\",\n  \"Prod\",\n]\n");
        let (secret, env) = ("S".into(), "Prod".into());
        assert_eq!(
            e,
            TemplateError::InvalidEnvName {
                secret,
                field: "required",
                env,
                line: 4
            }
        );
        let e = err("[S]\npattern = { staging = \"(\" }");
        assert!(
            matches!(e, TemplateError::InvalidPattern { env, line: 2, .. } if env == "staging")
        );
        let e = err("[S]\nrotate_days = 0\n");
        let (secret, max) = ("S".into(), u64::from(u32::MAX));
        assert_eq!(
            e,
            TemplateError::OutOfRange {
                secret,
                field: "rotate_days",
                line: 2,
                min: 1,
                max
            }
        );
        let (secret, line) = ("S".into(), 2);
        assert_eq!(
            err("[S]\nformat = \"x\"\n"),
            TemplateError::UnknownFormat { secret, line }
        );
        assert!(matches!(
            err("[A]\n[A]\n"),
            TemplateError::Toml { line: Some(2), .. }
        ));
    }

    #[test]
    fn example_parses_and_covers_the_web_app() {
        let template = parse(Template::example());
        let names: Vec<_> = template.secrets().map(|s| s.name.as_str()).collect();
        let expected = "DATABASE_URL REDIS_URL STRIPE_SECRET_KEY STRIPE_WEBHOOK_SECRET \
                        SESSION_SECRET SMTP_HOST SMTP_PORT SMTP_USERNAME SMTP_PASSWORD";
        assert_eq!(names.join(" "), expected);
        assert!(template.secrets().all(|s| s.description.is_some()));
        let spec = |name| template.get(name).expect("declared");
        let facts = |name| {
            (
                spec(name).format,
                spec(name).rotate_days,
                spec(name).min_length,
            )
        };
        assert_eq!(facts("DATABASE_URL"), (Format::Url, Some(90), None));
        assert_eq!(
            facts("SESSION_SECRET"),
            (Format::String, Some(180), Some(32))
        );
        assert_eq!(facts("SMTP_PORT"), (Format::Port, None, None));
        assert_eq!(facts("SMTP_PASSWORD"), (Format::String, Some(90), None));
        let stripe = spec("STRIPE_SECRET_KEY").pattern.as_ref().expect("pattern");
        assert_eq!(stripe.for_env("prod").map(Regex::as_str), Some("^sk_live_"));
        assert_eq!(stripe.for_env("dev").map(Regex::as_str), Some("^sk_test_"));
        assert_eq!(template.required_in("dev").count(), 5);
        assert_eq!(template.required_in("prod").count(), 9);
    }

    /// Issue 14, item 11: a rule must not become an oracle. Two values that break a rule in
    /// different ways get the same message, and no message carries a length.
    #[test]
    fn violations_reveal_nothing_beyond_does_not_match() {
        let rules = [
            ("U", "format = \"url\""),
            ("E", "format = \"email\""),
            ("B", "format = \"base64\""),
            ("P", "format = \"pem\""),
            ("I", "format = \"int\""),
            ("S", "min_length = 9999"),
        ];
        let text: String = rules
            .iter()
            .map(|(name, rule)| format!("[{name}]\nrequired = []\n{rule}\n"))
            .collect();
        let template = parse(&text);
        let pairs = [
            ("U", "no-scheme-here", "https://a b"),
            ("U", "postgres://", "1x://host"),
            ("E", "no-at-sign", "a@b@c.example"),
            ("E", "@example.com", "a@localhost"),
            ("B", "aGVsbG8==", "+_8="),
            ("P", "MIIB", "-----BEGIN K-----\n-----END J-----"),
            ("I", "12x", "99999999999999999999"),
            ("S", "short", &"x".repeat(9998)),
        ];
        for (name, one, other) in pairs {
            let a = shown(&template, "prod", &[(name, one)]);
            let b = shown(&template, "prod", &[(name, other)]);
            assert_eq!(a.len(), 1, "{a:?}");
            assert_eq!(a, b, "{name}: the message depends on the value");
        }
        let text = shown(&template, "prod", &[("S", "short")]).join("");
        assert!(!text.contains('5') && !text.contains("long,"), "{text}");
    }

    /// Issue 14, item 11: patterns are bounded in length, in positions (counted repetitions
    /// multiplied out) and in compiled size, each refusal saying why and what to do instead,
    /// and refused before anything slow happens.
    #[test]
    fn oversized_patterns_are_refused_quickly_with_the_reason() {
        let start = std::time::Instant::now();
        let refused = |pattern: &str| match err(&format!("[S]\npattern = '{pattern}'\n")) {
            TemplateError::PatternRefused {
                reason, line: 2, ..
            } => reason,
            other => panic!("{pattern}: {other}"),
        };
        let reason = refused("a{100000}");
        assert!(reason.contains("100000 positions"), "{reason}");
        assert!(reason.contains("2048 allowed"), "{reason}");
        assert!(refused("(?:a{1000}){3}").contains("3000 positions"));
        assert!(refused("(?:(?:a{1000}){1000}){1000}").contains("positions"));
        assert!(refused(&"x".repeat(1025)).contains("1025 bytes long"));
        let reason = refused(r"^\w{100}$");
        assert!(reason.contains("compiles to more than 4 MiB"), "{reason}");
        assert!(reason.contains("(?-u:\\w)"), "{reason}");
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        let shown = err("[S]\npattern = 'a{100000}'\n").to_string();
        assert!(shown.starts_with("the pattern for `*` in `[S]` on line 2 is refused: "));

        // Realistic patterns, Unicode classes included, still compile.
        for ok in [
            r"^sk_live_[A-Za-z0-9]{24,99}$",
            r"^[\w-]{20,64}$",
            r"^[0-9a-f]{1024}$",
            r"^postgres://[^:]+:[^@]+@[\w.-]+(:\d+)?/\w+$",
            r"^(?-u:\w){2000}$",
            "a+b*c{3,}",
        ] {
            assert!(
                Template::parse(&format!("[S]\npattern = '{ok}'\n")).is_ok(),
                "{ok}"
            );
        }
    }

    fn every_format() -> Template {
        let formats = Format::ALL
            .iter()
            .map(|f| format!("[F_{f}]\nformat = \"{f}\"\n"));
        parse(&formats.collect::<String>())
    }

    #[test]
    fn no_output_contains_a_value() {
        const CANARY: &str = "sk_live_CANARY7Qx9";
        let template = every_format();
        let mut names: Vec<_> = template.secrets().map(|s| s.name.as_str()).collect();
        names.extend(["KEY", "UNDECLARED"]);
        let with_key = parse(&format!(
            "{}[KEY]\npattern = \"^x\"\nmin_length = 99\n",
            Template::example()
        ));
        let values = ["", "-----BEGIN ", "@x", "a "].map(|prefix| format!("{prefix}{CANARY}-----"));
        for value in &values {
            for template in [&template, &with_key] {
                let violations =
                    template.validate("prod", names.iter().map(|n| (*n, value.as_str())));
                assert!(violations.len() >= 3);
                for text in violations
                    .iter()
                    .flat_map(|v| [v.to_string(), format!("{v:?}")])
                {
                    assert!(!text.contains("CANARY"), "{text}");
                }
            }
        }
        let bad_templates = [
            "[S]\nvalue = \"$\"\n",
            "[S]\nrotate_days = \"$\"\n",
            "[S]\nformat = \"$\"\n",
            "[S]\nrequired = [{ v = \"$\" }]\n",
            "[S]\ndescription = \"$\nformat = 1\n",
            "[S]\ndescription = '$' x\n",
            "S = \"$\"\n",
        ];
        for text in bad_templates {
            let e = err(&text.replace('$', CANARY));
            for shown in [e.to_string(), format!("{e:?}")] {
                assert!(!shown.contains("CANARY"), "{shown}");
            }
        }
    }

    fn name() -> impl Strategy<Value = String> {
        let known = vec!["DATABASE_URL", "SMTP_PORT", "STRIPE_SECRET_KEY"];
        prop_oneof![
            proptest::sample::select(known).prop_map(String::from),
            any::<String>()
        ]
    }

    proptest! {
        #[test]
        fn validate_never_panics(
            env in prop_oneof![Just("prod".to_owned()), any::<String>()],
            values in proptest::collection::vec((name(), any::<String>()), 0..8),
            value in any::<String>(),
        ) {
            let example = parse(Template::example());
            let _ = example.validate(&env, values.iter().map(|(n, v)| (n.as_str(), v.as_str())));
            let formats = every_format();
            let all = formats.validate(&env, formats.secrets().map(|s| (s.name.as_str(), value.as_str())));
            prop_assert!(all.iter().all(|v| !v.to_string().is_empty()));
        }

        #[test]
        fn string_format_accepts_anything(value in any::<String>(), env in "[a-z0-9][a-z0-9_-]{0,8}") {
            let template = parse("[S]\nformat = \"string\"\nrequired = [\"prod\"]\n");
            prop_assert!(template.validate(&env, [("S", value.as_str())]).is_empty());
        }

        #[test]
        fn parse_never_panics(text in any::<String>()) {
            let _ = Template::parse(&text).map_err(|e| e.to_string());
        }
    }
}
