//! A minimal age plugin, `vaulttest`, so the tests can exercise plugin recipients
//! (`age1vaulttest1…`) and identities (`AGE-PLUGIN-VAULTTEST-1…`) the way a YubiKey or
//! TPM plugin is used, without the hardware.
//!
//! It wraps file keys with age's own X25519 recipient: the plugin recipient holds an X25519
//! public key and the plugin identity the matching secret key. The plugin protocol is
//! `age-plugin`'s and the cryptography `age`'s; nothing here is new.
//!
//!     cargo build --example age-plugin-vaulttest
//!     target/debug/examples/age-plugin-vaulttest --generate    # identity + recipient
//!
//! It refuses to wrap when `VAULTTEST_REFUSE` is set, so tests can see a plugin failure.

use std::collections::{HashMap, HashSet};
use std::io;
use std::str::FromStr;

use age_core::format::{FileKey, Stanza};
use age_core::secrecy::ExposeSecret;
use age_plugin::identity::{self, IdentityPluginV1};
use age_plugin::recipient::{self, RecipientPluginV1};
use age_plugin::{Callbacks, PluginHandler, print_new_identity, run_state_machine};

const NAME: &str = "vaulttest";

fn bech32_bytes(text: &str) -> Vec<u8> {
    let (_, data) = bech32::decode(text).expect("age encodes keys in Bech32");
    data
}

fn x25519_recipient(bytes: &[u8]) -> Option<age::x25519::Recipient> {
    let text = bech32::encode::<bech32::Bech32>(bech32::Hrp::parse("age").ok()?, bytes).ok()?;
    age::x25519::Recipient::from_str(&text).ok()
}

fn x25519_identity(bytes: &[u8]) -> Option<age::x25519::Identity> {
    let hrp = bech32::Hrp::parse("age-secret-key-").ok()?;
    let text = bech32::encode::<bech32::Bech32>(hrp, bytes).ok()?;
    age::x25519::Identity::from_str(&text.to_uppercase()).ok()
}

#[derive(Default)]
struct Plugin {
    recipients: Vec<age::x25519::Recipient>,
    identities: Vec<age::x25519::Identity>,
}

impl RecipientPluginV1 for Plugin {
    fn add_recipient(
        &mut self,
        index: usize,
        plugin: &str,
        bytes: &[u8],
    ) -> Result<(), recipient::Error> {
        match x25519_recipient(bytes).filter(|_| plugin == NAME) {
            Some(r) => {
                self.recipients.push(r);
                Ok(())
            }
            None => Err(recipient::Error::Recipient {
                index,
                message: "not a vaulttest recipient".to_owned(),
            }),
        }
    }

    fn add_identity(&mut self, index: usize, _: &str, _: &[u8]) -> Result<(), recipient::Error> {
        Err(recipient::Error::Identity {
            index,
            message: "encrypting to identities is not supported".to_owned(),
        })
    }

    fn labels(&mut self) -> HashSet<String> {
        HashSet::new()
    }

    fn wrap_file_keys(
        &mut self,
        file_keys: Vec<FileKey>,
        _callbacks: impl Callbacks<recipient::Error>,
    ) -> io::Result<Result<Vec<Vec<Stanza>>, Vec<recipient::Error>>> {
        if std::env::var_os("VAULTTEST_REFUSE").is_some() {
            return Ok(Err(vec![recipient::Error::Internal {
                message: "refusing to wrap (VAULTTEST_REFUSE is set)".to_owned(),
            }]));
        }
        let mut out = Vec::with_capacity(file_keys.len());
        for file_key in file_keys {
            let mut stanzas = Vec::new();
            for r in &self.recipients {
                let (wrapped, _labels) = age::Recipient::wrap_file_key(r, &file_key)
                    .map_err(|e| io::Error::other(e.to_string()))?;
                stanzas.extend(wrapped);
            }
            out.push(stanzas);
        }
        Ok(Ok(out))
    }
}

impl IdentityPluginV1 for Plugin {
    fn add_identity(
        &mut self,
        index: usize,
        plugin: &str,
        bytes: &[u8],
    ) -> Result<(), identity::Error> {
        match x25519_identity(bytes).filter(|_| plugin == NAME) {
            Some(i) => {
                self.identities.push(i);
                Ok(())
            }
            None => Err(identity::Error::Identity {
                index,
                message: "not a vaulttest identity".to_owned(),
            }),
        }
    }

    fn unwrap_file_keys(
        &mut self,
        files: Vec<Vec<Stanza>>,
        _callbacks: impl Callbacks<identity::Error>,
    ) -> io::Result<HashMap<usize, Result<FileKey, Vec<identity::Error>>>> {
        let mut keys = HashMap::new();
        for (index, stanzas) in files.iter().enumerate() {
            'stanzas: for stanza in stanzas {
                for id in &self.identities {
                    if let Some(Ok(key)) = age::Identity::unwrap_stanza(id, stanza) {
                        keys.insert(index, Ok(key));
                        break 'stanzas;
                    }
                }
            }
        }
        Ok(keys)
    }
}

struct Handler;

impl PluginHandler for Handler {
    type RecipientV1 = Plugin;
    type IdentityV1 = Plugin;

    fn recipient_v1(self) -> io::Result<Plugin> {
        Ok(Plugin::default())
    }

    fn identity_v1(self) -> io::Result<Plugin> {
        Ok(Plugin::default())
    }
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(machine) = args.iter().find_map(|a| a.strip_prefix("--age-plugin=")) {
        return run_state_machine(machine, Handler);
    }
    if args.iter().any(|a| a == "--generate") {
        let identity = age::x25519::Identity::generate();
        let secret = bech32_bytes(identity.to_string().expose_secret());
        let public = bech32_bytes(&identity.to_public().to_string());
        print_new_identity(NAME, &secret, &public);
        return Ok(());
    }
    eprintln!("usage: age-plugin-vaulttest --generate | --age-plugin=STATE_MACHINE");
    std::process::exit(2);
}
