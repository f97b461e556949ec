//! `appsecret_proof`: `hex(HMAC_SHA256(key = app_secret, msg = access_token))`, sent with
//! every call that carries a token so an app can require it ("Require App Secret").

/// The proof for `token` under `app_secret`, as lowercase hex (64 characters).
pub fn appsecret_proof(app_secret: &str, token: &str) -> String {
    hmac_sha256_hex(app_secret.as_bytes(), token.as_bytes())
}

/// `hex(HMAC_SHA256(key, message))`, lowercase (64 characters). The one implementation:
/// `adsync_common::crypto` re-exports it for webhook signatures.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    // HMAC accepts keys of any length, so this never fails.
    let Ok(mut mac) = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_known_hmac_sha256() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            appsecret_proof("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn depends_on_both_inputs() {
        let p = appsecret_proof("secret", "token");
        assert_eq!(p.len(), 64);
        assert_ne!(p, appsecret_proof("secret", "token2"));
        assert_ne!(p, appsecret_proof("secret2", "token"));
    }
}
