//! Graph API errors and their envelope
//! `{"error":{"message","type","code","error_subcode","is_transient","fbtrace_id"}}`.

use serde_json::{Map, Value, json};

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GraphError {
    pub status: u16,
    pub code: u32,
    pub subcode: Option<u32>,
    pub message: String,
    pub kind: &'static str,
    pub transient: Option<bool>,
}

impl GraphError {
    pub fn new(status: u16, code: u32, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            subcode: None,
            message: message.into(),
            kind: "OAuthException",
            transient: None,
        }
    }
    pub fn sub(mut self, subcode: u32) -> Self {
        self.subcode = Some(subcode);
        self
    }
    pub fn transient(mut self, t: bool) -> Self {
        self.transient = Some(t);
        self
    }
    pub fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }

    /// The envelope with a trace id.
    pub fn body(&self, fbtrace_id: &str) -> Value {
        let mut e = Map::new();
        e.insert("message".into(), json!(self.message));
        e.insert("type".into(), json!(self.kind));
        e.insert("code".into(), json!(self.code));
        if let Some(s) = self.subcode {
            e.insert("error_subcode".into(), json!(s));
        }
        if let Some(t) = self.transient {
            e.insert("is_transient".into(), json!(t));
        }
        e.insert("fbtrace_id".into(), json!(fbtrace_id));
        json!({ "error": e })
    }

    // ---- parameters and objects ----

    /// Code 100, HTTP 400.
    pub fn param(message: impl AsRef<str>) -> Self {
        Self::new(400, 100, format!("(#100) {}", message.as_ref()))
    }
    pub fn unknown_object(id: &str, method: &str) -> Self {
        Self::new(
            400,
            100,
            format!(
                "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
            ),
        )
        .sub(33)
        .kind("GraphMethodException")
    }
    pub fn unknown_path() -> Self {
        Self::new(400, 2500, "Unknown path components").kind("OAuthException")
    }
    pub fn too_old() -> Self {
        Self::new(
            400,
            100,
            "(#100) The start date of the time range cannot be beyond 37 months from the current date",
        )
        .sub(1_487_534)
    }
    pub fn reduce_data() -> Self {
        Self::new(
            500,
            1,
            "Please reduce the amount of data you're asking for, then retry your request",
        )
        .transient(false)
    }
    /// The other form Facebook refuses a large request in (code 100, subcode 1504018).
    pub fn too_much_data() -> Self {
        Self::new(
            400,
            100,
            "(#100) The request was too large or took too long to process. Please reduce the amount of data you're asking for, then retry your request",
        )
        .sub(1_504_018)
    }
    pub fn unknown_error() -> Self {
        Self::new(500, 1, "An unknown error occurred").sub(99).transient(false)
    }
    pub fn temporary() -> Self {
        Self::new(
            503,
            2,
            "An unexpected error has occurred. Please retry your request later.",
        )
        .sub(1_504_038)
        .transient(true)
    }

    // ---- tokens and permissions ----

    pub fn no_token() -> Self {
        Self::new(400, 104, "An access token is required to request this resource.")
    }
    pub fn bad_token() -> Self {
        Self::new(400, 190, "Invalid OAuth access token - Cannot parse access token")
    }
    pub fn expired_token(when: &str) -> Self {
        Self::new(
            400,
            190,
            format!("Error validating access token: Session has expired on {when}. The current time is later."),
        )
        .sub(463)
    }
    pub fn revoked_token(app_id: &str, subcode: u32) -> Self {
        let msg = match subcode {
            460 => "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.".to_string(),
            467 => "Error validating access token: The user is not logged into Facebook.".to_string(),
            _ => format!("Error validating access token: The user has not authorized application {app_id}."),
        };
        Self::new(400, 190, msg).sub(subcode)
    }
    pub fn bad_proof() -> Self {
        Self::new(400, 100, "Invalid appsecret_proof provided in the API argument").kind("GraphMethodException")
    }
    pub fn proof_required() -> Self {
        Self::new(
            400,
            100,
            "API calls from the server require an appsecret_proof argument",
        )
        .kind("GraphMethodException")
    }
    pub fn needs_user() -> Self {
        Self::new(
            400,
            2500,
            "An active access token must be used to query information about the current user.",
        )
    }
    pub fn missing_ads_read() -> Self {
        Self::new(
            403,
            200,
            "(#200) Ad account owner has NOT grant ads_management or ads_read permission",
        )
    }

    // ---- throttles ----

    pub fn app_limit() -> Self {
        Self::new(400, 4, "(#4) Application request limit reached").transient(true)
    }
    pub fn user_limit() -> Self {
        Self::new(400, 17, "(#17) User request limit reached")
            .sub(2_446_079)
            .transient(true)
    }
    pub fn account_limit() -> Self {
        Self::new(400, 613, "(#613) Calls to this api have exceeded the rate limit.")
            .sub(1_487_742)
            .transient(true)
    }
    /// 80000 for ads_insights, 80004 for ads_management.
    pub fn business_limit(insights: bool) -> Self {
        let (code, anchor) = if insights {
            (80_000, "ads-insights")
        } else {
            (80_004, "ads-management")
        };
        Self::new(
            400,
            code,
            format!("(#{code}) There have been too many calls from this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#{anchor}."),
        )
        .sub(2_446_079)
        .transient(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_shape() {
        let v = GraphError::user_limit().body("AbC");
        assert_eq!(v["error"]["code"], 17);
        assert_eq!(v["error"]["error_subcode"], 2_446_079);
        assert_eq!(v["error"]["type"], "OAuthException");
        assert_eq!(v["error"]["is_transient"], true);
        assert_eq!(v["error"]["fbtrace_id"], "AbC");
        assert_eq!(v["error"]["message"], "(#17) User request limit reached");
        let p = GraphError::param("x").body("t");
        assert!(p["error"].get("error_subcode").is_none());
    }
}
