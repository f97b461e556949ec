//! The ID token checks, against tokens the sandbox's identity provider really signs: its
//! signature by a published key, the algorithm, the issuer, the audience and the nonce.

use adsync_common::Secret;
use adsync_common::config::OidcClient;
use adsync_connect::sign_in::OidcProvider;
use adsync_sandbox::SandboxHandle;
use base64::Engine;
use sha2::Digest;

const VERIFIER: &str = "a-pkce-verifier-of-enough-length-0123456789abcdef";

/// An ID token for `nonce`, obtained as a relying party would: authorize, then the code at
/// the token endpoint.
async fn id_token(sandbox: &SandboxHandle, nonce: &str) -> String {
    let (client_id, secret) = sandbox.control().idp_client();
    let http = crate::helpers::client();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(VERIFIER.as_bytes()));
    let redirect = "http://127.0.0.1:9/login/google/callback";
    let authorize = http
        .get(format!("{}/o/oauth2/v2/auth", sandbox.base_url()))
        .query(&[
            ("client_id", client_id.as_str()),
            ("redirect_uri", redirect),
            ("response_type", "code"),
            ("scope", "openid email"),
            ("state", "s"),
            ("nonce", nonce),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .expect("authorize");
    let back = url::Url::parse(authorize.headers()["location"].to_str().expect("location")).expect("url");
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("code")
        .1
        .into_owned();
    let answer: serde_json::Value = http
        .post(format!("{}/oauth2/token", sandbox.base_url()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    answer["id_token"].as_str().expect("id_token").to_string()
}

fn relying_party(sandbox: &SandboxHandle, issuer: &str, client_id: Option<&str>) -> OidcProvider {
    let (id, secret) = sandbox.control().idp_client();
    OidcProvider::new(&OidcClient {
        issuer: url::Url::parse(issuer).expect("issuer"),
        client_id: client_id.map_or(id, str::to_string),
        client_secret: Secret::new(secret),
    })
    .expect("provider")
}

#[tokio::test]
async fn only_a_token_signed_for_this_client_and_sign_in_is_accepted() {
    let sandbox = crate::helpers::approving_sandbox().await;
    let base = sandbox.base_url();
    let token = id_token(&sandbox, "nonce-1").await;
    let rp = relying_party(&sandbox, &base, None);

    let claims = rp.verify_id_token(&token, "nonce-1").await.expect("a good token");
    assert_eq!(
        claims.verified_email().map(|e| e.as_str().to_string()),
        Some("owner@demo.adsync.test".into())
    );

    let refused = |r: Result<_, adsync_connect::sign_in::SignInError>| r.expect_err("refused").to_string();
    assert!(refused(rp.verify_id_token(&token, "nonce-2").await).contains("nonce"));

    // A claim changed after signing: the signature no longer matches.
    let parts: Vec<&str> = token.split('.').collect();
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value = serde_json::from_slice(&engine.decode(parts[1]).expect("b64")).expect("json");
    claims["email"] = "mallory@example.test".into();
    let forged = format!("{}.{}.{}", parts[0], engine.encode(claims.to_string()), parts[2]);
    let why = refused(rp.verify_id_token(&forged, "nonce-1").await);
    assert!(why.contains("signature does not match"), "{why}");

    // Signed with a shared secret instead of the issuer's key (algorithm confusion).
    let mut head = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    head.kid = Some("sandbox-1".into());
    let hs = jsonwebtoken::encode(
        &head,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"k").expect("key"),
    )
    .expect("hs256");
    assert!(refused(rp.verify_id_token(&hs, "nonce-1").await).contains("not RS256"));

    // For another client: the audience differs.
    let other = relying_party(&sandbox, &base, Some("someone-else.apps.sandbox.test"));
    let why = refused(other.verify_id_token(&token, "nonce-1").await);
    assert!(why.contains("for another app (aud)"), "{why}");

    // The same keys under another issuer name: the token names 127.0.0.1, not this issuer.
    let port = sandbox.addr().port();
    let other_issuer = relying_party(&sandbox, &format!("http://localhost:{port}"), None);
    let why = refused(other_issuer.verify_id_token(&token, "nonce-1").await);
    assert!(why.contains("issued by someone else (iss)"), "{why}");
    sandbox.shutdown().await;
}
