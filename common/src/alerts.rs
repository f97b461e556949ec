//! Alerts to a team's webhooks: what each event carries and how it is signed. Events are
//! written as deliveries where they happen (`storage::webhooks::alert`); the workers send
//! them (`worker::alerts`).
//!
//! Each delivery is `POST`ed as JSON with
//! `Adsync-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the
//! endpoint's secret, as Stripe signs its webhooks: a receiver recomputes it, compares in
//! constant time, and refuses a timestamp more than a few minutes old (a replay).

use std::time::Duration;

use base64::Engine;
use rand::RngCore;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "Adsync-Signature";

/// Event types.
pub const SYNC_FAILED: &str = "sync.failed";
pub const CONNECTION_NEEDS_RECONNECT: &str = "connection.needs_reconnect";
pub const CONNECTION_REVOKED: &str = "connection.revoked";
pub const TOKEN_EXPIRING: &str = "token.expiring";

/// A fresh endpoint secret: `whsec_` and 32 random bytes, base64url.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The signature header's value for `body` sent at `timestamp` (UNIX seconds).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let signed = format!("{timestamp}.{body}");
    format!(
        "t={timestamp},v1={}",
        crate::crypto::hmac_sha256_hex(secret.as_bytes(), signed.as_bytes())
    )
}

/// How long after failed attempt `attempts` (1, 2, …) the next one is made: 30 s, 2 min,
/// 8 min, … up to 6 h.
pub fn retry_delay(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 10) - 1).unwrap_or(0);
    Duration::from_secs(30u64.saturating_mul(4u64.saturating_pow(exponent)).min(6 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_stripe_style_and_depend_on_everything_signed() {
        let s = signature("whsec_test", 1_800_000_000, r#"{"type":"sync.failed"}"#);
        let (t, v1) = s.split_once(',').expect("two parts");
        assert_eq!(t, "t=1800000000");
        let expected = crate::crypto::hmac_sha256_hex(b"whsec_test", br#"1800000000.{"type":"sync.failed"}"#);
        assert_eq!(v1, format!("v1={expected}"));
        assert_ne!(s, signature("whsec_other", 1_800_000_000, r#"{"type":"sync.failed"}"#));
        assert_ne!(s, signature("whsec_test", 1_800_000_001, r#"{"type":"sync.failed"}"#));
        assert!(new_secret().starts_with("whsec_") && new_secret() != new_secret());
    }

    #[test]
    fn retries_back_off_to_six_hours() {
        let delays: Vec<u64> = (1..=8).map(|n| retry_delay(n).as_secs()).collect();
        assert_eq!(delays, [30, 120, 480, 1920, 7680, 21600, 21600, 21600]);
    }
}
