//! Team keys: `vault member request/add/remove/key add`, `vault rekey`, `vault access`,
//! the recipients summary and its tamper check, and the confirmation every re-key needs.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::*;

/// `get` as `key`'s owner, expected to fail: returns (exit code, stderr).
fn get_fails(repo: &TestRepo, key: &Key, env: &str, name: &str) -> (Option<i32>, String) {
    let out = repo
        .vault(key)
        .args(["get", env, name])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(
        out.stdout.is_empty(),
        "a failing get printed: {}",
        stdout(&out)
    );
    (out.status.code(), stderr(&out))
}

/// The secrets `vault ls --json` reports as marked must-rotate, by name.
fn marks(repo: &TestRepo, key: &Key, env: &str) -> BTreeMap<String, bool> {
    repo.ls_json(key, env)["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                !s["must_rotate"].is_null(),
            )
        })
        .collect()
}

/// `vault check --json` as `key`'s owner: (exit code, report).
fn check_json(repo: &TestRepo, key: &Key) -> (Option<i32>, Value) {
    let (code, mut report) = TestRepo::json_of(repo.vault(key).args(["check", "--json"]));
    without_legacy_recipients(&mut report);
    (code, report)
}

/// (code, env, secret) of every finding in a `check --json` report.
fn findings(report: &Value) -> Vec<(String, Option<String>, Option<String>)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["env"].as_str().map(str::to_owned),
                f["secret"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// dev, staging and prod with secrets; alice reads all three, bob reads dev and staging.
fn team() -> (TestRepo, Key, Key) {
    let (repo, alice) = TestRepo::with_vault("dev,staging,prod");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.set(&alice, "dev", "API_TOKEN", "dev-api-token");
    repo.set(&alice, "staging", "DB_PASSWORD", "staging-db-password");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    repo.set(&alice, "prod", "PROD_ONLY", "prod-only-value");
    let bob = repo.onboard(&alice, "bob", "dev,staging");
    (repo, alice, bob)
}

// ---------------------------------------------------------------------------------------
// Onboarding

#[test]
fn request_then_add_lets_the_newcomer_read_only_the_granted_environment() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    let prod_before = repo.env_files("prod");

    let bob = repo.key("bob");
    repo.vault(&bob)
        .args(["member", "request", "bob"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    // Requested, not granted: bob still reads nothing.
    let (code, err) = get_fails(&repo, &bob, "dev", "DB_PASSWORD");
    assert_eq!(code, Some(2), "{err}");

    let out = repo
        .vault(&alice)
        .args(["member", "add", "bob", "--env", "dev", "--yes"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("re-keyed secrets/dev.age"),
        "{}",
        stdout(&out)
    );

    repo.vault(&bob)
        .args([
            "exec",
            "dev",
            "--",
            "sh",
            "-c",
            "printf %s \"$DB_PASSWORD\"",
        ])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout("dev-db-password");

    let (code, err) = get_fails(&repo, &bob, "prod", "DB_PASSWORD");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("`prod`"), "{err}");
    assert!(err.contains("cannot decrypt"), "{err}");
    assert!(err.contains("not") && err.contains("recipient"), "{err}");
    assert!(
        err.contains("hint:") && err.contains("--env prod"),
        "the hint says how to get access: {err}"
    );
    assert!(!err.contains("prod-db-password"), "{err}");

    // prod was not touched by a grant to dev.
    assert_eq!(repo.env_files("prod"), prod_before);
    // Alice still reads both.
    assert_eq!(repo.get(&alice, "dev", "DB_PASSWORD"), "dev-db-password");
    assert_eq!(repo.get(&alice, "prod", "DB_PASSWORD"), "prod-db-password");
}

#[test]
fn member_request_needs_no_access_and_only_edits_the_roster() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    let before = repo.snapshot();
    let secrets_before = repo.secrets_snapshot();

    // bob cannot decrypt anything, and runs it with his own key.
    let bob = repo.key("bob");
    let out = repo
        .vault(&bob)
        .args(["member", "request", "bob"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("vault member add bob"),
        "the next step is explained: {}",
        stdout(&out)
    );

    assert_same_files(&secrets_before, &repo.secrets_snapshot());
    let after = repo.snapshot();
    let changed: Vec<_> = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.0.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(before.len(), after.len());
    assert_eq!(changed, [".vault.toml"]);

    let roster = repo.read_text(".vault.toml");
    assert!(roster.contains("[members.bob]"), "{roster}");
    assert!(roster.contains(&bob.public), "{roster}");
    // Not granted any environment.
    let access = TestRepo::json_of(repo.vault(&alice).args(["access", "--json"])).1;
    assert_eq!(access["members"]["bob"]["dev"], "-");
    assert_eq!(access["members"]["bob"]["prod"], "-");

    // Someone with no identity at all can request with an explicit key.
    let carol = repo.key("carol");
    repo.bare_vault()
        .args(["member", "request", "carol", "--key", &carol.public])
        .timeout(TIMEOUT)
        .assert()
        .success();
    assert!(repo.read_text(".vault.toml").contains(&carol.public));
    assert_same_files(&secrets_before, &repo.secrets_snapshot());

    // A taken name is refused and changes nothing.
    let before = repo.snapshot();
    let out = repo
        .vault(&bob)
        .args(["member", "request", "bob"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert_same_files(&before, &repo.snapshot());
}

#[test]
fn member_add_dry_run_changes_nothing_and_prints_the_plan() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    let bob = repo.key("bob");
    let before = repo.snapshot();

    let out = repo
        .vault(&alice)
        .args(["member", "add", "bob", "--env", "dev", "--key", &bob.public])
        .arg("--dry-run")
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("dry run"), "{text}");
    assert!(text.contains("bob gains access"), "{text}");
    assert!(text.contains("dev"), "{text}");
    assert!(!text.contains("prod"), "only dev is in the plan: {text}");
    assert_same_files(&before, &repo.snapshot());

    let (code, doc) = TestRepo::json_of(
        repo.vault(&alice)
            .args(["member", "add", "bob", "--env", "dev", "--key", &bob.public])
            .args(["--dry-run", "--json"]),
    );
    assert_eq!(code, Some(0));
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["roster_changes"], true);
    let plan = doc["plan"].as_array().unwrap();
    assert_eq!(plan.len(), 1, "{doc}");
    assert_eq!(plan[0]["env"], "dev");
    assert_eq!(plan[0]["gained"][0]["member"], "bob");
    assert_eq!(plan[0]["gained"][0]["recipient"], bob.public.as_str());
    assert_eq!(plan[0]["lost"], serde_json::json!([]));
    assert_same_files(&before, &repo.snapshot());

    // bob still cannot read.
    let (code, _) = get_fails(&repo, &bob, "dev", "DB_PASSWORD");
    assert_eq!(code, Some(2));
}

// ---------------------------------------------------------------------------------------
// Offboarding

#[test]
fn member_remove_rekeys_and_lists_exactly_the_secrets_bob_could_read() {
    let (repo, alice, bob) = team();
    repo.git(["add", "-A"]);
    repo.git(["commit", "-q", "-m", "team"]);
    let prod_before = repo.env_files("prod");

    let out = repo
        .vault(&alice)
        .args(["member", "remove", "bob", "--yes"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // The printed list: each of bob's environments, then its secrets.
    let listed = text
        .split("must now be rotated")
        .nth(1)
        .unwrap_or_else(|| panic!("no must-rotate list: {text}"));
    let listed = listed.split("warning:").next().unwrap();
    let lines: Vec<&str> = listed
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        lines,
        [
            "dev:",
            "API_TOKEN",
            "DB_PASSWORD",
            "staging:",
            "DB_PASSWORD"
        ],
        "{text}"
    );
    assert!(!text.contains("PROD_ONLY"), "{text}");
    assert!(
        text.contains("git history"),
        "the honest limit is stated: {text}"
    );
    for value in ["dev-db-password", "dev-api-token", "staging-db-password"] {
        assert!(!text.contains(value) && !stderr(&out).contains(value));
    }

    // bob's key no longer opens the new files; alice's does.
    for env in ["dev", "staging"] {
        let (code, err) = get_fails(&repo, &bob, env, "DB_PASSWORD");
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains(&format!("`{env}`")), "{err}");
    }
    assert_eq!(repo.get(&alice, "dev", "DB_PASSWORD"), "dev-db-password");
    assert_eq!(
        repo.get(&alice, "staging", "DB_PASSWORD"),
        "staging-db-password"
    );
    // prod, which bob could never read, is byte-identical.
    assert_eq!(repo.env_files("prod"), prod_before);
    // bob is gone from the roster entirely.
    let roster = repo.read_text(".vault.toml");
    assert!(!roster.contains("bob"), "{roster}");
    assert!(
        !repo
            .read_text("secrets/dev.recipients")
            .contains(&bob.public)
    );

    // The printed caveat is real: the committed versions still open with bob's key (stock
    // age reads them) ...
    repo.git([
        "checkout",
        "HEAD",
        "--",
        "secrets/dev.age",
        "secrets/dev.recipients",
    ]);
    let old = stock_age_decrypt(&bob, &repo.read("secrets/dev.age")).unwrap();
    assert!(old.contains("dev-db-password"));
    // ... but vault no longer uses them: the write key was handed over when bob left.
    let (code, err) = get_fails(&repo, &alice, "dev", "DB_PASSWORD");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("rollback"), "{err}");
}

#[test]
fn member_remove_json_marks_must_rotate_and_check_fails_until_each_is_changed() {
    let (repo, alice, _bob) = team();

    let (code, doc) = TestRepo::json_of(
        repo.vault(&alice)
            .args(["member", "remove", "bob", "--yes", "--json"]),
    );
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(
        doc["must_rotate"],
        serde_json::json!([
            {"env": "dev", "secrets": ["API_TOKEN", "DB_PASSWORD"]},
            {"env": "staging", "secrets": ["DB_PASSWORD"]},
        ]),
        "{doc}"
    );
    assert_eq!(doc["changed"], serde_json::json!(["dev", "staging"]));
    assert!(doc["warning"].as_str().unwrap().contains("history"));

    // ls --json carries the marks, with the reason.
    let dev = repo.ls_json(&alice, "dev");
    for secret in dev["secrets"].as_array().unwrap() {
        let reason = secret["must_rotate"]["reason"].as_str().unwrap();
        assert!(reason.contains("bob"), "{reason}");
    }
    assert_eq!(
        marks(&repo, &alice, "prod"),
        BTreeMap::from([("DB_PASSWORD".into(), false), ("PROD_ONLY".into(), false)])
    );

    // check fails with exactly those marks.
    let (code, report) = check_json(&repo, &alice);
    assert_eq!(code, Some(1), "{report}");
    let mut must: Vec<_> = findings(&report)
        .into_iter()
        .filter(|(c, _, _)| c == "must-rotate")
        .map(|(_, e, s)| (e.unwrap(), s.unwrap()))
        .collect();
    must.sort();
    assert_eq!(
        must,
        [
            ("dev".to_owned(), "API_TOKEN".to_owned()),
            ("dev".to_owned(), "DB_PASSWORD".to_owned()),
            ("staging".to_owned(), "DB_PASSWORD".to_owned()),
        ]
    );
    assert_eq!(report["ok"], false);

    // Rotating one clears its mark only.
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password-2");
    assert_eq!(
        marks(&repo, &alice, "dev"),
        BTreeMap::from([("API_TOKEN".into(), true), ("DB_PASSWORD".into(), false)])
    );
    let (code, report) = check_json(&repo, &alice);
    assert_eq!(code, Some(1));
    assert!(
        !findings(&report).contains(&(
            "must-rotate".into(),
            Some("dev".into()),
            Some("DB_PASSWORD".into())
        )),
        "{report}"
    );

    // Setting the same value again is not a rotation: the mark stays.
    repo.set(&alice, "dev", "API_TOKEN", "dev-api-token");
    assert!(marks(&repo, &alice, "dev")["API_TOKEN"]);

    repo.set(&alice, "dev", "API_TOKEN", "dev-api-token-2");
    repo.set(&alice, "staging", "DB_PASSWORD", "staging-db-password-2");
    let (code, report) = check_json(&repo, &alice);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["ok"], true);
    assert_eq!(report["findings"], serde_json::json!([]));
}

#[test]
fn member_remove_from_one_environment_keeps_the_others() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    let bob = repo.onboard(&alice, "bob", "dev,prod");
    assert_eq!(repo.get(&bob, "prod", "DB_PASSWORD"), "prod-db-password");
    let dev_before = repo.env_files("dev");

    let (code, doc) = TestRepo::json_of(repo.vault(&alice).args([
        "member", "remove", "bob", "--env", "prod", "--yes", "--json",
    ]));
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["changed"], serde_json::json!(["prod"]));
    assert_eq!(
        doc["must_rotate"],
        serde_json::json!([{"env": "prod", "secrets": ["DB_PASSWORD"]}])
    );

    assert_eq!(repo.env_files("dev"), dev_before);
    assert_eq!(repo.get(&bob, "dev", "DB_PASSWORD"), "dev-db-password");
    let (code, err) = get_fails(&repo, &bob, "prod", "DB_PASSWORD");
    assert_eq!(code, Some(2), "{err}");
    // bob stays a member, with his key, reading dev.
    let roster = repo.read_text(".vault.toml");
    assert!(roster.contains("[members.bob]"), "{roster}");
    assert!(roster.contains(&bob.public), "{roster}");
    assert_eq!(
        marks(&repo, &alice, "dev"),
        BTreeMap::from([("DB_PASSWORD".into(), false)])
    );
    assert_eq!(
        marks(&repo, &alice, "prod"),
        BTreeMap::from([("DB_PASSWORD".into(), true)])
    );
    let access = TestRepo::json_of(repo.vault(&alice).args(["access", "--json"])).1;
    assert_eq!(access["members"]["bob"]["dev"], "read");
    assert_eq!(access["members"]["bob"]["prod"], "-");
}

#[test]
fn member_remove_of_an_unknown_member_is_a_usage_error() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let before = repo.snapshot();
    let out = repo
        .vault(&alice)
        .args(["member", "remove", "mallory", "--yes"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("mallory"), "{}", stderr(&out));
    assert_same_files(&before, &repo.snapshot());
}

#[test]
fn member_remove_that_would_empty_an_environment_changes_nothing() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    let _bob = repo.onboard(&alice, "bob", "dev");
    let before = repo.snapshot();

    // alice is prod's only member: removing her would leave prod unreadable by anyone.
    let out = repo
        .vault(&alice)
        .args(["member", "remove", "alice", "--yes"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("prod"), "{}", stderr(&out));
    assert_same_files(&before, &repo.snapshot());
    assert_eq!(repo.get(&alice, "dev", "DB_PASSWORD"), "dev-db-password");
}

#[test]
fn hand_removed_reader_is_marked_must_rotate_by_rekey() {
    let (repo, alice, bob) = team();
    // Someone edits .vault.toml by hand: bob leaves dev (still in staging).
    let roster = repo.read_text(".vault.toml");
    let edited = roster.replace(
        "[envs.dev]\nmembers = [\"alice\", \"bob\"]",
        "[envs.dev]\nmembers = [\"alice\"]",
    );
    assert_ne!(roster, edited, "roster layout changed: {roster}");
    repo.write_roster(&edited);

    let access = TestRepo::json_of(repo.vault(&alice).args(["access", "--json"])).1;
    assert_eq!(access["members"]["bob"]["dev"], "revoking");
    // Until re-keyed, bob still decrypts dev: that is what "revoking" means.
    assert_eq!(repo.get(&bob, "dev", "DB_PASSWORD"), "dev-db-password");

    let (code, doc) = TestRepo::json_of(repo.vault(&alice).args(["rekey", "--yes", "--json"]));
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["changed"], serde_json::json!(["dev"]));
    assert_eq!(
        doc["must_rotate"],
        serde_json::json!([{"env": "dev", "secrets": ["API_TOKEN", "DB_PASSWORD"]}])
    );
    let (code, _) = get_fails(&repo, &bob, "dev", "DB_PASSWORD");
    assert_eq!(code, Some(2));
    assert_eq!(
        repo.get(&bob, "staging", "DB_PASSWORD"),
        "staging-db-password"
    );
}

// ---------------------------------------------------------------------------------------
// Drift and rekey

#[test]
fn hand_added_reader_is_drift_until_rekey_which_is_idempotent() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    let carol = repo.key("carol");
    repo.write_roster(&roster(
        &[
            ("alice", &[alice.public.as_str()]),
            ("carol", &[carol.public.as_str()]),
        ],
        &[("dev", &["alice"]), ("prod", &["alice", "carol"])],
    ));
    let dev_before = repo.env_files("dev");

    // CI without any identity sees the drift from the plaintext summary alone.
    let out = repo
        .bare_vault()
        .args(["check"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("[drift]"), "{text}");
    assert!(
        text.contains("secrets/prod.age") && text.contains("carol"),
        "{text}"
    );
    assert!(text.contains("vault rekey prod"), "{text}");
    let (code, report) = TestRepo::json_of(repo.bare_vault().args(["check", "--json"]));
    assert_eq!(code, Some(1));
    let drift: Vec<_> = findings(&report)
        .into_iter()
        .filter(|(c, _, _)| c == "drift")
        .collect();
    assert_eq!(drift, [("drift".into(), Some("prod".into()), None)]);

    // The roster alone grants nothing: carol cannot decrypt.
    let (code, err) = get_fails(&repo, &carol, "prod", "DB_PASSWORD");
    assert_eq!(code, Some(2), "{err}");
    let access = TestRepo::json_of(repo.vault(&alice).args(["access", "--json"])).1;
    assert_eq!(access["members"]["carol"]["prod"], "pending");

    // rekey --dry-run shows the plan and changes nothing.
    let before = repo.snapshot();
    let out = repo
        .vault(&alice)
        .args(["rekey", "--dry-run"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = stdout(&out);
    assert!(plan.contains("carol gains access"), "{plan}");
    assert!(plan.contains("dev: unchanged"), "{plan}");
    assert_same_files(&before, &repo.snapshot());

    repo.vault(&alice)
        .args(["rekey", "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    assert_eq!(repo.get(&carol, "prod", "DB_PASSWORD"), "prod-db-password");
    // Only the file whose recipients changed was touched.
    assert_eq!(repo.env_files("dev"), dev_before);
    let access = TestRepo::json_of(repo.vault(&alice).args(["access", "--json"])).1;
    assert_eq!(access["members"]["carol"]["prod"], "read");
    repo.bare_vault()
        .args(["check"])
        .timeout(TIMEOUT)
        .assert()
        .code(0);
    // Gaining a reader marks nothing must-rotate.
    assert_eq!(
        marks(&repo, &alice, "prod"),
        BTreeMap::from([("DB_PASSWORD".into(), false)])
    );

    // A second run changes nothing at all.
    let before = repo.snapshot();
    let out = repo
        .vault(&alice)
        .args(["rekey", "--yes"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing to do"), "{}", stderr(&out));
    assert_same_files(&before, &repo.snapshot());
    // …and needs no confirmation, because there is nothing to confirm.
    repo.vault_without_terminal(&alice)
        .arg("rekey")
        .assert()
        .success();
    assert_same_files(&before, &repo.snapshot());
}

#[test]
fn rekey_of_an_unknown_environment_is_a_usage_error() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let out = repo
        .vault(&alice)
        .args(["rekey", "nope", "--yes"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`nope`"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------
// Access matrix

#[test]
fn access_matrix_shows_read_pending_and_revoking() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    let carol = repo.onboard(&alice, "carol", "dev");
    let bob = repo.key("bob");
    // By hand: bob is granted prod (pending), carol leaves dev (revoking).
    repo.write_roster(&roster(
        &[
            ("alice", &[alice.public.as_str()]),
            ("bob", &[bob.public.as_str()]),
            ("carol", &[carol.public.as_str()]),
        ],
        &[("dev", &["alice"]), ("prod", &["alice", "bob"])],
    ));

    let out = repo
        .vault(&alice)
        .arg("access")
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let table: Vec<&str> = text.lines().take(4).collect();
    assert_eq!(
        table,
        [
            "MEMBER  dev       prod",
            "alice   read      read",
            "bob     -         pending",
            "carol   revoking  -",
        ],
        "{text}"
    );
    assert!(text.contains("pending: granted"), "the legend: {text}");

    let (code, doc) = TestRepo::json_of(repo.vault(&alice).args(["access", "--json"]));
    assert_eq!(code, Some(0));
    assert_eq!(
        doc,
        serde_json::json!({"members": {
            "alice": {"dev": "read", "prod": "read"},
            "bob": {"dev": "-", "prod": "pending"},
            "carol": {"dev": "revoking", "prod": "-"},
        }})
    );

    // One member; no key is needed to see who reads what.
    let (code, doc) = TestRepo::json_of(repo.bare_vault().args(["access", "bob", "--json"]));
    assert_eq!(code, Some(0));
    assert_eq!(
        doc,
        serde_json::json!({"members": {"bob": {"dev": "-", "prod": "pending"}}})
    );
    repo.vault(&alice)
        .args(["access", "nobody"])
        .timeout(TIMEOUT)
        .assert()
        .code(2);
}

// ---------------------------------------------------------------------------------------
// Keys

#[test]
fn member_key_add_rekeys_the_members_environments_for_the_new_key() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    let bob = repo.onboard(&alice, "bob", "dev");
    let laptop = repo.key("bob-laptop");
    let prod_before = repo.env_files("prod");

    // Without a terminal, the re-key needs --yes.
    let before = repo.snapshot();
    let out = repo
        .vault_without_terminal(&alice)
        .args(["member", "key", "add", "bob", &laptop.public])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert_same_files(&before, &repo.snapshot());

    let (code, doc) = TestRepo::json_of(
        repo.vault(&alice)
            .args(["member", "key", "add", "bob", &laptop.public])
            .args(["--yes", "--json"]),
    );
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["changed"], serde_json::json!(["dev"]));
    // A new key for the same person exposes nothing: no must-rotate.
    assert_eq!(doc["must_rotate"], serde_json::json!([]));

    assert_eq!(repo.get(&laptop, "dev", "DB_PASSWORD"), "dev-db-password");
    assert_eq!(repo.get(&bob, "dev", "DB_PASSWORD"), "dev-db-password");
    let (code, _) = get_fails(&repo, &laptop, "prod", "DB_PASSWORD");
    assert_eq!(code, Some(2));
    assert_eq!(repo.env_files("prod"), prod_before);
    let roster = repo.read_text(".vault.toml");
    assert!(
        roster.contains(&bob.public) && roster.contains(&laptop.public),
        "{roster}"
    );
    assert!(
        repo.read_text("secrets/dev.recipients")
            .contains(&laptop.public)
    );
    let access = TestRepo::json_of(repo.vault(&alice).args(["access", "--json"])).1;
    assert_eq!(access["members"]["bob"]["dev"], "read");
}

#[test]
fn access_shows_read_star_while_a_new_key_is_not_rekeyed() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let laptop = repo.key("alice-laptop");
    let roster = repo.read_text(".vault.toml");
    let edited = roster.replace(
        &format!("keys = [\"{}\"]", alice.public),
        &format!("keys = [\"{}\", \"{}\"]", alice.public, laptop.public),
    );
    assert_ne!(roster, edited, "{roster}");
    repo.write_roster(&edited);
    let (_, doc) = TestRepo::json_of(repo.vault(&alice).args(["access", "--json"]));
    assert_eq!(doc["members"]["alice"]["dev"], "read*");
    repo.vault(&alice)
        .args(["rekey", "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    let (_, doc) = TestRepo::json_of(repo.vault(&alice).args(["access", "--json"]));
    assert_eq!(doc["members"]["alice"]["dev"], "read");
    assert!(marks(&repo, &laptop, "dev").is_empty());
}

#[test]
fn member_key_add_of_a_key_the_member_already_has_changes_nothing() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let bob = repo.onboard(&alice, "bob", "dev");
    let before = repo.snapshot();
    let out = repo
        .vault(&alice)
        .args(["member", "key", "add", "bob", &bob.public, "--yes"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", stderr(&out));
    assert_eq!(
        repo.read_text(".vault.toml").matches(&bob.public).count(),
        1,
        "{}",
        repo.read_text(".vault.toml")
    );
    assert_same_files(&before, &repo.snapshot());
}

#[test]
fn member_key_add_of_another_members_key_is_refused() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let bob = repo.onboard(&alice, "bob", "dev");
    let before = repo.snapshot();
    let out = repo
        .vault(&alice)
        .args(["member", "key", "add", "bob", &alice.public, "--yes"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("share the key"), "{}", stderr(&out));
    assert_same_files(&before, &repo.snapshot());
    assert_eq!(repo.names(&bob, "dev"), Vec::<String>::new());
}

#[test]
fn ssh_ed25519_member_decrypts_with_the_private_key() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    let private = repo.home.join("dave_ed25519");
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "dave@laptop", "-f"])
        .arg(&private)
        .env("HOME", &repo.home)
        .status()
        .expect("ssh-keygen is needed for this test (openssh-client)");
    assert!(status.success());
    let public = std::fs::read_to_string(private.with_extension("pub"))
        .or_else(|_| std::fs::read_to_string(repo.home.join("dave_ed25519.pub")))
        .unwrap();
    let public = public.trim();
    assert!(public.starts_with("ssh-ed25519 "), "{public}");

    repo.vault(&alice)
        .args([
            "member", "add", "dave", "--env", "dev", "--key", public, "--yes",
        ])
        .timeout(TIMEOUT)
        .assert()
        .success();
    let dave = Key {
        name: "dave".into(),
        file: private,
        public: public.to_owned(),
    };
    assert_eq!(repo.get(&dave, "dev", "DB_PASSWORD"), "dev-db-password");
    repo.vault(&dave)
        .args([
            "exec",
            "dev",
            "--",
            "sh",
            "-c",
            "printf %s \"$DB_PASSWORD\"",
        ])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout("dev-db-password");
    let (code, err) = get_fails(&repo, &dave, "prod", "DB_PASSWORD");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("`prod`"), "{err}");
    let (_, doc) = TestRepo::json_of(repo.vault(&alice).args(["access", "--json"]));
    assert_eq!(doc["members"]["dave"]["dev"], "read");
    repo.bare_vault()
        .arg("check")
        .timeout(TIMEOUT)
        .assert()
        .code(0);
}

// ---------------------------------------------------------------------------------------
// Tampering and confirmation

#[test]
fn hand_edited_recipients_summary_changes_nobodys_access_and_check_reports_it() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    let mallory = repo.key("mallory");
    let mut summary = repo.read_text("secrets/dev.recipients");
    summary.push_str(&mallory.public);
    summary.push('\n');
    repo.write("secrets/dev.recipients", &summary);

    // The recipients that count are the ones signed into secrets/dev.age; the summary is a
    // readable view of them, so check (with and without a key) reports the mismatch ...
    for mut check in [repo.vault(&alice), repo.bare_vault()] {
        let out = check.arg("check").timeout(TIMEOUT).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(stdout(&out).contains("secrets/dev.recipients is missing or does not match"));
    }
    // ... `vault access` does not believe it ...
    let out = repo.bare_vault().arg("access").output().unwrap();
    assert!(!stdout(&out).contains("mallory"), "{}", stdout(&out));
    // ... and the next write is sealed to the signed readers only, and rewrites the view.
    repo.set(&alice, "dev", "OTHER", "x");
    assert!(stock_age_decrypt(&mallory, &repo.read("secrets/dev.age")).is_none());
    assert!(
        !repo
            .read_text("secrets/dev.recipients")
            .contains(&mallory.public)
    );
    repo.vault(&alice)
        .arg("check")
        .timeout(TIMEOUT)
        .assert()
        .success();
}

#[test]
fn rekeying_commands_without_a_terminal_need_yes() {
    let (repo, alice, _bob) = team();
    let carol = repo.key("carol");
    let laptop = repo.key("alice-laptop");
    // Make `rekey` have something to do: carol hand-added to dev.
    let with_carol = repo.read_text(".vault.toml").replace(
        "[envs.dev]\nmembers = [\"alice\", \"bob\"]",
        "[envs.dev]\nmembers = [\"alice\", \"bob\", \"carol\"]",
    ) + &format!("\n[members.carol]\nkeys = [\"{}\"]\n", carol.public);
    let dave = repo.key("dave");
    let commands: Vec<Vec<String>> = vec![
        vec![
            "member",
            "add",
            "dave",
            "--env",
            "dev",
            "--key",
            &dave.public,
        ]
        .into_iter()
        .map(str::to_owned)
        .collect(),
        vec!["member", "remove", "bob"]
            .into_iter()
            .map(str::to_owned)
            .collect(),
        vec!["member", "key", "add", "alice", &laptop.public]
            .into_iter()
            .map(str::to_owned)
            .collect(),
    ];
    for args in &commands {
        let before = repo.snapshot();
        let out = repo
            .vault_without_terminal(&alice)
            .args(args)
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("confirmation"), "{args:?}: {err}");
        assert!(err.contains("--yes"), "{args:?}: {err}");
        assert!(err.contains("--dry-run"), "{args:?}: {err}");
        assert!(err.contains("Plan:"), "the plan is shown first: {err}");
        assert_same_files(&before, &repo.snapshot());
    }

    repo.write_roster(&with_carol);
    let before = repo.snapshot();
    let out = repo
        .vault_without_terminal(&alice)
        .arg("rekey")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("carol gains access"),
        "{}",
        stderr(&out)
    );
    assert_same_files(&before, &repo.snapshot());
    let (code, _) = get_fails(&repo, &carol, "dev", "DB_PASSWORD");
    assert_eq!(code, Some(2));
}

#[test]
fn member_add_by_someone_who_cannot_read_every_environment_changes_nothing() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    let bob = repo.onboard(&alice, "bob", "dev");
    let carol = repo.key("carol");
    let before = repo.snapshot();

    // bob reads dev only, so he cannot grant prod; nothing may change, not even dev.
    let out = repo
        .vault(&bob)
        .args(["member", "add", "carol", "--env", "dev,prod"])
        .args(["--key", &carol.public, "--yes"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("`prod`"), "{err}");
    assert_same_files(&before, &repo.snapshot());
    let (code, _) = get_fails(&repo, &carol, "dev", "DB_PASSWORD");
    assert_eq!(code, Some(2));
}

#[test]
fn member_remove_marks_must_rotate_even_when_the_summary_is_missing() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    let bob = repo.onboard(&alice, "bob", "dev");
    assert_eq!(repo.get(&bob, "dev", "DB_PASSWORD"), "dev-db-password");
    // The plaintext summary is lost; the recipients sealed inside the payload still say bob.
    std::fs::remove_file(repo.path("secrets/dev.recipients")).unwrap();

    let (code, doc) = TestRepo::json_of(
        repo.vault(&alice)
            .args(["member", "remove", "bob", "--yes", "--json"]),
    );
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(
        doc["must_rotate"],
        serde_json::json!([{"env": "dev", "secrets": ["DB_PASSWORD"]}]),
        "{doc}"
    );
    assert_eq!(
        marks(&repo, &alice, "dev"),
        BTreeMap::from([("DB_PASSWORD".into(), true)])
    );
}

#[test]
fn removing_a_member_who_never_had_access_touches_no_secret_file() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    // bob requested access and was granted prod by hand, but nobody re-keyed.
    let bob = repo.key("bob");
    repo.write_roster(&roster(
        &[
            ("alice", &[alice.public.as_str()]),
            ("bob", &[bob.public.as_str()]),
        ],
        &[("dev", &["alice"]), ("prod", &["alice", "bob"])],
    ));
    let secrets_before = repo.secrets_snapshot();

    let (code, doc) = TestRepo::json_of(
        repo.vault(&alice)
            .args(["member", "remove", "bob", "--yes", "--json"]),
    );
    assert_eq!(code, Some(0), "{doc}");
    // He never could decrypt anything, so nothing must be rotated.
    assert_eq!(doc["must_rotate"], serde_json::json!([]), "{doc}");
    assert_same_files(&secrets_before, &repo.secrets_snapshot());
    assert!(!repo.read_text(".vault.toml").contains("bob"));
    assert_eq!(
        marks(&repo, &alice, "dev"),
        BTreeMap::from([("DB_PASSWORD".into(), false)])
    );
    repo.bare_vault()
        .arg("check")
        .timeout(TIMEOUT)
        .assert()
        .code(0);
}

#[test]
fn roster_edits_keep_the_comments_reviewers_wrote() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    let text = format!(
        "# Owned by the platform team; changes need two reviews.\n\n\
         [members.alice]\n# Alice's laptop\nkeys = [\"{}\"]\n\n\
         [envs.dev]\nmembers = [\"alice\"] # developers\n\n\
         [envs.prod]\n# Production: keep this list short.\nmembers = [\"alice\"]\n",
        alice.public
    );
    repo.write_roster(&text);
    let bob = repo.onboard(&alice, "bob", "dev,prod");
    repo.vault(&alice)
        .args(["member", "remove", "bob", "--env", "prod", "--yes"])
        .timeout(TIMEOUT)
        .assert()
        .success();
    let roster = repo.read_text(".vault.toml");
    for comment in [
        "# Owned by the platform team; changes need two reviews.",
        "# Alice's laptop",
        "# developers",
        "# Production: keep this list short.",
    ] {
        assert!(roster.contains(comment), "lost {comment:?}:\n{roster}");
    }
    assert!(roster.contains(&bob.public), "{roster}");
    let (_, doc) = TestRepo::json_of(repo.vault(&alice).args(["access", "--json"]));
    assert_eq!(
        doc["members"]["bob"],
        serde_json::json!({"dev": "read", "prod": "-"})
    );
}

/// Runs every command at once and waits for all; returns their outputs.
fn run_together(commands: Vec<std::process::Command>) -> Vec<std::process::Output> {
    let children: Vec<std::process::Child> = commands
        .into_iter()
        .map(|mut cmd| {
            cmd.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

#[test]

fn concurrent_member_requests_all_land_in_the_roster() {
    let (repo, _alice) = TestRepo::with_vault("dev");
    let keys: Vec<Key> = (1..=6).map(|i| repo.key(&format!("new{i}"))).collect();
    let commands = keys
        .iter()
        .map(|key| {
            let mut cmd = repo.vault_process(Some(key));
            cmd.args(["member", "request", &key.name]);
            cmd
        })
        .collect();
    for out in run_together(commands) {
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let roster = repo.read_text(".vault.toml");
    for key in &keys {
        assert!(
            roster.contains(&format!("[members.{}]", key.name)),
            "{} was lost:\n{roster}",
            key.name
        );
    }
}

#[test]

fn concurrent_member_adds_all_take_effect() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    let keys: Vec<Key> = (1..=4).map(|i| repo.key(&format!("new{i}"))).collect();
    let commands = keys
        .iter()
        .map(|key| {
            let mut cmd = repo.vault_process(Some(&alice));
            cmd.args(["member", "add", &key.name, "--env", "dev", "--yes"])
                .args(["--key", &key.public]);
            cmd
        })
        .collect();
    for out in run_together(commands) {
        assert!(out.status.success(), "{}", stderr(&out));
    }
    for key in &keys {
        assert_eq!(
            repo.get(key, "dev", "DB_PASSWORD"),
            "dev-db-password",
            "{} cannot read dev",
            key.name
        );
    }
    // Nobody lost access, so nothing must be rotated, and the files match the roster.
    assert_eq!(
        marks(&repo, &alice, "dev"),
        BTreeMap::from([("DB_PASSWORD".into(), false)])
    );
    repo.bare_vault()
        .arg("check")
        .timeout(TIMEOUT)
        .assert()
        .code(0);
}

#[test]
fn routine_writes_never_change_who_can_read() {
    let (repo, alice, _bob) = team();
    let carol = repo.key("carol");
    // A hand edit grants carol prod and takes bob out of dev, without a re-key.
    let roster = repo.read_text(".vault.toml");
    let edited = roster.replace(
        "[envs.dev]\nmembers = [\"alice\", \"bob\"]",
        "[envs.dev]\nmembers = [\"alice\"]",
    );
    assert_ne!(roster, edited, "roster layout changed: {roster}");
    repo.write_roster(&format!(
        "{}\n[members.carol]\nkeys = [\"{}\"]\n",
        edited.replace(
            "[envs.prod]\nmembers = [\"alice\"",
            "[envs.prod]\nmembers = [\"alice\", \"carol\""
        ),
        carol.public
    ));
    // A routine write never seals to a key the roster does not approve, and never drops a
    // reader silently either (that needs the must-rotate marks of `vault rekey`) ...
    let before = repo.env_files("dev");
    let out = repo
        .vault(&alice)
        .args(["set", "dev", "NEW_DEV"])
        .write_stdin("dev-value-123")
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no longer gives bob access to `dev`"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("vault rekey dev"), "{}", stderr(&out));
    assert_eq!(repo.env_files("dev"), before);
    repo.set(&alice, "prod", "NEW_PROD", "prod-value-123");
    let (code, _) = get_fails(&repo, &carol, "prod", "NEW_PROD");
    assert_eq!(
        code,
        Some(2),
        "carol must not gain prod from a routine write"
    );
    // ... so the change stays visible as drift until someone reviews and applies it.
    let out = repo.bare_vault().arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("not yet readable by carol"), "{report}");
    assert!(report.contains("still readable by bob"), "{report}");
}

#[test]
fn a_must_rotate_mark_follows_the_value_through_unset_and_set() {
    let (repo, alice, _bob) = team();
    repo.vault(&alice)
        .args(["member", "remove", "bob", "--yes"])
        .assert()
        .success();
    // Dodging the mark by removing the secret and setting the value bob saw again, or by
    // moving it to another name, does not work: the mark follows the value.
    repo.vault(&alice)
        .args(["unset", "dev", "DB_PASSWORD"])
        .assert()
        .success();
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.set(&alice, "dev", "DB_PASSWORD_COPY", "dev-db-password");
    let marked = marks(&repo, &alice, "dev");
    assert!(marked["DB_PASSWORD"], "{marked:?}");
    assert!(marked["DB_PASSWORD_COPY"], "{marked:?}");
    // A new value clears it.
    repo.set(&alice, "dev", "DB_PASSWORD", "a-really-new-password");
    let marked = marks(&repo, &alice, "dev");
    assert!(!marked["DB_PASSWORD"], "{marked:?}");
}

#[test]
fn the_next_writer_removes_temporary_files_a_dead_writer_left() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.write("secrets/.vault-tmp-AbC123", "half a ciphertext");
    repo.write(".vault-tmp-XyZ789", "half a roster");
    repo.set(&alice, "dev", "A", "value-1");
    assert!(!repo.path("secrets/.vault-tmp-AbC123").exists());
    assert!(!repo.path(".vault-tmp-XyZ789").exists());
}

#[test]
fn name_mistakes_are_not_reported_as_a_broken_roster() {
    let (repo, alice, bob) = team();
    let before = repo.snapshot();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["member", "add", "nobody", "--env", "dev", "--yes"],
            "members in .vault.toml: alice, bob",
        ),
        (
            vec!["member", "remove", "nobody", "--yes"],
            "members in .vault.toml: alice, bob",
        ),
        (
            vec!["access", "nobody"],
            "members in .vault.toml: alice, bob",
        ),
        (
            vec!["member", "add", "bob", "--env", "qa", "--yes"],
            "environments in .vault.toml: dev, prod, staging",
        ),
        (
            vec!["member", "request", "alice2", "--key", &bob.public],
            "already belongs to a member",
        ),
    ];
    for (args, hint) in cases {
        let out = repo.vault(&alice).args(&args).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("invalid roster"), "{args:?}: {err}");
        assert!(!err.contains("fix `.vault.toml`"), "{args:?}: {err}");
        assert!(err.contains(hint), "{args:?}: {err}");
    }
    assert_same_files(&before, &repo.snapshot());
}

// ---------------------------------------------------------------------------------------
// Issue 14, item 6: untrusted text in secrets/<env>.recipients.

/// A line crafted so that byte 12 and the sixth byte from the end fall inside multi-byte
/// characters, carrying terminal escape sequences (clear the screen, set the window title)
/// and a bidi override where the shortened key shows them.
fn crafted_recipient() -> String {
    format!(
        "age1\u{1b}[2Jxéééé{}\u{1b}]0;owned\u{7}\u{202e}abcd",
        "y".repeat(10)
    )
}

/// Asserts a command neither panicked nor let a control character reach the terminal.
fn assert_escaped(label: &str, out: &std::process::Output) {
    let text = format!("{}{}", stdout(out), stderr(out));
    assert_ne!(out.status.code(), Some(101), "{label} panicked:\n{text}");
    assert!(!text.contains("panicked"), "{label}:\n{text}");
    assert!(
        !text
            .chars()
            .any(|c| c == '\u{1b}' || c == '\u{7}' || c == '\u{202e}'),
        "{label} printed raw control characters:\n{}",
        text.escape_debug()
    );
}

#[test]
fn issue_14_crafted_recipients_line_neither_panics_nor_reaches_the_terminal_raw() {
    let (repo, alice, _bob) = team();
    for env in ["dev", "staging"] {
        let path = format!("secrets/{env}.recipients");
        let mut summary = repo.read_text(&path);
        summary.push_str(&crafted_recipient());
        summary.push('\n');
        repo.write(&path, &summary);
    }

    let out = repo
        .vault(&alice)
        .arg("check")
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_escaped("check", &out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // The summary is only a view of the signed recipients: the crafted line is reported
    // as a mismatch, never believed (and never printed raw).
    let report = stdout(&out);
    assert!(
        report.contains("does not match the recipients signed"),
        "{report}"
    );

    let out = repo
        .vault(&alice)
        .args(["check", "--json"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_escaped("check --json", &out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    let out = repo
        .vault(&alice)
        .args(["rekey", "--dry-run"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_escaped("rekey --dry-run", &out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    for args in [
        &["member", "remove", "bob", "--dry-run"][..],
        &["member", "remove", "bob", "--yes"],
    ] {
        let out = repo
            .vault(&alice)
            .args(args)
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        assert_escaped(&format!("{args:?}"), &out);
    }
}

/// Issue 14, item 6: an error quoting a line of `.vault.toml` escapes the control
/// characters in it.
#[test]
fn issue_14_roster_errors_quote_control_characters_escaped() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let mut roster = repo.read_text(".vault.toml");
    roster.push_str("\u{1b}]0;owned\u{7}\u{1b}[2J = \"x\"\n");
    repo.write_roster(&roster);
    let out = repo
        .vault(&alice)
        .arg("access")
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_escaped("access", &out);
    assert!(stderr(&out).contains("\\u{1b}"), "{}", stderr(&out));
}

#[test]
fn env_add_creates_a_signed_empty_environment_for_its_readers_only() {
    let (repo, alice, bob) = team();
    let out = repo
        .vault(&alice)
        .args(["env", "add", "qa", "--members", "bob", "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("qa: new environment read by bob"),
        "{}",
        stdout(&out)
    );
    assert!(!repo.path("secrets/qa.age").exists());
    repo.vault(&alice)
        .args(["env", "add", "qa", "--members", "bob", "--yes"])
        .assert()
        .success();
    assert!(repo.read_text(".vault.toml").contains("[envs.qa]"));
    repo.set(&bob, "qa", "QA_TOKEN", "qa-token-value");
    assert_eq!(repo.get(&bob, "qa", "QA_TOKEN"), "qa-token-value");
    let (code, _) = get_fails(&repo, &alice, "qa", "QA_TOKEN");
    assert_eq!(code, Some(2));
    repo.vault(&alice).arg("check").assert().success();
    // Twice, or with a stranger, is a mistake in the arguments.
    for args in [
        &["env", "add", "qa", "--members", "bob", "--yes"][..],
        &["env", "add", "uat", "--members", "nobody", "--yes"],
    ] {
        let out = repo.vault(&alice).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!stderr(&out).contains("invalid roster"), "{}", stderr(&out));
    }
}
