//! `vault check` (the CI gate) and `vault rotate status/start/finish`.
//!
//! Every test writes its own `.secrets.example.toml`. Values that look like provider
//! tokens are built at runtime, so this file never holds a realistic secret literal.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::*;

/// `vault check ARGS` as `key`'s owner: (exit code, stdout, stderr).
fn check(repo: &TestRepo, key: &Key, args: &[&str]) -> (Option<i32>, String, String) {
    let out = repo
        .vault(key)
        .arg("check")
        .args(args)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    (out.status.code(), stdout(&out), stderr(&out))
}

/// `vault check --json ARGS` as `key`'s owner: (exit code, report).
fn check_json(repo: &TestRepo, key: &Key, args: &[&str]) -> (Option<i32>, Value) {
    let (code, mut report) =
        TestRepo::json_of(repo.vault(key).args(["check", "--json"]).args(args));
    without_legacy_recipients(&mut report);
    (code, report)
}

/// (code, env, secret) of every finding.
fn findings(report: &Value) -> BTreeSet<(String, Option<String>, Option<String>)> {
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

/// A finding tuple, for comparisons.
fn finding(
    code: &str,
    env: Option<&str>,
    secret: Option<&str>,
) -> (String, Option<String>, Option<String>) {
    (
        code.to_owned(),
        env.map(str::to_owned),
        secret.map(str::to_owned),
    )
}

/// The finding with `code` (exactly one expected).
fn only<'a>(report: &'a Value, code: &str) -> &'a Value {
    let matching: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect();
    assert_eq!(matching.len(), 1, "one `{code}` finding expected: {report}");
    matching[0]
}

/// A date `days` from now as YYYY-MM-DD (UTC).
fn days_from_now(days: i64) -> String {
    jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(days * 24))
        .unwrap()
        .strftime("%Y-%m-%d")
        .to_string()
}

// ---------------------------------------------------------------------------------------
// Template rules

#[test]
fn missing_required_secret_fails_with_code_missing() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.write_template(
        "[DATABASE_URL]\ndescription = \"Postgres\"\nrequired = [\"dev\", \"prod\"]\nformat = \"url\"\n\n\
         [DEBUG_TOKEN]\nrequired = [\"dev\"]\n",
    );
    repo.set(&alice, "dev", "DATABASE_URL", "postgres://dev-host/db");
    repo.set(&alice, "dev", "DEBUG_TOKEN", "debug-token-value");

    let (code, out, _) = check(&repo, &alice, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("error [missing]"), "{out}");
    assert!(
        out.contains("`DATABASE_URL` is required in `prod` but not set"),
        "{out}"
    );
    // Only the classic-keys warning (see `without_legacy_recipients`).
    assert!(out.contains("dev: warnings"), "{out}");
    assert!(out.contains("prod: problems"), "{out}");
    assert!(out.contains("1 error(s), 2 warning(s)"), "{out}");

    let (code, report) = check_json(&repo, &alice, &[]);
    assert_eq!(code, Some(1));
    // DEBUG_TOKEN is required only in dev, so prod does not miss it.
    assert_eq!(
        findings(&report),
        BTreeSet::from([finding("missing", Some("prod"), Some("DATABASE_URL"))])
    );
    assert_eq!(only(&report, "missing")["severity"], "error");

    repo.set(&alice, "prod", "DATABASE_URL", "postgres://prod-host/db");
    let (code, out, _) = check(&repo, &alice, &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("0 error(s), 2 warning(s)"), "{out}");
    assert_eq!(
        out.matches("warning [legacy-recipient]").count(),
        2,
        "{out}"
    );
}

#[test]
fn malformed_values_fail_with_code_format_without_echoing_them() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.write_template(
        "[PORT]\nformat = \"port\"\n\n[API_URL]\nformat = \"url\"\n\n[WORKERS]\nformat = \"int\"\n",
    );
    repo.set(&alice, "dev", "PORT", "99999");
    repo.set(&alice, "dev", "API_URL", "not a url");
    repo.set(&alice, "dev", "WORKERS", "4");

    let (code, out, err) = check(&repo, &alice, &[]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        out.contains("`PORT` in `dev` is not a valid port: not a number from 1 to 65535"),
        "{out}"
    );
    assert!(
        out.contains("`API_URL` in `dev` is not a valid URL"),
        "{out}"
    );
    let (code, report) = check_json(&repo, &alice, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        findings(&report),
        BTreeSet::from([
            finding("format", Some("dev"), Some("API_URL")),
            finding("format", Some("dev"), Some("PORT")),
        ])
    );
    let json = report.to_string();
    for value in ["99999", "not a url"] {
        assert!(
            !out.contains(value) && !err.contains(value),
            "{value} leaked"
        );
        assert!(!json.contains(value), "{value} leaked: {json}");
    }

    repo.set(&alice, "dev", "PORT", "8080");
    repo.set(&alice, "dev", "API_URL", "https://api.example.com");
    assert_eq!(check(&repo, &alice, &[]).0, Some(0));
}

#[test]
fn live_and_test_keys_swapped_between_staging_and_prod_fail_the_pattern() {
    let (repo, alice) = TestRepo::with_vault("dev,staging,prod");
    repo.write_template(
        "[STRIPE_SECRET_KEY]\npattern = { prod = \"^sk_live_\", \"*\" = \"^sk_test_\" }\nrotate_days = 180\n",
    );
    let key = |kind: &str, tail: &str| format!("sk_{kind}_{tail}");
    let dev_value = key("test", "devA1b2C3d4E5f6G7h8");
    let staging_value = key("live", "stgZ9y8X7w6V5u4T3s2");
    let prod_value = key("test", "prdQ1w2E3r4T5y6U7i8");
    repo.set(&alice, "dev", "STRIPE_SECRET_KEY", &dev_value);
    repo.set(&alice, "staging", "STRIPE_SECRET_KEY", &staging_value);
    repo.set(&alice, "prod", "STRIPE_SECRET_KEY", &prod_value);

    let (code, out, err) = check(&repo, &alice, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(
            "`STRIPE_SECRET_KEY` does not match the pattern `^sk_live_` required in `prod`"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "`STRIPE_SECRET_KEY` does not match the pattern `^sk_test_` required in `staging`"
        ),
        "{out}"
    );
    let (code, report) = check_json(&repo, &alice, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        findings(&report),
        BTreeSet::from([
            finding("pattern", Some("prod"), Some("STRIPE_SECRET_KEY")),
            finding("pattern", Some("staging"), Some("STRIPE_SECRET_KEY")),
        ])
    );
    for value in [&dev_value, &staging_value, &prod_value] {
        assert!(!out.contains(value.as_str()) && !err.contains(value.as_str()));
        assert!(!report.to_string().contains(value.as_str()));
    }

    // exec refuses the swapped key before the program starts.
    let out = repo
        .vault(&alice)
        .args(["exec", "prod", "--", "sh", "-c", "echo started"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert!(stderr(&out).contains("^sk_live_"), "{}", stderr(&out));
    assert!(!stderr(&out).contains(&prod_value));

    // Put the right shapes in place and the gate passes.
    repo.set(
        &alice,
        "staging",
        "STRIPE_SECRET_KEY",
        &key("test", "stgM1n2B3v4C5x6Z7"),
    );
    repo.set(
        &alice,
        "prod",
        "STRIPE_SECRET_KEY",
        &key("live", "prdL0k9J8h7G6f5D4"),
    );
    let (code, out, _) = check(&repo, &alice, &[]);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn a_value_shared_across_environments_is_reported_without_the_value() {
    let (repo, alice) = TestRepo::with_vault("dev,staging,prod");
    repo.write_template("[DB_PASSWORD]\n\n[PORT]\nformat = \"port\"\n");
    let shared = format!("{}-{}", "reused", "Xk29fLq0pW7z");
    repo.set(&alice, "dev", "DB_PASSWORD", &shared);
    repo.set(&alice, "staging", "DB_PASSWORD", "staging-only-pass");
    repo.set(&alice, "prod", "DB_PASSWORD", &shared);
    // Ports are legitimately equal everywhere.
    for env in ["dev", "staging", "prod"] {
        repo.set(&alice, env, "PORT", "5432");
    }

    let (code, out, err) = check(&repo, &alice, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("[shared-value]"), "{out}");
    assert!(
        out.contains("dev/DB_PASSWORD") && out.contains("prod/DB_PASSWORD"),
        "{out}"
    );
    assert!(!out.contains("staging/DB_PASSWORD"), "{out}");
    assert!(
        !out.contains(&shared) && !err.contains(&shared),
        "{out}{err}"
    );

    let raw = repo
        .vault(&alice)
        .args(["check", "--json"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(!stdout(&raw).contains(&shared) && !stderr(&raw).contains(&shared));
    let mut report: Value = serde_json::from_slice(&raw.stdout).unwrap();
    without_legacy_recipients(&mut report);
    assert_eq!(
        findings(&report),
        BTreeSet::from([finding("shared-value", None, Some("DB_PASSWORD"))])
    );
    let message = only(&report, "shared-value")["message"].as_str().unwrap();
    assert!(
        message.contains("dev") && message.contains("prod") && !message.contains("staging"),
        "{message}"
    );

    repo.set(&alice, "prod", "DB_PASSWORD", "prod-only-pass-1");
    assert_eq!(check(&repo, &alice, &[]).0, Some(0));
}

#[test]
fn overdue_rotation_is_reported_as_of_a_future_date_only() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.write_template("[DB_PASSWORD]\nrotate_days = 90\n\n[NO_SCHEDULE]\n");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.set(&alice, "dev", "NO_SCHEDULE", "dev-no-schedule");

    let (code, out, _) = check(&repo, &alice, &[]);
    assert_eq!(code, Some(0), "{out}");
    let (code, _, _) = check(&repo, &alice, &["--as-of", &days_from_now(80)]);
    assert_eq!(code, Some(0), "not due yet after 80 days");

    let later = days_from_now(200);
    let (code, out, _) = check(&repo, &alice, &["--as-of", &later]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("error [overdue]"), "{out}");
    assert!(
        out.contains("`DB_PASSWORD` in `dev` is overdue for rotation"),
        "{out}"
    );
    assert!(out.contains("every 90 days"), "{out}");
    let (code, report) = check_json(&repo, &alice, &["--as-of", &later]);
    assert_eq!(code, Some(1));
    assert_eq!(
        findings(&report),
        BTreeSet::from([finding("overdue", Some("dev"), Some("DB_PASSWORD"))])
    );
    assert!(report["as_of"].as_str().unwrap().starts_with(&later));

    let (code, _, err) = check(&repo, &alice, &["--as-of", "next tuesday"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not a date"), "{err}");
}

#[test]
fn must_rotate_marks_fail_the_check_after_a_member_is_removed() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.write_template("[DB_PASSWORD]\n");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    assert_eq!(check(&repo, &alice, &[]).0, Some(0));
    let _bob = repo.onboard(&alice, "bob", "prod");
    assert_eq!(
        check(&repo, &alice, &[]).0,
        Some(0),
        "gaining a reader is fine"
    );
    Test::new(&repo)
        .key(&alice)
        .args(["member", "remove", "bob", "--yes"])
        .run();

    let (code, out, _) = check(&repo, &alice, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(
            "error [must-rotate]: `DB_PASSWORD` in `prod` must be rotated: bob lost access"
        ),
        "{out}"
    );
    let (_, report) = check_json(&repo, &alice, &[]);
    assert_eq!(
        findings(&report),
        BTreeSet::from([finding("must-rotate", Some("prod"), Some("DB_PASSWORD"))])
    );
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password-2");
    assert_eq!(check(&repo, &alice, &[]).0, Some(0));
}

#[test]
fn drift_is_found_without_any_identity() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    let bob = repo.onboard(&alice, "bob", "dev,prod");
    // Hand edit: bob leaves prod in the roster, but prod was not re-keyed.
    repo.write_roster(&roster(
        &[
            ("alice", &[alice.public.as_str()]),
            ("bob", &[bob.public.as_str()]),
        ],
        &[("dev", &["alice", "bob"]), ("prod", &["alice"])],
    ));
    let out = repo
        .bare_vault()
        .arg("check")
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("error [drift]"), "{text}");
    assert!(text.contains("still readable by bob"), "{text}");
    assert!(text.contains("no identity"), "{text}");
    assert!(
        stderr(&out).contains("only key-free checks"),
        "{}",
        stderr(&out)
    );
    let (code, mut report) = TestRepo::json_of(repo.bare_vault().args(["check", "--json"]));
    without_legacy_recipients(&mut report);
    assert_eq!(code, Some(1));
    assert_eq!(
        findings(&report),
        BTreeSet::from([finding("drift", Some("prod"), None)])
    );
    for env in report["envs"].as_array().unwrap() {
        assert_eq!(env["decrypted"], false, "{report}");
    }

    // A missing summary is drift too: nobody can tell who reads the file.
    std::fs::remove_file(repo.path("secrets/dev.recipients")).unwrap();
    let (_, mut report) = TestRepo::json_of(repo.bare_vault().args(["check", "--json"]));
    without_legacy_recipients(&mut report);
    assert!(
        findings(&report).contains(&finding("drift", Some("dev"), None)),
        "{report}"
    );
}

#[test]
fn unknown_template_field_is_a_usage_error_naming_the_line() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.write_template("[DB_PASSWORD]\ndescription = \"db\"\nrotate_day = 90\n");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    let (code, out, err) = check(&repo, &alice, &[]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(err.contains("`rotate_day`"), "{err}");
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("rotate_days"), "lists the known fields: {err}");
    assert!(err.contains("hint:"), "{err}");
    // Even with --json, the failure is an error on stderr, not a report.
    let out = repo
        .vault(&alice)
        .args(["check", "--json"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("line 3"));
}

#[test]
fn secret_not_in_template_is_a_warning_unless_strict() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.write_template("[DB_PASSWORD]\n");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.set(&alice, "dev", "UNDOCUMENTED", "dev-undocumented");

    let (code, out, _) = check(&repo, &alice, &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("warning [not-in-template]"), "{out}");
    assert!(out.contains("`UNDOCUMENTED`"), "{out}");
    // And `legacy-recipient` for the environment's classic keys.
    assert!(out.contains("0 error(s), 2 warning(s)"), "{out}");
    let (code, report) = check_json(&repo, &alice, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(report["ok"], true);
    assert_eq!(only(&report, "not-in-template")["severity"], "warning");
    assert_eq!(only(&report, "not-in-template")["secret"], "UNDOCUMENTED");

    let (code, out, _) = check(&repo, &alice, &["--strict"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("error [not-in-template]"), "{out}");
    assert!(out.contains("2 error(s), 0 warning(s)"), "{out}");
    let (code, report) = check_json(&repo, &alice, &["--strict"]);
    assert_eq!(code, Some(1));
    assert_eq!(report["ok"], false);
}

#[test]
fn env_option_limits_the_check() {
    let (repo, alice) = TestRepo::with_vault("dev,staging,prod");
    repo.write_template("[DB_PASSWORD]\n");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    // staging and prod miss DB_PASSWORD.
    assert_eq!(check(&repo, &alice, &[]).0, Some(1));

    let (code, report) = check_json(&repo, &alice, &["--env", "dev"]);
    assert_eq!(code, Some(0), "{report}");
    let envs: Vec<&str> = report["envs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["env"].as_str().unwrap())
        .collect();
    assert_eq!(envs, ["dev"]);

    let (code, report) = check_json(&repo, &alice, &["--env", "dev,prod"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        findings(&report),
        BTreeSet::from([finding("missing", Some("prod"), Some("DB_PASSWORD"))])
    );
    assert_eq!(report["envs"].as_array().unwrap().len(), 2);

    let (code, _, err) = check(&repo, &alice, &["--env", "nope"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("`nope`"), "{err}");
}

#[test]
fn a_member_of_dev_only_gets_full_dev_checks_and_key_free_prod_checks() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.write_template("[DB_PASSWORD]\n\n[API_KEY]\n");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.set(&alice, "prod", "DB_PASSWORD", "prod-db-password");
    // Both miss API_KEY; only dev's is visible to bob.
    let bob = repo.onboard(&alice, "bob", "dev");
    // prod drifts: carol added by hand, not re-keyed. Bob sees that without prod's key.
    let carol = repo.key("carol");
    repo.write_roster(&roster(
        &[
            ("alice", &[alice.public.as_str()]),
            ("bob", &[bob.public.as_str()]),
            ("carol", &[carol.public.as_str()]),
        ],
        &[("dev", &["alice", "bob"]), ("prod", &["alice", "carol"])],
    ));

    let (code, out, _) = check(&repo, &bob, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("dev: problems — 1 secret checked"), "{out}");
    assert!(
        out.contains("prod: problems — not decrypted (not a recipient): key-free checks only"),
        "{out}"
    );
    assert!(out.contains("could not decrypt: prod"), "{out}");

    let (code, report) = check_json(&repo, &bob, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        findings(&report),
        BTreeSet::from([
            finding("missing", Some("dev"), Some("API_KEY")),
            finding("drift", Some("prod"), None),
        ])
    );
    assert_eq!(
        report["envs"],
        serde_json::json!([
            {"env": "dev", "decrypted": true, "not_decrypted_reason": null, "secrets": 1},
            {"env": "prod", "decrypted": false, "not_decrypted_reason": "not a recipient", "secrets": null},
        ])
    );

    // alice reads both and also sees prod's missing key.
    let (_, report) = check_json(&repo, &alice, &[]);
    assert!(
        findings(&report).contains(&finding("missing", Some("prod"), Some("API_KEY"))),
        "{report}"
    );
}

#[test]
fn check_json_has_the_documented_shape() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.write_template("[DB_PASSWORD]\nformat = \"url\"\n");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.set(&alice, "dev", "EXTRA", "dev-extra-value");

    let (code, report) = check_json(&repo, &alice, &["--as-of", "2030-01-02"]);
    assert_eq!(code, Some(1));
    let keys = |v: &Value| -> BTreeSet<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(
        keys(&report),
        BTreeSet::from(["as_of", "envs", "findings", "ok"].map(String::from))
    );
    assert_eq!(report["ok"], false);
    assert_eq!(report["as_of"], "2030-01-02T00:00:00Z");
    for env in report["envs"].as_array().unwrap() {
        assert_eq!(
            keys(env),
            BTreeSet::from(
                ["env", "decrypted", "not_decrypted_reason", "secrets"].map(String::from)
            )
        );
    }
    let all = report["findings"].as_array().unwrap();
    assert!(!all.is_empty());
    for f in all {
        assert_eq!(
            keys(f),
            BTreeSet::from(["severity", "code", "env", "secret", "message"].map(String::from)),
            "{f}"
        );
        assert!(
            matches!(f["severity"].as_str(), Some("error" | "warning")),
            "{f}"
        );
        assert!(!f["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        findings(&report),
        BTreeSet::from([
            finding("format", Some("dev"), Some("DB_PASSWORD")),
            finding("not-in-template", Some("dev"), Some("EXTRA")),
            finding("missing", Some("prod"), Some("DB_PASSWORD")),
        ])
    );
    assert!(!report.to_string().contains("dev-db-password"));
}

#[test]
fn exec_fails_early_with_125_on_a_missing_required_secret() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.write_template("[DB_PASSWORD]\n\n[API_KEY]\nrequired = [\"dev\"]\n");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    let marker = repo.base_path("child-started");
    let script = format!("touch '{}'", marker.display());

    let out = repo
        .vault(&alice)
        .args(["exec", "dev", "--", "sh", "-c", &script])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(
        err.contains("`API_KEY` is required in `dev` but not set"),
        "{err}"
    );
    assert!(err.contains("vault edit dev"), "the hint: {err}");
    assert!(!err.contains("dev-db-password"), "{err}");
    assert!(!marker.exists(), "the child must not have started");

    repo.set(&alice, "dev", "API_KEY", "dev-api-key");
    Test::new(&repo)
        .key(&alice)
        .args(["exec", "dev", "--", "sh", "-c", &script])
        .run();
    assert!(marker.exists());
}

// ---------------------------------------------------------------------------------------
// Rotation

#[test]
fn rotate_status_lists_secrets_by_urgency_with_due_dates() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.write_template(
        "[A_MONTHLY]\nrotate_days = 30\n\n[B_QUARTERLY]\nrotate_days = 90\n\n\
         [C_UNSCHEDULED]\n\n[D_WEEKLY]\nrotate_days = 7\n\n[Z_PROD]\nrequired = [\"prod\"]\nrotate_days = 365\n",
    );
    repo.set(&alice, "dev", "A_MONTHLY", "dev-a-monthly");
    repo.set(&alice, "dev", "B_QUARTERLY", "dev-b-quarterly");
    repo.set(&alice, "dev", "C_UNSCHEDULED", "dev-c-unscheduled");
    repo.set(&alice, "dev", "D_WEEKLY", "dev-d-weekly");
    repo.set(&alice, "prod", "Z_PROD", "prod-z-value");
    // bob leaves prod, so Z_PROD must be rotated: the most urgent of all.
    let _bob = repo.onboard(&alice, "bob", "prod");
    Test::new(&repo)
        .key(&alice)
        .args(["member", "remove", "bob", "--yes"])
        .run();

    let (code, doc) = TestRepo::json_of(repo.vault(&alice).args(["rotate", "status", "--json"]));
    assert_eq!(code, Some(0), "{doc}");
    let rows = doc["secrets"].as_array().unwrap();
    let order: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["env"].as_str().unwrap(), r["secret"].as_str().unwrap()))
        .collect();
    assert_eq!(
        order,
        [
            ("prod", "Z_PROD"),
            ("dev", "D_WEEKLY"),
            ("dev", "A_MONTHLY"),
            ("dev", "B_QUARTERLY"),
            ("dev", "C_UNSCHEDULED"),
        ],
        "{doc}"
    );
    for row in rows {
        let rotated: jiff::Timestamp = row["rotated_at"].as_str().unwrap().parse().unwrap();
        match row["rotate_days"].as_i64() {
            Some(days) => {
                let due: jiff::Timestamp = row["due"].as_str().unwrap().parse().unwrap();
                assert_eq!(
                    due.duration_since(rotated),
                    jiff::SignedDuration::from_hours(days * 24),
                    "{row}"
                );
            }
            None => assert!(row["due"].is_null(), "{row}"),
        }
        assert_eq!(row["overdue"], false, "{row}");
        assert_eq!(row["age_days"], 0, "{row}");
    }
    assert!(rows[0]["must_rotate"].as_str().unwrap().contains("bob"));
    assert!(rows[1]["must_rotate"].is_null());

    // Planning ahead: in 60 days the weekly and monthly secrets are overdue.
    let (_, doc) = TestRepo::json_of(repo.vault(&alice).args([
        "rotate",
        "status",
        "--json",
        "--as-of",
        &days_from_now(60),
    ]));
    let overdue: BTreeSet<&str> = doc["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["overdue"] == true)
        .map(|r| r["secret"].as_str().unwrap())
        .collect();
    assert_eq!(overdue, BTreeSet::from(["A_MONTHLY", "D_WEEKLY"]));

    // The table says the same, most urgent first, and never prints values.
    let out = repo
        .vault(&alice)
        .args(["rotate", "status"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("ENV"), "{text}");
    assert!(
        lines[1].contains("Z_PROD") && lines[1].contains("MUST ROTATE"),
        "{text}"
    );
    assert!(lines[2].contains("D_WEEKLY"), "{text}");
    assert!(!text.contains("dev-a-monthly"), "{text}");
    // Every column starts where its header does (the age is right-aligned under AGE).
    for header in ["ROTATED", "DUE", "STATUS"] {
        let at = lines[0].find(header).unwrap();
        for line in &lines[1..] {
            assert_eq!(line.as_bytes()[at - 1], b' ', "{header}: {text}");
            assert_ne!(line.as_bytes()[at], b' ', "{header}: {text}");
        }
    }
    let age_end = lines[0].find("AGE").unwrap() + 3;
    for line in &lines[1..] {
        assert_eq!(&line[age_end - 1..=age_end], "d ", "{text}");
    }
}

#[test]
fn rotate_start_keeps_the_old_value_as_previous_until_finish() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "DB_PASSWORD", "old-db-password");
    let show = "printf '%s|%s' \"$DB_PASSWORD\" \"${DB_PASSWORD_PREVIOUS-unset}\"";

    let out = repo
        .vault(&alice)
        .args(["rotate", "start", "dev", "DB_PASSWORD", "--grace", "1h"])
        .write_stdin("new-db-password")
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let note = stderr(&out);
    assert!(note.contains("DB_PASSWORD_PREVIOUS"), "{note}");
    assert!(
        note.contains("vault rotate finish dev DB_PASSWORD"),
        "{note}"
    );
    assert!(!note.contains("old-db-password") && !note.contains("new-db-password"));

    Test::new(&repo)
        .key(&alice)
        .args([
            "exec",
            "dev",
            "--",
            "sh",
            "-c",
            "printf %s \"$DB_PASSWORD_PREVIOUS\"",
        ])
        .stdout("old-db-password")
        .run();
    Test::new(&repo)
        .key(&alice)
        .args(["exec", "dev", "--", "sh", "-c", show])
        .stdout("new-db-password|old-db-password")
        .run();
    assert_eq!(repo.get(&alice, "dev", "DB_PASSWORD"), "new-db-password");
    let ls = repo.ls_json(&alice, "dev");
    assert_eq!(ls["secrets"][0]["rotation_in_progress"], true, "{ls}");
    // --only DB_PASSWORD keeps its _PREVIOUS companion.
    Test::new(&repo)
        .key(&alice)
        .args([
            "exec",
            "dev",
            "--only",
            "DB_PASSWORD",
            "--",
            "sh",
            "-c",
            show,
        ])
        .stdout("new-db-password|old-db-password")
        .run();

    Test::new(&repo)
        .key(&alice)
        .args(["rotate", "finish", "dev", "DB_PASSWORD"])
        .run();
    Test::new(&repo)
        .key(&alice)
        .args(["exec", "dev", "--", "sh", "-c", show])
        .stdout("new-db-password|unset")
        .run();
    let ls = repo.ls_json(&alice, "dev");
    assert_eq!(ls["secrets"][0]["rotation_in_progress"], false, "{ls}");

    // Finishing again changes nothing.
    let before = repo.snapshot();
    let out = repo
        .vault(&alice)
        .args(["rotate", "finish", "dev", "DB_PASSWORD"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stderr(&out).contains("nothing changed"), "{}", stderr(&out));
    assert_same_files(&before, &repo.snapshot());
}

#[test]
fn rotate_start_clears_a_must_rotate_mark() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.write_template("[DB_PASSWORD]\n");
    repo.set(&alice, "dev", "DB_PASSWORD", "old-db-password");
    let _bob = repo.onboard(&alice, "bob", "dev");
    Test::new(&repo)
        .key(&alice)
        .args(["member", "remove", "bob", "--yes"])
        .run();
    assert_eq!(check(&repo, &alice, &[]).0, Some(1));
    Test::new(&repo)
        .key(&alice)
        .args(["rotate", "start", "dev", "DB_PASSWORD", "--grace", "2d"])
        .stdin("new-db-password")
        .run();
    let (code, out, _) = check(&repo, &alice, &[]);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn rotate_start_rejects_an_invalid_grace_and_an_unknown_secret() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "DB_PASSWORD", "old-db-password");
    let before = repo.snapshot();
    for grace in ["abc", "0h", "90s", "1y", "h", "-1h", ""] {
        let out = repo
            .vault(&alice)
            .args(["rotate", "start", "dev", "DB_PASSWORD"])
            .arg(format!("--grace={grace}"))
            .write_stdin("new-db-password")
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "--grace {grace:?}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("grace period") || stderr(&out).contains("--grace"),
            "--grace {grace:?}: {}",
            stderr(&out)
        );
        assert_same_files(&before, &repo.snapshot());
    }
    let out = repo
        .vault(&alice)
        .args(["rotate", "start", "dev", "NOT_SET", "--grace", "1h"])
        .write_stdin("new-value")
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`NOT_SET`"), "{}", stderr(&out));
    assert_same_files(&before, &repo.snapshot());
    Test::new(&repo)
        .key(&alice)
        .args([
            "exec",
            "dev",
            "--",
            "sh",
            "-c",
            "printf %s \"${DB_PASSWORD_PREVIOUS-unset}\"",
        ])
        .stdout("unset")
        .run();
}

#[test]
fn rotate_start_with_the_current_value_changes_nothing() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "DB_PASSWORD", "old-db-password");
    let before = repo.snapshot();
    let out = repo
        .vault(&alice)
        .args(["rotate", "start", "dev", "DB_PASSWORD", "--grace", "1h"])
        .write_stdin("old-db-password")
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let err = stderr(&out);
    // Not a rotation: no `_PREVIOUS`, no new `rotated_at`, and the user is told so.
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("`DB_PASSWORD`"), "{err}");
    assert!(err.contains("nothing changed"), "{err}");
    assert!(!err.contains("has its new value"), "{err}");
    assert!(!err.contains("old-db-password"));
    assert_same_files(&before, &repo.snapshot());
    let ls = repo.ls_json(&alice, "dev");
    assert_eq!(ls["secrets"][0]["rotation_in_progress"], false, "{ls}");
}

#[test]
fn damaged_and_missing_files_are_findings_not_crashes() {
    let (repo, alice) = TestRepo::with_vault("dev,staging,prod");
    repo.set(&alice, "dev", "DB_PASSWORD", "dev-db-password");
    repo.write("secrets/prod.age", "this is not age\n");
    std::fs::remove_file(repo.path("secrets/staging.age")).unwrap();

    let (code, report) = check_json(&repo, &alice, &[]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        findings(&report),
        BTreeSet::from([
            finding("invalid-file", Some("prod"), None),
            finding("undecryptable", Some("prod"), None),
            finding("missing-file", Some("staging"), None),
        ])
    );
    let decrypted: Vec<(&str, bool)> = report["envs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["env"].as_str().unwrap(),
                e["decrypted"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        decrypted,
        [("dev", true), ("prod", false), ("staging", false)]
    );

    // Without a key, the damaged armor and the missing file are still found.
    let (code, mut report) = TestRepo::json_of(repo.bare_vault().args(["check", "--json"]));
    without_legacy_recipients(&mut report);
    assert_eq!(code, Some(1));
    assert_eq!(
        findings(&report),
        BTreeSet::from([
            finding("invalid-file", Some("prod"), None),
            finding("missing-file", Some("staging"), None),
        ])
    );
}

#[test]
fn rotate_start_rejects_a_grace_longer_than_a_year() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "DB_PASSWORD", "old-db-password");
    let before = repo.snapshot();
    for grace in ["400d", "60w", "9000h"] {
        let out = repo
            .vault(&alice)
            .args(["rotate", "start", "dev", "DB_PASSWORD", "--grace", grace])
            .write_stdin("new-db-password")
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "--grace {grace}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains("at most a year"), "{}", stderr(&out));
        assert_same_files(&before, &repo.snapshot());
    }
    // A year is fine.
    Test::new(&repo)
        .key(&alice)
        .args(["rotate", "start", "dev", "DB_PASSWORD", "--grace", "52w"])
        .stdin("new-db-password")
        .run();
}

#[test]
fn check_reports_another_environments_file_without_stopping() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.set(&alice, "prod", "TOKEN", "prod-token-value");
    std::fs::copy(repo.path("secrets/prod.age"), repo.path("secrets/dev.age")).unwrap();
    for mut cmd in [repo.vault(&alice), repo.bare_vault()] {
        let out = cmd.arg("check").output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let report = stdout(&out);
        assert!(report.contains("[wrong-environment]"), "{report}");
        assert!(report.contains("prod: warnings"), "{report}");
        assert!(!report.contains("error [legacy-recipient]"), "{report}");
    }
}

// ---------------------------------------------------------------------------------------
// Issue 14, item 11: template rules as an oracle.

/// Whoever can edit `.secrets.example.toml` sees `check` and `exec` output. A violation
/// must say "does not match" and nothing more: no length, and the same words whichever part
/// of the value broke the rule.
#[test]
fn issue_14_violations_tell_nothing_about_the_value_beyond_does_not_match() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    repo.write_template(
        "[DB_URL]\nformat = \"url\"\n\n[TOKEN]\nmin_length = 9999\n\n[MAIL]\nformat = \"email\"\n",
    );
    // dev and prod break each rule differently (no scheme / whitespace, 7 / 12 characters,
    // no `@` / two `@`).
    for (env, db, token, mail) in [
        (
            "dev",
            "shop:pw@db.internal/shop",
            "abcdefg",
            "ops.example.com",
        ),
        (
            "prod",
            "postgres://db internal/shop",
            "abcdefghijkl",
            "a@b@example.com",
        ),
    ] {
        repo.set(&alice, env, "DB_URL", db);
        repo.set(&alice, env, "TOKEN", token);
        repo.set(&alice, env, "MAIL", mail);
    }
    let (code, out, err) = check(&repo, &alice, &[]);
    assert_eq!(code, Some(1), "{out}{err}");
    let messages = |env: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.contains(&format!("in `{env}`")))
            .map(|l| l.replace(&format!("`{env}`"), "`ENV`"))
            .collect()
    };
    assert_eq!(messages("dev").len(), 3, "{out}");
    assert_eq!(messages("dev"), messages("prod"), "{out}");
    assert!(
        out.contains("`TOKEN` in `dev` is shorter than the minimum of 9999 characters"),
        "{out}"
    );
    for leak in [
        "7 characters",
        "12 characters",
        " long,",
        "scheme://` prefix",
        "more than one `@`",
    ] {
        assert!(!out.contains(leak), "{leak}: {out}");
    }

    // exec refuses with the same value-free words.
    let out = repo
        .vault(&alice)
        .args(["exec", "prod", "--", "true"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("`TOKEN` in `prod` is shorter than the minimum of 9999 characters"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("12"), "{}", stderr(&out));
}

/// A pattern such as `a{100000}` against a 100 KB value took 75 s. It is refused as soon as
/// the template is read, saying why, by `check` and `exec` alike.
#[test]
fn issue_14_a_huge_pattern_is_refused_quickly_saying_why() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.set(&alice, "dev", "BLOB", &"a".repeat(100_000));
    repo.write_template("[BLOB]\npattern = \"a{100000}\"\n");
    let start = std::time::Instant::now();
    let (code, out, err) = check(&repo, &alice, &[]);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(
        err.contains(
            "the pattern for `*` in `[BLOB]` on line 2 is refused: it spans 100000 positions"
        ),
        "{err}"
    );
    assert!(err.contains("hint: "), "{err}");
    let out = repo
        .vault(&alice)
        .args(["exec", "dev", "--", "true"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    assert!(stderr(&out).contains("is refused"), "{}", stderr(&out));
}
