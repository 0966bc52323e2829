//! Renderings of an environment for platforms that read secrets their own way: a Kubernetes
//! Secret manifest, GitHub Actions' `$GITHUB_ENV` file, docker's `--env-file` and a direnv
//! `.envrc` fragment. (dotenv and shell live in [`crate::dotenv`].) Every function here
//! returns plaintext; callers decide where it goes. No filesystem access.

use std::fmt::Write as _;

use base64::Engine as _;

/// Why a Kubernetes name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid Kubernetes {what}: {rule}")]
pub struct InvalidK8sName {
    /// "Secret name" or "namespace".
    pub what: &'static str,
    /// The value given.
    pub value: String,
    /// The rule it breaks.
    pub rule: &'static str,
}

fn dns_name(value: &str, max: usize, dots: bool) -> bool {
    let parts: Vec<&str> = if dots {
        value.split('.').collect()
    } else {
        vec![value]
    };
    value.len() <= max
        && parts.iter().all(|part| {
            !part.is_empty()
                && part.len() <= 63
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// Checks a Secret name (DNS-1123 subdomain) and namespace (DNS-1123 label).
///
/// # Errors
/// The first name that breaks its rule.
pub fn check_k8s_names(name: &str, namespace: Option<&str>) -> Result<(), InvalidK8sName> {
    if !dns_name(name, 253, true) {
        return Err(InvalidK8sName {
            what: "Secret name",
            value: name.to_owned(),
            rule: "lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit, at most 253 characters",
        });
    }
    if let Some(ns) = namespace
        && !dns_name(ns, 63, false)
    {
        return Err(InvalidK8sName {
            what: "namespace",
            value: ns.to_owned(),
            rule: "lowercase letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters",
        });
    }
    Ok(())
}

/// Why a value cannot be written to a docker `--env-file`. Names the secret, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}`: {reason}")]
pub struct DockerEnvRefused {
    /// The secret.
    pub name: String,
    /// Why docker would misread it.
    pub reason: &'static str,
}

/// The longest line docker reads from an env file: it scans lines with Go's
/// `bufio.Scanner`, whose buffer (line plus newline) stops at 64 KiB.
const DOCKER_MAX_LINE: usize = 64 * 1024 - 1;

/// `NAME=value` lines for `docker run --env-file` (and compose's `env_file` with
/// `format: raw`). Docker's parser takes everything after the first `=` literally, with no
/// quotes, escapes or expansion, and ends a value at the line break; so a value holding a
/// line break (or a carriage return, which its line scanner drops at the end of a line)
/// cannot be written, nor one longer than the scanner's line limit. Nothing else needs
/// care: leading whitespace and `#` only matter at the start of a line, which is the name.
///
/// # Errors
/// Every refused secret, by name, in the order given; nothing is rendered then.
pub fn docker_env_file(pairs: &[(&str, &str)]) -> Result<String, Vec<DockerEnvRefused>> {
    let refused: Vec<DockerEnvRefused> = pairs
        .iter()
        .filter_map(|(name, value)| {
            let reason = if value.contains('\n') {
                "it spans several lines, and docker env files have no way to write a line break"
            } else if value.contains('\r') {
                "it contains a carriage return, which docker drops or misreads"
            } else if name.len() + 1 + value.len() > DOCKER_MAX_LINE {
                "it is longer than the 64 KiB line docker reads"
            } else {
                return None;
            };
            Some(DockerEnvRefused {
                name: (*name).to_owned(),
                reason,
            })
        })
        .collect();
    if !refused.is_empty() {
        return Err(refused);
    }
    let mut out = String::with_capacity(pairs.iter().map(|(n, v)| n.len() + v.len() + 2).sum());
    for (name, value) in pairs {
        let _ = writeln!(out, "{name}={value}");
    }
    Ok(out)
}

/// An `.envrc` fragment for direnv: `export` lines (single-quoted, so nothing in a value is
/// expanded), then `watch_file` for each of `watched`, so direnv loads again when a pull
/// changes the environment's file, its recipients or the roster.
#[must_use]
pub fn direnv(pairs: &[(&str, &str)], watched: &[&std::path::Path]) -> String {
    let mut out = crate::dotenv::render_shell(pairs);
    for path in watched {
        let text = path.to_string_lossy();
        let _ = writeln!(out, "watch_file {}", crate::dotenv::single_quoted(&text));
    }
    out
}

/// A YAML double-quoted scalar. Escapes everything a YAML 1.1 or 1.2 parser could read as
/// a line break or markup, so any value round-trips exactly.
#[must_use]
pub fn yaml_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20
                || c == '\u{7f}'
                || ('\u{80}'..='\u{9f}').contains(&c)
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A `v1/Secret` manifest holding `pairs`, as `stringData` or, with `base64`, as `data`.
#[must_use]
pub fn k8s_secret(
    env: &str,
    name: &str,
    namespace: Option<&str>,
    pairs: &[(&str, &str)],
    base64: bool,
) -> String {
    let mut out = String::with_capacity(
        512 + pairs
            .iter()
            .map(|(k, v)| k.len() + v.len() * 2 + 8)
            .sum::<usize>(),
    );
    let _ = writeln!(
        out,
        "# Generated by `vault export {env} --format k8s`. It contains plaintext secrets:\n# pipe it to `kubectl apply -f -` or a sealing tool; do not commit it."
    );
    out.push_str("apiVersion: v1\nkind: Secret\nmetadata:\n");
    let _ = writeln!(out, "  name: {}", yaml_quote(name));
    if let Some(ns) = namespace {
        let _ = writeln!(out, "  namespace: {}", yaml_quote(ns));
    }
    out.push_str("  labels:\n    app.kubernetes.io/managed-by: \"vault\"\n");
    let _ = writeln!(
        out,
        "  annotations:\n    vault.environment: {}",
        yaml_quote(env)
    );
    out.push_str("type: Opaque\n");
    if pairs.is_empty() {
        out.push_str(if base64 {
            "data: {}\n"
        } else {
            "stringData: {}\n"
        });
        return out;
    }
    out.push_str(if base64 { "data:\n" } else { "stringData:\n" });
    for (key, value) in pairs {
        let rendered = if base64 {
            let encoded = zeroize::Zeroizing::new(
                base64::engine::general_purpose::STANDARD.encode(value.as_bytes()),
            );
            yaml_quote(&encoded)
        } else {
            yaml_quote(value)
        };
        let rendered = zeroize::Zeroizing::new(rendered);
        let _ = writeln!(out, "  {key}: {}", *rendered);
    }
    out
}

/// What `--format github-env` produces: `::add-mask::` commands for the log (so the runner
/// hides every line of every value), and the block to append to `$GITHUB_ENV`.
pub struct GithubEnv {
    /// Lines for stdout.
    pub masks: String,
    /// Text for the `$GITHUB_ENV` file.
    pub env_file: String,
}

impl std::fmt::Debug for GithubEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GithubEnv { .. }")
    }
}

impl Drop for GithubEnv {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.masks);
        zeroize::Zeroize::zeroize(&mut self.env_file);
    }
}

/// Renders `pairs` for GitHub Actions. Every value uses the multi-line `NAME<<DELIMITER`
/// form with a delimiter that does not occur in it, so no value can inject another
/// variable. `nonce` seeds the delimiter (any unpredictable number).
#[must_use]
pub fn github_env(pairs: &[(&str, &str)], nonce: u64) -> GithubEnv {
    let mut masks = String::new();
    let mut env_file = String::new();
    for (index, (key, value)) in pairs.iter().enumerate() {
        // The runner reads a step's output with .NET's ReadLine, which ends a line at a
        // lone `\r` too: split there as well, or the rest of the line after a `\r` would
        // be printed as plain log text, unmasked (and the mask would never match).
        for line in value
            .split(['\n', '\r'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            // Workflow commands unescape `%25`, `%0D` and `%0A` in their data.
            let _ = writeln!(masks, "::add-mask::{}", line.replace('%', "%25"));
        }
        let mut delimiter = format!("VAULT_EOF_{nonce:016x}_{index}");
        while value.contains(&delimiter) {
            delimiter.push('_');
        }
        let _ = write!(env_file, "{key}<<{delimiter}\n{value}\n{delimiter}\n");
    }
    GithubEnv { masks, env_file }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Parses `$GITHUB_ENV` text the way the runner does (heredoc entries only).
    fn parse_github_env(text: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut lines = text.split('\n');
        while let Some(line) = lines.next() {
            let Some((name, delimiter)) = line.split_once("<<") else {
                continue;
            };
            let body: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            out.push((name.to_owned(), body.join("\n")));
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn yaml_quoted_values_parse_back_exactly(value in any::<String>()) {
            let doc = format!("k: {}\n", yaml_quote(&value));
            let parsed = yaml_rust2::YamlLoader::load_from_str(&doc).unwrap();
            prop_assert_eq!(parsed[0]["k"].as_str(), Some(value.as_str()));
        }

        #[test]
        fn github_env_values_round_trip_and_cannot_inject(
            values in proptest::collection::vec(any::<String>(), 1..4),
            nonce in any::<u64>(),
        ) {
            let names: Vec<String> = (0..values.len()).map(|i| format!("V{i}")).collect();
            let pairs: Vec<(&str, &str)> =
                names.iter().map(String::as_str).zip(values.iter().map(String::as_str)).collect();
            let rendered = github_env(&pairs, nonce);
            let parsed = parse_github_env(&rendered.env_file);
            let expected: Vec<(String, String)> =
                pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
            prop_assert_eq!(parsed, expected);
        }
    }

    /// Parses an env file the way docker's `ParseKeyValueFile` does.
    fn parse_docker_env(text: &str) -> Vec<(String, String)> {
        text.lines()
            .map(|l| l.trim_start())
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (k, v) = l.split_once('=').unwrap();
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    #[test]
    fn docker_env_file_is_literal_and_refuses_line_breaks_by_name() {
        let pairs = [
            ("A", " leading and trailing "),
            ("B", "#not-a-comment 'quoted' \"dq\" $HOME \\n"),
            ("C", ""),
            ("D", "a=b=c"),
        ];
        let text = docker_env_file(&pairs).unwrap();
        let parsed = parse_docker_env(&text);
        let expected: Vec<(String, String)> = pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(parsed, expected);

        let long = "x".repeat(DOCKER_MAX_LINE);
        let refused = docker_env_file(&[
            ("OK", "fine"),
            ("PEM", "line one canary\nline two"),
            ("CR", "value-canary\r"),
            ("LONG", &long),
        ])
        .unwrap_err();
        let names: Vec<&str> = refused.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["PEM", "CR", "LONG"]);
        for r in &refused {
            assert!(r.to_string().starts_with(&format!("`{}`: ", r.name)), "{r}");
            assert!(!r.to_string().contains("canary"), "{r}");
        }
    }

    #[test]
    fn direnv_exports_and_watches_the_files() {
        let out = direnv(
            &[("A", "it's $x")],
            &[
                std::path::Path::new("/r/secrets/dev.age"),
                std::path::Path::new("/r o/it's/.vault.toml"),
            ],
        );
        assert_eq!(
            out,
            "export A='it'\\''s $x'\nwatch_file '/r/secrets/dev.age'\nwatch_file '/r o/it'\\''s/.vault.toml'\n"
        );
    }

    #[test]
    fn k8s_names_follow_dns_rules() {
        assert!(check_k8s_names("app-secrets.v1", Some("prod")).is_ok());
        for bad in ["", "App", "-a", "a-", "a_b", "a..b", &"a".repeat(254)] {
            assert!(check_k8s_names(bad, None).is_err(), "{bad:?}");
        }
        assert!(check_k8s_names("ok", Some("a.b")).is_err());
        assert!(check_k8s_names("ok", Some(&"a".repeat(64))).is_err());
    }

    #[test]
    fn yaml_quoting_escapes_breaks_and_markup() {
        assert_eq!(yaml_quote("plain"), "\"plain\"");
        assert_eq!(yaml_quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(yaml_quote("x\u{2028}y\u{1}"), "\"x\\u2028y\\u0001\"");
        assert_eq!(yaml_quote("é: #{}"), "\"é: #{}\"");
    }

    #[test]
    fn github_env_masks_each_part_of_a_line_broken_by_a_carriage_return() {
        let out = github_env(&[("A", "first\rsecond\r\nthird")], 1);
        assert_eq!(
            out.masks,
            "::add-mask::first\n::add-mask::second\n::add-mask::third\n"
        );
        assert!(!out.masks.contains('\r'));
    }

    #[test]
    fn github_env_masks_every_line_and_fences_values() {
        let out = github_env(
            &[("A", "one\ntwo%"), ("B", "VAULT_EOF_0000000000000007_1")],
            7,
        );
        assert_eq!(
            out.masks,
            "::add-mask::one\n::add-mask::two%25\n::add-mask::VAULT_EOF_0000000000000007_1\n"
        );
        assert!(out.env_file.starts_with(
            "A<<VAULT_EOF_0000000000000007_0\none\ntwo%\nVAULT_EOF_0000000000000007_0\n"
        ));
        assert!(
            out.env_file.contains("B<<VAULT_EOF_0000000000000007_1_\n"),
            "{}",
            out.env_file
        );
    }
}
