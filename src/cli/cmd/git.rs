//! git integration commands: `hooks install|uninstall`, `hook pre-commit`, `textconv` and
//! `merge-driver`. All git access goes through `crate::git`.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use crate::cli::args::{HookCommand, HooksCommand, MergeDriverArgs, TextconvArgs};
use crate::cli::{Context, Outcome, prompt, render, stdout_error};
use crate::crypto::{self, CryptoError};
use crate::error::Error;
use crate::identity::{Identities, IdentityError, NoPrompt, PassphrasePrompt};
use crate::payload::Payload;
use crate::store::{StoreError, Vault, atomic};
use crate::{edit, git, names};

/// The shim `vault hooks install` writes; `@VAULT@` becomes the command git should run.
const HOOK_SHIM: &str = include_str!("../../../hooks/pre-commit");
/// Marks a hook file as ours.
pub(crate) const HOOK_MARKER: &str = "vault-managed pre-commit hook";
/// What `vault hook identify` prints: the hook runs a `vault` only if it answers this, so
/// HashiCorp's `vault` CLI (same name, often first on $PATH) is never mistaken for us.
const HOOK_IDENTITY: &str = "vault: git-native encrypted secrets (pre-commit hook v1)";
/// Where an existing hook is kept while ours is installed.
const CHAINED: &str = "pre-commit.vault-chained";

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl Fn(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Installs the pre-commit shim in git's hooks directory (keeping and chaining a foreign
/// hook) and the diff/merge driver settings. Returns the hook's path.
pub(crate) fn install_hook(cwd: &Path) -> Result<std::path::PathBuf, Error> {
    let dir = git::hooks_dir(cwd).ok_or(Error::NotInGit)?;
    let hook = dir.join("pre-commit");
    let chained = dir.join(CHAINED);
    let ours = std::fs::read_to_string(&hook).is_ok_and(|text| text.contains(HOOK_MARKER));
    std::fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
    if hook.exists() && !ours {
        if chained.exists() {
            return Err(Error::HookConflict { path: chained });
        }
        std::fs::rename(&hook, &chained).map_err(io_err("move", &hook))?;
        render::note(&format!(
            "kept your existing hook as {}; it still runs first",
            chained.display()
        ));
    }
    let command = super::init::vault_command();
    let shim = HOOK_SHIM
        .replace("@VAULT@", &super::init::vault_binary())
        .replace("@IDENTITY@", HOOK_IDENTITY);
    atomic::write(&hook, shim.as_bytes(), 0o755).map_err(io_err("write", &hook))?;
    git::set_local_config(cwd, &git::driver_settings(&command))?;
    Ok(hook)
}

/// `vault hooks install|uninstall`.
pub fn hooks(
    context: &Context,
    command: &HooksCommand,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    match command {
        HooksCommand::Install => {
            let hook = install_hook(context.cwd())?;
            writeln!(out, "installed the pre-commit hook at {}", hook.display())
                .map_err(stdout_error)?;
            writeln!(
                out,
                "configured git's `vault` diff and merge drivers for secrets/*.age"
            )
            .map_err(stdout_error)?;
        }
        HooksCommand::Uninstall => {
            let dir = git::hooks_dir(context.cwd()).ok_or(Error::NotInGit)?;
            let hook = dir.join("pre-commit");
            let chained = dir.join(CHAINED);
            let ours = std::fs::read_to_string(&hook).is_ok_and(|text| text.contains(HOOK_MARKER));
            if !ours {
                render::note(&format!(
                    "{} is not vault's hook; nothing to remove",
                    hook.display()
                ));
                return Ok(Outcome::Success);
            }
            if chained.exists() {
                std::fs::rename(&chained, &hook).map_err(io_err("restore", &chained))?;
                writeln!(out, "restored your previous pre-commit hook").map_err(stdout_error)?;
            } else {
                std::fs::remove_file(&hook).map_err(io_err("remove", &hook))?;
                writeln!(out, "removed the pre-commit hook").map_err(stdout_error)?;
            }
        }
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
        HookCommand::PreCommit(args) => super::scan::staged(context, args.json, out),
        HookCommand::Identify => {
            writeln!(out, "{HOOK_IDENTITY}").map_err(stdout_error)?;
            Ok(Outcome::Success)
        }
    }
}

/// Identities for git drivers: never prompt under `git diff` (a pager owns the terminal).
fn driver_identities(
    context: &Context,
    prompt: Arc<dyn PassphrasePrompt>,
) -> Result<Identities, Error> {
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
        Err(Error::Identity(IdentityError::NotFound { .. })) => {
            return notice(out, "no identity on this machine");
        }
        Err(Error::Identity(IdentityError::PassphraseUnavailable { .. })) => {
            return notice(
                out,
                "your identity needs a passphrase; diffs cannot ask for it",
            );
        }
        Err(Error::Identity(IdentityError::TooOpen { path, .. })) => {
            return notice(
                out,
                &format!(
                    "your identity file is readable by other users; run `chmod 600 {}`",
                    crate::untrusted::escape(&path.display().to_string())
                ),
            );
        }
        Err(e) => return Err(e),
    };
    let plaintext = match crypto::decrypt(&bytes, identities.as_age()) {
        Ok(p) => p,
        Err(CryptoError::NoMatchingKey) => {
            return notice(out, "you are not a recipient of this file");
        }
        Err(e) => return notice(out, &format!("cannot be decrypted: {e}")),
    };
    let Ok(payload) = Payload::parse(&plaintext) else {
        return notice(out, "the decrypted payload is unreadable");
    };
    drop(plaintext);
    // Values are shown only for versions a reader wrote: this one must verify and agree
    // with the chain of the current, verified file.
    let env = payload.environment.clone();
    drop(payload);
    let vault = match context.vault() {
        Ok(vault) => vault,
        Err(e) => return notice(out, &format!("cannot open the vault to verify it: {e}")),
    };
    let reference = match vault
        .read_ciphertext(&env)
        .and_then(|current| vault.verify_current(&env, &current, &identities.pins()))
    {
        Ok(crate::auth::Seal::Signed(stanza)) => Some(stanza.chain),
        Ok(_) => None,
        Err(e) => {
            return notice(
                out,
                &format!(
                    "NOT SHOWN: the current secrets/{env}.age does not verify ({e}); run `vault check`"
                ),
            );
        }
    };
    // Once the environment is signed, an unsigned version is a downgrade, not history to show.
    let legacy_ok = reference.is_none();
    let payload = match vault.open_version(&env, &bytes, &identities, reference.as_ref(), legacy_ok)
    {
        Ok(payload) => payload,
        Err(StoreError::Unauthenticated { reason, .. }) => {
            return notice(
                out,
                &format!("NOT AUTHENTICATED: {reason}; run `vault check`"),
            );
        }
        Err(e) => return notice(out, &format!("cannot be read: {e}")),
    };
    let mut text = zeroize::Zeroizing::new(format!("# environment: {}\n", payload.environment));
    if payload.is_legacy() {
        text.push_str("# (old unauthenticated format)\n");
    }
    for (name, entry) in &payload.secrets {
        text.push_str(name);
        text.push_str(" = ");
        text.push_str(&edit::toml_string(entry.value.expose()));
        if entry.must_rotate.is_some() {
            text.push_str("  # must rotate");
        }
        text.push('\n');
    }
    for name in payload.conflicts.keys() {
        text.push_str(&format!(
            "# CONFLICT: {name} (run `vault edit {}`)\n",
            payload.environment
        ));
    }
    out.write_all(text.as_bytes()).map_err(stdout_error)?;
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
    let top = git::work_tree(context.cwd()).unwrap_or_else(|| context.cwd().to_owned());
    let vault = Vault::discover(
        &top.join(&args.path)
            .parent()
            .map_or(top.clone(), Path::to_owned),
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

#[cfg(test)]
mod tests {
    #[test]
    fn shim_has_marker_and_placeholder() {
        assert!(super::HOOK_SHIM.contains(super::HOOK_MARKER));
        assert!(super::HOOK_SHIM.contains("@VAULT@"));
    }
}
