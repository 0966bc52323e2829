//! vault: a git-native encrypted secrets vault.
//!
//! Each environment's secrets live in `secrets/<env>.age`, age-encrypted to the public
//! keys of the members allowed to read that environment (listed in `.vault.toml`).
//! This crate is the library behind the `vault` binary: every module returns typed
//! errors and none prints, prompts or exits; the `cli` module is the only layer that
//! talks to people.
//!
//! ```
//! use vault::{auth, crypto, identity, payload::Payload, secret::Secret};
//!
//! let key = identity::generate(jiff::Timestamp::now());
//! let mut payload = Payload::new("dev");
//! // Every payload carries its environment's write key (see `auth`): only readers see it.
//! payload.write_key = Some(Secret::new(auth::WriteKey::generate().to_text().to_string()));
//! payload.set("DATABASE_URL", Secret::from("postgres://localhost/app"), jiff::Timestamp::now())?;
//! let recipient: crypto::Recipient = key.public.parse()?;
//! let ciphertext = crypto::encrypt(payload.to_toml().as_bytes(), &[recipient])?;
//! let identities = identity::Identities::from_text(&key.text)?;
//! let plaintext = crypto::decrypt(&ciphertext, identities.as_age())?;
//! assert_eq!(Payload::parse(&plaintext)?, payload);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod audit;
pub mod auth;
pub mod check;
pub mod cli;
pub mod codegen;
pub mod config;
pub mod crypto;
pub mod dotenv;
pub mod edit;
pub mod error;
pub mod exec;
pub mod export;
pub mod faults;
pub mod git;
pub mod harden;
pub mod hooks;
pub mod identity;
pub mod mask;
pub mod members;
pub mod merge;
pub mod names;
pub mod payload;
pub mod placeholders;
pub mod pool;
pub mod pq;
pub mod rotation;
pub mod scan;
pub mod schema;
pub mod secret;
pub mod secret_file;
pub mod store;
pub mod supervise;
pub mod sync;
pub mod untrusted;

pub use error::Error;
