//! `secrets/<env>.recipients`: the plaintext list of the recipients an environment file
//! is encrypted to.
//!
//! age headers do not name X25519 recipients, so without this file nobody could tell,
//! without a key, whether a file is out of date with `.vault.toml`. The same list is
//! sealed inside the payload; a member's decrypt compares the two and reports tampering.

use crate::config::Config;
use crate::crypto::Recipient;

/// Renders the summary: one canonical recipient per line, annotated with its member.
#[must_use]
pub fn render(env: &str, recipients: &[Recipient], config: &Config) -> String {
    let mut out = format!(
        "# The recipients secrets/{env}.age is encrypted to. Written by vault; do not edit.\n\
         # `vault check` compares this list with .vault.toml; `vault rekey` brings them in line.\n"
    );
    for recipient in recipients {
        out.push_str(recipient.canonical());
        if let Some(member) = config.owner_of(recipient.canonical()) {
            out.push_str("  # ");
            out.push_str(member);
        }
        out.push('\n');
    }
    out
}

/// Parses a summary into canonical recipients (comments and member annotations dropped).
/// Lines that are not valid recipients are kept verbatim so a comparison reports drift.
#[must_use]
pub fn parse(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.split_once(" #").map_or(line, |(key, _)| key).trim())
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            line.parse::<Recipient>()
                .map_or_else(|_| line.to_owned(), |r| r.canonical().to_owned())
        })
        .collect()
}

/// Whether a summary annotates any recipient with `member` (used to finish an interrupted
/// removal after the member has left the roster).
#[must_use]
pub fn mentions(text: &str, member: &str) -> bool {
    text.lines()
        .filter_map(|line| line.split_once(" #").map(|(_, who)| who.trim()))
        .any(|who| who == member)
}
