//! Error output pinned by golden files: for each mistake a user makes, the whole of what
//! vault prints (the error, its causes, the hint) and its exit status, compared with
//! `tests/golden/<name>.txt`. Paths, keys and times are replaced by placeholders
//! (`[TMP]`, `[KEY]`, `[PQKEY]`) so the files are stable.
//!
//! After an intended change of wording, `UPDATE_GOLDEN=1 cargo test --test integration
//! golden::` rewrites the files; review the diff like any other.

use std::path::{Path, PathBuf};

use crate::support::*;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Replaces what differs between runs: the temporary directory, public keys (whole and
/// shortened), and timestamps.
fn normalize(repo: &TestRepo, text: &str) -> String {
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

/// Runs `cmd`, and compares `exit N` plus stderr (normalized) with the golden file `name`.
fn assert_golden(repo: &TestRepo, name: &str, cmd: &mut assert_cmd::Command) {
    let out = cmd.timeout(TIMEOUT).output().unwrap();
    let actual = format!(
        "exit {}\n{}",
        out.status
            .code()
            .map_or("signal".to_owned(), |c| c.to_string()),
        normalize(repo, &stderr(&out))
    );
    let path = golden_dir().join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
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

#[test]
fn usage_and_lookup_errors() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    assert_golden(
        &repo,
        "unknown-environment",
        repo.vault(&alice).args(["get", "qa", "DB_PASSWORD"]),
    );
    assert_golden(
        &repo,
        "unknown-secret",
        repo.vault(&alice).args(["get", "dev", "API_TOKEN"]),
    );
    assert_golden(
        &repo,
        "exec-without-command",
        repo.vault(&alice).args(["exec", "dev"]),
    );
    assert_golden(
        &repo,
        "exec-file-unknown",
        repo.vault(&alice)
            .args(["exec", "dev", "--file", "TLS_KEY", "--", "true"]),
    );
    assert_golden(
        &repo,
        "no-identity",
        repo.bare_vault().args(["get", "dev", "DB_PASSWORD"]),
    );
    assert_golden(
        &repo,
        "identity-exists",
        repo.bare_vault()
            .args(["identity", "new", "--output"])
            .arg(&alice.file),
    );
    assert_golden(
        &repo,
        "invalid-date",
        repo.vault(&alice)
            .args(["check", "--as-of", "next tuesday"]),
    );
    let outside = TestRepo::new();
    assert_golden(
        &outside,
        "not-a-vault",
        outside.vault(&alice).args(["get", "dev", "DB_PASSWORD"]),
    );
    repo.write(
        "app.conf.tmpl",
        "db={{ DB_PASSWORD }}\ntoken={{ API_TOKEN }}\n",
    );
    assert_golden(
        &repo,
        "render-unknown-placeholder",
        repo.vault(&alice).args(["render", "dev", "app.conf.tmpl"]),
    );
}

#[test]
fn membership_errors() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    assert_golden(
        &repo,
        "member-unknown",
        repo.vault(&alice)
            .args(["member", "add", "zoe", "--env", "dev", "--yes"]),
    );
    let bob = repo.onboard(&alice, "bob", "dev");
    let _ = bob;
    assert_golden(
        &repo,
        "rekey-pq-missing-keys",
        repo.vault(&alice).args(["rekey", "prod", "--pq", "--yes"]),
    );
    let roster = repo.read_text(".vault.toml");
    repo.write(
        ".vault.toml",
        roster.replace("[envs.dev]", "[envs.dev]\nbogus = 1"),
    );
    assert_golden(
        &repo,
        "roster-unknown-field",
        repo.vault(&alice).args(["get", "dev", "DB_PASSWORD"]),
    );
}

#[test]
fn post_quantum_errors() {
    let repo = TestRepo::new();
    repo.bare_vault()
        .args(["init", "--name", "alice", "--env", "prod"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    std::fs::remove_file(repo.path(".secrets.example.toml")).unwrap();
    repo.bare_vault()
        .args(["set", "prod", "DB_PASSWORD"])
        .write_stdin("prod-db-password")
        .timeout(TIMEOUT)
        .assert()
        .success();
    let carol = repo.key("carol");
    repo.vault(&carol)
        .args(["member", "request", "carol"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    assert_golden(
        &repo,
        "member-classic-into-post-quantum",
        repo.bare_vault()
            .args(["member", "add", "carol", "--env", "prod", "--yes"]),
    );
    // Someone who can push removes the policy, and gives alice a classic key too, so the
    // roster stays valid.
    let laptop = repo.key("alice-laptop");
    let roster = repo.read_text(".vault.toml");
    repo.write(
        ".vault.toml",
        roster.replace("require_pq = true\n", "").replacen(
            "keys = [\"",
            &format!("keys = [\"{}\", \"", laptop.public),
            1,
        ),
    );
    assert_golden(
        &repo,
        "downgrade-by-roster",
        repo.bare_vault()
            .args(["set", "prod", "DB_PASSWORD"])
            .write_stdin("other-value"),
    );
    assert_golden(
        &repo,
        "rekey-to-classic",
        repo.bare_vault().args(["rekey", "prod", "--yes"]),
    );
}
