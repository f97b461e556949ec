//! The OAuth dialog and token endpoints: approve and deny, code exchange, long-lived tokens,
//! debug_token, revoke, expiry and appsecret_proof.

use std::time::Duration;

use adsync_sandbox::SandboxConfig;

use crate::{V, auto, query_param, spawn};

#[tokio::test]
async fn dialog_html_approve_and_deny() {
    let app = spawn(SandboxConfig::default()).await;
    let redirect = "http://localhost:9/cb?team=7";
    let q = [
        ("client_id", app.sb.app_id()),
        ("redirect_uri", redirect),
        ("state", "xyz"),
        ("scope", "ads_read,business_management"),
        ("response_type", "code"),
    ];
    let page = app.send(app.http.get(app.url("dialog/oauth")).query(&q)).await;
    assert_eq!(page.status, 200);
    let html = page.body.as_str().expect("html");
    for needle in [
        "adsync (sandbox)",
        "ads_read",
        "business_management",
        "value=\"approve\"",
        "value=\"deny\"",
        ">Approve: continue as ",
        ">Deny</button>",
        "<form method=\"post\"",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    let mut form: Vec<(&str, &str)> = q.to_vec();
    form.push(("decision", "deny"));
    let deny = app.send(app.http.post(app.url("dialog/oauth")).form(&form)).await;
    assert_eq!(deny.status, 302);
    let loc = deny.headers["location"].to_str().expect("loc");
    assert!(loc.starts_with("http://localhost:9/cb?team=7&error=access_denied&error_reason=user_denied&error_description=Permissions+error&state=xyz"), "{loc}");
    assert!(query_param(loc, "code").is_none());

    // Approve, unticking ads_read: the grant records it as declined.
    let mut form: Vec<(&str, &str)> = q.to_vec();
    form.extend([
        ("decision", "approve"),
        ("granted_scopes_submitted", "1"),
        ("grant", "public_profile"),
        ("grant", "business_management"),
    ]);
    let ok = app.send(app.http.post(app.url("dialog/oauth")).form(&form)).await;
    assert_eq!(ok.status, 302);
    let loc = ok.headers["location"].to_str().expect("loc").to_string();
    assert_eq!(query_param(&loc, "state").as_deref(), Some("xyz"));
    let code = query_param(&loc, "code").expect("code");
    let tok = app.exchange_code(redirect, &code).await;
    let token = tok.body["access_token"].as_str().expect("token");
    let perms = app.get("me/permissions", &[("access_token", token)]).await;
    let declined: Vec<_> = perms.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|p| p["status"] == "declined")
        .collect();
    assert_eq!(declined.len(), 1);
    assert_eq!(declined[0]["permission"], "ads_read");
}

#[tokio::test]
async fn code_exchange_rules() {
    let app = spawn(auto()).await;
    let redirect = "http://localhost:9/callback";
    let loc = app.dialog(redirect, "ads_read").await;
    let code = query_param(&loc, "code").expect("code");
    let ex = |uri: &'static str, secret: &'static str, code: String| {
        let app = &app;
        async move {
            app.get(
                "oauth/access_token",
                &[
                    ("client_id", "1234567890"),
                    ("client_secret", secret),
                    ("redirect_uri", uri),
                    ("code", &code),
                ],
            )
            .await
        }
    };
    let wrong_uri = ex("http://localhost:9/callback/", "sandbox-secret", code.clone()).await;
    assert_eq!(
        (wrong_uri.status, wrong_uri.error_code(), wrong_uri.subcode()),
        (400, Some(100), Some(36008))
    );
    let wrong_secret = ex(redirect_static(), "nope", code.clone()).await;
    assert_eq!(wrong_secret.error_code(), Some(1));
    let good = ex(redirect_static(), "sandbox-secret", code.clone()).await;
    assert_eq!(good.status, 200, "{}", good.body);
    assert!(good.body["access_token"].as_str().expect("t").starts_with("EAAB"));
    assert_eq!(good.body["token_type"], "bearer");
    assert_eq!(good.body["expires_in"], 7200);
    let reused = ex(redirect_static(), "sandbox-secret", code).await;
    assert_eq!(
        (reused.status, reused.error_code(), reused.subcode()),
        (400, Some(100), Some(36009))
    );
    assert_eq!(reused.body["error"]["type"], "OAuthException");
    assert!(reused.body["error"]["fbtrace_id"].is_string());
}

fn redirect_static() -> &'static str {
    "http://localhost:9/callback"
}

#[tokio::test]
async fn long_lived_exchange_debug_token_me() {
    let app = spawn(auto()).await;
    let short = app.login().await;
    let long = app
        .get(
            "oauth/access_token",
            &[
                ("grant_type", "fb_exchange_token"),
                ("client_id", app.sb.app_id()),
                ("client_secret", app.sb.app_secret()),
                ("fb_exchange_token", &short),
            ],
        )
        .await;
    assert_eq!(long.status, 200);
    assert_eq!(long.body["expires_in"], 60 * 24 * 3600);
    let long = long.body["access_token"].as_str().expect("t").to_string();
    assert_ne!(long, short);

    let app_token = format!("{}|{}", app.sb.app_id(), app.sb.app_secret());
    // Unversioned and versioned paths both work.
    let url = format!("{}/debug_token", app.base);
    let dbg = app
        .send(
            app.http
                .get(&url)
                .query(&[("input_token", long.as_str()), ("access_token", app_token.as_str())]),
        )
        .await;
    let d = &dbg.body["data"];
    assert_eq!(d["is_valid"], true);
    assert_eq!(d["app_id"], "1234567890");
    assert_eq!(d["type"], "USER");
    assert!(d["scopes"].as_array().expect("scopes").iter().any(|s| s == "ads_read"));
    assert!(d["expires_at"].as_u64().expect("exp") > d["issued_at"].as_u64().expect("iat"));
    assert_eq!(d["application"], "adsync (sandbox)", "the app's name");
    assert_eq!(d["user_id"], app.sb.control().user_id().as_str());
    // Data access lasts 90 days from issue, past the long-lived token's 60.
    let issued = d["issued_at"].as_u64().expect("iat");
    assert_eq!(d["data_access_expires_at"].as_u64(), Some(issued + 90 * 86_400));
    assert!(d["data_access_expires_at"].as_u64() > d["expires_at"].as_u64());
    let as_user = app
        .get("debug_token", &[("input_token", &long), ("access_token", &long)])
        .await;
    assert_eq!(as_user.error_code(), Some(100));

    let me = app.send(app.http.get(app.url("me")).bearer_auth(&long)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["id"], app.sb.control().user_id().as_str());
    assert!(me.body["name"].is_string());
    let none = app.get("me", &[]).await;
    assert_eq!(none.error_code(), Some(104));
    let garbage = app.get("me", &[("access_token", "EAABnope")]).await;
    assert_eq!(garbage.error_code(), Some(190));
}

#[tokio::test]
async fn adaccounts_are_paged() {
    let app = spawn(SandboxConfig {
        dataset: adsync_sandbox::DatasetName::Medium,
        ..auto()
    })
    .await;
    let t = app.login().await;
    let first = app
        .get(
            "me/adaccounts",
            &[
                ("access_token", &t),
                ("fields", "account_id,name,currency,timezone_name"),
                ("limit", "1"),
            ],
        )
        .await;
    assert!(
        first.body["paging"]["next"]
            .as_str()
            .expect("next")
            .starts_with(&app.base)
    );
    let (rows, pages) = crate::all_pages(&app, first).await;
    assert_eq!((rows.len(), pages), (2, 2));
    assert!(rows[0]["id"].as_str().expect("id").starts_with("act_"));
    assert_eq!(
        format!("act_{}", rows[0]["account_id"].as_str().expect("n")),
        rows[0]["id"].as_str().expect("id")
    );
    let currencies: Vec<_> = rows
        .iter()
        .map(|r| r["currency"].as_str().expect("c").to_string())
        .collect();
    assert_eq!(currencies, ["USD", "JPY"]);
}

#[tokio::test]
async fn revoke_decline_and_expiry() {
    let app = spawn(SandboxConfig {
        short_token_ttl: Duration::from_millis(300),
        ..auto()
    })
    .await;
    let acc = app.sb.dataset().accounts()[0].id.clone();
    let t = app.login().await;
    assert_eq!(app.get(&acc, &[("access_token", &t)]).await.status, 200);
    tokio::time::sleep(Duration::from_millis(350)).await;
    let expired = app.get(&acc, &[("access_token", &t)]).await;
    assert_eq!(
        (expired.status, expired.error_code(), expired.subcode()),
        (400, Some(190), Some(463))
    );

    // Revocation through DELETE /me/permissions: every token of the user answers 190.
    let app = spawn(auto()).await;
    let t1 = app.login().await;
    let t2 = app.login().await;
    let del = app
        .send(
            app.http
                .delete(app.url("me/permissions"))
                .query(&[("access_token", &t1)]),
        )
        .await;
    assert_eq!(del.body["success"], true);
    for t in [&t1, &t2] {
        let r = app.get("me", &[("access_token", t)]).await;
        assert_eq!((r.error_code(), r.subcode()), (Some(190), Some(458)));
    }

    // Declined ads_read: /me/permissions says so, ad account calls answer #200.
    app.sb.control().decline_ads_read(true);
    let t = app.login().await;
    let perms = app.get("me/permissions", &[("access_token", &t)]).await;
    assert!(
        perms.body["data"]
            .as_array()
            .expect("d")
            .iter()
            .any(|p| p["permission"] == "ads_read" && p["status"] == "declined")
    );
    let acc = app.sb.dataset().accounts()[0].id.clone();
    let denied = app.get(&format!("{acc}/insights"), &[("access_token", &t)]).await;
    assert_eq!(denied.error_code(), Some(200));
    let none = app.get("me/adaccounts", &[("access_token", &t)]).await;
    assert_eq!(none.body["data"].as_array().map(Vec::len), Some(0));

    // Control: expire / revoke one token.
    app.sb.control().decline_ads_read(false);
    let t = app.login().await;
    app.sb.control().revoke_token_with(&t, 460);
    assert_eq!(app.get("me", &[("access_token", &t)]).await.subcode(), Some(460));
}

#[tokio::test]
async fn appsecret_proof_is_checked() {
    let app = spawn(SandboxConfig {
        require_appsecret_proof: true,
        ..auto()
    })
    .await;
    let t = app.login().await;
    let missing = app.get("me", &[("access_token", &t)]).await;
    assert_eq!(missing.error_code(), Some(100));
    let bad = app.get("me", &[("access_token", &t), ("appsecret_proof", "00")]).await;
    assert_eq!(bad.error_code(), Some(100));
    assert!(
        bad.body["error"]["message"]
            .as_str()
            .expect("m")
            .contains("appsecret_proof")
    );
    let proof = {
        use hmac::{Hmac, KeyInit, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(app.sb.app_secret().as_bytes()).expect("key");
        mac.update(t.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    };
    let good = app
        .get("me", &[("access_token", &t), ("appsecret_proof", &proof)])
        .await;
    assert_eq!(good.status, 200, "{}", good.body);
    let _ = V;
}
