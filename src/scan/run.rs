//! One scan, start to finish: [`run`] takes a [`Plan`] (what to read, which baseline, whose
//! values to look for) and returns a [`Report`]. `vault scan`, the pre-commit hook and the
//! scan benchmark all go through it, on the one worker pool ([`crate::pool`]).
//!
//! Nothing here prints. What the caller should tell the user while the scan runs (an
//! ignore rule skipped, files too large, values not checked) goes to a [`Notice`] callback,
//! in the order it happens; what could not be read is in the report, and the scan goes on.

use std::path::{Path, PathBuf};

use super::harvest::{known_values, vaults_among, vaults_for};
use super::{Finding, Scanner, baseline, walk};
use crate::error::Error;
use crate::git::{self, GitError};
use crate::identity::{IdentityError, Lookup};
use crate::pool::{self, WorkerPanicked};

/// What to scan.
#[derive(Debug, Clone)]
pub enum Source {
    /// Files under these paths (relative to the plan's `cwd`; none means `cwd` itself).
    Paths(Vec<PathBuf>),
    /// What is staged (the index), as the pre-commit hook sees it.
    Staged,
    /// Every distinct blob reachable in history, or in a revision range.
    History(Option<String>),
}

/// A scan, decided before any work starts.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Where the command runs: finds the repository and the vault.
    pub cwd: PathBuf,
    /// What to read.
    pub source: Source,
    /// Files and blobs larger than this are left out (not applied to staged files).
    pub max_size: u64,
    /// Where the caller's identities are, to look for copies of the vault's own values;
    /// `None` skips that check.
    pub identities: Option<Lookup>,
    /// The baseline to apply; `None` means the default one when it exists.
    pub baseline: Option<PathBuf>,
    /// Write every finding to this baseline instead of filtering and reporting.
    pub write_baseline: Option<PathBuf>,
}

/// Something to tell the user while the scan runs.
#[derive(Debug)]
pub enum Notice {
    /// A bad line in an ignore file: that rule was skipped.
    IgnoreRuleSkipped(ignore::Error),
    /// Files left out because they are larger than `max_size`.
    TooLarge {
        /// How many.
        count: usize,
        /// The limit.
        max_size: u64,
    },
    /// The identities could not be loaded, so copies of real values were not looked for.
    KnownValuesSkipped(IdentityError),
}

/// A finding, with the commit it was seen in for a history scan. Serializes as the
/// finding's own fields, plus `commit` for history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Found {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// The commit (hex) for a history scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// Something the scan could not read: it may hold a secret, so the run must not pass.
/// Serializes as its fields (`reference` for a reference's name), without a tag.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(untagged)]
pub enum Unreadable {
    /// A file or directory of the work tree (shown path).
    File {
        /// The path, relative to the repository.
        path: String,
        /// Why.
        error: String,
    },
    /// A blob of history.
    Blob {
        /// The blob id.
        blob: String,
        /// Its path in `commit`.
        path: String,
        /// The commit (hex) it was seen in.
        commit: String,
        /// Why.
        error: String,
    },
    /// A reference whose history was not walked.
    Reference {
        /// The reference name.
        #[serde(rename = "reference")]
        name: String,
        /// Why.
        error: String,
    },
}

impl Unreadable {
    /// Why it could not be read.
    #[must_use]
    pub fn error(&self) -> &str {
        match self {
            Self::File { error, .. } | Self::Blob { error, .. } | Self::Reference { error, .. } => {
                error
            }
        }
    }
}

/// What a scan found.
#[derive(Debug, Default)]
pub struct Report {
    /// Findings not in the baseline, sorted by path and line (then column and rule, or
    /// commit for history). Empty when a baseline was written.
    pub found: Vec<Found>,
    /// How many files or distinct blobs were scanned.
    pub scanned: usize,
    /// What could not be read.
    pub unreadable: Vec<Unreadable>,
    /// Where a baseline was written and how many fingerprints it holds.
    pub baseline_written: Option<(PathBuf, usize)>,
}

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

/// Runs the scan `plan` describes.
///
/// # Errors
/// The repository, a roster or the baseline cannot be read, the baseline cannot be
/// written, or a worker failed. Files and blobs that cannot be read are not errors: they
/// are in [`Report::unreadable`].
pub fn run(plan: &Plan, notice: &mut dyn FnMut(Notice)) -> Result<Report, Error> {
    let cwd = plan.cwd.as_path();
    // The tracked `.vault.toml` files, when the source already read the index for them.
    let mut tracked_vaults = None;
    let (items, unreadable) = match &plan.source {
        Source::History(range) => return history(plan, range.as_deref(), notice),
        Source::Staged => {
            // One pass over the index gives both the staged files and, for a hook run
            // outside a vault, where the vaults are: the hook's cost follows the change.
            let staged = git::staged_changes_naming(cwd, crate::config::CONFIG_FILE)?;
            tracked_vaults = Some(staged.named);
            let items: Vec<_> = staged.files.into_iter().map(|f| (f.path, f.data)).collect();
            (items, Vec::new())
        }
        Source::Paths(paths) => {
            let roots: Vec<PathBuf> = if paths.is_empty() {
                vec![cwd.to_owned()]
            } else {
                paths.iter().map(|p| cwd.join(p)).collect()
            };
            let roots: Vec<PathBuf> = roots
                .into_iter()
                .map(|r| r.canonicalize().unwrap_or(r))
                .collect();
            let walked = walk::read(cwd, &roots, plan.max_size, &mut |e| {
                notice(Notice::IgnoreRuleSkipped(e));
            })?;
            if walked.too_large > 0 {
                notice(Notice::TooLarge {
                    count: walked.too_large,
                    max_size: plan.max_size,
                });
            }
            let unreadable = walked
                .unreadable
                .into_iter()
                .map(|(path, error)| Unreadable::File { path, error })
                .collect();
            (walked.items, unreadable)
        }
    };
    let vaults = match &tracked_vaults {
        Some(tracked) => vaults_among(cwd, tracked)?,
        None => vaults_for(cwd)?,
    };
    let scanner = scanner(plan, &vaults, notice);
    let findings = scan_parallel(&scanner, &items)?;
    let found = findings
        .into_iter()
        .map(|finding| Found {
            finding,
            commit: None,
        })
        .collect();
    let mut report = Report {
        found,
        scanned: items.len(),
        unreadable,
        baseline_written: None,
    };
    apply_baseline(plan, &vaults, &mut report)?;
    Ok(report)
}

/// A scanner that also knows the values of `vaults` the plan's identities can read.
fn scanner(plan: &Plan, vaults: &[crate::store::Vault], notice: &mut dyn FnMut(Notice)) -> Scanner {
    let values = match &plan.identities {
        None => Vec::new(),
        Some(lookup) => known_values(lookup, vaults).unwrap_or_else(|e| {
            notice(Notice::KnownValuesSkipped(e));
            Vec::new()
        }),
    };
    Scanner::new().with_known_values(values)
}

/// Writes the baseline the plan asks for, or drops the findings the baseline allows.
fn apply_baseline(
    plan: &Plan,
    vaults: &[crate::store::Vault],
    report: &mut Report,
) -> Result<(), Error> {
    if let Some(path) = &plan.write_baseline {
        let findings: Vec<Finding> = std::mem::take(&mut report.found)
            .into_iter()
            .map(|f| f.finding)
            .collect();
        baseline::write(path, &findings)?;
        report.baseline_written = Some((path.clone(), findings.len()));
        return Ok(());
    }
    let allowed = baseline::allowed(
        &plan.cwd,
        vaults.first().map(crate::store::Vault::root),
        plan.baseline.as_deref(),
    )?;
    report
        .found
        .retain(|f| !allowed.contains(&f.finding.fingerprint));
    Ok(())
}

/// `Source::History`: every distinct blob once, reported with a commit and path where it
/// appears.
fn history(
    plan: &Plan,
    range: Option<&str>,
    notice: &mut dyn FnMut(Notice),
) -> Result<Report, Error> {
    let cwd: &Path = &plan.cwd;
    let history = git::history_blobs(cwd, range)?;
    let sightings = &history.sightings;
    let vaults = vaults_for(cwd)?;
    let scanner = scanner(plan, &vaults, notice);
    let scan = history.scan(cwd, plan.max_size, &|i, data| {
        crate::faults::panic_point("scan-file");
        scanner
            .scan(&sightings[i].path, data)
            .into_iter()
            .map(|f| (i, f))
            .collect()
    })?;
    // A blob that cannot be read may hold a secret: name it (commit and path, never its
    // content), keep going, and fail at the end.
    let cause = |error: &GitError| {
        std::error::Error::source(error).map_or_else(|| error.to_string(), ToString::to_string)
    };
    let mut unreadable: Vec<Unreadable> = scan
        .unreadable
        .iter()
        .map(|(i, error)| {
            let s = &sightings[*i];
            Unreadable::Blob {
                blob: s.blob.to_string(),
                path: s.path.clone(),
                commit: s.commit.clone(),
                error: cause(error),
            }
        })
        .collect();
    unreadable.extend(
        history
            .unreadable_refs
            .iter()
            .map(|(name, error)| Unreadable::Reference {
                name: name.clone(),
                error: cause(error),
            }),
    );
    let mut found = scan.found;
    found.sort_by(|a, b| {
        (&a.1.path, a.1.line, &sightings[a.0].commit).cmp(&(
            &b.1.path,
            b.1.line,
            &sightings[b.0].commit,
        ))
    });
    let found = found
        .into_iter()
        .map(|(i, finding)| Found {
            finding,
            commit: Some(sightings[i].commit.clone()),
        })
        .collect();
    let mut report = Report {
        found,
        scanned: sightings.len(),
        unreadable,
        baseline_written: None,
    };
    apply_baseline(plan, &vaults, &mut report)?;
    Ok(report)
}
