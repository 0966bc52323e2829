//! The versions of a file in history: every commit that changed it (`vault log`), the
//! mainline's versions (trust anchors), a file at a revision (`vault diff`).

use std::path::Path;

use super::{GitError, Repo, boxed, read_err};

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

/// One version of a file: the commit (hex) that introduced it and its content.
pub type Version = (String, Vec<u8>);

/// `path` (absolute, `<vault root>/<dir>/<file>`) relative to the work tree of the
/// repository containing it, with `/` separators; `None` outside a repository.
#[must_use]
pub fn repo_path(path: &Path) -> Option<String> {
    let root = path.parent()?.parent()?;
    Repo::discover(root).ok()?.repo_path(path)
}

impl Repo {
    /// Walks the history reachable from `HEAD` and lists the commits that changed any of
    /// `paths`. Merge commits are listed only when the file differs from every parent (a
    /// conflict resolution), so changes are not reported twice.
    ///
    /// # Errors
    /// The repository or its objects cannot be read.
    pub fn file_history(&self, paths: &[String]) -> Result<History, GitError> {
        let repo = self.local();
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
                    if let std::collections::hash_map::Entry::Vacant(slot) =
                        history.blobs.entry(key)
                    {
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

    /// The versions of `path` along the first-parent line from `HEAD` (the mainline, which a
    /// merged side branch cannot rewrite), oldest first: each distinct blob once, with the
    /// oldest commit at which it appears. `path` is relative to the work tree. `None` outside
    /// a repository, before the first commit, and in a shallow clone (whose oldest commit is
    /// not the beginning).
    ///
    /// # Errors
    /// Objects that exist but cannot be read.
    pub fn mainline_versions(&self, path: &str) -> Result<Option<Vec<Version>>, GitError> {
        let repo = self.local();
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

    /// Whether the repository is a shallow clone (its oldest commits are
    /// missing); unknown counts as shallow.
    #[must_use]
    pub fn is_shallow(&self) -> bool {
        self.local().is_shallow().unwrap_or(true)
    }

    /// `path` (absolute, `<vault root>/<dir>/<file>`) relative to the work tree of the
    /// repository, with `/` separators; `None` outside a repository.
    #[must_use]
    pub fn repo_path(&self, path: &Path) -> Option<String> {
        // Only the vault's root is resolved (`<root>/secrets/<env>.age`): resolving `secrets/`
        // itself would follow a symlink someone committed and read another file's history.
        let root = path.parent()?.parent()?;
        let name = Path::new(path.parent()?.file_name()?).join(path.file_name()?);
        self.path_in_repo(root, name)
    }

    /// The path, relative to the work tree and with `/` separators, of the file `name` in the
    /// directory `dir` (`.vault.toml` at a vault's root, say), for reading its history.
    #[must_use]
    pub fn path_in_repo(&self, dir: &Path, name: impl AsRef<Path>) -> Option<String> {
        let top = self.work_tree()?;
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

    /// Whether `path` (relative to the work tree) is tracked in the index.
    #[must_use]
    pub fn is_tracked(&self, path: &str) -> bool {
        let repo = self.local();
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
    pub fn blob_at(&self, rev: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let repo = self.local();
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
}
