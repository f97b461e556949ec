//! Tokens at rest: AES-256-GCM, a random 96-bit nonce per write, and a key id in every
//! ciphertext so old keys keep decrypting while `adsync admin rotate-key` re-encrypts.
//!
//! Stored form: `v1.<key id>.<base64(nonce || ciphertext+tag)>`.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::Secret;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("not a base64-encoded 32-byte key")]
    BadKey,
    #[error("stored secret is malformed")]
    Malformed,
    #[error("stored secret was encrypted with key {0}, which is not configured")]
    UnknownKey(String),
    #[error("stored secret does not decrypt with key {0} (wrong key or tampered data)")]
    Undecryptable(String),
}

struct DataKey {
    id: String,
    cipher: Aes256Gcm,
}

impl DataKey {
    fn from_base64(b64: &str) -> Result<Self, CryptoError> {
        let bytes = STANDARD.decode(b64.trim()).map_err(|_| CryptoError::BadKey)?;
        if bytes.len() != 32 {
            return Err(CryptoError::BadKey);
        }
        // The id is derived from the key, so it needs no separate configuration.
        let id = hex::encode(&Sha256::digest(&bytes)[..4]);
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes));
        Ok(Self { id, cipher })
    }
}

/// The current key (used for every write) and old keys (read only).
pub struct Keyring {
    current: DataKey,
    old: Vec<DataKey>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.id)
            .field("old", &self.old.iter().map(|k| k.id.as_str()).collect::<Vec<_>>())
            .finish()
    }
}

impl Keyring {
    /// `current` and each of `old` are base64 32-byte keys.
    pub fn new(current: &str, old: &[&str]) -> Result<Self, CryptoError> {
        Ok(Self {
            current: DataKey::from_base64(current)?,
            old: old.iter().map(|k| DataKey::from_base64(k)).collect::<Result<_, _>>()?,
        })
    }

    /// A fresh random key, base64 (what `adsync demo` writes to its data folder).
    pub fn generate_key() -> String {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        STANDARD.encode(key)
    }

    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    pub fn encrypt(&self, plaintext: &Secret<String>) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        // AES-GCM encryption of an in-memory buffer cannot fail for inputs under 64 GiB.
        let sealed = self
            .current
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.expose().as_bytes())
            .unwrap_or_default();
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        format!("v1.{}.{}", self.current.id, STANDARD.encode(blob))
    }

    pub fn decrypt(&self, stored: &str) -> Result<Secret<String>, CryptoError> {
        let mut parts = stored.splitn(3, '.');
        let (Some("v1"), Some(kid), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(CryptoError::Malformed);
        };
        let key = std::iter::once(&self.current)
            .chain(&self.old)
            .find(|k| k.id == kid)
            .ok_or_else(|| CryptoError::UnknownKey(kid.to_string()))?;
        let blob = STANDARD.decode(body).map_err(|_| CryptoError::Malformed)?;
        if blob.len() < 12 + 16 {
            return Err(CryptoError::Malformed);
        }
        let (nonce, sealed) = blob.split_at(12);
        let plain = key
            .cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| CryptoError::Undecryptable(kid.to_string()))?;
        String::from_utf8(plain)
            .map(Secret::new)
            .map_err(|_| CryptoError::Malformed)
    }

    /// True when `stored` was written with an old key and should be re-encrypted.
    pub fn needs_rotation(&self, stored: &str) -> bool {
        stored.split('.').nth(1) != Some(self.current.id.as_str())
    }
}

pub use adsync_graph::hmac_sha256_hex;

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Secret<String> {
        Secret::new("EAABtoken123".to_string())
    }

    #[test]
    fn round_trip_with_fresh_nonce_each_time() {
        let ring = Keyring::new(&Keyring::generate_key(), &[]).expect("key");
        let a = ring.encrypt(&token());
        let b = ring.encrypt(&token());
        assert_ne!(a, b, "nonce must differ per write");
        assert!(!a.contains("EAAB"));
        assert_eq!(ring.decrypt(&a).expect("decrypt").expose(), "EAABtoken123");
    }

    #[test]
    fn old_keys_decrypt_and_rotation_is_detected() {
        let old = Keyring::generate_key();
        let new = Keyring::generate_key();
        let stored = Keyring::new(&old, &[]).expect("old").encrypt(&token());
        let rotated = Keyring::new(&new, &[&old]).expect("ring");
        assert!(rotated.needs_rotation(&stored));
        assert_eq!(rotated.decrypt(&stored).expect("old key").expose(), "EAABtoken123");
        let again = rotated.encrypt(&token());
        assert!(!rotated.needs_rotation(&again));
        let only_new = Keyring::new(&new, &[]).expect("new");
        assert!(matches!(only_new.decrypt(&stored), Err(CryptoError::UnknownKey(_))));
    }

    #[test]
    fn tampering_and_garbage_are_errors_not_panics() {
        let ring = Keyring::new(&Keyring::generate_key(), &[]).expect("key");
        let mut stored = ring.encrypt(&token());
        let last = stored.pop().map(|c| if c == 'A' { 'B' } else { 'A' }).unwrap_or('A');
        stored.push(last);
        assert!(ring.decrypt(&stored).is_err());
        for junk in ["", "v1", "v1.x", "v2.a.b", "v1.zz.!!!", "v1.00000000.AAAA"] {
            assert!(ring.decrypt(junk).is_err(), "{junk}");
        }
        assert_eq!(Keyring::new("short", &[]).err(), Some(CryptoError::BadKey));
    }

    #[test]
    fn debug_shows_only_key_ids() {
        let key = Keyring::generate_key();
        let ring = Keyring::new(&key, &[]).expect("key");
        let dbg = format!("{ring:?}");
        assert!(!dbg.contains(&key));
        assert!(dbg.contains(ring.current_key_id()));
    }
}
