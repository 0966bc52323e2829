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

/// The variables `vault exec` gives its child from `payload`: the environment must be
/// ready ([`ready_for_runtime`]); with `only`, just those secrets (and their
/// `NAME_PREVIOUS`), each of which must exist; and none that changes how programs load
/// code unless the template allows it.
///
/// # Errors
/// Why the program must not start.
pub fn runtime_variables<'p>(
    template: Option<&crate::schema::Template>,
    env: &str,
    payload: &'p crate::payload::Payload,
    only: &[String],
    now: jiff::Timestamp,
) -> Result<Vec<(String, &'p Secret)>, ExecError> {
    ready_for_runtime(template, env, payload)?;
    let mut variables = payload.variables(now);
    if !only.is_empty() {
        let wanted: std::collections::BTreeSet<&str> = only.iter().map(String::as_str).collect();
        let missing: Vec<String> = wanted
            .iter()
            .filter(|name| !payload.secrets.contains_key(**name))
            .map(|name| (*name).to_owned())
            .collect();
        if !missing.is_empty() {
            return Err(ExecError::OnlyUnknown {
                env: env.to_owned(),
                names: missing,
            });
        }
        variables.retain(|(name, _)| {
            wanted.contains(name.as_str())
                || name
                    .strip_suffix("_PREVIOUS")
                    .is_some_and(|base| wanted.contains(base))
        });
    }
    refuse_loader_variables(template, env, variables.iter().map(|(n, _)| n.as_str()))?;
    Ok(variables)
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
