//! The library's error: one variant per failing module or condition the library itself
//! raises. Errors only the command line raises (a declined prompt, a flag that does not
//! parse) are `cli::error::Error`, which wraps this one.
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
    /// `vault template export` cannot generate the file asked for.
    #[error(transparent)]
    Codegen(#[from] crate::codegen::CodegenError),
    /// `vault template import` cannot use the dotenv template given.
    #[error(transparent)]
    TemplateImport(#[from] crate::codegen::import::ImportError),
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
    /// A git command run outside a git repository.
    #[error("not inside a git repository")]
    NotInGit,
    /// `hooks install` found both a foreign hook and a kept one.
    #[error("cannot install: {} already exists and the current pre-commit hook is not vault's", path.display())]
    HookConflict {
        /// The kept hook.
        path: PathBuf,
    },
    /// `VAULT_PIN` holds something that is not a pin.
    #[error("VAULT_PIN is invalid")]
    InvalidPin(#[source] crate::auth::InvalidPin),
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
}
