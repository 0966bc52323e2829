//! Three-way merge of environment payloads at the key level, for git's merge driver.
//!
//! Changes to different secrets on two branches merge cleanly; the same change on both
//! sides merges; different changes to one secret become a [`Conflict`] stored in the
//! payload (still encrypted), which `vault edit` shows with both values. Pure: no I/O.

use std::collections::BTreeSet;

use crate::payload::{Conflict, Entry, Payload};

/// Merges `ours` and `theirs` against their common `base`. Returns the merged payload
/// (environment and recipients from `ours`) and whether it holds conflicts.
#[must_use]
pub fn merge(base: &Payload, ours: &Payload, theirs: &Payload) -> (Payload, bool) {
    let mut merged = Payload::new(&ours.environment);
    merged.recipients.clone_from(&ours.recipients);
    merged.conflicts = ours.conflicts.clone();
    merged.conflicts.extend(theirs.conflicts.clone());
    let names: BTreeSet<&String> = base
        .secrets
        .keys()
        .chain(ours.secrets.keys())
        .chain(theirs.secrets.keys())
        .collect();
    for name in names {
        let (o, a, b) = (
            base.secrets.get(name),
            ours.secrets.get(name),
            theirs.secrets.get(name),
        );
        let pick: Result<Option<&Entry>, ()> = if a == b || b == o {
            Ok(a)
        } else if a == o {
            Ok(b)
        } else {
            match (a, b) {
                // Both set the same value (say, both rotated to it): keep the later record.
                (Some(x), Some(y)) if x.value == y.value => {
                    Ok(Some(if y.rotated_at > x.rotated_at { y } else { x }))
                }
                _ => Err(()),
            }
        };
        match pick {
            Ok(Some(entry)) => {
                merged.secrets.insert(name.clone(), entry.clone());
            }
            Ok(None) => {}
            Err(()) => {
                // Keep a well-formed payload: ours stays in place until the conflict is resolved.
                if let Some(entry) = a.or(b) {
                    merged.secrets.insert(name.clone(), entry.clone());
                }
                merged.conflicts.insert(
                    name.clone(),
                    Conflict {
                        ours: a.map(|e| e.value.clone()),
                        theirs: b.map(|e| e.value.clone()),
                    },
                );
            }
        }
    }
    let conflicted = !merged.conflicts.is_empty();
    (merged, conflicted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use jiff::Timestamp;
    use proptest::prelude::*;

    fn payload(pairs: &[(&str, &str)]) -> Payload {
        let mut p = Payload::new("dev");
        for (k, v) in pairs {
            p.set(k, Secret::from(*v), Timestamp::UNIX_EPOCH).unwrap();
        }
        p
    }

    #[test]
    fn different_keys_merge_cleanly() {
        let base = payload(&[("A", "1"), ("B", "1")]);
        let ours = payload(&[("A", "2"), ("B", "1")]);
        let theirs = payload(&[("A", "1"), ("B", "2"), ("C", "3")]);
        let (merged, conflicted) = merge(&base, &ours, &theirs);
        assert!(!conflicted);
        let values: Vec<(&str, &str)> = merged
            .secrets
            .iter()
            .map(|(k, e)| (k.as_str(), e.value.expose()))
            .collect();
        assert_eq!(values, [("A", "2"), ("B", "2"), ("C", "3")]);
    }

    #[test]
    fn removal_against_unchanged_merges_and_clash_conflicts() {
        let base = payload(&[("A", "1"), ("B", "1")]);
        let ours = payload(&[("B", "1")]);
        let theirs = payload(&[("A", "1"), ("B", "3")]);
        let (merged, conflicted) = merge(&base, &ours, &theirs);
        assert!(!conflicted);
        assert!(!merged.secrets.contains_key("A"));
        let (merged, conflicted) = merge(
            &base,
            &payload(&[("A", "x"), ("B", "1")]),
            &payload(&[("A", "y"), ("B", "1")]),
        );
        assert!(conflicted);
        assert_eq!(merged.conflicts["A"].ours.as_ref().unwrap().expose(), "x");
        assert_eq!(merged.conflicts["A"].theirs.as_ref().unwrap().expose(), "y");
    }

    fn arb_payload() -> impl Strategy<Value = Payload> {
        proptest::collection::btree_map("[A-D]", "[a-c]", 0..4).prop_map(|m| {
            payload(
                &m.iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>(),
            )
        })
    }

    proptest! {
        #[test]
        fn merge_laws(o in arb_payload(), a in arb_payload(), b in arb_payload()) {
            // merge(o, a, a) = a; merge(o, o, b) = b; merge(o, a, o) = a
            prop_assert_eq!(merge(&o, &a, &a).0.secrets, a.secrets.clone());
            prop_assert_eq!(merge(&o, &o, &b).0.secrets, b.secrets.clone());
            prop_assert_eq!(merge(&o, &a, &o).0.secrets, a.secrets.clone());
            // Symmetry of conflict detection.
            prop_assert_eq!(merge(&o, &a, &b).1, merge(&o, &b, &a).1);
        }
    }
}
