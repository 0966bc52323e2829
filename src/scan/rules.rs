//! The one table of detection rules: for each rule its stable id, a
//! description for people, the keywords that feed the literal prefilter, the
//! regex that finds a candidate, the validator that confirms it, the window of
//! text the regex needs, and how a finding's hint is redacted.
//!
//! This module is data plus the small types that describe it. It must not run
//! searches (that is `mod.rs`), hold secrets, or print. Adding a rule means
//! adding one entry to [`RULES`] and its tests in `tests.rs`; ids are a public
//! contract (baselines and `vault:allow` reviews refer to them), so never
//! rename one.

use serde::Serialize;

use super::path::{self, PathFacts};
use super::validate;

/// What kind of evidence a rule relies on. Decides where a rule runs: some
/// files turn off the heuristic rules (lock files) or everything but private
/// keys and known values (the `.secrets.example.toml` template).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// File-level: decided by the path (and whether the content is age armor).
    Path,
    /// Private key material; runs everywhere, templates included.
    PrivateKey,
    /// A token with a recognisable format.
    Token,
    /// Keyword plus entropy; skipped in lock files, and dropped wherever a
    /// more specific rule reports the same bytes.
    Heuristic,
    /// An exact copy of a secret value the caller supplied.
    KnownValue,
}

/// How much of a match a finding's hint may show. Hints never show the random
/// part of a secret; at most a public prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Redact {
    /// The first N bytes (N ≤ 4, a published prefix such as `AKIA` or `ghp_`), then the length.
    Prefix(usize),
    /// A fixed label, then the length.
    Label(&'static str),
    /// The key name of a `key = value` assignment (names are not secret), then the length.
    KeyName,
    /// The URL scheme, then the password's length.
    UrlScheme,
    /// The caller's label of a known value, then the length.
    KnownLabel,
}

/// The text around a keyword hit that a rule's regex is run on. Narrow
/// windows are what make the scanner fast: most rules only ever see the
/// lines where their keywords occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Window {
    /// The line holding the keyword (for very long lines, a slice of it around the hit).
    Line,
    /// That line plus some lines above and below: the secret may sit a line
    /// away from its keyword (PEM bodies, a Twilio block in a config file).
    Lines {
        /// Lines before the keyword's line.
        before: u8,
        /// Lines after the keyword's line.
        after: u8,
    },
    /// The whole file, once, if any keyword occurs in it.
    File,
}

/// What a validator sees of one regex match. All slices borrow the scanned
/// content; none may be copied out or formatted.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// The bytes the finding is about: group `s` of the regex, or the whole match.
    pub secret: &'a [u8],
    /// Group `k`: the key name of an assignment, or the user of a URL.
    pub key: Option<&'a [u8]>,
    /// Group `x`: rule-specific context (the host of a URL).
    pub extra: Option<&'a [u8]>,
    /// The byte right after `secret`, to tell `token = make_token(` from a literal.
    pub next_byte: Option<u8>,
    /// The byte before group `k`, to tell `Type::Token` from a variable.
    pub before_key: Option<u8>,
    /// Whether the value was opened by a quote (group `q` matched).
    pub quoted: bool,
    /// Whether the file is program source (see `path::is_source_code`).
    pub source_code: bool,
    /// The window the regex ran on.
    pub window: &'a [u8],
    /// The whole file.
    pub content: &'a [u8],
}

/// How a pattern rule finds candidates around its keyword hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Matcher {
    /// Run [`Rule::pattern`] over the rule's window.
    Regex,
    /// Parse the `key = value` assignment whose key holds the hit (see
    /// `assign.rs`); [`Rule::pattern`] is the grammar it implements, and
    /// tests hold the two together.
    Assignment,
}

/// Confirms a regex candidate; `true` keeps it.
pub type Validator = fn(&Candidate<'_>) -> bool;

/// Decides a file-level rule from the path (age armor is handled by the caller).
pub type PathMatcher = fn(&PathFacts<'_>) -> bool;

/// One detection rule. See [`RULES`].
#[derive(Debug, Serialize)]
pub struct Rule {
    /// Stable id, used in output, baselines and `--list-rules`.
    pub id: &'static str,
    /// One line for people.
    pub description: &'static str,
    /// What kind of evidence the rule relies on.
    pub class: Class,
    /// Literals of which at least one must occur for the regex to run at all.
    pub keywords: &'static [&'static str],
    /// Whether keywords must match with their exact case (published token
    /// prefixes) or ASCII case-insensitively (words such as `password`).
    pub keywords_case_sensitive: bool,
    /// The regex (`regex::bytes` syntax, Unicode off); empty for path and known-value rules.
    pub pattern: &'static str,
    /// Where the regex runs, relative to a keyword hit.
    pub window: Window,
    /// How candidates are found.
    pub matcher: Matcher,
    /// Second-stage check of each regex match.
    #[serde(skip)]
    pub validate: Option<Validator>,
    /// File-level matcher, for [`Class::Path`] rules.
    #[serde(skip)]
    pub path: Option<PathMatcher>,
    /// How the hint is redacted.
    pub redact: Redact,
}

/// Defaults that every table entry overrides in part.
const BASE: Rule = Rule {
    id: "",
    description: "",
    class: Class::Token,
    keywords: &[],
    keywords_case_sensitive: true,
    pattern: "",
    window: Window::Line,
    matcher: Matcher::Regex,
    validate: Some(validate::not_placeholder),
    path: None,
    redact: Redact::Prefix(4),
};

/// Id of the known-value rule, which has no pattern: its matcher is built from
/// the caller's values by [`super::Scanner::with_known_values`].
pub const KNOWN_VALUE_ID: &str = "known-value";

/// The rule table. Order matters in two places: among path rules the first
/// match wins (one file-level finding per file), and findings at the same
/// position are listed in table order.
pub static RULES: &[Rule] = &[
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
        pattern: r"(?-u)-----BEGIN (?:[A-Z0-9]+ )?PRIVATE KEY-----(?:\\[rn]|\s|[A-Za-z][A-Za-z-]*:[^\r\n\\]*)*[A-Za-z0-9+/]{40,}",
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
    // ---- cloud and SaaS tokens ---------------------------------------------
    Rule {
        id: "aws-access-key-id",
        description: "AWS access key id (AKIA/ASIA/ABIA/ACCA…)",
        keywords: &["AKIA", "ASIA", "ABIA", "ACCA"],
        pattern: r"(?-u)\b(?P<s>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
        ..BASE
    },
    Rule {
        id: "aws-secret-access-key",
        description: "AWS secret access key (40 characters next to an aws_secret_access_key keyword)",
        keywords: &[
            "aws_secret",
            "aws-secret",
            "awssecret",
            "secret_access_key",
            "secret-access-key",
            "secretaccesskey",
        ],
        keywords_case_sensitive: false,
        pattern: r#"(?-u)(?i:aws[_-]?secret(?:[_-]?access)?(?:[_-]?key)?|secret[_-]?access[_-]?key)["'\]]{0,2}\s*(?::=|=>|=|:|,)?\s*["'`]?(?P<s>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        validate: Some(validate::aws_secret),
        redact: Redact::Label("AWS secret access key"),
        ..BASE
    },
    Rule {
        id: "github-token",
        description: "GitHub token (ghp_, gho_, ghu_, ghs_, ghr_) with a valid checksum",
        keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        pattern: r"(?-u)\b(?P<s>gh[pousr]_[A-Za-z0-9]{36})\b",
        validate: Some(validate::checksummed_token),
        ..BASE
    },
    Rule {
        id: "github-fine-grained-pat",
        description: "GitHub fine-grained personal access token (github_pat_…)",
        keywords: &["github_pat_"],
        pattern: r"(?-u)\b(?P<s>github_pat_[0-9A-Za-z_]{82})\b",
        ..BASE
    },
    Rule {
        id: "gitlab-token",
        description: "GitLab token (glpat-, gldt-, glptt-, glrt-, …)",
        keywords: &[
            "glpat-", "gldt-", "glptt-", "glrt-", "glsoat-", "glcbt-", "gloas-", "glimt-",
            "glffct-", "glagent-",
        ],
        pattern: r"(?-u)\b(?P<s>gl(?:pat|dt|ptt|rt|soat|cbt|oas|imt|ffct|agent)-[0-9A-Za-z_-]{20,300}(?:\.[0-9a-z]{2}\.?[0-9a-z]{7,9})?)(?:[^0-9A-Za-z_.-]|$)",
        validate: Some(validate::random_body),
        ..BASE
    },
    Rule {
        id: "slack-token",
        description: "Slack token (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xapp-)",
        keywords: &[
            "xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "xoxo-", "xoxe-", "xapp-",
        ],
        pattern: r"(?-u)\b(?P<s>xox[abposre]-[0-9]+-[0-9A-Za-z-]{10,250}|xapp-[0-9]+-[0-9A-Za-z-]{10,250})",
        validate: Some(validate::slack_token),
        ..BASE
    },
    Rule {
        id: "slack-webhook",
        description: "Slack incoming webhook URL (hooks.slack.com/services/…)",
        keywords: &["hooks.slack.com"],
        keywords_case_sensitive: false,
        pattern: r"(?-u)(?i:https?://hooks\.slack\.com)/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9+/_-]{20,})",
        redact: Redact::Label("Slack webhook"),
        ..BASE
    },
    Rule {
        id: "stripe-live-key",
        description: "Stripe live secret or restricted key (sk_live_, rk_live_)",
        keywords: &["sk_live_", "rk_live_"],
        pattern: r"(?-u)\b(?P<s>[sr]k_live_[0-9A-Za-z]{24,247})\b",
        ..BASE
    },
    Rule {
        id: "openai-api-key",
        description: "OpenAI API key (sk-proj-…, sk-svcacct-…, legacy sk-…T3BlbkFJ…)",
        keywords: &["sk-proj-", "sk-svcacct-", "sk-admin-", "T3BlbkFJ"],
        pattern: r"(?-u)\b(?P<s>sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,300}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})(?:[^A-Za-z0-9_-]|$)",
        ..BASE
    },
    Rule {
        id: "anthropic-api-key",
        description: "Anthropic API key (sk-ant-api03-…, sk-ant-admin01-…)",
        keywords: &["sk-ant-"],
        pattern: r"(?-u)\b(?P<s>sk-ant-(?:api|admin|oat|sid)[0-9]{2}-[A-Za-z0-9_-]{32,300})(?:[^A-Za-z0-9_-]|$)",
        ..BASE
    },
    Rule {
        id: "npm-token",
        description: "npm access token (npm_…) with a valid checksum",
        keywords: &["npm_"],
        pattern: r"(?-u)\b(?P<s>npm_[A-Za-z0-9]{36})\b",
        validate: Some(validate::checksummed_token),
        ..BASE
    },
    Rule {
        id: "pypi-token",
        description: "PyPI upload token (pypi-AgEIcHlwaS5vcmc…)",
        keywords: &["pypi-AgEIcHlwaS5vcmc", "pypi-AgENdGVzdC5weXBpLm9yZw"],
        pattern: r"(?-u)\b(?P<s>pypi-Ag(?:EIcHlwaS5vcmc|ENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,})",
        ..BASE
    },
    Rule {
        id: "huggingface-token",
        description: "Hugging Face access token (hf_ + 34 letters)",
        keywords: &["hf_"],
        pattern: r"(?-u)\b(?P<s>hf_[A-Za-z]{34})\b",
        validate: Some(validate::random_letters),
        redact: Redact::Prefix(3),
        ..BASE
    },
    Rule {
        id: "sendgrid-api-key",
        description: "SendGrid API key (SG.<22>.<43>)",
        keywords: &["SG."],
        pattern: r"(?-u)\b(?P<s>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)",
        redact: Redact::Prefix(3),
        ..BASE
    },
    Rule {
        id: "twilio-api-key",
        description: "Twilio API key SID (SK + 32 hex) near the word twilio",
        keywords: &["twilio"],
        keywords_case_sensitive: false,
        pattern: r"(?-u)\b(?P<s>SK[0-9a-fA-F]{32})\b",
        window: Window::Lines {
            before: 5,
            after: 5,
        },
        validate: Some(validate::twilio_hex),
        redact: Redact::Prefix(2),
        ..BASE
    },
    Rule {
        id: "twilio-auth-token",
        description: "Twilio auth token (32 hex) next to an account SID (AC + 32 hex)",
        keywords: &["twilio"],
        keywords_case_sensitive: false,
        pattern: r#"(?-u)(?i:auth[_-]?token|token|secret)["'\]]{0,2}\s*(?::=|=>|=|:)\s*["'`]?(?P<s>[0-9a-f]{32})\b"#,
        window: Window::Lines {
            before: 5,
            after: 5,
        },
        validate: Some(validate::twilio_auth_token),
        redact: Redact::Label("Twilio auth token"),
        ..BASE
    },
    Rule {
        id: "google-api-key",
        description: "Google API key (AIza…)",
        keywords: &["AIza"],
        pattern: r"(?-u)\b(?P<s>AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)",
        ..BASE
    },
    Rule {
        id: "gcp-service-account",
        description: "Google Cloud service-account key file (\"type\": \"service_account\" with a private key)",
        keywords: &["service_account"],
        pattern: r#"(?-u)"type"\s*:\s*"service_account""#,
        window: Window::File,
        validate: Some(validate::service_account),
        redact: Redact::Label("service-account key file"),
        ..BASE
    },
    Rule {
        id: "jwt",
        description: "JSON Web Token (header and payload decode to JSON objects)",
        keywords: &["eyJ"],
        pattern: r"(?-u)\b(?P<s>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})",
        validate: Some(validate::jwt),
        redact: Redact::Prefix(3),
        ..BASE
    },
    // ---- provider tokens ported from gitleaks', secretlint's and detect-secrets' rule sets.
    // Each has a published prefix or structure; the validator rejects placeholders and, where
    // the format has one, checks the structure (decoded length, hex body).
    Rule {
        id: "hashicorp-vault-token",
        description: "HashiCorp Vault or OpenBao service or batch token (hvs., hvb.)",
        keywords: &["hvs.", "hvb."],
        pattern: r"(?-u)\b(?P<s>hv[sb]\.[A-Za-z0-9_-]{90,300})(?:[^A-Za-z0-9_-]|$)",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "hashicorp-vault-legacy-token",
        description: "HashiCorp Vault legacy service token (s. + 24 characters) near the word vault",
        keywords: &["vault"],
        keywords_case_sensitive: false,
        pattern: r"(?-u)\b(?P<s>s\.[A-Za-z0-9]{24})\b",
        window: Window::Lines {
            before: 2,
            after: 2,
        },
        validate: Some(validate::aws_secret_shape),
        redact: Redact::Prefix(2),
        ..BASE
    },
    Rule {
        id: "onepassword-service-account-token",
        description: "1Password service-account token (ops_eyJ…)",
        keywords: &["ops_eyJ"],
        pattern: r"(?-u)\b(?P<s>ops_eyJ[A-Za-z0-9+/_-]{100,}={0,2})",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "onepassword-secret-key",
        description: "1Password account secret key (A3-XXXXXX-…)",
        keywords: &["A3-"],
        pattern: r"(?-u)\b(?P<s>A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})\b",
        validate: Some(validate::random_token),
        redact: Redact::Prefix(3),
        ..BASE
    },
    Rule {
        id: "azure-storage-key",
        description: "Azure storage account key or shared access key (AccountKey=, SharedAccessKey=) in a connection string",
        keywords: &["accountkey", "sharedaccesskey"],
        keywords_case_sensitive: false,
        pattern: r#"(?-u)(?i:AccountKey|SharedAccessKey)["']?\s*[=:]\s*["']?(?P<s>[A-Za-z0-9+/]{43}=|[A-Za-z0-9+/]{86}==)"#,
        validate: Some(validate::azure_key),
        redact: Redact::Label("Azure storage key"),
        ..BASE
    },
    Rule {
        id: "azure-ad-client-secret",
        description: "Microsoft Entra ID (Azure AD) client secret (…Q~…)",
        keywords: &["Q~"],
        pattern: r#"(?-u)(?:^|[\\'"`\s>=:(,)])(?P<s>[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})(?:$|[\\'"`\s<),])"#,
        validate: Some(validate::random_token),
        redact: Redact::Label("Azure AD client secret"),
        ..BASE
    },
    Rule {
        id: "mailchimp-api-key",
        description: "Mailchimp API key (32 hex digits and a datacenter, -us12)",
        keywords: &["-us"],
        pattern: r"(?-u)\b(?P<s>[0-9a-f]{32}-us[0-9]{1,2})\b",
        validate: Some(validate::hex_random),
        redact: Redact::Label("Mailchimp API key"),
        ..BASE
    },
    Rule {
        id: "npm-registry-credential",
        description: "Registry credential in an .npmrc or .yarnrc (_authToken, _auth, _password)",
        keywords: &["_authToken", "_auth", "_password", "npmAuthToken"],
        // npm's keys are exact and stand alone (`//host/:_authToken=`, `_auth=` at the start
        // of a line); `DB_PASSWORD=` is an ordinary assignment for the generic rule.
        pattern: r#"(?-u)(?m:^|[:\s"'])(?:_authToken|_auth|_password|npmAuthToken)["']?\s*[=:]\s*["']?(?P<s>[A-Za-z0-9._~+/=-]{8,})"#,
        validate: Some(validate::config_credential),
        redact: Redact::Label("registry credential"),
        ..BASE
    },
    Rule {
        id: "http-basic-auth",
        description: "HTTP basic credentials in an Authorization header (Basic base64(user:password))",
        keywords: &["basic"],
        keywords_case_sensitive: false,
        pattern: r"(?-u)\b(?i:basic)\s+(?P<s>[A-Za-z0-9+/]{8,}={0,2})(?:[^A-Za-z0-9+/=]|$)",
        validate: Some(validate::basic_auth_header),
        redact: Redact::Label("basic auth credentials"),
        ..BASE
    },
    Rule {
        id: "curl-user-password",
        description: "Credentials on a curl command line (-u user:password, --user)",
        keywords: &["curl"],
        keywords_case_sensitive: false,
        pattern: r#"(?-u)(?:^|\s)(?:-u|--user)(?:\s+|=)["']?(?P<s>[^\s"':$][^\s"':]*["']?:["']?[^\s"']*|:[^\s"']+)"#,
        window: Window::Lines {
            before: 0,
            after: 6,
        },
        validate: Some(validate::curl_user),
        redact: Redact::Label("curl credentials"),
        ..BASE
    },
    Rule {
        id: "netrc-password",
        description: "Password in a .netrc entry (machine … login … password …)",
        keywords: &["machine"],
        pattern: r"(?-u)\bmachine\s+\S+\s+(?:login\s+\S+\s+)?password\s+(?P<s>\S+)",
        window: Window::Lines {
            before: 0,
            after: 3,
        },
        validate: Some(validate::config_credential),
        redact: Redact::Label("netrc password"),
        ..BASE
    },
    Rule {
        id: "redis-password",
        description: "Password in a Redis configuration (requirepass, masterauth)",
        keywords: &["requirepass", "masterauth"],
        pattern: r"(?-u)(?m:^)[ \t]*(?:requirepass|masterauth)[ \t]+(?P<s>[^\s#]+)",
        validate: Some(validate::config_credential),
        redact: Redact::Label("Redis password"),
        ..BASE
    },
    Rule {
        id: "databricks-token",
        description: "Databricks personal access token (dapi + 32 hex)",
        keywords: &["dapi"],
        pattern: r"(?-u)\b(?P<s>dapi[0-9a-fA-F]{32}(?:-[0-9])?)\b",
        validate: Some(validate::random_body),
        ..BASE
    },
    Rule {
        id: "docker-pat",
        description: "Docker Hub personal access token (dckr_pat_)",
        keywords: &["dckr_pat_"],
        pattern: r"(?-u)\b(?P<s>dckr_pat_[A-Za-z0-9_-]{27,})",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "figma-token",
        description: "Figma personal access token (figd_)",
        keywords: &["figd_"],
        pattern: r"(?-u)\b(?P<s>figd_[A-Za-z0-9_-]{40,})",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "linear-api-key",
        description: "Linear API key (lin_api_)",
        keywords: &["lin_api_"],
        pattern: r"(?-u)\b(?P<s>lin_api_[A-Za-z0-9]{40})\b",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "notion-token",
        description: "Notion integration token (ntn_)",
        keywords: &["ntn_"],
        pattern: r"(?-u)\b(?P<s>ntn_[0-9]{11}[A-Za-z0-9]{35})\b",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "tailscale-key",
        description: "Tailscale key (tskey-api-, tskey-auth-, tskey-client-, …)",
        keywords: &["tskey-"],
        pattern: r"(?-u)\b(?P<s>tskey-(?:api|auth|client|scim|webhook)-[A-Za-z0-9]{8,}-[A-Za-z0-9]{16,})\b",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "vercel-token",
        description: "Vercel token (vcp_, vci_, vca_, vcr_, vck_)",
        keywords: &["vcp_", "vci_", "vca_", "vcr_", "vck_"],
        pattern: r"(?-u)\b(?P<s>vc[pikrca]_[A-Za-z0-9]{40,})\b",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "sentry-token",
        description: "Sentry organization or user auth token (sntrys_, sntryu_)",
        keywords: &["sntrys_", "sntryu_"],
        pattern: r"(?-u)\b(?P<s>sntrys_eyJ[A-Za-z0-9+/=_-]{60,}|sntryu_[0-9a-f]{64}\b)",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "postman-api-key",
        description: "Postman API key (PMAK-)",
        keywords: &["PMAK-"],
        pattern: r"(?-u)\b(?P<s>PMAK-[0-9a-fA-F]{24}-[0-9a-fA-F]{34})\b",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "sourcegraph-token",
        description: "Sourcegraph access token (sgp_)",
        keywords: &["sgp_"],
        pattern: r"(?-u)\b(?P<s>sgp_(?:[0-9a-fA-F]{16}_)?[0-9a-fA-F]{40})\b",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "pulumi-token",
        description: "Pulumi access token (pul-)",
        keywords: &["pul-"],
        pattern: r"(?-u)\b(?P<s>pul-[0-9a-f]{40})\b",
        validate: Some(validate::random_body),
        ..BASE
    },
    Rule {
        id: "shopify-token",
        description: "Shopify access token or shared secret (shpat_, shpca_, shppa_, shpss_)",
        keywords: &["shpat_", "shpca_", "shppa_", "shpss_"],
        pattern: r"(?-u)\b(?P<s>shp(?:at|ca|pa|ss)_[0-9a-fA-F]{32})\b",
        validate: Some(validate::random_body),
        ..BASE
    },
    Rule {
        id: "easypost-api-key",
        description: "EasyPost API key (EZAK, EZTK)",
        keywords: &["EZAK", "EZTK"],
        pattern: r"(?-u)\b(?P<s>EZ[AT]K[A-Za-z0-9]{54})\b",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "square-token",
        description: "Square access token or OAuth secret (sq0atp-, sq0csp-)",
        keywords: &["sq0atp-", "sq0csp-"],
        pattern: r"(?-u)\b(?P<s>sq0(?:atp|csp)-[0-9A-Za-z_-]{22,43})",
        validate: Some(validate::random_body),
        ..BASE
    },
    Rule {
        id: "frameio-token",
        description: "Frame.io API token (fio-u-)",
        keywords: &["fio-u-"],
        pattern: r"(?-u)\b(?P<s>fio-u-[A-Za-z0-9_=-]{64})",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "flyio-token",
        description: "Fly.io access token (fo1_, fm1r_, fm2_)",
        keywords: &["fo1_", "fm1", "fm2_"],
        pattern: r"(?-u)\b(?P<s>fo1_[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3})",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "facebook-access-token",
        description: "Facebook (Meta) access token (EAAC…, EAAM…)",
        keywords: &["EAAC", "EAAM", "EAAG", "EAAB"],
        // Not inside a base64 blob (a `+` or `/` before or after): long alphanumeric
        // runs starting with `EAA` occur in encoded binary data.
        pattern: r"(?-u)(?:^|[^A-Za-z0-9+/])(?P<s>EAA[BCGM][A-Za-z0-9]{80,})(?:[^A-Za-z0-9+/=]|$)",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "telegram-bot-token",
        description: "Telegram bot token (bot id:AA…)",
        keywords: &[":AA"],
        pattern: r"(?-u)\b(?P<s>[0-9]{8,10}:AA[0-9A-Za-z_-]{33})(?:[^0-9A-Za-z_-]|$)",
        validate: Some(validate::random_token),
        redact: Redact::Label("Telegram bot token"),
        ..BASE
    },
    Rule {
        id: "sendinblue-api-key",
        description: "Brevo (Sendinblue) API key (xkeysib-)",
        keywords: &["xkeysib-"],
        pattern: r"(?-u)\b(?P<s>xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16})\b",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "doppler-token",
        description: "Doppler token (dp.pt., dp.st., dp.sa., dp.ct., dp.scim.)",
        keywords: &["dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim."],
        pattern: r"(?-u)\b(?P<s>dp\.(?:pt|st|sa|ct|scim)\.[A-Za-z0-9]{40,44})\b",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "grafana-token",
        description: "Grafana Cloud or service-account token (glc_, glsa_)",
        keywords: &["glc_", "glsa_"],
        pattern: r"(?-u)\b(?P<s>glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "heroku-api-key",
        description: "Heroku platform API key (HRKU-)",
        keywords: &["HRKU-"],
        pattern: r"(?-u)\b(?P<s>HRKU-AA[0-9A-Za-z_-]{58})",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "huggingface-org-token",
        description: "Hugging Face organization API token (api_org_)",
        keywords: &["api_org_"],
        pattern: r"(?-u)\b(?P<s>api_org_[A-Za-z]{34})\b",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "planetscale-token",
        description: "PlanetScale token or password (pscale_tkn_, pscale_pw_, pscale_oauth_)",
        keywords: &["pscale_"],
        pattern: r"(?-u)\b(?P<s>pscale_(?:tkn|pw|oauth)_[A-Za-z0-9=._-]{32,64})",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "artifactory-token",
        description: "JFrog Artifactory API key or reference token (AKCp…, cmVmd…)",
        keywords: &["AKCp", "cmVmd"],
        pattern: r"(?-u)(?:^|[^A-Za-z0-9+/])(?P<s>AKCp[A-Za-z0-9]{69}|cmVmd[A-Za-z0-9]{59})(?:[^A-Za-z0-9+/=]|$)",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "atlassian-api-token",
        description: "Atlassian API token (ATATT3…)",
        keywords: &["ATATT3"],
        pattern: r"(?-u)\b(?P<s>ATATT3[A-Za-z0-9_=-]{186})",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "dynatrace-token",
        description: "Dynatrace API token (dt0c01.)",
        keywords: &["dt0c01."],
        pattern: r"(?-u)\b(?P<s>dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64})\b",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "duffel-token",
        description: "Duffel API token (duffel_live_, duffel_test_)",
        keywords: &["duffel_"],
        pattern: r"(?-u)\b(?P<s>duffel_(?:test|live)_[A-Za-z0-9_=-]{43})",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "contentful-token",
        description: "Contentful personal access token (CFPAT-)",
        keywords: &["CFPAT-"],
        pattern: r"(?-u)\b(?P<s>CFPAT-[A-Za-z0-9_=-]{43})",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "flutterwave-secret-key",
        description: "Flutterwave secret key (FLWSECK-, FLWSECK_TEST-)",
        keywords: &["FLWSECK"],
        pattern: r"(?-u)\b(?P<s>FLWSECK(?:_TEST)?-[a-h0-9]{32}-X)",
        validate: Some(validate::random_body),
        ..BASE
    },
    Rule {
        id: "shippo-token",
        description: "Shippo API token (shippo_live_, shippo_test_)",
        keywords: &["shippo_"],
        pattern: r"(?-u)\b(?P<s>shippo_(?:live|test)_[a-f0-9]{40})\b",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "clojars-token",
        description: "Clojars deploy token (CLOJARS_)",
        keywords: &["CLOJARS_"],
        pattern: r"(?-u)\b(?P<s>CLOJARS_[a-z0-9]{60})\b",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "adobe-client-secret",
        description: "Adobe client secret (p8e-)",
        keywords: &["p8e-"],
        pattern: r"(?-u)\b(?P<s>p8e-[A-Za-z0-9]{32})\b",
        validate: Some(validate::random_body),
        ..BASE
    },
    Rule {
        id: "intra42-client-secret",
        description: "42 intranet (intra42) client secret (s-s4t2ud-, s-s4t2af-)",
        keywords: &["s-s4t2"],
        pattern: r"(?-u)\b(?P<s>s-s4t2(?:ud|af)-[a-f0-9]{64})\b",
        validate: Some(validate::random_token),
        ..BASE
    },
    Rule {
        id: "kubernetes-secret",
        description: "Kubernetes Secret manifest with literal data (base64 is an encoding, not encryption)",
        keywords: &["kind:"],
        keywords_case_sensitive: false,
        pattern: r#"(?-u)(?im:^[ \t]*kind:[ \t]*["']?secret["']?[ \t]*(?:#.*)?$)"#,
        window: Window::File,
        validate: Some(validate::kubernetes_secret_data),
        redact: Redact::Label("Kubernetes Secret data"),
        ..BASE
    },
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
        pattern: r#"(?-u)(?P<k>[A-Za-z0-9_.$-]*(?i:pass|secret|token|api[_.-]?key|access[_.-]?key|auth|credential|private[_.-]?key|signing[_.-]?key|encryption[_.-]?key|master[_.-]?key)[A-Za-z0-9_.-]*)(?:["'\]]{0,2}[ \t]*(?::?[ \t]*(?:string|String|str)[ \t]*)?(?::::=|::=|\?\?=|\|\|=|:=|=>|[?.+]=|=|:)[ \t]*(?P<q>["'`])?|["'][ \t]*,[ \t]*(?P<c>["'`]))(?:(?i:bearer|basic|token)[ \t]+)?(?P<s>[^\s"'`;,(){}\[\]<>=:\\][^\s"'`;,(){}\[\]<>\\]{11,})"#,
        matcher: Matcher::Assignment,
        validate: Some(validate::generic_assignment),
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
