//! Generated source-like text for scanner benchmarks (shared by `benches/hot_paths.rs` and
//! `examples/scan_bench.rs`).

/// Deterministic source-like text: code, config, prose, hashes, URLs, with
/// the keywords (`token`, `password`, `auth`, `://`, `key`) that real code is
/// full of, but no secrets.
pub fn generated_text(target: usize) -> Vec<u8> {
    let lines = [
        "fn authenticate(token: &str, password: &str) -> Result<Session, AuthError> {",
        "    let secret = self.keys.current().expect(\"a signing key is configured\");",
        "    // See https://docs.example.com/auth/tokens for the token format.",
        "    if password.len() < MIN_PASSWORD_LEN { return Err(AuthError::TooShort); }",
        "import { useAuth } from \"../hooks/useAuth\"; const apiKey = process.env.API_KEY;",
        "  \"integrity\": \"sha512-Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6\",",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b (HEAD -> main, origin/main)",
        "database:\n  host: db.internal\n  password: ${DATABASE_PASSWORD}\n  pool: 10",
        "The quick brown fox jumps over the lazy dog; rotate credentials every 90 days.",
        "    <input type=\"password\" name=\"password\" autocomplete=\"current-password\">",
        "SELECT id, email, password_hash FROM users WHERE id = $1 AND deleted_at IS NULL;",
        "    assert_eq!(parse(\"key = value\"), Ok((\"key\", \"value\")));",
        "let url = format!(\"https://{host}:{port}/v1/sessions/{id}\", host = cfg.host);",
        "        return jwt.decode(token, options={\"verify_signature\": True})",
        "id,name,uuid\n42,alice,123e4567-e89b-12d3-a456-426614174000",
    ];
    let mut out = Vec::with_capacity(target + 256);
    let mut i = 0usize;
    while out.len() < target {
        out.extend_from_slice(lines[i % lines.len()].as_bytes());
        out.push(b'\n');
        i = i.wrapping_mul(31).wrapping_add(7) % 1009;
    }
    out
}
