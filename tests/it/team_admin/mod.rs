//! Managing a team from the pages: invitations by e-mail link (single-use, expiring, for one
//! address), removing members, handing over ownership, changing a password and resetting a
//! forgotten one by an e-mailed link. E-mail goes over real SMTP to the sandbox's sink.

mod invitations;
mod members;
mod passwords;

use std::time::Duration;

use adsync_common::ids::{Email, Role, TeamId};
use adsync_sandbox::{Mail, MailSink};
use adsync_storage::teams;

use crate::helpers::{Backend, TestApp, spawn_app_with};

/// An app that e-mails through a fresh sink.
pub async fn with_mail(backend: Backend) -> (TestApp, MailSink) {
    let sink = MailSink::start().await.expect("mail sink");
    let app = spawn_app_with(backend, &[("ADSYNC_SMTP_URL", &sink.smtp_url())]).await;
    (app, sink)
}

pub async fn mail_to(sink: &MailSink, to: &str) -> Mail {
    sink.mailbox()
        .wait_for(to, Duration::from_secs(20))
        .await
        .unwrap_or_else(|| panic!("no mail to {to}: {:?}", sink.mailbox().messages()))
}

/// The path of the mail's link (its host is `ADSYNC_PUBLIC_URL`'s).
pub fn link_path(mail: &Mail) -> String {
    let link = mail.first_link().unwrap_or_else(|| panic!("no link in {mail:?}"));
    let url = url::Url::parse(link).expect("link");
    url.path().to_string()
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

pub async fn role(app: &TestApp, team: TeamId, email: &str) -> Option<Role> {
    let user = adsync_storage::users::find_by_email(&app.db, &Email::parse(email).expect("email"))
        .await
        .expect("db");
    match user {
        Some(u) => teams::role_of(&app.db, team, u.id).await.expect("db"),
        None => None,
    }
}
