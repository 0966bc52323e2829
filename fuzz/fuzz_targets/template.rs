//! Fuzz the secrets template: arbitrary text must parse or fail cleanly, and a parsed
//! template must validate arbitrary values without panicking.
//!
//! Input layout, so one byte string drives both stages: the template text, then NUL-separated
//! fields: an environment name followed by name/value pairs. Every declared secret is also
//! given the first value, because the fuzzer rarely guesses the template's names itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vault::schema::Template;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let mut fields = input.split('\0');
    let text = fields.next().unwrap_or_default();
    let template = match Template::parse(text) {
        Ok(template) => template,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let env = fields.next().unwrap_or("prod");
    let rest: Vec<&str> = fields.collect();
    let pairs = rest.chunks_exact(2).map(|pair| (pair[0], pair[1]));
    for violation in template.validate(env, pairs) {
        let _ = violation.to_string();
    }
    let value = rest.first().copied().unwrap_or_default();
    let everything = template.secrets().map(|spec| (spec.name.as_str(), value));
    for violation in template.validate(env, everything) {
        let _ = format!("{violation} {violation:?}");
    }
    let _ = template.required_in(env).count();
});
