//! Fuzzes the strict dotenv parser: it must never panic, and whatever it accepts must
//! survive a render/parse round trip unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vault::dotenv::{parse, render_dotenv, render_shell};

fuzz_target!(|data: &[u8]| {
    // `parse` takes text: valid UTF-8 goes in unchanged, anything else in its lossy form so
    // byte-level mutations still reach the parser.
    let text = String::from_utf8_lossy(data);
    let Ok(entries) = parse(&text) else {
        return;
    };
    let pairs: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.name.as_str(), e.value.as_str()))
        .collect();
    let _ = render_shell(&pairs);
    let reparsed = parse(&render_dotenv(&pairs)).expect("render_dotenv output must parse");
    assert_eq!(reparsed.len(), pairs.len(), "entry count changed in round trip");
    for (entry, &(name, value)) in reparsed.iter().zip(&pairs) {
        assert_eq!(entry.name, name, "name changed in round trip");
        // Compare without formatting the value, keeping this target's panics value-free too.
        assert!(entry.value.as_str() == value, "value of {name} changed in round trip");
    }
});
