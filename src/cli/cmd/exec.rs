//! `vault exec <env> -- CMD …`: decrypt, validate against the template, and become CMD.

use std::collections::BTreeSet;

use crate::cli::args::ExecArgs;
use crate::cli::{Context, Outcome};
use crate::error::Error;
use crate::exec::{self, ExecError};
use crate::harden;
use crate::schema::{TEMPLATE_FILE, Template};
use crate::store::Vault;

/// Runs `vault exec`. Returns only on failure: on success the process is the child.
pub fn run(context: &Context, args: &ExecArgs) -> Result<Outcome, Error> {
    if args.command.is_empty() {
        return Err(ExecError::NoCommand.into());
    }
    let guard = harden::disable_core_dumps();
    let vault = context.vault()?;
    vault.require_env(&args.env)?;
    let template = load_template(&vault)?;
    let identities = context.identities()?;
    let payload = vault.decrypt(&args.env, &identities)?;
    drop(identities);

    if let Some(template) = &template {
        let values = payload
            .secrets
            .iter()
            .map(|(n, e)| (n.as_str(), e.value.expose()));
        let problems: Vec<String> = template
            .validate(&args.env, values)
            .into_iter()
            .filter(|v| !v.is_warning())
            .map(|v| v.to_string())
            .collect();
        if !problems.is_empty() {
            return Err(Error::TemplateViolations {
                env: args.env.clone(),
                problems,
            });
        }
    }

    let mut variables = payload.variables(jiff::Timestamp::now());
    if !args.only.is_empty() {
        let wanted: BTreeSet<&str> = args.only.iter().map(String::as_str).collect();
        let missing: Vec<String> = wanted
            .iter()
            .filter(|name| !payload.secrets.contains_key(**name))
            .map(|name| (*name).to_owned())
            .collect();
        if !missing.is_empty() {
            return Err(Error::OnlyUnknown {
                env: args.env.clone(),
                names: missing,
            });
        }
        variables.retain(|(name, _)| {
            wanted.contains(name.as_str())
                || name
                    .strip_suffix("_PREVIOUS")
                    .is_some_and(|base| wanted.contains(base))
        });
    }
    Err(exec::replace_process(&args.command, &variables, &guard).into())
}

/// Loads `.secrets.example.toml` from the vault root, if there is one.
///
/// # Errors
/// An unreadable or invalid template.
pub fn load_template(vault: &Vault) -> Result<Option<Template>, Error> {
    let path = vault.root().join(TEMPLATE_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Template::parse(&text)
            .map(Some)
            .map_err(|source| Error::Template { path, source }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            action: "read",
            path,
            source,
        }),
    }
}
