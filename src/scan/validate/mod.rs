//! Second-stage checks that confirm or reject a regex candidate: checksums
//! (CRC32 of GitHub and npm tokens), Shannon entropy, placeholder and
//! "is this just a word" tests, JWT structure, and the key/value heuristics of
//! the generic and URL rules.
//!
//! Everything here is a pure function over byte slices. This module must not
//! compile rule regexes, touch the filesystem, or format any part of a
//! candidate into a string or error: candidates are secrets until proven
//! otherwise. Allocation is limited to small scratch buffers (a decoded JWT
//! segment, the words of a key name) that never leave a function.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::bytes::Regex;

use super::rules::Candidate;

/// The base62 alphabet GitHub and npm use for token checksums.
pub const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// CRC-32 (IEEE 802.3, reflected, polynomial `0xEDB88320`) lookup table, built at compile time.
const CRC32_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        // `i` < 256, so the cast is lossless.
        #[allow(clippy::cast_possible_truncation)]
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// CRC-32 as computed by zlib and Python's `binascii.crc32`.
#[must_use]
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc = CRC32_TABLE[((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

/// Encodes `value` in base62, left-padded with `'0'` to six digits (the width
/// of a token checksum; `u32::MAX` needs exactly six).
#[must_use]
pub fn base62_checksum(value: u32) -> [u8; 6] {
    let mut out = [b'0'; 6];
    let mut rest = value;
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(rest % 62) as usize];
        rest /= 62;
    }
    out
}

/// Whether a GitHub-format token body (`<30 random base62><6 checksum>`, the
/// part after `ghp_` or `npm_`) carries a valid CRC32 checksum.
///
/// Both GitHub's and npm's token formats end in the base62 CRC32 of the random
/// part; checking it turns "36 alphanumerics after ghp_" (which test fixtures
/// and docs are full of) into a near-certain real token.
#[must_use]
pub fn has_token_checksum(body: &[u8]) -> bool {
    if body.len() != 36 || !body.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (random, checksum) = body.split_at(30);
    base62_checksum(crc32(random)) == checksum
}

/// Shannon entropy in bits per byte.
#[must_use]
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    // Lengths here are at most a few kilobytes, so the f64 conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// Case-insensitive substring search over ASCII bytes.
fn contains_ci(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Longest run of one repeated byte.
fn longest_run(bytes: &[u8]) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut prev = None;
    for &b in bytes {
        if Some(b) == prev {
            run += 1;
        } else {
            run = 1;
            prev = Some(b);
        }
        best = best.max(run);
    }
    best
}

/// Longest run of consecutive ascending characters such as `abcdef` or `123456`.
fn longest_sequence(bytes: &[u8]) -> usize {
    let mut best = usize::from(!bytes.is_empty());
    let mut run = 1;
    for pair in bytes.windows(2) {
        if pair[0].is_ascii_alphanumeric() && pair[1] == pair[0].wrapping_add(1) {
            run += 1;
            best = best.max(run);
        } else {
            run = 1;
        }
    }
    best
}

/// Markers of documentation or template values inside a token-shaped match.
/// Kept short on purpose: a real random token of 20+ characters essentially
/// never contains these, while docs (`AKIAIOSFODNN7EXAMPLE`,
/// `xoxb-your-token`) almost always do.
const TOKEN_PLACEHOLDER_MARKERS: &[&[u8]] = &[
    b"example",
    b"xxxx",
    b"your",
    b"placeholder",
    b"dummy",
    b"redacted",
    b"replace",
    b"insert",
    b"fake",
    b"sample",
];

/// [`TOKEN_PLACEHOLDER_MARKERS`] in lower, upper and title case, matched
/// case-sensitively: random mixed case spells `FaKe` or `yOUr` now and then,
/// documentation does not.
static TOKEN_PLACEHOLDERS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let forms = TOKEN_PLACEHOLDER_MARKERS.iter().flat_map(|marker| {
        let mut title = marker.to_vec();
        title[0] = title[0].to_ascii_uppercase();
        [marker.to_vec(), marker.to_ascii_uppercase(), title]
    });
    AhoCorasick::new(forms).expect("constant placeholder markers build")
});

/// Whether a token-shaped match is a documentation placeholder rather than a
/// live credential: an obvious marker word, a long run of one character
/// (`XXXXXXXX`, `00000000`), or a long counting sequence (`123456789`).
#[must_use]
pub fn is_placeholder_token(token: &[u8]) -> bool {
    TOKEN_PLACEHOLDERS.is_match(token) || longest_run(token) >= 6 || longest_sequence(token) >= 8
}

/// Words that mark an assigned value as a template, example or test value.
/// Broader than [`TOKEN_PLACEHOLDER_MARKERS`] because generic values have no
/// structure to fall back on; matched case-insensitively as substrings.
const VALUE_PLACEHOLDER_MARKERS: &[&[u8]] = &[
    b"changeme",
    b"change_me",
    b"change-me",
    b"changethis",
    b"replace",
    b"your_",
    b"your-",
    b"yourapi",
    b"yourkey",
    b"yoursecret",
    b"yourtoken",
    b"yourpass",
    b"example",
    b"dummy",
    b"placeholder",
    b"sample",
    b"fake",
    b"redacted",
    b"insert",
    b"xxx",
    b"***",
    b"...",
    b"todo",
    b"fixme",
    b"foobar",
    b"lorem",
    b"test",
    b"secret",
    b"password",
    b"passw0rd",
    b"p@ss",
    b"demo",
    b"mock",
    b"invalid",
    b"notreal",
    b"not-real",
    b"not_real",
    b"qwerty",
    b"letmein",
    b"hunter2",
    b"default",
];

/// [`VALUE_PLACEHOLDER_MARKERS`] as one case-insensitive automaton: checked
/// on every generic candidate, so one pass instead of forty.
static VALUE_PLACEHOLDERS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(VALUE_PLACEHOLDER_MARKERS)
        .expect("constant placeholder markers build")
});

/// Whether an assigned value is a placeholder: a marker word, a variable or
/// template reference (`${VAR}`, `$VAR`, `%VAR%`, `{{ x }}`, `<your-key>`), or
/// a long run or counting sequence.
#[must_use]
pub fn is_placeholder_value(value: &[u8]) -> bool {
    let Some(&first) = value.first() else {
        return true;
    };
    if matches!(first, b'$' | b'%' | b'<' | b'{' | b'@' | b'&' | b'*') {
        return true;
    }
    if value
        .windows(2)
        .any(|w| w == b"${" || w == b"{{" || w == b"}}")
    {
        return true;
    }
    VALUE_PLACEHOLDERS.is_match(value) || longest_run(value) >= 5 || longest_sequence(value) >= 6
}

/// Whether a run of letters reads like an identifier or word (`password`,
/// `DATABASE`, `getUserToken`, `IdentAny`) rather than random mixed case.
///
/// camelCase words put at least two lower-case letters between capitals
/// (`IdentAny`), while random mixed case keeps putting a single lower-case
/// letter between two capitals (`…VuIH…`). One such spot is allowed for short
/// words (`FileToUpload`), more are not.
fn is_natural_letters(letters: &[u8]) -> bool {
    let lone_lowercase = letters
        .windows(3)
        .filter(|w| {
            w[0].is_ascii_uppercase() && w[1].is_ascii_lowercase() && w[2].is_ascii_uppercase()
        })
        .count();
    lone_lowercase <= 1
}

/// Whether one alphanumeric segment is a word, a number, or a word with a
/// numeric prefix or suffix (`sha256`, `v2`, `2fa`, `oauth2`).
fn is_natural_segment(segment: &[u8]) -> bool {
    let start = segment
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(segment.len());
    let end = segment
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(start, |i| i + 1);
    let middle = &segment[start..end.max(start)];
    middle.iter().all(u8::is_ascii_alphabetic) && is_natural_letters(middle)
}

/// Whether a value is made only of words and numbers joined by punctuation
/// (`process.env.API_TOKEN`, `my-app-2024`, `hashlib.sha256`): the shape of
/// code, identifiers and prose, never of a generated secret.
#[must_use]
pub fn is_wordish(value: &[u8]) -> bool {
    value
        .split(|b| !b.is_ascii_alphanumeric())
        .filter(|segment| !segment.is_empty())
        .all(is_natural_segment)
}

/// Whether `value` is a UUID (8-4-4-4-12 hex), which identifies rather than authenticates.
#[must_use]
pub fn is_uuid(value: &[u8]) -> bool {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let mut parts = value.split(|&b| b == b'-');
    GROUPS.iter().all(|&len| {
        parts
            .next()
            .is_some_and(|p| p.len() == len && p.iter().all(u8::is_ascii_hexdigit))
    }) && parts.next().is_none()
}

/// Whether `value` is a UUID whose own fields say it is not random: an RFC 4122 variant
/// (`8`–`b` at position 19) with a time-based or name-based version (1, 2, 3, 5, 6, 7).
/// Services that issue UUIDs as credentials (Heroku, Snyk, legacy npm tokens, Postmark)
/// issue random ones (version 4), and some format 128 random bits as a UUID without
/// setting either field; a version-1 UUID (a timestamp and a MAC address) or a name-based
/// one names something instead.
#[must_use]
pub fn is_non_random_uuid(value: &[u8]) -> bool {
    is_uuid(value)
        && matches!(value[19].to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b')
        && matches!(value[14], b'1' | b'2' | b'3' | b'5' | b'6' | b'7')
}

/// Whether `value` looks like a git object id or content hash: 40 or 64 hex digits.
#[must_use]
pub fn is_hex_digest(value: &[u8]) -> bool {
    matches!(value.len(), 40 | 64) && value.iter().all(u8::is_ascii_hexdigit)
}

/// Decodes unpadded (or padded) base64url, as used by JWT segments.
#[must_use]
pub fn base64url_decode(input: &[u8]) -> Option<Vec<u8>> {
    fn sextet(b: u8) -> Option<u32> {
        match b {
            b'A'..=b'Z' => Some(u32::from(b - b'A')),
            b'a'..=b'z' => Some(u32::from(b - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(b - b'0') + 52),
            b'-' | b'+' => Some(62),
            b'_' | b'/' => Some(63),
            _ => None,
        }
    }
    let trimmed = input
        .strip_suffix(b"==")
        .or_else(|| input.strip_suffix(b"="));
    let input = trimmed.unwrap_or(input);
    if input.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for &b in input {
        acc = (acc << 6) | sextet(b)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            // Masked to one byte, so the truncation is the point.
            #[allow(clippy::cast_possible_truncation)]
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A light structural check that `bytes` is a JSON object: UTF-8, braces at
/// both ends, at least one `"name":` pair. Enough to tell a JWT from any other
/// dotted base64 blob without a JSON parser.
#[must_use]
pub fn looks_like_json_object(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let text = text.trim();
    text.starts_with('{') && text.ends_with('}') && text.contains("\":")
}

// ---------------------------------------------------------------------------
// Validators referenced from the rule table. Each returns `true` to keep the
// candidate.
// ---------------------------------------------------------------------------

/// The body of a `ghp_`/`npm_`-style token is the 36 characters after the
/// 4-byte prefix; keep it only if its checksum is right.
pub(crate) fn checksummed_token(c: &Candidate<'_>) -> bool {
    c.secret.get(4..).is_some_and(has_token_checksum)
}

/// A token whose prefix already identifies it: drop documentation placeholders.
pub(crate) fn not_placeholder(c: &Candidate<'_>) -> bool {
    !is_placeholder_token(c.secret)
}

/// The part of a token after its `prefix-` or `prefix_` separator.
fn token_body(token: &[u8]) -> &[u8] {
    token
        .iter()
        .position(|&b| b == b'-' || b == b'_')
        .map_or(token, |i| &token[i + 1..])
}

/// A token whose random part must also look random, for formats whose body
/// has no checksum and a short or common prefix (GitLab): not a placeholder,
/// and some entropy.
pub(crate) fn random_body(c: &Candidate<'_>) -> bool {
    let body = token_body(c.secret);
    // A body of words (`my-tokens_are-correct`) is a doc sample, not a generated token.
    !is_placeholder_token(c.secret) && shannon_entropy(body) >= 3.0 && !is_wordish(body)
}

/// A letters-only token body (Hugging Face): random mixed case changes case
/// about every other letter, words and identifiers far less often.
pub(crate) fn random_letters(c: &Candidate<'_>) -> bool {
    let body = token_body(c.secret);
    let changes = body
        .windows(2)
        .filter(|w| w[0].is_ascii_uppercase() != w[1].is_ascii_uppercase())
        .count();
    !is_placeholder_token(c.secret) && shannon_entropy(body) >= 3.5 && changes * 4 >= body.len()
}

/// Slack tokens: the part after the numeric ids must not be a placeholder and
/// must carry some entropy (`xoxb-1-your-token-here` is a doc sample).
pub(crate) fn slack_token(c: &Candidate<'_>) -> bool {
    let tail_start = c
        .secret
        .iter()
        .rposition(|&b| b == b'-')
        .map_or(0, |i| i + 1);
    let tail = &c.secret[tail_start..];
    !is_placeholder_token(c.secret)
        && tail.len() >= 8
        && shannon_entropy(tail) >= 3.0
        && !is_wordish(tail)
}

/// An AWS secret access key: 40 characters of base64 that actually look random.
pub(crate) fn aws_secret(c: &Candidate<'_>) -> bool {
    let s = c.secret;
    !is_placeholder_token(s)
        && shannon_entropy(s) >= 4.0
        && s.iter().any(u8::is_ascii_digit)
        && s.iter().any(u8::is_ascii_uppercase)
        && s.iter().any(u8::is_ascii_lowercase)
}

/// A 32-hex-digit Twilio secret: random-looking hex, not a run or sequence.
pub(crate) fn twilio_hex(c: &Candidate<'_>) -> bool {
    !is_placeholder_token(c.secret) && shannon_entropy(c.secret) >= 3.0
}

static TWILIO_ACCOUNT_SID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)\bAC[0-9a-f]{32}\b").expect("constant Twilio account SID regex compiles")
});

/// A Twilio auth token counts only next to an account SID (`AC` + 32 hex):
/// alone, 32 hex digits after the word "token" are far more often a hash.
pub(crate) fn twilio_auth_token(c: &Candidate<'_>) -> bool {
    twilio_hex(c) && TWILIO_ACCOUNT_SID.is_match(c.window)
}

static SERVICE_ACCOUNT_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?-u)"private_key"\s*:\s*"-----BEGIN"#)
        .expect("constant service-account private key regex compiles")
});

/// A Google service-account file is a secret only when it carries its private key.
pub(crate) fn service_account(c: &Candidate<'_>) -> bool {
    SERVICE_ACCOUNT_KEY.is_match(c.content)
}

/// A JWT: both the header and the payload must decode to JSON objects, which
/// rules out other `eyJ…`-dotted strings and truncated copies. Without a
/// signature, the header must also name its algorithm or type (`"alg"`,
/// `"typ"`), as every JOSE header does: two dotted JSON blobs alone are data.
pub(crate) fn jwt(c: &Candidate<'_>) -> bool {
    let mut parts = c.secret.split(|&b| b == b'.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Some(header_json) = base64url_decode(header).filter(|json| looks_like_json_object(json))
    else {
        return false;
    };
    let signed = parts.next().is_some();
    base64url_decode(payload).is_some_and(|json| looks_like_json_object(&json))
        && (signed
            || contains_ci(&header_json, b"\"alg\"")
            || contains_ci(&header_json, b"\"typ\""))
}

mod generic;
#[cfg(test)]
mod tests;

pub use generic::*;

/// Decodes standard or URL-safe base64, padded or not.
fn base64_any(input: &[u8]) -> Option<Vec<u8>> {
    let trimmed = input
        .strip_suffix(b"==")
        .or_else(|| input.strip_suffix(b"="))
        .unwrap_or(input);
    base64url_decode(trimmed)
}

/// A base64 value that decodes to a PEM private key header with a body after it. Only the
/// first 300 characters are decoded: enough for the header and the start of the key.
pub(crate) fn base64_private_key(c: &Candidate<'_>) -> bool {
    let head = &c.secret[..c.secret.len().min(300)];
    let head = &head[..head.len() - head.len() % 4];
    let Some(pem) = base64_any(head) else {
        return false;
    };
    let Some(end) = pem.windows(16).position(|w| w == b"PRIVATE KEY-----") else {
        return false;
    };
    // The header ends on its own line; a key (not a bare header) follows it.
    pem.starts_with(b"-----BEGIN ")
        && end < 40
        && pem.len() > end + 16 + 40
        && !is_placeholder_token(&c.secret[14..])
}

/// OpenAI keys carry `T3BlbkFJ` (base64 of `OpenAI`) in the middle; a key that has the
/// tail of that marker without its head was edited by hand (a test's near miss).
pub(crate) fn openai_key(c: &Candidate<'_>) -> bool {
    let marker = c.secret.windows(6).position(|w| w == b"BlbkFJ");
    not_placeholder(c) && marker.is_none_or(|i| c.secret[..i].ends_with(b"T3"))
}

/// A Vault/OpenBao unseal key is a Shamir share of a 32-byte key: 33 bytes, in base64.
pub(crate) fn unseal_key(c: &Candidate<'_>) -> bool {
    !is_placeholder_token(c.secret)
        && base64_any(c.secret).is_some_and(|raw| raw.len() == 33)
        && shannon_entropy(c.secret) >= 4.0
}

/// A token with a published prefix and a random body of mixed classes (HashiCorp Vault
/// service tokens, 1Password keys): not a placeholder, and random-looking as a whole.
pub(crate) fn random_token(c: &Candidate<'_>) -> bool {
    !is_placeholder_token(c.secret) && shannon_entropy(c.secret) >= 3.5
}

/// Azure storage account keys are 64 random bytes in base64 (88 characters with padding),
/// shared access keys 32 bytes (44): the decoded length is the structure check.
pub(crate) fn azure_key(c: &Candidate<'_>) -> bool {
    !is_placeholder_token(c.secret)
        && base64_any(c.secret).is_some_and(|raw| matches!(raw.len(), 32 | 64))
        && shannon_entropy(c.secret) >= 4.0
}

/// `Authorization: Basic …`: the value must decode to printable `user:password` with a
/// password that is not a placeholder or default.
pub(crate) fn basic_auth_header(c: &Candidate<'_>) -> bool {
    let Some(raw) = base64_any(c.secret) else {
        return false;
    };
    if !raw.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return false;
    }
    let Some(colon) = raw.iter().position(|&b| b == b':') else {
        return false;
    };
    credential_pair(&raw[..colon], &raw[colon + 1..])
}

/// `curl -u user:password`, `--user "user:password"`: the password (or, with an empty
/// password, the user, which is then an API key) must be a literal, not a variable, a
/// placeholder, a default or a number pair such as a uid:gid.
pub(crate) fn curl_user(c: &Candidate<'_>) -> bool {
    let s = c.secret;
    let Some(colon) = s.iter().position(|&b| b == b':') else {
        return false;
    };
    credential_pair(&s[..colon], &s[colon + 1..])
}

/// A secret given on a command line: a literal (not a variable, a metavariable such as
/// `PASSWORD` or `API_KEY`, or a placeholder) that looks set by a person or a generator:
/// a digit or a symbol in it, or a long random string. Words alone (`--token mytoken`,
/// `--password prompt`) are left out.
pub(crate) fn cli_secret_argument(c: &Candidate<'_>) -> bool {
    let value = c.secret;
    let symbol = |b: &u8| !b.is_ascii_alphanumeric() && !matches!(b, b'_' | b'-' | b'.');
    let metavariable = value
        .iter()
        .all(|&b| b.is_ascii_uppercase() || b == b'_' || b == b'-');
    value.len() >= 4
        && !metavariable
        && !value.starts_with(b"./")
        && !value.starts_with(b"~/")
        && value[0] != b'/'
        && !contains_ci(value, b"://")
        && !value.iter().all(u8::is_ascii_digit)
        && !is_placeholder_value(value)
        && !is_ciphertext_value(value)
        && !DEFAULT_URL_PASSWORDS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(value))
        && (value.iter().any(u8::is_ascii_digit)
            || value.iter().any(symbol)
            || (value.len() >= 16 && shannon_entropy(value) >= 3.5))
        && !(is_wordish(value) && !value.iter().any(symbol) && value.len() < 16)
}

/// The shared judgement of a `user:password` pair.
fn credential_pair(user: &[u8], password: &[u8]) -> bool {
    let strip = |v: &[u8]| -> Vec<u8> {
        v.iter()
            .copied()
            .filter(|b| !matches!(b, b'"' | b'\''))
            .collect()
    };
    let (user, password) = (strip(user), strip(password));
    let secret = if password.is_empty() {
        &user
    } else {
        &password
    };
    secret.len() >= 6
        && !secret.iter().all(u8::is_ascii_digit)
        && !is_placeholder_value(secret)
        && user.first() != Some(&b'$')
        && !DEFAULT_URL_PASSWORDS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(secret))
        && !user.eq_ignore_ascii_case(&password)
}

/// A credential in a registry or service configuration file (`_authToken=`, `_password=`,
/// `requirepass`, a `.netrc` password): a literal value, not a reference or placeholder.
pub(crate) fn config_credential(c: &Candidate<'_>) -> bool {
    let v = c.secret;
    // `npm_…` tokens belong to the checksummed `npm-token` rule: one finding per secret.
    !v.starts_with(b"npm_")
        && v.len() >= 8
        && !is_non_random_uuid(v)
        && !is_placeholder_value(v)
        && !is_ciphertext_value(v)
        && !is_wordish(v)
        && shannon_entropy(v) >= 2.5
}

/// A short token with no structure to check (HashiCorp Vault's legacy `s.` tokens): it
/// must mix upper case, lower case and digits and look random.
pub(crate) fn aws_secret_shape(c: &Candidate<'_>) -> bool {
    let body = c.secret.get(2..).unwrap_or_default();
    !is_placeholder_token(c.secret)
        && shannon_entropy(body) >= 3.5
        && body.iter().any(u8::is_ascii_digit)
        && body.iter().any(u8::is_ascii_uppercase)
        && body.iter().any(u8::is_ascii_lowercase)
}

/// An XML element's text: judged like a generic assignment, as a quoted value (element
/// text is a literal, never a variable, even in a source file).
pub(crate) fn xml_value(c: &Candidate<'_>) -> bool {
    generic_assignment(&Candidate {
        quoted: true,
        next_byte: None,
        before_key: None,
        ..*c
    })
}

/// A Kubernetes `kind: Secret` manifest leaks when its `data:` or `stringData:` block holds
/// a literal value: not empty, not a template (`{{ .Values.x | b64enc }}`), not a
/// placeholder. Values are judged as written (base64 of `changeme` is still a literal, but
/// a decoded placeholder is not worth blocking a commit over).
pub(crate) fn kubernetes_secret_data(c: &Candidate<'_>) -> bool {
    let mut in_data: Option<usize> = None;
    for line in c.content.split(|&b| b == b'\n') {
        let indent = line
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let text = line[indent..].trim_ascii_end();
        if text.is_empty() || text[0] == b'#' {
            continue;
        }
        if let Some(block) = in_data {
            if indent > block {
                let Some(colon) = text.iter().position(|&b| b == b':') else {
                    continue;
                };
                let mut value = text[colon + 1..].trim_ascii();
                if let [q @ (b'"' | b'\''), rest @ ..] = value {
                    value = rest.strip_suffix(&[*q]).unwrap_or(rest);
                }
                let raw = base64_any(value);
                // Binary data (a key, a keystore) is secret whatever its bytes look like;
                // the placeholder tests below are for text (`changeme`, `AAAA…`).
                if raw.as_ref().is_some_and(|d| {
                    d.len() >= 16
                        && !d.iter().all(u8::is_ascii_graphic)
                        && shannon_entropy(d) >= 3.0
                }) {
                    return true;
                }
                let decoded = raw.filter(|d| d.iter().all(u8::is_ascii_graphic));
                let judged = decoded.as_deref().unwrap_or(value);
                // Short decoded values are user names and flags (`app`, `true`), not keys.
                if judged.len() >= 8
                    && !matches!(value.first(), Some(b'|' | b'>'))
                    && !is_placeholder_value(value)
                    && !is_placeholder_value(judged)
                {
                    return true;
                }
                continue;
            }
            in_data = None;
        }
        if text == b"data:" || text == b"stringData:" {
            in_data = Some(indent);
        }
    }
    false
}

/// Mailchimp keys are 32 lower-case hex digits and a datacenter (`-us12`): the hex must
/// look random.
pub(crate) fn hex_random(c: &Candidate<'_>) -> bool {
    let hex: Vec<u8> = c
        .secret
        .iter()
        .copied()
        .take_while(u8::is_ascii_hexdigit)
        .collect();
    !is_placeholder_token(c.secret) && hex.len() >= 16 && shannon_entropy(&hex) >= 3.0
}

/// A token whose only check in gitleaks is an entropy floor: not a placeholder,
/// and at least 2 bits of entropy per byte (rejects `aaaa…`-like bodies).
pub(crate) fn entropy_2(c: &Candidate<'_>) -> bool {
    !is_placeholder_token(c.secret) && shannon_entropy(c.secret) >= 2.0
}

/// As [`entropy_2`] with a floor of 3 bits per byte: random hex or base62.
pub(crate) fn entropy_3(c: &Candidate<'_>) -> bool {
    !is_placeholder_token(c.secret) && shannon_entropy(c.secret) >= 3.0
}

/// As [`entropy_2`] with a floor of 3.5 bits per byte: random mixed-case
/// alphanumerics of 20 or more characters.
pub(crate) fn entropy_35(c: &Candidate<'_>) -> bool {
    !is_placeholder_token(c.secret) && shannon_entropy(c.secret) >= 3.5
}

/// A quoted password argument (Terraform's `password = "…"`): without its
/// quotes, not a placeholder value (`TODO-set-me`, `${var.x}`) and not flat.
pub(crate) fn assigned_password(c: &Candidate<'_>) -> bool {
    let value = c.secret.trim_ascii();
    let value = value
        .strip_prefix(b"\"")
        .and_then(|v| v.strip_suffix(b"\""))
        .unwrap_or(value);
    !is_placeholder_value(value) && shannon_entropy(value) >= 2.0
}

/// One DER element: its tag, its contents, and what follows it.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The DER of OID 1.2.840.113549.1.7.1 (PKCS#7 `data`), the content type of a
/// PKCS#12 file's authenticated safe.
const PKCS7_DATA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];

/// MAC iteration counts above this are not written by any tool (OpenSSL uses
/// 2,048, current guidance is in the hundreds of thousands); a file with more
/// is damaged or built to stall a reader, not a keystore someone uses.
const MAX_PKCS12_MAC_ITERATIONS: u64 = 1_000_000;

/// Whether `content` is a whole PKCS#12 (`.p12`, `.pfx`) keystore: a DER
/// `PFX` sequence that spans the file, version 3, a PKCS#7 `data` safe, and,
/// if present, MAC data with a sane iteration count. Truncated or damaged
/// files hold no usable key and are not reported.
#[must_use]
pub fn is_pkcs12(content: &[u8]) -> bool {
    let Some((0x30, pfx, trailing)) = der_element(content) else {
        return false;
    };
    if !trailing.is_empty() {
        return false;
    }
    let Some((0x02, [3], rest)) = der_element(pfx) else {
        return false;
    };
    let Some((0x30, auth_safe, rest)) = der_element(rest) else {
        return false;
    };
    if !matches!(der_element(auth_safe), Some((0x06, oid, _)) if oid == PKCS7_DATA_OID) {
        return false;
    }
    if rest.is_empty() {
        return true;
    }
    // MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }
    let Some((0x30, mac_data, _)) = der_element(rest) else {
        return false;
    };
    let Some((0x30, _, rest)) = der_element(mac_data) else {
        return false;
    };
    let Some((0x04, _, rest)) = der_element(rest) else {
        return false;
    };
    match der_element(rest) {
        None => rest.is_empty(),
        Some((0x02, iterations, _)) => {
            iterations.len() <= 8
                && iterations
                    .iter()
                    .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
                    <= MAX_PKCS12_MAC_ITERATIONS
        }
        Some(_) => false,
    }
}

/// A Discord bot token: the HMAC part (the third) must look random, and the
/// whole must not be a placeholder or a dotted identifier.
pub(crate) fn discord_token(c: &Candidate<'_>) -> bool {
    let hmac = c.secret.rsplit(|&b| b == b'.').next().unwrap_or_default();
    !is_placeholder_token(c.secret)
        && !is_wordish(c.secret)
        && shannon_entropy(hmac) >= 3.5
        && hmac.iter().any(u8::is_ascii_digit)
}

/// A JWE: the header decodes to a JSON object that names both a key
/// management algorithm and a content encryption (`"alg"`, `"enc"`), which no
/// other five-part dotted string carries.
pub(crate) fn jwe(c: &Candidate<'_>) -> bool {
    let header = c.secret.split(|&b| b == b'.').next().unwrap_or_default();
    let rest = &c.secret[header.len()..];
    base64url_decode(header).is_some_and(|json| {
        looks_like_json_object(&json)
            && contains_ci(&json, b"\"alg\"")
            && contains_ci(&json, b"\"enc\"")
    }) && !is_placeholder_token(rest)
        && shannon_entropy(rest) >= 4.0
}

/// A Facebook app access token (`<app id>|<app secret>`): the secret half must look random.
pub(crate) fn facebook_app_token(c: &Candidate<'_>) -> bool {
    let secret = c
        .secret
        .iter()
        .position(|&b| b == b'|' || b == b'%')
        .map_or(c.secret, |i| &c.secret[i + 1..]);
    let secret = secret
        .strip_prefix(b"7C")
        .or_else(|| secret.strip_prefix(b"7c"))
        .unwrap_or(secret);
    !is_placeholder_token(secret) && shannon_entropy(secret) >= 3.5
}
