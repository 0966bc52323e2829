//! The bad-input matrix: every failure exits with the documented status, says what went
//! wrong with a `hint:` line, never prints a value, and leaves every file as it was.

use std::path::PathBuf;

use crate::support::*;

const CANARY: &str = "CANARY_e3b0c442";

/// A vault with `dev` and `prod`, each holding a canary value.
fn matrix_repo() -> (TestRepo, Key) {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "TOKEN", &format!("dev-{CANARY}"));
    repo.set(&alice, "prod", "TOKEN", &format!("prod-{CANARY}"));
    (repo, alice)
}

/// Runs `cmd`, expecting exit `code`, an `error:` naming every one of `needles`, a `hint:`
/// line, no canary anywhere, no stdout, and no file changed. Returns stderr.
fn assert_refused(
    repo: &TestRepo,
    cmd: &mut assert_cmd::Command,
    code: i32,
    needles: &[&str],
) -> String {
    let before = repo.snapshot();
    let out = cmd.timeout(TIMEOUT).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "expected {needle:?} in:\n{err}");
    }
    assert!(
        err.lines().any(|l| l.starts_with("hint: ") && l.len() > 10),
        "no hint in:\n{err}"
    );
    assert!(!err.contains(CANARY), "a value leaked:\n{err}");
    assert!(stdout(&out).is_empty(), "stdout: {}", stdout(&out));
    assert_same_files(&before, &repo.snapshot());
    err
}

/// The standard probes against `dev`: `get`, `set` and `exec` must all refuse the same way.
fn assert_dev_refused(repo: &TestRepo, key: &Key, needles: &[&str]) {
    assert_refused(
        repo,
        repo.vault(key).args(["get", "dev", "TOKEN"]),
        2,
        needles,
    );
    assert_refused(
        repo,
        repo.vault(key)
            .args(["set", "dev", "OTHER"])
            .write_stdin("x"),
        2,
        needles,
    );
    let marker = repo.base_path("started");
    let script = format!("touch '{}'", marker.display());
    assert_refused(
        repo,
        repo.vault(key)
            .args(["exec", "dev", "--", "sh", "-c", &script]),
        125,
        needles,
    );
    assert!(!marker.exists(), "exec started the child");
    let editor = repo.script("editor.sh", &format!("touch '{}'", marker.display()));
    assert_refused(
        repo,
        repo.vault(key).env("EDITOR", &editor).args(["edit", "dev"]),
        2,
        needles,
    );
    assert!(!marker.exists(), "edit opened the editor");
}

fn armor_lines(repo: &TestRepo) -> Vec<String> {
    repo.read_text("secrets/dev.age")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn truncated_file_is_refused() {
    let (repo, alice) = matrix_repo();
    let bytes = repo.read("secrets/dev.age");
    repo.write("secrets/dev.age", &bytes[..bytes.len() / 2]);
    assert_dev_refused(
        &repo,
        &alice,
        &["secrets/dev.age", "`dev`", "damaged or truncated"],
    );
    // Cut at a line boundary (armor footer missing) as well.
    let full = String::from_utf8(bytes).unwrap();
    let cut: Vec<&str> = full.lines().collect();
    repo.write("secrets/dev.age", cut[..cut.len() - 2].join("\n") + "\n");
    assert_dev_refused(&repo, &alice, &["secrets/dev.age", "cannot be decrypted"]);
}

fn flip_first_char(line: &str) -> String {
    let first = line.chars().next().unwrap();
    let replacement = if first == 'A' { 'g' } else { 'A' };
    format!("{replacement}{}", &line[1..])
}

#[test]
fn bit_flipped_file_is_refused() {
    let (repo, alice) = matrix_repo();
    let original = armor_lines(&repo);
    let body: Vec<usize> = (1..original.len() - 1).collect();
    // A line in the middle of the armor, and the last full line (the encrypted payload).
    for index in [body[body.len() / 2], body[body.len() - 2]] {
        let mut lines = original.clone();
        lines[index] = flip_first_char(&lines[index]);
        repo.write("secrets/dev.age", lines.join("\n") + "\n");
        // A flip in the header hits vault's signature stanza or age's; one in the payload,
        // the signature over it or age's authentication. Either way: refused, nothing used.
        let err = assert_refused(
            &repo,
            repo.vault(&alice).args(["get", "dev", "TOKEN"]),
            2,
            &["secrets/dev.age"],
        );
        assert!(
            err.contains("cannot be decrypted") || err.contains("not authenticated"),
            "{err}"
        );
    }
}

#[test]
fn empty_file_is_refused() {
    let (repo, alice) = matrix_repo();
    repo.write("secrets/dev.age", "");
    assert_dev_refused(
        &repo,
        &alice,
        &["secrets/dev.age", "not an ASCII-armored age file"],
    );
}

#[test]
fn non_armored_file_is_refused() {
    let (repo, alice) = matrix_repo();
    let random: Vec<u8> = (0u32..512)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    repo.write("secrets/dev.age", &random);
    assert_dev_refused(
        &repo,
        &alice,
        &["secrets/dev.age", "not an ASCII-armored age file"],
    );
    // Plaintext where ciphertext belongs is refused too.
    repo.write("secrets/dev.age", "format = 1\nenvironment = \"dev\"\n");
    assert_dev_refused(
        &repo,
        &alice,
        &["secrets/dev.age", "not an ASCII-armored age file"],
    );
}

fn encrypt_to(public: &str, plaintext: &str) -> Vec<u8> {
    use std::io::Write;
    let recipient: age::x25519::Recipient = public.parse().unwrap();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap();
    let armor =
        age::armor::ArmoredWriter::wrap_output(Vec::new(), age::armor::Format::AsciiArmor).unwrap();
    let mut writer = encryptor.wrap_output(armor).unwrap();
    writer.write_all(plaintext.as_bytes()).unwrap();
    writer.finish().unwrap().finish().unwrap()
}

#[test]
fn payload_from_a_newer_format_is_refused() {
    let (repo, alice) = matrix_repo();
    let payload = format!(
        "format = 99\nenvironment = \"dev\"\nrecipients = [\"{}\"]\n\n[secrets.TOKEN]\nvalue = \"{CANARY}\"\nrotated_at = \"2026-01-01T00:00:00Z\"\n",
        alice.public
    );
    // Signed with the real write key: the parser itself must refuse it.
    repo.write(
        "secrets/dev.age",
        sign_as_reader(&repo, &alice, "dev", &payload, &[&alice.public]),
    );
    assert_dev_refused(
        &repo,
        &alice,
        &["`dev`", "format version 99", "upgrade vault"],
    );
    // The same file from someone without the write key is refused before it is parsed.
    repo.write("secrets/dev.age", encrypt_to(&alice.public, &payload));
    assert_dev_refused(&repo, &alice, &["`dev`", "not authenticated", "downgrade"]);
}

#[test]
fn malformed_payload_is_refused_without_quoting_it() {
    let (repo, alice) = matrix_repo();
    let payload =
        format!("format = 1\nenvironment = \"dev\"\n[secrets.TOKEN]\nvalue = \"{CANARY}\"\n");
    repo.write(
        "secrets/dev.age",
        sign_as_reader(&repo, &alice, "dev", &payload, &[&alice.public]),
    );
    assert_dev_refused(&repo, &alice, &["`dev`", "malformed"]);
}

#[test]
fn wrong_identity_is_refused() {
    let (repo, _) = matrix_repo();
    let mallory = repo.key("mallory");
    assert_dev_refused(
        &repo,
        &mallory,
        &[
            "you cannot decrypt `dev`",
            "$VAULT_IDENTITY_FILE",
            "vault member add",
        ],
    );
}

#[test]
fn outside_a_vault_is_refused() {
    let repo = TestRepo::new();
    let key = repo.key("alice");
    for args in [
        &["get", "dev", "TOKEN"][..],
        &["ls", "dev"][..],
        &["edit", "dev"][..],
    ] {
        assert_refused(
            &repo,
            repo.vault(&key).args(args),
            2,
            &["not inside a vault", "vault init"],
        );
    }
    assert_refused(
        &repo,
        repo.vault(&key)
            .args(["set", "dev", "TOKEN"])
            .write_stdin("x"),
        2,
        &["not inside a vault"],
    );
    assert_refused(
        &repo,
        repo.vault(&key).args(["exec", "dev", "--", "true"]),
        125,
        &["not inside a vault"],
    );
}

#[test]
fn malformed_roster_is_refused() {
    let (repo, alice) = matrix_repo();
    let good = repo.read_text(".vault.toml");
    let pk = alice.public.clone();
    let cases: Vec<(String, Vec<String>)> = vec![
        (
            "[members.alice\nkeys = [".to_owned(),
            vec!["invalid roster".into(), "not valid".into()],
        ),
        (
            roster(
                &[("alice", &[&pk])],
                &[("dev", &["alice", "carol"]), ("prod", &["alice"])],
            ),
            vec!["`carol`".into(), "`dev`".into()],
        ),
        (
            format!("{good}\n[envs.staging]\nmembers = []\nreaders = [\"alice\"]\n"),
            vec!["readers".into()],
        ),
        (
            roster(
                &[("alice", &[&pk]), ("bob", &["age1notakey"])],
                &[("dev", &["alice"]), ("prod", &["alice"])],
            ),
            vec!["`bob`".into(), "age1notakey".into()],
        ),
        (
            roster(
                &[("alice", &[&pk])],
                &[("dev", &["alice", "alice"]), ("prod", &["alice"])],
            ),
            vec!["`alice`".into(), "more than once".into()],
        ),
        (
            roster(
                &[("alice", &[&pk]), ("bob", &[&pk])],
                &[("dev", &["alice"]), ("prod", &["alice"])],
            ),
            vec!["share the key".into()],
        ),
    ];
    for (text, needles) in cases {
        repo.write_roster(&text);
        let mut needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        needles.push(".vault.toml");
        assert_refused(
            &repo,
            repo.vault(&alice).args(["get", "dev", "TOKEN"]),
            2,
            &needles,
        );
        assert_refused(
            &repo,
            repo.vault(&alice).args(["exec", "dev", "--", "true"]),
            125,
            &needles,
        );
    }
}

#[test]
fn invalid_secret_names_are_refused() {
    let (repo, alice) = matrix_repo();
    for name in ["1ABC", "A-B", "A B", "A=B"] {
        assert_refused(
            &repo,
            repo.vault(&alice)
                .args(["set", "dev", name])
                .write_stdin(CANARY),
            2,
            &[&format!("`{name}` is not a valid secret name")],
        );
    }
}

#[test]
fn value_with_nul_is_refused() {
    let (repo, alice) = matrix_repo();
    let file = repo.base_path("nul.bin");
    std::fs::write(&file, format!("before\0{CANARY}")).unwrap();
    assert_refused(
        &repo,
        repo.vault(&alice)
            .args(["set", "dev", "NUL_VALUE", "--from-file"])
            .arg(&file),
        2,
        &["`NUL_VALUE`", "NUL"],
    );
    assert_refused(
        &repo,
        repo.vault(&alice)
            .args(["set", "dev", "NUL_VALUE"])
            .write_stdin(format!("before\0{CANARY}")),
        2,
        &["NUL"],
    );
}

#[test]
fn oversized_value_is_refused() {
    let (repo, alice) = matrix_repo();
    let file = repo.base_path("big.bin");
    std::fs::write(&file, "x".repeat(1024 * 1024 + 1)).unwrap();
    assert_refused(
        &repo,
        repo.vault(&alice)
            .args(["set", "dev", "BIG", "--from-file"])
            .arg(&file),
        2,
        &["`BIG`", "1048577 bytes", "1048576"],
    );
}

#[test]
fn non_utf8_value_is_refused() {
    let (repo, alice) = matrix_repo();
    let file = repo.base_path("latin1.bin");
    std::fs::write(&file, b"caf\xe9 \xff\xfe").unwrap();
    assert_refused(
        &repo,
        repo.vault(&alice)
            .args(["set", "dev", "BINARY", "--from-file"])
            .arg(&file),
        2,
        &["`BINARY`", "not UTF-8", "base64"],
    );
}

#[test]
fn unknown_environment_is_refused() {
    let (repo, alice) = matrix_repo();
    let needles = ["unknown environment `staging`", "dev, prod"];
    assert_refused(
        &repo,
        repo.vault(&alice).args(["get", "staging", "TOKEN"]),
        2,
        &needles,
    );
    assert_refused(
        &repo,
        repo.vault(&alice)
            .args(["set", "staging", "TOKEN"])
            .write_stdin("x"),
        2,
        &needles,
    );
    assert_refused(
        &repo,
        repo.vault(&alice).args(["edit", "staging"]),
        2,
        &needles,
    );
    assert_refused(
        &repo,
        repo.vault(&alice).args(["exec", "staging", "--", "true"]),
        125,
        &needles,
    );
    assert!(!repo.path("secrets/staging.age").exists());
}

#[test]
fn invalid_environment_name_is_refused() {
    let (repo, alice) = matrix_repo();
    for env in ["../x", "Prod", "a/b", ""] {
        let needle = format!("`{env}` is not a valid environment name");
        assert_refused(
            &repo,
            repo.vault(&alice).args(["get", env, "TOKEN"]),
            2,
            &[&needle],
        );
        assert_refused(
            &repo,
            repo.vault(&alice)
                .args(["set", env, "TOKEN"])
                .write_stdin("x"),
            2,
            &[&needle],
        );
        assert_refused(&repo, repo.vault(&alice).args(["edit", env]), 2, &[&needle]);
    }
    assert!(!repo.path("x.age").exists() && !repo.base_path("x.age").exists());
}

fn tmp_leftovers(dir: &std::path::Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with(".vault-tmp"))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn secrets_directory_replaced_by_a_file_is_refused() {
    let (repo, alice) = matrix_repo();
    std::fs::rename(repo.path("secrets"), repo.base_path("secrets.saved")).unwrap();
    repo.write("secrets", "not a directory");
    let err = assert_refused(
        &repo,
        repo.vault(&alice)
            .args(["set", "dev", "TOKEN"])
            .write_stdin("new"),
        2,
        &["secrets/dev.age"],
    );
    assert!(err.contains("caused by: "), "{err}");
    assert_refused(
        &repo,
        repo.vault(&alice).args(["get", "dev", "TOKEN"]),
        2,
        &["secrets/dev.age"],
    );
}

/// Makes writes into `secrets/` fail: `chmod 555` when permissions apply, `chattr +i` for
/// root where it is allowed, else an `RLIMIT_FSIZE` of 0 (writes then fail with EFBIG).
/// Returns a shell prefix for the command and a clean-up function.
fn unwritable_secrets(repo: &TestRepo) -> (&'static str, Box<dyn Fn()>) {
    use std::os::unix::fs::PermissionsExt;
    let dir = repo.path("secrets");
    if !is_root() {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        return (
            "",
            Box::new(move || {
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
            }),
        );
    }
    let immutable = std::process::Command::new("chattr")
        .arg("+i")
        .arg(&dir)
        .output()
        .is_ok_and(|o| o.status.success());
    if immutable {
        return (
            "",
            Box::new(move || {
                let undone = std::process::Command::new("chattr")
                    .arg("-i")
                    .arg(&dir)
                    .status()
                    .unwrap();
                assert!(undone.success());
            }),
        );
    }
    ("trap '' XFSZ; ulimit -f 0; ", Box::new(|| {}))
}

#[test]
fn unwritable_secrets_directory_changes_nothing() {
    let (repo, alice) = matrix_repo();
    let (prefix, restore) = unwritable_secrets(&repo);
    let before = repo.snapshot();
    let out = repo
        .shell(
            &alice,
            &format!("{prefix}printf new | vault set dev TOKEN; echo \"status=$?\" >&2"),
        )
        .output()
        .unwrap();
    restore();
    let err = stderr(&out);
    assert!(err.contains("status=2"), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("secrets/"), "{err}");
    assert!(err.contains("hint: "), "{err}");
    assert_same_files(&before, &repo.snapshot());
    assert_eq!(tmp_leftovers(&repo.path("secrets")), Vec::<PathBuf>::new());
    assert_eq!(repo.get(&alice, "dev", "TOKEN"), format!("dev-{CANARY}"));
}

#[test]
fn paths_with_spaces_and_unicode_work() {
    let (repo, alice) = TestRepo::with_vault_in_dir("my vault \u{fc}n\u{ef}", "dev");
    assert!(repo.root.to_string_lossy().contains("my vault ünï"));
    repo.set(&alice, "dev", "TOKEN", "spaced");
    assert_eq!(repo.get(&alice, "dev", "TOKEN"), "spaced");
    repo.vault(&alice)
        .args(["exec", "dev", "--", "printenv", "TOKEN"])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout("spaced\n");
    let editor = repo.script(
        "change.sh",
        "sed -i 's/^TOKEN = .*/TOKEN = \"edited\"/' \"$1\"",
    );
    let out = repo.edit(&alice, "dev", &editor);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(repo.get(&alice, "dev", "TOKEN"), "edited");
    // An identity file and an import file under such a path work too.
    let dir = repo.root.join("in put ü");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a b.env"), "IMPORTED=yes\n").unwrap();
    repo.vault(&alice)
        .arg("--identity")
        .arg(&alice.file)
        .args(["import", "dev"])
        .arg(dir.join("a b.env"))
        .assert()
        .success();
    assert_eq!(repo.get(&alice, "dev", "IMPORTED"), "yes");
}

#[test]
fn vault_is_found_from_a_subdirectory() {
    let (repo, alice) = matrix_repo();
    let sub = repo.path("services/api/src");
    std::fs::create_dir_all(&sub).unwrap();
    let from_sub = || {
        let mut cmd = repo.vault(&alice);
        cmd.current_dir(&sub);
        cmd
    };
    from_sub()
        .args(["get", "dev", "TOKEN"])
        .assert()
        .success()
        .stdout(format!("dev-{CANARY}"));
    from_sub()
        .args(["set", "dev", "FROM_SUB"])
        .write_stdin("sub")
        .assert()
        .success();
    assert!(!sub.join("secrets").exists(), "a second vault was created");
    assert_eq!(repo.get(&alice, "dev", "FROM_SUB"), "sub");
    // `-C DIR` works the same.
    repo.vault(&alice)
        .current_dir(repo.base())
        .arg("-C")
        .arg(&sub)
        .args(["get", "dev", "FROM_SUB"])
        .assert()
        .success()
        .stdout("sub");
}

#[test]
fn vault_works_inside_a_git_worktree() {
    let (repo, alice) = matrix_repo();
    repo.git(["add", "-A"]);
    repo.git(["commit", "-q", "-m", "vault"]);
    let wt = repo.base_path("feature wt");
    repo.git([
        "worktree".as_ref(),
        "add".as_ref(),
        "-q".as_ref(),
        "-b".as_ref(),
        "feature".as_ref(),
        wt.as_os_str(),
    ]);
    assert!(wt.join(".vault.toml").is_file(), "worktree not created");
    let in_wt = || {
        let mut cmd = repo.vault(&alice);
        cmd.current_dir(&wt);
        cmd
    };
    in_wt()
        .args(["get", "dev", "TOKEN"])
        .assert()
        .success()
        .stdout(format!("dev-{CANARY}"));
    let main_file = repo.read("secrets/dev.age");
    in_wt()
        .args(["set", "dev", "IN_WORKTREE"])
        .write_stdin("wt")
        .assert()
        .success();
    assert_eq!(
        repo.read("secrets/dev.age"),
        main_file,
        "wrote the main checkout"
    );
    in_wt()
        .args(["get", "dev", "IN_WORKTREE"])
        .assert()
        .success()
        .stdout("wt");
    repo.vault(&alice)
        .args(["get", "dev", "IN_WORKTREE"])
        .assert()
        .code(2);
}

#[test]
fn missing_environment_file_is_refused() {
    let (repo, alice) = matrix_repo();
    std::fs::remove_file(repo.path("secrets/dev.age")).unwrap();
    assert_dev_refused(
        &repo,
        &alice,
        &["secrets/dev.age", "is missing", "git checkout"],
    );
    assert!(!repo.path("secrets/dev.age").exists());
}

#[test]
fn altered_recipients_summary_is_refused() {
    let (repo, alice) = matrix_repo();
    let mallory = repo.key("mallory");
    let summary = repo.read_text("secrets/dev.recipients");
    repo.write(
        "secrets/dev.recipients",
        format!("{summary}{}  # mallory\n", mallory.public),
    );
    // The summary is only a readable view of the recipients signed into the file: editing
    // it changes nobody's access, and `vault check` reports it until a write replaces it.
    let out = repo.bare_vault().arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("secrets/dev.recipients is missing or does not match"),
        "{report}"
    );
    repo.set(&alice, "dev", "OTHER", "x");
    assert!(
        !repo
            .read_text("secrets/dev.recipients")
            .contains(&mallory.public)
    );
    let plaintext = stock_age_decrypt(&mallory, &repo.read("secrets/dev.age"));
    assert!(
        plaintext.is_none(),
        "the next write must not be sealed to mallory"
    );
}

#[test]
fn invalid_template_stops_exec() {
    let (repo, alice) = matrix_repo();
    repo.write_template(
        "[TOKEN]
format = \"no-such-format\"\n",
    );
    let marker = repo.base_path("started");
    let script = format!("touch '{}'", marker.display());
    assert_refused(
        &repo,
        repo.vault(&alice)
            .args(["exec", "dev", "--", "sh", "-c", &script]),
        125,
        &[".secrets.example.toml", "`format`", "`[TOKEN]`", "line 2"],
    );
    assert!(!marker.exists(), "exec started the child");
}

#[test]
fn file_editor_and_passphrase_errors_have_a_hint() {
    let (repo, alice) = matrix_repo();
    let missing = repo.base_path("missing.env");
    let binary = repo.base_path("binary.env");
    std::fs::write(&binary, b"A=\xff\xfe\n").unwrap();
    let cases: Vec<(&str, assert_cmd::Command)> = vec![
        ("set --from-file <missing>", {
            let mut cmd = repo.vault(&alice);
            cmd.args(["set", "dev", "B", "--from-file"]).arg(&missing);
            cmd
        }),
        ("import <missing>", {
            let mut cmd = repo.vault(&alice);
            cmd.args(["import", "dev"]).arg(&missing);
            cmd
        }),
        ("import <non-UTF-8>", {
            let mut cmd = repo.vault(&alice);
            cmd.args(["import", "dev"]).arg(&binary);
            cmd
        }),
        ("edit with a failing editor", {
            let mut cmd = repo.vault(&alice);
            cmd.env("EDITOR", "false").args(["edit", "dev"]);
            cmd
        }),
        ("identity new --passphrase without a terminal", {
            let mut cmd = repo.detached_vault();
            cmd.args(["identity", "new", "--passphrase", "--output"])
                .arg(repo.base_path("new.key"));
            cmd
        }),
    ];
    let mut without_hint = Vec::new();
    for (what, mut cmd) in cases {
        let before = repo.snapshot();
        let out = cmd.timeout(TIMEOUT).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        // `edit` first warns when the test's runtime directory is on disk (issue 14).
        let first = err.lines().find(|l| !l.starts_with("warning: "));
        assert!(
            first.is_some_and(|l| l.starts_with("error: ")),
            "{what}: {err}"
        );
        assert_same_files(&before, &repo.snapshot());
        if !err.lines().any(|l| l.starts_with("hint: ")) {
            without_hint.push(format!("{what}:\n{err}"));
        }
    }
    assert!(!repo.base_path("new.key").exists());
    assert!(
        without_hint.is_empty(),
        "errors without a hint:\n{}",
        without_hint.join("\n")
    );
}

#[test]
fn a_vault_above_the_repository_is_not_used() {
    // A shared directory holds someone's vault; inside it, a repository without one.
    let outer = TestRepo::new();
    let alice = outer.key("alice");
    outer
        .vault(&alice)
        .args(["init", "--name", "alice", "--env", "prod"])
        .assert()
        .success();
    let inner = outer.root.join("project");
    std::fs::create_dir_all(&inner).unwrap();
    let status = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(&inner)
        .status()
        .unwrap();
    assert!(status.success());
    let before = outer.snapshot();
    let out = outer
        .vault(&alice)
        .current_dir(&inner)
        .args(["set", "prod", "X"])
        .write_stdin("value")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not inside a vault"),
        "{}",
        stderr(&out)
    );
    assert_same_files(&before, &outer.snapshot());
}

#[test]
fn a_roster_owned_by_another_user_is_refused() {
    if !is_root() {
        eprintln!("skipped: needs root to give the roster to another user");
        return;
    }
    let (repo, alice) = matrix_repo();
    std::os::unix::fs::chown(repo.path(".vault.toml"), Some(65534), None).unwrap();
    let out = repo
        .vault(&alice)
        .args(["get", "dev", "TOKEN"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("owned by another user"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("hint:"), "{}", stderr(&out));
    assert!(!stdout(&out).contains(CANARY));
}

#[test]
fn runtime_integration_errors_follow_the_matrix() {
    let (repo, alice) = matrix_repo();
    repo.set(
        &alice,
        "dev",
        "PEM",
        &format!("-----BEGIN-----\n{CANARY}\n-----END-----"),
    );
    repo.write("app.tmpl", "token={{ TOKEN }} other={{ NOPE }}\n");
    let out = repo.base_path("app.conf");
    let err = assert_refused(
        &repo,
        repo.vault(&alice)
            .args(["render", "dev", "app.tmpl", "-o"])
            .arg(&out),
        2,
        &["app.tmpl", "`NOPE`", "nothing was written"],
    );
    assert!(!out.exists(), "{err}");
    assert_refused(
        &repo,
        repo.vault(&alice)
            .args(["export", "dev", "--format", "docker"]),
        2,
        &["`PEM`", "docker env file"],
    );
    let marker = repo.base_path("started");
    assert_refused(
        &repo,
        repo.vault(&alice)
            .args(["exec", "dev", "--file", "TOKEN,NOPE", "--", "touch"])
            .arg(&marker),
        125,
        &["`--file`", "NOPE"],
    );
    assert!(!marker.exists());
    assert_refused(
        &repo,
        repo.bare_vault()
            .env("VAULT_IDENTITY_CMD", format!("sh -c 'exit 9' {CANARY}"))
            .args(["get", "dev", "TOKEN"]),
        2,
        &["$VAULT_IDENTITY_CMD failed", "`sh`", "exit status 9"],
    );
}
