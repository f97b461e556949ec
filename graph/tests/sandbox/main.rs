//! `adsync_graph` against the sandbox over real HTTP (one binary, one module per
//! area): the OAuth code flow, token inspection and errors, ad accounts, insights paged to
//! the end (sync and async) compared with the ground truth, throttles, injected faults
//! and usage headers.

mod insights;
mod limits;
mod oauth;

use adsync_graph::FacebookApp;
use adsync_graph::Secret;
use adsync_graph::{AccessToken, GraphClient, GraphError};
use adsync_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use url::Url;

pub const REDIRECT: &str = "http://127.0.0.1:9/connect/facebook/callback";

/// The scopes adsync asks for.
pub const SCOPES: &[&str] = &["ads_read", "business_management"];

pub struct Env {
    pub sb: SandboxHandle,
    pub graph: GraphClient,
}

pub async fn spawn(config: SandboxConfig) -> Env {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let sb = Sandbox::new(SandboxConfig {
        auto_approve: true,
        ..config
    })
    .spawn(listener)
    .await;
    let base = Url::parse(&sb.base_url()).expect("base url");
    let app = FacebookApp {
        app_id: sb.app_id().to_string(),
        app_secret: Secret::new(sb.app_secret().to_string()),
        graph_url: base.clone(),
        dialog_url: base,
        api_version: "v25.0".into(),
    };
    let graph = GraphClient::new(&app).expect("graph client");
    Env { sb, graph }
}

/// Follows the dialog (auto-approve) without following the redirect; returns (code, state).
pub async fn dialog_code(env: &Env, state: &str) -> (String, String) {
    let url = env
        .graph
        .authorize_url(&Url::parse(REDIRECT).expect("url"), state, SCOPES);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http");
    let resp = http.get(url).send().await.expect("dialog");
    assert_eq!(resp.status().as_u16(), 302);
    let location = resp.headers()["location"].to_str().expect("location").to_string();
    let back = Url::parse(&location).expect("redirect url");
    assert!(back.as_str().starts_with(REDIRECT), "{back}");
    let get = |k: &str| {
        back.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
            .expect(k)
    };
    (get("code"), get("state"))
}

/// Code → short-lived → long-lived token.
pub async fn connect(env: &Env) -> AccessToken {
    let (code, _) = dialog_code(env, "s").await;
    let short = env
        .graph
        .exchange_code(&code, &Url::parse(REDIRECT).expect("url"))
        .await
        .expect("code exchange");
    env.graph.exchange_long_lived(&short.token).await.expect("long-lived")
}

pub fn assert_no_secret(e: &GraphError, token: &Secret<String>) {
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains(token.expose().as_str()), "token leaked: {text}");
        assert!(
            !text.contains("appsecret_proof") && !text.contains("sandbox-secret"),
            "{text}"
        );
    }
}
