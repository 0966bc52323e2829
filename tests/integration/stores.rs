//! `vault push` to write-only stores, against local fake servers that implement the APIs
//! faithfully enough to check what matters: auth headers, the sealed-box round trip (the
//! fake holds the private key and opens every value with `crypto_box`), pagination, rate
//! limiting and failures mid-plan. Built only with `--features github`.

#[cfg(feature = "github")]
mod github {
    use std::collections::BTreeMap;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use base64::Engine as _;

    use crate::support::{Key, TestRepo, stderr, stdout};

    const TOKEN: &str = "ghp_test-token-9c1d";
    const CANARIES: &[(&str, &str)] = &[
        (
            "DATABASE_URL",
            "postgres://app:canary-db-7f3a9c@db.internal/app",
        ),
        ("API_KEY", "canary-api-key-51d0e2b8"),
        ("MULTI", "canary-line-one\ncanary-line-two"),
    ];

    /// What the fake GitHub holds and how it misbehaves.
    #[derive(Default)]
    struct State {
        /// Secret name → (the value, opened with the private key; `updated_at` tick).
        secrets: BTreeMap<String, (String, u64)>,
        variables: BTreeMap<String, String>,
        clock: u64,
        /// `METHOD path` of every authenticated request.
        log: Vec<String>,
        /// Answer this many requests with 429 and `Retry-After: 0` first.
        throttle: usize,
        /// Answer this many requests with 403 and `x-ratelimit-remaining: 0` first.
        rate_limited: usize,
        /// Fail every secret PUT after this many succeeded.
        puts_before_failure: Option<usize>,
    }

    struct Fake {
        url: String,
        state: Arc<Mutex<State>>,
    }

    impl Fake {
        fn start() -> Self {
            let secret_key = crypto_box::SecretKey::generate(&mut crypto_box::aead::OsRng);
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let state = Arc::new(Mutex::new(State::default()));
            let shared = state.clone();
            let base = url.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { return };
                    serve(stream, &shared, &secret_key, &base);
                }
            });
            Self { url, state }
        }

        fn state(&self) -> std::sync::MutexGuard<'_, State> {
            self.state.lock().unwrap()
        }

        fn values(&self) -> BTreeMap<String, String> {
            self.state()
                .secrets
                .iter()
                .map(|(k, (v, _))| (k.clone(), v.clone()))
                .collect()
        }

        fn writes(&self) -> Vec<String> {
            self.state()
                .log
                .iter()
                .filter(|l| !l.starts_with("GET"))
                .cloned()
                .collect()
        }
    }

    fn serve(
        stream: std::net::TcpStream,
        state: &Mutex<State>,
        key: &crypto_box::SecretKey,
        base: &str,
    ) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        let mut headers = BTreeMap::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((n, v)) = line.split_once(':') {
                headers.insert(n.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        let length = headers
            .get("content-length")
            .map_or(0, |v| v.parse().unwrap());
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap().to_owned();
        let target = parts.next().unwrap().to_owned();
        let (status, extra, reply) = respond(state, key, base, &method, &target, &headers, &body);
        let mut stream = stream;
        let _ = write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{reply}",
            reply.len()
        );
    }

    fn message(text: &str) -> String {
        serde_json::json!({ "message": text }).to_string()
    }

    #[allow(clippy::too_many_lines)]
    fn respond(
        state: &Mutex<State>,
        key: &crypto_box::SecretKey,
        base: &str,
        method: &str,
        target: &str,
        headers: &BTreeMap<String, String>,
        body: &[u8],
    ) -> (&'static str, String, String) {
        let mut st = state.lock().unwrap();
        let authorized = headers.get("authorization").map(String::as_str)
            == Some(&format!("Bearer {TOKEN}"))
            && headers.get("x-github-api-version").map(String::as_str) == Some("2022-11-28")
            && headers.get("accept").map(String::as_str) == Some("application/vnd.github+json")
            && headers.contains_key("user-agent");
        if !authorized {
            return (
                "401 Unauthorized",
                String::new(),
                message("Bad credentials"),
            );
        }
        if st.throttle > 0 {
            st.throttle -= 1;
            return (
                "429 Too Many Requests",
                "Retry-After: 0\r\n".to_owned(),
                message("secondary rate limit"),
            );
        }
        if st.rate_limited > 0 {
            st.rate_limited -= 1;
            return (
                "403 Forbidden",
                "x-ratelimit-remaining: 0\r\nx-ratelimit-reset: 0\r\n".to_owned(),
                message("API rate limit exceeded"),
            );
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        st.log.push(format!("{method} {path}"));
        let scope = [
            "/repos/acme/shop/actions/",
            "/repos/acme/shop/environments/production/",
        ]
        .iter()
        .find_map(|p| path.strip_prefix(p).map(|rest| (*p, rest)));
        let Some((prefix, rest)) = scope else {
            return ("404 Not Found", String::new(), message("Not Found"));
        };
        let query: BTreeMap<&str, &str> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .collect();
        let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        match (method, rest.split('/').collect::<Vec<_>>().as_slice()) {
            ("GET", ["secrets", "public-key"]) => (
                "200 OK",
                String::new(),
                serde_json::json!({
                    "key_id": "kid-1",
                    "key": base64::engine::general_purpose::STANDARD.encode(key.public_key().as_bytes()),
                })
                .to_string(),
            ),
            ("GET", ["secrets"]) => {
                // Pages of at most two, whatever per_page asks, to exercise `Link`.
                let per_page: usize = query["per_page"].parse::<usize>().unwrap().min(2);
                let page: usize = query.get("page").map_or(1, |p| p.parse().unwrap());
                let all: Vec<_> = st.secrets.iter().collect();
                let items: Vec<_> = all
                    .iter()
                    .skip((page - 1) * per_page)
                    .take(per_page)
                    .map(|(name, (_, t))| {
                        serde_json::json!({
                            "name": name,
                            "created_at": "2026-01-01T00:00:00Z",
                            "updated_at": format!("2026-01-01T00:{:02}:{:02}Z", t / 60, t % 60),
                        })
                    })
                    .collect();
                let link = if page * per_page < all.len() {
                    format!(
                        "Link: <{base}{prefix}secrets?per_page={per_page}&page={}>; rel=\"next\"\r\n",
                        page + 1
                    )
                } else {
                    String::new()
                };
                (
                    "200 OK",
                    link,
                    serde_json::json!({ "total_count": all.len(), "secrets": items }).to_string(),
                )
            }
            ("PUT", ["secrets", name]) => {
                if let Some(left) = st.puts_before_failure {
                    if left == 0 {
                        return ("502 Bad Gateway", String::new(), message("Server Error"));
                    }
                    st.puts_before_failure = Some(left - 1);
                }
                assert_eq!(json["key_id"], "kid-1", "sealed to the wrong key id");
                let sealed = base64::engine::general_purpose::STANDARD
                    .decode(json["encrypted_value"].as_str().unwrap())
                    .unwrap();
                let opened = key.unseal(&sealed).expect("a sealed box the key opens");
                st.clock += 1;
                let now = st.clock;
                let created = st
                    .secrets
                    .insert(
                        (*name).to_owned(),
                        (String::from_utf8(opened).unwrap(), now),
                    )
                    .is_none();
                if created {
                    ("201 Created", String::new(), "{}".to_owned())
                } else {
                    ("204 No Content", String::new(), String::new())
                }
            }
            ("DELETE", ["secrets", name]) => match st.secrets.remove(*name) {
                Some(_) => ("204 No Content", String::new(), String::new()),
                None => ("404 Not Found", String::new(), message("Not Found")),
            },
            ("GET", ["variables", name]) => match st.variables.get(*name) {
                Some(value) => (
                    "200 OK",
                    String::new(),
                    serde_json::json!({ "name": name, "value": value }).to_string(),
                ),
                None => ("404 Not Found", String::new(), message("Not Found")),
            },
            ("POST", ["variables"]) => {
                let name = json["name"].as_str().unwrap().to_owned();
                if st.variables.contains_key(&name) {
                    return ("409 Conflict", String::new(), message("Already exists"));
                }
                st.variables
                    .insert(name, json["value"].as_str().unwrap().to_owned());
                ("201 Created", String::new(), "{}".to_owned())
            }
            ("PATCH", ["variables", name]) => {
                if !st.variables.contains_key(*name) {
                    return ("404 Not Found", String::new(), message("Not Found"));
                }
                st.variables
                    .insert((*name).to_owned(), json["value"].as_str().unwrap().to_owned());
                ("204 No Content", String::new(), String::new())
            }
            _ => ("404 Not Found", String::new(), message("Not Found")),
        }
    }

    fn repo_with_secrets() -> (TestRepo, Key) {
        let (repo, owner) = TestRepo::with_vault("dev,prod");
        for (name, value) in CANARIES {
            repo.set(&owner, "prod", name, value);
        }
        (repo, owner)
    }

    fn vault(repo: &TestRepo, key: &Key, fake: &Fake) -> assert_cmd::Command {
        let mut cmd = repo.vault(key);
        cmd.env("GH_TOKEN", TOKEN)
            .env_remove("GITHUB_TOKEN")
            .env("GITHUB_API_URL", &fake.url)
            .timeout(Duration::from_secs(60));
        cmd
    }

    fn assert_no_canary(out: &std::process::Output) {
        let text = format!("{}{}", stdout(out), stderr(out));
        for (_, value) in CANARIES {
            for part in value.lines() {
                assert!(!text.contains(part), "a secret value was printed: {text}");
            }
        }
        assert!(!text.contains(TOKEN), "the token was printed");
    }

    fn expected() -> BTreeMap<String, String> {
        CANARIES
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn push_seals_values_records_digests_then_writes_only_what_changed_and_prunes_what_it_manages()
    {
        let fake = Fake::start();
        fake.state()
            .secrets
            .insert("THEIRS".into(), ("not vault's".into(), 0));
        let (repo, owner) = repo_with_secrets();

        // A dry run writes nothing.
        let out = vault(&repo, &owner, &fake)
            .args(["push", "prod", "github", "--repo", "acme/shop", "--dry-run"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(fake.writes().is_empty(), "{:?}", fake.writes());

        let out = vault(&repo, &owner, &fake)
            .args(["push", "prod", "github", "--repo", "acme/shop"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_no_canary(&out);
        let text = stdout(&out);
        assert!(
            text.contains("GitHub Actions secrets of acme/shop"),
            "{text}"
        );
        assert!(
            text.contains("THEIRS") && text.contains("unmanaged"),
            "{text}"
        );
        let mut want = expected();
        want.insert("THEIRS".into(), "not vault's".into());
        // The fake opened every sealed value with its private key.
        assert_eq!(fake.values(), want);
        let record = fake.state().variables["VAULT_DIGESTS_PROD"].clone();
        for (name, value) in CANARIES {
            assert!(record.contains(name), "{record}");
            assert!(!record.contains(value.lines().next().unwrap()), "{record}");
        }
        assert!(!record.contains("THEIRS"), "{record}");

        // Nothing changed: nothing is written, not even the record.
        let before = fake.writes().len();
        let out = vault(&repo, &owner, &fake)
            .args(["push", "prod", "github", "--repo", "acme/shop"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).contains("already in sync"), "{}", stderr(&out));
        assert_eq!(fake.writes().len(), before, "{:?}", fake.writes());

        // One value changed in the vault: only it is written (and the record).
        repo.set(&owner, "prod", "API_KEY", "canary-api-key-rotated-2");
        let out = vault(&repo, &owner, &fake)
            .args(["push", "prod", "github", "--repo", "acme/shop"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            fake.writes()[before..],
            [
                "PUT /repos/acme/shop/actions/secrets/API_KEY",
                "PATCH /repos/acme/shop/actions/variables/VAULT_DIGESTS_PROD"
            ]
        );
        assert_eq!(fake.values()["API_KEY"], "canary-api-key-rotated-2");

        // Someone changes a secret in GitHub's UI: drift, shown and overwritten.
        {
            let mut st = fake.state();
            st.clock += 1;
            let now = st.clock;
            st.secrets
                .insert("DATABASE_URL".into(), ("edited in the UI".into(), now));
        }
        let out = vault(&repo, &owner, &fake)
            .args(["push", "prod", "github", "--repo", "acme/shop", "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let change = doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "DATABASE_URL")
            .unwrap()
            .clone();
        assert_eq!(change["action"], "update");
        assert!(
            change["note"].as_str().unwrap().contains("drift"),
            "{change}"
        );
        assert_eq!(fake.values()["DATABASE_URL"], CANARIES[0].1);

        // Prune deletes what vault manages and no longer has, never THEIRS.
        let out = repo
            .vault(&owner)
            .args(["unset", "prod", "MULTI"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let out = vault(&repo, &owner, &fake)
            .args(["push", "prod", "github", "--repo", "acme/shop", "--prune"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let values = fake.values();
        assert!(!values.contains_key("MULTI"), "{values:?}");
        assert_eq!(values["THEIRS"], "not vault's");
        assert!(!fake.state().variables["VAULT_DIGESTS_PROD"].contains("MULTI"));
    }

    #[test]
    fn a_record_vault_did_not_write_is_not_trusted() {
        let fake = Fake::start();
        let (repo, owner) = repo_with_secrets();
        let out = vault(&repo, &owner, &fake)
            .args(["push", "prod", "github", "--repo", "acme/shop"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        // Someone with access to variables lists THEIRS as vault's, to have it pruned.
        {
            let mut st = fake.state();
            st.secrets.insert("THEIRS".into(), ("x".into(), 0));
            let record = st.variables["VAULT_DIGESTS_PROD"].replace("\"API_KEY\"", "\"THEIRS\"");
            st.variables.insert("VAULT_DIGESTS_PROD".into(), record);
        }
        let out = vault(&repo, &owner, &fake)
            .args(["push", "prod", "github", "--repo", "acme/shop", "--prune"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("not in vault's record"), "{text}");
        assert!(
            fake.values().contains_key("THEIRS"),
            "an unmanaged secret was pruned"
        );
        assert_eq!(fake.values()["API_KEY"], CANARIES[1].1);
    }

    #[test]
    fn environment_secrets_go_to_the_environment() {
        let fake = Fake::start();
        let (repo, owner) = repo_with_secrets();
        let out = vault(&repo, &owner, &fake)
            .args([
                "push",
                "prod",
                "github",
                "--repo",
                "acme/shop",
                "--environment",
                "production",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("acme/shop environment production"));
        assert_eq!(fake.values(), expected());
        assert!(
            fake.writes()
                .iter()
                .all(|w| w.contains("/repos/acme/shop/environments/production/")),
            "{:?}",
            fake.writes()
        );
        // An environment that does not exist is named.
        let out = vault(&repo, &owner, &fake)
            .args([
                "push",
                "prod",
                "github",
                "--repo",
                "acme/shop",
                "--environment",
                "staging",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("no environment `staging`"),
            "{}",
            stderr(&out)
        );
    }

    #[test]
    fn rate_limits_are_retried() {
        let fake = Fake::start();
        fake.state().throttle = 2;
        fake.state().rate_limited = 1;
        let (repo, owner) = repo_with_secrets();
        let out = vault(&repo, &owner, &fake)
            .args(["push", "prod", "github", "--repo", "acme/shop"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(fake.values(), expected());
        // Still throttled after every attempt: a bounded failure, nothing written.
        let fake = Fake::start();
        fake.state().throttle = usize::MAX;
        let out = vault(&repo, &owner, &fake)
            .args(["push", "prod", "github", "--repo", "acme/shop"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("after 5 attempts"),
            "{}",
            stderr(&out)
        );
        assert!(fake.values().is_empty());
    }

    #[test]
    fn a_failure_midway_names_what_was_written_and_the_next_run_finishes() {
        let fake = Fake::start();
        fake.state().puts_before_failure = Some(1);
        let (repo, owner) = repo_with_secrets();
        let out = vault(&repo, &owner, &fake)
            .args(["push", "prod", "github", "--repo", "acme/shop"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert_no_canary(&out);
        let err = stderr(&out);
        // Plans run in name order: API_KEY lands, DATABASE_URL fails.
        assert!(
            err.contains("1 written before the failure: API_KEY"),
            "{err}"
        );
        assert_eq!(fake.values().len(), 1);
        fake.state().puts_before_failure = None;
        let before = fake.writes().len();
        let out = vault(&repo, &owner, &fake)
            .args(["push", "prod", "github", "--repo", "acme/shop"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(fake.values(), expected());
        // API_KEY was recorded after the failure, so it is not written again.
        assert!(
            !fake.writes()[before..]
                .iter()
                .any(|w| w.ends_with("/API_KEY")),
            "{:?}",
            fake.writes()
        );
    }

    #[test]
    fn bad_tokens_missing_tokens_and_pulls_are_clear_errors() {
        let fake = Fake::start();
        let (repo, owner) = repo_with_secrets();
        let out = vault(&repo, &owner, &fake)
            .env("GH_TOKEN", "ghp_wrong")
            .args(["push", "prod", "github", "--repo", "acme/shop"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("rejected the credentials"),
            "{}",
            stderr(&out)
        );
        let out = vault(&repo, &owner, &fake)
            .env_remove("GH_TOKEN")
            .args(["push", "prod", "github", "--repo", "acme/shop"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("$GH_TOKEN and $GITHUB_TOKEN"),
            "{}",
            stderr(&out)
        );
        let out = vault(&repo, &owner, &fake)
            .args(["push", "prod", "github", "--repo", "acme"])
            .output()
            .unwrap();
        assert!(
            stderr(&out).contains("expected OWNER/NAME"),
            "{}",
            stderr(&out)
        );
        let out = vault(&repo, &owner, &fake)
            .args(["pull", "prod", "github", "--repo", "acme/shop"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("never returns secret values"),
            "{}",
            stderr(&out)
        );
        assert!(fake.state().log.is_empty(), "{:?}", fake.state().log);
    }
}
