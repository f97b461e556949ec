//! The sandbox's OAuth records: its one user, the grants they gave, authorization codes and
//! tokens with their expiry and revocation.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(crate) const CODE_TTL: Duration = Duration::from_secs(600);

#[derive(Clone, Debug)]
pub(crate) struct User {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Grant {
    pub granted: Vec<String>,
    pub declined: Vec<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct TokenInfo {
    pub user_id: String,
    pub issued_at: SystemTime,
    pub expires_at: SystemTime,
    /// 190 subcode once revoked (458, 460, 467).
    pub revoked: Option<u32>,
}

#[derive(Clone, Debug)]
pub(crate) struct CodeInfo {
    pub user_id: String,
    pub redirect_uri: String,
    pub created: SystemTime,
    pub used: bool,
}

#[derive(Debug)]
pub(crate) struct OAuthStore {
    pub user: User,
    pub grants: HashMap<String, Grant>,
    pub tokens: HashMap<String, TokenInfo>,
    pub codes: HashMap<String, CodeInfo>,
    pub decline_ads_read: bool,
}

impl Default for OAuthStore {
    fn default() -> Self {
        Self {
            user: User {
                id: "10000000000000001".into(),
                name: "Sandra Sandbox".into(),
            },
            grants: HashMap::new(),
            tokens: HashMap::new(),
            codes: HashMap::new(),
            decline_ads_read: false,
        }
    }
}

impl OAuthStore {
    /// Revokes every token of a user with a 190 subcode.
    pub fn revoke_user(&mut self, user_id: &str, subcode: u32) {
        for t in self.tokens.values_mut().filter(|t| t.user_id == user_id) {
            t.revoked = Some(subcode);
        }
    }
    pub fn expire_user(&mut self, user_id: &str) {
        let past = SystemTime::now() - Duration::from_secs(1);
        for t in self.tokens.values_mut().filter(|t| t.user_id == user_id) {
            t.expires_at = past;
        }
    }
}

pub(crate) fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
