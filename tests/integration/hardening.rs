//! Crash safety and concurrent writers (issue: hardening).
//!
//! Crash tests need a binary built with `--features test-hooks` (`.ci/run` runs them);
//! without it they are ignored with that reason rather than passing vacuously.

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

use crate::support::*;

/// Three environments; bob reads dev and prod, not staging.
fn team() -> (TestRepo, Key, Key) {
    let (repo, alice) = TestRepo::with_vault("dev,staging,prod");
    let bob = repo.key("bob");
    repo.vault(&alice)
        .args([
            "member",
            "add",
            "bob",
            "--env",
            "dev,prod",
            "--key",
            &bob.public,
            "--yes",
        ])
        .assert()
        .success();
    for env in ["dev", "staging", "prod"] {
        repo.set(&alice, env, "DB_PASSWORD", &format!("{env}-password-1234"));
        repo.set(&alice, env, "API_TOKEN", &format!("{env}-token-5678"));
    }
    (repo, alice, bob)
}

/// Every file decrypts for alice, and the roster parses.
fn assert_consistent(repo: &TestRepo, alice: &Key) {
    for env in ["dev", "staging", "prod"] {
        assert_eq!(
            repo.get(alice, env, "DB_PASSWORD"),
            format!("{env}-password-1234"),
            "{env} after crash"
        );
    }
    repo.vault(alice).arg("access").assert().success();
}

fn crash_points() -> Vec<&'static str> {
    vec![
        "before-rename",
        "after-rename",
        "between-files",
        "rekey-env",
    ]
}

fn run_with_crash(repo: &TestRepo, key: &Key, args: &[&str], point: &str, nth: usize) -> bool {
    let status = repo
        .vault(key)
        .args(args)
        .env("VAULT_TEST_CRASH_AT", format!("{point}:{nth}"))
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap()
        .status;
    if status.signal() == Some(9) {
        return true;
    }
    assert!(
        status.success(),
        "{args:?} failed without a crash at {point}:{nth}"
    );
    false
}

#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "needs a binary built with --features test-hooks (run by .ci/run)"
)]
fn member_remove_survives_a_crash_at_every_write_step() {
    let mut crashes = 0;
    for point in crash_points() {
        for nth in 1.. {
            let (repo, alice, bob) = team();
            let staging_before = repo.read("secrets/staging.age");
            let crashed = run_with_crash(
                &repo,
                &alice,
                &["member", "remove", "bob", "--yes"],
                point,
                nth,
            );
            assert_consistent(&repo, &alice);
            assert_eq!(
                repo.read("secrets/staging.age"),
                staging_before,
                "staging must never be touched"
            );
            if !crashed {
                break;
            }
            crashes += 1;
            // Re-running the same command completes the job, even once the roster (written
            // first) no longer lists bob. Only when nothing names bob any more was the job
            // already complete (and a re-run says there is no such member).
            let pending = repo.read_text(".vault.toml").contains("[members.bob]")
                || ["dev", "prod"].iter().any(|env| {
                    repo.read_text(&format!("secrets/{env}.recipients"))
                        .contains("# bob")
                });
            if pending {
                repo.vault(&alice)
                    .args(["member", "remove", "bob", "--yes"])
                    .assert()
                    .success();
            }
            assert_consistent(&repo, &alice);
            // The next writer removes what the dead one left behind.
            repo.vault(&alice)
                .args(["rekey", "--yes"])
                .assert()
                .success();
            let leftovers: Vec<_> = walkdir::WalkDir::new(&repo.root)
                .into_iter()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(".vault-tmp-"))
                .map(|e| e.path().to_owned())
                .collect();
            assert!(leftovers.is_empty(), "after {point}:{nth}: {leftovers:?}");
            for env in ["dev", "prod"] {
                repo.vault(&bob)
                    .args(["get", env, "DB_PASSWORD"])
                    .assert()
                    .code(2);
            }
            assert!(!repo.read_text(".vault.toml").contains("[members.bob]"));
            let check = repo
                .vault(&alice)
                .args(["check", "--json"])
                .output()
                .unwrap();
            let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
            let marked: Vec<String> = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["code"] == "must-rotate")
                .map(|f| {
                    format!(
                        "{}/{}",
                        f["env"].as_str().unwrap(),
                        f["secret"].as_str().unwrap()
                    )
                })
                .collect();
            assert_eq!(
                marked,
                [
                    "dev/API_TOKEN",
                    "dev/DB_PASSWORD",
                    "prod/API_TOKEN",
                    "prod/DB_PASSWORD"
                ],
                "after {point}:{nth}"
            );
            assert!(
                report["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|f| f["code"] != "drift" && f["code"] != "unauthenticated"),
                "drift or an unverifiable file left after {point}:{nth}: {report}"
            );
            // The write key was handed over exactly once, and the old one signs nothing.
            for env in ["dev", "prod"] {
                let bytes = repo.read(&format!("secrets/{env}.age"));
                let Ok(vault::auth::Seal::Signed(stanza)) = vault::auth::inspect(env, &bytes)
                else {
                    panic!("{env} is not signed after {point}:{nth}");
                };
                assert_eq!(stanza.chain.epoch(), 2, "{env} after {point}:{nth}");
            }
            let staging = repo.read("secrets/staging.age");
            let Ok(vault::auth::Seal::Signed(stanza)) = vault::auth::inspect("staging", &staging)
            else {
                panic!("staging is not signed");
            };
            assert_eq!(stanza.chain.epoch(), 1, "staging was never readable by bob");
        }
    }
    assert!(
        crashes >= 8,
        "expected crashes at many steps, got {crashes}"
    );
}

#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "needs a binary built with --features test-hooks (run by .ci/run)"
)]
fn rekey_survives_a_crash_at_every_write_step() {
    for point in crash_points() {
        for nth in 1.. {
            let (repo, alice, _bob) = team();
            let carol = repo.key("carol");
            let roster = repo.read_text(".vault.toml").replace(
                "[envs.prod]\nmembers = [",
                "[envs.prod]\nmembers = [\"carol\", ",
            );
            let roster = format!("{roster}\n[members.carol]\nkeys = [\"{}\"]\n", carol.public);
            repo.write(".vault.toml", roster);
            let crashed = run_with_crash(&repo, &alice, &["rekey", "--yes"], point, nth);
            assert_consistent(&repo, &alice);
            if !crashed {
                break;
            }
            repo.vault(&alice)
                .args(["rekey", "--yes"])
                .assert()
                .success();
            assert_eq!(
                repo.get(&carol, "prod", "DB_PASSWORD"),
                "prod-password-1234"
            );
            repo.bare_vault()
                .arg("check")
                .assert()
                .success()
                .stdout(predicates::str::contains("drift").not());
        }
    }
}

use predicates::prelude::PredicateBooleanExt;

#[test]
fn concurrent_writers_lose_nothing() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let writers: Vec<std::process::Child> = (0..4)
        .map(|w| {
            let script = (0..25)
                .map(|i| format!("printf 'value-{w}-{i}' | \"$VAULT\" set dev KEY_{w}_{i} 2>/dev/null || exit 1"))
                .collect::<Vec<_>>()
                .join("\n");
            std::process::Command::new("sh")
                .arg("-c")
                .arg(script)
                .current_dir(&repo.root)
                .env("VAULT", vault_bin())
                .env("HOME", &repo.home)
                .env("XDG_CONFIG_HOME", repo.home.join(".config"))
                .env("VAULT_IDENTITY_FILE", &alice.file)
                .stdin(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut writer in writers {
        assert!(writer.wait().unwrap().success(), "a writer failed");
    }
    let out = repo
        .vault(&alice)
        .args(["ls", "dev", "--json"])
        .output()
        .unwrap();
    let listing: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        listing["secrets"].as_array().unwrap().len(),
        100,
        "every one of 4 x 25 writes survives"
    );
    assert_eq!(repo.get(&alice, "dev", "KEY_3_24"), "value-3-24");
}

#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "needs a binary built with --features test-hooks (run by .ci/run)"
)]
fn a_writer_killed_while_holding_the_lock_does_not_block_the_next() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let killed = repo
        .vault(&alice)
        .args(["set", "dev", "A"])
        .write_stdin("value-a")
        .env("VAULT_TEST_CRASH_AT", "before-rename:1")
        .output()
        .unwrap();
    assert_eq!(killed.status.signal(), Some(9));
    let start = std::time::Instant::now();
    repo.set(&alice, "dev", "B", "value-b");
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "the dead writer's lock was released by the kernel"
    );
    let leftovers: Vec<_> = std::fs::read_dir(repo.path("secrets"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".vault-tmp-"))
        .collect();
    assert!(
        leftovers.len() <= 1,
        "at most the dead writer's own temp file: {leftovers:?}"
    );
}

#[test]
fn a_full_disk_during_a_write_changes_nothing_and_leaves_no_temp_file() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "KEEP", "kept-value-123");
    let before = repo.snapshot();
    let big = "x".repeat(100 * 1024);
    repo.write("../big-value", &big);
    // RLIMIT_FSIZE makes every write past 16 KiB fail (EFBIG), like a disk that fills up
    // half-way through writing the new file.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 32; exec \"$VAULT\" set dev BIG --from-file ../big-value")
        .current_dir(&repo.root)
        .env("VAULT", vault_bin())
        .env("HOME", &repo.home)
        .env("XDG_CONFIG_HOME", repo.home.join(".config"))
        .env("VAULT_IDENTITY_FILE", &alice.file)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot write") && err.contains("hint:"),
        "{err}"
    );
    assert_eq!(
        repo.snapshot(),
        before,
        "a failed write leaves every file as it was, and no temp file"
    );
    assert_eq!(repo.get(&alice, "dev", "KEEP"), "kept-value-123");
}

#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "needs a binary built with --features test-hooks (run by .ci/run)"
)]
fn every_command_that_decrypts_has_core_dumps_off() {
    let (repo, alice, _bob) = team();
    repo.git(["add", "-A"]);
    repo.git(["commit", "-q", "--no-verify", "-m", "team"]);
    let report = repo.base_path("hardening.txt");
    // Start each command with core dumps allowed, as a developer's shell may have them.
    let run = |args: &[&str]| {
        repo.shell(
            &alice,
            &format!(
                "ulimit -c unlimited 2>/dev/null || ulimit -c 1024; [ \"$(ulimit -c)\" != 0 ] || exit 99; exec vault {}",
                args.join(" ")
            ),
        )
        .env("VAULT_TEST_HARDENING_REPORT", &report)
        .write_stdin("new-value-123")
        .output()
        .unwrap()
    };
    for args in [
        &["get", "dev", "DB_PASSWORD"][..],
        &["export", "dev", "--format", "dotenv"],
        &["ls", "dev"],
        &["set", "dev", "OTHER"],
        &["check"],
        &["rotate", "status"],
        &["diff", "dev"],
        &["textconv", "secrets/dev.age"],
        &["member", "remove", "bob", "--yes"],
    ] {
        let before = std::fs::read_to_string(&report)
            .unwrap_or_default()
            .lines()
            .count();
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let text = std::fs::read_to_string(&report).unwrap_or_default();
        let lines: Vec<&str> = text.lines().skip(before).collect();
        assert!(!lines.is_empty(), "{args:?} never reached a decrypt");
        for line in lines {
            assert!(
                line.contains("core=Some(0)") && line.contains("dumpable=false"),
                "{args:?}: {line}"
            );
        }
    }
}

/// Issue 14, item 3: a scanner worker that panics (forced with
/// `VAULT_TEST_PANIC_AT=scan-file`) used to drop its findings and let the commit through.
/// Now the hook blocks and `vault scan` fails, for files, the index and history alike.
#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "needs a binary built with --features test-hooks (run by .ci/run)"
)]
fn issue_14_a_failing_scanner_worker_fails_the_hook_and_the_scan() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.vault(&alice)
        .args(["hooks", "install"])
        .assert()
        .success();
    repo.git(["add", "-A"]);
    repo.git(["commit", "-q", "--no-verify", "-m", "init"]);
    repo.write("notes.txt", "nothing secret\n");
    repo.git(["add", "notes.txt"]);
    let head = || String::from_utf8(repo.git(["rev-parse", "HEAD"]).stdout).unwrap();
    let before = head();
    let out = repo
        .git_cmd()
        .args(["commit", "-m", "should be blocked"])
        .env("VAULT_IDENTITY_FILE", &alice.file)
        .env("VAULT_TEST_PANIC_AT", "scan-file")
        .output()
        .unwrap();
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!out.status.success(), "the commit went through:\n{text}");
    assert_eq!(head(), before, "a blocked commit moved HEAD");
    assert!(!text.contains("no secrets found"), "{text}");
    assert!(text.contains("a worker thread failed"), "{text}");

    for args in [&["scan"][..], &["scan", "--staged"], &["scan", "--history"]] {
        let out = repo
            .vault(&alice)
            .args(args)
            .env("VAULT_TEST_PANIC_AT", "scan-file")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("a worker thread failed"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(!stderr(&out).contains("no secrets found"), "{args:?}");
    }
}
