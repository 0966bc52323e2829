//! Errors as the command line sees them: the library's [`crate::error::Error`], or one that
//! only the command line raises (a prompt answered no, a value that never came, a flag that
//! does not parse, a name typed wrong). `cli::render` gives each variant its hint and
//! decides the exit code.

use std::path::PathBuf;

use crate::config::CONFIG_FILE;
use crate::store::{StoreError, Vault};

/// A failed command: the library's error, or one only the command line raises (a prompt
/// answered no, a value that never came, a flag that does not parse).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The library's error.
    #[error(transparent)]
    Vault(#[from] crate::error::Error),
    /// `export --format docker` with values a docker env file cannot hold.
    #[error("`{env}` cannot be written as a docker env file; nothing was printed:\n  - {}", refused.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  - "))]
    DockerEnv {
        /// The environment.
        env: String,
        /// Each refused secret and why (never a value).
        refused: Vec<crate::export::DockerEnvRefused>,
    },
    /// `vault render` with placeholders that cannot be filled.
    #[error("{} has placeholders that cannot be filled from `{env}`; nothing was written:\n  - {}", if template.as_os_str() == "-" { "the template on stdin".to_owned() } else { template.display().to_string() }, problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  - "))]
    Render {
        /// The template file.
        template: PathBuf,
        /// The environment.
        env: String,
        /// Every problem (names and positions, never values).
        problems: Vec<crate::placeholders::Problem>,
    },
    /// `vault template export` without a template.
    #[error("there is no template to export: {} does not exist", path.display())]
    NoTemplate {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// `vault get` / `unset` / `rotate` of a secret that does not exist.
    #[error("`{name}` is not set in `{env}`")]
    SecretNotFound {
        /// The environment.
        env: String,
        /// The secret.
        name: String,
    },
    /// Someone else changed the same secrets while `vault edit` was open.
    #[error("secrets/{env}.age changed while you were editing, and these secrets were changed on both sides: {}; your edit was not saved", names.join(", "))]
    EditConflict {
        /// The environment.
        env: String,
        /// Secrets changed on both sides.
        names: Vec<String>,
    },
    /// The edited buffer was still invalid when the user gave up.
    #[error("the edited secrets of `{env}` are still invalid; nothing was changed")]
    EditAbandoned {
        /// The environment.
        env: String,
        /// The last validation error.
        #[source]
        source: crate::edit::EditError,
    },
    /// `vault edit` received a terminating signal (SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, …).
    #[error(
        "interrupted by signal {signal}; the temporary file was removed and nothing was changed"
    )]
    Interrupted {
        /// The signal number.
        signal: i32,
    },
    /// A value was expected on stdin or the terminal, but none came.
    #[error("no value given for `{name}`")]
    NoValue {
        /// The secret.
        name: String,
    },
    /// The value read from stdin or a file is not UTF-8.
    #[error("the value for `{name}` is not UTF-8 text")]
    ValueNotUtf8 {
        /// The secret.
        name: String,
    },
    /// The two hidden entries of a value differ.
    #[error("the two entries of `{name}` differ; nothing was changed")]
    ValuesDiffer {
        /// The secret.
        name: String,
    },
    /// `vault identity new --passphrase` with mismatched or empty passphrases, or no terminal.
    #[error("{reason}")]
    Passphrase {
        /// What went wrong.
        reason: &'static str,
    },
    /// `export --format github-env` outside GitHub Actions.
    #[error("$GITHUB_ENV is not set, so this is not a GitHub Actions step")]
    NotInGithubActions,
    /// A re-keying plan needs confirmation and there is no terminal.
    #[error("this change needs confirmation and there is no terminal to ask on")]
    ConfirmationRequired,
    /// The user answered no.
    #[error("cancelled; nothing was changed")]
    Declined,
    /// The identity's public key is not known (an SSH key without its `.pub` file).
    #[error(
        "the public key of your identity is unknown (an SSH key needs its `.pub` file beside it)"
    )]
    UnknownPublicKey,
    /// A member or environment named on the command line is wrong (the roster is fine).
    #[error("{source}")]
    RosterArgument {
        /// What is wrong with the argument.
        source: crate::config::ConfigError,
        /// The members and environments there are, for the hint.
        known_members: Vec<String>,
        /// See `known_members`.
        known_envs: Vec<String>,
    },
    /// `--as-of` is not a date.
    #[error("`{text}` is not a date (use YYYY-MM-DD or an RFC 3339 timestamp)")]
    InvalidDate {
        /// The text given.
        text: String,
    },
    /// `--grace` is not a duration.
    #[error(
        "`{text}` is not a grace period (use a number and m, h, d or w, e.g. 24h or 7d, at most a year)"
    )]
    InvalidDuration {
        /// The text given.
        text: String,
    },
    /// A re-key would move environments from post-quantum back to classic keys.
    #[error("this would re-seal {} from post-quantum to classic keys, which a future quantum computer can break", envs.join(", "))]
    Downgrade {
        /// The environments.
        envs: Vec<String>,
    },
    /// The demo failed at a step.
    #[error("the demo failed at: {step}")]
    Demo {
        /// The step.
        step: String,
    },
}

/// The library's errors convert as the library's own `Error` does, so `?` works on them in
/// handlers.
macro_rules! from_library {
    ($($source:ty),* $(,)?) => {
        $(impl From<$source> for Error {
            fn from(source: $source) -> Self {
                Self::Vault(source.into())
            }
        })*
    };
}

from_library!(
    StoreError,
    crate::identity::IdentityError,
    crate::payload::PayloadError,
    crate::edit::EditError,
    crate::exec::ExecError,
    crate::git::GitError,
    crate::sync::SyncError,
    crate::export::InvalidK8sName,
    crate::codegen::CodegenError,
    crate::codegen::import::ImportError,
    crate::pool::WorkerPanicked,
);

impl From<crate::rotation::RotationError> for Error {
    fn from(error: crate::rotation::RotationError) -> Self {
        use crate::rotation::RotationError;
        match error {
            RotationError::NotSet { env, name } => Self::SecretNotFound { env, name },
            RotationError::InvalidGrace { text } => Self::InvalidDuration { text },
            RotationError::Payload(e) => e.into(),
        }
    }
}

/// A roster edit that failed because of what was typed, not because `.vault.toml` is
/// broken: said as such, with the names there are.
pub(crate) fn roster_argument(vault: &Vault, source: crate::config::ConfigError) -> Error {
    use crate::config::ConfigError as E;
    match source {
        E::NoSuchMember { .. }
        | E::NoSuchEnv { .. }
        | E::MemberExists { .. }
        | E::EnvExists { .. }
        | E::SharedKey { .. }
        | E::InvalidEnvName { .. }
        | E::InvalidMemberName { .. }
        | E::InvalidKey { .. }
        | E::NoKeyOfKind { .. }
        | E::MissingPostQuantum { .. } => Error::RosterArgument {
            source,
            known_members: vault.config().members().keys().cloned().collect(),
            known_envs: vault.config().env_names().map(str::to_owned).collect(),
        },
        source => StoreError::Config {
            path: vault.root().join(CONFIG_FILE),
            source,
        }
        .into(),
    }
}
