//! A GET of any Graph path as a user, for code that needs what adsync does not model (the
//! API's proxy route, a worker's one-off read): the answer's JSON as Facebook sent it, with
//! the token and its proof taken out of it (Facebook writes the token into paging links).

use crate::client::{Call, GraphClient};
use crate::{GraphError, Secret, Usage};

/// Path segments a passthrough call may have, each of letters, digits, `_`, `-` or `.` (no
/// `..`): ids and edges such as `act_1/campaigns` or `me/adaccounts`.
const MAX_SEGMENTS: usize = 6;

/// Query parameters adsync sets itself and a caller may not.
const RESERVED: [&str; 2] = ["access_token", "appsecret_proof"];

/// Checks a caller's Graph path (relative to the API version) and query.
pub fn check_request(path: &str, query: &[(String, String)]) -> Result<(), GraphError> {
    let segments: Vec<&str> = path.split('/').collect();
    let segment_ok = |s: &&str| {
        !s.is_empty()
            && s.len() <= 128
            && *s != "."
            && *s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    };
    if segments.len() > MAX_SEGMENTS || !segments.iter().all(segment_ok) {
        return Err(GraphError::local(format!(
            "invalid Graph path {path:?}: up to {MAX_SEGMENTS} segments of letters, digits, _, - or ., such as act_1/campaigns"
        )));
    }
    if let Some((k, _)) = query.iter().find(|(k, _)| RESERVED.contains(&k.as_str())) {
        return Err(GraphError::local(format!("the query parameter {k} is adsync's to set")));
    }
    Ok(())
}

impl GraphClient {
    /// `GET /{version}/{path}?{query}` as the token's user; the body of a 2xx answer (Graph
    /// errors are [`GraphError`]s, as for every other call), with every occurrence of the
    /// token (as is and URL-encoded) and of its proof replaced by `[redacted]`.
    pub async fn get_as(
        &self,
        path: &str,
        query: &[(String, String)],
        token: &Secret<String>,
    ) -> Result<(String, Usage), GraphError> {
        check_request(path, query)?;
        let mut call = Call::get(path, token);
        call.query
            .extend(query.iter().map(|(k, v)| (k.clone().into(), v.clone())));
        let (text, usage) = self.text(path, call).await?;
        let proof = self.appsecret_proof(token.expose());
        // As written, and as a query string writes it (a token may hold `|` or `=`).
        let encoded: String = url::form_urlencoded::byte_serialize(token.expose().as_bytes()).collect();
        let mut text = text;
        for secret in [token.expose().as_str(), encoded.as_str(), proof.as_str()] {
            if secret.len() >= 8 && text.contains(secret) {
                text = text.replace(secret, "[redacted]");
            }
        }
        Ok((text, usage))
    }
}

#[cfg(test)]
mod tests {
    use super::check_request;

    #[test]
    fn only_plain_graph_paths_and_no_token_parameters_pass() {
        let q = |k: &str| vec![(k.to_string(), "x".to_string())];
        for ok in ["me", "act_1/campaigns", "me/adaccounts", "1234567890", "act_1/insights"] {
            assert!(check_request(ok, &q("fields")).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/me",
            "me/",
            "../me",
            "me/../x",
            "https://evil.test",
            "a/b/c/d/e/f/g",
            "me?x=1",
            "me%2F",
        ] {
            assert!(check_request(bad, &[]).is_err(), "{bad:?}");
        }
        assert!(check_request("me", &q("access_token")).is_err());
        assert!(check_request("me", &q("appsecret_proof")).is_err());
    }
}
