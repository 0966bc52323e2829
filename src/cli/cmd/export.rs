//! The escape hatches: `vault export` (every format a program or platform reads) and
//! `vault import` (a dotenv file into an environment).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::args::{ExportArgs, ExportFormat, ImportArgs};
use crate::cli::error::Error;
use crate::cli::{Context, Outcome, input, render, stdout_error};
use crate::dotenv;
use crate::error::Error as VaultError;
use crate::payload;
use crate::secret::Secret;

/// `vault export <env> --format …`.
pub fn export(context: &Context, args: &ExportArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let payload = context.decrypt(&args.env)?;
    if !matches!(args.format, ExportFormat::Json) {
        // Every other format becomes some program's environment.
        let template = context.vault()?.template()?;
        crate::exec::refuse_loader_variables(
            template.as_ref(),
            &args.env,
            payload
                .variables(jiff::Timestamp::now())
                .iter()
                .map(|(n, _)| n.as_str()),
        )?;
    }
    let pairs: Vec<(&str, &str)> = payload
        .secrets
        .iter()
        .map(|(n, e)| (n.as_str(), e.value.expose()))
        .collect();
    let text = zeroize::Zeroizing::new(match args.format {
        ExportFormat::Dotenv => dotenv::render_dotenv(&pairs),
        ExportFormat::Shell => dotenv::render_shell(&pairs),
        ExportFormat::Json => {
            let map: serde_json::Map<String, serde_json::Value> = pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), serde_json::Value::from(*v)))
                .collect();
            let mut json =
                serde_json::to_string_pretty(&map).expect("JSON values always serialize");
            json.push('\n');
            json
        }
        ExportFormat::K8s => {
            let name = args.name.as_deref().unwrap_or_default();
            crate::export::check_k8s_names(name, args.namespace.as_deref())?;
            crate::export::k8s_secret(
                &args.env,
                name,
                args.namespace.as_deref(),
                &pairs,
                args.base64,
            )
        }
        ExportFormat::GithubEnv => return github_env(&args.env, &pairs, out),
        ExportFormat::Docker => {
            crate::export::docker_env_file(&pairs).map_err(|refused| Error::DockerEnv {
                env: args.env.clone(),
                refused,
            })?
        }
        ExportFormat::Direnv => {
            let vault = context.vault()?;
            // Absolute, so the `.envrc` watches the same files from any directory.
            let root =
                std::fs::canonicalize(vault.root()).unwrap_or_else(|_| vault.root().to_owned());
            let watched = [
                root.join(vault.relative(&vault.env_path(&args.env))),
                root.join(vault.relative(&vault.recipients_path(&args.env))),
                root.join(crate::config::CONFIG_FILE),
            ];
            let watched: Vec<&Path> = watched.iter().map(PathBuf::as_path).collect();
            crate::export::direnv(&pairs, &watched)
        }
    });
    out.write_all(text.as_bytes()).map_err(stdout_error)?;
    Ok(Outcome::Success)
}

/// `--format github-env`: masks on stdout, values appended to `$GITHUB_ENV`.
fn github_env(env: &str, pairs: &[(&str, &str)], out: &mut dyn Write) -> Result<Outcome, Error> {
    let path = std::env::var_os("GITHUB_ENV")
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from)
        .ok_or(Error::NotInGithubActions)?;
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id()).rotate_left(32);
    let rendered = crate::export::github_env(pairs, nonce);
    // The masks must reach the runner before any value can appear in a later step's log.
    out.write_all(rendered.masks.as_bytes())
        .map_err(stdout_error)?;
    out.flush().map_err(stdout_error)?;
    let io_error = |source| VaultError::Io {
        action: "append to",
        path: path.clone(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .map_err(io_error)?;
    file.write_all(rendered.env_file.as_bytes())
        .map_err(io_error)?;
    render::note(&format!(
        "{} secret(s) of `{env}` added to $GITHUB_ENV for the following steps, masked in logs",
        pairs.len()
    ));
    Ok(Outcome::Success)
}

/// `vault import <env> FILE`.
pub fn import(
    context: &Context,
    args: &ImportArgs,
    _out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    vault.require_env(&args.env)?;
    let text = input::read_text(&args.file)?;
    let entries = dotenv::parse(&text).map_err(|source| VaultError::Dotenv {
        path: args.file.clone(),
        source,
    })?;
    for entry in &entries {
        payload::check_value(&entry.name, &entry.value)?;
    }
    let identities = context.identities()?;
    let now = jiff::Timestamp::now();
    let (added, changed) = vault.update(&args.env, &identities, |payload| -> Result<_, Error> {
        let (mut added, mut changed) = (0usize, 0usize);
        for entry in &entries {
            let existed = payload.secrets.contains_key(&entry.name);
            if payload.set(&entry.name, Secret::from(entry.value.as_str()), now)? {
                if existed { changed += 1 } else { added += 1 }
            }
        }
        Ok(((added, changed), added + changed > 0))
    })?;
    render::note(&format!(
        "imported {} secrets into `{}`: {added} added, {changed} changed, {} unchanged",
        entries.len(),
        args.env,
        entries.len() - added - changed
    ));
    Ok(Outcome::Success)
}
