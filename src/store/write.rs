//! Writing environment files: sealing a payload to its recipients and signing it, and
//! storing one or many files with their recipients summaries, crash-safely.

use super::*;

impl Vault {
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
}
