//! The vault on disk: finding its root, the file names, reading and writing environment
//! files, and the writer lock.
//!
//! Only this module knows where files live and how they are written. It checks every
//! decrypted payload against the environment it was asked for, so a file copied over
//! another environment's is refused rather than silently used.

mod accept;
pub mod atomic;
pub mod lock;
mod merged;
pub mod pins;
pub mod provenance;
pub mod recipients;
pub mod textconv;
pub mod verify;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{CONFIG_FILE, Config, ConfigError};
use crate::crypto::{self, CryptoError};
use crate::faults;
use crate::identity::{Identities, Source};
use crate::names;
use crate::payload::{Payload, PayloadError};

pub use accept::AcceptPlan;
pub use lock::{Lock, LockError};
pub use merged::Merged;
pub use pins::PinStore;
pub use verify::Trust;

/// The directory holding the encrypted environment files.
pub const SECRETS_DIR: &str = "secrets";

/// How long a writer waits for another before giving up.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

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

/// An opened vault: its root, its validated roster, and what its reads are verified
/// against.
#[derive(Debug, Clone)]
pub struct Vault {
    root: PathBuf,
    config: Config,
    trust: Trust,
}

impl Vault {
    /// Finds the vault containing `start` by walking up to the first `.vault.toml`.
    ///
    /// # Errors
    /// [`StoreError::NotAVault`] or an invalid roster.
    pub fn discover(start: &Path) -> Result<Self, StoreError> {
        let start = std::path::absolute(start).unwrap_or_else(|_| start.to_owned());
        // Like git with `.git`, but never above the repository: a `.vault.toml` in a parent
        // of the work tree (another project, a shared directory) is not this repository's,
        // and writing to it would seal secrets to whoever it lists.
        let top = crate::git::work_tree(&start).map(|top| std::path::absolute(&top).unwrap_or(top));
        let root = start
            .ancestors()
            .take_while(|dir| top.as_ref().is_none_or(|top| dir.starts_with(top)))
            .find(|dir| dir.join(CONFIG_FILE).is_file())
            .ok_or_else(|| StoreError::NotAVault {
                start: start.clone(),
            })?;
        Self::open(root)
    }

    /// Opens the vault rooted at `root`.
    ///
    /// # Errors
    /// An unreadable or invalid `.vault.toml`.
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        let path = root.join(CONFIG_FILE);
        // As git's `safe.directory`: a roster someone else owns decides who reads what this
        // user writes, so it is refused (root's own files excepted for root).
        if let Ok(meta) = std::fs::metadata(&path) {
            use std::os::unix::fs::MetadataExt;
            let me = rustix::process::geteuid().as_raw();
            if meta.uid() != me {
                return Err(StoreError::ForeignRoster {
                    path,
                    owner: meta.uid(),
                });
            }
        }
        let text = std::fs::read_to_string(&path).map_err(|source| StoreError::Io {
            action: "read",
            path: path.clone(),
            source,
        })?;
        let config = Config::parse(&text).map_err(|source| StoreError::Config { path, source })?;
        Ok(Self {
            root: root.to_owned(),
            config,
            trust: Trust::default(),
        })
    }

    /// The same vault with another roster, used to write files for a roster that is not
    /// on disk yet.
    #[must_use]
    pub fn with_config(&self, config: Config) -> Self {
        Self {
            root: self.root.clone(),
            config,
            trust: self.trust.clone(),
        }
    }

    /// The same vault, verifying against `trust` (pins this process carries, the user's
    /// pin file).
    #[must_use]
    pub fn with_trust(mut self, trust: Trust) -> Self {
        self.trust = trust;
        self
    }

    /// What reads are verified against.
    #[must_use]
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// The directory holding `.vault.toml`.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The roster.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `<root>/secrets`.
    #[must_use]
    pub fn secrets_dir(&self) -> PathBuf {
        self.root.join(SECRETS_DIR)
    }

    /// `<root>/secrets/<env>.age`.
    #[must_use]
    pub fn env_path(&self, env: &str) -> PathBuf {
        self.secrets_dir().join(format!("{env}.age"))
    }

    /// `<root>/secrets/<env>.recipients`, the plaintext list of recipients.
    #[must_use]
    pub fn recipients_path(&self, env: &str) -> PathBuf {
        self.secrets_dir().join(format!("{env}.recipients"))
    }

    /// A path relative to the root, for messages.
    #[must_use]
    pub fn relative<'a>(&self, path: &'a Path) -> &'a Path {
        path.strip_prefix(&self.root).unwrap_or(path)
    }

    /// Checks that `env` is a configured environment.
    ///
    /// # Errors
    /// [`StoreError::InvalidEnvName`] or [`StoreError::UnknownEnvironment`].
    pub fn require_env(&self, env: &str) -> Result<(), StoreError> {
        if !names::is_env_name(env) {
            return Err(StoreError::InvalidEnvName {
                env: env.to_owned(),
            });
        }
        if self.config.env(env).is_none() {
            return Err(StoreError::UnknownEnvironment {
                env: env.to_owned(),
                known: self.config.env_names().map(str::to_owned).collect(),
            });
        }
        Ok(())
    }

    /// Reads the ciphertext of `env`.
    ///
    /// # Errors
    /// An unknown environment or a missing/unreadable file.
    pub fn read_ciphertext(&self, env: &str) -> Result<Vec<u8>, StoreError> {
        self.require_env(env)?;
        let path = self.env_path(env);
        // A symlink is refused, file or directory: the file git tracks would then not be
        // the one read, and its history not the one verified.
        for candidate in [self.secrets_dir(), path.clone()] {
            if std::fs::symlink_metadata(&candidate).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(StoreError::Io {
                    action: "read (it is a symbolic link, which vault does not follow)",
                    path: self.relative(&candidate).to_owned(),
                    source: std::io::Error::other("symbolic link"),
                });
            }
        }
        std::fs::read(&path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                StoreError::MissingFile {
                    env: env.to_owned(),
                    path: self.relative(&path).to_owned(),
                }
            } else {
                StoreError::Io {
                    action: "read",
                    path: path.clone(),
                    source,
                }
            }
        })
    }

    /// Decrypts and checks `env`: the payload must name `env` and its sealed recipients
    /// must match the plaintext summary.
    ///
    /// # Errors
    /// A [`StoreError`] saying exactly which check failed.
    pub fn decrypt(&self, env: &str, identities: &Identities) -> Result<Payload, StoreError> {
        let ciphertext = self.read_ciphertext(env)?;
        self.decrypt_bytes(env, &ciphertext, identities)
    }

    /// Decrypts the current version of `env` (from disk, or the blob a command was given
    /// for it) after verifying who wrote it: the signature, the write-key chain against
    /// the pins and history (see [`Trust`]), then, inside, that the sealed write key and
    /// recipients are the ones that signed. A verified version advances the user's pin.
    ///
    /// # Errors
    /// As [`Vault::decrypt`].
    pub fn decrypt_bytes(
        &self,
        env: &str,
        ciphertext: &[u8],
        identities: &Identities,
    ) -> Result<Payload, StoreError> {
        let extra = identities.pins();
        let seal = self.verify_current(env, ciphertext, &extra)?;
        let mut payload = self.open_sealed(env, ciphertext, identities)?;
        self.check_inside(env, &seal, &mut payload)?;
        if payload.sealed_by.is_some() && !self.trust.has_pins(&self.root, env, &extra) {
            // Trust anchored in history: if the vault was unsigned once, its first signed
            // version must prove a reader converted it.
            self.confirm_upgrade(env, identities)?;
        }
        if let Some(stanza) = &payload.sealed_by {
            self.trust.remember(&self.root, stanza);
        } else if let Some(summary) = self.read_summary(env)? {
            // The old format's only defence: the plaintext summary must match the list
            // sealed inside.
            let sealed: BTreeSet<&str> = payload.recipients.iter().map(String::as_str).collect();
            let listed: BTreeSet<&str> = summary.iter().map(String::as_str).collect();
            if sealed != listed {
                return Err(StoreError::RecipientsTampered {
                    path: self.relative(&self.env_path(env)).to_owned(),
                    summary: self.relative(&self.recipients_path(env)).to_owned(),
                });
            }
        }
        Ok(payload)
    }

    /// Decrypts ciphertext of `env` and checks the environment binding only: no signature,
    /// no anchor. Only for showing what a version holds (`vault diff`, `vault log`, where a
    /// reader reviews a version before accepting it); anything that uses or rewrites values
    /// verifies first ([`Vault::decrypt_bytes`], [`Vault::open_version`]).
    ///
    /// # Errors
    /// As [`Vault::decrypt`], except for authentication.
    pub fn open_sealed(
        &self,
        env: &str,
        ciphertext: &[u8],
        identities: &Identities,
    ) -> Result<Payload, StoreError> {
        let path = self.relative(&self.env_path(env)).to_owned();
        let plaintext =
            crypto::decrypt(ciphertext, identities.as_age()).map_err(|source| match source {
                CryptoError::NoMatchingKey => match identities.locked_out() {
                    Some(source_) => StoreError::PassphraseUnavailable {
                        env: env.to_owned(),
                        source_,
                    },
                    None => StoreError::NoAccess {
                        env: env.to_owned(),
                        path: path.clone(),
                        identities: identities
                            .sources()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", "),
                    },
                },
                source => StoreError::Crypto {
                    env: env.to_owned(),
                    path: path.clone(),
                    source,
                },
            })?;
        let payload = Payload::parse(&plaintext).map_err(|source| StoreError::Payload {
            env: env.to_owned(),
            path: path.clone(),
            source,
        })?;
        drop(plaintext);
        faults::panic_point("after-decrypt");
        if payload.environment != env {
            return Err(StoreError::WrongEnvironment {
                env: env.to_owned(),
                inner: payload.environment,
                path,
            });
        }
        Ok(payload)
    }

    /// The canonical recipients recorded in `secrets/<env>.recipients`, if the file exists
    /// and agrees with the recipients signed into `secrets/<env>.age` (a summary that does
    /// not is treated as missing: nobody can tell who reads the file until it is re-keyed;
    /// `vault check` reports it).
    ///
    /// # Errors
    /// An unreadable file.
    pub fn read_recipients(&self, env: &str) -> Result<Option<Vec<String>>, StoreError> {
        let Some(summary) = self.read_summary(env)? else {
            return Ok(None);
        };
        match std::fs::read(self.env_path(env)) {
            // An unauthenticated file's summary says nothing either.
            Ok(bytes) => match self.verify_current(env, &bytes, &self.trust.carried) {
                Ok(crate::auth::Seal::Signed(stanza)) if !stanza.lists_recipients(&summary) => {
                    Ok(None)
                }
                Err(StoreError::Unauthenticated { .. } | StoreError::WrongEnvironment { .. }) => {
                    Ok(None)
                }
                Err(e) => Err(e),
                Ok(_) => Ok(Some(summary)),
            },
            Err(_) => Ok(Some(summary)),
        }
    }

    /// `secrets/<env>.recipients` as written, unverified.
    ///
    /// # Errors
    /// An unreadable file.
    pub fn read_summary(&self, env: &str) -> Result<Option<Vec<String>>, StoreError> {
        let path = self.recipients_path(env);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(recipients::parse(&text))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::Io {
                action: "read",
                path,
                source,
            }),
        }
    }

    /// Environments whose recipients summary still names `member`.
    #[must_use]
    pub fn envs_sealed_to_member(&self, member: &str) -> Vec<String> {
        self.config
            .env_names()
            .filter(|env| {
                std::fs::read_to_string(self.recipients_path(env))
                    .is_ok_and(|text| recipients::mentions(&text, member))
            })
            .map(str::to_owned)
            .collect()
    }

    /// Encrypts `payload` for `env` to the recipients `.vault.toml` gives it, recording
    /// those recipients and the environment inside the payload, and signs it with the
    /// environment's write key (a new one when `rotate`: a reader lost access). Returns the
    /// armored ciphertext and the recipients.
    ///
    /// # Errors
    /// No members, an unauthenticated payload, or encryption fails.
    pub fn seal(
        &self,
        env: &str,
        payload: &mut Payload,
        rotate: bool,
    ) -> Result<(Vec<u8>, Vec<crate::crypto::Recipient>), StoreError> {
        self.require_env(env)?;
        let recipients = self.config.recipients_for(env).unwrap_or_default();
        self.seal_to(env, payload, recipients, rotate)
    }

    /// Seals to `recipients` and signs. The write key and chain continue those of the
    /// version the payload was read from; a payload that was not read from an
    /// authenticated version (a new environment, an upgrade) starts a new chain.
    pub(crate) fn seal_to(
        &self,
        env: &str,
        payload: &mut Payload,
        recipients: Vec<crate::crypto::Recipient>,
        rotate: bool,
    ) -> Result<(Vec<u8>, Vec<crate::crypto::Recipient>), StoreError> {
        use crate::auth::{Chain, Unsigned, WriteKey};
        if recipients.is_empty() {
            return Err(StoreError::NoRecipients {
                env: env.to_owned(),
            });
        }
        let (mut key, mut chain, seq) = match (&payload.sealed_by, &payload.write_key) {
            (Some(stanza), Some(text)) => {
                let key = WriteKey::from_text(text.expose()).map_err(|reason| {
                    StoreError::Unauthenticated {
                        env: env.to_owned(),
                        path: self.relative(&self.env_path(env)).to_owned(),
                        reason,
                    }
                })?;
                (key, stanza.chain.clone(), stanza.seq.saturating_add(1))
            }
            // A new environment, or one `vault upgrade` is converting: a new chain.
            (None, None) if !payload.is_legacy() => {
                let key = WriteKey::generate();
                let chain = Chain::genesis(key.public());
                (key, chain, 1)
            }
            (None, None) => {
                return Err(StoreError::NeedsUpgrade {
                    env: env.to_owned(),
                    path: self.relative(&self.env_path(env)).to_owned(),
                });
            }
            // A write key without the version it came from: never continue it.
            _ => {
                return Err(StoreError::Unauthenticated {
                    env: env.to_owned(),
                    path: self.relative(&self.env_path(env)).to_owned(),
                    reason: crate::auth::AuthError::KeyMismatch,
                });
            }
        };
        if rotate && payload.sealed_by.is_some() {
            let next = WriteKey::generate();
            chain = chain.rotated(env, &key, &next);
            key = next;
        }
        payload.format = crate::payload::FORMAT_VERSION;
        payload.environment = env.to_owned();
        payload.write_key = Some(crate::secret::Secret::new(key.to_text().to_string()));
        payload.recipients = recipients
            .iter()
            .map(|r| r.canonical().to_owned())
            .collect();
        let unsigned = Unsigned {
            env: env.to_owned(),
            seq,
            chain,
            recipients: payload.recipients.clone(),
        };
        let plaintext = payload.to_toml();
        let ciphertext =
            crypto::encrypt_with_stanza(plaintext.as_bytes(), &recipients, |stanzas, body| {
                unsigned.sign(
                    &key,
                    crate::auth::Covered {
                        stanzas,
                        payload: body,
                    },
                )
            })
            .map_err(|source| StoreError::Seal {
                env: env.to_owned(),
                source,
            })?;
        Ok((ciphertext, recipients))
    }

    /// Writes `payload` for a routine change (`set`, `edit`, `import`, `rotate`, `pull`):
    /// re-encrypted only to keys that are both in `.vault.toml` and in the authenticated
    /// version it was read from, so a roster change never takes effect silently: a grant
    /// waits for `vault rekey` or `vault member add`, which show the plan, and a removal
    /// is refused until `vault rekey` applies it with must-rotate marks.
    ///
    /// # Errors
    /// [`StoreError::RemovalPending`], [`StoreError::NeedsUpgrade`], or as [`Vault::write`].
    pub fn write_sealed(&self, env: &str, payload: &mut Payload) -> Result<(), StoreError> {
        self.require_env(env)?;
        if payload.sealed_by.is_none() {
            return Err(StoreError::NeedsUpgrade {
                env: env.to_owned(),
                path: self.relative(&self.env_path(env)).to_owned(),
            });
        }
        let recipients = self.routine_recipients(env, payload)?;
        let (ciphertext, recipients) = self.seal_to(env, payload, recipients, false)?;
        self.store(env, &ciphertext, &recipients)
    }

    /// Converts `env`'s file from the unauthenticated format of earlier releases: the
    /// payload read (and checked against its summary) by [`Vault::decrypt`] is signed with
    /// a new write key, the first of its chain, and sealed to the same readers. Returns
    /// `false` when the file was already signed.
    ///
    /// # Errors
    /// As [`Vault::write_sealed`].
    pub fn upgrade(&self, env: &str, identities: &Identities) -> Result<bool, StoreError> {
        let mut payload = self.decrypt(env, identities)?;
        if !payload.is_legacy() {
            return Ok(false);
        }
        let recipients = self.routine_recipients(env, &payload)?;
        payload.upgraded_from = Some(crate::payload::value_digest(&payload.to_toml()));
        payload.format = crate::payload::FORMAT_VERSION;
        let (ciphertext, recipients) = self.seal_to(env, &mut payload, recipients, false)?;
        self.store(env, &ciphertext, &recipients)?;
        Ok(true)
    }

    /// The recipients of a routine write: the keys both in `.vault.toml` and in the version
    /// the payload was read from.
    pub(crate) fn routine_recipients(
        &self,
        env: &str,
        payload: &Payload,
    ) -> Result<Vec<crate::crypto::Recipient>, StoreError> {
        let roster = self.config.recipients_for(env).unwrap_or_default();
        let post_quantum = self.config.requires_pq(env);
        let sealed_post_quantum = payload
            .recipients
            .iter()
            .all(|r| r.starts_with(crate::pq::RECIPIENT_PREFIX));
        if !payload.recipients.is_empty() && sealed_post_quantum != post_quantum {
            return Err(StoreError::KindChangePending {
                env: env.to_owned(),
                post_quantum,
            });
        }
        let dropped: BTreeSet<String> = payload
            .recipients
            .iter()
            .filter(|r| !roster.iter().any(|k| k.canonical() == r.as_str()))
            .map(|r| {
                self.config
                    .owner_of(r)
                    .map_or_else(|| crate::members::short_key(r), str::to_owned)
            })
            .collect();
        if !dropped.is_empty() {
            return Err(StoreError::RemovalPending {
                env: env.to_owned(),
                who: dropped.into_iter().collect(),
            });
        }
        Ok(roster
            .into_iter()
            .filter(|k| payload.recipients.iter().any(|r| r == k.canonical()))
            .collect())
    }

    /// Encrypts `payload` to the recipients `.vault.toml` gives `env` and writes both the
    /// encrypted file and its recipients summary atomically.
    ///
    /// # Errors
    /// No members, or an I/O failure (the old files are then unchanged).
    pub fn write(&self, env: &str, payload: &mut Payload) -> Result<(), StoreError> {
        let (ciphertext, recipients) = self.seal(env, payload, false)?;
        self.store(env, &ciphertext, &recipients)
    }

    pub(crate) fn store(
        &self,
        env: &str,
        ciphertext: &[u8],
        recipients: &[crate::crypto::Recipient],
    ) -> Result<(), StoreError> {
        self.store_many(&[(env, ciphertext, recipients)])
    }

    /// Writes several sealed environments (from [`Vault::seal`]) and their recipients
    /// summaries, each file atomically and the flushes batched by phase: every ciphertext
    /// first, then every summary. The summary is only a readable view of the recipients
    /// signed into the ciphertext, so a crash between the two leaves a stale view that
    /// `vault check` reports and the next write replaces, never a file that verifies
    /// differently.
    ///
    /// # Errors
    /// An I/O failure. When it happens before any ciphertext is replaced, every file is
    /// unchanged; later, the state is one a crash could leave, and rewriting finishes it.
    pub fn store_many(
        &self,
        sealed: &[(&str, &[u8], &[crate::crypto::Recipient])],
    ) -> Result<(), StoreError> {
        if sealed.is_empty() {
            return Ok(());
        }
        let io = |path: PathBuf| {
            move |source| StoreError::Io {
                action: "write",
                path,
                source,
            }
        };
        let targets: Vec<PathBuf> = sealed
            .iter()
            .map(|(env, _, _)| self.env_path(env))
            .collect();
        let batch: Vec<(&Path, &[u8], u32)> = targets
            .iter()
            .zip(sealed)
            .map(|(p, (_, ciphertext, _))| (p.as_path(), *ciphertext, 0o644))
            .collect();
        atomic::write_many(&batch).map_err(io(targets[0].clone()))?;
        for path in &targets {
            faults::point("between-files", path);
        }
        let summaries: Vec<(PathBuf, String)> = sealed
            .iter()
            .map(|(env, _, recipients)| {
                (
                    self.recipients_path(env),
                    recipients::render(env, recipients, &self.config),
                )
            })
            .collect();
        let batch: Vec<(&Path, &[u8], u32)> = summaries
            .iter()
            .map(|(p, text)| (p.as_path(), text.as_bytes(), 0o644))
            .collect();
        atomic::write_many(&batch).map_err(io(summaries[0].0.clone()))?;
        // A writer trusts what it just signed: after a hand-over, this machine refuses a
        // competing one from whoever lost access.
        for (env, ciphertext, _) in sealed {
            if let Ok(crate::auth::Seal::Signed(stanza)) = crate::auth::inspect(env, ciphertext) {
                self.trust.remember(&self.root, &stanza);
            }
        }
        Ok(())
    }

    /// `<root>/secrets/.<env>.recipients.pending`: the summary of a write in progress.
    #[must_use]
    pub fn pending_recipients_path(&self, env: &str) -> PathBuf {
        self.secrets_dir()
            .join(format!(".{env}.recipients.pending"))
    }

    /// Loads `.secrets.example.toml` from the root, if there is one.
    ///
    /// # Errors
    /// An unreadable or invalid template.
    pub fn template(&self) -> Result<Option<crate::schema::Template>, StoreError> {
        let path = self.root.join(crate::schema::TEMPLATE_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => crate::schema::Template::parse(&text)
                .map(Some)
                .map_err(|source| StoreError::Template { path, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::Io {
                action: "read",
                path,
                source,
            }),
        }
    }

    /// Takes the writer lock. Hold it across read, change and write.
    ///
    /// # Errors
    /// [`StoreError::Lock`] on timeout.
    pub fn lock(&self) -> Result<Lock, StoreError> {
        let lock = lock::acquire(&self.secrets_dir(), LOCK_TIMEOUT).map_err(StoreError::Lock)?;
        // Whoever holds the lock is the only writer: temporary files here belong to writers
        // that died (a crash during `member remove` can leave one per file), and would make
        // the pre-commit hook block the commit that finishes the job.
        atomic::remove_stale_temps(&self.secrets_dir());
        atomic::remove_stale_temps(&self.root);
        Ok(lock)
    }

    /// Reads `env` under the lock, lets `change` modify it, and writes it back only if
    /// `change` reports that something changed — so no-op commands never churn git.
    ///
    /// # Errors
    /// Any read or write error, or the error `change` returns.
    pub fn update<T, E>(
        &self,
        env: &str,
        identities: &Identities,
        change: impl FnOnce(&mut Payload) -> Result<(T, bool), E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let _lock = self.lock()?;
        let mut payload = self.decrypt(env, identities)?;
        let (result, changed) = change(&mut payload)?;
        if changed {
            self.write_sealed(env, &mut payload)?;
        }
        Ok(result)
    }

    /// Creates a new vault at `root`: `.vault.toml`, `secrets/`, and an empty encrypted
    /// file per environment. Refuses if `.vault.toml` or any target file exists.
    ///
    /// # Errors
    /// [`StoreError::AlreadyInitialized`] or an I/O failure.
    pub fn create(root: &Path, config_text: &str, trust: Trust) -> Result<Self, StoreError> {
        let config_path = root.join(CONFIG_FILE);
        let config = Config::parse(config_text).map_err(|source| StoreError::Config {
            path: config_path.clone(),
            source,
        })?;
        let vault = Self {
            root: root.to_owned(),
            config,
            trust,
        };
        if config_path.exists() {
            return Err(StoreError::AlreadyInitialized { path: config_path });
        }
        for env in vault.config.env_names() {
            let path = vault.env_path(env);
            if path.exists() {
                return Err(StoreError::AlreadyInitialized { path });
            }
        }
        let dir = vault.secrets_dir();
        std::fs::create_dir_all(&dir).map_err(|source| StoreError::Io {
            action: "create",
            path: dir.clone(),
            source,
        })?;
        let envs: Vec<String> = vault.config.env_names().map(str::to_owned).collect();
        for env in &envs {
            vault.write(env, &mut Payload::new(env))?;
            // A new vault: whatever was pinned for this directory before is not its past.
            let bytes = vault.read_ciphertext(env)?;
            if let Ok(crate::auth::Seal::Signed(stanza)) = crate::auth::inspect(env, &bytes) {
                vault.trust.reset(&vault.root, env, Some(&stanza));
            }
        }
        // The roster goes last: until it exists, this is not a vault, so an interrupted
        // init can simply be re-run.
        atomic::create_new(&config_path, config_text.as_bytes(), 0o644).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                StoreError::AlreadyInitialized {
                    path: config_path.clone(),
                }
            } else {
                StoreError::Io {
                    action: "write",
                    path: config_path.clone(),
                    source,
                }
            }
        })?;
        Ok(vault)
    }
}
