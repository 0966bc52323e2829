//! `.vault.toml`: the roster of members, their public keys, and who reads each environment.
//!
//! Parsing is strict (unknown fields, unknown members and invalid keys are errors) so a
//! typo never silently changes who can read what. Edits go through `toml_edit` so the
//! comments reviewers wrote survive. This module does no filesystem access.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::crypto::{InvalidRecipient, Recipient};
use crate::names;

/// The file name of the roster at the vault's root.
pub const CONFIG_FILE: &str = ".vault.toml";

/// Errors in `.vault.toml`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not valid TOML, or a field of the wrong type or an unknown field.
    #[error("`.vault.toml` is not valid: {message}")]
    Parse {
        /// toml's description, with line and column.
        message: String,
    },
    /// An environment lists a member who is not under `[members]`.
    #[error("environment `{env}` lists member `{member}`, who has no `[members.{member}]` entry")]
    UnknownMember {
        /// The environment.
        env: String,
        /// The missing member.
        member: String,
    },
    /// An environment lists a member twice.
    #[error("environment `{env}` lists member `{member}` more than once")]
    DuplicateMember {
        /// The environment.
        env: String,
        /// The repeated member.
        member: String,
    },
    /// A member's key is not a valid recipient.
    #[error("member `{member}` has an invalid key")]
    InvalidKey {
        /// The member.
        member: String,
        /// Why the key is invalid.
        #[source]
        source: InvalidRecipient,
    },
    /// A member has no keys at all.
    #[error("member `{member}` has no keys")]
    NoKeys {
        /// The member.
        member: String,
    },
    /// Two members share one key, so access could not be attributed or revoked.
    #[error("members `{first}` and `{second}` share the key `{key}`")]
    SharedKey {
        /// One member.
        first: String,
        /// The other member.
        second: String,
        /// The shared public key.
        key: String,
    },
    /// `member request`/`add` for a name that is taken.
    #[error("member `{member}` already exists")]
    MemberExists {
        /// The member.
        member: String,
    },
    /// A command named a member who is not in the roster.
    #[error("there is no member `{member}`")]
    NoSuchMember {
        /// The member.
        member: String,
    },
    /// `vault env add` named an environment the roster already has.
    #[error("environment `{env}` already exists")]
    EnvExists {
        /// The environment.
        env: String,
    },
    /// A command named an environment that is not in the roster.
    #[error("there is no environment `{env}`")]
    NoSuchEnv {
        /// The environment.
        env: String,
    },
    /// An environment name breaks `[a-z0-9][a-z0-9_-]*`.
    #[error(
        "`{name}` is not a valid environment name (use lowercase letters, digits, `-` and `_`)"
    )]
    InvalidEnvName {
        /// The rejected name.
        name: String,
    },
    /// A member of an environment has no key of the kind the environment is sealed to
    /// (post-quantum with `require_pq = true`, classic otherwise).
    #[error("{}", no_key_of_kind(env, member, *post_quantum))]
    NoKeyOfKind {
        /// The environment.
        env: String,
        /// The member.
        member: String,
        /// Whether the environment is post-quantum.
        post_quantum: bool,
    },
    /// Environments cannot move to post-quantum keys while some of their members have none.
    #[error("{} cannot move to post-quantum keys yet: {}", if missing.len() == 1 { "this environment" } else { "these environments" }, missing.iter().map(|(env, who)| format!("{env} needs one for {}", who.join(", "))).collect::<Vec<_>>().join("; "))]
    MissingPostQuantum {
        /// Each environment with the members who have no post-quantum key.
        missing: Vec<(String, Vec<String>)>,
    },
    /// A member name breaks `[A-Za-z0-9][A-Za-z0-9._-]*`.
    #[error("`{name}` is not a valid member name (use letters, digits, `.`, `-` and `_`)")]
    InvalidMemberName {
        /// The rejected name.
        name: String,
    },
}

fn no_key_of_kind(env: &str, member: &str, post_quantum: bool) -> String {
    if post_quantum {
        format!(
            "environment `{env}` is sealed to post-quantum keys only (`require_pq = true`), and member `{member}` has none"
        )
    } else {
        format!(
            "environment `{env}` is sealed to classic keys (age cannot mix them with post-quantum ones in one file), and member `{member}` has only post-quantum keys"
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    members: BTreeMap<String, Member>,
    #[serde(default)]
    envs: BTreeMap<String, Environment>,
}

/// One member: a person or a machine, with one or more public keys.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// Public keys as written in the file (`age1…`, `ssh-ed25519 … comment`).
    pub keys: Vec<String>,
}

/// One environment and the members who may read it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Member names, in file order.
    #[serde(default)]
    pub members: Vec<String>,
    /// Seal this environment to post-quantum keys only (`age1pq1…`). age cannot mix them
    /// with classic keys in one file, so otherwise it is sealed to classic keys only.
    #[serde(default)]
    pub require_pq: bool,
}

/// The parsed and validated roster, with its source text kept for comment-preserving edits.
#[derive(Debug, Clone)]
pub struct Config {
    members: BTreeMap<String, Member>,
    envs: BTreeMap<String, Environment>,
    text: String,
}

impl Config {
    /// Parses and validates `.vault.toml`.
    ///
    /// # Errors
    /// The first [`ConfigError`] found.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            message: e.to_string().trim_end().to_owned(),
        })?;
        let config = Self {
            members: raw.members,
            envs: raw.envs,
            text: text.to_owned(),
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let mut owners: BTreeMap<String, &str> = BTreeMap::new();
        for (name, member) in &self.members {
            if !names::is_member_name(name) {
                return Err(ConfigError::InvalidMemberName { name: name.clone() });
            }
            if member.keys.is_empty() {
                return Err(ConfigError::NoKeys {
                    member: name.clone(),
                });
            }
            for key in &member.keys {
                let recipient: Recipient =
                    key.parse().map_err(|source| ConfigError::InvalidKey {
                        member: name.clone(),
                        source,
                    })?;
                if let Some(first) = owners.insert(recipient.canonical().to_owned(), name)
                    && first != name
                {
                    return Err(ConfigError::SharedKey {
                        first: first.to_owned(),
                        second: name.clone(),
                        key: recipient.canonical().to_owned(),
                    });
                }
            }
        }
        for (env, environment) in &self.envs {
            if !names::is_env_name(env) {
                return Err(ConfigError::InvalidEnvName { name: env.clone() });
            }
            let mut seen = BTreeSet::new();
            for member in &environment.members {
                if !self.members.contains_key(member) {
                    return Err(ConfigError::UnknownMember {
                        env: env.clone(),
                        member: member.clone(),
                    });
                }
                if !seen.insert(member) {
                    return Err(ConfigError::DuplicateMember {
                        env: env.clone(),
                        member: member.clone(),
                    });
                }
                if self.keys_of_kind(member, environment.require_pq).is_empty() {
                    return Err(ConfigError::NoKeyOfKind {
                        env: env.clone(),
                        member: member.clone(),
                        post_quantum: environment.require_pq,
                    });
                }
            }
        }
        Ok(())
    }

    /// The source text this config was parsed from.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Environment names, sorted.
    pub fn env_names(&self) -> impl Iterator<Item = &str> {
        self.envs.keys().map(String::as_str)
    }

    /// An environment by name.
    #[must_use]
    pub fn env(&self, name: &str) -> Option<&Environment> {
        self.envs.get(name)
    }

    /// Members by name, sorted.
    #[must_use]
    pub fn members(&self) -> &BTreeMap<String, Member> {
        &self.members
    }

    /// A member by name.
    #[must_use]
    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.get(name)
    }

    /// The recipients `secrets/<env>.age` must be encrypted to: every key of the
    /// environment's kind (post-quantum or classic) of every member of the environment,
    /// deduplicated, in a stable order. `None` for an unknown environment.
    #[must_use]
    pub fn recipients_for(&self, env: &str) -> Option<Vec<Recipient>> {
        self.recipients_of_kind(env, self.envs.get(env)?.require_pq)
    }

    /// The keys of the members of `env` that are post-quantum (or that are classic),
    /// deduplicated, in a stable order, whatever the environment's own setting.
    #[must_use]
    pub fn recipients_of_kind(&self, env: &str, post_quantum: bool) -> Option<Vec<Recipient>> {
        let environment = self.envs.get(env)?;
        let mut seen = BTreeSet::new();
        let mut recipients = Vec::new();
        for member in &environment.members {
            for recipient in self.keys_of_kind(member, post_quantum) {
                if seen.insert(recipient.canonical().to_owned()) {
                    recipients.push(recipient);
                }
            }
        }
        recipients.sort_by(|a, b| a.canonical().cmp(b.canonical()));
        Some(recipients)
    }

    /// A member's keys that are post-quantum (or that are not).
    fn keys_of_kind(&self, member: &str, post_quantum: bool) -> Vec<Recipient> {
        self.members
            .get(member)
            .map(|m| m.keys.as_slice())
            .unwrap_or_default()
            .iter()
            // Validation already parsed every key, so failures cannot happen here.
            .filter_map(|key| key.parse::<Recipient>().ok())
            .filter(|r| r.is_post_quantum() == post_quantum)
            .collect()
    }

    /// Whether `env` is sealed to post-quantum keys (`require_pq = true`).
    #[must_use]
    pub fn requires_pq(&self, env: &str) -> bool {
        self.envs.get(env).is_some_and(|e| e.require_pq)
    }

    /// The members of `env` who have no post-quantum key, so it cannot move to one yet.
    #[must_use]
    pub fn missing_pq(&self, env: &str) -> Vec<String> {
        self.envs
            .get(env)
            .map(|e| e.members.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|m| self.keys_of_kind(m, true).is_empty())
            .cloned()
            .collect()
    }

    /// The member who owns a canonical recipient, if any.
    #[must_use]
    pub fn owner_of(&self, canonical: &str) -> Option<&str> {
        self.members.iter().find_map(|(name, member)| {
            member
                .keys
                .iter()
                .any(|k| {
                    k.parse::<Recipient>()
                        .is_ok_and(|r| r.canonical() == canonical)
                })
                .then_some(name.as_str())
        })
    }

    /// This roster with `envs` sealed to post-quantum keys (`require_pq = true`).
    ///
    /// # Errors
    /// [`ConfigError::MissingPostQuantum`] naming, for every environment, each member who
    /// has no post-quantum key yet (all of them at once, so one round of requests suffices).
    pub fn with_post_quantum(&self, envs: &[String]) -> Result<Config, ConfigError> {
        let mut missing = Vec::new();
        for env in envs {
            if !self.envs.contains_key(env) {
                return Err(ConfigError::NoSuchEnv { env: env.clone() });
            }
            let who = self.missing_pq(env);
            if !who.is_empty() {
                missing.push((env.clone(), who));
            }
        }
        if !missing.is_empty() {
            return Err(ConfigError::MissingPostQuantum { missing });
        }
        let mut next = self.clone();
        for env in envs.iter().filter(|e| !self.requires_pq(e)) {
            next = next.edited(&RosterEdit::RequirePq { env })?;
        }
        Ok(next)
    }

    /// Applies `edit` to the roster text (keeping comments and layout) and validates the
    /// result.
    ///
    /// # Errors
    /// The edit does not apply (unknown member, taken name) or the result is invalid.
    pub fn edited(&self, edit: &RosterEdit<'_>) -> Result<Config, ConfigError> {
        let mut doc: toml_edit::DocumentMut =
            self.text
                .parse()
                .map_err(|e: toml_edit::TomlError| ConfigError::Parse {
                    message: e.to_string(),
                })?;
        let no_member = |name: &str| ConfigError::NoSuchMember {
            member: name.to_owned(),
        };
        match edit {
            RosterEdit::AddMember { name, keys } => {
                if !names::is_member_name(name) {
                    return Err(ConfigError::InvalidMemberName {
                        name: (*name).to_owned(),
                    });
                }
                if self.members.contains_key(*name) {
                    return Err(ConfigError::MemberExists {
                        member: (*name).to_owned(),
                    });
                }
                let members = implicit_table(&mut doc, "members");
                let mut entry = toml_edit::Table::new();
                entry.insert(
                    "keys",
                    toml_edit::value(
                        keys.iter()
                            .map(String::as_str)
                            .collect::<toml_edit::Array>(),
                    ),
                );
                members.insert(name, toml_edit::Item::Table(entry));
            }
            RosterEdit::AddKey { name, key } => {
                let keys = doc
                    .get_mut("members")
                    .and_then(|m| m.get_mut(name))
                    .and_then(|m| m.get_mut("keys"))
                    .and_then(toml_edit::Item::as_array_mut)
                    .ok_or_else(|| no_member(name))?;
                let canonical = |k: &str| {
                    k.parse::<Recipient>()
                        .map(|r| r.canonical().to_owned())
                        .ok()
                };
                let wanted = canonical(key);
                if wanted.is_none()
                    || !keys
                        .iter()
                        .any(|k| k.as_str().and_then(canonical) == wanted)
                {
                    keys.push(*key);
                }
            }
            RosterEdit::Grant { name, envs } => {
                if !self.members.contains_key(*name) {
                    return Err(no_member(name));
                }
                for env in *envs {
                    let list = env_members(&mut doc, env)
                        .ok_or_else(|| ConfigError::NoSuchEnv { env: env.clone() })?;
                    if !list.iter().any(|v| v.as_str() == Some(name)) {
                        list.push(*name);
                    }
                }
            }
            RosterEdit::AddEnv { env, members } => {
                if !names::is_env_name(env) {
                    return Err(ConfigError::InvalidEnvName {
                        name: (*env).to_owned(),
                    });
                }
                if self.envs.contains_key(*env) {
                    return Err(ConfigError::EnvExists {
                        env: (*env).to_owned(),
                    });
                }
                if let Some(unknown) = members.iter().find(|m| !self.members.contains_key(*m)) {
                    return Err(no_member(unknown));
                }
                let envs = implicit_table(&mut doc, "envs");
                let mut table = toml_edit::Table::new();
                table.insert(
                    "members",
                    toml_edit::value(
                        members
                            .iter()
                            .map(String::as_str)
                            .collect::<toml_edit::Array>(),
                    ),
                );
                // A new environment starts post-quantum when every reader can: there is
                // no history to protect yet, and nothing to migrate later.
                if !members.is_empty()
                    && members
                        .iter()
                        .all(|m| !self.keys_of_kind(m, true).is_empty())
                {
                    table.insert("require_pq", toml_edit::value(true));
                }
                envs.insert(env, toml_edit::Item::Table(table));
            }
            RosterEdit::RequirePq { env } => {
                let table = doc
                    .get_mut("envs")
                    .and_then(|e| e.get_mut(env))
                    .and_then(toml_edit::Item::as_table_like_mut)
                    .ok_or_else(|| ConfigError::NoSuchEnv {
                        env: (*env).to_owned(),
                    })?;
                table.insert("require_pq", toml_edit::value(true));
            }
            RosterEdit::Revoke { name, envs } => {
                if !self.members.contains_key(*name) {
                    return Err(no_member(name));
                }
                let targets: Vec<String> = match envs {
                    Some(envs) => envs.to_vec(),
                    None => self.envs.keys().cloned().collect(),
                };
                for env in &targets {
                    let list = env_members(&mut doc, env)
                        .ok_or_else(|| ConfigError::NoSuchEnv { env: env.clone() })?;
                    list.retain(|v| v.as_str() != Some(name));
                }
                if envs.is_none()
                    && let Some(members) = doc
                        .get_mut("members")
                        .and_then(toml_edit::Item::as_table_like_mut)
                {
                    members.remove(name);
                }
            }
        }
        Config::parse(&doc.to_string())
    }

    /// Renders a new roster with one member who reads every environment; with a
    /// post-quantum key, every environment requires post-quantum keys.
    #[must_use]
    pub fn render_new(member: &str, key: &str, envs: &[String]) -> String {
        let mut doc = toml_edit::DocumentMut::new();
        doc.decor_mut().set_prefix(
            "# The vault roster: who holds which public keys, and who reads each environment.\n\
             # Reviewed in pull requests like code. After changing it, a reader runs `vault rekey`.\n\n",
        );
        let mut members = toml_edit::Table::new();
        members.set_implicit(true);
        let mut entry = toml_edit::Table::new();
        entry.insert("keys", toml_edit::value(toml_edit::Array::from_iter([key])));
        members.insert(member, toml_edit::Item::Table(entry));
        doc.insert("members", toml_edit::Item::Table(members));
        let mut env_tables = toml_edit::Table::new();
        env_tables.set_implicit(true);
        for env in envs {
            let mut table = toml_edit::Table::new();
            table.insert(
                "members",
                toml_edit::value(toml_edit::Array::from_iter([member])),
            );
            if key.starts_with(crate::pq::RECIPIENT_PREFIX) {
                table.insert("require_pq", toml_edit::value(true));
            }
            env_tables.insert(env, toml_edit::Item::Table(table));
        }
        doc.insert("envs", toml_edit::Item::Table(env_tables));
        doc.to_string()
    }
}

/// A change to the roster, applied with [`Config::edited`].
#[derive(Debug, Clone, Copy)]
pub enum RosterEdit<'a> {
    /// A new member with their keys and no environments.
    AddMember {
        /// The member.
        name: &'a str,
        /// Their public keys.
        keys: &'a [String],
    },
    /// Another key for an existing member.
    AddKey {
        /// The member.
        name: &'a str,
        /// The new public key.
        key: &'a str,
    },
    /// Adds a member to environments.
    Grant {
        /// The member.
        name: &'a str,
        /// The environments.
        envs: &'a [String],
    },
    /// A new environment read by existing members.
    AddEnv {
        /// The environment.
        env: &'a str,
        /// Its readers.
        members: &'a [String],
    },
    /// Seals an environment to post-quantum keys from now on (`require_pq = true`).
    RequirePq {
        /// The environment.
        env: &'a str,
    },
    /// Removes a member from some environments, or (with `None`) from the roster.
    Revoke {
        /// The member.
        name: &'a str,
        /// The environments, or every one and the member entry too.
        envs: Option<&'a [String]>,
    },
}

fn implicit_table<'d>(doc: &'d mut toml_edit::DocumentMut, name: &str) -> &'d mut toml_edit::Table {
    let item = doc.entry(name).or_insert_with(|| {
        let mut table = toml_edit::Table::new();
        table.set_implicit(true);
        toml_edit::Item::Table(table)
    });
    if !item.is_table() {
        *item = toml_edit::Item::Table(toml_edit::Table::new());
    }
    item.as_table_mut().expect("just made it a table")
}

fn env_members<'d>(
    doc: &'d mut toml_edit::DocumentMut,
    env: &str,
) -> Option<&'d mut toml_edit::Array> {
    let table = doc.get_mut("envs")?.get_mut(env)?;
    if table.get("members").is_none() {
        table
            .as_table_like_mut()?
            .insert("members", toml_edit::value(toml_edit::Array::new()));
    }
    table.get_mut("members")?.as_array_mut()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
    const KEY_B: &str = "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg";

    fn doc(body: &str) -> String {
        format!(
            "[members.alice]\nkeys = [\"{KEY_A}\"]\n[members.bob]\nkeys = [\"{KEY_B}\"]\n{body}"
        )
    }

    #[test]
    fn parses_and_lists_recipients() {
        let config = Config::parse(&doc("[envs.dev]\nmembers = [\"alice\", \"bob\"]\n")).unwrap();
        let recipients = config.recipients_for("dev").unwrap();
        assert_eq!(recipients.len(), 2);
        assert_eq!(config.owner_of(KEY_B), Some("bob"));
        assert!(config.recipients_for("prod").is_none());
    }

    #[test]
    fn rejects_bad_rosters() {
        let unknown = Config::parse(&doc("[envs.dev]\nmembers = [\"carol\"]\n")).unwrap_err();
        assert!(
            matches!(unknown, ConfigError::UnknownMember { .. }),
            "{unknown}"
        );
        let field = Config::parse(&doc("[envs.dev]\nmember = [\"alice\"]\n")).unwrap_err();
        assert!(field.to_string().contains("member"), "{field}");
        let dup =
            Config::parse(&doc("[envs.dev]\nmembers = [\"alice\", \"alice\"]\n")).unwrap_err();
        assert!(matches!(dup, ConfigError::DuplicateMember { .. }));
        let bad_env = Config::parse(&doc("[envs.Prod]\nmembers = []\n")).unwrap_err();
        assert!(matches!(bad_env, ConfigError::InvalidEnvName { .. }));
        let shared = Config::parse(&format!(
            "[members.a]\nkeys = [\"{KEY_A}\"]\n[members.b]\nkeys = [\"{KEY_A}\"]\n"
        ))
        .unwrap_err();
        assert!(matches!(shared, ConfigError::SharedKey { .. }));
        let bad_key = Config::parse("[members.a]\nkeys = [\"age1xyz\"]\n").unwrap_err();
        assert!(matches!(bad_key, ConfigError::InvalidKey { .. }));
        assert!(Config::parse("[members\n").is_err());
    }

    #[test]
    fn edits_keep_comments_and_validate() {
        let text = format!(
            "# who reads what\n{}",
            doc(
                "[envs.dev] # the dev env\nmembers = [\"alice\"]\n[envs.prod]\nmembers = [\"alice\", \"bob\"]\n"
            )
        );
        let config = Config::parse(&text).unwrap();
        let granted = config
            .edited(&RosterEdit::Grant {
                name: "bob",
                envs: &["dev".into()],
            })
            .unwrap();
        assert_eq!(granted.env("dev").unwrap().members, ["alice", "bob"]);
        assert!(
            granted.text().contains("# who reads what") && granted.text().contains("# the dev env")
        );
        let removed = granted
            .edited(&RosterEdit::Revoke {
                name: "bob",
                envs: None,
            })
            .unwrap();
        assert!(removed.member("bob").is_none());
        assert_eq!(removed.env("prod").unwrap().members, ["alice"]);
        let partial = granted
            .edited(&RosterEdit::Revoke {
                name: "bob",
                envs: Some(&["prod".into()]),
            })
            .unwrap();
        assert!(partial.member("bob").is_some());
        assert!(matches!(
            config.edited(&RosterEdit::AddMember {
                name: "bob",
                keys: &[KEY_A.into()]
            }),
            Err(ConfigError::MemberExists { .. })
        ));
        assert!(matches!(
            config.edited(&RosterEdit::Grant {
                name: "carol",
                envs: &[]
            }),
            Err(ConfigError::NoSuchMember { .. })
        ));
        assert!(matches!(
            config.edited(&RosterEdit::Grant {
                name: "bob",
                envs: &["qa".into()]
            }),
            Err(ConfigError::NoSuchEnv { .. })
        ));
    }

    #[test]
    fn render_new_round_trips() {
        let text = Config::render_new("alice", KEY_A, &["dev".into(), "prod".into()]);
        let config = Config::parse(&text).unwrap();
        assert_eq!(config.env_names().collect::<Vec<_>>(), ["dev", "prod"]);
        assert_eq!(config.env("prod").unwrap().members, ["alice"]);
    }
}
