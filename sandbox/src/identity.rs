//! What the sandbox's identity provider (`oidc`) knows: who signs in, and the codes and
//! tokens it gave.

use std::collections::HashMap;

use sha2::Digest;

/// Who signs in, as the consent page fills it in (a test or the demo's user may change it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub email: String,
    pub email_verified: bool,
}

impl Identity {
    /// A stable subject per address, as Google's `sub` is per account.
    pub fn subject(&self) -> String {
        let digest = sha2::Sha256::digest(self.email.to_ascii_lowercase().as_bytes());
        format!(
            "1{:0>20}",
            u128::from_be_bytes(digest[..16].try_into().unwrap_or_default()) % 10u128.pow(20)
        )
    }
}

/// The identity provider's records: who signs in, and codes and tokens it gave.
#[derive(Debug)]
pub(crate) struct IdpStore {
    pub identity: Identity,
    pub codes: HashMap<String, Grant>,
    pub tokens: HashMap<String, Identity>,
}

impl Default for IdpStore {
    fn default() -> Self {
        IdpStore {
            identity: Identity {
                email: "owner@demo.adsync.test".into(),
                email_verified: true,
            },
            codes: HashMap::new(),
            tokens: HashMap::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub client_id: String,
    pub redirect_uri: String,
    pub nonce: Option<String>,
    pub challenge: String,
    pub identity: Identity,
    pub expires: i64,
}
