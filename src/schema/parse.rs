//! Parsing `.secrets.example.toml`: a position-tracking walk over the TOML document, so every
//! error names its line, and no error echoes a value from the file other than names,
//! environments and regex patterns.

use std::ops::Range;

use regex::Regex;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Format, PatternRule, Required, SecretSpec, TEMPLATE_FILE, Template};
use crate::names::{is_env_name, is_secret_name};
use crate::payload::line_of;

/// The fields a secret's table may hold; anything else is an error so typos cannot
/// silently switch a check off.
const FIELDS: &str =
    "description, required, format, pattern, rotate_days, min_length, allow_loader";

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
