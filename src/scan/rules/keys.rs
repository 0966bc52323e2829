//! File-level rules (decided by the path) and private key material: the rules
//! that run everywhere, templates included.
use crate::scan::{path, validate};

use super::{BASE, Class, Redact, Rule, Window};

pub(super) const RULES: &[Rule] = &[
    // ---- file-level rules -------------------------------------------------
    Rule {
        id: "decrypted-leftover",
        description: "Decrypted leftover of a vault file (*.dec, *.decrypted, *.age.txt, secrets/*.toml, secrets/*.env)",
        class: Class::Path,
        path: Some(path::is_decrypted_leftover),
        validate: None,
        redact: Redact::Label("decrypted file"),
        ..BASE
    },
    Rule {
        id: "dotenv-file",
        description: "A .env file (.env, .env.*, *.env) other than a template such as .env.example",
        class: Class::Path,
        path: Some(path::is_dotenv_file),
        validate: None,
        redact: Redact::Label(".env file"),
        ..BASE
    },
    Rule {
        id: "secrets-plaintext",
        description: "A file under secrets/ that is not age armor (only *.age ciphertext and *.recipients belong there)",
        class: Class::Path,
        path: Some(path::is_in_secrets_dir),
        validate: None,
        redact: Redact::Label("plaintext file in secrets/"),
        ..BASE
    },
    Rule {
        id: "pkcs12-file",
        description: "PKCS#12 keystore (*.p12, *.pfx) holding a private key and certificate",
        class: Class::Path,
        path: Some(path::is_pkcs12_file),
        validate: None,
        redact: Redact::Label("PKCS#12 keystore"),
        ..BASE
    },
    // ---- private keys -----------------------------------------------------
    Rule {
        id: "age-secret-key",
        description: "age X25519 secret key (AGE-SECRET-KEY-1…)",
        class: Class::PrivateKey,
        keywords: &["AGE-SECRET-KEY-1"],
        pattern: r"(?-u)\bAGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}\b",
        validate: None,
        ..BASE
    },
    Rule {
        id: "private-key",
        description: "PEM private key (RSA, EC, DSA, PKCS#8, encrypted or OpenSSH)",
        class: Class::PrivateKey,
        keywords: &["PRIVATE KEY-----"],
        // Between the header and the body: line breaks (real or escaped), headers such as
        // `Proc-Type:`, and the quotes and `+` of a key written as concatenated string
        // literals in source code (`"-----BEGIN …-----" +\n"MIIE…" +`).
        pattern: r#"(?-u)-----BEGIN (?:[A-Z0-9]+ )?PRIVATE KEY-----(?:\\[rn]|\s|["'+]|[A-Za-z][A-Za-z-]*:[^\r\n\\]*)*[A-Za-z0-9+/]{40,}"#,
        window: Window::Lines {
            before: 0,
            after: 4,
        },
        validate: None,
        redact: Redact::Label("private key block"),
        ..BASE
    },
    Rule {
        id: "pgp-private-key",
        description: "PGP private key block",
        class: Class::PrivateKey,
        keywords: &["PGP PRIVATE KEY BLOCK-----"],
        pattern: r"(?-u)-----BEGIN PGP PRIVATE KEY BLOCK-----(?:\\[rn]|\s|[A-Za-z][A-Za-z-]*:[^\r\n\\]*)*[A-Za-z0-9+/]{40,}",
        window: Window::Lines {
            before: 0,
            after: 6,
        },
        validate: None,
        redact: Redact::Label("PGP private key block"),
        ..BASE
    },
    Rule {
        id: "putty-private-key",
        description: "PuTTY private key file (PuTTY-User-Key-File-N)",
        class: Class::PrivateKey,
        keywords: &["PuTTY-User-Key-File-"],
        pattern: r"(?-u)PuTTY-User-Key-File-[0-9]+: *[a-z0-9][a-z0-9@.-]+",
        validate: None,
        redact: Redact::Label("PuTTY private key"),
        ..BASE
    },
    Rule {
        id: "private-key-base64",
        description: "Base64-encoded PEM private key (LS0tLS1CRUdJTi…: a key file put in an environment variable, a JSON setting or a Kubernetes Secret)",
        class: Class::PrivateKey,
        // `-----BEGIN` in base64, as it starts a value (offset 0 of the encoding).
        keywords: &["LS0tLS1CRUdJTi"],
        pattern: r"(?-u)\b(?P<s>LS0tLS1CRUdJTi[A-Za-z0-9+/]{60,}={0,2})",
        validate: Some(validate::base64_private_key),
        redact: Redact::Label("base64-encoded private key"),
        ..BASE
    },
];
