//! Fuzzes the `vault edit` buffer parser: never panics, and an accepted buffer renders
//! back to one that parses to the same secrets.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vault::edit;
use vault::payload::Payload;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(edited) = edit::parse(text) else { return };
    let mut payload = Payload::new("dev");
    for e in &edited {
        payload.set(&e.name, e.value.clone(), jiff::Timestamp::UNIX_EPOCH).expect("parse already validated");
    }
    let again = edit::parse(&edit::render(&payload, &[])).expect("rendered buffers parse");
    assert!(edit::diff(&payload, &again).is_empty());
});
