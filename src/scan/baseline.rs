//! The baseline: reviewed findings to ignore, stored by fingerprint (never the secret) in a
//! JSON file committed beside the code. Reading, writing and finding the default one.

use std::collections::BTreeSet;
use std::path::Path;

use super::Finding;
use crate::error::Error;
use crate::git;

/// The baseline file looked for at the repository root when none is given.
pub const DEFAULT_BASELINE: &str = ".vault-baseline.json";

/// The fingerprints recorded in the baseline at `path`. A missing file is an empty
/// baseline unless it was named explicitly.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read or is not JSON.
pub fn load(path: &Path, explicit: bool) -> Result<BTreeSet<String>, Error> {
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

/// Writes every finding's fingerprint (with rule, path and line, never the match) as the
/// baseline at `path`, atomically.
///
/// # Errors
/// [`Error::Io`] when the file cannot be written.
pub fn write(path: &Path, findings: &[Finding]) -> Result<(), Error> {
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

/// The fingerprints to ignore: `explicit` when given, else [`DEFAULT_BASELINE`] at the
/// repository root of `cwd` (or at `fallback_root`, the vault's root outside git) when it
/// exists.
///
/// # Errors
/// As [`load`].
pub fn allowed(
    cwd: &Path,
    fallback_root: Option<&Path>,
    explicit: Option<&Path>,
) -> Result<BTreeSet<String>, Error> {
    if let Some(path) = explicit {
        return load(path, true);
    }
    let root = git::work_tree(cwd).or_else(|| fallback_root.map(Path::to_owned));
    match root {
        Some(root) => load(&root.join(DEFAULT_BASELINE), false),
        None => Ok(BTreeSet::new()),
    }
}
