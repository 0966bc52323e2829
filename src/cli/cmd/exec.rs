//! `vault exec <env> -- CMD …`: decrypt, check that the environment may run, and become
//! CMD. The rules are `crate::exec`'s.

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
    let variables = exec::runtime_variables(
        template.as_ref(),
        &args.env,
        &payload,
        &args.only,
        jiff::Timestamp::now(),
    )?;
    Err(exec::replace_process(&args.command, &variables, context.core_dumps()).into())
}
