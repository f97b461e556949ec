//! Password hashing (argon2id) and random bearer secrets (sessions, API tokens).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::Secret;

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes with argon2id and a random salt. CPU-heavy: call from a blocking task.
pub fn hash_password(password: &Secret<String>) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// The stored "hash" of a user who has no password (created by signing in with a provider):
/// no PHC string parses as it, so no password matches it.
pub const NO_PASSWORD: &str = "!";

/// Verifies against a stored PHC string. With `None` (or [`NO_PASSWORD`]) it verifies against
/// a fixed dummy hash and returns false, so an unknown e-mail, or a user without a password,
/// costs the same time as a wrong password.
pub fn verify_password(password: &Secret<String>, stored: Option<&str>) -> bool {
    const DUMMY: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2cS3F8Rk0pVdRk4tqf7r1C3rCjW4nOYQw8sW8kC4mB0";
    let (phc, real) = match stored {
        Some(s) if s != NO_PASSWORD => (s, true),
        _ => (DUMMY, false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(password.expose().as_bytes(), &parsed)
        .is_ok();
    ok && real
}

/// The rule for a new password: 8 to 1,024 characters (the upper bound caps the cost of
/// hashing what a form sends).
pub fn check_new_password(password: &Secret<String>) -> Result<(), &'static str> {
    match password.expose().chars().count() {
        0..8 => Err("The password must have at least 8 characters."),
        1025.. => Err("The password must have at most 1,024 characters."),
        _ => Ok(()),
    }
}

/// A new random bearer secret with a readable prefix, e.g. `ads_3q...`.
pub fn new_bearer_secret(prefix: &str) -> Secret<String> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    Secret::new(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// What is stored for a bearer secret: its SHA-256, hex. The secret has 256 random bits,
/// so a fast hash is enough (no dictionary to resist) and lookups stay O(1).
pub fn bearer_digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let pw = Secret::new("correct horse".to_string());
        let h = hash_password(&pw).expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&pw, Some(&h)));
        assert!(!verify_password(&Secret::new("wrong".into()), Some(&h)));
        assert!(!verify_password(&pw, None));
        assert!(!verify_password(&pw, Some("not a phc string")));
        assert!(!verify_password(&Secret::new(NO_PASSWORD.into()), Some(NO_PASSWORD)));
    }

    #[test]
    fn bearer_secrets_are_unique_and_digest_is_stable() {
        let a = new_bearer_secret("ads_");
        let b = new_bearer_secret("ads_");
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with("ads_"));
        assert_eq!(bearer_digest("x"), bearer_digest("x"));
        assert_eq!(bearer_digest("x").len(), 64);
    }
}
