//! `vault check` (the CI gate) and `vault rotate status|start|finish`.

use std::io::Write;

use crate::check::{self, Severity};
use crate::cli::args::CheckArgs;
use crate::cli::error::Error;
use crate::cli::{Context, Outcome, input, print_json, render, stdout_error};
use crate::error::Error as VaultError;
use crate::identity::{Identities, IdentityError};

/// Identities if the caller has usable ones; key-free checks otherwise.
fn optional_identities(context: &Context) -> Result<Option<Identities>, Error> {
    match context.identities() {
        Ok(ids) => Ok(Some(ids)),
        Err(VaultError::Identity(IdentityError::NotFound { .. })) => {
            render::note(
                "no identity found: only key-free checks run (set $VAULT_IDENTITY to check an environment's secrets)",
            );
            Ok(None)
        }
        Err(VaultError::Identity(IdentityError::PassphraseUnavailable { source_ })) => {
            render::note(&format!(
                "{source_} needs a passphrase and there is no terminal: only key-free checks run"
            ));
            Ok(None)
        }
        Err(other) => Err(other.into()),
    }
}

/// `vault check`.
pub fn run(context: &Context, args: &CheckArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    let as_of = input::as_of(args.as_of.as_deref())?;
    let identities = optional_identities(context)?;
    let report = check::run(
        &vault,
        identities.as_ref(),
        &check::Options {
            envs: args.envs.clone(),
            as_of,
        },
    )?;
    let mut report = report;
    let missing = crate::cli::missing_integration(&vault);
    if !missing.is_empty() {
        report.findings.push(check::Finding {
            severity: check::Severity::Warning,
            code: "no-hook",
            env: None,
            secret: None,
            message: format!(
                "this clone has no {}: run `vault hooks install` (git does not install hooks on clone)",
                missing.join(" and no ")
            ),
        });
    }
    let fails = report.fails(args.strict);
    if args.json {
        let mut doc = serde_json::to_value(&report).expect("a report always serializes");
        doc["ok"] = (!fails).into();
        print_json(out, &doc)?;
    } else {
        print_report(&report, args.strict, out)?;
    }
    Ok(if fails {
        Outcome::Problems
    } else {
        Outcome::Success
    })
}

fn print_report(
    report: &check::Report,
    strict: bool,
    out: &mut dyn Write,
) -> Result<(), VaultError> {
    let mut errors = 0;
    let mut warnings = 0;
    for status in &report.envs {
        let mine: Vec<&check::Finding> = report
            .findings
            .iter()
            .filter(|f| f.env.as_deref() == Some(&status.env))
            .collect();
        let state = match (status.decrypted, &status.not_decrypted_reason) {
            (true, _) => match status.secrets.unwrap_or(0) {
                1 => "1 secret checked".to_owned(),
                n => format!("{n} secrets checked"),
            },
            (false, Some(reason)) => format!(
                "not decrypted ({}): key-free checks only",
                crate::untrusted::sanitize(reason)
            ),
            (false, None) => "not decrypted".to_owned(),
        };
        let verdict = if mine.is_empty() {
            "ok"
        } else if mine
            .iter()
            .all(|f| f.severity == Severity::Warning && !strict)
        {
            "warnings"
        } else {
            "problems"
        };
        writeln!(out, "{}: {verdict} — {state}", status.env).map_err(stdout_error)?;
        for finding in mine {
            print_finding(finding, strict, &mut errors, &mut warnings, out)?;
        }
    }
    let global: Vec<&check::Finding> = report.findings.iter().filter(|f| f.env.is_none()).collect();
    if !global.is_empty() {
        writeln!(out, "across environments:").map_err(stdout_error)?;
        for finding in global {
            print_finding(finding, strict, &mut errors, &mut warnings, out)?;
        }
    }
    let skipped: Vec<&str> = report
        .envs
        .iter()
        .filter(|s| !s.decrypted)
        .map(|s| s.env.as_str())
        .collect();
    let mut summary = format!("\n{errors} error(s), {warnings} warning(s)");
    if !skipped.is_empty() {
        summary.push_str(&format!("; could not decrypt: {}", skipped.join(", ")));
    }
    writeln!(out, "{summary}").map_err(stdout_error)
}

fn print_finding(
    finding: &check::Finding,
    strict: bool,
    errors: &mut usize,
    warnings: &mut usize,
    out: &mut dyn Write,
) -> Result<(), VaultError> {
    let label = match finding.severity {
        Severity::Error => {
            *errors += 1;
            "error"
        }
        Severity::Warning if strict => {
            *errors += 1;
            "error"
        }
        Severity::Warning => {
            *warnings += 1;
            "warning"
        }
    };
    // Messages can quote files anyone with push access writes (a recipients summary, an
    // error from a roster or template line): no control character reaches the terminal.
    writeln!(
        out,
        "  {label} [{}]: {}",
        finding.code,
        crate::untrusted::sanitize(&finding.message)
    )
    .map_err(stdout_error)
}
