//! Removing members and handing over ownership: the owner only, in their team only, and a
//! team always keeps an owner.

use adsync_common::ids::{Email, Role};
use adsync_storage::{StorageError, invites, teams};

use super::role;
use crate::helpers::{Backend, spawn_app_with};

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

crate::on_both_backends!(only_the_owner_manages_members_and_only_in_their_team);
