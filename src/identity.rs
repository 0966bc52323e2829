//! Finding, loading and creating the user's own identities (private keys).
//!
//! Lookup order (first match wins for the explicit sources): `--identity FILE`,
//! `VAULT_IDENTITY` (the key text itself, for CI), `VAULT_IDENTITY_CMD` (a command that
//! prints it, see [`command`]), `VAULT_IDENTITY_FILE`; otherwise every
//! one of the default file, `~/.ssh/id_ed25519` and `~/.ssh/id_rsa` that exists is tried.
//! Passphrases are asked for through [`PassphrasePrompt`], which the CLI implements on
//! the terminal and which refuses when there is none, so nothing here ever blocks.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::crypto::{self, CryptoError};

pub mod command;

/// Asks the user for a passphrase. Returns `None` when nobody can be asked
/// (no terminal), which callers turn into an error naming `VAULT_IDENTITY`.
pub trait PassphrasePrompt: Send + Sync {
    /// Prompts with `description` and returns the passphrase, or `None`.
    fn passphrase(&self, description: &str) -> Option<SecretString>;

    /// Shows a message from an age plugin ("touch your YubiKey"). Silent by default.
    fn message(&self, _text: &str) {}
}

/// A prompt that never asks: for hooks and scripts.
#[derive(Debug, Clone, Copy)]
pub struct NoPrompt;

impl PassphrasePrompt for NoPrompt {
    fn passphrase(&self, _: &str) -> Option<SecretString> {
        None
    }
}

/// Where an identity came from; shown in errors so users know which file is meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `--identity FILE`.
    Flag(PathBuf),
    /// `VAULT_IDENTITY`.
    EnvKey,
    /// `VAULT_IDENTITY_CMD`.
    EnvCmd,
    /// `VAULT_IDENTITY_FILE`.
    EnvFile(PathBuf),
    /// `$XDG_CONFIG_HOME/vault/identity.txt`.
    Default(PathBuf),
    /// `~/.ssh/id_ed25519` or `~/.ssh/id_rsa`.
    Ssh(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(path) => write!(f, "--identity {}", path.display()),
            Source::EnvKey => f.write_str("$VAULT_IDENTITY"),
            Source::EnvCmd => f.write_str("$VAULT_IDENTITY_CMD"),
            Source::EnvFile(path) => write!(f, "$VAULT_IDENTITY_FILE ({})", path.display()),
            Source::Default(path) | Source::Ssh(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Errors finding or loading identities. None contains key material.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// No identity in any of the places searched.
    #[error("no identity found (looked for --identity, $VAULT_IDENTITY, $VAULT_IDENTITY_CMD, $VAULT_IDENTITY_FILE, {})", searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    NotFound {
        /// Files that were checked.
        searched: Vec<PathBuf>,
    },
    /// The identity file could not be read.
    #[error("cannot read the identity {source_}")]
    Unreadable {
        /// Which identity.
        source_: Source,
        /// The I/O error.
        #[source]
        error: std::io::Error,
    },
    /// The identity is not a key vault understands.
    #[error("the identity {source_} is not a valid key: {reason}")]
    Invalid {
        /// Which identity.
        source_: Source,
        /// Why.
        reason: String,
    },
    /// The identity file holds a plugin identity whose plugin is not installed.
    #[error("the identity {source_} needs `{binary}`, which is not installed (not found on $PATH)")]
    MissingPlugin {
        /// Which identity.
        source_: Source,
        /// The plugin binary.
        binary: String,
    },
    /// The identity file can be read or written by users other than its owner. Refused, as
    /// ssh refuses such a private key: anyone who can read it can decrypt every environment
    /// it opens, and using it quietly would hide that.
    #[error(
        "the identity {source_} is accessible to other users (mode {mode:04o}), so vault refuses to use it: anyone who can read it can decrypt your environments"
    )]
    TooOpen {
        /// Which identity.
        source_: Source,
        /// The file, for the `chmod` to run.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The identity needs a passphrase and there is no terminal to ask on.
    #[error(
        "the identity {source_} is protected by a passphrase and there is no terminal to ask for it"
    )]
    PassphraseUnavailable {
        /// Which identity.
        source_: Source,
    },
    /// The passphrase was wrong.
    #[error("wrong passphrase for the identity {source_}")]
    WrongPassphrase {
        /// Which identity.
        source_: Source,
    },
    /// `VAULT_IDENTITY_CMD` does not split into a program and its arguments.
    #[error("$VAULT_IDENTITY_CMD is not a command: {reason}")]
    CommandInvalid {
        /// Why.
        reason: &'static str,
    },
    /// `VAULT_IDENTITY_CMD`'s program could not be started.
    #[error("$VAULT_IDENTITY_CMD could not run `{program}`")]
    CommandNotStarted {
        /// The program (never its arguments).
        program: String,
        /// The OS error.
        #[source]
        error: std::io::Error,
    },
    /// `VAULT_IDENTITY_CMD`'s program failed.
    #[error("$VAULT_IDENTITY_CMD failed: `{program}` ended with {status}")]
    CommandFailed {
        /// The program (never its arguments).
        program: String,
        /// How it ended.
        status: String,
    },
    /// `VAULT_IDENTITY_CMD`'s program printed no usable identity.
    #[error("$VAULT_IDENTITY_CMD printed no identity: `{program}` {reason}")]
    CommandOutput {
        /// The program (never its arguments).
        program: String,
        /// Why.
        reason: &'static str,
    },
    /// `identity new` would overwrite an existing key.
    #[error("an identity already exists at {}", path.display())]
    AlreadyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// Writing a new identity failed.
    #[error("cannot write the identity to {}", path.display())]
    Write {
        /// The target path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        error: std::io::Error,
    },
}

/// The inputs of the lookup, gathered once by the caller.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// `--identity FILE`.
    pub flag: Option<PathBuf>,
    /// `VAULT_IDENTITY`, the key text itself.
    pub env_key: Option<Zeroizing<String>>,
    /// `VAULT_IDENTITY_CMD`, a command line that prints the identity.
    pub env_cmd: Option<String>,
    /// `VAULT_IDENTITY_FILE`.
    pub env_file: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME` or `~/.config`.
    pub config_dir: Option<PathBuf>,
    /// `$HOME`.
    pub home: Option<PathBuf>,
}

impl Lookup {
    /// Reads `VAULT_IDENTITY`, `VAULT_IDENTITY_CMD`, `VAULT_IDENTITY_FILE`,
    /// `XDG_CONFIG_HOME` and `HOME` from the process environment. Empty variables count as
    /// unset. Nothing is run here: the command runs when identities are loaded.
    #[must_use]
    pub fn from_process_env(flag: Option<PathBuf>) -> Self {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        let home = var("HOME").map(PathBuf::from);
        let config_dir = var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".config")));
        Self {
            flag,
            env_key: std::env::var("VAULT_IDENTITY")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(Zeroizing::new),
            env_cmd: std::env::var("VAULT_IDENTITY_CMD")
                .ok()
                .filter(|v| !v.trim().is_empty()),
            env_file: var("VAULT_IDENTITY_FILE").map(PathBuf::from),
            config_dir,
            home,
        }
    }

    /// Where `vault identity new` writes by default.
    #[must_use]
    pub fn default_file(&self) -> Option<PathBuf> {
        self.config_dir
            .as_ref()
            .map(|dir| dir.join("vault").join("identity.txt"))
    }

    fn ssh_files(&self) -> Vec<PathBuf> {
        self.home
            .as_ref()
            .map(|home| {
                ["id_ed25519", "id_rsa"]
                    .iter()
                    .map(|name| home.join(".ssh").join(name))
                    .collect()
            })
            .unwrap_or_default()
    }
}

struct Loaded {
    source: Source,
    identities: Vec<Box<dyn age::Identity + Send + Sync>>,
    public_keys: Vec<String>,
    /// `# vault-pin` comments of the identity text: a machine key carries the write keys
    /// it trusts (see [`crate::auth::Pin`]).
    pins: Vec<crate::auth::Pin>,
}

/// The identities available to this process, ready for decryption.
pub struct Identities {
    loaded: Vec<Loaded>,
    flat: Vec<Box<dyn age::Identity + Send + Sync>>,
    locked_out: Arc<Mutex<Vec<Source>>>,
}

impl fmt::Debug for Identities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.loaded.iter().map(|l| l.source.to_string()))
            .finish()
    }
}

impl Identities {
    /// Finds and loads identities in the documented order.
    ///
    /// # Errors
    /// [`IdentityError::NotFound`] when nothing exists, or the first source that fails.
    pub fn load(
        lookup: &Lookup,
        prompt: &Arc<dyn PassphrasePrompt>,
    ) -> Result<Self, IdentityError> {
        let locked_out = Arc::new(Mutex::new(Vec::new()));
        let explicit = if let Some(path) = &lookup.flag {
            Some(Source::Flag(path.clone()))
        } else if lookup.env_key.is_some() {
            Some(Source::EnvKey)
        } else if lookup.env_cmd.is_some() {
            Some(Source::EnvCmd)
        } else {
            lookup
                .env_file
                .as_ref()
                .map(|path| Source::EnvFile(path.clone()))
        };
        let mut loaded = Vec::new();
        if let Some(source) = explicit {
            let text = match &source {
                Source::EnvKey => Zeroizing::new(
                    lookup
                        .env_key
                        .as_ref()
                        .map(|k| k.as_bytes().to_vec())
                        .unwrap_or_default(),
                ),
                Source::EnvCmd => command::run(lookup.env_cmd.as_deref().unwrap_or_default())?,
                Source::Flag(path)
                | Source::EnvFile(path)
                | Source::Default(path)
                | Source::Ssh(path) => read(path, &source)?,
            };
            loaded.push(parse_identity(source, &text, prompt, &locked_out)?);
        } else {
            let mut searched = Vec::new();
            let candidates = lookup
                .default_file()
                .map(Source::Default)
                .into_iter()
                .chain(lookup.ssh_files().into_iter().map(Source::Ssh));
            for source in candidates {
                let (Source::Default(path) | Source::Ssh(path)) = &source else {
                    continue;
                };
                searched.push(path.clone());
                if !path.exists() {
                    continue;
                }
                let text = read(path, &source)?;
                loaded.push(parse_identity(source, &text, prompt, &locked_out)?);
            }
            if loaded.is_empty() {
                return Err(IdentityError::NotFound { searched });
            }
        }
        let flat = Vec::new();
        let mut this = Self {
            loaded,
            flat,
            locked_out,
        };
        this.flat = this
            .loaded
            .iter_mut()
            .flat_map(|l| std::mem::take(&mut l.identities))
            .collect();
        Ok(this)
    }

    /// Builds identities from key text directly (tests and tools).
    ///
    /// # Errors
    /// [`IdentityError::Invalid`] when the text holds no usable key.
    pub fn from_text(text: &str) -> Result<Self, IdentityError> {
        let prompt: Arc<dyn PassphrasePrompt> = Arc::new(NoPrompt);
        let lookup = Lookup {
            env_key: Some(Zeroizing::new(text.to_owned())),
            ..Lookup::default()
        };
        Self::load(&lookup, &prompt)
    }

    /// The age identities, for [`crypto::decrypt`].
    #[must_use]
    pub fn as_age(&self) -> &[Box<dyn age::Identity + Send + Sync>] {
        &self.flat
    }

    /// Where the identities came from.
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        self.loaded.iter().map(|l| &l.source)
    }

    /// The public keys of the loaded identities, where they are known (SSH keys need their
    /// `.pub` file beside them).
    #[must_use]
    pub fn public_keys(&self) -> Vec<String> {
        self.loaded
            .iter()
            .flat_map(|l| l.public_keys.iter().cloned())
            .collect()
    }

    /// The pins carried by the identities' `# vault-pin` comments.
    #[must_use]
    pub fn pins(&self) -> Vec<crate::auth::Pin> {
        self.loaded
            .iter()
            .flat_map(|l| l.pins.iter().cloned())
            .collect()
    }

    /// An identity that would have been tried but could not be unlocked for lack of a
    /// terminal; used to explain a failed decryption.
    #[must_use]
    pub fn locked_out(&self) -> Option<Source> {
        self.locked_out
            .lock()
            .ok()
            .and_then(|sources| sources.first().cloned())
    }
}

/// Reads an identity file, refusing one that users other than its owner can read or write
/// (any of the `0o077` bits, as ssh checks). Pipes and other non-regular files, such as
/// `--identity <(pass show vault-key)`, have no such bits to check and are read as they are.
fn read(path: &Path, source: &Source) -> Result<Zeroizing<Vec<u8>>, IdentityError> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let unreadable = |error| IdentityError::Unreadable {
        source_: source.clone(),
        error,
    };
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    // Checked on the open file, so a rename between the check and the read cannot swap it.
    let metadata = file.metadata().map_err(unreadable)?;
    let mode = metadata.permissions().mode() & 0o777;
    if metadata.is_file() && mode & 0o077 != 0 {
        return Err(IdentityError::TooOpen {
            source_: source.clone(),
            path: path.to_owned(),
            mode,
        });
    }
    // Sized up front so the buffer is not reallocated, which would leave an unzeroized
    // copy of the key behind.
    let capacity = usize::try_from(metadata.len())
        .unwrap_or(0)
        .saturating_add(1);
    let mut bytes = Zeroizing::new(Vec::with_capacity(capacity));
    file.read_to_end(&mut bytes).map_err(unreadable)?;
    Ok(bytes)
}

#[derive(Clone)]
struct PromptCallbacks {
    prompt: Arc<dyn PassphrasePrompt>,
    source: Source,
    locked_out: Arc<Mutex<Vec<Source>>>,
}

impl age::Callbacks for PromptCallbacks {
    fn display_message(&self, message: &str) {
        self.prompt.message(message);
    }

    fn confirm(&self, _: &str, _: &str, _: Option<&str>) -> Option<bool> {
        None
    }

    fn request_public_string(&self, _: &str) -> Option<String> {
        None
    }

    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        // age describes SSH keys by file name; plugins ask for a PIN in their own words.
        let answer = self.prompt.passphrase(&format!(
            "{} ({})",
            description.trim_end_matches(':'),
            self.source
        ));
        if answer.is_none()
            && let Ok(mut sources) = self.locked_out.lock()
        {
            sources.push(self.source.clone());
        }
        answer
    }
}

fn parse_identity(
    source: Source,
    bytes: &[u8],
    prompt: &Arc<dyn PassphrasePrompt>,
    locked_out: &Arc<Mutex<Vec<Source>>>,
) -> Result<Loaded, IdentityError> {
    let invalid = |reason: &str| IdentityError::Invalid {
        source_: source.clone(),
        reason: reason.to_owned(),
    };
    // A passphrase-protected age identity is itself an age file encrypted with scrypt.
    if crypto::is_armored(bytes) || bytes.starts_with(b"age-encryption.org/") {
        let Some(passphrase) = prompt.passphrase(&format!("Passphrase for {source}")) else {
            return Err(IdentityError::PassphraseUnavailable { source_: source });
        };
        let inner = match crypto::decrypt_with_passphrase(bytes, passphrase) {
            Ok(inner) => inner,
            Err(CryptoError::WrongPassphrase) => {
                return Err(IdentityError::WrongPassphrase { source_: source });
            }
            Err(e) => return Err(invalid(&e.to_string())),
        };
        return parse_identity(source, &inner, &(Arc::new(NoPrompt) as _), locked_out);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| invalid("the file is not text"))?;
    let (pins, bad_pins) = crate::auth::pins_in_identity(text);
    if let Some(bad) = bad_pins.first() {
        return Err(invalid(&format!("a `# vault-pin` line is invalid: {bad}")));
    }
    if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----")
        || text.contains("-----BEGIN RSA PRIVATE KEY-----")
    {
        let identity = age::ssh::Identity::from_buffer(text.as_bytes(), Some(source.to_string()))
            .map_err(|_| invalid("not a readable SSH private key"))?;
        if let age::ssh::Identity::Unsupported(_) = identity {
            return Err(invalid(
                "this SSH key type is not supported (use ed25519 or RSA)",
            ));
        }
        let public_keys = match &source {
            Source::Flag(path)
            | Source::EnvFile(path)
            | Source::Default(path)
            | Source::Ssh(path) => read_ssh_public(path),
            Source::EnvKey | Source::EnvCmd => Vec::new(),
        };
        let callbacks = PromptCallbacks {
            prompt: Arc::clone(prompt),
            source: source.clone(),
            locked_out: Arc::clone(locked_out),
        };
        return Ok(Loaded {
            source,
            identities: vec![Box::new(identity.with_callbacks(callbacks))],
            public_keys,
            pins,
        });
    }
    let mut identities: Vec<Box<dyn age::Identity + Send + Sync>> = Vec::new();
    let mut public_keys = Vec::new();
    let mut plugin_keys: Vec<age::plugin::Identity> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            // Plugin identities cannot derive their public key; their generators write it
            // in a comment (`# recipient: age1yubikey1…`, `#    Recipient: …`).
            if let Some((label, value)) = comment.split_once(':')
                && matches!(
                    label.trim().to_ascii_lowercase().as_str(),
                    "recipient" | "public key"
                )
                && let Ok(recipient) = value.trim().parse::<crypto::Recipient>()
                && recipient.plugin().is_some()
            {
                public_keys.push(recipient.canonical().to_owned());
            }
            continue;
        }
        if line.starts_with("AGE-PLUGIN-") {
            let key = age::plugin::Identity::from_str(line)
                .map_err(|_| invalid("not a valid age plugin identity (`AGE-PLUGIN-…`)"))?;
            plugin_keys.push(key);
            continue;
        }
        if line.starts_with(crate::pq::IDENTITY_PREFIX) {
            let key: crate::pq::Identity = line.parse().map_err(|_| {
                invalid("not a valid post-quantum identity (`AGE-SECRET-KEY-PQ-1…`)")
            })?;
            public_keys.push(key.to_public().to_string());
            identities.push(Box::new(key));
            continue;
        }
        let key = age::x25519::Identity::from_str(line).map_err(|_| {
            invalid(
                "expected `AGE-SECRET-KEY-1…`, `AGE-SECRET-KEY-PQ-1…` or `AGE-PLUGIN-…` lines, or an OpenSSH private key",
            )
        })?;
        public_keys.push(key.to_public().to_string());
        identities.push(Box::new(key));
    }
    let mut plugins: Vec<&str> = plugin_keys
        .iter()
        .map(age::plugin::Identity::plugin)
        .collect();
    plugins.sort_unstable();
    plugins.dedup();
    for name in plugins {
        let callbacks = PromptCallbacks {
            prompt: Arc::clone(prompt),
            source: source.clone(),
            locked_out: Arc::clone(locked_out),
        };
        let plugin =
            age::plugin::IdentityPluginV1::new(name, &plugin_keys, callbacks).map_err(|_| {
                IdentityError::MissingPlugin {
                    source_: source.clone(),
                    binary: format!("age-plugin-{name}"),
                }
            })?;
        identities.push(Box::new(plugin));
    }
    if identities.is_empty() {
        return Err(invalid("it contains no keys"));
    }
    Ok(Loaded {
        source,
        identities,
        public_keys,
        pins,
    })
}

fn read_ssh_public(private: &Path) -> Vec<String> {
    let mut path = private.as_os_str().to_owned();
    path.push(".pub");
    std::fs::read_to_string(PathBuf::from(path))
        .ok()
        .and_then(|text| text.lines().next().map(str::to_owned))
        .and_then(|line| line.parse::<crypto::Recipient>().ok())
        .map(|r| vec![r.canonical().to_owned()])
        .unwrap_or_default()
}

/// A freshly generated identity, in the `age-keygen` file format.
pub struct NewIdentity {
    /// The public key (`age1…`).
    pub public: String,
    /// The identity file's text, zeroized on drop.
    pub text: Zeroizing<String>,
}

/// Generates a new X25519 identity.
#[must_use]
pub fn generate(now: jiff::Timestamp) -> NewIdentity {
    let key = age::x25519::Identity::generate();
    let public = key.to_public().to_string();
    let text = Zeroizing::new(format!(
        "# created: {now}\n# public key: {public}\n{}\n",
        key.to_string().expose_secret()
    ));
    NewIdentity { public, text }
}

/// Generates a new hybrid post-quantum identity (ML-KEM-768 + X25519), in the format of
/// `age-keygen -pq` (age 1.3), so stock `age` reads it too.
#[must_use]
pub fn generate_post_quantum(now: jiff::Timestamp) -> NewIdentity {
    let key = crate::pq::Identity::generate();
    let public = key.to_public().to_string();
    let secret = key.to_text();
    let text = Zeroizing::new(format!(
        "# created: {now}\n# public key: {public}\n{}\n",
        secret.as_str()
    ));
    NewIdentity { public, text }
}

/// The bytes to store for a new identity: the text itself, or, with a passphrase, the text
/// encrypted with age's scrypt passphrase mode (readable by `age -d`).
///
/// # Errors
/// A [`CryptoError`] if encryption fails.
pub fn protect(
    identity: &NewIdentity,
    passphrase: Option<SecretString>,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    match passphrase {
        None => Ok(Zeroizing::new(identity.text.as_bytes().to_vec())),
        Some(passphrase) => crypto::encrypt_with_passphrase(identity.text.as_bytes(), passphrase)
            .map(Zeroizing::new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_identity_loads_from_text() {
        let new = generate(jiff::Timestamp::UNIX_EPOCH);
        let ids = Identities::from_text(&new.text).unwrap();
        assert_eq!(ids.public_keys(), std::slice::from_ref(&new.public));
        let ciphertext = crypto::encrypt(b"x", &[new.public.parse().unwrap()]).unwrap();
        assert_eq!(
            &crypto::decrypt(&ciphertext, ids.as_age()).unwrap()[..],
            b"x"
        );
    }

    #[test]
    fn post_quantum_identity_loads_from_text_with_its_public_key() {
        let new = generate_post_quantum(jiff::Timestamp::UNIX_EPOCH);
        assert!(new.public.starts_with(crate::pq::RECIPIENT_PREFIX));
        let ids = Identities::from_text(&new.text).unwrap();
        assert_eq!(ids.public_keys(), std::slice::from_ref(&new.public));
        // A damaged key line is refused without being echoed.
        let damaged = new
            .text
            .replace("AGE-SECRET-KEY-PQ-1", "AGE-SECRET-KEY-PQ-1Q");
        let err = Identities::from_text(&damaged).unwrap_err().to_string();
        assert!(err.contains("post-quantum identity"), "{err}");
        assert!(!err.contains("AGE-SECRET-KEY-PQ-1Q"), "{err}");
    }

    #[test]
    fn garbage_is_invalid_and_not_echoed() {
        let err = Identities::from_text("AGE-SECRET-KEY-NOTREALCANARY").unwrap_err();
        assert!(matches!(err, IdentityError::Invalid { .. }));
        assert!(!err.to_string().contains("CANARY"));
    }

    #[test]
    fn missing_everywhere_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let lookup = Lookup {
            home: Some(dir.path().to_owned()),
            config_dir: Some(dir.path().join(".config")),
            ..Lookup::default()
        };
        let err = Identities::load(&lookup, &(Arc::new(NoPrompt) as _)).unwrap_err();
        assert!(matches!(err, IdentityError::NotFound { ref searched } if searched.len() == 3));
    }

    #[test]
    fn identity_files_others_can_access_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.txt");
        let new = generate(jiff::Timestamp::UNIX_EPOCH);
        std::fs::write(&path, new.text.as_bytes()).unwrap();
        let lookup = Lookup {
            flag: Some(path.clone()),
            ..Lookup::default()
        };
        for mode in [0o644, 0o640, 0o604, 0o666, 0o620] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let err = Identities::load(&lookup, &(Arc::new(NoPrompt) as _)).unwrap_err();
            assert!(
                matches!(err, IdentityError::TooOpen { mode: m, .. } if m == mode),
                "{mode:o}: {err}"
            );
            assert!(err.to_string().contains(&format!("{mode:04o}")), "{err}");
        }
        for mode in [0o600, 0o400] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let ids = Identities::load(&lookup, &(Arc::new(NoPrompt) as _)).unwrap();
            assert_eq!(ids.public_keys(), std::slice::from_ref(&new.public));
        }
    }

    #[test]
    fn passphrase_identity_needs_a_prompt() {
        let new = generate(jiff::Timestamp::UNIX_EPOCH);
        let protected = protect(&new, Some(SecretString::from("pw".to_owned()))).unwrap();
        let text = String::from_utf8(protected.to_vec()).unwrap();
        let err = Identities::from_text(&text).unwrap_err();
        assert!(matches!(err, IdentityError::PassphraseUnavailable { .. }));
    }
}
