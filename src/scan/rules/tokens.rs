//! Cloud and SaaS tokens with a published prefix or a checksum: AWS, GitHub,
//! GitLab, Slack, Stripe, OpenAI, npm, PyPI, Google, JWT.

use crate::scan::validate;

use super::{BASE, Class, Redact, Rule, Window};

pub(super) const RULES: &[Rule] = &[
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
        validate: Some(validate::openai_key),
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
        description: "JSON Web Token, signed or not (header and payload decode to JSON objects)",
        keywords: &["eyJ"],
        // The signature is optional: an unsigned (`alg: none`) or stripped token still
        // carries its claims, and servers that accept `none` take it as it is.
        pattern: r"(?-u)\b(?P<s>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]{16,})?)",
        validate: Some(validate::jwt),
        redact: Redact::Prefix(3),
        ..BASE
    },
    Rule {
        id: "jwe",
        description: "JSON Web Encryption token (five parts; the header names `alg` and `enc`)",
        keywords: &["eyJ"],
        // Header, encrypted key (empty for direct encryption), IV, ciphertext, tag.
        pattern: r"(?-u)\b(?P<s>eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{0,2048}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})",
        validate: Some(validate::jwe),
        redact: Redact::Prefix(3),
        ..BASE
    },
    Rule {
        id: "hashicorp-vault-unseal-key",
        description: "HashiCorp Vault or OpenBao unseal key (`Unseal Key N:` output, `vault operator unseal KEY`)",
        keywords: &["unseal"],
        keywords_case_sensitive: false,
        pattern: r"(?-u)(?i:unseal key [0-9]{1,2}:|operator unseal(?:[ \t]+-\S+)*)[ \t]+(?P<s>[A-Za-z0-9+/]{43,44}={0,2})(?:[^A-Za-z0-9+/=]|$)",
        validate: Some(validate::unseal_key),
        redact: Redact::Label("unseal key"),
        ..BASE
    },
    Rule {
        id: "azure-devops-legacy-pat",
        description: "Azure DevOps personal access token (52 base32 characters under an Azure DevOps name)",
        class: Class::Heuristic,
        keywords: &["devops", "vsts", "azdo", "ado"],
        keywords_case_sensitive: false,
        pattern: r#"(?-u)(?P<k>[\w.-]*(?i:devops|vsts|azdo|ado)[\w.-]*)["'\]]{0,2}[ \t]*(?::=|=>|=|:)[ \t]*["'`]?(?P<s>[a-z2-7]{52})(?:[^A-Za-z0-9]|$)"#,
        validate: Some(validate::entropy_35),
        redact: Redact::KeyName,
        ..BASE
    },
    Rule {
        id: "code-credential-literal",
        description: "Password passed as a string literal to a credential constructor (.NET NetworkCredential, DirectoryEntry)",
        class: Class::Heuristic,
        keywords: &["networkcredential(", "directoryentry("],
        keywords_case_sensitive: false,
        pattern: r#"(?-u)(?i:NetworkCredential\(\s*"[^"\r\n]*"|DirectoryEntry\(\s*"[^"\r\n]*"\s*,\s*"[^"\r\n]*")\s*,\s*"(?P<s>[^"\r\n]{6,128})""#,
        window: Window::Lines {
            before: 0,
            after: 3,
        },
        validate: Some(validate::assigned_password),
        redact: Redact::Label("credential constructor password"),
        ..BASE
    },
];
