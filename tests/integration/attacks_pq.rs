//! Adversarial review of post-quantum keys and the runtime integrations: what someone who
//! can push but holds no key, a removed member, a crafted roster or file, or a child
//! process can do. Every test asserts the secure behaviour; those marked `ignore` are
//! findings that fail today (see the reason).

use std::path::Path;

use base64::Engine as _;

use crate::support::*;

/// Adds a post-quantum key to `key`'s identity file (`vault identity new --pq`) and
/// returns its public key.
/// A vault whose `prod` alice moved to post-quantum keys (she keeps her classic key in her
/// identity and in the roster, as the migration guide says), holding one secret.
fn post_quantum_prod() -> (TestRepo, Key, String) {
    let (repo, alice) = TestRepo::with_vault("prod");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    let public = add_pq_key(&repo, &alice);
    repo.vault(&alice)
        .args(["member", "key", "add", "alice", &public, "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    repo.vault(&alice)
        .args(["rekey", "prod", "--pq", "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    commit_all(&repo, Some(&alice), "alice", "prod is post-quantum");
    (repo, alice, public)
}

fn dearmor(armored: &[u8]) -> Vec<u8> {
    let body: String = std::str::from_utf8(armored)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

fn armor(binary: &[u8]) -> Vec<u8> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(binary);
    let mut out = String::from("-----BEGIN AGE ENCRYPTED FILE-----\n");
    for chunk in encoded.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str("-----END AGE ENCRYPTED FILE-----\n");
    out.into_bytes()
}

/// Whether the process panicked (Rust's exit code 101) or was killed.
fn crashed(code: Option<i32>) -> bool {
    code.is_none() || code == Some(101)
}

// ---------------------------------------------------------------------------------------
// `retired` versus `lost`: a key that is really gone must still mean must-rotate.

#[test]
fn deleting_a_stolen_laptops_key_still_marks_must_rotate_and_rotates_the_write_key() {
    let (repo, alice) = TestRepo::with_vault("prod");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    let bob = repo.onboard(&alice, "bob", "prod");
    // Bob reads from a second machine too: a second key of his.
    let laptop = repo.key("bob-laptop");
    repo.vault(&alice)
        .args(["member", "key", "add", "bob", &laptop.public, "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    assert_eq!(repo.get(&laptop, "prod", "DB_PASSWORD"), "prod-db-password");
    commit_all(&repo, Some(&alice), "alice", "bob's laptop");
    let write_key_before = write_key_of(&repo, &alice, "prod");

    // The laptop is stolen. The documented response (onboarding-offboarding.md, "To
    // retire a lost or old key"): delete it from bob's keys and run `vault rekey`.
    let roster = repo.read_text(".vault.toml");
    let edited = roster.replace(&format!(", \"{}\"", laptop.public), "");
    assert_ne!(edited, roster, "the laptop key is listed second: {roster}");
    repo.write(".vault.toml", edited);

    let plan = repo
        .vault(&alice)
        .args(["rekey", "--dry-run"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(plan.status.success(), "{}", stderr(&plan));
    let text = stdout(&plan);
    assert!(
        text.contains("loses access"),
        "the stolen key must be planned as a loss of access: {text}"
    );
    repo.vault(&alice)
        .args(["rekey", "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    // The thief's copy no longer opens new versions ...
    let out = repo
        .vault(&laptop)
        .args(["get", "prod", "DB_PASSWORD"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(repo.get(&bob, "prod", "DB_PASSWORD"), "prod-db-password");
    // ... and what it could read must rotate, and it no longer knows the write key.
    let (code, report) = check(&repo, Some(&alice));
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("must-rotate"), "{report}");
    assert_ne!(
        write_key_of(&repo, &alice, "prod"),
        write_key_before,
        "a lost key knew the write key: it must be rotated"
    );
}

#[test]
fn a_removed_members_key_relabelled_as_anothers_is_still_a_loss_of_access() {
    let (repo, alice) = TestRepo::with_vault("prod");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    let mallory = repo.onboard(&alice, "mallory", "prod");
    let alice_pq = add_pq_key(&repo, &alice);
    repo.vault(&alice)
        .args(["member", "key", "add", "alice", &alice_pq, "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    commit_all(&repo, Some(&alice), "alice", "alice has a post-quantum key");
    let write_key_before = write_key_of(&repo, &alice, "prod");
    // A pull request "move prod to post-quantum keys; mallory left": mallory goes, and her
    // key quietly moves into alice's list, where the move to post-quantum keys retires it.
    let config = vault::config::Config::parse(&repo.read_text(".vault.toml")).unwrap();
    assert!(config.member("mallory").is_some());
    let text = roster(
        &[("alice", &[&alice.public, &alice_pq, &mallory.public])],
        &[("prod", &["alice"])],
    );
    repo.write(".vault.toml", text);
    commit_all(&repo, None, "mallory", "prod: post-quantum, mallory left");
    let plan = repo
        .vault(&alice)
        .args(["rekey", "prod", "--pq", "--dry-run"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(plan.status.success(), "{}", stderr(&plan));
    let plan = stdout(&plan);
    repo.vault(&alice)
        .args(["rekey", "prod", "--pq", "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    let (code, report) = check(&repo, Some(&alice));
    assert!(
        code == Some(1) && report.contains("must-rotate"),
        "mallory could read every value: they must rotate. plan: {plan} check: {report}"
    );
    assert_ne!(write_key_of(&repo, &alice, "prod"), write_key_before);
}

#[test]
fn moving_to_post_quantum_keys_retires_classic_keys_without_must_rotate() {
    // The intended use of `retired`, pinned: nobody lost access, so nothing to rotate.
    let (repo, alice, _) = post_quantum_prod();
    assert_eq!(
        stanza_types(&repo.read("secrets/prod.age")),
        ["mlkem768x25519"]
    );
    let (code, report) = check(&repo, Some(&alice));
    assert_eq!(code, Some(0), "{report}");
    assert!(!report.contains("must-rotate"), "{report}");
}

// ---------------------------------------------------------------------------------------
// Downgrades from post-quantum to classic keys.

#[test]
fn a_pushed_require_pq_removal_makes_routine_writes_refuse_and_keeps_the_file_post_quantum() {
    let (repo, alice, _) = post_quantum_prod();
    let roster = repo.read_text(".vault.toml");
    repo.write(".vault.toml", roster.replace("require_pq = true\n", ""));
    commit_all(&repo, None, "mallory", "tidy the roster");
    let before = repo.read("secrets/prod.age");
    for args in [
        vec!["set", "prod", "NEW"],
        vec!["import", "prod", "-"],
        vec!["unset", "prod", "DB_PASSWORD"],
    ] {
        let out = repo
            .vault(&alice)
            .args(&args)
            .write_stdin("NEW=value-1234\n")
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(0), "{args:?} {}", stderr(&out));
        assert_eq!(repo.read("secrets/prod.age"), before, "{args:?}");
    }
    assert_eq!(
        stanza_types(&repo.read("secrets/prod.age")),
        ["mlkem768x25519"]
    );
    // And the key-free CI gate notices the roster no longer matches the file.
    let (code, report) = check(&repo, None);
    assert_eq!(code, Some(1), "{report}");
}

#[test]
fn a_rekey_that_moves_an_environment_to_classic_keys_says_so_in_its_plan() {
    let (repo, alice, _) = post_quantum_prod();
    // Someone who can push removes the policy, alongside an unrelated change a reader
    // will apply with `vault rekey`.
    let roster = repo.read_text(".vault.toml");
    repo.write(".vault.toml", roster.replace("require_pq = true\n", ""));
    commit_all(&repo, None, "mallory", "tidy the roster");
    let plan = repo
        .vault(&alice)
        .args(["rekey", "--dry-run"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(plan.status.success(), "{}", stderr(&plan));
    let text = stdout(&plan);
    assert!(
        text.contains("classic"),
        "a move down to classic keys must be named in the plan: {text}"
    );
    // Applying it takes an explicit `--allow-classic`.
    let before = repo.read("secrets/prod.age");
    let out = repo
        .vault(&alice)
        .args(["rekey", "--yes"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--allow-classic"), "{}", stderr(&out));
    assert_eq!(repo.read("secrets/prod.age"), before);
}

// ---------------------------------------------------------------------------------------
// Files written by someone who holds no key.

fn ts_age_encrypt(recipient: &str, plaintext: &str) -> Vec<u8> {
    use std::io::Write;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/age-js");
    assert!(
        dir.join("node_modules").exists(),
        "run `npm ci` in tests/interop/age-js"
    );
    let mut child = std::process::Command::new("node")
        .arg(dir.join("age.mjs"))
        .args(["encrypt", recipient])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
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

#[test]
fn a_post_quantum_file_written_with_the_reference_age_by_an_outsider_is_refused() {
    let (repo, alice, public) = post_quantum_prod();
    let forged = ts_age_encrypt(
        &public,
        "format = 3\nenvironment = \"prod\"\n[secrets.LD_PRELOAD]\nvalue = \"/tmp/evil.so\"\n",
    );
    repo.write("secrets/prod.age", forged);
    commit_all(&repo, None, "mallory", "update prod");
    let (code, err, started) = exec_probe(&repo, repo.vault(&alice).args(["exec", "prod"]));
    assert_eq!(code, Some(125), "{err}");
    assert!(!started, "nothing may start on a forged version");
    let (code, report) = check(&repo, None);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("unauthenticated"), "{report}");
}

#[test]
fn a_classic_file_written_with_stock_age_over_a_post_quantum_one_is_refused() {
    // Downgrade by replacement: stock age 1.1 to alice's classic key, which is still in
    // the roster and her identity during the move.
    let (repo, alice, _) = post_quantum_prod();
    let forged = stock_age_encrypt(&[&alice.public], "format = 3\nenvironment = \"prod\"\n");
    repo.write("secrets/prod.age", forged);
    commit_all(&repo, None, "mallory", "update prod");
    let (code, err, started) = exec_probe(&repo, repo.vault(&alice).args(["exec", "prod"]));
    assert_eq!(code, Some(125), "{err}");
    assert!(!started);
    let out = repo
        .vault(&alice)
        .args(["set", "prod", "X"])
        .write_stdin("value-1234")
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------
// Malformed keys and stanzas: errors, never a crash or a hang.

/// Variations of a valid post-quantum key that must each be refused cleanly.
fn malformed_pq_keys(valid: &str) -> Vec<String> {
    let mut flipped = valid.to_owned().into_bytes();
    let i = flipped.len() / 2;
    flipped[i] = if flipped[i] == b'q' { b'p' } else { b'q' };
    vec![
        valid.to_uppercase(),
        valid[..valid.len() - 1].to_owned(),
        String::from_utf8(flipped).unwrap(),
        format!("{valid}qqqqqq"),
        format!("age1pq1{}", "q".repeat(100_000)),
        "age1pq1".to_owned(),
        format!("age1pq1{}", "é".repeat(50)),
        // A valid Bech32 string of the right HRP but a short key.
        "age1pq1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq".to_owned(),
    ]
}

#[test]
fn malformed_post_quantum_keys_in_the_roster_are_refused_without_crashing() {
    let (repo, alice, public) = post_quantum_prod();
    let roster = repo.read_text(".vault.toml");
    for bad in malformed_pq_keys(&public) {
        repo.write(".vault.toml", roster.replace(&public, &bad));
        for args in [
            vec!["check"],
            vec!["access"],
            vec!["get", "prod", "DB_PASSWORD"],
        ] {
            let out = repo
                .vault(&alice)
                .args(&args)
                .timeout(TIMEOUT)
                .output()
                .unwrap();
            assert!(
                !crashed(out.status.code()),
                "{args:?} crashed on {}…: {}",
                &bad[..bad.len().min(20)],
                stderr(&out)
            );
            assert_ne!(out.status.code(), Some(0), "{args:?} accepted a bad key");
            assert!(
                stderr(&out).len() < 4000,
                "the error echoes the whole key: {}",
                stderr(&out).len()
            );
        }
        // And as an argument.
        let out = repo
            .vault(&alice)
            .args(["member", "key", "add", "alice", &bad, "--yes"])
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        assert!(!crashed(out.status.code()), "{}", stderr(&out));
        assert_ne!(out.status.code(), Some(0));
    }
}

/// `prod`'s file with its `mlkem768x25519` stanza's argument and body replaced.
fn with_stanza(armored: &[u8], arg: &str, body: &str) -> Vec<u8> {
    let binary = dearmor(armored);
    let text = String::from_utf8_lossy(&binary).into_owned();
    let start = text.find("-> mlkem768x25519 ").unwrap();
    let line_end = start + text[start..].find('\n').unwrap();
    let body_end = line_end + 1 + text[line_end + 1..].find('\n').unwrap();
    let mut out = binary[..start].to_vec();
    out.extend_from_slice(format!("-> mlkem768x25519 {arg}\n{body}\n").as_bytes());
    out.extend_from_slice(&binary[body_end + 1..]);
    armor(&out)
}

#[test]
fn malformed_mlkem_stanzas_are_refused_without_crashing() {
    let (repo, alice, _) = post_quantum_prod();
    let good = repo.read("secrets/prod.age");
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes);
    let enc = b64(&[7u8; 1120]);
    let body = b64(&[9u8; 32]);
    // A small-order X25519 share (zero) after a random-looking ML-KEM ciphertext.
    let mut low_order = vec![5u8; 1088];
    low_order.extend_from_slice(&[0u8; 32]);
    let cases: Vec<(String, String)> = vec![
        (String::new(), body.clone()),
        (format!("{enc} extra"), body.clone()),
        (format!("{enc}="), body.clone()),
        (b64(&[7u8; 1119]), body.clone()),
        (b64(&[7u8; 1121]), body.clone()),
        (b64(&[7u8; 200_000]), body.clone()),
        (enc.clone(), b64(&[9u8; 31])),
        (enc.clone(), b64(&[9u8; 33])),
        (enc.clone(), String::new()),
        (enc.clone(), "!!!!".to_owned()),
        (b64(&low_order), body.clone()),
        (enc.clone(), body.clone()),
    ];
    for (arg, body) in cases {
        repo.write("secrets/prod.age", with_stanza(&good, &arg, &body));
        for args in [vec!["get", "prod", "DB_PASSWORD"], vec!["check"]] {
            let out = repo
                .vault(&alice)
                .args(&args)
                .timeout(TIMEOUT)
                .output()
                .unwrap();
            assert!(
                !crashed(out.status.code()),
                "{args:?} crashed: {}",
                stderr(&out)
            );
            assert_ne!(
                out.status.code(),
                Some(0),
                "{args:?} accepted a damaged file"
            );
            assert!(!stdout(&out).contains("prod-db-password"));
        }
    }
    repo.write("secrets/prod.age", &good);
    assert_eq!(repo.get(&alice, "prod", "DB_PASSWORD"), "prod-db-password");
}

#[test]
fn check_without_a_key_tells_classic_from_post_quantum_files() {
    let (repo, alice, _) = post_quantum_prod();
    let (code, report) = check(&repo, None);
    assert_eq!(code, Some(0), "{report}");
    assert!(!report.contains("legacy-recipient"), "{report}");
    // A reader's own version, sealed to classic keys but the policy kept: an error.
    let current = repo.read("secrets/prod.age");
    let vault::auth::Seal::Signed(stanza) = vault::auth::inspect("prod", &current).unwrap() else {
        panic!("not signed");
    };
    let identities =
        vault::identity::Identities::from_text(&std::fs::read_to_string(&alice.file).unwrap())
            .unwrap();
    let inner = vault::crypto::decrypt(&current, identities.as_age()).unwrap();
    let mut payload = vault::payload::Payload::parse(&inner).unwrap();
    let write_key =
        vault::auth::WriteKey::from_text(payload.write_key.as_ref().unwrap().expose()).unwrap();
    payload.recipients = vec![alice.public.clone()];
    let classic = sign_with(
        "prod",
        &write_key,
        stanza.chain,
        stanza.seq + 1,
        &[&alice.public],
        &payload.to_toml(),
    );
    repo.write("secrets/prod.age", classic);
    let (code, report) = check(&repo, None);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("legacy-recipient"), "{report}");
}

// ---------------------------------------------------------------------------------------
// Runtime integrations.

fn runtime_repo() -> (TestRepo, Key) {
    let (repo, alice) = TestRepo::with_vault("dev");
    (repo, alice)
}

#[test]
fn mask_hides_the_line_wrapped_base64_of_a_long_value() {
    let (repo, alice) = runtime_repo();
    let value = "sk_live_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV";
    repo.set(&alice, "dev", "API_KEY", value);
    let out = repo
        .vault(&alice)
        .args([
            "exec",
            "dev",
            "--mask",
            "--",
            "sh",
            "-c",
            "printf %s \"$API_KEY\" | base64",
        ])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    let encoded = base64::engine::general_purpose::STANDARD.encode(value);
    // Any 16 characters of the encoding give 12 bytes of the value away.
    for window in encoded.as_bytes().windows(16) {
        let window = std::str::from_utf8(window).unwrap();
        assert!(
            !printed.contains(window),
            "the base64 of the value leaks: {printed}"
        );
    }
}

#[test]
fn mask_hides_a_value_written_one_byte_at_a_time() {
    let (repo, alice) = runtime_repo();
    let value = "byte-by-byte-secret-value";
    repo.set(&alice, "dev", "TOKEN", value);
    // One write per byte, with pauses, on both streams.
    let script = "v=$TOKEN; while [ -n \"$v\" ]; do r=${v#?}; printf %s \"${v%\"$r\"}\"; \
                  printf %s \"${v%\"$r\"}\" >&2; v=$r; sleep 0.01; done; echo";
    let out = repo
        .vault(&alice)
        .args(["exec", "dev", "--mask", "--", "sh", "-c", script])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains(value), "{}", stdout(&out));
    assert!(!stderr(&out).contains(value), "{}", stderr(&out));
    assert!(stdout(&out).contains("•••"), "{}", stdout(&out));
}

#[test]
fn mask_exit_codes_are_the_childs_and_a_start_failure_prints_no_value() {
    let (repo, alice) = runtime_repo();
    repo.set(&alice, "dev", "TOKEN", "exit-code-secret");
    for (script, code) in [
        ("exit 0", 0),
        ("exit 3", 3),
        ("exit 255", 255),
        ("kill -TERM $$", 143),
    ] {
        let out = repo
            .vault(&alice)
            .args(["exec", "dev", "--mask", "--", "sh", "-c", script])
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{script}: {}", stderr(&out));
        assert!(stderr(&out).is_empty(), "{script}: {}", stderr(&out));
    }
    let out = repo
        .vault(&alice)
        .args(["exec", "dev", "--mask", "--", "./no-such-program"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));
    assert!(!stderr(&out).contains("exit-code-secret"));
}

#[test]
fn exec_file_gives_the_child_only_its_own_descriptors_even_with_an_identity_command() {
    let (repo, alice) = runtime_repo();
    repo.set(&alice, "dev", "TLS_KEY", "tls-key-secret-value");
    repo.set(&alice, "dev", "OTHER", "other-secret-value");
    // What the shell holds open, one target per line (the glob's own descriptor is gone
    // by the time it is tested).
    let list = "for f in /proc/$$/fd/*; do [ -e \"$f\" ] && readlink \"$f\"; done; true";
    let baseline = repo
        .isolated("sh")
        .args(["-c", list])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let baseline: Vec<String> = stdout(&baseline).lines().map(str::to_owned).collect();
    let key_cmd = format!("cat '{}'", alice.file.display());
    for mask in [false, true] {
        let mut cmd = repo.bare_vault();
        cmd.env("VAULT_IDENTITY_CMD", &key_cmd)
            .args(["exec", "dev"]);
        if mask {
            cmd.arg("--mask");
        }
        let out = cmd
            .args(["--file", "TLS_KEY", "--", "sh", "-c", list])
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        assert!(out.status.success(), "mask={mask}: {}", stderr(&out));
        let text = stdout(&out);
        let held: Vec<&str> = text.lines().collect();
        let secret_files: Vec<&&str> = held.iter().filter(|l| l.contains("memfd:")).collect();
        assert_eq!(
            secret_files.len(),
            1,
            "mask={mask}: exactly the one secret file: {text}"
        );
        assert!(secret_files[0].contains("memfd:vault:TLS_KEY"), "{text}");
        assert_eq!(
            held.len(),
            baseline.len() + 1,
            "mask={mask}: nothing but the secret file beyond what a plain child holds: {text} vs {baseline:?}"
        );
    }
}

#[test]
fn identity_cmd_output_that_is_no_identity_is_never_echoed() {
    let (repo, alice) = runtime_repo();
    repo.set(&alice, "dev", "A", "value-of-a");
    for printed in [
        "hunter2-password-canary",
        "AGE-SECRET-KEY-1CANARYCANARYCANARY",
        "AGE-SECRET-KEY-PQ-1CANARYCANARY",
    ] {
        let out = repo
            .bare_vault()
            .env("VAULT_IDENTITY_CMD", format!("echo {printed}"))
            .args(["get", "dev", "A"])
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out).to_uppercase();
        assert!(!err.contains("CANARY"), "{}", stderr(&out));
    }
}

#[test]
fn export_docker_and_direnv_cannot_inject_through_values() {
    let (repo, alice) = runtime_repo();
    let marker = repo.base_path("injected");
    let nasty = [
        ("A", format!("$(touch {})", marker.display())),
        ("B", format!("`touch {}`", marker.display())),
        ("C", format!("'; touch {} #", marker.display())),
        ("D", "x\\'\"${HOME}!*?[a]".to_owned()),
        ("E", "value with spaces\tand tab".to_owned()),
        ("F", "#not-a-comment=still=value".to_owned()),
    ];
    for (name, value) in &nasty {
        repo.set(&alice, "dev", name, value);
    }
    let direnv = repo
        .vault(&alice)
        .args(["export", "dev", "--format", "direnv"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(direnv.status.success(), "{}", stderr(&direnv));
    let envrc = repo.base_path("envrc");
    std::fs::write(&envrc, &direnv.stdout).unwrap();
    // Sourced by a shell (as direnv does) without watch_file, then each value printed.
    let script = format!(
        "watch_file() {{ :; }}; . '{}'; for n in A B C D E F; do eval \"printf '%s\\0' \\\"\\$$n\\\"\"; done",
        envrc.display()
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let values: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let expected: Vec<String> = nasty.iter().map(|(_, v)| v.clone()).collect();
    assert_eq!(values, expected);
    assert!(!marker.exists(), "a value ran a command");

    let docker = repo
        .vault(&alice)
        .args(["export", "dev", "--format", "docker"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(docker.status.success(), "{}", stderr(&docker));
    let lines: Vec<String> = stdout(&docker).lines().map(str::to_owned).collect();
    let wanted: Vec<String> = nasty.iter().map(|(n, v)| format!("{n}={v}")).collect();
    assert_eq!(lines, wanted, "one literal line per secret, nothing more");

    // A line break in a value would start a second variable: refused, by name only.
    repo.set(&alice, "dev", "G", "ok\nLD_PRELOAD=/tmp/evil.so");
    let docker = repo
        .vault(&alice)
        .args(["export", "dev", "--format", "docker"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_ne!(docker.status.code(), Some(0));
    assert!(
        !stdout(&docker).contains("LD_PRELOAD"),
        "{}",
        stdout(&docker)
    );
    assert!(!stderr(&docker).contains("evil"), "{}", stderr(&docker));
}

#[test]
fn render_writes_through_no_symlink_and_never_echoes_values_in_errors() {
    let (repo, alice) = runtime_repo();
    repo.set(&alice, "dev", "DB_PASSWORD", "render-secret-value");
    let template = repo.base_path("app.conf.tmpl");
    std::fs::write(&template, "password = {{ DB_PASSWORD }}\n").unwrap();
    // The output path is a symlink to a file the user did not mean to overwrite.
    let victim = repo.base_path("victim");
    std::fs::write(&victim, "untouched\n").unwrap();
    let out_path = repo.base_path("app.conf");
    std::os::unix::fs::symlink(&victim, &out_path).unwrap();
    repo.vault(&alice)
        .args(["render", "dev"])
        .arg(&template)
        .arg("-o")
        .arg(&out_path)
        .timeout(TIMEOUT)
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched\n");
    assert!(!std::fs::symlink_metadata(&out_path).unwrap().is_symlink());
    assert_eq!(mode(&out_path), 0o600);
    assert_eq!(
        std::fs::read_to_string(&out_path).unwrap(),
        "password = render-secret-value\n"
    );
    // A template with placeholders that do not resolve: nothing written, no value shown.
    std::fs::write(
        &template,
        "a = {{ DB_PASSWORD }}\nb = {{ NOPE }}\nc = {{ $(id) }}\n",
    )
    .unwrap();
    let out2 = repo.base_path("app2.conf");
    let out = repo
        .vault(&alice)
        .args(["render", "dev"])
        .arg(&template)
        .arg("-o")
        .arg(&out2)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(!out2.exists());
    assert!(
        !stderr(&out).contains("render-secret-value"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains("render-secret-value"));
}

#[test]
fn render_does_not_follow_a_template_symlinked_to_the_key() {
    let (repo, alice) = runtime_repo();
    repo.set(&alice, "dev", "DB_PASSWORD", "render-secret-value");
    std::fs::create_dir_all(repo.path("config")).unwrap();
    let key_line = secret_key_line(&alice);
    let secret_part = &key_line["AGE-SECRET-KEY-1".len()..];
    for target in [alice.file.clone(), "/proc/self/environ".into()] {
        let _ = std::fs::remove_file(repo.path("config/app.conf.tmpl"));
        std::os::unix::fs::symlink(&target, repo.path("config/app.conf.tmpl")).unwrap();
        commit_all(&repo, None, "mallory", "config template");
        // A deploy job: the key in VAULT_IDENTITY, as CI secret stores provide it.
        let out = repo
            .bare_vault()
            .env("VAULT_IDENTITY", &key_line)
            .args(["render", "dev", "config/app.conf.tmpl"])
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(
            !printed.contains(secret_part),
            "{}: the identity reached the rendered output",
            target.display()
        );
    }
}

#[test]
fn malformed_post_quantum_identities_are_refused_without_crashing_or_echoing() {
    let (repo, alice) = runtime_repo();
    repo.set(&alice, "dev", "A", "value-of-a");
    let generated = repo.base_path("pq-id.txt");
    repo.bare_vault()
        .args(["identity", "new", "--pq", "--output"])
        .arg(&generated)
        .timeout(TIMEOUT)
        .assert()
        .success();
    let text = std::fs::read_to_string(&generated).unwrap();
    let valid = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-PQ-1"))
        .unwrap()
        .to_owned();
    let mut cases = vec![
        valid[..valid.len() - 1].to_owned(),
        format!("{valid}QQQQ"),
        valid.to_lowercase().replacen('q', "Q", 1),
        format!("AGE-SECRET-KEY-PQ-1{}", "Q".repeat(100_000)),
        "AGE-SECRET-KEY-PQ-1".to_owned(),
        format!("AGE-SECRET-KEY-PQ-1{}", "É".repeat(40)),
    ];
    let mut flipped = valid.clone().into_bytes();
    let i = flipped.len() - 10;
    flipped[i] = if flipped[i] == b'Q' { b'P' } else { b'Q' };
    cases.push(String::from_utf8(flipped).unwrap());
    for bad in cases {
        let file = repo.base_path("bad-id.txt");
        write_key_file(&file, format!("{bad}\n"));
        for identity in [
            ("VAULT_IDENTITY_FILE", None),
            ("VAULT_IDENTITY", Some(&bad)),
        ] {
            let mut cmd = repo.bare_vault();
            match identity {
                (name, None) => cmd.env(name, &file),
                (name, Some(text)) => cmd.env(name, text),
            };
            let out = cmd
                .args(["get", "dev", "A"])
                .timeout(TIMEOUT)
                .output()
                .unwrap();
            assert!(!crashed(out.status.code()), "{}", stderr(&out));
            assert_ne!(out.status.code(), Some(0));
            let tail = &bad[bad.len().saturating_sub(20)..];
            assert!(
                tail.len() < 20 || !stderr(&out).contains(tail),
                "the identity text is echoed: {}",
                stderr(&out)
            );
        }
    }
}

#[test]
fn the_merge_driver_never_seals_a_post_quantum_environment_to_classic_keys() {
    let (repo, alice, _) = post_quantum_prod();
    git_as(&repo, None, "alice", &["branch", "other"]);
    git_as(&repo, None, "alice", &["checkout", "-q", "other"]);
    repo.set(&alice, "prod", "FROM_OTHER", "value-from-other");
    commit_all(&repo, Some(&alice), "alice", "other: FROM_OTHER");
    git_as(&repo, None, "alice", &["checkout", "-q", "main"]);
    repo.set(&alice, "prod", "FROM_MAIN", "value-from-main");
    commit_all(&repo, Some(&alice), "alice", "main: FROM_MAIN");
    // Someone who can push drops the policy on main.
    let roster = repo.read_text(".vault.toml");
    repo.write(".vault.toml", roster.replace("require_pq = true\n", ""));
    commit_all(&repo, None, "mallory", "tidy the roster");
    let out = repo
        .isolated("git")
        .env("VAULT_IDENTITY_FILE", &alice.file)
        .env("GIT_AUTHOR_NAME", "alice")
        .env("GIT_AUTHOR_EMAIL", "alice@example.com")
        .env("GIT_COMMITTER_NAME", "alice")
        .env("GIT_COMMITTER_EMAIL", "alice@example.com")
        .args(["merge", "--no-edit", "other"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    // Whether the merge stops or not, the file is never sealed to classic keys.
    let file = repo.read("secrets/prod.age");
    if file.starts_with(b"-----BEGIN AGE") {
        assert_eq!(
            stanza_types(&file),
            ["mlkem768x25519"],
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
    }
    let committed = stdout(&git_as(
        &repo,
        None,
        "alice",
        &["show", "HEAD:secrets/prod.age"],
    ));
    assert_eq!(stanza_types(committed.as_bytes()), ["mlkem768x25519"]);
}

#[test]
fn mask_hides_url_encodings_that_keep_slashes() {
    let (repo, alice) = runtime_repo();
    let value = "wJalrXUtnFEMI/K7MDENG+bPxRfi CYEXAMPLEKEY";
    repo.set(&alice, "dev", "AWS_SECRET_ACCESS_KEY", value);
    for (what, script) in [
        (
            "urllib.parse.quote",
            "/usr/bin/python3 -c 'import os, urllib.parse; print(urllib.parse.quote(os.environ[\"AWS_SECRET_ACCESS_KEY\"]))'",
        ),
        (
            "encodeURI",
            "node -e 'console.log(encodeURI(process.env.AWS_SECRET_ACCESS_KEY))'",
        ),
    ] {
        let out = repo
            .vault(&alice)
            .args(["exec", "dev", "--mask", "--", "sh", "-c", script])
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        assert!(out.status.success(), "{what}: {}", stderr(&out));
        let printed = stdout(&out);
        assert!(
            !printed.contains("wJalrXUtnFEMI/K7MDENG"),
            "{what} leaks the value: {printed}"
        );
    }
}

#[test]
fn merging_a_branch_that_moved_to_post_quantum_keys_keeps_them() {
    // A branch moves prod to post-quantum keys while main adds a secret to the classic
    // file: the merge must not bring prod back to classic keys.
    let (repo, alice) = TestRepo::with_vault("prod");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    let public = add_pq_key(&repo, &alice);
    repo.vault(&alice)
        .args(["member", "key", "add", "alice", &public, "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    commit_all(&repo, Some(&alice), "alice", "alice's post-quantum key");
    git_as(&repo, None, "alice", &["checkout", "-q", "-b", "pq"]);
    repo.vault(&alice)
        .args(["rekey", "prod", "--pq", "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    commit_all(&repo, Some(&alice), "alice", "prod: post-quantum");
    git_as(&repo, None, "alice", &["checkout", "-q", "main"]);
    repo.set(&alice, "prod", "FROM_MAIN", "value-from-main");
    commit_all(&repo, Some(&alice), "alice", "main: FROM_MAIN");
    let out = repo
        .isolated("git")
        .env("VAULT_IDENTITY_FILE", &alice.file)
        .env("GIT_AUTHOR_NAME", "alice")
        .env("GIT_AUTHOR_EMAIL", "alice@example.com")
        .env("GIT_COMMITTER_NAME", "alice")
        .env("GIT_COMMITTER_EMAIL", "alice@example.com")
        .args(["merge", "--no-edit", "pq"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let roster = repo.read_text(".vault.toml");
    assert!(roster.contains("require_pq = true"), "{roster}");
    let file = repo.read("secrets/prod.age");
    assert_eq!(
        stanza_types(&file),
        ["mlkem768x25519"],
        "{}{} check: {:?}",
        stdout(&out),
        stderr(&out),
        check(&repo, Some(&alice))
    );
    if out.status.success() {
        assert_eq!(repo.get(&alice, "prod", "FROM_MAIN"), "value-from-main");
        let (code, report) = check(&repo, Some(&alice));
        assert!(!report.contains("legacy-recipient"), "{code:?} {report}");
    }
}

#[test]
fn a_post_quantum_prefix_in_another_case_is_no_plugin_posing_as_post_quantum() {
    // `age1PQ1…` is not a post-quantum key (age keys are lower case), and must not turn
    // into a recipient for a plugin called `pq` that the kind checks count as post-quantum.
    let public = vault::pq::Identity::generate().to_public().to_string();
    let hrp = bech32::Hrp::parse("age1pq").unwrap();
    let short = bech32::encode::<bech32::Bech32>(hrp, &[1, 2, 3, 4]).unwrap();
    for spoof in [
        format!("age1PQ1{}", &public["age1pq1".len()..]),
        format!("AGE1PQ1{}", &public["age1pq1".len()..]).to_uppercase(),
        format!("age1PQ1{}", &short["age1pq1".len()..]),
        short.clone(),
        short.to_uppercase(),
    ] {
        if let Ok(recipient) = spoof.parse::<vault::crypto::Recipient>() {
            assert!(
                !(recipient.is_post_quantum() && recipient.plugin().is_some()),
                "{spoof} is a `{}` plugin recipient counted as post-quantum",
                recipient.plugin().unwrap()
            );
        }
    }
}

#[test]
fn a_case_changed_post_quantum_key_in_the_roster_runs_no_plugin() {
    let (repo, alice, public) = post_quantum_prod();
    let marker = repo.base_path("plugin-ran");
    let bin = repo.base_path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let plugin = repo.script(
        "bin/age-plugin-pq",
        &format!("touch '{}'; exit 1", marker.display()),
    );
    assert!(plugin.exists());
    let roster = repo.read_text(".vault.toml");
    let spoof = format!("age1PQ1{}", &public["age1pq1".len()..]);
    repo.write(".vault.toml", roster.replace(&public, &spoof));
    commit_all(&repo, None, "mallory", "roster: formatting");
    let mut path = std::ffi::OsString::from(&bin);
    path.push(":");
    path.push(path_with_vault());
    let out = repo
        .vault(&alice)
        .env("PATH", &path)
        .args(["set", "prod", "NEW"])
        .write_stdin("new-value-1234")
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(!marker.exists(), "a plugin named by the roster ran");
    // Either the roster is refused for its key, or the write seals to the real key.
    if out.status.success() {
        assert_eq!(
            stanza_types(&repo.read("secrets/prod.age")),
            ["mlkem768x25519"]
        );
    } else {
        assert!(
            stderr(&out).contains(".vault.toml") && !stderr(&out).contains("plugin"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn a_roster_flooded_with_post_quantum_keys_does_not_hang_check_or_rekey() {
    // Someone who can push adds many members (or keys) to the roster; key-free check and
    // a reader's rekey plan must stay usable.
    let (repo, alice, _) = post_quantum_prod();
    let mut roster = repo.read_text(".vault.toml");
    for i in 0..400 {
        let key = vault::pq::Identity::generate().to_public().to_string();
        roster.push_str(&format!("\n[members.flood{i}]\nkeys = [\"{key}\"]\n"));
    }
    repo.write(".vault.toml", roster);
    commit_all(&repo, None, "mallory", "flood");
    let started = std::time::Instant::now();
    let (code, report) = check(&repo, None);
    assert!(!crashed(code), "{report}");
    let plan = repo
        .vault(&alice)
        .args(["rekey", "--dry-run"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(plan.status.success(), "{}", stderr(&plan));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
