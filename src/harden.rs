//! Process hardening while plaintext is in memory: no core dumps, not ptrace-attachable
//! by other processes of the same user (Linux `PR_SET_DUMPABLE`).
//!
//! `exec` restores the core-dump limit before replacing itself, so the child keeps the
//! settings it inherited; the kernel resets the dumpable flag on exec by itself.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Remembers the core-dump limit in force before [`disable_core_dumps`].
#[derive(Debug)]
pub struct CoreDumpGuard {
    previous: Rlimit,
}

/// Sets the soft core-dump limit to zero and marks the process non-dumpable.
///
/// Failures are ignored on purpose: hardening must never stop a deploy, and the only
/// failure modes (an exotic kernel, a seccomp policy) leave the process as it was.
#[must_use]
pub fn disable_core_dumps() -> CoreDumpGuard {
    let previous = getrlimit(Resource::Core);
    let _ = setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: previous.maximum,
        },
    );
    #[cfg(target_os = "linux")]
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    CoreDumpGuard { previous }
}

impl CoreDumpGuard {
    /// Puts the soft limit back, for a child about to be exec'd.
    pub fn restore(&self) {
        let _ = setrlimit(Resource::Core, self.previous);
    }
}
