//! What scanning needs from git: the files about to be committed, every blob in history
//! (decoded in one pass over the packs), and the files the index tracks. Kept together so
//! changes to scanning stay in one place.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::{GitError, boxed, discover, read_err};
use crate::pool;

/// A file about to be committed: its path in the repository and its staged content.
#[derive(Debug, Clone)]
pub struct StagedFile {
    /// `/`-separated path relative to the work tree.
    pub path: String,
    /// The blob as staged in the index (not the working tree).
    pub data: Vec<u8>,
}

/// The files whose staged content differs from `HEAD` (added or modified; deletions have
/// nothing to scan). Reads the index git will commit: `$GIT_INDEX_FILE` when git sets it
/// (as it does for `git commit <paths>`), else the repository's index.
///
/// # Errors
/// The repository, index or objects cannot be read.
pub fn staged_changes(dir: &Path) -> Result<Vec<StagedFile>, GitError> {
    let repo = discover(dir).map_err(|e| read_err("the repository")(boxed(e)))?;
    let index = match std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()) {
        Some(path) => {
            let path = PathBuf::from(path);
            let path = if path.is_relative() {
                dir.join(path)
            } else {
                path
            };
            gix::index::File::at(
                path,
                repo.object_hash(),
                false,
                gix::index::decode::Options::default(),
            )
            .map_err(|e| read_err("the index")(boxed(e)))?
        }
        None => {
            let shared = repo
                .index_or_empty()
                .map_err(|e| read_err("the index")(boxed(e)))?;
            let file: &gix::index::File = &shared;
            file.clone()
        }
    };
    let mut head: std::collections::HashMap<Vec<u8>, gix::ObjectId> =
        std::collections::HashMap::new();
    if let Ok(tree) = repo.head_tree() {
        let files = tree
            .traverse()
            .breadthfirst
            .files()
            .map_err(|e| read_err("HEAD")(boxed(e)))?;
        for entry in files {
            head.insert(entry.filepath.to_vec(), entry.oid);
        }
    }
    let mut staged = Vec::new();
    for entry in index.entries() {
        if entry.mode.is_submodule() || entry.mode == gix::index::entry::Mode::SYMLINK {
            continue;
        }
        let path = entry.path(&index);
        if head.get(path.as_ref() as &[u8]) == Some(&entry.id) {
            continue;
        }
        let blob = repo
            .find_object(entry.id)
            .map_err(|e| read_err("a staged blob")(boxed(e)))?;
        staged.push(StagedFile {
            path: String::from_utf8_lossy(path.as_ref()).into_owned(),
            data: blob.detach().data,
        });
    }
    Ok(staged)
}

/// Where a blob was first seen during a history walk.
#[derive(Debug, Clone)]
pub struct BlobSighting {
    /// The blob id.
    pub blob: gix::ObjectId,
    /// The oldest commit found containing it (hex): for a secret, usually the one that
    /// introduced it.
    pub commit: String,
    /// Its path in that commit.
    pub path: String,
}

/// The distinct blobs of a history, ready to scan.
pub struct HistoryBlobs {
    /// Each blob once, with the first commit and path it was seen at.
    pub sightings: Vec<BlobSighting>,
    /// References whose target could not be read (name, why): the history only they reach
    /// was not walked, which the caller must report.
    pub unreadable_refs: Vec<(String, GitError)>,
    packed: Packed,
}

impl std::fmt::Debug for HistoryBlobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryBlobs")
            .field("sightings", &self.sightings.len())
            .finish_non_exhaustive()
    }
}

/// Every distinct blob reachable from all refs (or from `range`: `REV` or `A..B`), each
/// listed once with the oldest commit and path it was seen at. Subtrees already visited
/// are skipped, so a long history costs little more than its number of distinct trees.
/// Blobs up to `max_size` bytes come back already decoded where memory allows.
///
/// # Errors
/// The repository cannot be read, or the range does not resolve.
pub fn history_blobs(
    dir: &Path,
    range: Option<&str>,
    max_size: u64,
) -> Result<HistoryBlobs, GitError> {
    let repo = discover(dir).map_err(|e| read_err("the repository")(boxed(e)))?;
    let resolve = |rev: &str| -> Result<gix::ObjectId, GitError> {
        repo.rev_parse_single(rev)
            .map(gix::Id::detach)
            .map_err(|e| GitError::Revision {
                rev: rev.to_owned(),
                source: boxed(e),
            })
    };
    let mut unreadable_refs = Vec::new();
    let (tips, hidden) = match range {
        Some(range) => match range.split_once("..") {
            Some((from, to)) => (
                vec![resolve(if to.is_empty() { "HEAD" } else { to })?],
                vec![resolve(from)?],
            ),
            None => (vec![resolve(range)?], Vec::new()),
        },
        None => {
            let mut tips = Vec::new();
            let refs = repo
                .references()
                .map_err(|e| read_err("references")(boxed(e)))?;
            for reference in refs.all().map_err(|e| read_err("references")(boxed(e)))? {
                let mut reference = reference.map_err(|e| read_err("a reference")(boxed(e)))?;
                let name = reference.name().as_bstr().to_string();
                // A reference to a tree or a blob has no history to walk; one that leads to
                // an object that cannot be read hides history, and must not pass silently.
                let target = reference
                    .peel_to_id()
                    .map_err(|e| read_err("a reference")(boxed(e)))
                    .and_then(|id| {
                        repo.find_object(id)
                            .map_err(|e| read_err("the object a reference names")(boxed(e)))
                    });
                match target {
                    Ok(object) if object.kind == gix::object::Kind::Commit => tips.push(object.id),
                    Ok(_) => {}
                    Err(error) => unreadable_refs.push((name, error)),
                }
            }
            if let Ok(head) = repo.head_id() {
                tips.push(head.detach());
            }
            tips.sort();
            tips.dedup();
            (tips, Vec::new())
        }
    };
    if tips.is_empty() {
        return Ok(HistoryBlobs {
            sightings: Vec::new(),
            unreadable_refs,
            packed: Packed::default(),
        });
    }
    let packed = packed_objects(&repo, max_size);
    let mut seen_trees = std::collections::HashSet::new();
    let mut seen_blobs = std::collections::HashSet::new();
    let mut sightings = Vec::new();
    // Oldest first, so each blob is attributed to the commit that introduced it rather than
    // the newest one that still carries it: that is the commit a reader needs to look at.
    let mut commits = Vec::new();
    for info in repo
        .rev_walk(tips)
        .with_hidden(hidden)
        .all()
        .map_err(|e| read_err("history")(boxed(e)))?
    {
        commits.push(info.map_err(|e| read_err("history")(boxed(e)))?.id);
    }
    for id in commits.into_iter().rev() {
        let commit = repo
            .find_commit(id)
            .map_err(|e| read_err("a commit")(boxed(e)))?;
        let tree_id = commit
            .tree_id()
            .map_err(|e| read_err("a commit")(boxed(e)))?
            .detach();
        let commit_hex = id.to_string();
        let mut stack = vec![(tree_id, String::new())];
        while let Some((id, prefix)) = stack.pop() {
            if !seen_trees.insert(id) {
                continue;
            }
            let found;
            let data: &[u8] = match packed.trees.get(&id) {
                Some(data) => data,
                None => {
                    found = repo
                        .find_tree(id)
                        .map_err(|e| read_err("a tree")(boxed(e)))?;
                    &found.data
                }
            };
            for entry in gix::objs::TreeRefIter::from_bytes(data, repo.object_hash()) {
                let entry = entry.map_err(|e| read_err("a tree")(boxed(e)))?;
                let id = entry.oid.to_owned();
                let path = || {
                    if prefix.is_empty() {
                        entry.filename.to_string()
                    } else {
                        format!("{prefix}/{}", entry.filename)
                    }
                };
                if entry.mode.is_tree() {
                    if !seen_trees.contains(&id) {
                        stack.push((id, path()));
                    }
                } else if entry.mode.is_blob() && seen_blobs.insert(id) {
                    sightings.push(BlobSighting {
                        blob: id,
                        commit: commit_hex.clone(),
                        path: path(),
                    });
                }
            }
        }
    }
    Ok(HistoryBlobs {
        sightings,
        unreadable_refs,
        packed,
    })
}

/// Objects decoded from the packs in one pass: every tree, and the blobs a scan will read.
#[derive(Default)]
struct Packed {
    trees: std::collections::HashMap<gix::ObjectId, Vec<u8>>,
    blobs: std::collections::HashMap<gix::ObjectId, Vec<u8>>,
}

/// How much decoded data a history scan keeps in memory; objects beyond it are read one by
/// one later, which is slower but bounded.
const RETAIN_BYTES: usize = 512 * 1024 * 1024;

/// Decodes the repository's packs along their delta trees. Reading objects one by one
/// re-inflates the delta bases of each (most trees are deltas against an older version of
/// themselves, in chains up to 50 long); a delta-tree traversal inflates every object
/// exactly once, on all cores. Objects outside packs (loose, or in alternates), and any
/// beyond the memory budget, are simply not in the maps: callers read those directly.
fn packed_objects(repo: &gix::Repository, max_size: u64) -> Packed {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let packed = std::sync::Mutex::new(Packed::default());
    let retained = AtomicUsize::new(0);
    let Ok(entries) = std::fs::read_dir(repo.objects.store_ref().path().join("pack")) else {
        return Packed::default();
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "idx") {
            continue;
        }
        let Ok(bundle) = gix::odb::pack::Bundle::at(&path, repo.object_hash()) else {
            continue;
        };
        let collect = |kind: gix::object::Kind,
                       data: &[u8],
                       entry: &gix::odb::pack::index::Entry,
                       _: &dyn gix::progress::Progress| {
            let keep = match kind {
                gix::object::Kind::Tree => true,
                gix::object::Kind::Blob => data.len() as u64 <= max_size,
                _ => false,
            };
            if keep
                && retained.fetch_add(data.len(), Ordering::Relaxed) + data.len() <= RETAIN_BYTES
                && let Ok(mut packed) = packed.lock()
            {
                let map = if kind == gix::object::Kind::Tree {
                    &mut packed.trees
                } else {
                    &mut packed.blobs
                };
                map.insert(entry.oid, data.to_vec());
            }
            Ok(())
        };
        // A pack that fails to traverse (damaged, or cut short) only loses the shortcut:
        // its objects are then read one by one, which reports any real error itself.
        let _ = bundle.index.traverse(
            &bundle.pack,
            &mut gix::progress::Discard,
            &std::sync::atomic::AtomicBool::new(false),
            collect,
            gix::odb::pack::index::traverse::Options {
                traversal: gix::odb::pack::index::traverse::Algorithm::DeltaTreeLookup,
                thread_limit: None,
                check: gix::odb::pack::index::traverse::SafetyCheck::SkipFileAndObjectChecksumVerification,
                alloc_limit_bytes: None,
                make_pack_lookup_cache: || gix::odb::pack::cache::Never,
            },
        );
    }
    packed.into_inner().unwrap_or_default()
}

/// What a history scan gives back: everything the visitor found, and the blobs that could
/// not be read (which the caller must report, not skip).
#[derive(Debug)]
pub struct HistoryScan<T> {
    /// What `visit` returned, in sighting order.
    pub found: Vec<T>,
    /// Sightings (by index) whose blob could not be read, and why.
    pub unreadable: Vec<(usize, GitError)>,
}

impl HistoryBlobs {
    /// Calls `visit` with each sighting's index and its blob's data, on all cores, and
    /// collects what it returns. Blobs over `max_size` are skipped; blobs that cannot be
    /// read are listed in [`HistoryScan::unreadable`], so a damaged or missing object can
    /// never pass as clean.
    ///
    /// # Errors
    /// The repository cannot be opened, or a worker failed ([`GitError::Worker`]).
    pub fn scan<T: Send>(
        &self,
        dir: &Path,
        max_size: u64,
        visit: &(dyn Fn(usize, &[u8]) -> Vec<T> + Sync),
    ) -> Result<HistoryScan<T>, GitError> {
        let repo = discover(dir)
            .map_err(|e| read_err("the repository")(boxed(e)))?
            .into_sync();
        let per_blob = pool::run(
            "scanning history",
            self.sightings.len(),
            || repo.to_thread_local(),
            |repo, i| -> Result<Vec<T>, GitError> {
                let blob = self.sightings[i].blob;
                if let Some(data) = self.packed.blobs.get(&blob) {
                    return Ok(visit(i, data));
                }
                // Reading the size from the header would resolve each delta chain a second
                // time; large blobs are rare enough to decode and then skip.
                let object = repo
                    .find_object(blob)
                    .map_err(|e| read_err("a blob")(boxed(e)))?;
                Ok(if object.data.len() as u64 <= max_size {
                    visit(i, &object.data)
                } else {
                    Vec::new()
                })
            },
        )?;
        let mut scan = HistoryScan {
            found: Vec::new(),
            unreadable: Vec::new(),
        };
        for (i, result) in per_blob.into_iter().enumerate() {
            match result {
                Ok(found) => scan.found.extend(found),
                Err(error) => scan.unreadable.push((i, error)),
            }
        }
        Ok(scan)
    }
}

/// Absolute paths of tracked files whose name is `file_name` (from the index), e.g. every
/// `.vault.toml` in a repository that holds several apps.
#[must_use]
pub fn tracked_named(dir: &Path, file_name: &str) -> Vec<PathBuf> {
    let Ok(repo) = discover(dir) else {
        return Vec::new();
    };
    let Some(top) = repo.workdir().map(Path::to_owned) else {
        return Vec::new();
    };
    let Ok(index) = repo.index_or_empty() else {
        return Vec::new();
    };
    let suffix = format!("/{file_name}");
    index
        .entries()
        .iter()
        .map(|e| e.path(&index).to_string())
        .filter(|p| p == file_name || p.ends_with(&suffix))
        .map(|p| top.join(p))
        .collect()
}

/// The files git tracks (the index) in the repository containing `dir`: its work tree,
/// canonicalized, and each file's absolute path there. `None` outside a repository or in a
/// bare one. Submodules and symbolic links are left out: neither is file content here.
///
/// # Errors
/// The index exists but cannot be read. A scan must not then fall back to the ignore rules
/// alone, which would skip committed files that `.gitignore` matches.
pub fn tracked_files(dir: &Path) -> Result<Option<(PathBuf, Vec<PathBuf>)>, GitError> {
    let Ok(repo) = discover(dir) else {
        return Ok(None);
    };
    let Some(top) = repo.workdir().map(Path::to_owned) else {
        return Ok(None);
    };
    let top = top.canonicalize().unwrap_or(top);
    let index = repo
        .index_or_empty()
        .map_err(|e| read_err("the index")(boxed(e)))?;
    let files = index
        .entries()
        .iter()
        .filter(|e| !e.mode.is_submodule() && e.mode != gix::index::entry::Mode::SYMLINK)
        .map(|e| {
            // Paths are bytes on Unix, so every index path maps to a file name unchanged.
            let bytes: &[u8] = e.path(&index).as_ref();
            top.join(std::ffi::OsStr::from_bytes(bytes))
        })
        .collect();
    Ok(Some((top, files)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let status = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    #[test]
    fn packed_history_is_decoded_in_one_pass_and_matches_object_reads() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        for round in 0..12 {
            std::fs::write(dir.path().join("a.txt"), "line\n".repeat(round + 1)).unwrap();
            std::fs::create_dir_all(dir.path().join("sub")).unwrap();
            std::fs::write(
                dir.path().join(format!("sub/{}.txt", round % 3)),
                round.to_string(),
            )
            .unwrap();
            git(dir.path(), &["add", "-A"]);
            git(dir.path(), &["commit", "-q", "-m", &round.to_string()]);
        }
        git(dir.path(), &["gc", "-q", "--aggressive"]);
        let repo = gix::discover(dir.path()).unwrap();
        let packed = packed_objects(&repo, u64::MAX);
        assert!(packed.trees.len() >= 12, "every tree comes from the pack");
        for (id, data) in packed.trees.iter().chain(&packed.blobs) {
            assert_eq!(&repo.find_object(*id).unwrap().data, data);
        }
        let history = history_blobs(dir.path(), None, u64::MAX).unwrap();
        assert_eq!(history.packed.blobs.len(), history.sightings.len());
        let small = packed_objects(&repo, 3);
        assert!(
            small.blobs.values().all(|b| b.len() <= 3),
            "max_size bounds what is kept"
        );
    }
}
