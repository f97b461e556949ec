//! [`GraphClient`]: the one HTTP client for Facebook's Graph API, shared by the connect
//! flow and the sync worker. Tokens travel in the `Authorization` header (never in a URL),
//! each with its `appsecret_proof`; every response's usage headers are parsed (errors
//! included) and handed to the optional usage hook.

use std::fmt;
use std::sync::{Arc, Once};
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::de::DeserializeOwned;
use url::Url;

use super::envelope::Envelope;
use super::error::GraphError;
use super::proof::appsecret_proof;
use super::usage::Usage;
use crate::Secret;

/// The Facebook app adsync connects through.
#[derive(Clone, Debug)]
pub struct FacebookApp {
    pub app_id: String,
    pub app_secret: Secret<String>,
    pub graph_url: Url,
    pub dialog_url: Url,
    pub api_version: String,
}

/// Connection setup limit.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Whole-request limit (Facebook answers insights pages in well under this).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest page size Facebook accepts (insights, objects, ad accounts).
pub const MAX_PAGE_SIZE: u32 = 500;

/// A typed Graph API client; cheap to clone (one shared connection pool).
#[derive(Clone)]
pub struct GraphClient {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Clone)]
pub(crate) struct Inner {
    pub http: reqwest::Client,
    pub app_id: String,
    pub app_secret: Secret<String>,
    /// `{graph_url}/{version}/`
    pub graph_base: Url,
    /// `{dialog_url}/{version}/dialog/oauth`
    pub dialog: Url,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("app_id", &self.inner.app_id)
            .field("graph_base", &self.inner.graph_base.as_str())
            .field("dialog", &self.inner.dialog.as_str())
            .finish_non_exhaustive()
    }
}

/// Installs rustls' ring provider once per process (another installed provider is fine).
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// `base` with a trailing slash, so `join` appends instead of replacing the last segment.
fn dir(base: &Url) -> Url {
    let mut u = base.clone();
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    u.set_query(None);
    u.set_fragment(None);
    u
}

/// A path segment adsync puts into a Graph URL: ids such as `act_123`, `me`, run ids.
pub(crate) fn check_segment(what: &str, s: &str) -> Result<(), GraphError> {
    let ok = !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(GraphError::local(format!(
            "invalid {what}: expected letters, digits or _"
        )))
    }
}

/// One Graph call.
pub(crate) struct Call<'a> {
    pub method: Method,
    /// Relative to `/{version}/`, e.g. `act_1/insights`.
    pub path: String,
    /// The token to authenticate with (user token, or the app token).
    pub token: Option<&'a str>,
    /// Names are adsync's own (`&'static`) but for a passthrough call's.
    pub query: Vec<(std::borrow::Cow<'static, str>, String)>,
    /// Sent as a form body when not empty.
    pub form: Vec<(&'static str, String)>,
}

impl<'a> Call<'a> {
    pub fn get(path: impl Into<String>, token: &'a Secret<String>) -> Self {
        Self::new(Method::GET, path, Some(token.expose()))
    }
    pub fn new(method: Method, path: impl Into<String>, token: Option<&'a str>) -> Self {
        Self {
            method,
            path: path.into(),
            token,
            query: Vec::new(),
            form: Vec::new(),
        }
    }
    pub fn query(mut self, k: &'static str, v: impl Into<String>) -> Self {
        self.query.push((k.into(), v.into()));
        self
    }
}

impl GraphClient {
    /// Builds the client from the app's configuration.
    pub fn new(app: &FacebookApp) -> Result<Self, GraphError> {
        install_crypto_provider();
        check_segment("API version", &app.api_version.replace('.', "_"))?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("adsync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(GraphError::from_reqwest)?;
        let version_dir = |base: &Url, rest: &str| {
            dir(base)
                .join(&format!("{}/{rest}", app.api_version))
                .map_err(|e| GraphError::local(format!("bad Facebook URL: {e}")))
        };
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                app_id: app.app_id.clone(),
                app_secret: app.app_secret.clone(),
                graph_base: version_dir(&app.graph_url, "")?,
                dialog: version_dir(&app.dialog_url, "dialog/oauth")?,
            }),
        })
    }

    pub fn app_id(&self) -> &str {
        &self.inner.app_id
    }

    /// `hex(HMAC_SHA256(app_secret, token))` for this app.
    pub fn appsecret_proof(&self, token: &str) -> String {
        appsecret_proof(self.inner.app_secret.expose(), token)
    }

    /// The app access token `{app_id}|{app_secret}`.
    pub(crate) fn app_token(&self) -> Secret<String> {
        Secret::new(format!("{}|{}", self.inner.app_id, self.inner.app_secret.expose()))
    }

    pub(crate) fn url(&self, path: &str) -> Result<Url, GraphError> {
        self.inner
            .graph_base
            .join(path)
            .map_err(|e| GraphError::local(format!("bad Graph path: {e}")))
    }

    /// Sends a call; returns the body of a 2xx answer without an error envelope.
    pub(crate) async fn send(&self, call: Call<'_>) -> Result<(Vec<u8>, Usage), GraphError> {
        let token = call.token;
        let result = self.send_inner(call).await;
        match token {
            Some(t) => result.map_err(|e| e.redact(t)),
            None => result,
        }
    }

    async fn send_inner(&self, call: Call<'_>) -> Result<(Vec<u8>, Usage), GraphError> {
        let url = self.url(&call.path)?;
        let mut rb = self.inner.http.request(call.method, url).query(&call.query);
        if let Some(token) = call.token {
            let mut auth = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| GraphError::local("the access token contains characters a header cannot carry"))?;
            auth.set_sensitive(true);
            rb = rb
                .header(AUTHORIZATION, auth)
                .query(&[("appsecret_proof", self.appsecret_proof(token))]);
        }
        if !call.form.is_empty() {
            rb = rb.form(&call.form);
        }
        let resp = rb.send().await.map_err(GraphError::from_reqwest)?;
        let status = resp.status().as_u16();
        let usage = Usage::from_headers(resp.headers());
        // Without a copy when the body arrived as one buffer.
        let body: Vec<u8> = resp.bytes().await.map_err(GraphError::from_reqwest)?.into();
        if !(200..300).contains(&status) {
            return Err(GraphError::from_response(status, &body, &usage));
        }
        if let Some(env) = Envelope::parse(&body) {
            return Err(env.classify(status, &usage));
        }
        Ok((body, usage))
    }

    /// Sends a call and returns its body as text, checked as UTF-8 once: reading bytes,
    /// serde_json checks every string on its own, which was a tenth of reading a page.
    pub(crate) async fn text(&self, what: &str, call: Call<'_>) -> Result<(String, Usage), GraphError> {
        let (body, usage) = self.send(call).await?;
        let text = String::from_utf8(body)
            .map_err(|e| GraphError::Decode(format!("{what}: not UTF-8 at byte {}", e.utf8_error().valid_up_to())))?;
        Ok((text, usage))
    }

    /// Sends a call and decodes its JSON body as `T`.
    pub(crate) async fn json<T: DeserializeOwned>(&self, what: &str, call: Call<'_>) -> Result<(T, Usage), GraphError> {
        let (text, usage) = self.text(what, call).await?;
        let v = serde_json::from_str(&text).map_err(|e| GraphError::decode(what, &e))?;
        Ok((v, usage))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn app(graph: &str, dialog: &str) -> FacebookApp {
        FacebookApp {
            app_id: "1234".into(),
            app_secret: Secret::new("sandbox-secret".into()),
            graph_url: Url::parse(graph).expect("graph url"),
            dialog_url: Url::parse(dialog).expect("dialog url"),
            api_version: "v25.0".into(),
        }
    }

    #[test]
    fn base_urls_keep_prefixes() {
        let c = GraphClient::new(&app("http://127.0.0.1:9/fb", "https://www.facebook.com")).expect("client");
        assert_eq!(
            c.url("act_1/insights").expect("url").as_str(),
            "http://127.0.0.1:9/fb/v25.0/act_1/insights"
        );
        assert_eq!(c.inner.dialog.as_str(), "https://www.facebook.com/v25.0/dialog/oauth");
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("sandbox-secret"), "{dbg}");
        assert_eq!(c.appsecret_proof("t"), appsecret_proof("sandbox-secret", "t"));
    }

    #[test]
    fn path_segments_are_checked() {
        assert!(check_segment("id", "act_123").is_ok());
        for bad in ["", "../me", "act_1/x", "a?b", "a b"] {
            assert!(check_segment("id", bad).is_err(), "{bad}");
        }
    }
}
