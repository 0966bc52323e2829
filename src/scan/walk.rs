//! The files `vault scan` reads from the work tree: every file git tracks, whatever
//! `.gitignore` says, plus the untracked files the ignore rules do not exclude.
//!
//! A place that cannot be read is returned, never skipped silently: a file nobody read may
//! hold a secret.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::git::{self, GitError};

/// What a walk read: the files to scan and what it could not read.
#[derive(Debug, Default)]
pub struct Walked {
    /// (path relative to the repository, `/`-separated; content), sorted by path.
    pub items: Vec<(String, Vec<u8>)>,
    /// Files or directories that could not be read (shown path, reason).
    pub unreadable: Vec<(String, String)>,
    /// Files left out because they are larger than the limit.
    pub too_large: usize,
}

/// Reads the files under `roots` (see [`files_to_scan`]) up to `max_size` bytes each.
/// Paths are shown relative to the repository of `cwd` (else `cwd`), wherever the scan
/// runs, so path rules and baselines mean the same thing from any subdirectory.
///
/// # Errors
/// The git index cannot be read.
pub fn read(
    cwd: &Path,
    roots: &[PathBuf],
    max_size: u64,
    ignore_error: &mut dyn FnMut(ignore::Error),
) -> Result<Walked, GitError> {
    let display_root = git::work_tree(cwd)
        .and_then(|top| top.canonicalize().ok())
        .unwrap_or_else(|| cwd.to_owned());
    let shown = |path: &Path| {
        path.strip_prefix(&display_root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let (files, mut unreadable) = files_to_scan(cwd, roots, ignore_error)?;
    let mut walked = Walked::default();
    for path in files {
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > max_size) {
            walked.too_large += 1;
            continue;
        }
        // One unreadable file must not hide the findings in all the others: it is
        // reported, the scan goes on, and the exit status says the scan was incomplete.
        match std::fs::read(&path) {
            Ok(data) => walked.items.push((shown(&path), data)),
            Err(error) => unreadable.push((path, error.to_string())),
        }
    }
    walked.unreadable = unreadable
        .into_iter()
        .map(|(path, error)| (shown(&path), error))
        .collect();
    Ok(walked)
}

/// Paths that could not be read, each with the reason.
type Unreadable = Vec<(PathBuf, String)>;

/// The files under `roots` that `vault scan` reads: every file git tracks (from the index),
/// whatever `.gitignore` says, and the untracked files the ignore rules do not exclude.
/// Also the places the walk could not enter (path, reason), so they can be reported. A bad
/// line in an ignore file goes to `ignore_error` and only drops that rule.
///
/// A committed file stays committed when a later `.gitignore` line matches it (or it was
/// added with `git add -f`), and CI runs this scan as the backstop for `--no-verify`, so
/// ignore rules may only narrow what is not in git. Sorted, each path once.
///
/// # Errors
/// The git index cannot be read.
pub fn files_to_scan(
    cwd: &Path,
    roots: &[PathBuf],
    ignore_error: &mut dyn FnMut(ignore::Error),
) -> Result<(Vec<PathBuf>, Unreadable), GitError> {
    let mut files = BTreeSet::new();
    let mut unreadable = Vec::new();
    for root in roots {
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .git_ignore(true)
            .require_git(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walker {
            match entry {
                Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => {
                    files.insert(entry.into_path());
                }
                Ok(_) => {}
                // A directory that cannot be listed hides files from the scan; a bad
                // line in an ignore file only drops that rule, which hides nothing.
                Err(error) => match error.io_error() {
                    Some(io) => unreadable.push((walk_error_path(&error, root), io.to_string())),
                    None => ignore_error(error),
                },
            }
        }
    }
    if let Some((_, tracked)) = git::tracked_files(cwd)? {
        for path in tracked {
            // A tracked file deleted from the work tree has nothing on disk to scan (its
            // committed content is what `--history` reads).
            if roots.iter().any(|root| path.starts_with(root))
                && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file())
            {
                files.insert(path);
            }
        }
    }
    Ok((files.into_iter().collect(), unreadable))
}

/// The path a walk error is about, else the root being walked.
fn walk_error_path(error: &ignore::Error, root: &Path) -> PathBuf {
    match error {
        ignore::Error::WithPath { path, .. } => path.clone(),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err, root)
        }
        _ => root.to_owned(),
    }
}
