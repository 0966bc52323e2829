//! Provider tokens ported from gitleaks', secretlint's and detect-secrets' rule
//! sets: each has a published prefix or structure; the validator rejects
//! placeholders and, where the format has one, checks the structure.

use crate::scan::validate;

use super::{BASE, Class, Redact, Rule, Window};

pub(super) const RULES: &[Rule] = &[
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
        id: "cli-password-argument",
        description: "Password, token or API key given as a command-line option (--password=…, -Password …, --api-key …)",
        class: Class::Heuristic,
        keywords: &[
            "-password",
            "-passwd",
            "-pass ",
            "-pass=",
            "-token",
            "-secret",
            "-api-key",
            "-apikey",
            "--from-literal=",
        ],
        keywords_case_sensitive: false,
        // Long options only: `-p` is a port as often as a password (the tools where it is
        // not are `password-p-option`). The option name must end where the value starts
        // (`--password-stdin`, `--token-file` are other options). `kubectl create secret
        // --from-literal=password=…` puts the value after a secret-named key.
        pattern: r#"(?-u)(?:(?:^|[\s(\[,])--?(?i:(?:[a-z]+-)?(?:password|passwd|pass|token|secret|api-?key))(?:=|[ \t]+)|--from-literal=[\w.-]*(?i:password|passwd|pass|token|secret|api[-_]?key)[\w.-]*=)(?P<q>["'])?(?P<s>[^\s"'`$%<{\-\\][^\s"'`\\]{5,127})"#,
        validate: Some(validate::cli_secret_argument),
        redact: Redact::Label("command-line secret"),
        ..BASE
    },
    Rule {
        id: "password-p-option",
        description: "Password given to -p where -p means password (mysql -u root -pPASSWORD, sshpass -p, docker login -p)",
        class: Class::Heuristic,
        keywords: &[
            "mysql", "mariadb", "sshpass", "docker", "podman", "nerdctl", "buildah", "skopeo",
            "helm",
        ],
        keywords_case_sensitive: false,
        // MySQL's clients take the password glued (`-p secret` prompts, and `secret` is
        // then the database); sshpass and the registry logins take it either way.
        pattern: r#"(?-u)(?:\b(?i:mysql(?:dump|admin|import|check)?|mariadb(?:-dump|-admin)?)\b[^\n|;&]*?[ \t]-p|\b(?:sshpass|(?:docker|podman|nerdctl|buildah|skopeo|helm[ \t]+registry)[ \t]+login)\b[^\n|;&]*?[ \t]-p[ \t]*)(?P<q>["'])?(?P<s>[^\s"'`$%<{\-\\][^\s"'`\\]{3,127})"#,
        validate: Some(validate::cli_secret_argument),
        redact: Redact::Label("command-line secret"),
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
        description: "Sourcegraph access token (sgp_, sgp_local_)",
        keywords: &["sgp_"],
        pattern: r"(?-u)\b(?P<s>sgp_(?:[0-9a-fA-F]{16}_|local_)?[0-9a-fA-F]{40})\b",
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
        description: "Doppler token (dp.pt., dp.st., dp.sa., dp.ct., dp.scim., dp.audit.)",
        keywords: &[
            "dp.pt.",
            "dp.st.",
            "dp.sa.",
            "dp.ct.",
            "dp.scim.",
            "dp.audit.",
        ],
        // Service tokens may carry their config's slug: `dp.st.dev.<token>`.
        pattern: r"(?-u)\b(?P<s>dp\.(?:pt|sa|ct|scim|audit|st(?:\.[a-z0-9_-]{1,40})?)\.[A-Za-z0-9]{40,44})\b",
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
        id: "facebook-app-access-token",
        description: "Facebook app access token (app id|app secret) near the word facebook",
        keywords: &["facebook"],
        keywords_case_sensitive: false,
        pattern: r"(?-u)\b(?P<s>[0-9]{15,16}(?:\||%7[Cc])[0-9A-Za-z_-]{27,40})(?:[^0-9A-Za-z_-]|$)",
        window: Window::Lines {
            before: 3,
            after: 3,
        },
        validate: Some(validate::facebook_app_token),
        redact: Redact::Label("Facebook app access token"),
        ..BASE
    },
    Rule {
        id: "discord-bot-token",
        description: "Discord bot token (base64 user id, timestamp and HMAC, dot-separated)",
        // A bot's user id is a decimal snowflake, so its base64 starts with the encoding
        // of a digit: `MT`, `Mj`, … `OT`. The keywords are those pairs.
        keywords: &["MT", "Mj", "Mz", "ND", "NT", "Nj", "Nz", "OD", "OT"],
        pattern: r"(?-u)(?P<s>[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})(?:[^A-Za-z0-9_.-]|$)",
        validate: Some(validate::discord_token),
        redact: Redact::Label("Discord bot token"),
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
];
