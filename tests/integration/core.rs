//! The core round trip: init, set, get, exec.

use crate::support::*;

#[test]
fn init_set_get_exec_round_trip() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    assert!(repo.path(".vault.toml").is_file());
    assert!(
        repo.read_text("secrets/dev.age")
            .starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
    );
    repo.set(&alice, "dev", "DATABASE_URL", "postgres://localhost/app");
    assert_eq!(
        repo.get(&alice, "dev", "DATABASE_URL"),
        "postgres://localhost/app"
    );
    repo.vault(&alice)
        .args([
            "exec",
            "dev",
            "--",
            "sh",
            "-c",
            "printf %s \"$DATABASE_URL\"",
        ])
        .assert()
        .success()
        .stdout("postgres://localhost/app");
}

#[test]
fn completions_into_a_closed_pipe_exit_quietly() {
    let repo = TestRepo::new();
    let out = repo
        .isolated("bash")
        .args([
            "-c",
            "set -o pipefail; vault completions zsh | head -c 10 >/dev/null; echo \"status=$?\"",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("status=0"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn the_demo_runs_and_never_prints_a_secret_value() {
    let repo = TestRepo::new();
    let out = repo
        .isolated(vault_bin())
        .arg("demo")
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    for value in [
        "dev-pass",
        "Xq9-prod-pass",
        "tok_prod_5d1f0c",
        "tok_dev_77ab12",
    ] {
        assert!(!text.contains(value), "the demo printed {value}:\n{text}");
    }
}

#[test]
fn init_outside_git_uses_the_global_user_name_and_says_what_it_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    std::fs::create_dir_all(&root).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".gitconfig"), "[user]\n\tname = Grace Hopper\n").unwrap();
    let run = |args: &[&str]| {
        assert_cmd::Command::new(vault_bin())
            .current_dir(&root)
            .env_clear()
            .env("PATH", path_with_vault())
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["identity", "new"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["init", "--env", "dev"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(root.join(".vault.toml"))
            .unwrap()
            .contains("[members.grace-hopper]")
    );
    assert!(!stdout(&out).contains("git add"), "{}", stdout(&out));
    assert!(stderr(&out).contains("pre-commit hook"), "{}", stderr(&out));
    let again = run(&["init", "--env", "dev"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("vault member request"),
        "{}",
        stderr(&again)
    );
}
