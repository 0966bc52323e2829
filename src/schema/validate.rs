//! Validating one environment's values against the template. Nothing here copies a value:
//! violations carry names, environments, patterns and fixed reasons only.

use std::collections::HashMap;
use std::fmt;

use super::{Format, SecretSpec, TEMPLATE_FILE, Template};

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
}
