use super::*;

#[test]
fn crc32_matches_known_vectors() {
    assert_eq!(crc32(b""), 0);
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(
        crc32(b"The quick brown fox jumps over the lazy dog"),
        0x414F_A339
    );
}

#[test]
fn base62_checksum_pads_and_encodes() {
    assert_eq!(&base62_checksum(0), b"000000");
    assert_eq!(&base62_checksum(61), b"00000z");
    assert_eq!(&base62_checksum(62), b"000010");
    assert_eq!(&base62_checksum(u32::MAX), b"4gfFC3");
}

#[test]
fn checksum_rejects_wrong_shapes() {
    assert!(!has_token_checksum(b"short"));
    let mut body = b"abcdefghijklmnopqrstuvwxyzABCD".to_vec();
    body.extend_from_slice(&base62_checksum(crc32(&body)));
    assert!(has_token_checksum(&body));
    let last = body.len() - 1;
    body[last] = if body[last] == b'0' { b'1' } else { b'0' };
    assert!(!has_token_checksum(&body));
}

#[test]
fn entropy_orders_values_sensibly() {
    assert!(shannon_entropy(b"aaaaaaaaaaaa") < 0.01);
    assert!((shannon_entropy(b"abcdefgh") - 3.0).abs() < 1e-9);
    assert!(shannon_entropy(b"Xk29fj2kd93Lq") > GENERIC_MIN_ENTROPY);
}

#[test]
fn placeholders_are_recognised() {
    for value in [
        &b"changeme"[..],
        b"${DATABASE_PASSWORD}",
        b"$DB_PASS",
        b"<your-api-key>",
        b"xxxxxxxxxxxx",
        b"your_api_key_here",
        b"REPLACE_ME",
        b"{{ .Values.token }}",
        b"12345678901234",
        b"%API_TOKEN%",
    ] {
        assert!(
            is_placeholder_value(value),
            "{}",
            String::from_utf8_lossy(value)
        );
    }
    assert!(!is_placeholder_value(b"Xk29fj2kd93Lq"));
}

#[test]
fn wordish_values_are_code_or_prose() {
    assert!(is_wordish(b"process.env.API_TOKEN"));
    assert!(is_wordish(b"hashlib.sha256"));
    assert!(is_wordish(b"my-app-2024-prod"));
    assert!(is_wordish(b"getUserAccessToken"));
    assert!(is_wordish(b"private::IdentAny"));
    assert!(is_wordish(b"FileToUpload"));
    assert!(is_wordish(b"HTTPServerError"));
    assert!(!is_wordish(b"Xk29fj2kd93Lq"));
    assert!(!is_wordish(b"4f9a8b7c6d5e4f3a"));
    assert!(!is_wordish(b"QWxhZGRpbjpvcGVuIHNlc2FtZQ"));
}

#[test]
fn uuid_and_digest_shapes() {
    assert!(is_uuid(b"123e4567-e89b-12d3-a456-426614174000"));
    assert!(!is_uuid(b"123e4567-e89b-12d3-a456-42661417400"));
    assert!(is_hex_digest(b"3f786850e387550fdab836ed7e6dc881de23001b"));
    assert!(!is_hex_digest(b"3f786850e387550fdab836ed7e6dc881de23001"));
}

#[test]
fn base64url_round_trips_json() {
    let decoded = base64url_decode(b"eyJhbGciOiJIUzI1NiJ9").expect("valid base64url");
    assert_eq!(decoded, br#"{"alg":"HS256"}"#);
    assert!(looks_like_json_object(&decoded));
    assert!(base64url_decode(b"a").is_none());
    assert!(base64url_decode(b"ab!c").is_none());
}

#[test]
fn key_names() {
    for key in [
        &b"password"[..],
        b"DB_PASSWORD",
        b"api_key",
        b"apiKey",
        b"clientSecret",
        b"AUTH_TOKEN",
        b"Authorization",
        b"aws.secretAccessKey",
        b"private_key",
        b"$password",
        b"oauth_token",
    ] {
        assert!(is_secret_key_name(key), "{}", String::from_utf8_lossy(key));
    }
    for key in [
        &b"author"[..],
        b"authority",
        b"token_url",
        b"password_hash",
        b"secret_name",
        b"tokenizer",
        b"passport",
        b"compass",
        b"AUTH_TOKEN_EXPIRES_AT",
        b"NextToken",
        b"csrf_token",
        b"stripe_publishable_key",
    ] {
        assert!(!is_secret_key_name(key), "{}", String::from_utf8_lossy(key));
    }
}
