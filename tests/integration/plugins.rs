//! age plugin keys (YubiKey, TPM, …) as members' keys, exercised with the test plugin in
//! `examples/age-plugin-vaulttest.rs`: onboarding a plugin key, a second key for a member,
//! decrypting with a plugin identity, and clear errors when the plugin is missing or fails.

use std::path::PathBuf;

use crate::support::{TestRepo, assert_same_files, stderr, stdout, vault_bin, write_key_file};

/// The directory holding `age-plugin-vaulttest`, built once per test run: `cargo test
/// --all-targets` compiles examples only as test harnesses, not as the plain binary.
fn plugin_dir() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let status = std::process::Command::new(option_env!("CARGO").unwrap_or("cargo"))
                .args(["build", "--quiet", "--example", "age-plugin-vaulttest"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .unwrap();
            assert!(status.success(), "building the test plugin failed");
            vault_bin().parent().unwrap().join("examples")
        })
        .clone()
}

/// `PATH` with the plugin first.
fn path_with_plugin() -> std::ffi::OsString {
    let mut paths = vec![plugin_dir()];
    paths.extend(std::env::split_paths(&crate::support::path_with_vault()));
    std::env::join_paths(paths).unwrap()
}

/// `vault` run with a plugin identity file, the plugin on `PATH`.
fn with_plugin_identity(repo: &TestRepo, file: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = repo.bare_vault();
    cmd.env("PATH", path_with_plugin())
        .env("VAULT_IDENTITY_FILE", file);
    cmd
}

/// A plugin identity file for `name` in the repo's HOME, and its recipient.
fn plugin_key(repo: &TestRepo, name: &str) -> (PathBuf, String) {
    let out = std::process::Command::new(plugin_dir().join("age-plugin-vaulttest"))
        .arg("--generate")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# recipient: "))
        .unwrap()
        .to_owned();
    assert!(recipient.starts_with("age1vaulttest1"), "{recipient}");
    let file = repo.home.join(format!("{name}.plugin-key"));
    write_key_file(&file, text);
    (file, recipient)
}

#[test]
fn a_plugin_key_member_is_onboarded_and_decrypts_through_the_plugin() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-password-1234");
    let (bob_file, bob_key) = plugin_key(&repo, "bob");

    repo.bare_vault()
        .args(["member", "request", "bob", "--key", &bob_key])
        .assert()
        .success();

    // Without the plugin, encrypting to bob's key is impossible: a clear error, no change.
    let before = repo.snapshot_all();
    let out = repo
        .vault(&alice)
        .args(["member", "add", "bob", "--env", "prod", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("cannot encrypt `prod`"), "{err}");
    assert!(
        err.contains("`age-plugin-vaulttest` is not installed"),
        "{err}"
    );
    assert!(err.contains("install age-plugin-vaulttest"), "{err}");
    assert_same_files(&before, &repo.snapshot_all());

    repo.vault(&alice)
        .env("PATH", path_with_plugin())
        .args(["member", "add", "bob", "--env", "prod", "--yes"])
        .assert()
        .success();
    assert!(
        repo.read_text("secrets/prod.recipients")
            .contains(&format!("{bob_key}  # bob"))
    );

    // bob decrypts with his plugin identity, through the plugin.
    let get = with_plugin_identity(&repo, &bob_file)
        .args(["get", "prod", "DB_PASSWORD"])
        .output()
        .unwrap();
    assert!(get.status.success(), "{}", stderr(&get));
    assert_eq!(stdout(&get), "prod-password-1234");
    let show = with_plugin_identity(&repo, &bob_file)
        .args(["identity", "show"])
        .output()
        .unwrap();
    assert!(show.status.success(), "{}", stderr(&show));
    assert_eq!(stdout(&show).trim(), bob_key);

    // Without the plugin his identity cannot be used, and the error says what to install.
    let out = repo
        .bare_vault()
        .env("VAULT_IDENTITY_FILE", &bob_file)
        .args(["get", "prod", "DB_PASSWORD"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("needs `age-plugin-vaulttest`"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains("prod-password"));

    // Everything that does not encrypt to bob works without the plugin: alice reads, the
    // key-free check sees no drift.
    assert_eq!(
        repo.get(&alice, "prod", "DB_PASSWORD"),
        "prod-password-1234"
    );
    repo.bare_vault().arg("check").assert().success();
    // bob cannot read dev.
    let dev = with_plugin_identity(&repo, &bob_file)
        .args(["get", "dev", "X"])
        .output()
        .unwrap();
    assert_eq!(dev.status.code(), Some(2));
}

#[test]
fn a_hardware_key_as_a_second_key_rekeys_the_members_environments() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "API", "dev-api-value");
    repo.set(&alice, "prod", "API", "prod-api-value");
    let (yubikey, recipient) = plugin_key(&repo, "alice-yubikey");

    let out = repo
        .vault(&alice)
        .env("PATH", path_with_plugin())
        .args(["member", "key", "add", "alice", &recipient, "--yes"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for env in ["dev", "prod"] {
        let get = with_plugin_identity(&repo, &yubikey)
            .args(["get", env, "API"])
            .output()
            .unwrap();
        assert!(get.status.success(), "{env}: {}", stderr(&get));
        assert_eq!(stdout(&get), format!("{env}-api-value"));
    }

    // A plugin that refuses to wrap fails the write cleanly.
    let before = repo.snapshot_all();
    let out = repo
        .vault(&alice)
        .env("PATH", path_with_plugin())
        .env("VAULTTEST_REFUSE", "1")
        .args(["set", "prod", "API"])
        .write_stdin("new-value")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("the age plugin failed"), "{err}");
    assert!(err.contains("refusing to wrap"), "{err}");
    assert!(!err.contains("new-value"));
    assert_same_files(&before, &repo.snapshot_all());
}

#[test]
fn malformed_plugin_recipients_and_identities_are_refused_clearly() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let out = repo
        .vault(&alice)
        .args([
            "member",
            "request",
            "eve",
            "--key",
            "age1vaulttest1notbech32",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("plugin recipient"),
        "{}",
        stderr(&out)
    );

    let bad = repo.home.join("bad.key");
    write_key_file(&bad, "AGE-PLUGIN-VAULTTEST-1NOTVALID\n");
    let out = repo
        .bare_vault()
        .env("VAULT_IDENTITY_FILE", &bad)
        .args(["get", "dev", "X"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a valid age plugin identity"),
        "{}",
        stderr(&out)
    );
}
