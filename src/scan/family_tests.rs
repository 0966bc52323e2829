//! Tests of the families added for issue 15 beside the gitleaks ports:
//! PKCS#12 keystores (checked by structure) and Discord bot tokens.

use super::Scanner;
use super::testgen::{ALNUM, BASE64URL, Rng};

fn rules_in(path: &str, content: &[u8]) -> Vec<&'static str> {
    Scanner::new()
        .scan(path, content)
        .into_iter()
        .map(|f| f.rule)
        .collect()
}

/// One DER element with a definite length.
fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match body.len() {
        n if n < 0x80 => out.push(u8::try_from(n).expect("short length")),
        n if n < 0x100 => out.extend([0x81, u8::try_from(n).expect("one byte")]),
        n => out.extend([
            0x82,
            u8::try_from(n >> 8).expect("two bytes"),
            u8::try_from(n & 0xff).expect("low byte"),
        ]),
    }
    out.extend_from_slice(body);
    out
}

/// A PKCS#12 `PFX` with random safe contents and the given MAC iteration count.
fn pfx(iterations: &[u8], rng: &mut Rng) -> Vec<u8> {
    let oid_data = der(
        0x06,
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01],
    );
    let safe = der(0x04, rng.string(ALNUM, 600).as_bytes());
    let auth_safe = der(0x30, &[oid_data, der(0xa0, &safe)].concat());
    let sha1 = der(
        0x30,
        &[der(0x06, &[0x2b, 0x0e, 0x03, 0x02, 0x1a]), der(0x05, &[])].concat(),
    );
    let digest_info = der(
        0x30,
        &[sha1, der(0x04, rng.string(ALNUM, 20).as_bytes())].concat(),
    );
    let mac_data = der(
        0x30,
        &[
            digest_info,
            der(0x04, rng.string(ALNUM, 8).as_bytes()),
            der(0x02, iterations),
        ]
        .concat(),
    );
    let mut binary = der(0x30, &[der(0x02, &[3]), auth_safe, mac_data].concat());
    binary[40] = 0; // a NUL, as in every real keystore: binary content skips the pattern rules
    binary
}

#[test]
fn pkcs12_keystores_are_reported_when_whole() {
    let mut rng = Rng::new(151);
    let good = pfx(&[0x08, 0x00], &mut rng);
    assert_eq!(rules_in("certs/client.p12", &good), ["pkcs12-file"]);
    assert_eq!(rules_in("certs/Client.PFX", &good), ["pkcs12-file"]);
    // The same bytes under another name are not a keystore someone will load.
    assert!(rules_in("certs/client.bin", &good).is_empty());
    // Truncated, or an iteration count no tool writes: damaged, not reported.
    assert!(rules_in("certs/client.p12", &good[..200]).is_empty());
    let stalling = pfx(&[0x1e, 0x84, 0x80], &mut rng);
    assert!(rules_in("certs/client.p12", &stalling).is_empty());
    // A text file that happens to be named .p12 is not DER.
    assert!(rules_in("certs/readme.p12", b"not a keystore\n").is_empty());
}

#[test]
fn discord_bot_tokens() {
    let mut rng = Rng::new(152);
    // base64 of an 18-digit snowflake user id starts with `MT`…`OT`.
    let id = super::testgen::base64url(format!("7{}", rng.string(b"0123456789", 17)).as_bytes());
    let token = format!("{id}.{}.{}", rng.mixed(BASE64URL, 6), rng.mixed(ALNUM, 27));
    assert_eq!(
        rules_in("bot.py", format!("client.run('{token}')\n").as_bytes()),
        ["discord-bot-token"]
    );
    // Near miss: the HMAC part is a run, as in docs (`…XXXXXXXX`).
    let flat = format!("{id}.{}.{}", rng.mixed(BASE64URL, 6), "X".repeat(27));
    assert!(rules_in("bot.py", format!("client.run('{flat}')\n").as_bytes()).is_empty());
}

#[test]
fn generated_values_under_key_named_settings() {
    let mut rng = Rng::new(153);
    let value = rng.mixed(ALNUM, 30);
    for (path, line) in [
        ("config.py", format!("APP_KEY = \"{value}\"\n")),
        ("settings.json", format!("{{\"key\": \"{value}\"}}\n")),
        (
            "app.env.sh",
            format!("export HEX_KEY={}\n", rng.string(b"0123456789abcdef", 72)),
        ),
    ] {
        assert_eq!(
            rules_in(path, line.as_bytes()),
            ["key-named-value"],
            "{path}"
        );
    }
    // Near misses: a public or database key, a digest-length hex string, a word.
    for line in [
        format!("PUBLIC_KEY = \"{value}\"\n"),
        format!("primary_key = \"{value}\"\n"),
        format!("cache_key = \"{}\"\n", rng.string(b"0123456789abcdef", 64)),
        "key = \"translation.dialog.title\"\n".to_owned(),
        format!("APP_KEY = \"{}\"\n", "a1".repeat(12)),
    ] {
        assert!(rules_in("config.py", line.as_bytes()).is_empty(), "{line}");
    }
}

#[test]
fn facebook_app_access_tokens_near_the_word_facebook() {
    let mut rng = Rng::new(154);
    let token = format!("{}|{}", rng.string(b"0123456789", 16), rng.mixed(ALNUM, 27));
    assert_eq!(
        rules_in(
            "fb.cfg",
            format!("[facebook]\napp_token = {token}\n").as_bytes()
        ),
        ["facebook-app-access-token"]
    );
    // The same shape with no mention of Facebook nearby is a table row, not a token.
    assert!(rules_in("fb.cfg", format!("row = {token}\n").as_bytes()).is_empty());
    // Near miss: a flat secret half.
    let flat = format!("{}|{}", rng.string(b"0123456789", 16), "a".repeat(27));
    assert!(
        rules_in(
            "fb.cfg",
            format!("[facebook]\napp_token = {flat}\n").as_bytes()
        )
        .is_empty()
    );
}

#[test]
fn jwe_tokens_need_alg_and_enc_in_the_header() {
    let mut rng = Rng::new(155);
    let b64 = super::testgen::base64url;
    let parts = |header: &[u8], rng: &mut Rng| {
        format!(
            "{}.{}.{}.{}.{}",
            b64(header),
            rng.mixed(BASE64URL, 342),
            rng.mixed(BASE64URL, 16),
            rng.mixed(BASE64URL, 120),
            rng.mixed(BASE64URL, 22)
        )
    };
    let jwe = parts(br#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#, &mut rng);
    assert_eq!(
        rules_in("req.http", format!("Cookie: s={jwe}\n").as_bytes()),
        ["jwe"]
    );
    // Near miss: five dotted parts whose header is not a JOSE header.
    let other = parts(br#"{"kind":"note","v":1}"#, &mut rng);
    assert!(rules_in("req.http", format!("Cookie: s={other}\n").as_bytes()).is_empty());
}
