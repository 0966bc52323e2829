//! Micro-benchmarks of the paths every `exec`, `edit` and commit goes through: decrypting
//! an environment file, parsing its payload, and running the secret scanner's rule table
//! over a megabyte of source text.
//!
//!     cargo bench --bench hot_paths
//!
//! The side-by-side comparison with other tools is `bench/run`; this harness is for
//! watching one path while changing it.

use std::str::FromStr;

use divan::{Bencher, black_box};
use vault::crypto::{self, Recipient};
use vault::payload::Payload;
use vault::scan::Scanner;
use vault::secret::Secret;

#[path = "common/text.rs"]
mod text;

fn main() {
    divan::main();
}

const SIZES: &[usize] = &[10, 100, 1000];

/// A payload with `n` secrets of typical sizes (URLs, tokens, keys).
fn payload(n: usize) -> Payload {
    let mut payload = Payload::new("prod");
    payload.write_key = Some(Secret::new(
        vault::auth::WriteKey::generate().to_text().to_string(),
    ));
    let now = jiff::Timestamp::UNIX_EPOCH;
    for i in 0..n {
        let value = match i % 3 {
            0 => format!("postgres://app:pw{i:08}x7Qz@db-{i}.internal:5432/app"),
            1 => format!("tok_{i:04}_{}", "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7".repeat(2)),
            _ => format!("{i:064x}"),
        };
        payload
            .set(&format!("SECRET_{i:05}"), Secret::new(value), now)
            .expect("generated names and values are valid");
    }
    payload
}

#[divan::bench(args = SIZES)]
fn decrypt_environment(bencher: Bencher, n: usize) {
    let identity = age::x25519::Identity::generate();
    let recipient = Recipient::from_str(&identity.to_public().to_string()).expect("a fresh key");
    let plaintext = payload(n).to_toml();
    let ciphertext = crypto::encrypt(plaintext.as_bytes(), &[recipient]).expect("encrypts");
    let identities: Vec<Box<dyn age::Identity + Send + Sync>> = vec![Box::new(identity)];
    bencher.bench(|| crypto::decrypt(black_box(&ciphertext), &identities).expect("decrypts"));
}

#[divan::bench(args = SIZES)]
fn parse_payload(bencher: Bencher, n: usize) {
    let toml = payload(n).to_toml();
    bencher.bench(|| Payload::parse(black_box(toml.as_bytes())).expect("parses"));
}

#[divan::bench(args = SIZES)]
fn serialize_payload(bencher: Bencher, n: usize) {
    let payload = payload(n);
    bencher.bench(|| black_box(&payload).to_toml());
}

/// The key-free half of reading an environment: the signature over the file and its
/// write-key chain (what `exec` adds to a plain decrypt).
#[divan::bench(args = SIZES)]
fn verify_signature(bencher: Bencher, n: usize) {
    let key = vault::auth::WriteKey::generate();
    let identity = age::x25519::Identity::generate();
    let public = identity.to_public().to_string();
    let recipient = Recipient::from_str(&public).expect("a fresh key");
    let plaintext = payload(n).to_toml();
    let unsigned = vault::auth::Unsigned {
        env: "prod".into(),
        seq: 1,
        chain: vault::auth::Chain::genesis(key.public()),
        recipients: vec![public],
    };
    let ciphertext = crypto::encrypt_with_stanza(plaintext.as_bytes(), &[recipient], |s, p| {
        unsigned.sign(
            &key,
            vault::auth::Covered {
                stanzas: s,
                payload: p,
            },
        )
    })
    .expect("encrypts");
    bencher.bench(|| vault::auth::inspect("prod", black_box(&ciphertext)).expect("verifies"));
}

#[divan::bench]
fn scan_one_megabyte(bencher: Bencher) {
    let scanner = Scanner::new();
    let text = text::generated_text(1 << 20);
    // Compile the rules outside the measurement.
    let _ = scanner.scan("warmup.rs", &text[..4096]);
    bencher
        .counter(divan::counter::BytesCount::new(text.len()))
        .bench(|| scanner.scan(black_box("src/service.rs"), black_box(&text)));
}
