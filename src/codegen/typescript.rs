//! `--format zod`: a TypeScript module exporting a zod schema and `parseEnv`, and (shared
//! with `--format joi`) the JavaScript check functions that mirror `schema`'s.

use std::fmt::Write as _;

use super::{
    CodegenError, Options, Secret, Target, format_message, quoted, regex::Dialect, secrets,
    whitespace_class,
};
use crate::schema::{Format, Required, Template};

/// The check functions in TypeScript, with each type annotation between `@{` and `}@`
/// so the same text serves plain JavaScript with the annotations removed.
const RUNTIME: &str = include_str!("runtime/checks.ts");

/// The JavaScript check functions; typed when `typescript`.
pub(super) fn runtime(typescript: bool) -> String {
    let mut out = String::with_capacity(RUNTIME.len());
    let mut rest = RUNTIME;
    while let Some(start) = rest.find("@{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}@").expect("every `@{` in checks.ts is closed");
        if typescript {
            out.push_str(&after[..end]);
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out.replace("@WHITESPACE@", &whitespace_class(Dialect::JavaScript))
}

/// The function in `checks.ts` for a format.
fn check_function(format: Format) -> &'static str {
    match format {
        Format::Url => "checkUrl",
        Format::Int => "checkInt",
        Format::Bool => "checkBool",
        Format::Port => "checkPort",
        Format::Email => "checkEmail",
        Format::Pem => "checkPem",
        Format::Json => "checkJson",
        Format::Base64 => "checkBase64",
        Format::String => "checkString",
    }
}

/// The tables the check functions read: names, formats, lengths, where each secret is
/// required, and its patterns by environment.
pub(super) fn tables(secrets: &[Secret<'_>], options: &Options, typescript: bool) -> String {
    let t = |annotation: &str| {
        if typescript {
            annotation.to_owned()
        } else {
            String::new()
        }
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "/** The variable the environment's name is read from. */\nconst ENV_VAR = {};\n\n",
        quoted(&options.env_var)
    );
    let _ = writeln!(out, "/** The secrets of the template, in its order. */");
    let _ = writeln!(out, "const NAMES{} = [", t(": readonly string[]"));
    for secret in secrets {
        let _ = writeln!(out, "  {},", quoted(secret.name));
    }
    out.push_str("];\n\n");

    let _ = writeln!(
        out,
        "/** Each secret's format check and the message when it fails. */"
    );
    let _ = writeln!(
        out,
        "const FORMATS = new Map{}([",
        t("<string, [(value: string) => boolean, string]>")
    );
    for secret in secrets.iter().filter(|s| s.format != Format::String) {
        let _ = writeln!(
            out,
            "  [{}, [{}, {}]],",
            quoted(secret.name),
            check_function(secret.format),
            quoted(&format_message(secret.name, secret.format))
        );
    }
    out.push_str("]);\n\n");

    let _ = writeln!(
        out,
        "/** Minimum lengths, in characters (Unicode scalar values). */"
    );
    let _ = writeln!(out, "const MIN_LENGTH = new Map{}([", t("<string, number>"));
    for secret in secrets {
        if let Some(min) = secret.min_length {
            let _ = writeln!(out, "  [{}, {min}],", quoted(secret.name));
        }
    }
    out.push_str("]);\n\n");

    let _ = writeln!(
        out,
        "/** Where each secret is required: null for every environment, else the names. */"
    );
    let _ = writeln!(
        out,
        "const REQUIRED = new Map{}([",
        t("<string, readonly string[] | null>")
    );
    for secret in secrets {
        let envs = match secret.required {
            Required::AllEnvironments => "null".to_owned(),
            Required::None => "[]".to_owned(),
            Required::Only(envs) => {
                let items: Vec<String> = envs.iter().map(|e| quoted(e)).collect();
                format!("[{}]", items.join(", "))
            }
        };
        let _ = writeln!(out, "  [{}, {envs}],", quoted(secret.name));
    }
    out.push_str("]);\n\n");

    let _ = writeln!(
        out,
        "/** Each secret's patterns by environment (\"*\": the others): source, regex. */"
    );
    let _ = writeln!(
        out,
        "const PATTERNS = new Map{}([",
        t("<string, Map<string, [string, RegExp]>>")
    );
    for secret in secrets {
        let all: Vec<(&str, &String, &String)> = secret
            .patterns
            .iter()
            .map(|(env, source, translated)| (env.as_str(), source, translated))
            .chain(
                secret
                    .default_pattern
                    .iter()
                    .map(|(source, translated)| ("*", source, translated)),
            )
            .collect();
        if all.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "  [\n    {},\n    new Map{}([",
            quoted(secret.name),
            t("<string, [string, RegExp]>")
        );
        for (env, source, translated) in all {
            let _ = writeln!(
                out,
                "      [{}, [{}, /{translated}/u]],",
                quoted(env),
                quoted(source)
            );
        }
        out.push_str("    ]),\n  ],\n");
    }
    out.push_str("]);\n");
    out
}

pub(super) fn write(
    template: &Template,
    options: &Options,
    out: &mut String,
) -> Result<(), CodegenError> {
    let secrets = secrets(template, Dialect::JavaScript, Target::Zod)?;
    let _ = write!(
        out,
        "//\n// Every check mirrors vault's own (`vault check`, `vault exec`) step by step, so a value\n\
         // is accepted here exactly when vault accepts it. The environment's name is read from\n\
         // {env}: a secret with `required = [\"prod\"]` is required only when {env} is `prod`;\n\
         // without {env}, only the secrets required in every environment are required, and the\n\
         // `\"*\"` patterns apply. Variables the template does not declare are ignored.\n\n\
         import {{ z }} from \"zod\";\n\n",
        env = options.env_var
    );
    out.push_str(&tables(&secrets, options, true));
    out.push('\n');
    out.push_str(&runtime(true));
    out.push_str(
        "\n/** The secrets of .secrets.example.toml, checked as vault checks them. */\n\
         export const schema = z\n  .object({\n",
    );
    for secret in &secrets {
        let _ = write!(out, "    {}: z.string().optional()", quoted(secret.name));
        if let Some(description) = secret.description {
            let _ = write!(out, ".describe({})", quoted(description));
        }
        out.push_str(",\n");
    }
    if !secrets.iter().any(|s| s.name == options.env_var) {
        let _ = writeln!(
            out,
            "    {}: z.string().optional(),",
            quoted(&options.env_var)
        );
    }
    out.push_str(
        r#"  })
  .superRefine((values, ctx) => {
    const record = ownValues(values);
    for (const name of NAMES) {
      const value = record[name];
      if (value === undefined) continue;
      for (const message of valueProblems(name, value)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [name], message });
      }
    }
    for (const message of environmentProblems(record, record[ENV_VAR])) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message });
    }
  });

/** The checked secrets. */
export type Env = z.infer<typeof schema>;

/**
 * The template's variables in `source`, own properties only, in an object without a
 * prototype: a secret called `constructor` must not find `Object.prototype.constructor`.
 */
function ownValues(source: object): Record<string, string | undefined> {
  const picked: Record<string, string | undefined> = Object.create(null);
  const record = source as Record<string, unknown>;
  for (const name of [...NAMES, ENV_VAR]) {
    const value = Object.prototype.hasOwnProperty.call(source, name) ? record[name] : undefined;
    if (typeof value === "string") picked[name] = value;
  }
  return picked;
}

/**
 * Checks `source` (default: `process.env`); throws a `ZodError` listing every problem.
 * Use this rather than `schema.parse`, which would also see inherited properties.
 */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  return schema.parse(ownValues(source));
}

export {
  ENV_VAR,
  checkBase64,
  checkBool,
  checkEmail,
  checkInt,
  checkJson,
  checkPem,
  checkPort,
  checkString,
  checkUrl,
  environmentProblems,
  valueProblems,
};
"#,
    );
    Ok(())
}
