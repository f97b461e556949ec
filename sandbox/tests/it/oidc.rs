//! The sandbox as an OpenID Connect provider: discovery, consent, code + PKCE, a signed ID
//! token that verifies with the published keys, single-use codes, userinfo.

use adsync_sandbox::Identity;
use base64::Engine;
use serde_json::Value;
use sha2::Digest;

use crate::{TestApp, auto, spawn};

const VERIFIER: &str = "a-verifier-of-at-least-43-characters-long-0123456789";
const REDIRECT: &str = "http://127.0.0.1:9/login/google/callback";

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

async fn get_json(app: &TestApp, path: &str) -> Value {
    app.http
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json")
}

/// The authorization URL with PKCE and a nonce, as a client builds it from discovery.
fn authorize_url(app: &TestApp, client_id: &str, pkce: &str) -> String {
    let mut url = url::Url::parse(&format!("{}/o/oauth2/v2/auth", app.base)).expect("url");
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email")
        .append_pair("state", "st-1")
        .append_pair("nonce", "n-1")
        .append_pair("code_challenge", pkce)
        .append_pair("code_challenge_method", "S256");
    url.to_string()
}

fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(location)
        .expect("location")
        .query_pairs()
        .into_owned()
        .collect()
}

async fn code(app: &TestApp, client_id: &str) -> String {
    let res = app
        .http
        .get(authorize_url(app, client_id, &challenge(VERIFIER)))
        .send()
        .await
        .expect("authorize");
    assert_eq!(res.status(), 303, "auto-approve redirects back");
    let q = query_of(res.headers()["location"].to_str().expect("location"));
    assert_eq!(q["state"], "st-1");
    q["code"].clone()
}

async fn exchange(app: &TestApp, code: &str, secret: &str, verifier: &str) -> (u16, Value) {
    let (id, _) = app.sb.control().idp_client();
    let res = app
        .http
        .post(format!("{}/oauth2/token", app.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", &id),
            ("client_secret", secret),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .expect("token");
    (res.status().as_u16(), res.json().await.expect("json"))
}

#[tokio::test]
async fn a_code_with_pkce_gives_an_id_token_that_verifies_with_the_published_keys() {
    let app = spawn(auto()).await;
    app.sb.control().set_identity(Identity {
        email: "ann@example.com".into(),
        email_verified: true,
    });
    let (client_id, secret) = app.sb.control().idp_client();
    let discovery = get_json(&app, "/.well-known/openid-configuration").await;
    assert_eq!(discovery["issuer"], app.base);
    let jwks = get_json(&app, "/oauth2/v3/certs").await;
    let key = &jwks["keys"][0];

    let code = code(&app, &client_id).await;
    let (status, tokens) = exchange(&app, &code, &secret, VERIFIER).await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = tokens["id_token"].as_str().expect("id_token");
    let decoding =
        jsonwebtoken::DecodingKey::from_rsa_components(key["n"].as_str().expect("n"), key["e"].as_str().expect("e"))
            .expect("key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[&client_id]);
    validation.set_issuer(&[&app.base]);
    let claims = jsonwebtoken::decode::<Value>(id_token, &decoding, &validation)
        .expect("verifies")
        .claims;
    assert_eq!(claims["email"], "ann@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["nonce"], "n-1");
    let sub = claims["sub"].as_str().expect("sub").to_string();

    let info: Value = app
        .http
        .get(format!("{}/v1/userinfo", app.base))
        .bearer_auth(tokens["access_token"].as_str().expect("access"))
        .send()
        .await
        .expect("userinfo")
        .json()
        .await
        .expect("json");
    assert_eq!(info["sub"], sub.as_str());

    // A code works once.
    let (status, again) = exchange(&app, &code, &secret, VERIFIER).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn wrong_verifiers_secrets_and_requests_without_pkce_are_refused() {
    let app = spawn(auto()).await;
    let (client_id, secret) = app.sb.control().idp_client();
    let c = code(&app, &client_id).await;
    let (status, body) = exchange(&app, &c, &secret, "another-verifier-of-at-least-43-characters-xx").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    let c = code(&app, &client_id).await;
    let (status, body) = exchange(&app, &c, "not-the-secret", VERIFIER).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_client")));
    let no_pkce = authorize_url(&app, &client_id, "").replace("&code_challenge_method=S256", "");
    assert_eq!(app.http.get(no_pkce).send().await.expect("authorize").status(), 400);
    let unknown = authorize_url(&app, "someone-else", &challenge(VERIFIER));
    assert_eq!(app.http.get(unknown).send().await.expect("authorize").status(), 400);
}

#[tokio::test]
async fn the_consent_page_chooses_the_account_or_cancels() {
    let app = spawn(adsync_sandbox::SandboxConfig::default()).await;
    let (client_id, secret) = app.sb.control().idp_client();
    let page = app
        .http
        .get(authorize_url(&app, &client_id, &challenge(VERIFIER)))
        .send()
        .await
        .expect("authorize")
        .text()
        .await
        .expect("page");
    assert!(
        page.contains("Sign in with Google") && page.contains("name=\"email\""),
        "{page}"
    );
    let form = |decision: &'static str| {
        let url = authorize_url(&app, &client_id, &challenge(VERIFIER));
        let mut fields: Vec<(String, String)> = query_of(&url).into_iter().collect();
        fields.push(("decision".into(), decision.into()));
        fields.push(("email".into(), "Bob@Example.com".into()));
        fields
    };
    let post = |fields: Vec<(String, String)>| {
        app.http
            .post(format!("{}/o/oauth2/v2/auth", app.base))
            .form(&fields)
            .send()
    };
    let denied = post(form("deny")).await.expect("deny");
    let q = query_of(denied.headers()["location"].to_str().expect("location"));
    assert_eq!((q["error"].as_str(), q["state"].as_str()), ("access_denied", "st-1"));
    let approved = post(form("approve")).await.expect("approve");
    let q = query_of(approved.headers()["location"].to_str().expect("location"));
    let (status, tokens) = exchange(&app, &q["code"], &secret, VERIFIER).await;
    assert_eq!(status, 200);
    let payload = tokens["id_token"]
        .as_str()
        .expect("jwt")
        .split('.')
        .nth(1)
        .expect("payload");
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("b64"),
    )
    .expect("json");
    assert_eq!(claims["email"], "bob@example.com", "the address chosen on the page");
}
