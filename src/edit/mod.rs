//! `vault edit`: the editable buffer (render and parse), applying an edit to a payload,
//! and the private workspace the buffer lives in while the editor runs.
//!
//! The buffer is TOML, one `NAME = "value"` per secret, with the user's comment lines
//! above each secret kept in the payload so they survive the round trip. Lines starting
//! with `#:` are vault's own instructions and errors; they are dropped on read.
//! Parse errors carry a line number and never quote the buffer, which holds secrets.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use zeroize::Zeroizing;

mod signals;

pub use signals::SignalWatch;

use crate::names;
use crate::payload::{self, Payload, PayloadError, line_of};
use crate::secret::Secret;

/// Prefix of the instruction lines vault writes into the buffer.
pub const NOTE_PREFIX: &str = "#:";

/// Errors in an edited buffer, or in running the editor.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The buffer is not valid TOML.
    #[error("line {line}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// The parser's message (without the source line).
        message: String,
    },
    /// A key is not a valid secret name. The text in the name position is not echoed: it
    /// may be a pasted secret or a stray line of a multi-line value.
    #[error(
        "line {line}: the name before `=` is not a valid secret name (letters, digits and `_`, not starting with a digit)"
    )]
    InvalidName {
        /// 1-based line.
        line: usize,
        /// The name.
        name: String,
    },
    /// A value is not a string.
    #[error("line {line}: the value of `{name}` must be a quoted string")]
    NotAString {
        /// 1-based line.
        line: usize,
        /// The name.
        name: String,
    },
    /// A value cannot be stored.
    #[error(transparent)]
    Value(#[from] PayloadError),
    /// The editor could not be started.
    #[error("cannot start the editor `{editor}`")]
    EditorFailed {
        /// The editor command.
        editor: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The editor exited with a failure status or was killed.
    #[error("the editor `{editor}` {status}; nothing was changed")]
    EditorExit {
        /// The editor command.
        editor: String,
        /// "exited with status 1" / "was killed by signal 9" / "was not found".
        status: String,
    },
    /// The workspace could not be created, written or read.
    #[error("cannot {action} the temporary edit file")]
    Workspace {
        /// What failed.
        action: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// One secret as read back from the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    /// The name.
    pub name: String,
    /// The value.
    pub value: Secret,
    /// Comment lines above it, `#` included, joined by `\n`.
    pub comment: Option<String>,
}

/// Renders the buffer for `payload`, with `notes` (instructions, errors) at the top.
#[must_use]
pub fn render(payload: &Payload, notes: &[String]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::new());
    for note in notes {
        for line in note.lines() {
            out.push_str(NOTE_PREFIX);
            out.push(' ');
            out.push_str(line);
            out.push('\n');
        }
    }
    for (name, conflict) in &payload.conflicts {
        out.push('\n');
        out.push_str(&format!(
            "{NOTE_PREFIX} CONFLICT: `{name}` was changed differently on two branches. Keep one line (edit it if you like), delete the other.\n"
        ));
        for (side, value) in [("ours", &conflict.ours), ("theirs", &conflict.theirs)] {
            match value {
                Some(value) => {
                    out.push_str(name);
                    out.push_str(" = ");
                    out.push_str(&toml_string(value.expose()));
                    out.push_str(&format!("  # {side}\n"));
                }
                None => out.push_str(&format!(
                    "{NOTE_PREFIX} ({side}: removed; delete the other line to keep it removed)\n"
                )),
            }
        }
    }
    for (name, entry) in &payload.secrets {
        if payload.conflicts.contains_key(name) {
            continue;
        }
        out.push('\n');
        if let Some(comment) = &entry.comment {
            out.push_str(comment);
            out.push('\n');
        }
        out.push_str(name);
        out.push_str(" = ");
        out.push_str(&toml_string(entry.value.expose()));
        out.push('\n');
    }
    out
}

/// The instruction lines for a fresh buffer.
#[must_use]
pub fn instructions(env: &str, path: &Path) -> Vec<String> {
    vec![
        format!("Editing the secrets of `{env}` ({}).", path.display()),
        "One secret per line: NAME = \"value\". Multi-line values: NAME = '''…'''.".to_owned(),
        "Delete a line to remove a secret. Comments (#) above a secret are kept.".to_owned(),
        "Save and quit to encrypt; quit without saving to leave everything unchanged.".to_owned(),
    ]
}

/// Formats a value as a TOML string: a literal multi-line string when that reads better,
/// otherwise an escaped basic string.
#[must_use]
pub fn toml_string(value: &str) -> Zeroizing<String> {
    let multiline_ok = value.contains('\n')
        && !value.contains("'''")
        && !value.ends_with('\'')
        && !value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t');
    if multiline_ok {
        Zeroizing::new(format!("'''\n{value}'''"))
    } else {
        Zeroizing::new(toml_edit::Value::from(value).to_string().trim().to_owned())
    }
}

/// Parses an edited buffer.
///
/// # Errors
/// The first problem, with its line number.
pub fn parse(buffer: &str) -> Result<Vec<Edited>, EditError> {
    let doc = toml_edit::Document::parse(buffer).map_err(|e: toml_edit::TomlError| {
        EditError::Syntax {
            line: e.span().map_or(0, |s| line_of(buffer, s.start)),
            message: first_line(e.message()),
        }
    })?;
    let mut out = Vec::new();
    for (key, item) in doc.as_table().iter() {
        let line = doc
            .as_table()
            .key(key)
            .and_then(toml_edit::Key::span)
            .map_or(0, |s| line_of(buffer, s.start));
        if !names::is_secret_name(key) {
            return Err(EditError::InvalidName {
                line,
                name: key.to_owned(),
            });
        }
        let Some(value) = item.as_str() else {
            return Err(EditError::NotAString {
                line,
                name: key.to_owned(),
            });
        };
        payload::check_value(key, value)?;
        let prefix = doc
            .as_table()
            .key(key)
            .and_then(|k| k.leaf_decor().prefix())
            .and_then(|p| p.as_str().or_else(|| p.span().and_then(|s| buffer.get(s))))
            .unwrap_or_default();
        out.push(Edited {
            name: key.to_owned(),
            value: Secret::from(value),
            comment: comment_of(prefix),
        });
    }
    Ok(out)
}

fn comment_of(prefix: &str) -> Option<String> {
    let lines: Vec<&str> = prefix
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('#') && !l.starts_with(NOTE_PREFIX))
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn first_line(message: &str) -> String {
    message
        .lines()
        .next()
        .unwrap_or("invalid TOML")
        .trim()
        .to_owned()
}

/// Key-level changes between two payloads, for messages (names only).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    /// New secrets.
    pub added: Vec<String>,
    /// Secrets whose value changed.
    pub changed: Vec<String>,
    /// Removed secrets.
    pub removed: Vec<String>,
    /// Secrets whose comment changed only.
    pub commented: Vec<String>,
}

impl Changes {
    /// Whether nothing changed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.changed.is_empty()
            && self.removed.is_empty()
            && self.commented.is_empty()
    }
}

/// Computes what `edited` changes relative to `base`.
#[must_use]
pub fn diff(base: &Payload, edited: &[Edited]) -> Changes {
    let mut changes = Changes::default();
    let edited_by_name: BTreeMap<&str, &Edited> =
        edited.iter().map(|e| (e.name.as_str(), e)).collect();
    for (name, entry) in &base.secrets {
        match edited_by_name.get(name.as_str()) {
            None => changes.removed.push(name.clone()),
            Some(e) if e.value != entry.value => changes.changed.push(name.clone()),
            Some(e) if e.comment != entry.comment => changes.commented.push(name.clone()),
            Some(_) => {}
        }
    }
    for name in edited_by_name.keys() {
        if !base.secrets.contains_key(*name) {
            changes.added.push((*name).to_owned());
        }
    }
    changes
}

/// Applies `changes` (computed against some base) from `edited` onto `target`, which may
/// be newer than the base if someone else wrote meanwhile. Returns the names changed on
/// both sides, which the caller must treat as a conflict.
///
/// # Errors
/// An invalid value.
pub fn apply(
    target: &mut Payload,
    base: &Payload,
    edited: &[Edited],
    changes: &Changes,
    now: Timestamp,
) -> Result<Vec<String>, PayloadError> {
    let by_name: BTreeMap<&str, &Edited> = edited.iter().map(|e| (e.name.as_str(), e)).collect();
    let touched_elsewhere = |name: &str| base.secrets.get(name) != target.secrets.get(name);
    let conflicts: Vec<String> = changes
        .added
        .iter()
        .chain(&changes.changed)
        .chain(&changes.removed)
        .chain(&changes.commented)
        .filter(|name| touched_elsewhere(name))
        .cloned()
        .collect();
    if !conflicts.is_empty() {
        return Ok(conflicts);
    }
    for name in &changes.removed {
        target.unset(name);
    }
    for name in changes
        .added
        .iter()
        .chain(&changes.changed)
        .chain(&changes.commented)
    {
        let edited = by_name[name.as_str()];
        target.set(name, edited.value.clone(), now)?;
        if let Some(entry) = target.secrets.get_mut(name) {
            entry.comment.clone_from(&edited.comment);
        }
    }
    Ok(Vec::new())
}

/// A private directory on memory-backed storage holding the one buffer file; removed
/// (with the file) on drop, so every exit path that unwinds cleans up.
///
/// The directory is named `vault-edit-<pid>-<random>`, so that a buffer left behind by a
/// process that could not clean up (SIGKILL, a power cut on a disk-backed directory) can be
/// recognised as stale by the next `vault edit` and removed.
#[derive(Debug)]
pub struct Workspace {
    dir: Option<tempfile::TempDir>,
    file: PathBuf,
    /// Whether the buffer's filesystem is known to be memory-backed (tmpfs or ramfs). When
    /// it is not, the plaintext reaches a disk, and the caller must say so before writing.
    pub memory_backed: bool,
    /// The filesystem type found, for the warning when it is not memory-backed.
    pub filesystem: Option<String>,
}

/// Where buffers may live, most preferred first: `$XDG_RUNTIME_DIR` (the user's private
/// runtime directory, a tmpfs on systemd systems), `/dev/shm`, then the OS temp directory.
fn workspace_bases() -> Vec<PathBuf> {
    let mut bases: Vec<PathBuf> = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from("/dev/shm"), std::env::temp_dir()])
        .filter(|p| p.is_dir())
        .collect();
    bases.dedup();
    bases
}

const WORKSPACE_PREFIX: &str = "vault-edit-";

impl Workspace {
    /// Creates a 0700 directory under `$XDG_RUNTIME_DIR` or `/dev/shm` (falling back to
    /// the OS temp dir) and names the 0600 file `<env>.toml` inside it, without writing it.
    /// [`Workspace::memory_backed`] says whether that storage is memory-backed.
    ///
    /// # Errors
    /// [`EditError::Workspace`] if nothing could be created.
    pub fn create(env: &str) -> Result<Self, EditError> {
        let err = |action| move |source| EditError::Workspace { action, source };
        let prefix = format!("{WORKSPACE_PREFIX}{}-", std::process::id());
        let mut last_error = None;
        let mut created = None;
        for base in workspace_bases() {
            match tempfile::Builder::new().prefix(&prefix).tempdir_in(&base) {
                Ok(dir) => {
                    created = Some((dir, base));
                    break;
                }
                Err(error) => last_error = Some(error),
            }
        }
        let Some((dir, base)) = created else {
            return Err(err("create")(last_error.unwrap_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no directory to put it in ($XDG_RUNTIME_DIR, /dev/shm, the temp directory)",
                )
            })));
        };
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700))
            .map_err(err("create"))?;
        let file = dir.path().join(format!("{env}.toml"));
        let filesystem = filesystem_type(&base);
        Ok(Self {
            dir: Some(dir),
            file,
            memory_backed: filesystem.as_ref().is_some_and(|(_, memory)| *memory),
            filesystem: filesystem.map(|(name, _)| name),
        })
    }

    /// Removes the buffers that `vault edit` processes of this user left behind when they
    /// could not clean up (killed with SIGKILL, say): every `vault-edit-<pid>-*` directory
    /// whose process is gone, its files overwritten first. Returns what was removed, and
    /// the buffers of older versions of vault (named without a pid), which cannot be told
    /// from live ones and are left for the user.
    #[must_use]
    pub fn remove_stale() -> StaleBuffers {
        let mut found = StaleBuffers::default();
        for base in workspace_bases() {
            let Ok(entries) = fs::read_dir(&base) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(WORKSPACE_PREFIX))
                else {
                    continue;
                };
                let path = entry.path();
                // Only our own directories: another user's are not ours to judge, and a
                // symlink planted under this name must not lead the removal elsewhere.
                let Ok(meta) = fs::symlink_metadata(&path) else {
                    continue;
                };
                if !meta.is_dir() || meta.uid() != rustix::process::getuid().as_raw() {
                    continue;
                }
                match rest
                    .split_once('-')
                    .and_then(|(pid, _)| pid.parse::<i32>().ok())
                {
                    Some(pid) if !process_alive(pid) => {
                        wipe_dir(&path);
                        if fs::remove_dir_all(&path).is_ok() {
                            found.removed.push(path);
                        }
                    }
                    Some(_) => {}
                    None => found.unknown.push(path),
                }
            }
        }
        found
    }

    /// The buffer file's path.
    #[must_use]
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The private directory's path.
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().map_or(self.file.as_path(), |d| d.path())
    }

    /// Writes the buffer (0600, truncating).
    ///
    /// # Errors
    /// [`EditError::Workspace`].
    pub fn write(&self, buffer: &str) -> Result<(), EditError> {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&self.file)
            .map_err(|source| EditError::Workspace {
                action: "write",
                source,
            })?;
        file.write_all(buffer.as_bytes())
            .map_err(|source| EditError::Workspace {
                action: "write",
                source,
            })
    }

    /// Reads the buffer back.
    ///
    /// # Errors
    /// [`EditError::Workspace`], also for non-UTF-8 content.
    pub fn read(&self) -> Result<Zeroizing<String>, EditError> {
        let bytes =
            Zeroizing::new(fs::read(&self.file).map_err(|source| EditError::Workspace {
                action: "read",
                source,
            })?);
        std::str::from_utf8(&bytes)
            .map(|s| Zeroizing::new(s.to_owned()))
            .map_err(|_| EditError::Workspace {
                action: "read",
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the edited file is not UTF-8",
                ),
            })
    }

    /// Overwrites the buffer with zeros before removing it, for filesystems that are not
    /// memory-backed.
    pub fn wipe(&mut self) {
        if let Ok(len) = fs::metadata(&self.file).map(|m| m.len())
            && let Ok(mut file) = fs::OpenOptions::new().write(true).open(&self.file)
        {
            let zeros = vec![0u8; usize::try_from(len).unwrap_or(0)];
            let _ = file.write_all(&zeros);
            let _ = file.sync_all();
        }
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        self.wipe();
    }
}

/// What [`Workspace::remove_stale`] found.
#[derive(Debug, Default)]
pub struct StaleBuffers {
    /// Buffers of processes that no longer exist, now removed.
    pub removed: Vec<PathBuf>,
    /// Buffers named without a pid (older versions of vault), left in place.
    pub unknown: Vec<PathBuf>,
}

/// Whether process `pid` exists (a process of another user counts: it exists).
fn process_alive(pid: i32) -> bool {
    if u32::try_from(pid).is_ok_and(|pid| pid == std::process::id()) {
        return true;
    }
    let Some(pid) = rustix::process::Pid::from_raw(pid) else {
        return true;
    };
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

/// Overwrites every regular file directly in `dir` with zeros, for storage that is not
/// memory-backed; best effort, the removal that follows is what matters.
fn wipe_dir(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_file())
            && let Ok(len) = entry.metadata().map(|m| m.len())
            && let Ok(mut file) = fs::OpenOptions::new().write(true).open(entry.path())
        {
            let _ = file.write_all(&vec![0u8; usize::try_from(len).unwrap_or(0)]);
            let _ = file.sync_all();
        }
    }
}

/// The type of the filesystem holding `path` and whether it is memory-backed (tmpfs or
/// ramfs), where the OS can tell; `None` when it cannot.
#[cfg(target_os = "linux")]
fn filesystem_type(path: &Path) -> Option<(String, bool)> {
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    const RAMFS_MAGIC: i64 = 0x8584_58f6;
    let stat = rustix::fs::statfs(path).ok()?;
    // `f_type`'s width differs between architectures; the magic numbers fit in 32 bits.
    #[allow(clippy::useless_conversion)]
    let kind = i64::from(stat.f_type) & 0xffff_ffff;
    Some(match kind {
        TMPFS_MAGIC => ("tmpfs".to_owned(), true),
        RAMFS_MAGIC => ("ramfs".to_owned(), true),
        0xef53 => ("ext4".to_owned(), false),
        0x5846_5342 => ("xfs".to_owned(), false),
        0x9123_683e => ("btrfs".to_owned(), false),
        0x794c_7630 => ("overlayfs".to_owned(), false),
        0x2fc1_2fc1 => ("zfs".to_owned(), false),
        other => (format!("a filesystem of type {other:#x}"), false),
    })
}

/// The type of the filesystem holding `path` and whether it is memory-backed; only Linux
/// can tell here, so elsewhere the buffer is reported as possibly on disk.
#[cfg(not(target_os = "linux"))]
fn filesystem_type(_path: &Path) -> Option<(String, bool)> {
    None
}

/// Runs `editor` on `file` through `sh`, as git does, so `EDITOR="code --wait"` works.
/// Returns the child so the caller can track it for signal forwarding.
///
/// # Errors
/// [`EditError::EditorFailed`] if `sh` cannot start.
pub fn spawn_editor(editor: &str, file: &Path) -> Result<std::process::Child, EditError> {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg(editor)
        .arg(file)
        .spawn()
        .map_err(|source| EditError::EditorFailed {
            editor: editor.to_owned(),
            source,
        })
}

/// The buffer shown again after `error`: the error and the instructions as notes above
/// what the user wrote (their own notes dropped, so they do not pile up).
#[must_use]
pub fn reopen(error: &EditError, intro: &[String], buffer: &str) -> Zeroizing<String> {
    let mut notes = vec![
        format!("ERROR: {error}"),
        "Fix it and save, or quit without changes to abort.".to_owned(),
    ];
    notes.extend(intro.iter().cloned());
    let body = strip_notes(buffer);
    let mut next = Zeroizing::new(String::new());
    for note in &notes {
        next.push_str(NOTE_PREFIX);
        next.push(' ');
        next.push_str(note);
        next.push('\n');
    }
    next.push_str(&body);
    next
}

/// Whether two buffers differ only in their notes: saving the same invalid buffer again
/// means the user gave up.
#[must_use]
pub fn same_edit(a: &str, b: &str) -> bool {
    *strip_notes(a) == *strip_notes(b)
}

fn strip_notes(buffer: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(buffer.len()));
    for line in buffer.lines().filter(|l| !l.starts_with(NOTE_PREFIX)) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> Timestamp {
        Timestamp::UNIX_EPOCH
    }

    #[test]
    fn comments_survive_and_notes_are_dropped() {
        let mut payload = Payload::new("dev");
        payload.set("A", Secret::from("1"), now()).unwrap();
        payload.secrets.get_mut("A").unwrap().comment = Some("# the first".into());
        let buffer = render(&payload, &["note".into()]);
        let edited = parse(&buffer).unwrap();
        assert_eq!(edited[0].comment.as_deref(), Some("# the first"));
        assert!(diff(&payload, &edited).is_empty());
    }

    #[test]
    fn errors_have_lines_and_no_values() {
        let err = parse("A = \"ok\"\nB = CANARYVALUE\n").unwrap_err();
        assert!(matches!(err, EditError::Syntax { line: 2, .. }), "{err}");
        assert!(!err.to_string().contains("CANARY"));
        assert!(matches!(
            parse("1A = \"x\"").unwrap_err(),
            EditError::InvalidName { line: 1, .. }
        ));
        assert!(matches!(
            parse("A = 5").unwrap_err(),
            EditError::NotAString { .. }
        ));
        assert!(matches!(
            parse("[A]\nb = \"x\"").unwrap_err(),
            EditError::NotAString { .. }
        ));
    }

    #[test]
    fn apply_detects_concurrent_change() {
        let mut base = Payload::new("dev");
        base.set("A", Secret::from("1"), now()).unwrap();
        base.set("B", Secret::from("1"), now()).unwrap();
        let mut target = base.clone();
        target.set("A", Secret::from("other"), now()).unwrap();
        let edited = vec![
            Edited {
                name: "A".into(),
                value: Secret::from("1"),
                comment: None,
            },
            Edited {
                name: "B".into(),
                value: Secret::from("2"),
                comment: None,
            },
        ];
        let changes = diff(&base, &edited);
        assert_eq!(changes.changed, ["B"]);
        assert!(
            apply(&mut target, &base, &edited, &changes, now())
                .unwrap()
                .is_empty()
        );
        assert_eq!(target.secrets["A"].value.expose(), "other");
        assert_eq!(target.secrets["B"].value.expose(), "2");
        let edited_a = vec![
            Edited {
                name: "A".into(),
                value: Secret::from("mine"),
                comment: None,
            },
            edited[1].clone(),
        ];
        let changes = diff(&base, &edited_a);
        let mut target2 = base.clone();
        target2.set("A", Secret::from("theirs"), now()).unwrap();
        assert_eq!(
            apply(&mut target2, &base, &edited_a, &changes, now()).unwrap(),
            ["A"]
        );
    }

    #[test]
    fn workspace_is_private_and_removed() {
        let ws = Workspace::create("dev").unwrap();
        ws.write("A = \"x\"").unwrap();
        let dir = ws.dir().to_owned();
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(
            fs::metadata(ws.file()).unwrap().permissions().mode() & 0o777,
            0o600
        );
        drop(ws);
        assert!(!dir.exists());
    }

    proptest! {
        #[test]
        fn render_then_parse(values in proptest::collection::btree_map("[A-Z_][A-Z0-9_]{0,8}", "[^\u{0}]{0,40}", 0..6)) {
            let mut payload = Payload::new("dev");
            for (name, value) in &values {
                payload.set(name, Secret::new(value.clone()), now()).unwrap();
            }
            let edited = parse(&render(&payload, &[])).unwrap();
            prop_assert!(diff(&payload, &edited).is_empty());
            prop_assert_eq!(edited.len(), values.len());
        }
    }
}
