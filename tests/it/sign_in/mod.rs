//! Signing in with Google (the sandbox's OpenID Connect provider) and with Facebook Login
//! (the sandbox's dialog and `/me`): creating a user, signing in a linked one, linking an
//! existing e-mail only after its password, the account page's link and unlink, and every
//! way a sign-in can be refused.

mod account;
mod facebook;
mod google;
mod id_token;
mod refusals;

use adsync_sandbox::{Identity, SandboxConfig};

use crate::helpers::{Backend, TestApp, spawn_app_with_sign_in};

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no location in {} {:?}", res.status(), res.headers()))
        .to_string()
}

pub async fn app(backend: Backend, auto_approve: bool) -> TestApp {
    spawn_app_with_sign_in(
        backend,
        SandboxConfig {
            auto_approve,
            ..SandboxConfig::default()
        },
    )
    .await
}

/// Who signs in at the sandbox's providers from now on.
pub fn as_person(app: &TestApp, email: &str, email_verified: bool) {
    let sandbox = app.sandbox.as_ref().expect("sandbox");
    sandbox.control().set_identity(Identity {
        email: email.into(),
        email_verified,
    });
}

/// Where `start` (a response of the app sending the browser to the provider) leads once
/// the provider (auto-approving) answers: the app's callback URL.
pub async fn through_provider(c: &reqwest::Client, start: reqwest::Response) -> String {
    assert_eq!(start.status(), 303, "the app sends the browser to the provider");
    let res = c.get(location(&start)).send().await.expect("provider");
    assert!(res.status().is_redirection(), "the provider answers: {}", res.status());
    location(&res)
}

/// Clicks "Sign in with {provider}" on the login page as `c` and comes back: the callback's
/// answer.
pub async fn sign_in_with(app: &TestApp, c: &reqwest::Client, provider: &str) -> reqwest::Response {
    let start = app.get(c, &format!("/login/{provider}")).await;
    let callback = through_provider(c, start).await;
    c.get(callback).send().await.expect("callback")
}
