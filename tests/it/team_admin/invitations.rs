//! Invitations: e-mailed, single-use, expiring, for one address.

use adsync_common::ids::{Email, Role};
use adsync_storage::invites::Joiner;
use adsync_storage::{invites, password_resets};

use super::{link_path, location, mail_to, role, with_mail};
use crate::helpers::{Backend, client, spawn_app_with};

async fn an_invitation_by_email_makes_a_new_member_once(backend: Backend) {
    let (app, sink) = with_mail(backend).await;
    let (_, team, owner) = app.owner("owner@acme.test", "Acme").await;
    let members = format!("/teams/{team}/members");

    let res = app
        .post_form(
            &owner,
            &format!("{members}/invite"),
            &[("email", "New@Acme.test"), ("role", "member")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.expect("page");
    assert!(page.contains("Invitation sent to new@acme.test"), "{page}");
    assert!(!page.contains("/invites/inv_"), "the link goes by e-mail only");
    let mail = mail_to(&sink, "new@acme.test").await;
    assert!(mail.subject.contains("Acme"), "{mail:?}");
    assert!(mail.body.contains("owner@acme.test"), "{mail:?}");
    let path = link_path(&mail);
    assert!(path.starts_with("/invites/inv_"), "{path}");
    let listed = app.page_text(&owner, &members).await;
    assert!(
        listed.contains("Waiting for an answer") && listed.contains("new@acme.test"),
        "{listed}"
    );

    // The invitee has no account: the link asks for a password, twice alike.
    let invitee = client();
    let res = app.get(&invitee, &path).await;
    assert_eq!(
        res.headers()["referrer-policy"],
        "no-referrer",
        "the secret in the URL goes nowhere"
    );
    let page = res.text().await.expect("page");
    assert!(
        page.contains("Create account and join") && page.contains("Acme"),
        "{page}"
    );
    let differ = app
        .post_form(
            &invitee,
            &path,
            &[("password", "long-enough-1"), ("password_confirm", "long-enough-2")],
        )
        .await;
    assert_eq!(differ.status(), 400);
    let short = app
        .post_form(&invitee, &path, &[("password", "short"), ("password_confirm", "short")])
        .await;
    assert_eq!(short.status(), 400);
    let joined = app
        .post_form(
            &invitee,
            &path,
            &[("password", "new-password"), ("password_confirm", "new-password")],
        )
        .await;
    assert_eq!(joined.status(), 303);
    assert_eq!(location(&joined), format!("/teams/{team}/dashboard"));
    let (status, teams) = app.get_json(&invitee, "/api/v1/teams").await;
    assert_eq!(status, 200, "the new member is signed in");
    assert_eq!(teams["teams"][0]["role"], "member", "{teams}");
    assert_eq!(role(&app, team, "new@acme.test").await, Some(Role::Member));
    assert_eq!(
        app.sign_in(&client(), "new@acme.test", "new-password").await.status(),
        200
    );

    // Single-use: the link is spent, for anyone.
    let again = app
        .post_form(
            &client(),
            &path,
            &[("password", "other-password"), ("password_confirm", "other-password")],
        )
        .await;
    assert_eq!(again.status(), 410);
    assert_eq!(app.get(&client(), &path).await.status(), 410);
    let listed = app.page_text(&owner, &members).await;
    assert!(!listed.contains("Waiting for an answer"), "{listed}");
}

async fn an_invitation_is_for_its_address_only(backend: Backend) {
    let (app, sink) = with_mail(backend).await;
    let (_, team, owner) = app.owner("owner@acme.test", "Acme").await;
    app.user("bob@acme.test").await;
    app.user("carol@acme.test").await;
    let res = app
        .post_form(
            &owner,
            &format!("/teams/{team}/members/invite"),
            &[("email", "bob@acme.test"), ("role", "owner")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let path = link_path(&mail_to(&sink, "bob@acme.test").await);

    // Bob has an account: he signs in first; no one else can take his place.
    let anonymous = client();
    let page = app.page_text(&anonymous, &path).await;
    assert!(page.contains("Sign in as bob@acme.test"), "{page}");
    assert_eq!(app.post_form(&anonymous, &path, &[]).await.status(), 409);
    let carol = app.signed_in("carol@acme.test").await;
    assert!(
        app.page_text(&carol, &path)
            .await
            .contains("you are signed in as carol@acme.test")
    );
    assert_eq!(app.post_form(&carol, &path, &[]).await.status(), 403);
    assert_eq!(role(&app, team, "carol@acme.test").await, None);
    let bob = app.signed_in("bob@acme.test").await;
    let joined = app.post_form(&bob, &path, &[]).await;
    assert_eq!(joined.status(), 303);
    assert_eq!(role(&app, team, "bob@acme.test").await, Some(Role::Owner));
    // Inviting someone already in the team is refused.
    let res = app
        .post_form(
            &owner,
            &format!("/teams/{team}/members/invite"),
            &[("email", "bob@acme.test"), ("role", "member")],
        )
        .await;
    assert_eq!(res.status(), 409);
}

async fn expired_replaced_and_withdrawn_invitations_do_not_work(backend: Backend) {
    // No SMTP server: the owner is shown the link to pass on.
    let app = spawn_app_with(backend, &[]).await;
    let (owner_id, team, owner) = app.owner("owner@acme.test", "Acme").await;
    let invite = |email: &'static str| {
        let (app, owner) = (&app, &owner);
        async move {
            let res = app
                .post_form(
                    owner,
                    &format!("/teams/{team}/members/invite"),
                    &[("email", email), ("role", "member")],
                )
                .await;
            assert_eq!(res.status(), 200);
            let page = res.text().await.expect("page");
            assert!(page.contains("sends no e-mail"), "{page}");
            let start = page
                .find("/invites/inv_")
                .unwrap_or_else(|| panic!("no link shown: {page}"));
            page[start..].split(['<', '"', ' ']).next().expect("link").to_string()
        }
    };
    let first = invite("dan@acme.test").await;
    let second = invite("dan@acme.test").await;
    assert_eq!(
        app.get(&client(), &first).await.status(),
        404,
        "a new invitation replaces the old link"
    );
    assert_eq!(app.get(&client(), &second).await.status(), 200);

    // Withdrawn.
    let pending = invites::pending(&app.db, team).await.expect("pending");
    assert_eq!(pending.len(), 1);
    let res = app
        .post_form(&owner, &format!("/teams/{team}/invites/{}/revoke", pending[0].id), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.get(&client(), &second).await.status(), 404);

    // Expired.
    let email = Email::parse("erin@acme.test").expect("email");
    let secret = invites::create(
        &app.db,
        team,
        &email,
        Role::Member,
        owner_id,
        chrono::Duration::minutes(-1),
    )
    .await
    .expect("invite");
    let path = format!("/invites/{}", secret.expose());
    assert_eq!(app.get(&client(), &path).await.status(), 410);
    let res = app
        .post_form(
            &client(),
            &path,
            &[("password", "new-password"), ("password_confirm", "new-password")],
        )
        .await;
    assert_eq!(res.status(), 410);
    assert_eq!(role(&app, team, "erin@acme.test").await, None);
}

async fn a_link_used_twice_at_once_works_once(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let (owner, team, _) = app.owner("owner@acme.test", "Acme").await;
    let bob = app.user("bob@acme.test").await;
    let email = Email::parse("bob@acme.test").expect("email");
    let secret = invites::create(&app.db, team, &email, Role::Member, owner, chrono::Duration::days(1))
        .await
        .expect("invite");
    let accept = || invites::accept(&app.db, secret.expose(), &email, Joiner::User(bob));
    let (a, b) = tokio::join!(accept(), accept());
    let joined = [a.expect("first"), b.expect("second")];
    assert_eq!(joined.iter().filter(|j| j.is_some()).count(), 1, "{joined:?}");
    let reset = password_resets::create(&app.db, bob, chrono::Duration::hours(1))
        .await
        .expect("link");
    let use_it = || password_resets::reset(&app.db, reset.expose(), "hash");
    let (a, b) = tokio::join!(use_it(), use_it());
    let used = [a.expect("first"), b.expect("second")];
    assert_eq!(used.iter().filter(|u| u.is_some()).count(), 1, "{used:?}");
}

crate::on_both_backends!(
    an_invitation_by_email_makes_a_new_member_once,
    an_invitation_is_for_its_address_only,
    expired_replaced_and_withdrawn_invitations_do_not_work,
    a_link_used_twice_at_once_works_once,
);
