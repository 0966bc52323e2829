//! Crash injection for tests: `VAULT_TEST_CRASH_AT=<point>:<n>` kills the process with
//! SIGKILL the n-th time it reaches `<point>` (n defaults to 1).
//!
//! Compiled only with the `test-hooks` feature; in every other build `point` is an
//! empty inline function, so release binaries cannot be made to crash this way.

use std::path::Path;

/// Marks a write step where a crash can be injected.
#[cfg(not(feature = "test-hooks"))]
#[inline(always)]
pub fn point(_name: &str, _path: &Path) {}

/// Marks a write step where a crash can be injected.
#[cfg(feature = "test-hooks")]
pub fn point(name: &str, _path: &Path) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static HITS: AtomicUsize = AtomicUsize::new(0);
    let Ok(spec) = std::env::var("VAULT_TEST_CRASH_AT") else {
        return;
    };
    let (target, nth) = spec
        .split_once(':')
        .map_or((spec.as_str(), 1), |(t, n)| (t, n.parse().unwrap_or(1)));
    if target == name && HITS.fetch_add(1, Ordering::SeqCst) + 1 == nth {
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
    }
}

/// Marks a place where a panic can be forced for tests with `VAULT_TEST_PANIC_AT=<point>`,
/// to prove panics never print secrets. Inert without the `test-hooks` feature.
#[cfg(not(feature = "test-hooks"))]
#[inline(always)]
pub fn panic_point(_name: &str) {}

/// Marks a place where a panic can be forced for tests with `VAULT_TEST_PANIC_AT=<point>`,
/// to prove panics never print secrets. Inert without the `test-hooks` feature.
#[cfg(feature = "test-hooks")]
pub fn panic_point(name: &str) {
    if std::env::var("VAULT_TEST_PANIC_AT").is_ok_and(|target| target == name) {
        panic!("forced test panic at {name}");
    }
    // `VAULT_TEST_HARDENING_REPORT=FILE` appends the process's core-dump limit and dumpable
    // flag as they are while plaintext is in memory, so tests can prove every command that
    // decrypts has dumps off.
    if let Some(file) = std::env::var_os("VAULT_TEST_HARDENING_REPORT") {
        use std::io::Write;
        let limit = rustix::process::getrlimit(rustix::process::Resource::Core).current;
        let dumpable = rustix::process::dumpable_behavior()
            .map(|d| d == rustix::process::DumpableBehavior::Dumpable)
            .unwrap_or(true);
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)
        {
            let _ = writeln!(f, "{name} core={limit:?} dumpable={dumpable}");
        }
    }
}
