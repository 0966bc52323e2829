//! Test-only generators of secret-shaped strings: valid-checksum GitHub and
//! npm tokens, AWS keys, JWTs, PEM bodies and the rest, all produced at run
//! time from a seeded PRNG.
//!
//! Nothing here may be a real credential, and no complete token may appear as
//! a literal in any source file: hosting providers' push protection would
//! (rightly) refuse the repository. Prefixes and bodies are joined at run time.

use super::validate::{base62_checksum, crc32};

/// Upper-case letters and digits.
pub const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Base62.
pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// Letters only.
pub const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Lower-case hex.
pub const HEX: &[u8] = b"0123456789abcdef";
/// Standard base64 without padding.
pub const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// URL-safe base64.
pub const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// The bech32 alphabet in upper case (age secret keys).
pub const BECH32_UPPER: &[u8] = b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";
/// The bech32 alphabet in lower case (age recipients).
pub const BECH32_LOWER: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
/// The base32 alphabet of AWS key ids.
pub const AWS_ID: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A small deterministic PRNG (xorshift64*), so generated fixtures are stable.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced, as xorshift needs a non-zero state).
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `len` characters drawn from `alphabet`.
    pub fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| {
                let i = usize::try_from(self.next() % alphabet.len() as u64).expect("fits");
                char::from(alphabet[i])
            })
            .collect()
    }

    /// `len` characters from `alphabet` that contain a digit, an upper-case
    /// and a lower-case letter (what validators of random tokens expect).
    pub fn mixed(&mut self, alphabet: &[u8], len: usize) -> String {
        loop {
            let s = self.string(alphabet, len);
            let b = s.as_bytes();
            // Only demand the classes the alphabet has.
            let classes: [fn(&u8) -> bool; 3] = [
                u8::is_ascii_digit,
                u8::is_ascii_uppercase,
                u8::is_ascii_lowercase,
            ];
            if classes
                .iter()
                .all(|class| !alphabet.iter().any(class) || b.iter().any(class))
            {
                return s;
            }
        }
    }
}

/// A GitHub-format token (`<prefix>_` + 30 random + 6 checksum) with a valid checksum.
pub fn checksummed(prefix: &str, rng: &mut Rng) -> String {
    let random = rng.mixed(ALNUM, 30);
    let checksum = base62_checksum(crc32(random.as_bytes()));
    format!(
        "{prefix}_{random}{}",
        std::str::from_utf8(&checksum).expect("base62 is ASCII")
    )
}

/// The same token with its last checksum character changed.
pub fn break_checksum(token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("ASCII")
}

/// Base64url without padding.
pub fn base64url(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(BASE64URL[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Standard base64 with padding (PEM bodies, Kubernetes `Secret` data).
pub fn base64(data: &[u8]) -> String {
    let url = base64url(data).replace('-', "+").replace('_', "/");
    let pad = (4 - url.len() % 4) % 4;
    url + &"=".repeat(pad)
}

/// One consistent set of fake secrets of every family, from one seed.
#[allow(clippy::struct_field_names)]
pub struct Fakes {
    pub aws_key_id: String,
    pub aws_secret: String,
    pub github_classic: String,
    pub github_oauth: String,
    pub github_bad_checksum: String,
    pub github_fine: String,
    pub gitlab: String,
    pub slack_bot: String,
    pub slack_webhook: String,
    pub stripe_live: String,
    pub stripe_restricted: String,
    pub stripe_test: String,
    pub openai_project: String,
    pub openai_legacy: String,
    pub anthropic: String,
    pub npm: String,
    pub npm_bad_checksum: String,
    pub pypi: String,
    pub huggingface: String,
    pub sendgrid: String,
    pub twilio_api_key: String,
    pub twilio_account_sid: String,
    pub twilio_auth_token: String,
    pub google_api: String,
    pub jwt: String,
    pub age_secret_key: String,
    pub age_recipient: String,
    pub pem_body: String,
    pub openssh_body: String,
    pub password: String,
    pub url_password: String,
    pub hex_secret: String,
}

impl Fakes {
    /// Generates every value from `seed`.
    #[allow(clippy::too_many_lines)] // one field per token family; splitting it would hide the table
    pub fn new(seed: u64) -> Self {
        let mut r = Rng::new(seed);
        let github_classic = checksummed(&["gh", "p"].concat(), &mut r);
        let npm = checksummed(&["np", "m"].concat(), &mut r);
        let header = base64url(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = base64url(br#"{"sub":"user-4821","scope":"admin","iat":1716239022}"#);
        let pem_body = (0..8)
            .map(|_| r.string(BASE64, 64))
            .collect::<Vec<_>>()
            .join("\n");
        let openssh_body = ["b3BlbnNzaC1rZXktdjEAAAAA".to_owned(), r.string(BASE64, 46)].concat()
            + "\n"
            + &(0..5)
                .map(|_| r.string(BASE64, 70))
                .collect::<Vec<_>>()
                .join("\n");
        Fakes {
            aws_key_id: ["AK", "IA", &r.string(AWS_ID, 16)].concat(),
            aws_secret: r.mixed(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+",
                40,
            ),
            github_bad_checksum: break_checksum(&github_classic),
            github_classic,
            github_oauth: checksummed(&["gh", "o"].concat(), &mut r),
            github_fine: [
                "github",
                "_pat_",
                &r.mixed(ALNUM, 22),
                "_",
                &r.mixed(ALNUM, 59),
            ]
            .concat(),
            gitlab: ["glp", "at-", &r.mixed(ALNUM, 20)].concat(),
            slack_bot: [
                "xo",
                "xb-",
                &r.string(b"123456789", 12),
                "-",
                &r.string(b"123456789", 13),
                "-",
                &r.mixed(ALNUM, 24),
            ]
            .concat(),
            slack_webhook: [
                "https://hooks.",
                "slack.com/services/T",
                &r.string(UPPER_DIGITS, 8),
                "/B",
                &r.string(UPPER_DIGITS, 10),
                "/",
                &r.mixed(ALNUM, 24),
            ]
            .concat(),
            stripe_live: ["sk", "_live_", &r.mixed(ALNUM, 24)].concat(),
            stripe_restricted: ["rk", "_live_", &r.mixed(ALNUM, 99)].concat(),
            stripe_test: ["sk", "_test_", &r.mixed(ALNUM, 24)].concat(),
            openai_project: [
                "sk-",
                "proj-",
                &r.mixed(BASE64URL, 74),
                "T3Blbk",
                "FJ",
                &r.mixed(BASE64URL, 74),
            ]
            .concat(),
            openai_legacy: [
                "sk-",
                &r.mixed(ALNUM, 20),
                "T3Blbk",
                "FJ",
                &r.mixed(ALNUM, 20),
            ]
            .concat(),
            anthropic: ["sk-ant-", "api03-", &r.mixed(BASE64URL, 93), "AA"].concat(),
            npm_bad_checksum: break_checksum(&npm),
            npm,
            pypi: ["pypi-", "AgEIcHlwaS5vcmc", &r.mixed(BASE64URL, 120)].concat(),
            huggingface: ["h", "f_", &r.mixed(LETTERS, 34)].concat(),
            sendgrid: [
                "S",
                "G.",
                &r.mixed(BASE64URL, 22),
                ".",
                &r.mixed(BASE64URL, 43),
            ]
            .concat(),
            twilio_api_key: ["S", "K", &r.string(HEX, 32)].concat(),
            twilio_account_sid: ["A", "C", &r.string(HEX, 32)].concat(),
            twilio_auth_token: r.string(HEX, 32),
            google_api: ["AI", "za", &r.mixed(BASE64URL, 35)].concat(),
            jwt: format!("{header}.{payload}.{}", r.mixed(BASE64URL, 43)),
            age_secret_key: ["AGE-SECRET-", "KEY-1", &r.string(BECH32_UPPER, 58)].concat(),
            age_recipient: ["age", "1", &r.string(BECH32_LOWER, 58)].concat(),
            pem_body,
            openssh_body,
            password: r.mixed(
                b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%+:?^~",
                20,
            ),
            url_password: r.mixed(ALNUM, 18),
            hex_secret: r.string(HEX, 40),
        }
    }

    /// A PEM block of the given type (`RSA PRIVATE KEY`, `PRIVATE KEY`, …).
    pub fn pem(&self, kind: &str) -> String {
        format!(
            "-----BEGIN {kind}-----\n{}\n-----END {kind}-----\n",
            if kind.contains("OPENSSH") {
                &self.openssh_body
            } else {
                &self.pem_body
            }
        )
    }

    /// The `{{NAME}}` placeholders the corpus files use, with their values.
    pub fn substitutions(&self) -> Vec<(&'static str, String)> {
        let private = ["PRIVATE", " KEY"].concat();
        vec![
            ("AWS_KEY_ID", self.aws_key_id.clone()),
            ("AWS_SECRET", self.aws_secret.clone()),
            ("GITHUB_CLASSIC", self.github_classic.clone()),
            ("GITHUB_OAUTH", self.github_oauth.clone()),
            ("GITHUB_BAD_CHECKSUM", self.github_bad_checksum.clone()),
            ("GITHUB_FINE", self.github_fine.clone()),
            ("GITLAB", self.gitlab.clone()),
            ("SLACK_BOT", self.slack_bot.clone()),
            ("SLACK_WEBHOOK", self.slack_webhook.clone()),
            ("STRIPE_LIVE", self.stripe_live.clone()),
            ("STRIPE_RESTRICTED", self.stripe_restricted.clone()),
            ("STRIPE_TEST", self.stripe_test.clone()),
            ("OPENAI_PROJECT", self.openai_project.clone()),
            ("OPENAI_LEGACY", self.openai_legacy.clone()),
            ("ANTHROPIC", self.anthropic.clone()),
            ("NPM", self.npm.clone()),
            ("NPM_BAD_CHECKSUM", self.npm_bad_checksum.clone()),
            ("PYPI", self.pypi.clone()),
            ("HUGGINGFACE", self.huggingface.clone()),
            ("SENDGRID", self.sendgrid.clone()),
            ("TWILIO_API_KEY", self.twilio_api_key.clone()),
            ("TWILIO_ACCOUNT_SID", self.twilio_account_sid.clone()),
            ("TWILIO_AUTH_TOKEN", self.twilio_auth_token.clone()),
            ("GOOGLE_API", self.google_api.clone()),
            ("JWT", self.jwt.clone()),
            ("AGE_SECRET_KEY", self.age_secret_key.clone()),
            ("AGE_RECIPIENT", self.age_recipient.clone()),
            ("PEM_RSA", self.pem(&format!("RSA {private}"))),
            ("PEM_PKCS8", self.pem(&private)),
            ("PEM_EC", self.pem(&format!("EC {private}"))),
            ("PEM_OPENSSH", self.pem(&format!("OPENSSH {private}"))),
            ("PEM_BODY_ESCAPED", self.pem_body.replace('\n', "\\n")),
            ("PEM_PKCS8_ESCAPED", self.pem(&private).replace('\n', "\\n")),
            ("PRIVATE_KEY_WORDS", private.clone()),
            ("PGP_BLOCK", format!("PGP {private} BLOCK")),
            ("PEM_BODY", self.pem_body.clone()),
            ("PUTTY", ["PuTTY-User-", "Key-File-3"].concat()),
            ("PASSWORD", self.password.clone()),
            ("URL_PASSWORD", self.url_password.clone()),
            ("HEX_SECRET", self.hex_secret.clone()),
        ]
    }
}

/// Lines of ordinary source code and config, about one in four mentioning a
/// secret-sounding word, as in real repositories.
const SOURCE_LINES: &[&str] = &[
    "use std::collections::HashMap;",
    "pub fn parse_config(input: &str) -> Result<Config, ConfigError> {",
    "    let mut map = HashMap::with_capacity(input.len() / 16);",
    "    for (index, line) in input.lines().enumerate() {",
    "        if line.trim().is_empty() || line.starts_with('#') { continue; }",
    "        let (key, value) = line.split_once('=').ok_or(ConfigError::Syntax(index))?;",
    "        map.insert(key.trim().to_owned(), value.trim().to_owned());",
    "    }",
    "    Ok(Config { map })",
    "}",
    "",
    "#[derive(Debug, Clone, PartialEq, Eq)]",
    "pub struct Session { user: UserId, expires_at: Timestamp, scopes: Vec<Scope> }",
    "    fn authenticate(&self, token: &str) -> Result<Session, AuthError> {",
    "        let secret = self.keys.current().expect(\"a signing key is configured\");",
    "// See https://docs.example.com/guide/config.html for every option.",
    "const MAX_RETRIES: u32 = 5; // matches the load balancer's idle timeout",
    "import { render, screen } from \"@testing-library/react\";",
    "export default function App({ children }) { return <Layout>{children}</Layout>; }",
    "  password: ${DATABASE_PASSWORD}",
    "  replicas: 3",
    "    image: registry.internal/api:1.4.2",
    "SELECT id, email, created_at FROM users WHERE id = $1 AND deleted_at IS NULL;",
    "def handle(request):\n    return JsonResponse({\"ok\": True, \"items\": list(items)})",
    "The quick brown fox jumps over the lazy dog, then rotates its credentials.",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b",
    "  \"integrity\": \"sha512-Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy\",",
    "        assert_eq!(result.unwrap_err().to_string(), \"missing field `name`\");",
];

/// About `len` bytes of source-like text without secrets, deterministic.
pub fn source_text(len: usize) -> Vec<u8> {
    let mut rng = Rng::new(99);
    let mut out = Vec::with_capacity(len + 128);
    while out.len() < len {
        let i = usize::try_from(rng.next() % SOURCE_LINES.len() as u64).expect("fits");
        out.extend_from_slice(SOURCE_LINES[i].as_bytes());
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::validate::has_token_checksum;

    #[test]
    fn generated_tokens_have_their_shapes() {
        let f = Fakes::new(7);
        assert_eq!(f.github_classic.len(), 40);
        assert!(has_token_checksum(&f.github_classic.as_bytes()[4..]));
        assert!(!has_token_checksum(&f.github_bad_checksum.as_bytes()[4..]));
        assert_eq!(f.age_secret_key.len(), 74);
        assert_eq!(f.age_recipient.len(), 62);
        assert_eq!(base64url(b"{\"a\":1}"), "eyJhIjoxfQ");
    }
}
