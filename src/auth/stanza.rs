//! The signature stanza in an age header (`-> vault-auth …`): building, signing, parsing
//! and verifying it, and reading which kind of seal a file carries.

use super::*;

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
