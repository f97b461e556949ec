//! `adsync admin rotate-key` and `adsync admin list-connections`, through the real binary.

use std::process::Command;

use adsync_common::crypto::Keyring;

use super::{Fixture, auto_approve, fixture};
use crate::helpers::{Backend, redis_url};

impl Fixture {
    /// Runs `adsync admin <args>` on this app's database with the given keys.
    fn admin(&self, args: &[&str], key: &str, old: &str) -> std::process::Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_adsync"));
        cmd.arg("admin")
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", self.app.config.database_url.expose())
            .env("ADSYNC_ENCRYPTION_KEY", key)
            .env("ADSYNC_ENCRYPTION_KEYS_OLD", old)
            .env("FACEBOOK_APP_ID", self.app.sandbox.as_ref().expect("sb").app_id())
            .env(
                "FACEBOOK_APP_SECRET",
                self.app.sandbox.as_ref().expect("sb").app_secret(),
            )
            .env("FACEBOOK_GRAPH_URL", self.sandbox_url())
            .env("FACEBOOK_DIALOG_URL", self.sandbox_url());
        if self.app.config.redis_url.is_some() {
            cmd.env("REDIS_URL", redis_url())
                .env("ADSYNC_QUEUE_NAMESPACE", &self.app.config.queue_namespace);
        }
        let dir = tempfile::tempdir().expect("dir");
        cmd.current_dir(dir.path()).output().expect("run adsync admin")
    }

    async fn ciphertext(&self) -> String {
        self.connection().await.expect("conn").token_ciphertext.expect("token")
    }
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn rotate_key_reencrypts_every_token_and_list_shows_no_secret(backend: Backend) {
    let f = fixture(backend, auto_approve()).await;
    f.connect().await;
    let old_key = f.app.config.encryption_key.as_ref().expect("key").expose().clone();
    let old_ring = Keyring::new(&old_key, &[]).expect("old");
    let (before, token) = f.stored_token().await;
    assert!(!old_ring.needs_rotation(&before));
    let webhooks = format!("/api/v1/teams/{}/webhooks", f.team);
    let hook = serde_json::json!({"url": "https://hooks.example.com/adsync"});
    let res = f.app.post(&f.c, &webhooks, hook).await;
    assert_eq!(res.status(), 201);
    let secret = res.json::<serde_json::Value>().await.expect("json")["secret"]
        .as_str()
        .expect("secret")
        .to_string();

    let listed = f.admin(&["list-connections"], &old_key, "");
    assert!(listed.status.success(), "{}", text(&listed));
    let out = text(&listed);
    assert!(
        out.contains("connected") && out.contains(&format!("team {}", f.team)),
        "{out}"
    );
    assert!(out.contains(&format!("key {}", old_ring.current_key_id())), "{out}");
    assert!(
        !out.contains(token.expose().as_str()) && !out.contains(&before),
        "{out}"
    );

    // Without the old key the new one cannot read the token: refuse, naming the problem.
    let new_key = Keyring::generate_key();
    let refused = f.admin(&["rotate-key"], &new_key, "");
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("ADSYNC_ENCRYPTION_KEY"), "{}", text(&refused));
    assert_eq!(f.ciphertext().await, before, "nothing changed");

    let rotated = f.admin(&["rotate-key"], &new_key, &old_key);
    assert!(rotated.status.success(), "{}", text(&rotated));
    let out = text(&rotated);
    assert!(out.contains("rotated 1, already current 0"), "{out}");
    assert!(out.contains("webhook secrets rotated 1, failed 0"), "{out}");
    assert!(!out.contains(token.expose().as_str()));
    let after = f.ciphertext().await;
    assert_ne!(after, before);
    let new_ring = Keyring::new(&new_key, &[]).expect("new");
    assert!(!new_ring.needs_rotation(&after));
    assert_eq!(
        new_ring.decrypt(&after).expect("the new key alone reads it").expose(),
        token.expose()
    );

    let (_, stored_secret) = adsync_storage::webhooks::all_secrets(&f.app.db)
        .await
        .expect("secrets")
        .remove(0);
    assert_eq!(new_ring.decrypt(&stored_secret).expect("rotated").expose(), &secret);

    let again = f.admin(&["rotate-key"], &new_key, &old_key);
    assert!(
        text(&again).contains("rotated 0, already current 1"),
        "{}",
        text(&again)
    );

    // The library entry point reports the same, and counts connections without a token.
    let report = adsync::admin::rotate_key(&f.app.db, &new_ring).await.expect("rotate");
    assert_eq!((report.rotated, report.current), (0, 1));
    f.app.stop().await;
}

crate::on_both_backends!(rotate_key_reencrypts_every_token_and_list_shows_no_secret);
