//! `vault scan` and the pre-commit hook: feeding files, staged blobs or history to the
//! scanner in parallel, applying baselines, and reporting findings without their secrets.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::cli::args::ScanArgs;
use crate::cli::{Context, Outcome, print_json, render, stdout_error};
use crate::error::Error;
use crate::git;
use crate::identity::{Identities, IdentityError, NoPrompt, PassphrasePrompt};
use crate::pool::{self, WorkerPanicked};
use crate::scan::{Finding, Scanner};
use crate::store::{StoreError, Vault};
use crate::untrusted::escape;

/// The baseline file looked for at the repository root when none is given.
pub const DEFAULT_BASELINE: &str = ".vault-baseline.json";

/// Scans `items` (path, bytes) on every core; findings come back sorted by path and line.
///
/// # Errors
/// A scanner worker failed: its findings would be missing, so the scan must not pass.
pub fn scan_parallel(
    scanner: &Scanner,
    items: &[(String, Vec<u8>)],
) -> Result<Vec<Finding>, WorkerPanicked> {
    let per_item = pool::run(
        "scanning files",
        items.len(),
        || (),
        |(), i| {
            let (path, data) = &items[i];
            crate::faults::panic_point("scan-file");
            scanner.scan(path, data)
        },
    )?;
    let mut findings: Vec<Finding> = per_item.into_iter().flatten().collect();
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.rule).cmp(&(&b.path, b.line, b.column, b.rule))
    });
    Ok(findings)
}

/// Exact values of the secrets the caller can decrypt (≥ 8 bytes), labelled `env/NAME`, so
/// the scanner can catch custom passwords no pattern recognises. Never prompts.
fn known_values(context: &Context, vaults: &[Vault]) -> Vec<(String, Zeroizing<Vec<u8>>)> {
    if vaults.is_empty() {
        return Vec::new();
    }
    let prompt: std::sync::Arc<dyn PassphrasePrompt> = std::sync::Arc::new(NoPrompt);
    let identities = match Identities::load(&context.lookup(), &prompt) {
        Ok(ids) => ids,
        Err(IdentityError::NotFound { .. }) => {
            render::note("no identity: the check for copies of real secret values was skipped");
            return Vec::new();
        }
        Err(IdentityError::TooOpen { path, mode, .. }) => {
            render::warn(&format!(
                "the identity {} is accessible to other users (mode {mode:04o}) and was not used: run `chmod 600 {0}`; the check for copies of real secret values was skipped",
                path.display()
            ));
            return Vec::new();
        }
        Err(IdentityError::PassphraseUnavailable { source_ }) => {
            render::note(&format!(
                "{source_} needs a passphrase: the check for copies of real secret values was skipped"
            ));
            return Vec::new();
        }
        Err(e) => {
            render::note(&format!(
                "{e}: the check for copies of real secret values was skipped"
            ));
            return Vec::new();
        }
    };
    let mut values = Vec::new();
    for vault in vaults {
        for env in vault.config().env_names() {
            // Copies of any value the caller can read are worth blocking, whoever wrote
            // the file: no authentication needed to look for them (and none to fail on).
            let payload = vault
                .read_ciphertext(env)
                .and_then(|bytes| vault.open_sealed(env, &bytes, &identities));
            if let Ok(payload) = payload {
                for (name, entry) in &payload.secrets {
                    if entry.value.len() >= 8 {
                        values.push((
                            format!("{env}/{name}"),
                            Zeroizing::new(entry.value.expose().as_bytes().to_vec()),
                        ));
                    }
                }
            }
        }
    }
    values
}

/// The vaults whose values the scan should know: the one containing `cwd`, else every
/// tracked `.vault.toml` in the repository (git runs hooks at the work-tree root, and the
/// vault may live in an app's subdirectory).
///
/// # Errors
/// A roster that exists but cannot be read or parsed (a merge left conflict markers in it,
/// say). Without it the scan cannot know which values to look for, and passing would let a
/// copy of a real secret through: the hook must block instead.
fn vaults_for(cwd: &Path) -> Result<Vec<Vault>, Error> {
    let unreadable = |source| Error::RosterUnreadable { source };
    match Vault::discover(cwd) {
        Ok(vault) => return Ok(vec![vault]),
        Err(StoreError::NotAVault { .. }) => {}
        Err(source) => return Err(unreadable(source)),
    }
    let mut vaults = Vec::new();
    for path in git::tracked_named(cwd, crate::config::CONFIG_FILE) {
        let Some(root) = path.parent() else {
            continue;
        };
        match Vault::open(root) {
            Ok(vault) => vaults.push(vault),
            // Tracked but deleted from the work tree: this commit removes that vault.
            Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            }
            Err(source) => return Err(unreadable(source)),
        }
    }
    Ok(vaults)
}

fn load_baseline(path: &Path, explicit: bool) -> Result<BTreeSet<String>, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok(BTreeSet::new());
        }
        Err(source) => {
            return Err(Error::Io {
                action: "read",
                path: path.to_owned(),
                source,
            });
        }
    };
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Io {
        action: "parse",
        path: path.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
    })?;
    Ok(doc["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["fingerprint"].as_str().map(str::to_owned))
        .collect())
}

fn write_baseline(path: &Path, findings: &[Finding]) -> Result<(), Error> {
    let entries: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| serde_json::json!({ "fingerprint": f.fingerprint, "rule": f.rule, "path": f.path, "line": f.line }))
        .collect();
    let doc = serde_json::json!({
        "about": "vault scan baseline: reviewed findings to ignore, by fingerprint (never the secret). Regenerate with `vault scan --write-baseline`.",
        "version": 1,
        "findings": entries,
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("JSON values always serialize");
    text.push('\n');
    crate::store::atomic::write(path, text.as_bytes(), 0o644).map_err(|source| Error::Io {
        action: "write",
        path: path.to_owned(),
        source,
    })
}

/// Writes every finding's fingerprint as the baseline at `path` and says so.
fn save_baseline(path: &Path, findings: &[Finding]) -> Result<Outcome, Error> {
    write_baseline(path, findings)?;
    render::note(&format!(
        "wrote {} fingerprint(s) to {}; review and commit it",
        findings.len(),
        path.display()
    ));
    Ok(Outcome::Success)
}

/// The fingerprints to ignore: `--baseline FILE`, else `.vault-baseline.json` at the
/// repository root (or the vault's root outside git) when it exists.
fn allowed_fingerprints(
    context: &Context,
    vaults: &[Vault],
    explicit: Option<&Path>,
) -> Result<BTreeSet<String>, Error> {
    if let Some(path) = explicit {
        return load_baseline(path, true);
    }
    let root =
        git::work_tree(context.cwd()).or_else(|| vaults.first().map(|v| v.root().to_owned()));
    match root {
        Some(root) => load_baseline(&root.join(DEFAULT_BASELINE), false),
        None => Ok(BTreeSet::new()),
    }
}

struct Report<'a> {
    findings: Vec<Finding>,
    scanned: usize,
    what: &'a str,
    staged: bool,
    /// Files that could not be read (shown path, reason): reported, and the run fails.
    unreadable: &'a [(String, String)],
}

fn report(report: &Report<'_>, json: bool, out: &mut dyn Write) -> Result<Outcome, Error> {
    if json {
        let unreadable: Vec<serde_json::Value> = report
            .unreadable
            .iter()
            .map(|(path, error)| serde_json::json!({ "path": path, "error": error }))
            .collect();
        let doc = serde_json::json!({
            "scanned": report.scanned,
            "findings": report.findings,
            "unreadable": unreadable,
        });
        print_json(out, &doc)?;
    } else {
        for f in &report.findings {
            // File names are untrusted (anyone can commit one holding an escape sequence).
            let path = escape(&f.path);
            let place = if f.line == 0 {
                path.into_owned()
            } else {
                format!("{path}:{}:{}", f.line, f.column)
            };
            writeln!(out, "{place}  [{}] {} ({})", f.rule, f.description, f.hint)
                .map_err(stdout_error)?;
        }
    }
    warn_unreadable(report.unreadable);
    if report.findings.is_empty() {
        if !json {
            render::note(&format!(
                "no secrets found in {} {}",
                report.scanned, report.what
            ));
        }
        return Ok(Outcome::Success);
    }
    let files: BTreeSet<&str> = report.findings.iter().map(|f| f.path.as_str()).collect();
    eprintln!(
        "\nvault: {} finding(s) in {} of {} {}{}",
        report.findings.len(),
        files.len(),
        report.scanned,
        report.what,
        if report.staged {
            "; commit blocked"
        } else {
            ""
        }
    );
    eprintln!(
        "  fix: move real values into the vault (`vault set <env> NAME`) and take them out of the file{}",
        if report.staged {
            "; unstage a file with `git rm --cached FILE`"
        } else {
            ""
        }
    );
    eprintln!(
        "  allow a false positive: add a `vault:allow` comment on the line, or record it with `vault scan{} --write-baseline {DEFAULT_BASELINE}` and commit that file",
        if report.staged { " --staged" } else { "" }
    );
    Ok(Outcome::Problems)
}

/// How a scan's results are filtered and reported.
struct Run<'a> {
    baseline: Option<&'a Path>,
    write_baseline: Option<&'a Path>,
    json: bool,
    what: &'a str,
    staged: bool,
    /// Files that could not be read (shown path, reason).
    unreadable: &'a [(String, String)],
}

/// One warning per file that could not be read (path escaped: file names are untrusted).
fn warn_unreadable(unreadable: &[(String, String)]) {
    for (path, error) in unreadable {
        render::warn(&format!(
            "cannot read {}: {error}; it was not scanned",
            escape(path)
        ));
    }
}

/// Turns a finished scan into the final result: any file that could not be read makes the
/// whole run fail (exit 2) after everything else was reported, as ripgrep does, because a
/// file nobody read may hold a secret.
fn incomplete(outcome: Outcome, unreadable: usize, what: &'static str) -> Result<Outcome, Error> {
    if unreadable == 0 {
        Ok(outcome)
    } else {
        Err(Error::ScanIncomplete {
            count: unreadable,
            what,
        })
    }
}

fn finish(
    context: &Context,
    vaults: &[Vault],
    items: &[(String, Vec<u8>)],
    run: &Run<'_>,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let scanner = Scanner::new().with_known_values(known_values(context, vaults));
    let mut findings = scan_parallel(&scanner, items)?;
    if let Some(path) = run.write_baseline {
        let outcome = save_baseline(path, &findings)?;
        warn_unreadable(run.unreadable);
        return incomplete(outcome, run.unreadable.len(), "file(s)");
    }
    let allowed = allowed_fingerprints(context, vaults, run.baseline)?;
    findings.retain(|f| !allowed.contains(&f.fingerprint));
    let outcome = report(
        &Report {
            findings,
            scanned: items.len(),
            what: run.what,
            staged: run.staged,
            unreadable: run.unreadable,
        },
        run.json,
        out,
    )?;
    incomplete(outcome, run.unreadable.len(), "file(s)")
}

/// The pre-commit check: scans what is staged (the index), not the working tree.
pub fn staged(
    context: &Context,
    json: bool,
    baseline: Option<&Path>,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    staged_with(context, json, baseline, None, out)
}

fn staged_with(
    context: &Context,
    json: bool,
    baseline: Option<&Path>,
    write: Option<&Path>,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let files = git::staged_changes(context.cwd())?;
    let items: Vec<(String, Vec<u8>)> = files.into_iter().map(|f| (f.path, f.data)).collect();
    let vaults = vaults_for(context.cwd())?;
    finish(
        context,
        &vaults,
        &items,
        &Run {
            baseline,
            write_baseline: write,
            json,
            what: "staged file(s)",
            staged: true,
            unreadable: &[],
        },
        out,
    )
}

/// `vault scan`.
pub fn run(context: &Context, args: &ScanArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    if args.list_rules {
        for rule in Scanner::rules() {
            writeln!(out, "{:32} {}", rule.id, rule.description).map_err(stdout_error)?;
        }
        return Ok(Outcome::Success);
    }
    if let Some(range) = &args.history {
        return history(context, args, range.as_deref(), out);
    }
    if args.staged {
        return staged_with(
            context,
            args.json,
            args.baseline.as_deref(),
            args.write_baseline.as_deref(),
            out,
        );
    }
    let roots: Vec<PathBuf> = if args.paths.is_empty() {
        vec![context.cwd().to_owned()]
    } else {
        args.paths.iter().map(|p| context.cwd().join(p)).collect()
    };
    let roots: Vec<PathBuf> = roots
        .into_iter()
        .map(|r| r.canonicalize().unwrap_or(r))
        .collect();
    let mut items = Vec::new();
    let mut skipped = 0usize;
    // Paths are shown and fingerprinted relative to the repository, wherever the scan runs,
    // so path rules and baselines mean the same thing from any subdirectory.
    let display_root = git::work_tree(context.cwd())
        .and_then(|top| top.canonicalize().ok())
        .unwrap_or_else(|| context.cwd().to_owned());
    let shown = |path: &Path| {
        path.strip_prefix(&display_root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let (files, mut unreadable) = files_to_scan(context.cwd(), &roots)?;
    for path in files {
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > args.max_size) {
            skipped += 1;
            continue;
        }
        // One unreadable file must not hide the findings in all the others: it is
        // reported, the scan goes on, and the exit status says the scan was incomplete.
        match std::fs::read(&path) {
            Ok(data) => items.push((shown(&path), data)),
            Err(error) => unreadable.push((path, error.to_string())),
        }
    }
    let unreadable: Vec<(String, String)> = unreadable
        .into_iter()
        .map(|(path, error)| (shown(&path), error))
        .collect();
    if skipped > 0 {
        render::note(&format!(
            "skipped {skipped} file(s) larger than {} bytes (--max-size)",
            args.max_size
        ));
    }
    let vaults = vaults_for(context.cwd())?;
    finish(
        context,
        &vaults,
        &items,
        &Run {
            baseline: args.baseline.as_deref(),
            write_baseline: args.write_baseline.as_deref(),
            json: args.json,
            what: "file(s)",
            staged: false,
            unreadable: &unreadable,
        },
        out,
    )
}

/// Paths that could not be read, each with the reason.
type Unreadable = Vec<(PathBuf, String)>;

/// The files under `roots` that `vault scan` reads: every file git tracks (from the index),
/// whatever `.gitignore` says, and the untracked files the ignore rules do not exclude.
/// Also the places the walk could not enter (path, reason), so they can be reported.
///
/// A committed file stays committed when a later `.gitignore` line matches it (or it was
/// added with `git add -f`), and CI runs this scan as the backstop for `--no-verify`, so
/// ignore rules may only narrow what is not in git. Sorted, each path once.
fn files_to_scan(cwd: &Path, roots: &[PathBuf]) -> Result<(Vec<PathBuf>, Unreadable), Error> {
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
                    None => render::warn(&format!("{error}; that ignore rule was skipped")),
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

/// `vault scan --history [RANGE]`: every distinct blob once, reported with a commit and
/// path where it appears.
fn history(
    context: &Context,
    args: &ScanArgs,
    range: Option<&str>,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let history = git::history_blobs(context.cwd(), range, args.max_size)?;
    let sightings = &history.sightings;
    let vaults = vaults_for(context.cwd())?;
    let scanner = Scanner::new().with_known_values(known_values(context, &vaults));
    let scan = history.scan(context.cwd(), args.max_size, &|i, data| {
        crate::faults::panic_point("scan-file");
        scanner
            .scan(&sightings[i].path, data)
            .into_iter()
            .map(|f| (i, f))
            .collect()
    })?;
    let mut found: Vec<(usize, Finding)> = scan.found;
    // A blob that cannot be read may hold a secret: name it (commit and path, never its
    // content), keep going, and fail at the end.
    let cause = |error: &git::GitError| {
        std::error::Error::source(error).map_or_else(|| error.to_string(), ToString::to_string)
    };
    let mut unreadable: Vec<(String, String)> = scan
        .unreadable
        .iter()
        .map(|(i, error)| {
            let s = &sightings[*i];
            (
                format!(
                    "blob {} ({} in commit {})",
                    s.blob,
                    escape(&s.path),
                    &s.commit[..10]
                ),
                cause(error),
            )
        })
        .collect();
    unreadable.extend(history.unreadable_refs.iter().map(|(name, error)| {
        (
            format!("reference {} (its history was not walked)", escape(name)),
            cause(error),
        )
    }));
    found.sort_by(|a, b| {
        (&a.1.path, a.1.line, &sightings[a.0].commit).cmp(&(
            &b.1.path,
            b.1.line,
            &sightings[b.0].commit,
        ))
    });
    const WHAT: &str = "object(s) of history";
    let warn_unreadable = || {
        for (what, error) in &unreadable {
            render::warn(&format!("cannot read {what}: {error}; it was not scanned"));
        }
    };
    if let Some(path) = &args.write_baseline {
        let findings: Vec<Finding> = found.into_iter().map(|(_, f)| f).collect();
        let outcome = save_baseline(path, &findings)?;
        warn_unreadable();
        return incomplete(outcome, unreadable.len(), WHAT);
    }
    let allowed = allowed_fingerprints(context, &vaults, args.baseline.as_deref())?;
    found.retain(|(_, f)| !allowed.contains(&f.fingerprint));
    if args.json {
        let list: Vec<serde_json::Value> = found
            .iter()
            .map(|(i, f)| {
                let mut v = serde_json::to_value(f).expect("findings always serialize");
                v["commit"] = sightings[*i].commit.clone().into();
                v
            })
            .collect();
        let mut unreadable_list: Vec<serde_json::Value> = scan
            .unreadable
            .iter()
            .zip(&unreadable)
            .map(|((i, _), (_, error))| {
                let s = &sightings[*i];
                serde_json::json!({ "blob": s.blob.to_string(), "path": s.path, "commit": s.commit, "error": error })
            })
            .collect();
        unreadable_list.extend(
            history
                .unreadable_refs
                .iter()
                .zip(&unreadable[scan.unreadable.len()..])
                .map(|((name, _), (_, error))| {
                    serde_json::json!({ "reference": name, "error": error })
                }),
        );
        let doc = serde_json::json!({
            "scanned_blobs": sightings.len(),
            "findings": list,
            "unreadable": unreadable_list,
        });
        print_json(out, &doc)?;
    } else {
        for (i, f) in &found {
            // File names are untrusted (anyone can commit one holding an escape sequence).
            let path = escape(&f.path);
            let place = if f.line == 0 {
                path.into_owned()
            } else {
                format!("{path}:{}:{}", f.line, f.column)
            };
            writeln!(
                out,
                "{} {place}  [{}] {} ({})",
                &sightings[*i].commit[..10],
                f.rule,
                f.description,
                f.hint
            )
            .map_err(stdout_error)?;
        }
    }
    warn_unreadable();
    if found.is_empty() {
        render::note(&format!(
            "no secrets found in {} distinct blob(s) of history",
            sightings.len() - unreadable.len()
        ));
        return incomplete(Outcome::Success, unreadable.len(), WHAT);
    }
    eprintln!(
        "\nvault: {} finding(s) in {} distinct blob(s) of history. Removing a secret from history does not revoke it: rotate it at its source first.",
        found.len(),
        sightings.len()
    );
    incomplete(Outcome::Problems, unreadable.len(), WHAT)
}
