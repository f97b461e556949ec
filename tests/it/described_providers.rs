//! An OAuth 2 provider described by data, against the sandbox's generic ad platform: the
//! consent, the code exchange, refresh-token rotation (a reused refresh token revokes the
//! grant), RFC 7009 revocation, and a grant the person revoked at the platform.

use adsync_common::Secret;
use adsync_common::config::DescribedProvider;
use adsync_common::config::providers::parse_descriptions;
use adsync_connect::described::{DescribedClient, TokenError, TokenSet};
use adsync_sandbox::SandboxHandle;

const REDIRECT: &str = "http://127.0.0.1:9/oauth/sandbox_ads/callback";

fn described(sandbox: &SandboxHandle) -> DescribedClient {
    let base = sandbox.base_url();
    let json = serde_json::json!([{
        "id": "sandbox_ads",
        "display_name": "Sandbox Ads",
        "authorize_url": format!("{base}/platform/oauth/authorize"),
        "token_url": format!("{base}/platform/oauth/token"),
        "revoke_url": format!("{base}/platform/oauth/revoke"),
        "api_base_url": format!("{base}/platform/v1"),
        "scopes": ["ads.read", "reports.read"],
        "refresh_tokens": true,
        "rotates_refresh_tokens": true,
        "client_id_variable": "SANDBOX_ADS_CLIENT_ID",
        "client_secret_variable": "SANDBOX_ADS_CLIENT_SECRET"
    }]);
    let description = parse_descriptions("test", &json.to_string()).expect("valid").remove(0);
    let (client_id, secret) = sandbox.control().platform_client();
    DescribedClient::new(DescribedProvider {
        description,
        client_id,
        client_secret: Secret::new(secret),
    })
    .expect("client")
}

/// Consents (the sandbox auto-approves) and exchanges the code.
async fn connect(client: &DescribedClient) -> TokenSet {
    let redirect = url::Url::parse(REDIRECT).expect("url");
    let consent = client.authorize_url(&redirect, "st4te");
    assert!(consent.as_str().contains("scope=ads.read+reports.read"), "{consent}");
    let res = crate::helpers::client().get(consent).send().await.expect("consent");
    let back = url::Url::parse(res.headers()["location"].to_str().expect("location")).expect("back");
    let pairs: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(pairs["state"], "st4te");
    client.exchange(&pairs["code"], &redirect).await.expect("exchange")
}

async fn api_status(sandbox: &SandboxHandle, token: &TokenSet) -> u16 {
    let res = crate::helpers::client()
        .get(format!("{}/platform/v1/me", sandbox.base_url()))
        .bearer_auth(token.access_token.expose())
        .send()
        .await
        .expect("me");
    res.status().as_u16()
}

fn revoked(r: Result<TokenSet, TokenError>) -> bool {
    matches!(r, Err(TokenError::Revoked { .. }))
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_revoked_grant_asks_for_reconnecting() {
    let sandbox = crate::helpers::approving_sandbox().await;
    let client = described(&sandbox);

    let first = connect(&client).await;
    assert_eq!(first.scopes, ["ads.read", "reports.read"]);
    let expires = first.expires_at.expect("a lifetime");
    assert!(!client.due(Some(expires), chrono::Utc::now()), "fresh");
    assert!(
        client.due(Some(expires), expires - chrono::Duration::minutes(4)),
        "within 5 minutes of expiry"
    );
    assert_eq!(api_status(&sandbox, &first).await, 200);

    // A refresh rotates the refresh token; the old one is spent.
    let old_refresh = first.refresh_token.clone().expect("a refresh token");
    let second = client.refresh(&old_refresh).await.expect("refresh");
    let new_refresh = second.refresh_token.clone().expect("rotated");
    assert_ne!(new_refresh.expose(), old_refresh.expose());
    assert_eq!(api_status(&sandbox, &second).await, 200);
    // Presenting the spent one again is taken as theft: the grant is revoked, the new
    // refresh token and access token with it.
    assert!(revoked(client.refresh(&old_refresh).await));
    assert!(revoked(client.refresh(&new_refresh).await));
    assert_eq!(api_status(&sandbox, &second).await, 401);

    // Disconnecting revokes at the platform (RFC 7009).
    let other = connect(&client).await;
    assert!(
        client
            .revoke(other.refresh_token.as_ref().expect("refresh"))
            .await
            .expect("revoke")
    );
    assert!(revoked(
        client.refresh(other.refresh_token.as_ref().expect("refresh")).await
    ));
    assert_eq!(api_status(&sandbox, &other).await, 401);

    // The person removes the app at the platform.
    let third = connect(&client).await;
    sandbox.control().revoke_platform_grants();
    let refused = client.refresh(third.refresh_token.as_ref().expect("refresh")).await;
    assert!(revoked(refused), "a revoked refresh token means reconnecting");
    sandbox.shutdown().await;
}
