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

mod format;
mod parse;
mod validate;

pub use format::Format;
pub use parse::TemplateError;
pub use validate::{Violation, ViolationKind};

use std::collections::HashMap;

use regex::Regex;

/// The template's file name, relative to the repository root.
pub const TEMPLATE_FILE: &str = ".secrets.example.toml";

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

impl Template {
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

    /// A commented starter template for `vault init`, for a typical web app.
    #[must_use]
    pub fn example() -> &'static str {
        EXAMPLE
    }
}

/// The starter `vault init` writes: the template of the example web shop that the docs and
/// `vault demo` use, shipped at the repository's root so that there is one copy of it
/// (tests/integration/example.rs checks the docs and the demo against it).
const EXAMPLE: &str = include_str!("../../.secrets.example.toml");

#[cfg(test)]
mod tests;
