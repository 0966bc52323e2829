//! What the user hands a command besides its flags: a secret's value (argument, file,
//! hidden prompt or stdin), a text file, a date, a yes to a plan.

use std::io::{IsTerminal, Read};
use std::path::Path;

use jiff::Timestamp;

use crate::cli::error::Error;
use crate::cli::{prompt, render};
use crate::error::Error as VaultError;
use crate::secret::Secret;

/// Reads a secret's value: from the argument (with a warning), a file, a hidden prompt on
/// a terminal, or stdin (dropping one trailing newline).
pub(crate) fn read_value(
    value: Option<&str>,
    from_file: Option<&Path>,
    key: &str,
    env: &str,
) -> Result<Secret, Error> {
    if let Some(value) = value {
        render::warn(
            "a value on the command line can end up in shell history and `ps`; omit it to be prompted or to read stdin",
        );
        return Ok(Secret::from(value));
    }
    let bytes = if let Some(path) = from_file {
        zeroize::Zeroizing::new(std::fs::read(path).map_err(|source| VaultError::Io {
            action: "read",
            path: path.to_owned(),
            source,
        })?)
    } else if std::io::stdin().is_terminal() {
        // Like passwd: typed twice, since nobody can see a typo, and never empty.
        let no_value = || Error::NoValue {
            name: key.to_owned(),
        };
        let line =
            prompt::hidden(&format!("Value for {key} in {env} (hidden): ")).ok_or_else(no_value)?;
        if line.is_empty() {
            return Err(no_value());
        }
        let again = prompt::hidden(&format!("Again, to confirm {key}: ")).ok_or_else(no_value)?;
        if *again != *line {
            return Err(Error::ValuesDiffer {
                name: key.to_owned(),
            });
        }
        zeroize::Zeroizing::new(line.as_bytes().to_vec())
    } else {
        let mut buffer = zeroize::Zeroizing::new(Vec::new());
        std::io::stdin()
            .read_to_end(&mut buffer)
            .map_err(|source| VaultError::Io {
                action: "read",
                path: "stdin".into(),
                source,
            })?;
        if buffer.is_empty() {
            // An empty pipe is almost always a mistake (a variable that was not set).
            return Err(Error::NoValue {
                name: key.to_owned(),
            });
        }
        // `echo value | vault set` adds a newline nobody meant to store.
        if buffer.ends_with(b"\n") {
            buffer.pop();
            if buffer.ends_with(b"\r") {
                buffer.pop();
            }
        }
        buffer
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| Error::ValueNotUtf8 {
        name: key.to_owned(),
    })?;
    Ok(Secret::from(text))
}

/// Asks before a plan is applied; refuses without a terminal (`--yes` is the way there).
pub(crate) fn confirm() -> Result<(), Error> {
    if !prompt::has_terminal() {
        return Err(Error::ConfirmationRequired);
    }
    match prompt::line("Apply this plan? [y/N] ") {
        Some(answer) if matches!(answer.trim(), "y" | "Y" | "yes") => Ok(()),
        _ => Err(Error::Declined),
    }
}

/// Parses `--as-of`: a date (midnight UTC) or an RFC 3339 timestamp.
pub(crate) fn as_of(value: Option<&str>) -> Result<Timestamp, Error> {
    let Some(text) = value else {
        return Ok(Timestamp::now());
    };
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| Error::InvalidDate {
            text: text.to_owned(),
        })
}

/// A whole text file (`-`: stdin), zeroized when dropped.
pub(crate) fn read_text(path: &Path) -> Result<zeroize::Zeroizing<String>, VaultError> {
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    let result = if path == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes).map(drop)
    } else {
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map(drop)
    };
    result.map_err(|source| VaultError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    })?;
    std::str::from_utf8(&bytes)
        .map(|s| zeroize::Zeroizing::new(s.to_owned()))
        .map_err(|_| VaultError::Io {
            action: "read",
            path: path.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the file is not UTF-8 text",
            ),
        })
}
