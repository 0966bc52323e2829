//! `vault access [MEMBER]`: who can read which environment, from the roster and the
//! recipients summaries.

use std::io::Write;

use crate::cli::args::AccessArgs;
use crate::cli::error::Error;
use crate::cli::{Context, Outcome, print_json, stdout_error};
use crate::config::CONFIG_FILE;
use crate::members::{self, AccessError};

/// `vault access [MEMBER]`.
pub fn run(context: &Context, args: &AccessArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let vault = context.vault()?;
    let matrix = members::access(&vault, args.member.as_deref()).map_err(|e| match e {
        AccessError::Roster(source) => crate::cli::error::roster_argument(&vault, source),
        AccessError::Store(source) => source.into(),
    })?;
    if args.json {
        let mut doc = serde_json::Map::new();
        for (member, row) in &matrix {
            let row: serde_json::Map<String, serde_json::Value> = row
                .iter()
                .map(|(env, access)| (env.clone(), access.label().into()))
                .collect();
            doc.insert(member.clone(), row.into());
        }
        print_json(out, &serde_json::json!({"members": doc}))?;
        return Ok(Outcome::Success);
    }
    let width = matrix.iter().map(|m| m.0.len()).max().unwrap_or(6).max(6);
    let mut header = format!("{:width$}", "MEMBER");
    for env in vault.config().env_names() {
        header.push_str(&format!("  {env:8}"));
    }
    writeln!(out, "{}", header.trim_end()).map_err(stdout_error)?;
    for (member, row) in &matrix {
        let mut line = format!("{member:width$}");
        for (_, access) in row {
            line.push_str(&format!("  {:8}", access.label()));
        }
        writeln!(out, "{}", line.trim_end()).map_err(stdout_error)?;
    }
    writeln!(
        out,
        "\nread: can decrypt · pending: granted in {CONFIG_FILE}, not re-keyed yet (`vault rekey`) · revoking: removed, still able to decrypt until re-keyed · read*: some of their keys are not re-keyed yet"
    )
    .map_err(stdout_error)?;
    Ok(Outcome::Success)
}
