//! Secret hygiene (issue: secret hygiene): unique canary values are stored in several
//! secrets across `dev` and `prod`, then every command runs in its success and failure
//! modes. No stdout or stderr may contain a canary, or any 8-character piece of its
//! random part, except where printing values is the point: `vault get`, `vault export`,
//! the child under `vault exec`, `vault textconv` (and `git diff`/`git log -p` through it)
//! for a member, and `vault diff --show-values`. Those places are checked to show the
//! value, which proves the detector works. Every command that fails is run a second time
//! with `RUST_BACKTRACE=1`. Each test of commands ends by searching the whole temporary
//! tree (the repository with `.git`, every git object decompressed, `$HOME` and
//! `$XDG_RUNTIME_DIR`) and `/dev/shm` for the canaries, once the user's own input files
//! are gone; a separate test shows that this search finds what it looks for.
//!
//! Canary values are generated at runtime (uppercase hex, so lowercase git hashes and
//! fingerprints cannot match a piece by chance) and never appear in this file.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

use crate::support::*;

// ---------------------------------------------------------------------------------------
// Canaries and the leak detector.

/// Length of the pieces of a random part that must never be printed.
const PIECE: usize = 8;

/// `n` random bytes as uppercase hex, from the kernel's generator.
fn random_hex(n: usize) -> String {
    use std::io::Read;
    let mut bytes = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut bytes)
        .unwrap();
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The random parts being watched, and every leak seen so far.
#[derive(Default)]
struct Watch {
    parts: Vec<String>,
    leaks: Vec<String>,
}

/// The values stored at the start of every test.
struct Values {
    /// `CANARY-<24 hex>`: one line, no special characters.
    single: String,
    /// Two lines (the second indented), ending with a newline.
    multi: String,
    /// Quotes of both kinds, `$`, `${…}`, a backtick command, a backslash and `#`.
    quoted: String,
}

impl Watch {
    /// A fresh random part (24 uppercase hex characters), watched from now on.
    fn part(&mut self) -> String {
        let part = random_hex(12);
        self.parts.push(part.clone());
        part
    }

    /// A fresh one-line canary, `CANARY-<part>`.
    fn single(&mut self) -> String {
        format!("CANARY-{}", self.part())
    }

    /// The three shapes of value every test stores.
    fn values(&mut self) -> Values {
        let single = self.single();
        let multi = format!("CANARY-{}\n  second line {}\n", self.part(), self.part());
        let quoted = format!(
            "CANARY-{} it's \"quoted\" $HOME ${{PATH}} `id` \\ #not-a-comment",
            self.part()
        );
        Values {
            single,
            multi,
            quoted,
        }
    }

    /// Where a watched piece occurs in `hay`, described with some context.
    fn find(&self, hay: &[u8]) -> Option<String> {
        for part in &self.parts {
            for start in 0..=part.len() - PIECE {
                let piece = &part.as_bytes()[start..start + PIECE];
                if let Some(at) = hay.windows(PIECE).position(|w| w == piece) {
                    let from = at.saturating_sub(60);
                    let to = (at + PIECE + 60).min(hay.len());
                    return Some(format!(
                        "`{}` (from canary part {part}) in …{}…",
                        String::from_utf8_lossy(piece),
                        String::from_utf8_lossy(&hay[from..to])
                    ));
                }
            }
        }
        None
    }

    /// Records a leak if `hay` holds a watched piece.
    fn check(&mut self, label: &str, stream: &str, hay: &[u8]) {
        if let Some(found) = self.find(hay) {
            self.leaks
                .push(format!("{label}: {stream} contains {found}"));
        }
    }

    /// Runs `cmd` (with the standard timeout), asserts its exit status, and records any
    /// canary in its stdout or stderr. A failing command (status 2 or more) runs again
    /// with `RUST_BACKTRACE=1`, which must not change what it prints about values.
    fn quiet(&mut self, label: &str, cmd: &mut Command, code: i32) -> Output {
        let out = run(label, cmd, code);
        self.check(label, "stdout", &out.stdout);
        self.check(label, "stderr", &out.stderr);
        if code >= 2 {
            let label = format!("{label} [RUST_BACKTRACE=1]");
            let again = run(&label, cmd.env("RUST_BACKTRACE", "1"), code);
            self.check(&label, "stdout", &again.stdout);
            self.check(&label, "stderr", &again.stderr);
        }
        out
    }

    /// Runs `cmd` where printing a value on stdout is the point: stdout must contain
    /// `shown` (which proves the detector sees values), stderr must hold no canary.
    fn reveals(&mut self, label: &str, cmd: &mut Command, code: i32, shown: &str) -> Output {
        let out = run(label, cmd, code);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(shown),
            "{label}: stdout should show the value {shown:?}\nstdout: {}\nstderr: {}",
            stdout(&out),
            stderr(&out)
        );
        assert!(
            self.find(&out.stdout).is_some(),
            "{label}: the detector missed a value on stdout"
        );
        self.check(label, "stderr", &out.stderr);
        out
    }

    /// Asserts that no leak was recorded, listing all of them if any was.
    fn assert_none(&self) {
        assert!(
            self.leaks.is_empty(),
            "{} leak(s) of secret values:\n{}",
            self.leaks.len(),
            self.leaks.join("\n\n")
        );
    }
}

/// Runs a command with the standard timeout and asserts its exit status.
fn run(label: &str, cmd: &mut Command, code: i32) -> Output {
    let out = cmd.timeout(TIMEOUT).output().unwrap();
    let status = out
        .status
        .code()
        .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0));
    assert_eq!(
        status,
        code,
        "{label}: unexpected exit status\nstdout: {}\nstderr: {}",
        stdout(&out),
        stderr(&out)
    );
    out
}

// ---------------------------------------------------------------------------------------
// The repository under test.

/// A vault with `dev` and `prod` read by alice, bob's key (not a member), the canaries,
/// and a directory of the user's own input files (removed before the final search).
struct Canary {
    repo: TestRepo,
    alice: Key,
    bob: Key,
    watch: Watch,
    values: Values,
}

impl Canary {
    /// The vault and keys, with nothing stored yet; `vault init` runs under watch.
    fn new() -> Self {
        let repo = TestRepo::new();
        let alice = repo.key("alice");
        let bob = repo.key("bob");
        let mut watch = Watch::default();
        let values = watch.values();
        watch.quiet(
            "init",
            repo.vault(&alice)
                .args(["init", "--name", "alice", "--env", "dev,prod"]),
            0,
        );
        std::fs::remove_file(repo.path(".secrets.example.toml")).unwrap();
        std::fs::create_dir_all(repo.base_path("inputs")).unwrap();
        Self {
            repo,
            alice,
            bob,
            watch,
            values,
        }
    }

    /// [`Canary::new`] with the values stored through every way `set` takes a value:
    /// dev holds `API_KEY` (stdin), `MULTI` (--from-file), `QUOTED` (--from-file) and
    /// `PLAIN`; prod holds `API_KEY` (the value argument) and `QUOTED` (stdin). `API_KEY`
    /// and `QUOTED` are deliberately shared between the environments.
    fn seeded() -> Self {
        let mut this = Self::new();
        let single = this.values.single.clone();
        let multi = this.values.multi.clone();
        let quoted = this.values.quoted.clone();
        this.quiet(
            "set (stdin)",
            this.alice()
                .args(["set", "dev", "API_KEY"])
                .write_stdin(single.clone()),
            0,
        );
        this.quiet(
            "set (value argument)",
            this.alice().args(["set", "prod", "API_KEY", &single]),
            0,
        );
        let multi_file = this.input("multi.txt", multi.as_bytes());
        this.quiet(
            "set --from-file (multi-line)",
            this.alice()
                .args(["set", "dev", "MULTI", "--from-file"])
                .arg(&multi_file),
            0,
        );
        let quoted_file = this.input("quoted.txt", quoted.as_bytes());
        this.quiet(
            "set --from-file (quotes and $)",
            this.alice()
                .args(["set", "dev", "QUOTED", "--from-file"])
                .arg(&quoted_file),
            0,
        );
        this.quiet(
            "set (stdin, quotes and $)",
            this.alice()
                .args(["set", "prod", "QUOTED"])
                .write_stdin(quoted.clone()),
            0,
        );
        this.quiet(
            "set (harmless value)",
            this.alice()
                .args(["set", "dev", "PLAIN"])
                .write_stdin("not-secret"),
            0,
        );
        assert_eq!(this.repo.get(&this.alice, "dev", "API_KEY"), single);
        assert_eq!(this.repo.get(&this.alice, "dev", "MULTI"), multi);
        assert_eq!(this.repo.get(&this.alice, "prod", "QUOTED"), quoted);
        this
    }

    /// `vault` as alice, who reads every environment.
    fn alice(&self) -> Command {
        self.repo.vault(&self.alice)
    }

    /// `vault` as bob, who is not a recipient of anything (unless a test adds him).
    fn bob(&self) -> Command {
        self.repo.vault(&self.bob)
    }

    /// `vault` with no identity at all.
    fn nobody(&self) -> Command {
        self.repo.bare_vault()
    }

    /// `vault` as alice with `$EDITOR` set.
    fn edit(&self, editor: impl AsRef<std::ffi::OsStr>, env: &str) -> Command {
        let mut cmd = self.alice();
        cmd.env("EDITOR", editor).args(["edit", env]);
        cmd
    }

    /// Hermetic `git` with a fixed author and dates, as `key` (for the hook and drivers).
    fn git(&self, key: Option<&Key>) -> Command {
        let mut cmd = self.repo.isolated("git");
        cmd.env("GIT_AUTHOR_NAME", "Test Author")
            .env("GIT_AUTHOR_EMAIL", "author@example.com")
            .env("GIT_COMMITTER_NAME", "Test Committer")
            .env("GIT_COMMITTER_EMAIL", "committer@example.com")
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_MERGE_AUTOEDIT", "no");
        if let Some(key) = key {
            cmd.env("VAULT_IDENTITY_FILE", &key.file);
        }
        cmd
    }

    /// Writes one of the user's own input files (outside the repository) and returns it.
    fn input(&self, name: &str, content: &[u8]) -> PathBuf {
        let path = self.repo.base_path("inputs").join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    /// [`Watch::quiet`].
    fn quiet(&mut self, label: &str, cmd: &mut Command, code: i32) -> Output {
        self.watch.quiet(label, cmd, code)
    }

    /// [`Watch::reveals`].
    fn reveals(&mut self, label: &str, cmd: &mut Command, code: i32, shown: &str) -> Output {
        self.watch.reveals(label, cmd, code, shown)
    }

    /// Commits everything as alice (the pre-commit hook runs and must stay quiet).
    fn commit(&mut self, message: &str) {
        self.quiet("git add", self.git(None).args(["add", "-A"]), 0);
        self.quiet(
            &format!("git commit ({message})"),
            self.git(Some(&self.alice)).args(["commit", "-qm", message]),
            0,
        );
    }

    /// Removes the user's input files, then searches everything left on disk for the
    /// canaries, and asserts that no output leaked one either.
    fn finish(mut self) {
        std::fs::remove_dir_all(self.repo.base_path("inputs")).unwrap();
        self.search_disk();
        self.watch.assert_none();
    }

    /// Records every canary left on disk: any file under the temporary base directory
    /// (repository with `.git`, `$HOME`, `$XDG_RUNTIME_DIR`), every git object
    /// decompressed, and edit buffers in `/dev/shm` and the OS temp directory.
    fn search_disk(&mut self) {
        assert_eq!(
            self.repo.edit_leftovers(),
            Vec::<PathBuf>::new(),
            "an edit buffer was left behind"
        );
        let objects = self.repo.path(".git/objects");
        for entry in walkdir::WalkDir::new(self.repo.base())
            .into_iter()
            .filter_entry(|e| e.path() != objects)
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
        {
            let bytes = std::fs::read(entry.path()).unwrap_or_default();
            self.watch
                .check("files on disk", &entry.path().display().to_string(), &bytes);
        }
        // Git stores objects compressed: search every object, reachable or not, unpacked.
        let objects = run(
            "git cat-file --batch-all-objects",
            self.git(None)
                .args(["cat-file", "--batch-all-objects", "--batch"]),
            0,
        );
        self.watch
            .check("git objects", "an object", &objects.stdout);
        // Edit buffers live on memory-backed storage; nothing of ours may stay there.
        for root in [Path::new("/dev/shm").to_owned(), std::env::temp_dir()] {
            for entry in walkdir::WalkDir::new(&root)
                .max_depth(2)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .filter(|e| e.path().to_string_lossy().contains("vault-edit-"))
            {
                let bytes = std::fs::read(entry.path()).unwrap_or_default();
                self.watch.check(
                    "temporary files",
                    &entry.path().display().to_string(),
                    &bytes,
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// init, identity, set, unset, get, ls, export, import.

#[test]
fn canary_secret_commands_print_values_only_for_get_and_export() {
    let mut t = Canary::seeded();
    let single = t.values.single.clone();
    let multi = t.values.multi.clone();
    let quoted = t.values.quoted.clone();

    // init and identity, with the values stored.
    t.quiet(
        "init again",
        t.alice().args(["init", "--name", "alice", "--env", "dev"]),
        2,
    );
    t.quiet("identity show", t.alice().args(["identity", "show"]), 0);
    t.quiet(
        "identity show (no identity)",
        t.nobody().args(["identity", "show"]),
        2,
    );
    let carol = t.repo.base_path("inputs/carol.key");
    t.quiet(
        "identity new --output",
        t.nobody().args(["identity", "new", "--output"]).arg(&carol),
        0,
    );
    t.quiet(
        "identity new (exists)",
        t.nobody().args(["identity", "new", "--output"]).arg(&carol),
        2,
    );

    // An identity mix-up: a file of values, or a value in $VAULT_IDENTITY.
    let values_file = t.input(
        "values.env",
        format!("API_KEY={single}\n{quoted}\n").as_bytes(),
    );
    t.quiet(
        "get (--identity is a file of values)",
        t.alice()
            .args(["get", "dev", "API_KEY", "--identity"])
            .arg(&values_file),
        2,
    );
    t.quiet(
        "get ($VAULT_IDENTITY_FILE is a file of values)",
        t.nobody()
            .env("VAULT_IDENTITY_FILE", &values_file)
            .args(["get", "dev", "API_KEY"]),
        2,
    );
    t.quiet(
        "get ($VAULT_IDENTITY is a value)",
        t.nobody()
            .env("VAULT_IDENTITY", &single)
            .args(["get", "dev", "API_KEY"]),
        2,
    );
    let mut key_and_values = std::fs::read(&t.alice.file).unwrap();
    key_and_values.extend_from_slice(format!("{single}\n").as_bytes());
    let key_and_values = t.input("key-and-values.txt", &key_and_values);
    t.quiet(
        "ls (identity file with a value appended)",
        t.nobody()
            .env("VAULT_IDENTITY_FILE", &key_and_values)
            .args(["ls", "dev"]),
        2,
    );

    // set: success modes not covered by the seeding, then every failure mode, each with a
    // canary on offer.
    t.quiet(
        "set (same value again)",
        t.alice()
            .args(["set", "dev", "API_KEY"])
            .write_stdin(single.clone()),
        0,
    );
    t.quiet(
        "set (stdin, trailing newline)",
        t.alice()
            .args(["set", "dev", "NEWLINE"])
            .write_stdin(format!("{single}\n")),
        0,
    );
    t.quiet(
        "set (invalid name, stdin)",
        t.alice()
            .args(["set", "dev", "bad-name"])
            .write_stdin(single.clone()),
        2,
    );
    t.quiet(
        "set (invalid name, value argument)",
        t.alice().args(["set", "dev", "1BAD", &single]),
        2,
    );
    t.quiet(
        "set (unknown environment)",
        t.alice().args(["set", "nope", "API_KEY", &single]),
        2,
    );
    t.quiet(
        "set (missing --from-file)",
        t.alice()
            .args(["set", "dev", "API_KEY", "--from-file"])
            .arg(t.repo.base_path("inputs/missing")),
        2,
    );
    let nul = t.input("nul.txt", format!("{single}\0{quoted}").as_bytes());
    t.quiet(
        "set --from-file (NUL byte)",
        t.alice()
            .args(["set", "dev", "NUL", "--from-file"])
            .arg(&nul),
        2,
    );
    let mut not_utf8 = single.clone().into_bytes();
    not_utf8.extend_from_slice(b"\xff\xfe");
    not_utf8.extend_from_slice(quoted.as_bytes());
    let not_utf8 = t.input("not-utf8.txt", &not_utf8);
    t.quiet(
        "set --from-file (not UTF-8)",
        t.alice()
            .args(["set", "dev", "BINARY", "--from-file"])
            .arg(&not_utf8),
        2,
    );
    t.quiet(
        "set (not a recipient)",
        t.bob()
            .args(["set", "dev", "API_KEY"])
            .write_stdin(quoted.clone()),
        2,
    );
    t.quiet(
        "set (no identity)",
        t.nobody()
            .args(["set", "dev", "API_KEY"])
            .write_stdin(quoted.clone()),
        2,
    );
    t.quiet(
        "set (outside a vault)",
        t.alice()
            .arg("-C")
            .arg(t.repo.base_path("inputs"))
            .args(["set", "dev", "API_KEY", &single]),
        2,
    );

    // get shows exactly the value, and nothing of it on failure.
    for (env, name, value) in [
        ("dev", "API_KEY", &single),
        ("dev", "MULTI", &multi),
        ("dev", "QUOTED", &quoted),
        ("prod", "API_KEY", &single),
        ("prod", "QUOTED", &quoted),
        ("dev", "NEWLINE", &single),
    ] {
        let out = t.reveals(
            &format!("get {env} {name}"),
            t.alice().args(["get", env, name]),
            0,
            value,
        );
        assert_eq!(stdout(&out), *value, "get {env} {name}");
    }
    t.quiet("get (other key)", t.alice().args(["get", "dev", "NOPE"]), 2);
    t.quiet(
        "get (unknown environment)",
        t.alice().args(["get", "nope", "API_KEY"]),
        2,
    );
    t.quiet(
        "get (not a recipient)",
        t.bob().args(["get", "dev", "API_KEY"]),
        2,
    );
    t.quiet(
        "get (no identity)",
        t.nobody().args(["get", "prod", "QUOTED"]),
        2,
    );

    // ls never shows values.
    t.quiet("ls", t.alice().args(["ls", "dev"]), 0);
    t.quiet("ls prod", t.alice().args(["ls", "prod"]), 0);
    let out = t.quiet("ls --json", t.alice().args(["ls", "dev", "--json"]), 0);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["secrets"].as_array().unwrap().len(), 5, "{doc}");
    t.quiet(
        "ls --json prod",
        t.alice().args(["ls", "prod", "--json"]),
        0,
    );
    t.quiet("ls (not a recipient)", t.bob().args(["ls", "dev"]), 2);
    t.quiet(
        "ls (unknown environment)",
        t.alice().args(["ls", "nope"]),
        2,
    );

    // export prints values in every format; failures print none.
    for format in ["dotenv", "shell", "json"] {
        for env in ["dev", "prod"] {
            t.reveals(
                &format!("export {env} --format {format}"),
                t.alice().args(["export", env, "--format", format]),
                0,
                "CANARY-",
            );
        }
    }
    t.quiet(
        "export (not a recipient)",
        t.bob().args(["export", "dev"]),
        2,
    );
    t.quiet(
        "export (no identity)",
        t.nobody().args(["export", "prod"]),
        2,
    );
    t.quiet(
        "export (unknown environment)",
        t.alice().args(["export", "nope"]),
        2,
    );
    t.quiet(
        "export (bad format)",
        t.alice().args(["export", "dev", "--format", "yaml"]),
        2,
    );

    // import: a dotenv file exported by vault round-trips quietly, from a file and stdin.
    let exported = t.reveals(
        "export dev (for import)",
        t.alice().args(["export", "dev"]),
        0,
        "CANARY-",
    );
    let dotenv = t.input("dev.env", &exported.stdout);
    t.quiet(
        "import (unchanged values)",
        t.alice().args(["import", "prod"]).arg(&dotenv),
        0,
    );
    t.quiet(
        "import - (stdin)",
        t.alice()
            .args(["import", "prod", "-"])
            .write_stdin(format!("IMPORTED='{single}'\n")),
        0,
    );
    assert_eq!(t.repo.get(&t.alice, "prod", "MULTI"), multi);
    assert_eq!(t.repo.get(&t.alice, "prod", "IMPORTED"), single);

    // import of malformed dotenv files: the canary sits on the offending line each time.
    let fresh = t.watch.single();
    let malformed = [
        ("no-equals", format!("GOOD=1\nNOT AN ASSIGNMENT {fresh}\n")),
        ("bad-name", format!("{fresh}=1\n")),
        ("bad-name-value", format!("BAD-NAME={fresh}\n")),
        ("unquoted-quote", format!("A={fresh}\"x\n")),
        ("unknown-escape", format!("A=\"{fresh}\\q\"\n")),
        ("unterminated-single", format!("A='{fresh}\n")),
        ("unterminated-double", format!("A=\"{fresh}\n{quoted}\n")),
        ("text-after-quote", format!("A='{fresh}' {fresh}\n")),
        ("control-character", format!("A={fresh}\u{1}\n")),
        ("nul", format!("A=\"{fresh}\0\"\n")),
        ("duplicate", format!("A={fresh}\nA={fresh}x\n")),
        ("export-only", format!("export {fresh}\n")),
        ("multi-line-unterminated", format!("A=\"{multi}")),
    ];
    for (name, text) in &malformed {
        let file = t.input(&format!("{name}.env"), text.as_bytes());
        t.quiet(
            &format!("import (malformed: {name})"),
            t.alice().args(["import", "dev"]).arg(&file),
            2,
        );
        t.quiet(
            &format!("import - (malformed: {name})"),
            t.alice()
                .args(["import", "dev", "-"])
                .write_stdin(text.clone()),
            2,
        );
    }
    let mut bytes = fresh.clone().into_bytes();
    bytes.extend_from_slice(b"=\xff\n");
    let not_utf8 = t.input("not-utf8.env", &bytes);
    t.quiet(
        "import (not UTF-8)",
        t.alice().args(["import", "dev"]).arg(&not_utf8),
        2,
    );
    t.quiet(
        "import (not a recipient)",
        t.bob().args(["import", "dev"]).arg(&dotenv),
        2,
    );
    t.quiet(
        "import (unknown environment)",
        t.alice().args(["import", "nope"]).arg(&dotenv),
        2,
    );
    t.quiet(
        "get (malformed import stored nothing)",
        t.alice().args(["get", "dev", "A"]),
        2,
    );

    // unset.
    t.quiet("unset", t.alice().args(["unset", "dev", "NEWLINE"]), 0);
    t.quiet(
        "unset (missing)",
        t.alice().args(["unset", "dev", "NEWLINE"]),
        2,
    );
    t.quiet(
        "unset (not a recipient)",
        t.bob().args(["unset", "dev", "API_KEY"]),
        2,
    );
    t.finish();
}

/// The final search is not vacuous: it finds a canary in a plain file, in `$HOME`, and
/// in a git object whose file is gone from the work tree.
#[test]
fn canary_search_finds_values_left_in_files_and_git_objects() {
    let mut t = Canary::seeded();
    let single = t.values.single.clone();
    t.repo.write("notes.txt", format!("{single}\n"));
    t.quiet(
        "git add notes.txt",
        t.git(None).args(["add", "notes.txt"]),
        0,
    );
    std::fs::remove_file(t.repo.path("notes.txt")).unwrap();
    std::fs::write(t.repo.home.join("history"), t.values.quoted.as_bytes()).unwrap();
    t.search_disk();
    let leaks = std::mem::take(&mut t.watch.leaks);
    for place in ["inputs/multi.txt", "home/history", "git objects"] {
        assert!(
            leaks.iter().any(|l| l.contains(place)),
            "the search missed {place}: {leaks:#?}"
        );
    }
    assert!(
        !leaks.iter().any(|l| l.contains("notes.txt")),
        "notes.txt was removed: {leaks:#?}"
    );
}

// ---------------------------------------------------------------------------------------
// edit.

/// Every exit of `vault edit`, with the canaries in the buffer: unchanged, saved, a buffer
/// broken in several ways (reopened, then abandoned), an editor that fails, is killed or
/// does not exist, and `vault edit` itself terminated by SIGTERM.
#[test]
fn canary_edit_prints_no_values_and_leaves_no_buffer() {
    let mut t = Canary::seeded();
    t.quiet("edit (unchanged)", &mut t.edit("true", "dev"), 0);
    let change = t.repo.script(
        "change.sh",
        r#"sed -i 's/^PLAIN = .*/PLAIN = "changed"/' "$1""#,
    );
    t.quiet("edit (saved)", &mut t.edit(&change, "dev"), 0);
    // dev holds API_KEY, MULTI (a ''' string over several lines), PLAIN and QUOTED (a
    // one-line ''' string); prod holds API_KEY and QUOTED.
    let breakages = [
        (
            "unquoted",
            "dev prod",
            r#"sed -i 's/^API_KEY = "\(.*\)"$/API_KEY = \1/' "$1""#,
        ),
        (
            "name deleted",
            "dev prod",
            r#"sed -i 's/^API_KEY = //' "$1""#,
        ),
        (
            "unterminated basic string",
            "dev prod",
            r#"sed -i 's/^API_KEY = "\(.*\)"$/API_KEY = "\1/' "$1""#,
        ),
        (
            "unterminated literal string",
            "dev prod",
            r#"sed -i "s/^\(QUOTED = .*\)'''\$/\1/" "$1""#,
        ),
        (
            "multi-line string unterminated",
            "dev",
            r#"sed -i "/^'''\$/d" "$1""#,
        ),
        (
            "multi-line opener deleted",
            "dev",
            r#"sed -i "s/^MULTI = '''\$//" "$1""#,
        ),
        // Not again once reopened with the error (that would cut a whole line): the user
        // then saves the same broken buffer, and gives up.
        (
            "truncated",
            "dev prod",
            r#"grep -q '^#: ERROR' "$1" || truncate -s -5 "$1""#,
        ),
        (
            "value duplicated",
            "dev prod",
            r#"grep '^API_KEY' "$1" >> "$1""#,
        ),
        (
            "not a string",
            "dev prod",
            r#"sed -i 's/^API_KEY = .*/API_KEY = 5/' "$1""#,
        ),
        ("not UTF-8", "dev prod", r#"printf '\377\376' >> "$1""#),
    ];
    for (i, (what, envs, body)) in breakages.iter().enumerate() {
        let editor = t.repo.script(&format!("break-{i}.sh"), body);
        for env in envs.split(' ') {
            t.quiet(
                &format!("edit {env} (buffer broken: {what})"),
                &mut t.edit(&editor, env),
                2,
            );
        }
    }
    let fails = t.repo.script("fails.sh", "exit 1");
    t.quiet("edit (editor exits 1)", &mut t.edit(&fails, "dev"), 2);
    let killed = t.repo.script("killed.sh", "kill -KILL $$");
    t.quiet("edit (editor killed)", &mut t.edit(&killed, "dev"), 2);
    t.quiet(
        "edit (editor not found)",
        &mut t.edit(t.repo.base_path("no-such-editor"), "dev"),
        2,
    );
    t.quiet("edit (not a recipient)", t.bob().args(["edit", "dev"]), 2);
    t.quiet("edit (unknown environment)", &mut t.edit("true", "nope"), 2);

    // SIGTERM to `vault edit` while the editor has the buffer open.
    let ready = t.repo.base_path("ready");
    let waiting = t.repo.script(
        "wait.sh",
        &format!(
            "trap 'exit 0' TERM\ntouch '{}'\ni=0\nwhile [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done",
            ready.display()
        ),
    );
    let log_path = t.repo.base_path("edit.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = t
        .repo
        .vault_process(Some(&t.alice))
        .env("EDITOR", &waiting)
        .args(["edit", "prod"])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !ready.exists() {
        assert!(start.elapsed() < TIMEOUT, "the editor never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let buffers = t.repo.edit_leftovers();
    assert_eq!(buffers.len(), 1, "one private buffer while editing");
    let buffer = std::fs::read(buffers[0].join("prod.toml")).unwrap();
    assert!(
        t.watch.find(&buffer).is_some(),
        "the buffer holds the values"
    );
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < TIMEOUT, "vault edit did not stop");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let log = std::fs::read(&log_path).unwrap();
    assert_eq!(
        status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&log)
    );
    t.watch.check("edit (SIGTERM)", "output", &log);
    std::fs::remove_file(log_path).unwrap();

    // Nothing above changed a value, except the one saved edit.
    assert_eq!(t.repo.get(&t.alice, "dev", "API_KEY"), t.values.single);
    assert_eq!(t.repo.get(&t.alice, "dev", "MULTI"), t.values.multi);
    assert_eq!(t.repo.get(&t.alice, "dev", "QUOTED"), t.values.quoted);
    assert_eq!(t.repo.get(&t.alice, "prod", "QUOTED"), t.values.quoted);
    assert_eq!(t.repo.get(&t.alice, "dev", "PLAIN"), "changed");
    t.finish();
}

/// A value that the editor moved to where a name belongs (a pasted secret, or a value's
/// line left bare) must not be quoted back by the error: src/edit.rs promises that parse
/// errors "never quote the buffer, which holds secrets".
#[test]
fn canary_edit_error_does_not_quote_a_value_in_the_name_position() {
    let mut t = Canary::seeded();
    let swapped = t.repo.script(
        "swap.sh",
        r#"sed -i 's/^API_KEY = "\(.*\)"$/\1 = "x"/' "$1""#,
    );
    t.quiet(
        "edit (value moved to the name)",
        &mut t.edit(&swapped, "dev"),
        2,
    );
    let quoted_key = t.repo.script(
        "quoted-key.sh",
        r#"sed -i 's/^API_KEY = \(".*"\)$/\1 = "x"/' "$1""#,
    );
    t.quiet(
        "edit (value as a quoted name)",
        &mut t.edit(&quoted_key, "prod"),
        2,
    );
    let table = t
        .repo
        .script("table.sh", r#"sed -i 's/^API_KEY = "\(.*\)"$/[\1]/' "$1""#);
    t.quiet(
        "edit (value as a table header)",
        &mut t.edit(&table, "dev"),
        2,
    );
    assert_eq!(t.repo.get(&t.alice, "dev", "API_KEY"), t.values.single);
    t.finish();
}

// ---------------------------------------------------------------------------------------
// exec.

/// `vault exec` hands values to the child and prints nothing of its own on success; when
/// it refuses (template rules broken by a canary, `--only` unknown, no command, a command
/// that is missing or not executable) it names secrets, never values.
#[test]
fn canary_exec_gives_values_only_to_the_child() {
    let mut t = Canary::seeded();
    for (env, name, value, only) in [
        ("dev", "API_KEY", t.values.single.clone(), None),
        ("prod", "QUOTED", t.values.quoted.clone(), None),
        ("dev", "MULTI", t.values.multi.clone(), Some("MULTI")),
    ] {
        let mut cmd = t.alice();
        cmd.args(["exec", env]);
        if let Some(only) = only {
            cmd.args(["--only", only]);
        }
        cmd.args(["--", "sh", "-c", &format!("printf %s \"${name}\"")]);
        let out = t.reveals(
            &format!("exec {env} ({name} in the child)"),
            &mut cmd,
            0,
            &value,
        );
        assert_eq!(stdout(&out), value);
        assert_eq!(stderr(&out), "", "exec printed something of its own");
    }
    t.quiet(
        "exec --only (others withheld)",
        t.alice().args([
            "exec",
            "dev",
            "--only",
            "PLAIN",
            "--",
            "sh",
            "-c",
            "printf %s \"${API_KEY-withheld}${MULTI-}${QUOTED-}\"",
        ]),
        0,
    );
    t.quiet(
        "exec (child fails)",
        t.alice().args(["exec", "dev", "--", "sh", "-c", "exit 3"]),
        3,
    );

    // The template rejects the canaries: a pattern, a format, a minimum length.
    t.repo.write_template(
        "[API_KEY]\npattern = \"^sk_live_[a-z]+$\"\n\n\
         [MULTI]\nrequired = [\"dev\"]\nformat = \"pem\"\nmin_length = 500\n\n\
         [QUOTED]\nformat = \"url\"\n\n\
         [PLAIN]\nrequired = [\"dev\"]\n",
    );
    for env in ["dev", "prod"] {
        let out = t.quiet(
            &format!("exec {env} (values break the template)"),
            t.alice().args(["exec", env, "--", "true"]),
            125,
        );
        assert!(stderr(&out).contains("pattern"), "{}", stderr(&out));
    }
    let out = t.quiet(
        "exec --only (the canary breaks its pattern)",
        t.alice()
            .args(["exec", "prod", "--only", "API_KEY", "--", "true"]),
        125,
    );
    assert!(
        stderr(&out).contains("`API_KEY` does not match the pattern"),
        "{}",
        stderr(&out)
    );
    t.repo
        .write_template("[API_KEY]\n\n[MISSING_KEY]\nrequired = [\"dev\"]\n");
    let out = t.quiet(
        "exec (missing template key)",
        t.alice().args(["exec", "dev", "--", "true"]),
        125,
    );
    assert!(stderr(&out).contains("MISSING_KEY"), "{}", stderr(&out));
    std::fs::remove_file(t.repo.path(".secrets.example.toml")).unwrap();

    t.quiet(
        "exec --only (unknown)",
        t.alice()
            .args(["exec", "dev", "--only", "API_KEY,NOPE", "--", "true"]),
        125,
    );
    t.quiet(
        "exec (command not found)",
        t.alice()
            .args(["exec", "dev", "--", "no-such-command-for-vault"]),
        127,
    );
    let not_executable = t.input("not-executable", b"#!/bin/sh\n");
    t.quiet(
        "exec (command not executable)",
        t.alice().args(["exec", "prod", "--"]).arg(&not_executable),
        126,
    );
    t.quiet("exec (no command)", t.alice().args(["exec", "dev"]), 125);
    t.quiet(
        "exec (empty command)",
        t.alice().args(["exec", "dev", "--"]),
        125,
    );
    t.quiet(
        "exec (usage error)",
        t.alice().args(["exec", "--bogus", "dev", "--", "true"]),
        125,
    );
    t.quiet(
        "exec (not a recipient)",
        t.bob().args(["exec", "dev", "--", "true"]),
        125,
    );
    t.quiet(
        "exec (no identity)",
        t.nobody().args(["exec", "prod", "--", "true"]),
        125,
    );
    t.quiet(
        "exec (unknown environment)",
        t.alice().args(["exec", "nope", "--", "true"]),
        125,
    );
    t.finish();
}

// ---------------------------------------------------------------------------------------
// member, rekey, access, check, rotate.

/// Onboarding, offboarding, re-keying and the CI gate name members, environments and
/// secrets, never values: not for a value shared between environments, a value that
/// breaks its pattern, or a must-rotate mark.
#[test]
fn canary_membership_check_and_rotation_print_no_values() {
    let mut t = Canary::seeded();
    t.repo.write_template(
        "[API_KEY]\npattern = \"^sk_live_[a-z]+$\"\nrotate_days = 30\n\n\
         [MULTI]\nrequired = [\"dev\"]\nmin_length = 500\n\n\
         [QUOTED]\nrequired = []\nformat = \"url\"\n\n\
         [PLAIN]\nrequired = [\"dev\"]\n",
    );

    // check: the canary is the shared value and the value breaking the pattern (and a
    // format and a minimum length).
    let out = t.quiet("check", t.alice().arg("check"), 1);
    for code in ["[shared-value]", "[pattern]", "[format]", "[too-short]"] {
        assert!(stdout(&out).contains(code), "{code}: {}", stdout(&out));
    }
    let out = t.quiet("check --json", t.alice().args(["check", "--json"]), 1);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes.iter().filter(|c| **c == "shared-value").count(),
        2,
        "API_KEY and QUOTED are shared: {doc}"
    );
    assert!(codes.contains(&"pattern"), "{doc}");
    t.quiet(
        "check --env dev",
        t.alice().args(["check", "--env", "dev"]),
        1,
    );
    t.quiet("check --strict", t.alice().args(["check", "--strict"]), 1);
    t.quiet(
        "check --as-of (overdue)",
        t.alice().args(["check", "--as-of", "2099-01-01", "--json"]),
        1,
    );
    t.quiet(
        "check --as-of (invalid)",
        t.alice().args(["check", "--as-of", "soon"]),
        2,
    );
    t.quiet("check (not a recipient)", t.bob().arg("check"), 0);
    t.quiet(
        "check --json (no identity)",
        t.nobody().args(["check", "--json"]),
        0,
    );

    // rotate: a new canary, the old one still given to the child as NAME_PREVIOUS.
    t.quiet("rotate status", t.alice().args(["rotate", "status"]), 0);
    t.quiet(
        "rotate status --json",
        t.alice().args(["rotate", "status", "--json"]),
        0,
    );
    t.quiet(
        "rotate status dev --as-of",
        t.alice()
            .args(["rotate", "status", "dev", "--as-of", "2099-01-01"]),
        0,
    );
    t.quiet(
        "rotate status (not a recipient)",
        t.bob().args(["rotate", "status"]),
        0,
    );
    t.quiet(
        "rotate status dev (not a recipient)",
        t.bob().args(["rotate", "status", "dev"]),
        2,
    );
    let rotated = t.watch.single();
    let rotated_file = t.input("rotated.txt", rotated.as_bytes());
    let start = |t: &Canary, env: &str, key: &str| {
        let mut cmd = t.alice();
        cmd.args(["rotate", "start", env, key, "--from-file"])
            .arg(&rotated_file);
        cmd
    };
    t.quiet(
        "rotate start --from-file",
        &mut start(&t, "dev", "API_KEY"),
        0,
    );
    t.quiet(
        "rotate start (same value)",
        &mut start(&t, "dev", "API_KEY"),
        0,
    );
    t.quiet(
        "rotate start (unknown secret)",
        &mut start(&t, "dev", "NOPE"),
        2,
    );
    t.quiet(
        "rotate start (stdin)",
        t.alice()
            .args(["rotate", "start", "prod", "API_KEY", "--grace", "7d"])
            .write_stdin(rotated.clone()),
        0,
    );
    t.quiet(
        "rotate start (bad grace)",
        t.alice()
            .args(["rotate", "start", "prod", "QUOTED", "--grace", "forever"])
            .write_stdin(rotated.clone()),
        2,
    );
    t.quiet(
        "rotate start (not a recipient)",
        t.bob()
            .args(["rotate", "start", "dev", "API_KEY"])
            .write_stdin(rotated.clone()),
        2,
    );
    let single = t.values.single.clone();
    // Without the template, whose pattern the canaries break.
    let template = t.repo.read_text(".secrets.example.toml");
    std::fs::remove_file(t.repo.path(".secrets.example.toml")).unwrap();
    let out = t.reveals(
        "exec (old value as API_KEY_PREVIOUS)",
        t.alice().args([
            "exec",
            "dev",
            "--only",
            "API_KEY",
            "--",
            "sh",
            "-c",
            "printf %s \"$API_KEY_PREVIOUS\"",
        ]),
        0,
        &single,
    );
    assert_eq!(stdout(&out), single);
    t.repo.write_template(&template);
    t.quiet(
        "ls (rotation in progress)",
        t.alice().args(["ls", "dev"]),
        0,
    );
    t.quiet(
        "rotate status (rotation in progress)",
        t.alice().args(["rotate", "status", "--json"]),
        0,
    );
    t.quiet(
        "rotate finish",
        t.alice().args(["rotate", "finish", "dev", "API_KEY"]),
        0,
    );
    t.quiet(
        "rotate finish (again)",
        t.alice().args(["rotate", "finish", "dev", "API_KEY"]),
        0,
    );
    t.quiet(
        "rotate finish (unknown secret)",
        t.alice().args(["rotate", "finish", "dev", "NOPE"]),
        2,
    );

    // member request, add, key add; access.
    t.quiet(
        "member request",
        t.bob().args(["member", "request", "bob"]),
        0,
    );
    t.quiet(
        "member request (exists)",
        t.bob().args(["member", "request", "bob"]),
        2,
    );
    t.quiet(
        "member add --dry-run",
        t.alice()
            .args(["member", "add", "bob", "--env", "dev,prod", "--dry-run"]),
        0,
    );
    t.quiet(
        "member add (no terminal to confirm)",
        t.repo
            .vault_without_terminal(&t.alice)
            .args(["member", "add", "bob", "--env", "dev"]),
        2,
    );
    t.quiet(
        "member add --yes",
        t.alice()
            .args(["member", "add", "bob", "--env", "dev", "--yes"]),
        0,
    );
    t.quiet(
        "member add --json",
        t.alice()
            .args(["member", "add", "bob", "--env", "prod", "--yes", "--json"]),
        0,
    );
    t.quiet(
        "member add (unknown member)",
        t.alice()
            .args(["member", "add", "ghost", "--env", "dev", "--yes"]),
        2,
    );
    t.reveals(
        "get (bob, now a member)",
        t.bob().args(["get", "dev", "API_KEY"]),
        0,
        &rotated,
    );
    let carol = t.repo.key("carol");
    t.quiet(
        "member key add --dry-run",
        t.alice()
            .args(["member", "key", "add", "bob", &carol.public, "--dry-run"]),
        0,
    );
    t.quiet(
        "member key add",
        t.alice()
            .args(["member", "key", "add", "bob", &carol.public, "--yes"]),
        0,
    );
    t.quiet("access", t.alice().arg("access"), 0);
    t.quiet("access --json", t.alice().args(["access", "--json"]), 0);
    t.quiet("access bob", t.bob().args(["access", "bob"]), 0);

    // Drift: the roster says bob no longer reads prod; rekey marks prod must-rotate.
    let roster = t.repo.read_text(".vault.toml");
    let dropped = roster.replace(
        "[envs.prod]\nmembers = [\"alice\", \"bob\"]",
        "[envs.prod]\nmembers = [\"alice\"]",
    );
    assert_ne!(roster, dropped, "{roster}");
    t.repo.write_roster(&dropped);
    let out = t.quiet("check (drift)", t.alice().arg("check"), 1);
    assert!(stdout(&out).contains("[drift]"), "{}", stdout(&out));
    t.quiet("rekey --dry-run", t.alice().args(["rekey", "--dry-run"]), 0);
    t.quiet(
        "rekey (no terminal to confirm)",
        t.repo.vault_without_terminal(&t.alice).arg("rekey"),
        2,
    );
    t.quiet(
        "rekey (not a recipient)",
        t.nobody().args(["rekey", "--yes"]),
        2,
    );
    t.quiet(
        "rekey --json",
        t.alice().args(["rekey", "--yes", "--json"]),
        0,
    );
    t.quiet(
        "rekey (nothing to do)",
        t.alice().args(["rekey", "--yes"]),
        0,
    );

    // Offboarding: bob leaves dev, then the team; every dev secret must rotate.
    t.quiet(
        "member remove --dry-run",
        t.alice()
            .args(["member", "remove", "bob", "--env", "dev", "--dry-run"]),
        0,
    );
    t.quiet(
        "member remove --env --json",
        t.alice()
            .args(["member", "remove", "bob", "--env", "dev", "--yes", "--json"]),
        0,
    );
    t.quiet(
        "member remove",
        t.alice().args(["member", "remove", "bob", "--yes"]),
        0,
    );
    t.quiet(
        "member remove (no such member)",
        t.alice().args(["member", "remove", "bob", "--yes"]),
        2,
    );
    let out = t.quiet("check (must rotate)", t.alice().arg("check"), 1);
    assert!(stdout(&out).contains("[must-rotate]"), "{}", stdout(&out));
    t.quiet(
        "check --json (must rotate)",
        t.alice().args(["check", "--json"]),
        1,
    );
    t.quiet(
        "ls (must rotate)",
        t.alice().args(["ls", "prod", "--json"]),
        0,
    );
    t.quiet(
        "rotate status (must rotate)",
        t.alice().args(["rotate", "status"]),
        0,
    );
    t.quiet("check (bob, gone)", t.bob().arg("check"), 0);
    t.finish();
}

// ---------------------------------------------------------------------------------------
// git: log, diff, textconv, the merge driver, hooks, scan and the pre-commit hook.

/// Where values are the point (`diff --show-values`, `textconv` and git's diffs for a
/// member) they are shown; everywhere else in the git integration they are not: the audit
/// log, masked diffs, textconv for a non-member, a conflicting merge, and every scan of a
/// file, the index or history that holds a committed canary. Baselines hold fingerprints,
/// never values. The committed canary is then purged from history (reflog expired,
/// objects pruned) before the final search of every git object.
#[test]
fn canary_git_integration_shows_values_only_where_asked() {
    let mut t = Canary::seeded();
    let alice = t.alice.clone();
    let bob = t.bob.clone();
    t.commit("seed");

    // log: names and commits only, whoever asks.
    t.quiet("log", t.alice().arg("log"), 0);
    t.quiet("log --json", t.alice().args(["log", "--json"]), 0);
    t.quiet(
        "log dev API_KEY",
        t.alice().args(["log", "dev", "API_KEY"]),
        0,
    );
    t.quiet(
        "log prod QUOTED --json",
        t.alice().args(["log", "prod", "QUOTED", "--json"]),
        0,
    );
    t.quiet("log (not a recipient)", t.bob().args(["log", "--json"]), 0);
    t.quiet("log (no identity)", t.nobody().arg("log"), 0);
    t.quiet(
        "log (unknown environment)",
        t.alice().args(["log", "nope"]),
        2,
    );

    // A committed change, then uncommitted ones.
    let second = t.watch.single();
    t.quiet(
        "set (second value)",
        t.alice()
            .args(["set", "dev", "API_KEY"])
            .write_stdin(second.clone()),
        0,
    );
    t.commit("change API_KEY");
    let third = t.watch.single();
    t.quiet(
        "set (third value)",
        t.alice()
            .args(["set", "dev", "API_KEY"])
            .write_stdin(third.clone()),
        0,
    );
    let added = t.watch.single();
    t.quiet(
        "set (added)",
        t.alice()
            .args(["set", "dev", "ADDED"])
            .write_stdin(added.clone()),
        0,
    );
    t.quiet(
        "unset (removed)",
        t.alice().args(["unset", "prod", "QUOTED"]),
        0,
    );
    t.quiet("log (after changes)", t.alice().arg("log"), 0);

    // diff: masked unless --show-values.
    for args in [
        &["diff"][..],
        &["diff", "dev"],
        &["diff", "HEAD~1"],
        &["diff", "HEAD~1", "dev"],
        &["diff", "--json"],
        &["diff", "HEAD~1", "--json"],
    ] {
        let out = t.quiet(&args.join(" "), t.alice().args(args), 0);
        if !args.contains(&"--json") {
            assert!(stdout(&out).contains("•••"), "{}", stdout(&out));
        }
    }
    let out = t.reveals(
        "diff --show-values",
        t.alice().args(["diff", "--show-values"]),
        0,
        &third,
    );
    assert!(stdout(&out).contains(&second), "{}", stdout(&out));
    assert!(stdout(&out).contains(&added), "{}", stdout(&out));
    t.reveals(
        "diff HEAD~1 dev --show-values --json",
        t.alice()
            .args(["diff", "HEAD~1", "dev", "--show-values", "--json"]),
        0,
        &t.values.single.clone(),
    );
    t.quiet("diff (not a recipient)", t.bob().arg("diff"), 2);
    t.quiet("diff (no identity)", t.nobody().arg("diff"), 2);
    t.quiet(
        "diff (bad revision)",
        t.alice().args(["diff", "no-such-rev"]),
        2,
    );
    t.quiet(
        "diff (unknown environment)",
        t.alice().args(["diff", "HEAD", "nope"]),
        2,
    );

    // textconv, directly and through git.
    t.reveals(
        "textconv (member)",
        t.alice().args(["textconv", "secrets/dev.age"]),
        0,
        &third,
    );
    let out = t.quiet(
        "textconv (not a recipient)",
        t.bob().args(["textconv", "secrets/dev.age"]),
        0,
    );
    assert!(stdout(&out).contains("not a recipient"), "{}", stdout(&out));
    let out = t.quiet(
        "textconv (no identity)",
        t.nobody().args(["textconv", "secrets/prod.age"]),
        0,
    );
    assert!(stdout(&out).contains("no identity"), "{}", stdout(&out));
    t.quiet(
        "textconv (missing file)",
        t.alice().args(["textconv", "secrets/nope.age"]),
        2,
    );
    t.quiet(
        "textconv (not age armor)",
        t.alice().args(["textconv", ".vault.toml"]),
        0,
    );
    let out = t.reveals(
        "git diff (member)",
        t.git(Some(&alice)).args(["diff", "--", "secrets/"]),
        0,
        &third,
    );
    assert!(stdout(&out).contains(&second), "{}", stdout(&out));
    t.reveals(
        "git log -p (member)",
        t.git(Some(&alice)).args(["log", "-p", "--", "secrets/"]),
        0,
        &second,
    );
    for (who, key) in [("not a recipient", Some(&bob)), ("no identity", None)] {
        t.quiet(
            &format!("git diff ({who})"),
            t.git(key).args(["diff", "--", "secrets/"]),
            0,
        );
        let out = t.quiet(
            &format!("git log -p ({who})"),
            t.git(key).args(["log", "-p", "--", "secrets/"]),
            0,
        );
        assert!(
            stdout(&out).contains("+# vault: encrypted secrets"),
            "{}",
            stdout(&out)
        );
    }
    t.commit("more changes");

    // A conflicting merge of two canaries, the merge driver, and resolving it.
    t.quiet(
        "git checkout -b",
        t.git(None).args(["checkout", "-qb", "feature"]),
        0,
    );
    let theirs = t.watch.single();
    t.quiet(
        "set (their value)",
        t.alice()
            .args(["set", "dev", "API_KEY"])
            .write_stdin(theirs.clone()),
        0,
    );
    t.commit("theirs");
    t.quiet(
        "git checkout main",
        t.git(None).args(["checkout", "-q", "main"]),
        0,
    );
    let ours = t.watch.single();
    t.quiet(
        "set (our value)",
        t.alice()
            .args(["set", "dev", "API_KEY"])
            .write_stdin(ours.clone()),
        0,
    );
    t.commit("ours");
    let out = t.quiet(
        "git merge (conflict, merge driver)",
        t.git(Some(&alice)).args(["merge", "feature"]),
        1,
    );
    assert!(
        format!("{}{}", stdout(&out), stderr(&out)).contains("API_KEY"),
        "{}",
        stderr(&out)
    );
    t.quiet(
        "exec (unresolved conflict)",
        t.alice().args(["exec", "dev", "--", "true"]),
        125,
    );
    let out = t.quiet("check (unresolved conflict)", t.alice().arg("check"), 1);
    assert!(stdout(&out).contains("[conflict]"), "{}", stdout(&out));
    t.quiet("edit (conflict, unchanged)", &mut t.edit("true", "dev"), 2);
    t.reveals(
        "textconv (conflicted file)",
        t.alice().args(["textconv", "secrets/dev.age"]),
        0,
        "CONFLICT",
    );
    let keep_ours = t
        .repo
        .script("keep-ours.sh", r#"sed -i '/# theirs$/d' "$1""#);
    t.quiet(
        "edit (conflict resolved)",
        &mut t.edit(&keep_ours, "dev"),
        0,
    );
    assert_eq!(t.repo.get(&alice, "dev", "API_KEY"), ours);
    t.quiet(
        "git add (resolved)",
        t.git(None).args(["add", "secrets/dev.age"]),
        0,
    );
    t.quiet(
        "git commit (merge)",
        t.git(Some(&alice)).args(["commit", "-q", "--no-edit"]),
        0,
    );

    // The merge driver run directly, on blobs of the last three commits.
    let blob = |t: &mut Canary, rev: &str, name: &str| {
        let out = t.quiet(
            &format!("git show {rev}"),
            t.git(None)
                .args(["show", &format!("{rev}:secrets/dev.age")]),
            0,
        );
        t.input(name, &out.stdout)
    };
    let base = blob(&mut t, "HEAD~2", "base.age");
    let ours_file = blob(&mut t, "HEAD~1", "ours.age");
    let theirs_file = blob(&mut t, "HEAD^2", "theirs.age");
    let driver = |t: &Canary, key: Option<&Key>, path: &str| {
        let mut cmd = match key {
            Some(key) => t.repo.vault(key),
            None => t.nobody(),
        };
        cmd.arg("merge-driver")
            .args([&base, &ours_file, &theirs_file])
            .arg(path);
        cmd
    };
    t.quiet(
        "merge-driver (not a recipient)",
        &mut driver(&t, Some(&bob), "secrets/dev.age"),
        2,
    );
    t.quiet(
        "merge-driver (no identity)",
        &mut driver(&t, None, "secrets/dev.age"),
        2,
    );
    t.quiet(
        "merge-driver (invalid path)",
        &mut driver(&t, Some(&alice), "secrets/NOT VALID.age"),
        2,
    );
    t.quiet(
        "merge-driver (conflict)",
        &mut driver(&t, Some(&alice), "secrets/dev.age"),
        1,
    );
    t.quiet(
        "merge-driver (missing files)",
        t.alice()
            .args(["merge-driver", "a", "b", "c", "secrets/dev.age"]),
        2,
    );

    // hooks.
    t.quiet("hooks install", t.alice().args(["hooks", "install"]), 0);
    t.quiet("hooks uninstall", t.alice().args(["hooks", "uninstall"]), 0);
    t.quiet(
        "hooks install (again)",
        t.alice().args(["hooks", "install"]),
        0,
    );

    // The canaries copied into ordinary files: scans report where, never what.
    let clean_head = stdout(&run(
        "git rev-parse",
        t.git(None).args(["rev-parse", "HEAD"]),
        0,
    ))
    .trim()
    .to_owned();
    let single = t.values.single.clone();
    t.repo.write(
        "config/app.yml",
        format!("db_password: \"{single}\"\napi_token: {ours}\n"),
    );
    t.repo.write("notes.txt", &t.values.multi);
    t.repo
        .write("deploy.sh", format!("QUOTED={}\n", t.values.quoted));
    let out = t.quiet("scan", t.alice().arg("scan"), 1);
    assert!(stdout(&out).contains("[known-value]"), "{}", stdout(&out));
    for file in ["config/app.yml", "notes.txt", "deploy.sh"] {
        assert!(stdout(&out).contains(file), "{file}: {}", stdout(&out));
    }
    t.quiet("scan --json", t.alice().args(["scan", "--json"]), 1);
    t.quiet("scan config", t.alice().args(["scan", "config"]), 1);
    // Without the values to compare, the pattern rules still catch the assignment; their
    // hints show the key name and a length.
    let out = t.quiet(
        "scan config (no identity)",
        t.nobody().args(["scan", "config"]),
        1,
    );
    assert!(
        stdout(&out).contains("value of db_password"),
        "{}",
        stdout(&out)
    );
    t.quiet(
        "scan config (not a recipient)",
        t.bob().args(["scan", "config"]),
        1,
    );
    t.quiet("git add (canaries)", t.git(None).args(["add", "-A"]), 0);
    t.quiet("scan --staged", t.alice().args(["scan", "--staged"]), 1);
    t.quiet(
        "scan --staged --json",
        t.alice().args(["scan", "--staged", "--json"]),
        1,
    );
    t.quiet("hook pre-commit", t.alice().args(["hook", "pre-commit"]), 1);
    t.quiet(
        "hook pre-commit --json",
        t.alice().args(["hook", "pre-commit", "--json"]),
        1,
    );
    t.quiet(
        "git commit (blocked by the hook)",
        t.git(Some(&alice)).args(["commit", "-qm", "leak"]),
        1,
    );
    t.quiet(
        "git commit --no-verify",
        t.git(Some(&alice))
            .args(["commit", "-qm", "leak", "--no-verify"]),
        0,
    );
    let out = t.quiet("scan --history", t.alice().args(["scan", "--history"]), 1);
    assert!(stdout(&out).contains("[known-value]"), "{}", stdout(&out));
    t.quiet(
        "scan --history --json",
        t.alice().args(["scan", "--history", "--json"]),
        1,
    );
    t.quiet(
        "scan --history (no identity)",
        t.nobody().args(["scan", "--history"]),
        1,
    );
    t.quiet(
        "scan --history RANGE",
        t.alice().args(["scan", "--history", "HEAD~1..HEAD"]),
        1,
    );
    t.quiet(
        "scan --history --write-baseline",
        t.alice().args([
            "scan",
            "--history",
            "--write-baseline",
            "history-baseline.json",
        ]),
        0,
    );
    t.quiet(
        "scan --history --baseline",
        t.alice()
            .args(["scan", "--history", "--baseline", "history-baseline.json"]),
        0,
    );
    t.quiet(
        "scan --write-baseline",
        t.alice()
            .args(["scan", "--write-baseline", ".vault-baseline.json"]),
        0,
    );
    t.quiet("scan (baseline)", t.alice().arg("scan"), 0);
    t.quiet(
        "scan --staged --write-baseline",
        t.alice().args([
            "scan",
            "--staged",
            "--write-baseline",
            "staged-baseline.json",
        ]),
        0,
    );
    for file in [
        ".vault-baseline.json",
        "history-baseline.json",
        "staged-baseline.json",
    ] {
        let text = t.repo.read(file);
        assert!(
            String::from_utf8_lossy(&text).contains("fingerprint"),
            "{file}"
        );
        t.watch.check("baseline", file, &text);
    }

    // Purge the committed canaries from history before the final search.
    let git = |t: &mut Canary, args: &[&str]| {
        t.quiet(&format!("git {}", args[0]), t.git(None).args(args), 0);
    };
    git(&mut t, &["reset", "-q", "--hard", &clean_head]);
    git(&mut t, &["update-ref", "-d", "ORIG_HEAD"]);
    git(&mut t, &["reflog", "expire", "--expire=now", "--all"]);
    git(&mut t, &["gc", "-q", "--prune=now"]);
    for file in ["config/app.yml", "notes.txt", "deploy.sh"] {
        assert!(!t.repo.path(file).exists(), "{file}");
    }
    t.finish();
}

// ---------------------------------------------------------------------------------------
// A panic with values in memory.

/// A panic right after decryption (forced with `VAULT_TEST_PANIC_AT=after-decrypt`, which
/// only a `--features test-hooks` build honours) exits 101 and prints no value, with and
/// without `RUST_BACKTRACE`, whichever command was running; nothing is written.
#[test]
#[cfg_attr(
    not(feature = "test-hooks"),
    ignore = "needs --features test-hooks (run by .ci/run)"
)]
fn panic_after_decrypt_prints_no_secret() {
    let mut t = Canary::seeded();
    t.commit("seed");
    let fresh = t.watch.single();
    let bob_key = t.bob.public.clone();
    let cases: Vec<(&str, Vec<&str>, Option<String>)> = vec![
        ("get", vec!["get", "dev", "API_KEY"], None),
        ("ls", vec!["ls", "dev"], None),
        ("export", vec!["export", "prod", "--format", "json"], None),
        ("exec", vec!["exec", "dev", "--", "true"], None),
        ("edit", vec!["edit", "dev"], None),
        ("set", vec!["set", "dev", "NEW"], Some(fresh.clone())),
        (
            "import",
            vec!["import", "dev", "-"],
            Some(format!("NEW='{fresh}'\n")),
        ),
        ("unset", vec!["unset", "dev", "PLAIN"], None),
        (
            "rotate start",
            vec!["rotate", "start", "dev", "API_KEY"],
            Some(fresh.clone()),
        ),
        ("rotate status", vec!["rotate", "status"], None),
        ("check", vec!["check"], None),
        ("diff", vec!["diff", "--show-values"], None),
        ("log", vec!["log"], None),
        ("scan --staged", vec!["scan", "--staged"], None),
        ("hook pre-commit", vec!["hook", "pre-commit"], None),
        (
            "member add",
            vec![
                "member", "add", "bob", "--env", "dev", "--key", &bob_key, "--yes",
            ],
            None,
        ),
    ];
    let before = t.repo.snapshot();
    for backtrace in [None, Some("full")] {
        for (label, args, input) in &cases {
            let mut cmd = t.alice();
            cmd.args(args)
                .env("VAULT_TEST_PANIC_AT", "after-decrypt")
                .env("EDITOR", "true");
            if let Some(input) = input {
                cmd.write_stdin(input.clone());
            }
            if let Some(backtrace) = backtrace {
                cmd.env("RUST_BACKTRACE", backtrace);
            }
            let label = format!(
                "{label} (panic, RUST_BACKTRACE={})",
                backtrace.unwrap_or("unset")
            );
            let out = t.quiet(&label, &mut cmd, 101);
            assert!(
                stderr(&out).contains("forced test panic at after-decrypt"),
                "{label}: {}",
                stderr(&out)
            );
        }
    }
    assert_same_files(&before, &t.repo.snapshot());
    assert_eq!(t.repo.get(&t.alice, "dev", "API_KEY"), t.values.single);
    t.quiet(
        "get (nothing was set)",
        t.alice().args(["get", "dev", "NEW"]),
        2,
    );
    t.finish();
}
