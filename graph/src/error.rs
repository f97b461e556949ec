//! The typed Graph API error, classified from the error envelope
//! `{"error":{"message","type","code","error_subcode","is_transient","fbtrace_id"}}`
//! (the body decides, the HTTP status only when there is no envelope), per the code
//! table in `docs/graph-api.md`. No variant ever holds a token or a URL with its query.

use std::fmt;
use std::time::Duration;

/// Whose budget a throttle is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThrottleScope {
    /// The whole app (code 4): every account waits.
    App,
    /// One ad account / user (codes 17, 613, 80000–80014).
    Account,
}

impl fmt::Display for ThrottleScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::App => "app",
            Self::Account => "ad account",
        })
    }
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum GraphError {
    /// Worth retrying with back-off: codes 1 and 2, `is_transient`, HTTP 5xx, timeouts,
    /// dropped connections.
    #[error("Facebook is temporarily unavailable: {message}")]
    Transient {
        status: Option<u16>,
        code: Option<i64>,
        message: String,
    },
    /// Code 1 "Please reduce the amount of data you're asking for", or code 100 subcode
    /// 1504018 (the request was too large or took too long): retry with a smaller page,
    /// range or set of objects.
    #[error("Facebook asks to reduce the amount of data (code {code}): {message}")]
    ReduceData { code: i64, message: String },
    /// Rate limited; wait `retry_after` when known (regain time or reset time).
    #[error("Facebook rate limit reached ({scope}, code {code}): {message}")]
    Throttled {
        scope: ThrottleScope,
        code: i64,
        retry_after: Option<Duration>,
        message: String,
    },
    /// Code 190 (and 102): expired, revoked or otherwise invalid; the owner must reconnect.
    #[error("the Facebook access token is no longer valid (code 190{}): {message}", subcode_text(*.subcode))]
    TokenInvalid { subcode: Option<i64>, message: String },
    /// Codes 10 and 200–299: a permission such as `ads_read` is missing.
    #[error("a Facebook permission is missing (code {code}): {message}")]
    PermissionMissing { code: i64, message: String },
    /// The authorization code is invalid, expired or already used (code 100, subcode
    /// 36007/36009): the person has to go through the dialog again.
    #[error("the Facebook authorization code was rejected (code 100{}): {message}", subcode_text(*.subcode))]
    InvalidCode { subcode: Option<i64>, message: String },
    /// Anything else Facebook rejected (code 100 etc.): permanent until the request changes.
    /// `code` 0 means adsync refused to send the request.
    #[error("Facebook rejected the request (code {code}{}): {message}", subcode_text(*.subcode))]
    InvalidRequest {
        code: i64,
        subcode: Option<i64>,
        message: String,
    },
    /// A response that does not have the documented shape.
    #[error("unexpected Facebook response: {0}")]
    Decode(String),
    /// A transport failure that retrying will not fix (or an unexpected HTTP status).
    #[error("HTTP error talking to Facebook: {0}")]
    Http(String),
}

fn subcode_text(subcode: Option<i64>) -> String {
    subcode.map(|s| format!("/{s}")).unwrap_or_default()
}

impl GraphError {
    /// Whether the same request may succeed later (after [`GraphError::retry_after`] for
    /// throttles). `ReduceData` needs a smaller request instead.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Transient { .. } | Self::Throttled { .. })
    }

    /// How long to wait before retrying, when Facebook said so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Throttled { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The Graph error code, when the error came from an envelope.
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::Transient { code, .. } => *code,
            Self::ReduceData { code, .. } => Some(*code),
            Self::Throttled { code, .. } | Self::PermissionMissing { code, .. } | Self::InvalidRequest { code, .. } => {
                Some(*code)
            }
            Self::TokenInvalid { .. } => Some(190),
            Self::InvalidCode { .. } => Some(100),
            Self::Decode(_) | Self::Http(_) => None,
        }
    }

    pub(crate) fn local(message: impl Into<String>) -> Self {
        Self::InvalidRequest {
            code: 0,
            subcode: None,
            message: message.into(),
        }
    }

    pub(crate) fn decode(what: &str, e: &serde_json::Error) -> Self {
        // serde's message can quote the offending value (possibly a token): keep only
        // the category and position.
        Self::Decode(format!(
            "{what}: {:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        ))
    }

    /// Maps a transport error; the URL (with its query) is stripped first.
    pub(crate) fn from_reqwest(e: reqwest::Error) -> Self {
        let e = e.without_url();
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        if e.is_timeout() || e.is_connect() || e.is_request() || e.is_body() {
            Self::Transient {
                status: None,
                code: None,
                message,
            }
        } else if e.is_decode() {
            Self::Decode(message)
        } else {
            Self::Http(message)
        }
    }

    /// Replaces any occurrence of `secret` in the message (defence in depth: Facebook's
    /// messages do not echo tokens, but a proxy's might).
    pub(crate) fn redact(mut self, secret: &str) -> Self {
        if secret.len() < 8 {
            return self;
        }
        let scrub = |m: &mut String| {
            if m.contains(secret) {
                *m = m.replace(secret, "[redacted]");
            }
        };
        match &mut self {
            Self::Transient { message, .. }
            | Self::ReduceData { message, .. }
            | Self::Throttled { message, .. }
            | Self::TokenInvalid { message, .. }
            | Self::PermissionMissing { message, .. }
            | Self::InvalidCode { message, .. }
            | Self::InvalidRequest { message, .. }
            | Self::Decode(message)
            | Self::Http(message) => scrub(message),
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::Usage;

    #[test]
    fn messages_are_redacted_and_decode_errors_do_not_quote_values() {
        let token = "EAABsecretsecretsecret";
        let body = format!(r#"{{"error":{{"code":190,"message":"bad token {token}"}}}}"#);
        let e = GraphError::from_response(400, body.as_bytes(), &Usage::default()).redact(token);
        assert!(!e.to_string().contains(token), "{e}");
        let serde_err = serde_json::from_str::<u64>(&format!("\"{token}\"")).expect_err("not a number");
        let d = GraphError::decode("token response", &serde_err);
        assert!(!d.to_string().contains(token), "{d}");
    }
}
