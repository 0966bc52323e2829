/// Recognises PEM private key headers.
const HEADERS: &[&str] = &[
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----",
];

pub fn is_private(line: &str) -> bool {
    HEADERS.contains(&line.trim())
}
