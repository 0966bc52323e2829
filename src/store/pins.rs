//! The pins a member's machine keeps: for each vault and environment, the newest write key
//! it has verified, like ssh's `known_hosts`. A version whose chain does not reach the
//! pinned key is refused, so a forgery, a competing hand-over by a removed member that
//! this machine has not seen first, or a rollback to an older epoch is caught without any
//! history.
//!
//! One line per pin: `ENV@EPOCH:KEY ROOT`, where ROOT is the vault's absolute directory.

use std::path::{Path, PathBuf};

use crate::auth::Pin;
use crate::store::atomic;

/// The pin file of one user.
#[derive(Debug, Clone)]
pub struct PinStore {
    path: PathBuf,
}

impl PinStore {
    /// The store at `path` (created on first write).
    #[must_use]
    pub fn at(path: PathBuf) -> Self {
        Self { path }
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lines(&self) -> Vec<(Pin, String)> {
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return Vec::new();
        };
        text.lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .filter_map(|line| {
                let (pin, root) = line.split_once(' ')?;
                Some((pin.parse().ok()?, root.to_owned()))
            })
            .collect()
    }

    /// The pin for `env` of the vault at `root`.
    #[must_use]
    pub fn get(&self, root: &Path, env: &str) -> Option<Pin> {
        let root = key(root);
        if root.chars().any(char::is_control) {
            return None;
        }
        self.lines()
            .into_iter()
            .filter(|(pin, r)| *r == root && pin.env == env)
            .map(|(pin, _)| pin)
            .max_by_key(|pin| pin.epoch)
    }

    /// Records `pin` for the vault at `root` if it is newer than what is kept. Best effort:
    /// a machine that cannot write its pins still verifies against history.
    pub fn advance(&self, root: &Path, pin: &Pin) {
        if self
            .get(root, &pin.env)
            .is_some_and(|p| p.epoch >= pin.epoch)
        {
            return;
        }
        self.set(root, &pin.env, Some(pin));
    }

    /// Replaces (or with `None`, forgets) the pin for `env` of the vault at `root`: for a
    /// vault just created there, or on the user's explicit `vault pin --forget`.
    pub fn set(&self, root: &Path, env: &str, pin: Option<&Pin>) {
        let root = key(root);
        // One line per pin: a root with a line break could forge another root's line.
        if root.chars().any(char::is_control) {
            return;
        }
        let mut lines: Vec<String> = self
            .lines()
            .into_iter()
            .filter(|(p, r)| !(*r == root && p.env == env))
            .map(|(p, r)| format!("{p} {r}"))
            .collect();
        if let Some(pin) = pin {
            lines.push(format!("{pin} {root}"));
        }
        let mut text = String::from(
            "# The newest write key vault has verified for each environment, like ssh's known_hosts.\n\
             # A version that does not descend from the key here is refused. Written by vault.\n",
        );
        for line in lines {
            text.push_str(&line);
            text.push('\n');
        }
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = atomic::write(&self.path, text.as_bytes(), 0o600);
    }
}

fn key(root: &Path) -> String {
    root.canonicalize()
        .unwrap_or_else(|_| root.to_owned())
        .to_string_lossy()
        .into_owned()
}
