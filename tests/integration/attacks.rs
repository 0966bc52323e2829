//! Adversarial review of authenticated writes: each test is an attack that the design is
//! meant to stop, written the way an attacker with push access would run it (stock git,
//! `--no-verify`, the public keys of `.vault.toml`). A test here fails while the hole it
//! names is open.

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

/// A fresh full clone of `repo`'s main (own HOME: no pins), the way CI or a new member
/// starts.
fn fresh_clone(repo: &TestRepo) -> TestRepo {
    let clone = TestRepo::new();
    clone.git(["pull", "-q", repo.root.to_str().unwrap(), "main"]);
    clone
}

/// `vault get ENV NAME` as `key`: (exit code, stdout, stderr).
fn try_get(repo: &TestRepo, key: &Key, env: &str, name: &str) -> (Option<i32>, String, String) {
    let out = repo
        .vault(key)
        .args(["get", env, name])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    (out.status.code(), stdout(&out), stderr(&out))
}

/// A signed environment file made with the library, as anyone can: `key` signs as the
/// current key of `chain`, the payload is format 2 with `write_key` = `key`, sealed to
/// `recipients` (canonical), with `secrets` as `(NAME, value)`.
fn forge_signed(
    env: &str,
    key: &vault::auth::WriteKey,
    chain: vault::auth::Chain,
    seq: u64,
    recipients: &[&str],
    secrets: &[(&str, &str)],
) -> Vec<u8> {
    let mut payload = format!(
        "format = 2\nenvironment = \"{env}\"\nrecipients = [{}]\nwrite_key = \"{}\"\n",
        recipients
            .iter()
            .map(|r| format!("\"{r}\""))
            .collect::<Vec<_>>()
            .join(", "),
        key.to_text().as_str()
    );
    for (name, value) in secrets {
        payload.push_str(&format!(
            "\n[secrets.{name}]\nvalue = \"{value}\"\nrotated_at = \"2026-11-20T09:00:00Z\"\n"
        ));
    }
    sign_with(env, key, chain, seq, recipients, &payload)
}

/// An outsider's own write key and a signed file for `env` under it (a chain nobody on the
/// team started).
fn outsider_forgery(env: &str, recipients: &[&str], secrets: &[(&str, &str)]) -> Vec<u8> {
    let key = vault::auth::WriteKey::generate();
    let chain = vault::auth::Chain::genesis(key.public());
    forge_signed(env, &key, chain, 1, recipients, secrets)
}

fn stanza_of(bytes: &[u8], env: &str) -> vault::auth::Stanza {
    match vault::auth::inspect(env, bytes).unwrap() {
        vault::auth::Seal::Signed(s) => s,
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Outsider: the history anchor is whatever the attacker makes git history say.

/// `secrets/` replaced by a symlink to a directory the outsider creates: `repo_path`
/// canonicalizes the directory, so the history anchor and `vault check`'s provenance read
/// the history of the attacker's directory, whose first signed version is the forgery.
#[test]
fn symlinked_secrets_dir_makes_an_outsiders_chain_the_anchor() {
    let (repo, alice, deploy, _mallory) = team();
    // The outsider: no key. Moves secrets/ aside, points secrets at it, and replaces prod
    // with a file signed by a write key of her own, sealed to prod's readers.
    git_as(&repo, None, "outsider", &["mv", "secrets", "shadow"]);
    std::os::unix::fs::symlink("shadow", repo.path("secrets")).unwrap();
    repo.write(
        "shadow/prod.age",
        outsider_forgery(
            "prod",
            &[&alice.public, &deploy.public],
            &[("DATABASE_URL", "postgres://app:x@evil.example/app")],
        ),
    );
    let forged = commit_all(&repo, None, "outsider", "tidy: move secrets");

    // CI / a new member: a full clone, no pins.
    let clone = fresh_clone(&repo);
    assert!(clone.path("secrets").is_symlink());
    let (code, report) = check(&clone, None);
    assert_eq!(
        code,
        Some(1),
        "vault check passes a forgery behind a symlinked secrets/:\n{report}"
    );
    // vault does not follow the link: nothing behind it is read or trusted.
    assert!(report.contains("symbolic link"), "{report}");
    let _ = forged;
    let (code, out, err) = try_get(&clone, &deploy, "prod", "DATABASE_URL");
    assert!(
        !out.contains("evil.example"),
        "a fresh clone accepted the outsider's forgery through secrets -> shadow: {out}"
    );
    assert_eq!(code, Some(2), "{err}");
}

/// A merge commit whose *first* parent is an orphan root the outsider made: fast-forwards
/// main, and the first-parent line (the "mainline") now starts at her root, so the first
/// signed version there is her forgery.
#[test]
fn a_merge_with_swapped_parents_makes_an_orphan_forgery_the_first_signed_version() {
    let (repo, alice, deploy, _mallory) = team();
    git_as(
        &repo,
        None,
        "outsider",
        &["checkout", "-q", "--orphan", "evil"],
    );
    repo.write(
        "secrets/prod.age",
        outsider_forgery(
            "prod",
            &[&alice.public, &deploy.public],
            &[("DATABASE_URL", "postgres://app:x@evil.example/app")],
        ),
    );
    commit_all(&repo, None, "outsider", "init");
    git_as(
        &repo,
        None,
        "outsider",
        &[
            "merge",
            "-q",
            "--no-verify",
            "-s",
            "ours",
            "--allow-unrelated-histories",
            "-m",
            "Merge branch 'main'",
            "main",
        ],
    );
    // A fast-forward of main: what a plain `git push` accepts.
    git_as(&repo, None, "outsider", &["checkout", "-q", "main"]);
    git_as(
        &repo,
        None,
        "outsider",
        &["merge", "-q", "--ff-only", "evil"],
    );

    let clone = fresh_clone(&repo);
    let (code, out, err) = try_get(&clone, &deploy, "prod", "DATABASE_URL");
    assert!(
        !out.contains("evil.example"),
        "a fresh clone accepted an orphan forgery made first-parent: {out}"
    );
    assert_eq!(code, Some(2), "{err}");
    let (code, err, started) = exec_probe(&clone, clone.vault(&deploy).args(["exec", "prod"]));
    assert_eq!((code, started), (Some(125), false), "{err}");
}

// ---------------------------------------------------------------------------------------
// Removed member: knew write key 1.

/// prod read by alice, bob and the deploy key; bob is then removed (write key 2) and the
/// secret rotated. Returns bob's knowledge: write key 1 and the version he last read.
fn offboarded_team() -> (TestRepo, Key, Key, Key, vault::auth::WriteKey, Vec<u8>) {
    let (repo, alice) = TestRepo::with_vault("prod");
    let deploy = repo.onboard(&alice, "ci-prod", "prod");
    let bob = repo.onboard(&alice, "bob", "prod");
    repo.set(&alice, "prod", "TOKEN", "t1");
    commit_all(&repo, Some(&alice), "alice", "prod");
    let old_file = repo.read("secrets/prod.age");
    let old_key = vault::auth::WriteKey::from_text(&write_key_of(&repo, &bob, "prod")).unwrap();
    repo.vault(&alice)
        .args(["member", "remove", "bob", "--yes"])
        .assert()
        .success();
    repo.set(&alice, "prod", "TOKEN", "t2-rotated");
    commit_all(&repo, Some(&alice), "alice", "offboard bob");
    (repo, alice, deploy, bob, old_key, old_file)
}

/// Without pins, `verify_current` compares only the genesis key with history: a version
/// bob signs with write key 1 after he was removed (a rollback to epoch 1) is accepted by
/// `get`/`exec` on a full clone, although history has write key 2.
#[test]
fn removed_member_rollback_to_the_old_write_key_is_accepted_by_a_fresh_clone() {
    let (repo, alice, deploy, _bob, old_key, old_file) = offboarded_team();
    let old = stanza_of(&old_file, "prod");
    let forged = forge_signed(
        "prod",
        &old_key,
        old.chain.clone(),
        old.seq + 100,
        &[&alice.public, &deploy.public],
        &[("TOKEN", "bob-chose-this")],
    );
    repo.write("secrets/prod.age", &forged);
    commit_all(&repo, None, "bob", "prod: fix token");

    let clone = fresh_clone(&repo);
    let (code, out, err) = try_get(&clone, &deploy, "prod", "TOKEN");
    assert!(
        !out.contains("bob-chose-this"),
        "a full clone without pins accepted a removed member's epoch-1 version: {out}"
    );
    assert_eq!(code, Some(2), "{err}");
    let (code, err, started) = exec_probe(&clone, clone.vault(&deploy).args(["exec", "prod"]));
    assert_eq!((code, started), (Some(125), false), "{err}");
}

/// The same with a competing hand-over (a fork at epoch 2): accepted by a fresh full clone,
/// and `vault pin` there prints bob's key as the pin to hand to deploy machines.
#[test]
fn removed_member_fork_is_accepted_and_pinned_by_a_fresh_clone() {
    let (repo, alice, deploy, _bob, old_key, old_file) = offboarded_team();
    let old = stanza_of(&old_file, "prod");
    let bobs = vault::auth::WriteKey::generate();
    let chain = old.chain.rotated("prod", &old_key, &bobs);
    let forged = forge_signed(
        "prod",
        &bobs,
        chain,
        old.seq + 100,
        &[&alice.public, &deploy.public],
        &[("TOKEN", "bob-chose-this")],
    );
    repo.write("secrets/prod.age", &forged);
    commit_all(&repo, None, "bob", "prod: rotate write key");

    let clone = fresh_clone(&repo);
    let (_, out, _) = try_get(&clone, &deploy, "prod", "TOKEN");
    assert!(
        !out.contains("bob-chose-this"),
        "a full clone without pins accepted a removed member's fork: {out}"
    );
    let pin = stdout(&clone.vault(&deploy).args(["pin", "prod"]).output().unwrap());
    assert!(
        !pin.contains(&bobs.public().to_string()),
        "`vault pin` offers the removed member's key as the deploy pin: {pin}"
    );
}

/// Merge driver: `theirs` is checked only for `compatible` with ours' chain, so a version
/// bob signs with write key 1 *after his removal*, on a branch cut from before it, is a
/// valid input. Its values are merged into a result signed with write key 2, and the
/// must-rotate marking trusts the recipients bob wrote into it (he leaves himself out), so
/// a value chosen by a removed member lands on main unmarked and `check` passes.
#[test]
fn merge_driver_takes_unmarked_values_from_a_removed_members_old_epoch_branch() {
    let (repo, alice) = TestRepo::with_vault("prod");
    let bob = repo.onboard(&alice, "bob", "prod");
    repo.set(&alice, "prod", "TOKEN", "t1");
    let before = commit_all(&repo, Some(&alice), "alice", "prod");
    let old_file = repo.read("secrets/prod.age");
    let old_key = vault::auth::WriteKey::from_text(&write_key_of(&repo, &bob, "prod")).unwrap();
    repo.vault(&alice)
        .args(["member", "remove", "bob", "--yes"])
        .assert()
        .success();
    repo.set(&alice, "prod", "TOKEN", "t2-rotated");
    commit_all(&repo, Some(&alice), "alice", "offboard bob");
    let (code, report) = check(&repo, Some(&alice));
    assert_eq!(code, Some(0), "{report}");

    // bob, removed, still pushes: a branch from before his removal, one more version under
    // write key 1 that keeps TOKEN as it was and adds a value of his own.
    git_as(
        &repo,
        None,
        "bob",
        &["checkout", "-q", "-b", "hooks", &before],
    );
    let plain = stock_age_decrypt(&bob, &old_file).unwrap();
    let old = stanza_of(&old_file, "prod");
    let recipients_line = plain
        .lines()
        .find(|l| l.starts_with("recipients = "))
        .unwrap()
        .to_owned();
    let plain = plain.replace(
        &recipients_line,
        &format!("recipients = [\"{}\"]", alice.public),
    ) + "\n[secrets.WEBHOOK_URL]\nvalue = \"https://bob.example/hook\"\nrotated_at = \"2026-11-20T09:00:00Z\"\n";
    let forged = sign_with(
        "prod",
        &old_key,
        old.chain.clone(),
        old.seq + 1,
        &[&alice.public],
        &plain,
    );
    repo.write("secrets/prod.age", &forged);
    commit_all(&repo, None, "bob", "prod: webhook");

    // alice merges the branch; git runs vault's merge driver.
    git_as(&repo, None, "alice", &["checkout", "-q", "main"]);
    let merge = repo
        .isolated("git")
        .env("VAULT_IDENTITY_FILE", &alice.file)
        .env("GIT_AUTHOR_NAME", "alice")
        .env("GIT_AUTHOR_EMAIL", "alice@example.com")
        .env("GIT_COMMITTER_NAME", "alice")
        .env("GIT_COMMITTER_EMAIL", "alice@example.com")
        .args(["merge", "--no-edit", "hooks"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    if !merge.status.success() {
        return; // refused: the hole is closed
    }
    let value = repo.get(&alice, "prod", "WEBHOOK_URL");
    let (code, report) = check(&repo, Some(&alice));
    assert_eq!(
        code,
        Some(1),
        "a value written by a removed member under the old write key ({value}) was merged unmarked:\n{report}"
    );
    assert!(report.contains("WEBHOOK_URL"), "{report}");
}

// ---------------------------------------------------------------------------------------
// Outsider against the old format.

/// Before a reader runs `vault upgrade`, an outsider commits a *signed* version under a
/// write key of her own. Without pins, the history anchor is the first signed version on
/// the mainline (hers), so readers accept it, `vault upgrade` finds nothing to do, `check`
/// stops warning about the old format, and every later write continues her chain (she
/// keeps write access for good).
#[test]
fn an_outsider_upgrades_a_legacy_vault_first_and_owns_its_write_key() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let payload = format!(
        "format = 1\nenvironment = \"dev\"\nrecipients = [\"{}\"]\n\n[secrets.TOKEN]\nvalue = \"legacy-value\"\nrotated_at = \"2026-01-01T00:00:00Z\"\n",
        alice.public
    );
    repo.write(
        "secrets/dev.age",
        stock_age_encrypt(&[&alice.public], &payload),
    );
    std::fs::remove_file(repo.home.join(".config/vault/pins")).unwrap();
    commit_all(&repo, Some(&alice), "alice", "old vault");

    repo.write(
        "secrets/dev.age",
        outsider_forgery("dev", &[&alice.public], &[("TOKEN", "outsider-chose-this")]),
    );
    let forged = commit_all(&repo, None, "outsider", "dev: upgrade to signed format");

    let (code, report) = check(&repo, Some(&alice));
    assert_eq!(
        code,
        Some(1),
        "an outsider's first signed version of a legacy vault passes check:\n{report}"
    );
    assert!(report.contains(&forged[..10]), "{report}");
    let (_, out, _) = try_get(&repo, &alice, "dev", "TOKEN");
    assert!(!out.contains("outsider-chose-this"), "{out}");
}

/// "A shallow clone without pins refuses" holds for signed files only: a downgrade to the
/// old format (stock age, any outsider) is accepted by a shallow deploy without pins,
/// although the same deploy refuses every genuine signed version.
#[test]
fn a_shallow_deploy_without_pins_accepts_a_downgrade_it_cannot_date() {
    let (repo, alice, deploy, _mallory) = team();
    let payload = format!(
        "format = 1\nenvironment = \"prod\"\nrecipients = [\"{}\", \"{}\"]\n\n[secrets.DATABASE_URL]\nvalue = \"postgres://app:x@evil.example/app\"\nrotated_at = \"2026-11-20T09:00:00Z\"\n",
        alice.public, deploy.public
    );
    repo.write(
        "secrets/prod.age",
        stock_age_encrypt(&[&alice.public, &deploy.public], &payload),
    );
    commit_all(&repo, None, "outsider", "prod");
    let shallow = repo.shallow_clone();
    let (code, out, _) = try_get(&shallow, &deploy, "prod", "DATABASE_URL");
    assert!(
        !out.contains("evil.example"),
        "a shallow deploy without pins accepted an old-format forgery: {out}"
    );
    let (code2, err, started) = exec_probe(&shallow, shallow.vault(&deploy).args(["exec", "prod"]));
    assert_eq!((code, code2, started), (Some(2), Some(125), false), "{err}");
}

// ---------------------------------------------------------------------------------------
// textconv: values of an unverified version.

/// The issue asks `textconv` to refuse unauthenticated versions; with `legacy_ok = true` an
/// old-format forgery committed after the upgrade (a downgrade) is shown to a reviewing
/// member as an ordinary key-level diff with values.
#[test]
fn textconv_shows_the_values_of_a_downgrade_forgery() {
    let (repo, alice, deploy, _mallory) = team();
    git_as(&repo, None, "outsider", &["checkout", "-q", "-b", "pr"]);
    let payload = format!(
        "format = 1\nenvironment = \"prod\"\nrecipients = [\"{}\", \"{}\"]\n\n[secrets.DATABASE_URL]\nvalue = \"postgres://app:x@evil.example/app\"\nrotated_at = \"2026-11-20T09:00:00Z\"\n",
        alice.public, deploy.public
    );
    repo.write(
        "secrets/prod.age",
        stock_age_encrypt(&[&alice.public, &deploy.public], &payload),
    );
    commit_all(&repo, None, "outsider", "prod: new db");
    git_as(&repo, None, "alice", &["checkout", "-q", "main"]);
    // alice reviews the pull request.
    let out = git_as(
        &repo,
        Some(&alice),
        "alice",
        &["diff", "main", "pr", "--", "secrets/prod.age"],
    );
    let diff = stdout(&out);
    assert!(
        diff.contains("NOT AUTHENTICATED"),
        "textconv showed an unauthenticated version as a normal diff:\n{diff}"
    );
    assert!(!diff.contains("evil.example"), "{diff}");
}

// ---------------------------------------------------------------------------------------
// Loader variables that slip through.

/// The deny-list has `GIT_SSH_COMMAND` and `GIT_EXEC_PATH` but not `GIT_SSH`,
/// `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n` (any git config, e.g.
/// `core.sshCommand`, `core.fsmonitor`, `core.pager`) or `PYTHONWARNINGS` (imports a module
/// named in it): each runs code of the writer's choosing in a child that uses git/python.
#[test]
fn exec_passes_loader_variables_missing_from_the_deny_list() {
    let (repo, alice, deploy, _mallory) = team();
    for (name, value) in [
        ("GIT_SSH", "/tmp/evil-ssh"),
        ("GIT_CONFIG_COUNT", "1"),
        ("GIT_CONFIG_KEY_0", "core.sshCommand"),
        ("GIT_CONFIG_VALUE_0", "sh -c 'touch /tmp/pwned'"),
        ("PYTHONWARNINGS", "ignore::evil.Warning"),
    ] {
        repo.set(&alice, "prod", name, value);
    }
    let probe = repo.base_path("probe");
    let out = repo
        .vault(&deploy)
        .args(["exec", "prod", "--", "sh", "-c"])
        .arg(format!(
            "git config --get core.sshCommand > '{}'",
            probe.display()
        ))
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let injected = std::fs::read_to_string(&probe).unwrap_or_default();
    assert!(
        !injected.contains("touch /tmp/pwned"),
        "git in the child runs with core.sshCommand from a secret: {injected}"
    );
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    for name in ["GIT_SSH", "GIT_CONFIG_COUNT", "PYTHONWARNINGS"] {
        assert!(stderr(&out).contains(name), "{name}: {}", stderr(&out));
    }
}

/// A deploy machine carries the pin `vault pin` printed when it was set up (epoch 1). After
/// bob's removal (epoch 2), a version bob signs with write key 1 still satisfies that pin:
/// the shallow deploy runs it. Nothing tells anyone the carried pins went stale.
#[test]
fn a_carried_pin_must_be_renewed_after_an_offboarding_and_the_removal_says_so() {
    let (repo, alice) = TestRepo::with_vault("prod");
    let deploy = repo.onboard(&alice, "ci-prod", "prod");
    let bob = repo.onboard(&alice, "bob", "prod");
    repo.set(&alice, "prod", "TOKEN", "t1");
    commit_all(&repo, Some(&alice), "alice", "prod");
    let pin_line = stdout(&repo.vault(&alice).args(["pin", "prod"]).output().unwrap());
    let pin = pin_line
        .trim()
        .strip_prefix("# vault-pin ")
        .unwrap()
        .to_owned();
    let old_file = repo.read("secrets/prod.age");
    let old_key = vault::auth::WriteKey::from_text(&write_key_of(&repo, &bob, "prod")).unwrap();
    let out = repo
        .vault(&alice)
        .args(["member", "remove", "bob", "--yes"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let removal_notes = format!("{}{}", stdout(&out), stderr(&out));
    repo.set(&alice, "prod", "TOKEN", "t2-rotated");
    commit_all(&repo, Some(&alice), "alice", "offboard bob");

    let old = stanza_of(&old_file, "prod");
    repo.write(
        "secrets/prod.age",
        forge_signed(
            "prod",
            &old_key,
            old.chain.clone(),
            old.seq + 100,
            &[&alice.public, &deploy.public],
            &[("TOKEN", "bob-chose-this")],
        ),
    );
    commit_all(&repo, None, "bob", "prod");
    let shallow = repo.shallow_clone();
    // A pin taken before the removal cannot know about the hand-over: this is the limit
    // of a static pin (docs/authenticated-writes.md#limits). The removal says so and
    // prints the new pin; with it, the deploy refuses bob's version.
    assert!(
        removal_notes.contains("carry a pin") && removal_notes.contains("# vault-pin prod@2:"),
        "`member remove` does not tell the team to renew machine pins:\n{removal_notes}"
    );
    let new_pin = removal_notes
        .lines()
        .find_map(|l| l.trim().strip_prefix("# vault-pin "))
        .unwrap()
        .to_owned();
    assert_ne!(new_pin, pin);
    let out = shallow
        .vault(&deploy)
        .env("VAULT_PIN", &new_pin)
        .args(["get", "prod", "TOKEN"])
        .output()
        .unwrap();
    assert!(
        !stdout(&out).contains("bob-chose-this"),
        "the renewed pin ({new_pin}) accepts a version bob signed after his removal"
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("rollback"), "{}", stderr(&out));
}
