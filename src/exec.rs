//! Replacing vault with the user's command, secrets in its environment.
//!
//! `execve` rather than spawn: signals, the terminal, stdin/stdout and the exit status
//! then belong to the child with no vault process in between. Nothing here logs the
//! environment or argv.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;

use crate::harden::CoreDumpGuard;
use crate::secret::Secret;

/// Why the command could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// No command after `--`.
    #[error("no command to run")]
    NoCommand,
    /// The program does not exist (exit 127).
    #[error("command not found: `{program}`")]
    NotFound {
        /// The program as given.
        program: String,
    },
    /// The program exists but cannot be executed (exit 126).
    #[error("command not executable: `{program}`")]
    NotExecutable {
        /// The program as given.
        program: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// Replaces the current process with `command`, adding `variables` to the inherited
/// environment (secrets win over inherited variables of the same name). Returns only if
/// the command could not be started.
#[must_use]
pub fn replace_process(
    command: &[OsString],
    variables: &[(String, &Secret)],
    guard: &CoreDumpGuard,
) -> ExecError {
    let Some((program, args)) = command.split_first() else {
        return ExecError::NoCommand;
    };
    let mut cmd = std::process::Command::new(program);
    cmd.args(args);
    // The child needs the secrets, never the key that decrypts all of them.
    cmd.env_remove("VAULT_IDENTITY");
    for (name, value) in variables {
        cmd.env(name, value.expose());
    }
    guard.restore();
    let error = cmd.exec();
    let program = program.to_string_lossy().into_owned();
    match error.kind() {
        std::io::ErrorKind::NotFound => ExecError::NotFound { program },
        _ => ExecError::NotExecutable {
            program,
            source: error,
        },
    }
}
