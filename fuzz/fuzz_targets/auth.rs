//! Fuzzes what vault reads before trusting anything: the signature stanza of an age header
//! (arguments and body), a whole armored file's header walk (`inspect`), and pins. None may
//! panic; a stanza that parses re-encodes to the same bytes it came from, and a pin that
//! parses prints back to itself.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vault::auth::{self, Pin, Stanza};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 3 {
        0 => {
            // "args\nbody": arguments split on spaces, the rest as the binary body.
            let split = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
            let args_text = String::from_utf8_lossy(&rest[..split]);
            let args: Vec<&str> = args_text.split(' ').collect();
            let body = rest.get(split + 1..).unwrap_or_default();
            if let Ok(stanza) = Stanza::parse(&args, body) {
                assert!(stanza.chain.epoch() >= 1);
                let _ = stanza.verify(&stanza.env.clone(), auth::Covered { stanzas: b"", payload: b"" });
            }
        }
        1 => {
            // A whole file, armored or not.
            let _ = auth::inspect("prod", rest);
            let mut armored = b"-----BEGIN AGE ENCRYPTED FILE-----\n".to_vec();
            armored.extend_from_slice(rest);
            let _ = auth::inspect("prod", &armored);
        }
        _ => {
            let text = String::from_utf8_lossy(rest);
            if let Ok(pin) = text.parse::<Pin>() {
                assert_eq!(pin.to_string().parse::<Pin>().expect("a printed pin parses"), pin);
            }
            let _ = auth::pins_in_identity(&text);
            let _ = auth::pins_in_list(&text);
        }
    }
});
