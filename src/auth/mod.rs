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

mod pin;
mod stanza;
#[cfg(test)]
mod tests;

pub use pin::{InvalidPin, Pin, pins_in_identity, pins_in_list};
pub use stanza::{Covered, Seal, Stanza, Unsigned, inspect};

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
