//! Google: a first sign-in creates the user, later ones sign the same user in; an address
//! that is an existing user's is linked only with that user's password.

use adsync_common::ids::Email;
use adsync_storage::{identities, users};

use super::{app, as_person, location, sign_in_with};
use crate::helpers::{Backend, PASSWORD, client};

async fn a_first_google_sign_in_creates_the_user_and_later_ones_sign_them_in(backend: Backend) {
    let app = app(backend, true).await;
    as_person(&app, "new.person@example.test", true);
    let login = app.page_text(&client(), "/login").await;
    assert!(
        login.contains("Sign in with Google") && login.contains("Sign in with Facebook"),
        "{login}"
    );

    let c = client();
    let res = sign_in_with(&app, &c, "google").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/teams");
    assert_eq!(app.get(&c, "/api/v1/teams").await.status(), 200, "signed in");
    let email = Email::parse("new.person@example.test").expect("email");
    let user = users::find_by_email(&app.db, &email)
        .await
        .expect("db")
        .expect("created");
    assert!(
        !identities::has_password(&app.db, user.id).await.expect("db"),
        "no password"
    );
    let linked = identities::of_user(&app.db, user.id).await.expect("db");
    assert_eq!(linked.len(), 1);
    assert_eq!(
        (linked[0].provider.as_str(), linked[0].email.as_deref()),
        ("google", Some("new.person@example.test"))
    );
    // Without a password, no password signs them in.
    assert_eq!(
        app.sign_in(&client(), "new.person@example.test", "!").await.status(),
        401
    );

    // Again, from another browser: the same user, and no second one.
    let other = client();
    let res = sign_in_with(&app, &other, "google").await;
    assert_eq!(location(&res), "/teams");
    let account = app.page_text(&other, "/account").await;
    assert!(account.contains("new.person@example.test"), "{account}");
    assert_eq!(users::list(&app.db).await.expect("users").len(), 1);

    // `next` survives the trip (a path of this site only).
    let c = client();
    let start = app.get(&c, "/login/google?next=%2Faccount").await;
    let callback = super::through_provider(&c, start).await;
    let res = c.get(callback).send().await.expect("callback");
    assert_eq!(location(&res), "/account");
}

async fn an_existing_address_is_linked_only_with_its_password(backend: Backend) {
    let app = app(backend, true).await;
    let ann = app.user("ann@acme.test").await;
    as_person(&app, "ann@acme.test", true);

    let c = client();
    let res = sign_in_with(&app, &c, "google").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login/confirm");
    assert_eq!(app.get(&c, "/api/v1/teams").await.status(), 401, "not signed in yet");
    let page = app.page_text(&c, "/login/confirm").await;
    assert!(page.contains("ann@acme.test") && page.contains("Google"), "{page}");
    // Another browser has no confirmation to answer.
    assert_eq!(app.get(&client(), "/login/confirm").await.status(), 410);

    let wrong = app
        .post_form(&c, "/login/confirm", &[("password", "not the password")])
        .await;
    assert_eq!(wrong.status(), 401);
    assert!(
        identities::of_user(&app.db, ann).await.expect("db").is_empty(),
        "nothing linked"
    );

    let right = app.post_form(&c, "/login/confirm", &[("password", PASSWORD)]).await;
    assert_eq!(right.status(), 303);
    assert_eq!(location(&right), "/teams");
    assert_eq!(app.get(&c, "/api/v1/teams").await.status(), 200, "signed in");
    let linked = identities::of_user(&app.db, ann).await.expect("db");
    assert_eq!(linked.len(), 1, "linked to ann");
    assert!(
        identities::has_password(&app.db, ann).await.expect("db"),
        "her password stays"
    );
    assert_eq!(
        app.post_form(&c, "/login/confirm", &[("password", PASSWORD)])
            .await
            .status(),
        410,
        "a confirmation works once"
    );

    // From now on Google signs her in directly.
    let res = sign_in_with(&app, &client(), "google").await;
    assert_eq!(location(&res), "/teams");
    assert_eq!(users::list(&app.db).await.expect("users").len(), 1);
}

async fn an_unverified_address_neither_creates_nor_links(backend: Backend) {
    let app = app(backend, true).await;
    let ann = app.user("ann@acme.test").await;
    as_person(&app, "ann@acme.test", false);
    let c = client();
    let res = sign_in_with(&app, &c, "google").await;
    assert_eq!(res.status(), 403);
    let page = res.text().await.expect("page");
    assert!(page.contains("did not share a verified e-mail address"), "{page}");
    assert!(identities::of_user(&app.db, ann).await.expect("db").is_empty());
    assert_eq!(users::list(&app.db).await.expect("users").len(), 1, "no user created");
    assert_eq!(app.get(&c, "/api/v1/teams").await.status(), 401);
}

async fn an_address_that_signs_in_with_another_provider_is_not_asked_for_a_password(backend: Backend) {
    let app = app(backend, true).await;
    as_person(&app, "fb.first@example.test", true);
    assert_eq!(location(&sign_in_with(&app, &client(), "facebook").await), "/teams");
    let c = client();
    let res = sign_in_with(&app, &c, "google").await;
    assert_eq!(res.status(), 409);
    let page = res.text().await.expect("page");
    assert!(
        page.contains("fb.first@example.test signs in to adsync with Facebook, not with a password"),
        "{page}"
    );
    assert_eq!(
        app.get(&c, "/login/confirm").await.status(),
        410,
        "no confirmation to answer"
    );
    assert_eq!(users::list(&app.db).await.expect("users").len(), 1);
}

crate::on_both_backends!(
    an_address_that_signs_in_with_another_provider_is_not_asked_for_a_password,
    a_first_google_sign_in_creates_the_user_and_later_ones_sign_them_in,
    an_existing_address_is_linked_only_with_its_password,
    an_unverified_address_neither_creates_nor_links,
);
