//! age's hybrid post-quantum recipient type, `mlkem768x25519` (age 1.3, <https://c2sp.org/age>).
//!
//! A file key is wrapped with HPKE base mode (RFC 9180) over the MLKEM768-X25519 KEM (X-Wing,
//! KEM id 0x647a), HKDF-SHA256 and ChaCha20-Poly1305, `info` = the label below, empty `aad`.
//! Identities are a 32-byte X-Wing seed in Bech32 (`AGE-SECRET-KEY-PQ-1…`); recipients are the
//! 1,216-byte X-Wing public key (`age1pq1…`, about 1,960 characters, past Bech32's usual length
//! limit, which age lifts for this type).
//!
//! Everything below the stanza is the `hpke` crate's (which uses RustCrypto's `x-wing` and
//! `ml-kem`); this module only encodes keys and stanzas, so it can be swapped for the age
//! crate's own type when that lands (str4d/rage#632) without changing a file on disk.
//!
//! age refuses to mix post-quantum and classic recipients in one file: a classic stanza next
//! to a post-quantum one would let a future quantum attacker read the file anyway. Our
//! recipient returns age's `postquantum` label, so the age crate enforces the same rule.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use age::secrecy::ExposeSecret as _;
use age_core::format::{FileKey, Stanza};
use age_core::primitives::{bech32_decode, bech32_encode, hpke_open, hpke_seal};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use hpke::Kem as _;
use hpke::generic_array::typenum::{Sum, U32, U96, U192, U1024};
use hpke::{Deserializable, HpkeError, Serializable};
use kem::{Decapsulate as _, Encapsulate as _};
use zeroize::Zeroizing;

/// The stanza's first argument.
pub const STANZA_TAG: &str = "mlkem768x25519";
/// The label age gives post-quantum recipients; files may only mix recipients whose labels match.
pub const LABEL: &str = "postquantum";
const INFO: &[u8] = b"age-encryption.org/mlkem768x25519";
const RECIPIENT_HRP: bech32::Hrp = bech32::Hrp::parse_unchecked("age1pq");
const IDENTITY_HRP: bech32::Hrp = bech32::Hrp::parse_unchecked("AGE-SECRET-KEY-PQ-");
/// The recipient prefix, for telling a post-quantum key from a classic one by its text.
pub const RECIPIENT_PREFIX: &str = "age1pq1";
/// The identity prefix.
pub const IDENTITY_PREFIX: &str = "AGE-SECRET-KEY-PQ-1";

const SEED_BYTES: usize = x_wing::DECAPSULATION_KEY_SIZE;
const PUBLIC_BYTES: usize = x_wing::ENCAPSULATION_KEY_SIZE;
/// An ML-KEM-768 ciphertext (1,088 bytes) followed by an X25519 share (32 bytes).
const ENC_BYTES: usize = x_wing::CIPHERTEXT_SIZE;
const X25519_SHARE_BYTES: usize = 32;
/// A 16-byte file key sealed with ChaCha20-Poly1305.
const BODY_BYTES: usize = 16 + 16;
/// Longer than any valid key text; refused before Bech32 decoding does any work.
const MAX_KEY_TEXT: usize = 2048;

/// A hybrid post-quantum public key (`age1pq1…`).
#[derive(Clone)]
pub struct Recipient(PublicKey);

/// A hybrid post-quantum identity (`AGE-SECRET-KEY-PQ-1…`): the 32-byte X-Wing seed, wiped
/// on drop.
pub struct Identity(PrivateKey);

impl Recipient {
    fn encode(&self) -> String {
        bech32_encode(RECIPIENT_HRP, &self.0.0.as_bytes())
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.encode();
        write!(f, "pq::Recipient({}…)", &text[..24])
    }
}

/// Why a key text was refused. Key texts are never echoed (an identity is a secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not Bech32, a bad checksum, or mixed case.
    #[error("not valid Bech32 (a typo, a truncated copy, or mixed case)")]
    Encoding,
    /// The wrong prefix for what was asked for.
    #[error("the prefix is not `{0}`")]
    Prefix(&'static str),
    /// The decoded key has the wrong length or is not a valid X-Wing key.
    #[error("the key has the wrong length or is not a valid ML-KEM-768 + X25519 key")]
    Key,
}

fn decode(text: &str, hrp: bech32::Hrp, prefix: &'static str) -> Result<Vec<u8>, ParseError> {
    if text.len() > MAX_KEY_TEXT {
        return Err(ParseError::Key);
    }
    bech32_decode(
        text,
        |_| ParseError::Encoding,
        |found| {
            if found == hrp {
                Ok(())
            } else {
                Err(ParseError::Prefix(prefix))
            }
        },
        |_, bytes| Ok(bytes.collect::<Vec<u8>>()),
    )
}

impl FromStr for Recipient {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // age keys are canonical lower case; Bech32 also allows all upper case, which age
        // rejects for recipients, and so do we (one spelling per key keeps rosters comparable).
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(ParseError::Encoding);
        }
        let bytes = decode(text, RECIPIENT_HRP, RECIPIENT_PREFIX)?;
        PublicKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| ParseError::Key)
    }
}

impl Identity {
    /// A fresh identity from the operating system's random number generator.
    #[must_use]
    pub fn generate() -> Self {
        Self(PrivateKey(x_wing::DecapsulationKey::generate(
            &mut rand_core::OsRng,
        )))
    }

    /// The matching public key.
    #[must_use]
    pub fn to_public(&self) -> Recipient {
        Recipient(XWing::sk_to_pk(&self.0))
    }

    /// The identity in age's text form, upper case as `age-keygen -pq` writes it.
    #[must_use]
    pub fn to_text(&self) -> Zeroizing<String> {
        let lower = Zeroizing::new(bech32_encode(IDENTITY_HRP, self.0.0.as_bytes()));
        Zeroizing::new(lower.to_ascii_uppercase())
    }
}

impl FromStr for Identity {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bytes = Zeroizing::new(decode(text, IDENTITY_HRP, IDENTITY_PREFIX)?);
        PrivateKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| ParseError::Key)
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("pq::Identity(…)")
    }
}

impl age::Recipient for Recipient {
    fn wrap_file_key(
        &self,
        file_key: &FileKey,
    ) -> Result<(Vec<Stanza>, HashSet<String>), age::EncryptError> {
        let (enc, body) = hpke_seal::<XWing, _>(
            &self.0,
            INFO,
            file_key.expose_secret(),
            &mut rand_core::OsRng,
        );
        let stanza = Stanza {
            tag: STANZA_TAG.to_owned(),
            args: vec![STANDARD_NO_PAD.encode(enc.0.as_bytes())],
            body,
        };
        Ok((vec![stanza], HashSet::from([LABEL.to_owned()])))
    }
}

impl age::Identity for Identity {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        if stanza.tag != STANZA_TAG {
            return None;
        }
        // The format is checked strictly before any decryption (C2SP test vectors): exactly
        // one argument, canonical unpadded base64 (the decoder rejects stray trailing bits),
        // the exact lengths, no small-order X25519 share.
        let invalid = || Some(Err(age::DecryptError::InvalidHeader));
        let [arg] = stanza.args.as_slice() else {
            return invalid();
        };
        let Ok(enc) = STANDARD_NO_PAD.decode(arg) else {
            return invalid();
        };
        if stanza.body.len() != BODY_BYTES {
            return invalid();
        }
        let Ok(enc) = EncappedKey::from_bytes(&enc) else {
            return invalid();
        };
        if low_order_share(&enc.0.as_bytes()[ENC_BYTES - X25519_SHARE_BYTES..]) {
            return invalid();
        }
        // A failure to open means the stanza is someone else's: ML-KEM decapsulation never
        // fails (it rejects implicitly), so a wrong key only shows as a bad AEAD tag.
        let opened = Zeroizing::new(hpke_open::<XWing>(&enc, &self.0, INFO, &stanza.body).ok()?);
        let key: [u8; 16] = opened.as_slice().try_into().ok()?;
        Some(Ok(FileKey::new(Box::new(key))))
    }
}

/// Whether an X25519 share is of small order, so any X25519 with it yields the all-zero
/// shared secret, which age forbids (RFC 7748 §6.1). A clamped scalar is a multiple of the
/// cofactor 8, so multiplying by it sends exactly the small-order points (and, with
/// negligible probability, none other) to zero; the result is the same for the
/// recipient's own scalar, so this is the check age does, without reaching into the X-Wing
/// key's internals.
fn low_order_share(share: &[u8]) -> bool {
    let Ok(point) = <[u8; 32]>::try_from(share) else {
        return true;
    };
    let probe = x25519_dalek::x25519([0x42; 32], point);
    probe.iter().fold(0u8, |acc, b| acc | b) == 0
}

// X-Wing as a KEM of the `hpke` crate that age-core's HPKE is built on (KEM id 0x647a). Only
// encoding and length checks live here: the KEM is RustCrypto's `x-wing`, the key schedule and
// AEAD are `hpke`'s, exactly as age-core uses them for its own HPKE recipients.

/// `x-wing`'s KEM behind `hpke::Kem`.
struct XWing;

#[derive(Clone)]
struct PrivateKey(x_wing::DecapsulationKey);

#[derive(Clone, PartialEq)]
struct PublicKey(x_wing::EncapsulationKey);

#[derive(Clone)]
struct EncappedKey(x_wing::Ciphertext);

impl PartialEq for PrivateKey {
    fn eq(&self, other: &Self) -> bool {
        // Constant time: a seed comparison must not leak where two seeds differ.
        let a = self.0.as_bytes();
        let b = other.0.as_bytes();
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}
impl Eq for PrivateKey {}
impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("XWingPublicKey")
    }
}

impl Serializable for PrivateKey {
    type OutputSize = U32;
    fn write_exact(&self, buf: &mut [u8]) {
        buf.copy_from_slice(self.0.as_bytes());
    }
}

impl Deserializable for PrivateKey {
    fn from_bytes(encoded: &[u8]) -> Result<Self, HpkeError> {
        // Any 32 bytes are a valid X-Wing seed.
        let mut seed: [u8; SEED_BYTES] = encoded
            .try_into()
            .map_err(|_| HpkeError::IncorrectInputLength(SEED_BYTES, encoded.len()))?;
        let key = x_wing::DecapsulationKey::from(seed);
        zeroize::Zeroize::zeroize(&mut seed);
        Ok(Self(key))
    }
}

impl Serializable for PublicKey {
    type OutputSize = Sum<U1024, U192>;
    fn write_exact(&self, buf: &mut [u8]) {
        buf.copy_from_slice(&self.0.as_bytes());
    }
}

impl Deserializable for PublicKey {
    fn from_bytes(encoded: &[u8]) -> Result<Self, HpkeError> {
        let bytes: &[u8; PUBLIC_BYTES] = encoded
            .try_into()
            .map_err(|_| HpkeError::IncorrectInputLength(PUBLIC_BYTES, encoded.len()))?;
        let key = x_wing::EncapsulationKey::from(bytes);
        // FIPS 203's encapsulation-key check: every coefficient is below q, which holds
        // exactly when decoding and re-encoding gives the same bytes.
        if &key.as_bytes() != bytes {
            return Err(HpkeError::ValidationError);
        }
        Ok(Self(key))
    }
}

impl Serializable for EncappedKey {
    type OutputSize = Sum<U1024, U96>;
    fn write_exact(&self, buf: &mut [u8]) {
        buf.copy_from_slice(&self.0.as_bytes());
    }
}

impl Deserializable for EncappedKey {
    fn from_bytes(encoded: &[u8]) -> Result<Self, HpkeError> {
        let bytes: &[u8; ENC_BYTES] = encoded
            .try_into()
            .map_err(|_| HpkeError::IncorrectInputLength(ENC_BYTES, encoded.len()))?;
        Ok(Self(x_wing::Ciphertext::from(bytes)))
    }
}

impl hpke::Kem for XWing {
    type PublicKey = PublicKey;
    type PrivateKey = PrivateKey;
    type EncappedKey = EncappedKey;
    type NSecret = U32;
    const KEM_ID: u16 = 0x647a;

    fn sk_to_pk(sk: &PrivateKey) -> PublicKey {
        PublicKey(sk.0.encapsulation_key())
    }

    fn derive_keypair(_ikm: &[u8]) -> (PrivateKey, PublicKey) {
        // HPKE's DeriveKeyPair is for protocols that derive keys from shared material. age
        // identities are random seeds (`Identity::generate`), and age-core's HPKE calls only
        // `encap` and `decap`; an untested derivation would be worse than none.
        panic!("vault never derives X-Wing keys through HPKE's DeriveKeyPair")
    }

    fn decap(
        sk_recip: &PrivateKey,
        pk_sender_id: Option<&PublicKey>,
        encapped_key: &EncappedKey,
    ) -> Result<hpke::kem::SharedSecret<Self>, HpkeError> {
        if pk_sender_id.is_some() {
            return Err(HpkeError::DecapError);
        }
        let Ok(secret) = sk_recip.0.decapsulate(&encapped_key.0);
        let mut shared = hpke::kem::SharedSecret::<Self>::default();
        shared.0.copy_from_slice(&secret);
        Ok(shared)
    }

    fn encap<R: rand_core::CryptoRng + rand_core::RngCore>(
        pk_recip: &PublicKey,
        sender_id_keypair: Option<(&PrivateKey, &PublicKey)>,
        csprng: &mut R,
    ) -> Result<(hpke::kem::SharedSecret<Self>, EncappedKey), HpkeError> {
        if sender_id_keypair.is_some() {
            return Err(HpkeError::EncapError);
        }
        let Ok((ciphertext, secret)) = pk_recip.0.encapsulate(csprng);
        let mut shared = hpke::kem::SharedSecret::<Self>::default();
        shared.0.copy_from_slice(&secret);
        Ok((shared, EncappedKey(ciphertext)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::Identity as _;
    use age::Recipient as _;

    #[test]
    fn keys_round_trip_through_text() {
        let identity = Identity::generate();
        let text = identity.to_text();
        assert!(text.starts_with(IDENTITY_PREFIX));
        let again: Identity = text.parse().unwrap();
        assert_eq!(
            again.to_public().to_string(),
            identity.to_public().to_string()
        );
        let public = identity.to_public().to_string();
        assert!(public.starts_with(RECIPIENT_PREFIX));
        let parsed: Recipient = public.parse().unwrap();
        assert_eq!(parsed.to_string(), public);
        assert!(public.to_ascii_uppercase().parse::<Recipient>().is_err());
        assert_eq!(
            "age1qqqq".parse::<Recipient>().err(),
            Some(ParseError::Encoding)
        );
    }

    #[test]
    fn wrap_then_unwrap_and_strangers_do_not_match() {
        let identity = Identity::generate();
        let key = FileKey::new(Box::new([7u8; 16]));
        let (stanzas, labels) = identity.to_public().wrap_file_key(&key).unwrap();
        assert_eq!(labels, HashSet::from([LABEL.to_owned()]));
        let unwrapped = identity.unwrap_stanza(&stanzas[0]).unwrap().unwrap();
        assert_eq!(unwrapped.expose_secret(), &[7u8; 16]);
        assert!(Identity::generate().unwrap_stanza(&stanzas[0]).is_none());

        let copy = |s: &Stanza| Stanza {
            tag: s.tag.clone(),
            args: s.args.clone(),
            body: s.body.clone(),
        };
        let mut extra = copy(&stanzas[0]);
        extra.args.push("AAAA".to_owned());
        assert!(matches!(identity.unwrap_stanza(&extra), Some(Err(_))));
        let mut short = copy(&stanzas[0]);
        short.body.pop();
        assert!(matches!(identity.unwrap_stanza(&short), Some(Err(_))));
    }

    #[test]
    fn small_order_shares_are_refused() {
        assert!(low_order_share(&[0u8; 32]));
        let mut one = [0u8; 32];
        one[0] = 1;
        assert!(low_order_share(&one));
        // The X25519 base point has prime order.
        let mut base = [0u8; 32];
        base[0] = 9;
        assert!(!low_order_share(&base));
    }

    /// The C2SP age test vectors for this stanza type (tests/data/c2sp-age): each decrypts
    /// to exactly the outcome it names.
    #[test]
    fn c2sp_vectors() {
        use sha2::Digest as _;
        use std::io::Read as _;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/c2sp-age");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".md") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let split = bytes.windows(2).position(|w| w == b"\n\n").unwrap();
            let (head, file) = (
                std::str::from_utf8(&bytes[..split]).unwrap(),
                &bytes[split + 2..],
            );
            let field = |key: &str| {
                head.lines()
                    .filter_map(|l| l.strip_prefix(key))
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            };
            let expect = field("expect: ").remove(0);
            let mut identities: Vec<Box<dyn age::Identity>> = Vec::new();
            for text in field("identity: ") {
                if text.starts_with(IDENTITY_PREFIX) {
                    identities.push(Box::new(text.parse::<Identity>().unwrap()));
                } else {
                    identities.push(Box::new(text.parse::<age::x25519::Identity>().unwrap()));
                }
            }
            let armored = field("armored: ").first().is_some_and(|v| v == "yes");
            let outcome = (|| {
                let reader: Box<dyn std::io::Read> = if armored {
                    Box::new(age::armor::ArmoredReader::new(file))
                } else {
                    Box::new(file)
                };
                let decryptor = age::Decryptor::new(reader).map_err(|e| ("header", e))?;
                let mut stream = decryptor
                    .decrypt(identities.iter().map(|i| i.as_ref()))
                    .map_err(|e| ("decrypt", e))?;
                let mut out = Vec::new();
                stream
                    .read_to_end(&mut out)
                    .map_err(|e| ("payload", age::DecryptError::Io(e)))?;
                Ok::<_, (&str, age::DecryptError)>(out)
            })();
            let got = match &outcome {
                Ok(payload) => {
                    let digest = hex(&sha2::Sha256::digest(payload));
                    assert_eq!(field("payload: ")[0], digest, "{name}: payload");
                    "success"
                }
                Err((_, age::DecryptError::NoMatchingKeys)) => "no match",
                Err((_, age::DecryptError::InvalidMac)) => "HMAC failure",
                Err(("payload", _)) => "payload failure",
                Err(_) => "header failure",
            };
            assert_eq!(
                got,
                expect,
                "{name}: {:?}",
                outcome.err().map(|e| e.1.to_string())
            );
            seen += 1;
        }
        assert!(seen >= 19, "only {seen} vectors found");
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
