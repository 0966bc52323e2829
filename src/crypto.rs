//! age encryption and decryption over bytes, and parsing of recipient strings.
//!
//! This module never touches the filesystem, the environment or the terminal: it
//! takes bytes plus recipients or identities and gives bytes back. Every encrypted
//! file vault writes is ASCII-armored age, readable by stock `age -d` / `rage -d`.

use std::fmt;
use std::io::{Read, Write};
use std::str::FromStr;

use age::armor::{ArmoredReader, ArmoredWriter, Format};
use base64::Engine;
use zeroize::Zeroizing;

/// The first line of every armored age file.
pub const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";

/// Errors from encrypting or decrypting.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The input is not ASCII-armored age.
    #[error("not an ASCII-armored age file")]
    NotArmored,
    /// The armor or header is damaged or cut short.
    #[error("the age file is damaged or truncated ({reason})")]
    Malformed {
        /// What the parser reported (never contains plaintext).
        reason: String,
    },
    /// The header parsed, but the payload failed authentication.
    #[error("the age file failed authentication: it was altered or truncated")]
    Corrupted,
    /// None of the identities can open the file.
    #[error("none of the available identities can decrypt this file")]
    NoMatchingKey,
    /// An SSH identity's passphrase was wrong.
    #[error("an identity could not be unlocked: wrong passphrase")]
    WrongPassphrase,
    /// The file uses an age format version this build does not know.
    #[error("the file uses an unknown age format version")]
    UnknownFormat,
    /// The file is passphrase-encrypted (scrypt) rather than encrypted to recipients.
    #[error("the file is encrypted with a passphrase, not to recipients")]
    PassphraseFile,
    /// Encryption needs at least one recipient.
    #[error("no recipients to encrypt to")]
    NoRecipients,
    /// age refused to encrypt (for example incompatible recipient types).
    #[error("encryption failed")]
    Encrypt(#[source] age::EncryptError),
    /// A recipient or identity needs an age plugin that is not on `$PATH`.
    #[error("`{binary}` is not installed (not found on $PATH)")]
    MissingPlugin {
        /// The plugin's binary, e.g. `age-plugin-yubikey`.
        binary: String,
    },
    /// Post-quantum and classic recipients in one file: the classic stanza would let a
    /// future quantum computer read what the post-quantum one protects, so age refuses.
    #[error("post-quantum (`age1pq1…`) and classic keys cannot be mixed in one file")]
    MixedPostQuantum,
    /// An age plugin ran and reported a failure.
    #[error("the age plugin failed: {message}")]
    Plugin {
        /// The plugin's own messages (they describe devices and keys, never plaintext).
        message: String,
    },
}

/// Callbacks for plugins run while encrypting. Encrypting to a hardware key needs no
/// interaction (only its public key is used), and this module may not prompt, so every
/// request is declined; a plugin that insists fails with its own message.
#[derive(Clone, Copy)]
struct NoInteraction;

impl age::Callbacks for NoInteraction {
    fn display_message(&self, _: &str) {}
    fn confirm(&self, _: &str, _: &str, _: Option<&str>) -> Option<bool> {
        None
    }
    fn request_public_string(&self, _: &str) -> Option<String> {
        None
    }
    fn request_passphrase(&self, _: &str) -> Option<age::secrecy::SecretString> {
        None
    }
}

/// A public key a file can be encrypted to: age X25519 (`age1…`), age's hybrid post-quantum
/// (`age1pq1…`), SSH (`ssh-ed25519 …`, `ssh-rsa …`), or an age plugin's (`age1yubikey1…`,
/// `age1tpm1…`).
pub struct Recipient {
    canonical: String,
    inner: Kind,
}

enum Kind {
    Native(Box<dyn age::Recipient + Send + Sync>),
    /// Encrypted to by running `age-plugin-<name>`. The binary is looked up only when
    /// encrypting, so a roster naming someone's YubiKey works on machines without the
    /// plugin until they re-encrypt.
    Plugin(age::plugin::Recipient),
}

/// Why a recipient string was rejected. The string itself is public, so it may be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a valid recipient: {reason}")]
pub struct InvalidRecipient {
    /// The rejected text, truncated for display.
    pub text: String,
    /// Why it was rejected.
    pub reason: &'static str,
}

impl Recipient {
    /// The normalised form: `age1…`, or `ssh-<type> <base64>` without the comment.
    /// Two recipient strings denote the same key exactly when their canonical forms match.
    #[must_use]
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// Whether this is a post-quantum key (`age1pq1…`). A file is sealed either to
    /// post-quantum keys only or to classic keys only.
    #[must_use]
    pub fn is_post_quantum(&self) -> bool {
        self.canonical.starts_with(crate::pq::RECIPIENT_PREFIX)
    }

    /// The age plugin this recipient needs, if any (`yubikey` for `age1yubikey1…`).
    #[must_use]
    pub fn plugin(&self) -> Option<&str> {
        match &self.inner {
            Kind::Native(_) => None,
            Kind::Plugin(r) => Some(r.plugin()),
        }
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Recipient").field(&self.canonical).finish()
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

impl FromStr for Recipient {
    type Err = InvalidRecipient;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let invalid = |reason| InvalidRecipient {
            text: shorten(trimmed),
            reason,
        };
        // Before the plugin form, and in any case: `age1pq1…` (or `AGE1PQ1…`, which the
        // plugin parser would lower-case) would otherwise read as the key of a plugin called
        // `pq`, and encrypting to it would run `age-plugin-pq` from $PATH.
        if trimmed
            .get(..crate::pq::RECIPIENT_PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(crate::pq::RECIPIENT_PREFIX))
        {
            return match trimmed.parse::<crate::pq::Recipient>() {
                Ok(key) => Ok(Self {
                    canonical: key.to_string(),
                    inner: Kind::Native(Box::new(key)),
                }),
                Err(e) => Err(InvalidRecipient {
                    text: shorten(trimmed),
                    reason: match e {
                        crate::pq::ParseError::Key => {
                            "not a valid post-quantum public key (the key itself is damaged)"
                        }
                        _ => {
                            "not a valid post-quantum public key (`age1pq1…`; a typo or truncated copy?)"
                        }
                    },
                }),
            };
        }
        if trimmed.starts_with("age1") {
            if let Ok(key) = age::x25519::Recipient::from_str(trimmed) {
                return Ok(Self {
                    canonical: key.to_string(),
                    inner: Kind::Native(Box::new(key)),
                });
            }
            // `age1<plugin>1…`: Bech32 with the plugin's name in the prefix.
            let lower = trimmed.to_ascii_lowercase();
            return match age::plugin::Recipient::from_str(&lower) {
                // age's own post-quantum type, never a plugin (see above).
                Ok(key) if key.plugin() == "pq" => Err(invalid(
                    "not a valid post-quantum public key (`age1pq1…`; a typo or truncated copy?)",
                )),
                Ok(key) => Ok(Self {
                    canonical: lower,
                    inner: Kind::Plugin(key),
                }),
                _ => Err(invalid(
                    "not a valid age public key (`age1…`) or plugin recipient (`age1yubikey1…`)",
                )),
            };
        }
        if trimmed.starts_with("ssh-") {
            return match age::ssh::Recipient::from_str(trimmed) {
                Ok(key) => Ok(Self {
                    canonical: key.to_string(),
                    inner: Kind::Native(Box::new(key)),
                }),
                Err(age::ssh::ParseRecipientKeyError::RsaModulusTooLarge) => {
                    Err(invalid("the ssh-rsa key is larger than 4096 bits"))
                }
                Err(age::ssh::ParseRecipientKeyError::RsaModulusTooSmall) => {
                    Err(invalid("the ssh-rsa key is weaker than 2048 bits"))
                }
                Err(age::ssh::ParseRecipientKeyError::Unsupported(_)) => Err(invalid(
                    "this SSH key type is not supported (use ssh-ed25519 or ssh-rsa)",
                )),
                Err(_) => Err(invalid("not a valid SSH public key")),
            };
        }
        if trimmed.starts_with("AGE-SECRET-KEY-") || trimmed.starts_with("age-secret-key-") {
            return Err(InvalidRecipient {
                text: "AGE-SECRET-KEY-…".to_owned(),
                reason: "this is a private key; use its public key (`vault identity show`)",
            });
        }
        Err(invalid(
            "expected an age public key (`age1…`) or an SSH public key (`ssh-ed25519 …`, `ssh-rsa …`)",
        ))
    }
}

fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}…")
    }
}

/// Whether `bytes` looks like ASCII-armored age (leading whitespace allowed).
#[must_use]
pub fn is_armored(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes[start..].starts_with(ARMOR_BEGIN.as_bytes())
}

/// Encrypts `plaintext` to every recipient and returns ASCII-armored age.
///
/// age draws a fresh file key for every call, so re-encrypting never reuses a key.
///
/// # Errors
/// [`CryptoError::NoRecipients`] for an empty list, [`CryptoError::Encrypt`] if age refuses.
pub fn encrypt(plaintext: &[u8], recipients: &[Recipient]) -> Result<Vec<u8>, CryptoError> {
    armor(&encrypt_binary(plaintext, recipients, None)?)
}

fn encrypt_binary(
    plaintext: &[u8],
    recipients: &[Recipient],
    capture: Option<&CaptureFileKey>,
) -> Result<Vec<u8>, CryptoError> {
    if recipients.is_empty() {
        return Err(CryptoError::NoRecipients);
    }
    let post_quantum = recipients[0].is_post_quantum();
    if recipients
        .iter()
        .any(|r| r.is_post_quantum() != post_quantum)
    {
        return Err(CryptoError::MixedPostQuantum);
    }
    if let Some(capture) = capture {
        capture.post_quantum.set(post_quantum);
    }
    let mut plugins: Vec<Box<dyn age::Recipient>> = Vec::new();
    let mut names: Vec<&str> = recipients.iter().filter_map(Recipient::plugin).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let keys: Vec<age::plugin::Recipient> = recipients
            .iter()
            .filter_map(|r| match &r.inner {
                Kind::Plugin(key) if key.plugin() == name => Some(key.clone()),
                _ => None,
            })
            .collect();
        let plugin =
            age::plugin::RecipientPluginV1::new(name, &keys, &[], NoInteraction).map_err(|_| {
                CryptoError::MissingPlugin {
                    binary: format!("age-plugin-{name}"),
                }
            })?;
        plugins.push(Box::new(plugin));
    }
    let native = recipients.iter().filter_map(|r| match &r.inner {
        Kind::Native(key) => Some(key.as_ref() as &dyn age::Recipient),
        Kind::Plugin(_) => None,
    });
    let encryptor = age::Encryptor::with_recipients(
        native
            .chain(plugins.iter().map(AsRef::as_ref))
            .chain(capture.map(|c| c as &dyn age::Recipient)),
    )
    .map_err(|e| match e {
        age::EncryptError::Plugin(errors) => CryptoError::Plugin {
            message: plugin_messages(&errors),
        },
        e => CryptoError::Encrypt(e),
    })?;
    let io = |e: std::io::Error| CryptoError::Encrypt(age::EncryptError::Io(e));
    let mut writer = encryptor
        .wrap_output(Vec::with_capacity(plaintext.len() + 512))
        .map_err(io)?;
    writer.write_all(plaintext).map_err(io)?;
    writer.finish().map_err(io)
}

/// Encrypts like [`encrypt`], then adds one stanza of the caller's to the header: `make`
/// sees the other stanzas and the encrypted payload exactly as written (so it can sign
/// them) and returns the stanza's tag, arguments and body. The header MAC is recomputed
/// with the file key, so stock `age` still opens the file and skips the extra stanza.
///
/// # Errors
/// As [`encrypt`].
pub fn encrypt_with_stanza(
    plaintext: &[u8],
    recipients: &[Recipient],
    make: impl FnOnce(&[u8], &[u8]) -> (String, Vec<String>, Vec<u8>),
) -> Result<Vec<u8>, CryptoError> {
    let capture = CaptureFileKey::default();
    let binary = encrypt_binary(plaintext, recipients, Some(&capture))?;
    let file_key = capture.key.into_inner().ok_or(CryptoError::Malformed {
        reason: "the file key was not captured".to_owned(),
    })?;
    let parts = split_binary(&binary)?;
    let (tag, args, body) = make(parts.stanzas, parts.payload);
    let mut header = Vec::with_capacity(binary.len() + body.len() * 2 + 128);
    header.extend_from_slice(V1_LINE);
    header.extend_from_slice(parts.stanzas);
    write_stanza(&mut header, &tag, &args, &body);
    header.extend_from_slice(b"---");
    let mac_key = hkdf_sha256(&[], b"header", file_key.as_ref());
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(mac_key.as_ref())
        .expect("HMAC takes any key length");
    hmac::Mac::update(&mut mac, &header);
    let tag_bytes = hmac::Mac::finalize(mac).into_bytes();
    header.push(b' ');
    header.extend_from_slice(
        base64::engine::general_purpose::STANDARD_NO_PAD
            .encode(tag_bytes)
            .as_bytes(),
    );
    header.push(b'\n');
    header.extend_from_slice(parts.payload);
    armor(&header)
}

const V1_LINE: &[u8] = b"age-encryption.org/v1\n";

/// An age recipient that wraps nothing and remembers the file key, so the header can be
/// re-authenticated after vault's stanza is added. Never leaves this module. It carries the
/// same labels as the real recipients (age only combines recipients whose labels agree).
#[derive(Default)]
struct CaptureFileKey {
    key: std::cell::RefCell<Option<Zeroizing<[u8; 16]>>>,
    post_quantum: std::cell::Cell<bool>,
}

impl age::Recipient for CaptureFileKey {
    fn wrap_file_key(
        &self,
        file_key: &age_core::format::FileKey,
    ) -> Result<
        (
            Vec<age_core::format::Stanza>,
            std::collections::HashSet<String>,
        ),
        age::EncryptError,
    > {
        use age::secrecy::ExposeSecret;
        *self.key.borrow_mut() = Some(Zeroizing::new(*file_key.expose_secret()));
        let mut labels = std::collections::HashSet::new();
        if self.post_quantum.get() {
            labels.insert(crate::pq::LABEL.to_owned());
        }
        Ok((Vec::new(), labels))
    }
}

fn hkdf_sha256(salt: &[u8], label: &[u8], ikm: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut okm = Zeroizing::new([0u8; 32]);
    hkdf::Hkdf::<sha2::Sha256>::new(Some(salt), ikm)
        .expand(label, okm.as_mut())
        .expect("32 bytes is a valid HKDF-SHA256 length");
    okm
}

fn write_stanza(out: &mut Vec<u8>, tag: &str, args: &[String], body: &[u8]) {
    out.extend_from_slice(b"-> ");
    out.extend_from_slice(tag.as_bytes());
    for arg in args {
        out.push(b' ');
        out.extend_from_slice(arg.as_bytes());
    }
    out.push(b'\n');
    let encoded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(body);
    let mut rest = encoded.as_str();
    while rest.len() >= 64 {
        let (line, tail) = rest.split_at(64);
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
        rest = tail;
    }
    // age requires the last body line to be short, empty if need be.
    out.extend_from_slice(rest.as_bytes());
    out.push(b'\n');
}

fn armor(binary: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let io = |e: std::io::Error| CryptoError::Encrypt(age::EncryptError::Io(e));
    let mut writer = ArmoredWriter::wrap_output(
        Vec::with_capacity(binary.len() * 4 / 3 + 128),
        Format::AsciiArmor,
    )
    .map_err(io)?;
    writer.write_all(binary).map_err(io)?;
    writer.finish().map_err(io)
}

/// One stanza of an age header, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawStanza<'a> {
    /// The stanza's tag (`X25519`, `ssh-ed25519`, `vault-auth`, …).
    pub tag: &'a str,
    /// Its arguments, joined by single spaces.
    pub args: &'a str,
    /// Its base64 body lines, joined.
    pub body: &'a [u8],
    /// The stanza's bytes in the header.
    pub range: (usize, usize),
}

/// The parts of a binary age file, found without any key.
#[derive(Debug)]
pub struct Parts<'a> {
    /// The header's stanzas, exactly as written.
    pub stanzas: &'a [u8],
    /// The encrypted payload: nonce and STREAM chunks.
    pub payload: &'a [u8],
}

/// Splits a binary (de-armored) age v1 file into its stanza block and payload.
///
/// # Errors
/// [`CryptoError::Malformed`] when the header is not age v1.
pub fn split_binary(binary: &[u8]) -> Result<Parts<'_>, CryptoError> {
    let malformed = |reason: &str| CryptoError::Malformed {
        reason: reason.to_owned(),
    };
    let rest = binary
        .strip_prefix(V1_LINE)
        .ok_or_else(|| malformed("not an age v1 header"))?;
    // Stanza lines start with "-> " or are base64; the MAC line is the first starting "---".
    let mut offset = 0;
    loop {
        let line_end = rest[offset..]
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| malformed("the header has no MAC line"))?;
        let line = &rest[offset..offset + line_end];
        if line.starts_with(b"---") {
            let payload = &rest[offset + line_end + 1..];
            return Ok(Parts {
                stanzas: &rest[..offset],
                payload,
            });
        }
        offset += line_end + 1;
    }
}

/// The stanzas of a stanza block from [`split_binary`].
///
/// # Errors
/// [`CryptoError::Malformed`] for a line that is neither a stanza start nor body.
pub fn stanzas(block: &[u8]) -> Result<Vec<RawStanza<'_>>, CryptoError> {
    let malformed = |reason: &str| CryptoError::Malformed {
        reason: reason.to_owned(),
    };
    let text = std::str::from_utf8(block).map_err(|_| malformed("the header is not text"))?;
    let mut out: Vec<RawStanza<'_>> = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = &text[start..line_end];
        let Some(head) = line.strip_prefix("-> ") else {
            return Err(malformed("a stanza does not start with `->`"));
        };
        let (tag, args) = head.split_once(' ').unwrap_or((head, ""));
        // The body: lines until (and including) the first shorter than 64 characters.
        let body_start = (line_end + 1).min(text.len());
        let mut end = body_start;
        loop {
            if end >= text.len() {
                return Err(malformed("a stanza body is cut short"));
            }
            let next = text[end..].find('\n').map_or(text.len(), |i| end + i);
            let len = next - end;
            end = (next + 1).min(text.len());
            if len < 64 {
                break;
            }
        }
        out.push(RawStanza {
            tag,
            args,
            body: &block[body_start..end],
            range: (start, end),
        });
        start = end;
    }
    Ok(out)
}

/// Decodes a stanza body (base64 lines without padding).
///
/// # Errors
/// [`CryptoError::Malformed`] for invalid base64.
pub fn stanza_body(raw: &RawStanza<'_>) -> Result<Vec<u8>, CryptoError> {
    let joined: Vec<u8> = raw.body.iter().copied().filter(|b| *b != b'\n').collect();
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(joined)
        .map_err(|_| CryptoError::Malformed {
            reason: "a stanza body is not base64".to_owned(),
        })
}

/// Removes the armor of an age file (no key needed).
///
/// # Errors
/// [`CryptoError::NotArmored`] or a damaged armor.
pub fn dearmor(armored: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if !is_armored(armored) {
        return Err(CryptoError::NotArmored);
    }
    let mut out = Vec::with_capacity(armored.len() * 3 / 4);
    ArmoredReader::new(armored)
        .read_to_end(&mut out)
        .map_err(|e| map_io(&e))?;
    Ok(out)
}

fn plugin_messages(errors: &[impl fmt::Display]) -> String {
    errors
        .iter()
        .map(|e| e.to_string().trim().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Decrypts ASCII-armored age with the first identity that can open it.
///
/// The plaintext comes back in a zeroizing buffer.
///
/// # Errors
/// A [`CryptoError`] naming why: not armored, damaged, altered, or no matching key.
pub fn decrypt(
    ciphertext: &[u8],
    identities: &[Box<dyn age::Identity + Send + Sync>],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if !is_armored(ciphertext) {
        return Err(CryptoError::NotArmored);
    }
    let decryptor =
        age::Decryptor::new_buffered(ArmoredReader::new(ciphertext)).map_err(map_decrypt)?;
    if decryptor.is_scrypt() {
        return Err(CryptoError::PassphraseFile);
    }
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .map_err(map_decrypt)?;
    let mut plaintext = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    reader.read_to_end(&mut plaintext).map_err(|e| map_io(&e))?;
    Ok(plaintext)
}

/// Whether an armored age file is sealed to post-quantum recipients only (`mlkem768x25519`
/// stanzas), read from its header without any key. Stanzas tagged `ignore` (vault's own
/// signature stanza) and age's random "grease" stanzas are not recipients. `None` when the
/// header cannot be read.
#[must_use]
pub fn sealed_post_quantum(armored: &[u8], ignore: &str) -> Option<bool> {
    let binary = dearmor(armored).ok()?;
    let parts = split_binary(&binary).ok()?;
    let stanzas = stanzas(parts.stanzas).ok()?;
    let mut recipients = stanzas
        .iter()
        .filter(|s| s.tag != ignore && !s.tag.ends_with("-grease"))
        .peekable();
    recipients.peek()?;
    Some(recipients.all(|s| s.tag == crate::pq::STANZA_TAG))
}

/// Checks that `bytes` is ASCII-armored age with a well-formed header, without any key.
///
/// # Errors
/// Why it is not.
pub fn check_header(bytes: &[u8]) -> Result<(), CryptoError> {
    if !is_armored(bytes) {
        return Err(CryptoError::NotArmored);
    }
    age::Decryptor::new_buffered(ArmoredReader::new(bytes))
        .map(drop)
        .map_err(map_decrypt)
}

/// Decrypts an age file protected by a passphrase (scrypt), such as an identity file
/// written by `vault identity new --passphrase`.
///
/// # Errors
/// [`CryptoError::WrongPassphrase`] when the passphrase does not open it.
pub fn decrypt_with_passphrase(
    ciphertext: &[u8],
    passphrase: age::secrecy::SecretString,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let decryptor =
        age::Decryptor::new_buffered(ArmoredReader::new(ciphertext)).map_err(map_decrypt)?;
    let identity = age::scrypt::Identity::new(passphrase);
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys | age::DecryptError::DecryptionFailed => {
                CryptoError::WrongPassphrase
            }
            other => map_decrypt(other),
        })?;
    let mut plaintext = Zeroizing::new(Vec::new());
    reader.read_to_end(&mut plaintext).map_err(|e| map_io(&e))?;
    Ok(plaintext)
}

/// Encrypts with a passphrase (scrypt) into ASCII armor.
///
/// # Errors
/// [`CryptoError::Encrypt`] on an I/O failure inside age.
pub fn encrypt_with_passphrase(
    plaintext: &[u8],
    passphrase: age::secrecy::SecretString,
) -> Result<Vec<u8>, CryptoError> {
    let encryptor = age::Encryptor::with_user_passphrase(passphrase);
    let io = |e: std::io::Error| CryptoError::Encrypt(age::EncryptError::Io(e));
    let armor = ArmoredWriter::wrap_output(Vec::new(), Format::AsciiArmor).map_err(io)?;
    let mut writer = encryptor.wrap_output(armor).map_err(io)?;
    writer.write_all(plaintext).map_err(io)?;
    writer.finish().and_then(ArmoredWriter::finish).map_err(io)
}

fn map_decrypt(error: age::DecryptError) -> CryptoError {
    match error {
        age::DecryptError::NoMatchingKeys => CryptoError::NoMatchingKey,
        age::DecryptError::KeyDecryptionFailed => CryptoError::WrongPassphrase,
        age::DecryptError::InvalidMac | age::DecryptError::DecryptionFailed => {
            CryptoError::Corrupted
        }
        age::DecryptError::UnknownFormat => CryptoError::UnknownFormat,
        age::DecryptError::InvalidHeader => CryptoError::Malformed {
            reason: "invalid header".to_owned(),
        },
        age::DecryptError::Io(e) => map_io(&e),
        age::DecryptError::PluginResolve(age::plugin::ResolveError::MissingPlugin {
            binary_name,
        }) => CryptoError::MissingPlugin {
            binary: binary_name,
        },
        age::DecryptError::Plugin(errors) => CryptoError::Plugin {
            message: plugin_messages(&errors),
        },
        other => CryptoError::Malformed {
            reason: other.to_string(),
        },
    }
}

fn map_io(error: &std::io::Error) -> CryptoError {
    // The stream reader reports a failed chunk MAC as InvalidData; armor errors are
    // also InvalidData but carry an ArmoredReadError.
    match error.get_ref() {
        Some(inner) if inner.is::<age::armor::ArmoredReadError>() => CryptoError::Malformed {
            reason: inner.to_string(),
        },
        _ if error.kind() == std::io::ErrorKind::UnexpectedEof => CryptoError::Malformed {
            reason: "unexpected end of file".to_owned(),
        },
        _ if error.kind() == std::io::ErrorKind::InvalidData => CryptoError::Corrupted,
        _ => CryptoError::Malformed {
            reason: error.kind().to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keypair() -> (Box<dyn age::Identity + Send + Sync>, Recipient) {
        let identity = age::x25519::Identity::generate();
        let recipient: Recipient = identity.to_public().to_string().parse().unwrap();
        (Box::new(identity), recipient)
    }

    #[test]
    fn round_trip_and_armor() {
        let (identity, recipient) = keypair();
        let ciphertext = encrypt(b"hello", &[recipient]).unwrap();
        assert!(is_armored(&ciphertext));
        assert_eq!(&decrypt(&ciphertext, &[identity]).unwrap()[..], b"hello");
    }

    #[test]
    fn wrong_key_is_no_matching_key() {
        let (_, recipient) = keypair();
        let (other, _) = keypair();
        let ciphertext = encrypt(b"hello", &[recipient]).unwrap();
        assert!(matches!(
            decrypt(&ciphertext, &[other]),
            Err(CryptoError::NoMatchingKey)
        ));
    }

    #[test]
    fn damage_is_detected() {
        let (identity, recipient) = keypair();
        let ciphertext = encrypt(b"hello world", &[recipient]).unwrap();
        let truncated = &ciphertext[..ciphertext.len() / 2];
        assert!(decrypt(truncated, std::slice::from_ref(&identity)).is_err());
        assert!(matches!(
            decrypt(b"plain text", &[identity]),
            Err(CryptoError::NotArmored)
        ));
    }

    #[test]
    fn post_quantum_and_classic_keys_are_not_mixed() {
        let pq = crate::pq::Identity::generate();
        let pq_recipient: Recipient = pq.to_public().to_string().parse().unwrap();
        assert!(pq_recipient.is_post_quantum());
        let (classic_identity, classic) = keypair();
        assert!(!classic.is_post_quantum());
        let classic_text = classic.canonical().to_owned();
        assert!(matches!(
            encrypt(b"x", &[pq_recipient, classic]),
            Err(CryptoError::MixedPostQuantum)
        ));
        // Signed files carry the same labels as their recipients, so age accepts them.
        let pq_recipient: Recipient = pq.to_public().to_string().parse().unwrap();
        let file = encrypt_with_stanza(b"secret", &[pq_recipient], |_, _| {
            ("vault-test".to_owned(), Vec::new(), b"body".to_vec())
        })
        .unwrap();
        assert_eq!(sealed_post_quantum(&file, "vault-test"), Some(true));
        let ids: Vec<Box<dyn age::Identity + Send + Sync>> = vec![Box::new(pq)];
        assert_eq!(decrypt(&file, &ids).unwrap().as_slice(), b"secret");
        assert!(matches!(
            decrypt(&file, &[classic_identity]),
            Err(CryptoError::NoMatchingKey)
        ));
        let classic: Recipient = classic_text.parse().unwrap();
        let classic_file = encrypt(b"x", &[classic]).unwrap();
        assert_eq!(
            sealed_post_quantum(&classic_file, "vault-test"),
            Some(false)
        );
    }

    #[test]
    fn recipient_parsing() {
        assert!("age1nope".parse::<Recipient>().is_err());
        let err = "AGE-SECRET-KEY-1XYZ".parse::<Recipient>().unwrap_err();
        assert!(!err.to_string().contains("1XYZ"));
        let ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN alice@laptop";
        let parsed: Recipient = ssh.parse().unwrap();
        assert!(!parsed.canonical().contains("alice"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn encrypt_then_decrypt(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let (identity, recipient) = keypair();
            let ciphertext = encrypt(&data, &[recipient]).unwrap();
            prop_assert_eq!(&decrypt(&ciphertext, &[identity]).unwrap()[..], &data[..]);
        }
    }
}
