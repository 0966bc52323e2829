//! Tests of the rules ported from gitleaks (`rules/prefixed.rs`,
//! `rules/keyed.rs`) and the prefixed tokens beside them (`rules/more.rs`):
//! for each, a match generated from its own regex at run time must be found,
//! and the same text with the random part of the secret flattened to one
//! repeated character (a placeholder) must not be.

use super::Scanner;
use super::path::PathFacts;
use super::regex_sample::sample;
use super::rules::ported;
use super::testgen::Rng;

/// Rules whose secret is mostly fixed text (a webhook URL, a signed blob with a
/// long literal prefix): flattening the random part leaves enough entropy that
/// gitleaks' floor, which these rules keep, still passes. No near miss for them.
const LITERAL_HEAVY: &[&str] = &[
    "aws-amazon-bedrock-api-key-short-lived",
    "microsoft-teams-webhook",
];

/// A path the rule runs on: its own path filter's kind of file, or a plain config file.
fn path_for(rule: &super::Rule) -> &'static str {
    ["main.tf", "nuget.config", "index.php", "config.txt"]
        .into_iter()
        .find(|p| rule.path.is_none_or(|matches| matches(&PathFacts::new(p))))
        .unwrap_or("config.txt")
}

/// The generated match on a line of its own, after the rule's first keyword
/// (some regexes do not contain their keyword: Airtable's `pat…` tokens).
fn framed(rule: &super::Rule, text: &[u8]) -> Vec<u8> {
    let keyword = rule.keywords.first().map_or(&b""[..], |k| k.as_bytes());
    [b"\n".as_slice(), keyword, b" ", text, b"\n"].concat()
}

#[test]
fn ported_rules_find_generated_matches_but_not_flattened_ones() {
    let scanner = Scanner::new();
    let mut failures = Vec::new();
    let mut checked = 0;
    for rule in ported() {
        let path = path_for(rule);
        let hit = |text: &[u8]| {
            let findings = scanner.scan(path, &framed(rule, text));
            // A legacy shape ported beside vault's own rule for the family (Slack) gives way
            // to it where both match: one secret, one finding.
            findings.iter().any(|f| f.rule == rule.id)
        };
        let found_by_any = |text: &[u8]| !scanner.scan(path, &framed(rule, text)).is_empty();
        // Random draws may fall under the rule's entropy floor; a few seeds find one that does not.
        let Some(found) = (0..40u64)
            .filter_map(|seed| sample(rule.pattern, &mut Rng::new(seed + 1)))
            .find(|s| hit(&s.text) || found_by_any(&s.text))
        else {
            failures.push(format!("{}: no generated match is reported", rule.id));
            continue;
        };
        if !LITERAL_HEAVY.contains(&rule.id) && hit(&found.flattened()) {
            failures.push(format!("{}: the flattened near miss is reported", rule.id));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(checked > 100, "only {checked} ported rules checked");
}

#[test]
fn ported_rules_stay_off_other_paths() {
    let scanner = Scanner::new();
    for rule in ported().filter(|r| r.path.is_some()) {
        let found = (0..40u64)
            .filter_map(|seed| sample(rule.pattern, &mut Rng::new(seed + 1)))
            .find(|s| {
                scanner
                    .scan(path_for(rule), &framed(rule, &s.text))
                    .iter()
                    .any(|f| f.rule == rule.id)
            })
            .expect("a generated match is reported on the rule's own kind of file");
        assert!(
            !scanner
                .scan("notes/readme.txt", &framed(rule, &found.text))
                .iter()
                .any(|f| f.rule == rule.id),
            "{} ran outside its files",
            rule.id
        );
    }
}
