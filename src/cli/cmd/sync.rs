//! `vault push` and `vault pull`: plan, show the plan, apply it (unless `--dry-run`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use crate::cli::args::{StoreArgs, SyncArgs};
use crate::cli::{Context, Outcome, print_json, render, stdout_error};
use crate::error::Error;
use crate::secret::Secret;
use crate::sync::{Action, Plan, SyncError};

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
            let (plan, version) = store.push(&args.env, &local, args)?;
            Report {
                target,
                plan,
                version,
            }
        }
        Direction::Pull => {
            let remote = store.fetch(&args.env)?;
            let now = jiff::Timestamp::now();
            let plan = vault.update(&args.env, &identities, |payload| -> Result<_, Error> {
                let local: BTreeMap<String, Secret> = payload
                    .secrets
                    .iter()
                    .map(|(name, entry)| (name.clone(), entry.value.clone()))
                    .collect();
                // `NAME_PREVIOUS` in the store is what a push derived from a rotation in
                // progress here, not a secret of its own: pulling it back would invent one.
                let mut remote = remote.clone();
                remote.retain(|name, _| {
                    name.strip_suffix("_PREVIOUS")
                        .and_then(|base| payload.secrets.get(base))
                        .is_none_or(|entry| entry.previous.is_none())
                });
                let plan = Plan::compute(&remote, &local, args.prune);
                if args.dry_run || plan.is_noop() {
                    return Ok((plan, false));
                }
                for change in &plan.changes {
                    match change.action {
                        Action::Create | Action::Update => {
                            payload.set(&change.name, remote[&change.name].clone(), now)?;
                        }
                        Action::Delete => {
                            payload.unset(&change.name);
                        }
                        _ => {}
                    }
                }
                Ok((plan, true))
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

/// A connected store: flags checked, address, region and credentials resolved, all before
/// anything is decrypted, so a typo fails fast and asks for no passphrase.
enum Store {
    #[cfg(feature = "ssm")]
    Ssm {
        ssm: crate::sync::ssm::Ssm,
        app: String,
        kms_key_id: Option<String>,
    },
    #[cfg(feature = "kv")]
    Kv(crate::sync::kv::Kv),
    /// Keeps the enum inhabited-in-type when both features are off; never constructed.
    #[cfg(not(any(feature = "ssm", feature = "kv")))]
    #[allow(dead_code)]
    None(std::convert::Infallible),
}

fn connect(store: &StoreArgs) -> Result<Store, SyncError> {
    match store {
        #[cfg(feature = "ssm")]
        StoreArgs::Ssm {
            app,
            region,
            kms_key_id,
        } => {
            crate::sync::ssm::check_app(app)?;
            Ok(Store::Ssm {
                ssm: crate::sync::ssm::Ssm::connect(region.as_deref())?,
                app: app.clone(),
                kms_key_id: kms_key_id.clone(),
            })
        }
        #[cfg(feature = "kv")]
        StoreArgs::Kv { addr, mount, path } => Ok(Store::Kv(crate::sync::kv::Kv::new(
            crate::sync::kv::Target::resolve(addr.as_deref(), mount, path)?,
        ))),
        #[allow(unreachable_patterns)]
        StoreArgs::Ssm { .. } => Err(SyncError::NotBuilt {
            store: "AWS SSM Parameter Store",
            feature: "ssm",
        }),
        #[allow(unreachable_patterns)]
        StoreArgs::Kv { .. } => Err(SyncError::NotBuilt {
            store: "Vault/OpenBao KV",
            feature: "kv",
        }),
    }
}

impl Store {
    fn describe(&self, env: &str) -> String {
        let _ = env;
        match self {
            #[cfg(feature = "ssm")]
            Self::Ssm { ssm, app, .. } => format!(
                "AWS SSM {} ({})",
                crate::sync::ssm::prefix(app, env),
                ssm.region()
            ),
            #[cfg(feature = "kv")]
            Self::Kv(kv) => format!("KV {} at {}", kv.target().display(), kv.target().addr),
            #[cfg(not(any(feature = "ssm", feature = "kv")))]
            Self::None(never) => match *never {},
        }
    }

    fn push(
        &self,
        env: &str,
        local: &BTreeMap<String, Secret>,
        args: &SyncArgs,
    ) -> Result<(Plan, Option<u64>), SyncError> {
        let _ = (env, local, args);
        match self {
            #[cfg(feature = "ssm")]
            Self::Ssm {
                ssm,
                app,
                kms_key_id,
            } => crate::sync::ssm::push(
                ssm,
                app,
                env,
                local,
                kms_key_id.as_deref(),
                args.prune,
                args.dry_run,
            )
            .map(|plan| (plan, None)),
            #[cfg(feature = "kv")]
            Self::Kv(kv) => crate::sync::kv::push(kv, local, args.prune, args.dry_run)
                .map(|pushed| (pushed.plan, pushed.version)),
            #[cfg(not(any(feature = "ssm", feature = "kv")))]
            Self::None(never) => match *never {},
        }
    }

    fn fetch(&self, env: &str) -> Result<BTreeMap<String, Secret>, SyncError> {
        let _ = env;
        match self {
            #[cfg(feature = "ssm")]
            Self::Ssm { ssm, app, .. } => crate::sync::ssm::fetch(ssm, app, env),
            #[cfg(feature = "kv")]
            Self::Kv(kv) => crate::sync::kv::fetch(kv),
            #[cfg(not(any(feature = "ssm", feature = "kv")))]
            Self::None(never) => match *never {},
        }
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
    let width = report
        .plan
        .changes
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(0);
    for change in &report.plan.changes {
        let (mark, note) = match (change.action, direction) {
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
        let _ = writeln!(text, "  {mark} {:width$}  {note}", change.name);
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
