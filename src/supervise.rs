//! `vault exec --mask`: vault stays as the child's parent, so it can mask secret values in
//! the child's stdout and stderr ([`crate::mask`]). It forwards the signals a supervisor
//! is sent, waits, and reports the child's status the way a shell does.
//!
//! Signals the kernel sends (Ctrl-C, a terminal resize or hangup) already reach the child
//! too, since it shares vault's process group: forwarding them as well would deliver them
//! twice, so only signals sent by a process (`kill`, `docker stop`, systemd) are
//! forwarded. Nothing here logs the environment, argv or output.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::low_level::siginfo::Cause;
use zeroize::Zeroizing;

use crate::exec::{ExecError, start_error};
use crate::harden::CoreDumpGuard;
use crate::mask::Patterns;

/// The signals passed on to the child.
pub const FORWARDED: &[i32] = &[SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH];

/// How much of the child's output is read at once.
const CHUNK: usize = 8192;

/// Runs `cmd` (named `program` in errors) with its stdout and stderr masked by `patterns`,
/// and returns its exit status: its code, or 128 plus the signal that killed it.
///
/// # Errors
/// The command could not be started (126, 127), or supervision could not be set up.
pub fn run(
    mut cmd: Command,
    program: &OsStr,
    patterns: Patterns,
    guard: &CoreDumpGuard,
) -> Result<u8, ExecError> {
    let supervise = |source| ExecError::Supervise { source };
    // Registered before the child exists, so a signal sent during start-up is kept and
    // forwarded once it does.
    let mut signals = SignalsInfo::<WithOrigin>::new(FORWARDED).map_err(supervise)?;
    let handle = signals.handle();
    // Our own descriptors, written unbuffered (the CLI holds std's stdout lock), and
    // close-on-exec: a child that inherited them could write around the masking.
    let dup = |fd| {
        rustix::io::fcntl_dupfd_cloexec(fd, 3)
            .map(std::fs::File::from)
            .map_err(io)
    };
    let out = dup(rustix::stdio::stdout())?;
    let err = dup(rustix::stdio::stderr())?;
    cmd.stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // The child gets the core-dump limit vault started with; vault, which goes on holding
    // plaintext, puts its own back to zero at once.
    guard.restore();
    let spawned = cmd.spawn();
    let _ = crate::harden::disable_core_dumps();
    // The command's copy of the environment, secrets included, is not needed any more.
    drop(cmd);
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => {
            handle.close();
            return Err(start_error(program, error));
        }
    };
    let pid = rustix::process::Pid::from_child(&child);
    // While true, `pid` is the child (alive or a zombie not yet reaped), never a process
    // that reused the number.
    let alive = Arc::new(Mutex::new(true));
    let forwarder = {
        let alive = Arc::clone(&alive);
        std::thread::spawn(move || {
            for origin in signals.forever() {
                if origin.cause == Cause::Kernel {
                    continue;
                }
                let Some(signal) = rustix::process::Signal::from_named_raw(origin.signal) else {
                    continue;
                };
                if alive.lock().is_ok_and(|alive| *alive) {
                    let _ = rustix::process::kill_process(pid, signal);
                }
            }
        })
    };
    let patterns = Arc::new(patterns);
    let pumps = [
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .zip([out, err])
    .filter_map(|(from, to)| {
        let patterns = Arc::clone(&patterns);
        from.map(|from| std::thread::spawn(move || pump(from, to, &patterns)))
    })
    .collect::<Vec<_>>();
    wait_unreaped(pid);
    if let Ok(mut alive) = alive.lock() {
        *alive = false;
    }
    handle.close();
    let _ = forwarder.join();
    let status = child.wait().map_err(supervise)?;
    // Output still in flight (or from grandchildren holding the pipes) is masked too.
    for pump in pumps {
        let _ = pump.join();
    }
    Ok(status_code(status))
}

fn io(error: rustix::io::Errno) -> ExecError {
    ExecError::Supervise {
        source: error.into(),
    }
}

/// Blocks until the child has exited, leaving it to be reaped by `wait`.
fn wait_unreaped(pid: rustix::process::Pid) {
    use rustix::process::{WaitId, WaitIdOptions, waitid};
    loop {
        match waitid(
            WaitId::Pid(pid),
            WaitIdOptions::EXITED | WaitIdOptions::NOWAIT,
        ) {
            Err(rustix::io::Errno::INTR) => {}
            _ => return,
        }
    }
}

/// A shell's view of how a process ended: its exit code, or 128 plus the signal.
#[must_use]
pub fn status_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code & 0xff).unwrap_or(1),
        (None, Some(signal)) => u8::try_from(128 + signal).unwrap_or(255),
        (None, None) => 1,
    }
}

/// Copies `from` to `to`, masked, until the end of `from` or until `to` is closed; then
/// `from` is closed too, so a child still writing gets `EPIPE` as it would have without
/// vault.
fn pump(mut from: Box<dyn Read + Send>, mut to: std::fs::File, patterns: &Patterns) {
    let mut masker = crate::mask::Masker::new(patterns);
    let mut buf = Zeroizing::new(vec![0u8; CHUNK]);
    // Room for the worst case (every byte held plus a full read, all masked), so the
    // buffer never reallocates with output in it.
    let mut masked = Zeroizing::new(Vec::with_capacity(
        2 * (CHUNK + patterns.max_len()) + crate::mask::MASK.len(),
    ));
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        masker.feed(&buf[..n], &mut masked);
        if to.write_all(&masked).is_err() {
            return;
        }
        masked.clear();
    }
    masker.finish(&mut masked);
    let _ = to.write_all(&masked);
    let _ = to.flush();
}
