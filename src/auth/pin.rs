//! Pins: trusted write keys as text (`<env>@<epoch>:<key>`), in identities and lists.

use super::*;

/// A trusted write key: `<env>@<epoch>:<key>`, like a `known_hosts` line. Kept by members
/// on their machines (advanced to the newest key seen) and carried by machine identities
/// (a deploy key's `# vault-pin …` comment), so a checkout without history still verifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The environment.
    pub env: String,
    /// The epoch of `key`.
    pub epoch: u64,
    /// The trusted public key.
    pub key: PublicKey,
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}:{}", self.env, self.epoch, self.key)
    }
}

/// Why a pin does not parse. Pins are public, so the text may be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a vault pin (expected ENV@EPOCH:KEY, as `vault pin` prints)")]
pub struct InvalidPin {
    /// The rejected text, shortened.
    pub text: String,
}

impl std::str::FromStr for Pin {
    type Err = InvalidPin;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidPin {
            text: text.chars().take(80).collect(),
        };
        let (env, rest) = text.trim().split_once('@').ok_or_else(invalid)?;
        let (epoch, key) = rest.split_once(':').ok_or_else(invalid)?;
        if !crate::names::is_env_name(env)
            || epoch.is_empty()
            || epoch.len() > 20
            || !epoch.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid());
        }
        let epoch: u64 = epoch.parse().map_err(|_| invalid())?;
        if epoch == 0 || epoch > MAX_EPOCHS {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(key).map_err(|_| invalid())?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| invalid())?;
        Ok(Self {
            env: env.to_owned(),
            epoch,
            key: PublicKey(key),
        })
    }
}

/// Pins found in text: each whitespace- or comma-separated token of `VAULT_PIN`, and each
/// `# vault-pin TOKEN` comment of an identity file. Returns the pins and the tokens that
/// did not parse.
#[must_use]
pub fn pins_in_identity(text: &str) -> (Vec<Pin>, Vec<InvalidPin>) {
    let tokens = text.lines().filter_map(|line| {
        line.trim()
            .strip_prefix('#')
            .map(str::trim_start)
            .and_then(|rest| rest.strip_prefix("vault-pin"))
            .map(str::trim)
    });
    parse_tokens(tokens)
}

/// Pins in a `VAULT_PIN` value: tokens separated by whitespace or commas.
#[must_use]
pub fn pins_in_list(text: &str) -> (Vec<Pin>, Vec<InvalidPin>) {
    parse_tokens(
        text.split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty()),
    )
}

fn parse_tokens<'a>(tokens: impl Iterator<Item = &'a str>) -> (Vec<Pin>, Vec<InvalidPin>) {
    let mut pins = Vec::new();
    let mut invalid = Vec::new();
    for token in tokens {
        match token.parse() {
            Ok(pin) => pins.push(pin),
            Err(e) => invalid.push(e),
        }
    }
    (pins, invalid)
}
