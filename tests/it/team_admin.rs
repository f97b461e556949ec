//! Managing a team from the pages: invitations by e-mail link (single-use, expiring, for one
//! address), removing members, handing over ownership, changing a password and resetting a
//! forgotten one by an e-mailed link. E-mail goes over real SMTP to the sandbox's sink.

use std::time::Duration;

use adsync_common::ids::{Email, Role, TeamId};
use adsync_sandbox::{Mail, MailSink};
use adsync_storage::invites::Joiner;
use adsync_storage::{StorageError, invites, password_resets, teams};

use crate::helpers::{Backend, PASSWORD, TestApp, client, spawn_app_with};

/// An app that e-mails through a fresh sink.
async fn with_mail(backend: Backend) -> (TestApp, MailSink) {
    let sink = MailSink::start().await.expect("mail sink");
    let app = spawn_app_with(backend, &[("ADSYNC_SMTP_URL", &sink.smtp_url())]).await;
    (app, sink)
}

async fn mail_to(sink: &MailSink, to: &str) -> Mail {
    sink.mailbox()
        .wait_for(to, Duration::from_secs(20))
        .await
        .unwrap_or_else(|| panic!("no mail to {to}: {:?}", sink.mailbox().messages()))
}

/// The path of the mail's link (its host is `ADSYNC_PUBLIC_URL`'s).
fn link_path(mail: &Mail) -> String {
    let link = mail.first_link().unwrap_or_else(|| panic!("no link in {mail:?}"));
    let url = url::Url::parse(link).expect("link");
    url.path().to_string()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn role(app: &TestApp, team: TeamId, email: &str) -> Option<Role> {
    let user = adsync_storage::users::find_by_email(&app.db, &Email::parse(email).expect("email"))
        .await
        .expect("db");
    match user {
        Some(u) => teams::role_of(&app.db, team, u.id).await.expect("db"),
        None => None,
    }
}

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

async fn only_the_owner_manages_members_and_only_in_their_team(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let (owner_id, team, owner) = app.owner("owner@acme.test", "Acme").await;
    let member_id = app.user("member@acme.test").await;
    teams::set_member(&app.db, team, member_id, Role::Member)
        .await
        .expect("member");
    let member = app.signed_in("member@acme.test").await;
    let (_, other_team, other_owner) = app.owner("owner@globex.test", "Globex").await;

    // Members see who is in the team, and cannot change it.
    let page = app.page_text(&member, &format!("/teams/{team}/members")).await;
    assert!(
        page.contains("owner@acme.test") && !page.contains("Send invitation"),
        "{page}"
    );
    for path in [
        format!("/teams/{team}/members/invite"),
        format!("/teams/{team}/members/{owner_id}/remove"),
        format!("/teams/{team}/members/{member_id}/make-owner"),
    ] {
        let res = app
            .post_form(&member, &path, &[("email", "x@acme.test"), ("role", "member")])
            .await;
        assert_eq!(res.status(), 403, "{path}");
    }
    let dan = Email::parse("dan@acme.test").expect("email");
    invites::create(&app.db, team, &dan, Role::Member, owner_id, chrono::Duration::days(1))
        .await
        .expect("invite");
    let invite = invites::pending(&app.db, team).await.expect("pending")[0].id;
    let revoke = format!("/teams/{team}/invites/{invite}/revoke");
    assert_eq!(app.post_form(&member, &revoke, &[]).await.status(), 403);
    // Another team's owner reaches nothing of this team.
    assert_eq!(app.post_form(&other_owner, &revoke, &[]).await.status(), 404);
    let foreign = format!("/teams/{other_team}/invites/{invite}/revoke");
    assert_eq!(app.post_form(&other_owner, &foreign, &[]).await.status(), 404);
    assert_eq!(
        invites::pending(&app.db, team).await.expect("pending").len(),
        1,
        "still pending"
    );
    for path in [
        format!("/teams/{team}/members/{member_id}/remove"),
        format!("/teams/{team}/members/{member_id}/make-owner"),
    ] {
        assert_eq!(app.post_form(&other_owner, &path, &[]).await.status(), 404, "{path}");
    }
    assert_eq!(
        app.get(&other_owner, &format!("/teams/{team}/members")).await.status(),
        404
    );
    assert_eq!(
        app.post_form(&owner, &format!("/teams/{other_team}/members/{member_id}/remove"), &[])
            .await
            .status(),
        404
    );
    assert_eq!(role(&app, team, "member@acme.test").await, Some(Role::Member));
    // An owner does not remove themselves, nor the last owner anyone.
    assert_eq!(
        app.post_form(&owner, &format!("/teams/{team}/members/{owner_id}/remove"), &[])
            .await
            .status(),
        409
    );
    assert!(matches!(
        teams::remove_member(&app.db, team, owner_id, None).await,
        Err(StorageError::LastOwner)
    ));

    // Ownership handed over: the member owns the team, the former owner is a member.
    let res = app
        .post_form(&owner, &format!("/teams/{team}/members/{member_id}/make-owner"), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(role(&app, team, "member@acme.test").await, Some(Role::Owner));
    assert_eq!(role(&app, team, "owner@acme.test").await, Some(Role::Member));
    assert!(
        app.page_text(&owner, &format!("/teams/{team}/members?done=owner"))
            .await
            .contains("Ownership handed over")
    );
    assert_eq!(
        app.get(&member, &format!("/teams/{team}/connectors")).await.status(),
        200
    );

    // The new owner removes the former one, who loses the team at once.
    let res = app
        .post_form(&member, &format!("/teams/{team}/members/{owner_id}/remove"), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(role(&app, team, "owner@acme.test").await, None);
    assert_eq!(app.get(&owner, &format!("/teams/{team}/dashboard")).await.status(), 404);
}

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
    an_invitation_by_email_makes_a_new_member_once,
    an_invitation_is_for_its_address_only,
    expired_replaced_and_withdrawn_invitations_do_not_work,
    only_the_owner_manages_members_and_only_in_their_team,
    a_password_change_ends_the_other_sessions,
    a_link_used_twice_at_once_works_once,
    a_forgotten_password_is_reset_by_an_emailed_single_use_link,
    without_smtp_the_pages_say_who_passes_links_on,
);
