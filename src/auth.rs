//! Authenticated versions: who may write an environment file, as data and signatures.
//!
//! age has no sender authentication: anyone with the public keys can encrypt a file to
//! them. So every environment has a *write key*, an Ed25519 key pair whose private half
//! is sealed inside the payload (only readers see it) and whose public half is in the age
//! header, in a stanza of our own (`-> vault-auth …`) that stock `age` and `rage` skip like
//! any stanza that is not theirs. A version is accepted only if that key signed it: the
//! signature covers the environment, the key's history (the *chain*), the recipients, the
//! other header stanzas and the encrypted payload, so it can be checked without any key.
//!
//! The write key changes only when a reader loses access (an *epoch*): the new public key
//! is signed by the old private key, so anyone who trusted an older key can follow the
//! chain to the new one without history. A verifier's trust anchor is a [`Pin`] (an epoch
//! and its public key, like an ssh `known_hosts` line) or the environment's first
//! authenticated version in git history; this module only compares chains with anchors,
//! the caller finds the anchors.
//!
//! Pure: no filesystem, no environment, no git.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The tag of vault's header stanza.
pub const STANZA_TAG: &str = "vault-auth";
/// The stanza layout this build writes and reads.
const STANZA_VERSION: &str = "v1";
/// How many epochs a chain may hold: one per offboarding, so this is never reached by a
/// real team, and it bounds the work a crafted header can cause.
pub const MAX_EPOCHS: u64 = 4096;
/// Recipients a stanza may list (fingerprints), for the same reason.
const MAX_RECIPIENTS: usize = 4096;
/// Bytes of a recipient fingerprint.
const FINGERPRINT_LEN: usize = 16;

/// Why a version is not accepted. None of these carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The stanza does not parse.
    #[error("its authentication stanza is malformed ({0})")]
    Malformed(&'static str),
    /// The stanza names another environment.
    #[error("it is signed for environment `{found}`")]
    WrongEnvironment {
        /// The environment in the stanza.
        found: String,
    },
    /// The signature over the file does not verify.
    #[error(
        "its signature does not match its content: it was written or altered without the environment's write key"
    )]
    BadSignature,
    /// A link of the write-key chain does not verify.
    #[error("the hand-over to write key {epoch} is not signed by write key {}", epoch - 1)]
    BadLink {
        /// The epoch whose link fails.
        epoch: u64,
    },
    /// The chain does not contain the anchor's key.
    #[error("it was signed by a write key that does not descend from the trusted one ({anchor})")]
    ForeignChain {
        /// The anchor that was not found.
        anchor: String,
    },
    /// The chain is older than the anchor.
    #[error(
        "it was written with write key {found}, but write key {trusted} replaced it (a rollback to a version from before a reader was removed)"
    )]
    Rollback {
        /// The epoch of the version.
        found: u64,
        /// The epoch already trusted.
        trusted: u64,
    },
    /// An unauthenticated (format 1) file where an authenticated one is known.
    #[error(
        "it is in the old unauthenticated format, but this environment has been authenticated since {since} (a downgrade)"
    )]
    Downgrade {
        /// Where the authenticated version was seen.
        since: String,
    },
    /// Two versions disagree about an epoch's key: two hand-overs from one key, such as a
    /// removed member's competing one.
    #[error(
        "its write key {epoch} differs from the one commit {other} introduced (a fork of the write-key chain)"
    )]
    Fork {
        /// The epoch.
        epoch: u64,
        /// The commit that introduced the other key.
        other: String,
    },
    /// An older version of the same epoch came back (a revert, or a replay).
    #[error(
        "it restores an older version (write {seq} after write {after}): a `git revert`, or a replay of old values"
    )]
    Restored {
        /// The version's counter.
        seq: u64,
        /// The counter of the version it replaced.
        after: u64,
    },
    /// History holds versions from two different genesis keys.
    #[error(
        "the history of this file holds two unrelated write-key chains (commits {first} and {other}): someone started a chain of their own; it cannot be decided without a pin"
    )]
    AmbiguousHistory {
        /// The commit of the first signed version.
        first: String,
        /// The commit of the first version of the other chain.
        other: String,
    },
    /// The first signed version of a once-unsigned vault does not prove that a reader made it.
    #[error(
        "the vault was unsigned before commit {commit}, and the signed version there does not prove that a reader of the unsigned one made it (an upgrade by someone without access)"
    )]
    UnconfirmedUpgrade {
        /// The commit of the first signed version.
        commit: String,
    },
    /// Nothing to verify against.
    #[error(
        "there is nothing to verify it against: this checkout has no git history of it and this machine has no pin for it"
    )]
    NoAnchor,
    /// The payload's write key is not the one the header names (a reader wrote an
    /// inconsistent file).
    #[error("the write key sealed inside does not match the one that signed it")]
    KeyMismatch,
    /// The payload's recipients are not the ones the header names.
    #[error("the recipients sealed inside do not match the ones it was signed for")]
    RecipientsMismatch,
}

/// A write key: the Ed25519 signing key of one epoch. Zeroized on drop.
pub struct WriteKey(SigningKey);

impl WriteKey {
    /// A fresh random key.
    ///
    /// # Panics
    /// If the operating system has no randomness, as every other key generation would.
    #[must_use]
    pub fn generate() -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(seed.as_mut()).expect("the OS random number generator failed");
        Self(SigningKey::from_bytes(&seed))
    }

    /// The key as stored in a payload (`base64`).
    #[must_use]
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD_NO_PAD.encode(self.0.to_bytes()))
    }

    /// Parses [`WriteKey::to_text`].
    ///
    /// # Errors
    /// Not 32 bytes of base64.
    pub fn from_text(text: &str) -> Result<Self, AuthError> {
        let bytes = Zeroizing::new(
            STANDARD_NO_PAD
                .decode(text.trim())
                .map_err(|_| AuthError::Malformed("write key is not base64"))?,
        );
        let seed: &[u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| AuthError::Malformed("write key is not 32 bytes"))?;
        Ok(Self(SigningKey::from_bytes(seed)))
    }

    /// The public half.
    #[must_use]
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }
}

impl fmt::Debug for WriteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WriteKey").field(&self.public()).finish()
    }
}

/// The public half of a write key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// The raw bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        VerifyingKey::from_bytes(&self.0).is_ok_and(|key| {
            key.verify(message, &Signature::from_bytes(signature))
                .is_ok()
        })
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(self.0))
    }
}

/// The write keys of an environment from its first epoch to its current one. Link `i`
/// (for epoch `i + 2`) is the signature of epoch `i + 1`'s key over the hand-over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    keys: Vec<PublicKey>,
    links: Vec<[u8; 64]>,
}

impl Chain {
    /// A chain of one epoch.
    #[must_use]
    pub fn genesis(key: PublicKey) -> Self {
        Self {
            keys: vec![key],
            links: Vec::new(),
        }
    }

    /// The current epoch, counting from 1.
    #[must_use]
    pub fn epoch(&self) -> u64 {
        self.keys.len() as u64
    }

    /// The key of the current epoch.
    #[must_use]
    pub fn current(&self) -> PublicKey {
        *self.keys.last().expect("a chain has at least one key")
    }

    /// The key of the first epoch: the environment's identity.
    #[must_use]
    pub fn genesis_key(&self) -> PublicKey {
        self.keys[0]
    }

    /// The key of `epoch`, if the chain reaches it.
    #[must_use]
    pub fn key_at(&self, epoch: u64) -> Option<PublicKey> {
        let index = usize::try_from(epoch.checked_sub(1)?).ok()?;
        self.keys.get(index).copied()
    }

    /// The chain extended by a hand-over from `current` (whose private half is `old`) to
    /// `next`.
    ///
    /// # Panics
    /// If `old` is not the current key: a caller bug, never input.
    #[must_use]
    pub fn rotated(&self, env: &str, old: &WriteKey, next: &WriteKey) -> Self {
        assert_eq!(old.public(), self.current(), "rotating from the wrong key");
        let mut chain = self.clone();
        let epoch = self.epoch() + 1;
        let signature = old.0.sign(&link_message(env, epoch, &next.public()));
        chain.keys.push(next.public());
        chain.links.push(signature.to_bytes());
        chain
    }

    /// Verifies every hand-over.
    ///
    /// # Errors
    /// [`AuthError::BadLink`] for the first that fails.
    pub fn verify_links(&self, env: &str) -> Result<(), AuthError> {
        for (index, link) in self.links.iter().enumerate() {
            let epoch = index as u64 + 2;
            let message = link_message(env, epoch, &self.keys[index + 1]);
            if !self.keys[index].verify(&message, link) {
                return Err(AuthError::BadLink { epoch });
            }
        }
        Ok(())
    }

    /// Whether `other` agrees with this chain on every epoch both reach (one is a prefix
    /// of the other): two versions of one environment's history.
    #[must_use]
    pub fn compatible(&self, other: &Chain) -> bool {
        self.keys.iter().zip(&other.keys).all(|(a, b)| a == b)
    }

    /// Whether this chain reaches `other`'s epoch with the same keys (it is `other` or a
    /// successor of it).
    #[must_use]
    pub fn extends(&self, other: &Chain) -> bool {
        self.epoch() >= other.epoch() && self.compatible(other)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(
            &u16::try_from(self.keys.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        for (index, key) in self.keys.iter().enumerate() {
            out.extend_from_slice(&key.0);
            if index > 0 {
                out.extend_from_slice(&self.links[index - 1]);
            }
        }
    }
}

fn link_message(env: &str, epoch: u64, key: &PublicKey) -> Vec<u8> {
    let mut message = b"vault/v1/hand-over\0".to_vec();
    message.extend_from_slice(env.as_bytes());
    message.push(0);
    message.extend_from_slice(&epoch.to_be_bytes());
    message.extend_from_slice(&key.0);
    message
}

/// The 16-byte fingerprint of a canonical recipient string, as listed in the stanza.
#[must_use]
pub fn fingerprint(canonical: &str) -> [u8; FINGERPRINT_LEN] {
    let digest = Sha256::digest(canonical.as_bytes());
    let mut out = [0u8; FINGERPRINT_LEN];
    out.copy_from_slice(&digest[..FINGERPRINT_LEN]);
    out
}

/// Everything a version's stanza says, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stanza {
    /// The environment the version belongs to.
    pub env: String,
    /// A counter that grows with every write (informational: see `docs/threat-model.md`
    /// on replays).
    pub seq: u64,
    /// The write keys up to this version's.
    pub chain: Chain,
    /// Fingerprints of the recipients the file is encrypted to, sorted.
    pub recipients: Vec<[u8; FINGERPRINT_LEN]>,
    signature: [u8; 64],
}

/// The parts of an age file a signature covers, other than vault's own stanza.
#[derive(Debug, Clone, Copy)]
pub struct Covered<'a> {
    /// The header's other stanzas, exactly as written.
    pub stanzas: &'a [u8],
    /// The encrypted payload (nonce and STREAM chunks).
    pub payload: &'a [u8],
}

/// What a writer signs: the fields of the new stanza.
#[derive(Debug, Clone)]
pub struct Unsigned {
    /// The environment.
    pub env: String,
    /// See [`Stanza::seq`].
    pub seq: u64,
    /// The chain, ending with the signing key's public half.
    pub chain: Chain,
    /// Canonical recipient strings (fingerprinted here).
    pub recipients: Vec<String>,
}

impl Unsigned {
    /// Signs the version with `key` (which must be the chain's current key) and returns
    /// the stanza as age header parts: tag, arguments, body.
    ///
    /// # Panics
    /// If `key` is not the chain's current key: a caller bug.
    #[must_use]
    pub fn sign(&self, key: &WriteKey, covered: Covered<'_>) -> (String, Vec<String>, Vec<u8>) {
        assert_eq!(
            key.public(),
            self.chain.current(),
            "signing with the wrong key"
        );
        let mut recipients: Vec<[u8; FINGERPRINT_LEN]> =
            self.recipients.iter().map(|r| fingerprint(r)).collect();
        recipients.sort_unstable();
        recipients.dedup();
        let mut stanza = Stanza {
            env: self.env.clone(),
            seq: self.seq,
            chain: self.chain.clone(),
            recipients,
            signature: [0; 64],
        };
        stanza.signature = key.0.sign(&stanza.message(covered)).to_bytes();
        (STANZA_TAG.to_owned(), stanza.args(), stanza.body())
    }
}

impl Stanza {
    fn args(&self) -> Vec<String> {
        vec![
            STANZA_VERSION.to_owned(),
            self.env.clone(),
            self.chain.epoch().to_string(),
            self.seq.to_string(),
        ]
    }

    fn body(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(2 + 96 * self.chain.keys.len() + 18 * self.recipients.len() + 64);
        self.chain.encode(&mut out);
        out.extend_from_slice(
            &u16::try_from(self.recipients.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        for fp in &self.recipients {
            out.extend_from_slice(fp);
        }
        out.extend_from_slice(&self.signature);
        out
    }

    fn message(&self, covered: Covered<'_>) -> Vec<u8> {
        let mut hasher = Sha256::new();
        hasher.update(b"vault/v1/version\0");
        hasher.update(self.env.as_bytes());
        hasher.update([0]);
        hasher.update(self.seq.to_be_bytes());
        let mut chain = Vec::new();
        self.chain.encode(&mut chain);
        hasher.update(Sha256::digest(&chain));
        hasher.update((self.recipients.len() as u64).to_be_bytes());
        for fp in &self.recipients {
            hasher.update(fp);
        }
        hasher.update(Sha256::digest(covered.stanzas));
        hasher.update(Sha256::digest(covered.payload));
        hasher.finalize().to_vec()
    }

    /// Parses a stanza from its header arguments and body. Strict: every length is
    /// checked, trailing bytes are refused, and nothing is trusted until [`Stanza::verify`].
    ///
    /// # Errors
    /// [`AuthError::Malformed`].
    pub fn parse(args: &[&str], body: &[u8]) -> Result<Self, AuthError> {
        let [version, env, epoch, seq] = args else {
            return Err(AuthError::Malformed("wrong number of arguments"));
        };
        if *version != STANZA_VERSION {
            return Err(AuthError::Malformed("unknown stanza version"));
        }
        if !crate::names::is_env_name(env) {
            return Err(AuthError::Malformed("invalid environment name"));
        }
        let number = |text: &str| -> Result<u64, AuthError> {
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || text.len() > 20 {
                return Err(AuthError::Malformed("a number is not a decimal integer"));
            }
            text.parse()
                .map_err(|_| AuthError::Malformed("a number is out of range"))
        };
        let epoch = number(epoch)?;
        let seq = number(seq)?;
        if epoch == 0 || epoch > MAX_EPOCHS {
            return Err(AuthError::Malformed("epoch out of range"));
        }
        let mut reader = Reader(body);
        let count = u64::from(reader.u16()?);
        if count != epoch {
            return Err(AuthError::Malformed("the chain length is not the epoch"));
        }
        let mut keys = Vec::new();
        let mut links = Vec::new();
        for index in 0..count {
            keys.push(PublicKey(reader.array::<32>()?));
            if index > 0 {
                links.push(reader.array::<64>()?);
            }
        }
        let recipients_len = usize::from(reader.u16()?);
        if recipients_len > MAX_RECIPIENTS {
            return Err(AuthError::Malformed("too many recipients"));
        }
        let mut recipients = Vec::with_capacity(recipients_len);
        for _ in 0..recipients_len {
            recipients.push(reader.array::<FINGERPRINT_LEN>()?);
        }
        if recipients.windows(2).any(|w| w[0] >= w[1]) {
            return Err(AuthError::Malformed("recipients are not sorted"));
        }
        let signature = reader.array::<64>()?;
        if !reader.0.is_empty() {
            return Err(AuthError::Malformed("trailing bytes"));
        }
        Ok(Self {
            env: (*env).to_owned(),
            seq,
            chain: Chain { keys, links },
            recipients,
            signature,
        })
    }

    /// Verifies the signature over `covered` and every link of the chain, and that the
    /// stanza names `env`. This proves only that someone holding the current write key
    /// wrote the version; whether that key is the right one is [`Stanza::anchored`]'s job.
    ///
    /// # Errors
    /// Why the version is not self-consistent.
    pub fn verify(&self, env: &str, covered: Covered<'_>) -> Result<(), AuthError> {
        if self.env != env {
            return Err(AuthError::WrongEnvironment {
                found: self.env.clone(),
            });
        }
        if !self
            .chain
            .current()
            .verify(&self.message(covered), &self.signature)
        {
            return Err(AuthError::BadSignature);
        }
        self.chain.verify_links(env)
    }

    /// Checks the (verified) chain against a trusted pin: the pin's key must be on the
    /// chain at the pin's epoch. A chain older than the pin is a rollback.
    ///
    /// # Errors
    /// [`AuthError::Rollback`] or [`AuthError::ForeignChain`].
    pub fn anchored(&self, pin: &Pin) -> Result<(), AuthError> {
        match self.chain.key_at(pin.epoch) {
            Some(key) if key == pin.key => Ok(()),
            Some(_) => Err(AuthError::ForeignChain {
                anchor: pin.to_string(),
            }),
            None => Err(AuthError::Rollback {
                found: self.chain.epoch(),
                trusted: pin.epoch,
            }),
        }
    }

    /// The pin for this version's current key.
    #[must_use]
    pub fn pin(&self) -> Pin {
        Pin {
            env: self.env.clone(),
            epoch: self.chain.epoch(),
            key: self.chain.current(),
        }
    }

    /// Whether the stanza lists exactly these canonical recipients.
    #[must_use]
    pub fn lists_recipients(&self, canonical: &[String]) -> bool {
        let mut fps: Vec<[u8; FINGERPRINT_LEN]> =
            canonical.iter().map(|r| fingerprint(r)).collect();
        fps.sort_unstable();
        fps.dedup();
        fps == self.recipients
    }

    /// Whether the stanza lists `canonical` among its recipients.
    #[must_use]
    pub fn lists(&self, canonical: &str) -> bool {
        self.recipients
            .binary_search(&fingerprint(canonical))
            .is_ok()
    }
}

/// What an environment file's header says about who wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seal {
    /// No vault stanza: the unauthenticated format of earlier releases (or a forgery).
    Legacy,
    /// A stanza whose signature and chain verify (not yet checked against an anchor).
    Signed(Stanza),
    /// Not a readable age file at all; decryption reports why.
    Unreadable,
}

/// Reads and verifies the vault stanza of an armored age file claiming to be `env`,
/// without any key.
///
/// # Errors
/// A stanza that is malformed, duplicated, or whose signature or chain does not verify.
pub fn inspect(env: &str, armored: &[u8]) -> Result<Seal, AuthError> {
    let Ok(binary) = crate::crypto::dearmor(armored) else {
        return Ok(Seal::Unreadable);
    };
    let Ok(parts) = crate::crypto::split_binary(&binary) else {
        return Ok(Seal::Unreadable);
    };
    let Ok(stanzas) = crate::crypto::stanzas(parts.stanzas) else {
        return Ok(Seal::Unreadable);
    };
    let mut ours = stanzas.iter().filter(|s| s.tag == STANZA_TAG);
    let Some(raw) = ours.next() else {
        return Ok(Seal::Legacy);
    };
    if ours.next().is_some() {
        return Err(AuthError::Malformed("more than one vault stanza"));
    }
    let mut covered = Vec::with_capacity(parts.stanzas.len());
    for other in stanzas.iter().filter(|s| s.tag != STANZA_TAG) {
        covered.extend_from_slice(&parts.stanzas[other.range.0..other.range.1]);
    }
    let body = crate::crypto::stanza_body(raw)
        .map_err(|_| AuthError::Malformed("the body is not base64"))?;
    let args: Vec<&str> = raw.args.split(' ').collect();
    let stanza = Stanza::parse(&args, &body)?;
    stanza.verify(
        env,
        Covered {
            stanzas: &covered,
            payload: parts.payload,
        },
    )?;
    Ok(Seal::Signed(stanza))
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], AuthError> {
        if self.0.len() < N {
            return Err(AuthError::Malformed("truncated body"));
        }
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        Ok(head.try_into().expect("split at N"))
    }

    fn u16(&mut self) -> Result<u16, AuthError> {
        self.array::<2>().map(u16::from_be_bytes)
    }
}

/// A trusted write key: `<env>@<epoch>:<key>`, like a `known_hosts` line. Kept by members
/// on their machines (advanced to the newest key seen) and carried by machine identities
/// (a deploy key's `# vault-pin …` comment), so a checkout without history still verifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The environment.
    pub env: String,
    /// The epoch of `key`.
    pub epoch: u64,
    /// The trusted public key.
    pub key: PublicKey,
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}:{}", self.env, self.epoch, self.key)
    }
}

/// Why a pin does not parse. Pins are public, so the text may be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a vault pin (expected ENV@EPOCH:KEY, as `vault pin` prints)")]
pub struct InvalidPin {
    /// The rejected text, shortened.
    pub text: String,
}

impl std::str::FromStr for Pin {
    type Err = InvalidPin;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidPin {
            text: text.chars().take(80).collect(),
        };
        let (env, rest) = text.trim().split_once('@').ok_or_else(invalid)?;
        let (epoch, key) = rest.split_once(':').ok_or_else(invalid)?;
        if !crate::names::is_env_name(env)
            || epoch.is_empty()
            || epoch.len() > 20
            || !epoch.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid());
        }
        let epoch: u64 = epoch.parse().map_err(|_| invalid())?;
        if epoch == 0 || epoch > MAX_EPOCHS {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(key).map_err(|_| invalid())?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| invalid())?;
        Ok(Self {
            env: env.to_owned(),
            epoch,
            key: PublicKey(key),
        })
    }
}

/// Pins found in text: each whitespace- or comma-separated token of `VAULT_PIN`, and each
/// `# vault-pin TOKEN` comment of an identity file. Returns the pins and the tokens that
/// did not parse.
#[must_use]
pub fn pins_in_identity(text: &str) -> (Vec<Pin>, Vec<InvalidPin>) {
    let tokens = text.lines().filter_map(|line| {
        line.trim()
            .strip_prefix('#')
            .map(str::trim_start)
            .and_then(|rest| rest.strip_prefix("vault-pin"))
            .map(str::trim)
    });
    parse_tokens(tokens)
}

/// Pins in a `VAULT_PIN` value: tokens separated by whitespace or commas.
#[must_use]
pub fn pins_in_list(text: &str) -> (Vec<Pin>, Vec<InvalidPin>) {
    parse_tokens(
        text.split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty()),
    )
}

fn parse_tokens<'a>(tokens: impl Iterator<Item = &'a str>) -> (Vec<Pin>, Vec<InvalidPin>) {
    let mut pins = Vec::new();
    let mut invalid = Vec::new();
    for token in tokens {
        match token.parse() {
            Ok(pin) => pins.push(pin),
            Err(e) => invalid.push(e),
        }
    }
    (pins, invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const COVERED: Covered<'static> = Covered {
        stanzas: b"-> X25519 abc\nbody\n",
        payload: b"nonce and chunks",
    };

    fn signed(env: &str, chain: &Chain, key: &WriteKey, seq: u64) -> Stanza {
        let unsigned = Unsigned {
            env: env.to_owned(),
            seq,
            chain: chain.clone(),
            recipients: vec!["age1b".into(), "age1a".into()],
        };
        let (tag, args, body) = unsigned.sign(key, COVERED);
        assert_eq!(tag, STANZA_TAG);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Stanza::parse(&args, &body).unwrap()
    }

    #[test]
    fn sign_verify_and_tamper() {
        let key = WriteKey::generate();
        let chain = Chain::genesis(key.public());
        let stanza = signed("prod", &chain, &key, 7);
        stanza.verify("prod", COVERED).unwrap();
        assert!(stanza.lists_recipients(&["age1a".into(), "age1b".into()]));
        assert!(stanza.lists("age1a") && !stanza.lists("age1c"));
        assert_eq!(
            stanza.verify("dev", COVERED),
            Err(AuthError::WrongEnvironment {
                found: "prod".into()
            })
        );
        let other = Covered {
            payload: b"nonce and chunkz",
            ..COVERED
        };
        assert_eq!(stanza.verify("prod", other), Err(AuthError::BadSignature));
        let other = Covered {
            stanzas: b"-> X25519 abd\nbody\n",
            ..COVERED
        };
        assert_eq!(stanza.verify("prod", other), Err(AuthError::BadSignature));
        let mut replayed = stanza.clone();
        replayed.seq = 8;
        assert_eq!(
            replayed.verify("prod", COVERED),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn rotation_chain_and_anchors() {
        let k1 = WriteKey::generate();
        let k2 = WriteKey::generate();
        let k3 = WriteKey::generate();
        let c1 = Chain::genesis(k1.public());
        let c2 = c1.rotated("prod", &k1, &k2);
        let c3 = c2.rotated("prod", &k2, &k3);
        let s3 = signed("prod", &c3, &k3, 3);
        s3.verify("prod", COVERED).unwrap();
        let pin1 = signed("prod", &c1, &k1, 1).pin();
        s3.anchored(&pin1).unwrap();
        let s1 = signed("prod", &c1, &k1, 1);
        assert_eq!(
            s1.anchored(&s3.pin()),
            Err(AuthError::Rollback {
                found: 1,
                trusted: 3
            })
        );
        assert!(c3.extends(&c1) && !c1.extends(&c3) && c1.compatible(&c3));
        // A removed member who knew k1 forks the chain at epoch 2.
        let mallory = WriteKey::generate();
        let fork = c1.rotated("prod", &k1, &mallory);
        assert!(!fork.compatible(&c3));
        let forged = signed("prod", &fork, &mallory, 9);
        forged.verify("prod", COVERED).unwrap();
        assert!(matches!(
            forged.anchored(&signed("prod", &c2, &k2, 2).pin()),
            Err(AuthError::ForeignChain { .. })
        ));
        // A hand-over signed for another environment does not verify here.
        let mut spliced = c1.rotated("dev", &k1, &k2);
        assert_eq!(
            spliced.verify_links("prod"),
            Err(AuthError::BadLink { epoch: 2 })
        );
        spliced.links.clear();
        spliced.keys.truncate(1);
        spliced.verify_links("prod").unwrap();
    }

    #[test]
    fn write_key_text_round_trip() {
        let key = WriteKey::generate();
        let again = WriteKey::from_text(&key.to_text()).unwrap();
        assert_eq!(key.public(), again.public());
        assert!(WriteKey::from_text("short").is_err());
        assert!(!format!("{key:?}").contains(key.to_text().as_str()));
    }

    #[test]
    fn pins_parse_and_print() {
        let key = WriteKey::generate();
        let pin = Pin {
            env: "prod".into(),
            epoch: 3,
            key: key.public(),
        };
        let text = pin.to_string();
        assert_eq!(text.parse::<Pin>().unwrap(), pin);
        let identity = format!(
            "# created: now\n# vault-pin {text}\nAGE-SECRET-KEY-1XYZ\n#vault-pin dev@0:xx\n"
        );
        let (pins, invalid) = pins_in_identity(&identity);
        assert_eq!(pins, std::slice::from_ref(&pin));
        assert_eq!(invalid.len(), 1);
        let (pins, invalid) = pins_in_list(&format!(" {text},{text}\n"));
        assert_eq!(pins.len(), 2);
        assert!(invalid.is_empty());
        for bad in [
            "prod",
            "prod@1",
            "Prod@1:x",
            "prod@x:abc",
            "prod@1:!!",
            "prod@99999:AAAA",
        ] {
            assert!(bad.parse::<Pin>().is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn stanza_parser_never_panics(
            args in proptest::collection::vec("[ -~]{0,12}", 0..6),
            body in proptest::collection::vec(any::<u8>(), 0..600),
        ) {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let _ = Stanza::parse(&args, &body);
        }

        #[test]
        fn pin_parser_never_panics_and_round_trips(text in "\\PC{0,80}") {
            if let Ok(pin) = text.parse::<Pin>() {
                prop_assert_eq!(pin.to_string().parse::<Pin>().unwrap(), pin);
            }
        }

        #[test]
        fn stanza_round_trips(epochs in 1usize..5, seq in any::<u64>(), recipients in proptest::collection::vec("age1[a-z0-9]{4,10}", 0..6)) {
            let mut keys = vec![WriteKey::generate()];
            let mut chain = Chain::genesis(keys[0].public());
            for _ in 1..epochs {
                let next = WriteKey::generate();
                chain = chain.rotated("dev", keys.last().unwrap(), &next);
                keys.push(next);
            }
            let unsigned = Unsigned { env: "dev".into(), seq, chain, recipients: recipients.clone() };
            let (_, args, body) = unsigned.sign(keys.last().unwrap(), COVERED);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let stanza = Stanza::parse(&args, &body).unwrap();
            stanza.verify("dev", COVERED).unwrap();
            prop_assert!(stanza.lists_recipients(&recipients));
            prop_assert_eq!(stanza.chain.epoch(), epochs as u64);
            // Any single flipped bit of the body is refused or fails verification.
            for i in [0, body.len() / 2, body.len() - 1] {
                let mut bad = body.clone();
                bad[i] ^= 1;
                if let Ok(parsed) = Stanza::parse(&args, &bad) {
                    prop_assert!(parsed.verify("dev", COVERED).is_err());
                }
            }
        }
    }
}
