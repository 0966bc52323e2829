//! Terminal prompts: the CLI's implementation of [`PassphrasePrompt`].
//!
//! Prompts read from the controlling terminal (`/dev/tty`), never from stdin, so piped
//! input is never consumed by a prompt; without a terminal they refuse instead of hanging.

use std::io::IsTerminal;

use age::secrecy::SecretString;

use crate::identity::PassphrasePrompt;

/// Asks on the terminal when there is one.
#[derive(Debug, Clone, Copy)]
pub struct TerminalPrompt;

/// Whether a controlling terminal can be opened for prompts.
#[must_use]
pub fn has_terminal() -> bool {
    std::fs::File::open("/dev/tty").is_ok_and(|tty| tty.is_terminal())
}

impl PassphrasePrompt for TerminalPrompt {
    fn passphrase(&self, description: &str) -> Option<SecretString> {
        if !has_terminal() {
            return None;
        }
        rpassword::prompt_password(format!("{description}: "))
            .ok()
            .map(SecretString::from)
    }

    fn message(&self, text: &str) {
        crate::cli::render::note(text);
    }
}

/// Reads a hidden line from the terminal.
#[must_use]
pub fn hidden(prompt: &str) -> Option<zeroize::Zeroizing<String>> {
    if !has_terminal() {
        return None;
    }
    rpassword::prompt_password(prompt)
        .ok()
        .map(zeroize::Zeroizing::new)
}

/// Reads a visible line from the terminal (for confirmations).
#[must_use]
pub fn line(prompt: &str) -> Option<String> {
    use std::io::{BufRead, Write};
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    let mut writer = &tty;
    writer.write_all(prompt.as_bytes()).ok()?;
    writer.flush().ok()?;
    let mut answer = String::new();
    std::io::BufReader::new(&tty).read_line(&mut answer).ok()?;
    Some(answer)
}
