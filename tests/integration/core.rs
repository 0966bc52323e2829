//! The core round trip: init, set, get, exec.

use crate::support::*;

#[test]
fn init_set_get_exec_round_trip() {
    let (repo, alice) = TestRepo::with_vault("dev,prod");
    assert!(repo.path(".vault.toml").is_file());
    assert!(
        repo.read_text("secrets/dev.age")
            .starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
    );
    repo.set(&alice, "dev", "DATABASE_URL", "postgres://localhost/app");
    assert_eq!(
        repo.get(&alice, "dev", "DATABASE_URL"),
        "postgres://localhost/app"
    );
    repo.vault(&alice)
        .args([
            "exec",
            "dev",
            "--",
            "sh",
            "-c",
            "printf %s \"$DATABASE_URL\"",
        ])
        .assert()
        .success()
        .stdout("postgres://localhost/app");
}
