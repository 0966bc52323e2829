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
