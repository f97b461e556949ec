//! The account page: linking a provider to the signed-in user, unlinking it, and always
//! keeping one way to sign in.

use adsync_storage::identities;

use super::{app, as_person, location, sign_in_with, through_provider};
use crate::helpers::{Backend, client};

async fn providers_are_linked_and_unlinked_on_the_account_page(backend: Backend) {
    let app = app(backend, true).await;
    let ann = app.user("ann@acme.test").await;
    let c = app.signed_in("ann@acme.test").await;
    let page = app.page_text(&c, "/account").await;
    assert!(page.contains("Link Google") && page.contains("Link Facebook"), "{page}");

    // Linking takes whatever Google account the person picks, here another address.
    as_person(&app, "ann.private@example.test", true);
    let start = app.post_form(&c, "/account/sign-in/google/link", &[]).await;
    let callback = through_provider(&c, start).await;
    let res = c.get(callback).send().await.expect("callback");
    assert_eq!(location(&res), "/account?done=linked-google");
    let page = app.page_text(&c, "/account?done=linked-google").await;
    assert!(
        page.contains("Google is linked") && page.contains("ann.private@example.test"),
        "{page}"
    );
    assert!(
        page.contains("Unlink Google"),
        "a password remains, so it can go: {page}"
    );
    // It now signs Ann in.
    let res = sign_in_with(&app, &client(), "google").await;
    assert_eq!(location(&res), "/teams");

    // The same Google account cannot be linked to Bob too.
    app.user("bob@acme.test").await;
    let bob = app.signed_in("bob@acme.test").await;
    let start = app.post_form(&bob, "/account/sign-in/google/link", &[]).await;
    let callback = through_provider(&bob, start).await;
    let res = bob.get(callback).send().await.expect("callback");
    assert_eq!(res.status(), 409);
    assert!(
        res.text()
            .await
            .expect("page")
            .contains("already linked to another adsync user")
    );

    let res = app.post_form(&c, "/account/sign-in/google/unlink", &[]).await;
    assert_eq!(location(&res), "/account?done=unlinked-google");
    assert!(identities::of_user(&app.db, ann).await.expect("db").is_empty());
    assert_eq!(
        app.post_form(&c, "/account/sign-in/google/unlink", &[]).await.status(),
        404
    );
    // Unlinked, the Google account is a stranger with another address: a new user.
    let stranger = client();
    assert_eq!(location(&sign_in_with(&app, &stranger, "google").await), "/teams");
    assert!(
        app.page_text(&stranger, "/account")
            .await
            .contains("ann.private@example.test")
    );
}

async fn the_last_way_to_sign_in_cannot_be_unlinked(backend: Backend) {
    let app = app(backend, true).await;
    as_person(&app, "only.google@example.test", true);
    let c = client();
    assert_eq!(location(&sign_in_with(&app, &c, "google").await), "/teams");
    let page = app.page_text(&c, "/account").await;
    assert!(
        page.contains("Set a password") && page.contains("your only way to sign in"),
        "{page}"
    );
    let res = app.post_form(&c, "/account/sign-in/google/unlink", &[]).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.expect("page").contains("only way to sign in"));

    // Facebook linked too: either may go, but not both.
    let start = app.post_form(&c, "/account/sign-in/facebook/link", &[]).await;
    let callback = through_provider(&c, start).await;
    assert_eq!(
        location(&c.get(callback).send().await.expect("callback")),
        "/account?done=linked-facebook"
    );
    assert_eq!(
        app.post_form(&c, "/account/sign-in/google/unlink", &[]).await.status(),
        303
    );
    assert_eq!(
        app.post_form(&c, "/account/sign-in/facebook/unlink", &[])
            .await
            .status(),
        409
    );

    // A password set without a current one (there is none), and then Facebook may go.
    let set = app
        .post_form(
            &c,
            "/account/password",
            &[
                ("password", "a-brand-new-pass"),
                ("password_confirm", "a-brand-new-pass"),
            ],
        )
        .await;
    assert_eq!(location(&set), "/account?done=password");
    assert_eq!(
        app.post_form(&c, "/account/sign-in/facebook/unlink", &[])
            .await
            .status(),
        303
    );
    assert_eq!(
        app.sign_in(&client(), "only.google@example.test", "a-brand-new-pass")
            .await
            .status(),
        200
    );
    let page = app.page_text(&c, "/account").await;
    assert!(page.contains("Change your password"), "{page}");
}

async fn a_link_finishes_only_for_the_user_who_started_it(backend: Backend) {
    let app = app(backend, true).await;
    let ann = app.user("ann@acme.test").await;
    let c = app.signed_in("ann@acme.test").await;
    let start = app.post_form(&c, "/account/sign-in/google/link", &[]).await;
    let callback = through_provider(&c, start).await;
    // Ann signs out before coming back: nothing is linked to whoever holds the browser now.
    assert_eq!(app.post_form(&c, "/logout", &[]).await.status(), 303);
    let res = c.get(callback).send().await.expect("callback");
    assert_eq!(res.status(), 403);
    assert!(identities::of_user(&app.db, ann).await.expect("db").is_empty());
}

async fn a_password_reset_unlinks_every_provider(backend: Backend) {
    // Someone signs in with a provider account claiming Ann's address before Ann has an
    // adsync account; Ann then takes the address back with a reset link.
    let app = app(backend, true).await;
    as_person(&app, "ann@acme.test", true);
    assert_eq!(location(&sign_in_with(&app, &client(), "google").await), "/teams");
    let email = adsync_common::ids::Email::parse("ann@acme.test").expect("email");
    let ann = adsync_storage::users::find_by_email(&app.db, &email)
        .await
        .expect("db")
        .expect("user");
    let link = adsync_storage::password_resets::create(&app.db, ann.id, chrono::Duration::hours(1))
        .await
        .expect("reset link");
    let c = client();
    let path = format!("/password/reset/{}", link.expose());
    let res = app
        .post_form(
            &c,
            &path,
            &[("password", "ann-owns-it-now"), ("password_confirm", "ann-owns-it-now")],
        )
        .await;
    assert_eq!(location(&res), "/account?done=reset-unlinked");
    assert!(identities::of_user(&app.db, ann.id).await.expect("db").is_empty());
    let page = app.page_text(&c, "/account?done=reset-unlinked").await;
    assert!(page.contains("were unlinked"), "{page}");
    // The provider account is a stranger now: it gets Ann's confirmation page, not her account.
    let other = client();
    assert_eq!(location(&sign_in_with(&app, &other, "google").await), "/login/confirm");
    assert_eq!(app.get(&other, "/api/v1/teams").await.status(), 401);
}

crate::on_both_backends!(
    a_password_reset_unlinks_every_provider,
    providers_are_linked_and_unlinked_on_the_account_page,
    the_last_way_to_sign_in_cannot_be_unlinked,
    a_link_finishes_only_for_the_user_who_started_it,
);
