//! The command-line layer: parses arguments, dispatches to one handler per command,
//! renders errors and chooses the exit code. It is the only layer that prints or prompts.

mod apply;
pub mod args;
mod cmd;
mod error;
mod input;
pub mod prompt;
pub mod render;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use crate::error::Error;
use crate::identity::{Identities, Lookup, PassphrasePrompt};
use crate::store::Vault;
use args::{Cli, Command};

/// What a successful command reports to the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// The command ran and found problems: exit 1.
    Problems,
    /// `exec --mask`: the child's status, passed on.
    Child(u8),
}

/// What of vault's git integration the clone containing `root` lacks; nothing in CI
/// (`$CI` set), where hooks are not what protects the repository and `vault check` and
/// `vault scan` run instead.
pub(crate) fn missing_integration(vault: &Vault) -> Vec<&'static str> {
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        return Vec::new();
    }
    vault
        .git()
        .map(|repo| repo.missing_integration(crate::hooks::HOOK_MARKER))
        .unwrap_or_default()
}

/// Installs vault's pre-commit hook and git drivers in the clone containing `cwd`, saying
/// where a foreign hook was kept. Returns the hook's path.
pub(crate) fn install_hooks(cwd: &std::path::Path) -> Result<PathBuf, Error> {
    let installed = crate::hooks::install(
        cwd,
        &crate::hooks::vault_binary(),
        &crate::hooks::vault_command(),
    )?;
    if let Some(kept) = &installed.kept {
        render::note(&format!(
            "kept your existing hook as {}; it still runs first",
            kept.display()
        ));
    }
    Ok(installed.hook)
}

/// Shared state for handlers: where we run and how to find identities.
#[derive(Debug)]
pub struct Context {
    cwd: PathBuf,
    identity_flag: Option<PathBuf>,
    /// Whether to say, once, that this clone lacks the hook or drivers (not for the
    /// commands git itself runs, nor the ones that install them).
    remind_integration: bool,
    reminded: std::cell::Cell<bool>,
    /// The git repository of the working directory, opened once for the whole command.
    repo: std::cell::OnceCell<Option<crate::git::Repo>>,
    /// Core dumps are off for the whole run (any command may hold plaintext); `exec` puts
    /// the caller's limit back for its child.
    core_dumps: crate::harden::CoreDumpGuard,
}

impl Context {
    /// The vault containing the working directory.
    ///
    /// # Errors
    /// Not inside a vault, or an invalid roster.
    pub fn vault(&self) -> Result<Vault, Error> {
        let vault = Vault::discover_in(&self.cwd, self.repo().cloned())?.with_trust(self.trust()?);
        if self.remind_integration && !self.reminded.replace(true) {
            let missing = missing_integration(&vault);
            if !missing.is_empty() {
                render::note(&format!(
                    "this clone has no {}: plaintext secrets can be committed unnoticed; run `vault hooks install`",
                    missing.join(" and no ")
                ));
            }
        }
        Ok(vault)
    }

    /// What reads are verified against: `VAULT_PIN` and the user's pin file
    /// (`$XDG_CONFIG_HOME/vault/pins`).
    ///
    /// # Errors
    /// An invalid `VAULT_PIN`.
    pub fn trust(&self) -> Result<crate::store::Trust, Error> {
        let (carried, invalid) = std::env::var("VAULT_PIN")
            .map(|text| crate::auth::pins_in_list(&text))
            .unwrap_or_default();
        if let Some(bad) = invalid.into_iter().next() {
            return Err(Error::InvalidPin(bad));
        }
        let store = self
            .lookup()
            .config_dir
            .map(|dir| crate::store::PinStore::at(dir.join("vault").join("pins")));
        let allow_unsigned = std::env::var("VAULT_ALLOW_UNSIGNED")
            .map(|text| {
                text.split(|c: char| c.is_whitespace() || c == ',')
                    .filter(|e| !e.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Ok(crate::store::Trust {
            carried,
            store,
            allow_unsigned,
        })
    }

    /// The git repository of the working directory, opened once per command (`None`:
    /// not in one).
    #[must_use]
    pub fn repo(&self) -> Option<&crate::git::Repo> {
        self.repo
            .get_or_init(|| crate::git::Repo::discover(&self.cwd).ok())
            .as_ref()
    }

    /// The identity lookup inputs.
    #[must_use]
    pub fn lookup(&self) -> Lookup {
        Lookup::from_process_env(self.identity_flag.clone())
    }

    /// The verified payload of `env`, decrypted with the caller's identities.
    ///
    /// # Errors
    /// No such environment, no identity, or the file cannot be read or verified.
    pub fn decrypt(&self, env: &str) -> Result<crate::payload::Payload, Error> {
        let vault = self.vault()?;
        vault.require_env(env)?;
        let identities = self.identities()?;
        Ok(vault.decrypt(env, &identities)?)
    }

    /// Loads identities, prompting on the terminal for passphrases.
    ///
    /// # Errors
    /// No identity, or one that cannot be unlocked.
    pub fn identities(&self) -> Result<Identities, Error> {
        let prompt: Arc<dyn PassphrasePrompt> = Arc::new(prompt::TerminalPrompt);
        Ok(Identities::load(&self.lookup(), &prompt)?)
    }

    /// The working directory.
    #[must_use]
    pub fn cwd(&self) -> &std::path::Path {
        &self.cwd
    }

    /// The core-dump limit the process started with, for `exec` to hand to its child.
    #[must_use]
    pub fn core_dumps(&self) -> &crate::harden::CoreDumpGuard {
        &self.core_dumps
    }
}

/// Runs the CLI with the process's arguments and returns its exit status.
#[must_use]
pub fn run() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            // Which command the mistake was made in, as clap reads it when told to carry on
            // past errors: usage errors under `exec` are its own failures (125).
            let in_exec = <Cli as clap::CommandFactory>::command()
                .ignore_errors(true)
                .try_get_matches_from(&args)
                .is_ok_and(|m| m.subcommand_name() == Some("exec"));
            return ExitCode::from(render::exit_code(&render::Failure::Usage(&err), in_exec));
        }
    };
    let in_exec = matches!(cli.command, Command::Exec(_));
    let cwd = match cli.directory.clone() {
        Some(dir) => dir,
        None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    };
    let remind_integration = !matches!(
        cli.command,
        Command::Hook(_)
            | Command::Hooks(_)
            | Command::Textconv(_)
            | Command::MergeDriver(_)
            | Command::Init(_)
            | Command::Check(_)
            | Command::Completions(_)
            | Command::Man(_)
            | Command::Demo(_)
    );
    let context = Context {
        cwd,
        identity_flag: cli.identity.clone(),
        remind_integration,
        reminded: std::cell::Cell::new(false),
        repo: std::cell::OnceCell::new(),
        core_dumps: crate::harden::disable_core_dumps(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = dispatch(&context, cli.command, &mut out);
    let flushed = out.flush();
    match result {
        Ok(Outcome::Success) if flushed.is_ok() => ExitCode::SUCCESS,
        Ok(Outcome::Problems) => ExitCode::from(1),
        Ok(Outcome::Child(code)) => ExitCode::from(code),
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Err(error::Error::Vault(Error::Io { ref source, .. }))
            if source.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            anstream::eprint!("{}", render::error(&err));
            ExitCode::from(render::exit_code(&render::Failure::Error(&err), in_exec))
        }
    }
}

fn dispatch(
    context: &Context,
    command: Command,
    out: &mut dyn Write,
) -> Result<Outcome, error::Error> {
    match command {
        Command::Init(args) => cmd::init::run(context, &args, out),
        Command::Identity(args) => cmd::identity::run(context, &args, out),
        Command::Edit(args) => cmd::edit::run(context, &args.env, out),
        Command::Set(args) => cmd::secrets::set(context, args, out),
        Command::Unset(args) => cmd::secrets::unset(context, &args, out),
        Command::Get(args) => cmd::secrets::get(context, &args, out),
        Command::Ls(args) => cmd::secrets::ls(context, &args, out),
        Command::Exec(args) => cmd::exec::run(context, &args),
        Command::Export(args) => cmd::export::export(context, &args, out),
        Command::Render(args) => cmd::render::run(context, &args, out),
        Command::Import(args) => cmd::export::import(context, &args, out),
        Command::Member(args) => cmd::member::run(context, &args, out),
        Command::Rekey(args) => cmd::member::rekey(context, &args, out),
        Command::Access(args) => cmd::access::run(context, &args, out),
        Command::Env(args::EnvCommand::Add(args)) => cmd::member::env_add(context, &args, out),
        Command::Upgrade(args) => cmd::trust::upgrade(context, &args, out),
        Command::Pin(args) => cmd::trust::pin(context, &args, out),
        Command::Accept(args) => cmd::trust::accept(context, &args, out),
        Command::Check(args) => cmd::check::run(context, &args, out),
        Command::Rotate(args) => cmd::rotate::run(context, &args, out),
        Command::Hooks(args) => cmd::git::hooks(context, &args, out),
        Command::Hook(args) => cmd::git::hook(context, &args, out),
        Command::Scan(args) => Ok(cmd::scan::run(context, &args, out)?),
        Command::Textconv(args) => cmd::git::textconv(context, &args, out),
        Command::MergeDriver(args) => cmd::git::merge_driver(context, &args),
        Command::Log(args) => cmd::audit::log(context, &args, out),
        Command::Diff(args) => cmd::audit::diff(context, &args, out),
        Command::Template(args) => cmd::template::run(context, args, out),
        Command::Push(args) => Ok(cmd::sync::run(
            context,
            &args,
            cmd::sync::Direction::Push,
            out,
        )?),
        Command::Pull(args) => Ok(cmd::sync::run(
            context,
            &args,
            cmd::sync::Direction::Pull,
            out,
        )?),
        Command::Completions(args) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            // clap_complete panics on a write error; render to memory, then write, so a
            // closed pipe (`| head -1`) ends quietly like every other command.
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut command, "vault", &mut script);
            out.write_all(&script).map_err(stdout_error)?;
            Ok(Outcome::Success)
        }
        Command::Man(args) => {
            let command = <Cli as clap::CommandFactory>::command();
            let Some(dir) = args.dir else {
                clap_mangen::Man::new(command)
                    .render(out)
                    .map_err(stdout_error)?;
                return Ok(Outcome::Success);
            };
            // The main page refers to `vault-<command>(1)`: write those pages too.
            let write = |name: &str, page: clap::Command| -> Result<(), Error> {
                let path = dir.join(format!("{name}.1"));
                let mut text = Vec::new();
                clap_mangen::Man::new(page)
                    .render(&mut text)
                    .map_err(stdout_error)?;
                crate::store::atomic::write(&path, &text, 0o644).map_err(|source| Error::Io {
                    action: "write",
                    path: path.clone(),
                    source,
                })
            };
            std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
                action: "create",
                path: dir.clone(),
                source,
            })?;
            // Built, so clap's own `help` subcommand, which the main page lists, is there.
            let mut command = command;
            command.build();
            for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
                let name = format!("vault-{}", sub.get_name());
                // clap names are `'static` without its `string` feature; this process ends
                // right after writing the pages.
                let leaked: &'static str = Box::leak(name.clone().into_boxed_str());
                write(&name, sub.clone().name(leaked))?;
            }
            write("vault", command)?;
            writeln!(
                out,
                "wrote vault.1 and one page per command in {}",
                dir.display()
            )
            .map_err(stdout_error)?;
            Ok(Outcome::Success)
        }
        Command::Demo(args) => cmd::demo::run(&args, out),
    }
}

/// Prints a JSON document (pretty, newline-terminated) to stdout.
pub(crate) fn print_json(out: &mut dyn Write, value: &serde_json::Value) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value).expect("JSON values always serialize");
    writeln!(out, "{text}").map_err(stdout_error)
}

/// Maps a write to stdout into an [`Error`], so a closed pipe ends quietly.
pub(crate) fn stdout_error(source: std::io::Error) -> Error {
    Error::Io {
        action: "write to",
        path: PathBuf::from("stdout"),
        source,
    }
}
