//! Heuristics (URL passwords, `key = value` assignments, XML elements,
//! Dockerfile `ENV`) and the known-value rule, which stays last.

use crate::scan::validate;

use super::{BASE, Class, KNOWN_VALUE_ID, Matcher, Redact, Rule, Window};

pub(super) const RULES: &[Rule] = &[
    // ---- heuristics ---------------------------------------------------------
    Rule {
        id: "url-password",
        description: "Password embedded in a URL (scheme://user:password@host)",
        class: Class::Token,
        keywords: &["://"],
        pattern: r#"(?-u)\b(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{1,30})://(?P<k>[^\s:/?#@"'`<>\[\]{}()\\]{0,64}):(?P<s>[^\s:/?#@"'`<>\[\]{}()\\]{1,128})@(?P<x>[A-Za-z0-9_.-]+)"#,
        validate: Some(validate::url_password),
        redact: Redact::UrlScheme,
        ..BASE
    },
    Rule {
        id: "generic-secret",
        description: "High-entropy value assigned to a password, secret, token, API key, auth or credential key",
        class: Class::Heuristic,
        keywords: &[
            "pass",
            "secret",
            "token",
            "auth",
            "credential",
            "api_key",
            "api-key",
            "api.key",
            "apikey",
            "access_key",
            "access-key",
            "access.key",
            "accesskey",
            "private_key",
            "private-key",
            "private.key",
            "privatekey",
            "signing_key",
            "signing-key",
            "signing.key",
            "signingkey",
            "encryption_key",
            "encryption-key",
            "encryption.key",
            "encryptionkey",
            "master_key",
            "master-key",
            "master.key",
            "masterkey",
        ],
        keywords_case_sensitive: false,
        pattern: r#"(?-u)(?P<k>[A-Za-z0-9_.$-]*(?i:pass|secret|token|api[_.-]?key|access[_.-]?key|auth|credential|private[_.-]?key|signing[_.-]?key|encryption[_.-]?key|master[_.-]?key)[A-Za-z0-9_.-]*)(?:["'\]]{0,2}[ \t]*(?::?[ \t]*(?:string|String|str)[ \t]*)?(?::::=|::=|\?\?=|\|\|=|:=|=>|[?.+]=|=|:)[ \t]*(?P<q>["'`])?|["'][ \t]*,[ \t]*(?P<c>["'`]))(?:(?i:bearer|basic|token)[ \t]+)?(?P<s>[^\s"'`;,(){}\[\]<>=:\\][^\s"'`;,(){}\[\]<>\\]{7,})"#,
        matcher: Matcher::Assignment,
        validate: Some(validate::generic_assignment),
        redact: Redact::KeyName,
        ..BASE
    },
    Rule {
        id: "key-named-value",
        description: "Generated-looking value assigned to a key named …key (APP_KEY, HEX_KEY, \"key\":)",
        class: Class::Heuristic,
        keywords: &["key"],
        keywords_case_sensitive: false,
        pattern: r#"(?-u)(?P<k>[A-Za-z0-9_.$-]*(?i:key))(?:["'\]]{0,2}[ \t]*(?::::=|::=|\?\?=|\|\|=|:=|=>|[?.+]=|=|:)[ \t]*(?P<q>["'`])?|["'][ \t]*,[ \t]*(?P<c>["'`]))(?P<s>[^\s"'`;,(){}\[\]<>=:\\][^\s"'`;,(){}\[\]<>\\]{14,})"#,
        matcher: Matcher::Assignment,
        validate: Some(validate::key_named_value),
        redact: Redact::KeyName,
        ..BASE
    },
    Rule {
        id: "xml-secret",
        description: "High-entropy value in an XML element named like a secret (<password>, <apiKey>, <clientSecret>, Maven settings.xml)",
        class: Class::Heuristic,
        keywords: &[
            "password>",
            "passwd>",
            "pass>",
            "secret>",
            "token>",
            "apikey>",
            "api_key>",
            "api-key>",
            "accesskey>",
            "access_key>",
            "privatekey>",
            "private_key>",
            "auth>",
        ],
        keywords_case_sensitive: false,
        pattern: r"(?-u)<(?P<k>[A-Za-z0-9_.:-]*(?i:pass(?:word|wd)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|auth)[A-Za-z0-9_.:-]*)(?:[ \t][^<>]*)?>\s*(?P<s>[^<>\s]{8,256})\s*</",
        window: Window::Lines {
            before: 2,
            after: 2,
        },
        validate: Some(validate::xml_value),
        redact: Redact::KeyName,
        ..BASE
    },
    Rule {
        id: "config-key-value",
        description: "High-entropy value of a secret-named setting in key/value attributes (.NET appSettings, NuGet, Ant)",
        class: Class::Heuristic,
        keywords: &["key=\"", "key='"],
        keywords_case_sensitive: false,
        pattern: r#"(?-u)\b(?i:key)\s*=\s*["'](?P<k>[^"'<>]{1,80})["']\s+(?i:value)\s*=\s*["'](?P<s>[^"'<>\s]{8,256})["']"#,
        validate: Some(validate::xml_value),
        redact: Redact::KeyName,
        ..BASE
    },
    Rule {
        id: "dockerfile-env-secret",
        description: "High-entropy value of a secret-named variable in a Dockerfile's legacy `ENV NAME value` form",
        class: Class::Heuristic,
        keywords: &["ENV "],
        pattern: r#"(?-u)(?m:^)[ \t]*ENV[ \t]+(?P<k>[A-Za-z_][A-Za-z0-9_]*)[ \t]+(?P<q>["'])?(?P<s>[^\s"'=$][^\s"']{7,255})"#,
        validate: Some(validate::generic_assignment),
        redact: Redact::KeyName,
        ..BASE
    },
    // ---- caller-supplied values ------------------------------------------------
    Rule {
        id: KNOWN_VALUE_ID,
        description: "Exact copy of a secret value stored in the vault",
        class: Class::KnownValue,
        validate: None,
        redact: Redact::KnownLabel,
        ..BASE
    },
];
