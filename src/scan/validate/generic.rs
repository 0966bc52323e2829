//! Validators of the heuristic rules: passwords in URLs and HTTP basic auth,
//! secret-looking key names, generic `key = value` assignments, other tools'
//! ciphertext, XML and Kubernetes values. Same contract as the parent module:
//! pure functions that never copy or format a candidate.

use super::*;
use crate::scan::rules::Candidate;

/// Passwords that only ever appear in documentation and local-development
/// defaults, compared case-insensitively with the whole password.
pub(super) const DEFAULT_URL_PASSWORDS: &[&[u8]] = &[
    b"pass",
    b"passwd",
    b"pwd",
    b"pw",
    b"secret",
    b"admin",
    b"root",
    b"postgres",
    b"mysql",
    b"guest",
    b"user",
    b"username",
    b"dev",
    b"docker",
    b"none",
    b"null",
    b"token",
    b"apikey",
    b"api_key",
    b"key",
    b"passphrase",
];

/// A URL password is reported unless it is a placeholder or default, a
/// variable reference, equal to the user name, or the host is a documentation
/// host (`example.com`, `*.example`, `*.test`, `*.invalid`, `host`).
pub(crate) fn url_password(c: &Candidate<'_>) -> bool {
    let password = c.secret;
    if password.len() < 4
        || is_placeholder_value(password)
        || DEFAULT_URL_PASSWORDS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(password))
        || c.key.is_some_and(|user| user.eq_ignore_ascii_case(password))
        || password.iter().all(|&b| b == password[0])
        // `USER:TOKEN`, `user:PASSWORD`: an environment-variable-style name
        // standing in for the value.
        || password
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit())
            && password.iter().any(u8::is_ascii_uppercase)
            && is_wordish(password)
    {
        return false;
    }
    let host = c.extra.unwrap_or_default().to_ascii_lowercase();
    let doc_host = host == b"host"
        || host == b"hostname"
        || host.starts_with(b"example.")
        || [
            &b".example"[..],
            b".test",
            b".invalid",
            b".example.com",
            b".example.org",
            b".example.net",
        ]
        .iter()
        .any(|suffix| host.ends_with(suffix))
        || contains_ci(&host, b"your");
    !doc_host
}

/// Last words of a key name that make its value metadata about a secret rather
/// than the secret (`token_url`, `password_hash`, `secret_name`, `auth_method`).
const NON_SECRET_KEY_SUFFIXES: &[&str] = &[
    "url",
    "uri",
    "urls",
    "endpoint",
    "path",
    "file",
    "filename",
    "dir",
    "directory",
    "name",
    "names",
    "type",
    "types",
    "length",
    "len",
    "size",
    "count",
    "expiry",
    "expires",
    "expiration",
    "at",
    "ttl",
    "timeout",
    "header",
    "headers",
    "field",
    "fields",
    "param",
    "params",
    "env",
    "var",
    "variable",
    "prefix",
    "suffix",
    "format",
    "mode",
    "method",
    "methods",
    "id",
    "ids",
    "hash",
    "hashed",
    "sha",
    "digest",
    "checksum",
    "version",
    "algorithm",
    "alg",
    "kind",
    "scope",
    "scopes",
    "audience",
    "issuer",
    "host",
    "port",
    "user",
    "username",
    "email",
    "label",
    "description",
    "hint",
    "policy",
    "regex",
    "pattern",
    "enabled",
    "required",
    "provider",
    "strategy",
    "store",
    "storage",
    "class",
    "command",
    "cmd",
    "service",
    "server",
    "level",
    "limit",
    "lifetime",
    "duration",
    "interval",
    "max",
    "min",
    "ref",
    "reference",
    "rotation",
    "generator",
    "validator",
    "manager",
    "handler",
    "factory",
    "cache",
    "config",
    "configuration",
    "options",
    "settings",
    "status",
    "state",
    "source",
    "location",
    "prompt",
    "message",
    "msg",
    "text",
    "title",
    "error",
    "errors",
    "placeholder",
    "key_id",
    "keyid",
    "sid",
    "arn",
    "region",
    "bucket",
    "schema",
    "template",
    "example",
    "policy",
    "rule",
    "rules",
    "flow",
    "grant",
    "grants",
    "callback",
    "redirect",
];

/// Words anywhere in a key name that make its value a non-secret token.
const NON_SECRET_KEY_WORDS: &[&str] = &[
    "next",
    "continuation",
    "page",
    "paging",
    "pagination",
    "cursor",
    "idempotency",
    "csrf",
    "xsrf",
    "nonce",
    "marker",
    "change",
    "public",
    "publishable",
];

/// Splits an identifier into lowercase words at punctuation and camelCase humps.
fn key_words(key: &[u8]) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for &b in key {
        if !b.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if b.is_ascii_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = b.is_ascii_lowercase() || b.is_ascii_digit();
        current.push(char::from(b.to_ascii_lowercase()));
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Whether a key name (already known to contain a keyword somewhere) names a
/// secret: one of its words is a secret word, and its last word does not turn
/// it into metadata.
#[must_use]
pub fn is_secret_key_name(key: &[u8]) -> bool {
    let words = key_words(key);
    let Some(last) = words.last() else {
        return false;
    };
    if NON_SECRET_KEY_SUFFIXES.contains(&last.as_str()) {
        return false;
    }
    // Pagination, idempotency and anti-forgery tokens are high-entropy by
    // design and harmless: `NextToken`, `ContinuationToken`, `csrf_token`.
    if words
        .iter()
        .any(|w| NON_SECRET_KEY_WORDS.contains(&w.as_str()))
    {
        return false;
    }
    let pair = |a: &str, b: &str| words.windows(2).any(|w| w[0] == a && w[1] == b);
    words.iter().any(|w| {
        matches!(
            w.as_str(),
            "pass" | "passwd" | "password" | "passwords" | "passphrase" | "passcode" | "passkey"
        ) || w.ends_with("password")
            || w.ends_with("passwd")
            || w.contains("secret")
            || (w.contains("token") && !w.contains("tokeniz"))
            || w.contains("apikey")
            || w.contains("accesskey")
            || w.contains("privatekey")
            || w.contains("credential")
            || (w.contains("auth") && (!w.contains("author") || w.contains("authoriz")))
    }) || pair("api", "key")
        || pair("access", "key")
        || pair("private", "key")
        || pair("signing", "key")
        || pair("encryption", "key")
        || pair("master", "key")
        || words
            .iter()
            .any(|w| matches!(w.as_str(), "signingkey" | "encryptionkey" | "masterkey"))
}

/// Whether a key names the credential itself (a token, secret, password or API key)
/// rather than something about one; used where a value shape is ambiguous (UUIDs).
fn names_a_credential(key: &[u8]) -> bool {
    // API keys issued as random UUIDs are common (MongoDB Atlas' private keys, Opsgenie,
    // Postmark): a version 4 UUID under an API, access or private key name is one.
    let words = key_words(key);
    let pair = |a: &str, b: &str| words.windows(2).any(|w| w[0] == a && w[1] == b);
    [
        &b"token"[..],
        b"secret",
        b"passw",
        b"apikey",
        b"accesskey",
        b"privatekey",
    ]
    .iter()
    .any(|w| contains_ci(key, w))
        || pair("api", "key")
        || pair("access", "key")
        || pair("private", "key")
}

/// Minimum length of a generic secret value.
pub const GENERIC_MIN_LEN: usize = 12;

/// Maximum length of a generic secret value: longer runs are data blobs
/// (certificates, images, JWTs, which have rules of their own).
pub const GENERIC_MAX_LEN: usize = 256;

/// Minimum Shannon entropy (bits per character) of a generic secret value.
///
/// Tuned on the corpus: random 12-character alphanumerics score about 3.3–3.6
/// and longer keys 4+, while the values that survive the word and placeholder
/// filters but are not secrets (version strings, host:port pairs, repeated
/// digits) sit below 3.0.
pub const GENERIC_MIN_ENTROPY: f64 = 3.0;

/// The generic `key = value` rule: a secret-sounding key whose value is long,
/// random-looking, and not a placeholder, reference, word, UUID, digest, URL,
/// path or function call.
pub(crate) fn generic_assignment(c: &Candidate<'_>) -> bool {
    let value = c.secret;
    if value.len() < GENERIC_MIN_LEN {
        return short_password(c);
    }
    // Cheapest and most frequent rejections first: this runs on every
    // assignment-shaped line of every file.
    if value.len() > GENERIC_MAX_LEN
        || c.key.is_some_and(|k| k.len() > 80)
        || matches!(c.next_byte, Some(b'(' | b'[' | b'<'))
        || (c.source_code && !c.quoted)
        // `AWS::ApiGateway::ApiKey: …`, `Foo::Token = …`: a qualified type
        // name, not a variable.
        || c.before_key == Some(b':')
        || is_wordish(value)
        || value.iter().all(u8::is_ascii_digit)
        || value.windows(2).any(|w| w == b"::")
        || contains_ci(value, b"://")
        || value[0] == b'/'
        || value.starts_with(b"./")
        || value.starts_with(b"~/")
        // A UUID identifies, unless the key says it is the credential itself (Heroku,
        // Snyk and legacy npm tokens are UUIDs: `HEROKU_API_TOKEN = <uuid>`).
        || (is_uuid(value) && !c.key.is_some_and(names_a_credential))
        || is_non_random_uuid(value)
        || !c.key.is_some_and(is_secret_key_name)
        || is_placeholder_value(value)
        || is_ciphertext_value(value)
    {
        return false;
    }
    // A bare hex digest under a key that names a hash is a checksum; under a
    // secret key (e.g. a 40-hex legacy token) it is a secret, so only the key
    // suffix list above decides that case.
    if is_hex_digest(value) && c.key.is_some_and(|k| contains_ci(k, b"sha")) {
        return false;
    }
    shannon_entropy(value) >= GENERIC_MIN_ENTROPY
}

/// Shortest password the generic rule reports under a password key.
pub const SHORT_PASSWORD_MIN_LEN: usize = 8;

/// A value shorter than [`GENERIC_MIN_LEN`] is reported only as a password a person chose
/// (eight to eleven characters: a word, digits and a symbol). It must sit under a key that
/// names a password (not a token or a key, whose real values are long), be quoted or in a
/// configuration file, mix at least three of lower case, upper case, digits and symbols,
/// and not be a placeholder, a reference or an identifier. Such values read as words with
/// digits, so the word test of longer values does not apply; the three classes are what
/// tell them from words.
fn short_password(c: &Candidate<'_>) -> bool {
    let value = c.secret;
    if value.len() < SHORT_PASSWORD_MIN_LEN
        || (c.source_code && !c.quoted)
        || c.before_key == Some(b':')
        || matches!(c.next_byte, Some(b'(' | b'[' | b'<'))
        || !c.key.is_some_and(names_a_password)
        || is_placeholder_value(value)
        || is_ciphertext_value(value)
        || contains_ci(value, b"://")
        || matches!(value[0], b'/' | b'.' | b'~' | b'#')
        // The next option of a list (`password= scmVersion=`), or percent-encoded test
        // data (`pass%5B%7F`): not something a person typed as a password.
        || matches!(value[value.len() - 1], b'=' | b':')
        || value
            .windows(3)
            .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
    {
        return false;
    }
    let lower = value.iter().any(u8::is_ascii_lowercase);
    let upper = value.iter().any(u8::is_ascii_uppercase);
    let digit = value.iter().any(u8::is_ascii_digit);
    let symbol = value
        .iter()
        .any(|b| b.is_ascii_punctuation() && !matches!(b, b'_' | b'-' | b'.'));
    // `user.password1`, `DB_PASSWORD_2`: an identifier, not a value someone typed.
    let identifier = value
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && (value.contains(&b'.') || value.contains(&b'_'));
    let classes = [lower, upper, digit, symbol].iter().filter(|&&x| x).count();
    classes >= 3 && (digit || symbol) && !identifier
}

/// Whether a key names a password itself (`password`, `DB_PASS`, `passwd`, `pwd`,
/// `passphrase`), not a token, a key or a setting about passwords (`password_length`).
fn names_a_password(key: &[u8]) -> bool {
    let words = key_words(key);
    let Some(last) = words.last() else {
        return false;
    };
    is_secret_key_name(key)
        && matches!(
            last.as_str(),
            "pass" | "passwd" | "password" | "pwd" | "passphrase" | "passcode"
        )
}

/// Prefixes of other tools' ciphertext: a value that starts with one is encrypted, whatever
/// key it sits under (dotenvx `encrypted:`, sops `ENC[`, ansible-vault, age armor).
const CIPHERTEXT_PREFIXES: &[&[u8]] = &[
    b"encrypted:",
    b"ENC[AES256_GCM,",
    b"$ANSIBLE_VAULT;",
    b"-----BEGIN AGE ENCRYPTED FILE-----",
];

/// Whether an assigned value is another tool's ciphertext. Flagging it would teach people
/// to ignore the scanner exactly where they did the right thing.
#[must_use]
pub fn is_ciphertext_value(value: &[u8]) -> bool {
    CIPHERTEXT_PREFIXES.iter().any(|p| value.starts_with(p))
}

/// Whether a dotenv-style file holds only ciphertext: every assignment's value is
/// encrypted (dotenvx, sops) or is the encryption's public metadata (`DOTENV_PUBLIC_KEY*`,
/// `sops_*`), and there is at least one encrypted value. Such a file is what committing
/// secrets safely looks like, so the `.env` path rule must not block it.
#[must_use]
pub fn is_encrypted_dotenv(content: &[u8]) -> bool {
    let mut encrypted = 0usize;
    for line in content.split(|&b| b == b'\n') {
        let line = line.trim_ascii();
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let line = line
            .strip_prefix(b"export ")
            .unwrap_or(line)
            .trim_ascii_start();
        let Some(eq) = line.iter().position(|&b| b == b'=') else {
            return false;
        };
        let key = line[..eq].trim_ascii();
        let mut value = line[eq + 1..].trim_ascii();
        if let [q @ (b'"' | b'\''), rest @ ..] = value {
            value = rest.strip_suffix(&[*q]).unwrap_or(rest);
        }
        if is_ciphertext_value(value) {
            encrypted += 1;
        } else if !(key.starts_with(b"DOTENV_PUBLIC_KEY") || key.starts_with(b"sops_")) {
            return false;
        }
    }
    encrypted > 0
}

/// Words that, before a final `key`, name something that is not a credential:
/// database and cache keys, public halves, lookup and translation keys.
const NON_SECRET_KEY_QUALIFIERS: &[&str] = &[
    "public",
    "pub",
    "primary",
    "foreign",
    "sort",
    "partition",
    "cache",
    "idempotency",
    "object",
    "lookup",
    "map",
    "unique",
    "index",
    "translation",
    "i18n",
    "row",
    "item",
    "dedup",
    "routing",
    "shard",
    "hash",
    "group",
    "message",
    "storage",
    "s3",
    "query",
    "cursor",
    "public",
    "site",
    "host",
    "ssh",
    "gpg",
    "pgp",
    "recaptcha",
];

/// A random-looking value under a key whose last word is `key` (`APP_KEY`,
/// `"key":`, `HEX_KEY`), as ripsecrets reports: the generic rule's checks on
/// the value, and a value that reads as generated — letters and digits mixed
/// at high entropy, or a long hex string that is no standard digest length.
pub(crate) fn key_named_value(c: &Candidate<'_>) -> bool {
    let value = c.secret;
    let Some(key) = c.key else {
        return false;
    };
    let words = key_words(key);
    let named_key = words.last().is_some_and(|w| w == "key")
        && !words
            .iter()
            .rev()
            .nth(1)
            .is_some_and(|w| NON_SECRET_KEY_QUALIFIERS.contains(&w.as_str()));
    if !named_key
        || value.len() < 15
        || value.len() > GENERIC_MAX_LEN
        || matches!(c.next_byte, Some(b'(' | b'[' | b'<'))
        || (c.source_code && !c.quoted)
        || c.before_key == Some(b':')
        || !value
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"+/=_-".contains(&b))
        || is_wordish(value)
        || is_uuid(value)
        || is_placeholder_value(value)
        || is_ciphertext_value(value)
        // An age recipient is the public half (`# public key: age1…` in an identity file).
        || value.starts_with(b"age1")
    {
        return false;
    }
    let hex = value.iter().all(u8::is_ascii_hexdigit);
    if hex {
        // 32, 40, 64 and 128 hex digits are MD5, SHA-1 (commits), SHA-256 and SHA-512.
        return !matches!(value.len(), 32 | 40 | 64 | 128)
            && value.len() >= 48
            && shannon_entropy(value) >= 3.5;
    }
    value.iter().any(u8::is_ascii_digit)
        && value.iter().any(u8::is_ascii_alphabetic)
        && shannon_entropy(value) >= 3.5
}
