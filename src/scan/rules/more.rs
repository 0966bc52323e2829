//! Provider tokens with a published prefix that gitleaks' default rule set
//! lacks, from the families secretlint and trufflehog detect (the formats are
//! the providers' own documentation; the regexes are vault's). Same shape as
//! `prefixed.rs`, and tested the same way (`ported_tests.rs`).

use crate::scan::validate;

use super::{Rule, prefixed};

pub(super) const RULES: &[Rule] = &[
    prefixed(
        "groq-api-key",
        "Groq API key (gsk_)",
        &["gsk_"],
        r"(?-u)\b(?P<s>gsk_[A-Za-z0-9]{52})\b",
        validate::random_token,
    ),
    prefixed(
        "xai-api-key",
        "xAI API key (xai-)",
        &["xai-"],
        r"(?-u)\b(?P<s>xai-[A-Za-z0-9]{80})\b",
        validate::random_token,
    ),
    prefixed(
        "replicate-api-token",
        "Replicate API token (r8_)",
        &["r8_"],
        r"(?-u)\b(?P<s>r8_[A-Za-z0-9]{37})\b",
        validate::random_token,
    ),
    prefixed(
        "supabase-access-token",
        "Supabase personal access token (sbp_)",
        &["sbp_"],
        r"(?-u)\b(?P<s>sbp_[a-f0-9]{40})\b",
        validate::entropy_3,
    ),
    prefixed(
        "langsmith-api-key",
        "LangSmith API key or personal access token (lsv2_pt_, lsv2_sk_)",
        &["lsv2_"],
        r"(?-u)\b(?P<s>lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})\b",
        validate::entropy_3,
    ),
    prefixed(
        "stripe-webhook-secret",
        "Stripe webhook signing secret (whsec_)",
        &["whsec_"],
        r"(?-u)\b(?P<s>whsec_[A-Za-z0-9+/]{32,64}={0,2})(?:[^A-Za-z0-9+/=]|$)",
        validate::random_token,
    ),
    prefixed(
        "render-api-key",
        "Render API key (rnd_)",
        &["rnd_"],
        r"(?-u)\b(?P<s>rnd_[A-Za-z0-9]{32})\b",
        validate::random_token,
    ),
    prefixed(
        "neon-api-key",
        "Neon API key (napi_)",
        &["napi_"],
        r"(?-u)\b(?P<s>napi_[a-z0-9]{64})\b",
        validate::entropy_3,
    ),
    // ---- families Nosey Parker's rule set documents (issue 15, tune split) ----
    prefixed(
        "adafruit-io-key",
        "Adafruit IO key (aio_)",
        &["aio_"],
        r"(?-u)\b(?P<s>aio_[A-Za-z0-9]{28})\b",
        validate::random_token,
    ),
    // Microsoft's identifiable keys: 84 characters, the fixed signature `JQQJ9` at 52
    // and the service's tag at 76 (`AZDO` for Azure DevOps). Both are structure checks.
    prefixed(
        "azure-devops-pat",
        "Azure DevOps personal access token (identifiable, …JQQJ9…AZDO…)",
        &["azdo"],
        r"(?-u)\b(?P<s>[A-Za-z0-9]{52}JQQJ9[A-Za-z0-9]{19}AZDO[A-Za-z0-9]{4})\b",
        validate::random_token,
    ),
    prefixed(
        "dependency-track-api-key",
        "OWASP Dependency-Track API key (odt_)",
        &["odt_"],
        r"(?-u)\b(?P<s>odt_[A-Za-z0-9]{32,40})\b",
        validate::random_token,
    ),
    prefixed(
        "google-oauth-access-token",
        "Google OAuth 2.0 access token (ya29.)",
        &["ya29."],
        r"(?-u)\b(?P<s>ya29\.[0-9A-Za-z_-]{30,1024})",
        validate::random_token,
    ),
    prefixed(
        "microsoft-teams-legacy-webhook",
        "Microsoft Teams incoming webhook (outlook.office.com/webhook/)",
        &["outlook.office"],
        r"(?-u)https://outlook\.office(?:365)?\.com/webhook/[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}@[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}/IncomingWebhook/(?P<s>[0-9a-f]{32})/[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}",
        validate::hex_random,
    ),
    prefixed(
        "new-relic-admin-key",
        "New Relic admin API key (NRAA-)",
        &["nraa-"],
        r"(?-u)\b(?P<s>NRAA-[a-f0-9]{27})\b",
        validate::entropy_3,
    ),
    prefixed(
        "nuget-api-key",
        "NuGet.org API key (oy2)",
        &["oy2"],
        r"(?-u)\b(?P<s>oy2[a-z0-9]{43})\b",
        validate::entropy_35,
    ),
    prefixed(
        "tavily-api-key",
        "Tavily API key (tvly-)",
        &["tvly-"],
        r"(?-u)\b(?P<s>tvly-(?:dev-|prod-)?[A-Za-z0-9]{32})\b",
        validate::random_token,
    ),
    prefixed(
        "twitch-stream-key",
        "Twitch stream key (live_<user id>_)",
        &["live_"],
        r"(?-u)\b(?P<s>live_[0-9]{6,12}_[A-Za-z0-9]{30})\b",
        validate::random_token,
    ),
];
