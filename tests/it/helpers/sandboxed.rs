//! Apps wired to an in-process Graph API sandbox (Facebook, and the sign-in providers it
//! plays), and a sandbox alone.

use adsync::app::Role;
use adsync_sandbox::{Sandbox, SandboxConfig, SandboxHandle};

use super::{Backend, TestApp, start};

/// The API (no worker: queued runs stay queued, so tests see them as the callback left
/// them) with Facebook configured against an in-process sandbox on port 0. The listener is
/// bound first, so `ADSYNC_PUBLIC_URL` (the OAuth redirect base) names the real port.
pub async fn spawn_app_with_sandbox(backend: Backend, sandbox: SandboxConfig) -> TestApp {
    spawn_app_with_sandbox_and(backend, sandbox, &[]).await
}

pub async fn spawn_app_with_sandbox_and(backend: Backend, sandbox: SandboxConfig, extra: &[(&str, &str)]) -> TestApp {
    with_sandbox(backend, sandbox, extra, false).await
}

/// Like [`spawn_app_with_sandbox`], with signing in with Google and with Facebook configured
/// against the sandbox too (its identity provider, and its app for Facebook Login).
pub async fn spawn_app_with_sign_in(backend: Backend, sandbox: SandboxConfig) -> TestApp {
    with_sandbox(backend, sandbox, &[], true).await
}

async fn with_sandbox(backend: Backend, sandbox: SandboxConfig, extra: &[(&str, &str)], sign_in: bool) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let sandbox_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind sandbox");
    let handle = Sandbox::new(sandbox).spawn(sandbox_listener).await;
    let (sandbox_url, app_id, app_secret) = (
        handle.base_url(),
        handle.app_id().to_string(),
        handle.app_secret().to_string(),
    );
    let mut vars: Vec<(&str, &str)> = vec![
        ("FACEBOOK_APP_ID", &app_id),
        ("FACEBOOK_APP_SECRET", &app_secret),
        ("FACEBOOK_GRAPH_URL", &sandbox_url),
        ("FACEBOOK_DIALOG_URL", &sandbox_url),
        ("ADSYNC_PUBLIC_URL", &base),
    ];
    let (google_client, google_secret) = handle.control().idp_client();
    if sign_in {
        vars.extend_from_slice(&[
            ("GOOGLE_CLIENT_ID", &google_client),
            ("GOOGLE_CLIENT_SECRET", &google_secret),
            ("GOOGLE_ISSUER_URL", &sandbox_url),
            ("FACEBOOK_LOGIN_APP_ID", &app_id),
            ("FACEBOOK_LOGIN_APP_SECRET", &app_secret),
        ]);
    }
    vars.extend_from_slice(extra);
    start(backend, listener, Role::Api, &vars, Some(handle)).await
}

/// A sandbox alone on a free port that approves every consent, for tests of the provider
/// calls without an app.
pub async fn approving_sandbox() -> SandboxHandle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind sandbox");
    let config = SandboxConfig {
        auto_approve: true,
        ..SandboxConfig::default()
    };
    Sandbox::new(config).spawn(listener).await
}
