//! Facebook's deauthorize and data-deletion callbacks with valid and forged signatures.

use adsync_connect::signed_request::sign;

use serde_json::{Value, json};

use super::{Fixture, auto_approve, event_kinds, fixture, seed_synced_rows, synced_rows};
use crate::helpers::{Backend, assert_problem, client};

impl Fixture {
    pub(crate) fn app_secret(&self) -> String {
        self.app.sandbox.as_ref().expect("sandbox").app_secret().to_string()
    }

    pub(crate) fn signed_for_user(&self, secret: &str) -> String {
        let payload = json!({
            "user_id": self.control().user_id(),
            "algorithm": "HMAC-SHA256",
            "issued_at": chrono::Utc::now().timestamp(),
        });
        sign(&payload, secret)
    }

    pub(crate) async fn post_signed(&self, path: &str, signed_request: &str) -> reqwest::Response {
        client()
            .post(self.app.url(path))
            .form(&[("signed_request", signed_request)])
            .send()
            .await
            .expect("post")
    }

    /// Every bad `signed_request` is a 400 problem and changes nothing.
    async fn assert_forgeries_refused(&self, path: &str) {
        let forged = self.signed_for_user("not-the-app-secret");
        let (sig, _) = forged.split_once('.').expect("dot");
        let other_user = sign(
            &json!({"user_id": "999", "algorithm": "HMAC-SHA256", "issued_at": 1}),
            "x",
        );
        let (_, other_body) = other_user.split_once('.').expect("dot");
        let other_alg = sign(
            &json!({"user_id": self.control().user_id(), "algorithm": "HMAC-SHA1"}),
            &self.app_secret(),
        );
        // Validly signed, but from 2001: a captured request replayed years later.
        let stale = sign(
            &json!({"user_id": self.control().user_id(), "algorithm": "HMAC-SHA256", "issued_at": 1_000_000_000}),
            &self.app_secret(),
        );
        for bad in [
            stale,
            forged.clone(),
            format!("{sig}.{other_body}"),
            other_alg,
            "garbage".into(),
            "a.b".into(),
            String::new(),
        ] {
            let res = self.post_signed(path, &bad).await;
            let detail = assert_problem(res, 400).await;
            assert!(detail.contains("signed_request"), "{detail}");
        }
        let res = client().post(self.app.url(path)).send().await.expect("empty");
        assert_problem(res, 400).await;
    }
}

async fn deauthorize_revokes_every_connection_of_that_user(backend: Backend) {
    let f = fixture(backend, auto_approve()).await;
    f.connect().await;
    seed_synced_rows(&f.app, f.team).await;
    // The same Facebook user also connected a second team.
    let (team2, c2) = f.second_team_of_the_same_facebook_user().await;

    f.assert_forgeries_refused("/facebook/deauthorize").await;
    assert_eq!(f.card().await["status"], "connected", "forgeries changed nothing");

    let res = f
        .post_signed("/facebook/deauthorize", &f.signed_for_user(&f.app_secret()))
        .await;
    assert_eq!(res.status(), 200);
    for team in [f.team, team2] {
        let conn = f.connection_of(team).await.expect("row kept");
        assert_eq!(conn.status.as_str(), "revoked");
        assert!(conn.token_ciphertext.is_none(), "the token is forgotten");
        assert_eq!(
            event_kinds(&f.app, team).await.last().map(String::as_str),
            Some("connection_revoked")
        );
    }
    assert_eq!(synced_rows(&f.app, f.team).await, 2, "deauthorize keeps synced data");
    assert!(f.app.connector.as_ref().expect("c").team_token(f.team).await.is_err());
    let page = f.app.page_text(&f.c, &format!("/teams/{}/connectors", f.team)).await;
    assert!(page.contains("Revoked at Facebook"), "{page}");

    // Idempotent, and reconnecting brings the connection back.
    let res = f
        .post_signed("/facebook/deauthorize", &f.signed_for_user(&f.app_secret()))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(f.connect().await, f.connected_location());
    assert_eq!(f.card().await["status"], "connected");
    assert_eq!(
        f.event_kinds().await.last().map(String::as_str),
        Some("connection_recovered")
    );

    // The second team's owner removes the revoked connection: nothing is left to revoke at
    // Facebook, and the owner is not told to clean up there.
    let (status, body) = f
        .app
        .delete_json(&c2, &format!("/api/v1/teams/{team2}/connectors/facebook"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["revoked_at_provider"], true, "{body}");
    let last = adsync_storage::events::list(&f.app.db, team2, 1).await.expect("events");
    assert_eq!(last[0].kind, "connection_removed");
    assert!(last[0].detail.contains("already been removed"), "{}", last[0].detail);
    f.app.stop().await;
}

async fn data_deletion_deletes_tokens_and_data_and_answers_a_status_url(backend: Backend) {
    let f = fixture(backend, auto_approve()).await;
    f.connect().await;
    seed_synced_rows(&f.app, f.team).await;

    f.assert_forgeries_refused("/facebook/data-deletion").await;
    assert_eq!(synced_rows(&f.app, f.team).await, 2, "forgeries deleted nothing");

    let signed = f.signed_for_user(&f.app_secret());
    let res = f.post_signed("/facebook/data-deletion", &signed).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    let code = body["confirmation_code"].as_str().expect("code").to_string();
    let url = body["url"].as_str().expect("url");
    assert_eq!(url, f.app.url(&format!("/facebook/deletion-status/{code}")));

    assert_eq!(synced_rows(&f.app, f.team).await, 0, "synced data deleted");
    assert!(
        f.connection().await.is_none(),
        "the connection (token, Facebook id and name) is gone"
    );
    let card = f.card().await;
    assert_eq!(card["status"], "not_connected", "{card}");
    assert_eq!(card["ad_accounts"], json!([]), "{card}");
    assert!(card["external_user"].is_null(), "{card}");
    let kinds = f.event_kinds().await;
    assert!(
        kinds.ends_with(&[String::from("connection_revoked"), String::from("data_deleted")]),
        "{kinds:?}"
    );

    let res = client().get(url).send().await.expect("status page");
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("html");
    assert!(html.contains(&code) && html.contains("completed"), "{html}");
    let (status, json_status) = f
        .app
        .get_json(&client(), &format!("/facebook/deletion-status/{code}"))
        .await;
    assert_eq!(status, 200, "the page works without JSON Accept too");
    assert!(json_status.is_null(), "HTML by default");
    let res = client()
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .expect("json status");
    let j: Value = res.json().await.expect("json");
    assert_eq!(j["status"], "completed");
    // The same request again (Facebook retrying, or a replay after the team reconnected):
    // the first confirmation code, and nothing deleted a second time.
    assert_eq!(f.connect().await, f.connected_location());
    seed_synced_rows(&f.app, f.team).await;
    let events_before = f.event_kinds().await.len();
    let res = f.post_signed("/facebook/data-deletion", &signed).await;
    assert_eq!(res.status(), 200);
    let again: Value = res.json().await.expect("json");
    assert_eq!(again, body, "the first receipt");
    assert_eq!(synced_rows(&f.app, f.team).await, 2, "a replay deleted nothing");
    assert_eq!(f.card().await["status"], "connected");
    assert_eq!(f.event_kinds().await.len(), events_before, "no work redone");

    for unknown in ["0000", "not-a-code!", "x".repeat(100).as_str()] {
        let res = f
            .app
            .get(&client(), &format!("/facebook/deletion-status/{unknown}"))
            .await;
        assert_eq!(res.status(), 404, "{unknown}");
    }
    f.app.stop().await;
}

crate::on_both_backends!(
    deauthorize_revokes_every_connection_of_that_user,
    data_deletion_deletes_tokens_and_data_and_answers_a_status_url,
);
