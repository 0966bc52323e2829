//! `vault edit <env>`: decrypt into a private memory-backed file, run the editor,
//! validate, and re-encrypt only if something changed.

use std::io::Write;

use crate::cli::error::Error;
use crate::cli::{Context, Outcome, render};
use crate::edit::{self, EditError, SignalWatch, Workspace};

/// Runs `vault edit`.
pub fn run(context: &Context, env: &str, _out: &mut dyn Write) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    vault.require_env(env)?;
    let identities = context.identities()?;
    let base = vault.decrypt(env, &identities)?;
    let editor = editor_command();

    let stale = Workspace::remove_stale();
    for path in &stale.removed {
        render::note(&format!(
            "removed {}, a decrypted buffer left by a `vault edit` that was killed",
            path.display()
        ));
    }
    for path in &stale.unknown {
        render::warn(&format!(
            "{} may be a decrypted buffer left by an older vault; once no `vault edit` is running, remove it with `rm -rf {0}`",
            path.display()
        ));
    }
    let mut workspace = Workspace::create(env)?;
    if !workspace.memory_backed {
        // Said before any plaintext is written, so the user can stop here (Ctrl-C).
        render::warn(&format!(
            "{} is on {}, not in memory: the decrypted secrets will be written to disk there while you edit (overwritten and removed afterwards); to keep them in memory, set $XDG_RUNTIME_DIR to a tmpfs directory such as /run/user/$(id -u) or /dev/shm",
            workspace
                .dir()
                .parent()
                .unwrap_or(workspace.dir())
                .display(),
            workspace
                .filesystem
                .as_deref()
                .unwrap_or("storage this system cannot identify as memory-backed"),
        ));
    }
    let signals = SignalWatch::start()?;
    let intro = edit::instructions(env, vault.relative(&vault.env_path(env)));
    let original = edit::render(&base, &intro);
    let mut shown = original.clone();
    let edited = loop {
        if let Some(signal) = signals.received() {
            workspace.wipe();
            return Err(Error::Interrupted { signal });
        }
        workspace.write(&shown)?;
        let status = signals.run_editor(&editor, workspace.file())?;
        if let Some(signal) = signals.received() {
            workspace.wipe();
            return Err(Error::Interrupted { signal });
        }
        if let Some(failure) = status {
            return Err(EditError::EditorExit {
                editor,
                status: failure,
            }
            .into());
        }
        let buffer = workspace.read()?;
        if *buffer == *original && base.conflicts.is_empty() {
            render::note(&format!("no changes; secrets/{env}.age is untouched"));
            return Ok(Outcome::Success);
        }
        match edit::parse(&buffer) {
            Ok(edited) => break edited,
            Err(error) if edit::same_edit(&buffer, &shown) => {
                // Saved the same invalid buffer again: the user gave up.
                return Err(Error::EditAbandoned {
                    env: env.to_owned(),
                    source: error,
                });
            }
            Err(error) => {
                render::warn(&format!(
                    "{error}; re-opening the editor (quit without changes to abort)"
                ));
                shown = edit::reopen(&error, &intro, &buffer);
            }
        }
    };
    drop(workspace);

    let changes = edit::diff(&base, &edited);
    // Saving a buffer that parses means every conflict was resolved, even if the kept
    // values equal what was stored.
    let resolving = !base.conflicts.is_empty();
    if changes.is_empty() && !resolving {
        render::note(&format!("no changes; secrets/{env}.age is untouched"));
        return Ok(Outcome::Success);
    }
    let now = jiff::Timestamp::now();
    vault.update(env, &identities, |current| -> Result<_, Error> {
        let conflicts = edit::apply(current, &base, &edited, &changes, now)?;
        if resolving {
            current.conflicts.clear();
        }
        if conflicts.is_empty() {
            Ok(((), true))
        } else {
            Err(Error::EditConflict {
                env: env.to_owned(),
                names: conflicts,
            })
        }
    })?;
    let mut summary = Vec::new();
    for (label, names) in [
        ("added", &changes.added),
        ("changed", &changes.changed),
        ("removed", &changes.removed),
    ] {
        if !names.is_empty() {
            summary.push(format!("{label} {}", names.join(", ")));
        }
    }
    if resolving {
        summary.push("resolved merge conflicts".to_owned());
    }
    if summary.is_empty() {
        summary.push("updated comments".to_owned());
    }
    render::note(&format!("secrets/{env}.age: {}", summary.join("; ")));
    Ok(Outcome::Success)
}

fn editor_command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.trim().is_empty())
        .unwrap_or_else(|| "vi".to_owned())
}
