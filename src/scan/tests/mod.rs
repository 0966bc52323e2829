//! Unit tests of the scanner: for every rule, inputs that must match and
//! near-misses that must not; the file-level policies (lock files, the
//! template, binary content, age armor, `vault:allow`); redaction canaries;
//! and property tests that `scan` never panics and reports in-bounds positions.
//!
//! Fake secrets come from `testgen` at run time; no complete token is written
//! here as a literal.

use zeroize::Zeroizing;

use super::testgen::{ALNUM, Fakes, HEX, Rng};
use super::{Finding, RULES, Scanner};

fn scanner() -> Scanner {
    Scanner::new()
}

fn scan(path: &str, content: &str) -> Vec<Finding> {
    scanner().scan(path, content.as_bytes())
}

fn rules_of(path: &str, content: &str) -> Vec<&'static str> {
    scan(path, content).into_iter().map(|f| f.rule).collect()
}

#[track_caller]
fn assert_finds(rule: &str, path: &str, content: &str) {
    let found = rules_of(path, content);
    assert!(
        found.contains(&rule),
        "expected {rule} in {path}, got {found:?}\n---\n{content}"
    );
}

#[track_caller]
fn assert_not(rule: &str, path: &str, content: &str) {
    let found = rules_of(path, content);
    assert!(
        !found.contains(&rule),
        "unexpected {rule} in {path}\n---\n{content}"
    );
}

#[track_caller]
fn assert_clean(path: &str, content: &str) {
    let found = scan(path, content);
    assert!(
        found.is_empty(),
        "expected no findings in {path}, got {found:#?}\n---\n{content}"
    );
}

fn fakes() -> Fakes {
    Fakes::new(42)
}

const ARMOR: &str = "-----BEGIN AGE ENCRYPTED FILE-----\n\
YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBzZ2JtQjN0eVNkTXpKaURp\n\
UUR3bmxOSHdpRUtpeC9UNnZlVWxQTmVYWnk4CmRKNGlaZ2ZvNlZXT0R3M0tBdWdr\n\
-----END AGE ENCRYPTED FILE-----\n";

// ---- table and API ---------------------------------------------------------

#[test]
fn rule_table_is_well_formed() {
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "rule ids are unique");
    for rule in RULES {
        assert!(!rule.description.is_empty(), "{}", rule.id);
        assert!(
            rule.id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{}",
            rule.id
        );
        if let super::Redact::Prefix(n) = rule.redact {
            assert!(n <= 4, "{} shows at most 4 characters", rule.id);
        }
        match rule.class {
            super::Class::Path => assert!(rule.path.is_some() && rule.pattern.is_empty()),
            super::Class::KnownValue => assert!(rule.pattern.is_empty()),
            _ => {
                assert!(!rule.keywords.is_empty(), "{} needs keywords", rule.id);
                regex::bytes::Regex::new(rule.pattern).expect("pattern compiles");
                assert!(
                    rule.pattern.starts_with("(?-u)"),
                    "{} is byte-oriented",
                    rule.id
                );
            }
        }
    }
    assert_eq!(Scanner::rules().len(), RULES.len());
    let json = serde_json::to_string(Scanner::rules()).expect("rules serialize");
    assert!(json.contains("\"id\":\"github-token\""));
}

#[test]
fn scanner_is_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Scanner>();
    let s = scanner();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                assert!(s.scan("a.txt", b"nothing").is_empty());
            });
        }
    });
}

#[test]
fn age_armor_detection() {
    assert!(super::is_age_armor(ARMOR.as_bytes()));
    assert!(super::is_age_armor(format!("\n  \t{ARMOR}").as_bytes()));
    assert!(!super::is_age_armor(b"x-----BEGIN AGE ENCRYPTED FILE-----"));
    assert!(!super::is_age_armor(b""));
}

#[test]
fn positions_are_one_based() {
    let f = fakes();
    let content = format!("first line\n\n  key = \"{}\"\n", f.aws_key_id);
    let found = scan("src/a.py", &content);
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].line, found[0].column), (3, 10));
    let at_start = scan("src/a.py", &f.aws_key_id);
    assert_eq!((at_start[0].line, at_start[0].column), (1, 1));
}

#[test]
fn fingerprints_are_stable_short_and_path_bound() {
    let f = fakes();
    let content = format!("token: {}\n", f.github_classic);
    let a = scan("a.yml", &content);
    let b = scan("a.yml", &format!("# moved down\n{content}"));
    let c = scan("b.yml", &content);
    assert_eq!(a[0].fingerprint.len(), 16);
    assert!(a[0].fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        a[0].fingerprint, b[0].fingerprint,
        "independent of position"
    );
    assert_ne!(a[0].fingerprint, c[0].fingerprint, "bound to the path");
    let file = scan(".env", "A=1\n");
    assert_eq!(file[0].fingerprint, scan(".env", "B=2\n")[0].fingerprint);
}

#[test]
fn findings_serialize_without_secrets() {
    let f = fakes();
    let found = scan("ci.yml", &format!("key: {}\n", f.stripe_live));
    let json = serde_json::to_string(&found).expect("serializes");
    assert!(json.contains("\"rule\":\"stripe-live-key\""));
    assert!(!json.contains(&f.stripe_live[8..]));
}

#[test]
fn allow_marker_silences_a_line() {
    let f = fakes();
    let content = format!(
        "a = \"{}\"  # vault:allow\nb = \"{}\"\n",
        f.aws_key_id, f.github_classic
    );
    let found = scan("x.py", &content);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule, "github-token");
    assert_eq!(found[0].line, 2);
}

#[test]
fn binary_content_skips_patterns_but_not_paths_or_known_values() {
    let f = fakes();
    let mut content = b"\x89PNG\r\n\x1a\n\0\0".to_vec();
    content.extend_from_slice(f.aws_key_id.as_bytes());
    content.extend_from_slice(b"\0 hunter-value-1234 \0");
    assert!(scanner().scan("logo.png", &content).is_empty());
    assert_eq!(scanner().scan(".env", &content).len(), 1);
    let known = scanner().with_known_values(vec![(
        "prod/LOGO".to_owned(),
        Zeroizing::new(b"hunter-value-1234".to_vec()),
    )]);
    let found = known.scan("logo.png", &content);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule, "known-value");
}

#[test]
fn armor_blocks_are_skipped_but_cannot_hide_plaintext() {
    let f = fakes();
    // Base64-only lines inside armor are ciphertext, whatever they resemble.
    let inside = ARMOR.replace(
        "-----END",
        &format!("{}{}\n-----END", f.aws_key_id, "QUFBQUFB"),
    );
    assert_clean("secrets/prod.age", &inside);
    assert_clean("notes.md", &format!("Encrypted:\n{inside}"));
    // A non-base64 line ends the armor exemption.
    let smuggled = ARMOR.replace(
        "-----END",
        &format!("token: {}\n-----END", f.github_classic),
    );
    assert_finds("github-token", "secrets/prod.age", &smuggled);
    // Nor does text after the BEGIN marker on the marker's own line.
    let same_line = ARMOR.replacen("-----\n", &format!("----- {}\n", f.aws_key_id), 1);
    assert_finds("aws-access-key-id", "notes.md", &same_line);
    // Content after the END line is scanned again.
    let after = format!("{ARMOR}key = {}\n", f.aws_key_id);
    assert_finds("aws-access-key-id", "secrets/prod.age", &after);
}

#[test]
fn hints_never_contain_the_secret() {
    let f = fakes();
    let mut content = String::new();
    for (name, value) in f.substitutions() {
        if !name.contains("BAD") && !name.contains("TEST") {
            content.push_str(&name.to_lowercase());
            content.push_str("_password = \"");
            content.push_str(&value);
            content.push_str("\"\n");
        }
    }
    let known_value = Zeroizing::new(f.password.as_bytes().to_vec());
    let s = scanner().with_known_values(vec![("prod/PW".to_owned(), known_value)]);
    let found = s.scan("dump.txt", content.as_bytes());
    assert!(found.len() > 20, "{found:#?}");
    // Rule descriptions are public text (they name prefixes such as
    // `github_pat_`), so the canary looks at what is derived from the match.
    let debug: String = found
        .iter()
        .map(|f| format!("{} {} {}\n", f.hint, f.fingerprint, f.path))
        .chain(std::iter::once(format!("{s:?}")))
        .collect();
    for (name, value) in f.substitutions() {
        let secret = value.as_bytes();
        // Everything after a 4-byte public prefix is secret; no 6-byte piece
        // of it may appear in a hint or Debug output.
        if secret.len() < 12
            || name.starts_with("PRIVATE")
            || name == "PGP_BLOCK"
            || name == "PUTTY"
        {
            continue;
        }
        for piece in secret[4..].windows(6) {
            let piece = std::str::from_utf8(piece).expect("ASCII");
            if piece.bytes().all(|b| b == b'-') || piece.contains("KEY") || piece.contains("BEGIN")
            {
                continue;
            }
            assert!(!debug.contains(piece), "{name}: {piece} leaked");
        }
    }
    for finding in &found {
        assert!(finding.hint.chars().count() <= 80, "{}", finding.hint);
    }
}

// ---- path rules ------------------------------------------------------------

#[test]
fn secrets_dir_must_hold_armor() {
    assert_finds(
        "secrets-plaintext",
        "secrets/prod.age",
        "DATABASE_URL=postgres://x\n",
    );
    assert_finds("secrets-plaintext", "secrets/notes.txt", "hello");
    assert_finds("secrets-plaintext", "deploy/secrets/x.json", "{}");
    assert_clean("secrets/prod.age", ARMOR);
    assert_clean("apps/api/secrets/dev.age", ARMOR);
    assert_clean(
        "secrets/prod.recipients",
        &format!("{}\n", fakes().age_recipient),
    );
    assert_clean("secrets/.gitkeep", "");
    assert_clean("src/secrets.rs", "pub fn f() {}\n");
}

#[test]
fn decrypted_leftovers() {
    for path in [
        "secrets/prod.toml",
        "secrets/prod.env",
        "prod.dec",
        "tmp/prod.decrypted",
        "prod.age.txt",
    ] {
        let found = rules_of(path, "API_KEY = \"1\"\n");
        assert_eq!(
            found,
            ["decrypted-leftover"],
            "{path}: one file-level finding"
        );
    }
    assert_clean("config.toml", "[server]\nport = 8080\n");
}

#[test]
fn dotenv_files_except_templates() {
    for path in [
        ".env",
        ".env.local",
        ".env.production",
        "prod.env",
        "services/api/.env",
    ] {
        assert_eq!(rules_of(path, "PORT=8080\n"), ["dotenv-file"], "{path}");
    }
    for path in [
        ".env.example",
        ".env.sample",
        ".env.template",
        ".env.dist",
        "prod.env.example",
        ".envrc",
    ] {
        assert_clean(
            path,
            "PORT=8080\nAPI_KEY=your_api_key_here\nDB_PASSWORD=changeme\n",
        );
    }
    // Templates still get content rules: a real token in one is a leak.
    assert_finds(
        "stripe-live-key",
        ".env.example",
        &format!("STRIPE_KEY={}\n", fakes().stripe_live),
    );
    assert_clean(".env.production", ARMOR);
}

// ---- private keys ------------------------------------------------------------

#[test]
fn age_secret_keys() {
    let f = fakes();
    assert_finds(
        "age-secret-key",
        "id.txt",
        &format!(
            "# created: 2024-01-01\n# public key: {}\n{}\n",
            f.age_recipient, f.age_secret_key
        ),
    );
    assert_finds(
        "age-secret-key",
        "ci.yml",
        &format!("VAULT_IDENTITY: \"{}\"", f.age_secret_key),
    );
    // Truncated, or documentation that names the prefix.
    assert_clean("id.txt", &f.age_secret_key[..60]);
    assert_clean("README.md", "Keys look like `AGE-SECRET-KEY-1...`.\n");
    assert_clean(
        ".vault.toml",
        &format!("[members.alice]\nkeys = [\"{}\"]\n", f.age_recipient),
    );
}

#[test]
fn pem_private_keys() {
    let f = fakes();
    let private = ["PRIVATE", " KEY"].concat();
    for kind in [
        format!("RSA {private}"),
        private.clone(),
        format!("EC {private}"),
        format!("DSA {private}"),
        format!("ENCRYPTED {private}"),
        format!("OPENSSH {private}"),
    ] {
        assert_finds("private-key", "key.pem", &f.pem(&kind));
    }
    let encrypted = format!(
        "-----BEGIN RSA {private}-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,34F09A4FC8DE22B4\n\n{}\n-----END RSA {private}-----\n",
        f.pem_body
    );
    assert_finds("private-key", "legacy.pem", &encrypted);
    let escaped = format!(
        "{{\"key\": \"-----BEGIN {private}-----\\n{}\\n-----END {private}-----\\n\"}}",
        f.pem_body.replace('\n', "\\n")
    );
    assert_finds("private-key", "cfg.json", &escaped);
    let yaml = format!(
        "tls:\n  key: |\n    -----BEGIN {private}-----\n    {}\n",
        &f.pem_body[..64]
    );
    assert_finds("private-key", "values.yaml", &yaml);

    // Headers without a body (parsers, docs), and public keys.
    assert_clean(
        "pem.rs",
        &format!("const HEADER: &str = \"-----BEGIN {private}-----\";\n"),
    );
    assert_clean("cert.pem", &f.pem("PUBLIC KEY"));
    assert_clean("cert.pem", &f.pem("CERTIFICATE"));
}

#[test]
fn pgp_and_putty_keys() {
    let f = fakes();
    let block = ["PGP PRIVATE", " KEY BLOCK"].concat();
    let pgp = format!(
        "-----BEGIN {block}-----\nVersion: GnuPG v2\nComment: fake\n\n{}\n-----END {block}-----\n",
        f.pem_body
    );
    assert_finds("pgp-private-key", "key.asc", &pgp);
    assert_clean("key.asc", &pgp.replace("PRIVATE", "PUBLIC"));

    let putty = format!(
        "{}: ssh-ed25519\nEncryption: none\nComment: x\nPublic-Lines: 2\n{}\nPrivate-Lines: 1\n{}\n",
        ["PuTTY-User-", "Key-File-3"].concat(),
        &f.pem_body[..64],
        &f.pem_body[65..129]
    );
    assert_finds("putty-private-key", "id.ppk", &putty);
    assert_clean(
        "README.md",
        "PuTTY writes files starting with PuTTY-User-Key-File-3 and a key type.\n",
    );
}

// ---- tokens --------------------------------------------------------------------

#[test]
fn aws_access_key_ids() {
    let f = fakes();
    assert_finds(
        "aws-access-key-id",
        "a.py",
        &format!("key = '{}'", f.aws_key_id),
    );
    for prefix in ["ASIA", "ABIA", "ACCA"] {
        let id = format!("{prefix}{}", &f.aws_key_id[4..]);
        assert_finds("aws-access-key-id", "a.py", &format!("id={id}"));
    }
    let example = ["AKIA", "IOSFODNN7", "EXAMPLE"].concat();
    assert_clean("docs.md", &format!("aws_access_key_id = {example}"));
    assert_clean("a.py", &f.aws_key_id[..19]);
    assert_clean("a.py", &f.aws_key_id.to_lowercase());
    assert_clean("a.py", &format!("X{}", f.aws_key_id));
}

#[test]
fn aws_secret_access_keys() {
    let f = fakes();
    for content in [
        format!("aws_secret_access_key = {}\n", f.aws_secret),
        format!("AWS_SECRET_ACCESS_KEY=\"{}\"\n", f.aws_secret),
        format!("{{\"SecretAccessKey\": \"{}\"}}\n", f.aws_secret),
        format!("  secret-access-key: '{}'\n", f.aws_secret),
    ] {
        assert_finds("aws-secret-access-key", "creds", &content);
        assert_eq!(
            rules_of("creds", &content).len(),
            1,
            "the generic rule defers: {content}"
        );
    }
    let example = ["wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY"].concat();
    assert_clean("docs.md", &format!("aws_secret_access_key = {example}\n"));
    assert_clean("x.txt", &format!("checksum {}\n", f.aws_secret));
    assert_clean(
        "x.txt",
        &format!("aws_secret_access_key = {}\n", "a".repeat(40)),
    );
}

#[test]
fn github_tokens_need_a_valid_checksum() {
    let f = fakes();
    assert_finds(
        "github-token",
        "a.sh",
        &format!("export GH={}", f.github_classic),
    );
    assert_finds("github-token", "a.sh", &format!("token {}", f.github_oauth));
    let mut rng = Rng::new(3);
    for prefix in ["ghu", "ghs", "ghr"] {
        let t = super::testgen::checksummed(prefix, &mut rng);
        assert_finds("github-token", "a.txt", &t);
    }
    // A wrong checksum, a wrong length, an unknown prefix: not GitHub tokens.
    assert_clean("a.md", &format!("sample: {}", f.github_bad_checksum));
    assert_clean("a.md", &format!("sample: {}", &f.github_classic[..39]));
    assert_clean("a.md", &format!("sample: ghx_{}", &f.github_classic[4..]));
    // Random lookalikes almost never carry a valid checksum.
    let mut rng = Rng::new(11);
    for _ in 0..200 {
        let lookalike = format!("{}{}", ["gh", "p_"].concat(), rng.string(ALNUM, 36));
        assert_not("github-token", "a.md", &lookalike);
    }
}

#[test]
fn github_fine_grained_tokens() {
    let f = fakes();
    assert_finds(
        "github-fine-grained-pat",
        "a.env.example",
        &format!("GH={}", f.github_fine),
    );
    assert_clean("a.md", &format!("see {}", &f.github_fine[..90]));
    assert_clean(
        "a.md",
        "fine-grained tokens start with github_pat_ and are long\n",
    );
}

#[test]
fn gitlab_tokens() {
    let f = fakes();
    assert_finds("gitlab-token", "ci.yml", &format!("GITLAB: {}", f.gitlab));
    let mut rng = Rng::new(5);
    let routable = format!(
        "{}{}.01.{}",
        ["glp", "at-"].concat(),
        rng.mixed(ALNUM, 27),
        rng.string(b"0123456789abcdefghijklmnopqrstuvwxyz", 9)
    );
    assert_finds("gitlab-token", "ci.yml", &routable);
    let deploy = format!("{}{}", ["gl", "dt-"].concat(), rng.mixed(ALNUM, 20));
    assert_finds("gitlab-token", "ci.yml", &deploy);
    assert_clean("docs.md", &format!("{}{}", "glpat-", "x".repeat(20)));
    assert_clean("docs.md", &f.gitlab[..25]);
}

#[test]
fn slack_tokens_and_webhooks() {
    let f = fakes();
    assert_finds(
        "slack-token",
        "bot.js",
        &format!("const t = '{}';", f.slack_bot),
    );
    let user = format!(
        "{}-{}-{}-{}-{}",
        ["xo", "xp"].concat(),
        "2415926213",
        "2428129271",
        "4286125836",
        Rng::new(9).string(HEX, 32)
    );
    assert_finds("slack-token", "bot.js", &user);
    assert_clean("README.md", "Set SLACK_TOKEN to xoxb-your-token-here\n");
    assert_clean("README.md", "xoxb-1234-short\n");

    assert_finds(
        "slack-webhook",
        "notify.sh",
        &format!("curl -X POST {}", f.slack_webhook),
    );
    let doc = [
        "https://hooks.slack.com/services/",
        "T00000000/B00000000/",
        "XXXXXXXXXXXXXXXXXXXXXXXX",
    ]
    .concat();
    assert_clean("README.md", &format!("Webhook: {doc}\n"));
}

#[test]
fn stripe_live_keys_but_not_test_keys() {
    let f = fakes();
    assert_finds(
        "stripe-live-key",
        "pay.rb",
        &format!("Stripe.api_key = '{}'", f.stripe_live),
    );
    assert_finds("stripe-live-key", "pay.rb", &f.stripe_restricted);
    assert_clean(
        "pay_test.rb",
        &format!("Stripe.api_key = '{}'", f.stripe_test),
    );
    assert_clean("pay.rb", &f.stripe_live[..31]);
    assert_clean(
        "schema.md",
        "live keys start with sk_live_ and test keys with sk_test_\n",
    );
}

#[test]
fn openai_and_anthropic_keys() {
    let f = fakes();
    assert_finds(
        "openai-api-key",
        "a.py",
        &format!("OPENAI_API_KEY=\"{}\"", f.openai_project),
    );
    assert_finds(
        "openai-api-key",
        "a.py",
        &format!("openai.api_key = \"{}\"", f.openai_legacy),
    );
    assert_clean("a.md", "keys look like sk-proj-abc123\n");
    assert_finds(
        "anthropic-api-key",
        "a.py",
        &format!("ANTHROPIC_API_KEY={}", f.anthropic),
    );
    let admin = format!(
        "{}{}",
        ["sk-ant-", "admin01-"].concat(),
        Rng::new(2).mixed(ALNUM, 90)
    );
    assert_finds("anthropic-api-key", "a.py", &admin);
    assert_clean("a.md", "Anthropic keys start with sk-ant-api03-\n");
}

#[test]
fn npm_pypi_huggingface_sendgrid() {
    let f = fakes();
    assert_finds(
        "npm-token",
        ".npmrc",
        &format!("//registry.npmjs.org/:_authToken={}", f.npm),
    );
    assert_not(
        "npm-token",
        ".npmrc",
        &format!("token {}", f.npm_bad_checksum),
    );
    assert_clean("a.sh", "echo $npm_config_cache_folder_location_value\n");

    assert_finds("pypi-token", ".pypirc", &format!("password = {}", f.pypi));
    assert_clean("docs.md", "PyPI tokens start with pypi-AgEIcHlwaS5vcmc\n");

    assert_finds(
        "huggingface-token",
        "a.py",
        &format!("login(token=\"{}\")", f.huggingface),
    );
    assert_clean("a.py", "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 = 1\n");
    assert_clean("a.py", "from huggingface_hub import hf_hub_download\n");

    assert_finds(
        "sendgrid-api-key",
        "mail.py",
        &format!("SENDGRID_API_KEY='{}'", f.sendgrid),
    );
    assert_clean("mail.py", "msg.SG.send() # SG.short.key\n");
}

#[test]
fn twilio_keys_need_context() {
    let f = fakes();
    assert_finds(
        "twilio-api-key",
        "sms.py",
        &format!("TWILIO_API_KEY = '{}'\n", f.twilio_api_key),
    );
    let block = format!(
        "[twilio]\naccount_sid = {}\nauth_token = {}\n",
        f.twilio_account_sid, f.twilio_auth_token
    );
    assert_finds("twilio-auth-token", "config.ini", &block);
    // Without the word "twilio" an SK+hex string is just hex; without an
    // account SID a 32-hex "token" is usually a hash.
    assert_not(
        "twilio-api-key",
        "a.txt",
        &format!("id = {}\n", f.twilio_api_key),
    );
    assert_not(
        "twilio-auth-token",
        "config.ini",
        &format!("[twilio]\nauth_token = {}\n", f.twilio_auth_token),
    );
}

#[test]
fn google_keys_and_service_accounts() {
    let f = fakes();
    assert_finds(
        "google-api-key",
        "maps.js",
        &format!("key: \"{}\"", f.google_api),
    );
    // Truncated, it is no Google key (it may still be reported as a random value under `key`).
    let truncated = format!("key: \"{}\"", &f.google_api[..38]);
    assert!(
        !Scanner::new()
            .scan("maps.js", truncated.as_bytes())
            .iter()
            .any(|f| f.rule == "google-api-key")
    );
    let private = ["PRIVATE", " KEY"].concat();
    let sa = format!(
        "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"demo\",\n  \"private_key_id\": \"{}\",\n  \"private_key\": \"-----BEGIN {private}-----\\n{}\\n-----END {private}-----\\n\",\n  \"client_email\": \"x@demo.iam.gserviceaccount.com\"\n}}\n",
        f.hex_secret,
        f.pem_body.replace('\n', "\\n")
    );
    let found = rules_of("sa.json", &sa);
    assert!(found.contains(&"gcp-service-account"), "{found:?}");
    assert!(found.contains(&"private-key"), "{found:?}");
    assert_clean(
        "main.tf",
        "resource \"x\" {\n  \"type\": \"service_account\"\n  account_id = \"deployer\"\n}\n",
    );
}

#[test]
fn jwts_must_decode() {
    let f = fakes();
    assert_finds(
        "jwt",
        "req.http",
        &format!("Authorization: Bearer {}", f.jwt),
    );
    let mut rng = Rng::new(8);
    let not_json = format!(
        "eyJ{}.eyJ{}.{}",
        rng.mixed(ALNUM, 20),
        rng.mixed(ALNUM, 20),
        rng.mixed(ALNUM, 30)
    );
    assert_clean("data.txt", &format!("blob {not_json}"));
    let unsigned: String = f
        .jwt
        .rsplit_once('.')
        .map(|(a, _)| format!("{a}."))
        .unwrap_or_default();
    // Unsigned (or stripped) tokens still carry their claims and are reported, as
    // detect-secrets does; two dotted JSON objects without a JOSE header are not.
    assert_finds("jwt", "data.txt", &format!("blob {unsigned}"));
    let header = super::testgen::base64url(br#"{"kind":"note"}"#);
    let payload = super::testgen::base64url(br#"{"sub":"1234567890","name":"x"}"#);
    assert_clean("data.txt", &format!("blob {header}.{payload}"));
}

#[test]
fn url_passwords() {
    let f = fakes();
    for url in [
        format!("postgres://app:{}@db.internal:5432/app", f.url_password),
        format!("redis://:{}@cache:6379/0", f.url_password),
        format!("https://deploy:{}@git.corp.net/repo.git", f.url_password),
        format!(
            "mongodb+srv://svc:{}@cluster0.abcde.mongodb.net/",
            f.url_password
        ),
    ] {
        assert_finds("url-password", "config.yml", &format!("url: {url}\n"));
    }
    for url in [
        "postgres://user:password@localhost:5432/db",
        "postgres://postgres:postgres@localhost/app",
        "https://user:${GIT_TOKEN}@github.com/org/repo",
        "https://user:$PASSWORD@host.corp/x",
        "redis://:changeme@cache:6379",
        "mysql://root:root@127.0.0.1/db",
        "amqp://guest:guest@rabbit:5672",
        "https://user:<password>@host/x",
        "https://alice:s3cr3tV4lue@example.com/",
        "https://bob:Xk29fj2kd93Lq@db.example.org/",
        "postgres://app:xxxxxxxx@db/app",
        "postgres://app:****@db/app",
        "https://github.com/org/repo",
        "http://localhost:8080/api",
    ] {
        assert_clean("docs.md", &format!("connect to {url}\n"));
    }
}

#[test]
fn generic_assignments() {
    let f = fakes();
    let v = &f.password;
    for line in [
        format!("password = \"{v}\""),
        format!("\"api_key\": \"{v}\","),
        format!("DB_PASSWORD={v}"),
        format!("client_secret: {v}"),
        format!("  apiKey: '{v}'"),
        format!("Authorization: Bearer {v}"),
        format!("$password = '{v}';"),
        format!("AUTH_TOKEN := \"{v}\""),
        format!("credentials => \"{v}\""),
        format!("export SIGNING_KEY={}", f.hex_secret),
        format!("  password: {}", "cGFzc3dvcmQtMTIzNDU2Nzg5MA=="),
    ] {
        assert_finds("generic-secret", "config.txt", &line);
    }
    for line in [
        "password = \"changeme-please\"",
        "password = \"${DB_PASSWORD}\"",
        "api_key: <your-api-key-here>",
        "API_KEY=your_api_key_here",
        "SECRET_KEY=REPLACE_ME_WITH_REAL",
        "token: xxxxxxxxxxxxxxxxxxxx",
        "password: \"{{ .Values.db.password }}\"",
        "token = process.env.API_TOKEN",
        "token = generate_token(user_id, 3600)",
        "password = hashlib.sha256(raw).hexdigest()",
        "secret = settings.SECRET_KEY_BASE",
        "password_hash = \"$2b$12$KIXQJ4vH2qk1r9m5ZlWcEO\"",
        "token_url = https://auth.corp.net/oauth/token",
        "api_key = \"123e4567-e89b-12d3-a456-426614174000\"",
        "password: correcthorsebatterystaple",
        "password = \"shrt1A!\"",
        "max_tokens = 4096000000000",
        "auth: enabled",
        "The password: use a strong one, at least 12 characters.",
        "author = \"Jane Doe <jane@corp.net>\"",
        "password = \"test-password-123\"",
        "secret: dummy-secret-value-abc",
        "token: !vault |",
        "fn set_token(token: &str) -> Result<(), Error> {",
    ] {
        assert_not("generic-secret", "config.txt", line);
    }
}

#[test]
fn heuristics_are_off_in_lock_files_but_tokens_are_not() {
    let f = fakes();
    let lock = format!(
        "[[package]]\nname = \"auth-token\"\nchecksum = \"{}\"\nsecret_sauce = \"{}\"\n",
        f.hex_secret, f.password
    );
    assert_clean("Cargo.lock", &lock);
    let leaked = format!(
        "  resolved \"https://npm:{}@registry.corp.net/pkg/-/pkg-1.0.0.tgz\"\n",
        f.url_password
    );
    assert_finds("url-password", "yarn.lock", &leaked);
    assert_finds(
        "github-token",
        "package-lock.json",
        &format!("\"x\": \"{}\"", f.github_classic),
    );
}

#[test]
fn secrets_template_reports_only_private_keys_and_known_values() {
    let f = fakes();
    let template = format!(
        "[STRIPE_SECRET_KEY]\npattern = {{ prod = \"^sk_live_\", \"*\" = \"^sk_test_\" }}\nexample = \"{}\"\n\n[DB_PASSWORD]\ndefault = \"{}\"\n[GH]\nexample = \"{}\"\n",
        f.stripe_live, f.password, f.github_classic
    );
    assert_clean(".secrets.example.toml", &template);
    let with_key = format!(
        "{template}\n[TLS_KEY]\nexample = \"\"\"\n{}\"\"\"\n",
        f.pem("RSA PRIVATE KEY")
    );
    assert_eq!(
        rules_of(".secrets.example.toml", &with_key),
        ["private-key"]
    );
    let known = scanner().with_known_values(vec![(
        "prod/DB_PASSWORD".to_owned(),
        Zeroizing::new(f.password.as_bytes().to_vec()),
    )]);
    let found = known.scan(".secrets.example.toml", template.as_bytes());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule, "known-value");
}

mod more;
