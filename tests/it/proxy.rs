//! Calling Facebook's API as the team through adsync
//! (`/api/v1/teams/{team}/connectors/facebook/proxy/{path}`): the owner gets the Graph API's
//! answer with the team's token nowhere in it; members and other teams get nothing; an
//! expired token marks the connection for reconnecting, as a sync would.

use adsync_common::ids::Role;
use adsync_storage::connections::ConnectionStatus;
use adsync_storage::{api_tokens, teams};
use serde_json::Value;

use crate::connect::{auto_approve, connected};
use crate::helpers::Backend;

fn proxy(team: impl std::fmt::Display, path: &str) -> String {
    format!("/api/v1/teams/{team}/connectors/facebook/proxy/{path}")
}

async fn the_owner_calls_the_graph_api_as_the_team(backend: Backend) {
    let f = connected(backend, auto_approve()).await;
    let (_, token) = f.stored_token().await;
    let accounts = adsync_storage::connections::synced_ad_accounts(&f.app.db, f.team)
        .await
        .expect("accounts");
    let campaigns = format!("{}/campaigns?fields=name,status&limit=1", accounts[0].id);

    let res = f.app.get(&f.c, &proxy(f.team, &campaigns)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let text = res.text().await.expect("body");
    assert!(!text.contains(token.expose()), "the token never leaves: {text}");
    let body: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1), "{body}");
    assert!(body["data"][0]["name"].is_string(), "{body}");
    // Facebook writes the token into paging links; the proxy takes it out.
    let next = body["paging"]["next"].as_str().unwrap_or_default();
    assert!(next.contains("access_token=[redacted]"), "{body}");

    // The same through the owner's API token, for scripts.
    let (_, api_token) = api_tokens::create(&f.app.db, f.owner, "script").await.expect("token");
    let res = crate::helpers::client()
        .get(f.app.url(&proxy(f.team, "me")))
        .bearer_auth(api_token.expose())
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.expect("json");
    assert!(me["id"].is_string(), "{me}");

    // What cannot be sent is refused before Facebook is asked.
    for bad in ["me/..%2F..%2Fx", "me?access_token=mine", "me?appsecret_proof=x"] {
        let res = f.app.get(&f.c, &proxy(f.team, bad)).await;
        assert_eq!(res.status(), 400, "{bad}");
    }
    let res = f
        .app
        .get(&f.c, &format!("/api/v1/teams/{}/connectors/google/proxy/me", f.team))
        .await;
    assert_eq!(res.status(), 404);
    // Facebook's own refusal of a bad field is the caller's 400, in its words.
    let res = f
        .app
        .get(&f.c, &proxy(f.team, "me/adaccounts?fields=no_such_field"))
        .await;
    assert_eq!(res.status(), 400);
}

async fn members_and_other_teams_cannot_call_as_the_team(backend: Backend) {
    let f = connected(backend, auto_approve()).await;
    let member = f.app.user("member@example.com").await;
    teams::set_member(&f.app.db, f.team, member, Role::Member)
        .await
        .expect("member");
    let member = f.app.signed_in("member@example.com").await;
    assert_eq!(f.app.get(&member, &proxy(f.team, "me")).await.status(), 403);
    let (_, _, stranger) = f.app.owner("owner@globex.test", "Globex").await;
    assert_eq!(f.app.get(&stranger, &proxy(f.team, "me")).await.status(), 404);
    assert_eq!(
        f.app
            .get(&crate::helpers::client(), &proxy(f.team, "me"))
            .await
            .status(),
        401
    );
}

async fn an_expired_token_asks_the_owner_to_reconnect(backend: Backend) {
    let f = connected(backend, auto_approve()).await;
    let (_, token) = f.stored_token().await;
    f.control().expire_token(token.expose());
    let res = f.app.get(&f.c, &proxy(f.team, "me")).await;
    assert_eq!(res.status(), 409);
    let conn = f.connection().await.expect("connection");
    assert_eq!(conn.status, ConnectionStatus::NeedsReconnect);
    let again = f.app.get(&f.c, &proxy(f.team, "me")).await;
    assert_eq!(again.status(), 404, "no usable connection now");
}

crate::on_both_backends!(
    the_owner_calls_the_graph_api_as_the_team,
    members_and_other_teams_cannot_call_as_the_team,
    an_expired_token_asks_the_owner_to_reconnect,
);
