//! Post-quantum keys (age 1.3's `mlkem768x25519`): new vaults start post-quantum, a team
//! moves an environment with `vault rekey --pq` once everyone has a key, the roster and
//! `check` keep it there, and the reference TypeScript implementation agrees both ways.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::*;

fn check_json(repo: &TestRepo, key: &Key) -> (Option<i32>, Value) {
    TestRepo::json_of(repo.vault(key).args(["check", "--json"]))
}

fn codes(report: &Value, env: &str) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["env"] == env)
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_new_vault_starts_post_quantum_and_runs_with_it() {
    let repo = TestRepo::new();
    let out = repo
        .bare_vault()
        .args(["init", "--name", "alice", "--env", "dev,prod"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::remove_file(repo.path(".secrets.example.toml")).unwrap();
    let roster = String::from_utf8(repo.read(".vault.toml")).unwrap();
    assert!(roster.contains("age1pq1"), "{roster}");
    assert_eq!(roster.matches("require_pq = true").count(), 2, "{roster}");
    let identity = repo.home.join(".config/vault/identity.txt");
    let text = std::fs::read_to_string(&identity).unwrap();
    assert!(text.contains("AGE-SECRET-KEY-PQ-1"), "not echoed");

    repo.bare_vault()
        .args(["set", "prod", "DB_PASSWORD"])
        .write_stdin("prod-db-password")
        .timeout(TIMEOUT)
        .assert()
        .success();
    assert_eq!(
        stanza_types(&repo.read("secrets/prod.age")),
        ["mlkem768x25519"]
    );
    repo.bare_vault()
        .args([
            "exec",
            "prod",
            "--",
            "sh",
            "-c",
            "printf %s \"$DB_PASSWORD\"",
        ])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout("prod-db-password");
    let out = repo
        .bare_vault()
        .args(["check", "--json"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(codes(&report, "prod").is_empty(), "{report}");

    // A new environment of a post-quantum team is post-quantum too.
    repo.bare_vault()
        .args(["env", "add", "qa", "--members", "alice", "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    let roster = String::from_utf8(repo.read(".vault.toml")).unwrap();
    assert_eq!(roster.matches("require_pq = true").count(), 3, "{roster}");
    assert_eq!(
        stanza_types(&repo.read("secrets/qa.age")),
        ["mlkem768x25519"]
    );
}

#[test]
fn a_team_moves_prod_to_post_quantum_keys_once_everyone_has_one() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    let bob = repo.onboard(&alice, "bob", "dev,prod");

    // Classic keys only: a warning that names who needs a key.
    let (code, report) = check_json(&repo, &alice);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        codes(&report, "prod"),
        [("legacy-recipient".to_owned(), "warning".to_owned())]
    );
    let message = report["findings"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("alice, bob"), "{message}");

    // Nobody has a post-quantum key: refused, naming both, changing nothing.
    let before = repo.secrets_snapshot();
    let roster_before = repo.read(".vault.toml");
    let out = repo
        .vault(&alice)
        .args(["rekey", "prod", "--pq", "--yes"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("prod needs one for alice, bob"), "{err}");
    assert!(err.contains("vault identity new --pq"), "{err}");
    assert!(
        err.contains("SSH and hardware keys cannot be post-quantum"),
        "{err}"
    );
    assert_eq!(repo.secrets_snapshot(), before);
    assert_eq!(repo.read(".vault.toml"), roster_before);

    // Each adds a post-quantum key (keeping the classic one) by pull request.
    for who in [&alice, &bob] {
        let public = add_pq_key(&repo, who);
        repo.vault(&alice)
            .args(["member", "key", "add", &who.name, &public, "--yes"])
            .timeout(TIMEOUT)
            .assert()
            .success();
    }
    // Adding keys kept both environments classic: age cannot mix the two kinds.
    assert_eq!(
        stanza_types(&repo.read("secrets/prod.age")),
        ["X25519", "X25519"]
    );

    let plan = repo
        .vault(&alice)
        .args(["rekey", "prod", "--pq", "--dry-run"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(plan.status.success(), "{}", stderr(&plan));
    let text = stdout(&plan);
    assert!(
        text.contains("prod: re-encrypt to 2 recipient(s)"),
        "{text}"
    );
    assert!(
        text.contains("~ alice's key") && text.contains("~ bob's key"),
        "{text}"
    );
    assert!(!text.contains("loses access"), "{text}");
    assert!(!text.contains("dev:"), "only the named environment: {text}");

    repo.vault(&alice)
        .args(["rekey", "prod", "--pq", "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    assert_eq!(
        stanza_types(&repo.read("secrets/prod.age")),
        ["mlkem768x25519", "mlkem768x25519"]
    );
    let roster = String::from_utf8(repo.read(".vault.toml")).unwrap();
    assert_eq!(roster.matches("require_pq = true").count(), 1, "{roster}");
    // The same people read it: nothing to rotate, and both still read it.
    let (_, report) = check_json(&repo, &alice);
    assert!(codes(&report, "prod").is_empty(), "{report}");
    assert_eq!(
        codes(&report, "dev"),
        [("legacy-recipient".to_owned(), "warning".to_owned())]
    );
    assert_eq!(repo.get(&bob, "prod", "DB_PASSWORD"), "prod-db-password");

    // A classic key alone no longer opens prod.
    let classic_only = repo.home.join("alice-classic.key");
    let text = std::fs::read_to_string(&alice.file).unwrap();
    let classic: String = text
        .lines()
        .filter(|l| !l.starts_with("AGE-SECRET-KEY-PQ-"))
        .map(|l| format!("{l}\n"))
        .collect();
    write_private(&classic_only, &classic);
    let out = repo
        .bare_vault()
        .env("VAULT_IDENTITY_FILE", &classic_only)
        .args(["get", "prod", "DB_PASSWORD"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!stdout(&out).contains("prod-db-password"));

    // A newcomer with only a classic key cannot be added to prod, and is told why.
    let carol = repo.key("carol");
    repo.vault(&carol)
        .args(["member", "request", "carol"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    let before = repo.secrets_snapshot();
    let out = repo
        .vault(&alice)
        .args(["member", "add", "carol", "--env", "prod", "--yes"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("post-quantum keys only"), "{err}");
    assert!(err.contains("vault identity new --pq"), "{err}");
    assert_eq!(repo.secrets_snapshot(), before);

    // Offboarding still is one: both of bob's keys go, and what he could read must rotate.
    repo.vault(&alice)
        .args(["member", "remove", "bob", "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    assert_eq!(
        stanza_types(&repo.read("secrets/prod.age")),
        ["mlkem768x25519"]
    );
    let (code, report) = check_json(&repo, &alice);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        codes(&report, "prod").contains(&("must-rotate".to_owned(), "error".to_owned())),
        "{report}"
    );
    let out = repo
        .vault(&bob)
        .args(["get", "prod", "DB_PASSWORD"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn require_pq_on_a_classic_file_is_an_error_and_a_reader_fixes_it_with_rekey() {
    let (repo, alice) = TestRepo::with_vault("prod");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    let public = add_pq_key(&repo, &alice);
    repo.vault(&alice)
        .args(["member", "key", "add", "alice", &public, "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    // Someone sets the policy by hand (or a pull request did) without re-keying.
    let roster = String::from_utf8(repo.read(".vault.toml")).unwrap();
    repo.write(
        ".vault.toml",
        roster.replace("[envs.prod]\n", "[envs.prod]\nrequire_pq = true\n"),
    );
    let (code, report) = check_json(&repo, &alice);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        codes(&report, "prod").contains(&("legacy-recipient".to_owned(), "error".to_owned())),
        "{report}"
    );
    repo.vault(&alice)
        .args(["rekey", "prod", "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    let (code, report) = check_json(&repo, &alice);
    assert_eq!(code, Some(0), "{report}");
    assert!(codes(&report, "prod").is_empty(), "{report}");
}

#[test]
fn removing_require_pq_from_the_roster_does_not_downgrade_a_routine_write() {
    // Someone who can push but reads nothing deletes the policy, hoping the next write
    // seals prod to classic keys a future quantum computer could break.
    let repo = TestRepo::new();
    repo.bare_vault()
        .args(["init", "--name", "alice", "--env", "prod"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    std::fs::remove_file(repo.path(".secrets.example.toml")).unwrap();
    let classic = repo.key("alice-laptop");
    repo.bare_vault()
        .args(["set", "prod", "DB_PASSWORD"])
        .write_stdin("prod-db-password")
        .timeout(TIMEOUT)
        .assert()
        .success();
    let roster = String::from_utf8(repo.read(".vault.toml")).unwrap();
    let tampered = roster
        .replace("require_pq = true\n", "")
        .replace("keys = [\"", &format!("keys = [\"{}\", \"", classic.public));
    repo.write(".vault.toml", &tampered);

    let before = repo.secrets_snapshot();
    let out = repo
        .bare_vault()
        .args(["set", "prod", "DB_PASSWORD"])
        .write_stdin("new-prod-db-password")
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("seals `prod` to classic keys now"), "{err}");
    assert!(err.contains("git log -p .vault.toml"), "{err}");
    assert_eq!(repo.secrets_snapshot(), before, "nothing re-sealed");
    assert_eq!(
        stanza_types(&repo.read("secrets/prod.age")),
        ["mlkem768x25519"]
    );
}

#[test]
fn post_quantum_keys_are_checked_like_any_key() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let public = add_pq_key(&repo, &alice);
    // A typo in the middle of the 1,960-character key.
    let mut damaged = public.clone().into_bytes();
    damaged[900] = if damaged[900] == b'q' { b'p' } else { b'q' };
    let damaged = String::from_utf8(damaged).unwrap();
    for key in [damaged.as_str(), &public[..300]] {
        let out = repo
            .vault(&alice)
            .args(["member", "key", "add", "alice", key, "--yes"])
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("not a valid post-quantum public key"),
            "{}",
            stderr(&out)
        );
    }
    // `identity new --pq` refuses to add a second one.
    let out = repo
        .bare_vault()
        .args(["identity", "new", "--pq", "--output"])
        .arg(&alice.file)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("already holds a post-quantum key"),
        "{}",
        stderr(&out)
    );
    let show = repo
        .vault(&alice)
        .args(["identity", "show"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let keys = stdout(&show);
    assert_eq!(keys.lines().count(), 2, "{keys}");
    assert!(keys.lines().any(|l| l == public), "{keys}");
}

// ---------------------------------------------------------------------------------------
// The reference implementation (npm `age-encryption`), installed by .ci/run.

fn reference() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/age-js");
    let ready = dir.join("node_modules/age-encryption").is_dir()
        && std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if ready {
        return Some(dir.join("age.mjs"));
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must install the reference age implementation (npm ci in tests/interop/age-js)"
    );
    eprintln!(
        "skipped: the reference age implementation is not installed (npm ci in tests/interop/age-js)"
    );
    None
}

fn node(script: &Path, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut child = std::process::Command::new("node")
        .arg(script)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "node {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn the_reference_implementation_reads_vaults_files_and_vault_reads_with_its_keys() {
    let Some(script) = reference() else { return };
    let (repo, alice) = TestRepo::with_vault("prod");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    add_pq_key(&repo, &alice);

    // A key the reference implementation made joins, and prod moves to post-quantum.
    let theirs = node(&script, &["keygen"], b"");
    let their_file = repo.home.join("js.key");
    write_private(&their_file, std::str::from_utf8(&theirs).unwrap());
    let their_public = String::from_utf8(node(&script, &["recipient"], &theirs)).unwrap();
    let their_public = their_public.trim();
    let js = Key {
        name: "js".to_owned(),
        file: their_file.clone(),
        public: their_public.to_owned(),
    };
    repo.vault(&js)
        .args(["member", "request", "js"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    let out = repo
        .vault(&alice)
        .args(["identity", "show"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let alice_pq = stdout(&out)
        .lines()
        .find(|l| l.starts_with("age1pq1"))
        .unwrap()
        .to_owned();
    repo.vault(&alice)
        .args(["member", "key", "add", "alice", &alice_pq, "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    repo.vault(&alice)
        .args(["rekey", "prod", "--pq", "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    repo.vault(&alice)
        .args(["member", "add", "js", "--env", "prod", "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    let file = repo.read("secrets/prod.age");
    assert_eq!(stanza_types(&file), ["mlkem768x25519", "mlkem768x25519"]);

    // Their implementation opens vault's file with their key, and with vault's.
    for identity in [&their_file, &alice.file] {
        let plain = node(&script, &["decrypt", identity.to_str().unwrap()], &file);
        let plain = String::from_utf8(plain).unwrap();
        assert!(plain.contains("environment = \"prod\""), "{plain}");
        assert!(plain.contains("prod-db-password"));
    }
    // vault opens with the key their implementation made.
    assert_eq!(repo.get(&js, "prod", "DB_PASSWORD"), "prod-db-password");
}

fn write_private(path: &Path, text: &str) {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

#[test]
fn a_newcomer_to_a_post_quantum_vault_is_told_to_bring_a_post_quantum_key() {
    let repo = TestRepo::new();
    repo.bare_vault()
        .args(["init", "--name", "alice", "--env", "dev,prod"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    std::fs::remove_file(repo.path(".secrets.example.toml")).unwrap();
    let bob = repo.key("bob");
    let out = repo
        .vault(&bob)
        .args(["member", "request", "bob"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("dev, prod are sealed to post-quantum keys only")
            && err.contains("vault identity new --pq"),
        "{err}"
    );

    // With a post-quantum key added to the identity, a request carries both keys, so bob
    // reads environments of either kind.
    let carol = repo.key("carol");
    let pq = add_pq_key(&repo, &carol);
    let out = repo
        .vault(&carol)
        .args(["member", "request", "carol"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("post-quantum keys only"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("(and 1 more)"), "{}", stdout(&out));
    let roster = String::from_utf8(repo.read(".vault.toml")).unwrap();
    assert!(
        roster.contains(&pq) && roster.contains(&carol.public),
        "{roster}"
    );
    repo.bare_vault()
        .args(["member", "add", "carol", "--env", "prod", "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    repo.bare_vault()
        .args(["set", "prod", "TOKEN"])
        .write_stdin("prod-token-value")
        .timeout(TIMEOUT)
        .assert()
        .success();
    assert_eq!(repo.get(&carol, "prod", "TOKEN"), "prod-token-value");
}
