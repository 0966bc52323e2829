//! `vault scan` with the detection families added for issue 15: gitleaks'
//! provider rules (a provider-named key), PKCS#12 keystores checked by
//! structure, and generated values under `…_KEY` settings. Each secret is
//! built at run time; none may appear in the output.

use std::process::Output;

use crate::support::*;

fn all_text(out: &Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

/// Deterministic pseudo-random alphanumerics (xorshift), so no token-shaped
/// literal sits in the tree.
fn alnum(seed: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(ALPHABET[usize::try_from(state % 62).unwrap()])
        })
        .collect()
}

/// One DER element (lengths below 64 KiB).
fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let len = body.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap());
    } else {
        out.extend([
            0x82,
            u8::try_from(len >> 8).unwrap(),
            u8::try_from(len & 0xff).unwrap(),
        ]);
    }
    out.extend_from_slice(body);
    out
}

/// A PKCS#12 file's outer structure with random safe contents and MAC data.
fn keystore() -> Vec<u8> {
    let data_oid = der(
        0x06,
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01],
    );
    let mut safe = alnum(7, 400).into_bytes();
    safe[10] = 0;
    let auth_safe = der(0x30, &[data_oid, der(0xa0, &der(0x04, &safe))].concat());
    let digest = der(
        0x30,
        &[
            der(0x30, &der(0x06, &[0x2b, 0x0e, 0x03, 0x02, 0x1a])),
            der(0x04, alnum(8, 20).as_bytes()),
        ]
        .concat(),
    );
    let mac = der(
        0x30,
        &[
            digest,
            der(0x04, alnum(9, 8).as_bytes()),
            der(0x02, &[0x08, 0x00]),
        ]
        .concat(),
    );
    der(0x30, &[der(0x02, &[3]), auth_safe, mac].concat())
}

#[test]
fn scan_reports_provider_keys_keystores_and_key_named_values() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let asana = alnum(1, 32).to_lowercase();
    let app_key = alnum(2, 30);
    repo.write(
        "app/settings.py",
        format!("ASANA_CLIENT_SECRET = \"{asana}\"\nAPP_KEY = \"{app_key}\"\n"),
    );
    repo.write("certs/client.p12", keystore());
    // A damaged keystore (cut short) holds no usable key and is not reported.
    repo.write("certs/broken.pfx", &keystore()[..120]);
    let out = repo
        .vault(&alice)
        .args(["scan", "app", "certs", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));
    let text = all_text(&out);
    assert!(
        !text.contains(&asana) && !text.contains(&app_key),
        "a secret was printed"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "app/settings.py".to_owned(),
                "asana-client-secret".to_owned()
            ),
            ("app/settings.py".to_owned(), "key-named-value".to_owned()),
            ("certs/client.p12".to_owned(), "pkcs12-file".to_owned()),
        ],
        "{doc}"
    );
}

#[test]
fn placeholders_under_provider_keys_are_not_reported() {
    let (repo, alice) = TestRepo::with_vault("dev");
    repo.write(
        "app/settings.py",
        format!(
            "ASANA_CLIENT_SECRET = \"{}\"\nAPP_KEY = \"your-app-key-here-please\"\n",
            "x".repeat(32)
        ),
    );
    let out = repo.vault(&alice).args(["scan", "app"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_text(&out));
}

/// Standard base64 with padding.
fn base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// The pre-commit hook blocks the shapes added from Nosey Parker's examples: a private
/// key base64-encoded into a JSON setting, a password glued to `mysql -p`, an unseal key
/// in a runbook. Nothing of them is printed, and the scan names each file and rule.
#[test]
fn hook_blocks_encoded_keys_command_line_passwords_and_unseal_keys() {
    let (repo, alice) = TestRepo::with_vault("dev");
    let body: Vec<String> = (0..8).map(|i| alnum(20 + i, 64)).collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        body.join("\n")
    );
    let encoded = base64(pem.as_bytes());
    let password = format!("{}!{}", alnum(40, 8), 42);
    let share: Vec<u8> = alnum(41, 33).bytes().map(|b| b.wrapping_mul(7)).collect();
    let unseal = base64(&share);
    repo.write(
        "config/signing.json",
        format!("{{\"privateKey\": \"{encoded}\"}}\n"),
    );
    repo.write(
        "ops/backup.sh",
        format!("mysqldump -h db -ureporter -p{password} reports > r.sql\n"),
    );
    repo.write("docs/unseal.md", format!("Unseal Key 1: {unseal}\n"));
    let added = repo.git(["add", "config", "ops", "docs"]);
    assert!(added.status.success(), "{}", all_text(&added));

    let out = repo
        .vault(&alice)
        .args(["hook", "pre-commit"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));
    let text = all_text(&out);
    for secret in [&encoded[..40], &password, &unseal] {
        assert!(!text.contains(secret), "a secret was printed: {text}");
    }
    for (path, rule) in [
        ("config/signing.json", "[private-key-base64]"),
        ("ops/backup.sh", "[password-p-option]"),
        ("docs/unseal.md", "[hashicorp-vault-unseal-key]"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(path) && l.contains(rule)),
            "{path} {rule} not reported: {text}"
        );
    }

    // Variables on the command line are not secrets: the same script is then clean.
    repo.write(
        "ops/backup.sh",
        "mysqldump -h db -ureporter -p\"$REPORTS_DB_PASSWORD\" reports > r.sql\n",
    );
    repo.git([
        "rm",
        "--cached",
        "-q",
        "config/signing.json",
        "docs/unseal.md",
    ]);
    repo.git(["add", "ops"]);
    let out = repo
        .vault(&alice)
        .args(["hook", "pre-commit"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_text(&out));
}
