//! Replacing vault with the user's command, secrets in its environment (or, with
//! `--file`, in sealed in-memory files, see [`crate::secret_file`]).
//!
//! `execve` rather than spawn: signals, the terminal, stdin/stdout and the exit status
//! then belong to the child with no vault process in between. (`--mask` must spawn; that
//! is [`crate::supervise`].) Nothing here logs the environment or argv.

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
    /// `--only` named secrets that are not set.
    #[error("`--only` names secrets not set in `{env}`: {}", names.join(", "))]
    OnlyUnknown {
        /// The environment.
        env: String,
        /// The missing names.
        names: Vec<String>,
    },
    /// A merge left conflicts in the environment.
    #[error("`{env}` has unresolved merge conflicts in: {}", names.join(", "))]
    UnresolvedConflicts {
        /// The environment.
        env: String,
        /// The conflicting secrets.
        names: Vec<String>,
    },
    /// The template's rules fail for an environment.
    #[error("`{env}` does not satisfy .secrets.example.toml:\n  - {}", problems.join("\n  - "))]
    TemplateViolations {
        /// The environment.
        env: String,
        /// One value-free description per problem.
        problems: Vec<String>,
    },
    /// Secrets that would change how the child loads code.
    #[error("`{env}` sets {}, which change how programs load code; refusing to pass them", names.join(", "))]
    LoaderVariables {
        /// The environment.
        env: String,
        /// The variables.
        names: Vec<String>,
    },
    /// `--file` named secrets that are not set.
    #[error("`--file` names secrets not set in `{env}`: {}", names.join(", "))]
    FileUnknown {
        /// The environment.
        env: String,
        /// The missing names.
        names: Vec<String>,
    },
    /// `--file NAME` would set `NAME_FILE`, which is already a secret of the environment.
    #[error("`--file` would set {}, which `{env}` already sets as secrets", names.join(", "))]
    FileVariableTaken {
        /// The environment.
        env: String,
        /// The `NAME_FILE` variables.
        names: Vec<String>,
    },
    /// Values too long to be environment variables.
    #[error("{} in `{env}` {} too long for an environment variable (at most {MAX_VARIABLE_LEN} bytes each)", names.join(", "), if names.len() == 1 { "is" } else { "are" })]
    VariableTooLong {
        /// The environment.
        env: String,
        /// The secrets.
        names: Vec<String>,
    },
    /// `--file` on a system without sealed in-memory files.
    #[error(
        "`--file` is not supported on this system: it needs Linux's sealed in-memory files (memfd)"
    )]
    FilesUnsupported,
    /// A secret's in-memory file could not be made.
    #[error("cannot make the in-memory file for `{name}`")]
    SecretFile {
        /// The secret.
        name: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// `--mask` could not set up the pipes, threads or signal handlers it needs.
    #[error("cannot supervise the command for `--mask`")]
    Supervise {
        /// The OS error.
        #[source]
        source: std::io::Error,
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

/// The longest value an environment variable can carry: Linux refuses a `NAME=value`
/// string over 128 KiB (`MAX_ARG_STRLEN`); the margin leaves room for the name. Longer
/// values go by `--file`.
pub const MAX_VARIABLE_LEN: usize = 120 * 1024;

/// Variables that change how a program loads or runs code: the dynamic linker's, language
/// runtimes' option and path variables, and the shell's startup files. A value that sets
/// one runs code of its writer's choosing in the child, so `vault exec` passes none of them
/// unless the template allows the name explicitly (`allow_loader = true`).
const LOADER_PREFIXES: &[&str] = &[
    "LD_",
    "DYLD_",
    "LUA_INIT",
    "LUA_PATH",
    "LUA_CPATH",
    // Every git variable: GIT_SSH, GIT_CONFIG_KEY_n (core.sshCommand, core.fsmonitor), ...
    "GIT_",
];
const LOADER_NAMES: &[&str] = &[
    "PATH",
    "IFS",
    "ENV",
    "BASH_ENV",
    "SHELLOPTS",
    "BASHOPTS",
    "PS4",
    "PROMPT_COMMAND",
    "ZDOTDIR",
    "NODE_OPTIONS",
    "NODE_PATH",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "PYTHONHOME",
    "PYTHONUSERBASE",
    "PYTHONINSPECT",
    "PYTHONBREAKPOINT",
    "PERL5OPT",
    "PERL5LIB",
    "PERLLIB",
    "PERL5DB",
    "RUBYOPT",
    "RUBYLIB",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "CLASSPATH",
    "GCONV_PATH",
    "LOCPATH",
    "PHPRC",
    "PHP_INI_SCAN_DIR",
    "DOTNET_STARTUP_HOOKS",
    "CORECLR_PROFILER_PATH",
    "PYTHONWARNINGS",
    "NODE_REPL_EXTERNAL_MODULE",
    "GLIBC_TUNABLES",
    "MAVEN_OPTS",
    "GRADLE_OPTS",
    "SSH_ASKPASS",
    "PAGER",
    "EDITOR",
    "VISUAL",
    "LESSOPEN",
    "LESSCLOSE",
    "BROWSER",
];

/// Whether `name` is a variable that changes how the child loads code.
#[must_use]
pub fn is_loader_variable(name: &str) -> bool {
    LOADER_NAMES.contains(&name) || LOADER_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The names among `names` that change how a program loads code and that `template` does
/// not allow (`allow_loader = true` on the secret), sorted.
#[must_use]
pub fn blocked_loader_variables<'a>(
    template: Option<&crate::schema::Template>,
    names: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut blocked: Vec<String> = names
        .into_iter()
        .filter(|name| is_loader_variable(name))
        .filter(|name| {
            !template
                .and_then(|t| t.get(name))
                .is_some_and(|spec| spec.allow_loader)
        })
        .map(str::to_owned)
        .collect();
    blocked.sort();
    blocked.dedup();
    blocked
}

/// What must hold before an environment's secrets reach a running program (`exec`, or a
/// store a program reads from, via `push`): no unresolved merge conflicts, and the
/// template's rules met for the whole environment, even under `exec --only`: a deploy gate
/// that a one-off job could pass while the environment is broken would not be a gate.
///
/// # Errors
/// [`ExecError::UnresolvedConflicts`] or [`ExecError::TemplateViolations`].
pub fn ready_for_runtime(
    template: Option<&crate::schema::Template>,
    env: &str,
    payload: &crate::payload::Payload,
) -> Result<(), ExecError> {
    if !payload.conflicts.is_empty() {
        return Err(ExecError::UnresolvedConflicts {
            env: env.to_owned(),
            names: payload.conflicts.keys().cloned().collect(),
        });
    }
    let Some(template) = template else {
        return Ok(());
    };
    let values = payload
        .secrets
        .iter()
        .map(|(n, e)| (n.as_str(), e.value.expose()));
    let problems: Vec<String> = template
        .validate(env, values)
        .into_iter()
        .filter(|v| !v.is_warning())
        .map(|v| v.to_string())
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ExecError::TemplateViolations {
            env: env.to_owned(),
            problems,
        })
    }
}

/// Refuses variables among `names` that change how programs load code and that the
/// template does not allow: for every way values become a process environment (`exec`,
/// `push`, `export` to env formats).
///
/// # Errors
/// [`ExecError::LoaderVariables`].
pub fn refuse_loader_variables<'a>(
    template: Option<&crate::schema::Template>,
    env: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<(), ExecError> {
    let blocked = blocked_loader_variables(template, names);
    if blocked.is_empty() {
        Ok(())
    } else {
        Err(ExecError::LoaderVariables {
            env: env.to_owned(),
            names: blocked,
        })
    }
}

/// How `vault exec` hands secrets to its child: variables, and secrets given as files
/// (`--file`), each named by the variable that will hold its path (`NAME_FILE`).
#[derive(Debug, Default)]
pub struct Delivery<'p> {
    /// `NAME=value` variables.
    pub variables: Vec<(String, &'p Secret)>,
    /// `(NAME_FILE, value)`: the value goes into a file whose path is `NAME_FILE`.
    pub files: Vec<(String, &'p Secret)>,
}

/// What `vault exec` gives its child from `payload`: the environment must be ready
/// ([`ready_for_runtime`]); with `only`, just those secrets (and their `NAME_PREVIOUS`),
/// each of which must exist; the secrets in `files` (which must exist, and are passed even
/// if `only` leaves them out) as files instead of variables, `NAME_PREVIOUS` included;
/// and no variable that changes how programs load code unless the template allows it.
///
/// # Errors
/// Why the program must not start.
pub fn runtime_variables<'p>(
    template: Option<&crate::schema::Template>,
    env: &str,
    payload: &'p crate::payload::Payload,
    only: &[String],
    files: &[String],
    now: jiff::Timestamp,
) -> Result<Delivery<'p>, ExecError> {
    use std::collections::BTreeSet;
    ready_for_runtime(template, env, payload)?;
    let unknown = |names: &BTreeSet<&str>| -> Vec<String> {
        names
            .iter()
            .filter(|name| !payload.secrets.contains_key(**name))
            .map(|name| (*name).to_owned())
            .collect()
    };
    let as_files: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    let missing = unknown(&as_files);
    if !missing.is_empty() {
        return Err(ExecError::FileUnknown {
            env: env.to_owned(),
            names: missing,
        });
    }
    let mut variables = payload.variables(now);
    if !only.is_empty() {
        let wanted: BTreeSet<&str> = only.iter().map(String::as_str).collect();
        let missing = unknown(&wanted);
        if !missing.is_empty() {
            return Err(ExecError::OnlyUnknown {
                env: env.to_owned(),
                names: missing,
            });
        }
        let wanted: BTreeSet<&str> = wanted.union(&as_files).copied().collect();
        variables.retain(|(name, _)| {
            wanted.contains(name.as_str())
                || name
                    .strip_suffix("_PREVIOUS")
                    .is_some_and(|base| wanted.contains(base))
        });
    }
    let is_file = |name: &str| {
        as_files.contains(name)
            || name
                .strip_suffix("_PREVIOUS")
                .is_some_and(|base| as_files.contains(base))
    };
    let (file_values, variables): (Vec<_>, Vec<_>) =
        variables.into_iter().partition(|(name, _)| is_file(name));
    let files: Vec<(String, &Secret)> = file_values
        .into_iter()
        .map(|(name, value)| (format!("{name}_FILE"), value))
        .collect();
    let taken: Vec<String> = files
        .iter()
        .filter(|(file_var, _)| variables.iter().any(|(n, _)| n == file_var))
        .map(|(file_var, _)| file_var.clone())
        .collect();
    if !taken.is_empty() {
        return Err(ExecError::FileVariableTaken {
            env: env.to_owned(),
            names: taken,
        });
    }
    refuse_loader_variables(
        template,
        env,
        variables
            .iter()
            .chain(files.iter())
            .map(|(n, _)| n.as_str()),
    )?;
    // Checked here rather than left to `execve`, whose E2BIG would read as "command not
    // executable".
    let too_long: Vec<String> = variables
        .iter()
        .filter(|(_, value)| value.len() > MAX_VARIABLE_LEN)
        .map(|(name, _)| name.clone())
        .collect();
    if !too_long.is_empty() {
        return Err(ExecError::VariableTooLong {
            env: env.to_owned(),
            names: too_long,
        });
    }
    Ok(Delivery { variables, files })
}

/// The child's command: `command` with `variables` added to the inherited environment
/// (secrets win over inherited variables of the same name), `NAME_FILE` set to each of
/// `files`' paths, and never `VAULT_IDENTITY`.
///
/// # Errors
/// [`ExecError::NoCommand`] for an empty command.
pub fn child_command(
    command: &[OsString],
    variables: &[(String, &Secret)],
    files: &[crate::secret_file::SecretFile],
) -> Result<std::process::Command, ExecError> {
    let Some((program, args)) = command.split_first() else {
        return Err(ExecError::NoCommand);
    };
    let mut cmd = std::process::Command::new(program);
    cmd.args(args);
    // The child needs the secrets, never the key that decrypts all of them.
    cmd.env_remove("VAULT_IDENTITY");
    for (name, value) in variables {
        cmd.env(name, value.expose());
    }
    for file in files {
        cmd.env(file.variable(), file.path());
    }
    Ok(cmd)
}

/// Why `program` could not be started: 127 when it does not exist, else 126.
#[must_use]
pub fn start_error(program: &std::ffi::OsStr, error: std::io::Error) -> ExecError {
    let program = program.to_string_lossy().into_owned();
    match error.kind() {
        std::io::ErrorKind::NotFound => ExecError::NotFound { program },
        _ => ExecError::NotExecutable {
            program,
            source: error,
        },
    }
}

/// Replaces the current process with `command` (see [`child_command`]); `files` are
/// inherited by it. Returns only if the command could not be started.
#[must_use]
pub fn replace_process(
    command: &[OsString],
    variables: &[(String, &Secret)],
    files: &[crate::secret_file::SecretFile],
    guard: &CoreDumpGuard,
) -> ExecError {
    let mut cmd = match child_command(command, variables, files) {
        Ok(cmd) => cmd,
        Err(error) => return error,
    };
    guard.restore();
    let error = cmd.exec();
    start_error(&command[0], error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loader_variables() {
        for name in [
            "LD_PRELOAD",
            "LD_LIBRARY_PATH",
            "DYLD_INSERT_LIBRARIES",
            "NODE_OPTIONS",
            "PATH",
            "BASH_ENV",
            "PYTHONPATH",
            "JAVA_TOOL_OPTIONS",
        ] {
            assert!(is_loader_variable(name), "{name}");
        }
        for name in [
            "DATABASE_URL",
            "NODE_ENV",
            "PATH_PREFIX",
            "MYPATH",
            "OLD_PRELOAD",
        ] {
            assert!(!is_loader_variable(name), "{name}");
        }
        let template =
            crate::schema::Template::parse("[PATH]\nallow_loader = true\n[NODE_OPTIONS]\n")
                .unwrap();
        assert_eq!(
            blocked_loader_variables(
                Some(&template),
                ["PATH", "NODE_OPTIONS", "LD_PRELOAD", "DB"]
            ),
            ["LD_PRELOAD", "NODE_OPTIONS"]
        );
        assert_eq!(blocked_loader_variables(None, ["PATH"]), ["PATH"]);
    }
}
