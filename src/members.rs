//! Who may read which environment, and re-key plans.
//!
//! A membership change is computed as a plan first (data: which environment gains or
//! loses which recipients) and only then applied, so `--dry-run` shows exactly what will
//! happen and tests can assert the plan itself. Applying re-encrypts only the files whose
//! recipients change, marks every secret in an environment that lost a reader as
//! must-rotate, and writes `.vault.toml` last.

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::Serialize;

use crate::config::{CONFIG_FILE, Config, ConfigError, RosterEdit};
use crate::crypto::Recipient;
use crate::faults;
use crate::identity::Identities;
use crate::payload::MustRotate;
use crate::store::{Lock, StoreError, Vault, atomic};

/// One recipient in a plan, with the member who owns it when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reader {
    /// The canonical public key.
    pub recipient: String,
    /// Its member, from the new roster or else the old one.
    pub member: Option<String>,
}

/// What happens to one environment's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvPlan {
    /// The environment.
    pub env: String,
    /// Recipients the file is sealed to now (from its summary); `None` if unknown.
    pub sealed: Option<Vec<String>>,
    /// Recipients the roster wants.
    pub target: Vec<String>,
    /// Readers who gain access.
    pub gained: Vec<Reader>,
    /// Readers who lose access.
    pub lost: Vec<Reader>,
    /// Keys dropped while their member keeps reading with another key: the classic keys
    /// of an environment moving to post-quantum keys. Not a loss of access, so nothing
    /// is marked must-rotate for them.
    pub retired: Vec<Reader>,
    /// `Some(true)` when the file moves from classic to post-quantum keys, `Some(false)`
    /// when it moves back to classic keys (which a re-keying command refuses unless told).
    pub to_post_quantum: Option<bool>,
}

impl EnvPlan {
    /// Whether the file must be re-encrypted.
    #[must_use]
    pub fn needs_rekey(&self) -> bool {
        match &self.sealed {
            None => true,
            Some(sealed) => {
                sealed.iter().collect::<BTreeSet<_>>()
                    != self.target.iter().collect::<BTreeSet<_>>()
            }
        }
    }

    /// Members (or bare keys) who gain access, for messages.
    #[must_use]
    pub fn gained_names(&self) -> Vec<String> {
        names(&self.gained)
    }

    /// Members (or bare keys) who lose access, for messages.
    #[must_use]
    pub fn lost_names(&self) -> Vec<String> {
        names(&self.lost)
    }
}

fn names(readers: &[Reader]) -> Vec<String> {
    let mut out: Vec<String> = readers
        .iter()
        .map(|r| r.member.clone().unwrap_or_else(|| short_key(&r.recipient)))
        .collect();
    out.dedup();
    out
}

/// The roster after `name` asks to join with `keys`, reading no environment yet (run by the
/// newcomer, who needs no access).
///
/// # Errors
/// The name is taken or invalid, or a key is invalid or someone else's.
pub fn request(config: &Config, name: &str, keys: &[String]) -> Result<Config, ConfigError> {
    config.edited(&RosterEdit::AddMember { name, keys })
}

/// The environments sealed to post-quantum keys only, when none of `keys` is one: a
/// request with these keys could not be granted them.
#[must_use]
pub fn unreachable_post_quantum_envs<'c>(config: &'c Config, keys: &[String]) -> Vec<&'c str> {
    if keys
        .iter()
        .any(|k| k.starts_with(crate::pq::RECIPIENT_PREFIX))
    {
        return Vec::new();
    }
    config
        .env_names()
        .filter(|env| config.requires_pq(env))
        .collect()
}

/// The roster after granting `name` the environments `envs`: a newcomer is added with
/// `key`, and a member given a `key` they do not have yet gets it too.
///
/// # Errors
/// An unknown member without a key, an unknown environment, or an invalid key.
pub fn grant(
    config: &Config,
    name: &str,
    key: Option<&str>,
    envs: &[String],
) -> Result<Config, ConfigError> {
    let with_key = match (config.member(name), key) {
        (None, Some(key)) => config.edited(&RosterEdit::AddMember {
            name,
            keys: &[key.to_owned()],
        })?,
        (Some(member), Some(key)) if !has_key(&member.keys, key) => {
            config.edited(&RosterEdit::AddKey { name, key })?
        }
        _ => config.clone(),
    };
    with_key.edited(&RosterEdit::Grant { name, envs })
}

/// The roster after `name` gets another key, and the environments to re-key for it (the
/// member's).
///
/// # Errors
/// An unknown member, or an invalid or taken key.
pub fn add_key(
    config: &Config,
    name: &str,
    key: &str,
) -> Result<(Config, Vec<String>), ConfigError> {
    let target = config.edited(&RosterEdit::AddKey { name, key })?;
    let envs = target
        .env_names()
        .filter(|env| {
            target
                .env(env)
                .is_some_and(|e| e.members.iter().any(|m| m == name))
        })
        .map(str::to_owned)
        .collect();
    Ok((target, envs))
}

/// Whether `keys` holds `key` (compared in canonical form).
fn has_key(keys: &[String], key: &str) -> bool {
    let canonical = |k: &str| {
        k.parse::<Recipient>()
            .map(|r| r.canonical().to_owned())
            .ok()
    };
    let wanted = canonical(key);
    wanted.is_some() && keys.iter().any(|k| canonical(k) == wanted)
}

/// The environments (all, or those in `only`) that `name` reads: configured for them, or
/// with a file still sealed to one of `keys` (an interrupted removal). Offboarding re-keys
/// every one of them.
///
/// # Errors
/// A recipients summary cannot be read.
pub fn readable_by(
    vault: &Vault,
    name: &str,
    keys: &[String],
    only: Option<&[String]>,
) -> Result<Vec<String>, StoreError> {
    let canonical: BTreeSet<String> = keys
        .iter()
        .filter_map(|k| k.parse::<Recipient>().ok())
        .map(|r| r.canonical().to_owned())
        .collect();
    let mut envs = Vec::new();
    for env in vault.config().env_names() {
        if only.is_some_and(|only| !only.iter().any(|e| e == env)) {
            continue;
        }
        let configured = vault
            .config()
            .env(env)
            .is_some_and(|e| e.members.iter().any(|m| m == name));
        let sealed = vault
            .read_recipients(env)?
            .is_some_and(|list| list.iter().any(|k| canonical.contains(k)));
        if configured || sealed {
            envs.push(env.to_owned());
        }
    }
    Ok(envs)
}

/// A key shortened for display: `age1abcd…wxyz`, safe to print whatever it holds.
///
/// Keys come from `secrets/<env>.recipients` too, which anyone with push access can write:
/// the cut counts characters (a byte offset inside a multi-byte character used to panic
/// `check`, `rekey` and `member remove`), and control characters are escaped so they never
/// reach the terminal.
#[must_use]
pub fn short_key(key: &str) -> String {
    crate::untrusted::shorten(key, 12, 6)
}

/// Plans bringing `envs` (or every environment of `target`) in line with `target`,
/// comparing against what each file is sealed to now.
///
/// # Errors
/// An unknown environment or an unreadable summary.
pub fn plan(vault: &Vault, target: &Config, envs: &[String]) -> Result<Vec<EnvPlan>, StoreError> {
    let selected: Vec<String> = if envs.is_empty() {
        target.env_names().map(str::to_owned).collect()
    } else {
        envs.to_vec()
    };
    let mut plans = Vec::with_capacity(selected.len());
    let mut first_owners = FirstOwners::Unread(vault);
    for env in selected {
        let wanted = target
            .recipients_for(&env)
            .ok_or_else(|| StoreError::UnknownEnvironment {
                env: env.clone(),
                known: target.env_names().map(str::to_owned).collect(),
            })?;
        let target_keys: Vec<String> = wanted.iter().map(|r| r.canonical().to_owned()).collect();
        let sealed = vault.read_recipients(&env)?;
        let owner = |key: &str| {
            target
                .owner_of(key)
                .or_else(|| vault.config().owner_of(key))
                .map(str::to_owned)
        };
        let sealed_set: BTreeSet<&String> = sealed.iter().flatten().collect();
        let target_set: BTreeSet<&String> = target_keys.iter().collect();
        let gained = target_set
            .difference(&sealed_set)
            .map(|k| Reader {
                recipient: (*k).clone(),
                member: owner(k),
            })
            .collect();
        let post_quantum = target.requires_pq(&env);
        let (retired, lost) = sealed_set
            .difference(&target_set)
            .map(|k| Reader {
                recipient: (*k).clone(),
                member: owner(k),
            })
            .partition(|r| {
                retires(
                    target,
                    &target_keys,
                    post_quantum,
                    &r.recipient,
                    &mut first_owners,
                )
            });
        // The file's own (signed) header says which kind it is sealed to now.
        let sealed_post_quantum = vault
            .read_ciphertext(&env)
            .ok()
            .and_then(|bytes| crate::crypto::sealed_post_quantum(&bytes, crate::auth::STANZA_TAG));
        plans.push(EnvPlan {
            env,
            sealed,
            target: target_keys,
            gained,
            lost,
            retired,
            to_post_quantum: sealed_post_quantum
                .filter(|now| *now != post_quantum)
                .map(|_| post_quantum),
        });
    }
    Ok(plans)
}

/// Whether dropping `key` retires it rather than taking access away: only a change of
/// kind does that (a classic key when the environment moves to post-quantum keys, or back),
/// and only when the member the key first belonged to still reads with another key.
///
/// "First belonged to" comes from the committed history of the roster, not from the roster
/// as it is now: anyone who can push could otherwise move a removed member's key into
/// another member's list in the same change, and have the removal planned as a retirement
/// (no must-rotate marks, the write key kept).
fn retires(
    target: &Config,
    target_keys: &[String],
    post_quantum: bool,
    key: &str,
    first_owners: &mut FirstOwners<'_>,
) -> bool {
    if key.starts_with(crate::pq::RECIPIENT_PREFIX) == post_quantum {
        return false;
    }
    let Some(owner) = first_owners
        .of(key)
        .or_else(|| target.owner_of(key).map(str::to_owned))
    else {
        return false;
    };
    target.owner_of(key) == Some(owner.as_str())
        && target_keys
            .iter()
            .any(|k| target.owner_of(k) == Some(owner.as_str()))
}

/// [`retires`] for one key on its own (the merge driver's question): whether dropping
/// `key` from an environment sealed to `kept` keys of kind `post_quantum` retires it.
pub(crate) fn retires_key(
    vault: &Vault,
    roster: &Config,
    kept: &[String],
    post_quantum: bool,
    key: &str,
) -> bool {
    retires(
        roster,
        kept,
        post_quantum,
        key,
        &mut FirstOwners::Unread(vault),
    )
}

/// Who each key belonged to when it first appeared in a committed `.vault.toml`, read from
/// history once, on first use.
enum FirstOwners<'v> {
    Unread(&'v Vault),
    Read(std::collections::BTreeMap<String, String>),
}

impl FirstOwners<'_> {
    fn of(&mut self, key: &str) -> Option<String> {
        if let FirstOwners::Unread(vault) = self {
            *self = FirstOwners::Read(first_owners(vault));
        }
        match self {
            FirstOwners::Read(owners) => owners.get(key).cloned(),
            FirstOwners::Unread(_) => None,
        }
    }
}

fn first_owners(vault: &Vault) -> std::collections::BTreeMap<String, String> {
    let mut owners = std::collections::BTreeMap::new();
    let Some(repo) = vault.git() else {
        return owners;
    };
    let Some(path) = repo.path_in_repo(vault.root(), CONFIG_FILE) else {
        return owners;
    };
    let Ok(history) = repo.file_history(std::slice::from_ref(&path)) else {
        return owners;
    };
    // Oldest first, so the first owner wins; a version that does not parse names nobody.
    for change in history.changes.iter().rev() {
        let Some(text) = change
            .new
            .as_ref()
            .and_then(|id| history.blobs.get(id))
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
        else {
            continue;
        };
        let Ok(config) = Config::parse(text) else {
            continue;
        };
        for (name, member) in config.members() {
            for key in &member.keys {
                if let Ok(recipient) = key.parse::<Recipient>() {
                    owners
                        .entry(recipient.canonical().to_owned())
                        .or_insert_with(|| name.clone());
                }
            }
        }
    }
    owners
}

/// What applying a plan did to one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The environment.
    pub env: String,
    /// Secrets newly or still marked must-rotate because a reader lost access.
    pub must_rotate: Vec<String>,
}

/// Applies `plans` (the caller holds the vault's lock, taken before the roster was read,
/// so concurrent membership changes compose instead of overwriting each other): writes
/// `target` as `.vault.toml` if it differs, then re-encrypts each file that needs it to
/// `target`'s recipients, marking every secret must-rotate where a reader was lost. An
/// interruption leaves each file readable by its old or new recipients; re-running the
/// same command, or `vault rekey`, completes the job. `progress` is called before each file with (env, index, total).
///
/// # Errors
/// The caller cannot decrypt a file that must change, or a write fails.
pub fn apply(
    _lock: &Lock,
    vault: &Vault,
    target: &Config,
    plans: &[EnvPlan],
    identities: &Identities,
    now: Timestamp,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<Vec<Applied>, StoreError> {
    let next = vault.with_config(target.clone());
    let pending: Vec<&EnvPlan> = plans.iter().filter(|p| p.needs_rekey()).collect();
    // Everything that can fail without writing is checked first, so a refusal (an
    // environment left without readers, one the caller cannot decrypt) changes nothing.
    let mut payloads = Vec::with_capacity(pending.len());
    for plan in &pending {
        if plan.target.is_empty() {
            return Err(StoreError::NoRecipients {
                env: plan.env.clone(),
            });
        }
        payloads.push(vault.decrypt(&plan.env, identities)?);
    }
    let mut applied = Vec::with_capacity(pending.len());
    let mut sealed = Vec::with_capacity(pending.len());
    for (index, (plan, mut payload)) in pending.iter().zip(payloads).enumerate() {
        progress(&plan.env, index + 1, pending.len());
        // The recipients sealed inside the payload are authoritative: they name who could
        // read this file even when its plaintext summary is missing.
        let lost: Vec<String> = payload
            .recipients
            .iter()
            .filter(|r| !plan.target.contains(r))
            .filter(|r| !plan.retired.iter().any(|retired| &retired.recipient == *r))
            .map(|r| {
                target
                    .owner_of(r)
                    .or_else(|| vault.config().owner_of(r))
                    .map_or_else(|| short_key(r), str::to_owned)
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut marked = Vec::new();
        if !lost.is_empty() {
            let mark = MustRotate {
                reason: format!("{} lost access", lost.join(", ")),
                since: now,
            };
            let names: Vec<String> = payload.secrets.keys().cloned().collect();
            for name in names {
                payload.mark_exposed(&name, &mark);
                marked.push(name);
            }
        }
        // Fresh file keys for every file: age draws one per encryption.
        // Whoever lost access knew the write key: the next epoch's is theirs no more.
        sealed.push(next.seal(&plan.env, &mut payload, !lost.is_empty())?);
        applied.push(Applied {
            env: plan.env.clone(),
            must_rotate: marked,
        });
    }
    // Encrypting can fail too (a plugin key whose plugin is missing), so it happens before
    // anything is written. Then the roster goes first: it is the intent. If the process
    // dies before every file is replaced, `vault check` reports the lagging files as drift
    // and re-running the command (or `vault rekey`) finishes the job in the same direction.
    apply_roster(vault, target)?;
    let batch: Vec<(&str, &[u8], &[crate::crypto::Recipient])> = pending
        .iter()
        .zip(&sealed)
        .map(|(plan, (ciphertext, recipients))| {
            (
                plan.env.as_str(),
                ciphertext.as_slice(),
                recipients.as_slice(),
            )
        })
        .collect();
    next.store_many(&batch)?;
    for plan in &pending {
        faults::point("rekey-env", &vault.env_path(&plan.env));
    }
    Ok(applied)
}

/// Adds environment `env` (already in `target`): its empty file, signed with a new write
/// key and sealed to its readers, then the roster. The file goes first, so an interrupted
/// run leaves at worst an unused file, never a roster naming a file that does not exist.
///
/// # Errors
/// The file exists already, the environment has no readers, or a write fails.
pub fn add_environment(vault: &Vault, target: &Config, env: &str) -> Result<(), StoreError> {
    let next = vault.with_config(target.clone());
    let path = next.env_path(env);
    if path.exists() {
        return Err(StoreError::AlreadyInitialized { path });
    }
    next.write(env, &mut crate::payload::Payload::new(env))?;
    // A new environment: a pin this machine kept for a deleted one of the same name is not
    // its past.
    let bytes = next.read_ciphertext(env)?;
    if let Ok(crate::auth::Seal::Signed(stanza)) = crate::auth::inspect(env, &bytes) {
        next.trust().reset(next.root(), env, Some(&stanza));
    }
    apply_roster(vault, target)
}

/// Writes a changed roster when no file needs re-encrypting (for example a new member
/// with no environments yet).
///
/// # Errors
/// The write fails.
pub fn apply_roster_only(
    _lock: &Lock,
    vault: &Vault,
    target: &Config,
) -> Result<Vec<Applied>, StoreError> {
    apply_roster(vault, target)?;
    Ok(Vec::new())
}

fn apply_roster(vault: &Vault, target: &Config) -> Result<(), StoreError> {
    if target.text() == vault.config().text() {
        return Ok(());
    }
    let path = vault.root().join(CONFIG_FILE);
    atomic::write(&path, target.text().as_bytes(), 0o644).map_err(|source| StoreError::Io {
        action: "write",
        path,
        source,
    })
}

/// The pins of the environments whose write key was handed over by `applied` (a reader was
/// lost, so the key moved to a new epoch): machines that carry the old pin need these.
#[must_use]
pub fn new_pins(vault: &Vault, applied: &[Applied]) -> Vec<crate::auth::Pin> {
    applied
        .iter()
        .filter(|a| !a.must_rotate.is_empty())
        .filter_map(|a| {
            let bytes = vault.read_ciphertext(&a.env).ok()?;
            match crate::auth::inspect(&a.env, &bytes) {
                Ok(crate::auth::Seal::Signed(stanza)) if stanza.chain.epoch() > 1 => {
                    Some(stanza.pin())
                }
                _ => None,
            }
        })
        .collect()
}

/// One member's access to one environment, as `vault access` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Granted and every key re-keyed in: can decrypt.
    Read,
    /// Granted and able to decrypt, but some of their keys are not re-keyed in yet.
    ReadSomeKeys,
    /// Granted in `.vault.toml`, not re-keyed yet.
    Pending,
    /// Removed from `.vault.toml`, still able to decrypt until re-keyed.
    Revoking,
    /// Neither granted nor able to decrypt.
    None,
}

impl Access {
    /// The word `vault access` prints.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::ReadSomeKeys => "read*",
            Self::Pending => "pending",
            Self::Revoking => "revoking",
            Self::None => "-",
        }
    }
}

/// One member's row of the access matrix: their name and, per environment, their access.
pub type AccessRow = (String, Vec<(String, Access)>);

/// The access matrix: for each member (all, or `only`), their access to each environment,
/// from the roster and the recipients summaries.
///
/// # Errors
/// `only` is not a member, or a recipients summary cannot be read.
pub fn access(vault: &Vault, only: Option<&str>) -> Result<Vec<AccessRow>, AccessError> {
    let config = vault.config();
    let members: Vec<&String> = match only {
        Some(name) => {
            let (name, _) = config.members().get_key_value(name).ok_or_else(|| {
                AccessError::Roster(ConfigError::NoSuchMember {
                    member: name.to_owned(),
                })
            })?;
            vec![name]
        }
        None => config.members().keys().collect(),
    };
    let mut sealed = Vec::new();
    for env in config.env_names() {
        sealed.push((env, vault.read_recipients(env)?.unwrap_or_default()));
    }
    Ok(members
        .into_iter()
        .map(|member| {
            let keys: BTreeSet<String> = config.members()[member]
                .keys
                .iter()
                .filter_map(|k| k.parse::<Recipient>().ok())
                .map(|r| r.canonical().to_owned())
                .collect();
            let row = sealed
                .iter()
                .map(|(env, in_summary)| {
                    let configured = config
                        .env(env)
                        .is_some_and(|e| e.members.iter().any(|m| m == member));
                    let in_file = in_summary.iter().any(|k| keys.contains(k));
                    let all_keys = !keys.is_empty() && keys.iter().all(|k| in_summary.contains(k));
                    let access = match (configured, in_file, all_keys) {
                        (true, true, true) => Access::Read,
                        (true, true, false) => Access::ReadSomeKeys,
                        (true, false, _) => Access::Pending,
                        (false, true, _) => Access::Revoking,
                        (false, false, _) => Access::None,
                    };
                    ((*env).to_owned(), access)
                })
                .collect();
            (member.clone(), row)
        })
        .collect())
}

/// Why [`access`] failed.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The member asked for is not in the roster.
    #[error(transparent)]
    Roster(ConfigError),
    /// A recipients summary cannot be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}
