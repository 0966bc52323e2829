//! Unit tests of the scanner, second part: known values, what must never be
//! flagged, configuration formats, and the property tests. Shares the helpers
//! of the parent module.

use proptest::prelude::*;
use zeroize::Zeroizing;

use super::*;
use crate::scan::testgen::{ALNUM, BASE64, BASE64URL, Fakes, HEX, Rng, UPPER_DIGITS};

// ---- known values ----------------------------------------------------------------

#[test]
fn known_values_are_found_exactly() {
    let s = scanner().with_known_values(vec![
        (
            "prod/DATABASE_URL".to_owned(),
            Zeroizing::new(b"postgres://svc@db/prod".to_vec()),
        ),
        ("prod/SHORT".to_owned(), Zeroizing::new(b"admin".to_vec())),
        (
            "dev/PLAIN".to_owned(),
            Zeroizing::new(b"plain words value".to_vec()),
        ),
    ]);
    assert_eq!(s.known_value_count(), 2, "values under 8 bytes are ignored");
    let content = "a = 'postgres://svc@db/prod'\nadmin\nnote: plain words value!\n";
    let found = s.scan("deploy/run.sh", content.as_bytes());
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].rule, "known-value");
    assert_eq!(found[0].hint, "known value prod/DATABASE_URL (22 bytes)");
    assert_eq!((found[0].line, found[0].column), (1, 6));
    assert_eq!(found[1].hint, "known value dev/PLAIN (17 bytes)");
    let debug = format!("{s:?}");
    assert!(
        !debug.contains("postgres") && !debug.contains("plain words"),
        "{debug}"
    );
    assert!(
        Scanner::new()
            .scan("deploy/run.sh", content.as_bytes())
            .is_empty()
    );
    let none = scanner().with_known_values(Vec::new());
    assert_eq!(none.known_value_count(), 0);
}

// ---- things that must never be flagged ----------------------------------------------

#[test]
fn common_non_secrets_are_clean() {
    let f = fakes();
    let sha1 = &f.hex_secret;
    let sha256 = Rng::new(4).string(HEX, 64);
    let samples = [
        ("keys.txt", format!("{}\n", f.age_recipient)),
        (
            ".vault.toml",
            format!(
                "[members.alice]\nkeys = [\"{}\", \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop\"]\n",
                f.age_recipient
            ),
        ),
        (
            "authorized_keys",
            format!(
                "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ{} bob@host\n",
                Rng::new(6).string(ALNUM, 300)
            ),
        ),
        (
            "log.txt",
            format!("commit {sha1}\nMerge: {} {}\n", &sha1[..7], &sha256[..7]),
        ),
        ("oci.json", format!("{{\"digest\": \"sha256:{sha256}\"}}")),
        (
            "ids.csv",
            "id,name\n123e4567-e89b-12d3-a456-426614174000,alice\n".to_owned(),
        ),
        (
            "package-lock.json",
            format!(
                "\"integrity\": \"sha512-{}==\",\n\"resolved\": \"https://registry.npmjs.org/a/-/a-1.0.0.tgz\"",
                Rng::new(1).string(crate::scan::testgen::BASE64, 86)
            ),
        ),
        ("Cargo.lock", format!("checksum = \"{sha256}\"\n")),
        (
            "go.sum",
            format!(
                "github.com/x/y v1.0.0 h1:{}=\n",
                Rng::new(2).string(crate::scan::testgen::BASE64, 43)
            ),
        ),
        (
            "docs/auth.md",
            "Never commit your password. Use a secret manager; the token is rotated.\n".to_owned(),
        ),
        (
            "test/payments_test.rb",
            format!("Stripe.api_key = \"{}\"\n", f.stripe_test),
        ),
    ];
    for (path, content) in samples {
        assert_clean(path, &content);
    }
}

/// Inputs built to make a naive scanner quadratic: one endless line of
/// keywords, markers or key characters. Each must scan in linear time.
#[test]
fn pathological_inputs_stay_linear() {
    let size = 256 * 1024;
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("keywords", "token".repeat(size / 5).into_bytes()),
        ("assignments", "token=".repeat(size / 6).into_bytes()),
        ("prefixes", "AKIA".repeat(size / 4).into_bytes()),
        (
            "armor",
            "-----BEGIN AGE ENCRYPTED FILE-----"
                .repeat(size / 34)
                .into_bytes(),
        ),
        (
            "armor lines",
            "-----BEGIN AGE ENCRYPTED FILE-----\n"
                .repeat(size / 35)
                .into_bytes(),
        ),
        ("urls", "a://b:c@".repeat(size / 8).into_bytes()),
        (
            "pem",
            "-----BEGIN PRIVATE KEY-----\n"
                .repeat(size / 28)
                .into_bytes(),
        ),
        ("twilio", "twilio\n".repeat(size / 7).into_bytes()),
        ("jwt", "eyJ.".repeat(size / 4).into_bytes()),
        ("newlines", vec![b'\n'; size]),
    ];
    for (name, content) in inputs {
        let start = std::time::Instant::now();
        let _ = scanner().scan("x.txt", &content);
        let elapsed = start.elapsed();
        // Generous for unoptimised builds on a busy machine; quadratic
        // behaviour on 256 KiB takes minutes.
        assert!(elapsed.as_secs_f64() < 5.0, "{name}: {elapsed:?}");
    }
}

// ---- speed -------------------------------------------------------------------------------

/// Throughput smoke test. Timing depends on the machine, so it is ignored by
/// default: run `cargo test --release -- --ignored --nocapture scan_speed`.
#[test]
#[ignore = "timing; run in release with --ignored"]
fn scan_speed_smoke() {
    let text = crate::scan::testgen::source_text(1 << 20);
    let scanner = Scanner::new();
    assert!(
        scanner.scan("warm.rs", &text).is_empty(),
        "the generated text holds no secrets"
    );
    let rounds = 20;
    let mut best = std::time::Duration::MAX;
    for round in 0..rounds {
        let start = std::time::Instant::now();
        let found = scanner.scan(&format!("src/f{round}.rs"), &text);
        best = best.min(start.elapsed());
        assert!(found.is_empty());
    }
    // One MiB of text; sizes are tiny, so the conversions are exact.
    #[allow(clippy::cast_precision_loss)]
    let megabytes = text.len() as f64 / 1e6;
    let seconds = best.as_secs_f64();
    println!(
        "scan speed: {:.0} MB/s, {:.2} ms for {megabytes:.2} MB of source text",
        megabytes / seconds,
        seconds * 1e3
    );
    if !cfg!(debug_assertions) {
        assert!(
            seconds < 0.010 * megabytes * 2.0,
            "slower than 20 ms per MB"
        );
    }
}

// ---- properties ------------------------------------------------------------------------

fn line_starts(content: &[u8]) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            content
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect()
}

fn check_positions(content: &[u8], found: &[Finding]) -> Result<(), TestCaseError> {
    let starts = line_starts(content);
    for f in found {
        if f.line == 0 {
            prop_assert_eq!(f.column, 0);
            continue;
        }
        prop_assert!(
            f.line <= starts.len(),
            "line {} of {}",
            f.line,
            starts.len()
        );
        prop_assert!(f.column >= 1);
        let offset = starts[f.line - 1] + f.column - 1;
        prop_assert!(
            offset < content.len(),
            "offset {} of {}",
            offset,
            content.len()
        );
    }
    Ok(())
}

/// Fragments that drive the scanner into its less common paths.
const SOUP: &[&str] = &[
    "password",
    "=",
    ":",
    "\"",
    "\n",
    "token",
    "AKIA",
    "ghp_",
    "-----BEGIN AGE ENCRYPTED FILE-----",
    "-----END AGE ENCRYPTED FILE-----",
    "-----BEGIN PRIVATE KEY-----",
    "://",
    "@",
    "eyJ",
    ".",
    "twilio",
    "vault:allow",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_input(path in ".{0,40}", content in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let found = scanner().scan(&path, &content);
        check_positions(&content, &found)?;
    }

    #[test]
    fn never_panics_on_keyword_soup(
        path in "[a-z./_-]{0,30}",
        words in proptest::collection::vec(
            prop_oneof![
                prop::sample::select(SOUP).prop_map(str::to_owned),
                "[A-Za-z0-9+/]{1,50}",
                "[ \t\r]{1,3}",
            ],
            0..120,
        ),
    ) {
        let content = words.concat();
        let found = scanner().scan(&path, content.as_bytes());
        check_positions(content.as_bytes(), &found)?;
    }

    #[test]
    fn tokens_are_found_in_any_surroundings(
        before in "[a-z ]{0,30}[ \n=:\"']",
        after in "[ \n\"',;][a-z ]{0,30}",
        seed in any::<u64>(),
    ) {
        let f = Fakes::new(seed);
        // A random body may, very rarely, spell a placeholder marker.
        prop_assume!(!crate::scan::validate::is_placeholder_token(f.stripe_live.as_bytes()));
        prop_assume!(!crate::scan::validate::is_placeholder_token(f.aws_key_id.as_bytes()));
        for (rule, token) in [
            ("github-token", &f.github_classic),
            ("aws-access-key-id", &f.aws_key_id),
            ("stripe-live-key", &f.stripe_live),
            ("age-secret-key", &f.age_secret_key),
        ] {
            let content = format!("{before}{token}{after}");
            let found = scanner().scan("x.txt", content.as_bytes());
            prop_assert!(found.iter().any(|x| x.rule == rule), "{} in {:?}", rule, content);
            for x in &found {
                prop_assert!(!x.hint.contains(&token[5..]));
            }
        }
    }
}

/// Fragments of assignment-like lines for the parser/regex cross-check.
const ASSIGNMENT_SOUP: &[&str] = &[
    "password",
    "PASS",
    "api_key",
    "api-key",
    "apikey",
    "token",
    "auth",
    "secret",
    "credential",
    "private.key",
    "db_",
    "$",
    "-",
    ".",
    "x",
    "=",
    "==",
    ":",
    ":=",
    "=>",
    "\"",
    "'",
    "`",
    "]",
    " ",
    "\t",
    "Bearer ",
    "basic\t",
    "token ",
    "(",
    ")",
    "{",
    "<",
    ">",
    ";",
    ",",
    "\\",
    "/",
    "+",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// The generic rule's hand-written parser finds every assignment its
    /// regex (the rule's specification) matches, with the same spans.
    #[test]
    fn assignment_parser_agrees_with_generic_regex(
        soup in proptest::collection::vec(
            prop_oneof![
                prop::sample::select(ASSIGNMENT_SOUP).prop_map(str::to_owned),
                "[A-Za-z0-9+/=_-]{1,16}",
            ],
            1..16,
        ),
        shaped in (
            "[ a-z(]{0,3}[$]?[A-Za-z_.-]{0,4}",
            prop::sample::select(&["password", "token", "API_KEY", "auth", "Secret", "tok"][..]),
            r#"[A-Za-z_.$-]{0,4}["'\]]{0,3}[ \t]{0,2}"#,
            prop::sample::select(&[":", "=", ":=", "=>", "==", ": ", "", "?=", ".=", "::=", ":::=", "||=", "+=", "\", \"", "', '", ": String =", " str=", ": strange"][..]),
            r#"[ \t]{0,2}["'`]?"#,
            prop::sample::select(&["", "Bearer ", "basic\t", "token ", "TOKEN  ", "bearer"][..]),
            "[=A-Za-z0-9+/<${-]{0,1}[A-Za-z0-9+/=_.:-]{0,20}",
            r#"["' ;,)>\\]{0,2}[a-z]{0,3}"#,
        ),
        pick in any::<bool>(),
    ) {
        let line = if pick {
            soup.concat()
        } else {
            let (a, b, c, d, e, f, g, h) = shaped;
            [a, b.to_owned(), c, d.to_owned(), e, f.to_owned(), g, h].concat()
        };
        let bytes = line.as_bytes();
        let rule = RULES.iter().find(|r| r.id == "generic-secret").expect("rule exists");
        let regex = regex::bytes::Regex::new(rule.pattern).expect("compiles");
        let lower = line.to_ascii_lowercase();
        for caps in regex.captures_iter(bytes) {
            let key = caps.name("k").expect("key group").range();
            let value = caps.name("s").expect("value group").range();
            let quoted = caps.name("q").is_some() || caps.name("c").is_some();
            let expected = crate::scan::assign::Assignment { key: key.clone(), value, quoted };
            let found = rule.keywords.iter().any(|keyword| {
                lower[key.clone()]
                    .match_indices(keyword)
                    .map(|(i, _)| key.start + i)
                    .any(|at| {
                        crate::scan::assign::parse(bytes, at..at + keyword.len(), 0..bytes.len())
                            .as_ref()
                            == Some(&expected)
                    })
            });
            prop_assert!(found, "regex match {:?} not found by the parser in {:?}", expected, line);
        }
    }
}

// ---- families ported from other scanners' rule sets (issue 15) ------------------------------

/// A token of `prefix` plus `len` characters of `alphabet`, generated at run time.
fn token(seed: u64, prefix: &str, alphabet: &[u8], len: usize) -> String {
    let mut rng = Rng::new(seed);
    format!("{prefix}{}", rng.mixed(alphabet, len))
}

#[test]
fn provider_tokens_with_published_prefixes() {
    let cases = [
        ("hashicorp-vault-token", token(1, "hvs.", BASE64URL, 95)),
        (
            "onepassword-service-account-token",
            token(2, "ops_eyJ", BASE64, 160),
        ),
        ("databricks-token", token(3, "dapi", HEX, 32)),
        ("docker-pat", token(4, "dckr_pat_", BASE64URL, 27)),
        ("figma-token", token(5, "figd_", BASE64URL, 40)),
        ("linear-api-key", token(6, "lin_api_", ALNUM, 40)),
        ("vercel-token", token(7, "vcp_", ALNUM, 40)),
        (
            "postman-api-key",
            format!("{}-{}", token(8, "PMAK-", HEX, 24), token(9, "", HEX, 34)),
        ),
        ("pulumi-token", token(10, "pul-", HEX, 40)),
        ("shopify-token", token(11, "shpat_", HEX, 32)),
        ("easypost-api-key", token(12, "EZAK", ALNUM, 54)),
        ("doppler-token", token(13, "dp.pt.", ALNUM, 43)),
        ("planetscale-token", token(14, "pscale_tkn_", ALNUM, 43)),
        (
            "sendinblue-api-key",
            format!(
                "{}-{}",
                token(15, "xkeysib-", HEX, 64),
                token(16, "", ALNUM, 16)
            ),
        ),
        ("facebook-access-token", token(17, "EAAC", ALNUM, 120)),
        ("atlassian-api-token", token(18, "ATATT3", BASE64URL, 186)),
        ("sentry-token", token(19, "sntryu_", HEX, 64)),
    ];
    for (rule, secret) in &cases {
        assert_finds(rule, "config/app.yml", &format!("value: {secret}\n"));
        assert_finds(rule, "deploy.sh", &format!("export SOME_VAR='{secret}'\n"));
        // A placeholder body in the same shape is documentation, not a secret.
        let prefix_len = secret.len() - secret.chars().rev().take(20).count();
        let placeholder = format!("{}{}", &secret[..prefix_len], "x".repeat(20));
        assert_not(rule, "README.md", &format!("value: {placeholder}\n"));
    }
}

#[test]
fn onepassword_secret_keys_and_vault_legacy_tokens() {
    let mut rng = Rng::new(21);
    let key = format!(
        "A3-{}-{}-{}-{}-{}",
        rng.mixed(UPPER_DIGITS, 6),
        rng.mixed(UPPER_DIGITS, 11),
        rng.mixed(UPPER_DIGITS, 5),
        rng.mixed(UPPER_DIGITS, 5),
        rng.mixed(UPPER_DIGITS, 5)
    );
    assert_finds("onepassword-secret-key", "notes.txt", &format!("{key}\n"));
    assert_clean("notes.txt", "A3-XXXXXX-XXXXXXXXXXX-XXXXX-XXXXX-XXXXX\n");

    let legacy = token(22, "s.", ALNUM, 24);
    assert_finds(
        "hashicorp-vault-legacy-token",
        "ci.yml",
        &format!("VAULT_ADDR: https://vault.internal\nVAULT_TOKEN: {legacy}\n"),
    );
    // Without the word vault nearby, `s.` and 24 characters is just text.
    assert_not(
        "hashicorp-vault-legacy-token",
        "a.txt",
        &format!("see {legacy}\n"),
    );
}

#[test]
fn azure_storage_keys_are_checked_by_decoded_length() {
    let key = format!("{}==", token(23, "", BASE64, 86));
    assert_finds(
        "azure-storage-key",
        "appsettings.json",
        &format!(
            "{{\"Storage\": \"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={key};EndpointSuffix=core.windows.net\"}}\n"
        ),
    );
    // 86 characters that decode to 64 bytes but are a run: a placeholder.
    let fake = format!("{}==", "A".repeat(86));
    assert_not(
        "azure-storage-key",
        "a.config",
        &format!("AccountKey={fake}\n"),
    );
}

#[test]
fn mailchimp_keys_need_random_lower_hex() {
    let key = format!("{}-us12", token(24, "", HEX, 32));
    assert_finds(
        "mailchimp-api-key",
        "mail.php",
        &format!("$key = '{key}';\n"),
    );
    assert_not(
        "mailchimp-api-key",
        "mail.php",
        &format!("$key = '{}-us12';\n", "0".repeat(32)),
    );
}

#[test]
fn http_basic_auth_in_headers_and_curl() {
    use base64::Engine;
    let password = token(25, "", ALNUM, 14);
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("deploy:{password}"));
    assert_finds(
        "http-basic-auth",
        "call.sh",
        &format!("curl -H 'Authorization: Basic {encoded}' https://api.internal\n"),
    );
    // Words after "basic" are prose, and base64 of a placeholder pair is documentation.
    assert_clean("README.md", "Basic authentication is supported.\n");
    let doc = base64::engine::general_purpose::STANDARD.encode("user:changeme");
    assert_not(
        "http-basic-auth",
        "README.md",
        &format!("Authorization: Basic {doc}\n"),
    );

    assert_finds(
        "curl-user-password",
        "run.sh",
        &format!("curl -s -u admin:{password} https://ci.internal/api\n"),
    );
    assert_finds(
        "curl-user-password",
        "run.sh",
        &format!("curl -X POST \\\n  --user \"deploy:{password}\" \\\n  https://ci.internal\n"),
    );
    assert_not(
        "curl-user-password",
        "run.sh",
        "curl -u \"$USER:$PASSWORD\" https://ci.internal\n",
    );
    assert_not(
        "curl-user-password",
        "run.sh",
        "curl -u 1000:1000 https://x.internal\n",
    );
}

#[test]
fn credentials_in_service_configuration_files() {
    let secret = token(26, "", ALNUM, 18);
    assert_finds(
        "npm-registry-credential",
        ".npmrc",
        &format!("//registry.npmjs.org/:_authToken={secret}\n"),
    );
    assert_clean(".npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n");
    assert_finds(
        "netrc-password",
        ".netrc",
        &format!("machine api.internal\n  login deploy\n  password {secret}\n"),
    );
    assert_finds(
        "redis-password",
        "redis.conf",
        &format!("requirepass {secret}\n"),
    );
    assert_clean(
        "redis.conf",
        "# requirepass foobared\nrequirepass ${REDIS_PASSWORD}\n",
    );
    assert_finds(
        "xml-secret",
        "settings.xml",
        &format!("<server>\n  <id>nexus</id>\n  <password>{secret}</password>\n</server>\n"),
    );
    assert_finds(
        "xml-secret",
        "config.xml",
        &format!("<apiToken>\n    {secret}\n</apiToken>\n"),
    );
    // Maven's own encryption wraps the value in braces.
    assert_clean("settings.xml", "<password>{COQLCE6DU6GtcS5P=}</password>\n");
}

#[test]
fn generic_assignments_in_more_spellings() {
    let v = token(27, "", ALNUM, 20);
    for line in [
        format!("define('DB_PASSWORD', '{v}');"),
        format!("System.setProperty(\"API_TOKEN\", \"{v}\")"),
        format!("$authToken .= \"{v}\""),
        format!("API_TOKEN ?= \"{v}\""),
        format!("API_TOKEN ::= \"{v}\""),
        format!("var apiToken string = \"{v}\""),
        format!("val apiToken: String = \"{v}\""),
    ] {
        assert_finds("generic-secret", "config.php", &format!("{line}\n"));
    }
    // A comparison, a call with a variable, or a type annotation alone are not assignments.
    assert_clean("app.py", &format!("if password == \"{v}\":\n    pass\n"));
    assert_clean("app.php", "define('DB_PASSWORD', getenv('DB_PASSWORD'));\n");
}

#[test]
fn other_tools_ciphertext_is_never_a_secret() {
    let blob = token(28, "", BASE64, 160);
    let dotenvx = format!(
        "DOTENV_PUBLIC_KEY_PRODUCTION=\"02{}\"\n# production\nDATABASE_PASSWORD=\"encrypted:{blob}\"\nAPI_TOKEN=\"encrypted:{blob}\"\n",
        token(29, "", HEX, 64)
    );
    assert_clean(".env.production", &dotenvx);
    let sops = format!(
        "DB_PASSWORD=ENC[AES256_GCM,data:{},iv:{},tag:{},type:str]\nsops_version=3.9.4\n",
        token(30, "", BASE64, 24),
        token(31, "", BASE64, 43),
        token(32, "", BASE64, 22)
    );
    assert_clean("prod.enc.env", &sops);
    assert_clean(
        "env.json",
        &format!("{{\"API_TOKEN\": \"encrypted:{blob}\"}}\n"),
    );
    // One plaintext value makes it an ordinary .env file again.
    assert_finds(
        "dotenv-file",
        ".env.production",
        &format!("{dotenvx}DEBUG_TOKEN=plain\n"),
    );
}

#[test]
fn kubernetes_secrets_with_literal_data() {
    use base64::Engine;
    let value = base64::engine::general_purpose::STANDARD.encode(token(33, "", ALNUM, 16));
    let manifest = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  password: {value}\n"
    );
    assert_finds("kubernetes-secret", "k8s/db-secret.yaml", &manifest);
    assert_clean(
        "chart/templates/secret.yaml",
        "apiVersion: v1\nkind: Secret\ndata:\n  password: {{ .Values.db.password | b64enc }}\n",
    );
    let placeholder = base64::engine::general_purpose::STANDARD.encode("changeme");
    assert_not(
        "kubernetes-secret",
        "k8s/example.yaml",
        &format!("kind: Secret\ndata:\n  password: {placeholder}\n"),
    );
    // A sealed secret's payload is ciphertext.
    assert_not(
        "kubernetes-secret",
        "k8s/sealed.yaml",
        &format!("kind: SealedSecret\nspec:\n  encryptedData:\n    password: Ag{value}\n"),
    );
}

#[test]
fn uuid_values_count_only_under_credential_keys() {
    let mut rng = Rng::new(34);
    let uuid = format!(
        "{}-{}-4{}-a{}-{}",
        rng.string(HEX, 8),
        rng.string(HEX, 4),
        rng.string(HEX, 3),
        rng.string(HEX, 3),
        rng.string(HEX, 12)
    );
    assert_finds(
        "generic-secret",
        "settings.ini",
        &format!("service_api_token = {uuid}\n"),
    );
    // A provider-named key is reported by the provider's rule (ported from gitleaks).
    assert_finds(
        "heroku-legacy-api-key",
        "settings.ini",
        &format!("heroku_api_token = {uuid}\n"),
    );
    assert_clean("settings.ini", &format!("auth_provider_id = {uuid}\n"));
    assert_clean("settings.ini", &format!("session_key_id = {uuid}\n"));
}

#[test]
fn dotnet_and_docker_configuration() {
    let v = token(35, "", ALNUM, 18);
    assert_finds(
        "config-key-value",
        "web.config",
        &format!("<appSettings>\n  <add key=\"StripeSecret\" value=\"{v}\" />\n</appSettings>\n"),
    );
    assert_clean(
        "web.config",
        &format!("<add key=\"RetryCount\" value=\"{v}\" />\n"),
    );
    assert_finds(
        "generic-secret",
        "web.config",
        &format!("<add name=\"Db\" connectionString=\"Server=db;User Id=app;Password={v};\" />\n"),
    );
    // `DB_PASSWORD=` in a Dockerfile is a plain assignment, not an npm registry setting.
    let found = rules_of("Dockerfile", &format!("FROM alpine\nENV DB_PASSWORD={v}\n"));
    assert_eq!(found, ["generic-secret"]);
}

#[test]
fn known_values_are_found_through_encodings() {
    use base64::Engine;
    let password = token(36, "", ALNUM, 16);
    let url = format!("postgres://svc:{password}@db.internal/prod");
    let s = scanner().with_known_values(vec![
        (
            "prod/DATABASE_URL".to_owned(),
            Zeroizing::new(url.clone().into_bytes()),
        ),
        (
            "prod/API_KEY".to_owned(),
            Zeroizing::new(b"k3y with/slash+plus".to_vec()),
        ),
    ]);
    assert_eq!(s.known_value_count(), 2, "variants are not values");
    let hints = |path: &str, content: &[u8]| -> Vec<String> {
        s.scan(path, content)
            .into_iter()
            .filter(|f| f.rule == "known-value")
            .map(|f| f.hint)
            .collect()
    };
    let b64 = base64::engine::general_purpose::STANDARD.encode(&url);
    assert_eq!(
        hints(
            "k8s/secret.yaml",
            format!("data:\n  url: {b64}\n").as_bytes()
        ),
        [format!(
            "known value prod/DATABASE_URL (base64) ({} bytes)",
            b64.trim_end_matches('=').len()
        )]
    );
    assert_eq!(
        hints("run.sh", format!("PGPASSWORD={password}\n").as_bytes()),
        ["known value prod/DATABASE_URL (password in URL) (16 bytes)"]
    );
    assert_eq!(
        hints(
            "curl.sh",
            b"https://api.internal/?key=k3y%20with%2Fslash%2Bplus\n"
        ),
        ["known value prod/API_KEY (URL-encoded) (25 bytes)"]
    );
    let utf16: Vec<u8> = "key=k3y with/slash+plus"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_eq!(
        hints("export.reg", &utf16),
        ["known value prod/API_KEY (UTF-16) (38 bytes)"]
    );
    // The whole URL is one finding under its own label, not also its password.
    assert_eq!(
        hints(
            "app.env.example",
            format!("DATABASE_URL={url}\n").as_bytes()
        ),
        [format!(
            "known value prod/DATABASE_URL ({} bytes)",
            url.len()
        )]
    );
}

#[test]
fn editor_and_backup_copies_of_env_files() {
    for name in [
        ".env~",
        "#.env#",
        "..env.swp",
        ".env.prod.bak",
        "prod.env.orig",
        ".env.bak",
    ] {
        assert_finds("dotenv-file", name, "A=1\n");
    }
    for name in [".env.example.bak", "environment.bak", "notes.old"] {
        assert_not("dotenv-file", name, "A=1\n");
    }
}

#[test]
fn dockerfile_legacy_env_form() {
    let v = token(37, "", ALNUM, 20);
    assert_finds(
        "dockerfile-env-secret",
        "Dockerfile",
        &format!("FROM alpine\nENV API_TOKEN {v}\n"),
    );
    assert_clean(
        "Dockerfile",
        "FROM alpine\nENV API_TOKEN ${API_TOKEN}\nENV PATH /usr/local/bin:$PATH\n",
    );
    assert_clean("Dockerfile", &format!("ENV BUILD_ID {v}\n"));
}

#[test]
fn long_alphanumeric_formats_are_not_found_inside_base64_blobs() {
    let token = token(38, "EAAC", ALNUM, 100);
    assert_finds(
        "facebook-access-token",
        "a.yml",
        &format!("token: {token}\n"),
    );
    let blob = format!("data: {}+{token}/{}==\n", token_body(39), token_body(40));
    assert_not("facebook-access-token", "cert.json", &blob);

    fn token_body(seed: u64) -> String {
        Rng::new(seed).mixed(ALNUM, 40)
    }
}
