//! Changing a password, and resetting a forgotten one by an e-mailed single-use link.

use adsync_storage::password_resets;

use super::{link_path, location, mail_to, with_mail};
use crate::helpers::{Backend, PASSWORD, client, spawn_app_with};

async fn a_password_change_ends_the_other_sessions(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let (ann, _, here) = app.owner("ann@acme.test", "Acme").await;
    let pending_reset = password_resets::create(&app.db, ann, chrono::Duration::hours(1))
        .await
        .expect("reset link");
    let elsewhere = app.signed_in("ann@acme.test").await;
    let change = |current: &'static str, new: &'static str, again: &'static str| {
        let (app, here) = (&app, &here);
        async move {
            app.post_form(
                here,
                "/account/password",
                &[
                    ("current_password", current),
                    ("password", new),
                    ("password_confirm", again),
                ],
            )
            .await
        }
    };
    assert!(app.page_text(&here, "/account").await.contains("Change your password"));
    assert_eq!(
        change("wrong password", "brand-new-pass", "brand-new-pass")
            .await
            .status(),
        400
    );
    assert_eq!(change(PASSWORD, "brand-new-pass", "other-new-pass").await.status(), 400);
    let done = change(PASSWORD, "brand-new-pass", "brand-new-pass").await;
    assert_eq!(done.status(), 303);
    assert_eq!(location(&done), "/account?done=password");
    assert_eq!(
        app.get(&here, "/api/v1/teams").await.status(),
        200,
        "this browser stays signed in"
    );
    assert_eq!(
        app.get(&elsewhere, "/api/v1/teams").await.status(),
        401,
        "the others are signed out"
    );
    assert_eq!(app.sign_in(&client(), "ann@acme.test", PASSWORD).await.status(), 401);
    assert_eq!(
        app.sign_in(&client(), "ann@acme.test", "brand-new-pass").await.status(),
        200
    );
    let path = format!("/password/reset/{}", pending_reset.expose());
    assert_eq!(
        app.get(&client(), &path).await.status(),
        410,
        "a reset link issued before stops working"
    );
}

async fn a_forgotten_password_is_reset_by_an_emailed_single_use_link(backend: Backend) {
    let (app, sink) = with_mail(backend).await;
    let (_, _, old_session) = app.owner("ann@acme.test", "Acme").await;
    let visitor = client();

    // The answer does not tell who has an account; only a real one gets mail.
    let nobody = app
        .post_form(&visitor, "/password/forgot", &[("email", "nobody@acme.test")])
        .await;
    assert_eq!(nobody.status(), 200);
    let nobody = nobody.text().await.expect("page");
    let ann = app
        .post_form(&visitor, "/password/forgot", &[("email", "ann@acme.test")])
        .await;
    assert_eq!(ann.status(), 200);
    let ann = ann.text().await.expect("page");
    assert_eq!(
        nobody.replace("nobody@acme.test", "X"),
        ann.replace("ann@acme.test", "X"),
        "the same answer either way"
    );
    let mail = mail_to(&sink, "ann@acme.test").await;
    assert_eq!(sink.mailbox().messages().len(), 1, "no mail for an unknown address");
    let path = link_path(&mail);
    assert!(path.starts_with("/password/reset/pwr_"), "{path}");

    let page = app.page_text(&visitor, &path).await;
    assert!(
        page.contains("Set a new password") && page.contains("ann@acme.test"),
        "{page}"
    );
    let differ = app
        .post_form(
            &visitor,
            &path,
            &[("password", "reset-pass-1"), ("password_confirm", "reset-pass-2")],
        )
        .await;
    assert_eq!(differ.status(), 400, "a refused entry leaves the link usable");
    let done = app
        .post_form(
            &visitor,
            &path,
            &[("password", "reset-pass-1"), ("password_confirm", "reset-pass-1")],
        )
        .await;
    assert_eq!(done.status(), 303);
    assert_eq!(location(&done), "/account?done=reset");
    assert_eq!(
        app.get(&visitor, "/api/v1/teams").await.status(),
        200,
        "signed in by the reset"
    );
    assert_eq!(
        app.get(&old_session, "/api/v1/teams").await.status(),
        401,
        "old sessions end"
    );
    assert_eq!(
        app.sign_in(&client(), "ann@acme.test", "reset-pass-1").await.status(),
        200
    );
    let again = app
        .post_form(
            &client(),
            &path,
            &[("password", "reset-pass-2"), ("password_confirm", "reset-pass-2")],
        )
        .await;
    assert_eq!(again.status(), 410, "the link works once");

    // A few requests per address and window, then 429: no flooding someone's inbox.
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let res = app
            .post_form(&client(), "/password/forgot", &[("email", "ann@acme.test")])
            .await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 429]);
}

async fn without_smtp_the_pages_say_who_passes_links_on(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let visitor = client();
    let page = app.page_text(&visitor, "/password/forgot").await;
    assert!(page.contains("adsync admin reset-link"), "{page}");
    let res = app
        .post_form(&visitor, "/password/forgot", &[("email", "ann@acme.test")])
        .await;
    assert_eq!(res.status(), 409);
    assert!(app.page_text(&visitor, "/login").await.contains("/password/forgot"));
}

crate::on_both_backends!(
    a_password_change_ends_the_other_sessions,
    a_forgotten_password_is_reset_by_an_emailed_single_use_link,
    without_smtp_the_pages_say_who_passes_links_on,
);
