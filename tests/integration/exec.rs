//! `vault exec`: the child's exit status, the environment it sees, the template gate, and
//! the environment binding that refuses another environment's file.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;

use crate::support::*;

fn exec_repo() -> (TestRepo, Key) {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "A", "value-a");
    repo.set(&alice, "dev", "B", "value-b");
    (repo, alice)
}

#[test]
fn exec_passes_the_child_exit_status_through() {
    let (repo, alice) = exec_repo();
    for code in [0, 1, 7, 42] {
        let script = format!("exit {code}");
        Test::new(&repo)
            .key(&alice)
            .args(["exec", "dev", "--", "sh", "-c", &script])
            .status(code)
            .stdout("")
            .stderr("")
            .run();
    }
}

#[test]
fn exec_child_killed_by_signal_is_reported_as_the_signal() {
    let (repo, alice) = exec_repo();
    // vault became the child, so the kernel reports the signal itself…
    let out = repo
        .vault(&alice)
        .args(["exec", "dev", "--", "sh", "-c", "kill -TERM $$"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), None, "{out:?}");
    assert_eq!(out.status.signal(), Some(15), "{out:?}");
    // …which a calling shell sees as 128 + 15.
    repo.shell(
        &alice,
        "vault exec dev -- sh -c 'kill -TERM $$'; echo \"status=$?\"",
    )
    .assert()
    .success()
    .stdout("status=143\n");
}

#[test]
fn exec_non_executable_file_is_126() {
    let (repo, alice) = exec_repo();
    repo.write("not-executable.sh", "#!/bin/sh\necho ran\n");
    let path = repo.path("not-executable.sh");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = repo
        .vault(&alice)
        .args(["exec", "dev", "--", "./not-executable.sh"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(126), "{err}");
    assert!(stdout(&out).is_empty());
    assert!(
        err.contains("command not executable: `./not-executable.sh`"),
        "{err}"
    );
    assert!(err.contains("hint: ") && err.contains("chmod +x"), "{err}");
    // A directory is not executable either.
    Test::new(&repo)
        .key(&alice)
        .args(["exec", "dev", "--", "/"])
        .status(126)
        .run();
}

#[test]
fn exec_missing_command_is_127() {
    let (repo, alice) = exec_repo();
    let out = repo
        .vault(&alice)
        .args(["exec", "dev", "--", "no-such-command-4f1e"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(127), "{err}");
    assert!(
        err.contains("command not found: `no-such-command-4f1e`"),
        "{err}"
    );
    assert!(err.contains("hint: check the spelling and $PATH"), "{err}");
    Test::new(&repo)
        .key(&alice)
        .args(["exec", "dev", "--", "./missing/path"])
        .status(127)
        .run();
}

#[test]
fn exec_without_a_command_is_125() {
    let (repo, alice) = exec_repo();
    for args in [&["exec", "dev", "--"][..], &["exec", "dev"][..]] {
        let out = repo
            .vault(&alice)
            .args(args)
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(125), "{args:?}: {err}");
        assert!(err.contains("error: no command to run"), "{err}");
        assert!(err.contains("hint: give the command after `--`"), "{err}");
    }
}

#[test]
fn exec_secrets_override_inherited_variables() {
    let (repo, alice) = exec_repo();
    Test::new(&repo)
        .key(&alice)
        .env("A", "inherited-a")
        .env("UNRELATED", "kept")
        .args([
            "exec",
            "dev",
            "--",
            "sh",
            "-c",
            "printf '%s|%s|%s' \"$A\" \"$B\" \"$UNRELATED\"",
        ])
        .stdout("value-a|value-b|kept")
        .run();
}

#[test]
fn exec_only_passes_the_named_secrets() {
    let (repo, alice) = exec_repo();
    repo.set(&alice, "dev", "C", "value-c");
    let show = "printf '%s|%s|%s' \"${A-unset}\" \"${B-unset}\" \"${C-unset}\"";
    Test::new(&repo)
        .key(&alice)
        .args(["exec", "dev", "--only", "A", "--", "sh", "-c", show])
        .stdout("value-a|unset|unset")
        .run();
    Test::new(&repo)
        .key(&alice)
        .args(["exec", "dev", "--only", "A,C", "--", "sh", "-c", show])
        .stdout("value-a|unset|value-c")
        .run();
    // An inherited variable named like a filtered-out secret keeps its inherited value.
    Test::new(&repo)
        .key(&alice)
        .env("B", "inherited-b")
        .args(["exec", "dev", "--only", "A", "--", "sh", "-c", show])
        .stdout("value-a|inherited-b|unset")
        .run();
}

#[test]
fn exec_only_naming_a_missing_secret_is_125_and_starts_nothing() {
    let (repo, alice) = exec_repo();
    let marker = repo.base_path("started");
    let script = format!("touch '{}'", marker.display());
    let out = repo
        .vault(&alice)
        .args(["exec", "dev", "--only", "A,NOPE", "--", "sh", "-c", &script])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(
        err.contains("`--only` names secrets not set in `dev`: NOPE"),
        "{err}"
    );
    assert!(
        err.contains("hint: list the secrets with `vault ls dev`"),
        "{err}"
    );
    assert!(!marker.exists(), "the child was started");
}

#[test]
fn exec_refuses_missing_required_secrets_before_starting_anything() {
    let (repo, alice) = exec_repo();
    repo.write_template(
        "[A]\ndescription = \"present\"\n\n\
         [DATABASE_URL]\ndescription = \"Postgres\"\nformat = \"url\"\n\n\
         [API_TOKEN]\nrequired = [\"dev\", \"prod\"]\n\n\
         [OPTIONAL_THING]\nrequired = []\n\n\
         [PROD_ONLY]\nrequired = [\"prod\"]\n",
    );
    let marker = repo.base_path("started");
    let script = format!("touch '{}'", marker.display());
    let out = repo
        .vault(&alice)
        .args(["exec", "dev", "--", "sh", "-c", &script])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(
        err.contains("`DATABASE_URL` is required in `dev` but not set"),
        "{err}"
    );
    assert!(
        err.contains("`API_TOKEN` is required in `dev` but not set"),
        "{err}"
    );
    assert!(!err.contains("OPTIONAL_THING"), "{err}");
    assert!(!err.contains("PROD_ONLY"), "{err}");
    assert!(err.contains("hint: "), "{err}");
    assert!(!marker.exists(), "the child was started");

    // Once they are set, the same command runs.
    repo.set(&alice, "dev", "DATABASE_URL", "postgres://localhost/app");
    repo.set(&alice, "dev", "API_TOKEN", "tok");
    Test::new(&repo)
        .key(&alice)
        .args(["exec", "dev", "--", "sh", "-c", &script])
        .run();
    assert!(marker.exists());
}

#[test]
fn exec_pattern_violation_is_125_without_the_value() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.write_template(
        "[STRIPE_SECRET_KEY]\npattern = { prod = \"^sk_live_\", \"*\" = \"^sk_test_\" }\n",
    );
    let value = "sk_test_CANARY7d1e9a";
    repo.set(&alice, "prod", "STRIPE_SECRET_KEY", value);
    repo.set(&alice, "dev", "STRIPE_SECRET_KEY", value);
    let marker = repo.base_path("started");
    let script = format!("touch '{}'", marker.display());
    let out = repo
        .vault(&alice)
        .args(["exec", "prod", "--", "sh", "-c", &script])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(err.contains("`STRIPE_SECRET_KEY`"), "{err}");
    assert!(err.contains("^sk_live_"), "{err}");
    assert!(!err.contains("CANARY"), "the value leaked: {err}");
    assert!(!stdout(&out).contains("CANARY"));
    assert!(!marker.exists(), "the child was started");
    // The same value is right for dev.
    repo.vault(&alice)
        .args(["exec", "dev", "--", "printenv", "STRIPE_SECRET_KEY"])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout(format!("{value}\n"));
}

#[test]
fn exec_passes_stdin_to_the_child() {
    let (repo, alice) = exec_repo();
    let input = "line one\nline two\n\u{e9}\u{fc} no trailing newline";
    repo.vault(&alice)
        .args(["exec", "dev", "--", "cat"])
        .write_stdin(input)
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout(input);
}

#[test]
fn exec_leaves_no_files_behind() {
    let (repo, alice) = exec_repo();
    let before = repo.snapshot_all();
    Test::new(&repo)
        .key(&alice)
        .args(["exec", "dev", "--", "sh", "-c", "test \"$A\" = value-a"])
        .run();
    Test::new(&repo)
        .key(&alice)
        .args(["exec", "dev", "--", "no-such-command-4f1e"])
        .status(127)
        .run();
    Test::new(&repo)
        .key(&alice)
        .args(["exec", "dev", "--", "sh", "-c", "exit 3"])
        .status(3)
        .run();
    assert_same_files(&before, &repo.snapshot_all());
}

#[test]
fn env_binding_refuses_another_environments_file() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "prod", "DATABASE_URL", "postgres://prod-db/app");
    repo.set(&alice, "dev", "DATABASE_URL", "postgres://localhost/app");
    std::fs::copy(repo.path("secrets/prod.age"), repo.path("secrets/dev.age")).unwrap();
    let before = repo.snapshot();

    let out = repo
        .vault(&alice)
        .args(["get", "dev", "DATABASE_URL"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(stdout(&out).is_empty(), "a value was printed");
    assert!(err.contains("`dev`") && err.contains("`prod`"), "{err}");
    assert!(err.contains("hint: "), "{err}");
    assert!(!err.contains("prod-db"), "{err}");

    let marker = repo.base_path("started");
    let script = format!("touch '{}'", marker.display());
    let out = repo
        .vault(&alice)
        .args(["exec", "dev", "--", "sh", "-c", &script])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(err.contains("`dev`") && err.contains("`prod`"), "{err}");
    assert!(!marker.exists(), "the child was started");

    // Writing through the wrong file is refused too, and nothing changed.
    Test::new(&repo)
        .key(&alice)
        .args(["set", "dev", "OTHER"])
        .stdin("x")
        .status(2)
        .run();
    assert_same_files(&before, &repo.snapshot());
}

#[test]
fn exec_usage_error_is_125() {
    // Like env(1), nice(1) and timeout(1): when exec fails before the child runs, its own
    // errors are 125, so callers can tell them from a child's status 2.
    let (repo, alice) = exec_repo();
    for args in [
        &["exec", "--bogus", "dev", "--", "true"][..],
        &["exec", "dev", "--only"][..],
        &["exec"][..],
    ] {
        let out = repo
            .vault(&alice)
            .args(args)
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        let err = stderr(&out);
        assert!(err.contains("error: "), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(125), "{args:?}: {err}");
    }
    // Help is not an error.
    repo.vault(&alice)
        .args(["exec", "--help"])
        .assert()
        .success();
}

#[test]
fn exec_format_violation_is_125_without_the_value() {
    let (repo, alice) = exec_repo();
    repo.write_template("[A]\n[B]\n[DATABASE_URL]\nformat = \"url\"\n");
    repo.set(&alice, "dev", "DATABASE_URL", "CANARY_4d2 not a url");
    let out = repo
        .vault(&alice)
        .args(["exec", "dev", "--", "true"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(
        err.contains("`DATABASE_URL` in `dev` is not a valid"),
        "{err}"
    );
    assert!(!err.contains("CANARY"), "the value leaked: {err}");
}

/// The blocked and ignored standard signals (1-31) in a `/proc/<pid>/status` text. glibc's
/// internal real-time signals (32, 33) are left out: `posix_spawn` marks them ignored in
/// children depending on the parent's state, which says nothing about vault.
fn standard_signals(status: &str) -> Vec<(String, u64)> {
    status
        .lines()
        .filter_map(|l| l.split_once(":\t"))
        .filter(|(k, _)| *k == "SigBlk" || *k == "SigIgn")
        .map(|(k, v)| {
            (
                k.to_owned(),
                u64::from_str_radix(v.trim(), 16).unwrap() & 0x7fff_ffff,
            )
        })
        .collect()
}

#[test]
fn exec_child_starts_with_the_callers_signals_and_core_limit() {
    let (repo, alice) = exec_repo();
    // grep reads its own status: the signal mask and ignored signals it started with.
    let signals = ["grep", "-E", "^Sig(Ign|Blk):", "/proc/self/status"];
    let direct = repo
        .isolated(signals[0])
        .args(&signals[1..])
        .output()
        .unwrap();
    assert!(direct.status.success());
    let via_vault = repo
        .vault(&alice)
        .args(["exec", "dev", "--"])
        .args(signals)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(via_vault.status.success(), "{}", stderr(&via_vault));
    // Rust ignores SIGPIPE for itself; the child must not inherit that.
    let expected = standard_signals(&stdout(&direct));
    assert_eq!(expected.len(), 2);
    assert_eq!(standard_signals(&stdout(&via_vault)), expected);

    // vault disables core dumps for itself; the child gets the caller's limit back.
    let limit = "ulimit -c unlimited 2>/dev/null || ulimit -c 1024; ulimit -c; vault exec dev -- sh -c 'ulimit -c'";
    let out = repo.shell(&alice, limit).output().unwrap();
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}{}", stderr(&out));
    assert_eq!(lines[0], lines[1], "core limit not restored");
    assert_ne!(lines[0], "0");
}

#[test]
fn exec_only_still_checks_the_whole_template() {
    // The deploy gate holds for the whole environment: a job that needs one secret does
    // not start while another required one is missing (docs/exec-and-deploys.md).
    let (repo, alice) = TestRepo::with_vault("prod");
    repo.write_template("[DATABASE_URL]\nformat = \"url\"\n[SESSION_SECRET]\nmin_length = 8\n");
    repo.set(&alice, "prod", "DATABASE_URL", "postgres://db/app");
    let out = repo
        .vault(&alice)
        .args(["exec", "prod", "--only", "DATABASE_URL", "--", "true"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    assert!(stderr(&out).contains("SESSION_SECRET"), "{}", stderr(&out));
    repo.set(&alice, "prod", "SESSION_SECRET", "long-enough-secret");
    Test::new(&repo)
        .key(&alice)
        .args(["exec", "prod", "--only", "DATABASE_URL", "--", "true"])
        .run();
}
