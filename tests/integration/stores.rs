//! `vault push` (and `pull`) to the stores behind the `github`, `cloudflare` and `azure`
//! features, against local fake servers that implement the APIs faithfully enough to check
//! what matters: auth headers, the sealed-box round trip (the fake GitHub holds the private
//! key and opens every value with `crypto_box`), pagination, rate limiting, failures
//! mid-plan, the digest record, Key Vault's name mapping, soft delete and the Azure
//! credential chain.

/// A loopback HTTP/1.1 server for the fakes: one request per connection, answered by a
/// handler over the fake's state, which tests inspect and tweak between runs.
#[cfg(any(feature = "github", feature = "cloudflare", feature = "azure"))]
mod fake {
    use std::collections::BTreeMap;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex, MutexGuard};

    /// One request as the fake sees it.
    pub struct Request {
        pub method: String,
        /// The path, still percent-encoded.
        pub path: String,
        /// The query, decoded.
        pub query: BTreeMap<String, String>,
        /// Header names in lowercase.
        pub headers: BTreeMap<String, String>,
        pub body: Vec<u8>,
    }

    impl Request {
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers.get(name).map(String::as_str)
        }

        /// The path's segments after `prefix`, each percent-decoded.
        #[cfg_attr(not(any(feature = "cloudflare", feature = "azure")), allow(dead_code))]
        pub fn segments(&self, prefix: &str) -> Option<Vec<String>> {
            let rest = self.path.strip_prefix(prefix)?;
            Some(rest.split('/').map(decode).collect())
        }

        pub fn json(&self) -> serde_json::Value {
            serde_json::from_slice(&self.body).unwrap_or_default()
        }

        /// An `application/x-www-form-urlencoded` body, decoded.
        #[cfg_attr(not(feature = "azure"), allow(dead_code))]
        pub fn form(&self) -> BTreeMap<String, String> {
            parse_query(&String::from_utf8_lossy(&self.body))
        }
    }

    pub fn decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'%' if i + 2 < bytes.len() => {
                    out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                    i += 3;
                }
                b'+' => {
                    out.push(b' ');
                    i += 1;
                }
                b => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).unwrap()
    }

    fn parse_query(text: &str) -> BTreeMap<String, String> {
        text.split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (decode(k), decode(v)))
            .collect()
    }

    /// The answer: status line (`200 OK`), extra header lines (each ending in CRLF), body.
    pub struct Reply {
        pub status: &'static str,
        pub headers: String,
        pub body: String,
    }

    pub fn reply(status: &'static str, body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: String::new(),
            body: body.into(),
        }
    }

    pub fn with_headers(status: &'static str, headers: String, body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers,
            body: body.into(),
        }
    }

    pub struct Server<S> {
        pub url: String,
        state: Arc<Mutex<S>>,
    }

    impl<S: Send + 'static> Server<S> {
        /// Serves `handle(state, request, base URL)` on a fresh loopback port.
        pub fn start(
            state: S,
            handle: impl Fn(&mut S, &Request, &str) -> Reply + Send + 'static,
        ) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let state = Arc::new(Mutex::new(state));
            let shared = state.clone();
            let base = url.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { return };
                    let Some(request) = read(&stream) else {
                        continue;
                    };
                    let answer = handle(&mut shared.lock().unwrap(), &request, &base);
                    let mut stream = stream;
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {}\r\nContent-Type: application/json\r\n{}Content-Length: {}\r\nConnection: close\r\n\r\n{}",
                        answer.status,
                        answer.headers,
                        answer.body.len(),
                        answer.body
                    );
                }
            });
            Self { url, state }
        }

        pub fn state(&self) -> MutexGuard<'_, S> {
            self.state.lock().unwrap()
        }
    }

    fn read(stream: &std::net::TcpStream) -> Option<Request> {
        let mut reader = BufReader::new(stream.try_clone().ok()?);
        let mut request_line = String::new();
        reader.read_line(&mut request_line).ok()?;
        let mut headers = BTreeMap::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).ok()?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((n, v)) = line.split_once(':') {
                headers.insert(n.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        let length = headers
            .get("content-length")
            .map_or(0, |v: &String| v.parse().unwrap());
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        let mut parts = request_line.split_whitespace();
        let method = parts.next()?.to_owned();
        let target = parts.next()?.to_owned();
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        Some(Request {
            method,
            path: path.to_owned(),
            query: parse_query(query),
            headers,
            body,
        })
    }
}

/// What every store's tests share: a vault with canary values, and checks that no value
/// or token is printed.
#[cfg(any(feature = "github", feature = "cloudflare", feature = "azure"))]
mod common {
    use std::collections::BTreeMap;

    use crate::support::{Key, TestRepo, stderr, stdout};

    pub const CANARIES: &[(&str, &str)] = &[
        (
            "DATABASE_URL",
            "postgres://app:canary-db-7f3a9c@db.internal/app",
        ),
        ("API_KEY", "canary-api-key-51d0e2b8"),
        ("MULTI", "canary-line-one\ncanary-line-two"),
    ];

    pub fn repo_with_secrets() -> (TestRepo, Key) {
        let (repo, owner) = TestRepo::with_vault("dev,prod");
        for (name, value) in CANARIES {
            repo.set(&owner, "prod", name, value);
        }
        (repo, owner)
    }

    pub fn assert_no_canary(out: &std::process::Output, token: &str) {
        let text = format!("{}{}", stdout(out), stderr(out));
        for (_, value) in CANARIES {
            for part in value.lines() {
                assert!(!text.contains(part), "a secret value was printed: {text}");
            }
        }
        assert!(!text.contains(token), "the token was printed");
    }

    #[cfg_attr(not(any(feature = "github", feature = "cloudflare")), allow(dead_code))]
    pub fn expected() -> BTreeMap<String, String> {
        CANARIES
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }
}

#[cfg(feature = "github")]
mod github {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use base64::Engine as _;

    use super::common::{CANARIES, expected, repo_with_secrets};
    use super::fake::{self, Reply, Request, reply, with_headers};
    use crate::support::{Key, TestRepo, stderr, stdout};

    const TOKEN: &str = "ghp_test-token-9c1d";

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
        server: fake::Server<State>,
        url: String,
    }

    impl Fake {
        fn start() -> Self {
            let secret_key = crypto_box::SecretKey::generate(&mut crypto_box::aead::OsRng);
            let server = fake::Server::start(State::default(), move |st, req, base| {
                respond(st, &secret_key, base, req)
            });
            let url = server.url.clone();
            Self { server, url }
        }

        fn state(&self) -> std::sync::MutexGuard<'_, State> {
            self.server.state()
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

    fn message(status: &'static str, text: &str) -> Reply {
        reply(status, serde_json::json!({ "message": text }).to_string())
    }

    #[allow(clippy::too_many_lines)]
    fn respond(st: &mut State, key: &crypto_box::SecretKey, base: &str, req: &Request) -> Reply {
        let method = req.method.as_str();
        let path = req.path.as_str();
        let authorized = req.header("authorization") == Some(&format!("Bearer {TOKEN}"))
            && req.header("x-github-api-version") == Some("2022-11-28")
            && req.header("accept") == Some("application/vnd.github+json")
            && req.headers.contains_key("user-agent");
        if !authorized {
            return message("401 Unauthorized", "Bad credentials");
        }
        if st.throttle > 0 {
            st.throttle -= 1;
            return with_headers(
                "429 Too Many Requests",
                "Retry-After: 0\r\n".to_owned(),
                serde_json::json!({ "message": "secondary rate limit" }).to_string(),
            );
        }
        if st.rate_limited > 0 {
            st.rate_limited -= 1;
            return with_headers(
                "403 Forbidden",
                "x-ratelimit-remaining: 0\r\nx-ratelimit-reset: 0\r\n".to_owned(),
                serde_json::json!({ "message": "API rate limit exceeded" }).to_string(),
            );
        }
        st.log.push(format!("{method} {path}"));
        let scope = [
            "/repos/acme/shop/actions/",
            "/repos/acme/shop/environments/production/",
        ]
        .iter()
        .find_map(|p| path.strip_prefix(p).map(|rest| (*p, rest)));
        let Some((prefix, rest)) = scope else {
            return message("404 Not Found", "Not Found");
        };
        let query = &req.query;
        let json = req.json();
        match (method, rest.split('/').collect::<Vec<_>>().as_slice()) {
            ("GET", ["secrets", "public-key"]) => reply(
                "200 OK",
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
                with_headers(
                    "200 OK",
                    link,
                    serde_json::json!({ "total_count": all.len(), "secrets": items }).to_string(),
                )
            }
            ("PUT", ["secrets", name]) => {
                if let Some(left) = st.puts_before_failure {
                    if left == 0 {
                        return message("502 Bad Gateway", "Server Error");
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
                    reply("201 Created", "{}")
                } else {
                    reply("204 No Content", "")
                }
            }
            ("DELETE", ["secrets", name]) => match st.secrets.remove(*name) {
                Some(_) => reply("204 No Content", ""),
                None => message("404 Not Found", "Not Found"),
            },
            ("GET", ["variables", name]) => match st.variables.get(*name) {
                Some(value) => reply(
                    "200 OK",
                    serde_json::json!({ "name": name, "value": value }).to_string(),
                ),
                None => message("404 Not Found", "Not Found"),
            },
            ("POST", ["variables"]) => {
                let name = json["name"].as_str().unwrap().to_owned();
                if st.variables.contains_key(&name) {
                    return message("409 Conflict", "Already exists");
                }
                st.variables
                    .insert(name, json["value"].as_str().unwrap().to_owned());
                reply("201 Created", "{}")
            }
            ("PATCH", ["variables", name]) => {
                if !st.variables.contains_key(*name) {
                    return message("404 Not Found", "Not Found");
                }
                st.variables
                    .insert((*name).to_owned(), json["value"].as_str().unwrap().to_owned());
                reply("204 No Content", "")
            }
            _ => message("404 Not Found", "Not Found"),
        }
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
        super::common::assert_no_canary(out, TOKEN);
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

#[cfg(feature = "cloudflare")]
mod cloudflare {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::common::{CANARIES, expected, repo_with_secrets};
    use super::fake::{self, Reply, Request, reply, with_headers};
    use crate::support::{Key, TestRepo, stderr, stdout};

    const TOKEN: &str = "cf-test-token-2b7e41";
    /// A valid token without `Workers KV Storage` permission.
    const NO_KV_TOKEN: &str = "cf-test-token-no-kv";
    const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
    const RECORD: &str = "vault/shop/prod";

    /// What the fake Cloudflare API holds and how it misbehaves.
    #[derive(Default)]
    struct State {
        /// Script → secret name → value. Only these scripts exist.
        scripts: BTreeMap<String, BTreeMap<String, String>>,
        /// Script → its other bindings (name → type), as `[vars]` and the like make them.
        bindings: BTreeMap<String, BTreeMap<String, String>>,
        /// KV namespaces in creation order: (id, title).
        namespaces: Vec<(String, String)>,
        /// (namespace id, key) → value.
        kv: BTreeMap<(String, String), String>,
        /// `METHOD path` of every authenticated request.
        log: Vec<String>,
        /// Answer this many requests with 429 and `Retry-After: 0` first.
        throttle: usize,
        /// Answer this many requests with 503 first.
        unavailable: usize,
        /// Fail every secret PUT after this many succeeded.
        puts_before_failure: Option<usize>,
        /// Refuse secret PUTs with a message that quotes the value.
        quote_rejected: bool,
    }

    fn envelope(result: serde_json::Value) -> String {
        serde_json::json!({ "success": true, "errors": [], "messages": [], "result": result })
            .to_string()
    }

    fn error(status: &'static str, code: u64, message: &str) -> Reply {
        reply(
            status,
            serde_json::json!({
                "success": false,
                "errors": [{ "code": code, "message": message }],
                "messages": [],
                "result": null,
            })
            .to_string(),
        )
    }

    #[allow(clippy::too_many_lines)]
    fn respond(st: &mut State, req: &Request) -> Reply {
        let method = req.method.as_str();
        let token = req.header("authorization").unwrap_or("");
        let kv_allowed = token == format!("Bearer {TOKEN}");
        if !kv_allowed && token != format!("Bearer {NO_KV_TOKEN}") {
            // What Cloudflare answers for a token it does not know.
            return error("400 Bad Request", 6003, "Invalid request headers");
        }
        if st.throttle > 0 {
            st.throttle -= 1;
            return with_headers(
                "429 Too Many Requests",
                "Retry-After: 0\r\n".to_owned(),
                serde_json::json!({ "success": false, "errors": [{ "code": 971, "message": "Please wait and consider throttling your request speed" }] }).to_string(),
            );
        }
        if st.unavailable > 0 {
            st.unavailable -= 1;
            return reply("503 Service Unavailable", "upstream connect error");
        }
        st.log.push(format!("{method} {}", req.path));
        let Some(segments) = req.segments(&format!("/accounts/{ACCOUNT}/")) else {
            return error("403 Forbidden", 10000, "Authentication error");
        };
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let json = req.json();
        match (method, segments.as_slice()) {
            ("GET", ["workers", "scripts", script, "settings"]) => {
                let Some(secrets) = st.scripts.get(*script) else {
                    return error("404 Not Found", 10007, "workers.api.error.script_not_found");
                };
                let mut bindings: Vec<_> = secrets
                    .keys()
                    .map(|n| serde_json::json!({ "name": n, "type": "secret_text" }))
                    .collect();
                for (name, kind) in st.bindings.get(*script).into_iter().flatten() {
                    bindings.push(serde_json::json!({ "name": name, "type": kind }));
                }
                reply(
                    "200 OK",
                    envelope(serde_json::json!({
                        "bindings": bindings,
                        "compatibility_date": "2025-01-01",
                        "usage_model": "standard",
                    })),
                )
            }
            (_, ["workers", "scripts", script, "secrets", rest @ ..]) => {
                let Some(secrets) = st.scripts.get_mut(*script) else {
                    return error("404 Not Found", 10007, "workers.api.error.script_not_found");
                };
                match (method, rest) {
                    ("GET", []) => {
                        let listed: Vec<_> = secrets
                            .keys()
                            .map(|n| serde_json::json!({ "name": n, "type": "secret_text" }))
                            .collect();
                        reply("200 OK", envelope(listed.into()))
                    }
                    ("PUT", []) => {
                        if let Some(left) = st.puts_before_failure {
                            if left == 0 {
                                return error(
                                    "500 Internal Server Error",
                                    10013,
                                    "An unknown error has occurred",
                                );
                            }
                            st.puts_before_failure = Some(left - 1);
                        }
                        if st.quote_rejected {
                            return error(
                                "400 Bad Request",
                                10021,
                                &format!("cannot use {} as a secret", json["text"]),
                            );
                        }
                        assert_eq!(json["type"], "secret_text", "{json}");
                        assert_eq!(req.header("content-type"), Some("application/json"));
                        let name = json["name"].as_str().unwrap().to_owned();
                        let text = json["text"].as_str().unwrap().to_owned();
                        let secrets = st.scripts.get_mut(*script).unwrap();
                        secrets.insert(name.clone(), text);
                        reply(
                            "200 OK",
                            envelope(serde_json::json!({ "name": name, "type": "secret_text" })),
                        )
                    }
                    ("DELETE", [name]) => match secrets.remove(*name) {
                        Some(_) => reply("200 OK", envelope(serde_json::Value::Null)),
                        None => error("404 Not Found", 10056, "binding not found"),
                    },
                    _ => error("405 Method Not Allowed", 10000, "method not allowed"),
                }
            }
            (_, ["storage", "kv", "namespaces", ..]) if !kv_allowed => {
                error("403 Forbidden", 10000, "Authentication error")
            }
            ("GET", ["storage", "kv", "namespaces"]) => {
                // Pages of two at most, to exercise `result_info`.
                let per_page = req.query["per_page"].parse::<usize>().unwrap().min(2);
                let page = req.query.get("page").map_or(1, |p| p.parse().unwrap());
                let total = st.namespaces.len();
                let items: Vec<_> = st
                    .namespaces
                    .iter()
                    .skip((page - 1) * per_page)
                    .take(per_page)
                    .map(|(id, title)| serde_json::json!({ "id": id, "title": title }))
                    .collect();
                let body = serde_json::json!({
                    "success": true, "errors": [], "messages": [],
                    "result": items,
                    "result_info": {
                        "page": page, "per_page": per_page, "count": items.len(),
                        "total_count": total, "total_pages": total.div_ceil(per_page).max(1),
                    },
                });
                reply("200 OK", body.to_string())
            }
            ("POST", ["storage", "kv", "namespaces"]) => {
                let title = json["title"].as_str().unwrap().to_owned();
                if st.namespaces.iter().any(|(_, t)| *t == title) {
                    return error(
                        "400 Bad Request",
                        10014,
                        "a namespace with this title already exists",
                    );
                }
                let id = format!("ns{:030}", st.namespaces.len());
                st.namespaces.push((id.clone(), title.clone()));
                reply(
                    "200 OK",
                    envelope(serde_json::json!({ "id": id, "title": title })),
                )
            }
            ("GET", ["storage", "kv", "namespaces", ns, "values", key]) => {
                match st.kv.get(&((*ns).to_owned(), (*key).to_owned())) {
                    // The value itself, not an envelope.
                    Some(value) => reply("200 OK", value.clone()),
                    None => error("404 Not Found", 10009, "get: 'key not found'"),
                }
            }
            ("PUT", ["storage", "kv", "namespaces", ns, "values", key]) => {
                if !st.namespaces.iter().any(|(id, _)| id == ns) {
                    return error("404 Not Found", 10013, "namespace not found");
                }
                st.kv.insert(
                    ((*ns).to_owned(), (*key).to_owned()),
                    String::from_utf8(req.body.clone()).unwrap(),
                );
                reply("200 OK", envelope(serde_json::Value::Null))
            }
            _ => error(
                "404 Not Found",
                7003,
                "Could not route to the requested path",
            ),
        }
    }

    struct Fake {
        server: fake::Server<State>,
    }

    impl Fake {
        /// A fake account with the scripts `shop` and `shop-production` and three
        /// namespaces of other apps, so vault's is found (or created) on a later page.
        fn start() -> Self {
            let mut state = State::default();
            for script in ["shop", "shop-production"] {
                state.scripts.insert(script.to_owned(), BTreeMap::new());
            }
            for (i, title) in ["sessions", "cache", "flags"].iter().enumerate() {
                state
                    .namespaces
                    .push((format!("other{i:027}"), (*title).to_owned()));
            }
            Self {
                server: fake::Server::start(state, |st, req, _| respond(st, req)),
            }
        }

        fn state(&self) -> std::sync::MutexGuard<'_, State> {
            self.server.state()
        }

        fn values(&self, script: &str) -> BTreeMap<String, String> {
            self.state().scripts[script].clone()
        }

        fn writes(&self) -> Vec<String> {
            self.state()
                .log
                .iter()
                .filter(|l| !l.starts_with("GET"))
                .cloned()
                .collect()
        }

        /// vault's record of `key`, if any.
        fn record(&self, key: &str) -> Option<String> {
            let st = self.state();
            let (ns, _) = st
                .namespaces
                .iter()
                .find(|(_, t)| t == "vault-sync-records")?;
            st.kv.get(&(ns.clone(), key.to_owned())).cloned()
        }

        fn set_record(&self, key: &str, value: Option<String>) {
            let mut st = self.state();
            let ns = st
                .namespaces
                .iter()
                .find(|(_, t)| t == "vault-sync-records")
                .unwrap()
                .0
                .clone();
            match value {
                Some(v) => st.kv.insert((ns, key.to_owned()), v),
                None => st.kv.remove(&(ns, key.to_owned())),
            };
        }
    }

    fn vault(repo: &TestRepo, key: &Key, fake: &Fake) -> assert_cmd::Command {
        let mut cmd = repo.vault(key);
        cmd.env("CLOUDFLARE_API_TOKEN", TOKEN)
            .env("CLOUDFLARE_API_BASE_URL", &fake.server.url)
            .env_remove("CLOUDFLARE_ACCOUNT_ID")
            .timeout(Duration::from_secs(60));
        cmd
    }

    /// `vault push prod cloudflare` to the fake's Worker `shop`.
    fn push_cmd(repo: &TestRepo, key: &Key, fake: &Fake) -> assert_cmd::Command {
        let mut cmd = vault(repo, key, fake);
        cmd.args([
            "push",
            "prod",
            "cloudflare",
            "--account",
            ACCOUNT,
            "--script",
            "shop",
        ]);
        cmd
    }

    fn push(repo: &TestRepo, key: &Key, fake: &Fake, extra: &[&str]) -> std::process::Output {
        let out = push_cmd(repo, key, fake).args(extra).output().unwrap();
        super::common::assert_no_canary(&out, TOKEN);
        out
    }

    #[test]
    fn push_writes_secrets_keeps_a_digest_record_in_kv_writes_only_what_changed_and_prunes_what_it_manages()
     {
        let fake = Fake::start();
        fake.state()
            .scripts
            .get_mut("shop")
            .unwrap()
            .insert("THEIRS".into(), "not vault's".into());
        let (repo, owner) = repo_with_secrets();

        // A dry run writes nothing, not even the record's namespace.
        let out = push(&repo, &owner, &fake, &["--dry-run"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(fake.writes().is_empty(), "{:?}", fake.writes());
        assert!(stdout(&out).contains("+ API_KEY"), "{}", stdout(&out));

        let out = push(&repo, &owner, &fake, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("Cloudflare Worker shop secrets"), "{text}");
        assert!(
            text.contains("THEIRS") && text.contains("unmanaged"),
            "{text}"
        );
        let mut want = expected();
        want.insert("THEIRS".into(), "not vault's".into());
        assert_eq!(fake.values("shop"), want);
        // The namespace was created (after three pages of other namespaces were read)
        // and holds a record of names and digests, never values.
        assert!(
            fake.writes()
                .contains(&format!("POST /accounts/{ACCOUNT}/storage/kv/namespaces")),
            "{:?}",
            fake.writes()
        );
        let record = fake.record(RECORD).expect("a record in KV");
        for (name, value) in CANARIES {
            assert!(record.contains(name), "{record}");
            assert!(!record.contains(value.lines().next().unwrap()), "{record}");
        }
        assert!(!record.contains("THEIRS"), "{record}");

        // Nothing changed: nothing is written, not even the record.
        let before = fake.writes().len();
        let out = push(&repo, &owner, &fake, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).contains("already in sync"), "{}", stderr(&out));
        assert_eq!(fake.writes().len(), before, "{:?}", fake.writes());

        // One value changed in the vault: only it is written, then the record.
        repo.set(&owner, "prod", "API_KEY", "canary-api-key-rotated-2");
        let out = push(&repo, &owner, &fake, &["--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let updates: Vec<_> = doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["action"] == "update")
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(updates, ["API_KEY"]);
        let ns = fake.state().namespaces[3].0.clone();
        assert_eq!(
            fake.writes()[before..],
            [
                format!("PUT /accounts/{ACCOUNT}/workers/scripts/shop/secrets"),
                format!(
                    "PUT /accounts/{ACCOUNT}/storage/kv/namespaces/{ns}/values/vault%2Fshop%2Fprod"
                ),
            ]
        );
        assert_eq!(fake.values("shop")["API_KEY"], "canary-api-key-rotated-2");

        // Prune deletes what vault manages and no longer has, never THEIRS.
        let out = repo
            .vault(&owner)
            .args(["unset", "prod", "MULTI"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let out = push(&repo, &owner, &fake, &["--prune"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let values = fake.values("shop");
        assert!(!values.contains_key("MULTI"), "{values:?}");
        assert_eq!(values["THEIRS"], "not vault's");
        assert!(!fake.record(RECORD).unwrap().contains("MULTI"));
    }

    #[test]
    fn a_tampered_or_missing_record_is_not_trusted() {
        let fake = Fake::start();
        let (repo, owner) = repo_with_secrets();
        let out = push(&repo, &owner, &fake, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        // Someone who can write KV lists THEIRS as vault's, to have it pruned.
        fake.state()
            .scripts
            .get_mut("shop")
            .unwrap()
            .insert("THEIRS".into(), "x".into());
        let forged = fake
            .record(RECORD)
            .unwrap()
            .replace("\"API_KEY\"", "\"THEIRS\"");
        fake.set_record(RECORD, Some(forged));
        let out = push(&repo, &owner, &fake, &["--prune"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).contains("not in vault's record"),
            "{}",
            stdout(&out)
        );
        assert!(
            fake.values("shop").contains_key("THEIRS"),
            "an unmanaged secret was pruned"
        );

        // The record is gone: every secret is rewritten once and managed again; nothing
        // is pruned on the say-so of a record that is not there.
        fake.set_record(RECORD, None);
        let out = repo
            .vault(&owner)
            .args(["unset", "prod", "MULTI"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let out = push(&repo, &owner, &fake, &["--prune", "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let actions: BTreeMap<String, String> = doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_owned(),
                    c["action"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(actions["API_KEY"], "update");
        assert_eq!(actions["MULTI"], "unmanaged");
        assert!(fake.values("shop").contains_key("MULTI"));
        let record = fake.record(RECORD).unwrap();
        assert!(
            record.contains("API_KEY") && !record.contains("MULTI"),
            "{record}"
        );
    }

    #[test]
    fn wrangler_environments_name_the_worker_and_unknown_workers_are_named() {
        let fake = Fake::start();
        let (repo, owner) = repo_with_secrets();
        let out = push(&repo, &owner, &fake, &["--wrangler-env", "production"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).contains("Worker shop-production"),
            "{}",
            stdout(&out)
        );
        assert_eq!(fake.values("shop-production"), expected());
        assert!(fake.values("shop").is_empty());
        assert!(fake.record("vault/shop-production/prod").is_some());

        let out = vault(&repo, &owner, &fake)
            .env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
            .args(["push", "prod", "cloudflare", "--script", "shop-staging"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("no Worker `shop-staging`"),
            "{}",
            stderr(&out)
        );
    }

    #[test]
    fn rate_limits_and_outages_are_retried_and_a_failure_midway_finishes_on_rerun() {
        let fake = Fake::start();
        fake.state().throttle = 2;
        fake.state().unavailable = 1;
        let (repo, owner) = repo_with_secrets();
        let out = push(&repo, &owner, &fake, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(fake.values("shop"), expected());

        let fake = Fake::start();
        fake.state().throttle = usize::MAX;
        let out = push(&repo, &owner, &fake, &[]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("after 5 attempts"),
            "{}",
            stderr(&out)
        );
        assert!(fake.values("shop").is_empty());

        let fake = Fake::start();
        fake.state().puts_before_failure = Some(1);
        let out = push(&repo, &owner, &fake, &[]);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        // Plans run in name order: API_KEY lands, DATABASE_URL fails; API_KEY is recorded.
        assert!(
            err.contains("1 written before the failure: API_KEY"),
            "{err}"
        );
        assert!(fake.record(RECORD).unwrap().contains("API_KEY"));
        fake.state().puts_before_failure = None;
        let before = fake.writes().len();
        let out = push(&repo, &owner, &fake, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(fake.values("shop"), expected());
        let secret_puts = fake.writes()[before..]
            .iter()
            .filter(|w| w.ends_with("/secrets"))
            .count();
        assert_eq!(secret_puts, 2, "{:?}", fake.writes());
    }

    #[test]
    fn bad_tokens_missing_permissions_bad_flags_large_values_and_pulls_are_clear_errors() {
        let fake = Fake::start();
        let (repo, owner) = repo_with_secrets();
        let out = push_cmd(&repo, &owner, &fake)
            .env("CLOUDFLARE_API_TOKEN", "wrong")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("rejected the credentials"),
            "{}",
            stderr(&out)
        );

        let out = push_cmd(&repo, &owner, &fake)
            .env("CLOUDFLARE_API_TOKEN", NO_KV_TOKEN)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains("denied permission") && err.contains("Workers KV Storage"),
            "{err}"
        );

        let out = push_cmd(&repo, &owner, &fake)
            .env_remove("CLOUDFLARE_API_TOKEN")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("$CLOUDFLARE_API_TOKEN"),
            "{}",
            stderr(&out)
        );

        let out = vault(&repo, &owner, &fake)
            .args([
                "push",
                "prod",
                "cloudflare",
                "--account",
                "acme",
                "--script",
                "shop",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("32 hex digits"), "{}", stderr(&out));

        let out = vault(&repo, &owner, &fake)
            .args([
                "pull",
                "prod",
                "cloudflare",
                "--account",
                ACCOUNT,
                "--script",
                "shop",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("never returns secret values"),
            "{}",
            stderr(&out)
        );
        assert!(fake.writes().is_empty(), "{:?}", fake.writes());

        // A refusal that quotes the value is shown without it (`push` checks the output).
        fake.state().quote_rejected = true;
        let out = push(&repo, &owner, &fake, &[]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("cannot use"), "{}", stderr(&out));
        assert!(stderr(&out).contains("[redacted]"), "{}", stderr(&out));
        fake.state().quote_rejected = false;
        fake.state().log.clear();

        // A `[vars]` entry already holds a name: refused before anything is written.
        fake.state().bindings.insert(
            "shop".into(),
            [("API_KEY".to_owned(), "plain_text".to_owned())]
                .into_iter()
                .collect(),
        );
        let out = push(&repo, &owner, &fake, &[]);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains("`API_KEY` cannot be pushed") && err.contains("[vars]"),
            "{err}"
        );
        assert!(fake.writes().is_empty(), "{:?}", fake.writes());
        fake.state().bindings.clear();

        repo.set(&owner, "prod", "BIG", &"x".repeat(6000));
        let out = push(&repo, &owner, &fake, &[]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("`BIG` cannot be pushed"),
            "{}",
            stderr(&out)
        );
        assert!(fake.writes().is_empty(), "{:?}", fake.writes());
    }

    /// A refusal that quotes the value JSON-escaped (as a JSON API does) or line by line:
    /// the raw value does not match it, and it used to be printed.
    #[test]
    fn attack_a_refusal_quoting_a_value_escaped_does_not_print_it() {
        let fake = Fake::start();
        let (repo, owner) = TestRepo::with_vault("dev,prod");
        let (name, value) = CANARIES[2];
        repo.set(&owner, "prod", name, value);
        fake.state().quote_rejected = true;
        // `push` fails the test if any line of a canary is printed.
        let out = push(&repo, &owner, &fake, &[]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("[redacted]"), "{}", stderr(&out));
    }

    fn push_to(
        repo: &TestRepo,
        key: &Key,
        fake: &Fake,
        script: &str,
        extra: &[&str],
    ) -> std::process::Output {
        let out = vault(repo, key, fake)
            .args([
                "push",
                "prod",
                "cloudflare",
                "--account",
                ACCOUNT,
                "--script",
                script,
            ])
            .args(extra)
            .output()
            .unwrap();
        super::common::assert_no_canary(&out, TOKEN);
        out
    }

    /// A KV writer (no vault key) copies the record of one script to another script the
    /// same environment is pushed to. Keyed with the same environment's key, it used to be
    /// trusted there: the rotated value was then "unchanged" and never reached the second
    /// Worker, and names listed in the copy were pruned from it.
    #[test]
    fn attack_a_record_replayed_from_another_script_is_not_trusted() {
        let fake = Fake::start();
        let (repo, owner) = repo_with_secrets();
        for script in ["shop", "shop-production"] {
            let out = push_to(&repo, &owner, &fake, script, &[]);
            assert!(out.status.success(), "{}", stderr(&out));
        }
        // The Worker's owner sets a secret of their own on shop-production.
        fake.state()
            .scripts
            .get_mut("shop-production")
            .unwrap()
            .insert("OLD".into(), "theirs".into());
        // API_KEY is rotated and OLD set then removed; only `shop` gets the push.
        repo.set(&owner, "prod", "API_KEY", "canary-api-key-rotated-3");
        repo.set(&owner, "prod", "OLD", "canary-old-value-9");
        let out = push_to(&repo, &owner, &fake, "shop", &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        let out = repo
            .vault(&owner)
            .args(["unset", "prod", "OLD"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        // The attacker replays shop's record (listing the new API_KEY, and OLD) for
        // shop-production.
        let copied = fake.record(RECORD).unwrap();
        fake.set_record("vault/shop-production/prod", Some(copied));
        let out = push_to(&repo, &owner, &fake, "shop-production", &["--prune"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let values = fake.values("shop-production");
        assert_eq!(values["API_KEY"], "canary-api-key-rotated-3");
        assert_eq!(values.get("OLD").map(String::as_str), Some("theirs"));
        assert!(stdout(&out).contains("OLD"), "{}", stdout(&out));
    }

    /// Names come back from the store and are printed in the plan: a hostile server (or
    /// whoever can add a secret to the Worker) must not reach the terminal with escapes.
    #[test]
    fn attack_names_from_the_store_cannot_write_terminal_escapes() {
        let fake = Fake::start();
        fake.state()
            .scripts
            .get_mut("shop")
            .unwrap()
            .insert("X\u{1b}]0;owned\u{7}\u{1b}[2J".into(), "theirs".into());
        let (repo, owner) = repo_with_secrets();
        let out = push(&repo, &owner, &fake, &["--dry-run"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert!(text.contains("unmanaged"), "{text}");
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
    }

    /// `$CLOUDFLARE_API_BASE_URL` over plain http to another machine would send the token
    /// (and every value) in clear text: http is for a test server on this machine only.
    #[test]
    fn attack_a_plain_http_api_base_off_this_machine_is_refused() {
        let fake = Fake::start();
        let (repo, owner) = repo_with_secrets();
        for base in [
            "http://api.cloudflare.com/client/v4",
            "http://127.0.0.1.nip.invalid:1/client/v4",
            "http://127.0.0.1@vault-test.invalid/client/v4",
        ] {
            let out = vault(&repo, &owner, &fake)
                .env("CLOUDFLARE_API_BASE_URL", base)
                .args([
                    "push",
                    "prod",
                    "cloudflare",
                    "--account",
                    ACCOUNT,
                    "--script",
                    "shop",
                ])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2), "{base}: {}", stderr(&out));
            assert!(
                stderr(&out).contains("$CLOUDFLARE_API_BASE_URL")
                    && stderr(&out).contains("only for a test server on this machine"),
                "{base}: {}",
                stderr(&out)
            );
        }
    }
}

#[cfg(feature = "azure")]
mod azure {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::common::{CANARIES, repo_with_secrets};
    use super::fake::{self, Reply, Request, reply, with_headers};
    use crate::support::{Key, TestRepo, stderr, stdout};

    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const CLIENT: &str = "5b9f7c1e-0d1a-4e7b-9a52-3c8e1f0a2b4d";
    const CLIENT_SECRET: &str = "client-secret-canary-8d2f";
    const FEDERATED: &str = "eyJfederated.canary.token";
    /// The access token Entra ID (and the fake `az`) hand out.
    const ACCESS: &str = "kv-access-token-canary-41c7";

    struct Stored {
        /// The name as created (Key Vault keeps its spelling, compares without case).
        name: String,
        value: String,
        tags: BTreeMap<String, String>,
        enabled: bool,
    }

    /// What the fake Entra ID and Key Vault hold and how they misbehave.
    #[derive(Default)]
    struct State {
        /// Lowercase name → secret.
        secrets: BTreeMap<String, Stored>,
        /// Soft-deleted secrets, by lowercase name.
        deleted: BTreeMap<String, Stored>,
        /// `METHOD path` of every request that reached Key Vault with a valid token.
        log: Vec<String>,
        /// Key Vault requests that came without any token.
        unauthenticated: usize,
        /// Token requests, as decoded forms.
        token_requests: Vec<BTreeMap<String, String>>,
        /// Answer this many authenticated requests with 429 first.
        throttle: usize,
        /// Fail every secret PUT after this many succeeded.
        puts_before_failure: Option<usize>,
        /// The resource the challenge names, instead of the fake's own URL.
        challenge_resource: Option<String>,
        /// The origin of `nextLink`, instead of the fake's own URL.
        next_link_origin: Option<String>,
        /// Deny listing deleted secrets (an identity without that permission).
        deny_deleted_list: bool,
    }

    fn kv_error(status: &'static str, code: &str, message: &str) -> Reply {
        reply(
            status,
            serde_json::json!({ "error": { "code": code, "message": message } }).to_string(),
        )
    }

    fn bundle(base: &str, s: &Stored, with_value: bool) -> serde_json::Value {
        let mut v = serde_json::json!({
            "id": format!("{base}/secrets/{}", s.name),
            "attributes": { "enabled": s.enabled, "recoveryLevel": "Recoverable+Purgeable" },
            "tags": s.tags,
        });
        if with_value {
            v["value"] = s.value.clone().into();
            v["id"] = format!("{base}/secrets/{}/0123456789abcdef", s.name).into();
        }
        v
    }

    /// Two items a page, with `nextLink`, as Key Vault pages (whatever maxresults says).
    fn page(base: &str, st: &State, kind: &str, req: &Request) -> Reply {
        let map = if kind == "secrets" {
            &st.secrets
        } else {
            &st.deleted
        };
        let skip: usize = req
            .query
            .get("$skiptoken")
            .map_or(0, |s| s.parse().unwrap());
        let items: Vec<_> = map
            .values()
            .skip(skip)
            .take(2)
            .map(|s| {
                let mut item = bundle(base, s, false);
                if kind == "deletedsecrets" {
                    item["id"] = format!("{base}/deletedsecrets/{}", s.name).into();
                    item["recoveryId"] = item["id"].clone();
                }
                item
            })
            .collect();
        let origin = st
            .next_link_origin
            .clone()
            .unwrap_or_else(|| base.to_owned());
        let next = if skip + 2 < map.len() {
            serde_json::Value::from(format!(
                "{origin}/{kind}?api-version=7.5&$skiptoken={}&maxresults=25",
                skip + 2
            ))
        } else {
            serde_json::Value::Null
        };
        reply(
            "200 OK",
            serde_json::json!({ "value": items, "nextLink": next }).to_string(),
        )
    }

    #[allow(clippy::too_many_lines)]
    fn respond(st: &mut State, req: &Request, base: &str) -> Reply {
        let method = req.method.as_str();
        if req.path == format!("/{TENANT}/oauth2/v2.0/token") {
            assert_eq!(method, "POST");
            let form = req.form();
            st.token_requests.push(form.clone());
            let ok = form.get("grant_type").map(String::as_str) == Some("client_credentials")
                && form.get("client_id").map(String::as_str) == Some(CLIENT)
                && form.get("scope") == Some(&format!("{base}/.default"))
                && (form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET)
                    || (form.get("client_assertion_type").map(String::as_str)
                        == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                        && form.get("client_assertion").map(String::as_str) == Some(FEDERATED)));
            if !ok {
                return reply(
                    "401 Unauthorized",
                    serde_json::json!({
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 0000\r\nCorrelation ID: 1111",
                    })
                    .to_string(),
                );
            }
            return reply(
                "200 OK",
                serde_json::json!({ "token_type": "Bearer", "expires_in": 3599, "access_token": ACCESS })
                    .to_string(),
            );
        }
        assert_eq!(
            req.query.get("api-version").map(String::as_str),
            Some("7.5")
        );
        if req.header("authorization") != Some(&format!("Bearer {ACCESS}")) {
            if req.header("authorization").is_none() {
                st.unauthenticated += 1;
                assert!(req.body.is_empty(), "a body was sent before the challenge");
            }
            let resource = st
                .challenge_resource
                .clone()
                .unwrap_or_else(|| base.to_owned());
            return with_headers(
                "401 Unauthorized",
                format!(
                    "WWW-Authenticate: Bearer authorization=\"{base}/{TENANT}\", resource=\"{resource}\"\r\n"
                ),
                serde_json::json!({ "error": { "code": "Unauthorized", "message": "AKV10000: Request is missing a Bearer or PoP token." } }).to_string(),
            );
        }
        if st.throttle > 0 {
            st.throttle -= 1;
            return with_headers(
                "429 Too Many Requests",
                "Retry-After: 0\r\n".to_owned(),
                serde_json::json!({ "error": { "code": "Throttled", "message": "Request was not processed because too many requests were received." } }).to_string(),
            );
        }
        st.log.push(format!("{method} {}", req.path));
        let segments = req.segments("/").unwrap();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        match (method, segments.as_slice()) {
            ("GET", ["secrets"]) => page(base, st, "secrets", req),
            ("GET", ["deletedsecrets"]) if st.deny_deleted_list => kv_error(
                "403 Forbidden",
                "Forbidden",
                "The user, group or application does not have secrets list permission on key vault",
            ),
            ("GET", ["deletedsecrets"]) => page(base, st, "deletedsecrets", req),
            ("GET", ["secrets", name]) => match st.secrets.get(&name.to_ascii_lowercase()) {
                Some(s) if !s.enabled => kv_error(
                    "403 Forbidden",
                    "Forbidden",
                    "Operation get is not allowed on a disabled secret.",
                ),
                Some(s) => reply("200 OK", bundle(base, s, true).to_string()),
                None => kv_error(
                    "404 Not Found",
                    "SecretNotFound",
                    &format!("A secret with (name/id) {name} was not found in this key vault."),
                ),
            },
            ("PUT", ["secrets", name]) => {
                assert!(
                    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                    "{name}"
                );
                let lower = name.to_ascii_lowercase();
                if st.deleted.contains_key(&lower) {
                    return kv_error(
                        "409 Conflict",
                        "Conflict",
                        &format!(
                            "Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can be recovered or purged."
                        ),
                    );
                }
                if let Some(left) = st.puts_before_failure {
                    if left == 0 {
                        return kv_error(
                            "500 Internal Server Error",
                            "InternalServerError",
                            "boom",
                        );
                    }
                    st.puts_before_failure = Some(left - 1);
                }
                let json = req.json();
                let tags: BTreeMap<String, String> =
                    serde_json::from_value(json["tags"].clone()).unwrap_or_default();
                let stored_name = st
                    .secrets
                    .get(&lower)
                    .map_or((*name).to_owned(), |s| s.name.clone());
                let s = Stored {
                    name: stored_name,
                    value: json["value"].as_str().unwrap().to_owned(),
                    tags,
                    enabled: true,
                };
                let body = bundle(base, &s, true).to_string();
                st.secrets.insert(lower, s);
                reply("200 OK", body)
            }
            ("DELETE", ["secrets", name]) => match st.secrets.remove(&name.to_ascii_lowercase()) {
                Some(s) => {
                    let body = bundle(base, &s, false).to_string();
                    st.deleted.insert(name.to_ascii_lowercase(), s);
                    reply("200 OK", body)
                }
                None => kv_error("404 Not Found", "SecretNotFound", "not found"),
            },
            ("POST", ["deletedsecrets", name, "recover"]) => {
                match st.deleted.remove(&name.to_ascii_lowercase()) {
                    Some(s) => {
                        let body = bundle(base, &s, false).to_string();
                        st.secrets.insert(name.to_ascii_lowercase(), s);
                        reply("200 OK", body)
                    }
                    None => kv_error("404 Not Found", "DeletedSecretNotFound", "not found"),
                }
            }
            _ => kv_error("400 Bad Request", "BadParameter", "unknown route"),
        }
    }

    struct Fake {
        server: fake::Server<State>,
    }

    impl Fake {
        fn start() -> Self {
            Self {
                server: fake::Server::start(State::default(), respond),
            }
        }

        fn state(&self) -> std::sync::MutexGuard<'_, State> {
            self.server.state()
        }

        /// Key Vault name (as stored) → value.
        fn values(&self) -> BTreeMap<String, String> {
            self.state()
                .secrets
                .values()
                .map(|s| (s.name.clone(), s.value.clone()))
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

        fn insert(&self, name: &str, value: &str, tags: &[(&str, &str)]) {
            self.state().secrets.insert(
                name.to_ascii_lowercase(),
                Stored {
                    name: name.to_owned(),
                    value: value.to_owned(),
                    tags: tags
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect(),
                    enabled: true,
                },
            );
        }
    }

    /// `vault` with the client-secret credentials in the environment and no `az` on PATH.
    fn vault(repo: &TestRepo, key: &Key, fake: &Fake) -> assert_cmd::Command {
        let mut cmd = repo.vault(key);
        cmd.env("AZURE_TENANT_ID", TENANT)
            .env("AZURE_CLIENT_ID", CLIENT)
            .env("AZURE_CLIENT_SECRET", CLIENT_SECRET)
            .env("AZURE_AUTHORITY_HOST", &fake.server.url)
            .env("PATH", "/usr/bin:/bin")
            .timeout(Duration::from_secs(60));
        cmd
    }

    fn run(cmd: &mut assert_cmd::Command, fake: &Fake, args: &[&str]) -> std::process::Output {
        let out = cmd
            .args(args)
            .args(["azure", "--vault-url", &fake.server.url])
            .output()
            .unwrap();
        super::common::assert_no_canary(&out, ACCESS);
        let text = format!("{}{}", stdout(&out), stderr(&out));
        for token in [CLIENT_SECRET, FEDERATED] {
            assert!(!text.contains(token), "a credential was printed: {text}");
        }
        out
    }

    #[test]
    fn push_maps_names_and_tags_writes_only_what_changed_prunes_only_managed_and_recovers_soft_deleted()
     {
        let fake = Fake::start();
        fake.insert("THEIRS", "not vault's", &[]);
        fake.insert("OTHER-APP", "x", &[("managed-by", "terraform")]);
        let (repo, owner) = repo_with_secrets();
        repo.set(&owner, "prod", "lower_case", "canary-lower-3e1f");

        let out = run(
            vault(&repo, &owner, &fake).args(["push", "prod"]),
            &fake,
            &["--dry-run"],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(fake.writes().is_empty(), "{:?}", fake.writes());

        let out = run(&mut vault(&repo, &owner, &fake), &fake, &["push", "prod"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("Azure Key Vault http://127.0.0.1"), "{text}");
        assert!(
            text.contains("THEIRS") && text.contains("unmanaged"),
            "{text}"
        );
        let values = fake.values();
        assert_eq!(values["DATABASE-URL"], CANARIES[0].1);
        assert_eq!(values["API-KEY"], CANARIES[1].1);
        assert_eq!(values["MULTI"], CANARIES[2].1);
        assert_eq!(values["lower-case"], "canary-lower-3e1f");
        {
            let st = fake.state();
            let tags = &st.secrets["database-url"].tags;
            assert_eq!(tags["managed-by"], "vault");
            assert_eq!(tags["vault-name"], "DATABASE_URL");
            assert_eq!(tags["vault-env"], "prod");
            // In each of the two runs (dry and real), one request without a token drew the
            // challenge and one token was fetched.
            assert_eq!(st.unauthenticated, 2);
            assert_eq!(st.token_requests.len(), 2);
            assert!(!st.secrets["theirs"].tags.contains_key("managed-by"));
        }

        // Nothing changed: nothing is written.
        let before = fake.writes().len();
        let out = run(&mut vault(&repo, &owner, &fake), &fake, &["push", "prod"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).contains("already in sync"), "{}", stderr(&out));
        assert_eq!(fake.writes().len(), before);

        // One value changed: only it is written.
        repo.set(&owner, "prod", "API_KEY", "canary-api-key-rotated-2");
        let out = run(&mut vault(&repo, &owner, &fake), &fake, &["push", "prod"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(fake.writes()[before..], ["PUT /secrets/API-KEY"]);

        // Prune deletes (softly) what vault manages, never THEIRS or Terraform's.
        let out = repo
            .vault(&owner)
            .args(["unset", "prod", "MULTI"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let out = run(
            &mut vault(&repo, &owner, &fake),
            &fake,
            &["push", "prod", "--prune"],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let values = fake.values();
        assert!(!values.contains_key("MULTI"), "{values:?}");
        assert!(values.contains_key("THEIRS") && values.contains_key("OTHER-APP"));
        assert!(fake.state().deleted.contains_key("multi"));

        // MULTI comes back: Key Vault still holds it among the deleted secrets, so it is
        // recovered (its history kept), then written.
        repo.set(&owner, "prod", "MULTI", "canary-multi-back");
        let out = run(&mut vault(&repo, &owner, &fake), &fake, &["push", "prod"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("recovered"), "{}", stdout(&out));
        assert_eq!(fake.values()["MULTI"], "canary-multi-back");
        assert!(fake.state().deleted.is_empty());

        // A secret disabled in Key Vault returns no value: a new, enabled version is written.
        fake.state().secrets.get_mut("api-key").unwrap().enabled = false;
        let out = run(&mut vault(&repo, &owner, &fake), &fake, &["push", "prod"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).contains("update: disabled in Key Vault"),
            "{}",
            stdout(&out)
        );
        assert!(fake.state().secrets["api-key"].enabled);
    }

    #[test]
    fn pull_round_trips_names_and_takes_only_what_vault_manages() {
        let fake = Fake::start();
        fake.insert("THEIRS", "not vault's", &[]);
        let (repo, owner) = repo_with_secrets();
        repo.set(&owner, "prod", "lower_case", "canary-lower-3e1f");
        let out = run(&mut vault(&repo, &owner, &fake), &fake, &["push", "prod"]);
        assert!(out.status.success(), "{}", stderr(&out));
        // Someone hands a secret over to vault by tagging it.
        fake.insert(
            "HANDED-OVER",
            "canary-handed-9a",
            &[("managed-by", "vault")],
        );

        let (other, other_owner) = TestRepo::with_vault("dev,prod");
        let out = run(
            &mut vault(&other, &other_owner, &fake),
            &fake,
            &["pull", "prod"],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        for (name, value) in CANARIES {
            assert_eq!(other.get(&other_owner, "prod", name), *value);
        }
        assert_eq!(
            other.get(&other_owner, "prod", "lower_case"),
            "canary-lower-3e1f"
        );
        assert_eq!(
            other.get(&other_owner, "prod", "HANDED_OVER"),
            "canary-handed-9a"
        );
        let out = other
            .vault(&other_owner)
            .args(["get", "prod", "THEIRS"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "an unmanaged secret was pulled");
        // dev pulls nothing of prod's, only what is tagged for no environment in particular.
        let out = run(
            &mut vault(&other, &other_owner, &fake),
            &fake,
            &["pull", "dev", "--json"],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let names: Vec<_> = doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["HANDED_OVER"], "{doc}");

        // A disabled secret has no value to pull: refused with the reason, nothing changed.
        fake.state().secrets.get_mut("api-key").unwrap().enabled = false;
        let before = other.snapshot();
        let out = run(
            &mut vault(&other, &other_owner, &fake),
            &fake,
            &["pull", "prod"],
        );
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("disabled in Key Vault"),
            "{}",
            stderr(&out)
        );
        assert_eq!(other.snapshot(), before);
    }

    #[test]
    fn clashes_are_refused_before_anything_is_written() {
        let fake = Fake::start();
        let (repo, owner) = repo_with_secrets();
        // Two names Key Vault cannot tell apart.
        repo.set(&owner, "dev", "API_KEY", "a");
        repo.set(&owner, "dev", "api_key", "b");
        let out = run(&mut vault(&repo, &owner, &fake), &fake, &["push", "dev"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("ignores case"), "{}", stderr(&out));
        assert!(fake.state().log.is_empty());

        // A name another environment pushed to the same vault.
        fake.insert(
            "API-KEY",
            "x",
            &[
                ("managed-by", "vault"),
                ("vault-name", "API_KEY"),
                ("vault-env", "staging"),
            ],
        );
        let out = run(&mut vault(&repo, &owner, &fake), &fake, &["push", "prod"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("another environment"),
            "{}",
            stderr(&out)
        );
        assert!(fake.writes().is_empty(), "{:?}", fake.writes());

        // A deleted secret vault did not create holds a name to create.
        fake.state().secrets.clear();
        fake.state().deleted.insert(
            "multi".into(),
            Stored {
                name: "MULTI".into(),
                value: "old".into(),
                tags: BTreeMap::new(),
                enabled: true,
            },
        );
        let out = run(&mut vault(&repo, &owner, &fake), &fake, &["push", "prod"]);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains("az keyvault secret recover") && err.contains("`MULTI`"),
            "{err}"
        );
        assert!(fake.writes().is_empty(), "{:?}", fake.writes());

        // Without permission to list deleted secrets, the clash surfaces on the write (409)
        // with the same advice, and names what landed before it.
        fake.state().deny_deleted_list = true;
        let out = run(&mut vault(&repo, &owner, &fake), &fake, &["push", "prod"]);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains("2 written before the failure: API_KEY, DATABASE_URL"),
            "{err}"
        );
        assert!(err.contains("az keyvault secret recover"), "{err}");
        assert!(!fake.values().contains_key("MULTI"));
    }

    #[test]
    fn credentials_follow_the_sdk_chain() {
        let fake = Fake::start();
        let (repo, owner) = repo_with_secrets();

        // Workload identity: the federated token file, exchanged as a client assertion.
        let file = repo.base_path("federated-token");
        std::fs::write(&file, format!("{FEDERATED}\n")).unwrap();
        let out = run(
            vault(&repo, &owner, &fake)
                .env_remove("AZURE_CLIENT_SECRET")
                .env("AZURE_FEDERATED_TOKEN_FILE", &file),
            &fake,
            &["push", "prod", "--dry-run"],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            fake.state().token_requests[0]["client_assertion"],
            FEDERATED
        );

        // The Azure CLI, run directly with the challenge's resource.
        let args_file = repo.base_path("az-args");
        let az = repo.script(
            "az",
            &format!(
                "printf '%s\\n' \"$@\" > '{}'\nprintf '{{\"accessToken\": \"{ACCESS}\", \"expiresOn\": \"2030-01-01 00:00:00.000000\", \"tokenType\": \"Bearer\"}}'",
                args_file.display()
            ),
        );
        let bin = az.parent().unwrap().to_owned();
        let requests = fake.state().token_requests.len();
        let out = run(
            repo.vault(&owner)
                .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
                .args(["push", "prod"]),
            &fake,
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let args = std::fs::read_to_string(&args_file).unwrap();
        assert_eq!(
            args.lines().collect::<Vec<_>>(),
            [
                "account",
                "get-access-token",
                "--output",
                "json",
                "--resource",
                fake.server.url.as_str()
            ]
        );
        assert_eq!(
            fake.state().token_requests.len(),
            requests,
            "az, not Entra ID, gave the token"
        );
        assert_eq!(fake.values()["API-KEY"], CANARIES[1].1);

        // A token Key Vault does not accept.
        repo.script(
            "az",
            "printf '{\"accessToken\": \"not-a-valid-token\", \"expiresOn\": \"2030-01-01 00:00:00.000000\"}'",
        );
        let out = run(
            repo.vault(&owner)
                .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
                .args(["push", "prod"]),
            &fake,
            &[],
        );
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains("rejected the credentials") && err.contains("the Azure CLI"),
            "{err}"
        );
        assert!(!err.contains("not-a-valid-token"), "{err}");

        // az says to log in: no credentials, with the hint.
        repo.script(
            "az",
            "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1",
        );
        let out = run(
            repo.vault(&owner)
                .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
                .args(["push", "prod"]),
            &fake,
            &[],
        );
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("az login"), "{}", stderr(&out));

        // A wrong client secret: Entra ID's reason, not the secret.
        let out = run(
            vault(&repo, &owner, &fake).env("AZURE_CLIENT_SECRET", "wrong-secret"),
            &fake,
            &["push", "prod"],
        );
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains("rejected the credentials") && err.contains("AADSTS7000215"),
            "{err}"
        );
        assert!(!err.contains("wrong-secret"), "{err}");

        // Nothing configured and no az.
        let out = run(
            repo.vault(&owner)
                .env("PATH", "/usr/bin:/bin")
                .args(["push", "prod"]),
            &fake,
            &[],
        );
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("no Azure Key Vault credentials found"),
            "{}",
            stderr(&out)
        );

        // A challenge for another service's resource: no token is fetched or sent.
        fake.state().challenge_resource = Some("https://storage.azure.com".into());
        let requests = fake.state().token_requests.len();
        let out = run(&mut vault(&repo, &owner, &fake), &fake, &["push", "prod"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("not its own domain"),
            "{}",
            stderr(&out)
        );
        assert_eq!(fake.state().token_requests.len(), requests);
    }

    /// `az` is a program found on PATH: it gets the variables it needs to find its login,
    /// not the other stores' tokens or anything else the deploy environment holds; and
    /// one that leaves a process holding its output, or prints the token where JSON was
    /// expected, neither hangs the push nor gets the token printed.
    #[test]
    fn attack_az_gets_only_what_it_needs_and_cannot_hang_or_leak() {
        let fake = Fake::start();
        let (repo, owner) = repo_with_secrets();
        let env_file = repo.base_path("az-env");
        let az = repo.script(
            "az",
            &format!(
                "env > '{}'\n(sleep 30) &\nprintf '{{\"accessToken\": \"{ACCESS}\"}}'",
                env_file.display()
            ),
        );
        let bin = az.parent().unwrap().to_owned();
        let started = std::time::Instant::now();
        let out = run(
            repo.vault(&owner)
                .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
                .env("GH_TOKEN", "gh-token-canary-for-az")
                .env("CLOUDFLARE_API_TOKEN", "cf-token-canary-for-az")
                .env("DEPLOY_DB_PASSWORD", "deploy-canary-for-az")
                .env("AZURE_CONFIG_DIR", "/tmp/az-config-canary")
                .args(["push", "prod", "--dry-run"]),
            &fake,
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "az's leftover process held the push for {:?}",
            started.elapsed()
        );
        let env = std::fs::read_to_string(&env_file).unwrap();
        for canary in [
            "gh-token-canary-for-az",
            "cf-token-canary-for-az",
            "deploy-canary-for-az",
        ] {
            assert!(!env.contains(canary), "az was given {canary}");
        }
        assert!(
            env.contains("AZURE_CONFIG_DIR=/tmp/az-config-canary"),
            "{env}"
        );
        assert!(env.lines().any(|l| l.starts_with("PATH=")), "{env}");

        // An az that prints the token as a bare JSON string.
        repo.script("az", "printf '\"az-bare-token-canary\"'");
        let out = run(
            repo.vault(&owner)
                .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
                .args(["push", "prod", "--dry-run"]),
            &fake,
            &[],
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            !stderr(&out).contains("az-bare-token-canary"),
            "{}",
            stderr(&out)
        );
    }

    /// `$AZURE_FEDERATED_TOKEN_FILE` pointing (through a symlink, or by mistake) at
    /// something that is not a token: nothing of it is sent to the authority or printed,
    /// and a FIFO does not hang the push.
    #[test]
    fn attack_a_federated_token_file_that_is_not_a_jwt_is_not_sent() {
        let fake = Fake::start();
        let (repo, owner) = repo_with_secrets();
        let key = repo.base_path("id_ed25519");
        std::fs::write(
            &key,
            "-----BEGIN OPENSSH PRIVATE KEY-----\nssh-key-canary-3e9d\n-----END OPENSSH PRIVATE KEY-----\n",
        )
        .unwrap();
        let link = repo.base_path("token-link");
        std::os::unix::fs::symlink(&key, &link).unwrap();
        let fifo = repo.base_path("token-fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        for file in [&link, &fifo] {
            let started = std::time::Instant::now();
            let out = run(
                vault(&repo, &owner, &fake)
                    .env_remove("AZURE_CLIENT_SECRET")
                    .env("AZURE_FEDERATED_TOKEN_FILE", file)
                    .timeout(Duration::from_secs(20)),
                &fake,
                &["push", "prod", "--dry-run"],
            );
            assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
            assert!(started.elapsed() < Duration::from_secs(15));
            let err = stderr(&out);
            assert!(err.contains("AZURE_FEDERATED_TOKEN_FILE"), "{err}");
            assert!(!err.contains("ssh-key-canary"), "{err}");
            let sent = format!("{:?}", fake.state().token_requests);
            assert!(!sent.contains("ssh-key-canary"), "the key was sent: {sent}");
        }
        // A symlink to a real token still works (Kubernetes projects it through links).
        let token = repo.base_path("real-token");
        std::fs::write(&token, format!("{FEDERATED}\n")).unwrap();
        let link = repo.base_path("token-link-2");
        std::os::unix::fs::symlink(&token, &link).unwrap();
        let out = run(
            vault(&repo, &owner, &fake)
                .env_remove("AZURE_CLIENT_SECRET")
                .env("AZURE_FEDERATED_TOKEN_FILE", &link),
            &fake,
            &["push", "prod", "--dry-run"],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }

    /// A server answering a pull with a value far larger than Key Vault holds: refused
    /// before the vault changes, rather than committed to the repository.
    #[test]
    fn attack_a_pulled_value_larger_than_key_vault_holds_is_refused() {
        let fake = Fake::start();
        fake.insert(
            "HUGE",
            &"h".repeat(512 * 1024),
            &[("managed-by", "vault"), ("vault-env", "prod")],
        );
        let (repo, owner) = TestRepo::with_vault("dev,prod");
        let out = run(&mut vault(&repo, &owner, &fake), &fake, &["pull", "prod"]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("25 KB limit"), "{}", stderr(&out));
        let out = repo
            .vault(&owner)
            .args(["get", "prod", "HUGE"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "the huge value was pulled");
    }

    /// A challenge whose resource passes the domain check but carries more after it (a
    /// second scope, a query) must not shape the token request.
    #[test]
    fn attack_a_challenge_cannot_smuggle_a_second_scope() {
        let fake = Fake::start();
        let (repo, owner) = repo_with_secrets();
        for extra in [
            "/ https://graph.microsoft.com",
            "/?x=https://graph.microsoft.com",
        ] {
            fake.state().challenge_resource = Some(format!("{}{extra}", fake.server.url));
            let requests = fake.state().token_requests.len();
            let out = run(&mut vault(&repo, &owner, &fake), &fake, &["push", "prod"]);
            assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
            assert_eq!(
                fake.state().token_requests.len(),
                requests,
                "a token was requested for {extra}: {:?}",
                fake.state().token_requests.last()
            );
        }
    }

    #[test]
    fn throttling_is_retried_a_failure_midway_finishes_on_rerun_and_pages_stay_on_the_vault() {
        let fake = Fake::start();
        fake.state().throttle = 3;
        let (repo, owner) = repo_with_secrets();
        let out = run(&mut vault(&repo, &owner, &fake), &fake, &["push", "prod"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(fake.values().len(), 3);

        let fake = Fake::start();
        fake.state().puts_before_failure = Some(1);
        let out = run(&mut vault(&repo, &owner, &fake), &fake, &["push", "prod"]);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains("1 written before the failure: API_KEY"),
            "{err}"
        );
        fake.state().puts_before_failure = None;
        let before = fake.writes().len();
        let out = run(&mut vault(&repo, &owner, &fake), &fake, &["push", "prod"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(fake.values().len(), 3);
        assert!(
            !fake.writes()[before..]
                .iter()
                .any(|w| w.ends_with("/API-KEY")),
            "{:?}",
            fake.writes()
        );

        // A next page on another server is not followed (the token would go with it).
        fake.state().next_link_origin = Some("http://127.0.0.2:9".into());
        let out = run(&mut vault(&repo, &owner, &fake), &fake, &["push", "prod"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("another server"), "{}", stderr(&out));
    }
}
