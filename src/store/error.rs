//! What can go wrong with the vault on disk. No variant carries a secret value.

use super::*;

/// Errors from the on-disk vault. None carries a secret value.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No `.vault.toml` in the directory or any parent.
    #[error("not inside a vault: no `{CONFIG_FILE}` in {} or any parent directory", start.display())]
    NotAVault {
        /// Where the search started.
        start: PathBuf,
    },
    /// `.vault.toml` belongs to another user.
    #[error("{} is owned by another user (uid {owner}), so it is not trusted", path.display())]
    ForeignRoster {
        /// The roster.
        path: PathBuf,
        /// Its owner.
        owner: u32,
    },
    /// `vault init` found an existing vault.
    #[error("a vault already exists here: {} exists", path.display())]
    AlreadyInitialized {
        /// The file that exists.
        path: PathBuf,
    },
    /// `.vault.toml` is invalid.
    #[error("invalid roster in {}", path.display())]
    Config {
        /// The config path.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: ConfigError,
    },
    /// A file could not be read or written.
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
    /// The environment name is syntactically invalid.
    #[error("`{env}` is not a valid environment name (use lowercase letters, digits, `-` and `_`)")]
    InvalidEnvName {
        /// The rejected name.
        env: String,
    },
    /// The environment is not in `.vault.toml`.
    #[error("unknown environment `{env}` (this vault has: {})", known.join(", "))]
    UnknownEnvironment {
        /// The requested environment.
        env: String,
        /// The configured environments.
        known: Vec<String>,
    },
    /// The environment's file is missing.
    #[error("`{}` is missing for environment `{env}`", path.display())]
    MissingFile {
        /// The environment.
        env: String,
        /// The expected path.
        path: PathBuf,
    },
    /// The identities cannot open the file.
    #[error("you cannot decrypt `{env}`: none of your identities ({identities}) is a recipient of {}", path.display())]
    NoAccess {
        /// The environment.
        env: String,
        /// The file.
        path: PathBuf,
        /// Which identities were tried.
        identities: String,
    },
    /// A passphrase-protected identity could not be unlocked without a terminal.
    #[error(
        "cannot decrypt `{env}`: the identity {source_} needs a passphrase and there is no terminal"
    )]
    PassphraseUnavailable {
        /// The environment.
        env: String,
        /// The locked identity.
        source_: Source,
    },
    /// The file is not valid age, or is damaged.
    #[error("{} (environment `{env}`) cannot be decrypted", path.display())]
    Crypto {
        /// The environment.
        env: String,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: CryptoError,
    },
    /// Encrypting an environment failed; nothing was written.
    #[error("cannot encrypt `{env}` to its recipients; nothing was written")]
    Seal {
        /// The environment.
        env: String,
        /// Why.
        #[source]
        source: CryptoError,
    },
    /// The decrypted payload is invalid.
    #[error("the secrets of `{env}` in {} are unreadable", path.display())]
    Payload {
        /// The environment.
        env: String,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: PayloadError,
    },
    /// The file belongs to another environment.
    #[error("{} holds the secrets of `{inner}`, not `{env}`: refusing to use another environment's secrets", path.display())]
    WrongEnvironment {
        /// The environment asked for.
        env: String,
        /// The environment named inside the payload.
        inner: String,
        /// The file.
        path: PathBuf,
    },
    /// The plaintext recipients summary disagrees with the list sealed inside the payload.
    #[error("the recipients listed in {} do not match those sealed inside {}: the files were altered outside vault", summary.display(), path.display())]
    RecipientsTampered {
        /// The encrypted file.
        path: PathBuf,
        /// The summary file.
        summary: PathBuf,
    },
    /// The version is not one a reader of the environment wrote (see [`crate::auth`]).
    #[error("{} (environment `{env}`) is not authenticated: {reason}", path.display())]
    Unauthenticated {
        /// The environment.
        env: String,
        /// The file.
        path: PathBuf,
        /// Why.
        reason: crate::auth::AuthError,
    },
    /// The file is in the unauthenticated format of earlier releases and must be upgraded
    /// before it is written.
    #[error("{} (environment `{env}`) is in the unauthenticated format of earlier vault releases", path.display())]
    NeedsUpgrade {
        /// The environment.
        env: String,
        /// The file.
        path: PathBuf,
    },
    /// `.vault.toml` no longer lists someone who can read the file; a routine write would
    /// silently drop them without the must-rotate marks an offboarding needs.
    #[error("`.vault.toml` no longer gives {} access to `{env}`, but they can still read secrets/{env}.age", who.join(", "))]
    RemovalPending {
        /// The environment.
        env: String,
        /// Who would lose access.
        who: Vec<String>,
    },
    /// The roster now seals the environment to the other kind of key (post-quantum or
    /// classic) than its file: a routine write must not switch it, least of all down to
    /// classic keys, which a push to `.vault.toml` alone could otherwise cause.
    #[error("`.vault.toml` seals `{env}` to {} keys now, but secrets/{env}.age is sealed to {} keys", if *post_quantum { "post-quantum" } else { "classic" }, if *post_quantum { "classic" } else { "post-quantum" })]
    KindChangePending {
        /// The environment.
        env: String,
        /// Whether the roster wants post-quantum keys.
        post_quantum: bool,
    },
    /// `vault accept` was asked to accept a version that verifies.
    #[error("secrets/{env}.age is authenticated; there is nothing to accept")]
    NothingToAccept {
        /// The environment.
        env: String,
    },
    /// No authenticated version of the environment on the mainline to build on.
    #[error(
        "no authenticated version of secrets/{env}.age is in this checkout's history to build on"
    )]
    NoTrustedVersion {
        /// The environment.
        env: String,
    },
    /// The environment has no members, so nobody could decrypt it.
    #[error("environment `{env}` has no members, so its file could not be decrypted by anyone")]
    NoRecipients {
        /// The environment.
        env: String,
    },
    /// `.secrets.example.toml` is invalid.
    #[error("invalid template {}", path.display())]
    Template {
        /// The template path.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: crate::schema::TemplateError,
    },
    /// The writer lock could not be taken.
    #[error("cannot lock the vault for writing")]
    Lock(#[source] LockError),
}
