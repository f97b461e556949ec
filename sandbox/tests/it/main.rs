//! Integration tests of the sandbox over real HTTP (one binary, one module per area).

mod async_batch;
mod budgets;
mod encoding;
mod faults;
mod insights;
mod oauth;
mod oidc;
mod perf;
mod ranges;

use adsync_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use reqwest::header::HeaderMap;
use serde_json::Value;

pub const V: &str = "v25.0";

pub struct TestApp {
    pub sb: SandboxHandle,
    pub http: reqwest::Client,
    pub base: String,
}

pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn error_code(&self) -> Option<i64> {
        self.body["error"]["code"].as_i64()
    }
    pub fn subcode(&self) -> Option<i64> {
        self.body["error"]["error_subcode"].as_i64()
    }
    pub fn header_json(&self, name: &str) -> Value {
        let raw = self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("null");
        serde_json::from_str(raw).unwrap_or(Value::Null)
    }
}

pub async fn spawn(config: SandboxConfig) -> TestApp {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let sb = Sandbox::new(config).spawn(listener).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let base = sb.base_url();
    TestApp { sb, http, base }
}

pub fn auto() -> SandboxConfig {
    SandboxConfig {
        auto_approve: true,
        ..SandboxConfig::default()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}/{V}/{}", self.base, path.trim_start_matches('/'))
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let resp = req.send().await.expect("send");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, headers, body }
    }

    pub async fn get(&self, path: &str, params: &[(&str, &str)]) -> Answer {
        self.send(self.http.get(self.url(path)).query(params)).await
    }

    pub async fn get_url(&self, url: &str) -> Answer {
        self.send(self.http.get(url)).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        self.send(self.http.post(self.url(path)).form(form)).await
    }

    /// Runs the dialog (auto-approve) and returns the `Location` it redirects to.
    pub async fn dialog(&self, redirect: &str, scope: &str) -> String {
        let resp = self
            .http
            .get(self.url("dialog/oauth"))
            .query(&[
                ("client_id", self.sb.app_id()),
                ("redirect_uri", redirect),
                ("state", "st4te"),
                ("scope", scope),
                ("response_type", "code"),
            ])
            .send()
            .await
            .expect("dialog");
        assert_eq!(resp.status().as_u16(), 302);
        resp.headers()["location"].to_str().expect("location").to_string()
    }

    /// Exchanges a dialog's `code` for a token, as this app (its id and secret).
    pub async fn exchange_code(&self, redirect: &str, code: &str) -> Answer {
        let params = [
            ("client_id", self.sb.app_id()),
            ("client_secret", self.sb.app_secret()),
            ("redirect_uri", redirect),
            ("code", code),
        ];
        self.get("oauth/access_token", &params).await
    }

    /// Full login with auto-approve: a short-lived user token.
    pub async fn login(&self) -> String {
        let redirect = "http://localhost:9/callback";
        let loc = self.dialog(redirect, "ads_read,business_management").await;
        let code = query_param(&loc, "code").expect("code");
        let a = self.exchange_code(redirect, &code).await;
        assert_eq!(a.status, 200, "{}", a.body);
        a.body["access_token"].as_str().expect("token").to_string()
    }
}

pub fn query_param(url: &str, key: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    u.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

/// Follows `paging.next` to the end; returns all rows and the number of pages.
pub async fn all_pages(app: &TestApp, first: Answer) -> (Vec<Value>, usize) {
    let mut rows = Vec::new();
    let mut page = first;
    let mut pages = 0;
    loop {
        assert_eq!(page.status, 200, "{}", page.body);
        pages += 1;
        rows.extend(page.body["data"].as_array().cloned().unwrap_or_default());
        assert!(
            page.body["paging"]["cursors"]["after"].is_string(),
            "cursors always: {}",
            page.body
        );
        match page.body["paging"]["next"].as_str() {
            Some(next) => page = app.get_url(next).await,
            None => break,
        }
    }
    (rows, pages)
}
