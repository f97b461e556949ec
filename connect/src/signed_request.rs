//! Facebook's `signed_request` (deauthorize and data-deletion callbacks):
//! `base64url(sig) "." base64url(payload)`, unpadded, where
//! `sig = HMAC_SHA256(key = app secret, msg = the encoded payload string)`.
//! Only `HMAC-SHA256` is accepted; the signature is checked (in constant time) before the
//! payload is even decoded, and a request issued more than [`MAX_AGE_SECS`] ago is refused,
//! so a captured one cannot be replayed later.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// The largest `signed_request` accepted (Facebook's are a few hundred bytes).
const MAX_LEN: usize = 8 * 1024;

/// How old a `signed_request` may be. Facebook posts its callbacks as they happen; a few
/// minutes cover its delivery and clock skew.
pub const MAX_AGE_SECS: i64 = 10 * 60;

/// Why a `signed_request` was refused. Never echoes the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignedRequestError {
    #[error("signed_request is missing")]
    Missing,
    #[error("signed_request is malformed: {0}")]
    Malformed(&'static str),
    #[error("signed_request uses an unsupported algorithm (only HMAC-SHA256 is accepted)")]
    UnsupportedAlgorithm,
    #[error("signed_request signature does not match")]
    BadSignature,
    #[error("signed_request was not issued within the last {} minutes", MAX_AGE_SECS / 60)]
    Stale,
}

/// The verified payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The app-scoped Facebook user id.
    pub user_id: String,
    /// Unix seconds, within [`MAX_AGE_SECS`] of the time it was checked.
    pub issued_at: i64,
    /// SHA-256 of the whole signed string: the same request sent twice has the same digest.
    pub digest: String,
}

#[derive(Deserialize)]
struct Payload {
    algorithm: Option<String>,
    user_id: Option<serde_json::Value>,
    issued_at: Option<i64>,
}

fn decode(part: &str, what: &'static str) -> Result<Vec<u8>, SignedRequestError> {
    // Tolerate padding some encoders add, but nothing else outside the url-safe alphabet.
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| SignedRequestError::Malformed(what))
}

/// Verifies `raw` with `app_secret` and returns its payload.
pub fn parse(raw: &str, app_secret: &str) -> Result<SignedRequest, SignedRequestError> {
    parse_at(raw, app_secret, chrono::Utc::now().timestamp())
}

/// [`parse`] as of `now` (unix seconds).
pub fn parse_at(raw: &str, app_secret: &str, now: i64) -> Result<SignedRequest, SignedRequestError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(SignedRequestError::Missing);
    }
    if raw.len() > MAX_LEN {
        return Err(SignedRequestError::Malformed("too long"));
    }
    let (sig_b64, payload_b64) = raw
        .split_once('.')
        .ok_or(SignedRequestError::Malformed("expected <signature>.<payload>"))?;
    if sig_b64.is_empty() || payload_b64.is_empty() || payload_b64.contains('.') {
        return Err(SignedRequestError::Malformed("expected <signature>.<payload>"));
    }
    let sig = decode(sig_b64, "signature is not base64url")?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).map_err(|_| SignedRequestError::BadSignature)?;
    mac.update(payload_b64.as_bytes());
    // `verify_slice` compares in constant time (and rejects a wrong length). Nothing of the
    // payload is parsed before it is known to come from Facebook.
    mac.verify_slice(&sig).map_err(|_| SignedRequestError::BadSignature)?;
    let payload_bytes = decode(payload_b64, "payload is not base64url")?;
    let payload: Payload =
        serde_json::from_slice(&payload_bytes).map_err(|_| SignedRequestError::Malformed("payload is not JSON"))?;
    if !payload
        .algorithm
        .as_deref()
        .is_some_and(|a| a.eq_ignore_ascii_case("HMAC-SHA256"))
    {
        return Err(SignedRequestError::UnsupportedAlgorithm);
    }
    let issued_at = payload.issued_at.ok_or(SignedRequestError::Malformed("no issued_at"))?;
    if (now - issued_at).abs() > MAX_AGE_SECS {
        return Err(SignedRequestError::Stale);
    }
    let user_id = match payload.user_id {
        Some(serde_json::Value::String(s)) => s,
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => return Err(SignedRequestError::Malformed("no user_id")),
    };
    if user_id.is_empty() || user_id.len() > 64 || !user_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(SignedRequestError::Malformed("user_id is not an id"));
    }
    Ok(SignedRequest {
        user_id,
        issued_at,
        digest: adsync_common::password::bearer_digest(raw),
    })
}

/// Builds a `signed_request` the way Facebook does (for tests and the demo).
pub fn sign(payload: &serde_json::Value, app_secret: &str) -> String {
    let body = URL_SAFE_NO_PAD.encode(payload.to_string());
    let sig = match Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    };
    format!("{}.{body}", URL_SAFE_NO_PAD.encode(sig))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SECRET: &str = "app-secret";
    const ISSUED: i64 = 1_700_000_000;

    fn parse(raw: &str, secret: &str) -> Result<SignedRequest, SignedRequestError> {
        parse_at(raw, secret, ISSUED + 60)
    }

    fn good() -> serde_json::Value {
        json!({"user_id": "10000000000000001", "algorithm": "HMAC-SHA256", "issued_at": 1_700_000_000})
    }

    #[test]
    fn a_valid_request_is_accepted() {
        let parsed = parse(&sign(&good(), SECRET), SECRET).expect("valid");
        assert_eq!(parsed.user_id, "10000000000000001");
        assert_eq!(parsed.issued_at, ISSUED);
        let numeric = json!({"user_id": 42, "algorithm": "HMAC-SHA256", "issued_at": ISSUED});
        assert_eq!(
            parse(&sign(&numeric, SECRET), SECRET).expect("numeric id").user_id,
            "42"
        );
    }

    #[test]
    fn a_known_vector_from_outside_this_module_verifies() {
        // Signed independently: HMAC-SHA256("app-secret", payload part), base64url unpadded.
        let payload = URL_SAFE_NO_PAD.encode(r#"{"algorithm":"HMAC-SHA256","user_id":"7","issued_at":1700000000}"#);
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
        mac.update(payload.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        assert_eq!(parse(&format!("{sig}.{payload}"), SECRET).expect("ok").user_id, "7");
    }

    #[test]
    fn forged_or_tampered_signatures_are_rejected() {
        let signed = sign(&good(), SECRET);
        assert_eq!(parse(&signed, "other-secret"), Err(SignedRequestError::BadSignature));
        let (sig, _) = signed.split_once('.').expect("dot");
        let other = URL_SAFE_NO_PAD.encode(json!({"user_id": "666", "algorithm": "HMAC-SHA256"}).to_string());
        assert_eq!(
            parse(&format!("{sig}.{other}"), SECRET),
            Err(SignedRequestError::BadSignature)
        );
        let short = URL_SAFE_NO_PAD.encode([1u8, 2, 3]);
        let (_, body) = signed.split_once('.').expect("dot");
        assert_eq!(
            parse(&format!("{short}.{body}"), SECRET),
            Err(SignedRequestError::BadSignature)
        );
    }

    #[test]
    fn old_or_undated_requests_are_refused() {
        let signed = sign(&good(), SECRET);
        assert!(parse_at(&signed, SECRET, ISSUED + MAX_AGE_SECS).is_ok());
        assert_eq!(
            parse_at(&signed, SECRET, ISSUED + MAX_AGE_SECS + 1),
            Err(SignedRequestError::Stale)
        );
        // One from 2001, and one from the future beyond clock skew.
        assert_eq!(parse_at(&signed, SECRET, 1_000_000_000), Err(SignedRequestError::Stale));
        let from_2001 = json!({"user_id": "1", "algorithm": "HMAC-SHA256", "issued_at": 1_000_000_000});
        assert_eq!(parse(&sign(&from_2001, SECRET), SECRET), Err(SignedRequestError::Stale));
        let undated = json!({"user_id": "1", "algorithm": "HMAC-SHA256"});
        assert_eq!(
            parse(&sign(&undated, SECRET), SECRET),
            Err(SignedRequestError::Malformed("no issued_at"))
        );
    }

    #[test]
    fn the_signature_is_checked_before_the_payload_is_read() {
        // A payload that is not even base64 under a wrong signature: refused as forged.
        let sig = URL_SAFE_NO_PAD.encode([7u8; 32]);
        assert_eq!(
            parse(&format!("{sig}.!!!"), SECRET),
            Err(SignedRequestError::BadSignature)
        );
    }

    #[test]
    fn other_algorithms_are_rejected() {
        for alg in [json!("HMAC-SHA1"), json!("none"), json!(null), json!(5)] {
            let p = json!({"user_id": "1", "algorithm": alg});
            let res = parse(&sign(&p, SECRET), SECRET);
            assert!(
                matches!(
                    res,
                    Err(SignedRequestError::UnsupportedAlgorithm | SignedRequestError::Malformed(_))
                ),
                "{alg}: {res:?}"
            );
        }
        let missing = json!({"user_id": "1"});
        assert_eq!(
            parse(&sign(&missing, SECRET), SECRET),
            Err(SignedRequestError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let body = URL_SAFE_NO_PAD.encode("not json");
        let no_user = sign(&json!({"algorithm": "HMAC-SHA256"}), SECRET);
        let bad_user = sign(&json!({"algorithm": "HMAC-SHA256", "user_id": "1/../x"}), SECRET);
        let too_long = "a".repeat(MAX_LEN + 1);
        for junk in [
            "",
            ".",
            "abc",
            "abc.",
            ".abc",
            "a.b.c",
            "!!!.abc",
            "abc.!!!",
            &format!("abc.{body}"),
            &no_user,
            &bad_user,
            &too_long,
            "é.é",
        ] {
            assert!(parse(junk, SECRET).is_err(), "{junk:?}");
        }
        assert_eq!(parse("  ", SECRET), Err(SignedRequestError::Missing));
    }

    #[test]
    fn errors_never_echo_the_input() {
        let err = parse("secretvalue.secretvalue", SECRET).expect_err("bad");
        assert!(!err.to_string().contains("secretvalue"));
    }
}
