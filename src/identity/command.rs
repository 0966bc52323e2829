//! `VAULT_IDENTITY_CMD`: an identity printed by a command (a password manager, a keychain).
//!
//! The command line is split into words with POSIX shell quoting rules (`shlex`) and run
//! directly, with no shell in between: nothing in it is expanded, globbed or piped unless
//! the user writes `sh -c '…'` themselves. Its stdin and stderr are the terminal's, so a
//! password manager can ask for a PIN or print its own errors; its stdout is the identity,
//! read into a zeroized buffer that is never reallocated (so no stray copy is left) and
//! never logged. Errors name the program, never its arguments (which could hold a token).

use std::io::Read;
use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use super::IdentityError;

/// The most an identity command may print: identity files are a few kilobytes at most
/// (a 4096-bit RSA key is about 3.4 KiB), so more means the wrong command.
pub const MAX_OUTPUT: usize = 64 * 1024;

/// Runs `command_line` and returns what it printed on stdout.
///
/// # Errors
/// [`IdentityError::CommandInvalid`] for a line that does not split into words,
/// [`IdentityError::CommandNotStarted`] when the program cannot be run,
/// [`IdentityError::CommandFailed`] for a non-zero exit, and
/// [`IdentityError::CommandOutput`] for output that is empty or too large.
pub fn run(command_line: &str) -> Result<Zeroizing<Vec<u8>>, IdentityError> {
    let words = shlex::split(command_line).ok_or(IdentityError::CommandInvalid {
        reason: "its quotes are unbalanced",
    })?;
    let Some((program, args)) = words.split_first() else {
        return Err(IdentityError::CommandInvalid {
            reason: "it is empty",
        });
    };
    let mut child = Command::new(program)
        .args(args)
        // A command that itself runs vault must not find the variable and run itself again.
        .env_remove("VAULT_IDENTITY_CMD")
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| IdentityError::CommandNotStarted {
            program: program.clone(),
            error,
        })?;
    // Sized up front and read through `take`, so the buffer never reallocates.
    let mut output = Zeroizing::new(Vec::with_capacity(MAX_OUTPUT + 1));
    let read = child
        .stdout
        .take()
        .expect("stdout was piped above")
        .take(MAX_OUTPUT as u64 + 1)
        .read_to_end(&mut output);
    // The pipe is closed here, so a command still writing gets EPIPE instead of blocking
    // the wait below.
    let status = child
        .wait()
        .map_err(|error| IdentityError::CommandNotStarted {
            program: program.clone(),
            error,
        })?;
    // Checked first: a command cut off at the limit then dies of SIGPIPE, which would
    // hide the real problem.
    if output.len() > MAX_OUTPUT {
        return Err(IdentityError::CommandOutput {
            program: program.clone(),
            reason: "printed more than 64 KiB, which is no identity",
        });
    }
    if !status.success() {
        return Err(IdentityError::CommandFailed {
            program: program.clone(),
            status: describe(status),
        });
    }
    read.map_err(|error| IdentityError::CommandNotStarted {
        program: program.clone(),
        error,
    })?;
    if output.iter().all(u8::is_ascii_whitespace) {
        return Err(IdentityError::CommandOutput {
            program: program.clone(),
            reason: "succeeded but printed nothing",
        });
    }
    Ok(output)
}

fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => "an unknown status".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_the_identity_without_a_shell() {
        // `$HOME` and `;` reach printf literally: no shell expands them.
        let out = run("printf '%s' '$HOME;x'").unwrap();
        assert_eq!(&out[..], b"$HOME;x");
        let out = run("sh -c 'echo one; echo two'").unwrap();
        assert_eq!(&out[..], b"one\ntwo\n");
    }

    #[test]
    fn failures_name_the_program_and_never_the_arguments() {
        let err = run("sh -c 'exit 3' token-canary").unwrap_err();
        assert!(
            matches!(err, IdentityError::CommandFailed { ref program, ref status } if program == "sh" && status == "exit status 3"),
            "{err:?}"
        );
        assert!(!err.to_string().contains("canary"), "{err}");
        let err = run("no-such-program-7f3a --secret=canary").unwrap_err();
        assert!(
            matches!(err, IdentityError::CommandNotStarted { .. }),
            "{err:?}"
        );
        assert!(!err.to_string().contains("canary"), "{err}");
        assert!(matches!(
            run("echo 'unbalanced").unwrap_err(),
            IdentityError::CommandInvalid { .. }
        ));
        assert!(matches!(
            run("   ").unwrap_err(),
            IdentityError::CommandInvalid { .. }
        ));
        assert!(matches!(
            run("true").unwrap_err(),
            IdentityError::CommandOutput { .. }
        ));
    }

    #[test]
    fn endless_output_is_refused_without_hanging() {
        let err = run("yes AGE-SECRET-KEY").unwrap_err();
        assert!(
            matches!(err, IdentityError::CommandOutput { .. }),
            "{err:?}"
        );
    }
}
