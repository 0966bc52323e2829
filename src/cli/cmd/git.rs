//! git integration commands: `hooks install|uninstall`, `hook pre-commit`, `textconv` and
//! `merge-driver`. All git access goes through `crate::git`.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use crate::cli::args::{HookCommand, HooksCommand, MergeDriverArgs, TextconvArgs};
use crate::cli::error::Error;
use crate::cli::{Context, Outcome, prompt, render, stdout_error};
use crate::crypto;
use crate::error::Error as VaultError;
use crate::hooks::{self, Uninstalled};
use crate::identity::{Identities, IdentityError, NoPrompt, PassphrasePrompt};
use crate::store::{self, StoreError, Vault, atomic};
use crate::{git, names};

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl Fn(std::io::Error) -> VaultError + 'a {
    move |source| VaultError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// `vault hooks install|uninstall`.
pub fn hooks(
    context: &Context,
    command: &HooksCommand,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    match command {
        HooksCommand::Install => {
            let hook = crate::cli::install_hooks(context.cwd())?;
            writeln!(out, "installed the pre-commit hook at {}", hook.display())
                .map_err(stdout_error)?;
            writeln!(
                out,
                "configured git's `vault` diff and merge drivers for secrets/*.age"
            )
            .map_err(stdout_error)?;
        }
        HooksCommand::Uninstall => match hooks::uninstall(context.cwd())? {
            Uninstalled::NotOurs(hook) => render::note(&format!(
                "{} is not vault's hook; nothing to remove",
                hook.display()
            )),
            Uninstalled::Restored => {
                writeln!(out, "restored your previous pre-commit hook").map_err(stdout_error)?;
            }
            Uninstalled::Removed => {
                writeln!(out, "removed the pre-commit hook").map_err(stdout_error)?;
            }
        },
    }
    Ok(Outcome::Success)
}

/// `vault hook pre-commit`.
pub fn hook(
    context: &Context,
    command: &HookCommand,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    match command {
        HookCommand::PreCommit(args) => Ok(super::scan::staged(context, args.json, out)?),
        HookCommand::Identify => {
            writeln!(out, "{}", hooks::HOOK_IDENTITY).map_err(stdout_error)?;
            Ok(Outcome::Success)
        }
    }
}

/// Identities for git drivers: never prompt under `git diff` (a pager owns the terminal).
fn driver_identities(
    context: &Context,
    prompt: Arc<dyn PassphrasePrompt>,
) -> Result<Identities, VaultError> {
    Ok(Identities::load(&context.lookup(), &prompt)?)
}

/// `vault textconv FILE`: members see sorted `KEY = value` lines; others a one-line notice.
pub fn textconv(
    context: &Context,
    args: &TextconvArgs,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let bytes = std::fs::read(&args.file).map_err(io_err("read", &args.file))?;
    if !crypto::is_armored(&bytes) {
        // Not ours to interpret (an empty side of a diff, a conflict): show it as is.
        out.write_all(&bytes).map_err(stdout_error)?;
        return Ok(Outcome::Success);
    }
    let notice = |out: &mut dyn Write, why: &str| -> Result<Outcome, Error> {
        writeln!(out, "# vault: encrypted secrets ({why})").map_err(stdout_error)?;
        Ok(Outcome::Success)
    };
    let identities = match driver_identities(context, Arc::new(NoPrompt)) {
        Ok(ids) => ids,
        Err(VaultError::Identity(IdentityError::NotFound { .. })) => {
            return notice(out, "no identity on this machine");
        }
        Err(VaultError::Identity(IdentityError::PassphraseUnavailable { .. })) => {
            return notice(
                out,
                "your identity needs a passphrase; diffs cannot ask for it",
            );
        }
        Err(VaultError::Identity(IdentityError::TooOpen { path, .. })) => {
            return notice(
                out,
                &format!(
                    "your identity file is readable by other users; run `chmod 600 {}`",
                    crate::untrusted::escape(&path.display().to_string())
                ),
            );
        }
        Err(e) => return Err(e.into()),
    };
    match store::textconv::view(&bytes, &identities, || context.vault()) {
        Ok(text) => out.write_all(text.as_bytes()).map_err(stdout_error)?,
        Err(why) => return notice(out, &why),
    }
    Ok(Outcome::Success)
}

/// `vault merge-driver %O %A %B %P`: writes the merged, re-encrypted file over %A and the
/// recipients view beside the environment's file; exit 1 when conflicts remain (git then
/// reports the path as conflicted).
pub fn merge_driver(context: &Context, args: &MergeDriverArgs) -> Result<Outcome, Error> {
    let env = Path::new(&args.path)
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| names::is_env_name(s))
        .ok_or_else(|| StoreError::InvalidEnvName {
            env: args.path.clone(),
        })?
        .to_owned();
    let prompt: Arc<dyn PassphrasePrompt> = if prompt::has_terminal() {
        Arc::new(prompt::TerminalPrompt)
    } else {
        Arc::new(NoPrompt)
    };
    let identities = driver_identities(context, prompt)?;
    // Encrypt to the roster as merged so far (git merges `.vault.toml` before `secrets/`).
    // git runs drivers at the work-tree root; the vault may live in a subdirectory.
    let repo = context.repo();
    let top = repo
        .and_then(git::Repo::work_tree)
        .unwrap_or_else(|| context.cwd().to_owned());
    let vault = Vault::discover_in(
        &top.join(&args.path)
            .parent()
            .map_or(top.clone(), Path::to_owned),
        repo.cloned(),
    )?
    .with_trust(context.trust()?);
    let read = |path: &Path| std::fs::read(path).map_err(io_err("read", path));
    let merged = vault.merge_versions(
        &env,
        &read(&args.base)?,
        &read(&args.ours)?,
        &read(&args.theirs)?,
        &identities,
        jiff::Timestamp::now(),
    )?;
    atomic::write(&args.ours, &merged.ciphertext, 0o644).map_err(io_err("write", &args.ours))?;
    vault.write_summary(&env, &merged.recipients)?;
    if !merged.marked.is_empty() {
        eprintln!(
            "vault: {} in {} came from a version readable by someone who no longer has access; marked must-rotate (`vault check` fails until each is rotated)",
            merged.marked.join(", "),
            args.path
        );
    }
    if !merged.conflicts.is_empty() {
        eprintln!(
            "vault: conflicting changes to {} in {}; run `vault edit {env}` to choose, then `git add {}`",
            merged.conflicts.join(", "),
            args.path,
            args.path
        );
        return Ok(Outcome::Problems);
    }
    Ok(Outcome::Success)
}
