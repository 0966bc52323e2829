//! `vault init`: creates the roster, the encrypted files, the template, `.gitattributes`
//! and the git driver settings.

use std::io::Write;
use std::path::Path;

use crate::cli::args::InitArgs;
use crate::cli::error::Error;
use crate::cli::{Context, Outcome, render, stdout_error};
use crate::config::Config;
use crate::error::Error as VaultError;
use crate::identity::{self, IdentityError};
use crate::schema::{TEMPLATE_FILE, Template};
use crate::store::{StoreError, Vault, atomic};
use crate::{git, names};

/// The line `vault init` adds to `.gitattributes`.
pub const GITATTRIBUTES_LINE: &str = "secrets/*.age diff=vault merge=vault -text";

/// The line `vault init` adds to `.gitignore`: summaries of interrupted writes.
pub const GITIGNORE_LINE: &str = "secrets/.*.pending";

/// Runs `vault init`.
pub fn run(context: &Context, args: &InitArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let root = context.cwd().to_owned();
    let mut envs: Vec<String> = Vec::new();
    for env in &args.envs {
        let env = env.trim().to_owned();
        if !names::is_env_name(&env) {
            return Err(StoreError::InvalidEnvName { env }.into());
        }
        if !envs.contains(&env) {
            envs.push(env);
        }
    }
    if let Ok(existing) = Vault::discover_in(&root, context.repo().cloned())
        && existing.root() == root
    {
        return Err(StoreError::AlreadyInitialized {
            path: root.join(crate::config::CONFIG_FILE),
        }
        .into());
    }
    let name = member_name(args.name.as_deref(), context.repo());
    let key = match &args.key {
        Some(key) => key.clone(),
        None => own_public_key(context)?,
    };
    let config_text = Config::render_new(&name, &key, &envs);
    let vault = Vault::create(&root, &config_text, context.trust()?)?;

    let template = root.join(TEMPLATE_FILE);
    if !template.exists() {
        atomic::write(&template, Template::example().as_bytes(), 0o644).map_err(|source| {
            VaultError::Io {
                action: "write",
                path: template.clone(),
                source,
            }
        })?;
    }
    ensure_line(&root.join(".gitattributes"), GITATTRIBUTES_LINE)?;
    ensure_line(&root.join(".gitignore"), GITIGNORE_LINE)?;
    let in_git = context.repo().and_then(git::Repo::work_tree).is_some();
    if in_git {
        let hook = crate::cli::install_hooks(&root)?;
        render::note(&format!(
            "installed the pre-commit hook at {} and git's diff/merge drivers",
            hook.display()
        ));
    }

    writeln!(out, "Created a vault in {}", vault.root().display()).map_err(stdout_error)?;
    writeln!(out, "  member `{name}` reads: {}", envs.join(", ")).map_err(stdout_error)?;
    for env in &envs {
        writeln!(out, "  secrets/{env}.age").map_err(stdout_error)?;
    }
    writeln!(out, "\nNext:\n  vault set {} DATABASE_URL      # or: vault edit {}\n  vault exec {} -- ./your-app", envs[0], envs[0], envs[0]).map_err(stdout_error)?;
    if in_git {
        writeln!(
            out,
            "  git add .vault.toml secrets/ {TEMPLATE_FILE} .gitattributes .gitignore && git commit"
        )
        .map_err(stdout_error)?;
    } else {
        render::warn(
            "not inside a git repository, so the pre-commit hook and the diff and merge drivers were not installed; after `git init`, run `vault hooks install` (see docs/git-integration.md)",
        );
    }
    Ok(Outcome::Success)
}

fn member_name(flag: Option<&str>, repo: Option<&git::Repo>) -> String {
    let raw = flag
        .map(str::to_owned)
        .or_else(|| git::user_name(repo))
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "me".to_owned());
    let mut name: String = raw
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    name = name
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned();
    if names::is_member_name(&name) {
        name
    } else {
        "me".to_owned()
    }
}

/// The caller's public key, creating an identity at the default path if none exists.
fn own_public_key(context: &Context) -> Result<String, Error> {
    match context.identities() {
        Ok(identities) => identities.public_keys().into_iter().next().ok_or(Error::Vault(VaultError::Identity(IdentityError::Invalid {
            source_: identities.sources().next().cloned().unwrap_or(identity::Source::EnvKey),
            reason: "its public key is unknown (an SSH key needs its `.pub` file beside it); pass `--key`".to_owned(),
        }))),
        Err(VaultError::Identity(IdentityError::NotFound { .. })) => {
            let path = context
                .lookup()
                .default_file()
                .ok_or(IdentityError::NotFound { searched: Vec::new() })?;
            // New teams start post-quantum: their history is what a future quantum
            // computer would harvest, and there is nothing to migrate yet.
            let created = identity::generate_post_quantum(jiff::Timestamp::now());
            super::identity::write_identity(&path, created.text.as_bytes())?;
            render::note(&format!(
                "created your identity at {} — back it up; without it you cannot decrypt",
                path.display()
            ));
            Ok(created.public)
        }
        Err(other) => Err(other.into()),
    }
}

/// Appends `line` to the text file at `path` unless it is already there.
fn ensure_line(path: &Path, line: &str) -> Result<(), VaultError> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(VaultError::Io {
                action: "read",
                path: path.to_owned(),
                source,
            });
        }
    };
    if existing.lines().any(|l| l.trim() == line) {
        return Ok(());
    }
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(line);
    text.push('\n');
    atomic::write(path, text.as_bytes(), 0o644).map_err(|source| VaultError::Io {
        action: "write",
        path: path.to_owned(),
        source,
    })
}
