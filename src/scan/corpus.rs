//! The labelled corpus test: every file under `testdata/corpus/positive` must
//! produce exactly the rule ids its manifest line names (recall), and every
//! file under `testdata/corpus/negative` must produce nothing (false
//! positives). Prints the figures and asserts 100 % recall and zero false
//! positives.
//!
//! Corpus files hold `{{NAME}}` placeholders instead of secrets; this module
//! fills them with fake values from `testgen` at run time, so the committed
//! files never contain a real-looking token (the test checks that too).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::testgen::{Fakes, base64};
use super::{Class, RULES, Scanner};

/// The value the corpus's known-value case contains, passed to the scanner as
/// a known secret.
const KNOWN_VALUE: &str = "kestrel lantern 9317 orbit";

/// Finds `testdata/corpus` next to this source file, whether the crate root is
/// the package or a workspace above it.
fn corpus_dir() -> PathBuf {
    let relative = Path::new(file!())
        .parent()
        .expect("a source file has a parent directory")
        .join("testdata")
        .join("corpus");
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|base| base.join(&relative))
        .find(|candidate| candidate.join("manifest.tsv").is_file())
        .expect("testdata/corpus/manifest.tsv next to corpus.rs")
}

struct Case {
    file: String,
    scan_path: String,
    expected: BTreeSet<String>,
}

fn cases(dir: &Path) -> Vec<Case> {
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).expect("manifest is readable");
    manifest
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut cols = line.split('\t');
            let (Some(file), Some(scan_path), Some(rules), None) =
                (cols.next(), cols.next(), cols.next(), cols.next())
            else {
                panic!("manifest line needs 3 tab-separated columns: {line}");
            };
            let expected = if rules == "-" {
                BTreeSet::new()
            } else {
                rules.split(',').map(str::to_owned).collect()
            };
            Case {
                file: file.to_owned(),
                scan_path: scan_path.to_owned(),
                expected,
            }
        })
        .collect()
}

/// Replaces every `{{NAME}}` the substitution table knows; leaves others
/// (Helm and Actions templates are negatives on purpose).
fn fill(raw: &[u8], substitutions: &[(String, String)]) -> Vec<u8> {
    let mut out = raw.to_vec();
    for (name, value) in substitutions {
        let needle = format!("{{{{{name}}}}}");
        let mut i = 0;
        while let Some(pos) = out[i..]
            .windows(needle.len())
            .position(|w| w == needle.as_bytes())
        {
            let at = i + pos;
            out.splice(at..at + needle.len(), value.bytes());
            i = at + value.len();
        }
    }
    generate(out)
}

/// Replaces each `{{GEN:ALPHABET:LEN}}` with `LEN` random characters of the named
/// alphabet (seeded by its order in the file), so a corpus file can hold a token of any
/// format as its published prefix written out plus a generated body.
fn generate(mut out: Vec<u8>) -> Vec<u8> {
    use super::testgen::{ALNUM, BASE64, BASE64URL, HEX, LETTERS, Rng, UPPER_DIGITS};
    const BASE32_LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let open = b"{{GEN:";
    let mut n = 0u64;
    while let Some(at) = out.windows(open.len()).position(|w| w == open) {
        let close = out[at..]
            .windows(2)
            .position(|w| w == b"}}")
            .map(|i| at + i)
            .expect("a {{GEN:…}} placeholder is closed");
        let spec = String::from_utf8(out[at + open.len()..close].to_vec()).expect("ASCII spec");
        let (alphabet, len) = spec.split_once(':').expect("GEN:ALPHABET:LEN");
        let alphabet: &[u8] = match alphabet {
            "ALNUM" => ALNUM,
            "HEX" => HEX,
            "BASE64" => BASE64,
            "BASE64URL" => BASE64URL,
            "UPPER" => UPPER_DIGITS,
            "DIGITS" => b"0123456789",
            "LETTERS" => LETTERS,
            "BASE32" => BASE32_LOWER,
            other => panic!("unknown GEN alphabet {other}"),
        };
        n += 1;
        let value = Rng::new(7000 + n).mixed(alphabet, len.parse().expect("GEN length"));
        out.splice(at..close + 2, value.bytes());
    }
    out
}

fn substitutions() -> Vec<(String, String)> {
    let fakes = Fakes::new(2024);
    let mut table: Vec<(String, String)> = fakes
        .substitutions()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    table.push((
        "AWS_EXAMPLE_ID".into(),
        ["AKIA", "IOSFODNN7", "EXAMPLE"].concat(),
    ));
    table.push((
        "AWS_EXAMPLE_SECRET".into(),
        ["wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY"].concat(),
    ));
    table.push(("KNOWN_VALUE".into(), KNOWN_VALUE.into()));
    table.push(("PASSWORD_B64".into(), base64(fakes.password.as_bytes())));
    table.push((
        "BASIC_B64".into(),
        base64(format!("deploy:{}", fakes.password).as_bytes()),
    ));
    let mut rng = super::testgen::Rng::new(2025);
    let hex = super::testgen::HEX;
    table.push((
        "LEGACY_NPM_UUID".into(),
        format!(
            "{}-{}-4{}-a{}-{}",
            rng.string(hex, 8),
            rng.string(hex, 4),
            rng.string(hex, 3),
            rng.string(hex, 3),
            rng.string(hex, 12)
        ),
    ));
    // A PEM key put in base64 whole (an environment variable or JSON setting), and a
    // Vault unseal key share (33 bytes).
    let body: Vec<String> = (0..8)
        .map(|_| rng.mixed(super::testgen::BASE64, 64))
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        body.join("\n")
    );
    table.push(("PEM_KEY_B64".into(), base64(pem.as_bytes())));
    let share: Vec<u8> = (0..33u8).map(|i| i.wrapping_mul(97) ^ 0x5c).collect();
    table.push(("UNSEAL_KEY".into(), base64(&share)));
    table
}

#[test]
fn corpus_recall_and_false_positives() {
    let dir = corpus_dir();
    let all = cases(&dir);
    let table = substitutions();
    let scanner = Scanner::new().with_known_values(vec![(
        "prod/FALLBACK_PASSPHRASE".to_owned(),
        Zeroizing::new(KNOWN_VALUE.as_bytes().to_vec()),
    )]);
    let plain = Scanner::new();

    let (mut positives, mut negatives) = (0usize, 0usize);
    let (mut expected_pairs, mut found_pairs) = (0usize, 0usize);
    let (mut false_positive_files, mut false_positive_findings) = (0usize, 0usize);
    let mut problems = Vec::new();
    let mut covered = BTreeSet::new();

    for case in &all {
        let raw = std::fs::read(dir.join(&case.file)).expect("corpus file is readable");

        // As committed, a corpus file may only trip file-level rules.
        for f in plain.scan(&case.scan_path, &raw) {
            let class = RULES.iter().find(|r| r.id == f.rule).map(|r| r.class);
            if class != Some(Class::Path) {
                problems.push(format!(
                    "{}: committed file holds a detectable secret ({} at {}:{})",
                    case.file, f.rule, f.line, f.column
                ));
            }
        }

        let content = fill(&raw, &table);
        let findings = scanner.scan(&case.scan_path, &content);
        let got: BTreeSet<String> = findings.iter().map(|f| f.rule.to_owned()).collect();
        if case.file.starts_with("positive/") {
            positives += 1;
            expected_pairs += case.expected.len();
            found_pairs += case.expected.intersection(&got).count();
            covered.extend(case.expected.iter().cloned());
            if got != case.expected {
                problems.push(format!(
                    "{} ({}): expected {:?}, got {:?}",
                    case.file, case.scan_path, case.expected, findings
                ));
            }
        } else {
            negatives += 1;
            if !findings.is_empty() {
                false_positive_files += 1;
                false_positive_findings += findings.len();
                problems.push(format!(
                    "{} ({}): false positives {:?}",
                    case.file, case.scan_path, findings
                ));
            }
        }
    }

    // Both figures are small counts, so the f64 conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let recall = 100.0 * found_pairs as f64 / expected_pairs.max(1) as f64;
    println!(
        "corpus: {positives} positive files, recall {found_pairs}/{expected_pairs} ({recall:.1}%); \
         {negatives} negative files, {false_positive_files} with false positives \
         ({false_positive_findings} findings)"
    );
    for problem in &problems {
        println!("  {problem}");
    }

    let uncovered: Vec<&str> = RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| !covered.contains(*id))
        // Ported gitleaks rules get generated cases instead (`ported_tests.rs`), and
        // binary keystores and Discord tokens built ones (`family_tests.rs`).
        .filter(|id| !super::rules::ported().any(|r| r.id == *id))
        .filter(|id| {
            ![
                "pkcs12-file",
                "discord-bot-token",
                "key-named-value",
                "facebook-app-access-token",
                "jwe",
            ]
            .contains(id)
        })
        .collect();
    assert!(
        uncovered.is_empty(),
        "rules without a positive corpus case: {uncovered:?}"
    );
    assert!(positives >= 40 && negatives >= 40, "corpus too small");
    assert!(
        problems.is_empty(),
        "{} corpus problems (see output)",
        problems.len()
    );
    assert_eq!(found_pairs, expected_pairs);
    assert_eq!(false_positive_files, 0);
}
