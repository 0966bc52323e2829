//! Throughput check for the scanner, and a false-positive hunt over real trees.
//!
//! `cargo run --release --example scan_bench` scans 8 MiB of generated source
//! text and prints MB/s. `cargo run --release --example scan_bench -- DIR…`
//! also scans each directory through `vault::scan::run` (the walk, pool and baseline
//! the hook and `vault scan` use) and prints findings per rule
//! (with `-v`, each finding's path, line and hint: never the secret).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use vault::scan::{Plan, Scanner, Source};

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
        // The library entry point the hook and `vault scan` use: the same walk (git's
        // index plus what the ignore rules keep), the same worker pool, the same baseline.
        let plan = Plan {
            cwd: PathBuf::from(root),
            source: Source::Paths(Vec::new()),
            max_size: u64::MAX,
            identities: None,
            baseline: None,
            write_baseline: None,
        };
        let start = Instant::now();
        let report = match vault::scan::run(&plan, &mut |_| {}) {
            Ok(report) => report,
            Err(e) => {
                eprintln!("{root}: {e}");
                continue;
            }
        };
        let elapsed = start.elapsed().as_secs_f64();
        let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &report.found {
            *per_rule.entry(f.finding.rule).or_default() += 1;
        }
        println!(
            "{root}: {} files ({} unreadable), walked, read and scanned in {:.3} s, {} findings {:?}",
            report.scanned,
            report.unreadable.len(),
            elapsed,
            report.found.len(),
            per_rule
        );
        if verbose {
            for f in report.found.iter().map(|f| &f.finding) {
                println!("  {}:{}:{} {} {}", f.path, f.line, f.column, f.rule, f.hint);
            }
        }
    }
}
