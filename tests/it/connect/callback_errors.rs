//! Every way the OAuth callback can fail: a redirect with a message kind, a
//! `connection_failed` event when the team is known, never a 500, nothing stored.

use adsync_common::ids::Role;
use adsync_storage::events;
use url::Url;

use super::{Fixture, auto_approve, fixture};
use crate::helpers::Backend;

fn state_of(url: &Url) -> String {
    url.query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state")
}

fn with_query(f: &Fixture, pairs: &[(&str, &str)]) -> String {
    let mut url = Url::parse(&f.app.url("/oauth/facebook/callback")).expect("url");
    url.query_pairs_mut().extend_pairs(pairs);
    url.to_string()
}

impl Fixture {
    /// Asserts the failure went back to the team's page with `kind`, recorded a
    /// `connection_failed` event and stored no connection.
    async fn assert_failed(&self, location: &str, kind: &str) -> String {
        assert_eq!(location, format!("/teams/{}/connectors?connect={kind}", self.team));
        let last = events::list(&self.app.db, self.team, 1).await.expect("events");
        assert_eq!(last[0].kind, "connection_failed", "{kind}");
        assert!(self.connection().await.is_none(), "nothing stored after {kind}");
        last[0].detail.clone()
    }

    /// The connectors page after a failure shows the reason.
    async fn page_after(&self, kind: &str) -> String {
        let path = format!("/teams/{}/connectors?connect={kind}", self.team);
        let res = self.app.get(&self.c, &path).await;
        assert_eq!(res.status(), 200);
        res.text().await.expect("html")
    }
}

async fn each_callback_failure_is_a_message_not_a_500(backend: Backend) {
    let mut f = fixture(backend, auto_approve()).await;
    let t = f.team;

    // The person clicks Cancel in the dialog.
    f.control().set_auto_approve(false);
    let authorize = f.start(&f.c, t).await;
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("decision".into(), "deny".into()));
    let res =
        f.c.post(format!("{}/v25.0/dialog/oauth", f.sandbox_url()))
            .form(&form)
            .send()
            .await
            .expect("deny");
    let denied = res.headers()["location"].to_str().expect("location").to_string();
    assert!(denied.contains("error=access_denied"), "{denied}");
    let detail = f.assert_failed(&f.callback(&f.c, &denied).await, "denied").await;
    assert!(detail.contains("cancelled"), "{detail}");
    f.control().set_auto_approve(true);

    // No state, or one adsync never issued: no team to tell, back to the team list.
    let loc = f.callback(&f.c, &with_query(&f, &[("code", "AQxyz")])).await;
    assert_eq!(loc, "/teams?connect=state_missing");
    let loc = f
        .callback(&f.c, &with_query(&f, &[("code", "AQxyz"), ("state", "forged")]))
        .await;
    assert_eq!(loc, "/teams?connect=state_unknown");
    for (kind, says) in [("state_missing", "no state"), ("state_unknown", "not valid")] {
        let res = f.app.get(&f.c, &format!("/teams?connect={kind}")).await;
        assert_eq!(res.status(), 200);
        let page = res.text().await.expect("html");
        assert!(page.contains(says) && page.contains("Start again"), "{kind}: {page}");
    }

    // An expired state (older than 10 minutes).
    let authorize = f.start(&f.c, t).await;
    let past = chrono::Utc::now() - chrono::Duration::minutes(11);
    let sql = "UPDATE oauth_states SET expires_at = $1";
    crate::on_pool!(&f.app.db, p => sqlx::query(sql).bind(past).execute(p).await.map(|_| ())).expect("expire");
    let callback = f.dialog(&authorize).await;
    f.assert_failed(&f.callback(&f.c, callback.as_str()).await, "state_expired")
        .await;

    // A state finished by someone else: a co-owner, a member, another team's owner, nobody.
    let bob = f.app.user("bob@example.com").await;
    adsync_storage::teams::set_member(&f.app.db, t, bob, Role::Owner)
        .await
        .expect("co-owner");
    let dave = f.app.user("dave@example.com").await;
    adsync_storage::teams::set_member(&f.app.db, t, dave, Role::Member)
        .await
        .expect("member");
    let carol_id = f.app.user("carol@example.com").await;
    f.app.team("Carol's", &[(carol_id, Role::Owner)]).await;
    let carol = f.app.signed_in("carol@example.com").await;
    let strangers = [
        f.app.signed_in("bob@example.com").await,
        f.app.signed_in("dave@example.com").await,
        carol,
        crate::helpers::client(),
    ];
    for other in &strangers {
        let callback = f.dialog(&f.start(&f.c, t).await).await;
        f.assert_failed(&f.callback(other, callback.as_str()).await, "state_mismatch")
            .await;
    }

    // A code Facebook never issued.
    let authorize = f.start(&f.c, t).await;
    let bogus = with_query(&f, &[("code", "AQnot-a-real-code"), ("state", &state_of(&authorize))]);
    f.assert_failed(&f.callback(&f.c, &bogus).await, "code_rejected").await;

    // The person unticks ads_read.
    f.control().decline_ads_read(true);
    let detail = f.assert_failed(&f.connect().await, "permission_declined").await;
    assert!(detail.contains("ads_read"), "{detail}");
    let page = f.page_after("permission_declined").await;
    assert!(page.contains("ads_read") && page.contains("connect again"), "{page}");
    assert!(page.contains("Connect Facebook Ads"), "a way to re-ask");
    f.control().decline_ads_read(false);

    // The Facebook user sees no ad account.
    f.control().set_visible_accounts(Some(0));
    let detail = f.assert_failed(&f.connect().await, "no_ad_accounts").await;
    assert!(detail.contains("no ad accounts"), "{detail}");
    f.control().set_visible_accounts(None);

    // Facebook is down between the dialog and the code exchange.
    let callback = f.dialog(&f.start(&f.c, t).await).await;
    f.app.sandbox.take().expect("sandbox").shutdown().await;
    let detail = f
        .assert_failed(&f.callback(&f.c, callback.as_str()).await, "provider_unavailable")
        .await;
    assert!(detail.contains("not reachable"), "{detail}");

    let kinds = f.event_kinds().await;
    assert!(kinds.iter().all(|k| k == "connection_failed"), "{kinds:?}");
    assert_eq!(kinds.len(), 10, "{kinds:?}");
    f.app.stop().await;
}

async fn reused_state_and_code_change_nothing(backend: Backend) {
    let f = fixture(backend, auto_approve()).await;
    let callback = f.dialog(&f.start(&f.c, f.team).await).await;
    assert_eq!(f.callback(&f.c, callback.as_str()).await, f.connected_location());
    let (cipher, _) = f.stored_token().await;

    // The same callback again: the state was single-use. It names its team, so the
    // replay is reported there.
    let loc = f.callback(&f.c, callback.as_str()).await;
    assert_eq!(loc, format!("/teams/{}/connectors?connect=state_reused", f.team));
    let page = f.page_after("state_reused").await;
    assert!(page.contains("already used"), "{page}");

    // A fresh state with the already-used code.
    let used_code = callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let fresh = f.start(&f.c, f.team).await;
    let replay = with_query(&f, &[("code", &used_code), ("state", &state_of(&fresh))]);
    let loc = f.callback(&f.c, &replay).await;
    assert_eq!(loc, format!("/teams/{}/connectors?connect=code_rejected", f.team));

    let (after, _) = f.stored_token().await;
    assert_eq!(cipher, after, "the working connection is untouched");
    assert_eq!(f.card().await["status"], "connected");
    assert_eq!(
        f.event_kinds().await,
        ["connection_created", "connection_failed", "connection_failed"]
    );
    f.app.stop().await;
}

async fn a_slow_facebook_still_connects(backend: Backend) {
    // Latency well under the client's timeouts: the flow waits rather than failing.
    let f = fixture(backend, auto_approve()).await;
    f.control().set_latency(std::time::Duration::from_millis(400));
    assert_eq!(f.connect().await, f.connected_location());
    f.app.stop().await;
}

/// Facebook answering slower than the Graph client's request timeout (30 s, not
/// configurable) must end the callback with a message, not hang or fail with a 500.
async fn a_facebook_slower_than_the_timeout_is_a_message(backend: Backend) {
    let f = fixture(backend, auto_approve()).await;
    let patient = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(90))
        .build()
        .expect("client");
    let res = f
        .app
        .sign_in(&patient, "owner@example.com", crate::helpers::PASSWORD)
        .await;
    assert_eq!(res.status(), 200);
    let callback = f.dialog(&f.start(&patient, f.team).await).await;
    let timeout = adsync_common::graph::REQUEST_TIMEOUT;
    f.control().set_latency(timeout + std::time::Duration::from_secs(2));
    let started = std::time::Instant::now();
    let loc = f.callback(&patient, callback.as_str()).await;
    assert!(started.elapsed() < timeout + std::time::Duration::from_secs(10));
    let detail = f.assert_failed(&loc, "provider_unavailable").await;
    assert!(detail.contains("not reachable"), "{detail}");
    f.app.stop().await;
}

/// A state copied out of the owner's dialog and presented by another browser is refused
/// without being used up: the owner's own callback with it still connects.
async fn a_state_from_another_session_is_not_burned(backend: Backend) {
    let f = fixture(backend, auto_approve()).await;
    let callback = f.dialog(&f.start(&f.c, f.team).await).await;
    let carol_id = f.app.user("carol@example.com").await;
    f.app.team("Carol's", &[(carol_id, Role::Owner)]).await;
    let carol = f.app.signed_in("carol@example.com").await;
    for other in [&carol, &crate::helpers::client()] {
        f.assert_failed(&f.callback(other, callback.as_str()).await, "state_mismatch")
            .await;
    }
    let loc = f.callback(&f.c, callback.as_str()).await;
    assert_eq!(loc, format!("/teams/{}/connectors?connect=ok", f.team));
    assert!(f.connection().await.is_some());
    // Now used: nobody, the owner included, can use it again.
    let again = f.callback(&f.c, callback.as_str()).await;
    assert_eq!(again, format!("/teams/{}/connectors?connect=state_reused", f.team));
    f.app.stop().await;
}

crate::on_both_backends!(
    each_callback_failure_is_a_message_not_a_500,
    a_state_from_another_session_is_not_burned,
    reused_state_and_code_change_nothing,
    a_slow_facebook_still_connects,
    a_facebook_slower_than_the_timeout_is_a_message,
);
