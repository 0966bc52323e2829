//! `vault exec <env> -- CMD …`: decrypt, check that the environment may run, and become
//! CMD (or, with `--mask`, run it as a child and mask its output). The rules are
//! `crate::exec`'s; files are `crate::secret_file`'s; supervision is `crate::supervise`'s.

use crate::cli::args::ExecArgs;
use crate::cli::error::Error;
use crate::cli::{Context, Outcome};
use crate::exec::{self, ExecError};
use crate::secret_file::SecretFile;

/// Runs `vault exec`. Without `--mask`, returns only on failure: on success the process
/// is the child. With it, returns the child's status.
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
    let now = jiff::Timestamp::now();
    let delivery = exec::runtime_variables(
        template.as_ref(),
        &args.env,
        &payload,
        &args.only,
        &args.file,
        now,
    )?;
    let files = delivery
        .files
        .iter()
        .map(|(variable, value)| SecretFile::new(variable, value))
        .collect::<Result<Vec<_>, _>>()?;
    if args.mask {
        // Every value of the environment, not only those passed: the child may find
        // others (a config file, a second `vault` call) and print them.
        let patterns = crate::mask::Patterns::new(
            payload
                .variables(now)
                .iter()
                .map(|(_, value)| value.expose()),
        );
        let cmd = exec::child_command(&args.command, &delivery.variables, &files)?;
        let code = crate::supervise::run(cmd, &args.command[0], patterns, context.core_dumps())?;
        return Ok(Outcome::Child(code));
    }
    Err(exec::replace_process(
        &args.command,
        &delivery.variables,
        &files,
        context.core_dumps(),
    )
    .into())
}
