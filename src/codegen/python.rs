//! `--format pydantic`: a `pydantic_settings.BaseSettings` subclass whose validators call
//! check functions that mirror `schema`'s, step by step. The output is formatted as
//! `ruff format` formats it (every collection with a trailing comma, one item a line), so
//! that `ruff format --check` passes on it unchanged.

use std::fmt::Write as _;

use super::{
    CodegenError, Options, Secret, Target, format_message, quoted, regex::Dialect, secrets,
    whitespace_class,
};
use crate::schema::{Format, Required, Template};

/// The check functions and the module docstring; `@WHITESPACE@` and `@ENV_VAR@` are
/// filled in. Kept as a Python file so it can be read (and linted) as Python.
const RUNTIME: &str = include_str!("runtime/checks.py");

/// Attributes of `BaseSettings` a field must not shadow.
const RESERVED: [&str; 16] = [
    "construct",
    "copy",
    "dict",
    "fields",
    "from_orm",
    "json",
    "parse_file",
    "parse_obj",
    "parse_raw",
    "schema",
    "schema_json",
    "settings_customise_sources",
    "update_forward_refs",
    "validate",
    "vault_environment",
    "model_config",
];

const KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Python attribute names for the secrets, in template order: the name in lowercase,
/// prefixed with `secret_` (and numbered) when that would be private, reserved, a keyword
/// or taken.
fn field_names(secrets: &[Secret<'_>]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    for secret in secrets {
        let lower = secret.name.to_ascii_lowercase();
        let clashes = |name: &str, taken: &[String]| {
            name.starts_with('_')
                || name.starts_with("model_")
                || RESERVED.contains(&name)
                || KEYWORDS.contains(&name)
                || taken.iter().any(|t| t == name)
        };
        let mut name = lower.clone();
        if clashes(&name, &taken) {
            name = format!("secret_{}", lower.trim_start_matches('_'));
            let base = name.clone();
            let mut n = 2;
            while clashes(&name, &taken) {
                name = format!("{base}_{n}");
                n += 1;
            }
        }
        taken.push(name);
    }
    taken
}

pub(super) fn write(
    template: &Template,
    options: &Options,
    out: &mut String,
) -> Result<(), CodegenError> {
    let secrets = secrets(template, Dialect::Python, Target::Pydantic)?;
    let fields = field_names(&secrets);
    let env_field = secrets
        .iter()
        .zip(&fields)
        .find(|(s, _)| s.name == options.env_var)
        .map(|(_, f)| f.clone());
    out.push_str(
        &RUNTIME
            .replace("@WHITESPACE@", &whitespace_class(Dialect::Python))
            .replace("@ENV_VAR@", &options.env_var),
    );
    let _ = write!(
        out,
        "\n\n# The variable the environment's name is read from.\nENV_VAR = {}\n",
        quoted(&options.env_var)
    );

    out.push_str("\n# The secrets and their attribute names in `Settings`.\n_FIELDS = {\n");
    for (secret, field) in secrets.iter().zip(&fields) {
        let _ = writeln!(out, "    {}: {},", quoted(secret.name), quoted(field));
    }
    close_dict(out);

    out.push_str("\n# Each secret's format check and the message when it fails.\n_FORMATS = {\n");
    for secret in secrets.iter().filter(|s| s.format != Format::String) {
        let _ = writeln!(
            out,
            "    {}: (\n        check_{},\n        {},\n    ),",
            quoted(secret.name),
            secret.format.name(),
            quoted(&format_message(secret.name, secret.format))
        );
    }
    close_dict(out);

    out.push_str("\n# Minimum lengths, in characters (Unicode scalar values).\n_MIN_LENGTH = {\n");
    for secret in &secrets {
        if let Some(min) = secret.min_length {
            let _ = writeln!(out, "    {}: {min},", quoted(secret.name));
        }
    }
    close_dict(out);

    out.push_str(
        "\n# Where each secret is required: None for every environment, else the names.\n\
         _REQUIRED: dict[str, tuple[str, ...] | None] = {\n",
    );
    for secret in &secrets {
        let envs = match secret.required {
            Required::AllEnvironments => "None".to_owned(),
            Required::None => "()".to_owned(),
            Required::Only(envs) if envs.len() == 1 => format!("({},)", quoted(&envs[0])),
            // A trailing comma keeps ruff from joining the lines, however long they are.
            Required::Only(envs) => {
                let items: String = envs
                    .iter()
                    .map(|e| format!("        {},\n", quoted(e)))
                    .collect();
                format!("(\n{items}    )")
            }
        };
        let _ = writeln!(out, "    {}: {envs},", quoted(secret.name));
    }
    close_dict(out);

    out.push_str(
        "\n# Each secret's patterns by environment (\"*\": the others): source, compiled.\n\
         _PATTERNS: dict[str, dict[str, tuple[str, re.Pattern[str]]]] = {\n",
    );
    for secret in &secrets {
        let all = secret
            .patterns
            .iter()
            .map(|(env, source, translated)| (env.as_str(), source, translated))
            .chain(
                secret
                    .default_pattern
                    .iter()
                    .map(|(source, translated)| ("*", source, translated)),
            );
        let mut body = String::new();
        for (env, source, translated) in all {
            let _ = write!(
                body,
                "        {}: (\n            {},\n            re.compile(\n                r\"{translated}\",\n            ),\n        ),\n",
                quoted(env),
                quoted(source)
            );
        }
        if !body.is_empty() {
            let _ = write!(out, "    {}: {{\n{body}    }},\n", quoted(secret.name));
        }
    }
    close_dict(out);

    write_class(&secrets, &fields, options, env_field.as_deref(), out);
    Ok(())
}

/// Ends a dict literal opened with `{\n`; an empty one becomes `{}` as ruff writes it.
fn close_dict(out: &mut String) {
    if out.ends_with("{\n") {
        out.pop();
        out.push_str("}\n");
    } else {
        out.push_str("}\n");
    }
}

fn write_class(
    secrets: &[Secret<'_>],
    fields: &[String],
    options: &Options,
    env_field: Option<&str>,
    out: &mut String,
) {
    out.push_str(
        "\n\nclass Settings(BaseSettings):\n    \"\"\"The secrets of .secrets.example.toml, checked as vault checks them.\"\"\"\n\n    \
         model_config = SettingsConfigDict(\n        case_sensitive=True,\n        extra=\"ignore\",\n        \
         hide_input_in_errors=True,\n    )\n",
    );
    for (secret, field) in secrets.iter().zip(fields) {
        let _ = write!(
            out,
            "\n    {field}: str | None = Field(\n        default=None,\n        validation_alias={},\n",
            quoted(secret.name)
        );
        if let Some(description) = secret.description {
            let _ = writeln!(out, "        description={},", quoted(description));
        }
        out.push_str("    )\n");
    }
    if env_field.is_none() {
        let _ = write!(
            out,
            "\n    vault_environment: str | None = Field(\n        default=None,\n        \
             validation_alias={},\n        description=\"The environment's name: decides which secrets are required.\",\n    )\n",
            quoted(&options.env_var)
        );
    }
    let env_field = env_field.unwrap_or("vault_environment");
    let _ = write!(
        out,
        "
    @field_validator(\"*\")
    @classmethod
    def _check_value(cls, value: str | None, info: ValidationInfo) -> str | None:
        names = {{field: name for name, field in _FIELDS.items()}}
        name = names.get(info.field_name or \"\")
        if name is not None and value is not None:
            problems = value_problems(name, value)
            if problems:
                raise ValueError(\"; \".join(problems))
        return value

    @model_validator(mode=\"after\")
    def _check_environment(self) -> \"Settings\":
        values = {{name: getattr(self, field) for name, field in _FIELDS.items()}}
        problems = environment_problems(values, self.{env_field})
        if problems:
            raise ValueError(\"; \".join(problems))
        return self
"
    );
}
