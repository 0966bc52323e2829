//! Fuzz target for the secret scanner (copy to `fuzz/fuzz_targets/scan.rs`).
//!
//! Feeds arbitrary bytes and an arbitrary path to `Scanner::scan` and checks
//! the invariants callers rely on: no panic, every finding's line and column
//! inside the content, file-level findings at line 0, and hints that never
//! grow with the input (they are redacted labels, not excerpts).
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use vault::scan::Scanner;

static SCANNER: LazyLock<Scanner> = LazyLock::new(Scanner::new);

fuzz_target!(|input: &[u8]| {
    // The first line (up to 64 bytes) is the path, the rest the content, so
    // the fuzzer explores path rules (`secrets/`, `.env`, lock files) too.
    let split = input
        .iter()
        .take(64)
        .position(|&b| b == b'\n')
        .unwrap_or(0);
    let path = String::from_utf8_lossy(&input[..split]);
    let data = &input[(split + 1).min(input.len())..];

    let findings = SCANNER.scan(&path, data);

    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(data.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1))
        .collect();
    for finding in &findings {
        if finding.line == 0 {
            assert_eq!(finding.column, 0);
            continue;
        }
        assert!(finding.line <= line_starts.len());
        assert!(finding.column >= 1);
        assert!(line_starts[finding.line - 1] + finding.column - 1 < data.len());
        assert!(finding.hint.len() <= 160);
        assert_eq!(finding.fingerprint.len(), 16);
    }
});
