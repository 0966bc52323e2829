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
];
