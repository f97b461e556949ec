//! `adsync demo`: everything in one process on SQLite in a data folder, with demo logins.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use adsync_common::Config;
use adsync_common::crypto::Keyring;
use adsync_common::ids::{Email, Role};
use adsync_sandbox::{MailSink, Sandbox, SandboxConfig, SandboxHandle};
use adsync_storage::{Db, teams, users};
use anyhow::Context;

use crate::admin::create_user;

pub const OWNER_EMAIL: &str = "owner@demo.adsync.test";
pub const MEMBER_EMAIL: &str = "member@demo.adsync.test";
pub const DEMO_PASSWORD: &str = "adsync-demo";
pub const TEAM_NAME: &str = "Demo Team";

/// The demo's configuration: the environment's, except that data lives in `data_dir` on
/// SQLite, the queue too, an encryption key is generated there on first run, Facebook (ads and
/// login) and Google sign-in are the in-process sandbox, and e-mail goes to the sandbox's
/// mailbox.
pub fn config(data_dir: &Path, public_url: &str, sandbox: &SandboxHandle, mail: &MailSink) -> anyhow::Result<Config> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let key = demo_key(&data_dir.join("encryption.key"))?;
    let (google_client, google_secret) = sandbox.control().idp_client();
    let overrides: HashMap<&str, String> = HashMap::from([
        (
            "DATABASE_URL",
            format!("sqlite://{}", data_dir.join("adsync.db").display()),
        ),
        ("ADSYNC_ENCRYPTION_KEY", key),
        ("ADSYNC_PUBLIC_URL", public_url.to_string()),
        ("FACEBOOK_APP_ID", sandbox.app_id().to_string()),
        ("FACEBOOK_APP_SECRET", sandbox.app_secret().to_string()),
        ("FACEBOOK_GRAPH_URL", sandbox.base_url()),
        ("FACEBOOK_DIALOG_URL", sandbox.base_url()),
        ("ADSYNC_SMTP_URL", mail.smtp_url()),
        // Sign in with Google and with Facebook, both played by the sandbox.
        ("GOOGLE_CLIENT_ID", google_client),
        ("GOOGLE_CLIENT_SECRET", google_secret),
        ("GOOGLE_ISSUER_URL", sandbox.base_url()),
        ("FACEBOOK_LOGIN_APP_ID", sandbox.app_id().to_string()),
        ("FACEBOOK_LOGIN_APP_SECRET", sandbox.app_secret().to_string()),
    ]);
    // `.env` is already in the environment (loaded in `main`).
    Ok(Config::from_lookup(|k| match k {
        "REDIS_URL" | "ADSYNC_ENCRYPTION_KEYS_OLD" | "ADSYNC_MAIL_FROM" => None,
        _ => overrides.get(k).cloned().or_else(|| std::env::var(k).ok()),
    })?)
}

/// Reads the demo's key, creating it (owner-only permissions) on first run.
fn demo_key(path: &Path) -> anyhow::Result<String> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        return Ok(existing.trim().to_string());
    }
    let key = Keyring::generate_key();
    std::fs::write(path, &key).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(key)
}

/// Creates the demo owner, member and team if they do not exist yet.
pub async fn seed(db: &Db) -> anyhow::Result<()> {
    let mut ids = Vec::new();
    for email in [OWNER_EMAIL, MEMBER_EMAIL] {
        let parsed = Email::parse(email).map_err(anyhow::Error::msg)?;
        let id = match users::find_by_email(db, &parsed).await? {
            Some(u) => u.id,
            None => create_user(db, email, DEMO_PASSWORD.to_string().into()).await?,
        };
        ids.push(id);
    }
    let team = match teams::find_by_name(db, TEAM_NAME).await? {
        Some(t) => t.id,
        None => teams::create(db, TEAM_NAME).await?,
    };
    teams::set_member(db, team, ids[0], Role::Owner).await?;
    teams::set_member(db, team, ids[1], Role::Member).await?;
    Ok(())
}

pub fn banner(url: &str, sandbox: &SandboxHandle) -> String {
    let (sandbox_url, last_day) = (sandbox.base_url(), sandbox.dataset().today());
    format!(
        "\n  adsync demo is running at {url}\n\n  \
         owner:  {OWNER_EMAIL} / {DEMO_PASSWORD}\n  \
         member: {MEMBER_EMAIL} / {DEMO_PASSWORD}\n\n  \
         Facebook is the local Graph API sandbox at {sandbox_url} (no internet needed;\n  \
         its ad data runs to {last_day}; six ad accounts, each reporting conversions\n  \
         its own way, as real accounts do).\n  \
         Sign in as the owner, open Connectors and click Connect.\n  \
         \"Sign in with Google\" and \"Sign in with Facebook\" are the sandbox too: pick an\n  \
         address on its page; a demo user's address is linked after their password.\n\n  \
         E-mail (invitations, password resets) is kept, not sent: read it at\n  \
         {sandbox_url}/__sandbox/mail\n\n  Press Ctrl-C to stop.\n"
    )
}

/// Starts the Graph API sandbox (the `shapes` dataset ending today: six ad accounts, each
/// reporting its conversions under other action types; a real consent dialog) on a free
/// port, and the SMTP sink whose mailbox it shows.
pub async fn start_sandbox() -> anyhow::Result<(SandboxHandle, MailSink)> {
    let mail = MailSink::start()
        .await
        .context("cannot start the sandbox's mail sink")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot start the Graph API sandbox")?;
    // Data up to the wall clock's date, so the dashboard's "last 30 days" shows data
    // whenever the demo runs.
    let config = SandboxConfig {
        today: Some(chrono::Utc::now().date_naive()),
        dataset: adsync_sandbox::DatasetName::Shapes,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::new(config)
        .with_mailbox(mail.mailbox().clone())
        .spawn(listener)
        .await;
    Ok((sandbox, mail))
}

pub fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}
