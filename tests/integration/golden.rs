//! Error output pinned by golden files: for each mistake a user makes, the whole of what
//! vault prints (the error, its causes, the hint) and its exit status, compared with
//! `tests/golden/<name>.txt`. Paths, keys and times are replaced by placeholders
//! (`[TMP]`, `[KEY]`, `[PQKEY]`) so the files are stable (`support::golden`).
//!
//! After an intended change of wording, `UPDATE_GOLDEN=1 cargo test --test integration
//! golden::` rewrites the files; review the diff like any other.

use crate::support::*;

#[test]
fn usage_and_lookup_errors() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    let as_alice = || Test::new(&repo).key(&alice);
    as_alice()
        .args(["get", "qa", "DB_PASSWORD"])
        .stderr_golden("unknown-environment")
        .run();
    as_alice()
        .args(["get", "dev", "API_TOKEN"])
        .stderr_golden("unknown-secret")
        .run();
    as_alice()
        .args(["exec", "dev"])
        .stderr_golden("exec-without-command")
        .run();
    as_alice()
        .args(["exec", "dev", "--file", "TLS_KEY", "--", "true"])
        .stderr_golden("exec-file-unknown")
        .run();
    Test::new(&repo)
        .args(["get", "dev", "DB_PASSWORD"])
        .stderr_golden("no-identity")
        .run();
    Test::new(&repo)
        .args(["identity", "new", "--output"])
        .arg(&alice.file)
        .stderr_golden("identity-exists")
        .run();
    as_alice()
        .args(["check", "--as-of", "next tuesday"])
        .stderr_golden("invalid-date")
        .run();
    let outside = TestRepo::new();
    Test::new(&outside)
        .key(&alice)
        .args(["get", "dev", "DB_PASSWORD"])
        .stderr_golden("not-a-vault")
        .run();
    repo.write(
        "app.conf.tmpl",
        "db={{ DB_PASSWORD }}\ntoken={{ API_TOKEN }}\n",
    );
    as_alice()
        .args(["render", "dev", "app.conf.tmpl"])
        .stderr_golden("render-unknown-placeholder")
        .run();
}

#[test]
fn membership_errors() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    Test::new(&repo)
        .key(&alice)
        .args(["member", "add", "zoe", "--env", "dev", "--yes"])
        .stderr_golden("member-unknown")
        .run();
    let _bob = repo.onboard(&alice, "bob", "dev");
    Test::new(&repo)
        .key(&alice)
        .args(["rekey", "prod", "--pq", "--yes"])
        .stderr_golden("rekey-pq-missing-keys")
        .run();
    let roster = repo.read_text(".vault.toml");
    repo.write(
        ".vault.toml",
        roster.replace("[envs.dev]", "[envs.dev]\nbogus = 1"),
    );
    Test::new(&repo)
        .key(&alice)
        .args(["get", "dev", "DB_PASSWORD"])
        .stderr_golden("roster-unknown-field")
        .run();
}

#[test]
fn post_quantum_errors() {
    let repo = TestRepo::new();
    Test::new(&repo)
        .args(["init", "--name", "alice", "--env", "prod"])
        .run();
    std::fs::remove_file(repo.path(".secrets.example.toml")).unwrap();
    Test::new(&repo)
        .args(["set", "prod", "DB_PASSWORD"])
        .stdin("prod-db-password")
        .run();
    let carol = repo.key("carol");
    Test::new(&repo)
        .key(&carol)
        .args(["member", "request", "carol"])
        .run();
    Test::new(&repo)
        .args(["member", "add", "carol", "--env", "prod", "--yes"])
        .stderr_golden("member-classic-into-post-quantum")
        .run();
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
    Test::new(&repo)
        .args(["set", "prod", "DB_PASSWORD"])
        .stdin("other-value")
        .stderr_golden("downgrade-by-roster")
        .run();
    Test::new(&repo)
        .args(["rekey", "prod", "--yes"])
        .stderr_golden("rekey-to-classic")
        .run();
}
