//! What the sandbox's generic ad platform (`ad_platform`) knows: the grants people gave,
//! and the codes and tokens of each.

use std::collections::HashMap;

/// One consent: its tokens share its fate.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub scope: String,
    pub revoked: bool,
}

#[derive(Debug, Default)]
pub(crate) struct PlatformStore {
    pub grants: Vec<Grant>,
    /// code → (grant, redirect URI, expiry)
    pub codes: HashMap<String, (usize, String, i64)>,
    /// refresh token → (grant, spent)
    pub refresh: HashMap<String, (usize, bool)>,
    /// access token → (grant, expiry)
    pub access: HashMap<String, (usize, i64)>,
}

impl PlatformStore {
    /// Revokes every grant (the person removed the app at the platform).
    pub fn revoke_all(&mut self) {
        for g in &mut self.grants {
            g.revoked = true;
        }
    }
}
