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

/// Deterministic source-like text: code, config, prose, hashes, URLs, with
/// the keywords (`token`, `password`, `auth`, `://`, `key`) that real code is
/// full of, but no secrets.
fn generated_text(target: usize) -> Vec<u8> {
    let lines = [
        "fn authenticate(token: &str, password: &str) -> Result<Session, AuthError> {",
        "    let secret = self.keys.current().expect(\"a signing key is configured\");",
        "    // See https://docs.example.com/auth/tokens for the token format.",
        "    if password.len() < MIN_PASSWORD_LEN { return Err(AuthError::TooShort); }",
        "import { useAuth } from \"../hooks/useAuth\"; const apiKey = process.env.API_KEY;",
        "  \"integrity\": \"sha512-Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6\",",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b (HEAD -> main, origin/main)",
        "database:\n  host: db.internal\n  password: ${DATABASE_PASSWORD}\n  pool: 10",
        "The quick brown fox jumps over the lazy dog; rotate credentials every 90 days.",
        "    <input type=\"password\" name=\"password\" autocomplete=\"current-password\">",
        "SELECT id, email, password_hash FROM users WHERE id = $1 AND deleted_at IS NULL;",
        "    assert_eq!(parse(\"key = value\"), Ok((\"key\", \"value\")));",
        "let url = format!(\"https://{host}:{port}/v1/sessions/{id}\", host = cfg.host);",
        "        return jwt.decode(token, options={\"verify_signature\": True})",
        "id,name,uuid\n42,alice,123e4567-e89b-12d3-a456-426614174000",
    ];
    let mut out = Vec::with_capacity(target + 256);
    let mut i = 0usize;
    while out.len() < target {
        out.extend_from_slice(lines[i % lines.len()].as_bytes());
        out.push(b'\n');
        i = i.wrapping_mul(31).wrapping_add(7) % 1009;
    }
    out
}

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
