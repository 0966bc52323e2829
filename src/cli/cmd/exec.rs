//! `vault exec <env> -- CMD …`: decrypt, validate against the template, and become CMD.

use std::collections::BTreeSet;

use crate::cli::args::ExecArgs;
use crate::cli::{Context, Outcome};
use crate::error::Error;
use crate::exec::{self, ExecError};

/// Runs `vault exec`. Returns only on failure: on success the process is the child.
pub fn run(context: &Context, args: &ExecArgs) -> Result<Outcome, Error> {
    if args.command.is_empty() {
        return Err(ExecError::NoCommand.into());
    }
    let vault = context.vault()?;
    vault.require_env(&args.env)?;
    let template = vault.template()?;
    let identities = context.identities()?;
    let payload = vault.decrypt(&args.env, &identities)?;
    drop(identities);
    ready_for_runtime(template.as_ref(), &args.env, &payload)?;

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
    let blocked = exec::blocked_loader_variables(
        template.as_ref(),
        variables.iter().map(|(n, _)| n.as_str()),
    );
    if !blocked.is_empty() {
        return Err(Error::LoaderVariables {
            env: args.env.clone(),
            names: blocked,
        });
    }
    Err(exec::replace_process(&args.command, &variables, context.core_dumps()).into())
}

/// Refuses an environment that sets variables changing how programs load code, unless
/// the template allows them: for every way values become a process environment (`push`,
/// `export` to env formats), as for `exec`.
pub(crate) fn refuse_loader_variables(
    template: Option<&crate::schema::Template>,
    env: &str,
    payload: &crate::payload::Payload,
) -> Result<(), Error> {
    let blocked = exec::blocked_loader_variables(
        template,
        payload
            .variables(jiff::Timestamp::now())
            .iter()
            .map(|(n, _)| n.as_str()),
    );
    if blocked.is_empty() {
        Ok(())
    } else {
        Err(Error::LoaderVariables {
            env: env.to_owned(),
            names: blocked,
        })
    }
}

/// What must hold before an environment's secrets reach a running program (`exec`, or a
/// store it reads from via `push`): no unresolved merge conflicts, and the template's rules
/// met, for the whole environment even under `exec --only`: a deploy gate that a one-off
/// job could pass while the environment is broken would not be a gate.
pub(crate) fn ready_for_runtime(
    template: Option<&crate::schema::Template>,
    env: &str,
    payload: &crate::payload::Payload,
) -> Result<(), Error> {
    if !payload.conflicts.is_empty() {
        return Err(Error::UnresolvedConflicts {
            env: env.to_owned(),
            names: payload.conflicts.keys().cloned().collect(),
        });
    }
    let Some(template) = template else {
        return Ok(());
    };
    let values = payload
        .secrets
        .iter()
        .map(|(n, e)| (n.as_str(), e.value.expose()));
    let problems: Vec<String> = template
        .validate(env, values)
        .into_iter()
        .filter(|v| !v.is_warning())
        .map(|v| v.to_string())
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::TemplateViolations {
            env: env.to_owned(),
            problems,
        })
    }
}
