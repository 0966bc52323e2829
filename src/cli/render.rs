//! Every user-facing string about failures: the error line, its causes, and a hint with
//! a command to run. Also the exit-code policy, in one function.

use std::error::Error as _;
use std::fmt::Write as _;

use anstyle::{AnsiColor, Color, Style};

use crate::cli::error::Error;
use crate::error::Error as VaultError;
use crate::exec::ExecError;
use crate::identity::IdentityError;
use crate::store::StoreError;
use crate::sync::SyncError;
use crate::untrusted::sanitize;

const fn bold(color: AnsiColor) -> Style {
    Style::new().bold().fg_color(Some(Color::Ansi(color)))
}

const ERROR: Style = bold(AnsiColor::Red);
const WARNING: Style = bold(AnsiColor::Yellow);
const NOTE: Style = bold(AnsiColor::Cyan);
const HINT: Style = bold(AnsiColor::Green);

/// `text` in `style`. Always styled: everything here reaches stderr through `anstream`,
/// which drops the styling unless stderr is a terminal that wants colour (no `NO_COLOR`,
/// `CLICOLOR=0` or `TERM=dumb`).
fn label(text: &str, style: Style) -> String {
    format!("{style}{text}{style:#}")
}

/// Prints a warning to stderr.
pub fn warn(message: &str) {
    anstream::eprintln!("{} {}", label("warning:", WARNING), sanitize(message));
}

/// Prints a notice to stderr.
pub fn note(message: &str) {
    anstream::eprintln!("{} {}", label("note:", NOTE), sanitize(message));
}

/// Renders an error: `error: …`, one `caused by:` line per cause, then `hint: …`, styled
/// for [`anstream`] (print it with `anstream::eprint!`).
#[must_use]
pub fn error(err: &Error) -> String {
    // Errors quote files anyone with push access can write (a line of `.vault.toml`, a
    // path); control characters in them must not reach the terminal raw.
    let mut out = format!(
        "{} {}\n",
        label("error:", ERROR),
        sanitize(&err.to_string())
    );
    let mut cause = err.source();
    // `transparent` variants repeat their inner error as the first source; skip duplicates.
    let mut last = err.to_string();
    while let Some(c) = cause {
        let text = c.to_string();
        if text != last {
            let _ = writeln!(out, "  caused by: {}", sanitize(&text));
        }
        last = text;
        cause = c.source();
    }
    if let Some(hint) = hint(err) {
        let _ = writeln!(out, "{} {}", label("hint:", HINT), sanitize(&hint));
    }
    out
}

fn hint(err: &Error) -> Option<String> {
    Some(match err {
        Error::Vault(err) => vault_hint(err),
        Error::SecretNotFound { env, .. } => format!("list the secrets with `vault ls {env}`"),
        Error::EditConflict { env, .. } => format!("run `vault edit {env}` again to apply your change on top of the new version"),
        Error::EditAbandoned { env, .. } => format!("run `vault edit {env}` again"),
        Error::NoValue { name } => format!("pipe it in (`printf %s \"$VALUE\" | vault set <env> {name}`), use --from-file, or run in a terminal to be prompted"),
        Error::ValueNotUtf8 { .. } => "store binary data base64-encoded (`base64 -w0 file | vault set <env> KEY`)".to_owned(),
        Error::Passphrase { .. } => "run `vault identity new --passphrase` in a terminal, or omit --passphrase (for CI keys)".to_owned(),
        Error::ConfirmationRequired => "review the plan with `--dry-run`, then re-run with `--yes`".to_owned(),
        Error::DockerEnv { env, refused } => format!("docker reads environment variables from the process too: `vault exec {env} -- docker run -e {} …` passes them with line breaks intact; or hand them over as files with `vault exec {env} --file {} -- …`", refused[0].name, refused[0].name),
        Error::Render { env, problems, .. } => match problems.iter().find_map(|p| match &p.kind {
            crate::placeholders::ProblemKind::Unknown(name) => Some(name),
            crate::placeholders::ProblemKind::Malformed => None,
        }) {
            Some(name) => format!("check the spelling against `vault ls {env}`, or set it with `vault set {env} {name}`"),
            None => "a placeholder is `{{ NAME }}` around a secret's name (letters, digits and `_`, not starting with a digit); see docs/exec-and-deploys.md#configuration-files-vault-render".to_owned(),
        },
        Error::NotInGithubActions => "run it in a GitHub Actions step (the runner sets $GITHUB_ENV), or use `--format dotenv`".to_owned(),
        Error::RosterArgument { source, known_members, known_envs } => match source {
            crate::config::ConfigError::NoSuchEnv { .. } | crate::config::ConfigError::InvalidEnvName { .. } => format!("environments in .vault.toml: {}", known_envs.join(", ")),
            crate::config::ConfigError::SharedKey { .. } => "that key already belongs to a member: `vault access` lists them; a second key for the same person is `vault member key add`".to_owned(),
            crate::config::ConfigError::EnvExists { .. } => format!("environments in .vault.toml: {}; to give someone access to one, `vault member add NAME --env ENV`", known_envs.join(", ")),
            crate::config::ConfigError::MemberExists { .. } => "choose another name, or `vault member key add` to give an existing member another key".to_owned(),
            crate::config::ConfigError::NoKeyOfKind { env, member, post_quantum: true } => format!("`{member}` runs `vault identity new --pq` (it keeps their current key) and opens a pull request with `vault member key add {member} <their age1pq1… key>`; SSH and hardware keys cannot be post-quantum. Then add them to `{env}`"),
            crate::config::ConfigError::NoKeyOfKind { env, member, post_quantum: false } => format!("give `{member}` a classic key as well (`vault member key add {member} <age1… key>`), or move `{env}` to post-quantum keys once every member has one (`vault rekey {env} --pq`)"),
            crate::config::ConfigError::MissingPostQuantum { .. } => "each of them runs `vault identity new --pq` (it keeps their current key) and opens a pull request with `vault member key add NAME <their age1pq1… key>`; SSH and hardware keys cannot be post-quantum. Then run this again".to_owned(),
            crate::config::ConfigError::NoSuchMember { .. }
            | crate::config::ConfigError::InvalidMemberName { .. }
            | crate::config::ConfigError::UnknownMember { .. }
            | crate::config::ConfigError::DuplicateMember { .. }
            | crate::config::ConfigError::NoKeys { .. } => format!("members in .vault.toml: {}", known_members.join(", ")),
            crate::config::ConfigError::InvalidKey { .. } => "a key is `age1…`, `age1pq1…`, `ssh-ed25519 …` or `ssh-rsa …`, or an age plugin's `age1<plugin>1…`: `vault identity show` prints yours".to_owned(),
            crate::config::ConfigError::Parse { .. } => "fix `.vault.toml` (see docs/file-format.md), then run the command again".to_owned(),
        },
        Error::NoTemplate { .. } => "create it with `vault template import .env.example`, or `vault init` (which writes a starter template)".to_owned(),
        Error::ValuesDiffer { name } => format!("run it again and type the same value twice, or pipe it in (`printf %s \"$VALUE\" | vault set <env> {name}`)"),
        Error::UnknownPublicKey => "pass the key explicitly with `--key \"$(cat ~/.ssh/id_ed25519.pub)\"`".to_owned(),
        Error::Interrupted { .. } => "run the command again when you are ready".to_owned(),
        Error::InvalidDate { .. } => "for example `--as-of 2027-01-31`".to_owned(),
        Error::InvalidDuration { .. } => "for example `--grace 7d`".to_owned(),
        Error::Demo { .. } => "the output above shows the failing step; the demo runs in a throwaway directory, so run it again, and report a vault bug if it fails the same way".to_owned(),
        Error::Downgrade { envs } => format!("check who removed `require_pq = true` from .vault.toml (`git log -p .vault.toml`) and put it back; if moving {} to classic keys is intended, re-run with `--allow-classic`", envs.join(", ")),
        // The message says it all: the user said no.
        Error::Declined => return None,
    })
}

/// The hint for each of the library's errors: every one has a command to run.
fn vault_hint(err: &VaultError) -> String {
    match err {
        VaultError::Store(store) => match store {
            StoreError::NotAVault { .. } => "run `vault init` at the root of your repository, or `cd` into one that has a `.vault.toml`".to_owned(),
            StoreError::ForeignRoster { path, .. } => format!("if this vault is yours, take ownership (`chown $(id -u) {}`); if it is not, run vault inside your own repository", path.display()),
            StoreError::AlreadyInitialized { .. } => "this directory already has a vault: `vault hooks install` protects this clone, `vault member request <your-name>` asks for access, and members use `vault edit <env>`".to_owned(),
            StoreError::Config { .. } => "fix `.vault.toml` (see docs/file-format.md), then run the command again".to_owned(),
            StoreError::InvalidEnvName { .. } | StoreError::UnknownEnvironment { .. } => "environments are listed under `[envs.<name>]` in `.vault.toml`".to_owned(),
            StoreError::MissingFile { env, .. } => format!("restore it from git (`git checkout -- secrets/{env}.age`), or ask a member of `{env}` to run `vault rekey {env}`"),
            StoreError::NoAccess { env, .. } => format!("ask a member who reads `{env}` to run `vault member add <your-name> --env {env}` (share your key with `vault identity show`), or point $VAULT_IDENTITY_FILE at the right key"),
            StoreError::PassphraseUnavailable { .. } => "run it in a terminal, or set $VAULT_IDENTITY to an unprotected key (the usual way for CI)".to_owned(),
            StoreError::Crypto { source: crate::crypto::CryptoError::MissingPlugin { binary }, .. }
            | StoreError::Seal { source: crate::crypto::CryptoError::MissingPlugin { binary }, .. } => format!("install {binary} and put it on $PATH: a key in this environment (or your identity) is an age plugin key (YubiKey, TPM, …); nothing was changed"),
            StoreError::Crypto { source: crate::crypto::CryptoError::Plugin { .. }, .. }
            | StoreError::Seal { source: crate::crypto::CryptoError::Plugin { .. }, .. } => "check the device the plugin talks to (is the YubiKey inserted? the PIN right?) and retry; nothing was changed".to_owned(),
            StoreError::Seal { .. } => "check the recipients in .vault.toml (`vault access`); nothing was changed".to_owned(),
            StoreError::Crypto { env, .. } => format!("restore the file from git (`git checkout -- secrets/{env}.age`) or from a backup; vault changed nothing"),
            StoreError::Payload { .. } => "the file may come from a newer vault (upgrade vault) or was altered; restore it from git".to_owned(),
            StoreError::WrongEnvironment { env, .. } => format!("someone copied another environment's file; restore secrets/{env}.age from git (`git log -- secrets/{env}.age`)"),
            StoreError::RecipientsTampered { .. } => "check `git log -p secrets/` for who changed these files; restore both from a trusted commit".to_owned(),
            StoreError::NoRecipients { env } => format!("add a member to `[envs.{env}]` in `.vault.toml`"),
            StoreError::Unauthenticated { env, reason, .. } => auth_hint(env, reason),
            StoreError::NothingToAccept { .. } => "`vault check` shows what, if anything, does not verify".to_owned(),
            StoreError::NoTrustedVersion { env } => format!("fetch the full history (`git fetch --unshallow`) and retry; if `{env}` was never signed, a reader runs `vault upgrade`"),
            StoreError::NeedsUpgrade { .. } => "a reader runs `vault upgrade` once (it shows the plan first) and commits the result; after that every version is signed".to_owned(),
            StoreError::KindChangePending { env, post_quantum: true } => format!("a reader runs `vault rekey {env}` to move it to post-quantum keys; then retry"),
            StoreError::KindChangePending { env, post_quantum: false } => format!("check who removed `require_pq = true` from `[envs.{env}]` in .vault.toml (`git log -p .vault.toml`): moving back to classic keys lets a future quantum computer read new values. If intended, a reader runs `vault rekey {env}`"),
            StoreError::RemovalPending { env, .. } => format!("run `vault rekey {env}`: it shows the plan, re-encrypts without them and marks what they could read must-rotate; then retry"),
            StoreError::Template { .. } => "fix .secrets.example.toml; each secret is a [NAME] table (see docs/file-format.md)".to_owned(),
            StoreError::Lock(_) => "wait for the other vault command to finish, then retry".to_owned(),
            StoreError::Io { .. } => "check that the path exists and is writable".to_owned(),
        },
        VaultError::Identity(identity) => match identity {
            IdentityError::NotFound { .. } => "create one with `vault identity new --pq` (post-quantum; plain `vault identity new` for a classic key), or set $VAULT_IDENTITY (CI), $VAULT_IDENTITY_CMD (a password manager) or $VAULT_IDENTITY_FILE".to_owned(),
            IdentityError::MissingPlugin { binary, .. } => format!("install {binary} (e.g. `cargo install {binary}` or your package manager) and make sure it is on $PATH"),
            IdentityError::PassphraseUnavailable { .. } => "run it in a terminal, or set $VAULT_IDENTITY to an unprotected key (the usual way for CI)".to_owned(),
            IdentityError::WrongPassphrase { .. } => "try again; if it is lost, create a new identity and ask a member to re-add your new key".to_owned(),
            IdentityError::AlreadyExists { .. } => "use `vault identity show` to see its public key, or `--output FILE` for another identity".to_owned(),
            IdentityError::Invalid { .. } | IdentityError::Unreadable { .. } => "point --identity or $VAULT_IDENTITY_FILE at an age identity (`AGE-SECRET-KEY-1…`) or an OpenSSH ed25519/RSA key".to_owned(),
            IdentityError::Write { .. } => "check that the directory is writable".to_owned(),
            IdentityError::CommandInvalid { .. } => "set $VAULT_IDENTITY_CMD to a program and its arguments, quoted as in a shell (e.g. `op read op://vault/age-key/identity`); for pipes, write `sh -c '…'`".to_owned(),
            IdentityError::CommandNotStarted { program, .. } => format!("check that `{program}` is installed and on $PATH, or unset $VAULT_IDENTITY_CMD to use $VAULT_IDENTITY_FILE or the default identity"),
            IdentityError::CommandFailed { .. } => "run the command from $VAULT_IDENTITY_CMD yourself to see why it fails (signed in to the password manager? keychain unlocked?), or unset the variable".to_owned(),
            IdentityError::CommandOutput { .. } => "the command must print the identity file's text (`AGE-SECRET-KEY-1…` or an OpenSSH private key) on stdout and nothing else".to_owned(),
            IdentityError::TooOpen { path, .. } => format!("run `chmod 600 {}` (for a mounted secret you cannot chmod, mount it with mode 0400, e.g. Kubernetes `defaultMode: 0400`, or pass the key itself in $VAULT_IDENTITY); if someone else could have copied it, make a new key with `vault identity new` and have it added with `vault member key add`", path.display()),
        },
        VaultError::Exec(ExecError::NoCommand) => "give the command after `--`, e.g. `vault exec prod -- ./server`".to_owned(),
        VaultError::Exec(ExecError::NotFound { .. }) => "check the spelling and $PATH".to_owned(),
        VaultError::Exec(ExecError::NotExecutable { .. }) => "check the file's execute permission (`chmod +x`)".to_owned(),
        VaultError::Exec(ExecError::TemplateViolations { env, .. }) => format!("set the missing or invalid secrets with `vault edit {env}`; the rules are in .secrets.example.toml"),
        VaultError::Exec(ExecError::OnlyUnknown { env, .. } | ExecError::FileUnknown { env, .. }) => format!("list the secrets with `vault ls {env}`"),
        VaultError::Exec(ExecError::FileVariableTaken { env, names }) => format!("rename one of them (`vault get {env} {0}`, then `vault unset {env} {0}`), or leave that secret out of `--file`", names[0]),
        VaultError::Exec(ExecError::VariableTooLong { env, names }) => format!("pass {0} as a file instead: `vault exec {env} --file {0} -- …` sets {0}_FILE to its path", names.join(",")),
        VaultError::Exec(ExecError::FilesUnsupported) => "pass the secret as a variable (drop `--file`), or write it to a private file with `vault render` and remove it afterwards".to_owned(),
        VaultError::Exec(ExecError::SecretFile { .. } | ExecError::Supervise { .. }) => "the system is short of memory or file descriptors (`ulimit -n`); retry, and report a vault bug if it persists".to_owned(),
        VaultError::Dotenv { .. } => "fix the line shown; quote values with single quotes to keep `$` and `#` literal".to_owned(),
        VaultError::Payload(_) => "secret names are environment-variable names; values cannot contain NUL bytes".to_owned(),
        VaultError::Exec(ExecError::UnresolvedConflicts { env, .. }) => format!("run `vault edit {env}`: it shows both values of each conflict; keep one"),
        VaultError::RosterUnreadable { source } => {
            let path = match source {
                StoreError::Config { path, .. } | StoreError::Io { path, .. } => path.display().to_string(),
                _ => crate::config::CONFIG_FILE.to_owned(),
            };
            format!("fix {path} at the place shown (after a merge, keep the right members and keys and delete the `<<<<<<<`, `=======` and `>>>>>>>` lines), check it with `vault access`, then run again; until then the pre-commit hook blocks every commit")
        }
        VaultError::Worker(_) | VaultError::Git(crate::git::GitError::Worker(_)) => "nothing was let through; run the command again, and if it fails again report it as a vault bug with the output above (it holds no secret values)".to_owned(),
        VaultError::ScanIncomplete { .. } => "make the files or objects listed above readable (check `ls -l` and ownership; for history, `git fsck` names damaged or missing objects) or leave them out of the paths given, then scan again".to_owned(),
        VaultError::NotInGit => "run it inside a git work tree (`git init` first)".to_owned(),
        VaultError::HookConflict { path } => format!("merge your current pre-commit hook into {} by hand, or remove one of them", path.display()),
        VaultError::Io { path, .. } => format!("check that {} exists and is readable (or writable)", path.display()),
        VaultError::Edit(crate::edit::EditError::EditorExit { .. } | crate::edit::EditError::EditorFailed { .. }) => {
            "set $VISUAL or $EDITOR to an editor that waits until you close the file (e.g. `code --wait`, `vim`)".to_owned()
        }
        VaultError::Edit(_) => "check that $XDG_RUNTIME_DIR or /dev/shm is writable, then retry".to_owned(),
        VaultError::Sync(sync) => sync_hint(sync),
        VaultError::K8sName(_) => "Kubernetes names are lowercase DNS names, e.g. `--name myapp-secrets --namespace prod`".to_owned(),
        VaultError::Exec(ExecError::LoaderVariables { env, names }) => format!("a value there runs code in every program `vault exec` starts; if that is intended, declare it in .secrets.example.toml with `allow_loader = true` (e.g. `[{}]` then `allow_loader = true`), else remove it (`vault unset {env} {}`)", names[0], names[0]),
        VaultError::Codegen(crate::codegen::CodegenError::InvalidEnvVar { .. }) => "pass a variable name such as `--env-var APP_ENV`".to_owned(),
        VaultError::Codegen(crate::codegen::CodegenError::Pattern { secret, .. }) => format!("rewrite that pattern of `{secret}` in .secrets.example.toml without it (see docs/template-codegen.md for what translates), then export again"),
        VaultError::Codegen(crate::codegen::CodegenError::Name { .. }) => "rename the secret in .secrets.example.toml (and in the app), or export to pydantic or dotenv-example".to_owned(),
        VaultError::TemplateImport(_) => "fix the file at the line shown, or pass another one (.env.example, .env.sample, .env.template)".to_owned(),
        VaultError::InvalidPin(_) => "set VAULT_PIN to the lines `vault pin <env>` prints (ENV@EPOCH:KEY, separated by spaces or commas)".to_owned(),
        VaultError::Git(crate::git::GitError::ReadConfig { path, .. }) => format!("check that {} is readable (`ls -l`), and that `git config --list` works here", path.display()),
        VaultError::Git(crate::git::GitError::WriteConfig { path, .. } | crate::git::GitError::Init { path, .. }) => format!("check that {} is writable (`ls -l`)", path.display()),
        VaultError::Git(crate::git::GitError::Read { .. }) => "check the repository with `git fsck`; a shallow or partial clone may lack the objects (`git fetch --unshallow`)".to_owned(),
        VaultError::Git(crate::git::GitError::Revision { .. }) => "use a branch, a tag or a commit that `git log --oneline` shows".to_owned(),
    }
}

fn auth_hint(env: &str, reason: &crate::auth::AuthError) -> String {
    use crate::auth::AuthError;
    match reason {
        AuthError::NoAnchor => format!(
            "give this machine a pin: run `vault pin {env}` where the history is (a member's clone) and put the line it prints into VAULT_PIN or the identity (see docs/exec-and-deploys.md), or fetch full history (`fetch-depth: 0`)"
        ),
        AuthError::AmbiguousHistory { .. } | AuthError::Fork { .. } => format!(
            "history alone cannot say which write key is genuine: ask a teammate whose machine has used `{env}` for `vault pin {env}` and set VAULT_PIN to it (then this machine remembers it); `vault check` names the commits"
        ),
        AuthError::Rollback { .. } => format!(
            "this is an older version than one already verified here; use the current one (`git pull`, or merge the main branch into this one so the merge driver brings `{env}` forward)"
        ),
        AuthError::Malformed(_)
        | AuthError::WrongEnvironment { .. }
        | AuthError::BadSignature
        | AuthError::BadLink { .. }
        | AuthError::ForeignChain { .. }
        | AuthError::Downgrade { .. }
        | AuthError::Restored { .. }
        | AuthError::UnconfirmedUpgrade { .. }
        | AuthError::KeyMismatch
        | AuthError::RecipientsMismatch => format!(
            "do not use it: see who committed it (`vault check` names the commit, `git log -p secrets/{env}.age`) and restore the last authenticated version (`git checkout <commit> -- secrets/{env}.age`); a reader who has reviewed it (`vault diff`) can keep its values with `vault accept {env}`"
        ),
    }
}

fn sync_hint(err: &SyncError) -> String {
    let aws = |store: &str| store.starts_with("AWS");
    let github = |store: &str| store.starts_with("GitHub");
    let cloudflare = |store: &str| store.starts_with("Cloudflare");
    let azure = |store: &str| store.starts_with("Azure");
    match err {
        SyncError::NotBuilt { feature, .. } => format!("install a build with the feature: `cargo install --path . --features {feature}` (or `--features ssm,kv,github,cloudflare,azure`)"),
        SyncError::InvalidArgument { .. } | SyncError::Missing { .. } => "fix the flag shown; `vault push --help` describes each".to_owned(),
        SyncError::Unreachable { store, .. } if aws(store) => "check the network, the region and $AWS_ENDPOINT_URL; nothing was written".to_owned(),
        SyncError::Unreachable { store, .. } if github(store) => "check the network and $GITHUB_API_URL (GitHub Enterprise Server: https://HOST/api/v3); nothing was written".to_owned(),
        SyncError::Unreachable { store, .. } if cloudflare(store) => "check the network and $CLOUDFLARE_API_BASE_URL (unset it for https://api.cloudflare.com/client/v4); nothing was written".to_owned(),
        SyncError::Unreachable { store, .. } if azure(store) => "check the network, --vault-url (https://NAME.vault.azure.net) and $AZURE_AUTHORITY_HOST; nothing was written".to_owned(),
        SyncError::Unreachable { .. } => "check --addr / $VAULT_ADDR and that the server is running; nothing was written".to_owned(),
        SyncError::NoCredentials { store, .. } if aws(store) => "set $AWS_PROFILE or $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY (in GitHub Actions, aws-actions/configure-aws-credentials does this)".to_owned(),
        SyncError::NoCredentials { store, .. } if github(store) => "export GH_TOKEN: a fine-grained token with `Secrets` and `Variables` read and write on the repository (`GH_TOKEN=$(gh auth token)` works for a person)".to_owned(),
        SyncError::NoCredentials { store, .. } if cloudflare(store) => "export CLOUDFLARE_API_TOKEN: an API token with `Workers Scripts: Edit` and `Workers KV Storage: Edit` on the account".to_owned(),
        SyncError::NoCredentials { store, .. } if azure(store) => "run `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal), or use workload identity (AZURE_FEDERATED_TOKEN_FILE)".to_owned(),
        SyncError::NoCredentials { .. } => "export VAULT_TOKEN (HashiCorp/OpenBao's token; vault's own key variables are VAULT_IDENTITY*), or run `bao login`".to_owned(),
        SyncError::BadCredentials { store, .. } if aws(store) => "refresh the credentials (an expired session?) or choose another $AWS_PROFILE".to_owned(),
        SyncError::BadCredentials { store, .. } if github(store) => "the token is invalid or expired: make a new one and export it as GH_TOKEN".to_owned(),
        SyncError::BadCredentials { store, .. } if cloudflare(store) => "the token is invalid, expired or malformed: make a new API token and export it as CLOUDFLARE_API_TOKEN".to_owned(),
        SyncError::BadCredentials { store, .. } if azure(store) => "refresh the credentials (`az login`, or a new client secret), and check AZURE_TENANT_ID is the vault's tenant".to_owned(),
        SyncError::BadCredentials { .. } => "get a fresh token (`bao login`) and export it as VAULT_TOKEN".to_owned(),
        SyncError::PermissionDenied { store, .. } if aws(store) => "allow ssm:GetParametersByPath, ssm:PutParameter, ssm:AddTagsToResource, ssm:ListTagsForResource and ssm:DeleteParameters on the app's parameters (and kms:Encrypt/Decrypt on the key); see docs/central-stores.md".to_owned(),
        SyncError::PermissionDenied { store, .. } if github(store) => "the token needs `Secrets` and `Variables` read and write on the repository (a classic token: `repo`); the workflow's own GITHUB_TOKEN cannot write secrets".to_owned(),
        SyncError::PermissionDenied { store, .. } if cloudflare(store) => "Cloudflare says `Authentication error` both for a revoked token and for one without a permission: check the token is active and has `Workers Scripts: Edit` and `Workers KV Storage: Edit` on this account (and --account); see docs/central-stores.md".to_owned(),
        SyncError::PermissionDenied { store, .. } if azure(store) => "grant the identity the `Key Vault Secrets Officer` role on the vault (or, with access policies, secret get, list, set and delete); see docs/central-stores.md".to_owned(),
        SyncError::PermissionDenied { .. } => "the token needs `read`, `create` and `update` on <mount>/data/<path>; see docs/central-stores.md".to_owned(),
        SyncError::Throttled { store, .. } if github(store) => "GitHub's rate limit: wait for it to reset (`gh api rate_limit`), then run the same command again; it finishes what is left".to_owned(),
        SyncError::Throttled { .. } | SyncError::Conflict { .. } | SyncError::Partial { .. } => "run the same command again: it re-reads the store, plans again and finishes what is left".to_owned(),
        SyncError::Unsupported { .. } => "fix the value in the store (or in the vault), then run the command again".to_owned(),
        SyncError::Refused { .. } => "rename or shorten it in the vault (`vault set`/`vault unset`), then push again; nothing was written".to_owned(),
        SyncError::WriteOnly { .. } => "pull from where the values come from, or set them with `vault import <env> FILE` / `vault set`".to_owned(),
        SyncError::NotFound { store, .. } if cloudflare(store) => "check --account and --script (the deployed name: with wrangler environments, `<name>-<env>` or --wrangler-env); deploy the Worker once before pushing secrets".to_owned(),
        SyncError::NotFound { store, .. } if azure(store) => "check --vault-url and that the identity can see the vault".to_owned(),
        SyncError::NotFound { .. } => "check --repo (OWNER/NAME) and --environment (create it under Settings → Environments), and that the token has access to the repository".to_owned(),
        SyncError::NoRecordKey { env, .. } => format!("give `{env}` a write key with `vault upgrade`, then push again"),
        SyncError::Service { .. } | SyncError::Protocol { .. } => "nothing after the failing request was written; `--dry-run` shows the plan without writing".to_owned(),
    }
}

/// Why a command did not succeed, for [`exit_code`].
pub enum Failure<'a> {
    /// The command line did not parse (or asked for `--help` / `--version`).
    Usage(&'a clap::Error),
    /// The command ran and failed.
    Error(&'a Error),
}

/// The exit status of a failure, decided here only: `--help` and `--version` are successes;
/// under `exec`, vault's own failures are 125 (126 not executable, 127 not found) so a
/// caller can tell them from the child's status; an interrupted edit is 128 + the signal;
/// everything else is 2.
#[must_use]
pub fn exit_code(failure: &Failure<'_>, in_exec: bool) -> u8 {
    match failure {
        Failure::Usage(err) if err.exit_code() == 0 => 0,
        Failure::Usage(_) if in_exec => 125,
        Failure::Usage(err) => u8::try_from(err.exit_code()).unwrap_or(2),
        Failure::Error(Error::Vault(VaultError::Exec(ExecError::NotFound { .. }))) => 127,
        Failure::Error(Error::Vault(VaultError::Exec(ExecError::NotExecutable { .. }))) => 126,
        Failure::Error(Error::Interrupted { signal }) => u8::try_from(128 + signal).unwrap_or(2),
        Failure::Error(_) if in_exec => 125,
        Failure::Error(_) => 2,
    }
}
