//! The crate-level error: one variant per failing module or user-visible condition.
//!
//! The CLI matches on it to choose the hint and the exit code, which is why errors stay
//! typed all the way up. No variant carries a secret value.

use std::path::PathBuf;

use crate::dotenv::DotenvError;
use crate::edit::EditError;
use crate::exec::ExecError;
use crate::git::GitError;
use crate::identity::IdentityError;
use crate::payload::PayloadError;
use crate::store::StoreError;

/// Everything that can go wrong in a vault command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The vault on disk.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Finding or unlocking identities.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// A secret name or value that cannot be stored.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// `vault edit`.
    #[error(transparent)]
    Edit(#[from] EditError),
    /// Starting the command in `vault exec`.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// git.
    #[error(transparent)]
    Git(#[from] GitError),
    /// `push` / `pull` with a central store.
    #[error(transparent)]
    Sync(#[from] crate::sync::SyncError),
    /// `export --format k8s` with a name Kubernetes refuses.
    #[error(transparent)]
    K8sName(#[from] crate::export::InvalidK8sName),
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
    /// `vault template export` cannot generate the file asked for.
    #[error(transparent)]
    Codegen(#[from] crate::codegen::CodegenError),
    /// `vault template import` cannot use the dotenv template given.
    #[error(transparent)]
    TemplateImport(#[from] crate::codegen::import::ImportError),
    /// `vault template export` without a template.
    #[error("there is no template to export: {} does not exist", path.display())]
    NoTemplate {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A dotenv file for `vault import` is invalid.
    #[error("cannot import {}", path.display())]
    Dotenv {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: DotenvError,
    },
    /// A file given on the command line could not be read or written.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// "read", "write", …
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// `vault get` / `unset` of a secret that does not exist.
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
        source: EditError,
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
    /// `vault identity new --passphrase` with mismatched or empty passphrases, or no terminal.
    #[error("{reason}")]
    Passphrase {
        /// What went wrong.
        reason: &'static str,
    },
    /// `export --format github-env` outside GitHub Actions.
    #[error("$GITHUB_ENV is not set, so this is not a GitHub Actions step")]
    NotInGithubActions,
    /// A git command run outside a git repository.
    #[error("not inside a git repository")]
    NotInGit,
    /// `hooks install` found both a foreign hook and a kept one.
    #[error("cannot install: {} already exists and the current pre-commit hook is not vault's", path.display())]
    HookConflict {
        /// The kept hook.
        path: PathBuf,
    },
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
    /// The two hidden entries of a value differ.
    #[error("the two entries of `{name}` differ; nothing was changed")]
    ValuesDiffer {
        /// The secret.
        name: String,
    },
    /// `VAULT_PIN` holds something that is not a pin.
    #[error("VAULT_PIN is invalid")]
    InvalidPin(#[source] crate::auth::InvalidPin),
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
    /// A scan or the pre-commit hook cannot read a vault's roster, so it cannot know which
    /// secret values to look for; it fails rather than pass what it could not check.
    #[error(
        "cannot check for copies of the vault's secret values: its roster does not parse, so vault cannot tell which values to look for"
    )]
    RosterUnreadable {
        /// The roster error (path, line and cause).
        #[source]
        source: StoreError,
    },
    /// A scanner worker failed, so the scan's results are incomplete.
    #[error(transparent)]
    Worker(#[from] crate::pool::WorkerPanicked),
    /// `vault scan` could not read some of what it was asked to scan; everything else was
    /// scanned and reported first.
    #[error(
        "the scan is incomplete: {count} {what} could not be read (listed above), and secrets in them would have been missed"
    )]
    ScanIncomplete {
        /// How many files or objects were not read.
        count: usize,
        /// "file(s)" or "object(s) of history".
        what: &'static str,
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

impl From<crate::rotation::RotationError> for Error {
    fn from(error: crate::rotation::RotationError) -> Self {
        use crate::rotation::RotationError;
        match error {
            RotationError::NotSet { env, name } => Self::SecretNotFound { env, name },
            RotationError::InvalidGrace { text } => Self::InvalidDuration { text },
            RotationError::Payload(e) => Self::Payload(e),
        }
    }
}
