//! Every blob in a repository's history, for `vault scan --history`: found by walking
//! the commits' trees (decoded in one pass over the packs, kept compact, dropped once
//! walked), then decoded pack by pack along the delta tree and scanned as they are
//! decoded, so memory holds trees and findings, never the history's blobs.

use std::path::{Path, PathBuf};

use super::{GitError, boxed, discover, read_err};
use crate::pool::{self, WorkerPanicked};

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
    // Object ids are already uniform hashes: gix's table uses their first bytes instead of
    // running SipHash over every id (a few percent of a history scan).
    let mut seen_trees = gix::hashtable::HashSet::default();
    let mut seen_blobs = gix::hashtable::HashSet::default();
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
    by_id: gix::hashtable::HashMap<gix::ObjectId, Box<[TreeItem]>>,
    names: Vec<Box<[u8]>>,
    name_index: std::collections::HashMap<Box<[u8]>, u32>,
    ids: Vec<gix::ObjectId>,
    id_index: gix::hashtable::HashMap<gix::ObjectId, u32>,
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
        let by_id: gix::hashtable::HashMap<gix::ObjectId, usize> = self
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
                    // Most blobs hold nothing: only findings take the shared lock, so the
                    // decoder's threads do not queue on it once per blob.
                    Ok(result) if result.is_empty() => {}
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::scan::tests::git;

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
}
