//! Facebook's error envelope `{"error":{"message","type","code","error_subcode",
//! "is_transient","fbtrace_id"}}` and its classification into a [`GraphError`] by the
//! code table of `docs/graph-api.md`.

use serde_json::Value;

use super::error::{GraphError, ThrottleScope};
use super::usage::Usage;

/// The parsed `error` object.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Envelope {
    pub code: i64,
    pub subcode: Option<i64>,
    pub message: String,
    pub is_transient: bool,
}

fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A body's `error` member alone: every successful answer is checked for an envelope too,
/// and a page of insights is large, so the other members are skipped without being built.
/// Only an object has members (an array or a scalar body has none); the last `error` wins.
struct ErrorMember(Option<Value>);

impl<'de> serde::Deserialize<'de> for ErrorMember {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ErrorMember;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ErrorMember, A::Error> {
                let mut error = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "error" {
                        error = Some(map.next_value::<Value>()?);
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(ErrorMember(error))
            }
        }
        d.deserialize_map(V)
    }
}

/// False only when `body` cannot hold an `error` key: the text `"error"` is nowhere in it,
/// and no `\u` escape could spell it otherwise. Every successful page passes this check, and
/// a byte search costs a fraction of reading a page's JSON a second time.
fn may_hold_error_key(body: &[u8]) -> bool {
    memchr::memmem::find(body, b"\"error\"").is_some() || memchr::memmem::find(body, b"\\u").is_some()
}

impl Envelope {
    pub fn parse(body: &[u8]) -> Option<Self> {
        if !may_hold_error_key(body) {
            return None;
        }
        let ErrorMember(e) = serde_json::from_slice(body).ok()?;
        let e = e?;
        let e = e.as_object()?;
        Some(Self {
            code: int(e.get("code"))?,
            subcode: int(e.get("error_subcode")),
            message: e
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("(no message)")
                .to_string(),
            is_transient: e.get("is_transient").and_then(Value::as_bool).unwrap_or(false),
        })
    }

    pub fn classify(self, status: u16, usage: &Usage) -> GraphError {
        let Self {
            code,
            subcode,
            message,
            is_transient,
        } = self;
        match code {
            4 => GraphError::Throttled {
                scope: ThrottleScope::App,
                code,
                retry_after: usage.regain_access(),
                message,
            },
            17 | 32 | 613 | 80_000..=80_014 => {
                // Only what says how long a block lasts. For the ad account's own limits (17,
                // 613) its reset time, in seconds, while the headers show it exhausted, else
                // the regain estimate; for the business-use-case throttles (80000…) the regain
                // estimate, in minutes, first. A throttle while the headers show capacity
                // carries no wait (`reset_time_duration` is then the time until the usage
                // drains to 0, not a block): the caller backs off briefly.
                let exhausted_reset = usage
                    .account_pct()
                    .filter(|p| *p >= 100.0)
                    .and_then(|_| usage.reset_time());
                let retry_after = match code {
                    17 | 32 | 613 => exhausted_reset.or_else(|| usage.regain_access()),
                    _ => usage.regain_access().or(exhausted_reset),
                };
                GraphError::Throttled {
                    scope: ThrottleScope::Account,
                    code,
                    retry_after,
                    message,
                }
            }
            102 | 190 => GraphError::TokenInvalid { subcode, message },
            10 | 200..=299 => GraphError::PermissionMissing { code, message },
            1 if message.to_ascii_lowercase().contains("reduce the amount of data") => {
                GraphError::ReduceData { code, message }
            }
            100 if subcode == Some(1_504_018) => GraphError::ReduceData { code, message },
            1 | 2 => GraphError::Transient {
                status: Some(status),
                code: Some(code),
                message,
            },
            100 if matches!(subcode, Some(36_007 | 36_009)) => GraphError::InvalidCode { subcode, message },
            _ if is_transient || status >= 500 => GraphError::Transient {
                status: Some(status),
                code: Some(code),
                message,
            },
            _ => GraphError::InvalidRequest { code, subcode, message },
        }
    }
}

impl GraphError {
    /// Classifies a non-success answer (or a 200 carrying an error envelope). Here, beside
    /// the envelope, so that the error type depends on nothing.
    pub(crate) fn from_response(status: u16, body: &[u8], usage: &Usage) -> Self {
        match Envelope::parse(body) {
            Some(env) => env.classify(status, usage),
            None if status >= 500 || status == 429 => Self::Transient {
                status: Some(status),
                code: None,
                message: format!("HTTP {status}"),
            },
            None => Self::Http(format!("HTTP {status} without a Graph error envelope")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue};
    use std::time::Duration;

    fn env(status: u16, code: i64, subcode: Option<i64>, message: &str, transient: Option<bool>) -> GraphError {
        let mut e = serde_json::json!({"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Ab"});
        if let Some(s) = subcode {
            e["error_subcode"] = s.into();
        }
        if let Some(t) = transient {
            e["is_transient"] = t.into();
        }
        let body = serde_json::json!({ "error": e }).to_string();
        GraphError::from_response(status, body.as_bytes(), &Usage::default())
    }

    #[test]
    fn classifies_the_code_table() {
        assert!(matches!(
            env(500, 1, Some(99), "An unknown error occurred", Some(false)),
            GraphError::Transient { code: Some(1), .. }
        ));
        let reduce = "Please reduce the amount of data you're asking for, then retry your request";
        assert!(matches!(
            env(500, 1, None, reduce, None),
            GraphError::ReduceData { code: 1, .. }
        ));
        let too_large = "(#100) The request was too large or took too long to process";
        assert!(matches!(
            env(400, 100, Some(1_504_018), too_large, None),
            GraphError::ReduceData { code: 100, .. }
        ));
        assert!(matches!(
            env(503, 2, Some(1_504_038), "temporary", Some(true)),
            GraphError::Transient { .. }
        ));
        assert!(matches!(
            env(400, 4, None, "(#4) Application request limit reached", Some(true)),
            GraphError::Throttled {
                scope: ThrottleScope::App,
                code: 4,
                ..
            }
        ));
        for code in [17, 613, 80_000, 80_004] {
            let e = env(400, code, Some(2_446_079), "limit", Some(true));
            assert!(
                matches!(
                    e,
                    GraphError::Throttled {
                        scope: ThrottleScope::Account,
                        ..
                    }
                ),
                "{e:?}"
            );
            assert!(e.is_retryable());
        }
        for sub in [458, 460, 463, 467] {
            assert_eq!(
                env(400, 190, Some(sub), "Error validating access token", None),
                GraphError::TokenInvalid {
                    subcode: Some(sub),
                    message: "Error validating access token".into()
                }
            );
        }
        assert!(matches!(
            env(403, 200, None, "(#200) no ads_read", None),
            GraphError::PermissionMissing { code: 200, .. }
        ));
        assert!(matches!(
            env(400, 10, None, "(#10) no permission", None),
            GraphError::PermissionMissing { code: 10, .. }
        ));
        assert!(matches!(
            env(400, 100, Some(36_009), "This authorization code has been used.", None),
            GraphError::InvalidCode {
                subcode: Some(36_009),
                ..
            }
        ));
        let e = env(400, 100, Some(1_487_534), "too old", None);
        assert_eq!(
            e,
            GraphError::InvalidRequest {
                code: 100,
                subcode: Some(1_487_534),
                message: "too old".into()
            }
        );
        assert!(!e.is_retryable());
        assert!(matches!(
            env(500, 12345, None, "odd", None),
            GraphError::Transient { .. }
        ));
        assert!(matches!(
            env(400, 12345, None, "odd", Some(true)),
            GraphError::Transient { .. }
        ));
    }

    #[test]
    fn throttles_take_their_wait_from_the_headers() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-ad-account-usage",
            HeaderValue::from_static(r#"{"acc_id_util_pct":100,"reset_time_duration":20}"#),
        );
        h.insert(
            "x-business-use-case-usage",
            HeaderValue::from_static(
                r#"{"1":[{"type":"ads_insights","call_count":100,"estimated_time_to_regain_access":2}]}"#,
            ),
        );
        let usage = Usage::from_headers(&h);
        let body = |code: i64| format!(r#"{{"error":{{"message":"limit","code":{code},"error_subcode":2446079}}}}"#);
        let bu = GraphError::from_response(400, body(80_000).as_bytes(), &usage);
        assert_eq!(bu.retry_after(), Some(Duration::from_secs(120)));
        let acc = GraphError::from_response(400, body(17).as_bytes(), &usage);
        assert_eq!(
            acc.retry_after(),
            Some(Duration::from_secs(20)),
            "the account's own reset time first"
        );
        let none = GraphError::from_response(400, body(613).as_bytes(), &Usage::default());
        assert_eq!(none.retry_after(), None);
        assert!(none.is_retryable());

        let usage_of = |json: &'static str| {
            let mut h = HeaderMap::new();
            h.insert("x-ad-account-usage", HeaderValue::from_static(json));
            Usage::from_headers(&h)
        };
        let exhausted = usage_of(r#"{"acc_id_util_pct":100,"reset_time_duration":20}"#);
        let e = GraphError::from_response(400, body(17).as_bytes(), &exhausted);
        assert_eq!(
            e.retry_after(),
            Some(Duration::from_secs(20)),
            "an exhausted bucket waits its reset"
        );
        // Capacity left: the reset time is when usage drains to 0, not the end of a block.
        let capacity = usage_of(r#"{"acc_id_util_pct":12.5,"reset_time_duration":300}"#);
        for code in [17, 613, 80_000] {
            let e = GraphError::from_response(400, body(code).as_bytes(), &capacity);
            assert_eq!(
                e.retry_after(),
                None,
                "code {code} with capacity: back off, not 5 minutes"
            );
        }
    }

    #[test]
    fn only_an_objects_error_member_is_an_envelope() {
        let page = br#"{"data": [{"error": {"code": 1}}], "paging": {"cursors": {"after": "x"}}}"#;
        assert_eq!(
            Envelope::parse(page),
            None,
            "an `error` inside the data is not the envelope"
        );
        assert_eq!(Envelope::parse(br#"[{"error": {"code": 190}}]"#), None);
        assert_eq!(Envelope::parse(br#""error""#), None);
        let twice = Envelope::parse(br#"{"error": {"code": 1}, "x": [1, {"y": 2}], "error": {"code": 190}}"#);
        assert_eq!(twice.map(|e| e.code), Some(190), "the last member wins, as in a map");
        let escaped = Envelope::parse(br#"{"data": [], "\u0065rror": {"code": 190}}"#);
        assert_eq!(
            escaped.map(|e| e.code),
            Some(190),
            "a key spelled with escapes is still found"
        );
        assert_eq!(Envelope::parse(br#"{"data": [{"name": "no errors here"}]}"#), None);
        let e = Envelope::parse(br#"{"error": {"message": "Invalid", "code": "190", "error_subcode": 463}}"#);
        assert_eq!(e.map(|e| (e.code, e.subcode)), Some((190, Some(463))));
    }

    #[test]
    fn without_an_envelope_the_status_decides() {
        assert!(matches!(
            GraphError::from_response(502, b"<html>bad gateway</html>", &Usage::default()),
            GraphError::Transient { status: Some(502), .. }
        ));
        assert!(matches!(
            GraphError::from_response(404, b"", &Usage::default()),
            GraphError::Http(_)
        ));
        assert!(matches!(
            GraphError::from_response(400, br#"{"error":"invalid_grant"}"#, &Usage::default()),
            GraphError::Http(_)
        ));
        // String codes are accepted too.
        assert!(matches!(
            GraphError::from_response(400, br#"{"error":{"code":"190","message":"x"}}"#, &Usage::default()),
            GraphError::TokenInvalid { .. }
        ));
    }
}
