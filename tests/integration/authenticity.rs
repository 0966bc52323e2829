//! Authenticated writes, tested the way an attacker with push access would break them:
//! stock `age`, stock git, `--no-verify`. Each attack of issue 13 is one test here, next
//! to the honest team work (joins, merges, offboarding, shallow deploys) that must keep
//! verifying.

use crate::support::*;

/// prod read by alice and the deploy key, dev by alice and mallory (a developer who can
/// push but must not read or write prod). Committed on main.
fn team() -> (TestRepo, Key, Key, Key) {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    let deploy = repo.onboard(&alice, "ci-prod", "prod");
    let mallory = repo.onboard(&alice, "mallory", "dev");
    repo.set(
        &alice,
        "prod",
        "DATABASE_URL",
        "postgres://app:prod-pw@db/app",
    );
    repo.set(
        &alice,
        "dev",
        "DATABASE_URL",
        "postgres://app:dev-pw@localhost/app",
    );
    commit_all(&repo, Some(&alice), "alice", "vault");
    (repo, alice, deploy, mallory)
}

// ---------------------------------------------------------------------------------------
// Attack 1: a forged sealed list, to get future values sealed to the forger.

#[test]
fn forged_file_with_a_sealed_list_is_refused_everywhere_and_never_sealed_to() {
    let (repo, alice, deploy, mallory) = team();
    let summary = repo.read_text("secrets/prod.recipients");
    let mut keys: Vec<String> = summary
        .lines()
        .filter(|l| l.starts_with("age1"))
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .collect();
    keys.push(mallory.public.clone());
    keys.sort();
    let payload = format!(
        "format = 1\nenvironment = \"prod\"\nrecipients = [{}]\n\n[secrets.DATABASE_URL]\nvalue = \"postgres://app:x@evil.example/app\"\nrotated_at = \"2026-11-20T09:00:00Z\"\n",
        keys.iter()
            .map(|k| format!("\"{k}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    repo.write("secrets/prod.age", stock_age_encrypt(&refs, &payload));
    let forged_summary = format!("{summary}{}  # mallory\n", mallory.public);
    repo.write("secrets/prod.recipients", &forged_summary);
    repo.write("secrets/.prod.recipients.pending", &forged_summary);
    git_as(
        &repo,
        None,
        "mallory",
        &["add", "-f", "secrets/.prod.recipients.pending"],
    );
    let forged_commit = commit_all(&repo, None, "mallory", "tidy up prod");

    // check fails, with and without keys, naming the commit.
    for key in [Some(&alice), Some(&deploy), None] {
        let (code, report) = check(&repo, key);
        assert_eq!(code, Some(1), "{report}");
        assert!(report.contains("[unauthenticated]"), "{report}");
        assert!(report.contains(&forged_commit[..10]), "{report}");
        assert!(report.contains("[stray-file]"), "{report}");
    }
    // log shows git's (self-declared) author, and what the signatures say of the version.
    let out = repo.vault(&alice).args(["log", "prod"]).output().unwrap();
    let line = stdout(&out)
        .lines()
        .find(|l| l.starts_with(&forged_commit[..10]))
        .unwrap_or_else(|| panic!("{}", stdout(&out)))
        .to_owned();
    assert!(line.contains("NOT AUTHENTICATED"), "{line}");
    // access does not show her as a reader.
    let (_, doc) = TestRepo::json_of(repo.bare_vault().args(["access", "--json"]));
    assert_eq!(doc["members"]["mallory"]["prod"], "-", "{doc}");
    // No read and no write builds on it: get, exec (nothing started) and set refuse.
    let before = repo.snapshot();
    let out = repo
        .vault(&alice)
        .args(["get", "prod", "DATABASE_URL"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("not authenticated"),
        "{}",
        stderr(&out)
    );
    let (code, err, started) = exec_probe(&repo, repo.vault(&deploy).args(["exec", "prod"]));
    assert_eq!(code, Some(125), "{err}");
    assert!(!started);
    let out = repo
        .vault(&alice)
        .args(["set", "prod", "DATABASE_URL"])
        .write_stdin("postgres://app:NEW-SECRET@db/app")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_same_files(&before, &repo.snapshot());
    for cmd in [
        vec!["export", "prod", "--format", "dotenv"],
        vec!["import", "prod", "/dev/null"],
        vec!["rotate", "start", "prod", "DATABASE_URL"],
    ] {
        let out = repo
            .vault(&alice)
            .args(&cmd)
            .write_stdin("v")
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(0), "{cmd:?}");
        assert!(!stdout(&out).contains("evil.example"), "{cmd:?}");
    }
    assert_same_files(&before, &repo.snapshot());

    // The way back: restore the last authenticated version; writes then never reach her.
    git_as(
        &repo,
        None,
        "alice",
        &["checkout", "HEAD~1", "--", "secrets/"],
    );
    git_as(
        &repo,
        None,
        "alice",
        &["rm", "-q", "--cached", "secrets/.prod.recipients.pending"],
    );
    std::fs::remove_file(repo.path("secrets/.prod.recipients.pending")).unwrap();
    repo.set(
        &alice,
        "prod",
        "DATABASE_URL",
        "postgres://app:NEW-SECRET@db/app",
    );
    let sealed = repo.read("secrets/prod.age");
    assert!(stock_age_decrypt(&mallory, &sealed).is_none());
    assert!(
        stock_age_decrypt(&deploy, &sealed)
            .unwrap()
            .contains("NEW-SECRET")
    );
}

#[test]
fn a_forger_with_her_own_write_key_is_refused_as_a_foreign_chain() {
    // mallory runs vault herself to make a perfectly signed prod file, sealed to prod's
    // real readers and herself, under a write key of her own.
    let (repo, alice, deploy, mallory) = team();
    let elsewhere = TestRepo::new();
    elsewhere
        .vault(&mallory)
        .args(["init", "--name", "mallory", "--env", "prod"])
        .assert()
        .success();
    let roster = elsewhere.read_text(".vault.toml").replace(
        "[envs.prod]\nmembers = [\"mallory\"]",
        "[envs.prod]\nmembers = [\"mallory\", \"alice\", \"deploy\"]",
    ) + &format!(
        "\n[members.alice]\nkeys = [\"{}\"]\n\n[members.deploy]\nkeys = [\"{}\"]\n",
        alice.public, deploy.public
    );
    elsewhere.write_roster(&roster);
    elsewhere
        .vault(&mallory)
        .args(["rekey", "--yes"])
        .assert()
        .success();
    elsewhere
        .vault(&mallory)
        .args(["set", "prod", "LD_PRELOAD"])
        .write_stdin("/tmp/evil.so")
        .assert()
        .success();
    repo.write("secrets/prod.age", elsewhere.read("secrets/prod.age"));
    repo.write(
        "secrets/prod.recipients",
        elsewhere.read("secrets/prod.recipients"),
    );
    let forged = commit_all(&repo, None, "mallory", "prod: fix");

    let (code, err, started) = exec_probe(&repo, repo.vault(&deploy).args(["exec", "prod"]));
    assert_eq!(code, Some(125), "{err}");
    assert!(!started);
    assert!(
        err.contains("does not descend from the trusted one"),
        "{err}"
    );
    let (code, report) = check(&repo, None);
    assert_eq!(code, Some(1));
    assert!(report.contains(&forged[..10]), "{report}");
    let clone = TestRepo::new();
    clone.git(["pull", "-q", repo.root.to_str().unwrap(), "main"]);
    let out = clone
        .vault(&deploy)
        .args(["get", "prod", "DATABASE_URL"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // History now holds two unrelated chains: a fresh clone refuses to pick one.
    assert!(
        stderr(&out).contains("two unrelated write-key chains"),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------------------------------
// Attack 2: the merge driver must not seal to a pending key.

#[test]
fn merge_driver_seals_only_to_keys_the_file_and_roster_agree_on() {
    let (repo, alice, _deploy, mallory) = team();
    // A roster-only change grants mallory prod (pending, never re-keyed), and is merged.
    let roster = repo.read_text(".vault.toml").replace(
        "[envs.prod]\nmembers = [\"alice\", \"ci-prod\"]",
        "[envs.prod]\nmembers = [\"alice\", \"ci-prod\", \"mallory\"]",
    );
    repo.write_roster(&roster);
    commit_all(&repo, None, "mallory", "roster: tidy");
    git_as(&repo, None, "alice", &["branch", "feature"]);
    // Two branches each set a different prod key; the merge runs vault's driver.
    repo.set(&alice, "prod", "A", "a-main-value");
    commit_all(&repo, Some(&alice), "alice", "main: A");
    git_as(&repo, None, "alice", &["checkout", "-q", "feature"]);
    repo.set(&alice, "prod", "B", "b-feature-value");
    commit_all(&repo, Some(&alice), "alice", "feature: B");
    git_as(&repo, None, "alice", &["checkout", "-q", "main"]);
    git_as(
        &repo,
        Some(&alice),
        "alice",
        &["merge", "--no-edit", "feature"],
    );

    let merged = repo.read("secrets/prod.age");
    assert!(
        stock_age_decrypt(&mallory, &merged).is_none(),
        "sealed to mallory"
    );
    assert_eq!(repo.get(&alice, "prod", "A"), "a-main-value");
    assert_eq!(repo.get(&alice, "prod", "B"), "b-feature-value");
    assert!(
        !repo
            .read_text("secrets/prod.recipients")
            .contains(&mallory.public)
    );
    let (code, report) = check(&repo, Some(&alice));
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("not yet readable by mallory"), "{report}");
    assert!(!report.contains("[unauthenticated]"), "{report}");
}

// ---------------------------------------------------------------------------------------
// Attack 3: code execution through loader variables.

#[test]
fn loader_variables_from_a_forgery_or_a_reader_never_reach_the_child() {
    let (repo, alice, deploy, _mallory) = team();
    // From an outsider with stock age: refused as unauthenticated before anything runs.
    let payload = format!(
        "format = 1\nenvironment = \"prod\"\nrecipients = [\"{}\"]\n\n[secrets.LD_PRELOAD]\nvalue = \"/tmp/evil.so\"\nrotated_at = \"2026-11-20T09:00:00Z\"\n\n[secrets.NODE_OPTIONS]\nvalue = \"--require /tmp/evil.js\"\nrotated_at = \"2026-11-20T09:00:00Z\"\n",
        deploy.public
    );
    let genuine = repo.read("secrets/prod.age");
    repo.write(
        "secrets/prod.age",
        stock_age_encrypt(&[&deploy.public], &payload),
    );
    let (code, err, started) = exec_probe(&repo, repo.vault(&deploy).args(["exec", "prod"]));
    assert_eq!((code, started), (Some(125), false), "{err}");
    repo.write("secrets/prod.age", &genuine);

    // From a reader: exec refuses the names unless the template allows them explicitly.
    repo.set(&alice, "prod", "LD_PRELOAD", "/opt/app/libjemalloc.so");
    repo.set(&alice, "prod", "NODE_OPTIONS", "--max-old-space-size=4096");
    let (code, err, started) = exec_probe(&repo, repo.vault(&deploy).args(["exec", "prod"]));
    assert_eq!((code, started), (Some(125), false), "{err}");
    assert!(
        err.contains("LD_PRELOAD") && err.contains("NODE_OPTIONS"),
        "{err}"
    );
    assert!(err.contains("allow_loader"), "{err}");
    let (code, report) = check(&repo, Some(&alice));
    assert_eq!(code, Some(1));
    assert!(report.contains("[loader-variable]"), "{report}");
    // Exporting them into another program's environment is refused the same way.
    for format in ["dotenv", "shell"] {
        let out = repo
            .vault(&deploy)
            .args(["export", "prod", "--format", format])
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(0), "{format}");
        assert!(
            stderr(&out).contains("LD_PRELOAD"),
            "{format}: {}",
            stderr(&out)
        );
        assert!(!stdout(&out).contains("libjemalloc"), "{format}");
    }
    // --only keeps them out too, and the app starts.
    let (code, err, started) = exec_probe(
        &repo,
        repo.vault(&deploy)
            .args(["exec", "prod", "--only", "DATABASE_URL"]),
    );
    assert_eq!((code, started), (Some(0), true), "{err}");
    repo.write_template(
        "[DATABASE_URL]\n[LD_PRELOAD]\nallow_loader = true\n[NODE_OPTIONS]\nallow_loader = true\n",
    );
    let (code, err, started) = exec_probe(&repo, repo.vault(&deploy).args(["exec", "prod"]));
    assert_eq!((code, started), (Some(0), true), "{err}");
}

// ---------------------------------------------------------------------------------------
// Attack 4: offboarding while a branch is open.

#[test]
fn a_branch_merged_after_an_offboarding_brings_its_values_in_marked_must_rotate() {
    let (repo, alice) = TestRepo::with_vault("prod");
    let bob = repo.onboard(&alice, "bob", "prod");
    repo.set(&alice, "prod", "DATABASE_URL", "postgres://db-1");
    commit_all(&repo, Some(&alice), "alice", "prod");
    // A branch adds a key while bob is a member ...
    git_as(&repo, None, "alice", &["checkout", "-q", "-b", "payments"]);
    repo.set(&bob, "prod", "PAYMENTS_API_KEY", "pk_live_seen_by_bob");
    commit_all(&repo, Some(&bob), "bob", "payments key");
    // ... main removes bob and rotates every marked secret ...
    git_as(&repo, None, "alice", &["checkout", "-q", "main"]);
    repo.vault(&alice)
        .args(["member", "remove", "bob", "--yes"])
        .assert()
        .success();
    repo.set(&alice, "prod", "DATABASE_URL", "postgres://db-2");
    commit_all(&repo, Some(&alice), "alice", "offboard bob");
    let (code, report) = check(&repo, Some(&alice));
    assert_eq!(code, Some(0), "{report}");
    // ... and the branch is merged.
    let out = git_as(
        &repo,
        Some(&alice),
        "alice",
        &["merge", "--no-edit", "payments"],
    );
    assert!(
        stderr(&out).contains("PAYMENTS_API_KEY"),
        "{}",
        stderr(&out)
    );
    let merged = repo.read("secrets/prod.age");
    assert!(stock_age_decrypt(&bob, &merged).is_none());
    let (code, report) = check(&repo, Some(&alice));
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("[must-rotate]"), "{report}");
    assert!(report.contains("PAYMENTS_API_KEY"), "{report}");
    assert!(
        !report.contains("`DATABASE_URL` in `prod` must be rotated"),
        "{report}"
    );
    repo.set(&alice, "prod", "PAYMENTS_API_KEY", "pk_live_new");
    let (code, report) = check(&repo, Some(&alice));
    assert_eq!(code, Some(0), "{report}");
}

// ---------------------------------------------------------------------------------------
// A removed member who knew the old write key; replays; downgrades.

#[test]
fn a_removed_members_competing_hand_over_and_replays_are_refused() {
    let (repo, alice) = TestRepo::with_vault("prod");
    let bob = repo.onboard(&alice, "bob", "prod");
    repo.set(&alice, "prod", "TOKEN", "t1");
    commit_all(&repo, Some(&alice), "alice", "prod");
    let old_file = repo.read("secrets/prod.age");
    let old_key = write_key_of(&repo, &bob, "prod");
    repo.vault(&alice)
        .args(["member", "remove", "bob", "--yes"])
        .assert()
        .success();
    repo.set(&alice, "prod", "TOKEN", "t2");
    commit_all(&repo, Some(&alice), "alice", "offboard bob");

    // Replaying the version from before the removal: a rollback.
    repo.write("secrets/prod.age", &old_file);
    let replay = commit_all(&repo, None, "bob", "revert prod");
    let out = repo
        .vault(&alice)
        .args(["get", "prod", "TOKEN"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("rollback"), "{}", stderr(&out));
    let (code, report) = check(&repo, None);
    assert_eq!(code, Some(1));
    assert!(report.contains(&replay[..10]), "{report}");

    // A competing hand-over from the old write key, which bob knew.
    git_as(&repo, None, "alice", &["reset", "-q", "--hard", "HEAD~1"]);
    let stanza = match vault::auth::inspect("prod", &old_file).unwrap() {
        vault::auth::Seal::Signed(s) => s,
        other => panic!("{other:?}"),
    };
    let old = vault::auth::WriteKey::from_text(&old_key).unwrap();
    let bobs = vault::auth::WriteKey::generate();
    let chain = stanza.chain.rotated("prod", &old, &bobs);
    let payload = format!(
        "format = 2\nenvironment = \"prod\"\nrecipients = [\"{}\", \"{}\"]\nwrite_key = \"{}\"\n\n[secrets.TOKEN]\nvalue = \"bob-chose-this\"\nrotated_at = \"2026-11-20T09:00:00Z\"\n",
        alice.public.clone().min(bob.public.clone()),
        alice.public.clone().max(bob.public.clone()),
        bobs.to_text().as_str()
    );
    let forged = sign_with(
        "prod",
        &bobs,
        chain,
        99,
        &[&alice.public, &bob.public],
        &payload,
    );
    repo.write("secrets/prod.age", &forged);
    let fork = commit_all(&repo, None, "bob", "prod: rotate");
    // alice's machine pinned the real hand-over: refused.
    let out = repo
        .vault(&alice)
        .args(["get", "prod", "TOKEN"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("does not descend"),
        "{}",
        stderr(&out)
    );
    // CI with full history and no pins sees the fork.
    let clone = TestRepo::new();
    clone.git(["pull", "-q", repo.root.to_str().unwrap(), "main"]);
    let (code, report) = check(&clone, None);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains(&fork[..10]), "{report}");
    assert!(report.contains("fork"), "{report}");
}

#[test]
fn a_downgrade_to_the_old_format_is_refused_after_the_upgrade() {
    let (repo, alice, deploy, _mallory) = team();
    let payload = format!(
        "format = 1\nenvironment = \"prod\"\nrecipients = [\"{}\"]\n",
        deploy.public
    );
    repo.write(
        "secrets/prod.age",
        stock_age_encrypt(&[&deploy.public], &payload),
    );
    let commit = commit_all(&repo, None, "mallory", "prod");
    let clone = TestRepo::new();
    clone.git(["pull", "-q", repo.root.to_str().unwrap(), "main"]);
    for (repo, key) in [(&repo, &alice), (&clone, &deploy)] {
        let (code, err, started) = exec_probe(repo, repo.vault(key).args(["exec", "prod"]));
        assert_eq!((code, started), (Some(125), false), "{err}");
        assert!(err.contains("downgrade"), "{err}");
    }
    let (code, report) = check(&clone, None);
    assert_eq!(code, Some(1));
    assert!(report.contains(&commit[..10]), "{report}");
}

// ---------------------------------------------------------------------------------------
// Honest work keeps verifying.

#[test]
fn shallow_deploys_verify_with_a_pin_and_refuse_without_one() {
    let (repo, alice, deploy, _mallory) = team();
    let shallow = repo.shallow_clone();
    let (code, err, started) = exec_probe(&shallow, shallow.vault(&deploy).args(["exec", "prod"]));
    assert_eq!((code, started), (Some(125), false), "{err}");
    assert!(
        err.contains("nothing to verify it against") && err.contains("vault pin"),
        "{err}"
    );

    let pins = stdout(&repo.vault(&alice).args(["pin", "prod"]).output().unwrap());
    assert!(pins.starts_with("# vault-pin prod@1:"), "{pins}");
    // The pin travels in the deploy identity ...
    let carried = repo.base_path("deploy-with-pin.key");
    std::fs::write(&carried, format!("{pins}{}\n", secret_key_line(&deploy))).unwrap();
    std::fs::set_permissions(
        &carried,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let (code, err, started) = exec_probe(
        &shallow,
        shallow
            .bare_vault()
            .env("VAULT_IDENTITY_FILE", &carried)
            .args(["exec", "prod"]),
    );
    assert_eq!((code, started), (Some(0), true), "{err}");
    // ... or in VAULT_PIN; and stock age still reads the file with the pinned identity.
    let pin = pins.trim().strip_prefix("# vault-pin ").unwrap();
    let (code, err, started) = exec_probe(
        &shallow,
        shallow
            .vault(&deploy)
            .env("VAULT_PIN", pin)
            .args(["exec", "prod"]),
    );
    assert_eq!((code, started), (Some(0), true), "{err}");
    let plaintext = std::process::Command::new("age")
        .args(["-d", "-i"])
        .arg(&carried)
        .arg(shallow.path("secrets/prod.age"))
        .output()
        .unwrap();
    assert!(plaintext.status.success(), "{}", stderr(&plaintext));
    // A forgery is refused by the pinned deploy.
    let payload = "format = 1\nenvironment = \"prod\"\n";
    shallow.write(
        "secrets/prod.age",
        stock_age_encrypt(&[&deploy.public], payload),
    );
    let (code, err, started) = exec_probe(
        &shallow,
        shallow
            .vault(&deploy)
            .env("VAULT_PIN", pin)
            .args(["exec", "prod"]),
    );
    assert_eq!((code, started), (Some(125), false), "{err}");
}

#[test]
fn a_fresh_clone_verifies_from_history_and_follows_hand_overs() {
    let (repo, alice, deploy, _mallory) = team();
    let bob = repo.onboard(&alice, "bob", "prod");
    repo.vault(&alice)
        .args(["member", "remove", "bob", "--yes"])
        .assert()
        .success();
    repo.set(
        &alice,
        "prod",
        "DATABASE_URL",
        "postgres://app:rotated@db/app",
    );
    commit_all(&repo, Some(&alice), "alice", "offboard bob");
    let clone = TestRepo::new();
    clone.git(["pull", "-q", repo.root.to_str().unwrap(), "main"]);
    assert_eq!(
        clone.get(&deploy, "prod", "DATABASE_URL"),
        "postgres://app:rotated@db/app"
    );
    let (code, report) = check(&clone, Some(&deploy));
    assert_eq!(code, Some(0), "{report}");
    let _ = bob;
}

#[test]
fn accept_keeps_a_reviewed_version_resigned_and_marks_what_others_could_read() {
    let (repo, alice, deploy, mallory) = team();
    // Someone wrote prod with stock age, sealed to its readers and to mallory.
    let payload = "format = 1\nenvironment = \"prod\"\nrecipients = []\n\n[secrets.DATABASE_URL]\nvalue = \"postgres://app:by-hand@db/app\"\nrotated_at = \"2026-11-20T09:00:00Z\"\n";
    repo.write(
        "secrets/prod.age",
        stock_age_encrypt(&[&alice.public, &deploy.public, &mallory.public], payload),
    );
    commit_all(&repo, None, "someone", "prod by hand");
    let out = repo
        .vault(&alice)
        .args(["accept", "prod", "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = stdout(&out);
    assert!(plan.contains("~ DATABASE_URL"), "{plan}");
    assert!(plan.contains("sealed to 3 key(s)"), "{plan}");
    assert!(plan.contains("marked must-rotate"), "{plan}");
    repo.vault(&alice)
        .args(["accept", "prod", "--yes"])
        .assert()
        .success();
    assert_eq!(
        repo.get(&deploy, "prod", "DATABASE_URL"),
        "postgres://app:by-hand@db/app"
    );
    assert!(stock_age_decrypt(&mallory, &repo.read("secrets/prod.age")).is_none());
    let (code, report) = check(&repo, Some(&alice));
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("[must-rotate]"), "{report}");
}

#[test]
fn upgrade_signs_old_format_files_once_and_check_warns_until_then() {
    let (repo, alice) = TestRepo::with_vault("dev");
    // An environment written by an earlier release: format 1, no signature.
    let payload = format!(
        "format = 1\nenvironment = \"dev\"\nrecipients = [\"{}\"]\n\n[secrets.TOKEN]\nvalue = \"legacy-value\"\nrotated_at = \"2026-01-01T00:00:00Z\"\n",
        alice.public
    );
    repo.write(
        "secrets/dev.age",
        stock_age_encrypt(&[&alice.public], &payload),
    );
    // A clean machine (no pins) with history of only the old format: reads work, check
    // warns, writes ask for the upgrade.
    std::fs::remove_file(repo.home.join(".config/vault/pins")).unwrap();
    commit_all(&repo, Some(&alice), "alice", "old vault");
    assert_eq!(repo.get(&alice, "dev", "TOKEN"), "legacy-value");
    let (code, report) = check(&repo, Some(&alice));
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("[legacy-format]"), "{report}");
    let out = repo
        .vault(&alice)
        .args(["set", "dev", "OTHER"])
        .write_stdin("x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("vault upgrade"), "{}", stderr(&out));
    let out = repo
        .vault(&alice)
        .args(["upgrade", "--dry-run"])
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains("dev: sign with a new write key"),
        "{}",
        stdout(&out)
    );
    repo.vault(&alice)
        .args(["upgrade", "--yes"])
        .assert()
        .success();
    commit_all(&repo, Some(&alice), "alice", "upgrade");
    assert_eq!(repo.get(&alice, "dev", "TOKEN"), "legacy-value");
    let (code, report) = check(&repo, Some(&alice));
    assert_eq!(code, Some(0), "{report}");
    assert!(!report.contains("legacy-format"), "{report}");
    repo.set(&alice, "dev", "OTHER", "x");
    commit_all(&repo, Some(&alice), "alice", "more");
    // A fresh clone (no pins) confirms from history that a reader made the upgrade.
    let clone = TestRepo::new();
    clone.git(["pull", "-q", repo.root.to_str().unwrap(), "main"]);
    assert_eq!(clone.get(&alice, "dev", "TOKEN"), "legacy-value");
}

// ---------------------------------------------------------------------------------------
// The hook runs this vault, not another program called `vault` (issue 20, item 2).

#[test]
fn the_hook_never_runs_another_program_named_vault() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let hook = repo.root.join(".git/hooks/pre-commit");
    let installed = std::fs::read_to_string(&hook).unwrap();
    assert!(installed.contains(vault_bin().canonicalize().unwrap().to_str().unwrap()));
    // The installing binary is gone, and HashiCorp's `vault` is first on PATH.
    std::fs::write(
        &hook,
        installed.replace(
            vault_bin().canonicalize().unwrap().to_str().unwrap(),
            "/nonexistent/vault",
        ),
    )
    .unwrap();
    let fake = repo.base_path("hashicorp-bin");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(
        fake.join("vault"),
        "#!/bin/sh\necho 'Usage: vault <command> [args]'\nexit 0\n",
    )
    .unwrap();
    std::fs::set_permissions(
        fake.join("vault"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    repo.write(
        ".env",
        "STRIPE_SECRET_KEY=sk_live_51Hx9fakefakefakefakefake0000\n",
    );
    let mut git = repo.isolated("git");
    let path = format!("{}:/usr/bin:/bin", fake.display());
    git.env("PATH", &path)
        .env("VAULT_IDENTITY_FILE", &alice.file)
        .env("GIT_AUTHOR_NAME", "a")
        .env("GIT_AUTHOR_EMAIL", "a@example.com")
        .env("GIT_COMMITTER_NAME", "a")
        .env("GIT_COMMITTER_EMAIL", "a@example.com");
    git_as(&repo, None, "a", &["add", "-A"]);
    let out = git.args(["commit", "-q", "-m", "oops"]).output().unwrap();
    assert!(!out.status.success(), "the commit went through");
    assert!(stderr(&out).contains("HashiCorp"), "{}", stderr(&out));
    // With this vault reachable on PATH, the hook runs it (and blocks the .env).
    let out = repo
        .isolated("git")
        .env("VAULT_IDENTITY_FILE", &alice.file)
        .env("GIT_AUTHOR_NAME", "a")
        .env("GIT_AUTHOR_EMAIL", "a@example.com")
        .env("GIT_COMMITTER_NAME", "a")
        .env("GIT_COMMITTER_EMAIL", "a@example.com")
        .args(["commit", "-q", "-m", "oops"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("dotenv-file"), "{}", stderr(&out));
}

#[test]
fn merging_main_into_a_branch_opened_before_an_offboarding_works_and_marks_its_values() {
    let (repo, alice) = TestRepo::with_vault("prod");
    let bob = repo.onboard(&alice, "bob", "prod");
    repo.set(&alice, "prod", "DATABASE_URL", "postgres://db-1");
    commit_all(&repo, Some(&alice), "alice", "prod");
    git_as(&repo, None, "alice", &["checkout", "-q", "-b", "feature"]);
    repo.set(&alice, "prod", "FEATURE_KEY", "feature-value-1");
    commit_all(&repo, Some(&alice), "alice", "feature key");
    git_as(&repo, None, "alice", &["checkout", "-q", "main"]);
    repo.vault(&alice)
        .args(["member", "remove", "bob", "--yes"])
        .assert()
        .success();
    repo.set(&alice, "prod", "DATABASE_URL", "postgres://db-2");
    commit_all(&repo, Some(&alice), "alice", "offboard bob");
    // Back on the branch (whose file predates the hand-over), bring main in.
    git_as(&repo, None, "alice", &["checkout", "-q", "feature"]);
    git_as(
        &repo,
        Some(&alice),
        "alice",
        &["merge", "--no-edit", "main"],
    );
    assert_eq!(repo.get(&alice, "prod", "DATABASE_URL"), "postgres://db-2");
    assert_eq!(repo.get(&alice, "prod", "FEATURE_KEY"), "feature-value-1");
    assert!(stock_age_decrypt(&bob, &repo.read("secrets/prod.age")).is_none());
    let (code, report) = check(&repo, Some(&alice));
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("FEATURE_KEY"), "{report}");
    assert!(!report.contains("[unauthenticated]"), "{report}");
}

#[test]
fn a_new_vault_in_a_reused_directory_is_not_held_to_the_old_ones_pins() {
    let (repo, alice) = TestRepo::with_vault("prod");
    let bob = repo.onboard(&alice, "bob", "prod");
    repo.vault(&alice)
        .args(["member", "remove", "bob", "--yes"])
        .assert()
        .success();
    let _ = bob;
    // The project is deleted and a new vault made in the same directory.
    for file in [".vault.toml", "secrets/prod.age", "secrets/prod.recipients"] {
        std::fs::remove_file(repo.path(file)).unwrap();
    }
    repo.vault(&alice)
        .args(["init", "--name", "alice", "--env", "prod"])
        .assert()
        .success();
    repo.set(&alice, "prod", "A", "value-1");
    assert_eq!(repo.get(&alice, "prod", "A"), "value-1");
    // And a pin can be forgotten on purpose.
    repo.vault(&alice)
        .args(["pin", "--forget", "prod"])
        .assert()
        .success();
    let pins = std::fs::read_to_string(repo.home.join(".config/vault/pins")).unwrap();
    assert!(!pins.lines().any(|l| l.starts_with("prod@")), "{pins}");
}
