//! Single-secret commands (`set`, `get`, `unset`, `ls`), the escape hatches (`import`,
//! `export`), concurrent writers, and interoperability with stock age.

use std::io::Read;

use crate::support::*;

#[test]
fn set_from_stdin_strips_exactly_one_trailing_newline() {
    let (repo, alice) = TestRepo::with_vault("dev");
    for (input, stored) in [
        ("plain", "plain"),
        ("one newline\n", "one newline"),
        ("two newlines\n\n", "two newlines\n"),
        ("crlf\r\n", "crlf"),
        ("  spaces kept  \n", "  spaces kept  "),
        ("\n", ""),
    ] {
        repo.set(&alice, "dev", "V", input);
        assert_eq!(repo.get(&alice, "dev", "V"), stored, "input {input:?}");
    }
}

#[test]
fn set_from_file_keeps_the_bytes_exactly() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let value = "line 1\nline 2\r\n\ttabbed \u{1F511}\n\n";
    repo.set_bytes(&alice, "dev", "FILE_VALUE", value.as_bytes());
    assert_eq!(repo.get(&alice, "dev", "FILE_VALUE"), value);
    repo.vault(&alice)
        .args(["exec", "dev", "--", "printenv", "FILE_VALUE"])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout(format!("{value}\n"));
}

#[test]
fn set_value_on_the_command_line_works_and_warns() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let out = repo
        .vault(&alice)
        .args(["set", "dev", "CLI_VALUE", "on-the-command-line-CANARY"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("warning: ") && err.contains("shell history"),
        "{err}"
    );
    assert!(!err.contains("CANARY"), "{err}");
    assert!(stdout(&out).is_empty());
    assert_eq!(
        repo.get(&alice, "dev", "CLI_VALUE"),
        "on-the-command-line-CANARY"
    );
}

#[test]
fn set_from_empty_stdin_without_terminal_is_refused_without_prompting() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let before = repo.snapshot();
    // No stdin and no terminal: an empty pipe is refused (an unset variable, usually), not a hang.
    let out = repo
        .detached_vault()
        .env("VAULT_IDENTITY_FILE", &alice.file)
        .args(["set", "dev", "EMPTY"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no value given for `EMPTY`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(repo.snapshot(), before);
}

#[test]
fn set_same_value_twice_keeps_rotated_at_and_the_file() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "TOKEN", "same");
    let rotated = repo.rotated_at(&alice, "dev", "TOKEN");
    let file = repo.read("secrets/dev.age");
    let out = repo
        .vault(&alice)
        .args(["set", "dev", "TOKEN"])
        .write_stdin("same\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("already has this value"),
        "{}",
        stderr(&out)
    );
    assert_eq!(repo.rotated_at(&alice, "dev", "TOKEN"), rotated);
    assert_eq!(
        repo.read("secrets/dev.age"),
        file,
        "a no-op set rewrote the file"
    );
    // A different value moves rotated_at.
    repo.set(&alice, "dev", "TOKEN", "different");
    assert_ne!(repo.rotated_at(&alice, "dev", "TOKEN"), rotated);
}

#[test]
fn unset_removes_and_missing_is_exit_2() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "GONE", "x");
    repo.set(&alice, "dev", "STAYS", "y");
    repo.vault(&alice)
        .args(["unset", "dev", "GONE"])
        .assert()
        .success();
    assert_eq!(repo.names(&alice, "dev"), ["STAYS"]);
    let before = repo.snapshot();
    let out = repo
        .vault(&alice)
        .args(["unset", "dev", "GONE"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("`GONE` is not set in `dev`"), "{err}");
    assert!(
        err.contains("hint: list the secrets with `vault ls dev`"),
        "{err}"
    );
    assert_same_files(&before, &repo.snapshot());
}

#[test]
fn get_missing_is_exit_2() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "PRESENT", "x");
    let out = repo
        .vault(&alice)
        .args(["get", "dev", "ABSENT"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(stdout(&out).is_empty());
    assert!(err.contains("`ABSENT` is not set in `dev`"), "{err}");
    assert!(err.contains("hint: "), "{err}");
}

#[test]
fn ls_never_prints_values() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(
        &alice,
        "dev",
        "DATABASE_URL",
        "postgres://u:CANARY_pw_91f3@db/app", // vault:allow (test data)
    );
    repo.set(&alice, "dev", "API_TOKEN", "CANARY_token_5e2a");
    for args in [&["ls", "dev"][..], &["ls", "dev", "--json"][..]] {
        let out = repo.vault(&alice).args(args).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let (o, e) = (stdout(&out), stderr(&out));
        assert!(o.contains("DATABASE_URL") && o.contains("API_TOKEN"), "{o}");
        assert!(
            !o.contains("CANARY") && !e.contains("CANARY"),
            "{args:?}: {o}{e}"
        );
    }
    let doc = repo.ls_json(&alice, "dev");
    assert_eq!(doc["environment"], "dev");
    assert_eq!(repo.names(&alice, "dev"), ["API_TOKEN", "DATABASE_URL"]);
    for entry in doc["secrets"].as_array().unwrap() {
        assert!(entry.get("value").is_none(), "{entry}");
        assert!(
            entry["rotated_at"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .is_ok(),
            "{entry}"
        );
    }
}

/// Values that stress quoting in every export format.
const TRICKY: &[(&str, &str)] = &[
    ("PLAIN", "simple-value_1.2/3:4@5%6+7=8"),
    ("SPACES", "  leading and trailing  "),
    ("SINGLE", "it's"),
    ("DOUBLE", "say \"hi\""),
    ("DOLLAR", "$HOME ${HOME} $(echo no) `echo no`"),
    ("BACKSLASH", "C:\\path\\n not a newline"),
    ("MULTI", "line one\nline two\n"),
    ("HASH", "value # not a comment"),
    ("EMPTY", ""),
    ("UNICODE", "gr\u{fc}\u{df}e \u{1F511}"),
    ("TAB", "a\tb"),
];

fn tricky_repo() -> (TestRepo, Key) {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    for (name, value) in TRICKY {
        repo.set_bytes(&alice, "dev", name, value.as_bytes());
    }
    (repo, alice)
}

fn export(repo: &TestRepo, key: &Key, format: &str) -> String {
    let out = repo
        .vault(key)
        .args(["export", "dev", "--format", format])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn export_shell_evaluates_to_the_exact_values() {
    let (repo, alice) = tricky_repo();
    let text = export(&repo, &alice, "shell");
    let script = repo.base_path("export.sh");
    std::fs::write(&script, &text).unwrap();
    for (name, value) in TRICKY {
        let probe = format!(". '{}'; printf '%s' \"${name}\"", script.display());
        let out = std::process::Command::new("sh")
            .env_clear()
            .env("HOME", "/nonexistent-home")
            .args(["-c", &probe])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out), *value, "{name} via:\n{text}");
    }
    // `export` makes them visible to children too.
    let out = std::process::Command::new("sh")
        .env_clear()
        .args([
            "-c",
            &format!("eval \"$(cat '{}')\"; printenv PLAIN", script.display()),
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), format!("{}\n", TRICKY[0].1));
}

#[test]
fn export_json_holds_the_exact_values() {
    let (repo, alice) = tricky_repo();
    let doc: serde_json::Value = serde_json::from_str(&export(&repo, &alice, "json")).unwrap();
    let object = doc.as_object().unwrap();
    assert_eq!(object.len(), TRICKY.len());
    for (name, value) in TRICKY {
        assert_eq!(object[*name].as_str(), Some(*value), "{name}");
    }
}

#[test]
fn export_dotenv_imports_back_to_the_same_values() {
    let (repo, alice) = tricky_repo();
    let text = export(&repo, &alice, "dotenv");
    assert_eq!(
        text.lines().count(),
        TRICKY.len(),
        "one line per secret:\n{text}"
    );
    let file = repo.base_path("exported.env");
    std::fs::write(&file, &text).unwrap();
    repo.vault(&alice)
        .args(["import", "prod"])
        .arg(&file)
        .assert()
        .success();
    for (name, value) in TRICKY {
        assert_eq!(repo.get(&alice, "prod", name), *value, "{name}");
    }
    // The default format is dotenv.
    repo.vault(&alice)
        .args(["export", "dev"])
        .assert()
        .success()
        .stdout(text);
}

#[test]
fn import_reads_quotes_escapes_multiline_export_prefix_and_comments() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let dotenv = r#"# a comment line
   # an indented comment

PLAIN=plain value   # trailing comment
export EXPORTED=from-export
SINGLE='literal $HOME \n stays'
DOUBLE="tab\there \"quoted\" \$dollar newline\nend"
MULTI="first line
second line"
SINGLE_MULTI='a
b'
  SPACED  =  trimmed
HASHED=a#b
EMPTY=
"#;
    let file = repo.base_path("in.env");
    std::fs::write(&file, dotenv).unwrap();
    let out = repo
        .vault(&alice)
        .args(["import", "dev"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("imported 9 secrets"),
        "{}",
        stderr(&out)
    );
    for (name, value) in [
        ("PLAIN", "plain value"),
        ("EXPORTED", "from-export"),
        ("SINGLE", "literal $HOME \\n stays"),
        ("DOUBLE", "tab\there \"quoted\" $dollar newline\nend"),
        ("MULTI", "first line\nsecond line"),
        ("SINGLE_MULTI", "a\nb"),
        ("SPACED", "trimmed"),
        ("HASHED", "a#b"),
        ("EMPTY", ""),
    ] {
        assert_eq!(repo.get(&alice, "dev", name), value, "{name}");
    }
    // From stdin too.
    repo.vault(&alice)
        .args(["import", "dev", "-"])
        .write_stdin("FROM_STDIN='yes'\n")
        .assert()
        .success();
    assert_eq!(repo.get(&alice, "dev", "FROM_STDIN"), "yes");
}

#[test]
fn import_error_names_the_line_not_the_value_and_changes_nothing() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "EXISTING", "old");
    let file = repo.base_path("bad.env");
    for (text, line) in [
        ("GOOD=fine\nEXISTING=new\nBAD=\"CANARY_9c1\\q\"\n", "line 3"),
        ("GOOD=fine\n\nCMD=$(echo CANARY_9c1)\n", "line 3"),
        ("GOOD=fine\nOPEN='CANARY_9c1\nnever closed\n", "line 2"),
        ("GOOD=fine\nnot an assignment CANARY_9c1\n", "line 2"),
        ("GOOD=fine\nGOOD=CANARY_9c1\n", "line 2"),
    ] {
        std::fs::write(&file, text).unwrap();
        let before = repo.snapshot();
        let out = repo
            .vault(&alice)
            .args(["import", "dev"])
            .arg(&file)
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{text:?}: {err}");
        assert!(err.contains(line), "{text:?}: {err}");
        assert!(!err.contains("CANARY"), "the value leaked: {err}");
        assert!(err.contains("hint: "), "{err}");
        assert_same_files(&before, &repo.snapshot());
        assert_eq!(repo.get(&alice, "dev", "EXISTING"), "old");
    }
}

#[test]
fn concurrent_sets_lose_nothing() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let writers: Vec<std::process::Child> = (0..4)
        .map(|w| {
            let script = format!(
                "for i in 0 1 2 3 4 5 6 7 8 9; do printf 'value-{w}-%s' $i | vault set dev KEY_{w}_$i || exit 1; done"
            );
            std::process::Command::new("sh")
                .current_dir(&repo.root)
                .env_clear()
                .env("PATH", path_with_vault())
                .env("HOME", &repo.home)
                .env("XDG_CONFIG_HOME", repo.home.join(".config"))
                .env("NO_COLOR", "1")
                .env("VAULT_IDENTITY_FILE", &alice.file)
                .args(["-c", &script])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut writer in writers {
        let status = writer.wait().unwrap();
        let mut err = String::new();
        writer
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(status.success(), "a writer failed: {err}");
    }
    let names = repo.names(&alice, "dev");
    assert_eq!(names.len(), 40, "{names:?}");
    let exported = export(&repo, &alice, "dotenv");
    for w in 0..4 {
        for i in 0..10 {
            assert!(
                exported.contains(&format!("KEY_{w}_{i}=value-{w}-{i}\n")),
                "KEY_{w}_{i} missing"
            );
        }
    }
    let leftovers: Vec<_> = std::fs::read_dir(repo.path("secrets"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".vault-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn value_at_the_size_limit_is_stored_and_passed_to_exec() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let value = "v".repeat(120 * 1024);
    repo.set_bytes(&alice, "dev", "BIG", value.as_bytes());
    repo.vault(&alice)
        .args([
            "exec",
            "dev",
            "--",
            "sh",
            "-c",
            "printf %s \"$BIG\" | wc -c",
        ])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout(predicates::str::contains("122880"));
}

// ---- Interoperability: our files are plain age, readable without vault. ----

#[test]
fn stock_age_cli_decrypts_our_file() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(
        &alice,
        "dev",
        "DATABASE_URL",
        "postgres://interop@localhost/app",
    );
    let found = std::process::Command::new("age").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "the `age` CLI is required for this test: install it (`apt-get install age`)"
    );
    let out = std::process::Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&alice.file)
        .arg(repo.path("secrets/dev.age"))
        .output()
        .unwrap();
    assert!(out.status.success(), "age -d failed: {}", stderr(&out));
    let plaintext = stdout(&out);
    assert!(plaintext.contains("environment = \"dev\""), "{plaintext}");
    assert!(
        plaintext.contains("postgres://interop@localhost/app"),
        "{plaintext}"
    );
}

#[test]
fn age_crate_decrypts_our_file_independently() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "prod", "API_TOKEN", "tok_interop");
    let identity: age::x25519::Identity = secret_key_line(&alice).parse().unwrap();
    let armored = repo.read("secrets/prod.age");
    let decryptor = age::Decryptor::new(age::armor::ArmoredReader::new(&armored[..])).unwrap();
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .unwrap();
    let mut plaintext = String::new();
    reader.read_to_string(&mut plaintext).unwrap();
    let doc: toml::Table = plaintext.parse().unwrap();
    assert_eq!(doc["format"].as_integer(), Some(2));
    assert_eq!(doc["environment"].as_str(), Some("prod"));
    assert_eq!(
        doc["secrets"]["API_TOKEN"]["value"].as_str(),
        Some("tok_interop")
    );
    let recipients = doc["recipients"].as_array().unwrap();
    assert_eq!(recipients.len(), 1);
    assert_eq!(recipients[0].as_str(), Some(alice.public.as_str()));
}

#[test]
fn set_warns_when_a_value_breaks_the_template_but_stores_it() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.write(
        ".secrets.example.toml",
        "[STRIPE_KEY]\npattern = { prod = \"^sk_live_\", \"*\" = \"^sk_test_\" }\n",
    );
    let value = format!("{}{}", "sk_test_", "abcdefghijklmnop");
    let out = repo
        .vault(&alice)
        .args(["set", "prod", "STRIPE_KEY"])
        .write_stdin(value.clone())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning:") && err.contains("^sk_live_"),
        "{err}"
    );
    assert!(!err.contains(&value), "the value must not be echoed: {err}");
    assert_eq!(repo.get(&alice, "prod", "STRIPE_KEY"), value);
    let out = repo
        .vault(&alice)
        .args(["set", "dev", "UNDOCUMENTED"])
        .write_stdin("x")
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("not declared in .secrets.example.toml"),
        "{}",
        stderr(&out)
    );
}

/// Runs `vault ARGS` on a pseudo-terminal (python3's pty module), typing each of `lines`
/// when a prompt appears. Returns (exit code, everything the terminal showed).
fn on_terminal(repo: &TestRepo, key: &Key, args: &[&str], lines: &[&str]) -> (i32, String) {
    let script = r#"
import os, pty, sys, termios, time
argv = sys.argv[1:sys.argv.index("--")]
lines = sys.argv[sys.argv.index("--") + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b""
for line in lines:
    deadline = time.time() + 10
    while b": " not in out.split(b"\n")[-1] and time.time() < deadline:
        try:
            out += os.read(fd, 4096)
        except OSError:
            break
    # rpassword turns echo off just after printing the prompt: wait until it has (the
    # master side reports the terminal's settings), however loaded the machine is.
    deadline = time.time() + 10
    while termios.tcgetattr(fd)[3] & termios.ECHO and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    os.write(fd, line.encode() + b"\n")
    out += b"\n"
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let mut cmd = repo.isolated("python3");
    cmd.env("VAULT_IDENTITY_FILE", &key.file)
        .env("PATH", std::env::var_os("PATH").unwrap())
        .arg("-c")
        .arg(script)
        .arg(vault_bin())
        .args(args)
        .arg("--")
        .args(lines)
        .timeout(TIMEOUT);
    let out = cmd.output().unwrap();
    (out.status.code().unwrap_or(-1), stdout(&out))
}

#[test]
fn the_hidden_prompt_asks_twice_and_refuses_empty_or_different_values() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let (code, shown) = on_terminal(&repo, &alice, &["set", "dev", "TOKEN"], &[""]);
    assert_eq!(code, 2, "{shown}");
    let (code, shown) = on_terminal(
        &repo,
        &alice,
        &["set", "dev", "TOKEN"],
        &["one-value", "another"],
    );
    assert_eq!(code, 2, "{shown}");
    assert!(shown.contains("differ"), "{shown}");
    assert!(
        !shown.contains("one-value") && !shown.contains("another"),
        "echoed: {shown}"
    );
    let (code, shown) = on_terminal(
        &repo,
        &alice,
        &["set", "dev", "TOKEN"],
        &["same-value", "same-value"],
    );
    assert_eq!(code, 0, "{shown}");
    assert_eq!(repo.get(&alice, "dev", "TOKEN"), "same-value");
}

#[test]
fn ls_without_an_environment_lists_them_with_readers_and_counts() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "A", "value-a");
    repo.set(&alice, "dev", "B", "value-b");
    let bob = repo.onboard(&alice, "bob", "dev");
    let out = repo.vault(&bob).arg("ls").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let dev = text.lines().find(|l| l.starts_with("dev")).unwrap();
    assert!(dev.contains(" 2 ") && dev.contains("alice, bob"), "{text}");
    let prod = text.lines().find(|l| l.starts_with("prod")).unwrap();
    assert!(prod.contains(" - ") && prod.contains("alice"), "{text}");
    let (_, doc) = TestRepo::json_of(repo.vault(&alice).args(["ls", "--json"]));
    assert_eq!(doc["environments"][0]["secrets"], 2, "{doc}");
}
