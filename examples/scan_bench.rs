//! Throughput check for the scanner, and a false-positive hunt over real trees.
//!
//! `cargo run --release --example scan_bench` scans 8 MiB of generated source
//! text and prints MB/s. `cargo run --release --example scan_bench -- DIR…`
//! also walks each directory, scans every file, and prints findings per rule
//! (with `-v`, each finding's path, line and hint: never the secret).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use vault::scan::Scanner;

#[path = "../benches/common/text.rs"]
mod text;
use text::generated_text;

fn bench_generated(scanner: &Scanner) {
    let text = generated_text(8 << 20);
    // Warm up: compile the rules and fault the pages in.
    let _ = scanner.scan("warmup.rs", &text[..4096]);
    let rounds = 10;
    let mut best = f64::MAX;
    let mut total = 0.0;
    let mut findings = 0;
    for round in 0..rounds {
        let start = Instant::now();
        findings += scanner.scan(&format!("src/file{round}.rs"), &text).len();
        let elapsed = start.elapsed().as_secs_f64();
        best = best.min(elapsed);
        total += elapsed;
    }
    #[allow(clippy::cast_precision_loss)]
    let megabytes = text.len() as f64 / 1e6;
    println!(
        "generated source, {megabytes:.1} MB x {rounds}: best {:.0} MB/s ({:.2} ms per MB), mean {:.0} MB/s, {findings} findings",
        megabytes / best,
        best * 1000.0 / megabytes,
        megabytes * f64::from(rounds) / total,
    );
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if entry.file_name() != ".git" && entry.file_name() != "target" {
                walk(&path, files);
            }
        } else if kind.is_file() {
            files.push(path);
        }
    }
}

fn main() {
    let start = Instant::now();
    let scanner = Scanner::new();
    let _ = scanner.scan("warmup.txt", b"x");
    println!(
        "rule table compiled in {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    bench_generated(&scanner);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v");
    for root in args.iter().filter(|a| *a != "-v") {
        let mut files = Vec::new();
        walk(Path::new(root), &mut files);
        let contents: Vec<(String, Vec<u8>)> = files
            .iter()
            .filter_map(|p| {
                let bytes = std::fs::read(p).ok()?;
                let rel = p
                    .strip_prefix(root)
                    .unwrap_or(p)
                    .to_string_lossy()
                    .into_owned();
                Some((rel, bytes))
            })
            .collect();
        let total: usize = contents.iter().map(|(_, b)| b.len()).sum();
        let start = Instant::now();
        let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
        let mut all = Vec::new();
        for (path, bytes) in &contents {
            for f in scanner.scan(path, bytes) {
                *per_rule.entry(f.rule).or_default() += 1;
                all.push(f);
            }
        }
        let elapsed = start.elapsed().as_secs_f64();
        #[allow(clippy::cast_precision_loss)]
        let megabytes = total as f64 / 1e6;
        println!(
            "{root}: {} files, {:.1} MB in {:.3} s = {:.0} MB/s, {} findings {:?}",
            contents.len(),
            megabytes,
            elapsed,
            megabytes / elapsed,
            all.len(),
            per_rule
        );
        if verbose {
            for f in &all {
                println!("  {}:{}:{} {} {}", f.path, f.line, f.column, f.rule, f.hint);
            }
        }
    }
}
