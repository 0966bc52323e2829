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
/// The cost follows the change, not the repository: see [`staged_entries`].
///
/// # Errors
/// The repository, index or objects cannot be read.
pub fn staged_changes(dir: &Path) -> Result<Vec<StagedFile>, GitError> {
    let repo = discover(dir).map_err(|e| read_err("the repository")(boxed(e)))?;
    let path = match std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()) {
        Some(path) if Path::new(&path).is_relative() => dir.join(path),
        Some(path) => PathBuf::from(path),
        None => repo.index_path(),
    };
    // The index's trailing checksum is not verified: hashing the whole file would be the
    // one cost that grows with the repository (24 MB, about 60 ms, at 200,000 files), and
    // git verifies it itself when it reads the index to write the commit this hook guards.
    let index = gix::index::File::at_or_default(
        path,
        repo.object_hash(),
        true,
        gix::index::decode::Options::default(),
    )
    .map_err(|e| read_err("the index")(boxed(e)))?;
    let index = &index;
    // No HEAD yet (the first commit): everything staged is new.
    let head = repo.head_tree_id().ok().map(gix::Id::detach);
    let mut changed = Vec::new();
    staged_entries(
        &repo,
        index,
        0..index.entries().len(),
        0,
        (index.tree(), head),
        &mut changed,
        &mut 0,
    )?;
    let mut staged = Vec::new();
    for i in changed {
        let entry = &index.entries()[i];
        if entry.mode.is_submodule()
            || entry.mode == gix::index::entry::Mode::SYMLINK
            || entry.mode == gix::index::entry::Mode::DIR
        {
            continue;
        }
        let blob = repo
            .find_object(entry.id)
            .map_err(|e| read_err("a staged blob")(boxed(e)))?;
        staged.push(StagedFile {
            path: String::from_utf8_lossy(entry.path(index).as_ref()).into_owned(),
            data: blob.detach().data,
        });
    }
    Ok(staged)
}

/// Adds to `out` the index entries in `range` (those under one directory, whose path
/// prefix is `depth` bytes long, `/` included) that differ from `head`, that directory's
/// tree in `HEAD`. Walks the index and `HEAD`'s tree together, the way `git diff-index
/// --cached` does: where the index's cache-tree extension (`cache`) says a directory's
/// staged entries make exactly the tree `HEAD` has there, the whole directory is skipped
/// without reading a tree. `git add` invalidates only the cache-tree nodes along the paths
/// it stages, so only those directories' trees are read: the cost follows the change.
/// Without a valid cache-tree (an index written by a tool that drops it) every directory
/// is compared, which is correct, only slower. `trees_read` counts the trees read.
fn staged_entries(
    repo: &gix::Repository,
    index: &gix::index::File,
    range: std::ops::Range<usize>,
    depth: usize,
    (cache, head): (Option<&gix::index::extension::Tree>, Option<gix::ObjectId>),
    out: &mut Vec<usize>,
    trees_read: &mut usize,
) -> Result<(), GitError> {
    if let (Some(node), Some(head)) = (cache, head)
        // The count cannot be trusted on its own (see gix's docs): it must also match the
        // entries actually found under this directory.
        && node.num_entries.is_some_and(|n| n as usize == range.len())
        && node.id == head
    {
        return Ok(());
    }
    *trees_read += usize::from(head.is_some());
    let tree = match head {
        Some(id) => Some(
            repo.find_tree(id)
                .map_err(|e| read_err("a tree of HEAD")(boxed(e)))?,
        ),
        None => None,
    };
    let mut in_head: std::collections::HashMap<&[u8], (gix::ObjectId, bool)> =
        std::collections::HashMap::new();
    if let Some(tree) = &tree {
        for entry in gix::objs::TreeRefIter::from_bytes(&tree.data, repo.object_hash()) {
            let entry = entry.map_err(|e| read_err("a tree of HEAD")(boxed(e)))?;
            in_head.insert(
                entry.filename.as_ref(),
                (entry.oid.to_owned(), entry.mode.is_tree()),
            );
        }
    }
    // Looked up once per subdirectory: a map, so a directory with thousands of
    // subdirectories costs no more than it has.
    let children: std::collections::HashMap<&[u8], &gix::index::extension::Tree> = cache
        .map(|node| {
            node.children
                .iter()
                .map(|c| (c.name.as_slice(), c))
                .collect()
        })
        .unwrap_or_default();
    let entries = index.entries();
    let mut i = range.start;
    while i < range.end {
        let path: &[u8] = entries[i].path(index).as_ref();
        let rest = &path[depth..];
        let Some(slash) = rest.iter().position(|&b| b == b'/') else {
            // A file in this directory.
            if in_head.get(rest) != Some(&(entries[i].id, false)) {
                out.push(i);
            }
            i += 1;
            continue;
        };
        // A subdirectory: its entries are contiguous (the index is sorted by path bytes).
        let prefix = &path[..=depth + slash];
        let end = i + entries[i..range.end]
            .partition_point(|e| AsRef::<[u8]>::as_ref(e.path(index)).starts_with(prefix));
        let name = &rest[..slash];
        let child_cache = children.get(name).copied();
        let child_head = in_head
            .get(name)
            .filter(|(_, is_tree)| *is_tree)
            .map(|(id, _)| *id);
        staged_entries(
            repo,
            index,
            i..end,
            depth + slash + 1,
            (child_cache, child_head),
            out,
            trees_read,
        )?;
        i = end;
    }
    Ok(())
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
    /// The packs and their blob entries, for [`HistoryBlobs::scan`]'s pass over them.
    packs: Vec<PackBlobs>,
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
/// Trees are decoded from the packs in one pass and dropped as the walk uses them; blob
/// contents are not read here at all (see [`HistoryBlobs::scan`]), so memory holds at most
/// the trees, never the blobs.
///
/// # Errors
/// The repository cannot be read, or the range does not resolve.
pub fn history_blobs(dir: &Path, range: Option<&str>) -> Result<HistoryBlobs, GitError> {
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
            packs: Vec::new(),
        });
    }
    let (mut trees, packs) = packed_trees(&repo);
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
            // Each tree is walked once (`seen_trees`), so it can go as soon as it is.
            let items = match trees.by_id.remove(&id) {
                Some(items) => items,
                None => {
                    let tree = repo
                        .find_tree(id)
                        .map_err(|e| read_err("a tree")(boxed(e)))?;
                    trees
                        .compact(&tree.data, repo.object_hash())
                        .map_err(|e| read_err("a tree")(boxed(e)))?
                }
            };
            for item in &items {
                let id = trees.ids[item.id as usize];
                let name = gix::bstr::BStr::new(&trees.names[item.name as usize]);
                let path = || {
                    if prefix.is_empty() {
                        name.to_string()
                    } else {
                        format!("{prefix}/{name}")
                    }
                };
                if item.kind == TreeItem::TREE {
                    if !seen_trees.contains(&id) {
                        stack.push((id, path()));
                    }
                } else if seen_blobs.insert(id) {
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
        packs,
    })
}

/// The trees of a history, kept compact: each entry names its file and object by index
/// into tables shared by all trees (12 bytes an entry instead of about 45), since a long
/// history holds tens of megabytes of trees whose entries mostly repeat the same names and
/// ids. Entries that are neither trees nor blobs (submodules, symbolic links) are dropped:
/// the walk has no use for them.
#[derive(Default)]
struct Trees {
    by_id: std::collections::HashMap<gix::ObjectId, Box<[TreeItem]>>,
    names: Vec<Box<[u8]>>,
    name_index: std::collections::HashMap<Box<[u8]>, u32>,
    ids: Vec<gix::ObjectId>,
    id_index: std::collections::HashMap<gix::ObjectId, u32>,
}

/// One entry of a [`Trees`] tree.
#[derive(Debug, Clone, Copy)]
struct TreeItem {
    name: u32,
    id: u32,
    kind: u8,
}

impl TreeItem {
    const TREE: u8 = 0;
    const BLOB: u8 = 1;
}

impl Trees {
    /// The tree `data` as compact entries (blobs and subtrees).
    fn compact(
        &mut self,
        data: &[u8],
        hash: gix::hash::Kind,
    ) -> Result<Box<[TreeItem]>, gix::Error> {
        let mut items = Vec::new();
        for entry in gix::objs::TreeRefIter::from_bytes(data, hash) {
            let entry = entry?;
            let kind = if entry.mode.is_tree() {
                TreeItem::TREE
            } else if entry.mode.is_blob() {
                TreeItem::BLOB
            } else {
                continue;
            };
            let name: &[u8] = entry.filename.as_ref();
            let name = match self.name_index.get(name) {
                Some(&i) => i,
                None => {
                    let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
                    self.names.push(name.into());
                    self.name_index.insert(name.into(), i);
                    i
                }
            };
            let oid = entry.oid.to_owned();
            let id = match self.id_index.get(&oid) {
                Some(&i) => i,
                None => {
                    let i = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
                    self.ids.push(oid);
                    self.id_index.insert(oid, i);
                    i
                }
            };
            items.push(TreeItem { name, id, kind });
        }
        Ok(items.into_boxed_slice())
    }
}

/// One pack of the repository, with its blob entries sorted by offset.
struct PackBlobs {
    bundle: gix::odb::pack::Bundle,
    blobs: Vec<gix::odb::pack::index::Entry>,
}

/// Every tree in the repository's packs, decoded, by id; and the packs, for the blob pass.
///
/// Reading objects one by one re-inflates the delta bases of each (most trees are deltas
/// against an older version of themselves, in chains up to 50 long); a traversal along
/// the pack's delta tree, the way `index-pack` works, inflates every object exactly once,
/// on all cores. Only tree entries (and their bases, which are trees) are traversed here:
/// blobs are traversed later, by [`HistoryBlobs::scan`], which scans each as it is decoded
/// instead of keeping it. Trees outside packs (loose, or in alternates), or in a pack that
/// cannot be traversed, are not in the map: the walk reads those directly.
fn packed_trees(repo: &gix::Repository) -> (Trees, Vec<PackBlobs>) {
    let hash = repo.object_hash();
    let trees = std::sync::Mutex::new(Trees::default());
    let mut packs = Vec::new();
    let Ok(dir) = std::fs::read_dir(repo.objects.store_ref().path().join("pack")) else {
        return (Trees::default(), packs);
    };
    let mut paths: Vec<PathBuf> = dir
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "idx"))
        .collect();
    paths.sort();
    for path in paths {
        let Ok(bundle) = gix::odb::pack::Bundle::at(&path, repo.object_hash()) else {
            continue;
        };
        // A pack that cannot be classified or traversed (damaged, cut short) only loses
        // the shortcut: its objects are then read one by one, which reports any real error.
        let Some((tree_entries, blobs)) = entries_by_kind(&bundle) else {
            continue;
        };
        traverse_entries(
            &bundle,
            tree_entries,
            gix::object::Kind::Tree,
            |id, data| {
                // A tree that does not parse is left out: the walk reads it again and
                // reports it.
                if let Ok(mut trees) = trees.lock()
                    && let Ok(items) = trees.compact(data, hash)
                {
                    trees.by_id.insert(id, items);
                }
            },
        );
        packs.push(PackBlobs { bundle, blobs });
    }
    (trees.into_inner().unwrap_or_default(), packs)
}

/// The pack's tree entries and blob entries, each sorted by offset. A delta's kind is its
/// base's, found by following the chain of entry headers (no object is inflated). `None`
/// when the pack cannot be read this way.
type TreesAndBlobs = (
    Vec<gix::odb::pack::index::Entry>,
    Vec<gix::odb::pack::index::Entry>,
);
fn entries_by_kind(bundle: &gix::odb::pack::Bundle) -> Option<TreesAndBlobs> {
    use gix::odb::pack::data::entry::Header;
    let mut entries: Vec<_> = bundle.index.iter().collect();
    entries.sort_by_key(|e| e.pack_offset);
    let mut kind_at: std::collections::HashMap<u64, gix::object::Kind> =
        std::collections::HashMap::with_capacity(entries.len());
    let mut pending = Vec::new();
    for entry in &entries {
        let offset = entry.pack_offset;
        let header = bundle.pack.entry(offset).ok()?.header;
        let base = match header {
            Header::OfsDelta { base_distance } => {
                Header::verified_base_pack_offset(offset, base_distance)?
            }
            Header::RefDelta { base_id } => bundle
                .index
                .pack_offset_at_index(bundle.index.lookup(base_id)?),
            other => {
                kind_at.insert(offset, other.as_kind()?);
                continue;
            }
        };
        match kind_at.get(&base).copied() {
            Some(kind) => {
                kind_at.insert(offset, kind);
            }
            // A ref-delta may name a base stored later in the pack.
            None => pending.push((offset, base)),
        }
    }
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|&(offset, base)| match kind_at.get(&base).copied() {
            Some(kind) => {
                kind_at.insert(offset, kind);
                false
            }
            None => true,
        });
        if pending.len() == before {
            return None;
        }
    }
    // gix's delta-tree builder reads headers sequentially from the pack's first entry on, so
    // each list starts with that entry whatever its kind; the traversal skips it.
    let mut trees = entries.first().cloned().into_iter().collect::<Vec<_>>();
    let mut blobs = trees.clone();
    for entry in entries.into_iter().skip(1) {
        match kind_at.get(&entry.pack_offset) {
            Some(gix::object::Kind::Tree) => trees.push(entry),
            Some(gix::object::Kind::Blob) => blobs.push(entry),
            _ => {}
        }
    }
    Some((trees, blobs))
}

/// Decodes `entries` (sorted by offset, with every delta's base among them) along the
/// pack's delta tree on all cores, calling `visit` with the id and bytes of each object of
/// kind `kind`. Each base is inflated once and kept only while its deltas are applied.
/// Returns whether the traversal completed.
fn traverse_entries<V>(
    bundle: &gix::odb::pack::Bundle,
    entries: Vec<gix::odb::pack::index::Entry>,
    kind: gix::object::Kind,
    visit: V,
) -> bool
where
    V: Fn(gix::ObjectId, &[u8]) + Send + Sync + Clone,
{
    use gix::odb::pack::cache::delta::{Tree, traverse};
    let pack = &bundle.pack;
    let interrupt = std::sync::atomic::AtomicBool::new(false);
    let Ok(tree) = Tree::from_offsets_in_pack(
        pack.path(),
        entries.into_iter(),
        &|e: &gix::odb::pack::index::Entry| e.pack_offset,
        &|id| {
            Ok(bundle
                .index
                .lookup(id)
                .map(|i| bundle.index.pack_offset_at_index(i)))
        },
        &mut gix::progress::Discard,
        &interrupt,
        bundle.index.object_hash(),
    ) else {
        return false;
    };
    tree.traverse(
        |range, pack: &gix::odb::pack::data::File| pack.entry_slice(range),
        pack,
        pack.pack_end() as u64,
        move |entry: &mut gix::odb::pack::index::Entry, _, context: traverse::Context<'_>| {
            if context.entry.header.as_kind() == Some(kind) {
                visit(entry.oid, context.decompressed);
            }
            Ok(())
        },
        traverse::Options {
            object_progress: Box::new(gix::progress::Discard),
            size_progress: &mut gix::progress::Discard,
            thread_limit: None,
            should_interrupt: &interrupt,
            object_hash: bundle.index.object_hash(),
            alloc_limit_bytes: None,
        },
    )
    .is_ok()
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
    /// collects what it returns, in sighting order. Blobs over `max_size` are skipped;
    /// blobs that cannot be read are listed in [`HistoryScan::unreadable`], so a damaged or
    /// missing object can never pass as clean.
    ///
    /// Blobs stream: each pack's blobs are decoded along its delta tree and visited as they
    /// are decoded, and only what `visit` returns is kept, so memory does not grow with the
    /// size of the history. Blobs not found that way (loose, in alternates, in a pack that
    /// could not be traversed) are then read one by one.
    ///
    /// # Errors
    /// The repository cannot be opened, or a worker failed ([`GitError::Worker`]).
    pub fn scan<T: Send>(
        &self,
        dir: &Path,
        max_size: u64,
        visit: &(dyn Fn(usize, &[u8]) -> Vec<T> + Sync),
    ) -> Result<HistoryScan<T>, GitError> {
        self.scan_counted(dir, max_size, visit)
            .map(|(scan, _)| scan)
    }

    /// [`Self::scan`], and how many sightings were served by the pack traversal.
    fn scan_counted<T: Send>(
        &self,
        dir: &Path,
        max_size: u64,
        visit: &(dyn Fn(usize, &[u8]) -> Vec<T> + Sync),
    ) -> Result<(HistoryScan<T>, usize), GitError> {
        use std::sync::atomic::{AtomicBool, Ordering};
        let repo = discover(dir)
            .map_err(|e| read_err("the repository")(boxed(e)))?
            .into_sync();
        let by_id: std::collections::HashMap<gix::ObjectId, usize> = self
            .sightings
            .iter()
            .enumerate()
            .map(|(i, s)| (s.blob, i))
            .collect();
        let done: Vec<AtomicBool> = self
            .sightings
            .iter()
            .map(|_| AtomicBool::new(false))
            .collect();
        let found = std::sync::Mutex::new(Vec::new());
        let failed = AtomicBool::new(false);
        for pack in &self.packs {
            if failed.load(Ordering::Relaxed) {
                break;
            }
            let blobs = pack.blobs.clone();
            traverse_entries(&pack.bundle, blobs, gix::object::Kind::Blob, |id, data| {
                // Unreachable blobs are decoded (they may be others' delta bases) but not
                // scanned; a blob stored in two packs is scanned once.
                let Some(&i) = by_id.get(&id) else {
                    return;
                };
                if failed.load(Ordering::Relaxed) || done[i].swap(true, Ordering::Relaxed) {
                    return;
                }
                if data.len() as u64 > max_size {
                    return;
                }
                // The decoder's threads are not the pool's: a panicking visitor is caught
                // here and fails the scan, like a pool worker's would.
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| visit(i, data))) {
                    Ok(result) => {
                        if let Ok(mut found) = found.lock() {
                            found.push((i, Ok(result)));
                        }
                    }
                    Err(_) => failed.store(true, Ordering::Relaxed),
                }
            });
        }
        if failed.load(Ordering::Relaxed) {
            return Err(GitError::Worker(WorkerPanicked {
                task: "scanning history",
            }));
        }
        let mut found = found.into_inner().map_err(|_| WorkerPanicked {
            task: "scanning history",
        })?;
        let from_packs = done.iter().filter(|d| d.load(Ordering::Relaxed)).count();
        let rest: Vec<usize> = (0..self.sightings.len())
            .filter(|&i| !done[i].load(Ordering::Relaxed))
            .collect();
        let per_blob = pool::run(
            "scanning history",
            rest.len(),
            || repo.to_thread_local(),
            |repo, k| -> Result<Vec<T>, GitError> {
                let i = rest[k];
                // Reading the size from the header would resolve each delta chain a second
                // time; large blobs are rare enough to decode and then skip.
                let object = repo
                    .find_object(self.sightings[i].blob)
                    .map_err(|e| read_err("a blob")(boxed(e)))?;
                Ok(if object.data.len() as u64 <= max_size {
                    visit(i, &object.data)
                } else {
                    Vec::new()
                })
            },
        )?;
        found.extend(rest.into_iter().zip(per_blob));
        // Sighting order, as if the blobs had been visited one after another.
        found.sort_by_key(|(i, _)| *i);
        let mut scan = HistoryScan {
            found: Vec::new(),
            unreadable: Vec::new(),
        };
        for (i, result) in found {
            match result {
                Ok(found) => scan.found.extend(found),
                Err(error) => scan.unreadable.push((i, error)),
            }
        }
        Ok((scan, from_packs))
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
    fn history_blobs_stream_from_the_packs_once_each_and_match_object_reads() {
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
        let (trees, packs) = packed_trees(&repo);
        assert!(trees.by_id.len() >= 12, "every tree comes from the pack");
        assert_eq!(packs.len(), 1);
        for (id, items) in &trees.by_id {
            let tree = repo.find_tree(*id).unwrap().decode().unwrap().to_owned();
            let expected: Vec<(Vec<u8>, gix::ObjectId)> = tree
                .entries
                .iter()
                .map(|e| (e.filename.to_vec(), e.oid))
                .collect();
            let compact: Vec<(Vec<u8>, gix::ObjectId)> = items
                .iter()
                .map(|i| {
                    (
                        trees.names[i.name as usize].to_vec(),
                        trees.ids[i.id as usize],
                    )
                })
                .collect();
            assert_eq!(compact, expected);
        }
        let read_all = |history: &HistoryBlobs, max_size| {
            history
                .scan_counted(dir.path(), max_size, &|i, data| vec![(i, data.to_vec())])
                .unwrap()
        };
        let history = history_blobs(dir.path(), None).unwrap();
        let (scan, from_packs) = read_all(&history, u64::MAX);
        assert_eq!(
            from_packs,
            history.sightings.len(),
            "every blob from the pack"
        );
        assert!(scan.unreadable.is_empty());
        let visited: Vec<usize> = scan.found.iter().map(|(i, _)| *i).collect();
        assert_eq!(visited, (0..history.sightings.len()).collect::<Vec<_>>());
        for (i, data) in &scan.found {
            let blob = history.sightings[*i].blob;
            assert_eq!(&repo.find_object(blob).unwrap().data, data);
        }
        let (small, _) = read_all(&history, 3);
        assert!(!small.found.is_empty() && small.found.len() < scan.found.len());
        assert!(
            small.found.iter().all(|(_, data)| data.len() <= 3),
            "max_size"
        );

        // A commit after the repack is loose: its blob is read on its own, once.
        std::fs::write(dir.path().join("new.txt"), "fresh").unwrap();
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "-q", "-m", "after gc"]);
        let history = history_blobs(dir.path(), None).unwrap();
        let (scan, from_packs) = read_all(&history, u64::MAX);
        assert_eq!(from_packs + 1, history.sightings.len());
        assert_eq!(scan.found.len(), history.sightings.len());
        assert!(scan.found.iter().any(|(_, data)| data == b"fresh"));

        let panics = history.scan(dir.path(), u64::MAX, &|i, _| -> Vec<()> {
            assert!(i != 3, "forced test panic");
            Vec::new()
        });
        assert!(matches!(panics, Err(GitError::Worker(_))), "{panics:?}");
    }

    /// The staged paths git itself reports as added or modified (what the hook must scan).
    fn git_staged(dir: &Path) -> Vec<String> {
        let out = std::process::Command::new("git")
            .args([
                "diff",
                "--cached",
                "--name-only",
                "--no-renames",
                "--diff-filter=AMT",
            ])
            .current_dir(dir)
            .output()
            .unwrap();
        let mut paths: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        paths.sort();
        paths
    }

    fn staged_paths(dir: &Path) -> Vec<String> {
        let mut paths: Vec<String> = staged_changes(dir)
            .unwrap()
            .into_iter()
            .map(|f| f.path)
            .collect();
        paths.sort();
        paths
    }

    /// Index entries that differ from HEAD, and how many trees of HEAD were read, with the
    /// index's cache-tree or without it.
    fn changed_and_trees_read(dir: &Path, use_cache_tree: bool) -> (Vec<String>, usize) {
        let repo = gix::discover(dir).unwrap();
        let index = repo.index_or_empty().unwrap();
        let head = repo.head_tree_id().ok().map(gix::Id::detach);
        let cache = if use_cache_tree { index.tree() } else { None };
        let (mut changed, mut trees_read) = (Vec::new(), 0);
        staged_entries(
            &repo,
            &index,
            0..index.entries().len(),
            0,
            (cache, head),
            &mut changed,
            &mut trees_read,
        )
        .unwrap();
        let mut paths: Vec<String> = changed
            .into_iter()
            .map(|i| index.entries()[i].path(&index).to_string())
            .collect();
        paths.sort();
        (paths, trees_read)
    }

    #[test]
    fn staged_changes_agree_with_git_and_read_only_the_trees_along_the_change() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        // 40 directories nobody touches, and a few that will change.
        for d in 0..40 {
            write(&format!("pkg{d:02}/src/lib.rs"), &format!("// {d}\n"));
            write(&format!("pkg{d:02}/README.md"), "readme\n");
        }
        for path in [
            "a/b/c/one.txt",
            "a/b/two.txt",
            "a.txt",
            "x/y/gone.txt",
            "x/z.txt",
            "q/1.txt",
        ] {
            write(path, &format!("{path}\n"));
        }
        write("a/b/back.txt", "original\n");
        // Files older than the index, as in any checkout that is not brand new: git re-adds
        // (and so invalidates in the cache-tree) files modified in the same second as the
        // index, which would make every directory look changed.
        let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let mut dirs = vec![root.to_owned()];
        while let Some(d) = dirs.pop() {
            for entry in std::fs::read_dir(&d).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    if entry.file_name() != ".git" {
                        dirs.push(path);
                    }
                } else {
                    let file = std::fs::File::options().write(true).open(&path).unwrap();
                    file.set_modified(an_hour_ago).unwrap();
                }
            }
        }
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "base"]);
        // Nothing staged: nothing to scan, and the root's cache-tree answers alone.
        assert!(staged_paths(root).is_empty());
        assert_eq!(changed_and_trees_read(root, true), (Vec::new(), 0));

        write("a/b/c/one.txt", "changed\n"); // modified, three levels down
        write("a/new/fresh.txt", "new\n"); // added in a new directory
        write("top.txt", "new\n"); // added at the root
        git(root, &["rm", "-q", "x/y/gone.txt"]); // deleted: nothing to scan
        git(root, &["mv", "x/z.txt", "a/b/moved.txt"]); // renamed: its new path
        git(root, &["rm", "-q", "-r", "q"]); // a directory replaced by a file
        write("q", "now a file\n");
        write("a/b/back.txt", "edited\n"); // staged, then staged back as in HEAD
        git(root, &["add", "-A"]);
        write("a/b/back.txt", "original\n");
        git(root, &["add", "a/b/back.txt"]);

        let expected = git_staged(root);
        assert_eq!(
            expected,
            [
                "a/b/c/one.txt",
                "a/b/moved.txt",
                "a/new/fresh.txt",
                "q",
                "top.txt"
            ]
        );
        assert_eq!(staged_paths(root), expected);
        let (with_cache, read_with) = changed_and_trees_read(root, true);
        let (without, read_without) = changed_and_trees_read(root, false);
        assert_eq!(with_cache, expected);
        assert_eq!(without, expected);
        // With the cache-tree: the root, a, a/b, a/b/c, x, x/y at most; the 40 untouched
        // packages are skipped. Without it every directory of HEAD is read.
        assert!(read_with <= 6, "{read_with} trees read with the cache-tree");
        assert!(read_without > 80, "{read_without} trees read without it");

        // Before the first commit everything staged is new.
        let fresh = tempfile::tempdir().unwrap();
        git(fresh.path(), &["init", "-q"]);
        std::fs::create_dir_all(fresh.path().join("d")).unwrap();
        std::fs::write(fresh.path().join("d/f.txt"), "x").unwrap();
        git(fresh.path(), &["add", "-A"]);
        assert_eq!(staged_paths(fresh.path()), ["d/f.txt"]);
    }
}
