//! `vault member …`, `vault rekey` and `vault access`: onboarding, offboarding and the
//! access matrix. Every re-keying command shows its plan, asks before applying (unless
//! `--yes`), and supports `--dry-run`.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};

use crate::cli::args::{AccessArgs, ApplyArgs, MemberCommand, MemberKeyCommand, RekeyArgs};
use crate::cli::{Context, Outcome, print_json, prompt, render, stdout_error};
use crate::config::{CONFIG_FILE, Config, RosterEdit};
use crate::crypto::Recipient;
use crate::error::Error;
use crate::members::{self, EnvPlan, short_key};
use crate::store::{StoreError, Vault};

/// Dispatches `vault member …`.
pub fn run(
    context: &Context,
    command: &MemberCommand,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let opened = context.vault()?;
    let lock = opened.lock()?;
    // Read the roster again under the lock, so concurrent membership changes compose.
    let vault = Vault::open(opened.root())?.with_trust(opened.trust().clone());
    let config = vault.config();
    let roster = |edit: RosterEdit<'_>, config: &Config| {
        config
            .edited(&edit)
            .map_err(|source| argument_error(&vault, source))
    };
    match command {
        MemberCommand::Request(args) => {
            // Every key of your identity: one with both a classic and a post-quantum key
            // reads environments of either kind.
            let keys = match &args.key {
                Some(key) => vec![key.clone()],
                None => own_keys(context)?,
            };
            let key = keys[0].clone();
            let target = members::request(config, &args.name, &keys)
                .map_err(|source| argument_error(&vault, source))?;
            let pq_envs = members::unreachable_post_quantum_envs(config, &keys);
            if !pq_envs.is_empty() {
                render::warn(&format!(
                    "{} {} sealed to post-quantum keys only, and your key is classic: create one with `vault identity new --pq` and add it in this pull request with `vault member key add {} <the age1pq1… key>`",
                    pq_envs.join(", "),
                    if pq_envs.len() == 1 { "is" } else { "are" },
                    args.name
                ));
            }
            members::apply_roster_only(&lock, &vault, &target)?;
            writeln!(
                out,
                "Added `{}` to {CONFIG_FILE} with the key {}{} and no environments.\n\n\
                 Next:\n  1. Commit and open a pull request:\n       git checkout -b vault-add-{0} && git add {CONFIG_FILE} && git commit -m \"vault: request access for {0}\"\n  \
                 2. Ask a member who reads the environments you need to run, on the merged branch:\n       vault member add {0} --env dev",
                args.name,
                short_key(&key),
                match keys.len() {
                    1 => String::new(),
                    n => format!(" (and {} more)", n - 1),
                }
            )
            .map_err(stdout_error)?;
            Ok(Outcome::Success)
        }
        MemberCommand::Add(args) => {
            let target = members::grant(config, &args.name, args.key.as_deref(), &args.envs)
                .map_err(|source| argument_error(&vault, source))?;
            let plans = members::plan(&vault, &target, &args.envs)?;
            execute(context, &lock, &vault, &target, &plans, &args.apply, out)
        }
        MemberCommand::Remove(args) => {
            if config.member(&args.name).is_none() {
                // An interrupted removal already took them off the roster: finish re-keying
                // the files that are still sealed to them.
                let pending = vault.envs_sealed_to_member(&args.name);
                if !pending.is_empty() {
                    render::note(&format!(
                        "`{}` is no longer in {CONFIG_FILE}, but {} still sealed to them; finishing the removal",
                        args.name,
                        pending.join(", ")
                    ));
                    let plans = members::plan(&vault, config, &pending)?;
                    return execute(context, &lock, &vault, config, &plans, &args.apply, out);
                }
            }
            let member = config.member(&args.name).ok_or_else(|| {
                argument_error(
                    &vault,
                    crate::config::ConfigError::NoSuchMember {
                        member: args.name.clone(),
                    },
                )
            })?;
            let envs = if args.envs.is_empty() {
                None
            } else {
                Some(args.envs.as_slice())
            };
            let target = roster(
                RosterEdit::Revoke {
                    name: &args.name,
                    envs,
                },
                config,
            )?;
            let affected = members::readable_by(&vault, &args.name, &member.keys, envs)?;
            let plans = members::plan(&vault, &target, &affected)?;
            execute(context, &lock, &vault, &target, &plans, &args.apply, out)
        }
        MemberCommand::Key(MemberKeyCommand::Add(args)) => {
            let (target, envs) = members::add_key(config, &args.name, &args.key)
                .map_err(|source| argument_error(&vault, source))?;
            let plans = members::plan(&vault, &target, &envs)?;
            execute(context, &lock, &vault, &target, &plans, &args.apply, out)
        }
    }
}

/// A roster edit that failed because of what was typed, not because `.vault.toml` is
/// broken: said as such, with the names there are.
fn argument_error(vault: &Vault, source: crate::config::ConfigError) -> Error {
    use crate::config::ConfigError as E;
    match source {
        E::NoSuchMember { .. }
        | E::NoSuchEnv { .. }
        | E::MemberExists { .. }
        | E::EnvExists { .. }
        | E::SharedKey { .. }
        | E::InvalidEnvName { .. }
        | E::InvalidMemberName { .. }
        | E::InvalidKey { .. }
        | E::NoKeyOfKind { .. }
        | E::MissingPostQuantum { .. } => Error::RosterArgument {
            source,
            known_members: vault.config().members().keys().cloned().collect(),
            known_envs: vault.config().env_names().map(str::to_owned).collect(),
        },
        source => StoreError::Config {
            path: vault.root().join(CONFIG_FILE),
            source,
        }
        .into(),
    }
}

fn own_keys(context: &Context) -> Result<Vec<String>, Error> {
    let keys = context.identities()?.public_keys();
    if keys.is_empty() {
        return Err(Error::UnknownPublicKey);
    }
    Ok(keys)
}

/// `vault env add ENV --members …`.
pub fn env_add(
    context: &Context,
    args: &crate::cli::args::EnvAddArgs,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let opened = context.vault()?;
    let _lock = opened.lock()?;
    let vault = Vault::open(opened.root())?.with_trust(opened.trust().clone());
    let target = vault
        .config()
        .edited(&RosterEdit::AddEnv {
            env: &args.env,
            members: &args.members,
        })
        .map_err(|source| argument_error(&vault, source))?;
    let keys = target.recipients_for(&args.env).unwrap_or_default().len();
    let plan = format!(
        "  {}: new environment read by {} ({keys} key(s)); writes {CONFIG_FILE} and an empty, signed secrets/{}.age\n",
        args.env,
        args.members.join(", "),
        args.env
    );
    if args.apply.dry_run {
        writeln!(out, "Plan (dry run, nothing changed):\n{plan}").map_err(stdout_error)?;
        return Ok(Outcome::Success);
    }
    eprint!("Plan:\n{plan}");
    if !args.apply.yes {
        confirm()?;
    }
    members::add_environment(&vault, &target, &args.env)?;
    writeln!(
        out,
        "created secrets/{}.age; commit it with {CONFIG_FILE}, then `vault set {} NAME`",
        args.env, args.env
    )
    .map_err(stdout_error)?;
    Ok(Outcome::Success)
}

/// `vault rekey [ENV…]`.
pub fn rekey(context: &Context, args: &RekeyArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let opened = context.vault()?;
    let lock = opened.lock()?;
    let vault = Vault::open(opened.root())?.with_trust(opened.trust().clone());
    for env in &args.envs {
        vault.require_env(env)?;
    }
    let target = if args.pq {
        let envs: Vec<String> = if args.envs.is_empty() {
            vault.config().env_names().map(str::to_owned).collect()
        } else {
            args.envs.clone()
        };
        vault
            .config()
            .with_post_quantum(&envs)
            .map_err(|source| argument_error(&vault, source))?
    } else {
        vault.config().clone()
    };
    let plans = members::plan(&vault, &target, &args.envs)?;
    execute(context, &lock, &vault, &target, &plans, &args.apply, out)
}

fn describe(plans: &[EnvPlan]) -> String {
    let mut text = String::new();
    for plan in plans {
        if !plan.needs_rekey() {
            text.push_str(&format!("  {}: unchanged\n", plan.env));
            continue;
        }
        text.push_str(&format!(
            "  {}: re-encrypt to {} recipient(s){}\n",
            plan.env,
            plan.target.len(),
            match plan.to_post_quantum {
                Some(true) => ", moving from classic to post-quantum keys",
                Some(false) => ", moving from post-quantum to classic keys (a future quantum computer can break them)",
                None => "",
            }
        ));
        for reader in &plan.gained {
            let who = reader
                .member
                .clone()
                .unwrap_or_else(|| "(no member)".to_owned());
            text.push_str(&format!(
                "      + {who} gains access ({})\n",
                short_key(&reader.recipient)
            ));
        }
        for reader in &plan.lost {
            let who = reader
                .member
                .clone()
                .unwrap_or_else(|| "(no member)".to_owned());
            text.push_str(&format!(
                "      - {who} loses access ({}): every secret in {} will be marked must-rotate\n",
                short_key(&reader.recipient),
                plan.env
            ));
        }
        for reader in &plan.retired {
            let who = reader.member.clone().unwrap_or_default();
            text.push_str(&format!(
                "      ~ {who}'s key {} is retired; {who} keeps reading with another key\n",
                short_key(&reader.recipient)
            ));
        }
        if plan.sealed.is_none() {
            text.push_str(&format!(
                "      (secrets/{}.recipients is missing, so the current readers are unknown)\n",
                plan.env
            ));
        }
    }
    text
}

fn execute(
    context: &Context,
    lock: &crate::store::Lock,
    vault: &Vault,
    target: &Config,
    plans: &[EnvPlan],
    apply: &ApplyArgs,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let rekeys = plans.iter().any(EnvPlan::needs_rekey);
    let roster_changes = target.text() != vault.config().text();
    if apply.dry_run {
        if apply.json {
            let doc = serde_json::json!({ "dry_run": true, "roster_changes": roster_changes, "plan": plans });
            print_json(out, &doc)?;
        } else {
            writeln!(out, "Plan (dry run, nothing changed):\n{}", describe(plans))
                .map_err(stdout_error)?;
            if roster_changes {
                writeln!(out, "  {CONFIG_FILE} will be updated").map_err(stdout_error)?;
            }
        }
        return Ok(Outcome::Success);
    }
    if !rekeys && !roster_changes {
        if apply.json {
            writeln!(
                out,
                "{}",
                serde_json::json!({ "changed": [], "must_rotate": [] })
            )
            .map_err(stdout_error)?;
        } else {
            render::note("every environment file already matches .vault.toml; nothing to do");
        }
        return Ok(Outcome::Success);
    }
    let downgrades: Vec<String> = plans
        .iter()
        .filter(|p| p.to_post_quantum == Some(false))
        .map(|p| p.env.clone())
        .collect();
    if !downgrades.is_empty() && !apply.allow_classic {
        return Err(Error::Downgrade { envs: downgrades });
    }
    eprint!("Plan:\n{}", describe(plans));
    if !apply.yes {
        confirm()?;
    }
    let identities = if rekeys {
        Some(context.identities()?)
    } else {
        None
    };
    let show_progress = std::io::stderr().is_terminal() && plans.len() > 1;
    let applied = match &identities {
        Some(identities) => members::apply(
            lock,
            vault,
            target,
            plans,
            identities,
            jiff::Timestamp::now(),
            &mut |env, i, n| {
                if show_progress {
                    eprintln!("re-keying {env} ({i}/{n})");
                }
            },
        )?,
        None => members::apply_roster_only(lock, vault, target)?,
    };
    // Where a reader was lost, the write key moved to a new epoch: the new pins.
    let pins: Vec<crate::auth::Pin> = applied
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
        .collect();
    report(&applied, &pins, apply.json, out)?;
    Ok(Outcome::Success)
}

pub(super) fn confirm() -> Result<(), Error> {
    if !prompt::has_terminal() {
        return Err(Error::ConfirmationRequired);
    }
    match prompt::line("Apply this plan? [y/N] ") {
        Some(answer) if matches!(answer.trim(), "y" | "Y" | "yes") => Ok(()),
        _ => Err(Error::Declined),
    }
}

fn report(
    applied: &[members::Applied],
    pins: &[crate::auth::Pin],
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let marked: Vec<&members::Applied> = applied
        .iter()
        .filter(|a| !a.must_rotate.is_empty())
        .collect();
    if json {
        let doc = serde_json::json!({
            "changed": applied.iter().map(|a| &a.env).collect::<Vec<_>>(),
            "must_rotate": marked.iter().map(|a| serde_json::json!({"env": a.env, "secrets": a.must_rotate})).collect::<Vec<_>>(),
            "warning": (!marked.is_empty()).then_some(HISTORY_WARNING),
            "new_pins": pins.iter().map(ToString::to_string).collect::<Vec<_>>(),
        });
        print_json(out, &doc)?;
        return Ok(());
    }
    for a in applied {
        writeln!(out, "re-keyed secrets/{}.age", a.env).map_err(stdout_error)?;
    }
    if !marked.is_empty() {
        writeln!(out, "\nSecrets that must now be rotated (marked in the vault; `vault check` fails until each changes):").map_err(stdout_error)?;
        for a in &marked {
            writeln!(out, "  {}:", a.env).map_err(stdout_error)?;
            for name in &a.must_rotate {
                writeln!(out, "    {name}").map_err(stdout_error)?;
            }
        }
        writeln!(out, "\nwarning: {HISTORY_WARNING}").map_err(stdout_error)?;
    }
    if !pins.is_empty() {
        writeln!(
            out,
            "\nThe write key of {} was handed over. Machines that carry a pin for it (deploy identities, VAULT_PIN) must be given the new one, or a version signed with the old key would still satisfy them:",
            pins.iter().map(|p| p.env.as_str()).collect::<Vec<_>>().join(", ")
        )
        .map_err(stdout_error)?;
        for pin in pins {
            writeln!(out, "  # vault-pin {pin}").map_err(stdout_error)?;
        }
    }
    Ok(())
}

/// The honest limit of offboarding, printed after every re-key that removed a reader.
pub const HISTORY_WARNING: &str = "whoever lost access can still decrypt every earlier version of these files from git history (and any copy they made). Re-keying only protects future values: rotate each secret at its source (the database, the API provider), then `vault set` the new value.";

/// `vault access [MEMBER]`.
pub fn access(context: &Context, args: &AccessArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    let config = vault.config();
    let envs: Vec<&str> = config.env_names().collect();
    let members: Vec<&String> = match &args.member {
        Some(name) => {
            let (name, _) = config.members().get_key_value(name).ok_or_else(|| {
                argument_error(
                    &vault,
                    crate::config::ConfigError::NoSuchMember {
                        member: name.clone(),
                    },
                )
            })?;
            vec![name]
        }
        None => config.members().keys().collect(),
    };
    let mut sealed = Vec::with_capacity(envs.len());
    for env in &envs {
        sealed.push(vault.read_recipients(env)?.unwrap_or_default());
    }
    let status = |member: &str, index: usize| -> &'static str {
        let env = envs[index];
        let configured = config
            .env(env)
            .is_some_and(|e| e.members.iter().any(|m| m == member));
        let keys: BTreeSet<String> = config.members()[member]
            .keys
            .iter()
            .filter_map(|k| k.parse::<Recipient>().ok())
            .map(|r| r.canonical().to_owned())
            .collect();
        let in_file = sealed[index].iter().any(|k| keys.contains(k));
        let all_keys = !keys.is_empty() && keys.iter().all(|k| sealed[index].contains(k));
        match (configured, in_file, all_keys) {
            (true, true, true) => "read",
            (true, true, false) => "read*",
            (true, false, _) => "pending",
            (false, true, _) => "revoking",
            (false, false, _) => "-",
        }
    };
    if args.json {
        let mut doc = serde_json::Map::new();
        for member in &members {
            let row: serde_json::Map<String, serde_json::Value> = envs
                .iter()
                .enumerate()
                .map(|(i, env)| ((*env).to_owned(), status(member, i).into()))
                .collect();
            doc.insert((*member).clone(), row.into());
        }
        print_json(out, &serde_json::json!({"members": doc}))?;
        return Ok(Outcome::Success);
    }
    let width = members.iter().map(|m| m.len()).max().unwrap_or(6).max(6);
    let mut header = format!("{:width$}", "MEMBER");
    for env in &envs {
        header.push_str(&format!("  {env:8}"));
    }
    writeln!(out, "{}", header.trim_end()).map_err(stdout_error)?;
    for member in &members {
        let mut row = format!("{member:width$}");
        for index in 0..envs.len() {
            row.push_str(&format!("  {:8}", status(member, index)));
        }
        writeln!(out, "{}", row.trim_end()).map_err(stdout_error)?;
    }
    writeln!(
        out,
        "\nread: can decrypt · pending: granted in {CONFIG_FILE}, not re-keyed yet (`vault rekey`) · revoking: removed, still able to decrypt until re-keyed · read*: some of their keys are not re-keyed yet"
    )
    .map_err(stdout_error)?;
    Ok(Outcome::Success)
}
