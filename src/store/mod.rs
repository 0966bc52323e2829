//! The vault on disk: finding its root, the file names, reading and writing environment
//! files, and the writer lock.
//!
//! Only this module knows where files live and how they are written. It checks every
//! decrypted payload against the environment it was asked for, so a file copied over
//! another environment's is refused rather than silently used.

mod accept;
pub mod atomic;
mod error;
pub mod lock;
mod merged;
pub mod pins;
pub mod provenance;
pub mod recipients;
pub mod textconv;
pub mod verify;
mod write;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::config::{CONFIG_FILE, Config, ConfigError};
use crate::crypto::{self, CryptoError};
use crate::faults;
use crate::git;
use crate::identity::{Identities, Source};
use crate::names;
use crate::payload::{Payload, PayloadError};

pub use accept::AcceptPlan;
pub use error::StoreError;
pub use lock::{Lock, LockError};
pub use merged::Merged;
pub use pins::PinStore;
pub use verify::Trust;

/// The directory holding the encrypted environment files.
pub const SECRETS_DIR: &str = "secrets";

/// How long a writer waits for another before giving up.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// An opened vault: its root, its validated roster, and what its reads are verified
/// against.
#[derive(Debug, Clone)]
pub struct Vault {
    root: PathBuf,
    config: Config,
    trust: Trust,
    /// The git repository the vault lives in, opened the first time a command needs it
    /// and then shared by every copy of this vault (`None`: not in a repository).
    repo: Arc<OnceLock<Option<git::Repo>>>,
}

impl Vault {
    /// Finds the vault containing `start` by walking up to the first `.vault.toml`.
    ///
    /// # Errors
    /// [`StoreError::NotAVault`] or an invalid roster.
    pub fn discover(start: &Path) -> Result<Self, StoreError> {
        Self::discover_in(start, git::Repo::discover(start).ok())
    }

    /// [`Vault::discover`] with the repository containing `start` already opened (`None`:
    /// not in one), so a command opens it once.
    ///
    /// # Errors
    /// [`StoreError::NotAVault`] or an invalid roster.
    pub fn discover_in(start: &Path, repo: Option<git::Repo>) -> Result<Self, StoreError> {
        let start = std::path::absolute(start).unwrap_or_else(|_| start.to_owned());
        // Like git with `.git`, but never above the repository: a `.vault.toml` in a parent
        // of the work tree (another project, a shared directory) is not this repository's,
        // and writing to it would seal secrets to whoever it lists.
        let top = repo
            .as_ref()
            .and_then(git::Repo::work_tree)
            .map(|top| std::path::absolute(&top).unwrap_or(top));
        let root = start
            .ancestors()
            .take_while(|dir| top.as_ref().is_none_or(|top| dir.starts_with(top)))
            .find(|dir| dir.join(CONFIG_FILE).is_file())
            .ok_or_else(|| StoreError::NotAVault {
                start: start.clone(),
            })?;
        let vault = Self::open(root)?;
        // The root is inside the work tree `start` is in, so this is its repository too.
        let _ = vault.repo.set(repo);
        Ok(vault)
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
            repo: Arc::default(),
        })
    }

    /// The git repository the vault is in, opened once per vault (`None` outside one).
    #[must_use]
    pub fn git(&self) -> Option<&git::Repo> {
        self.repo
            .get_or_init(|| git::Repo::discover(&self.root).ok())
            .as_ref()
    }

    /// The file's path relative to the work tree, with `/` separators (the vault may live
    /// in a subdirectory); `None` outside a repository.
    #[must_use]
    pub fn repo_path(&self, env: &str) -> Option<String> {
        self.git()?.repo_path(&self.env_path(env))
    }

    /// Whether history is incomplete: a shallow clone, or no repository at all.
    #[must_use]
    pub fn shallow(&self) -> bool {
        self.git().is_none_or(git::Repo::is_shallow)
    }

    /// The same vault with another roster, used to write files for a roster that is not
    /// on disk yet.
    #[must_use]
    pub fn with_config(&self, config: Config) -> Self {
        Self {
            root: self.root.clone(),
            config,
            trust: self.trust.clone(),
            repo: Arc::clone(&self.repo),
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
            repo: Arc::default(),
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
