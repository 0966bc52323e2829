//! Identities: `identity new` / `show`, the lookup order, passphrase-protected keys without
//! a terminal, and SSH keys as identities.

use std::path::{Path, PathBuf};

use crate::support::*;

fn default_identity(repo: &TestRepo) -> PathBuf {
    repo.home.join(".config/vault/identity.txt")
}

/// A vault whose `dev` holds `SECRET=alice-only`, plus a second key that is not a member.
fn lookup_repo() -> (TestRepo, Key, Key) {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "SECRET", "alice-only");
    let mallory = repo.key("mallory");
    (repo, alice, mallory)
}

fn install_default(repo: &TestRepo, key: &Key) {
    let path = default_identity(repo);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::copy(&key.file, &path).unwrap();
}

fn key_text(key: &Key) -> String {
    std::fs::read_to_string(&key.file).unwrap()
}

/// Runs `get dev SECRET`; `Ok(value)` or `Err(stderr)` after checking the exit code is 2.
fn get_secret(cmd: &mut assert_cmd::Command) -> Result<String, String> {
    let out = cmd
        .args(["get", "dev", "SECRET"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(stdout(&out))
    } else {
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        Err(stderr(&out))
    }
}

fn ssh_keygen(path: &Path, passphrase: &str) -> String {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let out = std::process::Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-C",
            "bob@laptop",
            "-N",
            passphrase,
            "-f",
        ])
        .arg(path)
        .output()
        .expect("ssh-keygen is required for these tests (apt-get install openssh-client)");
    assert!(
        out.status.success(),
        "ssh-keygen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut public = path.as_os_str().to_owned();
    public.push(".pub");
    std::fs::read_to_string(PathBuf::from(public))
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn identity_new_writes_a_private_file_and_prints_the_public_key() {
    let repo = TestRepo::new();
    let out = repo
        .bare_vault()
        .args(["identity", "new"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let public = stdout(&out).trim().to_owned();
    assert!(
        public.starts_with("age1") && !public.contains(' '),
        "{public}"
    );
    assert_eq!(stdout(&out), format!("{public}\n"));
    let path = default_identity(&repo);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(&format!("# public key: {public}")), "{text}");
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("AGE-SECRET-KEY-1"))
            .count(),
        1
    );
    assert!(!stdout(&out).contains("AGE-SECRET-KEY"));
    assert!(!stderr(&out).contains("AGE-SECRET-KEY"));
    // `identity show` derives the same public key from the file.
    repo.bare_vault()
        .args(["identity", "show"])
        .assert()
        .success()
        .stdout(format!("{public}\n"));
}

#[test]
fn identity_new_refuses_to_overwrite() {
    let repo = TestRepo::new();
    repo.bare_vault()
        .args(["identity", "new"])
        .assert()
        .success();
    let path = default_identity(&repo);
    let original = std::fs::read(&path).unwrap();
    let out = repo
        .bare_vault()
        .args(["identity", "new"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("an identity already exists at"), "{err}");
    assert!(err.contains("hint: use `vault identity show`"), "{err}");
    assert!(stdout(&out).is_empty());
    assert_eq!(std::fs::read(&path).unwrap(), original);
    // Same for an explicit --output.
    let other = repo.home.join("other.key");
    std::fs::write(&other, "keep me").unwrap();
    repo.bare_vault()
        .args(["identity", "new", "--output"])
        .arg(&other)
        .assert()
        .code(2);
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "keep me");
}

#[test]
fn identity_new_output_dash_prints_the_secret_key_and_writes_nothing() {
    let repo = TestRepo::new();
    let before = repo.snapshot_all();
    let out = repo
        .bare_vault()
        .args(["identity", "new", "--output", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let secret = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap_or_else(|| panic!("no secret key in {text:?}"));
    assert_same_files(&before, &repo.snapshot_all());
    assert!(!default_identity(&repo).exists());
    // What was printed is a working identity (e.g. for a CI secret).
    repo.bare_vault()
        .env("VAULT_IDENTITY", secret)
        .args(["identity", "show"])
        .assert()
        .success()
        .stdout(predicates::str::starts_with("age1"));
}

#[test]
fn identity_flag_beats_vault_identity() {
    let (repo, alice, mallory) = lookup_repo();
    let ok = get_secret(
        repo.bare_vault()
            .arg("--identity")
            .arg(&alice.file)
            .env("VAULT_IDENTITY", key_text(&mallory)),
    );
    assert_eq!(ok.as_deref(), Ok("alice-only"));
    let err = get_secret(
        repo.bare_vault()
            .arg("--identity")
            .arg(&mallory.file)
            .env("VAULT_IDENTITY", key_text(&alice)),
    )
    .unwrap_err();
    assert!(err.contains("you cannot decrypt `dev`"), "{err}");
    assert!(err.contains("--identity"), "{err}");
    assert!(err.contains("hint: "), "{err}");
}

#[test]
fn vault_identity_beats_vault_identity_file() {
    let (repo, alice, mallory) = lookup_repo();
    let ok = get_secret(
        repo.bare_vault()
            .env("VAULT_IDENTITY", key_text(&alice))
            .env("VAULT_IDENTITY_FILE", &mallory.file),
    );
    assert_eq!(ok.as_deref(), Ok("alice-only"));
    let err = get_secret(
        repo.bare_vault()
            .env("VAULT_IDENTITY", key_text(&mallory))
            .env("VAULT_IDENTITY_FILE", &alice.file),
    )
    .unwrap_err();
    assert!(err.contains("$VAULT_IDENTITY"), "{err}");
}

#[test]
fn vault_identity_file_beats_the_default_file() {
    let (repo, alice, mallory) = lookup_repo();
    install_default(&repo, &mallory);
    let ok = get_secret(repo.bare_vault().env("VAULT_IDENTITY_FILE", &alice.file));
    assert_eq!(ok.as_deref(), Ok("alice-only"));
    // Nothing explicit: the default file (mallory's) is used, and it cannot decrypt.
    let err = get_secret(&mut repo.bare_vault()).unwrap_err();
    assert!(
        err.contains(&default_identity(&repo).display().to_string()),
        "{err}"
    );
    // And the other way round.
    install_default_over(&repo, &alice);
    let err = get_secret(repo.bare_vault().env("VAULT_IDENTITY_FILE", &mallory.file)).unwrap_err();
    assert!(err.contains("$VAULT_IDENTITY_FILE"), "{err}");
    let ok = get_secret(&mut repo.bare_vault());
    assert_eq!(ok.as_deref(), Ok("alice-only"));
}

fn install_default_over(repo: &TestRepo, key: &Key) {
    std::fs::remove_file(default_identity(repo)).unwrap();
    install_default(repo, key);
}

#[test]
fn vault_identity_key_text_works_for_exec() {
    let (repo, alice, _) = lookup_repo();
    for text in [key_text(&alice), secret_key_line(&alice)] {
        repo.bare_vault()
            .env("VAULT_IDENTITY", text)
            .args(["exec", "dev", "--", "printenv", "SECRET"])
            .timeout(TIMEOUT)
            .assert()
            .success()
            .stdout("alice-only\n");
    }
}

#[test]
fn no_identity_anywhere_is_exit_2_with_a_hint() {
    let (repo, _, _) = lookup_repo();
    let before = repo.snapshot();
    let out = repo
        .bare_vault()
        .args(["get", "dev", "SECRET"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no identity found"), "{err}");
    assert!(
        err.contains("hint: ") && err.contains("vault identity new"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
    assert_same_files(&before, &repo.snapshot());
    repo.bare_vault()
        .args(["exec", "dev", "--", "true"])
        .timeout(TIMEOUT)
        .assert()
        .code(125);
}

fn protected_identity(path: &Path) -> String {
    let created = vault::identity::generate(jiff::Timestamp::now());
    let bytes = vault::identity::protect(
        &created,
        Some(age::secrecy::SecretString::from("pw".to_owned())),
    )
    .unwrap();
    write_key_file(path, &bytes[..]);
    created.public
}

#[test]
fn passphrase_identity_without_terminal_fails_fast_naming_vault_identity() {
    let (repo, alice, _) = lookup_repo();
    let file = repo.home.join("protected.key");
    let public = protected_identity(&file);
    repo.write_roster(&roster(
        &[("alice", &[&alice.public]), ("pat", &[&public])],
        &[("dev", &["alice", "pat"])],
    ));
    repo.set(&alice, "dev", "SECRET", "for-alice-and-pat");
    let before = repo.snapshot();

    let out = repo
        .detached_vault()
        .env("VAULT_IDENTITY_FILE", &file)
        .args(["get", "dev", "SECRET"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("passphrase"), "{err}");
    assert!(err.contains("VAULT_IDENTITY"), "{err}");
    assert!(stdout(&out).is_empty());

    // The same from the default location, and for exec (125, nothing started).
    std::fs::create_dir_all(repo.home.join(".config/vault")).unwrap();
    std::fs::copy(&file, default_identity(&repo)).unwrap();
    let out = repo
        .detached_vault()
        .args(["exec", "dev", "--", "true"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(err.contains("VAULT_IDENTITY"), "{err}");
    std::fs::remove_file(default_identity(&repo)).unwrap();
    assert_same_files(&before, &repo.snapshot());
}

#[test]
fn ssh_ed25519_identity_is_found_at_the_default_path() {
    let (repo, alice, _) = lookup_repo();
    let private = repo.home.join(".ssh/id_ed25519");
    let public = ssh_keygen(&private, "");
    assert!(public.starts_with("ssh-ed25519 "), "{public}");
    repo.write_roster(&roster(
        &[("alice", &[&alice.public]), ("bob", &[&public])],
        &[("dev", &["alice", "bob"])],
    ));
    // A roster change takes effect through a re-key, never through a routine write.
    repo.vault(&alice)
        .args(["rekey", "--yes"])
        .assert()
        .success();
    repo.set(&alice, "dev", "SECRET", "for-alice-and-bob");
    let summary = repo.read_text("secrets/dev.recipients");
    let canonical = public.rsplit_once(' ').unwrap().0;
    assert!(
        summary.contains(&format!("{canonical}  # bob")),
        "{summary}"
    );
    assert!(!default_identity(&repo).exists());

    repo.bare_vault()
        .args(["exec", "dev", "--", "printenv", "SECRET"])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout("for-alice-and-bob\n");
    repo.bare_vault()
        .args(["identity", "show"])
        .assert()
        .success()
        .stdout(format!("{canonical}\n"));
    // Bob is a full member: his writes keep alice a recipient.
    repo.bare_vault()
        .args(["set", "dev", "FROM_BOB"])
        .write_stdin("hello")
        .assert()
        .success();
    assert_eq!(repo.get(&alice, "dev", "FROM_BOB"), "hello");
}

#[test]
fn passphrase_ssh_key_without_terminal_fails_naming_vault_identity() {
    let (repo, alice, _) = lookup_repo();
    let private = repo.home.join(".ssh/id_ed25519");
    let public = ssh_keygen(&private, "pw");
    repo.write_roster(&roster(
        &[("alice", &[&alice.public]), ("bob", &[&public])],
        &[("dev", &["alice", "bob"])],
    ));
    repo.set(&alice, "dev", "SECRET", "for-alice-and-bob");
    let before = repo.snapshot();
    let out = repo
        .detached_vault()
        .args(["get", "dev", "SECRET"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("passphrase"), "{err}");
    assert!(err.contains("VAULT_IDENTITY"), "{err}");
    assert!(stdout(&out).is_empty());
    assert_same_files(&before, &repo.snapshot());
}

#[test]
fn invalid_or_missing_identities_are_explained_without_key_material() {
    let (repo, _, _) = lookup_repo();
    let garbage = "AGE-SECRET-KEY-1CANARYNOTAREALKEY";
    let out = repo
        .bare_vault()
        .env("VAULT_IDENTITY", garbage)
        .args(["get", "dev", "SECRET"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("$VAULT_IDENTITY") && err.contains("not a valid key"),
        "{err}"
    );
    assert!(!err.contains("CANARY"), "key material leaked: {err}");
    assert!(err.contains("hint: "), "{err}");

    let missing = repo.home.join("no-such.key");
    let out = repo
        .bare_vault()
        .arg("--identity")
        .arg(&missing)
        .args(["get", "dev", "SECRET"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&missing.display().to_string()), "{err}");
    assert!(err.contains("hint: "), "{err}");
}

// ---------------------------------------------------------------------------------------
// Issue 14, item 8: identity files other users can read.

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Identity files readable (or writable) by group or others are refused, as ssh refuses
/// such private keys, wherever they come from; the error gives the `chmod` to run. Files
/// `vault identity new` writes are 0600 whatever the umask.
#[test]
fn issue_14_identity_files_other_users_can_read_are_refused() {
    let (repo, alice, _) = lookup_repo();
    assert_eq!(mode(&alice.file), 0o600, "the harness keys are private");

    // `identity new` ignores a permissive umask.
    let made = repo.base_path("made.key");
    let out = repo
        .isolated("sh")
        .arg("-c")
        .arg(format!(
            "umask 000 && vault identity new --output '{}'",
            made.display()
        ))
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&made), 0o600);

    let refused = |cmd: &mut assert_cmd::Command, path: &Path, shown: &str| {
        let err = get_secret(cmd).unwrap_err();
        assert!(err.contains(&format!("(mode {shown})")), "{err}");
        assert!(err.contains("refuses to use it"), "{err}");
        assert!(
            err.contains(&format!("hint: run `chmod 600 {}`", path.display())),
            "{err}"
        );
        assert!(!err.contains("alice-only"), "{err}");
    };
    for (bits, shown) in [(0o644, "0644"), (0o666, "0666"), (0o640, "0640")] {
        chmod(&alice.file, bits);
        refused(&mut repo.vault(&alice), &alice.file, shown);
        let mut flag = repo.bare_vault();
        flag.arg("--identity").arg(&alice.file);
        refused(&mut flag, &alice.file, shown);
    }
    chmod(&alice.file, 0o600);
    assert_eq!(get_secret(&mut repo.vault(&alice)), Ok("alice-only".into()));

    // The default file and the SSH keys found by the search are held to the same rule.
    install_default(&repo, &alice);
    let default = default_identity(&repo);
    chmod(&default, 0o644);
    refused(&mut repo.bare_vault(), &default, "0644");
    chmod(&default, 0o600);
    assert_eq!(get_secret(&mut repo.bare_vault()), Ok("alice-only".into()));
    std::fs::remove_file(&default).unwrap();
    let private = repo.home.join(".ssh/id_ed25519");
    ssh_keygen(&private, "");
    chmod(&private, 0o644);
    refused(&mut repo.bare_vault(), &private, "0644");
}
