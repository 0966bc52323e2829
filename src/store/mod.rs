//! The vault on disk: finding its root, the file names, reading and writing environment
//! files, and the writer lock.
//!
//! Only this module knows where files live and how they are written. It checks every
//! decrypted payload against the environment it was asked for, so a file copied over
//! another environment's is refused rather than silently used.

pub mod atomic;
pub mod lock;
pub mod recipients;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{CONFIG_FILE, Config, ConfigError};
use crate::crypto::{self, CryptoError};
use crate::faults;
use crate::identity::{Identities, Source};
use crate::names;
use crate::payload::{Payload, PayloadError};

pub use lock::{Lock, LockError};

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

/// An opened vault: its root and its validated roster.
#[derive(Debug, Clone)]
pub struct Vault {
    root: PathBuf,
    config: Config,
}

impl Vault {
    /// Finds the vault containing `start` by walking up to the first `.vault.toml`.
    ///
    /// # Errors
    /// [`StoreError::NotAVault`] or an invalid roster.
    pub fn discover(start: &Path) -> Result<Self, StoreError> {
        let start = std::path::absolute(start).unwrap_or_else(|_| start.to_owned());
        let root = start
            .ancestors()
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
        let text = std::fs::read_to_string(&path).map_err(|source| StoreError::Io {
            action: "read",
            path: path.clone(),
            source,
        })?;
        let config = Config::parse(&text).map_err(|source| StoreError::Config { path, source })?;
        Ok(Self {
            root: root.to_owned(),
            config,
        })
    }

    /// The same vault with another roster, used to write files for a roster that is not
    /// on disk yet.
    #[must_use]
    pub fn with_config(&self, config: Config) -> Self {
        Self {
            root: self.root.clone(),
            config,
        }
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

    /// Decrypts ciphertext that claims to be `env` (from disk or from a git blob).
    ///
    /// # Errors
    /// As [`Vault::decrypt`].
    pub fn decrypt_bytes(
        &self,
        env: &str,
        ciphertext: &[u8],
        identities: &Identities,
    ) -> Result<Payload, StoreError> {
        let payload = self.open_sealed(env, ciphertext, identities)?;
        if let Some(summary) = self.read_recipients(env)? {
            let sealed: BTreeSet<&str> = payload.recipients.iter().map(String::as_str).collect();
            let listed: BTreeSet<&str> = summary.iter().map(String::as_str).collect();
            let interrupted = std::fs::read_to_string(self.pending_recipients_path(env))
                .map(|text| recipients::parse(&text))
                .is_ok_and(|pending| {
                    pending.iter().map(String::as_str).collect::<BTreeSet<_>>() == sealed
                });
            if sealed != listed && !interrupted {
                return Err(StoreError::RecipientsTampered {
                    path: self.relative(&self.env_path(env)).to_owned(),
                    summary: self.relative(&self.recipients_path(env)).to_owned(),
                });
            }
        }
        Ok(payload)
    }

    /// Decrypts ciphertext of `env` and checks the environment binding, but not the
    /// current recipients summary: for versions from git history and merge inputs, which
    /// were sealed to the recipients of their own time.
    ///
    /// # Errors
    /// As [`Vault::decrypt`], except for tampering.
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

    /// The canonical recipients recorded in `secrets/<env>.recipients`, if the file exists.
    ///
    /// # Errors
    /// An unreadable file.
    pub fn read_recipients(&self, env: &str) -> Result<Option<Vec<String>>, StoreError> {
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
    /// those recipients and the environment inside the payload. Returns the armored
    /// ciphertext and the recipients.
    ///
    /// # Errors
    /// No members, or encryption fails.
    pub fn seal(
        &self,
        env: &str,
        payload: &mut Payload,
    ) -> Result<(Vec<u8>, Vec<crate::crypto::Recipient>), StoreError> {
        self.require_env(env)?;
        let recipients = self.config.recipients_for(env).unwrap_or_default();
        self.seal_to(env, payload, recipients)
    }

    fn seal_to(
        &self,
        env: &str,
        payload: &mut Payload,
        recipients: Vec<crate::crypto::Recipient>,
    ) -> Result<(Vec<u8>, Vec<crate::crypto::Recipient>), StoreError> {
        if recipients.is_empty() {
            return Err(StoreError::NoRecipients {
                env: env.to_owned(),
            });
        }
        payload.environment = env.to_owned();
        payload.recipients = recipients
            .iter()
            .map(|r| r.canonical().to_owned())
            .collect();
        let plaintext = payload.to_toml();
        let ciphertext = crypto::encrypt(plaintext.as_bytes(), &recipients).map_err(|source| {
            StoreError::Seal {
                env: env.to_owned(),
                source,
            }
        })?;
        Ok((ciphertext, recipients))
    }

    /// Writes `payload` re-encrypted to the recipients it is already sealed to, so routine
    /// edits never change who can read a file: a roster change takes effect only through
    /// `vault rekey` or `vault member`, which show the plan first. A payload without a
    /// sealed list (never written by vault) falls back to the roster.
    ///
    /// # Errors
    /// As [`Vault::write`].
    pub fn write_sealed(&self, env: &str, payload: &mut Payload) -> Result<(), StoreError> {
        self.require_env(env)?;
        let sealed: Vec<crate::crypto::Recipient> = payload
            .recipients
            .iter()
            .filter_map(|r| r.parse().ok())
            .collect();
        let recipients = if sealed.is_empty() || sealed.len() != payload.recipients.len() {
            self.config.recipients_for(env).unwrap_or_default()
        } else {
            sealed
        };
        let (ciphertext, recipients) = self.seal_to(env, payload, recipients)?;
        self.store(env, &ciphertext, &recipients)
    }

    /// Encrypts `payload` to the recipients `.vault.toml` gives `env` and writes both the
    /// encrypted file and its recipients summary atomically.
    ///
    /// # Errors
    /// No members, or an I/O failure (the old files are then unchanged).
    pub fn write(&self, env: &str, payload: &mut Payload) -> Result<(), StoreError> {
        let (ciphertext, recipients) = self.seal(env, payload)?;
        self.store(env, &ciphertext, &recipients)
    }

    fn store(
        &self,
        env: &str,
        ciphertext: &[u8],
        recipients: &[crate::crypto::Recipient],
    ) -> Result<(), StoreError> {
        self.store_many(&[(env, ciphertext, recipients)])
    }

    /// Writes several sealed environments (from [`Vault::seal`]) and their recipients
    /// summaries, each file atomically and the flushes batched by phase.
    ///
    /// Each environment goes through the same three steps as a single write, and every
    /// environment finishes a step before any starts the next: the new summary is staged as
    /// a pending file; the ciphertext replaces the old; the pending summary replaces the
    /// old summary. A crash between the last two leaves a record of what the new ciphertext
    /// was sealed to; decrypt accepts it instead of reporting tampering, and the next write
    /// completes the rename.
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
        let summaries: Vec<String> = sealed
            .iter()
            .map(|(env, _, recipients)| recipients::render(env, recipients, &self.config))
            .collect();
        let pending: Vec<PathBuf> = sealed
            .iter()
            .map(|(env, _, _)| self.pending_recipients_path(env))
            .collect();
        let targets: Vec<PathBuf> = sealed
            .iter()
            .map(|(env, _, _)| self.env_path(env))
            .collect();
        let batch: Vec<(&Path, &[u8], u32)> = pending
            .iter()
            .zip(&summaries)
            .map(|(p, s)| (p.as_path(), s.as_bytes(), 0o644))
            .collect();
        atomic::write_many(&batch).map_err(io(pending[0].clone()))?;
        let batch: Vec<(&Path, &[u8], u32)> = targets
            .iter()
            .zip(sealed)
            .map(|(p, (_, ciphertext, _))| (p.as_path(), *ciphertext, 0o644))
            .collect();
        if let Err(source) = atomic::write_many(&batch) {
            // Staged summaries whose ciphertext was not replaced must not linger: they would
            // vouch for recipients the file was never sealed to.
            for ((pending, target), (_, ciphertext, _)) in pending.iter().zip(&targets).zip(sealed)
            {
                if std::fs::read(target).ok().as_deref() != Some(*ciphertext) {
                    let _ = std::fs::remove_file(pending);
                }
            }
            return Err(io(targets[0].clone())(source));
        }
        for path in &targets {
            faults::point("between-files", path);
        }
        let summaries: Vec<PathBuf> = sealed
            .iter()
            .map(|(env, _, _)| self.recipients_path(env))
            .collect();
        let renames: Vec<(&Path, &Path)> = pending
            .iter()
            .zip(&summaries)
            .map(|(from, to)| (from.as_path(), to.as_path()))
            .collect();
        atomic::rename_many(&renames).map_err(io(summaries[0].clone()))?;
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
        lock::acquire(&self.secrets_dir(), LOCK_TIMEOUT).map_err(StoreError::Lock)
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
    pub fn create(root: &Path, config_text: &str) -> Result<Self, StoreError> {
        let config_path = root.join(CONFIG_FILE);
        let config = Config::parse(config_text).map_err(|source| StoreError::Config {
            path: config_path.clone(),
            source,
        })?;
        let vault = Self {
            root: root.to_owned(),
            config,
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
