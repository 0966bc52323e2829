//! Runtime integrations (issue 18): `VAULT_IDENTITY_CMD`, `vault render`, `exec --file`,
//! `export --format docker|direnv` and `exec --mask`.

use std::io::{BufRead, Read};
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::support::*;

/// A vault with `dev` (and `prod`) and two secrets in `dev`.
fn runtime_repo() -> (TestRepo, Key) {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "API_TOKEN", "tok-3f9a1c7e");
    repo.set(&alice, "dev", "DB_PASSWORD", "p@ss w/rd!x");
    (repo, alice)
}

// ---------------------------------------------------------------------------------------
// VAULT_IDENTITY_CMD

#[test]
fn identity_cmd_prints_the_key_without_a_shell() {
    let (repo, alice) = runtime_repo();
    // Quoted as in a shell, run without one: `$0` is sh's own argument, not expanded by
    // anything before sh sees it.
    let command = format!("sh -c 'cat \"$0\"' '{}'", alice.file.display());
    repo.bare_vault()
        .env("VAULT_IDENTITY_CMD", &command)
        .args(["get", "dev", "API_TOKEN"])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout("tok-3f9a1c7e");
    // Shell syntax outside quotes reaches the program literally: no pipes, no expansion.
    let out = repo
        .bare_vault()
        .env(
            "VAULT_IDENTITY_CMD",
            format!("cat {} | head -1", alice.file.display()),
        )
        .args(["get", "dev", "API_TOKEN"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("$VAULT_IDENTITY_CMD failed: `cat` ended with exit status 1"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn identity_cmd_comes_after_vault_identity_and_before_the_file() {
    let (repo, alice) = runtime_repo();
    let bob = repo.key("bob");
    // VAULT_IDENTITY wins: the failing command is never run.
    repo.bare_vault()
        .env("VAULT_IDENTITY", secret_key_line(&alice))
        .env("VAULT_IDENTITY_CMD", "false")
        .args(["get", "dev", "API_TOKEN"])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout("tok-3f9a1c7e");
    // The command wins over VAULT_IDENTITY_FILE (bob's key, which reads nothing).
    repo.bare_vault()
        .env(
            "VAULT_IDENTITY_CMD",
            format!("cat '{}'", alice.file.display()),
        )
        .env("VAULT_IDENTITY_FILE", &bob.file)
        .args(["get", "dev", "API_TOKEN"])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout("tok-3f9a1c7e");
    // A key that is not a recipient is named by where it came from.
    let out = repo
        .bare_vault()
        .env(
            "VAULT_IDENTITY_CMD",
            format!("cat '{}'", bob.file.display()),
        )
        .args(["get", "dev", "API_TOKEN"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("($VAULT_IDENTITY_CMD)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn identity_cmd_failures_name_the_variable_and_never_the_arguments() {
    let (repo, _alice) = runtime_repo();
    let cases = [
        (
            "sh -c 'exit 3' --token=canary-1",
            "error: $VAULT_IDENTITY_CMD failed: `sh` ended with exit status 3",
        ),
        (
            "no-such-program-4f1e --token=canary-2",
            "error: $VAULT_IDENTITY_CMD could not run `no-such-program-4f1e`",
        ),
        (
            "echo 'canary-3",
            "error: $VAULT_IDENTITY_CMD is not a command: its quotes are unbalanced",
        ),
        (
            "true --canary-4",
            "error: $VAULT_IDENTITY_CMD printed no identity: `true` succeeded but printed nothing",
        ),
        (
            "echo canary-5",
            "error: the identity $VAULT_IDENTITY_CMD is not a valid key",
        ),
    ];
    for (command, expected) in cases {
        let out = repo
            .bare_vault()
            .env("VAULT_IDENTITY_CMD", command)
            .args(["get", "dev", "API_TOKEN"])
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{command}: {err}");
        assert!(err.contains(expected), "{command}: {err}");
        assert!(err.contains("hint: "), "{command}: {err}");
        assert!(!err.contains("canary"), "{command}: {err}");
        assert!(stdout(&out).is_empty());
    }
    // Under exec it is vault's own failure: 125, and the command never starts.
    let marker = repo.base_path("ran");
    repo.bare_vault()
        .env("VAULT_IDENTITY_CMD", "false")
        .args(["exec", "dev", "--", "touch"])
        .arg(&marker)
        .timeout(TIMEOUT)
        .assert()
        .code(125);
    assert!(!marker.exists());
}

// ---------------------------------------------------------------------------------------
// vault render

#[test]
fn render_fills_placeholders_to_stdout() {
    let (repo, alice) = runtime_repo();
    repo.write(
        "config/app.toml.tmpl",
        "token = \"{{ API_TOKEN }}\"\npassword = '{{DB_PASSWORD}}'\njson = {\"t\": {{{ API_TOKEN }}}}\nliteral = \"{{{{ API_TOKEN }}\"\n",
    );
    repo.vault(&alice)
        .args(["render", "dev", "config/app.toml.tmpl"])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout("token = \"tok-3f9a1c7e\"\npassword = 'p@ss w/rd!x'\njson = {\"t\": {tok-3f9a1c7e}}\nliteral = \"{{ API_TOKEN }}\"\n");
}

#[test]
fn render_reads_stdin_and_runs_nothing() {
    let (repo, alice) = runtime_repo();
    let marker = repo.base_path("pwned");
    let shell = format!("$(touch {0}) `touch {0}` ${{HOME}}", marker.display());
    repo.vault(&alice)
        .args(["render", "dev", "-"])
        .write_stdin(format!(
            "{shell} {{{{{{{{% if x %}}}} {{{{ API_TOKEN }}}}\n"
        ))
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout(format!("{shell} {{{{% if x %}}}} tok-3f9a1c7e\n"));
    assert!(!marker.exists());
    // Any other template language is an error, not passed through unfilled.
    let out = repo
        .vault(&alice)
        .args(["render", "dev", "-"])
        .write_stdin("{{% if x %}}\n")
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("error: the template on stdin has placeholders"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn render_writes_out_atomically_with_mode_0600() {
    let (repo, alice) = runtime_repo();
    repo.write("app.conf.tmpl", "token={{ API_TOKEN }}\n");
    let out_path = repo.base_path("run/app.conf");
    std::fs::create_dir_all(out_path.parent().unwrap()).unwrap();
    // An existing, world-readable file is replaced, not written through.
    std::fs::write(&out_path, "old\n").unwrap();
    std::fs::set_permissions(
        &out_path,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    repo.vault(&alice)
        .args(["render", "dev", "app.conf.tmpl", "-o"])
        .arg(&out_path)
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout("");
    assert_eq!(
        std::fs::read_to_string(&out_path).unwrap(),
        "token=tok-3f9a1c7e\n"
    );
    assert_eq!(mode(&out_path), 0o600);
    let leftovers: Vec<_> = std::fs::read_dir(out_path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, [std::ffi::OsString::from("app.conf")]);
}

#[test]
fn render_refuses_unknown_and_malformed_placeholders_before_writing() {
    let (repo, alice) = runtime_repo();
    let out_path = repo.base_path("app.conf");
    std::fs::write(&out_path, "previous\n").unwrap();
    repo.write(
        "app.conf.tmpl",
        "a={{ API_TOKEN }}\nb={{ NOPE }}\nc={{ ALSO_MISSING }} d={{ NOPE }}\n",
    );
    let out = repo
        .vault(&alice)
        .args(["render", "dev", "app.conf.tmpl", "-o"])
        .arg(&out_path)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("has placeholders that cannot be filled from `dev`; nothing was written"),
        "{err}"
    );
    assert!(
        err.contains("line 2, column 3: `NOPE` is not a secret of this environment"),
        "{err}"
    );
    assert!(err.contains("line 3, column 3: `ALSO_MISSING`"), "{err}");
    assert!(err.contains("line 3, column 24: `NOPE`"), "{err}");
    assert!(
        err.contains("hint: check the spelling against `vault ls dev`"),
        "{err}"
    );
    assert!(!err.contains("tok-3f9a1c7e"), "{err}");
    assert_eq!(std::fs::read_to_string(&out_path).unwrap(), "previous\n");

    // Malformed placeholders fail before any key is needed.
    repo.write("bad.tmpl", "x={{ API-TOKEN }}\ny={{ API_TOKEN }\n");
    let out = repo
        .bare_vault()
        .args(["render", "dev", "bad.tmpl"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("line 1, column 3: `{{` does not start a placeholder"),
        "{err}"
    );
    assert!(err.contains("line 2, column 3"), "{err}");
    assert!(err.contains("write `{{{{` for a literal `{{`"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn render_applies_the_same_gate_as_exec() {
    let (repo, alice) = runtime_repo();
    repo.write_template("[API_TOKEN]\n[REQUIRED_ONE]\n");
    repo.write("t.tmpl", "{{ API_TOKEN }}");
    let out = repo
        .vault(&alice)
        .args(["render", "dev", "t.tmpl"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not satisfy .secrets.example.toml"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

// ---------------------------------------------------------------------------------------
// exec --file

#[test]
fn exec_file_gives_the_secret_as_a_sealed_in_memory_file() {
    let (repo, alice) = runtime_repo();
    let before = repo.snapshot_all();
    let script = r#"printf '%s|' "$(cat "$API_TOKEN_FILE")" "${API_TOKEN-unset}" "$DB_PASSWORD"; readlink "$API_TOKEN_FILE""#;
    repo.vault(&alice)
        .args([
            "exec",
            "dev",
            "--file",
            "API_TOKEN",
            "--",
            "sh",
            "-c",
            script,
        ])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout("tok-3f9a1c7e|unset|p@ss w/rd!x|/memfd:vault:API_TOKEN (deleted)\n");
    // Nothing was written anywhere in the test's directories (repository, HOME, runtime dir).
    assert_same_files(&before, &repo.snapshot_all());
}

#[test]
fn exec_file_cannot_be_changed_by_the_child() {
    let (repo, alice) = runtime_repo();
    let script = r#"
        printf x >> "$API_TOKEN_FILE" 2>/dev/null; echo "append=$?"
        printf x > "$API_TOKEN_FILE" 2>/dev/null; echo "truncate=$?"
        printf '%s\n' "$(cat "$API_TOKEN_FILE")"
    "#;
    let out = repo
        .vault(&alice)
        .args([
            "exec",
            "dev",
            "--file",
            "API_TOKEN",
            "--",
            "sh",
            "-c",
            script,
        ])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("append=0"), "{text}");
    assert!(!text.contains("truncate=0"), "{text}");
    assert!(text.ends_with("tok-3f9a1c7e\n"), "{text}");
}

#[test]
fn exec_file_carries_values_too_large_for_the_environment() {
    let (repo, alice) = runtime_repo();
    // Linux caps one environment string at 128 KiB.
    let big = "k".repeat(300 * 1024);
    repo.set(&alice, "dev", "BIG", &big);
    repo.vault(&alice)
        .args([
            "exec",
            "dev",
            "--file",
            "BIG,API_TOKEN",
            "--",
            "sh",
            "-c",
            r#"wc -c < "$BIG_FILE"; echo "${BIG-unset}""#,
        ])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout(format!("{}\nunset\n", big.len()));
    // As a variable it is refused before anything starts, with the way out.
    let out = repo
        .vault(&alice)
        .args(["exec", "dev", "--", "true"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(
        err.contains("BIG in `dev` is too long for an environment variable"),
        "{err}"
    );
    assert!(
        err.contains("hint: pass BIG as a file instead: `vault exec dev --file BIG -- …`"),
        "{err}"
    );
}

#[test]
fn exec_file_with_only_and_rejections() {
    let (repo, alice) = runtime_repo();
    // With --only, the --file secrets are passed too.
    repo.vault(&alice)
        .args([
            "exec",
            "dev",
            "--only",
            "DB_PASSWORD",
            "--file",
            "API_TOKEN",
            "--",
            "sh",
            "-c",
        ])
        .arg(r#"printf '%s|%s' "$(cat "$API_TOKEN_FILE")" "$DB_PASSWORD""#)
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout("tok-3f9a1c7e|p@ss w/rd!x");
    let marker = repo.base_path("ran");
    // Unknown names: an error before anything runs, listing every one.
    let out = repo
        .vault(&alice)
        .args([
            "exec",
            "dev",
            "--file",
            "API_TOKEN,NOPE,ALSO_NOPE",
            "--",
            "touch",
        ])
        .arg(&marker)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(
        err.contains("`--file` names secrets not set in `dev`: ALSO_NOPE, NOPE"),
        "{err}"
    );
    assert!(
        err.contains("hint: list the secrets with `vault ls dev`"),
        "{err}"
    );
    // NAME_FILE already a secret: refused rather than silently shadowed.
    repo.set(&alice, "dev", "API_TOKEN_FILE", "/etc/token");
    let out = repo
        .vault(&alice)
        .args(["exec", "dev", "--file", "API_TOKEN", "--", "touch"])
        .arg(&marker)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(
        err.contains("`--file` would set API_TOKEN_FILE, which `dev` already sets as secrets"),
        "{err}"
    );
    // Loader variables stay refused, as files too (`LD_PRELOAD_FILE` is an `LD_` variable).
    repo.vault(&alice)
        .args(["unset", "dev", "API_TOKEN_FILE"])
        .assert()
        .success();
    repo.set(&alice, "dev", "LD_PRELOAD", "/tmp/evil.so");
    let out = repo
        .vault(&alice)
        .args(["exec", "dev", "--file", "LD_PRELOAD", "--", "touch"])
        .arg(&marker)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("change how programs load code"),
        "{}",
        stderr(&out)
    );
    assert!(!marker.exists());
}

// ---------------------------------------------------------------------------------------
// export --format docker | direnv

#[test]
fn export_docker_writes_literal_lines_and_refuses_multi_line_values_by_name() {
    let (repo, alice) = runtime_repo();
    repo.set(&alice, "dev", "QUOTED", "'single' \"double\" $HOME #hash");
    repo.vault(&alice)
        .args(["export", "dev", "--format", "docker"])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout("API_TOKEN=tok-3f9a1c7e\nDB_PASSWORD=p@ss w/rd!x\nQUOTED='single' \"double\" $HOME #hash\n");
    repo.set(
        &alice,
        "dev",
        "TLS_KEY",
        "-----BEGIN KEY-----\nMIIcanary\n-----END KEY-----\n",
    );
    let out = repo
        .vault(&alice)
        .args(["export", "dev", "--format", "docker"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(
        err.contains("`dev` cannot be written as a docker env file; nothing was printed"),
        "{err}"
    );
    assert!(err.contains("`TLS_KEY`: it spans several lines"), "{err}");
    assert!(err.contains("hint: docker reads environment variables from the process too: `vault exec dev -- docker run -e TLS_KEY"), "{err}");
    assert!(!err.contains("canary") && !err.contains("BEGIN"), "{err}");
}

#[test]
fn export_direnv_exports_and_watches_the_environment_files() {
    let (repo, alice) = runtime_repo();
    let out = repo
        .vault(&alice)
        .args(["export", "dev", "--format", "direnv"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let root = std::fs::canonicalize(&repo.root).unwrap();
    for file in ["secrets/dev.age", "secrets/dev.recipients", ".vault.toml"] {
        let line = format!("watch_file '{}'\n", root.join(file).display());
        assert!(text.contains(&line), "{line}\n{text}");
    }
    // What direnv does with it: evaluate it in bash, where `watch_file` is defined.
    repo.shell(
        &alice,
        r#"watch_file() { echo "watching ${1##*/}"; }; eval "$(vault export dev --format direnv)" && printf '%s|%s\n' "$API_TOKEN" "$DB_PASSWORD""#,
    )
    .assert()
    .success()
    .stdout("watching dev.age\nwatching dev.recipients\nwatching .vault.toml\ntok-3f9a1c7e|p@ss w/rd!x\n");
}

// ---------------------------------------------------------------------------------------
// exec --mask

#[test]
fn mask_hides_values_and_their_encodings_in_stdout_and_stderr() {
    let (repo, alice) = runtime_repo();
    repo.set(&alice, "dev", "SHORT", "abcde");
    let b64 = base64::engine::general_purpose::STANDARD.encode("tok-3f9a1c7e");
    let script = r#"
        echo "token: $API_TOKEN"
        echo "password: $DB_PASSWORD" >&2
        printf '%s' "$API_TOKEN" | base64
        echo "url: https://u:p%40ss%20w%2Frd%21x@db"
        echo "short: $SHORT"
    "#;
    let out = repo
        .vault(&alice)
        .args(["exec", "--mask", "dev", "--", "sh", "-c", script])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "token: •••\n•••\nurl: https://u:•••@db\nshort: abcde\n"
    );
    assert_eq!(stderr(&out), "password: •••\n");
    assert!(!stdout(&out).contains(&b64));
}

#[test]
fn mask_works_across_writes_and_with_file_secrets() {
    let (repo, alice) = runtime_repo();
    // The value arrives in two writes with a pause between: still masked.
    let script =
        r#"printf 'x tok-3f9'; sleep 0.3; printf 'a1c7e y\n'; cat "$API_TOKEN_FILE"; echo"#;
    repo.vault(&alice)
        .args([
            "exec",
            "dev",
            "--mask",
            "--file",
            "API_TOKEN",
            "--",
            "sh",
            "-c",
            script,
        ])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout("x ••• y\n•••\n");
}

#[test]
fn mask_returns_the_child_status_and_128_plus_a_signal() {
    let (repo, alice) = runtime_repo();
    for (script, code) in [
        ("exit 0", 0),
        ("exit 7", 7),
        ("kill -TERM $$", 143),
        ("kill -INT $$", 130),
    ] {
        repo.vault(&alice)
            .args(["exec", "dev", "--mask", "--", "sh", "-c", script])
            .timeout(TIMEOUT)
            .assert()
            .code(code)
            .stderr("");
    }
    repo.vault(&alice)
        .args(["exec", "dev", "--mask", "--", "no-such-command-4f1e"])
        .timeout(TIMEOUT)
        .assert()
        .code(127);
}

#[test]
fn mask_leaves_the_child_no_way_around_the_masking() {
    let (repo, alice) = runtime_repo();
    // The child has the same descriptors as without --mask: none of vault's own copies of
    // the real stdout and stderr, which it could write unmasked output to.
    let list = "cd /proc/$$/fd && echo *";
    let plain = repo
        .vault(&alice)
        .args(["exec", "dev", "--", "sh", "-c", list])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let masked = repo
        .vault(&alice)
        .args(["exec", "dev", "--mask", "--", "sh", "-c", list])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(plain.status.success() && masked.status.success());
    assert_eq!(stdout(&masked), stdout(&plain));
}

/// Starts `vault exec --mask dev -- sh -c script` with stdout piped.
fn spawn_masked(repo: &TestRepo, key: &Key, script: &str) -> std::process::Child {
    repo.vault_process(Some(key))
        .args(["exec", "dev", "--mask", "--", "sh", "-c", script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_with_timeout(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "vault did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn mask_forwards_signals_to_the_child() {
    let (repo, alice) = runtime_repo();
    for (signal, name) in [(15, "TERM"), (1, "HUP"), (10, "USR1"), (2, "INT")] {
        let script = format!(
            "trap 'echo got-{name} $API_TOKEN; exit 42' {name}; echo ready; while :; do sleep 0.05; done"
        );
        let mut child = spawn_masked(&repo, &alice, &script);
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        lines.read_line(&mut line).unwrap();
        assert_eq!(line, "ready\n");
        let status = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        let status = wait_with_timeout(&mut child);
        let mut rest = String::new();
        lines.read_to_string(&mut rest).unwrap();
        assert_eq!(status.code(), Some(42), "SIG{name}: {rest}");
        assert_eq!(rest, format!("got-{name} •••\n"));
    }
}

#[test]
fn mask_does_not_delay_interactive_output() {
    let (repo, alice) = runtime_repo();
    let mut child = spawn_masked(&repo, &alice, "printf 'Continue? [y/N] '; sleep 3");
    let mut stdout = child.stdout.take().unwrap();
    let started = Instant::now();
    let mut prompt = [0u8; 16];
    stdout.read_exact(&mut prompt).unwrap();
    assert_eq!(&prompt, b"Continue? [y/N] ");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert!(wait_with_timeout(&mut child).success());
}
