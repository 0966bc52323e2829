//! `--format joi`: a CommonJS module exporting a joi schema and `validateEnv`, with the
//! same check functions as `--format zod` (without types).

use std::fmt::Write as _;

use super::{CodegenError, Options, Target, quoted, regex::Dialect, secrets, typescript};
use crate::schema::Template;

pub(super) fn write(
    template: &Template,
    options: &Options,
    out: &mut String,
) -> Result<(), CodegenError> {
    let secrets = secrets(template, Dialect::JavaScript, Target::Joi)?;
    let _ = write!(
        out,
        "//\n// A CommonJS module. Every check mirrors vault's own (`vault check`, `vault exec`) step by\n\
         // step, so a value is accepted here exactly when vault accepts it. The environment's name\n\
         // is read from {env}: a secret with `required = [\"prod\"]` is required only when {env} is\n\
         // `prod`; without {env}, only the secrets required in every environment are required,\n\
         // and the `\"*\"` patterns apply. Variables the template does not declare are ignored.\n\n\
         \"use strict\";\n\nconst Joi = require(\"joi\");\n\n",
        env = options.env_var
    );
    out.push_str(&typescript::tables(&secrets, options, false));
    out.push('\n');
    out.push_str(&typescript::runtime(false));
    out.push_str(
        "
/** A joi `.custom()` check of one secret's value: format, then length. */
function valueCheck(name) {
  return (value) => {
    if (typeof value !== \"string\") throw new Error(`\\`${name}\\` must be a string`);
    const problems = valueProblems(name, value);
    if (problems.length > 0) throw new Error(problems.join(\"; \"));
    return value;
  };
}

/** The secrets of .secrets.example.toml, checked as vault checks them. */
const schema = Joi.object({
",
    );
    // `Joi.any()`, not `Joi.string()`: a string rule refuses the empty string, and
    // `.allow(\"\")` would skip the custom checks for it, while vault checks it like any value.
    for secret in &secrets {
        let _ = write!(
            out,
            "  {}: Joi.any().custom(valueCheck({}))",
            quoted(secret.name),
            quoted(secret.name)
        );
        // joi refuses an empty description.
        if let Some(description) = secret.description.filter(|d| !d.is_empty()) {
            let _ = write!(out, ".description({})", quoted(description));
        }
        out.push_str(",\n");
    }
    if !secrets.iter().any(|s| s.name == options.env_var) {
        let _ = writeln!(
            out,
            "  {}: Joi.string().allow(\"\"),",
            quoted(&options.env_var)
        );
    }
    out.push_str(
        "})
  .unknown(true)
  .custom((values) => {
    const problems = environmentProblems(values, ownValues(values)[ENV_VAR]);
    if (problems.length > 0) throw new Error(problems.join(\"; \"));
    return values;
  });

/**
 * The template's variables in `source`, own properties only, in an object without a
 * prototype: a secret called `constructor` must not find `Object.prototype.constructor`.
 */
function ownValues(source) {
  const picked = Object.create(null);
  for (const name of [...NAMES, ENV_VAR]) {
    if (Object.prototype.hasOwnProperty.call(source, name)) picked[name] = source[name];
  }
  return picked;
}

/**
 * Checks `source` (default: `process.env`); throws an `Error` named `ValidationError`
 * listing every problem (`message`, and `details` with each message and path, never a
 * value). Use this rather than `schema.validate`, which would also see inherited
 * properties and keep the values in its errors.
 */
function validateEnv(source = process.env) {
  const { error, value } = schema.validate(ownValues(source), { abortEarly: false });
  if (error) {
    // joi's error keeps the input (`_original`, `details[].context.value`): the secrets.
    // Thrown instead: the messages and paths only, so logging the error leaks nothing.
    const safe = new Error(error.message);
    safe.name = \"ValidationError\";
    safe.details = error.details.map((d) => ({ message: d.message, path: d.path }));
    throw safe;
  }
  return value;
}

module.exports = {
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
  schema,
  validateEnv,
  valueProblems,
};
",
    );
    Ok(())
}
