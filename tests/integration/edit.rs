//! `vault edit`: editors are small shell scripts written into the test's directory; vault
//! runs them as `sh -c "$EDITOR \"$@\"" EDITOR <file>`, so each script gets the buffer as `$1`.

use crate::support::*;

fn edit_repo() -> (TestRepo, Key) {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "API_TOKEN", "tok_old");
    repo.set(&alice, "dev", "KEEP", "kept value");
    (repo, alice)
}

/// Asserts `vault edit` succeeded and cleaned up its private directory.
fn assert_edit_ok(repo: &TestRepo, out: &std::process::Output) {
    assert!(out.status.success(), "edit failed: {}", stderr(out));
    assert_eq!(repo.edit_leftovers(), Vec::<std::path::PathBuf>::new());
}

/// Asserts `vault edit` failed with exit 2, changed nothing and cleaned up.
fn assert_edit_refused(
    repo: &TestRepo,
    before: &[(std::path::PathBuf, Vec<u8>)],
    out: &std::process::Output,
) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("error: "), "{err}");
    assert_same_files(before, &repo.snapshot());
    assert_eq!(repo.edit_leftovers(), Vec::<std::path::PathBuf>::new());
    err
}

#[test]
fn edit_without_changes_leaves_the_file_byte_identical() {
    let (repo, alice) = edit_repo();
    let before = repo.snapshot();
    let out = repo.edit(&alice, "dev", "true");
    assert_edit_ok(&repo, &out);
    assert!(stderr(&out).contains("no changes"), "{}", stderr(&out));
    assert_same_files(&before, &repo.snapshot());

    // Saving the buffer unchanged (rewriting it in place) is also no change.
    let rewrite = repo.script("rewrite.sh", "cp \"$1\" \"$1.x\" && mv \"$1.x\" \"$1\"");
    let out = repo.edit(&alice, "dev", &rewrite);
    assert_edit_ok(&repo, &out);
    assert_same_files(&before, &repo.snapshot());
}

#[test]
fn edit_changes_a_value_and_its_rotation_date() {
    let (repo, alice) = edit_repo();
    let rotated_before = repo.rotated_at(&alice, "dev", "API_TOKEN");
    let keep_before = repo.rotated_at(&alice, "dev", "KEEP");
    let old_file = repo.read("secrets/dev.age");
    let editor = repo.script(
        "change.sh",
        "sed -i 's/^API_TOKEN = .*/API_TOKEN = \"tok_new\"/' \"$1\"",
    );
    let out = repo.edit(&alice, "dev", &editor);
    assert_edit_ok(&repo, &out);
    assert!(
        stderr(&out).contains("changed API_TOKEN"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("tok_"), "a value leaked");
    assert_eq!(repo.get(&alice, "dev", "API_TOKEN"), "tok_new");
    assert_eq!(repo.get(&alice, "dev", "KEEP"), "kept value");
    assert_ne!(repo.rotated_at(&alice, "dev", "API_TOKEN"), rotated_before);
    assert_eq!(repo.rotated_at(&alice, "dev", "KEEP"), keep_before);
    assert_ne!(repo.read("secrets/dev.age"), old_file);
}

#[test]
fn edit_adds_and_removes_secrets() {
    let (repo, alice) = edit_repo();
    let editor = repo.script(
        "add-remove.sh",
        "sed -i '/^API_TOKEN = /d' \"$1\"\nprintf 'NEW_KEY = \"fresh value\"\\n' >> \"$1\"",
    );
    let out = repo.edit(&alice, "dev", &editor);
    assert_edit_ok(&repo, &out);
    let err = stderr(&out);
    assert!(
        err.contains("added NEW_KEY") && err.contains("removed API_TOKEN"),
        "{err}"
    );
    assert_eq!(repo.names(&alice, "dev"), ["KEEP", "NEW_KEY"]);
    assert_eq!(repo.get(&alice, "dev", "NEW_KEY"), "fresh value");
    repo.vault(&alice)
        .args(["get", "dev", "API_TOKEN"])
        .assert()
        .code(2);
}

#[test]
fn edit_comments_survive_later_edits() {
    let (repo, alice) = edit_repo();
    let add_comment = repo.script(
        "comment.sh",
        "sed -i 's/^API_TOKEN = /# owned by the payments team\\n# rotate with #payments\\nAPI_TOKEN = /' \"$1\"",
    );
    let rotated = repo.rotated_at(&alice, "dev", "API_TOKEN");
    let out = repo.edit(&alice, "dev", &add_comment);
    assert_edit_ok(&repo, &out);
    assert!(
        stderr(&out).contains("updated comments"),
        "{}",
        stderr(&out)
    );
    // A comment is not a rotation.
    assert_eq!(repo.rotated_at(&alice, "dev", "API_TOKEN"), rotated);
    // A comment above a later secret, too.
    let second = repo.script(
        "comment2.sh",
        "sed -i 's/^KEEP = /# keep this one\\nKEEP = /' \"$1\"",
    );
    assert_edit_ok(&repo, &repo.edit(&alice, "dev", &second));

    let seen = repo.base_path("seen.toml");
    let record = repo.script("record.sh", &format!("cp \"$1\" '{}'", seen.display()));
    let before = repo.snapshot();
    let out = repo.edit(&alice, "dev", &record);
    assert_edit_ok(&repo, &out);
    assert_same_files(&before, &repo.snapshot());
    let buffer = std::fs::read_to_string(&seen).unwrap();
    let api_comment = "# owned by the payments team\n# rotate with #payments\n";
    assert!(
        buffer.contains(&format!("{api_comment}API_TOKEN = \"tok_old\"\n")),
        "{buffer}"
    );
    assert!(
        buffer.contains("\n# keep this one\nKEEP = \"kept value\"\n"),
        "{buffer}"
    );

    // A value change keeps the comments too.
    let change = repo.script(
        "change.sh",
        "sed -i 's/^API_TOKEN = .*/API_TOKEN = \"tok_new\"/' \"$1\"",
    );
    assert_edit_ok(&repo, &repo.edit(&alice, "dev", &change));
    assert_edit_ok(&repo, &repo.edit(&alice, "dev", &record));
    let buffer = std::fs::read_to_string(&seen).unwrap();
    assert!(
        buffer.contains(&format!("{api_comment}API_TOKEN = \"tok_new\"\n")),
        "{buffer}"
    );
    assert!(buffer.contains("\n# keep this one\nKEEP = "), "{buffer}");
}

/// An editor that counts its runs in `count`, copies each buffer it is given to
/// `buffer-<n>`, and on run `n` applies `actions[n-1]` (a shell snippet on `$1`).
fn counting_editor(repo: &TestRepo, actions: &[&str]) -> std::path::PathBuf {
    let count = repo.base_path("count");
    let mut body = format!(
        "n=$(cat '{c}' 2>/dev/null || echo 0)\nn=$((n + 1))\necho $n > '{c}'\ncp \"$1\" '{dir}/buffer-'$n\ncase $n in\n",
        c = count.display(),
        dir = repo.base().display()
    );
    for (i, action) in actions.iter().enumerate() {
        body.push_str(&format!("  {}) {action} ;;\n", i + 1));
    }
    body.push_str("esac\n");
    repo.script("counting.sh", &body)
}

fn runs(repo: &TestRepo) -> String {
    std::fs::read_to_string(repo.base_path("count"))
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn edit_invalid_buffer_reopens_with_the_error_then_aborts_unchanged() {
    let (repo, alice) = edit_repo();
    let editor = counting_editor(&repo, &["printf '1BAD = \"x\"\\n' >> \"$1\"", "true"]);
    let before = repo.snapshot();
    let out = repo.edit(&alice, "dev", &editor);
    let err = assert_edit_refused(&repo, &before, &out);
    assert_eq!(runs(&repo), "2", "the editor should run exactly twice");
    let second = std::fs::read_to_string(repo.base_path("buffer-2")).unwrap();
    let error_line = second
        .lines()
        .find(|l| l.starts_with("#: ERROR"))
        .unwrap_or_else(|| panic!("no `#: ERROR` line in:\n{second}"));
    // The error names the line, never the text in the name position (it could be a secret).
    assert!(
        error_line.contains("line ")
            && error_line.contains("not a valid secret name")
            && !error_line.contains("1BAD"),
        "{error_line}"
    );
    assert!(
        second.contains("\n1BAD = \"x\"\n"),
        "the user's edit was lost:\n{second}"
    );
    assert!(second.contains("API_TOKEN = \"tok_old\""), "{second}");
    assert!(err.contains("still invalid"), "{err}");
    assert!(err.contains("hint: run `vault edit dev` again"), "{err}");
}

#[test]
fn edit_invalid_buffer_fixed_on_the_second_try_is_saved() {
    let (repo, alice) = edit_repo();
    let editor = counting_editor(
        &repo,
        &[
            "printf '1BAD = \"x\"\\n' >> \"$1\"",
            "sed -i 's/^1BAD = /GOOD = /' \"$1\"",
        ],
    );
    let out = repo.edit(&alice, "dev", &editor);
    assert_edit_ok(&repo, &out);
    assert_eq!(runs(&repo), "2");
    assert_eq!(repo.get(&alice, "dev", "GOOD"), "x");
    assert_eq!(repo.names(&alice, "dev"), ["API_TOKEN", "GOOD", "KEEP"]);
    // vault's notes never end up stored as comments.
    let record = repo.base_path("seen.toml");
    let recorder = repo.script("record.sh", &format!("cp \"$1\" '{}'", record.display()));
    assert_edit_ok(&repo, &repo.edit(&alice, "dev", &recorder));
    let buffer = std::fs::read_to_string(record).unwrap();
    assert!(!buffer.contains("ERROR"), "{buffer}");
}

#[test]
fn edit_editor_failure_changes_nothing() {
    let (repo, alice) = edit_repo();
    let editor = repo.script(
        "fail.sh",
        "sed -i 's/^API_TOKEN = .*/API_TOKEN = \"tok_new\"/' \"$1\"\nexit 3",
    );
    let before = repo.snapshot();
    let out = repo.edit(&alice, "dev", &editor);
    let err = assert_edit_refused(&repo, &before, &out);
    assert!(err.contains("exited with status 3"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(repo.get(&alice, "dev", "API_TOKEN"), "tok_old");
}

#[test]
fn edit_missing_editor_is_an_error() {
    let (repo, alice) = edit_repo();
    let before = repo.snapshot();
    let out = repo.edit(&alice, "dev", "/nonexistent");
    let err = assert_edit_refused(&repo, &before, &out);
    assert!(err.contains("/nonexistent"), "{err}");
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn edit_buffer_is_private_while_the_editor_runs_and_removed_after() {
    let (repo, alice) = edit_repo();
    let report = repo.base_path("perms");
    let editor = repo.script(
        "stat.sh",
        &format!(
            "{{ stat -c %a \"$1\"; stat -c %a \"$(dirname \"$1\")\"; echo \"$1\"; }} > '{}'",
            report.display()
        ),
    );
    let out = repo.edit(&alice, "dev", &editor);
    assert_edit_ok(&repo, &out);
    let text = std::fs::read_to_string(&report).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[..2], ["600", "700"], "{text}");
    let buffer = std::path::Path::new(lines[2]);
    let dir = buffer.parent().unwrap();
    assert_eq!(
        dir.parent().unwrap(),
        repo.base(),
        "not in $XDG_RUNTIME_DIR"
    );
    assert!(
        dir.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("vault-edit-")
    );
    assert!(
        !buffer.exists() && !dir.exists(),
        "the buffer was left behind"
    );
}

#[test]
fn edit_temp_files_are_removed_on_every_exit_path() {
    let (repo, alice) = edit_repo();
    let change = repo.script(
        "change.sh",
        "sed -i 's/^KEEP = .*/KEEP = \"other\"/' \"$1\"",
    );
    let fail = repo.script("fail.sh", "exit 1");
    // Breaks the buffer on the first run, then quits without changes (abandon).
    let garbage = counting_editor(&repo, &["printf 'not toml [[[\\n' > \"$1\"", "true"]);
    for editor in [
        "true".as_ref(),
        change.as_os_str(),
        fail.as_os_str(),
        "/nonexistent".as_ref(),
        garbage.as_os_str(),
    ] {
        let out = repo.edit(&alice, "dev", editor);
        assert_eq!(
            repo.edit_leftovers(),
            Vec::<std::path::PathBuf>::new(),
            "{editor:?}: {}",
            stderr(&out)
        );
    }
}

const PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n\
abcdEFGH0123456789+/abcdEFGH0123456789+/abcdEFGH0123456789+/ab==\n\
-----END PRIVATE KEY-----\n";

#[test]
fn edit_round_trips_multi_line_values() {
    let (repo, alice) = edit_repo();
    repo.set_bytes(&alice, "dev", "TLS_KEY", PEM.as_bytes());
    repo.set_bytes(&alice, "dev", "NOTE", b"two lines\nno newline at the end");
    assert_eq!(repo.get(&alice, "dev", "TLS_KEY"), PEM);

    // Unchanged: byte-identical.
    let before = repo.snapshot();
    assert_edit_ok(&repo, &repo.edit(&alice, "dev", "true"));
    assert_same_files(&before, &repo.snapshot());

    // Another secret changed: the multi-line values survive the round trip exactly.
    let change_other = repo.script(
        "other.sh",
        "sed -i 's/^API_TOKEN = .*/API_TOKEN = \"tok_new\"/' \"$1\"",
    );
    assert_edit_ok(&repo, &repo.edit(&alice, "dev", &change_other));
    assert_eq!(repo.get(&alice, "dev", "API_TOKEN"), "tok_new");
    assert_eq!(repo.get(&alice, "dev", "TLS_KEY"), PEM);
    assert_eq!(
        repo.get(&alice, "dev", "NOTE"),
        "two lines\nno newline at the end"
    );

    // A line inside the multi-line value changed.
    let change_pem = repo.script("pem.sh", "sed -i 's/abcdEFGH/zyxwVUTS/g' \"$1\"");
    assert_edit_ok(&repo, &repo.edit(&alice, "dev", &change_pem));
    assert_eq!(
        repo.get(&alice, "dev", "TLS_KEY"),
        PEM.replace("abcdEFGH", "zyxwVUTS")
    );
    assert_eq!(
        repo.get(&alice, "dev", "NOTE"),
        "two lines\nno newline at the end"
    );
}

#[test]
fn edit_gives_up_when_the_editor_saves_the_same_invalid_buffer_again() {
    // A non-interactive editor (or a user who deletes vault's notes and saves the same broken
    // line again) must not loop forever: the second identical invalid attempt aborts.
    let (repo, alice) = edit_repo();
    let editor = counting_editor(
        &repo,
        &[
            "printf 'BROKEN [[[\\n' > \"$1\"",
            "printf 'BROKEN [[[\\n' > \"$1\"",
            "printf 'BROKEN [[[\\n' > \"$1\"",
            "printf 'BROKEN [[[\\n' > \"$1\"",
        ],
    );
    let before = repo.snapshot();
    let out = repo.edit(&alice, "dev", &editor);
    let err = assert_edit_refused(&repo, &before, &out);
    assert!(err.contains("still invalid"), "{err}");
    let count: u32 = runs(&repo).parse().unwrap();
    assert!(count <= 3, "the editor was opened {count} times");
}

#[test]
fn edit_terminated_by_sigterm_removes_the_buffer_and_changes_nothing() {
    let (repo, alice) = edit_repo();
    let ready = repo.base_path("ready");
    // Changes the buffer, signals that it runs, then waits (at most 10 s) to be terminated.
    let editor = repo.script(
        "wait.sh",
        &format!(
            "sed -i 's/^KEEP = .*/KEEP = \"changed\"/' \"$1\"\ntrap 'exit 0' TERM\ntouch '{}'\ni=0\nwhile [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done",
            ready.display()
        ),
    );
    let before = repo.snapshot();
    let log = std::fs::File::create(repo.base_path("edit.log")).unwrap();
    let mut child = std::process::Command::new(vault_bin())
        .current_dir(&repo.root)
        .env_clear()
        .env("PATH", path_with_vault())
        .env("HOME", &repo.home)
        .env("XDG_CONFIG_HOME", repo.home.join(".config"))
        .env("XDG_RUNTIME_DIR", repo.base())
        .env("NO_COLOR", "1")
        .env("VAULT_IDENTITY_FILE", &alice.file)
        .env("EDITOR", &editor)
        .args(["edit", "dev"])
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !ready.exists() {
        assert!(start.elapsed() < TIMEOUT, "the editor never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(repo.edit_leftovers().len(), 1, "no buffer while editing");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < TIMEOUT, "vault edit did not stop");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let log = std::fs::read_to_string(repo.base_path("edit.log")).unwrap();
    assert_eq!(status.code(), Some(143), "{log}");
    assert!(log.contains("interrupted by signal 15"), "{log}");
    assert_eq!(repo.edit_leftovers(), Vec::<std::path::PathBuf>::new());
    assert_same_files(&before, &repo.snapshot());
}

#[test]
fn edit_prefers_visual_over_editor() {
    let (repo, alice) = edit_repo();
    let change = repo.script(
        "change.sh",
        "sed -i 's/^KEEP = .*/KEEP = \"from visual\"/' \"$1\"",
    );
    let out = repo
        .vault(&alice)
        .env("VISUAL", &change)
        .env("EDITOR", "false")
        .args(["edit", "dev"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_edit_ok(&repo, &out);
    assert_eq!(repo.get(&alice, "dev", "KEEP"), "from visual");
    // An empty $VISUAL does not count.
    let out = repo
        .vault(&alice)
        .env("VISUAL", "")
        .env("EDITOR", "false")
        .args(["edit", "dev"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("`false`"), "{}", stderr(&out));
}

#[test]
fn edit_keeps_a_concurrent_write_to_another_secret() {
    let (repo, alice) = edit_repo();
    // While the editor is open, another vault process sets a different secret.
    let editor = repo.script(
        "concurrent.sh",
        "printf 'from another process' | vault set dev OTHER || exit 9\nsed -i 's/^API_TOKEN = .*/API_TOKEN = \"tok_new\"/' \"$1\"",
    );
    let out = repo.edit(&alice, "dev", &editor);
    assert_edit_ok(&repo, &out);
    assert_eq!(repo.get(&alice, "dev", "API_TOKEN"), "tok_new");
    assert_eq!(repo.get(&alice, "dev", "OTHER"), "from another process");
    assert_eq!(repo.get(&alice, "dev", "KEEP"), "kept value");
}

#[test]
fn edit_conflicting_with_a_concurrent_write_saves_nothing() {
    let (repo, alice) = edit_repo();
    let editor = repo.script(
        "conflict.sh",
        "printf 'theirs' | vault set dev API_TOKEN || exit 9\nsed -i 's/^API_TOKEN = .*/API_TOKEN = \"mine\"/; s/^KEEP = .*/KEEP = \"mine too\"/' \"$1\"",
    );
    let out = repo.edit(&alice, "dev", &editor);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("changed while you were editing"), "{err}");
    assert!(err.contains("API_TOKEN"), "{err}");
    assert!(!err.contains("theirs") && !err.contains("mine"), "{err}");
    assert!(err.contains("hint: run `vault edit dev` again"), "{err}");
    assert_eq!(repo.edit_leftovers(), Vec::<std::path::PathBuf>::new());
    assert_eq!(repo.get(&alice, "dev", "API_TOKEN"), "theirs");
    assert_eq!(repo.get(&alice, "dev", "KEEP"), "kept value");
}

// ---------------------------------------------------------------------------------------
// Issue 14, item 5: the buffer never outlives `vault edit`.

/// Starts `vault edit dev` (as alice, `$XDG_RUNTIME_DIR` = the base directory) with an
/// editor that changes the buffer, writes its pid to `editor.pid`, then waits (at most 10
/// s) to be terminated. Returns the child once the editor runs; its output goes to
/// `edit.log`.
fn start_waiting_edit(repo: &TestRepo, alice: &Key) -> std::process::Child {
    let ready = repo.base_path("editor.pid");
    let _ = std::fs::remove_file(&ready);
    let editor = repo.script(
        "wait.sh",
        &format!(
            "sed -i 's/^KEEP = .*/KEEP = \"changed\"/' \"$1\"\ntrap 'exit 0' TERM\necho $$ > '{}.tmp' && mv '{0}.tmp' '{0}'\ni=0\nwhile [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done",
            ready.display()
        ),
    );
    let log = std::fs::File::create(repo.base_path("edit.log")).unwrap();
    let child = repo
        .vault_process(Some(alice))
        .env("EDITOR", &editor)
        .args(["edit", "dev"])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !ready.exists() {
        assert!(start.elapsed() < TIMEOUT, "the editor never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child
}

/// Waits for `child` (at most [`TIMEOUT`]).
fn wait_for(child: &mut std::process::Child) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < TIMEOUT, "vault edit did not stop");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// SIGQUIT, SIGUSR1, SIGALRM and the other catchable terminating signals used to kill
/// `vault edit` with the decrypted buffer left behind. Each now removes it, changes
/// nothing, and exits with 128 + the signal number.
#[test]
fn issue_14_edit_removes_the_buffer_on_every_terminating_signal() {
    use rustix::process::Signal;
    let (repo, alice) = edit_repo();
    let before = repo.snapshot();
    let mut signals: Vec<(String, i32)> = [
        ("QUIT", Signal::QUIT),
        ("USR1", Signal::USR1),
        ("USR2", Signal::USR2),
        ("ALRM", Signal::ALARM),
        ("VTALRM", Signal::VTALARM),
        ("PROF", Signal::PROF),
        ("XCPU", Signal::XCPU),
        ("HUP", Signal::HUP),
    ]
    .into_iter()
    .map(|(name, s)| (name.to_owned(), s.as_raw()))
    .collect();
    if cfg!(target_os = "linux") {
        // A real-time signal (SIGRTMIN + 6 under glibc), sent by number.
        signals.push(("40".to_owned(), 40));
    }
    for (name, number) in signals {
        let mut child = start_waiting_edit(&repo, &alice);
        assert_eq!(repo.edit_leftovers().len(), 1, "no buffer while editing");
        let sent = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{name}");
        let status = wait_for(&mut child);
        let log = std::fs::read_to_string(repo.base_path("edit.log")).unwrap();
        assert_eq!(status.code(), Some(128 + number), "{name}: {log}");
        assert!(
            log.contains(&format!("interrupted by signal {number}")),
            "{name}: {log}"
        );
        assert_eq!(
            repo.edit_leftovers(),
            Vec::<std::path::PathBuf>::new(),
            "{name} left the buffer"
        );
        assert_same_files(&before, &repo.snapshot());
    }
}

/// SIGKILL cannot be caught, so its buffer stays behind; the next `vault edit` removes it
/// (the process that made it is gone) and says so. Buffers of live processes are kept.
#[test]
fn issue_14_edit_removes_buffers_left_by_killed_processes() {
    let (repo, alice) = edit_repo();
    let mut child = start_waiting_edit(&repo, &alice);
    let editor: i32 = std::fs::read_to_string(repo.base_path("editor.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::process::Command::new("kill")
        .arg(editor.to_string())
        .status();
    let left = repo.edit_leftovers();
    assert_eq!(left.len(), 1, "SIGKILL leaves the buffer: {left:?}");
    let buffer = left[0].join("dev.toml");
    assert!(
        std::fs::read_to_string(&buffer)
            .unwrap()
            .contains("tok_old"),
        "it holds plaintext"
    );
    // A buffer whose process is alive (this test) must survive.
    let live = repo.base_path(&format!("vault-edit-{}-live", std::process::id()));
    std::fs::create_dir(&live).unwrap();

    let out = repo.edit(&alice, "dev", "true");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!left[0].exists(), "the stale buffer is still there");
    assert!(
        stderr(&out).contains(&format!("removed {}", left[0].display())),
        "{}",
        stderr(&out)
    );
    assert!(live.exists(), "a live process's buffer was removed");
    assert!(!stderr(&out).contains("tok_old"), "{}", stderr(&out));
}

/// When the runtime directory is not memory-backed (a disk), vault says so before the
/// plaintext is written there; on tmpfs it says nothing. Which kind a directory is comes
/// from `stat -f`, independently of vault.
#[test]
fn issue_14_edit_warns_before_writing_to_a_directory_not_in_memory() {
    let (repo, alice) = edit_repo();
    let fs_type = |dir: &std::path::Path| {
        let out = std::process::Command::new("stat")
            .args(["-f", "-c", "%T"])
            .arg(dir)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let on_disk = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let shm = std::path::Path::new("/dev/shm");
    let mut cases = vec![(on_disk.clone(), fs_type(&on_disk) != "tmpfs")];
    if shm.is_dir() {
        cases.push((shm.to_owned(), fs_type(shm) != "tmpfs"));
    }
    let marker = repo.script("marker.sh", "echo EDITOR-STARTED >&2");
    for (dir, expect_warning) in cases {
        let out = repo
            .vault(&alice)
            .env("XDG_RUNTIME_DIR", &dir)
            .env("EDITOR", &marker)
            .args(["edit", "dev"])
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        let warning = err.find("is on ").filter(|_| err.contains("not in memory"));
        let started = err.find("EDITOR-STARTED").expect("the editor ran");
        if expect_warning {
            let at = warning.unwrap_or_else(|| panic!("{}: no warning:\n{err}", dir.display()));
            assert!(at < started, "warned only after writing:\n{err}");
            assert!(err.contains("$XDG_RUNTIME_DIR"), "{err}");
        } else {
            assert!(warning.is_none(), "{}: {err}", dir.display());
        }
    }
}
