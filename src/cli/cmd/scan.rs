//! `vault scan` and the pre-commit hook: turn flags into a [`Plan`], run it in the library,
//! and report findings without their secrets.

use std::collections::BTreeSet;
use std::io::Write;

use crate::cli::args::ScanArgs;
use crate::cli::{Context, Outcome, print_json, render, stdout_error};
use crate::error::Error;
use crate::identity::IdentityError;
use crate::scan::baseline::DEFAULT_BASELINE;
use crate::scan::{self, Found, Notice, Plan, Report, Scanner, Source, Unreadable};
use crate::untrusted::escape;

/// The pre-commit check: scans what is staged (the index), not the working tree.
pub fn staged(context: &Context, json: bool, out: &mut dyn Write) -> Result<Outcome, Error> {
    let plan = Plan {
        cwd: context.cwd().to_owned(),
        source: Source::Staged,
        max_size: u64::MAX,
        identities: Some(context.lookup()),
        baseline: None,
        write_baseline: None,
    };
    let report = scan::run(&plan, &mut notify)?;
    render_files(&report, json, true, out)
}

/// `vault scan`.
pub fn run(context: &Context, args: &ScanArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    if args.list_rules {
        for rule in Scanner::rules() {
            writeln!(out, "{:32} {}", rule.id, rule.description).map_err(stdout_error)?;
        }
        return Ok(Outcome::Success);
    }
    let source = match (&args.history, args.staged) {
        (Some(range), _) => Source::History(range.clone()),
        (None, true) => Source::Staged,
        (None, false) => Source::Paths(args.paths.clone()),
    };
    let history = matches!(source, Source::History(_));
    let staged = matches!(source, Source::Staged);
    let plan = Plan {
        cwd: context.cwd().to_owned(),
        source,
        max_size: args.max_size,
        identities: Some(context.lookup()),
        baseline: args.baseline.clone(),
        write_baseline: args.write_baseline.clone(),
    };
    let report = scan::run(&plan, &mut notify)?;
    if history {
        render_history(&report, args.json, out)
    } else {
        render_files(&report, args.json, staged, out)
    }
}

/// Tells the user what happened during the scan, as it happens.
fn notify(notice: Notice) {
    match notice {
        Notice::IgnoreRuleSkipped(error) => {
            render::warn(&format!("{error}; that ignore rule was skipped"));
        }
        Notice::TooLarge { count, max_size } => render::note(&format!(
            "skipped {count} file(s) larger than {max_size} bytes (--max-size)"
        )),
        Notice::KnownValuesSkipped(error) => known_values_skipped(&error),
    }
}

fn known_values_skipped(error: &IdentityError) {
    match error {
        IdentityError::NotFound { .. } => {
            render::note("no identity: the check for copies of real secret values was skipped");
        }
        IdentityError::TooOpen { path, mode, .. } => render::warn(&format!(
            "the identity {} is accessible to other users (mode {mode:04o}) and was not used: run `chmod 600 {0}`; the check for copies of real secret values was skipped",
            path.display()
        )),
        IdentityError::PassphraseUnavailable { source_ } => render::note(&format!(
            "{source_} needs a passphrase: the check for copies of real secret values was skipped"
        )),
        e => render::note(&format!(
            "{e}: the check for copies of real secret values was skipped"
        )),
    }
}

/// What an unreadable file or object is called in a warning (paths escaped: file names
/// are untrusted).
fn unreadable_name(u: &Unreadable) -> String {
    match u {
        Unreadable::File { path, .. } => escape(path).into_owned(),
        Unreadable::Blob {
            blob, path, commit, ..
        } => format!("blob {blob} ({} in commit {})", escape(path), &commit[..10]),
        Unreadable::Reference { name, .. } => {
            format!("reference {} (its history was not walked)", escape(name))
        }
    }
}

/// One warning per file or object that could not be read.
fn warn_unreadable(unreadable: &[Unreadable]) {
    for u in unreadable {
        render::warn(&format!(
            "cannot read {}: {}; it was not scanned",
            unreadable_name(u),
            u.error()
        ));
    }
}

/// Turns a finished scan into the final result: anything that could not be read makes the
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

/// `true` when a baseline was written (and said so): nothing else is reported.
fn baseline_written(report: &Report) -> bool {
    let Some((path, count)) = &report.baseline_written else {
        return false;
    };
    render::note(&format!(
        "wrote {count} fingerprint(s) to {}; review and commit it",
        path.display()
    ));
    warn_unreadable(&report.unreadable);
    true
}

/// `path:line:column` (just the path for a file-level finding), escaped.
fn place(f: &Found) -> String {
    let path = escape(&f.finding.path);
    if f.finding.line == 0 {
        path.into_owned()
    } else {
        format!("{path}:{}:{}", f.finding.line, f.finding.column)
    }
}

fn render_files(
    report: &Report,
    json: bool,
    staged: bool,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    const WHAT: &str = "file(s)";
    if baseline_written(report) {
        return incomplete(Outcome::Success, report.unreadable.len(), WHAT);
    }
    let what = if staged { "staged file(s)" } else { WHAT };
    if json {
        let unreadable: Vec<serde_json::Value> = report
            .unreadable
            .iter()
            .map(|u| serde_json::json!({ "path": unreadable_path(u), "error": u.error() }))
            .collect();
        let findings: Vec<_> = report.found.iter().map(|f| &f.finding).collect();
        let doc = serde_json::json!({
            "scanned": report.scanned,
            "findings": findings,
            "unreadable": unreadable,
        });
        print_json(out, &doc)?;
    } else {
        for f in &report.found {
            let d = &f.finding;
            writeln!(
                out,
                "{}  [{}] {} ({})",
                place(f),
                d.rule,
                d.description,
                d.hint
            )
            .map_err(stdout_error)?;
        }
    }
    warn_unreadable(&report.unreadable);
    if report.found.is_empty() {
        if !json {
            render::note(&format!("no secrets found in {} {what}", report.scanned));
        }
        return incomplete(Outcome::Success, report.unreadable.len(), WHAT);
    }
    let files: BTreeSet<&str> = report
        .found
        .iter()
        .map(|f| f.finding.path.as_str())
        .collect();
    let (blocked, unstage, flag) = if staged {
        (
            "; commit blocked",
            "; unstage a file with `git rm --cached FILE`",
            " --staged",
        )
    } else {
        ("", "", "")
    };
    eprintln!(
        "\nvault: {} finding(s) in {} of {} {what}{blocked}",
        report.found.len(),
        files.len(),
        report.scanned,
    );
    eprintln!(
        "  fix: move real values into the vault (`vault set <env> NAME`) and take them out of the file{unstage}"
    );
    eprintln!(
        "  allow a false positive: add a `vault:allow` comment on the line, or record it with `vault scan{flag} --write-baseline {DEFAULT_BASELINE}` and commit that file"
    );
    incomplete(Outcome::Problems, report.unreadable.len(), WHAT)
}

fn unreadable_path(u: &Unreadable) -> &str {
    match u {
        Unreadable::File { path, .. } | Unreadable::Blob { path, .. } => path,
        Unreadable::Reference { name, .. } => name,
    }
}

fn render_history(report: &Report, json: bool, out: &mut dyn Write) -> Result<Outcome, Error> {
    const WHAT: &str = "object(s) of history";
    if baseline_written(report) {
        return incomplete(Outcome::Success, report.unreadable.len(), WHAT);
    }
    let commit = |f: &Found| f.commit.clone().unwrap_or_default();
    if json {
        let list: Vec<serde_json::Value> = report
            .found
            .iter()
            .map(|f| {
                let mut v = serde_json::to_value(&f.finding).expect("findings always serialize");
                v["commit"] = commit(f).into();
                v
            })
            .collect();
        let unreadable: Vec<serde_json::Value> = report
            .unreadable
            .iter()
            .map(|u| match u {
                Unreadable::Blob { blob, path, commit, error } => serde_json::json!({ "blob": blob, "path": path, "commit": commit, "error": error }),
                Unreadable::File { path, error } => serde_json::json!({ "path": path, "error": error }),
                Unreadable::Reference { name, error } => serde_json::json!({ "reference": name, "error": error }),
            })
            .collect();
        let doc = serde_json::json!({
            "scanned_blobs": report.scanned,
            "findings": list,
            "unreadable": unreadable,
        });
        print_json(out, &doc)?;
    } else {
        for f in &report.found {
            let d = &f.finding;
            let commit = commit(f);
            let short = commit.get(..10).unwrap_or(&commit);
            writeln!(
                out,
                "{short} {}  [{}] {} ({})",
                place(f),
                d.rule,
                d.description,
                d.hint
            )
            .map_err(stdout_error)?;
        }
    }
    warn_unreadable(&report.unreadable);
    let unreadable = report.unreadable.len();
    if report.found.is_empty() {
        render::note(&format!(
            "no secrets found in {} distinct blob(s) of history",
            report.scanned.saturating_sub(unreadable)
        ));
        return incomplete(Outcome::Success, unreadable, WHAT);
    }
    eprintln!(
        "\nvault: {} finding(s) in {} distinct blob(s) of history. Removing a secret from history does not revoke it: rotate it at its source first.",
        report.found.len(),
        report.scanned
    );
    incomplete(Outcome::Problems, unreadable, WHAT)
}
