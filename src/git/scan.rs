//! What the pre-commit hook and `vault scan` read from git: the files about to be
//! committed (compared with `HEAD` only along the staged paths) and the files the index
//! tracks. History scans read blobs through `blobs`.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::index_raw::RawIndex;
use super::{GitError, boxed, discover, read_err};

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
/// (as it does for every `git commit`), else the repository's index.
///
/// The cost follows the change, not the repository: see [`staged_entries`].
///
/// # Errors
/// The repository, index or objects cannot be read.
pub fn staged_changes(dir: &Path) -> Result<Vec<StagedFile>, GitError> {
    staged(dir, None).map(|staged| staged.files)
}

/// What the pre-commit hook reads from the index, in one pass over it.
#[derive(Debug)]
pub struct Staged {
    /// The files to scan, as [`staged_changes`] returns them.
    pub files: Vec<StagedFile>,
    /// Absolute paths (in the work tree) of the tracked files with the name asked for, in
    /// index order: those of the index the commit is written from and, when that is not the
    /// repository's own index (a partial commit), those of the repository's index too.
    pub named: Vec<PathBuf>,
}

/// [`staged_changes`], and every tracked file named `file_name` (e.g. every `.vault.toml`
/// of a repository whose vaults live in subdirectories), found during the same pass over
/// the index. Outside a vault the hook needs both, and reading a 200,000-file index twice
/// made it cost twice what it costs at 20,000 files.
///
/// The names come from the index git commits from, so a vault added in this very commit is
/// found. For a partial commit (`git commit <paths>`) that index is a temporary one holding
/// only `HEAD` and the named paths, which would miss a vault staged in the repository's
/// index but left out of this commit; its values would then not be looked for. So when the
/// index is not the repository's own (see [`is_repository_index`]), the repository's index
/// is read for names too: the second pass happens only then.
///
/// # Errors
/// The repository, either index or objects cannot be read.
pub fn staged_changes_naming(dir: &Path, file_name: &str) -> Result<Staged, GitError> {
    staged(dir, Some(file_name))
}

fn staged(dir: &Path, file_name: Option<&str>) -> Result<Staged, GitError> {
    let repo = discover(dir).map_err(|e| read_err("the repository")(boxed(e)))?;
    let (path, own) = match std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()) {
        Some(path) => {
            // Git sets it relative to the directory the hook runs in for a plain `git
            // commit` (`.git/index`), absolute otherwise.
            let path = dir.join(path);
            let own = is_repository_index(&path, repo.git_dir());
            (path, own)
        }
        // Not in a commit (`vault scan --staged`): the repository's index.
        None => (repo.index_path(), true),
    };
    let named_here = |p: &[u8]| file_name.is_some_and(|name| is_named(p, name));
    let mut named: Vec<Vec<u8>> = Vec::new();
    // The index's trailing checksum is not verified: hashing the whole file would be the
    // one cost that grows with the repository (24 MB, about 60 ms, at 200,000 files), and
    // git verifies it itself when it reads the index to write the commit this hook guards.
    // A version 2 or 3 index is read without decoding every entry (see `index_raw`); any
    // other, or one that reader does not fully understand, is decoded by gix.
    let head = repo.head_tree_id().ok().map(gix::Id::detach);
    let raw = RawIndex::open_visiting(&path, repo.object_hash(), &mut |p| {
        if named_here(p) {
            named.push(p.to_vec());
        }
    });
    let files = if let Some(index) = raw {
        let tree = index.tree();
        staged_files(&repo, &index, (tree, head))?
    } else {
        // The reader may have shown some entries before it declined: start again from
        // what gix decodes.
        named.clear();
        let index = gix::index::File::at_or_default(
            path,
            repo.object_hash(),
            true,
            gix::index::decode::Options::default(),
        )
        .map_err(|e| read_err("the index")(boxed(e)))?;
        named.extend(
            index
                .entries()
                .iter()
                .map(|e| -> &[u8] { e.path(&index).as_ref() })
                .filter(|p| named_here(p))
                .map(<[u8]>::to_vec),
        );
        staged_files(&repo, &index, (index.tree(), head))?
    };
    let Some(top) = repo.workdir().map(Path::to_owned) else {
        return Ok(Staged {
            files,
            named: Vec::new(),
        });
    };
    let mut named: Vec<PathBuf> = named
        .iter()
        .map(|p| top.join(std::ffi::OsStr::from_bytes(p)))
        .collect();
    if let Some(name) = file_name
        && !own
    {
        // The repository's own index is `index` in its git directory: not
        // `repo.index_path()`, which gix points at `$GIT_INDEX_FILE` too. Unlike
        // `tracked_named`, an unreadable index is an error here: the hook must not pass
        // without the vaults it names.
        let own_index = repo.git_dir().join("index");
        named.extend(named_in(&repo, &own_index, &top, name)?);
        // Index order (the paths' bytes), as one index would list them.
        named.sort_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
        named.dedup();
    }
    Ok(Staged { files, named })
}

/// Whether `index`, the index a commit is written from (`$GIT_INDEX_FILE`, resolved), is
/// the repository's own: `index`, or `index.lock` (the refreshed copy `git commit -a` and
/// `git commit -i <paths>` commit from), in the repository's git directory (a linked work
/// tree's own one, for a linked work tree). A partial commit's `next-index-*.lock`, or any
/// index elsewhere, is not. When a directory cannot be resolved the answer is no, so the
/// caller reads the repository's index as well: the safe side.
fn is_repository_index(index: &Path, git_dir: &Path) -> bool {
    let named_so = index
        .file_name()
        .is_some_and(|name| name == "index" || name == "index.lock");
    let (Some(parent), Ok(git_dir)) = (index.parent(), git_dir.canonicalize()) else {
        return false;
    };
    named_so && parent.canonicalize().is_ok_and(|parent| parent == git_dir)
}

/// Whether the index path `path` names a file called `name` (at the root or below).
fn is_named(path: &[u8], name: &str) -> bool {
    let name = name.as_bytes();
    path.strip_suffix(name)
        .is_some_and(|dir| dir.is_empty() || dir.ends_with(b"/"))
}

/// One index entry, as the hook uses it.
pub(crate) struct IndexEntry<'a> {
    /// `/`-separated, relative to the work tree.
    pub(crate) path: std::borrow::Cow<'a, [u8]>,
    /// The blob (or commit, for a submodule).
    pub(crate) id: gix::ObjectId,
    /// A regular file (executable or not): not a symbolic link, a submodule or a sparse
    /// directory, none of which is file content to scan.
    pub(crate) is_file: bool,
}

/// The index's entries, as the hook reads them: decoded by gix, or read by offset by
/// [`RawIndex`].
pub(crate) trait IndexEntries {
    /// How many entries.
    fn len(&self) -> usize;
    /// Entry `i`.
    fn entry(&self, i: usize) -> Result<IndexEntry<'_>, GitError>;
}

impl IndexEntries for gix::index::File {
    fn len(&self) -> usize {
        self.entries().len()
    }

    fn entry(&self, i: usize) -> Result<IndexEntry<'_>, GitError> {
        let entry = &self.entries()[i];
        let mode = entry.mode;
        Ok(IndexEntry {
            path: std::borrow::Cow::Borrowed(entry.path(self).as_ref()),
            id: entry.id,
            is_file: !(mode.is_submodule()
                || mode == gix::index::entry::Mode::SYMLINK
                || mode == gix::index::entry::Mode::DIR),
        })
    }
}

/// The staged files of `index` that differ from `head` (`HEAD`'s tree), with their content.
fn staged_files(
    repo: &gix::Repository,
    index: &impl IndexEntries,
    (cache, head): (Option<&gix::index::extension::Tree>, Option<gix::ObjectId>),
) -> Result<Vec<StagedFile>, GitError> {
    let mut changed = Vec::new();
    staged_entries(
        repo,
        index,
        0..index.len(),
        0,
        (cache, head),
        &mut changed,
        &mut 0,
    )?;
    let mut staged = Vec::new();
    for i in changed {
        let entry = index.entry(i)?;
        if !entry.is_file {
            continue;
        }
        let blob = repo
            .find_object(entry.id)
            .map_err(|e| read_err("a staged blob")(boxed(e)))?;
        staged.push(StagedFile {
            path: String::from_utf8_lossy(&entry.path).into_owned(),
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
    index: &impl IndexEntries,
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
    let mut i = range.start;
    while i < range.end {
        let entry = index.entry(i)?;
        let path: &[u8] = &entry.path;
        let rest = &path[depth..];
        let Some(slash) = rest.iter().position(|&b| b == b'/') else {
            // A file in this directory.
            if in_head.get(rest) != Some(&(entry.id, false)) {
                out.push(i);
            }
            i += 1;
            continue;
        };
        // A subdirectory: its entries are contiguous (the index is sorted by path bytes).
        let prefix = &path[..=depth + slash];
        let name = &rest[..slash];
        let child_cache = children.get(name).copied();
        let hint = child_cache.and_then(|c| c.num_entries);
        let end = first_not_under(index, i..range.end, prefix, hint)?;
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

/// The first entry in `range` whose path does not start with `prefix` (the entries that
/// do are contiguous at its start: the index is sorted by path bytes, and git refuses to
/// commit from one that is not). `hint`, the cache-tree's count for that directory, is
/// checked with two entries, as it can be wrong; else a binary search finds the end.
fn first_not_under(
    index: &impl IndexEntries,
    range: std::ops::Range<usize>,
    prefix: &[u8],
    hint: Option<u32>,
) -> Result<usize, GitError> {
    let under =
        |i: usize| -> Result<bool, GitError> { Ok(index.entry(i)?.path.starts_with(prefix)) };
    if let Some(n) = hint.map(|n| n as usize)
        && n > 0
        && range.start + n <= range.end
        && under(range.start + n - 1)?
        && (range.start + n == range.end || !under(range.start + n)?)
    {
        return Ok(range.start + n);
    }
    let (mut lo, mut hi) = (range.start, range.end);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if under(mid)? {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

/// Absolute paths of tracked files whose name is `file_name` (from the index git would use:
/// `$GIT_INDEX_FILE` when set), e.g. every `.vault.toml` in a repository that holds several
/// apps. Empty when the index cannot be read.
#[must_use]
pub fn tracked_named(dir: &Path, file_name: &str) -> Vec<PathBuf> {
    let Ok(repo) = discover(dir) else {
        return Vec::new();
    };
    let Some(top) = repo.workdir().map(Path::to_owned) else {
        return Vec::new();
    };
    named_in(&repo, &repo.index_path(), &top, file_name).unwrap_or_default()
}

/// The entries of the index at `path` named `file_name`, joined to `top` (the work tree),
/// in index order. One streaming pass instead of decoding every entry; gix decodes what
/// that reader declines (its checksum unverified, as for the staged files).
fn named_in(
    repo: &gix::Repository,
    path: &Path,
    top: &Path,
    file_name: &str,
) -> Result<Vec<PathBuf>, GitError> {
    let mut found = Vec::new();
    let raw = RawIndex::open_visiting(path, repo.object_hash(), &mut |path| {
        if is_named(path, file_name) {
            found.push(top.join(std::ffi::OsStr::from_bytes(path)));
        }
    });
    if raw.is_some() {
        return Ok(found);
    }
    let index = gix::index::File::at_or_default(
        path,
        repo.object_hash(),
        true,
        gix::index::decode::Options::default(),
    )
    .map_err(|e| read_err("the index")(boxed(e)))?;
    Ok(index
        .entries()
        .iter()
        .map(|e| -> &[u8] { e.path(&index).as_ref() })
        .filter(|p| is_named(p, file_name))
        .map(|p| top.join(std::ffi::OsStr::from_bytes(p)))
        .collect())
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
pub(crate) mod tests {
    use super::*;

    pub(crate) fn git(dir: &Path, args: &[&str]) {
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

    pub(crate) fn staged_paths(dir: &Path) -> Vec<String> {
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
            &**index,
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

    /// Which `$GIT_INDEX_FILE` is the repository's own index, so the hook's one pass over it
    /// names every vault; for any other, the repository's index is read for names as well.
    /// What git 2.47 sets: `.git/index` (relative) for `git commit` and `--amend`,
    /// `.git/index.lock` for `-a` and `-i <paths>`, `.git/next-index-<pid>.lock` for
    /// `git commit <paths>` and `-o <paths>`, and `.git/worktrees/<name>/index` in a
    /// linked work tree.
    #[test]
    fn the_repository_index_is_index_or_index_lock_in_its_git_dir() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        std::fs::write(root.join("f.txt"), "f\n").unwrap();
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "base"]);
        let git_dir = discover(root).unwrap().git_dir().to_owned();
        let own = |index: &Path| is_repository_index(index, &git_dir);
        assert!(own(&root.join(".git/index")));
        assert!(own(&root.join(".git/index.lock")));
        // The same directory spelled another way.
        std::fs::create_dir(root.join("sub")).unwrap();
        assert!(own(&root.join("sub/../.git/index")));
        std::os::unix::fs::symlink(root.join(".git"), root.join("link")).unwrap();
        assert!(own(&root.join("link/index.lock")));
        // A partial commit's temporary index, other names, other directories.
        assert!(!own(&root.join(".git/next-index-4242.lock")));
        assert!(!own(&root.join(".git/index.bak")));
        assert!(!own(&root.join("index")));
        assert!(!own(&root.join("sub/index")));
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(!own(&elsewhere.path().join("index")));
        // A directory that does not resolve: read the repository's index too.
        assert!(!own(&root.join("missing/index")));
        assert!(!own(Path::new("index")));

        // A linked work tree commits from its own git directory's index, which is what
        // discovering the repository from there gives.
        let wt = elsewhere.path().join("wt");
        git(root, &["worktree", "add", "-q", wt.to_str().unwrap()]);
        let wt_git_dir = discover(&wt).unwrap().git_dir().to_owned();
        let wt_index = root.join(".git/worktrees/wt/index");
        assert!(wt_index.exists());
        assert!(is_repository_index(&wt_index, &wt_git_dir));
        assert!(!is_repository_index(&root.join(".git/index"), &wt_git_dir));
    }

    #[test]
    fn is_named_matches_the_whole_file_name() {
        assert!(is_named(b".vault.toml", ".vault.toml"));
        assert!(is_named(b"apps/api/.vault.toml", ".vault.toml"));
        assert!(!is_named(b"apps/x.vault.toml", ".vault.toml"));
        assert!(!is_named(b"apps/.vault.toml.bak", ".vault.toml"));
        assert!(!is_named(b"vault.toml", ".vault.toml"));
    }

    /// The names come from the same pass as the staged files, including a `.vault.toml`
    /// only staged (not yet in `HEAD`), and agree with `tracked_named`.
    #[test]
    fn staged_changes_naming_lists_the_named_files_of_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        for path in [
            "a/.vault.toml",
            "b/c/.vault.toml",
            "d/x.vault.toml",
            "e.txt",
        ] {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x\n").unwrap();
        }
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "base"]);
        std::fs::create_dir_all(root.join("new")).unwrap();
        std::fs::write(root.join("new/.vault.toml"), "x\n").unwrap();
        git(root, &["add", "-A"]);
        let staged = staged_changes_naming(root, ".vault.toml").unwrap();
        let top = discover(root).unwrap().workdir().unwrap().to_owned();
        let expected: Vec<PathBuf> = ["a/.vault.toml", "b/c/.vault.toml", "new/.vault.toml"]
            .iter()
            .map(|p| top.join(p))
            .collect();
        assert_eq!(staged.named, expected);
        assert_eq!(tracked_named(root, ".vault.toml"), expected);
        let files: Vec<&str> = staged.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(files, ["new/.vault.toml"]);
        // A version 4 index is decoded by gix: the same names.
        git(root, &["update-index", "--index-version", "4"]);
        assert_eq!(
            staged_changes_naming(root, ".vault.toml").unwrap().named,
            expected
        );
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
