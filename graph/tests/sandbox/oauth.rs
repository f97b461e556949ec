//! The OAuth code flow, token inspection, identity and ad accounts; dead tokens.

use adsync_graph::{GraphError, InsightsRequest, Level};
use adsync_sandbox::{DatasetName, SandboxConfig};
use url::Url;

use crate::{REDIRECT, assert_no_secret, connect, dialog_code, spawn};

#[tokio::test]
async fn oauth_code_flow_debug_token_me_and_accounts() {
    let env = spawn(SandboxConfig {
        dataset: DatasetName::Medium,
        require_appsecret_proof: true,
        ..Default::default()
    })
    .await;
    let (code, state) = dialog_code(&env, "st4te").await;
    assert_eq!(state, "st4te");
    let redirect = Url::parse(REDIRECT).expect("url");
    let short = env.graph.exchange_code(&code, &redirect).await.expect("exchange");
    let ttl = (short.expires_at.expect("short ttl") - chrono::Utc::now()).num_seconds();
    assert!(ttl > 3000 && ttl <= 7200, "{ttl} s");

    let reused = env
        .graph
        .exchange_code(&code, &redirect)
        .await
        .expect_err("a code is single-use");
    assert!(
        matches!(
            reused,
            GraphError::InvalidCode {
                subcode: Some(36_009),
                ..
            }
        ),
        "{reused:?}"
    );
    let (code2, _) = dialog_code(&env, "x").await;
    let other = Url::parse("http://127.0.0.1:9/elsewhere").expect("url");
    let mismatch = env
        .graph
        .exchange_code(&code2, &other)
        .await
        .expect_err("redirect must match");
    assert!(
        matches!(
            mismatch,
            GraphError::InvalidRequest {
                code: 100,
                subcode: Some(36_008),
                ..
            }
        ),
        "{mismatch:?}"
    );
    assert!(!mismatch.to_string().contains(&code2));

    let long = env.graph.exchange_long_lived(&short.token).await.expect("long-lived");
    assert!(long.expires_at.expect("long ttl") > chrono::Utc::now() + chrono::Duration::days(50));
    let info = env.graph.debug_token(&long.token).await.expect("debug_token");
    assert!(info.is_valid);
    assert_eq!(info.user_id.as_deref(), Some(env.sb.control().user_id().as_str()));
    assert_eq!(info.app_id.as_deref(), Some(env.sb.app_id()));
    assert!(info.has_scope("ads_read"), "{:?}", info.scopes);
    assert!(
        info.expires_at
            .is_some_and(|t| t > chrono::Utc::now() + chrono::Duration::days(50))
    );

    let me = env.graph.me(&long.token).await.expect("me");
    assert_eq!(
        (me.id.as_str(), me.name.as_str()),
        (env.sb.control().user_id().as_str(), "Sandra Sandbox")
    );

    let accounts = env.graph.ad_accounts(&long.token).await.expect("ad accounts");
    let expected: Vec<(String, String, String, String)> = env
        .sb
        .dataset()
        .accounts()
        .iter()
        .map(|a| {
            (
                a.id.clone(),
                a.account_id.clone(),
                a.currency.clone(),
                a.timezone_name.clone(),
            )
        })
        .collect();
    let got: Vec<_> = accounts
        .iter()
        .map(|a| {
            (
                a.id.clone(),
                a.account_id.clone(),
                a.currency.clone(),
                a.timezone_name.clone(),
            )
        })
        .collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_token_invalid() {
    let env = spawn(SandboxConfig::default()).await;
    let control = env.sb.control();
    let a = connect(&env).await;
    control.expire_token(a.token.expose());
    let e = env.graph.me(&a.token).await.expect_err("expired");
    assert!(
        matches!(e, GraphError::TokenInvalid { subcode: Some(463), .. }),
        "{e:?}"
    );
    assert!(!e.is_retryable());
    assert_no_secret(&e, &a.token);
    let info = env
        .graph
        .debug_token(&a.token)
        .await
        .expect("debug_token still answers");
    assert!(!info.is_valid);
    assert!(info.error.as_deref().is_some_and(|m| !m.is_empty()), "{info:?}");

    let b = connect(&env).await;
    env.graph.revoke(&b.token).await.expect("revoke");
    let acc = env.sb.dataset().accounts()[0].id.clone();
    let (since, until) = (env.sb.dataset().today(), env.sb.dataset().today());
    let e = env
        .graph
        .insights_page(&b.token, &InsightsRequest::daily(acc, Level::Ad, since, until), None)
        .await
        .expect_err("revoked");
    assert!(
        matches!(e, GraphError::TokenInvalid { subcode: Some(458), .. }),
        "{e:?}"
    );
    assert_no_secret(&e, &b.token);
    let e = env
        .graph
        .exchange_long_lived(&b.token)
        .await
        .expect_err("no exchange after revoke");
    assert!(matches!(e, GraphError::TokenInvalid { .. }), "{e:?}");
    assert_no_secret(&e, &b.token);

    control.decline_ads_read(true);
    let c = connect(&env).await;
    let acc = env.sb.dataset().accounts()[0].id.clone();
    let e = env
        .graph
        .insights_page(&c.token, &InsightsRequest::daily(acc, Level::Ad, since, until), None)
        .await
        .expect_err("no ads_read");
    assert!(matches!(e, GraphError::PermissionMissing { code: 200, .. }), "{e:?}");
    assert!(
        !env.graph
            .debug_token(&c.token)
            .await
            .expect("debug")
            .has_scope("ads_read")
    );
}
