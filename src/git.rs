//! Every git access vault makes, through gix: discovering the repository, reading the
//! committer's name, and registering the `vault` diff and merge drivers in the local config.
//!
//! No other module imports gix.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::pool::{self, WorkerPanicked};
use crate::store::atomic;

/// A git object id, as the history scan hands them around.
pub type ObjectId = gix::ObjectId;

/// Errors talking to git.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The repository's config could not be read or parsed.
    #[error("cannot read the git config {}", path.display())]
    ReadConfig {
        /// The config file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The repository's config could not be written.
    #[error("cannot write the git config {}", path.display())]
    WriteConfig {
        /// The config file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Reading from the repository failed.
    #[error("cannot read {what} from git")]
    Read {
        /// What was being read.
        what: &'static str,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A revision did not resolve.
    #[error("`{rev}` is not a revision in this repository")]
    Revision {
        /// The revision given.
        rev: String,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A worker reading objects failed, so the results are incomplete.
    #[error(transparent)]
    Worker(#[from] WorkerPanicked),
    /// Creating a repository failed.
    #[error("cannot create a git repository in {}", path.display())]
    Init {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// A file about to be committed: its path in the repository and its staged content.
#[derive(Debug, Clone)]
pub struct StagedFile {
    /// `/`-separated path relative to the work tree.
    pub path: String,
    /// The blob as staged in the index (not the working tree).
    pub data: Vec<u8>,
}

fn read_err(what: &'static str) -> impl Fn(Box<dyn std::error::Error + Send + Sync>) -> GitError {
    move |source| GitError::Read { what, source }
}

/// The repository `dir` is in, as git itself would find it: `GIT_DIR` and `GIT_WORK_TREE`
/// (which git sets for hooks and drivers, and users for `--git-dir` setups) win over
/// searching upwards from `dir`, and `GIT_CEILING_DIRECTORIES` bounds the search.
fn discover(dir: &Path) -> gix::Result<gix::Repository> {
    gix::ThreadSafeRepository::discover_with_environment_overrides(dir).map(Into::into)
}

fn boxed<E: std::error::Error + Send + Sync + 'static>(
    e: E,
) -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(e)
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

/// The hooks directory git uses for the repository containing `dir`: `core.hooksPath`
/// (relative paths resolve against the work tree, as git does) or `.git/hooks`.
/// `None` outside a repository.
#[must_use]
pub fn hooks_dir(dir: &Path) -> Option<PathBuf> {
    let repo = discover(dir).ok()?;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let configured = repo.config_snapshot().string("core.hooksPath").map(|raw| {
        let raw = raw.to_string();
        match (raw.strip_prefix("~/"), &home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(raw),
        }
    });
    Some(match configured {
        Some(path) if path.is_absolute() => path,
        Some(path) => repo
            .workdir()
            .unwrap_or_else(|| repo.common_dir())
            .join(path),
        None => repo.common_dir().join("hooks"),
    })
}

/// One commit's change to one file.
#[derive(Debug, Clone)]
pub struct FileChange {
    /// The commit id (hex).
    pub commit: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author time, seconds since the epoch.
    pub time: i64,
    /// The first line of the commit message.
    pub summary: String,
    /// The file's path.
    pub path: String,
    /// The blob before the commit (`None`: the file was created).
    pub old: Option<String>,
    /// The blob after the commit (`None`: the file was deleted).
    pub new: Option<String>,
    /// For a merge, the blob in each parent (first parent first); empty otherwise. A key a
    /// merge took unchanged from one parent is that parent's change, not the merge's.
    pub parents: Vec<Option<String>>,
}

/// The commits that changed `paths`, newest first, and every blob involved (by id), so
/// each version can be decrypted once however many commits mention it.
#[derive(Debug, Default)]
pub struct History {
    /// The changes, newest first.
    pub changes: Vec<FileChange>,
    /// Blob contents by id.
    pub blobs: std::collections::HashMap<String, Vec<u8>>,
}

/// Walks the history reachable from `HEAD` and lists the commits that changed any of
/// `paths`. Merge commits are listed only when the file differs from every parent (a
/// conflict resolution), so changes are not reported twice.
///
/// # Errors
/// The repository or its objects cannot be read.
pub fn file_history(dir: &Path, paths: &[String]) -> Result<History, GitError> {
    let repo = discover(dir).map_err(|e| read_err("the repository")(boxed(e)))?;
    let Ok(head) = repo.head_id() else {
        return Ok(History::default());
    };
    let id_at = |tree: &gix::Tree<'_>, path: &str| -> Result<Option<gix::ObjectId>, GitError> {
        Ok(tree
            .lookup_entry_by_path(path)
            .map_err(|e| read_err("a tree")(boxed(e)))?
            .filter(|e| e.mode().is_blob())
            .map(|e| e.object_id()))
    };
    let mut history = History::default();
    let walk = repo
        .rev_walk([head])
        .all()
        .map_err(|e| read_err("history")(boxed(e)))?;
    for info in walk {
        let info = info.map_err(|e| read_err("history")(boxed(e)))?;
        let commit = info.object().map_err(|e| read_err("a commit")(boxed(e)))?;
        let tree = commit.tree().map_err(|e| read_err("a tree")(boxed(e)))?;
        let mut parent_trees = Vec::new();
        for parent in commit.parent_ids() {
            let parent = parent
                .object()
                .map_err(|e| read_err("a commit")(boxed(e)))?
                .into_commit();
            parent_trees.push(parent.tree().map_err(|e| read_err("a tree")(boxed(e)))?);
        }
        for path in paths {
            let new = id_at(&tree, path)?;
            let mut before = Vec::with_capacity(parent_trees.len());
            for parent in &parent_trees {
                before.push(id_at(parent, path)?);
            }
            let old = before.first().copied().flatten();
            let changed = if before.is_empty() {
                new.is_some()
            } else {
                before.iter().all(|b| *b != new)
            };
            if !changed {
                continue;
            }
            let author = commit
                .author()
                .map_err(|e| read_err("a commit")(boxed(e)))?;
            let message = commit
                .message()
                .map_err(|e| read_err("a commit")(boxed(e)))?;
            let parents: Vec<Option<String>> = if before.len() > 1 {
                before.iter().map(|b| b.map(|id| id.to_string())).collect()
            } else {
                Vec::new()
            };
            for id in [old, new]
                .into_iter()
                .chain(if before.len() > 1 {
                    before.clone()
                } else {
                    Vec::new()
                })
                .flatten()
            {
                let key = id.to_string();
                if let std::collections::hash_map::Entry::Vacant(slot) = history.blobs.entry(key) {
                    let blob = repo
                        .find_object(id)
                        .map_err(|e| read_err("a blob")(boxed(e)))?;
                    slot.insert(blob.detach().data);
                }
            }
            history.changes.push(FileChange {
                commit: commit.id.to_string(),
                author: author.name.to_string(),
                email: author.email.to_string(),
                time: author.seconds(),
                summary: message.summary().to_string(),
                path: path.clone(),
                old: old.map(|id| id.to_string()),
                new: new.map(|id| id.to_string()),
                parents,
            });
        }
    }
    Ok(history)
}

/// One version of a file: the commit (hex) that introduced it and its content.
pub type Version = (String, Vec<u8>);

/// The versions of `path` along the first-parent line from `HEAD` (the mainline, which a
/// merged side branch cannot rewrite), oldest first: each distinct blob once, with the
/// oldest commit at which it appears. `path` is relative to the work tree. `None` outside
/// a repository, before the first commit, and in a shallow clone (whose oldest commit is
/// not the beginning).
///
/// # Errors
/// Objects that exist but cannot be read.
pub fn mainline_versions(dir: &Path, path: &str) -> Result<Option<Vec<Version>>, GitError> {
    let Ok(repo) = discover(dir) else {
        return Ok(None);
    };
    // A shallow clone's oldest commit is wherever the clone was cut, not the beginning.
    if repo.is_shallow().unwrap_or(true) {
        return Ok(None);
    }
    let Ok(head) = repo.head_id() else {
        return Ok(None);
    };
    let mut ids: Vec<(gix::ObjectId, gix::ObjectId)> = Vec::new();
    let mut next = Some(head.detach());
    while let Some(id) = next {
        let Ok(object) = repo.find_object(id) else {
            // A shallow clone's boundary: its parents are not here.
            break;
        };
        let commit = object.into_commit();
        let tree = commit.tree().map_err(|e| read_err("a tree")(boxed(e)))?;
        if let Some(entry) = tree
            .lookup_entry_by_path(path)
            .map_err(|e| read_err("a tree")(boxed(e)))?
            .filter(|e| e.mode().is_blob())
        {
            ids.push((id, entry.object_id()));
        }
        next = commit.parent_ids().next().map(gix::Id::detach);
    }
    let mut versions: Vec<Version> = Vec::new();
    let mut last = None;
    for (commit, blob) in ids.into_iter().rev() {
        if last == Some(blob) {
            continue;
        }
        last = Some(blob);
        let data = repo
            .find_object(blob)
            .map_err(|e| read_err("a blob")(boxed(e)))?
            .detach()
            .data;
        versions.push((commit.to_string(), data));
    }
    Ok(Some(versions))
}

/// Whether the repository containing `dir` is a shallow clone (its oldest commits are
/// missing); unknown counts as shallow.
#[must_use]
pub fn is_shallow(dir: &Path) -> bool {
    discover(dir).map_or(true, |repo| repo.is_shallow().unwrap_or(true))
}

/// `path` (absolute, `<vault root>/<dir>/<file>`) relative to the work tree of the
/// repository containing it, with `/` separators; `None` outside a repository.
#[must_use]
pub fn repo_path(path: &Path) -> Option<String> {
    // Only the vault's root is resolved (`<root>/secrets/<env>.age`): resolving `secrets/`
    // itself would follow a symlink someone committed and read another file's history.
    let root = path.parent()?.parent()?;
    let top = work_tree(root)?;
    let top = top.canonicalize().unwrap_or(top);
    let root = root.canonicalize().ok()?;
    let relative = root
        .strip_prefix(&top)
        .ok()?
        .join(path.parent()?.file_name()?)
        .join(path.file_name()?);
    Some(
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// The path, relative to the work tree and with `/` separators, of the file `name` in the
/// directory `dir` (`.vault.toml` at a vault's root, say), for reading its history.
#[must_use]
pub fn path_in_repo(dir: &Path, name: &str) -> Option<String> {
    let top = work_tree(dir)?;
    let top = top.canonicalize().unwrap_or(top);
    let dir = dir.canonicalize().ok()?;
    let relative = dir.strip_prefix(&top).ok()?.join(name);
    Some(
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// Whether `path` (relative to the work tree of `dir`'s repository) is tracked in the index.
#[must_use]
pub fn is_tracked(dir: &Path, path: &str) -> bool {
    let Ok(repo) = discover(dir) else {
        return false;
    };
    let Ok(index) = repo.index_or_empty() else {
        return false;
    };
    index
        .entries()
        .iter()
        .any(|e| e.path(&index) == path.as_bytes())
}

/// The content of `path` at revision `rev` (`None` when the file does not exist there).
///
/// # Errors
/// The revision does not resolve, or objects cannot be read.
pub fn blob_at(dir: &Path, rev: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
    let repo = discover(dir).map_err(|e| read_err("the repository")(boxed(e)))?;
    let id = repo.rev_parse_single(rev).map_err(|e| GitError::Revision {
        rev: rev.to_owned(),
        source: boxed(e),
    })?;
    let commit = id
        .object()
        .map_err(|e| read_err("a commit")(boxed(e)))?
        .peel_to_commit()
        .map_err(|e| GitError::Revision {
            rev: rev.to_owned(),
            source: boxed(e),
        })?;
    let tree = commit.tree().map_err(|e| read_err("a tree")(boxed(e)))?;
    let Some(entry) = tree
        .lookup_entry_by_path(path)
        .map_err(|e| read_err("a tree")(boxed(e)))?
    else {
        return Ok(None);
    };
    let blob = repo
        .find_object(entry.object_id())
        .map_err(|e| read_err("a blob")(boxed(e)))?;
    Ok(Some(blob.detach().data))
}

/// What of vault's git integration this clone lacks: `"pre-commit hook"` (no hook file
/// carrying `marker`) and `"diff and merge drivers"` (no `merge.vault.driver` or
/// `diff.vault.textconv` in the config git uses). Git does not copy hooks or local config on
/// clone, so a teammate's fresh clone has neither. Empty outside a repository.
#[must_use]
pub fn missing_integration(dir: &Path, marker: &str) -> Vec<&'static str> {
    let Ok(repo) = discover(dir) else {
        return Vec::new();
    };
    let mut missing = Vec::new();
    let hook = hooks_dir(dir).map(|d| d.join("pre-commit"));
    if !hook.is_some_and(|h| std::fs::read_to_string(h).is_ok_and(|t| t.contains(marker))) {
        missing.push("pre-commit hook");
    }
    let config = repo.config_snapshot();
    if config.string("merge.vault.driver").is_none()
        || config.string("diff.vault.textconv").is_none()
    {
        missing.push("diff and merge drivers");
    }
    missing
}

/// The local-config entries vault's git integration needs, for a given vault command.
#[must_use]
pub fn driver_settings(vault_command: &str) -> Vec<(&'static str, String)> {
    vec![
        ("diff.vault.textconv", format!("{vault_command} textconv")),
        ("diff.vault.cachetextconv", "false".to_owned()),
        (
            "merge.vault.name",
            "vault key-level merge of encrypted environments".to_owned(),
        ),
        (
            "merge.vault.driver",
            format!("{vault_command} merge-driver %O %A %B %P"),
        ),
    ]
}

/// The work tree of the repository containing `dir`, if any.
#[must_use]
pub fn work_tree(dir: &Path) -> Option<PathBuf> {
    let repo = discover(dir).ok()?;
    repo.workdir().map(Path::to_owned)
}

/// `user.name` as git would use it for a commit in `dir`.
#[must_use]
pub fn user_name(dir: &Path) -> Option<String> {
    let name = match discover(dir) {
        Ok(repo) => repo
            .config_snapshot()
            .string("user.name")
            .map(|name| name.to_string()),
        // Outside a repository git still has the user's global and system settings.
        Err(_) => gix::config::File::from_globals()
            .ok()?
            .string("user.name")
            .map(|name| name.to_string()),
    };
    name.filter(|name| !name.trim().is_empty())
}

/// Writes `settings` into the local config of the repository containing `dir`, keeping
/// everything else in the file. Returns `Ok(false)` when `dir` is not in a repository.
///
/// # Errors
/// The config cannot be read or written.
pub fn set_local_config(dir: &Path, settings: &[(&str, String)]) -> Result<bool, GitError> {
    let Ok(repo) = discover(dir) else {
        return Ok(false);
    };
    let path = repo.common_dir().join("config");
    let mut file =
        gix::config::File::from_path_no_includes(path.clone(), gix::config::Source::Local)
            .map_err(|e| GitError::ReadConfig {
                path: path.clone(),
                source: Box::new(e),
            })?;
    for (key, value) in settings {
        file.set_raw_value(key, value.as_str())
            .map_err(|e| GitError::ReadConfig {
                path: path.clone(),
                source: Box::new(e),
            })?;
    }
    let mut bytes = Vec::new();
    file.write_to(&mut bytes)
        .map_err(|source| GitError::WriteConfig {
            path: path.clone(),
            source,
        })?;
    atomic::write(&path, &bytes, 0o644).map_err(|source| GitError::WriteConfig { path, source })?;
    Ok(true)
}

/// Creates an empty repository in `dir` (used by `vault demo`).
///
/// # Errors
/// [`GitError::Init`].
pub fn init(dir: &Path) -> Result<(), GitError> {
    gix::init(dir).map(drop).map_err(|e| GitError::Init {
        path: dir.to_owned(),
        source: Box::new(e),
    })
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
