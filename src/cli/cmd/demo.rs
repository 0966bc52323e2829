//! `vault demo`: a guided end-to-end run in a throwaway repository, driving the real
//! binary so every step shows a command a newcomer can type.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cli::args::DemoArgs;
use crate::cli::error::Error;
use crate::cli::{Outcome, stdout_error};
use crate::error::Error as VaultError;
use crate::git;
use crate::schema::Template;

struct Demo<'a> {
    exe: PathBuf,
    dir: PathBuf,
    out: &'a mut dyn Write,
}

struct Step<'s> {
    who: &'s str,
    args: &'s [&'s str],
    stdin: Option<&'s str>,
    env: &'s [(&'s str, &'s str)],
    expect_success: bool,
}

impl Demo<'_> {
    fn say(&mut self, text: &str) -> Result<(), VaultError> {
        writeln!(self.out, "\n== {text}").map_err(stdout_error)
    }

    fn run(&mut self, step: &Step<'_>) -> Result<String, Error> {
        let shown_env: String = step
            .env
            .iter()
            .map(|(k, v)| format!("{k}={} ", shell_word(v)))
            .collect();
        let shown_args: Vec<String> = step.args.iter().map(|a| shell_word(a)).collect();
        let stdin_shown = step
            .stdin
            // The value itself is never shown, not even in the command line.
            .map(|_| "printf '•••' | ".to_owned())
            .unwrap_or_default();
        writeln!(
            self.out,
            "[{}] $ {stdin_shown}{shown_env}vault {}",
            step.who,
            shown_args.join(" ")
        )
        .map_err(stdout_error)?;
        let key = self.dir.join(format!("{}.key", step.who));
        let mut command = Command::new(&self.exe);
        command
            .args(step.args)
            .current_dir(self.dir.join("app"))
            .env("VAULT_IDENTITY_FILE", &key)
            .env_remove("VAULT_IDENTITY")
            .env("NO_COLOR", "1")
            .env("HOME", &self.dir)
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .stdin(if step.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            });
        // One pipe for both streams, so plans (stderr) and results (stdout) show in the
        // order the command wrote them.
        let (mut reader, writer) = std::io::pipe().map_err(|_| Error::Demo {
            step: "could not create a pipe".to_owned(),
        })?;
        let writer_err = writer.try_clone().map_err(|_| Error::Demo {
            step: "could not create a pipe".to_owned(),
        })?;
        command.stdout(writer).stderr(writer_err);
        for (k, v) in step.env {
            command.env(k, v);
        }
        let fail = |what: &str| Error::Demo {
            step: format!("vault {} ({what})", step.args.join(" ")),
        };
        let mut child = command.spawn().map_err(|_| fail("could not start"))?;
        if let (Some(input), Some(mut pipe)) = (step.stdin, child.stdin.take()) {
            pipe.write_all(input.as_bytes())
                .map_err(|_| fail("stdin"))?;
        }
        // The command holds the only write ends now: reading ends when it exits.
        drop(command);
        let mut combined = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut combined).map_err(|_| fail("read"))?;
        let status = child.wait().map_err(|_| fail("wait"))?;
        let stdout = String::from_utf8_lossy(&combined).into_owned();
        for line in stdout.lines() {
            // A post-quantum public key is one 1,960-character word: show its ends.
            let shown = match line.char_indices().nth(100) {
                Some(_) if !line.contains(' ') => {
                    let count = line.chars().count();
                    let head: String = line.chars().take(24).collect();
                    let tail: String = line.chars().skip(count - 8).collect();
                    format!("{head}…{tail} ({count} characters)")
                }
                _ => line.to_owned(),
            };
            writeln!(self.out, "    {shown}").map_err(stdout_error)?;
        }
        let code = status.code().unwrap_or(-1);
        writeln!(self.out, "    (exit {code})").map_err(stdout_error)?;
        if status.success() != step.expect_success {
            return Err(fail(if step.expect_success {
                "failed"
            } else {
                "unexpectedly succeeded"
            }));
        }
        Ok(stdout)
    }
}

/// Quotes a word for display the way a user would type it.
fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c))
    {
        word.to_owned()
    } else {
        crate::dotenv::single_quoted(word)
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> VaultError + '_ {
    move |source| VaultError::Io {
        action: "write",
        path: path.to_owned(),
        source,
    }
}

/// The secrets of the example application that the demo sets. Their rules come from the
/// template shipped at the repository's root, so the demo, the docs and `vault init` can
/// never describe them differently.
pub(crate) const DEMO_SECRETS: [&str; 2] = ["DATABASE_URL", "STRIPE_SECRET_KEY"];

/// The example template cut down to [`DEMO_SECRETS`], comments kept.
pub(crate) fn demo_template() -> Result<String, Error> {
    let mut doc: toml_edit::DocumentMut = Template::example().parse().map_err(|_| Error::Demo {
        step: "reading the example template".to_owned(),
    })?;
    let others: Vec<String> = doc
        .as_table()
        .iter()
        .map(|(name, _)| name.to_owned())
        .filter(|name| !DEMO_SECRETS.contains(&name.as_str()))
        .collect();
    for name in others {
        doc.remove(&name);
    }
    Ok(doc.to_string())
}

/// Runs the demo.
pub fn run(args: &DemoArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let temp = tempfile::Builder::new()
        .prefix("vault-demo-")
        .tempdir()
        .map_err(io(Path::new("temporary directory")))?;
    let exe = std::env::current_exe().map_err(io(Path::new("vault binary")))?;
    let dir = temp.path().to_owned();
    let app = dir.join("app");
    std::fs::create_dir_all(&app).map_err(io(&app))?;
    git::init(&app)?;
    writeln!(
        out,
        "vault demo: a throwaway repository in {}",
        app.display()
    )
    .map_err(stdout_error)?;
    std::fs::write(app.join(".secrets.example.toml"), demo_template()?).map_err(io(&app))?;
    let mut demo = Demo {
        exe,
        dir: dir.clone(),
        out,
    };
    let ok = |who, args| Step {
        who,
        args,
        stdin: None,
        env: &[],
        expect_success: true,
    };

    demo.say("Two people each create a post-quantum identity (a private key that never leaves their machine; ML-KEM-768 + X25519, so a future quantum computer cannot read the history either)")?;
    demo.run(&Step {
        args: &["identity", "new", "--pq", "--output", "../alice.key"],
        ..ok("alice", &[])
    })?;
    demo.run(&Step {
        args: &["identity", "new", "--pq", "--output", "../bob.key"],
        ..ok("bob", &[])
    })?;

    demo.say("Alice creates the vault with a dev and a prod environment")?;
    demo.run(&ok(
        "alice",
        &["init", "--env", "dev,prod", "--name", "alice"],
    ))?;

    demo.say(
        "Bob asks for access by adding his public key to .vault.toml (a pull request in real life)",
    )?;
    demo.run(&ok("bob", &["member", "request", "bob"]))?;
    demo.say("Alice, who reads dev, grants Bob dev only: the plan is shown, then dev is re-keyed")?;
    demo.run(&ok(
        "alice",
        &["member", "add", "bob", "--env", "dev", "--yes"],
    ))?;

    demo.say("Secrets are set from stdin (never on the command line)")?;
    demo.run(&Step {
        stdin: Some("postgres://dev:dev-pass@localhost/app"), // vault:allow (demo data)
        ..ok("alice", &["set", "dev", "DATABASE_URL"])
    })?;
    demo.run(&Step {
        stdin: Some("postgres://app:Xq9-prod-pass@db.internal/app"), // vault:allow (demo data)
        ..ok("alice", &["set", "prod", "DATABASE_URL"])
    })?;
    demo.run(&ok("alice", &["ls", "prod"]))?;

    demo.say(
        "exec checks the template first: prod lacks STRIPE_SECRET_KEY, so nothing starts (exit 125)",
    )?;
    demo.run(&Step {
        expect_success: false,
        ..ok("alice", &["exec", "prod", "--", "sh", "-c", "echo started"])
    })?;
    demo.say("A Stripe test key in prod is refused too: the template wants `^sk_live_` there")?;
    demo.run(&Step {
        stdin: Some("sk_test_demo_5d1f0c"),
        ..ok("alice", &["set", "prod", "STRIPE_SECRET_KEY"])
    })?;
    demo.run(&Step {
        expect_success: false,
        ..ok("alice", &["exec", "prod", "--", "sh", "-c", "echo started"])
    })?;
    demo.run(&Step {
        stdin: Some("sk_live_demo_5d1f0c"),
        ..ok("alice", &["set", "prod", "STRIPE_SECRET_KEY"])
    })?;
    demo.run(&Step {
        stdin: Some("sk_test_demo_77ab12"),
        ..ok("alice", &["set", "dev", "STRIPE_SECRET_KEY"])
    })?;
    demo.run(&ok(
        "alice",
        &[
            "exec",
            "prod",
            "--",
            "sh",
            "-c",
            // Never a value, not even part of one: its length and the (public) host.
            "echo \"the app sees DATABASE_URL: ${#DATABASE_URL} characters, host ${DATABASE_URL##*@}\"",
        ],
    ))?;

    demo.say("Bob reads dev, but not prod")?;
    demo.run(&ok(
        "bob",
        &[
            "exec",
            "dev",
            "--",
            "sh",
            "-c",
            "echo \"bob's app sees STRIPE_SECRET_KEY: ${#STRIPE_SECRET_KEY} characters\"",
        ],
    ))?;
    demo.run(&Step {
        expect_success: false,
        ..ok("bob", &["get", "prod", "DATABASE_URL"])
    })?;

    demo.say("Environment binding: prod's file copied over dev's is refused, not silently used")?;
    let dev = app.join("secrets/dev.age");
    let saved = std::fs::read(&dev).map_err(io(&dev))?;
    std::fs::copy(app.join("secrets/prod.age"), &dev).map_err(io(&dev))?;
    writeln!(demo.out, "    $ cp secrets/prod.age secrets/dev.age").map_err(stdout_error)?;
    demo.run(&Step {
        expect_success: false,
        ..ok("alice", &["exec", "dev", "--", "true"])
    })?;
    std::fs::write(&dev, &saved).map_err(io(&dev))?;
    writeln!(demo.out, "    (restored secrets/dev.age)").map_err(stdout_error)?;

    demo.say(
        "Edit round trip: an editor that changes nothing leaves the file byte-for-byte identical",
    )?;
    demo.run(&Step {
        env: &[("EDITOR", "true")],
        ..ok("alice", &["edit", "dev"])
    })?;
    let unchanged = std::fs::read(&dev).map_err(io(&dev))? == saved;
    writeln!(demo.out, "    secrets/dev.age identical: {unchanged}").map_err(stdout_error)?;
    // An "editor" that rotates the Stripe key, as a script so values stay off the screen.
    let editor = demo.dir.join("rotate-stripe-key.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nsed -i s/sk_test_demo_77ab12/sk_test_demo_rotated/ \"$1\"\n",
    )
    .map_err(io(&editor))?;
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .map_err(io(&editor))?;
    demo.run(&Step {
        env: &[("EDITOR", "../rotate-stripe-key.sh")],
        ..ok("alice", &["edit", "dev"])
    })?;
    demo.run(&ok("bob", &["ls", "dev"]))?;

    writeln!(demo.out, "\nDone. Next: docs/getting-started.md").map_err(stdout_error)?;
    if args.keep {
        let kept = temp.keep();
        writeln!(
            demo.out,
            "The demo repository was kept at {}",
            kept.join("app").display()
        )
        .map_err(stdout_error)?;
    }
    if !unchanged {
        return Err(Error::Demo {
            step: "the no-op edit changed the file".to_owned(),
        });
    }
    Ok(Outcome::Success)
}
