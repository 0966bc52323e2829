//! Fuzzes the decrypted-payload parser: never panics, and whatever parses re-serializes
//! to a document that parses to the same payload.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vault::payload::Payload;

fuzz_target!(|data: &[u8]| {
    if let Ok(payload) = Payload::parse(data) {
        let again = Payload::parse(payload.to_toml().as_bytes()).expect("a serialized payload parses");
        assert!(again == payload, "payload round trip changed the document");
    }
});
