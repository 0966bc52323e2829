//! Fuzzes post-quantum key and stanza parsing (src/pq.rs): key texts from rosters and
//! identity files, and `mlkem768x25519` stanzas from headers anyone can write. None may
//! panic; a key that parses prints back to itself; a stanza never unwraps to a key unless
//! it was made for this identity (here: never, since the fuzzer cannot forge HPKE).

#![no_main]

use std::sync::OnceLock;

use age::Identity as _;
use age_core::format::Stanza;
use libfuzzer_sys::fuzz_target;
use vault::pq;

fn identity() -> &'static pq::Identity {
    static IDENTITY: OnceLock<pq::Identity> = OnceLock::new();
    IDENTITY.get_or_init(pq::Identity::generate)
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 3 {
        0 => {
            let text = String::from_utf8_lossy(rest);
            if let Ok(key) = text.parse::<pq::Recipient>() {
                assert_eq!(key.to_string(), text);
            }
            if let Ok(key) = text.parse::<vault::crypto::Recipient>() {
                assert_eq!(
                    key.canonical().parse::<vault::crypto::Recipient>().unwrap().canonical(),
                    key.canonical()
                );
            }
        }
        1 => {
            let text = String::from_utf8_lossy(rest);
            if let Ok(key) = text.parse::<pq::Identity>() {
                assert_eq!(key.to_text().as_str(), text.to_ascii_uppercase());
            }
        }
        _ => {
            // "tag args…\nbody": a stanza as a header would carry it.
            let split = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
            let line = String::from_utf8_lossy(&rest[..split]);
            let mut words = line.split(' ');
            let tag = words.next().unwrap_or_default().to_owned();
            let stanza = Stanza {
                tag,
                args: words.map(str::to_owned).collect(),
                body: rest.get(split + 1..).unwrap_or_default().to_vec(),
            };
            if let Some(Ok(_)) = identity().unwrap_stanza(&stanza) {
                panic!("a stanza the fuzzer made unwrapped");
            }
        }
    }
});
