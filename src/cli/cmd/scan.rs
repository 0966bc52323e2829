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
    render(&scan::run(&plan, &mut notify)?, json, &plan.source, out)
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
    let plan = Plan {
        cwd: context.cwd().to_owned(),
        source,
        max_size: args.max_size,
        identities: Some(context.lookup()),
        baseline: args.baseline.clone(),
        write_baseline: args.write_baseline.clone(),
    };
    render(
        &scan::run(&plan, &mut notify)?,
        args.json,
        &plan.source,
        out,
    )
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

/// `path:line:column` (just the path for a file-level finding), escaped, after the
/// commit's short id for history.
fn place(f: &Found) -> String {
    let path = escape(&f.finding.path);
    let commit = f.commit.as_deref().map(|c| format!("{} ", &c[..10]));
    let commit = commit.unwrap_or_default();
    if f.finding.line == 0 {
        format!("{commit}{path}")
    } else {
        format!("{commit}{path}:{}:{}", f.finding.line, f.finding.column)
    }
}

fn render(
    report: &Report,
    json: bool,
    source: &Source,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let history = matches!(source, Source::History(_));
    let unreadable = report.unreadable.len();
    let what = if history {
        "object(s) of history"
    } else {
        "file(s)"
    };
    if let Some((path, count)) = &report.baseline_written {
        render::note(&format!(
            "wrote {count} fingerprint(s) to {}; review and commit it",
            path.display()
        ));
        warn_unreadable(&report.unreadable);
        return incomplete(Outcome::Success, unreadable, what);
    }
    if json {
        let scanned = if history { "scanned_blobs" } else { "scanned" };
        let doc = serde_json::json!({
            (scanned): report.scanned,
            "findings": report.found,
            "unreadable": report.unreadable,
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
    if history {
        summarize_history(report);
    } else {
        summarize_files(report, json, matches!(source, Source::Staged));
    }
    let outcome = if report.found.is_empty() {
        Outcome::Success
    } else {
        Outcome::Problems
    };
    incomplete(outcome, unreadable, what)
}

fn summarize_history(report: &Report) {
    if report.found.is_empty() {
        render::note(&format!(
            "no secrets found in {} distinct blob(s) of history",
            report.scanned.saturating_sub(report.unreadable.len())
        ));
    } else {
        eprintln!(
            "\nvault: {} finding(s) in {} distinct blob(s) of history. Removing a secret from history does not revoke it: rotate it at its source first.",
            report.found.len(),
            report.scanned
        );
    }
}

fn summarize_files(report: &Report, json: bool, staged: bool) {
    let what = if staged { "staged file(s)" } else { "file(s)" };
    if report.found.is_empty() {
        if !json {
            render::note(&format!("no secrets found in {} {what}", report.scanned));
        }
        return;
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
}
