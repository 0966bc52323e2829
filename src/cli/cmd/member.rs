//! `vault member …`, `vault rekey` and `vault access`: onboarding, offboarding and the
//! access matrix. Every re-keying command shows its plan, asks before applying (unless
//! `--yes`), and supports `--dry-run`.

use std::io::Write;

use crate::cli::args::{MemberCommand, MemberKeyCommand, RekeyArgs};
use crate::cli::error::Error;
use crate::cli::error::roster_argument;
use crate::cli::{Context, Outcome, apply, input, render, stdout_error};
use crate::config::{CONFIG_FILE, Config, RosterEdit};
use crate::members::{self, short_key};
use crate::store::Vault;

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
            .map_err(|source| roster_argument(&vault, source))
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
                .map_err(|source| roster_argument(&vault, source))?;
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
                .map_err(|source| roster_argument(&vault, source))?;
            let plans = members::plan(&vault, &target, &args.envs)?;
            apply::execute(context, &lock, &vault, &target, &plans, &args.apply, out)
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
                    return apply::execute(
                        context,
                        &lock,
                        &vault,
                        config,
                        &plans,
                        &args.apply,
                        out,
                    );
                }
            }
            let member = config.member(&args.name).ok_or_else(|| {
                roster_argument(
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
            apply::execute(context, &lock, &vault, &target, &plans, &args.apply, out)
        }
        MemberCommand::Key(MemberKeyCommand::Add(args)) => {
            let (target, envs) = members::add_key(config, &args.name, &args.key)
                .map_err(|source| roster_argument(&vault, source))?;
            let plans = members::plan(&vault, &target, &envs)?;
            apply::execute(context, &lock, &vault, &target, &plans, &args.apply, out)
        }
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
        .map_err(|source| roster_argument(&vault, source))?;
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
        input::confirm()?;
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
            .map_err(|source| roster_argument(&vault, source))?
    } else {
        vault.config().clone()
    };
    let plans = members::plan(&vault, &target, &args.envs)?;
    apply::execute(context, &lock, &vault, &target, &plans, &args.apply, out)
}
