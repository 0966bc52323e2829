//! `vault push` and `vault pull`: plan, show the plan, apply it (unless `--dry-run`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use crate::cli::args::{StoreArgs, SyncArgs};
use crate::cli::{Context, Outcome, print_json, render, stdout_error};
use crate::error::Error;
use crate::secret::Secret;
use crate::sync::{Action, Plan, Store, SyncError};

/// Which way a sync goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// vault → store.
    Push,
    /// store → vault.
    Pull,
}

/// What a store operation reports back for printing.
struct Report {
    /// `AWS SSM /app/prod/ (eu-west-1)`, `KV secret/app/prod at http://…`.
    target: String,
    plan: Plan,
    /// KV: the version written.
    version: Option<u64>,
}

/// Runs `vault push` or `vault pull`.
pub fn run(
    context: &Context,
    args: &SyncArgs,
    direction: Direction,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    vault.require_env(&args.env)?;
    let write_only = match args.store {
        StoreArgs::Github { .. } => Some("GitHub Actions"),
        StoreArgs::Cloudflare { .. } => Some("Cloudflare Workers"),
        StoreArgs::Ssm { .. } | StoreArgs::Kv { .. } | StoreArgs::Azure { .. } => None,
    };
    if let Some(store) = write_only
        && direction == Direction::Pull
    {
        return Err(SyncError::WriteOnly { store }.into());
    }
    let store = connect(&args.store)?;
    let identities = context.identities()?;
    let target = store.describe(&args.env);
    let report = match direction {
        Direction::Push => {
            let payload = vault.decrypt(&args.env, &identities)?;
            let template = vault.template()?;
            crate::exec::ready_for_runtime(template.as_ref(), &args.env, &payload)?;
            // What a store holds reaches a program's environment like exec's variables.
            crate::exec::refuse_loader_variables(
                template.as_ref(),
                &args.env,
                payload
                    .variables(jiff::Timestamp::now())
                    .iter()
                    .map(|(n, _)| n.as_str()),
            )?;
            // What the store should hold is what `exec` would give a program, including
            // `NAME_PREVIOUS` during a rotation's overlap.
            let local: BTreeMap<String, Secret> = payload
                .variables(jiff::Timestamp::now())
                .into_iter()
                .map(|(name, value)| (name, value.clone()))
                .collect();
            let record = crate::sync::RecordKey::derive(payload.write_key.as_ref(), &args.env);
            let pushed =
                store.push(&args.env, &local, record.as_ref(), args.prune, args.dry_run)?;
            Report {
                target,
                plan: pushed.plan,
                version: pushed.version,
            }
        }
        Direction::Pull => {
            let remote = store.fetch(&args.env)?;
            let now = jiff::Timestamp::now();
            let plan = vault.update(&args.env, &identities, |payload| -> Result<_, Error> {
                Ok(crate::sync::apply_pull(
                    payload,
                    &remote,
                    args.prune,
                    args.dry_run,
                    now,
                )?)
            })?;
            Report {
                target,
                plan,
                version: None,
            }
        }
    };
    print_report(out, &args.env, direction, args, &report)?;
    Ok(Outcome::Success)
}

/// The store the flags name, connected: flags checked, address, region and credentials
/// resolved, all before anything is decrypted, so a typo fails fast and asks for no
/// passphrase. A store whose feature was not built is a clear error.
fn connect(store: &StoreArgs) -> Result<Box<dyn Store>, SyncError> {
    match store {
        #[cfg(feature = "ssm")]
        StoreArgs::Ssm {
            app,
            region,
            kms_key_id,
        } => {
            crate::sync::ssm::check_app(app)?;
            Ok(Box::new(crate::sync::ssm::SsmStore {
                ssm: crate::sync::ssm::Ssm::connect(region.as_deref())?,
                app: app.clone(),
                kms_key_id: kms_key_id.clone(),
            }))
        }
        #[cfg(not(feature = "ssm"))]
        StoreArgs::Ssm { .. } => Err(SyncError::NotBuilt {
            store: "AWS SSM Parameter Store",
            feature: "ssm",
        }),
        #[cfg(feature = "kv")]
        StoreArgs::Kv { addr, mount, path } => Ok(Box::new(crate::sync::kv::Kv::new(
            crate::sync::kv::Target::resolve(addr.as_deref(), mount, path)?,
        ))),
        #[cfg(not(feature = "kv"))]
        StoreArgs::Kv { .. } => Err(SyncError::NotBuilt {
            store: "Vault/OpenBao KV",
            feature: "kv",
        }),
        #[cfg(feature = "github")]
        StoreArgs::Github { repo, environment } => Ok(Box::new(crate::sync::github::Github::new(
            crate::sync::github::Target::resolve(repo, environment.as_deref())?,
        ))),
        #[cfg(not(feature = "github"))]
        StoreArgs::Github { .. } => Err(SyncError::NotBuilt {
            store: "GitHub Actions secrets",
            feature: "github",
        }),
        #[cfg(feature = "cloudflare")]
        StoreArgs::Cloudflare {
            account,
            script,
            wrangler_env,
        } => Ok(Box::new(crate::sync::cloudflare::Cloudflare::new(
            crate::sync::cloudflare::Target::resolve(account, script, wrangler_env.as_deref())?,
        ))),
        #[cfg(not(feature = "cloudflare"))]
        StoreArgs::Cloudflare { .. } => Err(SyncError::NotBuilt {
            store: "Cloudflare Workers secrets",
            feature: "cloudflare",
        }),
        #[cfg(feature = "azure")]
        StoreArgs::Azure { vault_url } => {
            Ok(Box::new(crate::sync::azure::KeyVault::connect(vault_url)?))
        }
        #[cfg(not(feature = "azure"))]
        StoreArgs::Azure { .. } => Err(SyncError::NotBuilt {
            store: "Azure Key Vault",
            feature: "azure",
        }),
    }
}

fn print_report(
    out: &mut dyn Write,
    env: &str,
    direction: Direction,
    args: &SyncArgs,
    report: &Report,
) -> Result<(), Error> {
    let writes = report
        .plan
        .changes
        .iter()
        .filter(|c| c.action.writes())
        .count();
    if args.json {
        let doc = serde_json::json!({
            "environment": env,
            "direction": match direction { Direction::Push => "push", Direction::Pull => "pull" },
            "target": report.target,
            "dry_run": args.dry_run,
            "applied": !args.dry_run && writes > 0,
            "version": report.version,
            "changes": report.plan.changes,
        });
        return print_json(out, &doc);
    }
    let mut text = match direction {
        Direction::Push => format!("push {env} → {}\n", report.target),
        Direction::Pull => format!("pull {} → {env}\n", report.target),
    };
    // Names can come from the store (what it lists beside vault's own): escaped, so a
    // hostile one cannot reach the terminal with escape sequences or forge a plan line.
    let names: Vec<_> = report
        .plan
        .changes
        .iter()
        .map(|c| crate::untrusted::escape(&c.name))
        .collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    for (change, name) in report.plan.changes.iter().zip(&names) {
        let (mark, label) = match (change.action, direction) {
            (Action::Create, _) => ("+", "create"),
            (Action::Update, _) => ("~", "update"),
            (Action::Delete, _) => ("-", "delete"),
            (Action::Keep, Direction::Push) => {
                ("·", "keep: only in the store (--prune deletes it)")
            }
            (Action::Keep, Direction::Pull) => {
                ("·", "keep: only in the vault (--prune removes it)")
            }
            (Action::Unmanaged, _) => ("!", "unmanaged: not created by vault, never deleted"),
            (Action::Unchanged, _) => continue,
        };
        let note = change
            .note
            .map_or(label.to_owned(), |note| format!("{label}: {note}"));
        let _ = writeln!(text, "  {mark} {name:width$}  {note}");
    }
    let unchanged = report.plan.count(Action::Unchanged);
    if unchanged > 0 {
        let _ = writeln!(text, "  {unchanged} unchanged");
    }
    out.write_all(text.as_bytes()).map_err(stdout_error)?;
    if args.dry_run {
        render::note(&format!(
            "dry run: {writes} change(s) planned, nothing was written"
        ));
    } else if writes == 0 {
        render::note("already in sync; nothing was written");
    } else if let Some(version) = report.version {
        render::note(&format!(
            "applied {writes} change(s) as KV version {version}"
        ));
    } else {
        render::note(&format!("applied {writes} change(s)"));
    }
    Ok(())
}
