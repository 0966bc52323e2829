//! `vault log` and `vault diff`: the key-level audit trail from git history.

use crate::support::*;

fn commit_as(repo: &TestRepo, author: &str, message: &str) {
    let out = repo
        .git_cmd()
        .env("GIT_AUTHOR_NAME", author)
        .env(
            "GIT_AUTHOR_EMAIL",
            format!("{}@example.com", author.to_lowercase()),
        )
        .args(["commit", "-q", "-a", "-m", message])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn log_lists_who_changed_which_keys_without_values() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.git(["add", "-A"]);
    repo.git(["commit", "-q", "-m", "add vault"]);
    repo.set(&alice, "dev", "DB_PASSWORD", "first-password-AAAA");
    repo.set(&alice, "dev", "API_TOKEN", "first-token-BBBB");
    commit_as(&repo, "Alice", "dev secrets");
    repo.set(&alice, "dev", "DB_PASSWORD", "second-password-CCCC");
    repo.vault(&alice)
        .args(["unset", "dev", "API_TOKEN"])
        .assert()
        .success();
    commit_as(&repo, "Bob", "rotate db, drop token");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-password-DDDD");
    commit_as(&repo, "Alice", "prod db");

    let out = repo.vault(&alice).args(["log", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    for value in ["AAAA", "BBBB", "CCCC", "DDDD"] {
        assert!(!text.contains(value), "a value leaked into the log: {text}");
    }
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows: Vec<(String, String, String, String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["summary"] != "add vault")
        .map(|r| {
            let list = |k: &str| {
                r[k].as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            (
                r["author"].as_str().unwrap().to_owned(),
                r["env"].as_str().unwrap().to_owned(),
                list("added"),
                list("changed"),
                list("removed"),
            )
        })
        .collect();
    let row = |a: &str, e: &str, add: &str, chg: &str, rm: &str| {
        (
            a.to_owned(),
            e.to_owned(),
            add.to_owned(),
            chg.to_owned(),
            rm.to_owned(),
        )
    };
    assert_eq!(
        rows,
        [
            row("Alice", "prod", "DB_PASSWORD", "", ""),
            row("Bob", "dev", "", "DB_PASSWORD", "API_TOKEN"),
            row("Alice", "dev", "API_TOKEN,DB_PASSWORD", "", ""),
        ],
        "newest first"
    );

    // Filtered by environment and key.
    let out = repo
        .vault(&alice)
        .args(["log", "dev", "API_TOKEN"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.contains("-API_TOKEN") && text.contains("+API_TOKEN"),
        "{text}"
    );

    // Someone who cannot read prod still sees that it changed.
    let carol = repo.key("carol");
    let out = repo.vault(&carol).args(["log", "prod"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("changed (no access)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn diff_shows_key_level_changes_masked_unless_asked() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "KEEP", "keep-value-1111");
    repo.set(&alice, "dev", "CHANGE", "old-value-2222");
    repo.git(["add", "-A"]);
    repo.git(["commit", "-q", "-m", "base"]);
    repo.set(&alice, "dev", "CHANGE", "new-value-3333");
    repo.set(&alice, "dev", "ADDED", "added-value-4444");
    let out = repo.vault(&alice).args(["diff"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("+ ADDED") && text.contains("~ CHANGE") && !text.contains("KEEP"),
        "{text}"
    );
    for value in ["2222", "3333", "4444"] {
        assert!(!text.contains(value), "masked diff shows a value: {text}");
    }
    let shown = stdout(
        &repo
            .vault(&alice)
            .args(["diff", "HEAD", "dev", "--show-values"])
            .output()
            .unwrap(),
    );
    assert!(
        shown.contains("old-value-2222") && shown.contains("new-value-3333"),
        "{shown}"
    );
    repo.vault(&alice)
        .args(["diff", "no-such-rev"])
        .assert()
        .code(2);
}
