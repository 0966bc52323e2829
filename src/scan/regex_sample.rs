//! Test-only: builds a string that a rule's regex matches, from the parsed
//! regex (HIR), the way gitleaks' tests generate samples from its rules. Used
//! for the rules ported from gitleaks, so that each has a positive case built
//! at run time (no token-shaped literal in the tree) and a near miss.

use regex_syntax::hir::{Class, Hir, HirKind};

use super::testgen::Rng;

/// A generated match: the text, and which bytes of it the secret group `s`
/// drew from character classes (the random part a near miss flattens).
pub struct Sample {
    pub text: Vec<u8>,
    pub secret_random: Vec<usize>,
}

impl Sample {
    /// The same text with the random part of the secret made one repeated
    /// character: same shape and prefix, no entropy (a placeholder).
    pub fn flattened(&self) -> Vec<u8> {
        let mut text = self.text.clone();
        if let Some(&first) = self.secret_random.first() {
            let fill = text[first];
            for &i in &self.secret_random {
                text[i] = fill;
            }
        }
        text
    }
}

/// A match of `pattern`, or `None` if it does not parse.
pub fn sample(pattern: &str, rng: &mut Rng) -> Option<Sample> {
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    let mut out = Sample {
        text: Vec::new(),
        secret_random: Vec::new(),
    };
    generate(&hir, rng, false, &mut out);
    if out.secret_random.is_empty() {
        // No group `s`: the whole match is the secret.
        out.text.clear();
        generate(&hir, rng, true, &mut out);
    }
    Some(out)
}

fn pick_byte(candidates: &[u8], rng: &mut Rng) -> Option<u8> {
    if candidates.is_empty() {
        return None;
    }
    let s = rng.string(candidates, 1);
    s.bytes().next()
}

fn class_bytes(class: &Class) -> Vec<u8> {
    let mut all = Vec::new();
    match class {
        Class::Bytes(c) => {
            for r in c.ranges() {
                all.extend(r.start()..=r.end());
            }
        }
        Class::Unicode(c) => {
            for r in c.ranges() {
                let (s, e) = (u32::from(r.start()), u32::from(r.end()).min(0x7f));
                all.extend((s..=e).filter_map(|b| u8::try_from(b).ok()));
            }
        }
    }
    all
}

fn generate(hir: &Hir, rng: &mut Rng, in_secret: bool, out: &mut Sample) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => out.text.extend_from_slice(&lit.0),
        HirKind::Class(class) => {
            let all = class_bytes(class);
            let alnum: Vec<u8> = all
                .iter()
                .copied()
                .filter(u8::is_ascii_alphanumeric)
                .collect();
            // Outside the secret, a separator reads better than a letter (`key = value`).
            // `.` (any byte) in a host name such as `gems.contribsys.com` is a dot.
            let byte = if !in_secret && all.len() > 128 && all.contains(&b'.') {
                Some(b'.')
            } else if !in_secret && all.contains(&b' ') {
                Some(b' ')
            } else {
                pick_byte(&alnum, rng).or_else(|| {
                    let printable: Vec<u8> =
                        all.iter().copied().filter(u8::is_ascii_graphic).collect();
                    pick_byte(&printable, rng)
                })
            };
            if let Some(b) = byte {
                if in_secret {
                    out.secret_random.push(out.text.len());
                }
                out.text.push(b);
            }
        }
        HirKind::Repetition(rep) => {
            let n = if rep.min == 0 {
                0
            } else {
                rep.max.unwrap_or(u32::MAX).min(rep.min.max(32))
            };
            for _ in 0..n {
                generate(&rep.sub, rng, in_secret, out);
            }
        }
        HirKind::Capture(cap) => {
            let secret = in_secret || cap.name.as_deref() == Some("s");
            generate(&cap.sub, rng, secret, out);
        }
        HirKind::Concat(parts) => {
            for part in parts {
                generate(part, rng, in_secret, out);
            }
        }
        HirKind::Alternation(branches) => generate(&branches[0], rng, in_secret, out),
    }
}
