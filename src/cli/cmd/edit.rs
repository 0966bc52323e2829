//! `vault edit <env>`: decrypt into a private memory-backed file, run the editor,
//! validate, and re-encrypt only if something changed.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

use signal_hook::consts::SIGINT;

use crate::cli::{Context, Outcome, render};
use crate::edit::{self, EditError, Workspace};
use crate::error::Error;

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
            Err(error) if *strip_notes(&buffer) == *strip_notes(&shown) => {
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
                let mut notes = vec![
                    format!("ERROR: {error}"),
                    "Fix it and save, or quit without changes to abort.".to_owned(),
                ];
                notes.extend(intro.iter().cloned());
                let body = strip_notes(&buffer);
                let mut next = zeroize::Zeroizing::new(String::new());
                for note in &notes {
                    next.push_str(edit::NOTE_PREFIX);
                    next.push(' ');
                    next.push_str(note);
                    next.push('\n');
                }
                next.push_str(&body);
                shown = next;
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

fn strip_notes(buffer: &str) -> zeroize::Zeroizing<String> {
    let mut out = zeroize::Zeroizing::new(String::with_capacity(buffer.len()));
    for line in buffer.lines().filter(|l| !l.starts_with(edit::NOTE_PREFIX)) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn editor_command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.trim().is_empty())
        .unwrap_or_else(|| "vi".to_owned())
}

/// Every signal whose default action ends the process and that a handler may catch,
/// except SIGINT (handled apart). Left out on purpose: SIGKILL and SIGSTOP (cannot be
/// caught), SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP and SIGSYS (raised by a fault in this
/// process or a debugger; a handler that returns would re-run the faulting instruction), and
/// SIGPIPE (Rust ignores it). A stale buffer after SIGKILL is removed by the next run.
fn terminating_signals() -> Vec<i32> {
    use rustix::process::Signal;
    let mut signals: Vec<i32> = [
        Signal::HUP,
        Signal::QUIT,
        Signal::ABORT,
        Signal::USR1,
        Signal::USR2,
        Signal::ALARM,
        Signal::TERM,
        Signal::XCPU,
        Signal::XFSZ,
        Signal::VTALARM,
        Signal::PROF,
        Signal::IO,
    ]
    .iter()
    .map(|s| s.as_raw())
    .collect();
    #[cfg(any(target_os = "linux", target_os = "android"))]
    signals.extend([Signal::STKFLT.as_raw(), Signal::POWER.as_raw()]);
    // Real-time signals end a process too. glibc keeps 32 and 33 for itself and musl keeps
    // 32 to 34, so only those above are ours to catch.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    signals.extend(34..=64);
    #[cfg(all(target_os = "linux", target_env = "musl"))]
    signals.extend(35..=64);
    signals
}

/// Catches every terminating signal while the buffer exists: forwards SIGTERM to the editor
/// and remembers the signal, so the caller removes the buffer and exits with 128 + its
/// number instead of dying with plaintext on disk. SIGINT is ignored while the editor runs
/// (the editor gets it from the terminal and decides).
struct SignalWatch {
    child: Arc<AtomicU32>,
    received: Arc<AtomicI32>,
}

impl SignalWatch {
    fn start() -> Result<Self, Error> {
        let child = Arc::new(AtomicU32::new(0));
        let received = Arc::new(AtomicI32::new(0));
        let mut caught = terminating_signals();
        caught.push(SIGINT);
        let mut signals =
            signal_hook::iterator::Signals::new(caught).map_err(|source| EditError::Workspace {
                action: "protect",
                source,
            })?;
        let (child_pid, flag) = (Arc::clone(&child), Arc::clone(&received));
        std::thread::spawn(move || {
            for signal in signals.forever() {
                if signal == SIGINT {
                    continue;
                }
                flag.store(signal, Ordering::SeqCst);
                stop(child_pid.load(Ordering::SeqCst));
            }
        });
        Ok(Self { child, received })
    }

    /// Runs the editor to completion. `Ok(None)` on success, `Ok(Some(description))` when
    /// it failed or was killed.
    fn run_editor(&self, editor: &str, file: &std::path::Path) -> Result<Option<String>, Error> {
        let mut child = edit::spawn_editor(editor, file)?;
        self.child.store(child.id(), Ordering::SeqCst);
        // A signal that came between the spawn and the store found no editor to stop.
        if self.received().is_some() {
            stop(child.id());
        }
        let status = child.wait().map_err(|source| EditError::EditorFailed {
            editor: editor.to_owned(),
            source,
        });
        self.child.store(0, Ordering::SeqCst);
        let status = status?;
        if status.success() {
            return Ok(None);
        }
        use std::os::unix::process::ExitStatusExt;
        Ok(Some(match (status.code(), status.signal()) {
            (Some(127), _) => "was not found (set $VISUAL or $EDITOR)".to_owned(),
            (Some(code), _) => format!("exited with status {code}"),
            (None, Some(signal)) => format!("was killed by signal {signal}"),
            (None, None) => "failed".to_owned(),
        }))
    }

    fn received(&self) -> Option<i32> {
        match self.received.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(signal),
        }
    }
}

/// Asks the editor process `pid` (0: none running) to terminate.
fn stop(pid: u32) {
    if let Some(pid) = rustix::process::Pid::from_raw(i32::try_from(pid).unwrap_or(0)) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
}
