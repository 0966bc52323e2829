//! Command-line arguments (clap derive types only; no logic).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A git-native encrypted secrets vault.
///
/// Secrets live in secrets/<env>.age, encrypted with age to the members of each
/// environment listed in .vault.toml. They are decrypted only in memory, for
/// `vault exec` or `vault edit`.
#[derive(Debug, Parser)]
#[command(
    name = "vault",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Identity file to decrypt with (overrides $VAULT_IDENTITY, $VAULT_IDENTITY_CMD, $VAULT_IDENTITY_FILE and the defaults).
    #[arg(long, short = 'i', global = true, value_name = "FILE")]
    pub identity: Option<PathBuf>,

    /// Run as if started in DIR.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,

    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a vault in this directory: .vault.toml, secrets/, the template, git settings.
    Init(InitArgs),
    /// Create or show your identity (private key).
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// Edit an environment's secrets in $VISUAL/$EDITOR (decrypted to private memory-backed storage).
    Edit(EnvArg),
    /// Set one secret. The value is read from stdin or a hidden prompt when not given.
    Set(SetArgs),
    /// Remove one secret.
    Unset(KeyArgs),
    /// Print one secret's value (only the value, for scripts).
    Get(KeyArgs),
    /// List an environment's secret names and rotation dates (never values).
    Ls(LsArgs),
    /// Run a command with an environment's secrets in its environment (or as files with --file; masked output with --mask).
    Exec(ExecArgs),
    /// Print an environment's secrets as dotenv, shell, JSON, docker's env file, direnv or a Kubernetes Secret, or hand them to GitHub Actions (plaintext!).
    Export(ExportArgs),
    /// Fill a configuration file's `{{ NAME }}` placeholders with an environment's secrets (stdout, or OUT with mode 0600).
    Render(RenderArgs),
    /// Import secrets from a dotenv file (strict parser: no expansion, no command substitution).
    Import(ImportArgs),
    /// Generate the app's startup validator (Pydantic, zod, joi) from the template, or create the template from a .env.example.
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Push an environment to AWS SSM Parameter Store, Vault/OpenBao KV v2 or GitHub Actions secrets.
    Push(SyncArgs),
    /// Pull an environment from AWS SSM Parameter Store or Vault/OpenBao KV v2 into the vault.
    Pull(SyncArgs),
    /// Onboard and offboard members (people and machines).
    #[command(subcommand)]
    Member(MemberCommand),
    /// Re-encrypt environment files whose recipients differ from .vault.toml.
    Rekey(RekeyArgs),
    /// Show who can read which environment.
    Access(AccessArgs),
    /// Add an environment after `init` (shown as a plan).
    #[command(subcommand)]
    Env(EnvCommand),
    /// Sign every environment file still in the unauthenticated format of earlier releases (once, by a reader).
    Upgrade(RekeyArgs),
    /// Print the trusted write keys (pins) to give a machine identity, so deploys without git history verify.
    Pin(PinArgs),
    /// After review (`vault diff`), keep the values of a version that does not verify, re-signed by you.
    Accept(AcceptArgs),
    /// The CI gate: template, formats, shared values, rotation, must-rotate marks, recipients drift.
    Check(CheckArgs),
    /// Rotation status and rotation with overlap.
    #[command(subcommand)]
    Rotate(RotateCommand),
    /// Install or remove the pre-commit hook (and the diff/merge driver settings).
    #[command(subcommand)]
    Hooks(HooksCommand),
    /// What git hooks run (`vault hook pre-commit`).
    #[command(subcommand)]
    Hook(HookCommand),
    /// Scan files, the staged changes, or history for secrets.
    Scan(ScanArgs),
    /// git's diff driver: print an encrypted environment file as sorted `KEY = value` lines.
    Textconv(TextconvArgs),
    /// git's merge driver: 3-way merge of an environment file at the key level.
    MergeDriver(MergeDriverArgs),
    /// Audit trail from git history: who changed which secrets when (never values).
    Log(LogArgs),
    /// Key-level diff between a revision (default HEAD) and the working tree.
    Diff(DiffArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell) to stdout.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout.
    Man(ManArgs),
    /// A guided end-to-end run in a throwaway repository.
    Demo(DemoArgs),
}

/// `vault log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only this environment.
    pub env: Option<String>,
    /// Only changes to this secret.
    pub key: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vault diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// A revision (default HEAD) and/or an environment: `vault diff`, `vault diff prod`, `vault diff main~3 prod`.
    #[arg(num_args = 0..=2, value_name = "REV|ENV")]
    pub args: Vec<String>,
    /// Show values instead of masking them.
    #[arg(long)]
    pub show_values: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vault hooks …`.
#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// Install the pre-commit hook (honouring core.hooksPath, chaining an existing hook) and the git drivers.
    Install,
    /// Remove the pre-commit hook and restore the one that was there before.
    Uninstall,
}

/// `vault hook …`.
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Scan the staged changes (the index, not the working tree) for secrets.
    PreCommit(HookArgs),
    /// Print what this program is, so the hook can tell it from another `vault` on $PATH.
    #[command(hide = true)]
    Identify,
}

/// `vault hook pre-commit`.
#[derive(Debug, Args)]
pub struct HookArgs {
    /// Print findings as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vault scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and directories to scan (default: the current directory). Every file git tracks is scanned; .gitignore only skips untracked files.
    pub paths: Vec<PathBuf>,
    /// Scan the staged changes (the index) instead, as the pre-commit hook does.
    #[arg(long, conflicts_with = "paths")]
    pub staged: bool,
    /// Scan every blob in history instead: all refs, or a RANGE (`REV` or `A..B`). Each distinct blob is scanned once.
    #[arg(long, num_args = 0..=1, value_name = "RANGE", conflicts_with_all = ["paths", "staged"])]
    pub history: Option<Option<String>>,
    /// Ignore findings whose fingerprints are in this file (default: .vault-baseline.json at the root, if present).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write every finding's fingerprint to FILE (a reviewed baseline) and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Skip files larger than this many bytes.
    #[arg(long, default_value_t = 1024 * 1024, value_name = "BYTES")]
    pub max_size: u64,
    /// List the detection rules and exit.
    #[arg(long)]
    pub list_rules: bool,
    /// Print findings as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vault textconv`.
#[derive(Debug, Args)]
pub struct TextconvArgs {
    /// The file git hands over.
    pub file: PathBuf,
}

/// `vault merge-driver %O %A %B %P`.
#[derive(Debug, Args)]
pub struct MergeDriverArgs {
    /// The common ancestor's version (%O).
    pub base: PathBuf,
    /// Our version, overwritten with the result (%A).
    pub ours: PathBuf,
    /// Their version (%B).
    pub theirs: PathBuf,
    /// The path in the repository (%P).
    pub path: String,
}

/// `vault check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check only these environments (comma-separated).
    #[arg(long = "env", value_delimiter = ',')]
    pub envs: Vec<String>,
    /// Evaluate rotation deadlines as of this date (YYYY-MM-DD or RFC 3339), to plan ahead.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Treat warnings (secrets missing from the template) as errors.
    #[arg(long)]
    pub strict: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vault rotate …`.
#[derive(Debug, Subcommand)]
pub enum RotateCommand {
    /// Per secret: last rotated, age, due date, overdue, must-rotate; most urgent first.
    Status(RotateStatusArgs),
    /// Store a new value while the old one stays available to exec as NAME_PREVIOUS.
    Start(RotateStartArgs),
    /// End the overlap: drop NAME_PREVIOUS.
    Finish(KeyArgs),
}

/// `vault rotate status`.
#[derive(Debug, Args)]
pub struct RotateStatusArgs {
    /// Only this environment.
    pub env: Option<String>,
    /// Evaluate as of this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vault rotate start`.
#[derive(Debug, Args)]
pub struct RotateStartArgs {
    /// The environment.
    pub env: String,
    /// The secret's name.
    pub key: String,
    /// How long the old value stays available as NAME_PREVIOUS (e.g. 30m, 24h, 7d, 2w).
    #[arg(long, default_value = "24h", value_name = "DURATION")]
    pub grace: String,
    /// Read the new value from a file, byte for byte.
    #[arg(long, value_name = "PATH")]
    pub from_file: Option<PathBuf>,
}

/// `vault member …`.
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add yourself to .vault.toml with your public key (run by the newcomer; needs no access).
    Request(MemberRequestArgs),
    /// Grant a member access to environments and re-key them (run by a reader of those environments).
    Add(MemberAddArgs),
    /// Remove a member (or remove them from some environments), re-key, and mark secrets must-rotate.
    Remove(MemberRemoveArgs),
    /// Manage a member's keys.
    #[command(subcommand)]
    Key(MemberKeyCommand),
}

/// `vault member request`.
#[derive(Debug, Args)]
pub struct MemberRequestArgs {
    /// Your member name.
    pub name: String,
    /// Your public key (default: your identity's).
    #[arg(long, value_name = "PUBKEY")]
    pub key: Option<String>,
}

/// Options shared by commands that re-key.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Show the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Allow re-sealing an environment from post-quantum to classic keys (after
    /// `require_pq` was removed from .vault.toml); refused otherwise.
    #[arg(long)]
    pub allow_classic: bool,
}

/// `vault member add`.
#[derive(Debug, Args)]
pub struct MemberAddArgs {
    /// The member.
    pub name: String,
    /// Environments to grant, comma-separated.
    #[arg(long = "env", value_delimiter = ',', required = true)]
    pub envs: Vec<String>,
    /// The member's public key, if they are not in .vault.toml yet.
    #[arg(long, value_name = "PUBKEY")]
    pub key: Option<String>,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

/// `vault member remove`.
#[derive(Debug, Args)]
pub struct MemberRemoveArgs {
    /// The member.
    pub name: String,
    /// Remove only from these environments (default: every environment, and the member entry).
    #[arg(long = "env", value_delimiter = ',')]
    pub envs: Vec<String>,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

/// `vault member key …`.
#[derive(Debug, Subcommand)]
pub enum MemberKeyCommand {
    /// Add another public key (a new laptop, a hardware key) and re-key the member's environments.
    Add(MemberKeyAddArgs),
}

/// `vault member key add`.
#[derive(Debug, Args)]
pub struct MemberKeyAddArgs {
    /// The member.
    pub name: String,
    /// The new public key.
    pub key: String,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

/// `vault rekey`.
#[derive(Debug, Args)]
pub struct RekeyArgs {
    /// Environments to check (default: all).
    pub envs: Vec<String>,
    /// Move the environments to post-quantum keys (sets `require_pq = true` in
    /// .vault.toml); refused, naming who, while a member has no `age1pq1…` key.
    #[arg(long)]
    pub pq: bool,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

/// `vault env …`.
#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// A new environment with its readers: writes the roster and an empty, signed file.
    Add(EnvAddArgs),
}

/// `vault env add`.
#[derive(Debug, Args)]
pub struct EnvAddArgs {
    /// The new environment's name.
    pub env: String,
    /// Its readers, comma-separated (existing members).
    #[arg(long, value_delimiter = ',', required = true)]
    pub members: Vec<String>,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

/// `vault man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `vault.1` and one page per command (`vault-init.1`, …) into DIR instead of
    /// printing the main page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `vault pin`.
#[derive(Debug, Args)]
pub struct PinArgs {
    /// Environments (default: all).
    pub envs: Vec<String>,
    /// Forget this machine's pins for these environments of this vault (after you have
    /// made sure a changed write key is genuine, e.g. the repository was re-created).
    #[arg(long)]
    pub forget: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vault accept`.
#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// The environment.
    pub env: String,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

/// `vault access`.
#[derive(Debug, Args)]
pub struct AccessArgs {
    /// Show one member only.
    pub member: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vault init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Environments to create, comma-separated.
    #[arg(long = "env", value_delimiter = ',', default_values_t = ["dev".to_owned(), "staging".to_owned(), "prod".to_owned()])]
    pub envs: Vec<String>,
    /// Your member name (default: git's user.name, else $USER).
    #[arg(long)]
    pub name: Option<String>,
    /// Your public key (default: your identity's; one is created if you have none).
    #[arg(long, value_name = "PUBKEY")]
    pub key: Option<String>,
}

/// `vault identity …`.
#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Create a new identity (X25519, or post-quantum with --pq) and print its public key.
    New(IdentityNewArgs),
    /// Print the public key(s) of your identity.
    Show,
}

/// `vault identity new`.
#[derive(Debug, Args)]
pub struct IdentityNewArgs {
    /// A hybrid post-quantum key (ML-KEM-768 + X25519, `age1pq1…`, as `age-keygen -pq`). If
    /// your identity file exists, the key is added to it, so you keep reading environments
    /// still sealed to your classic key.
    #[arg(long)]
    pub pq: bool,
    /// Protect the identity with a passphrase (age's scrypt encryption).
    #[arg(long)]
    pub passphrase: bool,
    /// Where to write it (default: $XDG_CONFIG_HOME/vault/identity.txt); `-` prints it to stdout, e.g. for a CI secret.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// An environment argument.
#[derive(Debug, Args)]
pub struct EnvArg {
    /// The environment, e.g. dev or prod.
    pub env: String,
}

/// `vault get` / `unset`.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// The environment.
    pub env: String,
    /// The secret's name.
    pub key: String,
}

/// `vault set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// The environment.
    pub env: String,
    /// The secret's name.
    pub key: String,
    /// The value (avoid: it lands in shell history; omit it to read stdin or be prompted).
    pub value: Option<String>,
    /// Read the value from a file, byte for byte.
    #[arg(long, value_name = "PATH", conflicts_with = "value")]
    pub from_file: Option<PathBuf>,
}

/// `vault ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// The environment (without one: every environment, with its readers and how many
    /// secrets it holds).
    pub env: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vault exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The environment.
    pub env: String,
    /// Pass only these secrets (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "KEYS")]
    pub only: Vec<String>,
    /// Give these secrets as files instead of variables (comma-separated): NAME_FILE holds the path of a sealed in-memory file (Linux), NAME is not set.
    #[arg(long, value_delimiter = ',', value_name = "KEYS")]
    pub file: Vec<String>,
    /// Stay as the command's parent and replace secret values (6+ characters, and their base64 and URL encodings) in its stdout and stderr with `•••`.
    #[arg(long)]
    pub mask: bool,
    /// The command and its arguments, after `--`.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// `vault render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The environment.
    pub env: String,
    /// The configuration template: `{{ NAME }}` is replaced by the secret's value, `{{{{` is a literal `{{` (`-` reads stdin).
    #[arg(value_name = "TEMPLATE")]
    pub template: PathBuf,
    /// Write the result to OUT (atomically, mode 0600) instead of stdout; nothing is written if a placeholder cannot be filled.
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
}

/// Output formats for `vault export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// `NAME=value` lines, quoted where needed.
    Dotenv,
    /// `export NAME='value'` lines for `eval`.
    Shell,
    /// A JSON object.
    Json,
    /// A Kubernetes `v1/Secret` manifest (needs --name).
    K8s,
    /// GitHub Actions: `::add-mask::` lines on stdout, values appended to $GITHUB_ENV.
    GithubEnv,
    /// `NAME=value` lines for `docker run --env-file` (no quoting; multi-line values are refused).
    Docker,
    /// An `.envrc` fragment for direnv: exports plus `watch_file` for the environment's files and the roster.
    Direnv,
}

/// `vault export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The environment.
    pub env: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Dotenv)]
    pub format: ExportFormat,
    /// The Secret's name (`--format k8s`).
    #[arg(long, required_if_eq("format", "k8s"))]
    pub name: Option<String>,
    /// The Secret's namespace (`--format k8s`).
    #[arg(long)]
    pub namespace: Option<String>,
    /// Base64 `data` instead of `stringData` (`--format k8s`).
    #[arg(long)]
    pub base64: bool,
}

/// `vault push` and `vault pull`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The environment.
    pub env: String,
    /// The store.
    #[command(subcommand)]
    pub store: StoreArgs,
    /// Show the plan and change nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Push: delete what vault manages in the store but the environment no longer has.
    /// Pull: remove secrets the store does not have.
    #[arg(long, global = true)]
    pub prune: bool,
    /// Print the plan as JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Where `push`/`pull` go.
#[derive(Debug, Subcommand)]
pub enum StoreArgs {
    /// AWS SSM Parameter Store: one SecureString per secret at /{app}/{env}/{NAME}.
    Ssm {
        /// The application: the first segment of every parameter name.
        #[arg(long)]
        app: String,
        /// The AWS region (default: $AWS_REGION, $AWS_DEFAULT_REGION, the profile's region).
        #[arg(long)]
        region: Option<String>,
        /// The KMS key for SecureStrings (default: the account's aws/ssm key).
        #[arg(long)]
        kms_key_id: Option<String>,
    },
    /// HashiCorp Vault / OpenBao KV version 2: the environment is one KV secret.
    Kv {
        /// The server (default: $VAULT_ADDR, then $BAO_ADDR). The token comes from
        /// $VAULT_TOKEN, $BAO_TOKEN or ~/.vault-token.
        #[arg(long)]
        addr: Option<String>,
        /// The KV v2 mount.
        #[arg(long, default_value = "secret")]
        mount: String,
        /// The secret's path under the mount, e.g. `myapp/prod`.
        #[arg(long)]
        path: String,
    },
    /// GitHub Actions secrets (push only): repository secrets, or an environment's. The
    /// token comes from $GH_TOKEN or $GITHUB_TOKEN; the API from $GITHUB_API_URL.
    Github {
        /// The repository, OWNER/NAME.
        #[arg(long)]
        repo: String,
        /// A deployment environment of the repository: its secrets instead of the
        /// repository's.
        #[arg(long)]
        environment: Option<String>,
    },
    /// Cloudflare Workers secrets (push only) of one Worker script. The token comes from
    /// $CLOUDFLARE_API_TOKEN; vault's digest record is kept in Workers KV.
    Cloudflare {
        /// The account id (default: $CLOUDFLARE_ACCOUNT_ID).
        #[arg(long, env = "CLOUDFLARE_ACCOUNT_ID")]
        account: String,
        /// The Worker script's name (`name` in wrangler.toml).
        #[arg(long)]
        script: String,
        /// A wrangler environment: the Worker is then `<script>-<env>`, as `wrangler deploy
        /// --env <env>` names it.
        #[arg(long)]
        wrangler_env: Option<String>,
    },
    /// Azure Key Vault secrets: one secret per name, tagged `managed-by=vault`. Credentials
    /// as the Azure SDKs find them: $AZURE_CLIENT_SECRET, workload identity, then `az`.
    Azure {
        /// The vault's URL, https://NAME.vault.azure.net.
        #[arg(long)]
        vault_url: String,
    },
}

/// `vault completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// `vault import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The environment.
    pub env: String,
    /// The dotenv file (`-` for stdin).
    pub file: PathBuf,
}

/// `vault demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the demo repository instead of deleting it, and print its path.
    #[arg(long)]
    pub keep: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}

/// `vault template …`.
#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Generate a startup validator or a .env.example from .secrets.example.toml (stdout, or -o FILE).
    Export(TemplateExportArgs),
    /// Create or extend .secrets.example.toml from a .env.example, .env.sample or .env.template (shown as a plan).
    Import(TemplateImportArgs),
}

/// What `vault template export` generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TemplateFormat {
    /// A pydantic-settings `BaseSettings` class (Python).
    Pydantic,
    /// A zod schema and `parseEnv` (TypeScript).
    Zod,
    /// A joi schema and `validateEnv` (JavaScript, CommonJS).
    Joi,
    /// A `.env.example` with a comment per secret.
    DotenvExample,
}

/// `vault template export`.
#[derive(Debug, Args)]
pub struct TemplateExportArgs {
    /// What to generate.
    #[arg(long, value_enum)]
    pub format: TemplateFormat,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The variable the app reads its environment's name from (decides which secrets are required).
    #[arg(long, value_name = "NAME", default_value = "APP_ENV")]
    pub env_var: String,
}

/// `vault template import`.
#[derive(Debug, Args)]
pub struct TemplateImportArgs {
    /// The dotenv template: .env.example, .env.sample or .env.template.
    pub file: PathBuf,
    /// Show the plan without writing .secrets.example.toml.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}
