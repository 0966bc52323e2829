//! Fuzzes the scanner on arbitrary bytes and paths: never panics, and every finding points
//! inside the content.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use vault::scan::Scanner;

static SCANNER: LazyLock<Scanner> = LazyLock::new(Scanner::new);

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(0);
    let (path, content) = data.split_at(split);
    let path = String::from_utf8_lossy(path);
    let lines = content.iter().filter(|&&b| b == b'\n').count() + 1;
    for finding in SCANNER.scan(&path, content) {
        assert!(finding.line <= lines, "finding past the end of the content");
    }
});
