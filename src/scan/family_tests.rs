//! Tests of the families added for issue 15 beside the gitleaks ports:
//! PKCS#12 keystores (checked by structure) and Discord bot tokens.

use super::Scanner;
use super::testgen::{ALNUM, BASE64URL, Rng, base64};

fn rules_in(path: &str, content: &[u8]) -> Vec<&'static str> {
    Scanner::new()
        .scan(path, content)
        .into_iter()
        .map(|f| f.rule)
        .collect()
}

/// One DER element with a definite length.
fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match body.len() {
        n if n < 0x80 => out.push(u8::try_from(n).expect("short length")),
        n if n < 0x100 => out.extend([0x81, u8::try_from(n).expect("one byte")]),
        n => out.extend([
            0x82,
            u8::try_from(n >> 8).expect("two bytes"),
            u8::try_from(n & 0xff).expect("low byte"),
        ]),
    }
    out.extend_from_slice(body);
    out
}

/// A PKCS#12 `PFX` with random safe contents and the given MAC iteration count.
fn pfx(iterations: &[u8], rng: &mut Rng) -> Vec<u8> {
    let oid_data = der(
        0x06,
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01],
    );
    let safe = der(0x04, rng.string(ALNUM, 600).as_bytes());
    let auth_safe = der(0x30, &[oid_data, der(0xa0, &safe)].concat());
    let sha1 = der(
        0x30,
        &[der(0x06, &[0x2b, 0x0e, 0x03, 0x02, 0x1a]), der(0x05, &[])].concat(),
    );
    let digest_info = der(
        0x30,
        &[sha1, der(0x04, rng.string(ALNUM, 20).as_bytes())].concat(),
    );
    let mac_data = der(
        0x30,
        &[
            digest_info,
            der(0x04, rng.string(ALNUM, 8).as_bytes()),
            der(0x02, iterations),
        ]
        .concat(),
    );
    let mut binary = der(0x30, &[der(0x02, &[3]), auth_safe, mac_data].concat());
    binary[40] = 0; // a NUL, as in every real keystore: binary content skips the pattern rules
    binary
}

#[test]
fn pkcs12_keystores_are_reported_when_whole() {
    let mut rng = Rng::new(151);
    let good = pfx(&[0x08, 0x00], &mut rng);
    assert_eq!(rules_in("certs/client.p12", &good), ["pkcs12-file"]);
    assert_eq!(rules_in("certs/Client.PFX", &good), ["pkcs12-file"]);
    // The same bytes under another name are not a keystore someone will load.
    assert!(rules_in("certs/client.bin", &good).is_empty());
    // Truncated, or an iteration count no tool writes: damaged, not reported.
    assert!(rules_in("certs/client.p12", &good[..200]).is_empty());
    let stalling = pfx(&[0x1e, 0x84, 0x80], &mut rng);
    assert!(rules_in("certs/client.p12", &stalling).is_empty());
    // A text file that happens to be named .p12 is not DER.
    assert!(rules_in("certs/readme.p12", b"not a keystore\n").is_empty());
}

#[test]
fn discord_bot_tokens() {
    let mut rng = Rng::new(152);
    // base64 of an 18-digit snowflake user id starts with `MT`…`OT`.
    let id = super::testgen::base64url(format!("7{}", rng.string(b"0123456789", 17)).as_bytes());
    let token = format!("{id}.{}.{}", rng.mixed(BASE64URL, 6), rng.mixed(ALNUM, 27));
    assert_eq!(
        rules_in("bot.py", format!("client.run('{token}')\n").as_bytes()),
        ["discord-bot-token"]
    );
    // Near miss: the HMAC part is a run, as in docs (`…XXXXXXXX`).
    let flat = format!("{id}.{}.{}", rng.mixed(BASE64URL, 6), "X".repeat(27));
    assert!(rules_in("bot.py", format!("client.run('{flat}')\n").as_bytes()).is_empty());
}

#[test]
fn generated_values_under_key_named_settings() {
    let mut rng = Rng::new(153);
    let value = rng.mixed(ALNUM, 30);
    for (path, line) in [
        ("config.py", format!("APP_KEY = \"{value}\"\n")),
        ("settings.json", format!("{{\"key\": \"{value}\"}}\n")),
        (
            "app.env.sh",
            format!("export HEX_KEY={}\n", rng.string(b"0123456789abcdef", 72)),
        ),
    ] {
        assert_eq!(
            rules_in(path, line.as_bytes()),
            ["key-named-value"],
            "{path}"
        );
    }
    // Near misses: a public or database key, a digest-length hex string, a word.
    for line in [
        format!("PUBLIC_KEY = \"{value}\"\n"),
        format!("primary_key = \"{value}\"\n"),
        format!("cache_key = \"{}\"\n", rng.string(b"0123456789abcdef", 64)),
        "key = \"translation.dialog.title\"\n".to_owned(),
        format!("APP_KEY = \"{}\"\n", "a1".repeat(12)),
    ] {
        assert!(rules_in("config.py", line.as_bytes()).is_empty(), "{line}");
    }
}

#[test]
fn facebook_app_access_tokens_near_the_word_facebook() {
    let mut rng = Rng::new(154);
    let token = format!("{}|{}", rng.string(b"0123456789", 16), rng.mixed(ALNUM, 27));
    assert_eq!(
        rules_in(
            "fb.cfg",
            format!("[facebook]\napp_token = {token}\n").as_bytes()
        ),
        ["facebook-app-access-token"]
    );
    // The same shape with no mention of Facebook nearby is a table row, not a token.
    assert!(rules_in("fb.cfg", format!("row = {token}\n").as_bytes()).is_empty());
    // Near miss: a flat secret half.
    let flat = format!("{}|{}", rng.string(b"0123456789", 16), "a".repeat(27));
    assert!(
        rules_in(
            "fb.cfg",
            format!("[facebook]\napp_token = {flat}\n").as_bytes()
        )
        .is_empty()
    );
}

#[test]
fn jwe_tokens_need_alg_and_enc_in_the_header() {
    let mut rng = Rng::new(155);
    let b64 = super::testgen::base64url;
    let parts = |header: &[u8], rng: &mut Rng| {
        format!(
            "{}.{}.{}.{}.{}",
            b64(header),
            rng.mixed(BASE64URL, 342),
            rng.mixed(BASE64URL, 16),
            rng.mixed(BASE64URL, 120),
            rng.mixed(BASE64URL, 22)
        )
    };
    let jwe = parts(br#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#, &mut rng);
    assert_eq!(
        rules_in("req.http", format!("Cookie: s={jwe}\n").as_bytes()),
        ["jwe"]
    );
    // Near miss: five dotted parts whose header is not a JOSE header.
    let other = parts(br#"{"kind":"note","v":1}"#, &mut rng);
    assert!(rules_in("req.http", format!("Cookie: s={other}\n").as_bytes()).is_empty());
}

#[test]
fn private_keys_encoded_in_base64_or_split_into_string_literals() {
    let mut rng = Rng::new(155);
    let body: Vec<String> = (0..6)
        .map(|_| rng.mixed(super::testgen::BASE64, 64))
        .collect();
    let pem = format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
        body.join("\n")
    );
    let encoded = base64(pem.as_bytes());
    for (path, text) in [
        ("deploy.sh", format!("PRIVATE_KEY_B64={encoded}\n")),
        (
            "secret.json",
            format!("{{\"privateKey\": \"{encoded}\"}}\n"),
        ),
    ] {
        assert_eq!(
            rules_in(path, text.as_bytes()),
            ["private-key-base64"],
            "{path}"
        );
    }
    // Near misses: a base64 certificate (public), and a base64 header with no key after it.
    let cert = base64(format!("-----BEGIN CERTIFICATE-----\n{}\n", body.join("\n")).as_bytes());
    assert!(rules_in("ca.sh", format!("CA_B64={cert}\n").as_bytes()).is_empty());
    let bare = base64(b"-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n");
    assert!(rules_in("k.sh", format!("K={bare}\n").as_bytes()).is_empty());

    // A key written as concatenated string literals in source code.
    let java: String =
        std::iter::once("String key = \"-----BEGIN RSA PRIVATE KEY-----\\n\" +\n".to_owned())
            .chain(body.iter().map(|line| format!("    \"{line}\\n\" +\n")))
            .chain(std::iter::once(
                "    \"-----END RSA PRIVATE KEY-----\";\n".to_owned(),
            ))
            .collect();
    assert_eq!(rules_in("KeyTest.java", java.as_bytes()), ["private-key"]);
}

#[test]
fn vault_unseal_keys_in_init_output_and_unseal_commands() {
    let mut rng = Rng::new(156);
    let share: Vec<u8> = (0..33)
        .map(|_| rng.string(b"0123456789abcdef", 2))
        .map(|h| u8::from_str_radix(&h, 16).expect("hex"))
        .collect();
    let key = base64(&share);
    for text in [
        format!(
            "Unseal Key 1: {key}\nUnseal Key 2: {}\n",
            base64(
                &share[1..]
                    .iter()
                    .chain(&share[..1])
                    .copied()
                    .collect::<Vec<_>>()
            )
        ),
        format!("kubectl exec vault-0 -- vault operator unseal {key}\n"),
        format!("bao operator unseal -address=https://bao:8200 {key}\n"),
    ] {
        let rules = rules_in("notes.md", text.as_bytes());
        assert!(
            !rules.is_empty() && rules.iter().all(|r| *r == "hashicorp-vault-unseal-key"),
            "{rules:?} {text}"
        );
    }
    // Near misses: a 32-byte value (not a share), and the command's placeholder.
    let short = base64(&share[..32]);
    assert!(
        rules_in(
            "notes.md",
            format!("vault operator unseal {short}\n").as_bytes()
        )
        .is_empty()
    );
    assert!(rules_in("notes.md", b"vault operator unseal $UNSEAL_KEY_1\n").is_empty());
}

#[test]
fn azure_devops_legacy_tokens_under_devops_names() {
    let mut rng = Rng::new(157);
    let pat = rng.string(b"abcdefghijklmnopqrstuvwxyz234567", 52);
    for text in [
        format!("ado_pat = \"{pat}\"\n"),
        format!("AZURE_DEVOPS_EXT_PAT={pat}\n"),
    ] {
        assert_eq!(
            rules_in("ci.py", text.as_bytes()),
            ["azure-devops-legacy-pat"],
            "{text}"
        );
    }
    // The same shape under an unrelated name is left to the generic rules, and a run is a placeholder.
    assert!(
        rules_in(
            "ci.py",
            format!("ado_pat = \"{}\"\n", "a".repeat(52)).as_bytes()
        )
        .is_empty()
    );
}

#[test]
fn passwords_given_to_credential_constructors() {
    let mut rng = Rng::new(158);
    let password = rng.mixed(ALNUM, 14);
    for text in [
        format!("var c = new NetworkCredential(\"deploy\", \"{password}\");\n"),
        format!("$c = New-Object System.Net.NetworkCredential(\"ci\", \"{password}\")\n"),
        format!(
            "new DirectoryEntry(\"LDAP://corp.local\",\n    \"svc@corp.local\",\n    \"{password}\");\n"
        ),
    ] {
        assert_eq!(
            rules_in("Deploy.cs", text.as_bytes()),
            ["code-credential-literal"],
            "{text}"
        );
    }
    // Variables and placeholders are not literals worth blocking.
    for text in [
        "new NetworkCredential(user, password);\n",
        "new NetworkCredential(\"user\", \"<password>\");\n",
        "new NetworkCredential(\"user\", \"changeme123\");\n",
    ] {
        assert!(rules_in("Deploy.cs", text.as_bytes()).is_empty(), "{text}");
    }
}

#[test]
fn uuid_credentials_must_be_random_uuids() {
    let mut rng = Rng::new(159);
    let mut uuid = |version: char, variant: char| {
        format!(
            "{}-{}-{version}{}-{variant}{}-{}",
            rng.string(super::testgen::HEX, 8),
            rng.string(super::testgen::HEX, 4),
            rng.string(super::testgen::HEX, 3),
            rng.string(super::testgen::HEX, 3),
            rng.string(super::testgen::HEX, 12)
        )
    };
    let v4 = uuid('4', 'a');
    let v1 = uuid('1', '9');
    // 128 random bits written as a UUID, with neither field set: kept.
    let raw = uuid('c', 'c');
    let npmrc = |token: &str| format!("//registry.npmjs.org/:_authToken={token}\n");
    assert_eq!(
        rules_in(".npmrc", npmrc(&v4).as_bytes()),
        ["npm-registry-credential"]
    );
    // A time-based UUID (timestamp and MAC address) is an id, not a generated token.
    assert!(rules_in(".npmrc", npmrc(&v1).as_bytes()).is_empty());
    assert_eq!(
        rules_in("app.sh", format!("SERVICE_API_TOKEN={v4}\n").as_bytes()),
        ["generic-secret"]
    );
    assert!(rules_in("app.sh", format!("SERVICE_API_TOKEN={v1}\n").as_bytes()).is_empty());
    assert_eq!(
        rules_in("app.sh", format!("SERVICE_API_TOKEN={raw}\n").as_bytes()),
        ["generic-secret"]
    );
    // Under an API, access or private key name a random UUID is the key (MongoDB Atlas).
    for key in ["ATLAS_PRIVATE_KEY", "opsgenie_api_key", "ServiceApiKey"] {
        let line = format!("{key}={v4}\n");
        assert_eq!(
            rules_in("app.sh", line.as_bytes()),
            ["generic-secret"],
            "{key}"
        );
    }
    // Ids stay ids: a client id, a request id.
    for key in ["CLIENT_ID", "request_id", "tenant"] {
        assert!(
            rules_in("app.sh", format!("{key}={v4}\n").as_bytes()).is_empty(),
            "{key}"
        );
    }
}

#[test]
fn openai_keys_with_a_broken_marker_are_near_misses() {
    let mut rng = Rng::new(160);
    let (a, b) = (rng.mixed(ALNUM, 20), rng.mixed(ALNUM, 20));
    let good = format!("OPENAI_API_KEY=sk-proj-{a}T3BlbkFJ{b}\n");
    assert_eq!(rules_in("app.sh", good.as_bytes()), ["openai-api-key"]);
    let edited = format!("OPENAI_API_KEY=sk-proj-{a}T4BlbkFJ{b}\n");
    assert!(!rules_in("app.sh", edited.as_bytes()).contains(&"openai-api-key"));
}

#[test]
fn secrets_given_as_command_line_options() {
    let mut rng = Rng::new(161);
    let password = format!("{}!{}", rng.mixed(ALNUM, 6), rng.string(b"0123456789", 2));
    let token = rng.mixed(ALNUM, 32);
    for (path, text) in [
        (
            "deploy.sh",
            format!("app-cli login --user ci --password={password}\n"),
        ),
        (
            "deploy.sh",
            format!("app-cli login --password \"{password}\"\n"),
        ),
        (
            "vsphere.ps1",
            format!("Connect-VIServer -Server 10.0.0.5 -User admin -Password {password}\n"),
        ),
        (
            ".github/workflows/ci.yml",
            format!("      - run: tool publish --api-key {token}\n"),
        ),
        (
            "backup.sh",
            format!("mysqldump -h db -uroot -p{password} shop > shop.sql\n"),
        ),
        (
            "deploy.sh",
            format!("sshpass -p '{password}' ssh ci@build-01 make\n"),
        ),
        (
            "deploy.sh",
            format!("docker login -u ci -p {password} registry.example.com\n"),
        ),
        (
            "k8s.sh",
            format!("kubectl create secret generic db --from-literal=DB_PASSWORD={password}\n"),
        ),
    ] {
        let rules = rules_in(path, text.as_bytes());
        assert!(
            rules == ["cli-password-argument"] || rules == ["password-p-option"],
            "{text}: {rules:?}"
        );
    }
    // Variables, metavariables, prompts, placeholders, files and other options.
    for text in [
        "docker login --password-stdin < token.txt\n",
        "tool login --password \"$DEPLOY_PASSWORD\"\n",
        "tool login --password=${{ secrets.DEPLOY_PASSWORD }}\n",
        "tool publish --api-key API_KEY\n",
        "tool publish --api-key <your-api-key>\n",
        "tool login --password prompt\n",
        "tool login --token-file /run/secrets/token\n",
        "tool login --token ./token.txt\n",
        "tool login --password changeme123\n",
        "mysql -u root -p shop < dump.sql\n",
        "mysql -uroot -p$MYSQL_ROOT_PASSWORD\n",
        "ssh -p 2222 host\n",
        "mysql -p shop_production\n",
        "docker run -p 8080:80 nginx\n",
        "docker login -u ci -p \"$REGISTRY_TOKEN\" registry.example.com\n",
        "sshpass -p \"$SSHPASS\" ssh ci@build-01\n",
        "kubectl create secret generic db --from-literal=DB_PASSWORD=\"$DB_PASSWORD\"\n",
        "kubectl create secret generic db --from-literal=DB_HOST=db.internal01\n",
    ] {
        assert!(rules_in("deploy.sh", text.as_bytes()).is_empty(), "{text}");
    }
}

#[test]
fn short_passwords_a_person_chose() {
    let mut rng = Rng::new(162);
    let word = |rng: &mut Rng| {
        let mut w = rng.string(b"abcdefghijklmnopqrstuvwxyz", 6);
        w[..1].make_ascii_uppercase();
        w
    };
    for (path, line) in [
        ("config.py", format!("password = '{}1!'\n", word(&mut rng))),
        ("app.yml", format!("DB_PASS: {}2024\n", word(&mut rng))),
        ("settings.ini", format!("passwd = {}#42\n", word(&mut rng))),
        (
            "deploy.js",
            format!("const dbPassword = \"{}9$x\";\n", word(&mut rng)),
        ),
    ] {
        assert_eq!(
            rules_in(path, line.as_bytes()),
            ["generic-secret"],
            "{line}"
        );
    }
    // Not passwords a person typed: too short, two classes, identifiers, references,
    // placeholders, the next option of a list, percent-encoded data, unquoted code, and
    // short values under token or key names (whose real values are long).
    for (path, line) in [
        ("config.py", "password = 'Ab1!xyz'\n"),
        ("config.py", "password = 'summer2024'\n"),
        ("config.py", "password = 'db.Pass1'\n"),
        ("config.py", "password = 'DB_PASS_2'\n"),
        ("config.py", "password = '${DB_PW}'\n"),
        ("config.py", "password = 'Changeme1!'\n"),
        (
            "complete.sh",
            "opts='username= password= scmVersion= debug='\n",
        ),
        ("urls.json", "{\"password\": \"pass%5B%7F\"}\n"),
        ("main.go", "password := getPass1()\n"),
        ("main.go", "password = Config1.Pass\n"),
        ("app.yml", "api_token: Summer2024\n"),
        ("app.yml", "password_min_length: Ab3!defg\n"),
    ] {
        assert!(rules_in(path, line.as_bytes()).is_empty(), "{line}");
    }
}
