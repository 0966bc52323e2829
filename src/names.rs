//! Validation of the names users type: environments, secrets and members.
//!
//! Names end up in file paths (`secrets/<env>.age`) and in process environments,
//! so they are checked in one place before anything else sees them.

/// Whether `name` is a valid environment name: `[a-z0-9][a-z0-9_-]*`, at most 64 bytes.
#[must_use]
pub fn is_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= 64
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Whether `name` is a valid secret name: an environment-variable name, `[A-Za-z_][A-Za-z0-9_]*`.
#[must_use]
pub fn is_secret_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= 256
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `name` is a valid member name: `[A-Za-z0-9][A-Za-z0-9._-]*`, at most 64 bytes.
#[must_use]
pub fn is_member_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= 64
        && bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        for ok in ["dev", "prod", "eu-west_1", "0"] {
            assert!(is_env_name(ok), "{ok}");
        }
        for bad in ["", "Prod", "-x", "../x", "a/b", "a.b", "dév"] {
            assert!(!is_env_name(bad), "{bad}");
        }
    }

    #[test]
    fn secret_names() {
        for ok in ["DATABASE_URL", "_x", "a1"] {
            assert!(is_secret_name(ok), "{ok}");
        }
        for bad in ["", "1A", "A-B", "A B", "A=B", "É"] {
            assert!(!is_secret_name(bad), "{bad}");
        }
    }

    #[test]
    fn member_names() {
        for ok in ["alice", "ci-prod", "bob.smith", "Bob"] {
            assert!(is_member_name(ok), "{ok}");
        }
        for bad in ["", "-x", "a b", "a/b", "ünï"] {
            assert!(!is_member_name(bad), "{bad}");
        }
    }
}
