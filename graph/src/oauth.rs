//! The OAuth side: the dialog URL, the code exchange (through the `oauth2` crate, over our
//! own reqwest client with redirects disabled), the long-lived exchange and `debug_token`.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use oauth2::basic::{BasicClient, BasicTokenType};
use oauth2::{
    AsyncHttpClient, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet,
    HttpRequest, HttpResponse, RedirectUrl, RequestTokenError, TokenResponse, TokenUrl,
};
use reqwest::Method;
use serde::Deserialize;
use url::Url;

use super::client::{Call, GraphClient};
use super::error::GraphError;
use super::usage::Usage;
use crate::Secret;

/// A user access token as Facebook issued it.
#[derive(Clone, Debug)]
pub struct AccessToken {
    pub token: Secret<String>,
    /// `now + expires_in` at the time of receipt, when Facebook announced a lifetime.
    pub expires_at: Option<DateTime<Utc>>,
}

impl AccessToken {
    fn new(token: String, expires_in: Option<u64>) -> Self {
        let expires_in = expires_in.filter(|s| *s > 0).map(Duration::from_secs);
        let expires_at = expires_in
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .and_then(|d| Utc::now().checked_add_signed(d));
        Self {
            token: Secret::new(token),
            expires_at,
        }
    }
}

/// What `debug_token` says about a token.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenInfo {
    /// The Facebook user (absent for unknown tokens).
    pub user_id: Option<String>,
    /// The app the token belongs to (compare with ours).
    pub app_id: Option<String>,
    pub is_valid: bool,
    /// `None` when the token does not expire (`expires_at: 0`).
    pub expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    /// Why the token is invalid, in Facebook's words.
    pub error: Option<String>,
}

impl TokenInfo {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

#[derive(Deserialize)]
struct TokenJson {
    access_token: String,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct DebugEnvelope {
    data: DebugData,
}

#[derive(Deserialize)]
struct DebugData {
    user_id: Option<String>,
    app_id: Option<String>,
    #[serde(default)]
    is_valid: bool,
    expires_at: Option<i64>,
    #[serde(default)]
    scopes: Vec<String>,
    error: Option<DebugError>,
}

#[derive(Deserialize)]
struct DebugError {
    message: Option<String>,
}

fn timestamp(secs: Option<i64>) -> Option<DateTime<Utc>> {
    secs.filter(|s| *s > 0).and_then(|s| DateTime::from_timestamp(s, 0))
}

type FacebookOAuth = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// `oauth2`'s HTTP client: our reqwest client (redirects off, timeouts), remembering the
/// last answer's status and usage so Facebook's error envelope can be classified.
struct OAuthHttp<'a> {
    client: &'a GraphClient,
    last: Mutex<Option<(u16, Usage)>>,
}

impl<'c> AsyncHttpClient<'c> for OAuthHttp<'_> {
    type Error = GraphError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, GraphError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let req = reqwest::Request::try_from(request).map_err(GraphError::from_reqwest)?;
            let resp = self
                .client
                .inner
                .http
                .execute(req)
                .await
                .map_err(GraphError::from_reqwest)?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let usage = Usage::from_headers(&headers);
            if let Ok(mut last) = self.last.lock() {
                *last = Some((status.as_u16(), usage));
            }
            let body = resp.bytes().await.map_err(GraphError::from_reqwest)?.to_vec();
            let mut out = http::Response::new(body);
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            Ok(out)
        })
    }
}

impl GraphClient {
    fn oauth(&self, redirect_uri: &Url) -> Result<FacebookOAuth, GraphError> {
        let token_url = self.url("oauth/access_token")?;
        Ok(BasicClient::new(ClientId::new(self.inner.app_id.clone()))
            .set_client_secret(ClientSecret::new(self.inner.app_secret.expose().clone()))
            .set_auth_uri(AuthUrl::from_url(self.inner.dialog.clone()))
            .set_token_uri(TokenUrl::from_url(token_url))
            .set_redirect_uri(RedirectUrl::from_url(redirect_uri.clone()))
            // Facebook reads client_id / client_secret from the form, not Basic auth.
            .set_auth_type(AuthType::RequestBody))
    }

    /// The login dialog URL: `/{v}/dialog/oauth?response_type=code&client_id&state&redirect_uri&scope`,
    /// with `auth_type=rerequest`: without it Facebook does not ask again for a permission
    /// the person declined before, so "connect again and allow it" could never succeed.
    pub fn authorize_url(&self, redirect_uri: &Url, state: &str, scopes: &[&str]) -> Url {
        let mut url = self.inner.dialog.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.inner.app_id)
            .append_pair("state", state)
            .append_pair("redirect_uri", redirect_uri.as_str())
            .append_pair("scope", &scopes.join(","))
            .append_pair("auth_type", "rerequest");
        url
    }

    /// Exchanges the dialog's `code` (the `redirect_uri` must be the dialog's, byte for byte).
    pub async fn exchange_code(&self, code: &str, redirect_uri: &Url) -> Result<AccessToken, GraphError> {
        let oauth = self.oauth(redirect_uri)?;
        let http = OAuthHttp {
            client: self,
            last: Mutex::new(None),
        };
        let redirect = RedirectUrl::from_url(redirect_uri.clone());
        let result = oauth
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_redirect_uri(Cow::Owned(redirect))
            .request_async(&http)
            .await;
        let (status, usage) = http
            .last
            .lock()
            .ok()
            .and_then(|mut l| l.take())
            .unwrap_or((0, Usage::default()));
        let redact = |e: GraphError| e.redact(code).redact(self.inner.app_secret.expose());
        match result {
            Ok(t) => {
                if !matches!(t.token_type(), BasicTokenType::Bearer) {
                    return Err(GraphError::Decode("token response: token_type is not bearer".into()));
                }
                let expires_in = t.expires_in().map(|d| d.as_secs());
                Ok(AccessToken::new(t.access_token().secret().clone(), expires_in))
            }
            Err(RequestTokenError::Request(e)) => Err(redact(e)),
            // Facebook's envelope is not RFC 6749's, so it lands here (or as a parse error).
            Err(RequestTokenError::Parse(_, body)) if status != 200 => {
                Err(redact(GraphError::from_response(status, &body, &usage)))
            }
            Err(RequestTokenError::Parse(e, _)) => Err(GraphError::Decode(format!(
                "token response: {:?} error at {}",
                e.inner().classify(),
                e.path()
            ))),
            Err(RequestTokenError::ServerResponse(r)) => Err(GraphError::InvalidRequest {
                code: 0,
                subcode: None,
                message: format!("OAuth error {}", r.error().as_ref()),
            }),
            Err(RequestTokenError::Other(m)) => Err(redact(GraphError::Http(m))),
        }
    }

    /// Exchanges a short-lived user token for a long-lived (~60 day) one
    /// (`grant_type=fb_exchange_token`; POSTed so no secret appears in a URL).
    pub async fn exchange_long_lived(&self, short: &Secret<String>) -> Result<AccessToken, GraphError> {
        let mut call = Call::new(Method::POST, "oauth/access_token", None);
        call.form = vec![
            ("grant_type", "fb_exchange_token".into()),
            ("client_id", self.inner.app_id.clone()),
            ("client_secret", self.inner.app_secret.expose().clone()),
            ("fb_exchange_token", short.expose().clone()),
        ];
        let result = self.json::<TokenJson>("token response", call).await;
        let (t, _) = result.map_err(|e| e.redact(short.expose()).redact(self.inner.app_secret.expose()))?;
        Ok(AccessToken::new(t.access_token, t.expires_in))
    }

    /// Inspects a token with the app token `{app_id}|{app_secret}`.
    pub async fn debug_token(&self, token: &Secret<String>) -> Result<TokenInfo, GraphError> {
        let app_token = self.app_token();
        let call = Call::get("debug_token", &app_token).query("input_token", token.expose().clone());
        let (env, _) = self
            .json::<DebugEnvelope>("debug_token response", call)
            .await
            .map_err(|e| e.redact(token.expose()))?;
        let d = env.data;
        Ok(TokenInfo {
            user_id: d.user_id,
            app_id: d.app_id,
            is_valid: d.is_valid,
            expires_at: timestamp(d.expires_at),
            scopes: d.scopes,
            error: d.error.map(|e| e.message.unwrap_or_default()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FacebookApp;

    #[test]
    fn dialog_url_carries_the_parameters() {
        let app = FacebookApp {
            app_id: "42".into(),
            app_secret: Secret::new("s3cret-value".into()),
            graph_url: Url::parse("https://graph.facebook.com").expect("url"),
            dialog_url: Url::parse("https://www.facebook.com").expect("url"),
            api_version: "v25.0".into(),
        };
        let c = GraphClient::new(&app).expect("client");
        let redirect = Url::parse("https://ads.example.com/connect/facebook/callback").expect("url");
        let u = c.authorize_url(&redirect, "st4te", &["ads_read", "business_management"]);
        assert_eq!(u.path(), "/v25.0/dialog/oauth");
        let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "42");
        assert_eq!(q["state"], "st4te");
        assert_eq!(q["redirect_uri"], redirect.as_str());
        assert_eq!(q["scope"], "ads_read,business_management");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["auth_type"], "rerequest");
        assert!(!u.as_str().contains("s3cret"));
    }

    #[test]
    fn zero_expiry_means_none() {
        assert_eq!(timestamp(Some(0)), None);
        assert_eq!(timestamp(None), None);
        assert!(timestamp(Some(1_900_000_000)).is_some());
        let t = AccessToken::new("EAAB".into(), Some(0));
        assert!(t.expires_at.is_none());
        assert!(!format!("{t:?}").contains("EAAB"));
    }
}
