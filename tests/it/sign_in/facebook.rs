//! Facebook Login: the dialog with the `email` permission, then `/me?fields=id,name,email`.

use adsync_common::ids::Email;
use adsync_storage::{identities, users};

use super::{app, as_person, location, sign_in_with};
use crate::helpers::{Backend, client};

async fn facebook_login_creates_the_user_then_signs_them_in(backend: Backend) {
    let app = app(backend, true).await;
    as_person(&app, "fb.person@example.test", true);
    let c = client();
    let start = app.get(&c, "/login/facebook").await;
    let dialog = location(&start);
    assert!(
        dialog.contains("/dialog/oauth") && dialog.contains("scope=email"),
        "{dialog}"
    );
    let callback = super::through_provider(&c, start).await;
    let res = c.get(callback).send().await.expect("callback");
    assert_eq!(location(&res), "/teams");
    assert_eq!(app.get(&c, "/api/v1/teams").await.status(), 200);
    let email = Email::parse("fb.person@example.test").expect("email");
    let user = users::find_by_email(&app.db, &email)
        .await
        .expect("db")
        .expect("created");
    let linked = identities::of_user(&app.db, user.id).await.expect("db");
    let fb_user = app.sandbox.as_ref().expect("sandbox").control().user_id();
    assert_eq!(
        (linked[0].provider.as_str(), linked[0].subject.as_str()),
        ("facebook", fb_user.as_str())
    );

    // The Facebook account signs the same user in, whatever address it has now.
    as_person(&app, "renamed@example.test", true);
    let other = client();
    assert_eq!(location(&sign_in_with(&app, &other, "facebook").await), "/teams");
    assert!(
        app.page_text(&other, "/account")
            .await
            .contains("fb.person@example.test")
    );
    assert_eq!(users::list(&app.db).await.expect("users").len(), 1);
}

async fn facebook_without_the_email_permission_is_asked_to_link_first(backend: Backend) {
    let app = app(backend, false).await;
    as_person(&app, "fb.person@example.test", true);
    let c = client();
    let start = app.get(&c, "/login/facebook").await;
    let dialog = url::Url::parse(&location(&start)).expect("dialog URL");
    // The person unticks the e-mail permission in Facebook's dialog.
    let mut form: Vec<(String, String)> = dialog.query_pairs().into_owned().collect();
    form.extend([
        ("decision".into(), "approve".into()),
        ("granted_scopes_submitted".into(), "1".into()),
        ("grant".into(), String::new()),
    ]);
    let mut target = dialog.clone();
    target.set_query(None);
    let back = c.post(target.as_str()).form(&form).send().await.expect("dialog");
    let res = c.get(location(&back)).send().await.expect("callback");
    assert_eq!(res.status(), 403);
    let page = res.text().await.expect("page");
    assert!(
        page.contains("Facebook did not share a verified e-mail address"),
        "{page}"
    );
    assert!(users::list(&app.db).await.expect("users").is_empty());
}

crate::on_both_backends!(
    facebook_login_creates_the_user_then_signs_them_in,
    facebook_without_the_email_permission_is_asked_to_link_first,
);
