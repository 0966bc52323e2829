//! Git integration through real git: the installed pre-commit hook (what it blocks and
//! what it lets through, index versus working tree, `git commit <path>`, chaining,
//! `core.hooksPath`, allow comments and baselines), `vault scan` on paths, the
//! pre-commit framework, the textconv diff driver and the key-level merge driver.
//!
//! Secret-shaped test data is assembled at runtime, never written as one literal.

use std::path::Path;
use std::process::Output;

use crate::support::*;

// ---------------------------------------------------------------------------------------
// Helpers.

/// `git` with the isolated environment of [`TestRepo::isolated`], a fixed author and
/// dates, and `key`'s identity (for the hook and drivers) when given.
fn git(repo: &TestRepo, key: Option<&Key>) -> assert_cmd::Command {
    let mut cmd = repo.isolated("git");
    cmd.env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Test Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .timeout(TIMEOUT);
    if let Some(key) = key {
        cmd.env("VAULT_IDENTITY_FILE", &key.file);
    }
    cmd
}

/// Runs git as `key` and returns its output, whatever the status.
fn run_git(repo: &TestRepo, key: Option<&Key>, args: &[&str]) -> Output {
    git(repo, key).args(args).output().unwrap()
}

/// Runs git as `key` and asserts it succeeded.
fn ok_git(repo: &TestRepo, key: Option<&Key>, args: &[&str]) -> Output {
    let out = run_git(repo, key, args);
    assert!(
        out.status.success(),
        "git {args:?} failed:\n{}",
        all_text(&out)
    );
    out
}

/// `git commit -m msg` as `key` (the hook runs).
fn commit(repo: &TestRepo, key: Option<&Key>, msg: &str) -> Output {
    run_git(repo, key, &["commit", "-m", msg])
}

/// stdout and stderr together (git sends a hook's stdout to stderr anyway).
fn all_text(out: &Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

/// The commit `HEAD` names.
fn head(repo: &TestRepo) -> String {
    stdout(&ok_git(repo, None, &["rev-parse", "HEAD"]))
        .trim()
        .to_owned()
}

/// Whether the tree of `HEAD` holds `path`.
fn committed(repo: &TestRepo, path: &str) -> bool {
    let out = ok_git(repo, None, &["ls-tree", "-r", "--name-only", "HEAD"]);
    stdout(&out).lines().any(|l| l == path)
}

/// A vault (dev, prod) with the hook installed and everything committed.
fn hooked_repo() -> (TestRepo, Key) {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.vault(&alice)
        .args(["hooks", "install"])
        .assert()
        .success();
    ok_git(&repo, Some(&alice), &["add", "-A"]);
    let out = commit(&repo, Some(&alice), "init");
    assert!(out.status.success(), "{}", all_text(&out));
    (repo, alice)
}

/// Where a finding is expected: a file-level finding has line 0.
struct Expect<'a> {
    path: &'a str,
    line: usize,
    rule: &'a str,
}

fn expect<'a>(path: &'a str, line: usize, rule: &'a str) -> Expect<'a> {
    Expect { path, line, rule }
}

/// Asserts a finding line names the file, line and rule of `e`.
fn assert_names(text: &str, e: &Expect<'_>) {
    let place = if e.line == 0 {
        format!("{}  [{}]", e.path, e.rule)
    } else {
        format!("{}:{}:", e.path, e.line)
    };
    let rule = format!("[{}]", e.rule);
    assert!(
        text.lines()
            .any(|l| l.starts_with(&place) && l.contains(&rule)),
        "no finding for {place} {rule} in:\n{text}"
    );
}

/// Writes and stages `files`, commits as `key`, and asserts the hook blocked the commit
/// (exit 1, HEAD unchanged) naming every expected finding, with none of `secrets` in the
/// output. Then unstages and deletes the files so the next case starts clean.
fn assert_blocked(
    repo: &TestRepo,
    key: Option<&Key>,
    files: &[(&str, &str)],
    expected: &[Expect<'_>],
    secrets: &[&str],
) {
    let before = head(repo);
    for (path, content) in files {
        repo.write(path, content);
        ok_git(repo, None, &["add", "-f", path]);
    }
    let out = commit(repo, key, "should be blocked");
    let text = all_text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "commit was not blocked:\n{text}"
    );
    assert!(text.contains("commit blocked"), "{text}");
    for e in expected {
        assert_names(&text, e);
    }
    for secret in secrets {
        assert!(!text.contains(secret), "the secret leaked into:\n{text}");
    }
    assert_eq!(head(repo), before, "a blocked commit moved HEAD");
    ok_git(repo, None, &["reset", "-q"]);
    for (path, _) in files {
        std::fs::remove_file(repo.path(path)).unwrap();
    }
}

/// An AWS access key id (`AKIA` + 16 of `[A-Z2-7]`).
fn aws_key_id() -> String {
    format!("{}{}", "AKIA", "Z7Q2VWXN3RLT5KMH")
}

/// A Stripe live secret key (`sk_live_` + 24 alphanumerics).
fn stripe_live_key() -> String {
    format!("{}{}{}", "sk_", "live_", "Zq8Rt2Lm9Xv4Nb7Kc1Wd6Yp3")
}

/// A fresh ed25519 key pair from `ssh-keygen`: (private key file text, public key line).
fn ssh_key_pair(repo: &TestRepo, name: &str) -> (String, String) {
    let file = repo.base_path(name);
    let out = std::process::Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "dev@example.com",
            "-f",
        ])
        .arg(&file)
        .output()
        .expect("ssh-keygen is needed (.ci/run installs openssh-client)");
    assert!(out.status.success(), "{}", stderr(&out));
    let private = std::fs::read_to_string(&file).unwrap();
    let public = std::fs::read_to_string(file.with_extension("pub")).unwrap();
    (private, public.trim().to_owned())
}

/// The longest base64 line of a PEM block: the part that must never be printed.
fn pem_body_line(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .max_by_key(|l| l.len())
        .unwrap()
        .to_owned()
}

/// A fresh `AGE-SECRET-KEY-1…` from `vault identity new --output -`.
fn age_secret_key(repo: &TestRepo) -> String {
    let out = repo
        .bare_vault()
        .args(["identity", "new", "--output", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    text.lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap_or_else(|| panic!("no secret key in: {text}"))
        .to_owned()
}

/// Whether `path` is executable by its owner.
fn is_executable(path: &Path) -> bool {
    mode(path) & 0o100 != 0
}

// ---------------------------------------------------------------------------------------
// hooks install / uninstall.

#[test]
fn hooks_install_writes_an_executable_vault_hook_and_is_idempotent() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let out = repo
        .vault(&alice)
        .args(["hooks", "install"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("installed the pre-commit hook"));
    let hook = repo.path(".git/hooks/pre-commit");
    assert!(is_executable(&hook), "mode {:o}", mode(&hook));
    let first = std::fs::read_to_string(&hook).unwrap();
    assert!(first.contains("vault-managed"), "{first}");
    assert!(first.contains("hook pre-commit"), "{first}");

    repo.vault(&alice)
        .args(["hooks", "install"])
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), first);
    assert!(is_executable(&hook));
    assert!(
        !repo.path(".git/hooks/pre-commit.vault-chained").exists(),
        "a second install chained our own hook"
    );

    // Uninstall removes it when nothing was there before.
    let out = repo
        .vault(&alice)
        .args(["hooks", "uninstall"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!hook.exists());
}

// ---------------------------------------------------------------------------------------
// What the hook blocks.

#[test]
fn hook_blocks_plaintext_in_secrets_and_decrypted_leftovers() {
    let (repo, alice) = hooked_repo();
    let line = "DB_PASSWORD = \"plain-text-value\"\n";
    assert_blocked(
        &repo,
        Some(&alice),
        &[("secrets/prod.toml", line)],
        &[expect("secrets/prod.toml", 0, "decrypted-leftover")],
        &["plain-text-value"],
    );
    assert_blocked(
        &repo,
        Some(&alice),
        &[("secrets/notes.txt", "the prod password is in the safe\n")],
        &[expect("secrets/notes.txt", 0, "secrets-plaintext")],
        &[],
    );
    assert_blocked(
        &repo,
        Some(&alice),
        &[("config/prod.dec", line)],
        &[expect("config/prod.dec", 0, "decrypted-leftover")],
        &["plain-text-value"],
    );
}

#[test]
fn hook_blocks_dotenv_files_but_not_templates() {
    let (repo, alice) = hooked_repo();
    assert_blocked(
        &repo,
        Some(&alice),
        &[
            (".env", "DEBUG=1\n"),
            (".env.production", "LOG_LEVEL=info\n"),
        ],
        &[
            expect(".env", 0, "dotenv-file"),
            expect(".env.production", 0, "dotenv-file"),
        ],
        &[],
    );

    repo.write(".env.example", "DATABASE_URL=\nSTRIPE_SECRET_KEY=\n");
    ok_git(&repo, None, &["add", ".env.example"]);
    let out = commit(&repo, Some(&alice), "template");
    assert!(out.status.success(), "{}", all_text(&out));
    assert!(committed(&repo, ".env.example"));
}

#[test]
fn hook_blocks_age_secret_keys_and_private_keys() {
    let (repo, alice) = hooked_repo();
    let age_key = age_secret_key(&repo);
    assert_blocked(
        &repo,
        Some(&alice),
        &[("deploy/ci-identity.txt", &format!("# ci key\n{age_key}\n"))],
        &[expect("deploy/ci-identity.txt", 2, "age-secret-key")],
        &[&age_key, &age_key["AGE-SECRET-KEY-1".len()..]],
    );

    let (private, _) = ssh_key_pair(&repo, "id_ed25519");
    assert!(private.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
    let body = pem_body_line(&private);
    assert_blocked(
        &repo,
        Some(&alice),
        &[("ops/id_ed25519", &private)],
        &[expect("ops/id_ed25519", 1, "private-key")],
        &[&body],
    );
}

#[test]
fn hook_blocks_token_formats_in_source_files() {
    let (repo, alice) = hooked_repo();
    let aws = aws_key_id();
    let stripe = stripe_live_key();
    assert_blocked(
        &repo,
        Some(&alice),
        &[
            (
                "app/settings.py",
                &format!("import os\n\nAWS_ACCESS_KEY_ID = \"{aws}\"\n"),
            ),
            (
                "web/billing.js",
                &format!("// billing\nconst stripe = require('stripe')('{stripe}');\n"),
            ),
        ],
        &[
            expect("app/settings.py", 3, "aws-access-key-id"),
            expect("web/billing.js", 2, "stripe-live-key"),
        ],
        &[&aws, &stripe, &aws[4..], &stripe[8..]],
    );
}

#[test]
fn hook_blocks_a_known_vault_value_and_skips_that_check_without_an_identity() {
    let (repo, alice) = hooked_repo();
    let password = format!("{}-{}", "hunter2", "Correct-Horse");
    repo.set(&alice, "dev", "DB_PASSWORD", &password);
    ok_git(&repo, None, &["add", "secrets/dev.age"]);
    let out = commit(&repo, Some(&alice), "set DB_PASSWORD");
    assert!(out.status.success(), "{}", all_text(&out));

    let config = format!("host = db.internal\nuser = app\ndb {password}\n");
    assert_blocked(
        &repo,
        Some(&alice),
        &[("config.txt", &config)],
        &[expect("config.txt", 3, "known-value")],
        &[&password],
    );
    // The label says where the value lives, never what it is.
    repo.write("config.txt", &config);
    ok_git(&repo, None, &["add", "config.txt"]);
    let out = commit(&repo, Some(&alice), "blocked");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        all_text(&out).contains("dev/DB_PASSWORD"),
        "{}",
        all_text(&out)
    );

    // Without any identity (none in the environment, none in HOME) the known-value check
    // cannot run: it says so, and the file commits.
    let out = commit(&repo, None, "no identity");
    let text = all_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("no identity"), "{text}");
    assert!(text.contains("skipped"), "{text}");
    assert!(!text.contains(&password), "{text}");
    assert!(committed(&repo, "config.txt"));
}

// ---------------------------------------------------------------------------------------
// What the hook allows.

#[test]
fn hook_allows_recipients_ciphertext_public_keys_hashes_and_placeholders() {
    // A vault that keeps the example template, which mentions `sk_live_` patterns.
    let repo = TestRepo::new();
    let alice = repo.key("alice");
    repo.vault(&alice)
        .args(["init", "--name", "alice", "--env", "dev,prod"])
        .assert()
        .success();
    repo.vault(&alice)
        .args(["hooks", "install"])
        .assert()
        .success();
    ok_git(&repo, None, &["add", "-A"]);
    let out = commit(&repo, Some(&alice), "init");
    assert!(out.status.success(), "{}", all_text(&out));

    repo.set(&alice, "dev", "API_KEY", "a-long-dev-api-key-value");
    let bob = repo.key("bob");
    let (_, ssh_public) = ssh_key_pair(&repo, "id_deploy");
    repo.write(
        "secrets/dev.recipients",
        format!("# dev readers\n{}\n{}\n", alice.public, bob.public),
    );
    repo.write(
        "deploy/recipients.txt",
        format!("ci = \"{}\"\nbob = \"{}\"\n", alice.public, bob.public),
    );
    repo.write("deploy/authorized_keys", format!("{ssh_public}\n"));
    repo.write(
        "web/package-lock.json",
        concat!(
            "{\n  \"name\": \"web\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n",
            "    \"node_modules/lodash\": {\n      \"version\": \"4.17.21\",\n",
            "      \"resolved\": \"https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz\",\n",
            "      \"integrity\": \"sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg==\"\n",
            "    }\n  }\n}\n"
        ),
    );
    let sha = head(&repo);
    repo.write(
        "build/info.toml",
        format!(
            "commit = \"{sha}\"\nparent_commit = \"3d6ef20c4b1f9e8a7d6c5b4a39281706f5e4d3c2\"\n\
             request_id = \"f47ac10b-58cc-4372-a567-0e02b2c3d479\"\n\
             session_uuid = \"9b2e4c1a-7d3f-4e8b-a6c5-1f0d9e8b7a63\"\n"
        ),
    );
    repo.write(
        "config/app.yaml",
        "database:\n  password: changeme\napi_key: <your-key>\n",
    );
    repo.write(
        "docker-compose.yml",
        "services:\n  db:\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n      POSTGRES_PASSWORD: \"${DB_PASSWORD}\"\n",
    );
    // The template names live-key prefixes in its patterns and comments.
    let mut template = repo.read_text(".secrets.example.toml");
    template.push_str("\n[STRIPE_RESTRICTED_KEY]\n");
    template.push_str("description = \"restricted key, shaped like rk_live_ and 24 more\"\n");
    // Only private keys and known values are looked for in the template: an example of a
    // key's shape is documentation there.
    template.push_str(&format!("# for example {}\n", stripe_live_key()));
    template.push_str("pattern = { prod = \"^rk_live_[0-9A-Za-z]{24}\", \"*\" = \"^rk_test_\" }\n");
    repo.write(".secrets.example.toml", template);

    let before = head(&repo);
    ok_git(&repo, None, &["add", "-A"]);
    let out = commit(&repo, Some(&alice), "allowed things");
    let text = all_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("no secrets found"), "{text}");
    assert_ne!(head(&repo), before);
    for path in [
        "secrets/dev.age",
        "secrets/dev.recipients",
        "deploy/recipients.txt",
        "deploy/authorized_keys",
        "web/package-lock.json",
        "build/info.toml",
        "config/app.yaml",
        "docker-compose.yml",
        ".secrets.example.toml",
    ] {
        assert!(committed(&repo, path), "{path} was not committed");
    }
    // The ciphertext really changed in this commit (the hook saw it and let it through).
    let out = ok_git(&repo, None, &["diff", "--name-only", &before, "HEAD"]);
    assert!(stdout(&out).contains("secrets/dev.age"), "{}", stdout(&out));
}

// ---------------------------------------------------------------------------------------
// Index versus working tree.

#[test]
fn hook_scans_the_index_not_the_working_tree() {
    let (repo, alice) = hooked_repo();
    let aws = aws_key_id();

    // Staged with a secret, cleaned only in the working tree: still blocked.
    repo.write("app/config.py", format!("KEY = \"{aws}\"\n"));
    ok_git(&repo, None, &["add", "app/config.py"]);
    repo.write("app/config.py", "KEY = os.environ[\"KEY\"]\n");
    let before = head(&repo);
    let out = commit(&repo, Some(&alice), "staged secret");
    let text = all_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_names(&text, &expect("app/config.py", 1, "aws-access-key-id"));
    assert!(!text.contains(&aws), "{text}");
    assert_eq!(head(&repo), before);

    // Stage the clean version and commit it; then put the secret in the working tree only.
    ok_git(&repo, None, &["add", "app/config.py"]);
    let out = commit(&repo, Some(&alice), "clean config");
    assert!(out.status.success(), "{}", all_text(&out));
    repo.write("app/config.py", format!("KEY = \"{aws}\"\n"));
    repo.write("README.md", "# app\n");
    ok_git(&repo, None, &["add", "README.md"]);
    let out = commit(&repo, Some(&alice), "readme");
    assert!(out.status.success(), "{}", all_text(&out));
    let shown = ok_git(&repo, None, &["show", "HEAD:app/config.py"]);
    assert_eq!(stdout(&shown), "KEY = os.environ[\"KEY\"]\n");
    // The secret is still only in the working tree.
    assert!(repo.read_text("app/config.py").contains(&aws));
}

#[test]
fn hook_reads_the_temporary_index_of_git_commit_with_paths() {
    let (repo, alice) = hooked_repo();
    let aws = aws_key_id();
    repo.write("app/config.py", "KEY = None\n");
    ok_git(&repo, None, &["add", "app/config.py"]);
    let out = commit(&repo, Some(&alice), "clean config");
    assert!(out.status.success(), "{}", all_text(&out));

    // The secret is not in the real index: only `git commit <path>`'s temporary one.
    repo.write("app/config.py", format!("KEY = \"{aws}\"\n"));
    let before = head(&repo);
    let out = run_git(
        &repo,
        Some(&alice),
        &["commit", "-m", "by path", "app/config.py"],
    );
    let text = all_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_names(&text, &expect("app/config.py", 1, "aws-access-key-id"));
    assert!(!text.contains(&aws), "{text}");
    assert_eq!(head(&repo), before);

    // `git commit -a` too.
    let out = run_git(&repo, Some(&alice), &["commit", "-a", "-m", "all"]);
    let text = all_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_names(&text, &expect("app/config.py", 1, "aws-access-key-id"));
    assert_eq!(head(&repo), before);
}

/// The hook compares the index with `HEAD` only along the staged paths (the index's
/// cache-tree vouches for the rest): a secret staged deep in one directory among many
/// committed ones is found, at its path, and so is a secret in a file moved into a new
/// directory; a file staged back to its committed content is not scanned again.
#[test]
fn hook_finds_changes_staged_deep_among_unchanged_directories() {
    let (repo, alice) = hooked_repo();
    let aws = aws_key_id();
    for d in 0..30 {
        repo.write(&format!("services/s{d:02}/src/main.py"), "print('ok')\n");
    }
    repo.write("services/s07/src/db/settings.py", "DEBUG = False\n");
    repo.write("old/notes.txt", "nothing here\n");
    ok_git(&repo, None, &["add", "-A"]);
    let out = commit(&repo, Some(&alice), "services");
    assert!(out.status.success(), "{}", all_text(&out));

    repo.write(
        "services/s07/src/db/settings.py",
        format!("DEBUG = False\nAWS_KEY = \"{aws}\"\n"),
    );
    ok_git(&repo, None, &["add", "services/s07/src/db/settings.py"]);
    let before = head(&repo);
    let out = commit(&repo, Some(&alice), "deep secret");
    let text = all_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_names(
        &text,
        &expect("services/s07/src/db/settings.py", 2, "aws-access-key-id"),
    );
    assert!(!text.contains(&aws), "{text}");
    assert_eq!(head(&repo), before);

    // Staged back as committed: nothing left to block.
    repo.write("services/s07/src/db/settings.py", "DEBUG = False\n");
    ok_git(&repo, None, &["add", "services/s07/src/db/settings.py"]);
    let out = commit(&repo, Some(&alice), "nothing");
    assert!(!out.status.success(), "an empty commit went through");
    assert!(
        !all_text(&out).contains("aws-access-key-id"),
        "{}",
        all_text(&out)
    );

    // A file moved into a new directory, with a secret added on the way.
    std::fs::remove_file(repo.path("old/notes.txt")).unwrap();
    repo.write("docs/new/notes.txt", format!("nothing here\nkey {aws}\n"));
    ok_git(&repo, None, &["add", "-A", "old", "docs"]);
    let out = commit(&repo, Some(&alice), "moved");
    let text = all_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_names(&text, &expect("docs/new/notes.txt", 2, "aws-access-key-id"));
    assert_eq!(head(&repo), before);
}

// ---------------------------------------------------------------------------------------
// Chaining an existing hook, core.hooksPath.

#[test]
fn install_chains_an_existing_hook_and_uninstall_restores_it() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let marker = repo.base_path("existing-hook-ran");
    let original = format!(
        "#!/bin/sh\n# the team's own hook\necho ran >> '{}'\nexit 0\n",
        marker.display()
    );
    let hook = repo.path(".git/hooks/pre-commit");
    std::fs::write(&hook, &original).unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    let out = repo
        .vault(&alice)
        .args(["hooks", "install"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("existing hook"), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(&hook)
            .unwrap()
            .contains("vault-managed")
    );
    // A second install keeps the chained original, not our own hook.
    repo.vault(&alice)
        .args(["hooks", "install"])
        .assert()
        .success();
    let chained = repo.path(".git/hooks/pre-commit.vault-chained");
    assert_eq!(std::fs::read_to_string(&chained).unwrap(), original);

    // A clean commit runs both.
    ok_git(&repo, None, &["add", "-A"]);
    let out = commit(&repo, Some(&alice), "init");
    assert!(out.status.success(), "{}", all_text(&out));
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "ran\n");
    assert!(all_text(&out).contains("no secrets found"));

    // The existing hook passing does not let a secret through.
    let aws = aws_key_id();
    assert_blocked(
        &repo,
        Some(&alice),
        &[("keys.py", &format!("K = '{aws}'\n"))],
        &[expect("keys.py", 1, "aws-access-key-id")],
        &[&aws],
    );
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "ran\nran\n");

    let out = repo
        .vault(&alice)
        .args(["hooks", "uninstall"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(&hook).unwrap(), original.as_bytes());
    assert!(is_executable(&hook));
    assert!(!chained.exists());
}

#[test]
fn a_failing_existing_hook_still_blocks_clean_commits() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let hook = repo.path(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho 'team hook says no' >&2\nexit 1\n").unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    repo.vault(&alice)
        .args(["hooks", "install"])
        .assert()
        .success();

    repo.write("README.md", "# nothing secret\n");
    ok_git(&repo, None, &["add", "-A"]);
    let out = commit(&repo, Some(&alice), "clean");
    let text = all_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("team hook says no"), "{text}");
    let out = run_git(&repo, None, &["rev-parse", "--verify", "-q", "HEAD"]);
    assert!(!out.status.success(), "a commit was made");
}

#[test]
fn hooks_install_honours_core_hooks_path() {
    // core.hooksPath is set before `vault init`, as a team that versions its hooks has it.
    let repo = TestRepo::new();
    ok_git(&repo, None, &["config", "core.hooksPath", ".githooks"]);
    let alice = repo.key("alice");
    repo.vault(&alice)
        .args(["init", "--name", "alice", "--env", "dev"])
        .assert()
        .success();
    std::fs::remove_file(repo.path(".secrets.example.toml")).unwrap();
    let out = repo
        .vault(&alice)
        .args(["hooks", "install"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let hook = repo.path(".githooks/pre-commit");
    assert!(stdout(&out).contains(".githooks"), "{}", stdout(&out));
    assert!(is_executable(&hook));
    assert!(
        std::fs::read_to_string(&hook)
            .unwrap()
            .contains("vault-managed")
    );
    assert!(!repo.path(".git/hooks/pre-commit").exists());

    ok_git(&repo, None, &["add", "-A"]);
    let out = commit(&repo, Some(&alice), "init");
    assert!(out.status.success(), "{}", all_text(&out));
    // The hook is versioned with the repository here, and it ran on that commit.
    assert!(committed(&repo, ".githooks/pre-commit"));
    assert!(
        all_text(&out).contains("no secrets found"),
        "{}",
        all_text(&out)
    );

    let stripe = stripe_live_key();
    assert_blocked(
        &repo,
        Some(&alice),
        &[("pay.rb", &format!("Stripe.api_key = \"{stripe}\"\n"))],
        &[expect("pay.rb", 1, "stripe-live-key")],
        &[&stripe],
    );
}

// ---------------------------------------------------------------------------------------
// Allowing findings: inline comments and baselines.

#[test]
fn vault_allow_comment_lets_a_line_through() {
    let (repo, alice) = hooked_repo();
    let aws = aws_key_id();
    repo.write(
        "docs/aws.md",
        format!("Rotated long ago: `{aws}` <!-- vault:allow revoked key in docs -->\n"),
    );
    ok_git(&repo, None, &["add", "docs/aws.md"]);
    let out = commit(&repo, Some(&alice), "docs");
    assert!(out.status.success(), "{}", all_text(&out));
    assert!(committed(&repo, "docs/aws.md"));

    // The comment covers its own line only.
    assert_blocked(
        &repo,
        Some(&alice),
        &[("docs/more.md", &format!("# vault:allow\nkey: {aws}\n"))],
        &[expect("docs/more.md", 2, "aws-access-key-id")],
        &[&aws],
    );
}

#[test]
fn a_written_baseline_lets_the_commit_through_without_holding_the_secret() {
    let (repo, alice) = hooked_repo();
    let stripe = stripe_live_key();
    repo.write(
        "fixtures/stripe.json",
        format!("{{\"key\": \"{stripe}\"}}\n"),
    );
    ok_git(&repo, None, &["add", "fixtures/stripe.json"]);
    let out = commit(&repo, Some(&alice), "blocked first");
    assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));

    let out = repo
        .vault(&alice)
        .args([
            "scan",
            "--staged",
            "--write-baseline",
            ".vault-baseline.json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!all_text(&out).contains(&stripe));
    let baseline = repo.read_text(".vault-baseline.json");
    assert!(!baseline.contains(&stripe), "{baseline}");
    assert!(!baseline.contains(&stripe[8..]), "{baseline}");
    let doc: serde_json::Value = serde_json::from_str(&baseline).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{baseline}");
    assert_eq!(findings[0]["rule"], "stripe-live-key");
    assert_eq!(findings[0]["path"], "fixtures/stripe.json");
    let fingerprint = findings[0]["fingerprint"].as_str().unwrap();
    assert_eq!(fingerprint.len(), 16, "{fingerprint}");
    assert!(fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));

    ok_git(&repo, None, &["add", ".vault-baseline.json"]);
    let out = commit(&repo, Some(&alice), "reviewed fixture");
    assert!(out.status.success(), "{}", all_text(&out));
    assert!(committed(&repo, "fixtures/stripe.json"));
    assert!(committed(&repo, ".vault-baseline.json"));
}

#[test]
fn scan_paths_with_an_explicit_baseline() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let aws = aws_key_id();
    repo.write("src/keys.py", format!("KEY = '{aws}'\n"));
    let out = repo.vault(&alice).args(["scan", "src"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));
    assert_names(
        &stdout(&out),
        &expect("src/keys.py", 1, "aws-access-key-id"),
    );

    let baseline = repo.base_path("reviewed.json");
    repo.vault(&alice)
        .args(["scan", "src", "--write-baseline"])
        .arg(&baseline)
        .assert()
        .success();
    assert!(!std::fs::read_to_string(&baseline).unwrap().contains(&aws));
    let out = repo
        .vault(&alice)
        .args(["scan", "src", "--baseline"])
        .arg(&baseline)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_text(&out));
    assert!(
        stderr(&out).contains("no secrets found"),
        "{}",
        stderr(&out)
    );

    // A new finding is not covered by the old baseline.
    let stripe = stripe_live_key();
    repo.write("src/pay.py", format!("STRIPE = '{stripe}'\n"));
    let out = repo
        .vault(&alice)
        .args(["scan", "src", "--baseline"])
        .arg(&baseline)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));
    let text = stdout(&out);
    assert_names(&text, &expect("src/pay.py", 1, "stripe-live-key"));
    assert!(!text.contains("src/keys.py"), "{text}");

    // A baseline that does not exist is an error when named explicitly.
    let out = repo
        .vault(&alice)
        .args(["scan", "src", "--baseline", "missing.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_text(&out));
    assert!(stderr(&out).contains("missing.json"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------
// vault scan PATH…

#[test]
fn scan_a_directory_respects_gitignore_and_max_size() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let aws = aws_key_id();
    let stripe = stripe_live_key();
    let mut ignore = repo.read_text(".gitignore");
    ignore.push_str("*.log\nlocal/\n");
    repo.write(".gitignore", ignore);
    repo.write("app/a.py", format!("# config\nKEY = '{aws}'\n"));
    repo.write("app/debug.log", format!("charged with {stripe}\n"));
    repo.write("local/notes.txt", format!("{stripe}\n"));
    let mut big = "padding\n".repeat(200);
    big.push_str(&format!("{stripe}\n"));
    repo.write("app/big.txt", &big);

    let out = repo
        .vault(&alice)
        .args(["scan", "app", "--max-size", "1000"])
        .output()
        .unwrap();
    let text = all_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_names(&stdout(&out), &expect("app/a.py", 2, "aws-access-key-id"));
    assert!(
        !text.contains("app/debug.log"),
        "ignored file reported:\n{text}"
    );
    assert!(
        !text.contains("app/big.txt"),
        "oversized file scanned:\n{text}"
    );
    assert!(
        stderr(&out).contains("skipped 1 file(s) larger than 1000 bytes"),
        "{text}"
    );
    assert!(stderr(&out).contains("1 finding(s)"), "{text}");
    assert!(!text.contains(&aws) && !text.contains(&stripe), "{text}");

    // The whole repository (default: the current directory), same rules.
    let out = repo
        .vault(&alice)
        .args(["scan", "--max-size", "1000"])
        .output()
        .unwrap();
    let text = all_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_names(&stdout(&out), &expect("app/a.py", 2, "aws-access-key-id"));
    assert!(!text.contains("local/notes.txt"), "{text}");
    assert!(!text.contains("app/debug.log"), "{text}");
    assert!(stderr(&out).contains("1 finding(s)"), "{text}");

    // Without the size limit the big file is scanned and reported.
    let out = repo.vault(&alice).args(["scan", "app"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_names(
        &stdout(&out),
        &expect("app/big.txt", 201, "stripe-live-key"),
    );

    // A clean directory exits 0.
    repo.write("clean/readme.md", "nothing to see\n");
    let out = repo.vault(&alice).args(["scan", "clean"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_text(&out));
    assert!(
        stderr(&out).contains("no secrets found in 1 file(s)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
}

#[test]
fn scan_json_lists_findings_without_secrets() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let aws = aws_key_id();
    repo.write("app/a.py", format!("x = 1\nKEY = '{aws}'\n"));
    repo.write("app/.env.production", "LOG_LEVEL=info\n");
    let out = repo
        .vault(&alice)
        .args(["scan", "app", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));
    assert!(!all_text(&out).contains(&aws));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["scanned"], 2, "{doc}");
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{doc}");
    let env = findings
        .iter()
        .find(|f| f["path"] == "app/.env.production")
        .unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(env["rule"], "dotenv-file");
    assert_eq!(env["line"], 0);
    let aws_finding = findings
        .iter()
        .find(|f| f["path"] == "app/a.py")
        .unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(aws_finding["rule"], "aws-access-key-id");
    assert_eq!(aws_finding["line"], 2);
    assert_eq!(aws_finding["column"], 8);
    assert_eq!(aws_finding["hint"], "AKIA…(20 chars)");
    for f in findings {
        let fp = f["fingerprint"].as_str().unwrap();
        assert_eq!(fp.len(), 16, "{doc}");
        assert!(f["description"].is_string());
    }

    let out = repo
        .vault(&alice)
        .args(["scan", "--json", "src-does-not-matter", "--list-rules"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_text(&out));
    let rules = stdout(&out);
    for id in [
        "decrypted-leftover",
        "dotenv-file",
        "secrets-plaintext",
        "age-secret-key",
        "private-key",
        "aws-access-key-id",
        "stripe-live-key",
        "known-value",
    ] {
        assert!(rules.lines().any(|l| l.starts_with(id)), "{id}:\n{rules}");
    }

    // Clean: exit 0 and an empty findings array.
    repo.write("clean/ok.txt", "fine\n");
    let out = repo
        .vault(&alice)
        .args(["scan", "clean", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["findings"], serde_json::json!([]));
    assert_eq!(doc["scanned"], 1);
}

// ---------------------------------------------------------------------------------------
// The pre-commit framework.

#[test]
fn pre_commit_framework_runs_the_system_hook() {
    let found = std::process::Command::new("pre-commit")
        .arg("--version")
        .env("PATH", path_with_vault())
        .output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "`pre-commit` is not on PATH: .ci/run installs it (python3 -m pip install pre-commit)"
    );
    let (repo, alice) = TestRepo::with_vault("dev");
    let pre_commit_home = repo.base_path("pre-commit-home");
    let definitions = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    assert!(
        definitions.contains("id: vault-secrets-system")
            && definitions.contains("entry: vault hook pre-commit")
            && definitions.contains("language: system"),
        "{definitions}"
    );
    repo.write(
        ".pre-commit-config.yaml",
        "repos:\n  - repo: local\n    hooks:\n      - id: vault-secrets-system\n        \
         name: vault secret scan\n        entry: vault hook pre-commit\n        \
         language: system\n        pass_filenames: false\n        always_run: true\n        \
         stages: [pre-commit]\n",
    );
    let framework = |args: &[&str]| {
        let mut cmd = git(&repo, Some(&alice));
        cmd.env("PRE_COMMIT_HOME", &pre_commit_home)
            .timeout(std::time::Duration::from_secs(120));
        cmd.args(args).output().unwrap()
    };
    let out = repo
        .isolated("pre-commit")
        .env("PRE_COMMIT_HOME", &pre_commit_home)
        // --overwrite: replace whatever hook is there instead of chaining it ("migration mode").
        .args(["install", "--overwrite"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pre-commit install: {}",
        all_text(&out)
    );
    let hook = std::fs::read_to_string(repo.path(".git/hooks/pre-commit")).unwrap();
    assert!(hook.contains("pre-commit"), "{hook}");

    // A clean commit passes through the framework and vault.
    ok_git(&repo, None, &["add", "-A"]);
    let out = framework(&["commit", "-m", "init"]);
    let text = all_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("vault secret scan"), "{text}");
    assert!(committed(&repo, ".pre-commit-config.yaml"));

    // A secret is blocked, and the framework reports vault's findings.
    let aws = aws_key_id();
    repo.write("app/keys.py", format!("KEY = '{aws}'\n"));
    ok_git(&repo, None, &["add", "app/keys.py"]);
    let before = head(&repo);
    let out = framework(&["commit", "-m", "secret"]);
    let text = all_text(&out);
    assert_ne!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Failed"), "{text}");
    assert_names(&text, &expect("app/keys.py", 1, "aws-access-key-id"));
    assert!(!text.contains(&aws), "{text}");
    assert_eq!(head(&repo), before);
}

// ---------------------------------------------------------------------------------------
// textconv: git diff and git log -p on secrets/*.age.

#[test]
fn textconv_shows_key_level_changes_to_members_and_a_notice_to_others() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let config = stdout(&ok_git(
        &repo,
        None,
        &["config", "--get", "diff.vault.textconv"],
    ));
    assert!(config.contains("textconv"), "{config}");
    assert!(
        repo.read_text(".gitattributes")
            .contains("secrets/*.age diff=vault merge=vault")
    );
    repo.set(&alice, "dev", "API_URL", "https://old.example.com");
    repo.set(&alice, "dev", "UNCHANGED", "same-value");
    ok_git(&repo, None, &["add", "-A"]);
    ok_git(&repo, Some(&alice), &["commit", "-q", "-m", "first"]);
    repo.set(&alice, "dev", "API_URL", "https://new.example.com");
    ok_git(&repo, None, &["add", "-A"]);
    ok_git(&repo, Some(&alice), &["commit", "-q", "-m", "second"]);

    let out = ok_git(
        &repo,
        Some(&alice),
        &["diff", "HEAD~1", "--", "secrets/dev.age"],
    );
    let diff = stdout(&out);
    assert!(
        diff.lines()
            .any(|l| l == "-API_URL = \"https://old.example.com\""),
        "{diff}"
    );
    assert!(
        diff.lines()
            .any(|l| l == "+API_URL = \"https://new.example.com\""),
        "{diff}"
    );
    assert!(
        !diff.contains("+UNCHANGED") && !diff.contains("-UNCHANGED"),
        "{diff}"
    );
    assert!(!diff.contains("BEGIN AGE ENCRYPTED FILE"), "{diff}");

    let out = ok_git(&repo, Some(&alice), &["log", "-p", "--", "secrets/dev.age"]);
    let log = stdout(&out);
    assert!(
        log.contains("-API_URL = \"https://old.example.com\""),
        "{log}"
    );
    assert!(
        log.contains("+API_URL = \"https://new.example.com\""),
        "{log}"
    );
    assert!(log.contains("+UNCHANGED = \"same-value\""), "{log}");

    // Someone whose key is not a recipient sees a one-line notice, and git is happy.
    let mallory = repo.key("mallory");
    let out = ok_git(
        &repo,
        Some(&mallory),
        &["log", "-p", "--", "secrets/dev.age"],
    );
    let log = stdout(&out);
    assert!(log.contains("+# vault: encrypted secrets ("), "{log}");
    assert!(
        !log.contains("API_URL") && !log.contains("old.example.com"),
        "{log}"
    );
    assert!(!log.contains("BEGIN AGE ENCRYPTED FILE"), "{log}");
    let out = ok_git(
        &repo,
        Some(&mallory),
        &["diff", "HEAD~1", "--", "secrets/dev.age"],
    );
    assert!(!stdout(&out).contains("API_URL"), "{}", stdout(&out));

    // No identity at all: the same kind of notice, no prompt, exit 0.
    let out = ok_git(&repo, None, &["show", "HEAD", "--", "secrets/dev.age"]);
    assert!(!stdout(&out).contains("API_URL"), "{}", stdout(&out));
    let out = ok_git(&repo, None, &["log", "-p", "--", "secrets/dev.age"]);
    assert!(
        stdout(&out).contains("+# vault: encrypted secrets (no identity"),
        "{}",
        stdout(&out)
    );
}

// ---------------------------------------------------------------------------------------
// The merge driver, through real `git merge`.

/// A vault with dev holding X and Y, committed on `main`, and a branch `other` at the
/// same commit.
fn merge_repo() -> (TestRepo, Key) {
    let (repo, alice) = TestRepo::with_vault("dev");
    let config = stdout(&ok_git(
        &repo,
        None,
        &["config", "--get", "merge.vault.driver"],
    ));
    assert!(config.contains("merge-driver %O %A %B %P"), "{config}");
    repo.set(&alice, "dev", "X", "x-base");
    repo.set(&alice, "dev", "Y", "y-base");
    ok_git(&repo, None, &["add", "-A"]);
    ok_git(&repo, Some(&alice), &["commit", "-q", "-m", "base"]);
    ok_git(&repo, None, &["branch", "other"]);
    (repo, alice)
}

/// Sets `name` on `branch` and commits it.
fn commit_on(repo: &TestRepo, key: &Key, branch: &str, name: &str, value: &str) {
    ok_git(repo, None, &["checkout", "-q", branch]);
    repo.set(key, "dev", name, value);
    ok_git(repo, None, &["add", "secrets/dev.age"]);
    ok_git(
        repo,
        Some(key),
        &["commit", "-q", "-m", &format!("{branch}: {name}")],
    );
}

/// Asserts `secrets/dev.age` is age armor.
fn assert_armor(repo: &TestRepo) {
    let text = repo.read_text("secrets/dev.age");
    assert!(
        text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{text}"
    );
    assert!(
        text.trim_end()
            .ends_with("-----END AGE ENCRYPTED FILE-----"),
        "{text}"
    );
    assert!(
        !text.contains("<<<<<<<") && !text.contains(">>>>>>>"),
        "{text}"
    );
}

#[test]
fn merge_of_different_keys_is_clean() {
    let (repo, alice) = merge_repo();
    commit_on(&repo, &alice, "other", "X", "x-from-other");
    commit_on(&repo, &alice, "main", "Y", "y-from-main");
    let out = run_git(&repo, Some(&alice), &["merge", "--no-edit", "other"]);
    assert!(out.status.success(), "{}", all_text(&out));
    assert_armor(&repo);
    assert_eq!(repo.get(&alice, "dev", "X"), "x-from-other");
    assert_eq!(repo.get(&alice, "dev", "Y"), "y-from-main");
    // The merge is committed, and the working tree matches it.
    let status = stdout(&ok_git(&repo, None, &["status", "--porcelain"]));
    assert_eq!(status, "", "{status}");
    let parents = stdout(&ok_git(
        &repo,
        None,
        &["rev-list", "--parents", "-n1", "HEAD"],
    ));
    assert_eq!(parents.split_whitespace().count(), 3, "{parents}");
    repo.vault(&alice)
        .args(["exec", "dev", "--", "true"])
        .timeout(TIMEOUT)
        .assert()
        .success();
}

#[test]
fn merge_of_the_same_change_on_both_sides_is_clean() {
    let (repo, alice) = merge_repo();
    commit_on(&repo, &alice, "other", "X", "x-agreed");
    commit_on(&repo, &alice, "main", "X", "x-agreed");
    let out = run_git(&repo, Some(&alice), &["merge", "--no-edit", "other"]);
    assert!(out.status.success(), "{}", all_text(&out));
    assert_armor(&repo);
    assert_eq!(repo.get(&alice, "dev", "X"), "x-agreed");
    assert_eq!(repo.get(&alice, "dev", "Y"), "y-base");
}

#[test]
fn merge_conflict_is_kept_encrypted_and_resolved_with_vault_edit() {
    let (repo, alice) = merge_repo();
    commit_on(&repo, &alice, "other", "X", "x-theirs");
    commit_on(&repo, &alice, "main", "X", "x-ours");
    let out = run_git(&repo, Some(&alice), &["merge", "--no-edit", "other"]);
    let text = all_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("CONFLICT"), "{text}");
    assert!(text.contains("vault edit dev"), "{text}");
    assert!(
        !text.contains("x-ours") && !text.contains("x-theirs"),
        "{text}"
    );
    assert_armor(&repo);

    // exec refuses a conflicted environment.
    let out = repo
        .vault(&alice)
        .args(["exec", "dev", "--", "true"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125), "{}", all_text(&out));
    assert!(stderr(&out).contains("conflict"), "{}", stderr(&out));
    assert!(stderr(&out).contains('X'), "{}", stderr(&out));
    let out = repo
        .vault(&alice)
        .args(["check", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));
    assert!(stdout(&out).contains("\"conflict\""), "{}", stdout(&out));
    // ls marks it too.
    let out = repo.vault(&alice).args(["ls", "dev"]).output().unwrap();
    assert!(stdout(&out).contains("MERGE CONFLICT"), "{}", stdout(&out));

    // The edit buffer shows both sides; keeping ours resolves it.
    let seen = repo.base_path("buffer-seen");
    let editor = repo.script(
        "keep-ours.sh",
        &format!(
            "cp \"$1\" '{}' && sed -i '/# theirs$/d' \"$1\"",
            seen.display()
        ),
    );
    let out = repo.edit(&alice, "dev", &editor);
    assert!(out.status.success(), "{}", all_text(&out));
    let buffer = std::fs::read_to_string(&seen).unwrap();
    assert!(buffer.contains("X = \"x-ours\"  # ours"), "{buffer}");
    assert!(buffer.contains("X = \"x-theirs\"  # theirs"), "{buffer}");
    assert_eq!(repo.get(&alice, "dev", "X"), "x-ours");
    assert_eq!(repo.get(&alice, "dev", "Y"), "y-base");
    let out = repo
        .vault(&alice)
        .args(["check", "--json"])
        .output()
        .unwrap();
    assert!(!stdout(&out).contains("\"conflict\""), "{}", stdout(&out));
    repo.vault(&alice)
        .args(["exec", "dev", "--", "true"])
        .timeout(TIMEOUT)
        .assert()
        .success();

    // The merge can now be finished.
    ok_git(&repo, None, &["add", "secrets/dev.age"]);
    ok_git(&repo, Some(&alice), &["commit", "--no-edit"]);
    assert_eq!(repo.get(&alice, "dev", "X"), "x-ours");
}

// ---------------------------------------------------------------------------------------
// Install edge cases.

#[test]
fn hooks_install_refuses_to_overwrite_a_kept_hook_and_uninstall_leaves_foreign_hooks() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let hook = repo.path(".git/hooks/pre-commit");
    let chained = repo.path(".git/hooks/pre-commit.vault-chained");
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::write(&chained, "#!/bin/sh\necho older\n").unwrap();
    let out = repo
        .vault(&alice)
        .args(["hooks", "install"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_text(&out));
    assert!(
        stderr(&out).contains("pre-commit.vault-chained"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        repo.read_text(".git/hooks/pre-commit"),
        "#!/bin/sh\nexit 0\n"
    );
    assert_eq!(
        std::fs::read_to_string(&chained).unwrap(),
        "#!/bin/sh\necho older\n"
    );

    // Uninstall does not touch a hook that is not vault's.
    let out = repo
        .vault(&alice)
        .args(["hooks", "uninstall"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_text(&out));
    assert!(
        stderr(&out).contains("not vault's hook"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        repo.read_text(".git/hooks/pre-commit"),
        "#!/bin/sh\nexit 0\n"
    );
}

#[test]
fn hooks_install_outside_git_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let repo = TestRepo::new();
    let out = repo
        .bare_vault()
        .current_dir(dir.path())
        .args(["hooks", "install"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_text(&out));
    assert!(
        stderr(&out).contains("not inside a git repository"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn init_installs_the_pre_commit_hook() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let hook = repo.path(".git/hooks/pre-commit");
    assert!(hook.exists(), "vault init installed no pre-commit hook");
    assert!(
        repo.read_text(".git/hooks/pre-commit")
            .contains("vault-managed")
    );
    ok_git(&repo, None, &["add", "-A"]);
    let out = commit(&repo, Some(&alice), "init");
    assert!(out.status.success(), "{}", all_text(&out));
    let aws = aws_key_id();
    assert_blocked(
        &repo,
        Some(&alice),
        &[("k.py", &format!("K = '{aws}'\n"))],
        &[expect("k.py", 1, "aws-access-key-id")],
        &[&aws],
    );
}

// ---------------------------------------------------------------------------------------
// A vault in a subdirectory (monorepo), and scans run from a subdirectory.

#[test]
fn scan_from_a_subdirectory_uses_repository_paths() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.write("secrets/prod.toml", "X = \"plain\"\n");
    let out = repo
        .vault(&alice)
        .current_dir(repo.path("secrets"))
        .arg("scan")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));
    assert!(
        all_text(&out).contains("[decrypted-leftover]"),
        "{}",
        all_text(&out)
    );
    std::fs::remove_file(repo.path("secrets/prod.toml")).unwrap();

    // A baseline written at the root covers the same finding seen from below.
    let aws = aws_key_id();
    repo.write("src/keys.py", format!("K = '{aws}'\n"));
    let baseline = repo.base_path("baseline.json");
    repo.vault(&alice)
        .args(["scan", "src", "--write-baseline"])
        .arg(&baseline)
        .assert()
        .success();
    let out = repo
        .vault(&alice)
        .current_dir(repo.path("src"))
        .args(["scan", "--baseline"])
        .arg(&baseline)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_text(&out));
}

/// A git repository whose vault lives in `app/` (a monorepo), with the hook installed and
/// `DB_PASSWORD` set in dev; everything committed.
fn monorepo() -> (TestRepo, Key, String) {
    let repo = TestRepo::new();
    let alice = repo.key("alice");
    std::fs::create_dir_all(repo.path("app")).unwrap();
    repo.vault(&alice)
        .current_dir(repo.path("app"))
        .args(["init", "--name", "alice", "--env", "dev"])
        .assert()
        .success();
    std::fs::remove_file(repo.path("app/.secrets.example.toml")).unwrap();
    repo.vault(&alice)
        .current_dir(repo.path("app"))
        .args(["hooks", "install"])
        .assert()
        .success();
    let password = format!("{}-{}", "hunter2", "Correct-Horse");
    for (name, value) in [("DB_PASSWORD", password.as_str()), ("X", "x-base")] {
        repo.vault(&alice)
            .current_dir(repo.path("app"))
            .args(["set", "dev", name])
            .write_stdin(value.to_owned())
            .assert()
            .success();
    }
    ok_git(&repo, None, &["add", "-A"]);
    ok_git(&repo, Some(&alice), &["commit", "-q", "-m", "init"]);
    (repo, alice, password)
}

#[test]
fn hook_checks_known_values_of_a_vault_in_a_subdirectory() {
    let (repo, alice, password) = monorepo();
    assert_blocked(
        &repo,
        Some(&alice),
        &[("app/config.txt", &format!("db {password}\n"))],
        &[expect("app/config.txt", 1, "known-value")],
        &[&password],
    );
}

/// Creates a vault in `dir` (a subdirectory) with `API_TOKEN` set in dev to `value`, and
/// stages it; nothing is committed.
fn stage_vault_in(repo: &TestRepo, alice: &Key, dir: &str, value: &str) {
    std::fs::create_dir_all(repo.path(dir)).unwrap();
    repo.vault(alice)
        .current_dir(repo.path(dir))
        .args(["init", "--name", "alice", "--env", "dev"])
        .assert()
        .success();
    std::fs::remove_file(repo.path(&format!("{dir}/.secrets.example.toml"))).unwrap();
    repo.vault(alice)
        .current_dir(repo.path(dir))
        .args(["set", "dev", "API_TOKEN"])
        .write_stdin(value.to_owned())
        .assert()
        .success();
    ok_git(repo, None, &["add", "-A", dir]);
}

/// Runs `git args` as `key` (the hook runs) and asserts the hook blocked it with a
/// known-value finding in `path` line 1, without printing `secret`.
fn assert_commit_blocked(repo: &TestRepo, key: &Key, args: &[&str], path: &str, secret: &str) {
    let before = head(repo);
    let out = run_git(repo, Some(key), args);
    let text = all_text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "git {args:?} was not blocked:\n{text}"
    );
    assert!(text.contains("commit blocked"), "{text}");
    assert_names(&text, &expect(path, 1, "known-value"));
    assert!(!text.contains(secret), "the secret leaked into:\n{text}");
    assert_eq!(head(repo), before, "a blocked commit moved HEAD");
}

/// The hook at the root of a repository whose vaults are in subdirectories, through plain
/// `git commit` (git commits from `.git/index`) and `git commit -a` (from `.git/index.lock`):
/// a clean change passes; a copy of a value is blocked, also for a vault that is added in
/// the very commit (its `.vault.toml` is only in the index being committed).
#[test]
fn hook_outside_a_vault_blocks_plain_and_all_commits() {
    let (repo, alice, password) = monorepo();
    repo.write("README.md", "hello\n");
    ok_git(&repo, None, &["add", "README.md"]);
    let out = commit(&repo, Some(&alice), "clean");
    assert!(out.status.success(), "{}", all_text(&out));

    repo.write("README.md", format!("db {password}\n"));
    assert_commit_blocked(
        &repo,
        &alice,
        &["commit", "-a", "-m", "x"],
        "README.md",
        &password,
    );
    ok_git(&repo, None, &["checkout", "-q", "README.md"]);

    let token = format!("{}-{}", "svc", "Battery-Staple-Token");
    stage_vault_in(&repo, &alice, "svc", &token);
    repo.write("svc/notes.txt", format!("{token}\n"));
    ok_git(&repo, None, &["add", "svc/notes.txt"]);
    assert_commit_blocked(
        &repo,
        &alice,
        &["commit", "-m", "x"],
        "svc/notes.txt",
        &token,
    );
    // Without the copy, the new vault is committed.
    ok_git(&repo, None, &["rm", "-q", "--cached", "svc/notes.txt"]);
    let out = commit(&repo, Some(&alice), "svc");
    assert!(out.status.success(), "{}", all_text(&out));
    assert!(committed(&repo, "svc/.vault.toml"));
}

/// A partial commit (`git commit <paths>`, `git commit -o <paths>`) is written from a
/// temporary index holding only `HEAD` and those paths. A vault staged in the repository's
/// index but left out of the commit is not in it; the hook must still look for its values
/// (fail closed), or a copy of one in the committed file would pass.
#[test]
fn hook_knows_a_staged_vault_left_out_of_a_partial_commit() {
    let (repo, alice, _) = monorepo();
    let token = format!("{}-{}", "svc", "Battery-Staple-Token");
    stage_vault_in(&repo, &alice, "svc", &token);
    repo.write("other.txt", format!("token {token}\n"));
    ok_git(&repo, None, &["add", "other.txt"]);
    for args in [
        ["commit", "-m", "x", "--", "other.txt"],
        ["commit", "-m", "x", "-o", "other.txt"],
    ] {
        assert_commit_blocked(&repo, &alice, &args, "other.txt", &token);
    }
    // The same partial commit without the copy goes through, and leaves the vault staged.
    repo.write("other.txt", "nothing here\n");
    let out = run_git(
        &repo,
        Some(&alice),
        &["commit", "-m", "x", "--", "other.txt"],
    );
    assert!(out.status.success(), "{}", all_text(&out));
    assert!(committed(&repo, "other.txt"));
    assert!(!committed(&repo, "svc/.vault.toml"));
}

#[test]
fn merge_driver_works_for_a_vault_in_a_subdirectory() {
    let (repo, alice, _) = monorepo();
    ok_git(&repo, None, &["branch", "other"]);
    for (branch, name, value) in [("other", "X", "x-other"), ("main", "Y", "y-main")] {
        ok_git(&repo, None, &["checkout", "-q", branch]);
        repo.vault(&alice)
            .current_dir(repo.path("app"))
            .args(["set", "dev", name])
            .write_stdin(value)
            .assert()
            .success();
        ok_git(&repo, None, &["add", "-A"]);
        ok_git(&repo, Some(&alice), &["commit", "-q", "-m", name]);
    }
    let out = run_git(&repo, Some(&alice), &["merge", "--no-edit", "other"]);
    assert!(out.status.success(), "{}", all_text(&out));
    let get = |name: &str| {
        let out = repo
            .vault(&alice)
            .current_dir(repo.path("app"))
            .args(["get", "dev", name])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    assert_eq!(get("X"), "x-other");
    assert_eq!(get("Y"), "y-main");
}

// ---------------------------------------------------------------------------------------
// History scans.

#[test]
fn scan_history_finds_a_secret_removed_in_a_later_commit() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let aws = aws_key_id();
    repo.write("app/keys.py", format!("K = '{aws}'\n"));
    ok_git(&repo, None, &["add", "-A"]);
    ok_git(
        &repo,
        Some(&alice),
        &["commit", "-q", "--no-verify", "-m", "oops"],
    );
    repo.write("app/keys.py", "K = None\n");
    ok_git(&repo, None, &["add", "-A"]);
    ok_git(&repo, Some(&alice), &["commit", "-q", "-m", "fix"]);

    let out = repo.vault(&alice).args(["scan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_text(&out));
    let out = repo
        .vault(&alice)
        .args(["scan", "--history"])
        .output()
        .unwrap();
    let text = all_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("app/keys.py"), "{text}");
    assert!(text.contains("[aws-access-key-id]"), "{text}");
    assert!(!text.contains(&aws), "{text}");
}

#[test]
fn scan_history_reads_packed_and_loose_objects_alike() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let aws = aws_key_id();
    // Many versions of the same files, so the pack holds trees and blobs as delta chains.
    for round in 0..30 {
        repo.write(
            "src/config.py",
            format!(
                "ROUND = {round}\nNAME = 'service'\n{}",
                "x = 1\n".repeat(round)
            ),
        );
        repo.write(
            &format!("src/mod_{}.py", round % 5),
            format!("V = {round}\n"),
        );
        if round == 7 {
            repo.write("src/leak.py", format!("K = '{aws}'\n"));
        }
        if round == 12 {
            repo.write("src/leak.py", "K = None\n");
        }
        ok_git(&repo, None, &["add", "-A"]);
        ok_git(
            &repo,
            Some(&alice),
            &[
                "commit",
                "-q",
                "--no-verify",
                "-m",
                &format!("round {round}"),
            ],
        );
    }
    ok_git(&repo, None, &["gc", "-q", "--aggressive"]);
    assert!(
        std::fs::read_dir(repo.path(".git/objects/pack"))
            .unwrap()
            .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "pack")),
        "the history is packed"
    );
    // One more commit after packing: its objects are loose.
    repo.write("late/settings.py", format!("LATE_KEY = '{aws}'\n"));
    ok_git(&repo, None, &["add", "-A"]);
    ok_git(
        &repo,
        Some(&alice),
        &["commit", "-q", "--no-verify", "-m", "late"],
    );

    let out = repo
        .vault(&alice)
        .args(["scan", "--history", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"src/leak.py"), "packed finding: {paths:?}");
    // Attributed to the commit that introduced it, not a later one that still carried it.
    let introduced = repo.git(["log", "--format=%H", "--grep=^round 7$"]);
    let introduced = String::from_utf8(introduced.stdout).unwrap();
    let leak = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "src/leak.py")
        .unwrap();
    assert_eq!(leak["commit"].as_str(), Some(introduced.trim()));
    assert!(
        paths.contains(&"late/settings.py"),
        "loose finding: {paths:?}"
    );
    // Every distinct blob of history is scanned exactly once.
    let listed = repo.git(["rev-list", "--all", "--objects"]);
    let blobs = String::from_utf8(listed.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(id, _)| {
            let kind = repo.git(["cat-file", "-t", id]);
            String::from_utf8_lossy(&kind.stdout).trim() == "blob"
        })
        .count();
    assert_eq!(report["scanned_blobs"], blobs);
    assert!(!all_text(&out).contains(&aws));
}

#[test]
fn a_fresh_clone_without_the_hook_says_so_and_check_warns() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "A", "value-1");
    ok_git(&repo, None, &["add", "-A"]);
    ok_git(&repo, Some(&alice), &["commit", "-q", "-m", "vault"]);
    // A teammate clones: git copies neither hooks nor local config.
    let clone = TestRepo::new();
    ok_git(
        &clone,
        None,
        &["pull", "-q", repo.root.to_str().unwrap(), "main"],
    );
    let out = clone.vault(&alice).args(["ls", "dev"]).output().unwrap();
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("this clone has no pre-commit hook and no diff and merge drivers"),
        "{err}"
    );
    assert!(err.contains("vault hooks install"), "{err}");
    let out = clone.vault(&alice).arg("check").output().unwrap();
    assert!(stdout(&out).contains("[no-hook]"), "{}", stdout(&out));
    assert_eq!(out.status.code(), Some(0), "a warning, not a failure");
    // After installing, nothing more is said.
    clone
        .vault(&alice)
        .args(["hooks", "install"])
        .assert()
        .success();
    let out = clone.vault(&alice).args(["ls", "dev"]).output().unwrap();
    assert!(!stderr(&out).contains("hooks install"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------
// Issue 14: fail closed.

/// Issue 14, item 1: files committed past `.gitignore` (`git add -f`, `--no-verify`) are
/// still in the repository, so the CI scan reads them; ignore rules only keep untracked
/// files out.
#[test]
fn issue_14_scan_reads_tracked_files_that_gitignore_matches() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let aws = aws_key_id();
    let stripe = stripe_live_key();
    let mut ignore = repo.read_text(".gitignore");
    ignore.push_str(".env\n*.log\nbuild/\n");
    repo.write(".gitignore", ignore);
    repo.write(".env", format!("AWS_ACCESS_KEY_ID={aws}\n"));
    repo.write("debug.log", format!("request signed with {aws}\n"));
    repo.write("build/out.txt", format!("charged with {stripe}\n"));
    ok_git(&repo, None, &["add", "-A"]);
    ok_git(
        &repo,
        None,
        &["add", "-f", ".env", "debug.log", "build/out.txt"],
    );
    ok_git(
        &repo,
        Some(&alice),
        &["commit", "-q", "--no-verify", "-m", "bypass the hook"],
    );
    // Untracked and ignored: not part of the repository, so not scanned.
    repo.write("other.log", format!("{stripe}\n"));
    repo.write("build/local.txt", format!("{stripe}\n"));

    for args in [&["scan"][..], &["scan", "."]] {
        let out = repo.vault(&alice).args(args).output().unwrap();
        let text = all_text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {text}");
        assert!(text.contains("build/out.txt"), "{args:?}: {text}");
        assert!(!text.contains("other.log"), "{args:?}: {text}");
        assert!(!text.contains("build/local.txt"), "{args:?}: {text}");
        assert!(!text.contains(&aws) && !text.contains(&stripe), "{text}");
    }
    let out = repo.vault(&alice).args(["scan"]).output().unwrap();
    let found = stdout(&out);
    assert_names(&found, &expect("debug.log", 1, "aws-access-key-id"));
    assert_names(&found, &expect(".env", 0, "dotenv-file"));
    assert_names(&found, &expect("build/out.txt", 1, "stripe-live-key"));

    // From a subdirectory, tracked files below it are scanned with repository paths.
    let out = repo
        .vault(&alice)
        .current_dir(repo.path("build"))
        .args(["scan"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));
    assert_names(
        &stdout(&out),
        &expect("build/out.txt", 1, "stripe-live-key"),
    );
    assert!(!all_text(&out).contains("debug.log"), "{}", all_text(&out));
}

/// Issue 14, item 2: a roster that does not parse (a conflict marker left by a merge) used
/// to make the hook skip the known-value check and pass. It must block, say why and how to
/// fix the roster.
#[test]
fn issue_14_hook_blocks_when_the_roster_does_not_parse() {
    let (repo, alice) = hooked_repo();
    let password = format!("{}-{}", "hunter2", "Prod-Only-Value");
    repo.set(&alice, "prod", "DB_PASSWORD", &password);
    ok_git(&repo, None, &["add", "secrets/"]);
    let out = commit(&repo, Some(&alice), "set DB_PASSWORD");
    assert!(out.status.success(), "{}", all_text(&out));

    let roster = repo.read_text(".vault.toml");
    repo.write_roster(&format!(
        "<<<<<<< HEAD\n{roster}=======\n{roster}>>>>>>> other-branch\n"
    ));
    let before = head(&repo);
    repo.write("config.txt", format!("db {password}\n"));
    ok_git(&repo, None, &["add", "config.txt"]);
    let out = commit(&repo, Some(&alice), "should be blocked");
    let text = all_text(&out);
    assert!(!out.status.success(), "the commit went through:\n{text}");
    assert_eq!(head(&repo), before, "a blocked commit moved HEAD");
    assert!(!text.contains("no secrets found"), "{text}");
    assert!(text.contains("error: cannot check for copies"), "{text}");
    assert!(text.contains(".vault.toml"), "{text}");
    assert!(text.contains("hint: fix"), "{text}");
    assert!(
        text.contains("<<<<<<<"),
        "the hint names the markers:\n{text}"
    );
    assert!(!text.contains(&password), "{text}");

    // `vault scan` fails the same way (exit 2), rather than scanning without the values.
    let out = repo
        .vault(&alice)
        .args(["scan", "config.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_text(&out));
    assert!(!all_text(&out).contains(&password));

    // With the roster fixed, the hook finds the copy of the prod value.
    repo.write_roster(&roster);
    let out = commit(&repo, Some(&alice), "still blocked");
    let text = all_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_names(&text, &expect("config.txt", 1, "known-value"));
    assert!(text.contains("prod/DB_PASSWORD"), "{text}");
}

/// Issue 14, item 2: in a repository whose vault lives in a subdirectory, a tracked roster
/// that does not parse blocks the hook too.
#[test]
fn issue_14_hook_blocks_when_a_subdirectory_roster_does_not_parse() {
    let (repo, alice, _) = monorepo();
    let roster = repo.read_text("app/.vault.toml");
    repo.write("app/.vault.toml", format!("{roster}\n[envs.broken\n"));
    repo.write("notes.txt", "nothing secret\n");
    ok_git(&repo, None, &["add", "notes.txt"]);
    let out = commit(&repo, Some(&alice), "should be blocked");
    let text = all_text(&out);
    assert!(!out.status.success(), "the commit went through:\n{text}");
    assert!(text.contains("app/.vault.toml"), "{text}");
    assert!(!committed(&repo, "notes.txt"));
}

/// `vault` for `key` that cannot override file permissions: as root (where mode 000 does
/// not stop a read) it runs through `setpriv` without the two capabilities that bypass
/// them, so an unreadable file is unreadable whoever runs the tests.
fn vault_bound_by_permissions(repo: &TestRepo, key: &Key) -> assert_cmd::Command {
    if !is_root() {
        return repo.vault(key);
    }
    let mut cmd = repo.isolated("setpriv");
    cmd.args(["--bounding-set", "-dac_override,-dac_read_search"])
        .arg(vault_bin())
        .env("VAULT_IDENTITY_FILE", &key.file)
        .timeout(TIMEOUT);
    cmd
}

/// Issue 14, item 3: one unreadable file is reported by name and the scan goes on to
/// report the findings in every other file, then exits 2 because it is incomplete.
#[test]
fn issue_14_scan_reports_an_unreadable_file_and_carries_on() {
    use std::os::unix::fs::PermissionsExt;
    let (repo, alice) = TestRepo::with_vault("dev");
    let aws = aws_key_id();
    repo.write("app/a.py", format!("KEY = '{aws}'\n"));
    repo.write("app/locked.txt", "cannot be read\n");
    repo.write("app/z.py", format!("OTHER = '{aws}'\n"));
    std::fs::create_dir_all(repo.path("app/private")).unwrap();
    repo.write("app/private/inner.txt", "hidden\n");
    let lock = |path: &str, mode| {
        std::fs::set_permissions(repo.path(path), std::fs::Permissions::from_mode(mode)).unwrap();
    };
    lock("app/locked.txt", 0o000);
    lock("app/private", 0o000);

    let out = vault_bound_by_permissions(&repo, &alice)
        .args(["scan", "app"])
        .output()
        .unwrap();
    lock("app/private", 0o755);
    let text = all_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert_names(&stdout(&out), &expect("app/a.py", 1, "aws-access-key-id"));
    assert_names(&stdout(&out), &expect("app/z.py", 1, "aws-access-key-id"));
    let err = stderr(&out);
    assert!(
        err.contains("warning: cannot read app/locked.txt:"),
        "{err}"
    );
    assert!(err.contains("warning: cannot read app/private"), "{err}");
    assert!(
        err.contains("error: the scan is incomplete: 2 file(s) could not be read"),
        "{err}"
    );
    assert!(err.contains("hint: "), "{err}");
    assert!(!text.contains(&aws), "{text}");

    // JSON lists them too, beside the findings.
    let out = vault_bound_by_permissions(&repo, &alice)
        .args(["scan", "app", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 2, "{doc}");
    assert_eq!(doc["unreadable"][0]["path"], "app/locked.txt", "{doc}");
}

/// Issue 14, item 3: a history object that cannot be read is named (blob, path, commit)
/// instead of being skipped, the rest of history is still scanned, and the run exits 2.
#[test]
fn issue_14_scan_history_reports_a_missing_object() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let aws = aws_key_id();
    repo.write("app/keys.py", format!("K = '{aws}'\n"));
    repo.write("app/lost.txt", "this blob will go missing\n");
    ok_git(&repo, None, &["add", "-A"]);
    ok_git(
        &repo,
        Some(&alice),
        &["commit", "-q", "--no-verify", "-m", "oops"],
    );
    let blob = stdout(&ok_git(&repo, None, &["rev-parse", "HEAD:app/lost.txt"]))
        .trim()
        .to_owned();
    let object = repo.path(&format!(".git/objects/{}/{}", &blob[..2], &blob[2..]));
    std::fs::remove_file(&object).unwrap();

    let out = repo
        .vault(&alice)
        .args(["scan", "--history"])
        .output()
        .unwrap();
    let text = all_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("app/keys.py"),
        "the rest was scanned:\n{text}"
    );
    assert!(text.contains("[aws-access-key-id]"), "{text}");
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "warning: cannot read blob {blob} (app/lost.txt in commit"
        )),
        "{err}"
    );
    assert!(
        err.contains("error: the scan is incomplete: 1 object(s) of history could not be read"),
        "{err}"
    );
    assert!(!text.contains(&aws), "{text}");

    let out = repo
        .vault(&alice)
        .args(["scan", "--history", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["unreadable"][0]["blob"], blob.as_str(), "{doc}");
    assert_eq!(doc["unreadable"][0]["path"], "app/lost.txt", "{doc}");

    // A branch whose commit is missing hides the history only it reaches: named, not
    // skipped.
    repo.write(".git/refs/heads/ghost", format!("{}\n", "1".repeat(40)));
    let out = repo
        .vault(&alice)
        .args(["scan", "--history"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("warning: cannot read reference refs/heads/ghost"),
        "{err}"
    );
    assert!(
        err.contains("error: the scan is incomplete: 2 object(s) of history could not be read"),
        "{err}"
    );
    assert!(stdout(&out).contains("app/keys.py"), "{}", stdout(&out));
}

/// Issue 14, item 6: a committed file name is untrusted text; findings print it escaped.
#[test]
fn issue_14_scan_prints_file_names_escaped() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let name = "evil\u{1b}[2J\u{202e}.env";
    repo.write(name, "LOG_LEVEL=info\n");
    let out = repo.vault(&alice).args(["scan"]).output().unwrap();
    let text = all_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{}",
        text.escape_debug()
    );
    assert!(
        text.contains("evil\\u{1b}[2J\\u{202e}.env  [dotenv-file]"),
        "{text}"
    );
}

#[test]
fn log_credits_keys_a_merge_brought_in_to_the_commits_that_changed_them() {
    let (repo, alice) = merge_repo();
    commit_on(&repo, &alice, "other", "X", "x-from-other");
    commit_on(&repo, &alice, "main", "Y", "y-from-main");
    let out = run_git(&repo, Some(&alice), &["merge", "--no-edit", "other"]);
    assert!(out.status.success(), "{}", all_text(&out));
    let out = repo.vault(&alice).args(["log", "dev"]).output().unwrap();
    let text = stdout(&out);
    let merge = text
        .lines()
        .find(|l| l.contains("Merge branch"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        merge.contains("merged (every key as one of its parents had it)"),
        "{text}"
    );
    let x = text.lines().find(|l| l.contains("other: X")).unwrap();
    assert!(x.contains("~X"), "{text}");
}

#[test]
fn the_hook_finds_the_repository_through_git_dir_as_git_does() {
    // A `--git-dir` setup (a dotfiles-style repository kept outside its work tree): git
    // tells the hook where the repository is through GIT_DIR and GIT_WORK_TREE, and the
    // hook must scan that repository's index, not search for a `.git` that is not there.
    let (repo, alice) = hooked_repo();
    let git_dir = repo.base().join("elsewhere.git");
    std::fs::rename(repo.path(".git"), &git_dir).unwrap();
    let stripe = stripe_live_key();
    repo.write(
        "web/billing.js",
        format!("const stripe = require('stripe')('{stripe}');\n"),
    );
    let with_env = |args: &[&str]| {
        git(&repo, Some(&alice))
            .env("GIT_DIR", &git_dir)
            .env("GIT_WORK_TREE", &repo.root)
            .args(args)
            .output()
            .unwrap()
    };
    let out = with_env(&["add", "web/billing.js"]);
    assert!(out.status.success(), "{}", all_text(&out));
    let out = with_env(&["commit", "-m", "billing"]);
    let text = all_text(&out);
    assert!(!out.status.success(), "the commit went through:\n{text}");
    assert!(
        text.contains("commit blocked") && text.contains("web/billing.js"),
        "{text}"
    );
    assert!(!text.contains(&stripe[8..]), "{text}");
}
