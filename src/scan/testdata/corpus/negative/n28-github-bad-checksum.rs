#[test]
fn rejects_wrong_checksum() {
    let sample = "{{GITHUB_BAD_CHECKSUM}}";
    assert!(!valid(sample));
}
