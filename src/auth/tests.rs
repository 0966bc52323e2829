use super::*;
use proptest::prelude::*;

const COVERED: Covered<'static> = Covered {
    stanzas: b"-> X25519 abc\nbody\n",
    payload: b"nonce and chunks",
};

fn signed(env: &str, chain: &Chain, key: &WriteKey, seq: u64) -> Stanza {
    let unsigned = Unsigned {
        env: env.to_owned(),
        seq,
        chain: chain.clone(),
        recipients: vec!["age1b".into(), "age1a".into()],
    };
    let (tag, args, body) = unsigned.sign(key, COVERED);
    assert_eq!(tag, STANZA_TAG);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Stanza::parse(&args, &body).unwrap()
}

#[test]
fn sign_verify_and_tamper() {
    let key = WriteKey::generate();
    let chain = Chain::genesis(key.public());
    let stanza = signed("prod", &chain, &key, 7);
    stanza.verify("prod", COVERED).unwrap();
    assert!(stanza.lists_recipients(&["age1a".into(), "age1b".into()]));
    assert!(stanza.lists("age1a") && !stanza.lists("age1c"));
    assert_eq!(
        stanza.verify("dev", COVERED),
        Err(AuthError::WrongEnvironment {
            found: "prod".into()
        })
    );
    let other = Covered {
        payload: b"nonce and chunkz",
        ..COVERED
    };
    assert_eq!(stanza.verify("prod", other), Err(AuthError::BadSignature));
    let other = Covered {
        stanzas: b"-> X25519 abd\nbody\n",
        ..COVERED
    };
    assert_eq!(stanza.verify("prod", other), Err(AuthError::BadSignature));
    let mut replayed = stanza.clone();
    replayed.seq = 8;
    assert_eq!(
        replayed.verify("prod", COVERED),
        Err(AuthError::BadSignature)
    );
}

#[test]
fn rotation_chain_and_anchors() {
    let k1 = WriteKey::generate();
    let k2 = WriteKey::generate();
    let k3 = WriteKey::generate();
    let c1 = Chain::genesis(k1.public());
    let c2 = c1.rotated("prod", &k1, &k2);
    let c3 = c2.rotated("prod", &k2, &k3);
    let s3 = signed("prod", &c3, &k3, 3);
    s3.verify("prod", COVERED).unwrap();
    let pin1 = signed("prod", &c1, &k1, 1).pin();
    s3.anchored(&pin1).unwrap();
    let s1 = signed("prod", &c1, &k1, 1);
    assert_eq!(
        s1.anchored(&s3.pin()),
        Err(AuthError::Rollback {
            found: 1,
            trusted: 3
        })
    );
    assert!(c3.extends(&c1) && !c1.extends(&c3) && c1.compatible(&c3));
    // A removed member who knew k1 forks the chain at epoch 2.
    let mallory = WriteKey::generate();
    let fork = c1.rotated("prod", &k1, &mallory);
    assert!(!fork.compatible(&c3));
    let forged = signed("prod", &fork, &mallory, 9);
    forged.verify("prod", COVERED).unwrap();
    assert!(matches!(
        forged.anchored(&signed("prod", &c2, &k2, 2).pin()),
        Err(AuthError::ForeignChain { .. })
    ));
    // A hand-over signed for another environment does not verify here.
    let mut spliced = c1.rotated("dev", &k1, &k2);
    assert_eq!(
        spliced.verify_links("prod"),
        Err(AuthError::BadLink { epoch: 2 })
    );
    spliced.links.clear();
    spliced.keys.truncate(1);
    spliced.verify_links("prod").unwrap();
}

#[test]
fn write_key_text_round_trip() {
    let key = WriteKey::generate();
    let again = WriteKey::from_text(&key.to_text()).unwrap();
    assert_eq!(key.public(), again.public());
    assert!(WriteKey::from_text("short").is_err());
    assert!(!format!("{key:?}").contains(key.to_text().as_str()));
}

#[test]
fn pins_parse_and_print() {
    let key = WriteKey::generate();
    let pin = Pin {
        env: "prod".into(),
        epoch: 3,
        key: key.public(),
    };
    let text = pin.to_string();
    assert_eq!(text.parse::<Pin>().unwrap(), pin);
    let identity =
        format!("# created: now\n# vault-pin {text}\nAGE-SECRET-KEY-1XYZ\n#vault-pin dev@0:xx\n");
    let (pins, invalid) = pins_in_identity(&identity);
    assert_eq!(pins, std::slice::from_ref(&pin));
    assert_eq!(invalid.len(), 1);
    let (pins, invalid) = pins_in_list(&format!(" {text},{text}\n"));
    assert_eq!(pins.len(), 2);
    assert!(invalid.is_empty());
    for bad in [
        "prod",
        "prod@1",
        "Prod@1:x",
        "prod@x:abc",
        "prod@1:!!",
        "prod@99999:AAAA",
    ] {
        assert!(bad.parse::<Pin>().is_err(), "{bad}");
    }
}

proptest! {
    #[test]
    fn stanza_parser_never_panics(
        args in proptest::collection::vec("[ -~]{0,12}", 0..6),
        body in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let _ = Stanza::parse(&args, &body);
    }

    #[test]
    fn pin_parser_never_panics_and_round_trips(text in "\\PC{0,80}") {
        if let Ok(pin) = text.parse::<Pin>() {
            prop_assert_eq!(pin.to_string().parse::<Pin>().unwrap(), pin);
        }
    }

    #[test]
    fn stanza_round_trips(epochs in 1usize..5, seq in any::<u64>(), recipients in proptest::collection::vec("age1[a-z0-9]{4,10}", 0..6)) {
        let mut keys = vec![WriteKey::generate()];
        let mut chain = Chain::genesis(keys[0].public());
        for _ in 1..epochs {
            let next = WriteKey::generate();
            chain = chain.rotated("dev", keys.last().unwrap(), &next);
            keys.push(next);
        }
        let unsigned = Unsigned { env: "dev".into(), seq, chain, recipients: recipients.clone() };
        let (_, args, body) = unsigned.sign(keys.last().unwrap(), COVERED);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let stanza = Stanza::parse(&args, &body).unwrap();
        stanza.verify("dev", COVERED).unwrap();
        prop_assert!(stanza.lists_recipients(&recipients));
        prop_assert_eq!(stanza.chain.epoch(), epochs as u64);
        // Any single flipped bit of the body is refused or fails verification.
        for i in [0, body.len() / 2, body.len() - 1] {
            let mut bad = body.clone();
            bad[i] ^= 1;
            if let Ok(parsed) = Stanza::parse(&args, &bad) {
                prop_assert!(parsed.verify("dev", COVERED).is_err());
            }
        }
    }
}
