//! `vault template import`: a template from a dotenv template (`.env.example`,
//! `.env.sample`, `.env.template`), the other way round from `export`.
//!
//! Every name becomes a `[NAME]` table, the comment lines right above it its description,
//! and its example value decides `format` only when exactly one format fits (url, email,
//! bool words, port for a name ending in `PORT`, int). The example value is kept in a
//! comment above the table unless the secret scanner thinks it looks like a real secret;
//! the plan says which were dropped, and never shows a value. Names the template already
//! declares are left alone. Pure: the caller reads and writes the files.

use std::fmt::Write as _;

use serde::Serialize;

use crate::scan::Scanner;
use crate::schema::{Format, TEMPLATE_FILE, Template, TemplateError};

/// Why a dotenv template cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file does not parse as dotenv.
    #[error("{file} is not a valid dotenv file")]
    Dotenv {
        /// The file's name as given.
        file: String,
        /// Where and why.
        #[source]
        source: crate::dotenv::DotenvError,
    },
    /// The file is named like a real environment file (`.env`, `.env.local`), whose values
    /// are secrets that must not go into a committed template.
    #[error("{file} looks like a real environment file, not a template of one")]
    NotATemplate {
        /// The file's name as given.
        file: String,
    },
    /// The existing template does not parse, so it cannot be extended.
    #[error("the existing {TEMPLATE_FILE} cannot be extended")]
    Template(#[source] TemplateError),
}

/// What happens to one name of the dotenv template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedSecret {
    /// The variable name.
    pub name: String,
    /// The line it is assigned on in the dotenv file.
    pub line: usize,
    /// `added`, or `kept` when the template already declares it (left alone).
    pub action: &'static str,
    /// The comment above it, as the description.
    pub description: Option<String>,
    /// The format guessed from the example value, when exactly one fits.
    #[serde(serialize_with = "format_name")]
    pub format: Option<Format>,
    /// `kept` (written as a comment), `dropped` (the scanner flagged it), or `none`.
    pub example: &'static str,
    /// The scanner rules that flagged the example value, when dropped.
    pub rules: Vec<&'static str>,
}

/// The import, as data: what each name becomes and the template's new text.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    /// One entry per name, in the dotenv file's order.
    pub secrets: Vec<PlannedSecret>,
    /// Whether there was no template before.
    pub creates: bool,
    /// The template after the import (unchanged when nothing is added).
    pub text: String,
}

impl ImportPlan {
    /// How many names are added to the template.
    #[must_use]
    pub fn added(&self) -> usize {
        self.secrets.iter().filter(|s| s.action == "added").count()
    }
}

/// Plans importing the dotenv template `dotenv` (named `file`) into the template whose
/// text is `existing` (`None`: there is none yet).
///
/// # Errors
/// A file named like a real `.env`, a dotenv syntax error, or an existing template that
/// does not parse.
pub fn plan(
    existing: Option<&str>,
    file: &str,
    dotenv: &str,
    scanner: &Scanner,
) -> Result<ImportPlan, ImportError> {
    let base = file.rsplit('/').next().unwrap_or(file);
    if crate::scan::path::is_dotenv_file(&crate::scan::path::PathFacts::new(base)) {
        return Err(ImportError::NotATemplate {
            file: file.to_owned(),
        });
    }
    let current = match existing {
        Some(text) => Template::parse(text).map_err(ImportError::Template)?,
        None => Template::default(),
    };
    let entries = crate::dotenv::parse(dotenv).map_err(|source| ImportError::Dotenv {
        file: file.to_owned(),
        source,
    })?;
    let lines: Vec<&str> = dotenv.lines().collect();
    let mut secrets = Vec::new();
    let mut blocks = String::new();
    for entry in &entries {
        if current.get(&entry.name).is_some() {
            secrets.push(PlannedSecret {
                name: entry.name.clone(),
                line: entry.line,
                action: "kept",
                description: None,
                format: None,
                example: "none",
                rules: Vec::new(),
            });
            continue;
        }
        let description = comment_above(&lines, entry.line);
        let value: &str = &entry.value;
        let format = guess_format(&entry.name, value);
        let mut rules: Vec<&'static str> = if value.is_empty() {
            Vec::new()
        } else {
            // Scanned as a real `.env` line would be, where every content rule applies.
            let line = crate::dotenv::render_dotenv(&[(entry.name.as_str(), value)]);
            scanner
                .scan(".env", line.as_bytes())
                .into_iter()
                .filter(|f| f.line > 0)
                .map(|f| f.rule)
                .collect()
        };
        rules.dedup();
        let showable = !value.is_empty()
            && value.chars().count() <= 200
            && !value.chars().any(char::is_control);
        let example = if value.is_empty() {
            "none"
        } else if !rules.is_empty() {
            "dropped"
        } else if showable {
            "kept"
        } else {
            "none"
        };
        blocks.push('\n');
        if example == "kept" {
            let _ = writeln!(blocks, "# example: {value}");
        }
        let _ = writeln!(blocks, "[{}]", entry.name);
        if let Some(description) = &description {
            let _ = writeln!(blocks, "description = {}", toml_string(description));
        }
        if let Some(format) = format {
            let _ = writeln!(blocks, "format = \"{format}\"");
        }
        secrets.push(PlannedSecret {
            name: entry.name.clone(),
            line: entry.line,
            action: "added",
            description,
            format,
            example,
            rules,
        });
    }
    let text = match existing {
        Some(text) if blocks.is_empty() => text.to_owned(),
        Some(text) => {
            let mut text = text.to_owned();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            let _ = write!(
                text,
                "\n# Imported from {file} by `vault template import`.\n"
            );
            text.push_str(blocks.trim_start_matches('\n'));
            text
        }
        None => format!(
            "# The secrets this application needs, without values (imported from {file}).\n\
             # Values live encrypted in secrets/<env>.age. Each secret is required in every\n\
             # environment unless `required` lists some; see docs/file-format.md.\n{blocks}"
        ),
    };
    // What was written must read back as a template declaring every name.
    let parsed = Template::parse(&text).map_err(ImportError::Template)?;
    debug_assert!(entries.iter().all(|e| parsed.get(&e.name).is_some()));
    Ok(ImportPlan {
        creates: existing.is_none(),
        secrets,
        text,
    })
}

/// The comment lines right above `line` (1-based), without `#`, joined by spaces.
fn comment_above(lines: &[&str], line: usize) -> Option<String> {
    let mut comment: Vec<&str> = lines[..line.saturating_sub(1).min(lines.len())]
        .iter()
        .rev()
        .map(|l| l.trim())
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim())
        .collect();
    comment.reverse();
    let text = comment
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!text.is_empty()).then_some(text)
}

/// The one format an example value has, if exactly one fits: `1` could be an int or a
/// bool, `a://b@c.d` a URL or an email address, so those get none.
fn guess_format(name: &str, value: &str) -> Option<Format> {
    if value.is_empty() {
        return None;
    }
    let words = ["true", "false", "yes", "no"];
    let numeric =
        if name.to_ascii_uppercase().ends_with("PORT") && Format::Port.check(value).is_ok() {
            Some(Format::Port)
        } else if Format::Int.check(value).is_ok() && !matches!(value, "0" | "1") {
            Some(Format::Int)
        } else {
            None
        };
    let fits: Vec<Format> = [
        (Format::Url.check(value).is_ok()).then_some(Format::Url),
        (Format::Email.check(value).is_ok()).then_some(Format::Email),
        words
            .iter()
            .any(|w| w.eq_ignore_ascii_case(value))
            .then_some(Format::Bool),
        numeric,
    ]
    .into_iter()
    .flatten()
    .collect();
    match fits.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

fn format_name<S: serde::Serializer>(format: &Option<Format>, s: S) -> Result<S::Ok, S::Error> {
    format.map(Format::name).serialize(s)
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_guessed_only_when_unambiguous() {
        let cases = [
            (
                "DATABASE_URL",
                "postgres://localhost/app",
                Some(Format::Url),
            ),
            ("ADMIN", "ops@example.com", Some(Format::Email)),
            ("DEBUG", "false", Some(Format::Bool)),
            ("SMTP_PORT", "587", Some(Format::Port)),
            ("WORKERS", "4", Some(Format::Int)),
            ("PORT", "0", None),
            ("FLAG", "1", None),
            ("X", "a://b@c.d", None),
            ("X", "changeme", None),
            ("X", "", None),
        ];
        for (name, value, expected) in cases {
            assert_eq!(guess_format(name, value), expected, "{name}={value}");
        }
    }
}
