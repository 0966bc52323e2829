//! The test harness: a throwaway repository with isolated HOME, XDG config and git
//! config, members with their own generated keys, and a `vault` command builder.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// A member's identity: the key file and its public key.
#[derive(Debug, Clone)]
pub struct Key {
    pub name: String,
    pub file: PathBuf,
    pub public: String,
}

/// A temporary git repository with an isolated environment.
pub struct TestRepo {
    dir: tempfile::TempDir,
    pub root: PathBuf,
    pub home: PathBuf,
}

/// The path of the binary under test.
pub fn vault_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vault"))
}

impl TestRepo {
    /// An empty git repository (no vault yet).
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("vault-test-")
            .tempdir()
            .unwrap();
        let root = dir.path().join("repo");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        let this = Self { dir, root, home };
        this.git(["init", "-q", "-b", "main"]);
        this
    }

    /// A repository with a vault: `owner` reads every environment in `envs`; the
    /// default example template is removed so exec does not demand its secrets.
    pub fn with_vault(envs: &str) -> (Self, Key) {
        let repo = Self::new();
        let owner = repo.key("alice");
        repo.vault(&owner)
            .args(["init", "--name", "alice", "--env", envs])
            .assert()
            .success();
        std::fs::remove_file(repo.root.join(".secrets.example.toml")).unwrap();
        (repo, owner)
    }

    /// The temporary directory holding everything.
    pub fn base(&self) -> &Path {
        self.dir.path()
    }

    /// Generates an identity for `name` with `vault identity new --output`.
    pub fn key(&self, name: &str) -> Key {
        let file = self.home.join(format!("{name}.key"));
        let out = self
            .bare_vault()
            .args(["identity", "new", "--output"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "identity new failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let public = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        assert!(public.starts_with("age1"), "{public}");
        Key {
            name: name.to_owned(),
            file,
            public,
        }
    }

    /// `vault` in the repository, with no identity configured.
    pub fn bare_vault(&self) -> Command {
        let mut cmd = Command::new(vault_bin());
        cmd.current_dir(&self.root)
            .env_clear()
            .env("PATH", path_with_vault())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_RUNTIME_DIR", self.base())
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("LANG", "C.UTF-8")
            .env("EDITOR", "false");
        cmd
    }

    /// `vault` run as `key`'s owner (via `VAULT_IDENTITY_FILE`).
    pub fn vault(&self, key: &Key) -> Command {
        let mut cmd = self.bare_vault();
        cmd.env("VAULT_IDENTITY_FILE", &key.file);
        cmd
    }

    /// Sets a secret through stdin.
    pub fn set(&self, key: &Key, env: &str, name: &str, value: &str) {
        self.vault(key)
            .args(["set", env, name])
            .write_stdin(value.to_owned())
            .assert()
            .success();
    }

    /// Reads a secret with `vault get`.
    pub fn get(&self, key: &Key, env: &str, name: &str) -> String {
        let out = self.vault(key).args(["get", env, name]).output().unwrap();
        assert!(
            out.status.success(),
            "get failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Path inside the repository.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Writes a file inside the repository.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let path = self.path(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, content).unwrap();
    }

    /// Reads a file inside the repository.
    pub fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap()
    }

    /// Reads a text file inside the repository.
    pub fn read_text(&self, rel: &str) -> String {
        String::from_utf8(self.read(rel)).unwrap()
    }

    /// Every file under the repository except `.git`, with contents, for "nothing changed" checks.
    pub fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(&self.root)
            .into_iter()
            .filter_entry(|e| e.file_name() != ".git")
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| (e.path().to_owned(), std::fs::read(e.path()).unwrap()))
            .collect();
        files.sort();
        files
    }

    /// Runs git hermetically in the repository.
    pub fn git<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.git_cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "git failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// A hermetic git command (fixed author and dates, no system or global config).
    pub fn git_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new("git");
        cmd.current_dir(&self.root)
            .env("PATH", path_with_vault())
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Test Author")
            .env("GIT_AUTHOR_EMAIL", "author@example.com")
            .env("GIT_COMMITTER_NAME", "Test Committer")
            .env("GIT_COMMITTER_EMAIL", "committer@example.com")
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z");
        cmd
    }
}

/// `$PATH` with the directory of the binary under test first, so git's drivers find it.
pub fn path_with_vault() -> std::ffi::OsString {
    let bin_dir = vault_bin().parent().unwrap().to_owned();
    let mut paths = vec![bin_dir];
    if let Some(existing) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&existing));
    }
    std::env::join_paths(paths).unwrap()
}

/// stdout of an output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// stderr of an output as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// ---------------------------------------------------------------------------------------
// Helpers for the workflow tests (exec, edit, identity, secrets, errors).

/// How long any single command may run before a test calls it hung.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

impl TestRepo {
    /// An empty git repository in a directory called `dir_name` (for example one with
    /// spaces and non-ASCII letters), with the same isolation as [`TestRepo::new`].
    pub fn new_in_dir(dir_name: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("vault-test-")
            .tempdir()
            .unwrap();
        let root = dir.path().join(dir_name);
        let home = dir.path().join("home");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        let this = Self { dir, root, home };
        this.git(["init", "-q", "-b", "main"]);
        this
    }

    /// [`TestRepo::with_vault`] in a directory called `dir_name`.
    pub fn with_vault_in_dir(dir_name: &str, envs: &str) -> (Self, Key) {
        let repo = Self::new_in_dir(dir_name);
        let owner = repo.key("alice");
        repo.vault(&owner)
            .args(["init", "--name", "alice", "--env", envs])
            .assert()
            .success();
        std::fs::remove_file(repo.root.join(".secrets.example.toml")).unwrap();
        (repo, owner)
    }

    /// A path inside the temporary base directory (outside the repository).
    pub fn base_path(&self, rel: &str) -> PathBuf {
        self.base().join(rel)
    }

    /// Writes an executable `sh` script into the base directory and returns its path.
    pub fn script(&self, name: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.base_path(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// A command for `program` with exactly the isolated environment of
    /// [`TestRepo::bare_vault`] (no identity configured).
    pub fn isolated(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root)
            .env_clear()
            .env("PATH", path_with_vault())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_RUNTIME_DIR", self.base())
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("LANG", "C.UTF-8")
            .env("EDITOR", "false");
        cmd
    }

    /// `sh -c script` in the repository with `key`'s identity in the environment, as
    /// [`TestRepo::vault`] would have it; `vault` is first on `$PATH`.
    pub fn shell(&self, key: &Key, script: &str) -> Command {
        let mut cmd = self.isolated("sh");
        cmd.env("VAULT_IDENTITY_FILE", &key.file)
            .arg("-c")
            .arg(script)
            .timeout(TIMEOUT);
        cmd
    }

    /// `vault` without a controlling terminal (through `setsid`), with no identity
    /// configured: passphrase prompts must then fail instead of waiting.
    pub fn detached_vault(&self) -> Command {
        let mut cmd = self.isolated("setsid");
        cmd.arg("-w").arg(vault_bin()).timeout(TIMEOUT);
        cmd
    }

    /// `vault edit <env>` as `key`'s owner with `$EDITOR` set to `editor`.
    pub fn edit(&self, key: &Key, env: &str, editor: impl AsRef<OsStr>) -> Output {
        self.vault(key)
            .env("EDITOR", editor)
            .args(["edit", env])
            .timeout(TIMEOUT)
            .output()
            .unwrap()
    }

    /// `vault ls <env> --json`, parsed.
    pub fn ls_json(&self, key: &Key, env: &str) -> serde_json::Value {
        let out = self
            .vault(key)
            .args(["ls", env, "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "ls --json failed: {}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The secret names `vault ls --json` reports, in its order.
    pub fn names(&self, key: &Key, env: &str) -> Vec<String> {
        self.ls_json(key, env)["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The `rotated_at` that `vault ls --json` reports for one secret.
    pub fn rotated_at(&self, key: &Key, env: &str, name: &str) -> String {
        let doc = self.ls_json(key, env);
        doc["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name} not listed in {doc}"))["rotated_at"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Sets a secret from a file's exact bytes (`vault set --from-file`).
    pub fn set_bytes(&self, key: &Key, env: &str, name: &str, value: &[u8]) {
        let file = self.base_path(&format!("value-{name}"));
        std::fs::write(&file, value).unwrap();
        self.vault(key)
            .args(["set", env, name, "--from-file"])
            .arg(&file)
            .assert()
            .success();
        std::fs::remove_file(file).unwrap();
    }

    /// Writes `.vault.toml`.
    pub fn write_roster(&self, text: &str) {
        self.write(".vault.toml", text);
    }

    /// Writes `.secrets.example.toml`.
    pub fn write_template(&self, text: &str) {
        self.write(".secrets.example.toml", text);
    }

    /// `vault-edit-*` directories left in `$XDG_RUNTIME_DIR` (the base directory).
    pub fn edit_leftovers(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.base())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("vault-edit-"))
            .map(|e| e.path())
            .collect()
    }

    /// Every file under the base directory (repository, home, scripts) except `.git`.
    pub fn snapshot_all(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(self.base())
            .into_iter()
            .filter_entry(|e| e.file_name() != ".git")
            .filter_map(Result::ok)
            .filter(|e| !e.file_type().is_dir())
            .map(|e| {
                let bytes = std::fs::read(e.path()).unwrap_or_default();
                (e.path().to_owned(), bytes)
            })
            .collect();
        files.sort();
        files
    }
}

/// A roster text: `members` as (name, keys), `envs` as (name, member names).
pub fn roster(members: &[(&str, &[&str])], envs: &[(&str, &[&str])]) -> String {
    let quote = |items: &[&str]| {
        items
            .iter()
            .map(|i| format!("{i:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = String::new();
    for (name, keys) in members {
        text.push_str(&format!("[members.{name}]\nkeys = [{}]\n\n", quote(keys)));
    }
    for (name, readers) in envs {
        text.push_str(&format!(
            "[envs.{name}]\nmembers = [{}]\n\n",
            quote(readers)
        ));
    }
    text
}

/// Asserts two snapshots are equal, naming the files that differ instead of dumping bytes.
pub fn assert_same_files(before: &[(PathBuf, Vec<u8>)], after: &[(PathBuf, Vec<u8>)]) {
    let names = |s: &[(PathBuf, Vec<u8>)]| s.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(before), names(after), "the set of files changed");
    for ((path, old), (_, new)) in before.iter().zip(after) {
        assert!(old == new, "{} changed", path.display());
    }
}

/// The permission bits of a path.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Writes an identity file as a user's own key would be: readable by its owner only (0600,
/// whatever the umask), since vault refuses identity files others can read.
pub fn write_key_file(path: &Path, bytes: impl AsRef<[u8]>) {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .unwrap();
    file.write_all(bytes.as_ref()).unwrap();
}

/// Whether the tests run as root (where permission bits do not stop writes).
pub fn is_root() -> bool {
    let out = std::process::Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// The secret-key line of an identity file (`AGE-SECRET-KEY-1…`).
pub fn secret_key_line(key: &Key) -> String {
    std::fs::read_to_string(&key.file)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap()
        .to_owned()
}

// ---------------------------------------------------------------------------------------
// Helpers for the team-key and CI-gate tests (members, check).

impl TestRepo {
    /// Onboards `name` the documented way: the newcomer runs `vault member request` with
    /// their own new key, then `granter` runs `vault member add NAME --env ENVS --yes`.
    pub fn onboard(&self, granter: &Key, name: &str, envs: &str) -> Key {
        let key = self.key(name);
        self.vault(&key)
            .args(["member", "request", name])
            .timeout(TIMEOUT)
            .assert()
            .success();
        self.vault(granter)
            .args(["member", "add", name, "--env", envs, "--yes"])
            .timeout(TIMEOUT)
            .assert()
            .success();
        key
    }

    /// A `git clone --depth 1` of this repository, as a deploy checks it out: only the
    /// newest commit, no history to verify versions against.
    pub fn shallow_clone(&self) -> TestRepo {
        let remote = format!("file://{}", self.root.display());
        let shallow = TestRepo::new();
        std::fs::remove_dir_all(&shallow.root).unwrap();
        let out = std::process::Command::new("git")
            .args(["clone", "-q", "--depth", "1", &remote])
            .arg(&shallow.root)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        shallow
    }

    /// The bytes of `secrets/<env>.age` and `secrets/<env>.recipients`.
    pub fn env_files(&self, env: &str) -> (Vec<u8>, Vec<u8>) {
        (
            self.read(&format!("secrets/{env}.age")),
            self.read(&format!("secrets/{env}.recipients")),
        )
    }

    /// Every file under `secrets/`, with contents.
    pub fn secrets_snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let dir = self.path("secrets");
        self.snapshot()
            .into_iter()
            .filter(|(p, _)| p.starts_with(&dir))
            .collect()
    }

    /// `vault` run as `key`'s owner without a controlling terminal (through `setsid`), so
    /// confirmation prompts must fail instead of waiting.
    pub fn vault_without_terminal(&self, key: &Key) -> Command {
        let mut cmd = self.detached_vault();
        cmd.env("VAULT_IDENTITY_FILE", &key.file);
        cmd
    }

    /// Runs `cmd` (with the standard timeout) and returns its exit code and stdout parsed
    /// as JSON; panics with stderr when stdout is not JSON.
    pub fn json_of(cmd: &mut Command) -> (Option<i32>, serde_json::Value) {
        let out = cmd.timeout(TIMEOUT).output().unwrap();
        let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): stdout={} stderr={}",
                stdout(&out),
                stderr(&out)
            )
        });
        (out.status.code(), doc)
    }
}

impl TestRepo {
    /// A plain `std::process::Command` for `vault` with the isolation of
    /// [`TestRepo::bare_vault`] (and `key`'s identity, if given), for tests that run
    /// several processes at once.
    pub fn vault_process(&self, key: Option<&Key>) -> std::process::Command {
        let mut cmd = std::process::Command::new(vault_bin());
        cmd.current_dir(&self.root)
            .env_clear()
            .env("PATH", path_with_vault())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_RUNTIME_DIR", self.base())
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("LANG", "C.UTF-8")
            .env("EDITOR", "false")
            .stdin(std::process::Stdio::null());
        if let Some(key) = key {
            cmd.env("VAULT_IDENTITY_FILE", &key.file);
        }
        cmd
    }
}

// ---------------------------------------------------------------------------------------
// Authenticated writes: what a reader (who holds the write key) or an outsider can forge.

/// Encrypts `plaintext` to `recipients` with stock `age -a` (what anyone with push access
/// and the public keys can do). Panics if `age` is not installed: `.ci/run` installs it.
pub fn stock_age_encrypt(recipients: &[&str], plaintext: &str) -> Vec<u8> {
    use std::io::Write;
    let mut cmd = std::process::Command::new("age");
    cmd.arg("-a");
    for r in recipients {
        cmd.args(["-r", r]);
    }
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("stock `age` is not on PATH: .ci/run installs it");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(plaintext.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

/// Decrypts with stock `age -d -i KEY`.
pub fn stock_age_decrypt(key: &Key, ciphertext: &[u8]) -> Option<String> {
    use std::io::Write;
    let mut child = std::process::Command::new("age")
        .args(["-d", "-i"])
        .arg(&key.file)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("stock `age` is not on PATH: .ci/run installs it");
    child.stdin.take().unwrap().write_all(ciphertext).unwrap();
    let out = child.wait_with_output().unwrap();
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

/// Re-signs arbitrary `plaintext` as `env`'s next version with the write key a reader
/// (`key`) finds inside the current file: what any reader could write. Sealed to
/// `recipients` (canonical).
pub fn sign_as_reader(
    repo: &TestRepo,
    key: &Key,
    env: &str,
    plaintext: &str,
    recipients: &[&str],
) -> Vec<u8> {
    let current = repo.read(&format!("secrets/{env}.age"));
    let vault::auth::Seal::Signed(stanza) = vault::auth::inspect(env, &current).unwrap() else {
        panic!("secrets/{env}.age is not signed");
    };
    let identities = vault::identity::Identities::from_text(&secret_key_line(key)).unwrap();
    let inner = vault::crypto::decrypt(&current, identities.as_age()).unwrap();
    let payload = vault::payload::Payload::parse(&inner).unwrap();
    let write_key =
        vault::auth::WriteKey::from_text(payload.write_key.as_ref().unwrap().expose()).unwrap();
    sign_with(
        env,
        &write_key,
        stanza.chain,
        stanza.seq + 1,
        recipients,
        plaintext,
    )
}

/// `plaintext` sealed to `recipients` (canonical) and signed with `key` as write number
/// `seq` of `chain`: what anyone holding a write key, stolen or their own, can produce.
pub fn sign_with(
    env: &str,
    key: &vault::auth::WriteKey,
    chain: vault::auth::Chain,
    seq: u64,
    recipients: &[&str],
    plaintext: &str,
) -> Vec<u8> {
    let parsed: Vec<vault::crypto::Recipient> =
        recipients.iter().map(|r| r.parse().unwrap()).collect();
    let unsigned = vault::auth::Unsigned {
        env: env.to_owned(),
        seq,
        chain,
        recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
    };
    vault::crypto::encrypt_with_stanza(plaintext.as_bytes(), &parsed, |stanzas, body| {
        unsigned.sign(
            key,
            vault::auth::Covered {
                stanzas,
                payload: body,
            },
        )
    })
    .unwrap()
}

/// The write key sealed in the current version of `env`, as a reader sees it.
pub fn write_key_of(repo: &TestRepo, key: &Key, env: &str) -> String {
    let current = repo.read(&format!("secrets/{env}.age"));
    // Every key of the identity: a post-quantum environment opens only with that one.
    let text = std::fs::read_to_string(&key.file).unwrap();
    let identities = vault::identity::Identities::from_text(&text).unwrap();
    let inner = vault::crypto::decrypt(&current, identities.as_age()).unwrap();
    let payload = vault::payload::Payload::parse(&inner).unwrap();
    payload.write_key.unwrap().expose().to_owned()
}

/// git as `key` (drivers and hook find it), with fixed authors; `who` names the author.
pub fn git_as(repo: &TestRepo, key: Option<&Key>, who: &str, args: &[&str]) -> Output {
    let mut cmd = repo.isolated("git");
    cmd.env("GIT_AUTHOR_NAME", who)
        .env("GIT_AUTHOR_EMAIL", format!("{who}@example.com"))
        .env("GIT_COMMITTER_NAME", who)
        .env("GIT_COMMITTER_EMAIL", format!("{who}@example.com"))
        .timeout(TIMEOUT);
    if let Some(key) = key {
        cmd.env("VAULT_IDENTITY_FILE", &key.file);
    }
    let out = cmd.args(args).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?} failed:\n{}{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

/// Runs `vault exec ENV -- touch MARKER` and returns (status, stderr, whether it started).
pub fn exec_probe(repo: &TestRepo, cmd: &mut assert_cmd::Command) -> (Option<i32>, String, bool) {
    let marker = repo.base_path("child-started");
    let _ = std::fs::remove_file(&marker);
    let out = cmd
        .args(["--", "sh", "-c", &format!("touch '{}'", marker.display())])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    (out.status.code(), stderr(&out), marker.exists())
}

pub fn check(repo: &TestRepo, key: Option<&Key>) -> (Option<i32>, String) {
    let mut cmd = match key {
        Some(key) => repo.vault(key),
        None => repo.bare_vault(),
    };
    let out = cmd.arg("check").timeout(TIMEOUT).output().unwrap();
    (out.status.code(), stdout(&out))
}

pub fn commit_all(repo: &TestRepo, key: Option<&Key>, who: &str, message: &str) -> String {
    git_as(repo, key, who, &["add", "-A"]);
    git_as(
        repo,
        key,
        who,
        &["commit", "-q", "--no-verify", "-m", message],
    );
    stdout(&git_as(repo, None, who, &["rev-parse", "HEAD"]))
        .trim()
        .to_owned()
}

/// Drops `legacy-recipient` warnings from a `check --json` report. The vaults these tests
/// build are sealed to classic keys so stock `age` 1.1 can open them, and every such
/// environment carries that warning; `pq.rs` tests it on its own.
pub fn without_legacy_recipients(report: &mut serde_json::Value) {
    if let Some(findings) = report["findings"].as_array_mut() {
        findings.retain(|f| f["code"] != "legacy-recipient");
    }
}

/// Adds a post-quantum key to `key`'s identity file (`vault identity new --pq`) and
/// returns its public key.
pub fn add_pq_key(repo: &TestRepo, key: &Key) -> String {
    let out = repo
        .bare_vault()
        .args(["identity", "new", "--pq", "--output"])
        .arg(&key.file)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("added a post-quantum key"),
        "{}",
        stderr(&out)
    );
    let public = stdout(&out).trim().to_owned();
    assert!(public.starts_with("age1pq1"), "{public}");
    public
}

/// The recipient stanza types in an armored age file, read with the stock tools' view:
/// everything but vault's signature and age's grease.
pub fn stanza_types(armored: &[u8]) -> Vec<String> {
    use base64::Engine as _;
    let body: String = std::str::from_utf8(armored)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let binary = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let header_end = binary.windows(4).position(|w| w == b"\n---").unwrap();
    std::str::from_utf8(&binary[..header_end])
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("-> "))
        .map(|l| l.split(' ').next().unwrap().to_owned())
        .filter(|t| t != "vault-auth" && !t.ends_with("-grease"))
        .collect()
}

/// One `vault` run and what it must do, in the spirit of just's `Test`: say what to run,
/// then what to expect, then `run()`, which checks everything and prints both outputs in
/// full on a mismatch. Every run has the harness's timeout.
///
/// ```ignore
/// Test::new(&repo).key(&alice).args(["get", "qa", "X"]).status(2).stderr_golden("unknown-environment").run();
/// ```
#[must_use = "a Test does nothing until `run()`"]
pub struct Test<'r> {
    repo: &'r TestRepo,
    key: Option<&'r Key>,
    args: Vec<std::ffi::OsString>,
    env: Vec<(std::ffi::OsString, std::ffi::OsString)>,
    stdin: Option<Vec<u8>>,
    status: Option<i32>,
    stdout: Option<String>,
    stdout_contains: Vec<String>,
    stderr: Option<String>,
    stderr_contains: Vec<String>,
    stderr_golden: Option<String>,
}

impl<'r> Test<'r> {
    /// A run of `vault` in `repo` with no identity (see [`Test::key`]), expecting success.
    pub fn new(repo: &'r TestRepo) -> Self {
        Self {
            repo,
            key: None,
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
            status: Some(0),
            stdout: None,
            stdout_contains: Vec::new(),
            stderr: None,
            stderr_contains: Vec::new(),
            stderr_golden: None,
        }
    }

    /// Runs as `key`'s owner (`VAULT_IDENTITY_FILE`).
    pub fn key(mut self, key: &'r Key) -> Self {
        self.key = Some(key);
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Appends one argument.
    pub fn arg(self, arg: impl AsRef<OsStr>) -> Self {
        self.args([arg])
    }

    /// Sets an environment variable for the run.
    pub fn env(mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((name.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// What the run reads on stdin.
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// The exit status expected (0 unless told).
    pub fn status(mut self, code: i32) -> Self {
        self.status = Some(code);
        self
    }

    /// The whole of stdout.
    pub fn stdout(mut self, text: impl Into<String>) -> Self {
        self.stdout = Some(text.into());
        self
    }

    /// A piece stdout must contain.
    pub fn stdout_contains(mut self, text: impl Into<String>) -> Self {
        self.stdout_contains.push(text.into());
        self
    }

    /// The whole of stderr.
    pub fn stderr(mut self, text: impl Into<String>) -> Self {
        self.stderr = Some(text.into());
        self
    }

    /// A piece stderr must contain.
    pub fn stderr_contains(mut self, text: impl Into<String>) -> Self {
        self.stderr_contains.push(text.into());
        self
    }

    /// The exit status and the whole of stderr, normalized, must match
    /// `tests/golden/<name>.txt` (`UPDATE_GOLDEN=1` rewrites it). The golden file holds
    /// the status, so this replaces [`Test::status`].
    pub fn stderr_golden(mut self, name: &str) -> Self {
        self.stderr_golden = Some(name.to_owned());
        self.status = None;
        self
    }

    /// Runs and checks everything; returns the output for further checks.
    pub fn run(self) -> Output {
        let mut cmd = match self.key {
            Some(key) => self.repo.vault(key),
            None => self.repo.bare_vault(),
        };
        cmd.args(&self.args).timeout(TIMEOUT);
        for (name, value) in &self.env {
            cmd.env(name, value);
        }
        if let Some(input) = self.stdin {
            cmd.write_stdin(input);
        }
        let out = cmd.output().unwrap();
        let (so, se) = (stdout(&out), stderr(&out));
        let shown = || format!("vault {:?}\n--- stdout\n{so}\n--- stderr\n{se}", self.args);
        if let Some(code) = self.status {
            assert_eq!(out.status.code(), Some(code), "exit status of {}", shown());
        }
        if let Some(expected) = &self.stdout {
            assert_eq!(&so, expected, "stdout of {}", shown());
        }
        for piece in &self.stdout_contains {
            assert!(
                so.contains(piece.as_str()),
                "expected {piece:?} in stdout of {}",
                shown()
            );
        }
        if let Some(expected) = &self.stderr {
            assert_eq!(&se, expected, "stderr of {}", shown());
        }
        for piece in &self.stderr_contains {
            assert!(
                se.contains(piece.as_str()),
                "expected {piece:?} in stderr of {}",
                shown()
            );
        }
        if let Some(name) = &self.stderr_golden {
            golden::check(self.repo, name, &out);
        }
        out
    }
}

/// Golden files: the exit status and whole stderr of a run, compared with
/// `tests/golden/<name>.txt` after replacing what differs between runs.
pub mod golden {
    use std::path::{Path, PathBuf};
    use std::process::Output;

    use super::{TestRepo, stderr};

    fn dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
    }

    /// Replaces what differs between runs: the temporary directory, public keys (whole
    /// and shortened), and timestamps.
    pub fn normalize(repo: &TestRepo, text: &str) -> String {
        let base = repo.base().display().to_string();
        let mut out = text.replace(&base, "[TMP]");
        let patterns = [
            (r"age1pq1[0-9a-z]{20,}", "[PQKEY]"),
            (r"age1pq1[0-9a-z]{4,}…[0-9a-z]+", "[PQKEY]"),
            (r"age1[0-9a-z]{50,}", "[KEY]"),
            (r"age1[0-9a-z]{4,}…[0-9a-z]+", "[KEY]"),
            (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[TIME]"),
        ];
        for (pattern, with) in patterns {
            out = regex::Regex::new(pattern)
                .unwrap()
                .replace_all(&out, with)
                .into_owned();
        }
        out
    }

    /// Compares `exit N` plus the normalized stderr of `out` with the golden file `name`,
    /// or writes it under `UPDATE_GOLDEN=1`.
    pub fn check(repo: &TestRepo, name: &str, out: &Output) {
        let actual = format!(
            "exit {}\n{}",
            out.status
                .code()
                .map_or("signal".to_owned(), |c| c.to_string()),
            normalize(repo, &stderr(out))
        );
        let path = dir().join(format!("{name}.txt"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(dir()).unwrap();
            std::fs::write(&path, &actual).unwrap();
            return;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "no golden file {}; create it with UPDATE_GOLDEN=1. Output was:\n{actual}",
                path.display()
            )
        });
        assert_eq!(
            actual,
            expected,
            "{name}: output differs from {} (UPDATE_GOLDEN=1 rewrites it after an intended change)",
            path.display()
        );
    }
}
