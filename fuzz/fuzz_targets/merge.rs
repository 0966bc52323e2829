//! Fuzzes the 3-way merge: builds three small payloads from the input and checks the
//! merge laws (merge(o, a, a) = a, merge(o, o, b) = b, merge(o, a, o) = a).

#![no_main]

use libfuzzer_sys::fuzz_target;
use vault::merge::merge;
use vault::payload::Payload;
use vault::secret::Secret;

fn payload(bytes: &[u8]) -> Payload {
    let mut p = Payload::new("dev");
    for pair in bytes.chunks(2) {
        let name = format!("K{}", pair[0] % 6);
        let value = format!("v{}", pair.get(1).copied().unwrap_or(0) % 4);
        let _ = p.set(&name, Secret::new(value), jiff::Timestamp::UNIX_EPOCH);
    }
    p
}

fuzz_target!(|data: &[u8]| {
    let third = data.len() / 3;
    let (o, rest) = data.split_at(third);
    let (a, b) = rest.split_at(third);
    let (o, a, b) = (payload(o), payload(a), payload(b));
    assert!(merge(&o, &a, &a).0.secrets == a.secrets);
    assert!(merge(&o, &o, &b).0.secrets == b.secrets);
    assert!(merge(&o, &a, &o).0.secrets == a.secrets);
    let _ = merge(&o, &a, &b);
});
