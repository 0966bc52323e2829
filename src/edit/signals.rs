//! The signals `vault edit` catches while a decrypted buffer exists, so that a terminating
//! signal removes the buffer instead of leaving plaintext behind.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

use signal_hook::consts::SIGINT;

use super::{EditError, spawn_editor};

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
pub struct SignalWatch {
    child: Arc<AtomicU32>,
    received: Arc<AtomicI32>,
}

impl SignalWatch {
    /// Starts watching.
    ///
    /// # Errors
    /// The signal handlers cannot be installed.
    pub fn start() -> Result<Self, EditError> {
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
    ///
    /// # Errors
    /// The editor cannot be started or waited for.
    pub fn run_editor(
        &self,
        editor: &str,
        file: &std::path::Path,
    ) -> Result<Option<String>, EditError> {
        let mut child = spawn_editor(editor, file)?;
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

    /// The terminating signal received so far, if any.
    #[must_use]
    pub fn received(&self) -> Option<i32> {
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
