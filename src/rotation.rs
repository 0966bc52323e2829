//! Rotation with overlap: a new value while the old one stays available to programs as
//! `NAME_PREVIOUS` for a grace period (`vault rotate start`), and the end of it
//! (`vault rotate finish`), both pure changes to a payload; and where every secret stands
//! ([`status`], `vault rotate status`).

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::check;
use crate::identity::Identities;
use crate::payload::{Payload, PayloadError, Previous};
use crate::schema::Template;
use crate::secret::Secret;
use crate::store::{StoreError, Vault};

/// Why a rotation cannot be started or finished. None carries a value.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    /// The secret does not exist in the environment.
    #[error("`{name}` is not set in `{env}`")]
    NotSet {
        /// The environment.
        env: String,
        /// The secret.
        name: String,
    },
    /// The grace period is not a duration vault accepts.
    #[error(
        "`{text}` is not a grace period (use a number and m, h, d or w, e.g. 24h or 7d, at most a year)"
    )]
    InvalidGrace {
        /// The text given.
        text: String,
    },
    /// The new value cannot be stored.
    #[error(transparent)]
    Payload(#[from] PayloadError),
}

/// Parses a grace period: `30m`, `24h`, `7d`, `2w`, from one minute to a year.
///
/// # Errors
/// [`RotationError::InvalidGrace`].
pub fn parse_grace(text: &str) -> Result<SignedDuration, RotationError> {
    let invalid = || RotationError::InvalidGrace {
        text: text.to_owned(),
    };
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(invalid)?;
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().map_err(|_| invalid())?;
    let per_unit: i64 = match unit {
        "m" => 1,
        "h" => 60,
        "d" => 24 * 60,
        "w" => 7 * 24 * 60,
        _ => return Err(invalid()),
    };
    let minutes = number.checked_mul(per_unit).ok_or_else(invalid)?;
    if minutes <= 0 || minutes > 366 * 24 * 60 {
        return Err(invalid());
    }
    Ok(SignedDuration::from_mins(minutes))
}

/// Starts a rotation of `name` in `payload` (environment `env`) to `value`: the old value
/// stays available as `NAME_PREVIOUS` until `now + grace`. Returns the end of the grace
/// period, or `None` when `value` is already the current one (nothing changed: a rotation
/// needs a new value).
///
/// # Errors
/// The secret is not set, or the value cannot be stored.
pub fn start(
    payload: &mut Payload,
    env: &str,
    name: &str,
    value: Secret,
    now: Timestamp,
    grace: SignedDuration,
) -> Result<Option<Timestamp>, RotationError> {
    let old = payload
        .secrets
        .get(name)
        .map(|e| e.value.clone())
        .ok_or_else(|| RotationError::NotSet {
            env: env.to_owned(),
            name: name.to_owned(),
        })?;
    if !payload.set(name, value, now)? {
        return Ok(None);
    }
    let until = now.checked_add(grace).unwrap_or(Timestamp::MAX);
    if let Some(entry) = payload.secrets.get_mut(name) {
        entry.previous = Some(Previous { value: old, until });
    }
    Ok(Some(until))
}

/// Ends the rotation of `name`: `NAME_PREVIOUS` is dropped. Returns whether one was in
/// progress.
///
/// # Errors
/// The secret is not set.
pub fn finish(payload: &mut Payload, env: &str, name: &str) -> Result<bool, RotationError> {
    let entry = payload
        .secrets
        .get_mut(name)
        .ok_or_else(|| RotationError::NotSet {
            env: env.to_owned(),
            name: name.to_owned(),
        })?;
    Ok(entry.previous.take().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn start_keeps_the_old_value_until_the_end_of_grace_and_finish_drops_it() {
        let mut payload = Payload::new("dev");
        payload.set("DB", Secret::from("old"), now()).unwrap();
        let grace = parse_grace("2d").unwrap();
        let until = start(&mut payload, "dev", "DB", Secret::from("new"), now(), grace)
            .unwrap()
            .unwrap();
        assert_eq!(until, "2026-01-03T00:00:00Z".parse().unwrap());
        assert_eq!(
            payload.secrets["DB"]
                .previous
                .as_ref()
                .unwrap()
                .value
                .expose(),
            "old"
        );
        assert_eq!(
            start(&mut payload, "dev", "DB", Secret::from("new"), now(), grace).unwrap(),
            None
        );
        assert!(finish(&mut payload, "dev", "DB").unwrap());
        assert!(!finish(&mut payload, "dev", "DB").unwrap());
        assert!(matches!(
            finish(&mut payload, "dev", "NOPE"),
            Err(RotationError::NotSet { .. })
        ));
    }

    #[test]
    fn grace_periods() {
        assert_eq!(parse_grace("30m").unwrap(), SignedDuration::from_mins(30));
        assert_eq!(parse_grace("1w").unwrap(), SignedDuration::from_hours(168));
        for bad in ["", "0d", "10", "5y", "-1d", "53w", "99999999999999999999m"] {
            assert!(parse_grace(bad).is_err(), "{bad}");
        }
    }
}

/// One secret in [`status`]. Never a value.
#[derive(Debug, Clone, Serialize)]
pub struct SecretStatus {
    /// The environment.
    pub env: String,
    /// The secret's name.
    pub secret: String,
    /// When it last changed (RFC 3339).
    pub rotated_at: String,
    /// Whole days since then, at `as_of`.
    pub age_days: i64,
    /// The template's rotation period, if any.
    pub rotate_days: Option<u32>,
    /// When it is due (RFC 3339), if it has a period.
    pub due: Option<String>,
    /// Due at `as_of`.
    pub overdue: bool,
    /// Why it must be rotated, if marked.
    pub must_rotate: Option<String>,
    /// A rotation with overlap is running.
    pub rotation_in_progress: bool,
}

/// Where every secret of `envs` stands at `as_of`, most urgent first: must-rotate, then by
/// how soon (or how long ago) each is due.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// The secrets.
    pub secrets: Vec<SecretStatus>,
    /// Environments skipped because the identities cannot read them.
    pub not_readable: Vec<String>,
}

/// The rotation status of `envs`. With `skip_unreadable`, an environment the identities
/// cannot read is listed in [`Status::not_readable`] instead of failing the whole.
///
/// # Errors
/// An environment cannot be read (or, without `skip_unreadable`, is not readable by
/// `identities`).
pub fn status(
    vault: &Vault,
    template: Option<&Template>,
    identities: &Identities,
    envs: &[String],
    skip_unreadable: bool,
    as_of: Timestamp,
) -> Result<Status, StoreError> {
    let mut rows = Vec::new();
    let mut not_readable = Vec::new();
    for env in envs {
        let payload = match vault.decrypt(env, identities) {
            Ok(payload) => payload,
            Err(StoreError::NoAccess { .. }) if skip_unreadable => {
                not_readable.push(env.clone());
                continue;
            }
            Err(e) => return Err(e),
        };
        for (name, entry) in &payload.secrets {
            let days = template
                .and_then(|t| t.get(name))
                .and_then(|s| s.rotate_days);
            let due = days.map(|d| check::due(entry.rotated_at, d));
            let urgency = if entry.must_rotate.is_some() {
                i64::MIN
            } else {
                due.map_or(i64::MAX, |d| check::days_between(as_of, d))
            };
            rows.push((
                urgency,
                SecretStatus {
                    env: env.clone(),
                    secret: name.clone(),
                    rotated_at: entry.rotated_at.to_string(),
                    age_days: check::days_between(entry.rotated_at, as_of),
                    rotate_days: days,
                    due: due.map(|d| d.to_string()),
                    overdue: due.is_some_and(|d| as_of >= d),
                    must_rotate: entry.must_rotate.as_ref().map(|m| m.reason.clone()),
                    rotation_in_progress: entry.previous.is_some(),
                },
            ));
        }
    }
    rows.sort_by(|(ua, a), (ub, b)| {
        ua.cmp(ub)
            .then_with(|| a.env.cmp(&b.env))
            .then_with(|| a.secret.cmp(&b.secret))
    });
    Ok(Status {
        secrets: rows.into_iter().map(|(_, row)| row).collect(),
        not_readable,
    })
}
