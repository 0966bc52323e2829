//! Fuzzes `.vault.toml` parsing and validation: never panics on any text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vault::config::Config;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(config) = Config::parse(text) {
            for env in config.env_names() {
                let _ = config.recipients_for(env);
            }
        }
    }
});
