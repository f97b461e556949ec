//! The server-rendered sign-in and teams pages (HTTP level; the browser test drives them too).

use adsync_common::ids::Role;

use crate::helpers::{Backend, PASSWORD, client, spawn_app};

async fn sign_in_through_the_form_and_see_teams(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.user("ann@example.com").await;
    app.team("Acme <&> Co", &[(ann, Role::Owner)]).await;
    let c = client();

    let res = app.get(&c, "/teams").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login");

    let page = app.page_text(&c, "/login").await;
    assert!(page.contains(r#"<label for="email">"#) && page.contains(r#"type="password""#));
    assert!(!page.contains("https://"), "no external assets");

    let res = app
        .post_form(&c, "/login", &[("email", "ann@example.com"), ("password", "nope")])
        .await;
    assert_eq!(res.status(), 401);
    let page = res.text().await.expect("html");
    assert!(page.contains("Wrong e-mail or password") && page.contains(r#"value="ann@example.com""#));

    let res = app
        .post_form(&c, "/login", &[("email", "ann@example.com"), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/teams");
    let page = app.page_text(&c, "/teams").await;
    assert!(page.contains("Acme &lt;&amp;&gt; Co"), "names are escaped: {page}");
    assert!(page.contains("ann@example.com"));

    let res = c.post(app.url("/logout")).send().await.expect("req");
    assert_eq!(res.status(), 303);
    assert_eq!(app.get(&c, "/teams").await.status(), 303);

    let css = app.get(&c, "/assets/app.css").await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

crate::on_both_backends!(sign_in_through_the_form_and_see_teams);
