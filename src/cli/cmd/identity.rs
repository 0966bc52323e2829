//! `vault identity new` and `vault identity show`.

use std::io::Write;
use std::path::Path;

use age::secrecy::SecretString;

use crate::cli::args::{IdentityCommand, IdentityNewArgs};
use crate::cli::error::Error;
use crate::cli::{Context, Outcome, prompt, render, stdout_error};
use crate::identity::{self, IdentityError};
use crate::store::atomic;

/// Dispatches `vault identity …`.
pub fn run(
    context: &Context,
    command: &IdentityCommand,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    match command {
        IdentityCommand::New(args) => new(context, args, out),
        IdentityCommand::Show => show(context, out),
    }
}

fn new(context: &Context, args: &IdentityNewArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let passphrase = if args.passphrase {
        Some(ask_new_passphrase()?)
    } else {
        None
    };
    let now = jiff::Timestamp::now();
    let created = if args.pq {
        identity::generate_post_quantum(now)
    } else {
        identity::generate(now)
    };
    let bytes = identity::protect(&created, passphrase).map_err(|_| Error::Passphrase {
        reason: "could not encrypt the identity with the passphrase",
    })?;
    match args.output.as_deref() {
        Some(path) if path == Path::new("-") => {
            out.write_all(&bytes).map_err(stdout_error)?;
        }
        target => {
            let path = match target {
                Some(path) => path.to_owned(),
                None => context
                    .lookup()
                    .default_file()
                    .ok_or(IdentityError::NotFound {
                        searched: Vec::new(),
                    })?,
            };
            if args.pq && !args.passphrase && path.exists() {
                add_to_identity(&path, &created)?;
                render::note(&format!(
                    "added a post-quantum key to {}; your other keys stay, so you still read environments sealed to them",
                    path.display()
                ));
            } else {
                write_identity(&path, &bytes)?;
                render::note(&format!("created {}", path.display()));
            }
            writeln!(out, "{}", created.public).map_err(stdout_error)?;
        }
    }
    Ok(Outcome::Success)
}

/// Writes a new identity file (0600, in a 0700 directory), refusing to overwrite one.
pub(crate) fn write_identity(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let write_err = |error| IdentityError::Write {
        path: path.to_owned(),
        error,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(write_err)?;
    }
    atomic::create_new(path, bytes, 0o600).map_err(|error| {
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            IdentityError::AlreadyExists {
                path: path.to_owned(),
            }
        } else {
            write_err(error)
        }
    })?;
    Ok(())
}

use std::os::unix::fs::DirBuilderExt;

/// Adds a post-quantum key to an existing plain identity file (atomically, still 0600): a
/// team moves environments to post-quantum keys one at a time, and until the last one moves
/// its members need both keys.
fn add_to_identity(path: &Path, created: &identity::NewIdentity) -> Result<(), Error> {
    let source = identity::Source::Flag(path.to_owned());
    let invalid = |reason: &str| IdentityError::Invalid {
        source_: source.clone(),
        reason: reason.to_owned(),
    };
    let existing = zeroize::Zeroizing::new(std::fs::read(path).map_err(|error| {
        IdentityError::Unreadable {
            source_: source.clone(),
            error,
        }
    })?);
    let text = std::str::from_utf8(&existing).map_err(|_| {
        invalid(
            "it is passphrase-protected or not text; write the new key elsewhere with `-o FILE`",
        )
    })?;
    let current = identity::Identities::from_text(text).map_err(|_| {
        invalid("it is not a plain age identity file; write the new key elsewhere with `-o FILE`")
    })?;
    if current
        .public_keys()
        .iter()
        .any(|k| k.starts_with(crate::pq::RECIPIENT_PREFIX))
    {
        return Err(invalid("it already holds a post-quantum key (`vault identity show`)").into());
    }
    let mut combined = zeroize::Zeroizing::new(text.trim_end().to_owned());
    combined.push('\n');
    combined.push_str(&created.text);
    atomic::write(path, combined.as_bytes(), 0o600).map_err(|error| IdentityError::Write {
        path: path.to_owned(),
        error,
    })?;
    Ok(())
}

fn ask_new_passphrase() -> Result<SecretString, Error> {
    let first = prompt::hidden("New passphrase: ").ok_or(Error::Passphrase {
        reason: "--passphrase needs a terminal to ask for the passphrase",
    })?;
    if first.is_empty() {
        return Err(Error::Passphrase {
            reason: "the passphrase is empty",
        });
    }
    let second = prompt::hidden("Repeat the passphrase: ").ok_or(Error::Passphrase {
        reason: "--passphrase needs a terminal to ask for the passphrase",
    })?;
    if *first != *second {
        return Err(Error::Passphrase {
            reason: "the passphrases do not match",
        });
    }
    Ok(SecretString::from(first.to_string()))
}

fn show(context: &Context, out: &mut dyn Write) -> Result<Outcome, Error> {
    let identities = context.identities()?;
    let keys = identities.public_keys();
    if keys.is_empty() {
        render::warn(
            "the public key of an SSH identity is read from its `.pub` file beside it, and there is none",
        );
    }
    for key in keys {
        writeln!(out, "{key}").map_err(stdout_error)?;
    }
    Ok(Outcome::Success)
}
